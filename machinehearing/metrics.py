"""Classification metrics for integer class labels, equal to scikit-learn's.

Every metric takes the true labels first and the predictions second, as in
:mod:`sklearn.metrics`, and every one of them goes through a single private helper
(:func:`_check_targets`) that checks and normalises its inputs: both arrays 1-D, the
same non-zero length, finite integer labels; an explicit ``labels`` argument is 1-D,
integer and without duplicates. Results are plain floats and NumPy arrays.

The definitions, for the confusion matrix :math:`C` (rows: true class, columns:
predicted class) and a class :math:`k`:

- precision :math:`= C_{kk} / \\sum_i C_{ik}` (how many of the predictions of k are right),
- recall :math:`= C_{kk} / \\sum_j C_{kj}` (how many clips of class k were found),
- F1 :math:`= 2 C_{kk} / (\\sum_i C_{ik} + \\sum_j C_{kj})`, the harmonic mean of both.

A ratio whose denominator is zero takes the value ``zero_division`` (0.0 by default,
as in scikit-learn).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .errors import ParameterError

__all__ = [
    "accuracy",
    "top_k_accuracy",
    "precision_recall_f1",
    "confusion_matrix",
    "per_class_accuracy",
    "category_accuracy",
    "to_categories",
    "most_confused",
    "classification_report",
]

_AVERAGES = ("macro", "micro", "weighted", None)

#: ESC-50 orders its 50 targets in 5 blocks of 10, one block per category.
_CLASSES_PER_CATEGORY = 10
_N_ESC50_CLASSES = 50


def _as_labels(values: ArrayLike, name: str) -> np.ndarray:
    """Return ``values`` as a 1-D int64 array, or raise ParameterError naming ``name``."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ParameterError(
            f"{name} must be a 1-D array of class labels, got shape {arr.shape}; "
            "pass one label per clip (use argmax over the class axis for scores)"
        )
    if arr.dtype == bool or np.issubdtype(arr.dtype, np.integer):
        return arr.astype(np.int64)
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)):
            raise ParameterError(f"{name} contains NaN or infinite values; labels must be finite")
        if not np.all(arr == np.round(arr)):
            raise ParameterError(
                f"{name} holds non-integer values; pass integer class labels, not scores"
            )
        return arr.astype(np.int64)
    raise ParameterError(f"{name} must hold integer class labels, got dtype {arr.dtype}")


def _check_labels(labels: ArrayLike) -> np.ndarray:
    """Validate an explicit ``labels`` argument: 1-D integers, non-empty, no duplicates."""
    labels = _as_labels(labels, "labels")
    if len(labels) == 0:
        raise ParameterError("labels is empty; pass the classes to score or labels=None")
    if len(np.unique(labels)) != len(labels):
        raise ParameterError("labels contains duplicates; pass each class once")
    return labels


