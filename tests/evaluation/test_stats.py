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
