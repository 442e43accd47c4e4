"""Session 4 — training a network on one feature channel.

You write the two loops every PyTorch project has: one epoch of training and an
evaluation pass. They mirror :func:`machinehearing.train.train_one_epoch` and
:func:`machinehearing.train.evaluate`, which the course notebooks use to train the
ResNet-18 on your feature choice.

Check your work with ``machinehearing check 4``: the grader trains a small network
on a tiny fixed dataset with your loop (loss must decrease, accuracy must reach a
threshold; the same numbers as the reference loop) — a full run on a GPU runner, a
reduced one on a CPU.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["train_one_epoch", "evaluate"]


def train_one_epoch(
    model: nn.Module,
    loader: Iterable[tuple[torch.Tensor, torch.Tensor]],
    optimizer: torch.optim.Optimizer,
    *,
    device: str | torch.device = "cpu",
) -> tuple[float, float]:
    """Train ``model`` for one pass over ``loader`` with the cross-entropy loss.

    For every batch ``(x, y)`` (inputs and integer class labels):

    1. move ``x`` and ``y`` to ``device``;
    2. ``optimizer.zero_grad()``; ``logits = model(x)``;
       ``loss = F.cross_entropy(logits, y)``; ``loss.backward()``; ``optimizer.step()``;
    3. accumulate ``loss.item() * len(y)`` and the number of correct predictions
       (``logits.argmax(dim=1) == y``).

    Put the model in training mode first (``model.train()``: BatchNorm uses batch
    statistics, dropout is active).

    Pitfalls: forgetting ``zero_grad`` accumulates gradients over batches; averaging
    the per-batch mean losses is wrong when the last batch is smaller — weight by the
    batch size; keep ``loss.item()`` (a float), not the tensor (it holds the graph).

    Parameters
    ----------
    model : nn.Module
        Classifier returning logits ``(batch, n_classes)``.
    loader : iterable of (Tensor, Tensor)
        Batches of inputs and int64 labels.
    optimizer : torch.optim.Optimizer
        Optimiser over ``model.parameters()``.
    device : str or torch.device
        Where to compute.

    Returns
    -------
    mean_loss : float
        Cross-entropy averaged over all samples of the epoch.
    accuracy : float
        Fraction of samples whose predicted class (argmax of the logits) is right.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> model = nn.Linear(4, 2)
    >>> data = [(torch.randn(8, 4), torch.randint(0, 2, (8,))) for _ in range(3)]
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
    >>> loss, acc = train_one_epoch(model, data, opt, device="cpu")
    >>> loss > 0, 0.0 <= acc <= 1.0
    (True, True)
    """
    # YOUR CODE HERE
    raise NotImplementedError("train_one_epoch: your code here (see the docstring)")


def evaluate(
    model: nn.Module,
    loader: Iterable[tuple[torch.Tensor, torch.Tensor]],
    *,
    device: str | torch.device = "cpu",
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` on ``loader``, without training.

    Put the model in evaluation mode (``model.eval()``: BatchNorm uses its running
    statistics, dropout is off) and compute under ``torch.no_grad()`` (no graph, less
    memory). Average the loss over samples as in :func:`train_one_epoch`.

    Pitfalls: forgetting ``model.eval()`` changes the BatchNorm outputs (and the
    running statistics!); never call ``optimizer.step()`` or ``backward()`` here.

    Parameters
    ----------
    model : nn.Module
        Classifier returning logits.
    loader : iterable of (Tensor, Tensor)
        Batches of inputs and int64 labels.
    device : str or torch.device
        Where to compute.

    Returns
    -------
    mean_loss : float
    accuracy : float

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> model = nn.Linear(4, 2)
    >>> data = [(torch.randn(8, 4), torch.randint(0, 2, (8,)))]
    >>> loss, acc = evaluate(model, data, device="cpu")
    >>> round(loss, 3) == round(F.cross_entropy(model(data[0][0]), data[0][1]).item(), 3)
    True
    """
    # YOUR CODE HERE
    raise NotImplementedError("evaluate: your code here (see the docstring)")
