"""A synthetic dataset in the exact ESC-50 layout, for tests, demos and the docs gallery.

:func:`make_esc50_like` writes ``audio/*.wav`` (16-bit PCM, mono) and ``meta/esc50.csv`` with
the real columns, folds and file-name scheme. Each class is a parametrised sound *family*
chosen by its major category, so the categories task is meaningful too:

==========  ==================================================================
category    family (class parameters vary with the class index inside it)
==========  ==================================================================
Animals     harmonic calls: syllables of a harmonic tone with vibrato
            (fundamental, number of harmonics, syllable rate)
Natural     noise bands with a slow swell (centre frequency, bandwidth, swell rate)
Human       pulse trains of short noise bursts (rate, burst decay, burst colour)
Domestic    repeated chirps (start frequency, direction, span, repetition rate)
Urban       AM/FM tones, siren and engine like (carrier, FM rate and depth, AM rate)
==========  ==================================================================

Every source recording (``src_file``) draws its own small deviation of the class
parameters, and every take adds a random onset, length, gain and background noise level, so
classes overlap a little and a classifier has to learn them.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
import wave
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import scipy.fft
from tqdm.auto import tqdm

from ..errors import DataError, ParameterError
from . import sounds
from .download import replace_dir
from .esc50 import (
    AUDIO_DIR,
    CLASSES,
    COLUMNS,
    DATA_ENV,
    ESC10_TARGETS,
    METADATA_FILE,
    N_FOLDS,
)
from .recipes import RECIPES, Context, draw_params, voice_layers

__all__ = [
    "make_esc50_like",
    "course_dataset",
    "synthesize",
    "synthetic_targets",
    "MARKER_FILE",
    "CACHE_ENV",
]

#: environment variable naming where generated data is kept (default ~/.cache/machinehearing)
CACHE_ENV = "MACHINEHEARING_CACHE"

#: written last into a generated dataset: the generation parameters
MARKER_FILE = "meta/synthetic.json"

_TAKES = "ABCDEFGH"
_N_CATEGORIES = 5
_CLASSES_PER_CATEGORY = len(CLASSES) // _N_CATEGORIES


def synthetic_targets(n_classes: int) -> list[int]:
    """Targets used by a synthetic set of ``n_classes`` classes (round-robin over categories).

    Examples
    --------
    >>> synthetic_targets(7)
    [0, 1, 10, 11, 20, 30, 40]
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, int) or not (
        1 <= n_classes <= len(CLASSES)
    ):
        raise ParameterError(f"n_classes must be an integer in [1, 50], got {n_classes!r}")
    order = [(i % _N_CATEGORIES) * _CLASSES_PER_CATEGORY + i // _N_CATEGORIES
             for i in range(n_classes)]
    return sorted(order)


# ---------------------------------------------------------------------------------------------
# rendering: a recording's class parameters and its room, then each take's events and nuisances
# ---------------------------------------------------------------------------------------------

#: probability that a take has an event of another class mixed in
INTRUDER_PROBABILITY = 0.5
#: probability that a take ends in digital silence (the clip was shorter than 5 s)
PADDING_PROBABILITY = 0.4
#: the recording index of :func:`synthesize` (datasets number their recordings from 0)
_SYNTHESIZE_GROUP = 1 << 30


@dataclass(frozen=True)
class _Recording:
    """What the takes of one source recording share: the sound's parameters, room, channel."""

    params: list
    rt60: float
    direct: float
    tilt: float
    colour: float
    snr: float


def _recording(seed: int, target: int, group: int) -> _Recording:
    rng = np.random.default_rng([seed, target, group])
    return _Recording(
        params=draw_params(rng, RECIPES[CLASSES[target]]),
        rt60=float(np.exp(rng.uniform(np.log(0.05), np.log(0.8)))),
        direct=float(np.exp(rng.uniform(np.log(0.3), np.log(10.0)))),
        tilt=float(rng.uniform(-4.0, 4.0)),
        colour=float(rng.uniform(0.0, 2.0)),
        snr=float(rng.uniform(0.0, 20.0)),
    )


