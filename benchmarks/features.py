"""Feature extraction speed: librosa vs the NumPy reference vs batched torch (CPU, CUDA).

Usage::

    python benchmarks/features.py --n-clips 64 [--device cuda]

Synthetic 5 s clips at 44.1 kHz (the ESC-50 format) go through each feature with
librosa (one clip at a time), the NumPy reference of :mod:`machinehearing.features`
(one clip at a time) and :mod:`machinehearing.transforms`, twice: in batches of
``--batch-size`` clips with torch's threads ("torch cpu"), and as the feature cache
(``machinehearing features``) computes them: each clip alone with single-threaded kernels,
as many clips side by side as there are CPUs ("cache cpu"; a clip's image then never depends
on its batch, the thread count or a resume point).  The sides take turns, ``--repeat`` times,
so that they see the same load; the table keeps each clip's best time (librosa, NumPy) or
the best pass (torch), as clips per second.  Ratios are librosa's time divided by the other
side's, so above 1 is faster than librosa.  The error column compares torch with librosa: the
largest relative error where the value exceeds 1e-5 of the clip's maximum for
linear features, the largest absolute difference for dB features and MFCC.

Targets (issue 3): torch on the CPU at least 1.2x librosa for melspectrogram, logmel
and MFCC; torch on CUDA at least 50x librosa; the NumPy reference at least 0.5x.

A second table times two steps against their baselines in the same run: the tuning
estimate of ``chroma_stft(tuning=None)`` (NumPy, against librosa's numba version; target
at least 0.5x) and the area-averaged resize of :class:`~machinehearing.transforms.ToImage`
(128 x 431 log-mel images to 128 x 128, standardised, against the bilinear sampling
``F.interpolate`` it replaces; it costs more, and buys every frame a weight).
"""

from __future__ import annotations

import argparse
import copy
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import librosa
import numpy as np
import torch

from machinehearing import features as mf
from machinehearing import transforms as mt
from machinehearing._threads import available_cpus, single_threaded

N_FFT, HOP, N_MELS, N_MFCC = 2048, 512, 128, 20


