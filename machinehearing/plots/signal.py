"""Plots of signals: waveform, analysis window (time and frequency), magnitude spectrum.

The figures of the course's first session: what a clip looks like in time, what a window
does to a spectrum (main lobe and side lobes), and the spectrum of a whole clip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _axes, _figure

__all__ = ["waveform", "window", "spectrum"]


def waveform(y: np.ndarray, sr: float, *, ax=None, **kwargs: Any):
    """Plot a waveform against time in seconds.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono audio.
    sr : float
        Sampling rate in Hz.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is created when omitted.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.plot` (``color``, ``linewidth``, ...).

    Returns
    -------
    matplotlib.axes.Axes
        x from 0 to ``len(y) / sr`` seconds, y labelled "Amplitude".

    Examples
    --------
    >>> import numpy as np
    >>> from machinehearing import plots
    >>> sr = 8000
    >>> y = np.sin(2 * np.pi * 440 * np.arange(sr) / sr).astype(np.float32)
    >>> ax = plots.waveform(y, sr)
    >>> [float(x) for x in ax.get_xlim()], ax.get_xlabel()
    ([0.0, 1.0], 'Time (s)')
    """
    from ..audio import validate_audio

    y = validate_audio(y, name="y", mono=True)
    ax = _axes(ax, figsize=(8.0, 2.5))
    t = np.arange(len(y)) / sr
    kwargs.setdefault("linewidth", 0.6)
    ax.plot(t, y, **kwargs)
    ax.set_xlim(0.0, len(y) / sr)
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("Amplitude")
    return ax


def window(
    window: str | tuple | np.ndarray,
    n: int,
    *,
    sr: float | None = None,
    n_fft: int | None = None,
    bins: float | None = 16.0,
    floor_db: float = -120.0,
    axes: Sequence | None = None,
):
    """Plot a window in time and its frequency response in dB (two panels).

    Parameters
    ----------
    window : str, tuple or np.ndarray
        Anything :func:`machinehearing.features.get_window` accepts (``"hann"``,
        ``("kaiser", 8.0)``, an array of length ``n``).
    n : int
        Window length in samples.
    sr : float, optional
        Sampling rate. With it the axes are in seconds and Hz (0 to ``sr / 2``); without it
        in samples and DFT bins of the length-``n`` window (0 to ``n / 2``), where the main
        lobe width is read directly (e.g. 4 bins for Hann, 2 for rectangular).
    n_fft : int, optional
        FFT size of the response (zero-padding for a smooth curve). Default:
        ``max(16 * n, 4096)``.
    bins : float or None, default=16.0
        Show the response up to ``bins`` DFT bins of the window (``bins * sr / n`` Hz):
        the main lobe and the first side lobes. ``None`` shows everything up to ``sr / 2``
        (``n / 2`` bins).
    floor_db : float, default=-120.0
        Lower limit of the dB axis.
    axes : pair of matplotlib Axes, optional
        ``(time_axes, frequency_axes)`` to draw into; a new figure with two panels side by
        side is created when omitted.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding both panels (``fig.axes[0]``: time, ``fig.axes[1]``:
        frequency response, normalised to 0 dB at its peak).

    Examples
    --------
    >>> from machinehearing import plots
    >>> fig = plots.window("hann", 512, sr=16000)
    >>> time_ax, freq_ax = fig.axes[:2]
    >>> float(freq_ax.get_xlim()[1]), freq_ax.get_ylabel()   # 16 bins of 31.25 Hz
    (500.0, 'Magnitude (dB)')
    >>> fig = plots.window("hann", 512, sr=16000, bins=None)
    >>> float(fig.axes[1].get_xlim()[1])
    8000.0
    """
    from ..features import get_window

    w = np.asarray(get_window(window, n, fftbins=True), dtype=np.float64)
    n_fft = max(16 * n, 4096) if n_fft is None else int(n_fft)
    response = np.abs(np.fft.rfft(w, n=n_fft))
    peak = response.max()
    db = 20.0 * np.log10(np.maximum(response / peak if peak > 0 else response, 1e-300))
    db = np.maximum(db, floor_db)
    if axes is None:
        fig = _figure(figsize=(9.0, 3.0))
        axes = fig.subplots(1, 2)
    time_ax, freq_ax = axes
    name = window if isinstance(window, str) else "window"
    shown = n / 2 if bins is None else min(float(bins), n / 2)  # in DFT bins of the window

    if sr is None:
        time_ax.plot(np.arange(n), w)
        time_ax.set_xlim(0, n - 1)
        time_ax.set_xlabel("Sample")
        freqs = np.arange(len(response)) * n / n_fft
        freq_ax.set_xlabel("Frequency (bins of the window length)")
        freq_ax.set_xlim(0.0, shown)
    else:
        time_ax.plot(np.arange(n) / sr, w)
        time_ax.set_xlim(0.0, (n - 1) / sr)
        time_ax.set_xlabel("Time (s)")
        freqs = np.arange(len(response)) * sr / n_fft
        freq_ax.set_xlabel("Frequency (Hz)")
        freq_ax.set_xlim(0.0, shown * sr / n)
    time_ax.set_ylabel("Amplitude")
    time_ax.set_title(f"{name}, n = {n}")
    freq_ax.plot(freqs, db)
    freq_ax.set_ylim(floor_db, 5.0)
    freq_ax.set_ylabel("Magnitude (dB)")
    freq_ax.set_title("Frequency response")
    freq_ax.grid(True, alpha=0.3)
    return time_ax.figure


def spectrum(
    y: np.ndarray,
    sr: float,
    *,
    n_fft: int | None = None,
    window: Any = None,
    x_scale: str = "linear",
    top_db: float | None = 80.0,
    ax=None,
    **kwargs: Any,
):
    """Plot the magnitude spectrum of a whole signal in dB against frequency in Hz.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono audio.
    sr : float
        Sampling rate in Hz.
    n_fft, window
        Passed to :func:`machinehearing.features.magnitude_spectrum` (FFT size, window).
    x_scale : {"linear", "log"}, default="linear"
        Frequency axis scale; ``"log"`` starts at the first non-zero frequency.
    top_db : float or None, default=80.0
        Dynamic range shown below the peak (0 dB = the largest component).
    ax : matplotlib Axes, optional
        Where to draw.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.plot`.

    Returns
    -------
    matplotlib.axes.Axes
        x in Hz up to ``sr / 2``, y in dB relative to the peak.

    Examples
    --------
    >>> import numpy as np
    >>> from machinehearing import plots
    >>> sr = 8000
    >>> y = np.sin(2 * np.pi * 1000 * np.arange(sr) / sr).astype(np.float32)
    >>> ax = plots.spectrum(y, sr)
    >>> float(ax.get_xlim()[1]), ax.get_ylabel()
    (4000.0, 'Magnitude (dB)')
    """
    from ..audio import validate_audio
    from ..errors import ParameterError
    from ..features import amplitude_to_db, magnitude_spectrum

    if x_scale not in ("linear", "log"):
        raise ParameterError(f"x_scale must be 'linear' or 'log', got {x_scale!r}")
    y = validate_audio(y, name="y", mono=True)
    freqs, magnitude = magnitude_spectrum(y, sr, n_fft=n_fft, window=window)
    db = amplitude_to_db(magnitude, ref=np.max, top_db=top_db)
    ax = _axes(ax, figsize=(7.0, 3.0))
    kwargs.setdefault("linewidth", 0.8)
    if x_scale == "log":
        ax.plot(freqs[1:], db[1:], **kwargs)
        ax.set_xscale("log")
        ax.set_xlim(freqs[1], sr / 2)
    else:
        ax.plot(freqs, db, **kwargs)
        ax.set_xlim(0.0, sr / 2)
    ax.set_xlabel("Frequency (Hz)")
    ax.set_ylabel("Magnitude (dB)")
    ax.grid(True, alpha=0.3)
    return ax
