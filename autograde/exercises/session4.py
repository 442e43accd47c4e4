"""Session 4 — training on one channel: ``train_one_epoch`` and ``evaluate`` (5 points).

Both are *procedures*: their drivers (:mod:`autograde.sandbox.drivers`) run inside the
sandbox, build a tiny fixed dataset (4 classes of 1 x 32 x 32 "spectrograms", each class a
bright band at its own frequency and time) and a small network, call the student's loop, and
return plain metrics. The grader runs the same driver with :mod:`machinehearing.train`'s
loop for the expected numbers: with the same seed both loops must produce the same losses.
On CUDA (the GPU runner) the full check trains the course's ResNet-18 for more epochs; on a
CPU a small CNN keeps it to a few seconds."""

from __future__ import annotations

import math
from typing import Any

from ..compare import all_of, at_least, decreasing, metrics_close
from ..spec import Case, Exercise, Hint, Verdict

# ----------------------------------------------------------------- comparators, hints


def _unchanged(student: Any, expected: Any, case: Case) -> Verdict:
    if student.get("unchanged") is not True:
        return Verdict(False, "property", "evaluate changed the model (its weights or its "
                       "BatchNorm running statistics)")
    return Verdict(True)


def _finite(key: str):
    def compare(student: Any, expected: Any, case: Case) -> Verdict:
        values = student.get(key)
        values = values if isinstance(values, list) else [values]
        try:
            ok = all(math.isfinite(float(v)) for v in values)
        except (TypeError, ValueError):
            ok = False
        if not ok:
            return Verdict(False, "nan", f"{key} must be finite numbers, got {values!r}")
        return Verdict(True)

    return compare


def _close(key: str, *, rtol: float = 2e-3):
    def when(student: Any, expected: Any, case: Case) -> bool:
        s, e = student.get(key), expected.get(key)
        s = s if isinstance(s, list) else [s]
        e = e if isinstance(e, list) else [e]
        return len(s) == len(e) and all(abs(float(a) - float(b)) <= rtol * max(1.0, abs(float(b)))
                                        for a, b in zip(s, e))

    return when


def _first_close(key: str):
    def when(student: Any, expected: Any, case: Case) -> bool:
        return _close(key)({key: student[key][:1]}, {key: expected[key][:1]}, case)

    return when


def _accuracy_as_count(student: Any, expected: Any, case: Case) -> bool:
    return any(float(a) > 1.0 for a in student.get("accuracies", []))


def _train_cases(rng):
    return [Case(kwargs={"seed": 0}, label="4 classes, 60 samples, batches of 16")]


def _train_hidden(rng):
    return [Case(kwargs={"seed": int(rng.integers(1, 10_000))})]


def _eval_cases(rng):
    return [Case(kwargs={"seed": 0}, label="44 samples, model in train mode on entry")]


def _eval_hidden(rng):
    return [Case(kwargs={"seed": int(rng.integers(1, 10_000))})]


EXERCISES = [
    Exercise(
        id="4.1-train-one-epoch",
        session=4,
        points=3.0,
        target="train_one_epoch",
        kind="procedure",
        driver="drive_train_one_epoch",
        reference="machinehearing.train.train_one_epoch",
        public=_train_cases,
        hidden=_train_hidden,
        compare=all_of(
            _finite("losses"),
            decreasing("losses", min_drop=0.3),
            at_least("measured_accuracy", 0.9),
            metrics_close(["losses", "accuracies", "measured_loss"], rtol=2e-3, atol=1e-4),
        ),
        hints=[
            Hint("Accuracy is a fraction in [0, 1]: divide the number of correct predictions by "
                 "the number of samples.", when=_accuracy_as_count),
            Hint("Losses right, accuracies wrong: count logits.argmax(dim=1) == y over all "
                 "samples.", when=lambda s, e, c: _close("losses")(s, e, c)
                 and not _close("accuracies")(s, e, c)),
            Hint("The first epoch's loss matches but later ones do not: call model.train() and "
                 "optimizer.zero_grad() before every backward().",
                 when=lambda s, e, c: _first_close("losses")(s, e, c)
                 and not _close("losses")(s, e, c)),
            Hint("Nearly right: weight each batch's mean loss by its size (the last batch has "
                 "12 samples, not 16).", when=lambda s, e, c: _close("losses", rtol=0.05)(s, e, c)
                 and not _close("losses")(s, e, c)),
            Hint("The loss does not go down: loss.backward() then optimizer.step() for every "
                 "batch, with optimizer.zero_grad() first; use F.cross_entropy on the logits.",
                 when=lambda s, e, c: s["losses"][-1] >= 0.7 * s["losses"][0]),
            Hint("Put the model in training mode (model.train()) at the start.",
                 when=lambda s, e, c: True),
        ],
        forbidden=("machinehearing.train",),
        allow=("machinehearing.models",),
        timeout=120.0,
        memory="6GiB",
    ),
    Exercise(
        id="4.2-evaluate",
        session=4,
        points=2.0,
        target="evaluate",
        kind="procedure",
        driver="drive_evaluate",
        reference="machinehearing.train.evaluate",
        public=_eval_cases,
        hidden=_eval_hidden,
        compare=all_of(_finite("loss"), _unchanged,
                       metrics_close(["loss", "accuracy"], rtol=1e-4, atol=1e-6)),
        hints=[
            Hint("Call model.eval() first: in training mode BatchNorm normalises with the batch "
                 "statistics (and updates its running statistics).",
                 when=lambda s, e, c: s.get("unchanged") is not True),
            Hint("Average the loss over samples, not over batches (the last batch is smaller).",
                 when=lambda s, e, c: _close("loss", rtol=0.05)(s, e, c)
                 and not _close("loss")(s, e, c)),
            Hint("Accuracy = correct predictions (argmax of the logits) / number of samples.",
                 when=lambda s, e, c: _close("loss")(s, e, c)),
        ],
        forbidden=("machinehearing.train",),
        allow=("machinehearing.models",),
        timeout=60.0,
        memory="6GiB",
    ),
]
