"""machinehearing.metrics against scikit-learn (the oracle) on random and edge cases."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st

from machinehearing import metrics
from machinehearing.errors import ParameterError

# scikit-learn warns about single-label inputs and k >= n_classes: deliberate edge cases here
pytestmark = [
    pytest.mark.filterwarnings("ignore:A single label was found:UserWarning"),
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning"),
]


@st.composite
def label_pairs(draw, max_classes=6, max_len=40):
    """(y_true, y_pred) integer arrays of equal length with some classes possibly missing."""
    n = draw(st.integers(1, max_len))
    k = draw(st.integers(1, max_classes))
    labels = st.integers(0, k - 1)
    y_true = np.array(draw(st.lists(labels, min_size=n, max_size=n)))
    y_pred = np.array(draw(st.lists(labels, min_size=n, max_size=n)))
    return y_true, y_pred


EDGE_CASES = {
    "class_missing_in_pred": ([0, 0, 1, 1, 2, 2], [0, 0, 1, 1, 1, 1]),
    "class_missing_in_true": ([0, 0, 1, 1], [0, 2, 1, 2]),
    "single_class": ([3, 3, 3], [3, 3, 3]),
    "single_class_all_wrong": ([1, 1, 1], [0, 0, 0]),
    "all_wrong": ([0, 1, 2, 3], [1, 2, 3, 0]),
    "all_right": ([0, 1, 2, 3, 4], [0, 1, 2, 3, 4]),
    "one_clip": ([7], [2]),
    "sparse_labels": ([10, 40, 40, 25], [10, 25, 40, 49]),
}


@settings(max_examples=60, deadline=None)
@given(label_pairs())
def test_accuracy_matches_sklearn_on_random_labels(pair):
    y_true, y_pred = pair
    assert metrics.accuracy(y_true, y_pred) == pytest.approx(skm.accuracy_score(y_true, y_pred))


@settings(max_examples=60, deadline=None)
@given(label_pairs(), st.sampled_from(["macro", "micro", "weighted", None]))
def test_precision_recall_f1_matches_sklearn_on_random_labels(pair, average):
    y_true, y_pred = pair
    ours = metrics.precision_recall_f1(y_true, y_pred, average=average)
    theirs = skm.precision_recall_fscore_support(y_true, y_pred, average=average, zero_division=0.0)
    for a, b in zip(ours, theirs[:3]):
        np.testing.assert_allclose(a, b, rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(label_pairs(), st.sampled_from([None, "true", "pred", "all"]))
def test_confusion_matrix_matches_sklearn_on_random_labels(pair, normalize):
    y_true, y_pred = pair
    ours = metrics.confusion_matrix(y_true, y_pred, normalize=normalize)
    theirs = skm.confusion_matrix(y_true, y_pred, normalize=normalize)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert ours.dtype == (np.int64 if normalize is None else np.float64)


@pytest.mark.parametrize("case", EDGE_CASES.values(), ids=EDGE_CASES.keys())
@pytest.mark.parametrize("average", ["macro", "micro", "weighted", None])
@pytest.mark.parametrize("zero_division", [0.0, 1.0, np.nan])
def test_precision_recall_f1_matches_sklearn_on_edge_cases(case, average, zero_division):
    y_true, y_pred = case
    ours = metrics.precision_recall_f1(y_true, y_pred, average=average, zero_division=zero_division)
    theirs = skm.precision_recall_fscore_support(
        y_true, y_pred, average=average, zero_division=zero_division
    )
    for a, b in zip(ours, theirs[:3]):
        np.testing.assert_allclose(a, b, rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("case", EDGE_CASES.values(), ids=EDGE_CASES.keys())
@pytest.mark.parametrize("normalize", [None, "true", "pred", "all"])
def test_confusion_matrix_matches_sklearn_on_edge_cases(case, normalize):
    y_true, y_pred = case
    np.testing.assert_allclose(
        metrics.confusion_matrix(y_true, y_pred, normalize=normalize),
        skm.confusion_matrix(y_true, y_pred, normalize=normalize),
    )


@pytest.mark.parametrize(
    "labels",
    [[0, 1, 2, 3, 4], [2, 0, 1], [1, 3], [4, 0]],
    ids=["superset", "reordered", "subset", "with_absent_class"],
)
@pytest.mark.parametrize("average", ["macro", "micro", "weighted", None])
def test_labels_argument_matches_sklearn(labels, average):
    y_true = [0, 0, 1, 1, 2, 2, 3, 1]
    y_pred = [0, 1, 1, 2, 2, 0, 3, 3]
    ours = metrics.precision_recall_f1(y_true, y_pred, average=average, labels=labels)
    theirs = skm.precision_recall_fscore_support(
        y_true, y_pred, average=average, labels=labels, zero_division=0.0
    )
    for a, b in zip(ours, theirs[:3]):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_array_equal(
        metrics.confusion_matrix(y_true, y_pred, labels=labels),
        skm.confusion_matrix(y_true, y_pred, labels=labels),
    )
    np.testing.assert_allclose(
        metrics.per_class_accuracy(y_true, y_pred, labels=labels),
        skm.recall_score(y_true, y_pred, labels=labels, average=None, zero_division=np.nan),
        equal_nan=True,
    )


@pytest.mark.parametrize("case", EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_per_class_accuracy_is_recall_with_nan_for_absent_classes(case):
    y_true, y_pred = case
    ours = metrics.per_class_accuracy(y_true, y_pred)
    expected = skm.recall_score(y_true, y_pred, average=None, zero_division=np.nan)
    np.testing.assert_allclose(ours, expected, equal_nan=True)
    absent = ~np.isin(np.union1d(y_true, y_pred), y_true)
    assert np.all(np.isnan(ours[absent])) and not np.any(np.isnan(ours[~absent]))


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 30),
    st.integers(3, 8),  # scikit-learn reads binary scores differently (1-D, thresholded)
    st.integers(1, 10),
    st.integers(0, 2**32 - 1),
)
def test_top_k_accuracy_matches_sklearn(n, n_classes, k, seed):
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=(n, n_classes))
    y_true = rng.integers(0, n_classes, size=n)
    ours = metrics.top_k_accuracy(y_true, scores, k=k)
    theirs = skm.top_k_accuracy_score(y_true, scores, k=k, labels=np.arange(n_classes))
    assert ours == pytest.approx(theirs)


def test_top_k_accuracy_breaks_ties_like_sklearn_and_respects_labels():
    scores = np.array([[1.0, 1.0, 1.0, 0.0], [0.2, 0.2, 0.5, 0.1], [0.0, 0.0, 0.0, 0.0]])
    y_true = np.array([0, 1, 3])
    for k in (1, 2, 3):
        assert metrics.top_k_accuracy(y_true, scores, k=k) == pytest.approx(
            skm.top_k_accuracy_score(y_true, scores, k=k, labels=[0, 1, 2, 3])
        )
    labels = [10, 20, 30, 40]
    assert metrics.top_k_accuracy([10, 20, 40], scores, k=2, labels=labels) == pytest.approx(
        skm.top_k_accuracy_score([10, 20, 40], scores, k=2, labels=labels)
    )


def test_top_1_accuracy_equals_accuracy_of_argmax():
    rng = np.random.default_rng(1)
    scores = rng.normal(size=(50, 10))
    y_true = rng.integers(0, 10, 50)
    assert metrics.top_k_accuracy(y_true, scores, k=1) == metrics.accuracy(
        y_true, scores.argmax(axis=1)
    )


@pytest.mark.parametrize("seed", range(5))
def test_category_accuracy_equals_accuracy_of_mapped_categories(seed):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 50, 300)
    y_pred = np.where(rng.random(300) < 0.5, y_true, rng.integers(0, 50, 300))
    category = np.repeat(np.arange(5), 10)  # the ESC-50 table: 10 consecutive classes each
    assert metrics.category_accuracy(y_true, y_pred) == pytest.approx(
        skm.accuracy_score(category[y_true], category[y_pred])
    )
    assert metrics.category_accuracy(y_true, y_pred) >= metrics.accuracy(y_true, y_pred)


def test_category_accuracy_agrees_with_dataset_category_of():
    esc50 = pytest.importorskip("machinehearing.datasets.esc50")
    targets = np.arange(50)
    for t in targets:
        others = targets[targets // 10 == esc50.category_of(int(t))]
        assert metrics.category_accuracy([t] * len(others), others) == 1.0


def test_category_accuracy_rejects_targets_outside_esc50():
    with pytest.raises(ParameterError, match="y_pred"):
        metrics.category_accuracy([0, 1], [0, 50])


@pytest.mark.parametrize("case", EDGE_CASES.values(), ids=EDGE_CASES.keys())
@pytest.mark.parametrize("digits", [2, 4])
def test_classification_report_text_and_dict_match_sklearn(case, digits):
    y_true, y_pred = case
    ours = metrics.classification_report(y_true, y_pred, digits=digits)
    theirs = skm.classification_report(y_true, y_pred, digits=digits, zero_division=0.0)
    # scikit-learn sometimes prints an integer support as a float ("1.0"): compare tokens
    assert ours.split() == [_int_if_float(token) for token in theirs.split()]
    assert len(ours.splitlines()) == len(theirs.splitlines())
    ours = metrics.classification_report(y_true, y_pred, output_dict=True)
    theirs = skm.classification_report(y_true, y_pred, output_dict=True, zero_division=0.0)
    assert ours.keys() == theirs.keys()
    for key, value in theirs.items():
        assert ours[key] == pytest.approx(value)


def test_classification_report_with_labels_and_names_matches_sklearn():
    y_true = [0, 0, 1, 1, 2, 2, 3]
    y_pred = [0, 1, 1, 2, 2, 0, 3]
    names = ["dog", "rooster", "pig"]
    kwargs = dict(labels=[0, 1, 2], target_names=names)
    # a label subset: the report shows "micro avg" instead of "accuracy"
    assert metrics.classification_report(y_true, y_pred, **kwargs) == (
        skm.classification_report(y_true, y_pred, zero_division=0.0, **kwargs)
    )
    assert "micro avg" in metrics.classification_report(y_true, y_pred, **kwargs)


def _int_if_float(token: str) -> str:
    return token[:-2] if token.endswith(".0") and token[:-2].isdigit() else token


BAD_INPUTS = {
    "2d_y_true": (np.zeros((2, 2)), [0, 1], "y_true"),
    "length_mismatch": ([0, 1, 2], [0, 1], "same length"),
    "nan": ([0.0, np.nan], [0, 1], "NaN"),
    "float_scores": ([0, 1], [0.2, 0.9], "y_pred"),
    "strings": (["a", "b"], [0, 1], "y_true"),
    "empty": ([], [], "empty"),
}


@pytest.mark.parametrize(
    "func",
    [
        metrics.accuracy,
        metrics.precision_recall_f1,
        metrics.confusion_matrix,
        metrics.per_class_accuracy,
        metrics.classification_report,
    ],
)
@pytest.mark.parametrize("case", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_invalid_inputs_raise_parameter_error_naming_the_problem(func, case):
    y_true, y_pred, match = case
    with pytest.raises(ParameterError, match=match):
        func(y_true, y_pred)


def test_integer_valued_floats_are_accepted_as_labels():
    assert metrics.accuracy(np.array([0.0, 1.0, 2.0]), np.array([0, 1, 1])) == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(average="binary"), "average"),
        (dict(labels=[0, 0, 1]), "duplicates"),
        (dict(labels=[]), "labels is empty"),
    ],
)
def test_bad_options_raise_parameter_error(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        metrics.precision_recall_f1([0, 1], [0, 1], **kwargs)


@pytest.mark.parametrize(
    "scores, kwargs, match",
    [
        (np.zeros(3), {}, "2-D"),
        (np.zeros((3, 4)), dict(k=0), "k must"),
        (np.zeros((3, 4)), dict(labels=[0, 1]), "columns"),
        (np.full((3, 4), np.nan), {}, "NaN"),
        (np.zeros((3, 4)), dict(labels=[0, 1, 5, 6]), "not listed"),
        (np.zeros((2, 4)), {}, "same non-zero length"),
    ],
)
def test_top_k_accuracy_rejects_bad_scores(scores, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        metrics.top_k_accuracy([0, 1, 2], scores, **kwargs)


def test_normalize_and_target_names_are_validated():
    with pytest.raises(ParameterError, match="normalize"):
        metrics.confusion_matrix([0, 1], [0, 1], normalize="rows")
    with pytest.raises(ParameterError, match="target_names"):
        metrics.classification_report([0, 1], [0, 1], target_names=["a"])
