"""Statistics for comparing and reporting classifiers.

- :func:`crossval_summary`: mean, sample standard deviation and standard error of per-fold
  scores.
- :func:`sem`: standard error of a mean, the uncertainty to report next to a mean score.
- :func:`bootstrap_ci`: percentile bootstrap confidence interval of a metric over clips, or
  over whole recordings when the clips come in correlated groups.
- :func:`mcnemar`: McNemar's exact (or mid-p) test for two classifiers scored on the same clips.
- :func:`compare_feature_sets`: pairwise McNemar tests between several feature sets.

How sure are we that one number is better than another? A test set of 400 clips gives an
accuracy whose 95 % interval is several points wide; two models evaluated on the *same*
clips are compared more sharply by looking only at the clips where they disagree
(McNemar), which is what the course's feature comparison does.

Two habits keep the numbers honest. A *standard deviation* describes how much the folds (or
seeds) differ from each other; the *standard error* ``std / sqrt(n)`` says how well their mean
is known, and is what a summary of a mean should report next to it. And ESC-50 cuts several
clips (takes) from one recording (its ``src_file``): takes of one recording are alike, so a
bootstrap over clips pretends to have more independent evidence than there is; pass
``groups=`` to :func:`bootstrap_ci` to resample whole recordings.
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
    "sem",
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
        sample of possible splits; NaN for a single fold); ``sem``, the standard error of
        the mean, ``std / sqrt(n)`` (:func:`sem`); ``per_fold`` (list of float, in the
        given order); ``n`` (number of folds); ``folds`` (the mapping's keys, or 1..n for a
        sequence).

    Notes
    -----
    Report ``mean ± sem`` when the question is how well the mean score is known (comparing
    two recipes), and ``std`` when it is how much one fold can differ from another. The
    folds of one data set share clips between their training sets, so ``sem`` is, if
    anything, optimistic.

    Examples
    --------
    >>> from machinehearing.stats import crossval_summary
    >>> s = crossval_summary([0.80, 0.82, 0.78, 0.85, 0.75])
    >>> round(s["mean"], 3), round(s["std"], 4), round(s["sem"], 4), s["n"]
    (0.8, 0.0381, 0.017, 5)
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
        "sem": std / math.sqrt(len(values)),
        "per_fold": values.tolist(),
        "n": len(values),
        "folds": folds,
    }


def sem(values: ArrayLike, *, ddof: int = 1) -> float:
    """Standard error of the mean: ``std(values, ddof=ddof) / sqrt(n)``.

    The standard deviation of the mean of ``n`` independent scores (folds, seeds). It
    shrinks with more folds or seeds where the standard deviation does not: summaries of a
    mean score (tables of ``crossval``, ``sweep``, reports) should give ``mean ± sem`` and
    say so (= ``scipy.stats.sem``).

    Parameters
    ----------
    values : array-like of float, shape (n,)
        The scores.
    ddof : int, default=1
        Delta degrees of freedom of the standard deviation (1: the sample estimate).

    Returns
    -------
    float
        NaN when ``n <= ddof`` (one score says nothing about its spread).

    Examples
    --------
    >>> from machinehearing.stats import sem
    >>> round(sem([0.80, 0.82, 0.78, 0.85, 0.75]), 4)
    0.017
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or len(values) == 0:
        raise ParameterError("values must be a non-empty 1-D sequence of numbers")
    if not np.all(np.isfinite(values)):
        raise ParameterError("values contains NaN or infinite values")
    if isinstance(ddof, bool) or not isinstance(ddof, int | np.integer) or ddof < 0:
        raise ParameterError(f"ddof={ddof!r} must be a non-negative integer")
    if len(values) <= ddof:
        return float("nan")
    return float(np.std(values, ddof=ddof) / math.sqrt(len(values)))


