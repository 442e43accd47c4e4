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
import shutil
import tempfile
import wave
from collections.abc import Callable
from os import PathLike
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..errors import DataError, ParameterError
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

__all__ = ["make_esc50_like", "course_dataset", "synthetic_targets", "MARKER_FILE", "CACHE_ENV"]

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
# sound families: f(rng, t, sr, k, dev) -> float32 signal; k = class index in its category
# (0-9), dev = per-source deviation factor around 1
# ---------------------------------------------------------------------------------------------


def _phase(freq: np.ndarray, sr: int) -> np.ndarray:
    """Phase (radians, wrapped to one turn) of an oscillator with instantaneous ``freq`` (Hz).

    Accumulated in float32 cycles: the rounding drift over a few seconds is far below a cycle.
    """
    cycles = np.cumsum(np.asarray(freq, dtype=np.float32) / np.float32(sr))
    cycles -= np.floor(cycles)
    return np.float32(2 * np.pi) * cycles


def _white(rng, shape) -> np.ndarray:
    """Uniform white noise with unit variance (cheaper to draw than Gaussian noise)."""
    return (rng.random(shape, dtype=np.float32) - np.float32(0.5)) * np.float32(np.sqrt(12))


def _band_noise(rng, n: int, sr: int, center: float, octaves: float) -> np.ndarray:
    """Noise with a Gaussian band shape in log-frequency, unit RMS."""
    freqs = np.fft.rfftfreq(n, 1.0 / sr).astype(np.float32)
    logdist = np.log2(np.maximum(freqs, 1.0) / np.float32(center)) / np.float32(octaves)
    gain = np.exp(np.float32(-0.5) * logdist**2)
    spectrum = _white(rng, (2, freqs.size))
    noise = np.fft.irfft((spectrum[0] + 1j * spectrum[1]) * gain, n).astype(np.float32)
    return noise / (np.sqrt(np.mean(noise**2)) + np.float32(1e-12))


def _calls(rng, t, sr, k, dev):
    f0 = min(180.0 * 2 ** (0.4 * k) * dev, 0.3 * sr)
    n_harm = 2 + k % 4
    rate = (1.5 + (0.7 * k) % 4) * dev
    duty = 0.35 + 0.1 * (k % 3)
    vibrato = 1 + 0.03 * np.sin(2 * np.pi * 5.0 * t + rng.uniform(0, 2 * np.pi))
    phase = _phase(f0 * vibrato, sr)
    y = np.zeros_like(t)
    for h in range(1, n_harm + 1):
        if h * f0 < 0.45 * sr:
            y += (np.sin(h * phase) / h).astype(np.float32)
    pos = np.mod(t * rate + rng.uniform(), 1.0)
    envelope = np.where(pos < duty, np.sin(np.pi * pos / duty) ** 2, 0.0)
    return y * envelope


def _noise_bands(rng, t, sr, k, dev):
    center = min(200.0 * 2 ** (0.55 * k) * dev, 0.35 * sr)
    octaves = 0.25 + 0.15 * ((3 * k) % 10) / 3
    swell_rate = (0.3 + 0.5 * (k % 5)) * dev
    swell = 1 + 0.6 * np.sin(2 * np.pi * swell_rate * t + rng.uniform(0, 2 * np.pi))
    return _band_noise(rng, t.size, sr, center, octaves) * swell


def _pulse_trains(rng, t, sr, k, dev):
    rate = 1.5 * 1.35**k * dev
    decay = 0.005 + 0.055 * ((7 * k) % 10) / 9
    length = int(min(5 * decay, 0.25) * sr)
    burst = _band_noise(rng, length, sr, min(800.0 * 2 ** (0.3 * (k % 7)), 0.35 * sr), 1.0)
    burst *= np.exp(-np.arange(length, dtype=np.float32) / (decay * sr))
    y = np.zeros_like(t)
    period = sr / rate
    onset = rng.uniform(0, period)
    while onset < t.size:
        start = int(onset)
        stop = min(start + length, t.size)
        y[start:stop] += burst[: stop - start] * rng.uniform(0.6, 1.0)
        onset += period * rng.uniform(0.85, 1.15)
    return y


