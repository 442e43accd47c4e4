"""Session 6 — evaluation: metrics, confusions, per-class scores and McNemar (9 points)."""

from __future__ import annotations

import numpy as np

from machinehearing import metrics, stats

from ..compare import allclose
from ..spec import Case, Exercise, Hint, hints
from . import matches

# ----------------------------------------------------------------- the usual mistakes


def _macro_f1_of_means(y_true, y_pred, *, average="macro", labels=None):
    p, r, _ = metrics.precision_recall_f1(y_true, y_pred, average=average, labels=labels)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _per_class_precision(y_true, y_pred, *, labels=None):
    return metrics.precision_recall_f1(y_true, y_pred, average=None, labels=labels)[0]


def _per_class_zero(y_true, y_pred, *, labels=None):
    return np.nan_to_num(metrics.per_class_accuracy(y_true, y_pred, labels=labels))


def _one_sided(y_true, pred_a, pred_b):
    b, c, k, p = stats.mcnemar(y_true, pred_a, pred_b)
    return b, c, k, (p / 2 if p < 1 else p)


# ----------------------------------------------------------------- cases


def _predictions(rng, n, n_classes, skill):
    y_true = rng.integers(0, n_classes, size=n)
    right = rng.random(n) < skill
    y_pred = np.where(right, y_true, rng.integers(0, n_classes, size=n))
    return y_true, y_pred


def _pair_public(rng):
    y_true, y_pred = _predictions(rng, 40, 5, 0.6)
    return [Case(args=([0, 1, 2, 2, 1], [0, 2, 2, 2, 1]), label="5 clips, 3 classes"),
            Case(args=(y_true, y_pred), label="40 clips, 5 classes")]


def _pair_hidden(rng):
    return [Case(args=_predictions(rng, int(rng.integers(20, 200)), int(rng.integers(2, 50)),
                                   float(rng.uniform(0.2, 0.9)))) for _ in range(3)]


def _cm_public(rng):
    y_true, y_pred = _predictions(rng, 30, 4, 0.5)
    return [Case(args=([0, 0, 1, 2], [0, 1, 1, 2]), label="4 clips"),
            Case(args=(y_true, y_pred), kwargs={"normalize": "true"}, label="normalize='true'"),
            Case(args=(y_true, y_pred), kwargs={"labels": [3, 1, 0], "normalize": "pred"},
                 label="labels=[3, 1, 0], normalize='pred'")]


def _cm_hidden(rng):
    cases = []
    for normalize in (None, "all", "true"):
        y_true, y_pred = _predictions(rng, int(rng.integers(20, 100)), int(rng.integers(3, 12)),
                                      0.5)
        cases.append(Case(args=(y_true, y_pred), kwargs={"normalize": normalize}))
    return cases


def _prf_public(rng):
    y_true, y_pred = _predictions(rng, 40, 5, 0.6)
    y_pred[y_pred == 4] = 3  # class 4 is never predicted: 0/0 precision
    return [Case(args=(y_true, y_pred), kwargs={"average": average},
                 label=f"average={average!r}") for average in ("macro", "micro", "weighted", None)]


def _prf_hidden(rng):
    cases = []
    for average in ("macro", "weighted", None):
        y_true, y_pred = _predictions(rng, int(rng.integers(30, 150)), int(rng.integers(3, 20)),
                                      float(rng.uniform(0.3, 0.8)))
        cases.append(Case(args=(y_true, y_pred), kwargs={"average": average}))
    return cases


def _pca_public(rng):
    y_true, y_pred = _predictions(rng, 40, 5, 0.6)
    return [Case(args=(y_true, y_pred), label="40 clips, 5 classes"),
            Case(args=([0, 0, 1], [0, 2, 1]), label="class 2 only predicted (NaN)")]


def _category_public(rng):
    y_true, y_pred = _predictions(rng, 50, 50, 0.3)
    return [Case(args=([0, 12, 45], [3, 12, 20]), label="dog->frog is right, siren->crying "
                 "baby is not"),
            Case(args=(y_true, y_pred), label="50 clips, 50 classes")]


def _category_hidden(rng):
    return [Case(args=_predictions(rng, int(rng.integers(20, 200)), 50,
                                   float(rng.uniform(0.1, 0.6)))) for _ in range(2)]


def _mcnemar_cases(rng, n, skills):
    y_true = rng.integers(0, 10, size=n)
    preds = [np.where(rng.random(n) < s, y_true, (y_true + 1) % 10) for s in skills]
    return Case(args=(y_true, *preds))


def _mcnemar_public(rng):
    return [Case(args=([0, 1, 2, 3, 4, 0, 1, 2], [0, 1, 2, 3, 4, 0, 1, 0],
                       [0, 1, 0, 0, 0, 0, 0, 0]), label="8 clips: b=4, c=0"),
            Case(args=([0, 1, 2], [0, 1, 2], [0, 1, 2]), label="no disagreement (p = 1)"),
            Case(args=_mcnemar_cases(rng, 100, (0.7, 0.6)).args,
                 label="100 clips, accuracies about 0.7 and 0.6")]


