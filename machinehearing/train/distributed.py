"""Devices and multi-process (DistributedDataParallel) training.

:func:`machinehearing.train.train` runs in one process unless it is launched by
``torchrun``, which sets ``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` in the
environment of each process::

    torchrun --standalone --nproc_per_node=4 -m machinehearing train --run-dir runs/x

Then every process trains a replica of the model on its share of each batch
(:class:`~torch.utils.data.distributed.DistributedSampler`), gradients are averaged by
:class:`~torch.nn.parallel.DistributedDataParallel`, and only rank 0 writes the run
directory. The global batch (``TrainConfig.batch_size``) is split evenly over the
processes. BatchNorm statistics are computed over the global batch, so the processes
together train the model one process would train on the whole batch: on CUDA (NCCL
backend) the BatchNorm layers become :class:`~torch.nn.SyncBatchNorm`; on the CPU (gloo
backend, where SyncBatchNorm is not available) they become a small equivalent that
all-reduces the per-channel sums.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import Dataset
from torch.utils.data.distributed import DistributedSampler

from ..errors import ParameterError

__all__ = [
    "DistributedContext",
    "resolve_device",
    "launched_by_torchrun",
    "setup",
    "cleanup",
    "unwrap",
]


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """The torch device for a device name; ``"auto"`` picks cuda, then mps, then cpu.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    >>> resolve_device("auto").type in {"cuda", "mps", "cpu"}
    True
    """
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ParameterError(
            f"device must be 'auto', 'cpu', 'cuda[:N]' or 'mps', got {device!r}"
        ) from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ParameterError(f"device={device!r} but CUDA is not available; use 'auto' or 'cpu'")
    return resolved


def launched_by_torchrun() -> bool:
    """Whether this process is one of several started by ``torchrun``.

    Examples
    --------
    >>> launched_by_torchrun()  # a plain python process
    False
    """
    return int(os.environ.get("WORLD_SIZE", "1")) > 1 and "RANK" in os.environ


@dataclass(frozen=True)
class DistributedContext:
    """Where this process stands: its rank among ``world_size`` processes and its device.

    Attributes
    ----------
    device : torch.device
        This process's device (``cuda:LOCAL_RANK`` under torchrun on GPUs).
    rank, world_size : int
        This process's rank and the number of processes (0 and 1 without torchrun).
    owns_group : bool
        Whether :func:`setup` created the process group (and :func:`cleanup` ends it).

    Examples
    --------
    >>> import torch
    >>> ctx = DistributedContext(torch.device("cpu"))
    >>> ctx.enabled, ctx.is_main, ctx.local_batch_size(32)
    (False, True, 32)
    >>> sampler = ctx.sampler(list(range(5)), shuffle=True, seed=0)
    >>> sampler.set_epoch(0); sorted(sampler)
    [0, 1, 2, 3, 4]
    """

    device: torch.device
    rank: int = 0
    world_size: int = 1
    owns_group: bool = False

    @property
    def enabled(self) -> bool:
        """True when several processes train together."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """True on the process that logs and writes files (rank 0)."""
        return self.rank == 0

    def barrier(self) -> None:
        """Wait for every process (no-op in a single process)."""
        if self.enabled:
            dist.barrier()

    def local_batch_size(self, batch_size: int) -> int:
        """This process's share of the global batch; it must divide evenly."""
        if batch_size % self.world_size:
            raise ParameterError(
                f"batch_size={batch_size} is the global batch and must be divisible by the "
                f"{self.world_size} processes"
            )
        return batch_size // self.world_size

    def sampler(self, dataset: Dataset, *, shuffle: bool, seed: int) -> DistributedSampler:
        """This process's shard of ``dataset``; call ``set_epoch`` before every epoch.

        The order depends only on ``(seed, epoch)``, so a resumed run sees the batches an
        uninterrupted one would; with one process the sampler yields the whole permutation.
        """
        return DistributedSampler(
            dataset, num_replicas=self.world_size, rank=self.rank, shuffle=shuffle, seed=seed
        )

    def wrap(self, model: nn.Module) -> nn.Module:
        """``model`` wrapped in DistributedDataParallel when several processes train.

        Its BatchNorm layers are first converted to synchronised ones (global-batch
        statistics); parameter and buffer names do not change.
        """
        if not self.enabled:
            return model
        if self.device.type == "cuda":
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
            return DistributedDataParallel(model, device_ids=[self.device.index])
        return DistributedDataParallel(_convert_batchnorm(model))

    def all_reduce_sum(self, tensor: torch.Tensor) -> torch.Tensor:
        """Sum ``tensor`` over the processes in place (no-op in a single process)."""
        if self.enabled:
            dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return tensor


