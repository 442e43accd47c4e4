"""Child-side drivers of procedure exercises (they run inside the sandbox).

A driver builds a tiny fixed problem, calls the student's callable on it and returns JSON
metrics for the grader to check. ``full=True`` (CUDA, the GPU runner) runs the full check;
``full=False`` (CPU) a reduced one; the returned ``mode`` says which.

Each driver measures what it can itself (e.g. the accuracy of the trained model on the
training set) so that a function returning made-up numbers does not pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["tiny_problem", "train_one_epoch", "evaluate"]

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
