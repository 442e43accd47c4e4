"""Windows, the short-time Fourier transform, decibels and spectral shape descriptors.

A NumPy reference with librosa 0.11's names, parameters and defaults; the tests
compare every function here with librosa.  The code follows the textbook
definitions:

- a window ``w[n]`` tapers each frame to reduce spectral leakage;
- the STFT of frame ``t`` is ``X[k, t] = sum_n w[n] y[t*hop + n] exp(-2j pi k n / N)``
  for ``k = 0 .. N/2`` (a real signal's spectrum is symmetric, so only half is kept);
- decibels are ``10 log10(P / ref)`` for powers and ``20 log10(A / ref)`` for amplitudes;
- spectral centroid, bandwidth, roll-off and contrast summarise each spectrum column.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.signal
from numpy.typing import DTypeLike

from ..audio import frame, validate_audio
from ..errors import ParameterError

__all__ = [
    "get_window",
    "fft_frequencies",
    "stft",
    "magnitude_spectrum",
    "power_to_db",
    "amplitude_to_db",
    "db_to_power",
    "db_to_amplitude",
    "spectral_centroid",
    "spectral_bandwidth",
    "spectral_rolloff",
    "spectral_contrast",
    "zero_crossing_rate",
    "rms",
]

#: Generalised cosine windows: w[n] = sum_k (-1)^k a_k cos(2 pi k n / M)
_COSINE_WINDOWS = {
    "hann": (0.5, 0.5),
    "hanning": (0.5, 0.5),
    "hamming": (0.54, 0.46),
    "blackman": (0.42, 0.5, 0.08),
    "rectangular": (1.0,),
    "boxcar": (1.0,),
}

#: pad modes that make no sense for centring frames (as in librosa.stft)
_UNSUPPORTED_PAD_MODES = ("wrap", "maximum", "mean", "median", "minimum")

#: bytes of windowed frames transformed at once by stft (fits in a typical L2 cache)
_STFT_BLOCK_BYTES = 2**19


# --------------------------------------------------------------------------- helpers
def _check_positive_int(value: Any, name: str) -> int:
    """Return ``value`` if it is a positive integer, else raise ParameterError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ParameterError(f"{name}={value!r} must be a positive integer")
    return int(value)


def _check_stft(n_fft: Any, hop_length: Any, win_length: Any) -> tuple[int, int, int]:
    """Validate STFT sizes as librosa does; return ``(n_fft, hop_length, win_length)``.

    ``win_length`` defaults to ``n_fft`` and must not exceed it; ``hop_length``
    defaults to ``win_length // 4``.  Shared by :func:`stft` and
    :class:`machinehearing.transforms.Spectrogram`.
    """
    n_fft = _check_positive_int(n_fft, "n_fft")
    win_length = n_fft if win_length is None else _check_positive_int(win_length, "win_length")
    if win_length > n_fft:
        raise ParameterError(f"win_length={win_length} must be <= n_fft={n_fft}")
    if hop_length is None:
        hop_length = win_length // 4
        if hop_length == 0:
            raise ParameterError(
                f"win_length={win_length} is too short for the default hop "
                "(win_length // 4 = 0): pass hop_length"
            )
    return n_fft, _check_positive_int(hop_length, "hop_length"), win_length


def _check_pad_mode(pad_mode: Any) -> str:
    """Reject the numpy.pad modes that make no sense for centring frames (as librosa.stft)."""
    if pad_mode in _UNSUPPORTED_PAD_MODES:
        raise ParameterError(
            f"pad_mode={pad_mode!r} is not supported by stft: use 'constant' or 'reflect'"
        )
    return pad_mode


def _normalize(S: np.ndarray, *, norm: float | None, axis: int) -> np.ndarray:
    """Scale slices of ``S`` along ``axis`` to unit ``norm`` (= librosa.util.normalize).

    ``norm`` is ``np.inf`` (max), ``-np.inf`` (min), ``0`` (count of non-zeros),
    a positive p for the p-norm, or None (no scaling).  Slices whose norm is below
    the smallest positive float (silence) are left as they are, so the result is
    always finite.
    """
    if norm is None:
        return S
    mag = np.abs(S).astype(np.float64)
    if norm == np.inf:
        length = np.max(mag, axis=axis, keepdims=True)
    elif norm == -np.inf:
        length = np.min(mag, axis=axis, keepdims=True)
    elif norm == 0:
        length = np.sum(mag > 0, axis=axis, keepdims=True, dtype=np.float64)
    elif isinstance(norm, (int, float, np.number)) and not isinstance(norm, bool) and norm > 0:
        length = np.sum(mag**norm, axis=axis, keepdims=True) ** (1.0 / norm)
    else:
        raise ParameterError(
            f"norm={norm!r} is not supported: use np.inf, -np.inf, 0, a positive number or None"
        )
    length[length < np.finfo(S.dtype).tiny] = 1.0
    return (S / length).astype(S.dtype, copy=False)


