"""Pitch-class (chroma) features and the constant-Q transform.

``chroma_filterbank``, ``chroma_stft`` and the tuning estimate behind its
``tuning=None`` (:func:`piptrack`, :func:`pitch_tuning`, :func:`estimate_tuning`)
are a NumPy reference equal to librosa 0.11.  Only :func:`cqt` delegates to
librosa, and says so: its multirate filterbank is beyond the scope of this reference.

The tuning estimate is a histogram of where spectral peaks fall between
semitones, and a peak is a bin strictly above its lower neighbour: on a flat
spectrum (a click, white noise) one rounding of the power decides which bins are
peaks.  So everything here is computed as librosa computes it, operation for
operation and in the same precision, not merely to the same tolerance.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from ..audio import validate_audio
from ..errors import ParameterError
from .spectral import _check_positive_int, _normalize, _spectrogram, fft_frequencies

__all__ = [
    "piptrack",
    "pitch_tuning",
    "estimate_tuning",
    "chroma_filterbank",
    "chroma_stft",
    "cqt",
]


# --------------------------------------------------------------------------- tuning


def _parabolic_shift(S: np.ndarray) -> np.ndarray:
    """Offset (in bins, along axis -2) of the vertex of the parabola through each bin and its
    two neighbours; 0 at the two edge bins and where the vertex lies a bin or more away.

    With ``a = S[k+1] + S[k-1] - 2 S[k]`` and ``b = (S[k+1] - S[k-1]) / 2`` the vertex is at
    ``-b / a``.  As in librosa, ``a`` and ``b`` are formed in double precision from the
    spectrogram's own precision (the sum of the neighbours stays in it) and the shift is
    rounded back.
    """
    below, centre, above = S[..., :-2, :], S[..., 1:-1, :], S[..., 2:, :]
    a = (above + below).astype(np.float64) - 2.0 * centre.astype(np.float64)
    b = (above - below).astype(np.float64) / 2.0
    shift = np.zeros_like(S)
    inside = np.abs(b) < np.abs(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        shift[..., 1:-1, :] = np.where(inside, -b / np.where(inside, a, 1.0), 0.0)
    return shift


def _local_max(x: np.ndarray) -> np.ndarray:
    """Bins (axis -2) strictly above the bin below and at least the bin above; the first bin
    never counts, the last counts when it is above the one below (librosa.util.localmax)."""
    peaks = np.zeros(x.shape, dtype=bool)
    peaks[..., 1:-1, :] = (x[..., 1:-1, :] > x[..., :-2, :]) & (x[..., 1:-1, :] >= x[..., 2:, :])
    peaks[..., -1, :] = x[..., -1, :] > x[..., -2, :]
    return peaks


def piptrack(
    *,
    y: np.ndarray | None = None,
    sr: float = 22050,
    S: np.ndarray | None = None,
    n_fft: int | None = 2048,
    hop_length: int | None = None,
    fmin: float = 150.0,
    fmax: float = 4000.0,
    threshold: float = 0.1,
    win_length: int | None = None,
    window: Any = "hann",
    center: bool = True,
    pad_mode: str = "constant",
    ref: float | Callable[..., np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Pitch of the spectral peaks, by parabolic interpolation (= librosa.piptrack).

    A bin ``k`` of a frame is a peak when its magnitude is a local maximum (above
    the bin below, at least the bin above) and above ``threshold * ref``, and
    ``fmin <= f_k < fmax``.  The parabola through the peak and its neighbours
    places it at ``k + shift`` (``shift = -b / a``, see the Notes) with pitch
    ``(k + shift) * sr / n_fft`` and magnitude ``S[k] + shift * gradient / 2``.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)] or None
        Audio.
    sr : number > 0
        Sampling rate.
    S : np.ndarray [shape=(..., 1 + n_fft // 2, t)] or None
        Magnitude (or power) spectrogram, used instead of ``y``.
    n_fft : int > 0 or None
        FFT size (inferred from ``S`` when it does not fit).
    hop_length, win_length, window, center, pad_mode
        STFT parameters, see :func:`~machinehearing.features.stft`.
    fmin, fmax : float
        Frequency range searched, ``[fmin, fmax)``; ``fmax`` is capped at ``sr / 2``.
    threshold : float
        Fraction of ``ref`` a peak must exceed.
    ref : float, callable or None
        Reference magnitude: a number, or a function ``ref(S, axis=-2)`` evaluated per
        frame; None is the frame's maximum (``np.max``).

    Returns
    -------
    pitches, magnitudes : np.ndarray [shape=S.shape]
        Interpolated frequency (Hz) and magnitude at every peak, 0 elsewhere.

    Notes
    -----
    ``a = S[k+1] + S[k-1] - 2 S[k]`` and ``b = (S[k+1] - S[k-1]) / 2``; when
    ``|b| >= |a|`` the vertex would be a bin or more away and the shift is 0.

    Examples
    --------
    >>> import numpy as np
    >>> sr = 22050
    >>> y = np.sin(2 * np.pi * 435.0 * np.arange(sr) / sr).astype(np.float32)
    >>> pitches, mags = piptrack(y=y, sr=sr)
    >>> round(float(pitches[np.argmax(mags[:, 20]), 20]), 1)  # the strongest peak of frame 20
    434.5
    >>> round(sr / 2048 * 40, 1)  # the nearest FFT bin, 17 cents away
    430.7
    """
    S, n_fft = _spectrogram(
        y=y,
        S=S,
        n_fft=n_fft,
        hop_length=hop_length,
        power=1.0,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
    )
    if not sr > 0:
        raise ParameterError(f"sr={sr} must be a positive sampling rate")
    if S.ndim < 2 or S.shape[-2] < 2:
        raise ParameterError(f"S must have at least 2 frequency bins on axis -2, got {S.shape}")
    S = np.abs(S)
    S = S.astype(np.result_type(S.dtype, np.float32), copy=False)
    fmin = max(fmin, 0.0)
    fmax = min(fmax, float(sr) / 2)

    shift = _parabolic_shift(S)
    skew = 0.5 * np.gradient(S, axis=-2) * shift  # the parabola's height above S at its vertex

    if ref is None:
        ref = np.max
    if callable(ref):
        floor = np.expand_dims(threshold * ref(S, axis=-2), -2)
    else:
        floor = np.abs(ref)
    freqs = fft_frequencies(sr=sr, n_fft=n_fft)
    in_range = ((fmin <= freqs) & (freqs < fmax))[:, np.newaxis]
    peaks = np.nonzero(in_range & _local_max(S * (S > floor)))

    pitches = np.zeros_like(S)
    mags = np.zeros_like(S)
    pitches[peaks] = (peaks[-2] + shift[peaks]) * float(sr) / n_fft
    mags[peaks] = S[peaks] + skew[peaks]
    return pitches, mags