def _check_targets(
    y_true: ArrayLike, y_pred: ArrayLike, labels: ArrayLike | None = None, *, pred_name="y_pred"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check and normalise the inputs shared by every metric.

    Returns ``(y_true, y_pred, labels)`` as int64 arrays. ``labels`` defaults to the
    sorted union of the labels present in ``y_true`` and ``y_pred``.
    """
    y_true = _as_labels(y_true, "y_true")
    y_pred = _as_labels(y_pred, pred_name)
    if len(y_true) != len(y_pred):
        raise ParameterError(
            f"y_true and {pred_name} must have the same length, got {len(y_true)} and {len(y_pred)}"
        )
    if len(y_true) == 0:
        raise ParameterError("y_true is empty; metrics need at least one clip")
    labels = np.union1d(y_true, y_pred) if labels is None else _check_labels(labels)
    return y_true, y_pred, labels


def _label_index(y: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Position of each entry of ``y`` in ``labels``, or -1 where it is not listed."""
    order = np.argsort(labels)
    sorted_labels = labels[order]
    pos = np.clip(np.searchsorted(sorted_labels, y), 0, len(labels) - 1)
    return np.where(sorted_labels[pos] == y, order[pos], -1)


def _counts(
    y_true: np.ndarray, y_pred: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-label true positives, predicted counts and true counts (the 'support').

    Every clip counts, also when the other array holds a label that is not listed.
    """
    n = len(labels)
    ti, pi = _label_index(y_true, labels), _label_index(y_pred, labels)

    def count(index: np.ndarray) -> np.ndarray:
        return np.bincount(index[index >= 0], minlength=n)

    return count(np.where(y_true == y_pred, ti, -1)), count(pi), count(ti)


def _confusion_counts(y_true: np.ndarray, y_pred: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Count matrix over ``labels``; clips whose true or predicted label is not listed are
    left out (as in scikit-learn)."""
    n = len(labels)
    ti, pi = _label_index(y_true, labels), _label_index(y_pred, labels)
    keep = (ti >= 0) & (pi >= 0)
    return np.bincount(ti[keep] * n + pi[keep], minlength=n * n).reshape(n, n).astype(np.int64)


def _divide(num: np.ndarray, den: np.ndarray, zero_division: float) -> np.ndarray:
    """``num / den`` elementwise with ``zero_division`` where ``den == 0``."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, float(zero_division))
    np.divide(num, den, out=out, where=den != 0)
    return out


def _nan_average(values: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Weighted mean ignoring NaN entries (all weights zero -> plain mean; all NaN -> NaN)."""
    keep = ~np.isnan(values)
    if not keep.any():
        return float("nan")
    values = values[keep]
    if weights is None or weights[keep].sum() == 0:
        return float(values.mean())
    return float(np.average(values, weights=weights[keep]))


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Fraction of clips whose predicted label equals the true label.

    Parameters
    ----------
    y_true : array-like of int, shape (n_clips,)
        True class labels.
    y_pred : array-like of int, shape (n_clips,)
        Predicted class labels.

    Returns
    -------
    float
        In [0, 1]. Equal to :func:`sklearn.metrics.accuracy_score`.

    Examples
    --------
    >>> from machinehearing.metrics import accuracy
    >>> accuracy([0, 1, 2, 2], [0, 1, 1, 2])
    0.75
    """
    y_true, y_pred, _ = _check_targets(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def top_k_accuracy(
    y_true: ArrayLike, scores: ArrayLike, *, k: int = 5, labels: ArrayLike | None = None
) -> float:
    """Fraction of clips whose true label is among the ``k`` highest-scoring classes.

    Parameters
    ----------
    y_true : array-like of int, shape (n_clips,)
        True class labels.
    scores : array-like of float, shape (n_clips, n_classes)
        Scores (logits or probabilities); column ``j`` scores class ``labels[j]``.
    k : int, default=5
        Number of top classes that count as a hit. ``k >= n_classes`` gives 1.0.
    labels : array-like of int, shape (n_classes,), optional
        The class of each column. Default: ``0 .. n_classes - 1``.

    Returns
    -------
    float
        Equal to :func:`sklearn.metrics.top_k_accuracy_score` with the same ``labels``;
        tied scores are ordered as scikit-learn does (the later column ranks higher).

    Examples
    --------
    >>> from machinehearing.metrics import top_k_accuracy
    >>> scores = [[0.5, 0.3, 0.2], [0.1, 0.3, 0.6], [0.2, 0.7, 0.1]]
    >>> top_k_accuracy([1, 0, 1], scores, k=1)
    0.3333333333333333
    >>> top_k_accuracy([1, 0, 1], scores, k=2)
    0.6666666666666666
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2:
        raise ParameterError(f"scores must be 2-D (n_clips, n_classes), got shape {scores.shape}")
    if np.isnan(scores).any():
        raise ParameterError("scores contains NaN values")
    if not (isinstance(k, int | np.integer) and k >= 1):
        raise ParameterError(f"k must be a positive integer, got {k!r}")
    n_classes = scores.shape[1]
    y_true = _as_labels(y_true, "y_true")
    if len(y_true) != len(scores) or len(y_true) == 0:
        raise ParameterError(
            f"y_true and scores must have the same non-zero length, got {len(y_true)} and "
            f"{len(scores)}"
        )
    labels = np.arange(n_classes) if labels is None else _check_labels(labels)
    if len(labels) != n_classes:
        raise ParameterError(
            f"labels has {len(labels)} entries but scores has {n_classes} columns; "
            "pass one label per column"
        )
    column = _label_index(y_true, labels)
    if np.any(column < 0):
        missing = np.unique(y_true[column < 0]).tolist()
        raise ParameterError(f"y_true holds labels {missing} not listed in labels")
    ranked = np.argsort(scores, axis=1, kind="stable")[:, ::-1][:, :k]
    return float(np.mean((ranked == column[:, None]).any(axis=1)))


def precision_recall_f1(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    average: str | None = "macro",
    labels: ArrayLike | None = None,
    zero_division: float = 0.0,
) -> tuple[float, float, float] | tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall and F1 score, per class or averaged.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n_clips,)
        True and predicted class labels.
    average : {"macro", "micro", "weighted"} or None, default="macro"
        ``"macro"``: unweighted mean over classes (each class counts the same);
        ``"micro"``: from the totals over all classes (equals accuracy when every label is
        scored); ``"weighted"``: mean weighted by each class's number of true clips;
        ``None``: one value per class.
    labels : array-like of int, optional
        Classes to score, in this order. Default: sorted labels of ``y_true`` and ``y_pred``.
        Listing a class absent from both gives it the ``zero_division`` value.
    zero_division : float, default=0.0
        Value of a ratio whose denominator is zero (0.0, 1.0 or ``np.nan``; NaN values
        are left out of the averages).

    Returns
    -------
    precision, recall, f1 : float, or ndarray of shape (n_labels,) when ``average=None``
        Equal to :func:`sklearn.metrics.precision_recall_fscore_support` (without support).

    Examples
    --------
    >>> from machinehearing.metrics import precision_recall_f1
    >>> p, r, f = precision_recall_f1([0, 0, 1, 2], [0, 1, 1, 1])
    >>> round(p, 3), round(r, 3), round(f, 3)
    (0.444, 0.5, 0.389)
    >>> precision_recall_f1([0, 0, 1, 2], [0, 1, 1, 1], average=None)[0]
    array([1.        , 0.33333333, 0.        ])
    """
    if average not in _AVERAGES:
        raise ParameterError(
            f"average must be one of 'macro', 'micro', 'weighted' or None, got {average!r}"
        )
    y_true, y_pred, labels = _check_targets(y_true, y_pred, labels)
    tp, predicted, support = _counts(y_true, y_pred, labels)
    if average == "micro":
        tp, predicted, support = tp.sum(), predicted.sum(), support.sum()
    precision = _divide(tp, predicted, zero_division)
    recall = _divide(tp, support, zero_division)
    f1 = _divide(2 * tp, predicted + support, zero_division)
    if average is None:
        return precision, recall, f1
    weights = support if average == "weighted" else None
    return tuple(_nan_average(np.atleast_1d(v), weights) for v in (precision, recall, f1))


def confusion_matrix(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    labels: ArrayLike | None = None,
    normalize: str | None = None,
) -> np.ndarray:
    """Confusion matrix: entry ``[i, j]`` counts clips of class ``labels[i]`` predicted as
    ``labels[j]``.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n_clips,)
        True and predicted class labels.
    labels : array-like of int, optional
        Row/column order. Default: sorted labels of ``y_true`` and ``y_pred``. Clips whose
        true or predicted label is not listed are left out.
    normalize : {None, "true", "pred", "all"}, default=None
        ``"true"``: rows sum to 1 (the diagonal is the per-class recall); ``"pred"``:
        columns sum to 1; ``"all"``: the whole matrix sums to 1. An all-zero row/column
        stays zero.

    Returns
    -------
    ndarray of shape (n_labels, n_labels)
        int64 counts, or float64 when normalised. Equal to
        :func:`sklearn.metrics.confusion_matrix` (which, unlike this function, refuses
        ``labels`` that are all absent from ``y_true``).

    Examples
    --------
    >>> from machinehearing.metrics import confusion_matrix
    >>> confusion_matrix([0, 0, 1, 2], [0, 1, 1, 1])
    array([[1, 1, 0],
           [0, 1, 0],
           [0, 1, 0]])
    >>> confusion_matrix([0, 0, 1, 2], [0, 1, 1, 1], normalize="true")[0]
    array([0.5, 0.5, 0. ])
    """
    if normalize not in (None, "true", "pred", "all"):
        raise ParameterError(f"normalize must be None, 'true', 'pred' or 'all', got {normalize!r}")
    y_true, y_pred, labels = _check_targets(y_true, y_pred, labels)
    cm = _confusion_counts(y_true, y_pred, labels)
    if normalize is None:
        return cm
    if normalize == "true":
        return _divide(cm, cm.sum(axis=1, keepdims=True), 0.0)
    if normalize == "pred":
        return _divide(cm, cm.sum(axis=0, keepdims=True), 0.0)
    return _divide(cm, cm.sum(), 0.0)


def per_class_accuracy(
    y_true: ArrayLike, y_pred: ArrayLike, *, labels: ArrayLike | None = None
) -> np.ndarray:
    """Accuracy within each class: the fraction of its clips predicted correctly.

    This is the per-class recall (the diagonal of the row-normalised confusion matrix).

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n_clips,)
        True and predicted class labels.
    labels : array-like of int, optional
        Classes, in this order. Default: sorted labels of ``y_true`` and ``y_pred``.

    Returns
    -------
    ndarray of float64, shape (n_labels,)
        A class with no clip in ``y_true`` gets NaN (its accuracy is undefined, not 0).
        Equal to ``sklearn.metrics.recall_score(..., average=None, zero_division=np.nan)``.

    Examples
    --------
    >>> from machinehearing.metrics import per_class_accuracy
    >>> per_class_accuracy([0, 0, 1, 1], [0, 1, 1, 1])
    array([0.5, 1. ])
    >>> per_class_accuracy([0, 0], [0, 2])   # class 2 never occurs in y_true
    array([0.5, nan])
    """
    y_true, y_pred, labels = _check_targets(y_true, y_pred, labels)
    tp, _, support = _counts(y_true, y_pred, labels)
    return _divide(tp, support, np.nan)


def to_categories(targets: ArrayLike) -> np.ndarray:
    """Map ESC-50 class targets to their major categories.

    ESC-50 numbers its classes in five blocks of ten (animals 0-9, natural soundscapes
    10-19, human non-speech 20-29, interior/domestic 30-39, exterior/urban 40-49), so the
    category of target ``t`` is ``t // 10``: the rule of
    :func:`machinehearing.datasets.esc50.category_of`, vectorised.

    Parameters
    ----------
    targets : array-like of int in [0, 50), shape (n_clips,)

    Returns
    -------
    ndarray of int64 in [0, 5)

    Examples
    --------
    >>> from machinehearing.metrics import to_categories
    >>> to_categories([0, 9, 10, 42])
    array([0, 0, 1, 4])
    """
    targets = _as_labels(targets, "targets")
    if len(targets) and (targets.min() < 0 or targets.max() >= _N_ESC50_CLASSES):
        raise ParameterError(
            f"targets must be ESC-50 class targets in [0, 50); got values in "
            f"[{targets.min()}, {targets.max()}] (categories apply to the 'classes' task)"
        )
    return targets // _CLASSES_PER_CATEGORY


def category_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Accuracy after mapping 50-class ESC-50 targets to their 5 categories.

    A prediction counts as right when it names any class of the true clip's category
    (see :func:`to_categories` for the mapping).

    Parameters
    ----------
    y_true, y_pred : array-like of int in [0, 50), shape (n_clips,)
        True and predicted ESC-50 targets.

    Returns
    -------
    float
        ``accuracy(y_true // 10, y_pred // 10)``; always >= the 50-class accuracy.

    Examples
    --------
    >>> from machinehearing.metrics import category_accuracy
    >>> category_accuracy([0, 12, 45], [3, 12, 20])   # dog->frog counts: both animals
    0.6666666666666666
    """
    y_true, y_pred, _ = _check_targets(y_true, y_pred)
    try:
        y_true = to_categories(y_true)
    except ParameterError as exc:
        raise ParameterError(f"y_true: {exc}") from None
    try:
        y_pred = to_categories(y_pred)
    except ParameterError as exc:
        raise ParameterError(f"y_pred: {exc}") from None
    return accuracy(y_true, y_pred)