class _AllReduceSum(torch.autograd.Function):
    """Sum over processes; the gradient of a sum is the sum of the gradients."""

    @staticmethod
    def forward(ctx, tensor: torch.Tensor) -> torch.Tensor:
        out = tensor.clone()
        dist.all_reduce(out, op=dist.ReduceOp.SUM)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.clone()
        dist.all_reduce(grad, op=dist.ReduceOp.SUM)
        return grad


class _AllReduceBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d whose training statistics cover the batches of all processes (any backend).

    The per-channel sums of ``x`` and ``x**2`` and the count are summed over the processes
    with a differentiable all-reduce, so gradients flow to every process's inputs as in
    :class:`~torch.nn.SyncBatchNorm`.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.training and dist.is_available() and dist.is_initialized()):
            return super().forward(x)
        channels = x.shape[1]
        # float64 sums: E[x^2] - E[x]^2 loses precision in float32 when |mean| >> std
        xd = x.double()
        count = xd.new_full((1,), x.numel() // channels)
        stats = _AllReduceSum.apply(torch.cat([xd.sum((0, 2, 3)), (xd * xd).sum((0, 2, 3)), count]))
        total = stats[-1]
        mean = stats[:channels] / total
        var = (stats[channels : 2 * channels] / total - mean * mean).clamp(min=0)
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked += 1
                momentum = (
                    1.0 / float(self.num_batches_tracked)
                    if self.momentum is None
                    else self.momentum
                )
                unbiased = var * total / (total - 1).clamp(min=1)
                self.running_mean.lerp_(mean.to(self.running_mean.dtype), momentum)
                self.running_var.lerp_(unbiased.to(self.running_var.dtype), momentum)
        mean, var = mean.to(x.dtype), var.to(x.dtype)
        scale = torch.rsqrt(var + self.eps)
        if self.affine:
            shift = self.bias - mean * scale * self.weight
            scale = scale * self.weight
        else:
            shift = -mean * scale
        return x * scale.view(1, -1, 1, 1) + shift.view(1, -1, 1, 1)


def _convert_batchnorm(module: nn.Module) -> nn.Module:
    """Replace every BatchNorm2d in ``module`` by :class:`_AllReduceBatchNorm2d`.

    The new layers share the old ones' parameter and buffer tensors, so an optimizer
    created before the conversion keeps training them.
    """
    if isinstance(module, nn.BatchNorm2d) and not isinstance(module, _AllReduceBatchNorm2d):
        converted = _AllReduceBatchNorm2d(
            module.num_features,
            module.eps,
            module.momentum,
            affine=False,
            track_running_stats=False,
        )
        converted.affine = module.affine
        converted.track_running_stats = module.track_running_stats
        converted.weight, converted.bias = module.weight, module.bias
        for name in ("running_mean", "running_var", "num_batches_tracked"):
            setattr(converted, name, getattr(module, name))
        converted.train(module.training)
        return converted
    for name, child in module.named_children():
        setattr(module, name, _convert_batchnorm(child))
    return module


def setup(device: str | torch.device = "auto") -> DistributedContext:
    """Join the process group when launched by torchrun; else a single-process context.

    NCCL is used for CUDA devices (each process takes GPU ``LOCAL_RANK``), gloo otherwise.
    A process group that already exists (initialised by the caller) is reused.

    Examples
    --------
    >>> setup("cpu")  # not under torchrun
    DistributedContext(device=device(type='cpu'), rank=0, world_size=1, owns_group=False)
    """
    resolved = resolve_device(device)
    if not launched_by_torchrun():
        return DistributedContext(resolved)
    if resolved.type == "cuda":
        resolved = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(resolved)
    owns = not dist.is_initialized()
    if owns:
        dist.init_process_group(backend="nccl" if resolved.type == "cuda" else "gloo")
    return DistributedContext(
        resolved, rank=dist.get_rank(), world_size=dist.get_world_size(), owns_group=owns
    )


def cleanup(context: DistributedContext) -> None:
    """Leave the process group if :func:`setup` created it.

    Examples
    --------
    >>> cleanup(setup("cpu"))  # nothing to leave in a single process
    """
    if context.owns_group and dist.is_initialized():
        # wait for every rank (rank 0 may still be writing a checkpoint): a rank that tears
        # down its gloo connections while a peer still uses them aborts the peer
        dist.barrier()
        dist.destroy_process_group()


def unwrap(model: nn.Module) -> nn.Module:
    """The plain model inside a DistributedDataParallel wrapper (or the model itself).

    Examples
    --------
    >>> import torch
    >>> model = torch.nn.Linear(2, 2)
    >>> unwrap(model) is model
    True
    """
    return model.module if isinstance(model, DistributedDataParallel) else model
