"""Plots of training and evaluation results.

Training curves from a run directory, confusion matrices readable at 50 x 50, per-class
accuracy, the most-confused class pairs, feature-set comparisons with error bars, and a
t-SNE map of the network's penultimate-layer embeddings.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from ..errors import DataError, ParameterError
from . import _axes, _figure

__all__ = [
    "load_history",
    "training_curves",
    "confusion_matrix",
    "per_class_accuracy",
    "confused_pairs",
    "feature_comparison",
    "embeddings_tsne",
]

_HISTORY_COLUMNS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc")


def _read_metrics_csv(path: Path) -> dict[str, np.ndarray]:
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise DataError(f"{path} has no epochs yet; train for at least one epoch")
    missing = [c for c in _HISTORY_COLUMNS if c not in rows[0]]
    if missing:
        raise DataError(f"{path} lacks the columns {missing}; is it a training metrics.csv?")
    return {
        key: np.array([float(row[key]) if row[key] not in ("", None) else np.nan for row in rows])
        for key in rows[0]
    }


def load_history(source) -> dict[str, dict[str, np.ndarray]]:
    """Read training histories: ``{run name: {column: values}}``.

    Parameters
    ----------
    source : path, mapping or sequence
        A run directory (its ``metrics.csv``), a cross-validation directory (every
        ``fold*/metrics.csv``, one entry per fold), a ``metrics.csv`` file, a mapping of
        columns (``{"epoch": [...], "train_loss": [...], ...}``), a list of per-epoch row
        dicts, or a mapping run name -> any of the previous.

    Returns
    -------
    dict
        Run name (``"run"`` for a single run, ``"fold1"`` ... for cross-validation) ->
        columns as float arrays (at least epoch, train_loss, train_acc, val_loss, val_acc).

    Examples
    --------
    >>> from machinehearing.plots.results import load_history
    >>> h = load_history([{"epoch": 1, "train_loss": 2.0, "train_acc": 0.3,
    ...                    "val_loss": 2.1, "val_acc": 0.25}])
    >>> list(h), h["run"]["val_acc"].tolist()
    (['run'], [0.25])
    """
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if path.is_file():
            return {"run": _read_metrics_csv(path)}
        if (path / "metrics.csv").is_file():
            return {"run": _read_metrics_csv(path / "metrics.csv")}
        folds = sorted(
            (p for p in path.glob("fold*") if (p / "metrics.csv").is_file()),
            key=lambda p: (len(p.name), p.name),
        )
        if not folds:
            raise DataError(
                f"{path} holds no metrics.csv (nor fold*/metrics.csv); pass a run directory"
            )
        return {p.name: _read_metrics_csv(p / "metrics.csv") for p in folds}
    if isinstance(source, Mapping) and source and not set(_HISTORY_COLUMNS) & set(source):
        # run name -> source of one run
        return {str(name): next(iter(load_history(v).values())) for name, v in source.items()}
    if isinstance(source, Mapping):
        columns = {key: np.asarray(value, dtype=np.float64) for key, value in source.items()}
    elif isinstance(source, Sequence) and source and isinstance(source[0], Mapping):
        columns = {key: np.array([float(row[key]) for row in source]) for key in source[0]}
    else:
        raise ParameterError(
            "history must be a run directory, a metrics.csv, a mapping of columns or a "
            f"list of row dicts, got {type(source).__name__}"
        )
    missing = [c for c in _HISTORY_COLUMNS if c not in columns]
    if missing:
        raise ParameterError(f"history lacks the columns {missing}")
    return {"run": columns}


def training_curves(history, *, fig=None):
    """Loss and accuracy per epoch, training (solid) vs validation (dashed).

    Parameters
    ----------
    history : path, mapping or sequence
        Anything :func:`load_history` reads; a cross-validation directory gives one colour
        per fold.
    fig : matplotlib Figure, optional
        Figure to draw into (cleared first).

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: ``fig.axes[0]`` loss, ``fig.axes[1]`` accuracy (0 to 1), x = epoch.

    Examples
    --------
    >>> from machinehearing import plots
    >>> history = {"epoch": [1, 2, 3], "train_loss": [2.0, 1.2, 0.8],
    ...            "train_acc": [0.3, 0.6, 0.8], "val_loss": [2.1, 1.5, 1.3],
    ...            "val_acc": [0.25, 0.5, 0.6]}
    >>> fig = plots.training_curves(history)
    >>> [ax.get_ylabel() for ax in fig.axes], len(fig.axes[0].lines)
    (['Loss', 'Accuracy'], 2)
    """
    from matplotlib.ticker import MaxNLocator

    runs = load_history(history)
    fig = _figure(fig, figsize=(10.0, 3.6))
    loss_ax, acc_ax = fig.subplots(1, 2)
    colors = [f"C{i % 10}" for i in range(len(runs))]
    for (name, h), color in zip(runs.items(), colors):
        suffix = "" if len(runs) == 1 else f" {name}"
        for ax, key in ((loss_ax, "loss"), (acc_ax, "acc")):
            style = dict(color=color, marker=".", ms=4)
            ax.plot(h["epoch"], h[f"train_{key}"], label=f"train{suffix}", **style)
            ax.plot(h["epoch"], h[f"val_{key}"], ls="--", label=f"val{suffix}", **style)
    loss_ax.set_ylabel("Loss")
    acc_ax.set_ylabel("Accuracy")
    acc_ax.set_ylim(0.0, 1.0)
    for ax in (loss_ax, acc_ax):
        ax.set_xlabel("Epoch")
        ax.grid(True, alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    acc_ax.legend(fontsize="small", ncols=1 if len(runs) < 3 else 2)
    return fig


def _tick_fontsize(n: int) -> float:
    """Readable tick labels: 9 pt up to 10 classes, shrinking to 5 pt at 50."""
    return float(np.clip(9.0 - 4.0 * (n - 10) / 40.0, 4.0, 9.0))


def confusion_matrix(
    cm: ArrayLike,
    *,
    labels: Sequence[str] | None = None,
    normalize: str | None = "true",
    annotate: bool | None = None,
    colorbar: bool = True,
    cmap: str = "Blues",
    ax=None,
):
    """Heatmap of a confusion matrix (rows: true class, columns: predicted class).

    Parameters
    ----------
    cm : array-like, shape (n_classes, n_classes)
        Counts, e.g. from :func:`machinehearing.metrics.confusion_matrix`.
    labels : sequence of str, optional
        Class names for the ticks (default: 0 .. n-1).
    normalize : {"true", "pred", "all"} or None, default="true"
        Show percentages of each true class (rows sum to 100 %), of each predicted class,
        of all clips, or raw counts (None).
    annotate : bool, optional
        Write the value in each cell. Default: only up to 12 classes (a 50 x 50 matrix is
        read through its colours, its diagonal and :func:`confused_pairs`).
    colorbar : bool, default=True
        Add a colorbar.
    cmap : str, default="Blues"
        Colormap.
    ax : matplotlib Axes, optional
        Where to draw; a new square figure sized for ``n_classes`` is created otherwise
        (about 12 inches for 50 classes, tick labels in 5 pt).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from machinehearing import metrics, plots
    >>> cm = metrics.confusion_matrix([0, 0, 1, 2, 2], [0, 1, 1, 2, 0])
    >>> ax = plots.confusion_matrix(cm, labels=["dog", "cat", "cow"])
    >>> [t.get_text() for t in ax.get_xticklabels()], ax.get_ylabel()
    (['dog', 'cat', 'cow'], 'True class')
    """
    from ..metrics import _divide

    cm = np.asarray(cm, dtype=np.float64)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ParameterError(f"cm must be a square 2-D matrix, got shape {cm.shape}")
    n = cm.shape[0]
    labels = [str(i) for i in range(n)] if labels is None else [str(name) for name in labels]
    if len(labels) != n:
        raise ParameterError(f"labels has {len(labels)} names for a {n} x {n} matrix")
    if normalize == "true":
        values, unit = 100 * _divide(cm, cm.sum(axis=1, keepdims=True), 0.0), "% of true class"
    elif normalize == "pred":
        values, unit = 100 * _divide(cm, cm.sum(axis=0, keepdims=True), 0.0), "% of predicted"
    elif normalize == "all":
        values, unit = 100 * _divide(cm, cm.sum(), 0.0), "% of clips"
    elif normalize is None:
        values, unit = cm, "Clips"
    else:
        raise ParameterError(f"normalize must be 'true', 'pred', 'all' or None, got {normalize!r}")

    longest = max(len(name) for name in labels)
    side = float(np.clip(0.22 * n + 2.5 + 0.07 * longest, 4.0, 14.0))
    ax = _axes(ax, figsize=(side + 1.0, side))
    vmax = 100.0 if normalize else max(values.max(), 1.0)
    image = ax.imshow(values, cmap=cmap, vmin=0.0, vmax=vmax, interpolation="nearest")
    fontsize = _tick_fontsize(n)
    ax.set_xticks(np.arange(n), labels=labels, rotation=90, fontsize=fontsize)
    ax.set_yticks(np.arange(n), labels=labels, fontsize=fontsize)
    ax.set_xlabel("Predicted class")
    ax.set_ylabel("True class")
    if annotate if annotate is not None else n <= 12:
        for (i, j), value in np.ndenumerate(values):
            if value:
                text = f"{value:.0f}" if normalize else f"{int(value)}"
                color = "white" if value > 0.6 * vmax else "black"
                ax.text(j, i, text, ha="center", va="center", color=color, fontsize=fontsize)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label=unit, shrink=0.8)
    return ax


def per_class_accuracy(
    accuracy: ArrayLike,
    *,
    labels: Sequence[str] | None = None,
    sort: bool = True,
    ax=None,
):
    """Horizontal bars of the accuracy of each class, best at the top.

    Parameters
    ----------
    accuracy : array-like, shape (n_classes,)
        From :func:`machinehearing.metrics.per_class_accuracy`; NaN (class absent from the
        test set) is drawn as no bar with "n/a" at the axis.
    labels : sequence of str, optional
        Class names.
    sort : bool, default=True
        Sort by accuracy (descending from the top); otherwise keep the class order.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        x from 0 to 1, a dotted line at the mean (over classes with a value).

    Examples
    --------
    >>> from machinehearing import plots
    >>> ax = plots.per_class_accuracy([0.9, 0.5, 0.7], labels=["dog", "cat", "cow"])
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['dog', 'cow', 'cat']
    """
    acc = np.asarray(accuracy, dtype=np.float64)
    if acc.ndim != 1 or len(acc) == 0:
        raise ParameterError(f"accuracy must be a non-empty 1-D array, got shape {acc.shape}")
    n = len(acc)
    labels = [str(i) for i in range(n)] if labels is None else [str(name) for name in labels]
    if len(labels) != n:
        raise ParameterError(f"labels has {len(labels)} names for {n} accuracies")
    order = np.argsort(-np.nan_to_num(acc, nan=-1.0), kind="stable") if sort else np.arange(n)
    ax = _axes(ax, figsize=(6.0, float(np.clip(0.18 * n + 1.2, 2.5, 11.0))))
    positions = np.arange(n)[::-1]  # first entry at the top
    ax.barh(positions, np.nan_to_num(acc[order]), color="C0")
    names = [labels[i] + (" (n/a)" if np.isnan(acc[i]) else "") for i in order]
    ax.set_yticks(positions, labels=names, fontsize=_tick_fontsize(n))
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xlim(0.0, 1.0)
    if not np.all(np.isnan(acc)):
        ax.axvline(np.nanmean(acc), color="k", ls=":", lw=1, label="mean")
        ax.legend(loc="lower right", fontsize="small")
    ax.set_xlabel("Accuracy")
    return ax


def confused_pairs(
    cm: ArrayLike,
    *,
    labels: Sequence[str] | None = None,
    k: int = 10,
    normalize: str | None = "true",
    ax=None,
):
    """Horizontal bars of the ``k`` most frequent confusions (true -> predicted).

    Parameters
    ----------
    cm : array-like, shape (n_classes, n_classes)
        Confusion counts (rows true, columns predicted).
    labels : sequence of str, optional
        Class names.
    k : int, default=10
        Number of pairs.
    normalize : {"true", None}, default="true"
        Rank by the percentage of the true class that goes to the predicted class, or by
        raw counts.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        One bar per pair ("dog -> cat"), largest at the top.

    Examples
    --------
    >>> from machinehearing import metrics, plots
    >>> cm = metrics.confusion_matrix([0, 0, 0, 1, 1, 2], [1, 1, 0, 0, 1, 1])
    >>> ax = plots.confused_pairs(cm, labels=["dog", "cat", "cow"], k=2)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['cow → cat', 'dog → cat']
    """
    from ..metrics import _divide, most_confused

    cm = np.asarray(cm, dtype=np.float64)
    if normalize == "true":
        values, unit = 100 * _divide(cm, cm.sum(axis=1, keepdims=True), 0.0), "% of true class"
    elif normalize is None:
        values, unit = cm, "Clips"
    else:
        raise ParameterError(f"normalize must be 'true' or None, got {normalize!r}")
    pairs = most_confused(values, k=k)
    n = cm.shape[0]
    labels = [str(i) for i in range(n)] if labels is None else [str(name) for name in labels]
    ax = _axes(ax, figsize=(6.0, float(np.clip(0.3 * max(len(pairs), 1) + 1.2, 2.0, 8.0))))
    positions = np.arange(len(pairs))[::-1]
    ax.barh(positions, [v for _, _, v in pairs], color="C3")
    ax.set_yticks(positions, labels=[f"{labels[i]} → {labels[j]}" for i, j, _ in pairs])
    ax.set_xlabel(unit)
    ax.set_title(f"Most confused pairs (true → predicted), top {len(pairs)}")
    if not pairs:
        ax.set_title("No confusions")
    return ax


def feature_comparison(
    table: Mapping[str, float | Sequence[float]],
    *,
    sort: bool = True,
    ylabel: str = "Accuracy",
    ax=None,
):
    """Bars of the mean score of each feature set with its spread over folds.

    Parameters
    ----------
    table : mapping str -> float or sequence of float
        Feature set name (``"logmel"``, ``"logmel+mfcc+chroma"``) -> per-fold scores.
    sort : bool, default=True
        Order the bars by mean score, best first.
    ylabel : str, default="Accuracy"
        Label of the score axis.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        Bar height = mean, error bar = sample standard deviation over folds (ddof=1, as
        :func:`machinehearing.stats.crossval_summary`; none for a single fold), dots =
        individual folds.

    Examples
    --------
    >>> from machinehearing import plots
    >>> table = {"logmel": [0.80, 0.78, 0.83], "mfcc": [0.70, 0.72, 0.69], "chroma": [0.4]}
    >>> ax = plots.feature_comparison(table)
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['logmel', 'mfcc', 'chroma']
    """
    from ..stats import crossval_summary

    if not table:
        raise ParameterError("table is empty; pass {feature set: per-fold scores}")
    summaries = {name: crossval_summary(np.atleast_1d(v).tolist()) for name, v in table.items()}
    names = list(summaries)
    if sort:
        names.sort(key=lambda name: -summaries[name]["mean"])
    means = np.array([summaries[name]["mean"] for name in names])
    stds = np.nan_to_num([summaries[name]["std"] for name in names])
    ax = _axes(ax, figsize=(max(4.0, 0.7 * len(names) + 2.0), 3.6))
    x = np.arange(len(names))
    ax.bar(x, means, yerr=stds, capsize=4, color="C0", alpha=0.8, label="mean ± std")
    for xi, name in zip(x, names):
        folds = summaries[name]["per_fold"]
        ax.plot(np.full(len(folds), xi), folds, "k.", ms=4)
    ax.set_xticks(
        x,
        labels=names,
        rotation=30 if len(names) > 4 else 0,
        ha="right" if len(names) > 4 else "center",
    )
    ax.set_ylabel(ylabel)
    ax.set_ylim(0.0, 1.0 if means.max() <= 1.0 else None)
    ax.grid(True, axis="y", alpha=0.3)
    return ax


def embeddings_tsne(
    embeddings: ArrayLike,
    labels: ArrayLike,
    *,
    names: Sequence[str] | None = None,
    perplexity: float = 30.0,
    seed: int = 0,
    ax=None,
):
    """2-D t-SNE map of embeddings, one colour per class.

    Parameters
    ----------
    embeddings : array-like, shape (n_clips, n_features)
        E.g. the 512-d penultimate-layer output of the ResNet (``model.forward_features``).
    labels : array-like of int, shape (n_clips,)
        Class of each clip (colours).
    names : sequence of str, optional
        Class names for the legend (``names[label]``); the legend is drawn up to 20 classes.
    perplexity : float, default=30.0
        t-SNE perplexity, clamped to ``(n_clips - 1) / 3`` for small sets (scikit-learn
        requires it below the number of points).
    seed : int, default=0
        Random state of :class:`sklearn.manifold.TSNE` (PCA initialisation).
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        The title gives the perplexity used.

    Examples
    --------
    >>> import numpy as np
    >>> from machinehearing import plots
    >>> rng = np.random.default_rng(0)
    >>> labels = np.repeat([0, 1, 2], 5)
    >>> emb = rng.normal(size=(15, 8)) + 4 * labels[:, None]
    >>> ax = plots.embeddings_tsne(emb, labels, names=["dog", "cat", "cow"])
    >>> ax.get_title()
    't-SNE of embeddings (perplexity 4.7)'
    """
    from sklearn.manifold import TSNE

    from ..metrics import _as_labels

    emb = np.asarray(embeddings, dtype=np.float64)
    labels = _as_labels(labels, "labels")
    if emb.ndim != 2 or len(emb) != len(labels):
        raise ParameterError(
            f"embeddings must be 2-D with one row per label; got shape {emb.shape} for "
            f"{len(labels)} labels"
        )
    if len(emb) < 3:
        raise ParameterError(f"t-SNE needs at least 3 points, got {len(emb)}")
    if not np.all(np.isfinite(emb)):
        raise ParameterError("embeddings contain NaN or infinite values")
    perplexity = float(min(perplexity, (len(emb) - 1) / 3))
    points = TSNE(
        n_components=2, perplexity=perplexity, init="pca", random_state=seed
    ).fit_transform(emb)
    classes = np.unique(labels)
    import matplotlib as mpl

    cmap = mpl.colormaps[
        "tab10" if len(classes) <= 10 else "tab20" if len(classes) <= 20 else "turbo"
    ]
    ax = _axes(ax, figsize=(6.5, 5.5))
    for i, c in enumerate(classes):
        color = cmap(i if len(classes) <= 20 else i / max(len(classes) - 1, 1))
        name = names[c] if names is not None else str(c)
        ax.scatter(*points[labels == c].T, s=12, color=color, label=name)
    if len(classes) <= 20:
        ax.legend(fontsize="x-small", markerscale=1.5, loc="center left", bbox_to_anchor=(1, 0.5))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("t-SNE 1")
    ax.set_ylabel("t-SNE 2")
    ax.set_title(f"t-SNE of embeddings (perplexity {perplexity:.1f})")
    return ax