def _render(
    target: int, *, n: int, sr: int, seed: int, group: int, take: int, nuisances: bool = True
) -> np.ndarray:
    """One take as float32 samples in [-1, 1]; depends only on its arguments."""
    rec = _recording(seed, target, group)
    rng = np.random.default_rng([seed, target, group, take + 1])
    duration = n / sr
    room = (sounds.room_response(rng, sr=sr, rt60=rec.rt60, direct=rec.direct) if nuisances
            else np.ones(1, np.float32))
    n_fft = scipy.fft.next_fast_len(n + room.size, real=True)
    freqs = scipy.fft.rfftfreq(n_fft, 1 / sr).astype(np.float32)
    padded = nuisances and rng.random() < PADDING_PROBABILITY
    stop = duration * rng.uniform(0.3, 0.9) if padded else duration
    start = rng.uniform(0.0, 0.25) * stop if nuisances else 0.0
    ctx = Context(rng, n, sr, start, stop, freqs)
    x = sounds.spectrum(voice_layers(ctx, rec.params), n_fft=n_fft)
    if nuisances and rng.random() < INTRUDER_PROBABILITY:
        other = int(rng.choice([t for t in range(len(CLASSES)) if t != target]))
        length = min(rng.uniform(0.5, 2.0), stop)
        begin = rng.uniform(0.0, stop - length)
        intruder = Context(rng, n, sr, begin, begin + length, freqs)
        params = draw_params(rng, RECIPES[CLASSES[other]])
        x += sounds.spectrum(voice_layers(intruder, params), n_fft=n_fft) * np.float32(
            10 ** (rng.uniform(-20.0, -3.0) / 20))
    if nuisances:
        x *= scipy.fft.rfft(room, n_fft) * sounds.tilt_gain(freqs, rec.tilt)
        snr = float(np.clip(rec.snr + rng.normal(0.0, 2.0), 0.0, 20.0))
        signal_power = sounds.energy(x, n_fft=n_fft) / (stop * sr)
        noise = sounds.coloured_noise_spectrum(rng, freqs, rec.colour)
        noise_power = sounds.energy(noise, n_fft=n_fft) / n_fft
        x += noise * np.float32(np.sqrt(signal_power / noise_power * 10 ** (-snr / 10)))
    y = scipy.fft.irfft(x, n_fft)[:n].astype(np.float32)
    if padded:
        cut = int(stop * sr)
        fade = min(int(0.01 * sr), cut)
        y[cut - fade : cut] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
        y[cut:] = 0.0
    peak = rng.uniform(0.1, 0.9) if nuisances else 0.9
    return y * np.float32(peak / (np.max(np.abs(y)) + 1e-12))


def synthesize(
    name: str | int,
    *,
    sr: int = 44100,
    duration: float = 5.0,
    seed: int = 0,
    nuisances: bool = False,
) -> np.ndarray:
    """One recording of the synthetic class ``name`` (a class name or target), float32.

    By default the class's recipe alone (no room, channel, background or other event), as a
    clean illustration of what the recipe does; ``nuisances=True`` gives a take as it
    appears in :func:`make_esc50_like`. It is a *synthetic stand-in* for the class: say so
    wherever it is shown.

    Parameters
    ----------
    name : str or int
        An ESC-50 class name (``"dog"``) or target (0-49).
    sr : int, default=44100
        Sampling rate.
    duration : float, default=5.0
        Seconds.
    seed : int, default=0
        Seed; another seed is another recording of the class.
    nuisances : bool, default=False
        Add the dataset's nuisances (reverberation, tilt, noise, another class's event,
        onset, gain, silence padding).

    Returns
    -------
    np.ndarray, shape (round(duration * sr),)
        Samples with a peak of at most 0.9.

    Examples
    --------
    >>> y = synthesize("church_bells", sr=16000, duration=2.0)
    >>> y.shape, y.dtype, bool(0 < abs(y).max() <= 0.9)
    ((32000,), dtype('float32'), True)
    """
    target = CLASSES.index(name) if isinstance(name, str) and name in CLASSES else name
    if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target < len(CLASSES):
        raise ParameterError(f"name must be an ESC-50 class name or a target 0-49, got {name!r}")
    _check_params(1, sr, duration)
    n = int(round(duration * sr))
    return _render(target, n=n, sr=sr, seed=seed, group=_SYNTHESIZE_GROUP, take=0,
                   nuisances=nuisances)


def _render_clip(target: int, n: int, sr: int, seed: int, group: int, take: int) -> np.ndarray:
    """One take as 16-bit samples (see :func:`_render`)."""
    y = _render(target, n=n, sr=sr, seed=seed, group=group, take=take)
    return np.round(y * 32767).astype(np.int16)