def _spectrogram(
    *,
    y: np.ndarray | None,
    S: np.ndarray | None,
    n_fft: int,
    hop_length: int,
    power: float,
    win_length: int | None = None,
    window: Any = "hann",
    center: bool = True,
    pad_mode: str = "constant",
) -> tuple[np.ndarray, int]:
    """Return ``(|STFT(y)|**power, n_fft)``, or ``(S, n_fft inferred from S)`` when S is given."""
    if S is not None:
        S = np.asarray(S)
        if n_fft is None or n_fft // 2 + 1 != S.shape[-2]:
            n_fft = 2 * (S.shape[-2] - 1)
        return S, n_fft
    if y is None:
        raise ParameterError("give either the audio y or a spectrogram S (both are None)")
    X = stft(
        y,
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
    )
    if power == 2:  # |X|^2 without the square root inside abs()
        S = X.real**2 + X.imag**2
    else:
        S = np.abs(X) ** power
    return S, n_fft


def _check_nonnegative_real(S: np.ndarray, what: str) -> None:
    if not np.isrealobj(S):
        raise ParameterError(f"{what} is only defined for a real-valued S: pass np.abs(S)")
    if np.any(S < 0):
        raise ParameterError(f"{what} is only defined for non-negative S (energies)")


def _column(freq: np.ndarray | None, *, sr: float, n_fft: int, n_bins: int) -> np.ndarray:
    """Frequencies of the spectrogram rows, as a column that broadcasts over frames."""
    freq = fft_frequencies(sr=sr, n_fft=n_fft) if freq is None else np.asarray(freq)
    if freq.ndim == 1:
        if len(freq) != n_bins:
            raise ParameterError(f"freq has {len(freq)} entries, expected S.shape[-2]={n_bins}")
        freq = freq[:, np.newaxis]
    return freq


# --------------------------------------------------------------------------- windows / STFT
def get_window(
    window: str | tuple | float | Callable | np.ndarray, Nx: int, *, fftbins: bool = True
) -> np.ndarray:
    """Return a window of length ``Nx`` (= librosa.filters.get_window).

    The cosine windows are written out here from their definition
    ``w[n] = sum_k (-1)^k a_k cos(2 pi k n / M)``, ``n = 0 .. Nx-1``:

    ==============  ======================
    hann            a = (0.5, 0.5)
    hamming         a = (0.54, 0.46)
    blackman        a = (0.42, 0.5, 0.08)
    rectangular     a = (1,)  (alias boxcar)
    ==============  ======================

    with ``M = Nx`` for a periodic window (``fftbins=True``, the one to use
    before an FFT) and ``M = Nx - 1`` for a symmetric one (filter design).
    Other names and tuples with parameters, e.g. ``("kaiser", 8.0)``, are passed
    to :func:`scipy.signal.get_window`.

    Parameters
    ----------
    window : str, tuple, number, callable or np.ndarray
        Window name or specification, a function ``f(Nx) -> window``, or the
        window samples themselves (length ``Nx``).
    Nx : int > 0
        Window length in samples.
    fftbins : bool
        Periodic (True) or symmetric (False) window.

    Returns
    -------
    window : np.ndarray [shape=(Nx,)]

    Examples
    --------
    >>> get_window("hann", 4)
    array([0. , 0.5, 1. , 0.5])
    >>> get_window("hann", 5, fftbins=False)
    array([0. , 0.5, 1. , 0.5, 0. ])
    """
    Nx = _check_positive_int(Nx, "Nx")
    if callable(window):
        return np.asarray(window(Nx))
    if isinstance(window, str) and window.lower() in _COSINE_WINDOWS:
        coefficients = _COSINE_WINDOWS[window.lower()]
        if Nx == 1:
            return np.ones(1)
        M = Nx if fftbins else Nx - 1
        n = np.arange(Nx)
        return sum(
            (-1) ** k * a_k * np.cos(2 * np.pi * k * n / M) for k, a_k in enumerate(coefficients)
        )
    if isinstance(window, (str, tuple)) or np.isscalar(window):
        try:
            return scipy.signal.get_window(window, Nx, fftbins=fftbins)
        except (ValueError, TypeError) as exc:
            raise ParameterError(
                f"window={window!r} is not a known window: use one of "
                f"{', '.join(sorted(_COSINE_WINDOWS))}, another scipy.signal.get_window name, "
                "a tuple such as ('kaiser', 8.0), a callable or an array of length Nx"
            ) from exc
    window = np.asarray(window)
    if window.shape != (Nx,):
        raise ParameterError(f"window array has shape {window.shape}, expected ({Nx},)")
    return window