def _group_index(groups: ArrayLike, n: int) -> tuple[np.ndarray, int]:
    """Group number (0 .. n_groups - 1) of every clip, from any array of group ids."""
    groups = np.asarray(groups)
    if groups.ndim != 1 or len(groups) != n:
        raise ParameterError(
            f"groups must give one group id per clip: expected shape ({n},), got {groups.shape}"
        )
    _, index = np.unique(groups, return_inverse=True)
    n_groups = int(index.max()) + 1
    if n_groups < 2:
        raise ParameterError(
            "groups holds a single group: a bootstrap over groups needs at least two "
            "(pass groups=None to resample clips)"
        )
    return index.reshape(-1), n_groups


def bootstrap_ci(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    metric: Callable[[np.ndarray, np.ndarray], float] = accuracy,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    groups: ArrayLike | None = None,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of a metric, resampling clips or groups.

    Draw ``n_boot`` samples of ``n`` clips with replacement, compute the metric on each,
    and return the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles of the
    bootstrap distribution (the percentile method).

    With ``groups`` (one id per clip, e.g. ESC-50's ``src_file``) whole groups are drawn
    instead: ``n_groups`` groups with replacement, each bringing all its clips (the cluster
    bootstrap). Clips of one recording are correlated -- a model that gets one take right
    tends to get the others right -- so resampling them one by one gives intervals that
    are too narrow; use ``groups`` whenever several clips come from one recording.

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
    groups : array-like, shape (n_clips,), optional
        Group id of each clip (any hashable values numpy can sort: strings, ints). None
        resamples clips (the draws are those of earlier versions: same seed, same result).

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

    Five takes of each of 40 recordings, a take right exactly when its recording is: the
    200 clips hold the evidence of 40, and the interval over recordings is wider.

    >>> recording = np.repeat(np.arange(40), 5)
    >>> y_pred = np.where(recording % 4 == 0, (y_true + 1) % 5, y_true)
    >>> by_clip = bootstrap_ci(y_true, y_pred)
    >>> by_recording = bootstrap_ci(y_true, y_pred, groups=recording)
    >>> bool(by_recording[1] - by_recording[0] > 1.8 * (by_clip[1] - by_clip[0]))
    True
    """
    y_true, y_pred, _ = _check_targets(y_true, y_pred)
    if not (isinstance(n_boot, int | np.integer) and n_boot >= 1):
        raise ParameterError(f"n_boot must be a positive integer, got {n_boot!r}")
    if not 0.0 < confidence < 1.0:
        raise ParameterError(f"confidence must be in (0, 1), got {confidence!r}")
    n = len(y_true)
    correct = y_true == y_pred
    if groups is None:  # every clip is its own group
        index, n_units = np.arange(n), n
    else:
        index, n_units = _group_index(groups, n)
    # per unit: its number of clips and of correct clips, and where its clips lie in `order`
    sizes = np.bincount(index, minlength=n_units)
    hits = np.bincount(index, weights=correct, minlength=n_units)
    order = np.argsort(index, kind="stable")
    starts = np.cumsum(sizes) - sizes

    def clips_of(drawn: np.ndarray) -> np.ndarray:
        """The clips of the drawn units, unit after unit."""
        counts = sizes[drawn]
        first = np.repeat(starts[drawn] - (np.cumsum(counts) - counts), counts)
        return order[first + np.arange(counts.sum())]

    rng = np.random.default_rng(seed)
    chunk = max(1, 2_000_000 // n_units)  # bound memory: at most ~2M drawn indices at a time
    values = []
    for start in range(0, n_boot, chunk):
        draws = rng.integers(0, n_units, size=(min(chunk, n_boot - start), n_units))
        if metric is accuracy:  # hits over clips of the drawn units, all resamples at once
            values.append(hits[draws].sum(axis=1) / sizes[draws].sum(axis=1))
        else:
            clips = [clips_of(drawn) for drawn in draws]
            values.append([metric(y_true[c], y_pred[c]) for c in clips])
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


def mcnemar(
    y_true: ArrayLike, pred_a: ArrayLike, pred_b: ArrayLike, *, mid_p: bool = False
) -> McNemarResult:
    """McNemar's exact test: do two classifiers differ in accuracy on the same clips?

    Only the discordant clips carry information: ``b`` (A right, B wrong) and ``c``
    (A wrong, B right). Under the null hypothesis of equal accuracy each discordant clip
    is a fair coin, so ``b ~ Binomial(b + c, 1/2)`` and the two-sided exact p-value is

    .. math:: p = \\min\\left(1,\\ 2 \\sum_{i=0}^{\\min(b,c)} \\binom{b+c}{i} 2^{-(b+c)}\\right)

    computed here in exact integer arithmetic. With no discordant clip, ``p = 1``.

    The exact test is conservative: its p-values jump in steps, and it rejects less often
    than its level says. The *mid-p* value counts the observed outcome only half,

    .. math:: p_{mid} = 2 \\sum_{i=0}^{k-1} \\binom{n}{i} 2^{-n} + \\binom{n}{k} 2^{-n},
              \\quad n = b + c,\\ k = \\min(b, c),

    i.e. the exact p-value minus the probability of the observed ``k``; its rejection rate
    is close to the nominal level (Fagerland, Lydersen & Laake 2013, BMC Med Res Methodol
    13:91, who recommend it for paired proportions).

    Parameters
    ----------
    y_true : array-like of int, shape (n_clips,)
        True labels.
    pred_a, pred_b : array-like of int, shape (n_clips,)
        Predictions of the two classifiers on the same clips.
    mid_p : bool, default=False
        Return the mid-p value instead of the exact p-value.

    Returns
    -------
    McNemarResult
        ``(b, c, statistic, pvalue)``; the exact p-value equals
        ``scipy.stats.binomtest(b, b + c, 0.5).pvalue``, the mid-p value
        ``2 * binom.cdf(k, n, 0.5) - binom.pmf(k, n, 0.5)``.

    Examples
    --------
    >>> from machinehearing.stats import mcnemar
    >>> y = [0, 1, 2, 3, 4, 0, 1, 2]
    >>> a = [0, 1, 2, 3, 4, 0, 1, 0]   # 7 right
    >>> b = [0, 1, 0, 0, 0, 0, 0, 0]   # 3 right
    >>> r = mcnemar(y, a, b)
    >>> r.b, r.c, round(r.pvalue, 4)
    (4, 0, 0.125)
    >>> round(mcnemar(y, a, b, mid_p=True).pvalue, 4)  # 2 / 16 - 1 / 16
    0.0625
    """
    y_true, pred_a, _ = _check_targets(y_true, pred_a, pred_name="pred_a")
    _, pred_b, _ = _check_targets(y_true, pred_b, pred_name="pred_b")
    right_a, right_b = pred_a == y_true, pred_b == y_true
    b = int(np.sum(right_a & ~right_b))
    c = int(np.sum(~right_a & right_b))
    n, k = b + c, min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1))
    if mid_p:  # never above 1: for b = c it is exactly 1
        pvalue = (2 * tail - math.comb(n, k)) / 2**n
    else:
        pvalue = min(1.0, 2 * tail / 2**n)
    return McNemarResult(b=b, c=c, statistic=k, pvalue=float(pvalue))


def compare_feature_sets(
    y_true: ArrayLike, predictions: Mapping[str, ArrayLike], *, mid_p: bool = False
) -> list[dict]:
    """Pairwise McNemar tests between feature sets evaluated on the same clips.

    Parameters
    ----------
    y_true : array-like of int, shape (n_clips,)
        True labels.
    predictions : mapping name -> array-like of int, shape (n_clips,)
        Predictions of each feature set (or model) on the same clips, in the same order.
    mid_p : bool, default=False
        Report McNemar's mid-p values instead of the exact ones (see :func:`mcnemar`).

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
        result = mcnemar(y_true, predictions[name_a], predictions[name_b], mid_p=mid_p)
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
