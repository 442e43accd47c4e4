"""Child-side drivers of procedure exercises: they run inside the sandbox, beside student code.

A driver builds a small fixed problem, calls the student's callable on it and returns plain
metrics (a dict of numbers and lists) for the grader to compare. The grader runs the same
driver on the reference implementation for the expected metrics. ``full=True`` (CUDA, the
GPU runner) runs the full check, ``full=False`` (CPU) a reduced one. Each driver measures
what it can itself (the trained model's loss and accuracy), so that a function that returns
made-up numbers does not pass.

This module is copied into the sandbox with the rest of the child side: it imports only
torch, and (in the full check of session 4, which declares ``allow=("machinehearing.models",)``)
the library's ResNet-18.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["tiny_problem", "train_one_epoch", "evaluate", "drive_train_one_epoch",
           "drive_evaluate"]

#: (samples, epochs) of the reduced (CPU) and full (CUDA) training checks
SIZES = {False: (96, 4), True: (512, 10)}


def tiny_problem(*, n: int, seed: int, device: str = "cpu", batch_size: int = 16):
    """A small CNN and a separable 4-class image set ``(n, 1, 16, 16)``.

    Returns ``(model, loader)``; both are deterministic given ``seed``.

    Examples
    --------
    >>> model, loader = tiny_problem(n=32, seed=0)
    >>> x, y = next(iter(loader))
    >>> tuple(x.shape), int(y.max()) < 4
    ((16, 1, 16, 16), True)
    """
    import torch
    from torch import nn

    gen = torch.Generator().manual_seed(seed)
    patterns = torch.randn(4, 1, 16, 16, generator=gen)
    labels = torch.arange(n) % 4
    x = patterns[labels] + 0.8 * torch.randn(n, 1, 16, 16, generator=gen)
    dataset = torch.utils.data.TensorDataset(x, labels)
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True,
                                         generator=torch.Generator().manual_seed(seed),
                                         num_workers=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                              nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(128, 4))
    return model.to(device), loader


def _pair(value: Any, name: str) -> tuple[float, float]:
    try:
        loss, acc = value
        return float(loss), float(acc)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must return (mean_loss, accuracy) numbers, got "
                        f"{type(value).__name__}") from exc


def _accuracy(model, loader, device: str) -> float:
    import torch

    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += int((model(x.to(device)).argmax(1).cpu() == y).sum())
            total += len(y)
    return correct / total


def train_one_epoch(fn: Callable, *, device: str = "cpu", full: bool = False, seed: int = 0,
                    lr: float = 0.05) -> dict:
    """Call ``fn(model, loader, optimizer, device=device)`` for several epochs.

    Returns ``{"losses", "accuracies"}`` (what ``fn`` reported), ``"final_accuracy"`` (measured
    here on the training set after training), ``"mode"`` and ``"epochs"``.

    Examples
    --------
    >>> from machinehearing.train import train_one_epoch as ref  # doctest: +SKIP
    >>> train_one_epoch(ref)["mode"]  # doctest: +SKIP
    'reduced'
    """
    import torch

    n, epochs = SIZES[bool(full)]
    model, loader = tiny_problem(n=n, seed=seed, device=device)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses, accuracies = [], []
    try:
        for _ in range(epochs):
            model.train()
            loss, acc = _pair(fn(model, loader, optimizer, device=device), "train_one_epoch")
            losses.append(loss)
            accuracies.append(acc)
    except TypeError as exc:
        return {"error": str(exc)}
    return {"losses": losses, "accuracies": accuracies,
            "final_accuracy": _accuracy(model, loader, device),
            "mode": "full" if full else "reduced", "epochs": epochs}


def evaluate(fn: Callable, *, device: str = "cpu", full: bool = False, seed: int = 0) -> dict:
    """Call ``fn(model, loader, device=device)`` on a fixed untrained model.

    Returns ``{"loss", "accuracy"}`` as reported by ``fn``, plus ``"mode"``.

    Examples
    --------
    >>> import torch
    >>> def mine(model, loader, *, device):
    ...     return 1.0, 0.25
    >>> evaluate(mine)["accuracy"]
    0.25
    """
    n, _ = SIZES[bool(full)]
    model, loader = tiny_problem(n=n, seed=seed, device=device)
    model.eval()
    try:
        loss, acc = _pair(fn(model, loader, device=device), "evaluate")
    except TypeError as exc:
        return {"error": str(exc)}
    return {"loss": loss, "accuracy": acc, "mode": "full" if full else "reduced"}


# ------------------------------------------------- session 4: the training loop

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