def _mcnemar_hidden(rng):
    return [_mcnemar_cases(rng, int(rng.integers(30, 300)), rng.uniform(0.4, 0.9, size=2))
            for _ in range(3)]


_NO_LIBS = ("sklearn", "machinehearing.metrics", "machinehearing.stats", "scipy.stats",
            "statsmodels")

EXERCISES = [
    Exercise(
        id="6.1-accuracy",
        session=6,
        points=1.0,
        target="accuracy",
        reference=lambda y_true, y_pred: metrics.accuracy(y_true, y_pred),
        public=_pair_public,
        hidden=_pair_hidden,
        compare=allclose(rtol=1e-9, atol=1e-12),
        hints=[Hint("A fraction in [0, 1], not a percentage or a count.",
                    when=lambda s, e, c: isinstance(s, int | float) and s > 1)],
        forbidden=_NO_LIBS,
    ),
    Exercise(
        id="6.2-confusion-matrix",
        session=6,
        points=2.0,
        target="confusion_matrix",
        reference=lambda y_true, y_pred, **kw: metrics.confusion_matrix(y_true, y_pred, **kw),
        public=_cm_public,
        hidden=_cm_hidden,
        compare=allclose(rtol=1e-9, atol=1e-12),
        hints=[
            Hint("Rows are the true classes, columns the predictions (you have the transpose).",
                 when=hints.transposed()),
            Hint("normalize='true' divides each row by its sum, 'pred' each column, 'all' by "
                 "the total; empty rows give 0.", when=lambda s, e, c: "normalize" in c.kwargs),
            Hint("One row and column per label: labels present in y_true or y_pred, sorted (or "
                 "the labels argument, in its order).", when=hints.wrong_shape()),
        ],
        forbidden=_NO_LIBS,
    ),
    Exercise(
        id="6.3-precision-recall-f1",
        session=6,
        points=2.0,
        target="precision_recall_f1",
        reference=lambda y_true, y_pred, **kw: metrics.precision_recall_f1(y_true, y_pred, **kw),
        public=_prf_public,
        hidden=_prf_hidden,
        compare=allclose(rtol=1e-9, atol=1e-12),
        hints=[
            Hint("Macro F1 is the mean of the per-class F1 scores, not the F1 of the mean "
                 "precision and recall.", when=matches(_macro_f1_of_means)),
            Hint("A class that is never predicted has precision 0/0: count it as 0.",
                 when=lambda s, e, c: any(np.any(np.isnan(np.asarray(v, float))) for v in s)),
            Hint("Return (precision, recall, f1); with average=None one array per metric.",
                 when=lambda s, e, c: not isinstance(s, tuple | list) or len(s) != 3),
        ],
        forbidden=_NO_LIBS,
    ),
    Exercise(
        id="6.4-per-class-accuracy",
        session=6,
        points=1.0,
        target="per_class_accuracy",
        reference=lambda y_true, y_pred, **kw: metrics.per_class_accuracy(y_true, y_pred, **kw),
        public=_pca_public,
        hidden=lambda rng: _pair_hidden(rng)[:2],
        compare=allclose(rtol=1e-9, atol=1e-12, equal_nan=True),
        hints=[
            Hint("That is the precision: divide by the number of *true* clips of the class.",
                 when=matches(_per_class_precision)),
            Hint("A class with no true clip has no accuracy: NaN, not 0.",
                 when=matches(_per_class_zero)),
        ],
        forbidden=_NO_LIBS,
    ),
    Exercise(
        id="6.5-category-accuracy",
        session=6,
        points=1.0,
        target="category_accuracy",
        reference=lambda y_true, y_pred: metrics.category_accuracy(y_true, y_pred),
        public=_category_public,
        hidden=_category_hidden,
        compare=allclose(rtol=1e-9, atol=1e-12),
        hints=[Hint("The category of target t is t // 10 (five blocks of ten classes), not "
                    "t % 5.", when=lambda s, e, c: True)],
        forbidden=(*_NO_LIBS, "machinehearing.datasets"),
    ),
    Exercise(
        id="6.6-mcnemar",
        session=6,
        points=2.0,
        target="mcnemar",
        reference=lambda y_true, a, b: tuple(stats.mcnemar(y_true, a, b)),
        public=_mcnemar_public,
        hidden=_mcnemar_hidden,
        compare=allclose(rtol=1e-9, atol=1e-12),
        hints=[
            Hint("Two-sided test: double the binomial tail (and cap the p-value at 1).",
                 when=matches(_one_sided)),
            Hint("b counts clips A gets right and B wrong, c the reverse; clips both get wrong "
                 "do not count.", when=lambda s, e, c: tuple(s[:2]) != tuple(e[:2])),
            Hint("Return (b, c, statistic, pvalue) with statistic = min(b, c).",
                 when=lambda s, e, c: not isinstance(s, tuple | list) or len(s) != 4),
        ],
        forbidden=_NO_LIBS,
    ),
]
