"""Session 6 — evaluation: metrics, confusions and a significance test.

You write the metrics used to read a trained classifier, with NumPy only. They mirror
:mod:`machinehearing.metrics` and :func:`machinehearing.stats.mcnemar`, which equal
scikit-learn's (and statsmodels' exact McNemar test). Labels are integer class ids.

Check your work with ``machinehearing check 6``. Do not call scikit-learn, scipy.stats
or :mod:`machinehearing.metrics` inside these functions.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "accuracy",
    "confusion_matrix",
    "precision_recall_f1",
    "per_class_accuracy",
    "category_accuracy",
    "mcnemar",
]


def _labels_of(y_true: np.ndarray, y_pred: np.ndarray, labels: np.ndarray | None) -> np.ndarray:
    """The classes to report: ``labels`` when given, else every label seen (sorted). Given."""
    if labels is not None:
        return np.asarray(labels)
    return np.union1d(y_true, y_pred)


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of predictions equal to the true label.

    Pitfalls: return a Python ``float`` in [0, 1] (not a percentage); refuse inputs of
    different lengths with a ``ValueError``.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n,)

    Returns
    -------
    float

    Examples
    --------
    >>> accuracy([0, 1, 2, 2], [0, 1, 1, 2])
    0.75
    """
    # YOUR CODE HERE
    raise NotImplementedError("accuracy: your code here (see the docstring)")


def confusion_matrix(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    *,
    labels: np.ndarray | None = None,
    normalize: str | None = None,
) -> np.ndarray:
    """Confusion matrix: ``C[i, j]`` = clips of class ``labels[i]`` predicted ``labels[j]``.

    Rows are true classes, columns predicted classes (scikit-learn's convention).
    ``labels`` defaults to every label present in ``y_true`` or ``y_pred``, sorted;
    pairs involving other labels are ignored. ``normalize``:

    * ``None``: counts (int64);
    * ``"true"``: divide each row by its sum (rows = recall per class);
    * ``"pred"``: divide each column by its sum (columns = precision per class);
    * ``"all"``: divide by the total.

    Empty rows/columns normalise to 0, not NaN.

    Pitfalls: swapping rows and columns (the transpose); assuming labels are
    ``0 ... K-1`` when ``labels`` is given in another order.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n,)
    labels : array-like of int, optional
    normalize : {None, "true", "pred", "all"}

    Returns
    -------
    np.ndarray, shape (K, K)

    Examples
    --------
    >>> confusion_matrix([0, 0, 1, 2], [0, 1, 1, 2])
    array([[1, 1, 0],
           [0, 1, 0],
           [0, 0, 1]])
    """
    # YOUR CODE HERE
    raise NotImplementedError("confusion_matrix: your code here (see the docstring)")


def precision_recall_f1(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    *,
    average: str | None = "macro",
    labels: np.ndarray | None = None,
) -> tuple:
    """Precision, recall and F1 score, per class or averaged (scikit-learn's definitions).

    For class ``k``: ``TP`` = clips of ``k`` predicted ``k``, ``FP`` = other clips
    predicted ``k``, ``FN`` = clips of ``k`` predicted something else;
    ``precision = TP / (TP + FP)``, ``recall = TP / (TP + FN)``,
    ``F1 = 2 P R / (P + R)``; a 0/0 counts as 0.

    ``average``:

    * ``None``: three arrays, one value per class of ``labels``;
    * ``"macro"``: unweighted means over classes of P, R and F1 (F1 is the mean of the
      per-class F1s, *not* the F1 of the mean P and R);
    * ``"weighted"``: means weighted by each class's support (number of true clips);
    * ``"micro"``: from the summed TP, FP, FN over classes.

    Pitfalls: the macro F1 computed from macro P and R; classes with no prediction
    producing NaN; forgetting classes that are only predicted (they count in the mean).

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n,)
    average : {"macro", "micro", "weighted", None}
    labels : array-like of int, optional
        Classes to include (default: every label present, sorted).

    Returns
    -------
    precision, recall, f1 : float or np.ndarray

    Examples
    --------
    >>> p, r, f = precision_recall_f1([0, 0, 1, 1], [0, 1, 1, 1])
    >>> round(p, 4), round(r, 4), round(f, 4)
    (0.8333, 0.75, 0.7333)
    """
    # YOUR CODE HERE
    raise NotImplementedError("precision_recall_f1: your code here (see the docstring)")


def per_class_accuracy(
    y_true: np.ndarray, y_pred: np.ndarray, *, labels: np.ndarray | None = None
) -> np.ndarray:
    """Accuracy within each true class (= the recall of each class).

    ``acc[k]`` = fraction of the clips of class ``labels[k]`` that were predicted
    ``labels[k]``. A class without any true clip (only predicted, or only listed in
    ``labels``) has no accuracy: NaN, not 0. ``labels`` defaults to every label present
    in ``y_true`` or ``y_pred``, sorted.

    Pitfalls: dividing by the number of *predictions* of the class (that is precision);
    reporting 0 for a class that never occurs.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n,)
    labels : array-like of int, optional

    Returns
    -------
    np.ndarray of float, shape (K,)

    Examples
    --------
    >>> per_class_accuracy([0, 0, 1, 1], [0, 1, 1, 1])
    array([0.5, 1. ])
    >>> per_class_accuracy([0, 0], [0, 2])
    array([0.5, nan])
    """
    # YOUR CODE HERE
    raise NotImplementedError("per_class_accuracy: your code here (see the docstring)")


def category_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Accuracy at the level of ESC-50's 5 major categories.

    ESC-50 numbers its 50 classes so that targets ``10 c ... 10 c + 9`` form category
    ``c`` (animals, natural soundscapes, human non-speech, domestic, urban). A
    prediction is right at the category level when ``y_pred // 10 == y_true // 10``:
    mistaking a dog (0) for a cat (5) is forgiven, a dog for a siren (42) is not.

    Parameters
    ----------
    y_true, y_pred : array-like of int in [0, 49], shape (n,)

    Returns
    -------
    float

    Examples
    --------
    >>> category_accuracy([0, 0, 42], [5, 42, 40])
    0.6666666666666666
    """
    # YOUR CODE HERE
    raise NotImplementedError("category_accuracy: your code here (see the docstring)")


def mcnemar(y_true: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray) -> tuple:
    """Exact McNemar test: do two classifiers differ on the same test clips?

    Only the clips where exactly one classifier is right carry information:
    ``b`` = A right and B wrong, ``c`` = A wrong and B right. Under the null
    hypothesis (equal accuracy) each such clip is a fair coin flip, so
    ``min(b, c)`` follows a Binomial(``n = b + c``, 1/2). The exact two-sided p-value is::

        pvalue = min(1, 2 * sum_{k=0}^{min(b, c)} comb(n, k) / 2**n)     (1 when n = 0)

    and the statistic reported is ``min(b, c)`` (statsmodels' ``exact=True``).

    Pitfalls: counting clips where both are wrong (they disagree with the truth but
    not with each other); the chi-square approximation is poor for small ``b + c``.

    Parameters
    ----------
    y_true, pred_a, pred_b : array-like of int, shape (n,)

    Returns
    -------
    tuple (b, c, statistic, pvalue)
        ``b``, ``c`` and ``statistic`` ints, ``pvalue`` a float.

    Examples
    --------
    >>> mcnemar([0, 0, 0, 0], [0, 0, 0, 1], [1, 1, 1, 1])
    (3, 0, 0, 0.25)
    """
    # YOUR CODE HERE
    raise NotImplementedError("mcnemar: your code here (see the docstring)")
