"""Loading and pre-processing waveforms.

The functions follow librosa's conventions: a waveform ``y`` is a floating-point
NumPy array whose last axis is time (``(n,)`` for mono, ``(channels, n)`` for
multi-channel audio), and ``sr`` is its sampling rate in Hz.

Every function that accepts audio checks it with :func:`validate_audio`, so a
bad signal fails early with an :class:`~machinehearing.errors.AudioError` that
says what is wrong and what to do about it.
"""

from __future__ import annotations

import os
from typing import Literal

import numpy as np
import soundfile as sf
import soxr
from numpy.typing import DTypeLike

from .errors import AudioError, ParameterError

__all__ = [
    "load",
    "to_mono",
    "resample",
    "fix_length",
    "normalize",
    "crop",
    "frame",
    "validate_audio",
]

#: soxr's high-quality setting; the same resampler as ``librosa.load(res_type="soxr_hq")``
_SOXR_QUALITY = "HQ"

_CROP_MODES = ("start", "center", "random", "loudest")


def validate_audio(y: np.ndarray, *, name: str = "y", mono: bool = False) -> np.ndarray:
    """Check that ``y`` is usable audio and return it as a NumPy array.

    Parameters
    ----------
    y : array_like
        Floating-point waveform, time on the last axis.
    name : str
        How the signal is called in error messages (an argument or a file name).
    mono : bool
        If True, require a 1-D signal.

    Returns
    -------
    y : np.ndarray
        The same data as an array (no copy when ``y`` already is one).

    Raises
    ------
    AudioError
        If ``y`` is not floating point, has no samples, has the wrong number of
        dimensions, or contains NaN or infinite values.  A silent (all-zero)
        signal is valid.

    Examples
    --------
    >>> import numpy as np
    >>> validate_audio(np.zeros(4, dtype=np.float32)).shape
    (4,)
    >>> from machinehearing.errors import AudioError
    >>> try:
    ...     validate_audio(np.array([0.0, np.nan]))
    ... except AudioError as err:
    ...     print(str(err)[:33])
    y contains 1 non-finite sample(s)
    """
    y = np.asarray(y)
    if not np.issubdtype(y.dtype, np.floating):
        raise AudioError(
            f"{name} must be floating-point audio, got dtype {y.dtype}: "
            f"convert it with {name}.astype(np.float32) (scaled to [-1, 1])"
        )
    if y.ndim == 0:
        raise AudioError(f"{name} must be an array of samples, got a scalar")
    if mono and y.ndim != 1:
        raise AudioError(
            f"{name} must be mono (1-D), got shape {y.shape}: use machinehearing.audio.to_mono"
        )
    if y.shape[-1] == 0:
        raise AudioError(f"{name} is empty (0 samples): check the file or the crop/offset used")
    if not np.isfinite(y).all():
        n_bad = int(np.size(y) - np.count_nonzero(np.isfinite(y)))
        raise AudioError(
            f"{name} contains {n_bad} non-finite sample(s) (NaN or inf); "
            "the recording is corrupt or a previous step divided by zero"
        )
    return y


def load(
    path: str | os.PathLike,
    *,
    sr: float | None = None,
    mono: bool = True,
    offset: float = 0.0,
    duration: float | None = None,
    dtype: DTypeLike = np.float32,
) -> tuple[np.ndarray, float]:
    """Read an audio file, optionally resampling it and mixing it down to mono.

    Reading uses :mod:`soundfile` (WAV, FLAC, OGG, ...); resampling uses soxr's
    high-quality mode, the same as ``librosa.load(path, sr=sr, res_type="soxr_hq")``.

    Parameters
    ----------
    path : str or path-like
        The audio file.
    sr : number > 0 or None
        Target sampling rate; None keeps the file's own rate.
    mono : bool
        Average the channels into one.
    offset : float >= 0
        Start reading this many seconds into the file.
    duration : float > 0 or None
        Read at most this many seconds (None: to the end).
    dtype : numeric type
        Floating-point type of the returned samples.

    Returns
    -------
    y : np.ndarray [shape=(n,) or (channels, n)]
        The waveform.
    sr : number
        Its sampling rate.

    Raises
    ------
    AudioError
        If the file is missing, is not audio (or is corrupt), holds no samples
        (after ``offset``), or holds NaN/inf samples.

    Examples
    --------
    >>> import tempfile, numpy as np, soundfile as sf
    >>> path = tempfile.mkdtemp() + "/tone.wav"
    >>> sf.write(path, 0.5 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000), 16000)
    >>> y, sr = load(path, sr=8000)
    >>> y.shape, y.dtype, sr
    ((8000,), dtype('float32'), 8000)
    """
    if sr is not None and not sr > 0:
        raise ParameterError(f"sr={sr} must be a positive sampling rate or None")
    if offset < 0:
        raise ParameterError(f"offset={offset} must be >= 0 seconds")
    if duration is not None and not duration > 0:
        raise ParameterError(f"duration={duration} must be > 0 seconds or None")
    if not os.path.exists(path):
        raise AudioError(f"audio file {os.fspath(path)!r} does not exist: check the path")
    if os.path.isdir(path):
        raise AudioError(f"{os.fspath(path)!r} is a directory, not an audio file")

    try:
        with sf.SoundFile(path) as f:
            sr_native = f.samplerate
            n_total = f.frames
            if n_total == 0:
                raise AudioError(
                    f"audio file {os.fspath(path)!r} is empty (0 frames): re-record or "
                    "re-download it"
                )
            start = int(offset * sr_native)
            if start:
                f.seek(min(start, n_total))
            n_read = -1 if duration is None else int(duration * sr_native)
            y = f.read(frames=n_read, dtype="float64", always_2d=False).T
    except sf.LibsndfileError as exc:
        raise AudioError(
            f"cannot read {os.fspath(path)!r} as audio ({exc}): the file is corrupt or not "
            "in a format soundfile understands (WAV, FLAC, OGG); re-download or convert it"
        ) from exc

    y = validate_audio(y.astype(dtype, copy=False), name=f"audio file {os.fspath(path)!r}")
    if mono:
        y = to_mono(y)
    if sr is not None:
        y = resample(y, orig_sr=sr_native, target_sr=sr)
    else:
        sr = sr_native
    return y, sr