def _chirps(rng, t, sr, k, dev):
    f_start = 300.0 * 1.25**k * dev
    span = 1.0 + 0.5 * (k % 3)
    rate = (1.0 + 0.4 * ((3 * k) % 8)) * dev
    pos = np.mod(t * rate + rng.uniform(), 1.0)
    octave = span * (pos if k % 2 == 0 else 1 - pos)
    freq = np.minimum(f_start * 2**octave, 0.45 * sr)
    envelope = np.where(pos < 0.8, np.sin(np.pi * pos / 0.8), 0.0)
    return (np.sin(_phase(freq, sr)) * envelope).astype(np.float32)


def _am_fm(rng, t, sr, k, dev):
    carrier = min(100.0 * 1.4**k * dev, 0.2 * sr)
    fm_rate = 0.3 + 1.5 * (k % 4)
    fm_depth = 0.05 + 0.25 * ((5 * k) % 10) / 9
    am_rate = 8.0 + 4.0 * (k % 5)
    freq = carrier * (1 + fm_depth * np.sin(2 * np.pi * fm_rate * t + rng.uniform(0, 2 * np.pi)))
    phase = _phase(freq, sr)
    y = (np.sin(phase) + 0.5 * np.sin(2 * phase) + 0.25 * np.sin(3 * phase)).astype(np.float32)
    return y * (1 + 0.5 * np.sin(2 * np.pi * am_rate * t))


_FAMILIES: tuple[Callable, ...] = (_calls, _noise_bands, _pulse_trains, _chirps, _am_fm)


def _render_clip(target: int, t: np.ndarray, sr: int, seed: int, group: int, take: int):
    """One clip as int16 samples; depends only on its arguments (not on generation order)."""
    source_rng = np.random.default_rng([seed, target, group])
    dev = float(np.exp(source_rng.normal(0.0, 0.05)))
    rng = np.random.default_rng([seed, target, group, take + 1])
    family = _FAMILIES[target // _CLASSES_PER_CATEGORY]
    event = family(rng, t, sr, target % _CLASSES_PER_CATEGORY, dev).astype(np.float32)
    # random onset and length with 20 ms fades
    n = t.size
    start = int(rng.uniform(0.0, 0.3) * n)
    stop = start + int(rng.uniform(0.5, 1.0) * (n - start))
    fade = max(1, min(int(0.02 * sr), (stop - start) // 2))
    mask = np.zeros(n, dtype=np.float32)
    mask[start:stop] = 1.0
    ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
    mask[start : start + fade] = ramp
    mask[stop - fade : stop] = ramp[::-1]
    event *= mask
    event_rms = np.sqrt(np.mean(event[start:stop] ** 2)) + 1e-12
    snr_db = rng.uniform(3.0, 25.0)
    noise = _white(rng, n) * np.float32(event_rms * 10 ** (-snr_db / 20))
    y = event + noise
    y *= rng.uniform(0.05, 0.9) / (np.max(np.abs(y)) + 1e-12)
    return np.round(y * 32767).astype(np.int16)


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
    t = np.arange(int(round(duration * sr)), dtype=np.float32) / np.float32(sr)
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.", suffix=".tmp", dir=root.parent))
    try:
        (tmp / AUDIO_DIR).mkdir()
        (tmp / METADATA_FILE).parent.mkdir()
        bar = tqdm(rows, desc=f"synthetic ESC-50 ({len(targets)} classes)", unit="clip",
                   disable=not progress)
        for row in bar:
            y = _render_clip(row["target"], t, sr, seed, row["_group"], row["_take"])
            _write_wav(tmp / AUDIO_DIR / row["filename"], y, sr)
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