def pitch_tuning(
    frequencies: np.ndarray, *, resolution: float = 0.01, bins_per_octave: int = 12
) -> float:
    """Most common deviation of frequencies from the equal-tempered grid (= librosa).

    Each frequency ``f > 0`` is placed at ``bins_per_octave * log2(f / (440 / 16))``
    bins above A0; its fractional part, wrapped to ``[-0.5, 0.5)``, is its
    deviation.  The deviations are counted in a histogram with bins of width
    ``resolution`` over ``[-0.5, 0.5]`` and the *left edge* of the fullest bin is
    returned (ties: the lowest).  Without a positive frequency this warns and
    returns 0.

    Parameters
    ----------
    frequencies : array-like
        Frequencies in Hz (zeros and negatives are ignored).
    resolution : float in (0, 1)
        Width of a histogram bin, in fractions of a bin of the grid.
    bins_per_octave : int > 0
        Resolution of the grid (12: semitones).

    Returns
    -------
    tuning : float in [-0.5, 0.5)
        In fractions of a bin of the grid.

    Examples
    --------
    >>> round(pitch_tuning([440.0 * 2 ** (0.25 / 12), 880.0 * 2 ** (0.25 / 12)]), 2)
    0.25
    """
    if not 0.0 < resolution < 1.0:
        raise ParameterError(f"resolution={resolution!r} must lie in the range (0, 1)")
    bins_per_octave = _check_positive_int(bins_per_octave, "bins_per_octave")
    frequencies = np.atleast_1d(frequencies)
    frequencies = frequencies[frequencies > 0]
    if not frequencies.size:
        warnings.warn("Trying to estimate tuning from empty frequency set.", stacklevel=2)
        return 0.0
    # the grid position in the frequencies' own precision, as librosa.hz_to_octs computes it
    residual = np.mod(bins_per_octave * np.log2(frequencies / (440.0 / 16)), 1.0)
    residual[residual >= 0.5] -= 1.0  # 0.95 is more likely 0.05 below the next bin up
    edges = np.linspace(-0.5, 0.5, int(np.ceil(1.0 / resolution)) + 1)
    counts, _ = np.histogram(residual, edges)
    return float(edges[np.argmax(counts)])


