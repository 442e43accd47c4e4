"""Session 1 — sound, spectra and spectrograms.

You implement the first steps of every machine-hearing pipeline with NumPy only:
a window, the magnitude spectrum of a whole clip, framing, the short-time Fourier
transform (STFT) and the conversion of power to decibels. Each function mirrors a
function of :mod:`machinehearing.features` (and of librosa), which the autograder
uses as the reference: same names, same defaults, same output shapes.

Check your work with ``machinehearing check 1`` (or ``python -m autograde check 1``).
Do not call librosa, scipy.signal or :mod:`machinehearing.features` inside these
functions: the grader detects it and scores the exercise 0.
"""

from __future__ import annotations

import numpy as np

__all__ = ["hann_window", "magnitude_spectrum", "frame_signal", "stft", "power_to_db"]


def hann_window(n: int) -> np.ndarray:
    """Periodic Hann window of length ``n``.

    The *periodic* window is the first ``n`` samples of a symmetric window of
    length ``n + 1``; it is the one to use before an FFT (``scipy.signal.get_window
    ("hann", n, fftbins=True)``, librosa's default)::

        w[k] = 0.5 - 0.5 * cos(2 * pi * k / n),    k = 0, ..., n - 1

    Pitfalls: dividing by ``n - 1`` gives the *symmetric* window (it ends with a
    0, the periodic one does not); a window of length 1 is ``[1.0]``.

    Parameters
    ----------
    n : int
        Number of samples, ``n >= 1``.

    Returns
    -------
    np.ndarray, shape (n,), float64
        The window.

    Examples
    --------
    >>> np.round(hann_window(4), 3)
    array([0. , 0.5, 1. , 0.5])
    """
    ### BEGIN SOLUTION
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if n == 1:
        return np.ones(1)
    k = np.arange(n)
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * k / n)
    ### END SOLUTION


def magnitude_spectrum(y: np.ndarray, sr: float) -> tuple[np.ndarray, np.ndarray]:
    """Magnitude spectrum of a whole signal, with its frequency axis in Hz.

    Take the real FFT of the (unwindowed) signal, ``Y = rfft(y)``, and return
    ``|Y|`` together with the frequency of each bin, ``f[k] = k * sr / len(y)``
    for ``k = 0, ..., len(y) // 2``.

    Pitfalls: ``np.fft.fft`` returns the negative frequencies too (keep the
    ``1 + len(y) // 2`` non-negative ones); the frequency step is ``sr / len(y)``,
    not ``1 / len(y)``.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono signal.
    sr : float
        Sampling rate in Hz.

    Returns
    -------
    freqs : np.ndarray, shape (1 + n // 2,)
        Bin frequencies in Hz, from 0 to ``sr / 2``.
    magnitude : np.ndarray, shape (1 + n // 2,)
        ``|rfft(y)|``.

    Examples
    --------
    >>> sr = 8000
    >>> t = np.arange(sr) / sr
    >>> freqs, mag = magnitude_spectrum(np.sin(2 * np.pi * 440 * t), sr)
    >>> float(freqs[np.argmax(mag)])
    440.0
    """
    ### BEGIN SOLUTION
    y = np.asarray(y, dtype=np.float64)
    magnitude = np.abs(np.fft.rfft(y))
    freqs = np.arange(magnitude.shape[0]) * sr / y.shape[0]
    return freqs, magnitude
    ### END SOLUTION


def frame_signal(y: np.ndarray, *, frame_length: int, hop_length: int) -> np.ndarray:
    """Slice a signal into overlapping frames, one frame per column.

    Frame ``t`` is ``y[t * hop_length : t * hop_length + frame_length]``; there are
    ``n_frames = 1 + (len(y) - frame_length) // hop_length`` complete frames (an
    incomplete last frame is dropped), like ``librosa.util.frame``.

    Pitfalls: the output is ``(frame_length, n_frames)`` — frames are *columns*;
    do not pad the signal here (padding is the job of ``stft(center=True)``).

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono signal with ``n >= frame_length``.
    frame_length : int
        Samples per frame.
    hop_length : int
        Samples between the starts of consecutive frames (``>= 1``).

    Returns
    -------
    np.ndarray, shape (frame_length, n_frames)

    Examples
    --------
    >>> frame_signal(np.arange(6.0), frame_length=3, hop_length=2)
    array([[0., 2.],
           [1., 3.],
           [2., 4.]])
    """
    ### BEGIN SOLUTION
    y = np.asarray(y)
    if hop_length < 1:
        raise ValueError(f"hop_length must be >= 1, got {hop_length}")
    if y.shape[-1] < frame_length:
        raise ValueError(f"len(y)={y.shape[-1]} is shorter than frame_length={frame_length}")
    n_frames = 1 + (y.shape[-1] - frame_length) // hop_length
    index = np.arange(frame_length)[:, None] + hop_length * np.arange(n_frames)[None, :]
    return y[index]
    ### END SOLUTION