def to_mono(y: np.ndarray) -> np.ndarray:
    """Average all channels of a signal into one (a no-op on mono audio).

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (..., n)]
        The waveform.

    Returns
    -------
    y_mono : np.ndarray [shape=(n,)]

    Examples
    --------
    >>> import numpy as np
    >>> to_mono(np.array([[1.0, 0.0], [0.0, 1.0]]))
    array([0.5, 0.5])
    """
    y = validate_audio(y)
    if y.ndim == 1:
        return y
    return np.mean(y, axis=tuple(range(y.ndim - 1)))


def resample(y: np.ndarray, *, orig_sr: float, target_sr: float) -> np.ndarray:
    """Change the sampling rate with soxr's high-quality band-limited resampler.

    Equal to ``librosa.resample(y, orig_sr=orig_sr, target_sr=target_sr,
    res_type="soxr_hq")``: the output has ``ceil(n * target_sr / orig_sr)``
    samples and the input's dtype.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)]
        The waveform, time on the last axis.
    orig_sr, target_sr : number > 0
        The current and the wanted sampling rate.

    Returns
    -------
    y_hat : np.ndarray [shape=(..., ceil(n * target_sr / orig_sr))]

    Examples
    --------
    >>> import numpy as np
    >>> y = np.sin(2 * np.pi * 100 * np.arange(22050) / 22050).astype(np.float32)
    >>> resample(y, orig_sr=22050, target_sr=8000).shape
    (8000,)
    """
    y = validate_audio(y)
    for name, rate in (("orig_sr", orig_sr), ("target_sr", target_sr)):
        if not rate > 0:
            raise ParameterError(f"{name}={rate} must be a positive sampling rate")
    if orig_sr == target_sr:
        return y
    n_out = int(np.ceil(y.shape[-1] * float(target_sr) / orig_sr))
    channels = y.reshape(-1, y.shape[-1])
    y_hat = np.stack(
        [soxr.resample(ch, orig_sr, target_sr, quality=_SOXR_QUALITY) for ch in channels]
    )
    y_hat = fix_length(y_hat, size=n_out).reshape(*y.shape[:-1], n_out)
    return np.asarray(y_hat, dtype=y.dtype)


def fix_length(data: np.ndarray, *, size: int, axis: int = -1) -> np.ndarray:
    """Trim or zero-pad ``data`` along ``axis`` to exactly ``size`` entries.

    Parameters
    ----------
    data : np.ndarray
    size : int >= 0
    axis : int

    Returns
    -------
    data_fixed : np.ndarray with ``data_fixed.shape[axis] == size``

    Examples
    --------
    >>> import numpy as np
    >>> fix_length(np.arange(5), size=3)
    array([0, 1, 2])
    >>> fix_length(np.arange(3), size=5)
    array([0, 1, 2, 0, 0])
    """
    data = np.asarray(data)
    if size < 0:
        raise ParameterError(f"size={size} must be >= 0")
    n = data.shape[axis]
    if n > size:
        index = [slice(None)] * data.ndim
        index[axis] = slice(0, size)
        return data[tuple(index)]
    if n < size:
        padding = [(0, 0)] * data.ndim
        padding[axis] = (0, size - n)
        return np.pad(data, padding, mode="constant")
    return data