def most_confused(cm: ArrayLike, *, k: int = 10) -> list[tuple[int, int, float]]:
    """The ``k`` largest off-diagonal entries of a confusion matrix.

    Parameters
    ----------
    cm : array-like, shape (n_classes, n_classes)
        Confusion matrix (counts or normalised), rows true, columns predicted.
    k : int, default=10
        Number of pairs to return (fewer when fewer entries are non-zero).

    Returns
    -------
    list of (true_index, predicted_index, value)
        Sorted by value, largest first (ties: by row, then column); zero entries are
        left out.

    Examples
    --------
    >>> from machinehearing.metrics import confusion_matrix, most_confused
    >>> cm = confusion_matrix([0, 0, 0, 1, 1, 2], [1, 1, 0, 0, 1, 1])
    >>> most_confused(cm, k=2)
    [(0, 1, 2.0), (1, 0, 1.0)]
    """
    cm = np.asarray(cm, dtype=np.float64)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ParameterError(f"cm must be a square 2-D matrix, got shape {cm.shape}")
    if not (isinstance(k, int | np.integer) and k >= 1):
        raise ParameterError(f"k must be a positive integer, got {k!r}")
    off = cm.copy()
    np.fill_diagonal(off, 0.0)
    rows, cols = np.nonzero(off)
    order = np.lexsort((cols, rows, -off[rows, cols]))[:k]
    return [(int(rows[i]), int(cols[i]), float(off[rows[i], cols[i]])) for i in order]


