"""Statistics for comparing and reporting classifiers.

- :func:`crossval_summary`: mean and sample standard deviation of per-fold scores.
- :func:`bootstrap_ci`: percentile bootstrap confidence interval of a metric over clips.
- :func:`mcnemar`: McNemar's exact test for two classifiers scored on the same clips.
- :func:`compare_feature_sets`: pairwise McNemar tests between several feature sets.

How sure are we that one number is better than another? A test set of 400 clips gives an
accuracy whose 95 % interval is several points wide; two models evaluated on the *same*
clips are compared more sharply by looking only at the clips where they disagree
(McNemar), which is what the course's feature comparison does.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .errors import ParameterError
from .metrics import _check_targets, accuracy

__all__ = [
    "crossval_summary",
    "bootstrap_ci",
    "McNemarResult",
    "mcnemar",
    "compare_feature_sets",
]


def crossval_summary(scores: Sequence[float] | Mapping[object, float]) -> dict:
    """Summarise cross-validation scores: mean, sample standard deviation, per fold.

    Parameters
    ----------
    scores : sequence of float, or mapping fold -> float
        One score (e.g. test accuracy) per fold.

    Returns
    -------
    dict
        ``mean``; ``std``, the *sample* standard deviation (``ddof=1``: the folds are a
        sample of possible splits; NaN for a single fold); ``per_fold`` (list of float, in
        the given order); ``n`` (number of folds); ``folds`` (the mapping's keys, or
        1..n for a sequence).

    Examples
    --------
    >>> from machinehearing.stats import crossval_summary
    >>> s = crossval_summary([0.80, 0.82, 0.78, 0.85, 0.75])
    >>> round(s["mean"], 3), round(s["std"], 4), s["n"]
    (0.8, 0.0381, 5)
    """
    if isinstance(scores, Mapping):
        folds, values = list(scores.keys()), list(scores.values())
    else:
        values = list(scores)
        folds = list(range(1, len(values) + 1))
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or len(values) == 0:
        raise ParameterError("scores must be a non-empty sequence of numbers, one per fold")
    if not np.all(np.isfinite(values)):
        raise ParameterError("scores contains NaN or infinite values")
    std = float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")
    return {
        "mean": float(values.mean()),
        "std": std,
        "per_fold": values.tolist(),
        "n": len(values),
        "folds": folds,
    }


def bootstrap_ci(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    metric: Callable[[np.ndarray, np.ndarray], float] = accuracy,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of a metric, resampling clips.

    Draw ``n_boot`` samples of ``n`` clips with replacement, compute the metric on each,
    and return the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles of the
    bootstrap distribution (the percentile method).

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n_clips,)
        True and predicted labels (kept paired when resampling).
    metric : callable ``(y_true, y_pred) -> float``, default=accuracy
        The statistic (:func:`machinehearing.metrics.accuracy` by default). Accuracy
        takes a vectorised path (same draws, same result).
    n_boot : int, default=1000
        Number of bootstrap resamples.
    confidence : float in (0, 1), default=0.95
        Coverage of the interval.
    seed : int, default=0
        Seed of the :func:`numpy.random.default_rng` drawing the resamples.

    Returns
    -------
    (low, high) : tuple of float

    Examples
    --------
    >>> import numpy as np
    >>> from machinehearing.stats import bootstrap_ci
    >>> y_true = np.arange(200) % 5
    >>> y_pred = np.where(np.arange(200) % 4 == 0, (y_true + 1) % 5, y_true)  # 75 % right
    >>> low, high = bootstrap_ci(y_true, y_pred)
    >>> bool(0.65 < low < 0.75 < high < 0.85)
    True
    """
    y_true, y_pred, _ = _check_targets(y_true, y_pred)
    if not (isinstance(n_boot, int | np.integer) and n_boot >= 1):
        raise ParameterError(f"n_boot must be a positive integer, got {n_boot!r}")
    if not 0.0 < confidence < 1.0:
        raise ParameterError(f"confidence must be in (0, 1), got {confidence!r}")
    n = len(y_true)
    rng = np.random.default_rng(seed)
    chunk = max(1, 2_000_000 // n)  # bound memory: at most ~2M drawn indices at a time
    correct = y_true == y_pred
    values = []
    for start in range(0, n_boot, chunk):
        idx = rng.integers(0, n, size=(min(chunk, n_boot - start), n))
        if metric is accuracy:  # the mean of the resampled hits, all resamples at once
            values.append(correct[idx].mean(axis=1))
        else:
            values.append([metric(y_true[i], y_pred[i]) for i in idx])
    values = np.concatenate(values).astype(np.float64)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(values, [alpha, 1.0 - alpha])
    return float(low), float(high)


class McNemarResult(NamedTuple):
    """Result of :func:`mcnemar`.

    Attributes
    ----------
    b : int
        Clips classifier A gets right and B gets wrong.
    c : int
        Clips classifier A gets wrong and B gets right.
    statistic : int
        ``min(b, c)``, the test statistic of the exact test.
    pvalue : float
        Two-sided exact p-value.
    """

    b: int
    c: int
    statistic: int
    pvalue: float


def mcnemar(y_true: ArrayLike, pred_a: ArrayLike, pred_b: ArrayLike) -> McNemarResult:
    """McNemar's exact test: do two classifiers differ in accuracy on the same clips?

    Only the discordant clips carry information: ``b`` (A right, B wrong) and ``c``
    (A wrong, B right). Under the null hypothesis of equal accuracy each discordant clip
    is a fair coin, so ``b ~ Binomial(b + c, 1/2)`` and the two-sided exact p-value is

    .. math:: p = \\min\\left(1,\\ 2 \\sum_{i=0}^{\\min(b,c)} \\binom{b+c}{i} 2^{-(b+c)}\\right)

    computed here in exact integer arithmetic. With no discordant clip, ``p = 1``.

    Parameters
    ----------
    y_true : array-like of int, shape (n_clips,)
        True labels.
    pred_a, pred_b : array-like of int, shape (n_clips,)
        Predictions of the two classifiers on the same clips.

    Returns
    -------
    McNemarResult
        ``(b, c, statistic, pvalue)``; the p-value equals
        ``scipy.stats.binomtest(b, b + c, 0.5).pvalue``.

    Examples
    --------
    >>> from machinehearing.stats import mcnemar
    >>> y = [0, 1, 2, 3, 4, 0, 1, 2]
    >>> a = [0, 1, 2, 3, 4, 0, 1, 0]   # 7 right
    >>> b = [0, 1, 0, 0, 0, 0, 0, 0]   # 3 right
    >>> r = mcnemar(y, a, b)
    >>> r.b, r.c, round(r.pvalue, 4)
    (4, 0, 0.125)
    """
    y_true, pred_a, _ = _check_targets(y_true, pred_a, pred_name="pred_a")
    _, pred_b, _ = _check_targets(y_true, pred_b, pred_name="pred_b")
    right_a, right_b = pred_a == y_true, pred_b == y_true
    b = int(np.sum(right_a & ~right_b))
    c = int(np.sum(~right_a & right_b))
    n, k = b + c, min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1))
    pvalue = min(1.0, 2 * tail / 2**n)
    return McNemarResult(b=b, c=c, statistic=k, pvalue=float(pvalue))