def normalize(
    y: np.ndarray, *, kind: Literal["peak", "rms"] = "peak", target: float = 1.0
) -> np.ndarray:
    """Scale a signal so that its peak (or RMS) amplitude equals ``target``.

    A silent signal is returned unchanged (there is nothing to scale).

    Parameters
    ----------
    y : np.ndarray
        The waveform.
    kind : {"peak", "rms"}
        ``"peak"``: ``max(abs(y))`` becomes ``target``; ``"rms"``: ``sqrt(mean(y**2))`` does.
    target : float > 0

    Returns
    -------
    y_norm : np.ndarray (same dtype as ``y``)

    Examples
    --------
    >>> import numpy as np
    >>> normalize(np.array([0.5, -0.25]))
    array([ 1. , -0.5])
    >>> float(np.sqrt(np.mean(normalize(np.array([3.0, -3.0]), kind="rms") ** 2)))
    1.0
    """
    y = validate_audio(y)
    if kind not in ("peak", "rms"):
        raise ParameterError(f"kind={kind!r} is not one of 'peak', 'rms'")
    if not target > 0:
        raise ParameterError(f"target={target} must be > 0")
    if kind == "peak":
        level = np.max(np.abs(y))
    else:
        level = np.sqrt(np.mean(np.square(y, dtype=np.float64)))
    if level == 0:
        return y
    return (y * (target / level)).astype(y.dtype, copy=False)


def crop(
    y: np.ndarray,
    sr: float,
    seconds: float,
    *,
    where: Literal["start", "center", "random", "loudest"] = "start",
    rng: np.random.Generator | int | None = None,
) -> np.ndarray:
    """Cut (or zero-pad) a signal to exactly ``round(seconds * sr)`` samples.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)]
        The waveform, time on the last axis.
    sr : number > 0
        Its sampling rate.
    seconds : float > 0
        Wanted duration.
    where : {"start", "center", "random", "loudest"}
        Which excerpt to keep when ``y`` is longer: the beginning, the middle, a
        uniformly random one, or the one with the most energy.  When ``y`` is
        shorter it is padded with zeros: at the end for ``"start"`` and
        ``"loudest"``, evenly on both sides for ``"center"``, and at a random
        position for ``"random"``.
    rng : np.random.Generator, int or None
        Random generator (or seed) for ``where="random"``.

    Returns
    -------
    y_crop : np.ndarray [shape=(..., round(seconds * sr))]

    Raises
    ------
    AudioError
        If ``seconds * sr`` rounds to zero samples.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.arange(1.0, 11.0)
    >>> crop(y, 1, 4, where="center")
    array([4., 5., 6., 7.])
    >>> crop(y, 1, 12)
    array([ 1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10.,  0.,  0.])
    """
    y = validate_audio(y)
    if where not in _CROP_MODES:
        raise ParameterError(f"where={where!r} is not one of {', '.join(map(repr, _CROP_MODES))}")
    if not sr > 0:
        raise ParameterError(f"sr={sr} must be a positive sampling rate")
    size = int(round(seconds * sr))
    if size <= 0:
        raise AudioError(
            f"crop to seconds={seconds} at sr={sr} leaves 0 samples: ask for a positive duration"
        )
    n = y.shape[-1]
    if where == "random":
        rng = np.random.default_rng(rng)
        start = int(rng.integers(0, abs(n - size) + 1))
    elif where == "center":
        start = abs(n - size) // 2
    elif where == "loudest" and n > size:
        # energy of every window of `size` samples, from a running sum of squares
        energy = np.cumsum(np.square(y, dtype=np.float64).reshape(-1, n).sum(axis=0))
        energy = np.concatenate(([0.0], energy))
        start = int(np.argmax(energy[size:] - energy[:-size]))
    else:
        start = 0

    if n >= size:
        return y[..., start : start + size]
    padding = [(0, 0)] * (y.ndim - 1) + [(start, size - n - start)]
    return np.pad(y, padding, mode="constant")


def frame(y: np.ndarray, *, frame_length: int, hop_length: int) -> np.ndarray:
    """Slice a signal into overlapping frames, without copying.

    Frame ``t`` holds ``y[..., t * hop_length : t * hop_length + frame_length]``.
    The result is a read-only strided *view* of ``y``, equal to
    ``librosa.util.frame(y, frame_length=frame_length, hop_length=hop_length)``.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)]
        Signal, time on the last axis.
    frame_length : int > 0
        Samples per frame.
    hop_length : int > 0
        Samples between the starts of consecutive frames.

    Returns
    -------
    frames : np.ndarray [shape=(..., frame_length, 1 + (n - frame_length) // hop_length)]

    Examples
    --------
    >>> import numpy as np
    >>> frame(np.arange(6), frame_length=3, hop_length=2)
    array([[0, 2],
           [1, 3],
           [2, 4]])
    """
    y = np.asarray(y)
    if not (isinstance(frame_length, (int, np.integer)) and frame_length > 0):
        raise ParameterError(f"frame_length={frame_length} must be a positive integer")
    if not (isinstance(hop_length, (int, np.integer)) and hop_length > 0):
        raise ParameterError(f"hop_length={hop_length} must be a positive integer")
    if y.ndim == 0 or y.shape[-1] < frame_length:
        n = 0 if y.ndim == 0 else y.shape[-1]
        raise ParameterError(
            f"input is too short (n={n}) for frame_length={frame_length}: "
            "pad the signal or use a shorter frame"
        )
    windows = np.lib.stride_tricks.sliding_window_view(y, frame_length, axis=-1)
    return windows[..., ::hop_length, :].swapaxes(-1, -2)