def make_clips(n: int, sr: int, seconds: float, seed: int = 0) -> np.ndarray:
    """Noise plus a few random tones, peak near 1, float32 ``(n, samples)``."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(sr * seconds)) / sr
    clips = 0.05 * rng.standard_normal((n, t.size))
    for _ in range(3):
        freq = rng.uniform(100, 5000, (n, 1))
        clips += rng.uniform(0.1, 0.3, (n, 1)) * np.sin(2 * np.pi * freq * t)
    return clips.astype(np.float32)


def clip_times(fn: Callable[[np.ndarray], object], clips: np.ndarray) -> np.ndarray:
    """Seconds taken by ``fn`` on each clip."""
    times = np.empty(len(clips))
    for i, y in enumerate(clips):
        start = time.perf_counter()
        fn(y)
        times[i] = time.perf_counter() - start
    return times


def cache_time(module: torch.nn.Module, clips: torch.Tensor, n_jobs: int) -> float:
    """Seconds per clip the feature cache takes: each clip alone, single-threaded kernels,
    ``n_jobs`` clips side by side (``precompute``'s bit-reproducible CPU path)."""
    start = time.perf_counter()
    with single_threaded(), ThreadPoolExecutor(max_workers=n_jobs) as pool:
        list(pool.map(lambda y: run_torch(module, y.clone()[None], 1), clips))
    return (time.perf_counter() - start) / len(clips)


def batch_time(module: torch.nn.Module, clips: torch.Tensor, batch_size: int) -> float:
    """Seconds per clip taken by ``module`` on all clips, in batches."""
    start = time.perf_counter()
    run_torch(module, clips, batch_size)
    return (time.perf_counter() - start) / len(clips)


def librosa_features(sr: int) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    mel = dict(sr=sr, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
    stft = dict(n_fft=N_FFT, hop_length=HOP)
    return {
        "stft power": lambda y: np.abs(librosa.stft(y, **stft)) ** 2,
        "melspectrogram": lambda y: librosa.feature.melspectrogram(y=y, **mel),
        "logmel": lambda y: librosa.power_to_db(
            librosa.feature.melspectrogram(y=y, **mel), ref=np.max, top_db=80.0
        ),
        "mfcc": lambda y: librosa.feature.mfcc(y=y, n_mfcc=N_MFCC, **mel),
        "chroma": lambda y: librosa.feature.chroma_stft(y=y, sr=sr, **stft, tuning=0.0),
        "contrast": lambda y: librosa.feature.spectral_contrast(y=y, sr=sr, **stft),
    }


def numpy_features(sr: int) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    mel = dict(sr=sr, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
    stft = dict(n_fft=N_FFT, hop_length=HOP)
    return {
        "stft power": lambda y: np.abs(mf.stft(y, **stft)) ** 2,
        "melspectrogram": lambda y: mf.melspectrogram(y=y, **mel),
        "logmel": lambda y: mf.power_to_db(mf.melspectrogram(y=y, **mel), ref=np.max, top_db=80.0),
        "mfcc": lambda y: mf.mfcc(y=y, n_mfcc=N_MFCC, **mel),
        "chroma": lambda y: mf.chroma_stft(y=y, sr=sr, **stft, tuning=0.0),
        "contrast": lambda y: mf.spectral_contrast(y=y, sr=sr, **stft),
    }


def torch_features(sr: int) -> dict[str, torch.nn.Module]:
    mel = dict(sr=sr, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
    stft = dict(n_fft=N_FFT, hop_length=HOP)
    return {
        "stft power": mt.Spectrogram(**stft, power=2.0),
        "melspectrogram": mt.MelSpectrogram(**mel),
        "logmel": torch.nn.Sequential(
            mt.MelSpectrogram(**mel), mt.AmplitudeToDB(stype="power", ref="max", top_db=80.0)
        ),
        "mfcc": mt.MFCC(n_mfcc=N_MFCC, **mel),
        "chroma": mt.Chroma(sr=sr, **stft),
        "contrast": mt.SpectralContrast(sr=sr, **stft),
    }


def max_error(name: str, actual: np.ndarray, expected: np.ndarray) -> float:
    if name in ("logmel", "mfcc", "contrast"):
        return float(np.abs(actual - expected).max())
    scale = np.abs(expected).max(axis=(-2, -1), keepdims=True)
    big = np.abs(expected) > 1e-5 * scale
    return float((np.abs(actual - expected)[big] / np.abs(expected[big])).max())


def run_torch(module: torch.nn.Module, clips: torch.Tensor, batch_size: int) -> list[torch.Tensor]:
    with torch.inference_mode():
        out = [module(clips[i : i + batch_size]) for i in range(0, len(clips), batch_size)]
    if clips.device.type == "cuda":
        torch.cuda.synchronize()
    return out


def blas_threads() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover - comes with scikit-learn
        return "unknown"
    counts = {f"{p['internal_api']}={p['num_threads']}" for p in threadpool_info()}
    return ", ".join(sorted(counts)) or "none"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-clips", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--sr", type=int, default=44100)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--device", default=None, help="also time this torch device (cuda)")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads for torch and BLAS alike (default: torch's and BLAS's own defaults); "
        "1 gives steadier numbers on a busy machine",
    )
    args = parser.parse_args(argv)

    clips = make_clips(args.n_clips, args.sr, args.seconds)
    batch = torch.from_numpy(clips)
    n = len(clips)
    lib, ref, tor = librosa_features(args.sr), numpy_features(args.sr), torch_features(args.sr)
    if args.threads:
        from threadpoolctl import threadpool_limits

        for fn in [*lib.values(), *ref.values()]:  # load every library before limiting it
            fn(clips[0, : args.sr])
        torch.set_num_threads(args.threads)
        threadpool_limits(args.threads)
    device = args.device if args.device and args.device != "cpu" else None
    if device == "cuda" and not torch.cuda.is_available():
        print("CUDA is not available: timing the CPU only")
        device = None

    jobs = available_cpus()
    print(
        f"{n} clips of {args.seconds:g} s at {args.sr} Hz, n_fft={N_FFT}, hop_length={HOP}, "
        f"n_mels={N_MELS}, n_mfcc={N_MFCC}; best of {args.repeat}, clips per second\n"
        f"librosa {librosa.__version__} and NumPy reference: one clip at a time, FFT "
        f"single-threaded (numpy.fft), BLAS threads: {blas_threads()}\n"
        f"torch {torch.__version__}: batches of {args.batch_size}, "
        f"{torch.get_num_threads()} intra-op threads; cache: the path of 'machinehearing "
        f"features' (each clip alone, single-threaded, {jobs} clips side by side)"
        + (f", and {torch.cuda.get_device_name()}" if device else "")
    )
    header = ["feature", "librosa", "numpy", "x lib", "torch cpu", "x lib", "cache cpu", "x lib"]
    if device:
        header += [f"torch {device}", "x lib"]
    header += ["torch err", "numpy err"]
    widths = [16] + [10] * (len(header) - 1)
    print("  ".join(h.rjust(w) for h, w in zip(header, widths)))

    for name in lib:
        module = tor[name]
        on_device = (copy.deepcopy(module).to(device), batch.to(device)) if device else None
        lib[name](clips[0]), ref[name](clips[0]), batch_time(module, batch[:2], 2)  # warm up
        t_lib, t_ref, t_cpu, t_dev, t_cache = np.inf, np.inf, np.inf, np.inf, np.inf
        for _ in range(args.repeat):  # interleaved, so that all sides see the same load
            t_lib = np.minimum(t_lib, clip_times(lib[name], clips))
            t_ref = np.minimum(t_ref, clip_times(ref[name], clips))
            t_cpu = min(t_cpu, batch_time(module, batch, args.batch_size))
            t_cache = min(t_cache, cache_time(module, batch, jobs))
            if on_device:
                t_dev = min(t_dev, batch_time(*on_device, args.batch_size))
        t_lib, t_ref = t_lib.mean(), t_ref.mean()
        row = [name, f"{1 / t_lib:.1f}", f"{1 / t_ref:.1f}", f"{t_lib / t_ref:.2f}x"]
        row += [f"{1 / t_cpu:.1f}", f"{t_lib / t_cpu:.2f}x"]
        row += [f"{1 / t_cache:.1f}", f"{t_lib / t_cache:.2f}x"]
        if on_device:
            row += [f"{1 / t_dev:.0f}", f"{t_lib / t_dev:.0f}x"]
        expected = np.stack([lib[name](y) for y in clips[:4]])
        actual = torch.cat(run_torch(module, batch[:4], args.batch_size)).numpy()
        reference = np.stack([ref[name](y) for y in clips[:4]])
        row += [f"{max_error(name, actual, expected):.1e}"]
        row += [f"{max_error(name, reference, expected):.1e}"]
        print("  ".join(c.rjust(w) for c, w in zip(row, widths)), flush=True)
    print("err: relative (above 1e-5 of max) for linear features; absolute for dB and MFCC")
    print_steps(clips, batch, args.sr, args.repeat, args.batch_size)
    return 0


def best_time(fn: Callable[[], object], repeat: int) -> float:
    """Best of ``repeat`` runs of ``fn``, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def print_steps(
    clips: np.ndarray, batch: torch.Tensor, sr: int, repeat: int, batch_size: int
) -> None:
    """Tuning estimate (ours vs librosa) and ToImage (area vs bilinear), ms per clip."""
    S = [np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP)) ** 2 for y in clips]
    mel = mt.MelSpectrogram(sr=sr, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
    to_db = mt.AmplitudeToDB(stype="power", ref="max", top_db=80.0)
    with torch.inference_mode():
        logmel = torch.cat(
            [to_db(mel(batch[i : i + batch_size])) for i in range(0, len(batch), batch_size)]
        )
    to_image = mt.ToImage((128, 128))

    def bilinear() -> None:
        images = torch.nn.functional.interpolate(
            logmel[:, None], size=(128, 128), mode="bilinear", align_corners=False
        )
        mt.ToImage((128, 128), antialias=False)(images[:, 0])  # the same standardisation

    steps = {
        "estimate_tuning": (
            lambda: [librosa.estimate_tuning(S=s, sr=sr) for s in S],
            lambda: [mf.estimate_tuning(S=s, sr=sr) for s in S],
            "librosa",
        ),
        f"ToImage {tuple(logmel.shape[1:])}": (bilinear, lambda: to_image(logmel), "bilinear"),
    }
    header = ["step", "baseline", "ms", "ours ms", "x base"]
    widths = [24, 10, 10, 10, 10]
    print()
    print("  ".join(h.rjust(w) for h, w in zip(header, widths)))
    for name, (base, ours, base_name) in steps.items():
        base(), ours()  # warm up
        t_base, t_ours = np.inf, np.inf
        with torch.inference_mode():
            for _ in range(repeat):  # interleaved, as above
                t_base = min(t_base, best_time(base, 1))
                t_ours = min(t_ours, best_time(ours, 1))
        n = len(clips)
        row = [name, base_name, f"{1e3 * t_base / n:.3f}", f"{1e3 * t_ours / n:.3f}"]
        row += [f"{t_base / t_ours:.2f}x"]
        print("  ".join(c.rjust(w) for c, w in zip(row, widths)), flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
