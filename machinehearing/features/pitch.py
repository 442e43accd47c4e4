"""Pitch-class (chroma) features and the constant-Q transform.

``chroma_filterbank`` and ``chroma_stft`` are a NumPy reference equal to
librosa 0.11.  Two things delegate to librosa and say so: the *optional*
tuning estimation of :func:`chroma_stft` (``tuning=None``) and :func:`cqt`,
whose multirate filterbank is beyond the scope of this reference.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from ..audio import validate_audio
from ..errors import ParameterError
from .spectral import _check_positive_int, _normalize, _spectrogram

__all__ = ["chroma_filterbank", "chroma_stft", "cqt"]


@functools.lru_cache(maxsize=32)
def _chroma_filterbank(
    sr: float,
    n_fft: int,
    n_chroma: int,
    tuning: float,
    ctroct: float,
    octwidth: float | None,
    norm: float | None,
    base_c: bool,
    dtype: np.dtype,
) -> np.ndarray:
    """Build (once per parameter set) the chroma filterbank; returns a read-only array."""
    # position of every FFT bin (except DC) in chroma bins above A0 (27.5 Hz, tuned)
    frequencies = np.linspace(0, sr, n_fft, endpoint=False)[1:]
    a440 = 440.0 * 2.0 ** (tuning / n_chroma)
    bins = n_chroma * np.log2(frequencies / (a440 / 16))
    # DC gets a position 1.5 octaves below bin 1
    bins = np.concatenate(([bins[0] - 1.5 * n_chroma], bins))
    # width of each FFT bin measured in chroma bins (at least one)
    bin_widths = np.concatenate((np.maximum(bins[1:] - bins[:-1], 1.0), [1]))

    # signed distance (in chroma bins, wrapped to +-n_chroma/2) from each pitch class
    distance = bins[np.newaxis, :] - np.arange(n_chroma, dtype=np.float64)[:, np.newaxis]
    half = np.round(n_chroma / 2)
    distance = np.remainder(distance + half + 10 * n_chroma, n_chroma) - half

    # a Gaussian bump per pitch class, as wide as the FFT bin
    weights = np.exp(-0.5 * (2 * distance / bin_widths[np.newaxis, :]) ** 2)
    weights = _normalize(weights, norm=norm, axis=0)
    if octwidth is not None:
        # emphasise the octaves around ctroct with a Gaussian over log-frequency
        weights *= np.exp(-0.5 * ((bins / n_chroma - ctroct) / octwidth) ** 2)[np.newaxis, :]
    if base_c:  # start at C instead of A
        weights = np.roll(weights, -3 * (n_chroma // 12), axis=0)
    weights = np.ascontiguousarray(weights[:, : int(1 + n_fft / 2)], dtype=dtype)
    weights.flags.writeable = False
    return weights


def _chroma_key(
    *,
    sr: float,
    n_fft: int,
    n_chroma: int = 12,
    tuning: float = 0.0,
    ctroct: float = 5.0,
    octwidth: float | None = 2,
    norm: float | None = 2,
    base_c: bool = True,
    dtype: DTypeLike = np.float32,
) -> tuple:
    """Validate chroma filterbank arguments; return them as the (hashable) cache key."""
    if not sr > 0:
        raise ParameterError(f"sr={sr} must be a positive sampling rate")
    n_fft = _check_positive_int(n_fft, "n_fft")
    n_chroma = _check_positive_int(n_chroma, "n_chroma")
    if octwidth is not None and not octwidth > 0:
        raise ParameterError(f"octwidth={octwidth} must be > 0 or None")
    if norm is not None and (isinstance(norm, (str, bool)) or not np.isscalar(norm)):
        raise ParameterError(f"norm={norm!r} must be a number (np.inf, 1, 2, ...) or None")
    return (
        sr,
        n_fft,
        n_chroma,
        float(tuning),
        ctroct,
        octwidth,
        norm,
        bool(base_c),
        np.dtype(dtype),
    )


def chroma_filterbank(
    *,
    sr: float,
    n_fft: int,
    n_chroma: int = 12,
    tuning: float = 0.0,
    ctroct: float = 5.0,
    octwidth: float | None = 2,
    norm: float | None = 2,
    base_c: bool = True,
    dtype: DTypeLike = np.float32,
) -> np.ndarray:
    """Filterbank mapping STFT bins to pitch classes (= librosa.filters.chroma).

    Each FFT bin contributes to the pitch classes near its (tuned) pitch with a
    Gaussian weight as wide as the bin; the columns are normalised (``norm``) and
    weighted by a Gaussian over octaves centred on ``ctroct``.  Cached per
    parameter set; the returned array is a fresh copy.

    Parameters
    ----------
    sr : number > 0
        Sampling rate.
    n_fft : int > 0
        FFT size.
    n_chroma : int > 0
        Number of pitch classes per octave.
    tuning : float
        Tuning deviation from A440 in fractions of a chroma bin.
    ctroct, octwidth : float
        Centre (in octaves above A0) and width of the octave weighting;
        ``octwidth=None`` gives flat weighting.
    norm : float or None
        Norm used to normalise each column (FFT bin).
    base_c : bool
        Start the pitch classes at C (True) or at A (False).
    dtype : numeric type
        Output type.

    Returns
    -------
    wts : np.ndarray [shape=(n_chroma, 1 + n_fft // 2)]

    Examples
    --------
    >>> fb = chroma_filterbank(sr=22050, n_fft=2048)
    >>> fb.shape, fb.dtype
    ((12, 1025), dtype('float32'))
    """
    key = _chroma_key(
        sr=sr,
        n_fft=n_fft,
        n_chroma=n_chroma,
        tuning=tuning,
        ctroct=ctroct,
        octwidth=octwidth,
        norm=norm,
        base_c=base_c,
        dtype=dtype,
    )
    return _chroma_filterbank(*key).copy()


def chroma_stft(
    *,
    y: np.ndarray | None = None,
    sr: float = 22050,
    S: np.ndarray | None = None,
    norm: float | None = np.inf,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length: int | None = None,
    window: Any = "hann",
    center: bool = True,
    pad_mode: str = "constant",
    tuning: float | None = None,
    n_chroma: int = 12,
    **kwargs: Any,
) -> np.ndarray:
    """Chromagram from a power spectrogram (= librosa.feature.chroma_stft).

    ``chroma = normalize(chroma_filterbank @ |STFT(y)|**2)``, each frame scaled
    to unit ``norm`` (silent frames stay zero).

    With ``tuning=None`` the tuning is estimated from the spectrogram with
    ``librosa.estimate_tuning`` (the one call into librosa here); pass
    ``tuning=0.0`` for a deterministic, librosa-free computation.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)] or None
        Audio.
    sr : number > 0
        Sampling rate.
    S : np.ndarray [shape=(..., 1 + n_fft // 2, t)] or None
        Power spectrogram, used instead of ``y``.
    norm : float or None
        Column normalisation of the chromagram (``np.inf``: max = 1).
    n_fft, hop_length, win_length, window, center, pad_mode
        STFT parameters, see :func:`~machinehearing.features.stft`.
    tuning : float or None
        Tuning deviation in fractions of a chroma bin; None estimates it.
    n_chroma : int > 0
        Number of pitch classes.
    **kwargs
        Passed to :func:`chroma_filterbank` (``ctroct``, ``octwidth``, ``base_c``, ...).

    Returns
    -------
    chromagram : np.ndarray [shape=(..., n_chroma, t)]

    Examples
    --------
    >>> import numpy as np
    >>> sr = 22050
    >>> y = np.sin(2 * np.pi * 261.63 * np.arange(sr) / sr).astype(np.float32)  # C4
    >>> C = chroma_stft(y=y, sr=sr, tuning=0.0)
    >>> C.shape, int(np.median(C.argmax(axis=0)))  # pitch class 0 = C
    ((12, 44), 0)
    """
    S, n_fft = _spectrogram(
        y=y,
        S=S,
        n_fft=n_fft,
        hop_length=hop_length,
        power=2.0,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
    )
    if tuning is None:
        import librosa  # tuning estimation is delegated (pitch tracking is out of scope)

        tuning = float(librosa.estimate_tuning(S=S, sr=sr, bins_per_octave=n_chroma))
    fb = _chroma_filterbank(
        *_chroma_key(sr=sr, n_fft=n_fft, tuning=tuning, n_chroma=n_chroma, **kwargs)
    )
    return _normalize(fb @ S, norm=norm, axis=-2)


def cqt(
    y: np.ndarray,
    *,
    sr: float = 22050,
    hop_length: int = 512,
    fmin: float | None = None,
    n_bins: int = 84,
    bins_per_octave: int = 12,
) -> np.ndarray:
    """Constant-Q transform -- a thin wrapper around ``librosa.cqt``.

    Unlike the other features here this one is *not* re-implemented: it calls
    :func:`librosa.cqt` with the same arguments (and librosa's defaults for the
    rest), after validating the audio.  Frequencies are geometrically spaced,
    ``fmin * 2 ** (k / bins_per_octave)``, each analysed with a window whose
    length is inversely proportional to its frequency.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)]
        Audio.
    sr : number > 0
        Sampling rate.
    hop_length : int > 0
        Samples between frames (must be divisible by ``2 ** (n_octaves - 1)``).
    fmin : float > 0 or None
        Lowest frequency; default C1 (about 32.7 Hz).
    n_bins : int > 0
        Number of frequency bins.
    bins_per_octave : int > 0
        Frequency resolution.

    Returns
    -------
    C : np.ndarray [shape=(..., n_bins, t), complex]

    Examples
    --------
    >>> import numpy as np
    >>> y = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
    >>> cqt(y, sr=22050).shape
    (84, 44)
    """
    import librosa  # the CQT is delegated to librosa (see the docstring)

    y = validate_audio(y)
    hop_length = _check_positive_int(hop_length, "hop_length")
    n_bins = _check_positive_int(n_bins, "n_bins")
    bins_per_octave = _check_positive_int(bins_per_octave, "bins_per_octave")
    if fmin is not None and not fmin > 0:
        raise ParameterError(f"fmin={fmin} must be a positive frequency or None")
    return librosa.cqt(
        y, sr=sr, hop_length=hop_length, fmin=fmin, n_bins=n_bins, bins_per_octave=bins_per_octave
    )