def _write_clip(job: tuple) -> None:
    path, *args = job
    _write_wav(path, _render_clip(*args), args[2])


def _workers(n_jobs: int | None, n_clips: int) -> int:
    """Processes to use: ``n_jobs`` (None: every core), one for small sets (< 64 clips)."""
    if n_jobs is None:
        n_jobs = os.cpu_count() or 1
    return max(1, min(n_jobs, n_clips // 32))


def _write_wav(path: Path, samples: np.ndarray, sr: int) -> None:
    """Write mono 16-bit PCM (the standard library writer: byte-for-byte reproducible)."""
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(sr)
        f.writeframes(samples.astype("<i2").tobytes())


def _layout(n_classes: int, clips_per_class: int, seed: int) -> list[dict]:
    """Rows of the metadata (plus the group/take indices needed to render each clip)."""
    rng = np.random.default_rng([seed, 0xE5C])
    src_ids = rng.choice(900_000, size=n_classes * clips_per_class, replace=False) + 100_000
    rows, n_groups = [], 0
    base, extra = divmod(clips_per_class, N_FOLDS)
    for i, target in enumerate(synthetic_targets(n_classes)):
        # spread the remainder over the folds, rotating with the class so folds stay balanced
        bonus = {(i * extra + j) % N_FOLDS for j in range(extra)}
        for fold in range(1, N_FOLDS + 1):
            left = base + (fold - 1 in bonus)
            while left > 0:
                size = int(min(left, rng.integers(1, 4)))
                src_file = str(src_ids[n_groups])
                for take in range(size):
                    rows.append({
                        "filename": f"{fold}-{src_file}-{_TAKES[take]}-{target}.wav",
                        "fold": fold, "target": target, "category": CLASSES[target],
                        "esc10": target in ESC10_TARGETS, "src_file": src_file,
                        "take": _TAKES[take], "_group": n_groups, "_take": take,
                    })  # fmt: skip
                n_groups += 1
                left -= size
    rows.sort(key=lambda row: row["filename"])
    return rows


def _check_params(clips_per_class, sr, duration) -> None:
    if isinstance(clips_per_class, bool) or not isinstance(clips_per_class, int) or (
        clips_per_class < 1
    ):
        raise ParameterError(f"clips_per_class must be a positive integer, got "
                             f"{clips_per_class!r}")
    if isinstance(sr, bool) or not isinstance(sr, int) or sr < 4000:
        raise ParameterError(f"sr must be an integer sampling rate >= 4000 Hz, got {sr!r}")
    if not duration > 0 or not np.isfinite(duration):
        raise ParameterError(f"duration must be a positive number of seconds, got {duration!r}")


def make_esc50_like(
    root: str | PathLike,
    *,
    n_classes: int = 50,
    clips_per_class: int = 40,
    sr: int = 44100,
    duration: float = 5.0,
    seed: int = 0,
    progress: bool = True,
    n_jobs: int | None = None,
) -> Path:
    """Write a synthetic dataset with the on-disk layout of ESC-50.

    The dataset is generated in a temporary directory next to ``root`` and moved into place
    when complete, so an interrupted run never leaves a half dataset. Calling again with the
    same parameters returns at once; a synthetic set made with other parameters is replaced.

    Parameters
    ----------
    root : str or path-like
        Directory to create (it will hold ``audio/`` and ``meta/esc50.csv``).
    n_classes : int, default 50
        Number of classes, 1-50. With fewer than 50 the targets are spread round-robin over
        the 5 categories (0, 10, 20, 30, 40, 1, 11, ...), so the categories task keeps
        ``min(n_classes, 5)`` classes.
    clips_per_class : int, default 40
        Clips per class, spread as evenly as possible over the 5 folds; clips of one source
        recording (1-3 takes) stay in one fold.
    sr : int, default 44100
        Sampling rate of the 16-bit PCM files.
    duration : float, default 5.0
        Clip length in seconds.
    seed : int, default 0
        Seed; the same parameters give byte-identical files.
    progress : bool, default True
        Show a progress bar.
    n_jobs : int, optional
        Processes rendering clips (default: one per CPU core; small sets use one). Every
        clip depends only on its own parameters, so the files do not depend on ``n_jobs``.

    Returns
    -------
    pathlib.Path
        ``root``.

    Raises
    ------
    DataError
        When ``root`` exists, is not empty and is not a synthetic dataset.

    Examples
    --------
    >>> import tempfile
    >>> root = make_esc50_like(tempfile.mkdtemp() + "/ESC-50", n_classes=10,
    ...                        clips_per_class=5, sr=8000, duration=1.0, progress=False)
    >>> sorted(p.name for p in root.iterdir())
    ['audio', 'meta']
    >>> len(list((root / "audio").glob("*.wav")))
    50
    """
    targets = synthetic_targets(n_classes)
    _check_params(clips_per_class, sr, duration)
    root = Path(root)
    params = {"n_classes": n_classes, "clips_per_class": clips_per_class, "sr": sr,
              "duration": float(duration), "seed": seed}
    marker = root / MARKER_FILE
    if marker.is_file() and json.loads(marker.read_text(encoding="utf-8")) == params:
        return root
    if root.exists() and not marker.is_file() and any(root.iterdir()):
        raise DataError(f"{root} exists and is not a synthetic dataset: choose another root "
                        "or remove it")
    root.parent.mkdir(parents=True, exist_ok=True)
    rows = _layout(n_classes, clips_per_class, seed)
    n = int(round(duration * sr))
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.", suffix=".tmp", dir=root.parent))
    try:
        (tmp / AUDIO_DIR).mkdir()
        (tmp / METADATA_FILE).parent.mkdir()
        jobs = [(tmp / AUDIO_DIR / row["filename"], row["target"], n, sr, seed, row["_group"],
                 row["_take"]) for row in rows]
        workers = _workers(n_jobs, len(jobs))
        bar = tqdm(total=len(jobs), desc=f"synthetic ESC-50 ({len(targets)} classes)",
                   unit="clip", disable=not progress)
        with bar:
            if workers == 1:
                for job in jobs:
                    _write_clip(job)
                    bar.update()
            else:
                from joblib import Parallel, delayed

                run = Parallel(n_jobs=workers, return_as="generator", batch_size=8)
                for _ in run(delayed(_write_clip)(job) for job in jobs):
                    bar.update()
        with (tmp / METADATA_FILE).open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(COLUMNS)
            writer.writerows([row[c] for c in COLUMNS] for row in rows)
        (tmp / MARKER_FILE).write_text(json.dumps(params), encoding="utf-8")
        replace_dir(tmp, root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return root


def course_dataset(
    *,
    n_classes: int = 10,
    clips_per_class: int = 8,
    sr: int = 16000,
    cache_dir: str | PathLike | None = None,
    progress: bool = False,
) -> Path:
    """The dataset a notebook or example works on: the real ESC-50 if configured, else synthetic.

    When the environment variable ``MACHINEHEARING_DATA`` is set it names the real ESC-50
    directory, which is returned as is. Otherwise a small synthetic ESC-50-like set is
    generated once (by :func:`make_esc50_like`) in ``cache_dir``, and later calls reuse it.
    A student can therefore start without the 600 MB download and switch to the real data
    by setting one variable.

    Parameters
    ----------
    n_classes, clips_per_class, sr : int
        Size of the synthetic set (5-second clips); see :func:`make_esc50_like`.
    cache_dir : str or path-like, optional
        Where the synthetic set is kept: default ``$MACHINEHEARING_CACHE``, else
        ``~/.cache/machinehearing``.
    progress : bool, default=False
        Show a progress bar while generating.

    Returns
    -------
    pathlib.Path
        The dataset root (``audio/``, ``meta/esc50.csv``).

    Examples
    --------
    >>> import os, tempfile
    >>> _ = os.environ.pop("MACHINEHEARING_DATA", None)  # use the synthetic set
    >>> root = course_dataset(n_classes=5, clips_per_class=5, sr=8000,
    ...                       cache_dir=tempfile.mkdtemp())
    >>> root.name, len(list((root / "audio").glob("*.wav")))
    ('esc50-synthetic-5x5-8000Hz', 25)
    """
    import os

    real = os.environ.get(DATA_ENV)
    if real:
        return Path(real)
    if cache_dir is None:
        cache_dir = os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "machinehearing"
    root = Path(cache_dir) / f"esc50-synthetic-{n_classes}x{clips_per_class}-{sr}Hz"
    return make_esc50_like(
        root, n_classes=n_classes, clips_per_class=clips_per_class, sr=sr, progress=progress
    )
