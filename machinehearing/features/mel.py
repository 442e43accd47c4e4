"""The mel scale, mel filterbanks, mel spectrograms, MFCCs and deltas.

A NumPy reference with librosa 0.11's names, parameters and defaults (the tests
compare each function with librosa).  The pipeline of the lecture:

1. ``S = |STFT(y)| ** power`` -- a (power) spectrogram, :func:`~.spectral.stft`;
2. ``M = mel_filterbank @ S`` -- triangular filters equally spaced on the mel scale;
3. ``L = power_to_db(M)`` -- log compression;
4. ``C = DCT-II(L)[:n_mfcc]`` -- decorrelate the log-mel bands (MFCCs);
5. ``delta(C)`` -- local slope over time (Savitzky-Golay derivative).
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

import numpy as np
import scipy.signal
from numpy.typing import DTypeLike

from ..errors import ParameterError
from .spectral import _check_positive_int, _normalize, _spectrogram, fft_frequencies, power_to_db

__all__ = [
    "hz_to_mel",
    "mel_to_hz",
    "mel_frequencies",
    "mel_filterbank",
    "melspectrogram",
    "dct",
    "mfcc",
    "delta",
]

# Slaney's mel scale (Auditory Toolbox): linear below 1 kHz, logarithmic above
_F_SP = 200.0 / 3  # Hz per mel in the linear part
_MIN_LOG_HZ = 1000.0  # where the log part starts
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP  # = 15 mels
_LOGSTEP = np.log(6.4) / 27.0  # log-frequency step per mel above 1 kHz


def hz_to_mel(frequencies: float | np.ndarray, *, htk: bool = False) -> float | np.ndarray:
    """Convert Hz to mels.

    HTK formula: ``m = 2595 log10(1 + f / 700)``.  Slaney (default, as librosa):
    ``m = 3 f / 200`` below 1 kHz and ``m = 15 + log(f / 1000) / (log(6.4) / 27)``
    above.

    Parameters
    ----------
    frequencies : number or np.ndarray
        Frequencies in Hz.
    htk : bool
        Use the HTK formula instead of Slaney's.

    Returns
    -------
    mels : number or np.ndarray

    Examples
    --------
    >>> round(float(hz_to_mel(1000.0)), 6)
    15.0
    >>> round(float(hz_to_mel(1000.0, htk=True)), 2)
    999.99
    """
    f = np.asanyarray(frequencies, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    linear = f / _F_SP
    logarithmic = _MIN_LOG_MEL + np.log(np.maximum(f, _MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOGSTEP
    return np.where(f >= _MIN_LOG_HZ, logarithmic, linear)[()]


def mel_to_hz(mels: float | np.ndarray, *, htk: bool = False) -> float | np.ndarray:
    """Convert mels to Hz (the inverse of :func:`hz_to_mel`).

    Parameters
    ----------
    mels : number or np.ndarray
        Mel values.
    htk : bool
        Use the HTK formula instead of Slaney's.

    Returns
    -------
    frequencies : number or np.ndarray

    Examples
    --------
    >>> round(float(mel_to_hz(15.0)), 6)
    1000.0
    >>> mel_to_hz(hz_to_mel([100.0, 4000.0], htk=True), htk=True).round(6)
    array([ 100., 4000.])
    """
    m = np.asanyarray(mels, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    linear = _F_SP * m
    logarithmic = _MIN_LOG_HZ * np.exp(_LOGSTEP * (np.maximum(m, _MIN_LOG_MEL) - _MIN_LOG_MEL))
    return np.where(m >= _MIN_LOG_MEL, logarithmic, linear)[()]


def mel_frequencies(
    n_mels: int = 128, *, fmin: float = 0.0, fmax: float = 11025.0, htk: bool = False
) -> np.ndarray:
    """``n_mels`` frequencies (Hz) equally spaced on the mel scale from ``fmin`` to ``fmax``.

    Parameters
    ----------
    n_mels : int > 0
        Number of frequencies.
    fmin, fmax : float >= 0
        Lowest and highest frequency in Hz.
    htk : bool
        HTK or Slaney mel scale.

    Returns
    -------
    frequencies : np.ndarray [shape=(n_mels,)]

    Examples
    --------
    >>> mel_frequencies(4, fmin=0.0, fmax=200.0)
    array([  0.        ,  66.66666667, 133.33333333, 200.        ])
    """
    n_mels = _check_positive_int(n_mels, "n_mels")
    mels = np.linspace(hz_to_mel(fmin, htk=htk), hz_to_mel(fmax, htk=htk), n_mels)
    return mel_to_hz(mels, htk=htk)


@functools.lru_cache(maxsize=64)
def _mel_filterbank(
    sr: float,
    n_fft: int,
    n_mels: int,
    fmin: float,
    fmax: float,
    htk: bool,
    norm: str | float | None,
    dtype: np.dtype,
) -> tuple[np.ndarray, bool]:
    """Build (once per parameter set) the mel filterbank: (read-only weights, has empty filters)."""
    fftfreqs = fft_frequencies(sr=sr, n_fft=n_fft)
    # n_mels + 2 band edges: filter i rises from edge i to edge i+1, falls to edge i+2
    edges = mel_frequencies(n_mels + 2, fmin=fmin, fmax=fmax, htk=htk)
    widths = np.diff(edges)
    ramps = edges[:, np.newaxis] - fftfreqs[np.newaxis, :]
    rising = -ramps[:-2] / widths[:-1, np.newaxis]
    falling = ramps[2:] / widths[1:, np.newaxis]
    weights = np.maximum(0.0, np.minimum(rising, falling))

    if norm == "slaney":
        # divide each triangle by its width in Hz: roughly constant energy per band
        weights *= (2.0 / (edges[2:] - edges[:-2]))[:, np.newaxis]
    else:
        weights = _normalize(weights, norm=norm, axis=-1)
    # a filter that catches no FFT bin (apart from one starting at 0 Hz) is empty
    has_empty = not np.all((edges[:-2] == 0) | (weights.max(axis=1) > 0))
    weights = weights.astype(dtype)
    weights.flags.writeable = False
    return weights, has_empty


def _mel_basis(**kwargs: Any) -> np.ndarray:
    """The validated, cached, read-only filterbank; warns (every time) about empty filters."""
    weights, has_empty = _mel_filterbank(*_mel_key(**kwargs))
    if has_empty:
        warnings.warn(
            "Empty filters detected in mel frequency basis: some channels will be zero. "
            "Increase the sampling rate (and fmax) or reduce n_mels.",
            stacklevel=3,
        )
    return weights


def _mel_key(
    *,
    sr: float,
    n_fft: int,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: float | None = None,
    htk: bool = False,
    norm: str | float | None = "slaney",
    dtype: DTypeLike = np.float32,
) -> tuple:
    """Validate mel filterbank arguments; return them as the (hashable) cache key."""
    if not sr > 0:
        raise ParameterError(f"sr={sr} must be a positive sampling rate")
    n_fft = _check_positive_int(n_fft, "n_fft")
    n_mels = _check_positive_int(n_mels, "n_mels")
    fmax = float(sr) / 2 if fmax is None else fmax
    if fmin < 0:
        raise ParameterError(f"fmin={fmin} must be >= 0 Hz")
    if fmax <= fmin:
        raise ParameterError(f"fmax={fmax} must be greater than fmin={fmin}")
    if not (norm is None or norm == "slaney") and (
        isinstance(norm, (str, bool)) or not np.isscalar(norm)
    ):
        raise ParameterError(
            f"norm={norm!r} is not supported: use 'slaney', None or a number (p-norm, e.g. np.inf)"
        )
    return (sr, n_fft, n_mels, fmin, fmax, bool(htk), norm, np.dtype(dtype))


def mel_filterbank(
    *,
    sr: float,
    n_fft: int,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: float | None = None,
    htk: bool = False,
    norm: str | float | None = "slaney",
    dtype: DTypeLike = np.float32,
) -> np.ndarray:
    """Triangular mel filterbank (= librosa.filters.mel).

    Filter ``i`` rises linearly from band edge ``i`` to edge ``i + 1`` and falls
    to edge ``i + 2``, with ``n_mels + 2`` edges equally spaced in mels between
    ``fmin`` and ``fmax``.  Results are cached per parameter set; the returned
    array is a fresh copy.

    Parameters
    ----------
    sr : number > 0
        Sampling rate.
    n_fft : int > 0
        FFT size.
    n_mels : int > 0
        Number of mel bands.
    fmin : float >= 0
        Lowest frequency (Hz).
    fmax : float > 0 or None
        Highest frequency (Hz); default ``sr / 2``.
    htk : bool
        HTK mel scale instead of Slaney's.
    norm : {"slaney", None} or number
        ``"slaney"``: divide each triangle by its width (constant energy per band);
        a number: normalise each filter to unit p-norm; None: peak 1.
    dtype : numeric type
        Output type.

    Returns
    -------
    M : np.ndarray [shape=(n_mels, 1 + n_fft // 2)]

    Examples
    --------
    >>> fb = mel_filterbank(sr=16000, n_fft=512, n_mels=40)
    >>> fb.shape, fb.dtype
    ((40, 257), dtype('float32'))
    >>> round(float(mel_filterbank(sr=16000, n_fft=512, n_mels=40, norm=None).max()), 3)
    1.0
    """
    return _mel_basis(
        sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm, dtype=dtype
    ).copy()


def melspectrogram(
    *,
    y: np.ndarray | None = None,
    sr: float = 22050,
    S: np.ndarray | None = None,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length: int | None = None,
    window: Any = "hann",
    center: bool = True,
    pad_mode: str = "constant",
    power: float = 2.0,
    **mel_kwargs: Any,
) -> np.ndarray:
    """Mel spectrogram: ``mel_filterbank @ |STFT(y)| ** power`` (= librosa.feature.melspectrogram).

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)] or None
        Audio.
    sr : number > 0
        Sampling rate.
    S : np.ndarray [shape=(..., 1 + n_fft // 2, t)] or None
        A ready spectrogram (already raised to ``power``), used instead of ``y``.
    n_fft, hop_length, win_length, window, center, pad_mode
        STFT parameters, see :func:`~machinehearing.features.stft`.
    power : float > 0
        Exponent of the magnitude: 1 for energy, 2 for power.
    **mel_kwargs
        Passed to :func:`mel_filterbank` (``n_mels``, ``fmin``, ``fmax``, ``htk``,
        ``norm``, ``dtype``).

    Returns
    -------
    M : np.ndarray [shape=(..., n_mels, t)]

    Examples
    --------
    >>> import numpy as np
    >>> y = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
    >>> M = melspectrogram(y=y, sr=22050, n_mels=64)
    >>> M.shape, M.dtype
    ((64, 44), dtype('float32'))
    """
    S, n_fft = _spectrogram(
        y=y,
        S=S,
        n_fft=n_fft,
        hop_length=hop_length,
        power=power,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
    )
    mel_basis = _mel_basis(sr=sr, n_fft=n_fft, **mel_kwargs)
    return mel_basis @ S


@functools.lru_cache(maxsize=32)
def _dct_matrix(n: int, type: int, norm: str | None) -> np.ndarray:
    """The (n, n) DCT matrix ``D`` such that ``dct(x) = D @ x`` (read-only, cached).

    Written from the definitions (those of :func:`scipy.fft.dct`); with
    ``norm="ortho"`` every type is an orthogonal matrix.
    """
    k = np.arange(n)[:, np.newaxis]  # output index
    i = np.arange(n)[np.newaxis, :]  # input index
    if type == 1:
        if n < 2:
            raise ParameterError(f"the DCT-I needs at least 2 points, got {n}")
        D = 2.0 * np.cos(np.pi * k * i / (n - 1))
        if norm == "ortho":
            ends = np.ones(n)
            ends[[0, -1]] = 1 / np.sqrt(2)
            D = D * ends[:, np.newaxis] * ends[np.newaxis, :] / np.sqrt(2 * (n - 1))
        else:
            D[:, [0, -1]] /= 2  # x[0] and x[n-1] enter once, not twice
    elif type == 2:
        D = 2.0 * np.cos(np.pi * k * (2 * i + 1) / (2 * n))
        if norm == "ortho":
            D /= np.sqrt(2 * n)
            D[0] /= np.sqrt(2)
    else:  # type 3: the inverse of type 2 (up to scale)
        D = 2.0 * np.cos(np.pi * i * (2 * k + 1) / (2 * n))
        if norm == "ortho":
            D /= np.sqrt(2 * n)
            D[:, 0] /= np.sqrt(2)
        else:
            D[:, 0] /= 2
    D.flags.writeable = False
    return D


def _check_dct_args(type: int, norm: str | None) -> None:
    if type not in (1, 2, 3):
        raise ParameterError(f"type={type!r} is not a supported DCT type: use 1, 2 or 3")
    if norm not in ("ortho", None):
        raise ParameterError(f"norm={norm!r} is not supported for the DCT: use 'ortho' or None")


def _apply_dct(x: np.ndarray, D: np.ndarray, axis: int) -> np.ndarray:
    """``D @ x`` along ``axis``, in double precision, returned in x's floating type."""
    out_dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float64
    out = D @ np.moveaxis(x, axis, -2).astype(np.float64, copy=False)
    return np.moveaxis(out, -2, axis).astype(out_dtype, copy=False)


def dct(x: np.ndarray, *, type: int = 2, norm: str | None = "ortho", axis: int = -2) -> np.ndarray:
    """Discrete cosine transform along ``axis`` (= ``scipy.fft.dct``), as a matrix product.

    The DCT-II used for MFCCs is
    ``X[k] = 2 sum_{n=0}^{N-1} x[n] cos(pi k (2n + 1) / (2N))``; with
    ``norm="ortho"`` it is scaled by ``sqrt(1 / (2N))`` (``sqrt(1 / (4N))`` for
    ``k = 0``), which makes it an orthogonal transform.  Types 1 and 3 follow
    :func:`scipy.fft.dct`.  The matrix is cached per size.

    Parameters
    ----------
    x : np.ndarray
        Input; for a spectrogram the default ``axis=-2`` transforms each frame.
    type : {1, 2, 3}
        DCT type.
    norm : {"ortho", None}
        Normalisation.
    axis : int
        Axis along which to transform.

    Returns
    -------
    X : np.ndarray (same shape as ``x``)

    Examples
    --------
    >>> import numpy as np
    >>> X = dct(np.ones((4, 1)))  # a constant has only a DC term
    >>> np.abs(X.ravel()).round(6)
    array([2., 0., 0., 0.])
    """
    _check_dct_args(type, norm)
    x = np.asarray(x)
    if not -x.ndim <= axis < x.ndim:
        raise ParameterError(f"axis={axis} is out of range for an input with {x.ndim} dims")
    return _apply_dct(x, _dct_matrix(x.shape[axis], type, norm), axis)


def mfcc(
    *,
    y: np.ndarray | None = None,
    sr: float = 22050,
    S: np.ndarray | None = None,
    n_mfcc: int = 20,
    dct_type: int = 2,
    norm: str | None = "ortho",
    lifter: float = 0,
    **kwargs: Any,
) -> np.ndarray:
    """Mel-frequency cepstral coefficients (= librosa.feature.mfcc).

    ``mfcc = DCT(power_to_db(melspectrogram(y)))[:n_mfcc]``, optionally
    liftered: coefficient ``n`` (1-based) is multiplied by
    ``1 + (lifter / 2) sin(pi n / lifter)``.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)] or None
        Audio.
    sr : number > 0
        Sampling rate.
    S : np.ndarray [shape=(..., n_mels, t)] or None
        Log-power mel spectrogram in dB, used instead of ``y``.
    n_mfcc : int > 0
        Number of coefficients kept.
    dct_type : {1, 2, 3}
        DCT type.
    norm : {"ortho", None}
        DCT normalisation.
    lifter : float >= 0
        Cepstral liftering (0: none).
    **kwargs
        Passed to :func:`melspectrogram` (``n_fft``, ``hop_length``, ``n_mels``, ...).

    Returns
    -------
    M : np.ndarray [shape=(..., n_mfcc, t)]

    Examples
    --------
    >>> import numpy as np
    >>> y = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
    >>> mfcc(y=y, sr=22050, n_mfcc=13).shape
    (13, 44)
    """
    _check_dct_args(dct_type, norm)
    n_mfcc = _check_positive_int(n_mfcc, "n_mfcc")
    if lifter < 0:
        raise ParameterError(f"lifter={lifter} must be a non-negative number")
    if S is None:
        S = power_to_db(melspectrogram(y=y, sr=sr, **kwargs))
    S = np.asarray(S)
    n_mels = S.shape[-2]
    if n_mfcc > n_mels:
        raise ParameterError(f"n_mfcc={n_mfcc} cannot exceed the number of mel bands ({n_mels})")
    # only the first n_mfcc rows of the DCT matrix are needed
    M = _apply_dct(S, _dct_matrix(n_mels, dct_type, norm)[:n_mfcc], axis=-2)
    if lifter > 0:
        n = np.arange(1, 1 + n_mfcc, dtype=M.dtype)
        M *= (1 + (lifter / 2) * np.sin(np.pi * n / lifter))[:, np.newaxis]
    return M


def delta(
    data: np.ndarray,
    *,
    width: int = 9,
    order: int = 1,
    axis: int = -1,
    mode: str = "interp",
    **kwargs: Any,
) -> np.ndarray:
    """Delta features: a local estimate of the derivative along ``axis`` (= librosa.feature.delta).

    A Savitzky-Golay filter fits a polynomial of degree ``order`` to each
    window of ``width`` frames and returns its ``order``-th derivative.  For
    ``order=1`` in the interior this is the classic regression formula
    ``d[t] = sum_{n=1}^{N} n (c[t+n] - c[t-n]) / (2 sum_{n=1}^{N} n^2)``,
    ``N = (width - 1) / 2``.  With ``mode="interp"`` the edges use a
    polynomial fitted to the first/last ``width`` frames.

    Parameters
    ----------
    data : np.ndarray
        Features, e.g. MFCCs of shape (n_mfcc, t).
    width : odd int >= 3
        Window length in frames.
    order : int > 0
        Derivative order (2 gives delta-delta).
    axis : int
        Axis along which to differentiate (time).
    mode : str
        Edge handling of :func:`scipy.signal.savgol_filter`.
    **kwargs
        Passed to :func:`scipy.signal.savgol_filter` (e.g. ``polyorder``).

    Returns
    -------
    delta_data : np.ndarray (same shape as ``data``)

    Examples
    --------
    >>> import numpy as np
    >>> delta(np.arange(10.0)[np.newaxis, :] * 3, width=3).round(6)
    array([[3., 3., 3., 3., 3., 3., 3., 3., 3., 3.]])
    """
    data = np.atleast_1d(data)
    if mode == "interp" and width > data.shape[axis]:
        raise ParameterError(
            f"when mode='interp', width={width} cannot exceed data.shape[axis]="
            f"{data.shape[axis]}: use a smaller width or another mode"
        )
    if width < 3 or np.mod(width, 2) != 1:
        raise ParameterError(f"width={width} must be an odd integer >= 3")
    if order <= 0 or not isinstance(order, (int, np.integer)):
        raise ParameterError(f"order={order} must be a positive integer")
    kwargs.pop("deriv", None)
    kwargs.setdefault("polyorder", order)
    return scipy.signal.savgol_filter(data, width, deriv=order, axis=axis, mode=mode, **kwargs)
