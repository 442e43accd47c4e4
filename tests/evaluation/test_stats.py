"""machinehearing.stats against scipy and hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from machinehearing import metrics, stats
from machinehearing.errors import ParameterError


@pytest.mark.parametrize(
    "scores",
    [[0.8, 0.82, 0.78, 0.85, 0.75], [0.5, 0.5], {1: 0.7, 3: 0.9, 5: 0.8}],
    ids=["five_folds", "constant", "mapping"],
)
def test_crossval_summary_uses_sample_std(scores):
    values = list(scores.values()) if isinstance(scores, dict) else scores
    summary = stats.crossval_summary(scores)
    assert summary["mean"] == pytest.approx(sum(values) / len(values))
    n, mean = len(values), summary["mean"]
    assert summary["std"] == pytest.approx(
        math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    )
    assert summary["per_fold"] == pytest.approx(values)
    assert summary["n"] == n
    assert summary["folds"] == (list(scores) if isinstance(scores, dict) else [1, 2, 3, 4, 5][:n])


def test_crossval_summary_of_one_fold_has_undefined_std():
    summary = stats.crossval_summary([0.9])
    assert summary["mean"] == 0.9 and math.isnan(summary["std"])


@pytest.mark.parametrize("scores", [[], [0.5, float("nan")]])
def test_crossval_summary_rejects_empty_or_nan(scores):
    with pytest.raises(ParameterError, match="scores"):
        stats.crossval_summary(scores)


@pytest.mark.parametrize(
    "b, c, expected",
    [
        (1, 5, 14 / 64),  # 2 * (C(6,0) + C(6,1)) / 2^6
        (0, 4, 2 / 16),  # 2 * C(4,0) / 2^4
        (3, 3, 1.0),  # symmetric: capped at 1
        (0, 0, 1.0),  # no discordant clip
        (10, 0, 2 / 1024),
    ],
)
def test_mcnemar_matches_hand_computed_binomial(b, c, expected):
    # clips 0..b-1: only A right; next c: only B right; then 3 both right and 2 both wrong
    y = np.zeros(b + c + 5, dtype=int)
    a = np.concatenate([np.zeros(b), np.ones(c), np.zeros(3), np.ones(2)]).astype(int)
    bb = np.concatenate([np.ones(b), np.zeros(c), np.zeros(3), np.ones(2)]).astype(int)
    result = stats.mcnemar(y, a, bb)
    assert (result.b, result.c, result.statistic) == (b, c, min(b, c))
    assert result.pvalue == pytest.approx(expected, rel=1e-12)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 300), st.integers(0, 300))
def test_mcnemar_pvalue_equals_scipy_binomtest(b, c):
    y = np.zeros(b + c + 1, dtype=int)  # the last clip: both right
    a = np.r_[np.zeros(b), np.ones(c), 0].astype(int)
    other = np.r_[np.ones(b), np.zeros(c), 0].astype(int)
    result = stats.mcnemar(y, a, other)
    expected = 1.0 if b + c == 0 else scipy.stats.binomtest(b, b + c, 0.5).pvalue
    assert result.pvalue == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_mcnemar_is_symmetric_in_the_two_classifiers():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 5, 100)
    a = np.where(rng.random(100) < 0.7, y, 0)
    b = np.where(rng.random(100) < 0.5, y, 1)
    ab, ba = stats.mcnemar(y, a, b), stats.mcnemar(y, b, a)
    assert (ab.b, ab.c) == (ba.c, ba.b) and ab.pvalue == ba.pvalue


def test_mcnemar_rejects_mismatched_lengths():
    with pytest.raises(ParameterError, match="pred_b"):
        stats.mcnemar([0, 1, 2], [0, 1, 2], [0, 1])


def _labels_with_accuracy(n, p, rng):
    y_true = rng.integers(0, 10, n)
    right = rng.random(n) < p
    return y_true, np.where(right, y_true, (y_true + 1) % 10)


def test_bootstrap_ci_agrees_with_scipy_percentile_bootstrap():
    rng = np.random.default_rng(1)
    y_true, y_pred = _labels_with_accuracy(300, 0.7, rng)
    ours = stats.bootstrap_ci(y_true, y_pred, n_boot=4000, seed=3)
    theirs = scipy.stats.bootstrap(
        (y_true, y_pred),
        lambda t, p: np.mean(t == p),
        paired=True,
        vectorized=False,
        n_resamples=4000,
        method="percentile",
        rng=np.random.default_rng(4),
    ).confidence_interval
    # different random draws: the endpoints agree to Monte-Carlo error (~0.005)
    assert ours == pytest.approx((theirs.low, theirs.high), abs=0.012)


def test_bootstrap_ci_covers_the_true_accuracy_about_95_percent_of_the_time():
    rng = np.random.default_rng(2)
    p, n, trials = 0.7, 200, 300
    hits = 0
    for trial in range(trials):
        y_true, y_pred = _labels_with_accuracy(n, p, rng)
        low, high = stats.bootstrap_ci(y_true, y_pred, n_boot=400, seed=trial)
        hits += low <= p <= high
    # binomial(300, 0.95) has sd ~ 0.013; percentile intervals undercover slightly at n=200
    assert 0.90 <= hits / trials <= 0.99


def test_bootstrap_ci_generic_metric_path_matches_the_vectorised_accuracy_path():
    rng = np.random.default_rng(5)
    y_true, y_pred = _labels_with_accuracy(150, 0.6, rng)
    fast = stats.bootstrap_ci(y_true, y_pred, n_boot=300, seed=7)
    generic = stats.bootstrap_ci(
        y_true, y_pred, n_boot=300, seed=7, metric=lambda t, p: metrics.accuracy(t, p)
    )
    assert fast == pytest.approx(generic, abs=1e-12)


def test_bootstrap_ci_is_seeded_and_narrows_with_confidence():
    rng = np.random.default_rng(6)
    y_true, y_pred = _labels_with_accuracy(120, 0.8, rng)
    assert stats.bootstrap_ci(y_true, y_pred, seed=1) == stats.bootstrap_ci(y_true, y_pred, seed=1)
    wide = stats.bootstrap_ci(y_true, y_pred, confidence=0.99)
    narrow = stats.bootstrap_ci(y_true, y_pred, confidence=0.5)
    assert wide[0] < narrow[0] <= narrow[1] < wide[1]


def test_bootstrap_ci_with_a_macro_f1_metric_stays_in_range():
    rng = np.random.default_rng(8)
    y_true, y_pred = _labels_with_accuracy(100, 0.6, rng)
    f1 = stats.bootstrap_ci(
        y_true, y_pred, n_boot=200, metric=lambda t, p: metrics.precision_recall_f1(t, p)[2]
    )
    point = metrics.precision_recall_f1(y_true, y_pred)[2]
    assert 0.0 <= f1[0] <= point <= f1[1] <= 1.0


@pytest.mark.parametrize(
    "kwargs, match", [(dict(n_boot=0), "n_boot"), (dict(confidence=1.0), "confidence")]
)
def test_bootstrap_ci_validates_options(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        stats.bootstrap_ci([0, 1], [0, 1], **kwargs)


def test_compare_feature_sets_runs_mcnemar_on_every_pair():
    rng = np.random.default_rng(9)
    y = rng.integers(0, 5, 80)
    preds = {
        name: np.where(rng.random(80) < p, y, (y + 1) % 5)
        for name, p in [("logmel", 0.9), ("mfcc", 0.7), ("chroma", 0.4)]
    }
    rows = stats.compare_feature_sets(y, preds)
    assert [(r["a"], r["b"]) for r in rows] == [
        ("logmel", "mfcc"),
        ("logmel", "chroma"),
        ("mfcc", "chroma"),
    ]
    for row in rows:
        ref = stats.mcnemar(y, preds[row["a"]], preds[row["b"]])
        assert (row["only_a"], row["only_b"], row["pvalue"]) == (ref.b, ref.c, ref.pvalue)
        assert row["acc_a"] == metrics.accuracy(y, preds[row["a"]])
    with pytest.raises(ParameterError, match="two"):
        stats.compare_feature_sets(y, {"logmel": y})


# --------------------------------------------------------------------------- mid-p, sem, groups


def _discordant(b, c):
    """Labels, A and B predictions with b clips only A gets right and c only B gets right."""
    y = np.zeros(b + c + 1, dtype=int)  # the last clip: both right
    a = np.r_[np.zeros(b), np.ones(c), 0].astype(int)
    other = np.r_[np.ones(b), np.zeros(c), 0].astype(int)
    return y, a, other


@pytest.mark.parametrize(
    "b, c, expected",
    [
        (1, 5, 8 / 64),  # 2 * C(6,0) / 2^6 + C(6,1) / 2^6
        (0, 4, 1 / 16),  # C(4,0) / 2^4
        (3, 3, 1.0),  # 2 * (1 + 6 + 15) / 64 + 20 / 64
        (0, 0, 1.0),  # no discordant clip
        (10, 0, 1 / 1024),
    ],
)
def test_mcnemar_mid_p_matches_hand_computed_binomial(b, c, expected):
    result = stats.mcnemar(*_discordant(b, c), mid_p=True)
    assert (result.b, result.c, result.statistic) == (b, c, min(b, c))
    assert result.pvalue == pytest.approx(expected, rel=1e-12)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 300), st.integers(0, 300))
def test_mcnemar_mid_p_equals_scipy_binomial(b, c):
    n, k = b + c, min(b, c)
    expected = 2 * scipy.stats.binom.cdf(k, n, 0.5) - scipy.stats.binom.pmf(k, n, 0.5)
    exact = stats.mcnemar(*_discordant(b, c)).pvalue
    mid = stats.mcnemar(*_discordant(b, c), mid_p=True).pvalue
    assert mid == pytest.approx(expected, rel=1e-9, abs=1e-300)
    assert mid <= exact  # the mid-p value is the less conservative one


def test_compare_feature_sets_passes_mid_p_on():
    y, a, other = _discordant(2, 7)
    (row,) = stats.compare_feature_sets(y, {"a": a, "b": other}, mid_p=True)
    assert row["pvalue"] == stats.mcnemar(y, a, other, mid_p=True).pvalue


@pytest.mark.parametrize("values", [[0.8, 0.82, 0.78, 0.85, 0.75], [0.1, 0.9], [3.0, 3.0, 3.0]])
def test_sem_equals_scipy(values):
    assert stats.sem(values) == pytest.approx(scipy.stats.sem(values), rel=1e-12)
    assert stats.sem(values, ddof=0) == pytest.approx(scipy.stats.sem(values, ddof=0), rel=1e-12)
    assert stats.crossval_summary(values)["sem"] == pytest.approx(stats.sem(values), rel=1e-12)


def test_sem_of_one_value_is_undefined():
    assert math.isnan(stats.sem([0.7])) and math.isnan(stats.crossval_summary([0.7])["sem"])


@pytest.mark.parametrize(
    "values, kwargs, match",
    [([], {}, "values"), ([0.5, float("nan")], {}, "NaN"), ([0.5, 0.6], dict(ddof=-1), "ddof")],
)
def test_sem_rejects_bad_input(values, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        stats.sem(values, **kwargs)


def test_bootstrap_ci_with_one_clip_per_group_equals_the_clip_bootstrap():
    rng = np.random.default_rng(10)
    y_true, y_pred = _labels_with_accuracy(150, 0.7, rng)
    ids = np.array([f"clip-{i:03d}.wav" for i in range(150)])
    for metric in (metrics.accuracy, lambda t, p: metrics.accuracy(t, p)):
        by_clip = stats.bootstrap_ci(y_true, y_pred, n_boot=200, seed=4, metric=metric)
        by_group = stats.bootstrap_ci(y_true, y_pred, n_boot=200, seed=4, metric=metric, groups=ids)
        assert by_group == by_clip


def test_bootstrap_ci_over_groups_takes_whole_groups():
    # hand-computed: recording "a" has 3 takes, all right, "b" one take, wrong. Resampling
    # two recordings gives aa (accuracy 1), ab or ba (3/4) or bb (0) with probabilities
    # 1/4, 1/2, 1/4, so the 30 % and 70 % quantiles are both 3/4. Over clips the number
    # right is Binomial(4, 3/4): P(<= 2) = 67/256, P(<= 3) = 175/256 = 0.68 < 0.7, so the
    # 70 % quantile is 1.
    y_true, y_pred = [0, 0, 0, 0], [0, 0, 0, 1]
    groups = ["a", "b", "a", "a"]
    grouped = stats.bootstrap_ci(y_true, y_pred, confidence=0.4, n_boot=4000, groups=groups)
    assert grouped == (0.75, 0.75)
    by_clip = stats.bootstrap_ci(y_true, y_pred, confidence=0.4, n_boot=4000)
    assert by_clip == (0.75, 1.0)


def test_bootstrap_ci_over_groups_metric_path_matches_the_accuracy_path():
    rng = np.random.default_rng(11)
    y_true, y_pred = _labels_with_accuracy(120, 0.6, rng)
    groups = rng.integers(0, 30, 120)
    fast = stats.bootstrap_ci(y_true, y_pred, n_boot=300, seed=2, groups=groups)
    generic = stats.bootstrap_ci(
        y_true, y_pred, n_boot=300, seed=2, groups=groups, metric=lambda t, p: np.mean(t == p)
    )
    assert fast == pytest.approx(generic, abs=1e-12)


def test_bootstrap_ci_over_recordings_keeps_its_coverage_with_correlated_takes():
    # 60 recordings x 5 takes; a recording's skill p ~ Beta(1.5, 0.5) (mean 0.75, intra-class
    # correlation 1/3): the clip bootstrap's standard error is 1.5x too small and covers
    # about 80 % of the time (issue 12), the recording bootstrap close to 95 %
    rng = np.random.default_rng(0)
    n_rec, takes, trials, truth = 60, 5, 300, 0.75
    recording = np.repeat(np.arange(n_rec), takes)
    y_true = np.zeros(n_rec * takes, dtype=int)
    covered = {"clips": 0, "recordings": 0}
    for trial in range(trials):
        skill = rng.beta(1.5, 0.5, n_rec)
        y_pred = (rng.random(n_rec * takes) >= skill[recording]).astype(int)
        for kind, groups in (("clips", None), ("recordings", recording)):
            low, high = stats.bootstrap_ci(y_true, y_pred, n_boot=400, seed=trial, groups=groups)
            covered[kind] += low <= truth <= high
    grouped, ungrouped = covered["recordings"] / trials, covered["clips"] / trials
    assert grouped >= 0.9
    assert ungrouped <= 0.85 and grouped - ungrouped >= 0.1


@pytest.mark.parametrize(
    "groups, match", [([0, 1, 2], "one group id per clip"), ([5, 5, 5, 5], "single group")]
)
def test_bootstrap_ci_rejects_bad_groups(groups, match):
    with pytest.raises(ParameterError, match=match):
        stats.bootstrap_ci([0, 1, 0, 1], [0, 1, 1, 1], groups=groups)
