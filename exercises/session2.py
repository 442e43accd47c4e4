"""Session 2 — features: the mel scale, mel spectrograms, MFCCs, deltas and images.

You build the features a classifier sees, with NumPy only, mirroring
:mod:`machinehearing.features` (and librosa, whose names and defaults it keeps).
Two helpers are given (you wrote them in session 1): :func:`power_spectrogram` and
:func:`power_to_db`.

Check your work with ``machinehearing check 2``. Do not call librosa, scipy.fft,
torch or :mod:`machinehearing.features` inside the graded functions: the grader
detects it and scores the exercise 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "power_spectrogram",
    "power_to_db",
    "hz_to_mel",
    "mel_to_hz",
    "mel_filterbank",
    "melspectrogram",
    "mfcc",
    "delta",
    "to_image",
    "stack_features",
]

# Slaney's mel scale: linear (200/3 Hz per mel) below 1 kHz, logarithmic above.
_F_SP = 200.0 / 3.0
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOGSTEP = np.log(6.4) / 27.0


def power_spectrogram(y: np.ndarray, *, n_fft: int = 2048, hop_length: int = 512) -> np.ndarray:
    """Power spectrogram ``|STFT|**2`` (periodic Hann window, centred frames). Given.

    Examples
    --------
    >>> power_spectrogram(np.zeros(22050)).shape
    (1025, 44)
    """
    y = np.pad(np.asarray(y, dtype=np.float64), n_fft // 2)
    n_frames = 1 + (y.shape[0] - n_fft) // hop_length
    frames = y[np.arange(n_fft)[:, None] + hop_length * np.arange(n_frames)[None, :]]
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n_fft) / n_fft)
    return np.abs(np.fft.rfft(window[:, None] * frames, axis=0)) ** 2


def power_to_db(S: np.ndarray, *, amin: float = 1e-10, top_db: float = 80.0) -> np.ndarray:
    """Power to decibels with ``ref=1.0`` (session 1's ``power_to_db``). Given.

    Examples
    --------
    >>> power_to_db(np.array([1.0, 100.0]))
    array([ 0., 20.])
    """
    S_db = 10.0 * np.log10(np.maximum(amin, S))
    return np.maximum(S_db, S_db.max() - top_db)


def hz_to_mel(frequencies: float | np.ndarray, *, htk: bool = False) -> np.ndarray:
    """Convert frequencies in Hz to mels.

    * ``htk=True``: ``m = 2595 * log10(1 + f / 700)``.
    * ``htk=False`` (Slaney, librosa's default): linear below 1 kHz,
      ``m = f / (200 / 3)``; logarithmic above, ``m = 15 + log(f / 1000) / (log(6.4) / 27)``.

    Pitfalls: the default is Slaney, not HTK; use ``np.log`` (natural log) in the
    Slaney branch and ``np.log10`` in the HTK one; work element-wise on arrays
    (``np.where`` or a boolean mask, not an ``if`` on the array).

    Parameters
    ----------
    frequencies : float or np.ndarray
        Frequencies in Hz (any shape).
    htk : bool
        Use the HTK formula instead of Slaney's.

    Returns
    -------
    np.ndarray, same shape as ``frequencies``

    Examples
    --------
    >>> float(np.round(hz_to_mel(1000.0), 6))
    15.0
    >>> float(np.round(hz_to_mel(1000.0, htk=True), 2))
    999.99
    """
    # YOUR CODE HERE
    raise NotImplementedError("hz_to_mel: your code here (see the docstring)")


def mel_to_hz(mels: float | np.ndarray, *, htk: bool = False) -> np.ndarray:
    """Convert mels to frequencies in Hz: the inverse of :func:`hz_to_mel`.

    * ``htk=True``: ``f = 700 * (10 ** (m / 2595) - 1)``.
    * ``htk=False``: ``f = (200 / 3) * m`` below 15 mels,
      ``f = 1000 * exp((log(6.4) / 27) * (m - 15))`` above.

    Pitfalls: the Slaney break point is 15 *mels* (= 1 kHz); ``mel_to_hz(hz_to_mel(f))``
    must give ``f`` back — test it.

    Parameters
    ----------
    mels : float or np.ndarray
        Mel values (any shape).
    htk : bool
        Use the HTK formula instead of Slaney's.

    Returns
    -------
    np.ndarray, same shape as ``mels``

    Examples
    --------
    >>> float(np.round(mel_to_hz(15.0), 6))
    1000.0
    """
    # YOUR CODE HERE
    raise NotImplementedError("mel_to_hz: your code here (see the docstring)")


def mel_filterbank(
    *,
    sr: float,
    n_fft: int,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: float | None = None,
    htk: bool = False,
    norm: str | None = "slaney",
) -> np.ndarray:
    """Triangular mel filterbank, ``(n_mels, 1 + n_fft // 2)`` (= ``librosa.filters.mel``).

    1. ``fmax = sr / 2`` when None. Place ``n_mels + 2`` edge frequencies equally
       spaced on the mel scale between ``fmin`` and ``fmax`` and convert them to Hz:
       ``edges = mel_to_hz(linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))``.
    2. FFT bin frequencies: ``k * sr / n_fft`` for ``k = 0, ..., n_fft // 2``.
    3. Filter ``i`` rises linearly from 0 at ``edges[i]`` to 1 at ``edges[i + 1]``
       and falls back to 0 at ``edges[i + 2]``:
       ``w = max(0, min((f - edges[i]) / (edges[i+1] - edges[i]),
       (edges[i+2] - f) / (edges[i+2] - edges[i+1])))``.
    4. ``norm="slaney"``: scale filter ``i`` by ``2 / (edges[i + 2] - edges[i])`` so
       every filter has the same area; ``norm=None`` keeps peaks at 1.

    Pitfalls: peaks at the wrong frequencies mean the wrong mel formula (HTK vs
    Slaney) or interpolating in Hz instead of mels; filters that are all 1 at the
    peak but should be smaller: forgotten ``norm``.

    Parameters
    ----------
    sr : float
        Sampling rate in Hz.
    n_fft : int
        FFT size.
    n_mels : int
        Number of filters.
    fmin, fmax : float
        Lowest and highest edge frequency in Hz (``fmax=None`` means ``sr / 2``).
    htk : bool
        Use the HTK mel formula.
    norm : {"slaney", None}
        Area normalisation.

    Returns
    -------
    np.ndarray, shape (n_mels, 1 + n_fft // 2), float32

    Examples
    --------
    >>> mel_filterbank(sr=22050, n_fft=2048).shape
    (128, 1025)
    """
    # YOUR CODE HERE
    raise NotImplementedError("mel_filterbank: your code here (see the docstring)")


def melspectrogram(
    y: np.ndarray, *, sr: float, n_fft: int = 2048, hop_length: int = 512, n_mels: int = 128
) -> np.ndarray:
    """Mel power spectrogram: the mel filterbank applied to ``|STFT|**2``.

    ``M = mel_filterbank(sr=sr, n_fft=n_fft, n_mels=n_mels) @ power_spectrogram(y)``
    (Slaney mel scale and norm, ``fmin=0``, ``fmax=sr/2``), like
    ``librosa.feature.melspectrogram`` with its defaults.

    Pitfalls: the filterbank multiplies the *power* (``|X|**2``), not the magnitude
    (a result too small by a power of 2 in dB = half the dB values); the filterbank
    goes on the left (``(n_mels, bins) @ (bins, frames)``).

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono signal.
    sr : float
        Sampling rate in Hz.
    n_fft, hop_length : int
        STFT parameters.
    n_mels : int
        Number of mel bands.

    Returns
    -------
    np.ndarray, shape (n_mels, n_frames)

    Examples
    --------
    >>> melspectrogram(np.zeros(22050), sr=22050).shape
    (128, 44)
    """
    # YOUR CODE HERE
    raise NotImplementedError("melspectrogram: your code here (see the docstring)")


def mfcc(
    y: np.ndarray,
    *,
    sr: float,
    n_mfcc: int = 20,
    n_fft: int = 2048,
    hop_length: int = 512,
    n_mels: int = 128,
) -> np.ndarray:
    """Mel-frequency cepstral coefficients (= ``librosa.feature.mfcc`` defaults).

    1. ``S = power_to_db(melspectrogram(y, sr=sr, ...))`` — log-power mel spectrogram
       (``ref=1``, ``top_db=80``).
    2. Orthonormal DCT-II along the mel axis, keep the first ``n_mfcc`` rows::

           C[k, n] = sqrt(2 / N) * cos(pi * k * (2 n + 1) / (2 N)),   N = n_mels
           C[0, :] = sqrt(1 / N)          # the orthonormal scaling of row 0
           mfcc = (C @ S)[:n_mfcc]

    Pitfalls: every coefficient off by a constant factor (or only row 0 off by
    ``sqrt(2)``) is the DCT normalisation; the DCT runs along the mel axis (rows),
    not along time; take the log *before* the DCT.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono signal.
    sr : float
        Sampling rate in Hz.
    n_mfcc : int
        Number of coefficients kept.
    n_fft, hop_length, n_mels : int
        Mel spectrogram parameters.

    Returns
    -------
    np.ndarray, shape (n_mfcc, n_frames)

    Examples
    --------
    >>> mfcc(np.zeros(22050), sr=22050).shape
    (20, 44)
    """
    # YOUR CODE HERE
    raise NotImplementedError("mfcc: your code here (see the docstring)")


def delta(data: np.ndarray, *, width: int = 9) -> np.ndarray:
    """First-order delta (local slope) of a feature along time (= ``librosa.feature.delta``).

    For frames away from the edges, with ``N = width // 2``::

        d[:, t] = sum_{n=-N}^{N} n * data[:, t + n]  /  sum_{n=-N}^{N} n**2

    (the slope of a least-squares line through the ``width`` frames around ``t``).
    At the edges (the first and last ``N`` frames) use the slope of the least-squares
    line through the first (resp. last) ``width`` frames — librosa's ``mode="interp"``.

    Pitfalls: the sign (``t + n`` with positive ``n`` is the future); dividing by
    ``width`` instead of ``sum n**2``; zero-padding the edges instead of ``interp``.

    Parameters
    ----------
    data : np.ndarray, shape (n_features, n_frames)
        Feature matrix, ``n_frames >= width``.
    width : int
        Odd window length, ``>= 3``.

    Returns
    -------
    np.ndarray, same shape as ``data``

    Examples
    --------
    >>> delta(np.arange(10.0)[None, :], width=3)
    array([[1., 1., 1., 1., 1., 1., 1., 1., 1., 1.]])
    """
    # YOUR CODE HERE
    raise NotImplementedError("delta: your code here (see the docstring)")


def to_image(feature: np.ndarray, size: tuple[int, int] = (128, 128)) -> np.ndarray:
    """Resize a 2-D feature to ``size`` (bilinear) and standardise it: a network input.

    1. Bilinear resize with *half-pixel centres* (``torch.nn.functional.interpolate(
       mode="bilinear", align_corners=False)``): output row ``i`` samples input row
       ``max(0, (i + 0.5) * rows_in / rows_out - 0.5)``, interpolating linearly between
       the two neighbouring rows (the last row is repeated past the edge); the same
       for columns.
    2. Standardise: subtract the mean and divide by the (population) standard
       deviation of the resized image; a constant image becomes all zeros.

    Pitfalls: ``align_corners=True``-style sampling (``i * (in - 1) / (out - 1)``)
    shifts every pixel; standardising before resizing changes the statistics.

    Sampling is exact for enlarging; when an axis shrinks by more than 2 it skips
    inputs (431 frames sampled at 128 columns ignore 41 % of them), so the library's
    ``features.to_image`` averages over each output pixel's area there
    (``antialias=True``); this exercise is the bilinear resize (``antialias=False``).

    Parameters
    ----------
    feature : np.ndarray, shape (rows, frames)
        A feature such as a log-mel spectrogram.
    size : tuple of int
        Output ``(height, width)``.

    Returns
    -------
    np.ndarray, shape ``size``, float32
        Zero mean, unit standard deviation.

    Examples
    --------
    >>> img = to_image(np.arange(12.0).reshape(3, 4), size=(6, 8))
    >>> img.shape, float(np.round(img.mean(), 6)), float(np.round(img.std(), 4))
    ((6, 8), 0.0, 1.0)
    """
    # YOUR CODE HERE
    raise NotImplementedError("to_image: your code here (see the docstring)")


def stack_features(images: Sequence[np.ndarray]) -> np.ndarray:
    """Stack ``C`` images of equal shape into one ``(C, H, W)`` float32 network input.

    Pitfalls: ``np.concatenate`` gives ``(C * H, W)``; stacking on the last axis gives
    ``(H, W, C)`` (the image-library layout, not PyTorch's); refuse images of
    different shapes with a ``ValueError`` naming the shapes.

    Parameters
    ----------
    images : sequence of np.ndarray, each (H, W)

    Returns
    -------
    np.ndarray, shape (C, H, W), float32

    Examples
    --------
    >>> stack_features([np.zeros((4, 5)), np.ones((4, 5))]).shape
    (2, 4, 5)
    """
    # YOUR CODE HERE
    raise NotImplementedError("stack_features: your code here (see the docstring)")
