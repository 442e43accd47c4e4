"""Figures for the course: signals, features and results (matplotlib only).

- :mod:`machinehearing.plots.signal` -- :func:`~.signal.waveform`, :func:`~.signal.window`,
  :func:`~.signal.spectrum`
- :mod:`machinehearing.plots.feature_plots` -- :func:`~.feature_plots.spectrogram`,
  :func:`~.feature_plots.mel_filterbank`, :func:`~.feature_plots.features`
- :mod:`machinehearing.plots.results` -- :func:`~.results.training_curves`,
  :func:`~.results.confusion_matrix`, :func:`~.results.per_class_accuracy`,
  :func:`~.results.confused_pairs`, :func:`~.results.feature_comparison`,
  :func:`~.results.embeddings_tsne`

Every function draws into the Axes passed as ``ax=`` (or the Figure passed as ``fig=`` for
multi-panel figures), creates one when none is given, and returns what it drew into, so
figures compose::

    fig, (a, b) = plt.subplots(1, 2)
    plots.waveform(y, sr, ax=a)
    plots.spectrum(y, sr, ax=b)

Axes carry real units (seconds, Hz, dB); ticks come from matplotlib's locators and scales,
never from hand-placed labels. Submodules are imported on first access (matplotlib is only
imported when a figure is drawn).
"""

from __future__ import annotations

from .._lazy import attach

_NAMES = {
    "signal": ".signal",
    "feature_plots": ".feature_plots",
    "results": ".results",
    **{name: ".signal" for name in ["waveform", "window", "spectrum"]},
    **{name: ".feature_plots" for name in ["spectrogram", "mel_filterbank", "features"]},
    **{
        name: ".results"
        for name in [
            "training_curves",
            "confusion_matrix",
            "per_class_accuracy",
            "confused_pairs",
            "feature_comparison",
            "embeddings_tsne",
        ]
    },
}

__getattr__, __dir__, __all__ = attach(__name__, _NAMES)


def _axes(ax=None, *, figsize: tuple[float, float] = (6.4, 4.0)):
    """Return ``ax``, or a new Axes on a new pyplot Figure of ``figsize`` inches.

    pyplot figures show up in notebooks by themselves; code that makes many of them
    (the report) closes each one after saving it.
    """
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.figure(figsize=figsize, layout="constrained").add_subplot()


def _figure(fig=None, *, figsize: tuple[float, float] = (6.4, 4.0)):
    """Return ``fig`` cleared, or a new pyplot Figure of ``figsize`` inches."""
    if fig is not None:
        fig.clear()
        return fig
    import matplotlib.pyplot as plt

    return plt.figure(figsize=figsize, layout="constrained")
