"""Plots of time-frequency features with real units: seconds, Hz, dB.

:func:`spectrogram` draws each cell of a feature matrix where it lies in time and
frequency (:meth:`~matplotlib.axes.Axes.pcolormesh` with the cell edges in seconds and Hz),
so a mel or log axis is a *scale* of the plot -- ticks remain plain Hz values placed by
matplotlib -- and the axis limits are the true frequency range (``sr / 2`` for an STFT).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ParameterError
from . import _axes, _figure

__all__ = ["spectrogram", "mel_filterbank", "features"]

_Y_AXES = ("linear", "log", "mel", "cqt", "index")

#: frequency of C1, the lowest CQT bin by default (as librosa.cqt)
_C1_HZ = 32.70319566257483


def _time_edges(n_frames: int, sr: float, hop_length: int) -> np.ndarray:
    """Frame ``t`` covers ``[t, t + 1) * hop_length / sr`` seconds (librosa's convention)."""
    return np.arange(n_frames + 1) * hop_length / sr


def _octave_axis(ax, lo: float, hi: float, axis: str = "y") -> None:
    """Ticks at octaves of 1 kHz (..., 250, 500, 1000, 2000, ...) in ``[max(lo, hi / 32), hi]``
    (at most 6 octaves, so the low ones do not crowd), plus 0 when the axis starts there."""
    from matplotlib import ticker

    ticks = 1000.0 * 2.0 ** np.arange(-10, 6)
    ticks = ticks[(ticks >= max(lo, hi / 32)) & (ticks <= hi)]
    if lo <= 0.0:
        ticks = np.r_[0.0, ticks]
    frequency_axis = getattr(ax, f"{axis}axis")
    frequency_axis.set_major_locator(ticker.FixedLocator(ticks))
    frequency_axis.set_major_formatter(ticker.StrMethodFormatter("{x:g}"))
    frequency_axis.set_minor_locator(ticker.NullLocator())


def _mel_scale(ax, *, htk: bool, axis: str = "y") -> None:
    """Give ``ax`` a mel-scaled frequency axis whose data (and tick values) stay in Hz."""
    from ..features import hz_to_mel, mel_to_hz

    functions = (
        lambda f: hz_to_mel(np.asarray(f, dtype=np.float64), htk=htk),
        lambda m: mel_to_hz(np.asarray(m, dtype=np.float64), htk=htk),
    )
    getattr(ax, f"set_{axis}scale")("function", functions=functions)


def _frequency_edges(
    n_rows: int,
    *,
    sr: float,
    y_axis: str,
    n_fft: int | None,
    fmin: float | None,
    fmax: float | None,
    htk: bool,
    bins_per_octave: int,
) -> tuple[np.ndarray, float, float]:
    """Row edges in Hz (or row index) and the axis limits for ``y_axis``."""
    if y_axis in ("linear", "log"):
        n_fft = 2 * (n_rows - 1) if n_fft is None else int(n_fft)
        if n_rows != 1 + n_fft // 2:
            raise ParameterError(
                f"S has {n_rows} rows but n_fft={n_fft} gives {1 + n_fft // 2} STFT bins; "
                "pass the n_fft used, or y_axis='mel'/'index' for other features"
            )
        step = sr / n_fft
        edges = np.clip((np.arange(n_rows + 1) - 0.5) * step, 0.0, sr / 2)
        lo = (step if fmin is None else fmin) if y_axis == "log" else 0.0
        return np.maximum(edges, lo), lo, sr / 2 if fmax is None else fmax
    if y_axis == "mel":
        from ..features import mel_frequencies

        lo = 0.0 if fmin is None else fmin
        hi = sr / 2 if fmax is None else fmax
        # n_mels cells of equal width on the mel scale spanning [fmin, fmax]
        return mel_frequencies(n_rows + 1, fmin=lo, fmax=hi, htk=htk), lo, hi
    if y_axis == "cqt":
        lo = _C1_HZ if fmin is None else fmin
        edges = lo * 2.0 ** ((np.arange(n_rows + 1) - 0.5) / bins_per_octave)
        return edges, edges[0], edges[-1]
    return np.arange(n_rows + 1) - 0.5, -0.5, n_rows - 0.5


def spectrogram(
    S: np.ndarray,
    *,
    sr: float = 22050,
    hop_length: int = 512,
    y_axis: str = "linear",
    n_fft: int | None = None,
    fmin: float | None = None,
    fmax: float | None = None,
    htk: bool = False,
    bins_per_octave: int = 12,
    duration: float | None = None,
    cmap: str = "magma",
    colorbar: bool = True,
    unit: str = "dB",
    ylabel: str | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    ax=None,
):
    """Show a feature matrix (frequency x time) with seconds and Hz on the axes.

    Parameters
    ----------
    S : np.ndarray, shape (n_rows, n_frames)
        Values to show, usually dB (``power_to_db`` of a spectrogram).
    sr : float, default=22050
        Sampling rate of the audio in Hz.
    hop_length : int, default=512
        Hop between frames; frame ``t`` covers ``[t, t+1) * hop_length / sr`` seconds.
    y_axis : {"linear", "log", "mel", "cqt", "index"}, default="linear"
        What the rows are. ``"linear"``: STFT bins 0 .. sr/2 (``n_fft = 2 (n_rows - 1)``)
        on a linear axis; ``"log"``: the same bins on a log axis from ``fmin`` (default:
        the first bin above DC); ``"mel"``: mel bands between ``fmin`` (0) and ``fmax``
        (sr/2) on a mel-scaled axis (:func:`~machinehearing.features.hz_to_mel` as a
        matplotlib function scale, ticks in Hz); ``"cqt"``: constant-Q bins from ``fmin``
        (default C1 = 32.7 Hz), ``bins_per_octave`` per octave, on a log axis;
        ``"index"``: row numbers (MFCC coefficients, chroma, contrast bands).
    n_fft : int, optional
        FFT size for "linear"/"log" (checked against the number of rows).
    fmin, fmax : float, optional
        Frequency range of the rows (see ``y_axis``).
    htk : bool, default=False
        Mel formula of the "mel" axis (must match the filterbank's).
    bins_per_octave : int, default=12
        For ``y_axis="cqt"``.
    duration : float, optional
        Length of the clip in seconds; when given, the frames are spread evenly over
        ``[0, duration]`` instead of using ``hop_length`` (for resized feature images).
    cmap : str, default="magma"
        Colormap.
    colorbar : bool, default=True
        Add a colorbar labelled with ``unit``.
    unit : str, default="dB"
        Colorbar label.
    ylabel : str, optional
        Overrides the y label ("Frequency (Hz)", or "Row" for ``y_axis="index"``).
    vmin, vmax : float, optional
        Colour limits.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        x from 0 to the end of the last frame in seconds, y in Hz (limits: the frequency
        range of the rows, e.g. 0 .. sr/2 for an STFT). The mesh is ``ax.collections[0]``.

    Examples
    --------
    >>> import numpy as np
    >>> from machinehearing import features, plots
    >>> sr = 16000
    >>> y = np.sin(2 * np.pi * 1000 * np.arange(sr) / sr).astype(np.float32)
    >>> S_db = features.power_to_db(np.abs(features.stft(y, n_fft=512, hop_length=128)) ** 2)
    >>> ax = plots.spectrogram(S_db, sr=sr, hop_length=128)
    >>> float(ax.get_ylim()[1]), float(ax.get_xlim()[1]), ax.get_ylabel()
    (8000.0, 1.008, 'Frequency (Hz)')
    >>> M = features.power_to_db(features.melspectrogram(y=y, sr=sr, n_mels=64))
    >>> ax = plots.spectrogram(M, sr=sr, hop_length=512, y_axis="mel")
    >>> ax.get_yscale()
    'function'
    """
    if y_axis not in _Y_AXES:
        raise ParameterError(f"y_axis must be one of {_Y_AXES}, got {y_axis!r}")
    S = np.asarray(S)
    if S.ndim != 2 or 0 in S.shape:
        raise ParameterError(f"S must be a non-empty 2-D array (rows, frames), got {S.shape}")
    if sr <= 0 or hop_length <= 0:
        raise ParameterError(f"sr and hop_length must be positive, got {sr} and {hop_length}")
    n_rows, n_frames = S.shape
    y_edges, lo, hi = _frequency_edges(
        n_rows,
        sr=sr,
        y_axis=y_axis,
        n_fft=n_fft,
        fmin=fmin,
        fmax=fmax,
        htk=htk,
        bins_per_octave=bins_per_octave,
    )
    if duration is None:
        x_edges = _time_edges(n_frames, sr, hop_length)
    else:
        x_edges = np.linspace(0.0, duration, n_frames + 1)

    ax = _axes(ax, figsize=(7.0, 3.5))
    mesh = ax.pcolormesh(
        x_edges, y_edges, S, cmap=cmap, vmin=vmin, vmax=vmax, shading="flat", rasterized=True
    )
    if y_axis == "mel":
        _mel_scale(ax, htk=htk)
    elif y_axis in ("log", "cqt"):
        ax.set_yscale("log", base=2)
    if y_axis in ("log", "mel", "cqt"):
        _octave_axis(ax, lo, hi)
    ax.set_xlim(x_edges[0], x_edges[-1])
    ax.set_ylim(lo, hi)
    ax.set_xlabel("Time (s)")
    ax.set_ylabel(ylabel or ("Row" if y_axis == "index" else "Frequency (Hz)"))
    if colorbar:
        ax.figure.colorbar(mesh, ax=ax, label=unit)
    return ax


def mel_filterbank(
    fb: np.ndarray,
    *,
    sr: float,
    x_axis: str = "linear",
    htk: bool = False,
    ax=None,
    **kwargs: Any,
):
    """Plot the triangular filters of a mel filterbank against frequency in Hz.

    Parameters
    ----------
    fb : np.ndarray, shape (n_mels, 1 + n_fft // 2)
        Filterbank from :func:`machinehearing.features.mel_filterbank`.
    sr : float
        Sampling rate it was built for.
    x_axis : {"linear", "mel"}, default="linear"
        Frequency axis scale. On the mel scale the triangles have equal widths.
    htk : bool, default=False
        Mel formula of the "mel" axis.
    ax : matplotlib Axes, optional
        Where to draw.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.plot`.

    Returns
    -------
    matplotlib.axes.Axes
        x from 0 to ``sr / 2`` Hz, y the filter weights.

    Examples
    --------
    >>> from machinehearing import features, plots
    >>> fb = features.mel_filterbank(sr=16000, n_fft=512, n_mels=20)
    >>> ax = plots.mel_filterbank(fb, sr=16000)
    >>> len(ax.lines), float(ax.get_xlim()[1])
    (20, 8000.0)
    """
    from ..features import fft_frequencies

    if x_axis not in ("linear", "mel"):
        raise ParameterError(f"x_axis must be 'linear' or 'mel', got {x_axis!r}")
    fb = np.asarray(fb)
    if fb.ndim != 2:
        raise ParameterError(f"fb must be 2-D (n_mels, 1 + n_fft // 2), got shape {fb.shape}")
    freqs = fft_frequencies(sr=sr, n_fft=2 * (fb.shape[1] - 1))
    ax = _axes(ax, figsize=(7.0, 3.0))
    kwargs.setdefault("linewidth", 0.8)
    ax.plot(freqs, fb.T, **kwargs)
    if x_axis == "mel":
        _mel_scale(ax, htk=htk, axis="x")
        _octave_axis(ax, 0.0, sr / 2, axis="x")
    ax.set_xlim(0.0, sr / 2)
    ax.set_xlabel("Frequency (Hz)")
    ax.set_ylabel("Weight")
    ax.set_title(f"Mel filterbank ({fb.shape[0]} filters)")
    return ax


def _feature_axis(spec) -> dict:
    """Keyword arguments of :func:`spectrogram` that label the rows of a registry feature."""
    from ..features.images import FEATURES

    params = {**FEATURES[spec.name].defaults, **dict(spec.params)}
    axis = {"hop_length": params["hop_length"], "unit": "dB"}
    if spec.name == "spectrogram_db":
        return {**axis, "y_axis": "linear", "n_fft": params["n_fft"]}
    if spec.name == "logmel":
        return {
            **axis,
            "y_axis": "mel",
            **{key: params[key] for key in ("fmin", "fmax", "htk")},
        }
    if spec.name == "cqt_db":
        return {
            **axis,
            "y_axis": "cqt",
            **{key: params[key] for key in ("fmin", "bins_per_octave")},
        }
    if spec.name == "contrast":
        return {**axis, "y_axis": "index", "ylabel": "Octave band"}
    ylabel = "Pitch class" if spec.name == "chroma" else "Coefficient"
    return {**axis, "y_axis": "index", "ylabel": ylabel, "unit": ""}


def features(y: np.ndarray, sr: float, specs: str | Sequence, *, fig=None):
    """Show several features of one clip, one panel each, on a shared time axis.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono audio.
    sr : float
        Sampling rate in Hz.
    specs : str or sequence of str / FeatureSpec
        Features from the registry (:data:`machinehearing.features.FEATURES`), e.g.
        ``"logmel,mfcc,chroma"``; each is computed with
        :func:`machinehearing.features.compute` (before resizing to an image).
    fig : matplotlib Figure, optional
        Figure to draw into (cleared first); a new one is created when omitted.

    Returns
    -------
    matplotlib.figure.Figure
        One row per feature: frequency features on Hz axes (mel, linear or CQT scale),
        coefficient features by row index; time in seconds spans the clip.

    Examples
    --------
    >>> import numpy as np
    >>> from machinehearing import plots
    >>> sr = 16000
    >>> y = np.random.default_rng(0).normal(size=sr).astype(np.float32)
    >>> fig = plots.features(y, sr, "logmel,mfcc")
    >>> [ax.get_title() for ax in fig.axes if ax.get_title()]
    ['logmel', 'mfcc']
    """
    from ..audio import validate_audio
    from ..features.images import compute, parse_specs

    y = validate_audio(y, name="y", mono=True)
    specs = parse_specs(specs)
    fig = _figure(fig, figsize=(8.0, 2.6 * len(specs)))
    axes = np.atleast_1d(fig.subplots(len(specs), 1, sharex=True, squeeze=False)[:, 0])
    for ax, spec in zip(axes, specs):
        values = compute(spec, y, sr)
        spectrogram(values, sr=sr, ax=ax, **_feature_axis(spec))
        ax.set_title(str(spec))
        if ax is not axes[-1]:
            ax.set_xlabel("")
    return fig