def classification_report(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    labels: ArrayLike | None = None,
    target_names: Sequence[str] | None = None,
    digits: int = 2,
    output_dict: bool = False,
    zero_division: float = 0.0,
) -> str | dict:
    """Text (or dict) summary of precision, recall, F1 and support per class and averaged.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n_clips,)
        True and predicted class labels.
    labels : array-like of int, optional
        Classes to report, in this order. Default: sorted labels of both arrays.
    target_names : sequence of str, optional
        Display name of each entry of ``labels`` (e.g. ``LabelMap.names``).
    digits : int, default=2
        Decimals in the text report (the dict is not rounded).
    output_dict : bool, default=False
        Return ``{name: {"precision", "recall", "f1-score", "support"}, "accuracy": float,
        "macro avg": {...}, "weighted avg": {...}}`` instead of text.
    zero_division : float, default=0.0
        See :func:`precision_recall_f1`.

    Returns
    -------
    str or dict
        Identical to :func:`sklearn.metrics.classification_report` (text and dict). The
        "accuracy" line appears when every label present is reported; otherwise a
        "micro avg" line is shown instead.

    Examples
    --------
    >>> from machinehearing.metrics import classification_report
    >>> print(classification_report([0, 0, 1, 1], [0, 1, 1, 1], target_names=["dog", "cat"]))
                  precision    recall  f1-score   support
    <BLANKLINE>
             dog       1.00      0.50      0.67         2
             cat       0.67      1.00      0.80         2
    <BLANKLINE>
        accuracy                           0.75         4
       macro avg       0.83      0.75      0.73         4
    weighted avg       0.83      0.75      0.73         4
    <BLANKLINE>
    """
    y_true, y_pred, present = _check_targets(y_true, y_pred)
    labels = present if labels is None else _check_targets(y_true, y_pred, labels)[2]
    if target_names is None:
        target_names = [str(label) for label in labels]
    elif len(target_names) != len(labels):
        raise ParameterError(
            f"target_names has {len(target_names)} entries for {len(labels)} labels; "
            "pass one name per label (or the labels argument)"
        )
    micro_is_accuracy = set(labels.tolist()) >= set(present.tolist())
    headers = ["precision", "recall", "f1-score", "support"]

    def scores(average: str | None) -> list:
        p, r, f = precision_recall_f1(
            y_true, y_pred, average=average, labels=labels, zero_division=zero_division
        )
        return [p, r, f]

    support = _counts(y_true, y_pred, labels)[2]
    rows = [(name, *values) for name, *values in zip(target_names, *scores(None), support)]
    averages = []
    for average in ("micro", "macro", "weighted"):
        heading = "accuracy" if average == "micro" and micro_is_accuracy else f"{average} avg"
        averages.append((heading, *scores(average), int(support.sum())))

    if output_dict:
        report = {row[0]: dict(zip(headers, map(float, row[1:]))) for row in rows}
        for heading, *values in averages:
            report[heading] = dict(zip(headers, map(float, values)))
        if "accuracy" in report:
            report["accuracy"] = report["accuracy"]["precision"]
        return report

    width = max(max(len(name) for name in target_names), len("weighted avg"), digits)
    row_fmt = "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}\n"
    text = ("{:>{width}s} " + " {:>9}" * 4).format("", *headers, width=width) + "\n\n"
    for row in rows:
        text += row_fmt.format(*row, width=width, digits=digits)
    text += "\n"
    for heading, *values in averages:
        if heading == "accuracy":
            text += ("{:>{width}s} " + " {:>9}" * 2 + " {:>9.{digits}f} {:>9}\n").format(
                heading, "", "", values[2], values[3], width=width, digits=digits
            )
        else:
            text += row_fmt.format(heading, *values, width=width, digits=digits)
    return text