def compare_feature_sets(y_true: ArrayLike, predictions: Mapping[str, ArrayLike]) -> list[dict]:
    """Pairwise McNemar tests between feature sets evaluated on the same clips.

    Parameters
    ----------
    y_true : array-like of int, shape (n_clips,)
        True labels.
    predictions : mapping name -> array-like of int, shape (n_clips,)
        Predictions of each feature set (or model) on the same clips, in the same order.

    Returns
    -------
    list of dict
        One row per unordered pair, in the mapping's order: ``a``, ``b`` (names),
        ``acc_a``, ``acc_b``, ``only_a`` (clips only A gets right), ``only_b``,
        ``pvalue``. No multiple-comparison correction is applied: with many pairs,
        compare p-values against ``alpha / n_pairs`` (Bonferroni).

    Examples
    --------
    >>> from machinehearing.stats import compare_feature_sets
    >>> y = [0, 1, 2, 3]
    >>> rows = compare_feature_sets(y, {"logmel": [0, 1, 2, 3], "mfcc": [0, 1, 2, 0]})
    >>> rows[0]["a"], rows[0]["b"], rows[0]["only_a"], rows[0]["pvalue"]
    ('logmel', 'mfcc', 1, 1.0)
    """
    if len(predictions) < 2:
        raise ParameterError("predictions needs at least two feature sets to compare")
    rows = []
    for name_a, name_b in itertools.combinations(predictions, 2):
        result = mcnemar(y_true, predictions[name_a], predictions[name_b])
        rows.append(
            {
                "a": name_a,
                "b": name_b,
                "acc_a": accuracy(y_true, predictions[name_a]),
                "acc_b": accuracy(y_true, predictions[name_b]),
                "only_a": result.b,
                "only_b": result.c,
                "pvalue": result.pvalue,
            }
        )
    return rows