def stft(
    y: np.ndarray, *, n_fft: int = 2048, hop_length: int = 512, center: bool = True
) -> np.ndarray:
    """Short-time Fourier transform with a periodic Hann window.

    1. If ``center``, pad ``n_fft // 2`` zeros on both sides of ``y`` so that frame
       ``t`` is centred on sample ``t * hop_length``.
    2. Cut the signal into frames of ``n_fft`` samples every ``hop_length`` samples.
    3. Multiply every frame by the periodic Hann window of length ``n_fft``.
    4. Take the real FFT of each frame (along the frame axis).

    Pitfalls: forgetting the ``center`` padding shifts the time axis by half a
    window and changes the number of frames; the window must be *periodic*; the
    result is complex — do not take its magnitude here.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono signal.
    n_fft : int
        FFT size = window length.
    hop_length : int
        Hop between frames in samples.
    center : bool
        Pad the signal with ``n_fft // 2`` zeros on each side first.

    Returns
    -------
    np.ndarray, shape (1 + n_fft // 2, n_frames), complex
        ``n_frames = 1 + len(y) // hop_length`` when ``center`` (librosa's count).

    Examples
    --------
    >>> stft(np.zeros(22050), n_fft=2048, hop_length=512).shape
    (1025, 44)
    """
    ### BEGIN SOLUTION
    y = np.asarray(y, dtype=np.float64)
    if center:
        y = np.pad(y, n_fft // 2, mode="constant")
    frames = frame_signal(y, frame_length=n_fft, hop_length=hop_length)
    window = hann_window(n_fft)[:, None]
    return np.fft.rfft(window * frames, axis=0)
    ### END SOLUTION


def power_to_db(
    S: np.ndarray, *, ref: float = 1.0, amin: float = 1e-10, top_db: float | None = 80.0
) -> np.ndarray:
    """Convert a power spectrogram to decibels (like ``librosa.power_to_db``).

    ::

        S_db = 10 * log10(max(S, amin)) - 10 * log10(max(ref, amin))
        S_db = max(S_db, S_db.max() - top_db)          # only when top_db is not None

    ``ref`` may also be a function such as ``np.max``: then the reference power is
    ``ref(S)`` (0 dB = the loudest bin).

    Pitfalls: this is *power* (10 log10), not amplitude (20 log10); clamp with
    ``amin`` *before* the log (``log10(0) = -inf``); the ``top_db`` floor is relative
    to the maximum of the dB array, not an absolute threshold.

    Parameters
    ----------
    S : np.ndarray
        Non-negative power values, any shape.
    ref : float or callable
        Reference power (0 dB).
    amin : float
        Smallest power considered, ``> 0``.
    top_db : float or None
        Dynamic range kept below the peak, ``>= 0``; None keeps everything.

    Returns
    -------
    np.ndarray, same shape as ``S``

    Examples
    --------
    >>> power_to_db(np.array([1.0, 10.0, 100.0]))
    array([ 0., 10., 20.])
    >>> power_to_db(np.array([1e-12, 1.0]), ref=np.max, top_db=None)
    array([-100.,    0.])
    """
    ### BEGIN SOLUTION
    S = np.asarray(S, dtype=np.float64)
    if amin <= 0:
        raise ValueError(f"amin must be > 0, got {amin}")
    ref_value = ref(S) if callable(ref) else np.abs(ref)
    S_db = 10.0 * np.log10(np.maximum(amin, S))
    S_db -= 10.0 * np.log10(np.maximum(amin, ref_value))
    if top_db is not None:
        if top_db < 0:
            raise ValueError(f"top_db must be >= 0, got {top_db}")
        S_db = np.maximum(S_db, S_db.max() - top_db)
    return S_db
    ### END SOLUTION
