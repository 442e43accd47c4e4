"""Session 4 — training on one channel: ``train_one_epoch`` and ``evaluate`` (5 points).

Both are *procedures*: the drivers below run inside the sandboxed child, build a tiny
fixed dataset (4 classes of 1 x 32 x 32 "spectrograms", each class a bright band at its
own frequency and time) and a small network, call the student's loop, and return plain
metrics. The grader runs the same driver with :mod:`machinehearing.train`'s loop for the
expected numbers: with the same seed both loops must produce the same losses. On CUDA
(the GPU runner) the full check trains the course's ResNet-18 for more epochs; on a CPU
a small CNN keeps it to a few seconds.
"""

from __future__ import annotations

import math
from typing import Any

from ..compare import all_of, at_least, decreasing, metrics_close
from ..spec import Case, Exercise, Hint, Verdict

_N_CLASSES = 4


def _dataset(n: int, seed: int):
    """``n`` images (1, 32, 32) and labels: class k = a band at rows 6k..6k+5, noisy."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % _N_CLASSES
    x = 0.5 * torch.randn(n, 1, 32, 32, generator=gen)
    for k in range(_N_CLASSES):
        x[y == k, :, 6 * k + 2 : 6 * k + 8, 4 + 6 * k : 12 + 6 * k] += 2.0
    return x, y


def _batches(x, y, batch_size: int) -> list:
    return [(x[i : i + batch_size], y[i : i + batch_size]) for i in range(0, len(y), batch_size)]


def _model(full: bool, seed: int):
    import torch
    from torch import nn

    torch.manual_seed(seed)
    if full:
        from machinehearing.models import resnet18

        return resnet18(in_channels=1, num_classes=_N_CLASSES)
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(16 * 16, _N_CLASSES),
    )


def _measure(model, batches, device) -> tuple[float, float]:
    """Loss and accuracy measured by the driver itself (eval mode, no gradients)."""
    import torch
    from torch.nn import functional as F

    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in batches:
            logits = model(x.to(device))
            total += F.cross_entropy(logits, y.to(device), reduction="sum").item()
            correct += int((logits.argmax(1).cpu() == y).sum())
            count += len(y)
    return total / count, correct / count


def drive_train_one_epoch(train_one_epoch, *, seed: int, device: str = "cpu",
                          full: bool = False) -> dict[str, Any]:
    """Train with ``train_one_epoch`` for a few epochs; report its metrics and ours."""
    import torch

    n, epochs = (256, 6) if full else (60, 3)
    x, y = _dataset(n, seed)
    batches = _batches(x, y, 16)  # 60 = 3 x 16 + 12: the last batch is smaller
    model = _model(full, seed).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    model.eval()  # the loop must switch to training mode itself
    losses, accuracies = [], []
    for _ in range(epochs):
        loss, accuracy = train_one_epoch(model, batches, optimizer, device=device)
        losses.append(float(loss))
        accuracies.append(float(accuracy))
    measured_loss, measured_accuracy = _measure(model, batches, device)
    return {"losses": losses, "accuracies": accuracies, "measured_loss": measured_loss,
            "measured_accuracy": measured_accuracy, "epochs": epochs, "samples": n}


def drive_evaluate(evaluate, *, seed: int, device: str = "cpu",
                   full: bool = False) -> dict[str, Any]:
    """Evaluate a fixed, briefly trained model with ``evaluate``; check it changed nothing."""
    import torch
    from torch.nn import functional as F

    x, y = _dataset(44, seed + 1)
    batches = _batches(x, y, 16)
    model = _model(full, seed).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    model.train()
    for xb, yb in batches[:2]:  # non-trivial weights and BatchNorm statistics
        optimizer.zero_grad()
        F.cross_entropy(model(xb.to(device)), yb.to(device)).backward()
        optimizer.step()
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.train()  # the loop must switch to evaluation mode itself
    loss, accuracy = evaluate(model, batches, device=device)
    unchanged = all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    return {"loss": float(loss), "accuracy": float(accuracy), "unchanged": bool(unchanged)}


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
        driver="autograde.exercises.session4.drive_train_one_epoch",
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
        timeout=120.0,
        memory="6GiB",
    ),
    Exercise(
        id="4.2-evaluate",
        session=4,
        points=2.0,
        target="evaluate",
        kind="procedure",
        driver="autograde.exercises.session4.drive_evaluate",
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
        timeout=60.0,
        memory="6GiB",
    ),
]