def estimate_tuning(
    *,
    y: np.ndarray | None = None,
    sr: float = 22050,
    S: np.ndarray | None = None,
    n_fft: int | None = 2048,
    resolution: float = 0.01,
    bins_per_octave: int = 12,
    **kwargs: Any,
) -> float:
    """Tuning deviation of a recording from A440 (= librosa.estimate_tuning).

    The spectral peaks of :func:`piptrack`, keeping those with at least the
    median peak magnitude, go to :func:`pitch_tuning`.  Silence has no peak: the
    estimate is then 0 (with a warning).

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)] or None
        Audio.
    sr : number > 0
        Sampling rate.
    S : np.ndarray [shape=(..., 1 + n_fft // 2, t)] or None
        Magnitude or power spectrogram, used instead of ``y``.
    n_fft : int > 0 or None
        FFT size.
    resolution : float in (0, 1)
        Resolution of the estimate, in fractions of a bin.
    bins_per_octave : int > 0
        Bins per octave of the pitch grid.
    **kwargs
        Passed to :func:`piptrack` (``hop_length``, ``fmin``, ``fmax``, ``threshold``, ...).

    Returns
    -------
    tuning : float in [-0.5, 0.5)
        In fractions of a bin.

    Examples
    --------
    >>> import numpy as np
    >>> sr = 22050
    >>> f = 440.0 * 2 ** (-0.3 / 12)  # 30 cents flat
    >>> y = np.sin(2 * np.pi * f * np.arange(sr) / sr).astype(np.float32)
    >>> round(estimate_tuning(y=y, sr=sr), 1)
    -0.3
    """
    pitch, mag = piptrack(y=y, sr=sr, S=S, n_fft=n_fft, **kwargs)
    found = pitch > 0
    threshold = np.median(mag[found]) if found.any() else 0.0
    return pitch_tuning(
        pitch[(mag >= threshold) & found], resolution=resolution, bins_per_octave=bins_per_octave
    )


# --------------------------------------------------------------------------- chroma


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

    With ``tuning=None`` the tuning is estimated from the power spectrogram with
    :func:`estimate_tuning`, as librosa does; pass ``tuning=0.0`` for the
    standard A440 grid (the registry's ``chroma`` does).  The power is
    ``np.abs(X) ** 2``, rounded as librosa rounds it: the estimate counts
    local maxima, and on a flat spectrum a last-digit difference moves them.

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
    given = S is not None
    S, n_fft = _spectrogram(
        y=y,
        S=S,
        n_fft=n_fft,
        hop_length=hop_length,
        power=1.0,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
    )
    if not given:
        S = S**2  # |X| ** 2, not X.real ** 2 + X.imag ** 2: see the tuning note above
    if tuning is None:
        tuning = estimate_tuning(S=S, sr=sr, bins_per_octave=n_chroma)
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