def fft_frequencies(*, sr: float = 22050, n_fft: int = 2048) -> np.ndarray:
    """Centre frequency of each FFT bin: ``k * sr / n_fft`` for ``k = 0, 1, ..., n_fft // 2``.

    Parameters
    ----------
    sr : number > 0
        Sampling rate.
    n_fft : int > 0
        FFT size.

    Returns
    -------
    freqs : np.ndarray [shape=(1 + n_fft // 2,)]

    Examples
    --------
    >>> fft_frequencies(sr=8000, n_fft=8)
    array([   0., 1000., 2000., 3000., 4000.])
    """
    n_fft = _check_positive_int(n_fft, "n_fft")
    return np.fft.rfftfreq(n=n_fft, d=1.0 / sr)


def stft(
    y: np.ndarray,
    *,
    n_fft: int = 2048,
    hop_length: int | None = None,
    win_length: int | None = None,
    window: Any = "hann",
    center: bool = True,
    pad_mode: str = "constant",
) -> np.ndarray:
    """Short-time Fourier transform (= librosa.stft).

    The signal is cut into frames of ``n_fft`` samples every ``hop_length``
    samples (a strided view, no copy), each frame is multiplied by the window
    and transformed with a real FFT::

        X[k, t] = sum_{n=0}^{n_fft-1} w[n] y[t * hop_length + n] exp(-2j pi k n / n_fft)

    The window has ``win_length`` samples, zero-padded on both sides to
    ``n_fft``.  With ``center=True`` the signal is first padded by
    ``n_fft // 2`` samples on each side so that frame ``t`` is centred at
    ``y[t * hop_length]``.  The FFT is computed in double precision (as librosa
    does) and returned as complex64 for float32 input.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)]
        Real-valued audio, time on the last axis.
    n_fft : int > 0
        FFT size (frame length after padding the window).
    hop_length : int > 0 or None
        Samples between frames; default ``win_length // 4``.
    win_length : int <= n_fft or None
        Window length; default ``n_fft``.
    window : str, tuple, callable or np.ndarray
        See :func:`get_window`.
    center : bool
        Centre the frames on ``y[t * hop_length]``.
    pad_mode : str
        :func:`numpy.pad` mode used when ``center=True``.

    Returns
    -------
    X : np.ndarray [shape=(..., 1 + n_fft // 2, n_frames), complex]

    Examples
    --------
    >>> import numpy as np
    >>> y = np.sin(2 * np.pi * 1000 * np.arange(8000) / 8000).astype(np.float32)
    >>> X = stft(y, n_fft=512, hop_length=128)
    >>> X.shape, X.dtype
    ((257, 63), dtype('complex64'))
    >>> int(np.abs(X[:, 10]).argmax())  # bin of 1000 Hz = 1000 * 512 / 8000
    64
    """
    y = validate_audio(y)
    n_fft, hop_length, win_length = _check_stft(n_fft, hop_length, win_length)

    # the analysis window, zero-padded to n_fft so that it sits in the middle of the frame
    w = np.asarray(get_window(window, win_length, fftbins=True), dtype=np.float64)
    left = (n_fft - win_length) // 2
    w = np.pad(w, (left, n_fft - win_length - left))

    if center:
        _check_pad_mode(pad_mode)
        if n_fft > y.shape[-1]:
            warnings.warn(
                f"n_fft={n_fft} is too large for input signal of length={y.shape[-1]}",
                stacklevel=2,
            )
        padding = [(0, 0)] * (y.ndim - 1) + [(n_fft // 2, n_fft // 2)]
        y = np.pad(y, padding, mode=pad_mode)
    elif n_fft > y.shape[-1]:
        raise ParameterError(
            f"n_fft={n_fft} is too large for uncentered analysis of a signal of length "
            f"{y.shape[-1]}: use center=True or a smaller n_fft"
        )

    # (..., n_frames, n_fft): a strided view of y, one frame per row
    frames = frame(y, frame_length=n_fft, hop_length=hop_length).swapaxes(-1, -2)
    n_frames = frames.shape[-2]
    X = np.empty((*frames.shape[:-1], 1 + n_fft // 2), dtype=np.result_type(y.dtype, np.complex64))
    # Window and transform a block of frames at a time so that the windowed copy stays in
    # the CPU cache; the FFT runs along the contiguous last axis.  The float64 window makes
    # the FFT run in double precision, like librosa's: a float32 FFT would blur the weak bins.
    block = max(1, _STFT_BLOCK_BYTES // (8 * n_fft))
    for start in range(0, n_frames, block):
        X[..., start : start + block, :] = np.fft.rfft(
            frames[..., start : start + block, :] * w, axis=-1
        )
    return X.swapaxes(-1, -2)


def magnitude_spectrum(
    y: np.ndarray, sr: float, *, n_fft: int | None = None, window: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """One-sided magnitude spectrum ``|FFT(w * y)|`` of a whole signal, with its frequency axis.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono signal.
    sr : number > 0
        Sampling rate.
    n_fft : int > 0 or None
        FFT size (the signal is zero-padded or truncated to it); default ``len(y)``.
    window : str, tuple, callable, np.ndarray or None
        Window applied to ``y`` before the FFT (see :func:`get_window`);
        None means rectangular (no window).

    Returns
    -------
    freqs : np.ndarray [shape=(1 + n_fft // 2,)]
        Bin frequencies in Hz, ``k * sr / n_fft``.
    magnitude : np.ndarray [shape=(1 + n_fft // 2,)]
        ``|X[k]|`` (not scaled: a full-scale sine of length ``n`` at a bin
        frequency peaks at ``n / 2``).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.sin(2 * np.pi * 100 * np.arange(1000) / 1000)
    >>> freqs, mag = magnitude_spectrum(y, 1000)
    >>> float(freqs[mag.argmax()]), round(float(mag.max()), 3)
    (100.0, 500.0)
    """
    y = validate_audio(y, mono=True)
    if not sr > 0:
        raise ParameterError(f"sr={sr} must be a positive sampling rate")
    n_fft = len(y) if n_fft is None else _check_positive_int(n_fft, "n_fft")
    w = 1.0 if window is None else np.asarray(get_window(window, len(y)), dtype=np.float64)
    magnitude = np.abs(np.fft.rfft(y * w, n=n_fft))
    return fft_frequencies(sr=sr, n_fft=n_fft), magnitude.astype(y.dtype, copy=False)


# --------------------------------------------------------------------------- decibels
def power_to_db(
    S: np.ndarray,
    *,
    ref: float | Callable = 1.0,
    amin: float = 1e-10,
    top_db: float | None = 80.0,
) -> np.ndarray:
    """Convert a power spectrogram to decibels: ``10 log10(max(S, amin) / ref)`` (= librosa).

    Parameters
    ----------
    S : np.ndarray
        Non-negative power values (a complex input is replaced by its magnitude, with
        a warning).
    ref : number or callable
        Reference power (0 dB); a callable such as ``np.max`` is applied to ``S``.
    amin : float > 0
        Floor on ``S`` and ``ref`` so that silence gives finite values.
    top_db : float >= 0 or None
        Clip the output to at most ``top_db`` below its maximum.

    Returns
    -------
    S_db : np.ndarray

    Examples
    --------
    >>> import numpy as np
    >>> power_to_db(np.array([1.0, 0.1, 0.0]))
    array([  0., -10., -80.])
    >>> power_to_db(np.array([4.0, 2.0]), ref=np.max).round(2)
    array([ 0.  , -3.01])
    """
    S = np.asarray(S)
    if amin <= 0:
        raise ParameterError(f"amin={amin} must be strictly positive")
    if np.iscomplexobj(S):
        warnings.warn(
            "power_to_db was called on complex input: phase is discarded; "
            "pass np.abs(S)**2 instead",
            stacklevel=2,
        )
        magnitude = np.abs(S)
    else:
        magnitude = S
    ref_value = ref(magnitude) if callable(ref) else np.abs(ref)
    log_spec = 10.0 * np.log10(np.maximum(amin, magnitude))
    log_spec -= 10.0 * np.log10(np.maximum(amin, ref_value))
    if top_db is not None:
        if top_db < 0:
            raise ParameterError(f"top_db={top_db} must be non-negative")
        log_spec = np.maximum(log_spec, log_spec.max() - top_db)
    return log_spec


def amplitude_to_db(
    S: np.ndarray,
    *,
    ref: float | Callable = 1.0,
    amin: float = 1e-5,
    top_db: float | None = 80.0,
) -> np.ndarray:
    """Convert an amplitude spectrogram to decibels: ``20 log10(max(|S|, amin) / ref)``.

    Equal to ``power_to_db(|S|**2, ref=ref**2, amin=amin**2, top_db=top_db)``.

    Parameters
    ----------
    S : np.ndarray
        Amplitudes (complex input: its magnitude is used, with a warning).
    ref : number or callable
        Reference amplitude (0 dB), or a callable such as ``np.max``.
    amin : float > 0
        Floor on ``|S|``.
    top_db : float >= 0 or None
        Clip the output to at most ``top_db`` below its maximum.

    Returns
    -------
    S_db : np.ndarray

    Examples
    --------
    >>> import numpy as np
    >>> amplitude_to_db(np.array([1.0, 0.1, 0.0]))
    array([  0., -20., -80.])
    """
    S = np.asarray(S)
    if amin <= 0:
        raise ParameterError(f"amin={amin} must be strictly positive")
    if np.iscomplexobj(S):
        warnings.warn(
            "amplitude_to_db was called on complex input: phase is discarded; "
            "pass np.abs(S) instead",
            stacklevel=2,
        )
    magnitude = np.abs(S)
    ref_value = ref(magnitude) if callable(ref) else np.abs(ref)
    return power_to_db(np.square(magnitude), ref=ref_value**2, amin=amin**2, top_db=top_db)


def db_to_power(S_db: np.ndarray, *, ref: float = 1.0) -> np.ndarray:
    """Invert :func:`power_to_db`: ``ref * 10 ** (S_db / 10)``.

    Parameters
    ----------
    S_db : np.ndarray
        Decibel values.
    ref : float > 0
        The reference power used in the conversion to dB.

    Returns
    -------
    S : np.ndarray

    Examples
    --------
    >>> import numpy as np
    >>> db_to_power(np.array([0.0, -10.0, 20.0]))
    array([  1. ,   0.1, 100. ])
    """
    return ref * np.power(10.0, 0.1 * np.asarray(S_db))


def db_to_amplitude(S_db: np.ndarray, *, ref: float = 1.0) -> np.ndarray:
    """Invert :func:`amplitude_to_db`: ``ref * 10 ** (S_db / 20)``.

    Parameters
    ----------
    S_db : np.ndarray
        Decibel values.
    ref : float > 0
        The reference amplitude.

    Returns
    -------
    S : np.ndarray

    Examples
    --------
    >>> import numpy as np
    >>> db_to_amplitude(np.array([0.0, -20.0]))
    array([1. , 0.1])
    """
    return db_to_power(S_db, ref=ref**2) ** 0.5


# --------------------------------------------------------------------------- descriptors
def spectral_centroid(
    *,
    y: np.ndarray | None = None,
    sr: float = 22050,
    S: np.ndarray | None = None,
    n_fft: int = 2048,
    hop_length: int = 512,
    freq: np.ndarray | None = None,
    win_length: int | None = None,
    window: Any = "hann",
    center: bool = True,
    pad_mode: str = "constant",
) -> np.ndarray:
    """Spectral centroid: the magnitude-weighted mean frequency of each frame.

    ``centroid[t] = sum_k f[k] S[k, t] / sum_k S[k, t]``, with ``S = |STFT(y)|``.
    A silent frame has centroid 0.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)] or None
        Audio; used when ``S`` is None.
    sr : number > 0
        Sampling rate.
    S : np.ndarray [shape=(..., d, t)] or None
        Magnitude spectrogram (non-negative).
    n_fft, hop_length, win_length, window, center, pad_mode
        STFT parameters, see :func:`stft`.
    freq : np.ndarray [shape=(d,)] or None
        Frequency of each row of ``S``; default :func:`fft_frequencies`.

    Returns
    -------
    centroid : np.ndarray [shape=(..., 1, t)]

    Examples
    --------
    >>> import numpy as np
    >>> sr = 8000
    >>> y = np.sin(2 * np.pi * 1000 * np.arange(sr) / sr)
    >>> round(float(np.median(spectral_centroid(y=y, sr=sr, n_fft=256, hop_length=64))))
    1000
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
    _check_nonnegative_real(S, "spectral centroid")
    freq = _column(freq, sr=sr, n_fft=n_fft, n_bins=S.shape[-2])
    return np.sum(freq * _normalize(S, norm=1, axis=-2), axis=-2, keepdims=True)


def spectral_bandwidth(
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
    freq: np.ndarray | None = None,
    centroid: np.ndarray | None = None,
    norm: bool = True,
    p: float = 2,
) -> np.ndarray:
    """Spectral bandwidth of order ``p``: the spread of frequencies around the centroid.

    ``bandwidth[t] = (sum_k S[k, t] |f[k] - centroid[t]|^p) ** (1/p)``, with each
    column of ``S`` normalised to sum 1 when ``norm=True``.

    Parameters
    ----------
    y, sr, S, n_fft, hop_length, win_length, window, center, pad_mode, freq
        As in :func:`spectral_centroid`.
    centroid : np.ndarray [shape=(..., 1, t)] or None
        Pre-computed centroid.
    norm : bool
        Normalise each frame to unit sum.
    p : float > 0
        Order of the deviation (2: standard deviation).

    Returns
    -------
    bandwidth : np.ndarray [shape=(..., 1, t)]

    Examples
    --------
    >>> import numpy as np
    >>> S = np.array([[1.0], [0.0], [1.0]])  # energy at 0 Hz and 2 Hz
    >>> spectral_bandwidth(S=S, freq=np.array([0.0, 1.0, 2.0]))
    array([[1.]])
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
    _check_nonnegative_real(S, "spectral bandwidth")
    if centroid is None:
        centroid = spectral_centroid(sr=sr, S=S, n_fft=n_fft, freq=freq)
    freq = _column(freq, sr=sr, n_fft=n_fft, n_bins=S.shape[-2])
    deviation = np.abs(freq - centroid)
    if norm:
        S = _normalize(S, norm=1, axis=-2)
    return np.sum(S * deviation**p, axis=-2, keepdims=True) ** (1.0 / p)


def spectral_rolloff(
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
    freq: np.ndarray | None = None,
    roll_percent: float = 0.85,
) -> np.ndarray:
    """Roll-off frequency: the lowest frequency below which ``roll_percent`` of the energy lies.

    Parameters
    ----------
    y, sr, S, n_fft, hop_length, win_length, window, center, pad_mode, freq
        As in :func:`spectral_centroid`.
    roll_percent : float in (0, 1)
        Fraction of the frame's total magnitude.

    Returns
    -------
    rolloff : np.ndarray [shape=(..., 1, t)]

    Examples
    --------
    >>> import numpy as np
    >>> S = np.array([[1.0], [1.0], [1.0], [1.0]])
    >>> spectral_rolloff(S=S, freq=np.array([0.0, 10.0, 20.0, 30.0]), roll_percent=0.5)
    array([[10.]])
    """
    if not 0.0 < roll_percent < 1.0:
        raise ParameterError(f"roll_percent={roll_percent} must lie in the range (0, 1)")
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
    _check_nonnegative_real(S, "spectral roll-off")
    freq = _column(freq, sr=sr, n_fft=n_fft, n_bins=S.shape[-2])
    total_energy = np.cumsum(S, axis=-2)
    threshold = roll_percent * total_energy[..., -1:, :]
    # frequencies of the bins where the cumulative energy has reached the threshold
    reached = np.where(total_energy < threshold, np.nan, 1.0)
    return np.nanmin(reached * freq, axis=-2, keepdims=True)


def _contrast_bands(
    freq: np.ndarray, *, sr: float, fmin: float, n_bands: int, quantile: float
) -> list[tuple[np.ndarray, int]]:
    """The bands of :func:`spectral_contrast`: for each, the bins sorted and the count ``n_q``
    of bins averaged into its peak and valley (as librosa).

    Band 0 holds the frequencies up to ``fmin``, band ``k`` those in
    ``[fmin 2**(k-1), fmin 2**k]`` plus the bin below, the last band everything up to
    Nyquist; the top bin of every band but the last is left out of the sort, but counted
    in ``n_q = max(rint(quantile * bins counted), 1)``.  Shared by the NumPy reference and
    :class:`machinehearing.transforms.SpectralContrast`.
    """
    n_bands = _check_positive_int(n_bands, "n_bands")
    if not 0.0 < quantile < 1.0:
        raise ParameterError(f"quantile={quantile} must lie in the range (0, 1)")
    if not fmin > 0:
        raise ParameterError(f"fmin={fmin} must be a positive frequency")
    edges = np.zeros(n_bands + 2)
    edges[1:] = fmin * 2.0 ** np.arange(n_bands + 1)
    if np.any(edges[:-1] >= 0.5 * sr):
        raise ParameterError(
            f"the top band (from {edges[-2]:g} Hz) exceeds the Nyquist frequency {sr / 2:g} Hz: "
            "reduce fmin or n_bands"
        )
    bands = []
    for k, (f_low, f_high) in enumerate(zip(edges[:-1], edges[1:])):
        in_band = (freq >= f_low) & (freq <= f_high)
        idx = np.flatnonzero(in_band)
        if idx.size == 0:
            raise ParameterError(
                f"spectral contrast band {k} ({f_low:g}-{f_high:g} Hz) holds no frequency bin: "
                "use a larger n_fft or a larger fmin"
            )
        if k > 0:  # bands share their lower edge bin with the band below
            in_band[idx[0] - 1] = True
        if k == n_bands:  # the last band runs up to Nyquist
            in_band[idx[-1] + 1 :] = True
        bins = np.flatnonzero(in_band)
        n_q = max(int(np.rint(quantile * bins.size)), 1)
        bands.append((bins if k == n_bands else bins[:-1], n_q))
    return bands


def spectral_contrast(
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
    freq: np.ndarray | None = None,
    fmin: float = 200.0,
    n_bands: int = 6,
    quantile: float = 0.02,
    linear: bool = False,
) -> np.ndarray:
    """Spectral contrast: peak-to-valley level difference in octave bands (Jiang et al., 2002).

    The spectrum is split into ``n_bands + 1`` bands (below ``fmin``, then octaves
    ``fmin * 2**k``).  In each band the mean of the top ``quantile`` of the
    magnitudes (peak) is compared with the mean of the bottom ``quantile``
    (valley), in dB (``power_to_db(peak) - power_to_db(valley)``, as librosa does).

    Parameters
    ----------
    y, sr, S, n_fft, hop_length, win_length, window, center, pad_mode, freq
        As in :func:`spectral_centroid`.
    fmin : float > 0
        Upper edge of the first band.
    n_bands : int > 0
        Number of octave bands above ``fmin``.
    quantile : float in (0, 1)
        Fraction of each band used for the peak and the valley.
    linear : bool
        Return ``peak - valley`` in linear units instead of dB.

    Returns
    -------
    contrast : np.ndarray [shape=(..., n_bands + 1, t)]

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.standard_normal(22050).astype(np.float32)
    >>> spectral_contrast(y=y, sr=22050).shape
    (7, 44)
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
    freq = fft_frequencies(sr=sr, n_fft=n_fft) if freq is None else np.atleast_1d(freq)
    if freq.ndim != 1 or len(freq) != S.shape[-2]:
        raise ParameterError(f"freq must have shape ({S.shape[-2]},), got {freq.shape}")
    bands = _contrast_bands(freq, sr=sr, fmin=fmin, n_bands=n_bands, quantile=quantile)
    shape = list(S.shape)
    shape[-2] = len(bands)
    valley = np.zeros(shape)
    peak = np.zeros(shape)
    for k, (bins, n_q) in enumerate(bands):
        ordered = np.sort(S[..., bins, :], axis=-2)
        valley[..., k, :] = np.mean(ordered[..., :n_q, :], axis=-2)
        peak[..., k, :] = np.mean(ordered[..., -n_q:, :], axis=-2)
    if linear:
        return peak - valley
    return power_to_db(peak) - power_to_db(valley)


def zero_crossing_rate(
    y: np.ndarray,
    *,
    frame_length: int = 2048,
    hop_length: int = 512,
    center: bool = True,
    threshold: float = 1e-10,
) -> np.ndarray:
    """Fraction of sign changes between consecutive samples in each frame (= librosa).

    Samples with ``|y| <= threshold`` count as zero, and zero counts as positive.
    With ``center=True`` the signal is padded by repeating its edge samples.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)]
        Audio.
    frame_length, hop_length : int > 0
        Frame size and hop in samples.
    center : bool
        Centre frame ``t`` on ``y[t * hop_length]``.
    threshold : float >= 0
        Magnitudes at or below this are treated as zero.

    Returns
    -------
    zcr : np.ndarray [shape=(..., 1, t)]

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([1.0, -1.0] * 8)  # a sign change at every step
    >>> zero_crossing_rate(y, frame_length=4, hop_length=4, center=False)
    array([[0.75, 0.75, 0.75, 0.75]])
    """
    y = validate_audio(y)
    if center:
        padding = [(0, 0)] * (y.ndim - 1) + [(frame_length // 2, frame_length // 2)]
        y = np.pad(y, padding, mode="edge")
    frames = frame(y, frame_length=frame_length, hop_length=hop_length)
    negative = np.signbit(np.where(np.abs(frames) <= threshold, 0.0, frames))
    crossings = negative[..., 1:, :] != negative[..., :-1, :]
    # the first sample of a frame has no predecessor: it never counts as a crossing,
    # but it does count in the frame's length
    return np.sum(crossings, axis=-2, keepdims=True) / frame_length


def rms(
    *,
    y: np.ndarray | None = None,
    S: np.ndarray | None = None,
    frame_length: int = 2048,
    hop_length: int = 512,
    center: bool = True,
    pad_mode: str = "constant",
    dtype: DTypeLike = np.float32,
) -> np.ndarray:
    """Root-mean-square energy of each frame, from the waveform or from a spectrogram.

    From ``y``: ``sqrt(mean(frame ** 2))``.  From ``S = |STFT|`` (computed with a
    rectangular window, ``n_fft = frame_length``) by Parseval's theorem:
    ``sqrt(2 sum_k |S[k]|^2 / frame_length^2)`` with the DC and Nyquist bins halved.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)] or None
        Audio.
    S : np.ndarray [shape=(..., 1 + frame_length // 2, t)] or None
        Magnitude spectrogram (used when ``y`` is None).
    frame_length, hop_length : int > 0
        Frame size and hop in samples.
    center : bool
        Pad ``y`` by ``frame_length // 2`` on each side first.
    pad_mode : str
        :func:`numpy.pad` mode for the centring.
    dtype : numeric type
        Precision of the squares.

    Returns
    -------
    rms : np.ndarray [shape=(..., 1, t)]

    Examples
    --------
    >>> import numpy as np
    >>> rms(y=np.full(8, 0.5), frame_length=4, hop_length=4, center=False)
    array([[0.5, 0.5]], dtype=float32)
    """
    if y is not None:
        y = validate_audio(y)
        if center:
            padding = [(0, 0)] * (y.ndim - 1) + [(frame_length // 2, frame_length // 2)]
            y = np.pad(y, padding, mode=pad_mode)
        x = frame(y, frame_length=frame_length, hop_length=hop_length)
        power = np.mean(np.square(x, dtype=dtype), axis=-2, keepdims=True)
    elif S is not None:
        S = np.asarray(S)
        if S.shape[-2] != frame_length // 2 + 1:
            raise ParameterError(
                f"S.shape[-2] is {S.shape[-2]}, so frame_length must be {2 * S.shape[-2] - 2} "
                f"or {2 * S.shape[-2] - 1}; got frame_length={frame_length}"
            )
        if np.iscomplexobj(S):
            x = (S.real**2 + S.imag**2).astype(dtype)
        else:
            x = np.square(S, dtype=dtype)
        x[..., 0, :] *= 0.5  # DC appears once in the two-sided spectrum
        if frame_length % 2 == 0:
            x[..., -1, :] *= 0.5  # so does Nyquist
        power = 2 * np.sum(x, axis=-2, keepdims=True) / frame_length**2
    else:
        raise ParameterError("give either the audio y or a spectrogram S (both are None)")
    return np.sqrt(power)
