"""How the training and inference steps compute: precision, memory format, compiler, optimizer.

A ResNet-18 step on a laptop CPU is bound by its convolutions. Three settings decide how fast
they run, and this module holds each decision in one place, for the training loop, evaluation
and prediction alike:

- **bfloat16 autocast** on CPUs that compute bfloat16 natively (AVX512-BF16 or AMX units):
  the convolutions and matrix products run in bfloat16, the weights, the optimizer and the
  loss stay float32. On other CPUs bfloat16 is emulated and slower than float32, so
  ``precision="auto"`` (the default of :class:`~machinehearing.train.TrainConfig`) picks
  bfloat16 only where :func:`cpu_has_native_bf16` says the units exist.
- **channels-last** memory (:func:`to_memory_format`): the layout oneDNN's convolutions use.
- **torch.compile** (:func:`compile_model`), opt-in, with a fallback to eager execution and
  a message saying why when the compiler cannot run on this machine.

The optimizer's multi-tensor kernel (:func:`optimizer_kwargs`) comes with them.
"""

from __future__ import annotations

import contextlib
import functools
import platform
import sys
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import ParameterError
from .config import PRECISIONS

__all__ = [
    "PRECISIONS",
    "cpu_has_native_bf16",
    "resolve_precision",
    "autocast_enabled",
    "autocast",
    "to_memory_format",
    "compile_model",
    "optimizer_kwargs",
]

#: /proc/cpuinfo flags of x86 units that compute bfloat16 natively
_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


def _cpu_flags(cpuinfo: Path) -> set[str]:
    """The feature flags of the first processor listed in a /proc/cpuinfo file."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return set(value.split())
    return set()


@functools.cache
def cpu_has_native_bf16(cpuinfo: str | Path = "/proc/cpuinfo") -> bool:
    """Whether this CPU has bfloat16 arithmetic units (x86 AVX512-BF16 or AMX-BF16).

    Read from the processor's feature flags (Linux ``/proc/cpuinfo``). Where they cannot be
    read (macOS, Windows) the answer is False: bfloat16 is then only chosen on request.

    Parameters
    ----------
    cpuinfo : str or path-like, default "/proc/cpuinfo"
        The file listing the flags.

    Returns
    -------
    bool

    Examples
    --------
    >>> "bfloat16" if cpu_has_native_bf16() else "float32"  # doctest: +SKIP
    'bfloat16'
    >>> cpu_has_native_bf16() in (True, False)
    True
    """
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    return bool(_cpu_flags(Path(cpuinfo)) & _BF16_FLAGS)


def resolve_precision(precision: str, device: str | torch.device) -> str:
    """The arithmetic a step on ``device`` uses for a ``TrainConfig.precision`` value.

    On the CPU, ``"auto"`` becomes ``"bfloat16"`` where :func:`cpu_has_native_bf16` and
    ``"float32"`` elsewhere; ``"float32"`` and ``"bfloat16"`` are kept. On other devices the
    value is returned unchanged (CUDA's mixed precision is ``TrainConfig.amp``).

    Parameters
    ----------
    precision : {"auto", "float32", "bfloat16"}
        The requested precision.
    device : str or torch.device
        Where the step runs.

    Returns
    -------
    str

    Examples
    --------
    >>> resolve_precision("float32", "cpu")
    'float32'
    >>> resolve_precision("auto", "cpu") == ("bfloat16" if cpu_has_native_bf16() else "float32")
    True
    """
    if precision not in PRECISIONS:
        raise ParameterError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if torch.device(device).type != "cpu" or precision != "auto":
        return precision
    return "bfloat16" if cpu_has_native_bf16() else "float32"


def autocast_enabled(
    precision: str, device: str | torch.device, *, cuda_amp: bool, inference: bool = False
) -> bool:
    """Whether the steps of a run on ``device`` compute under :func:`autocast`.

    On CUDA: ``cuda_amp`` (``TrainConfig.amp``). On the CPU: when ``precision`` resolves to
    ``"bfloat16"`` (:func:`resolve_precision`); for ``inference`` (evaluation, prediction)
    only where the CPU also computes bfloat16 natively, since emulated bfloat16 is slower
    than float32 and less exact. Elsewhere (MPS): never.

    Examples
    --------
    >>> autocast_enabled("float32", "cpu", cuda_amp=True)
    False
    >>> autocast_enabled("bfloat16", "cpu", cuda_amp=False)
    True
    >>> autocast_enabled("bfloat16", "cpu", cuda_amp=False, inference=True) == cpu_has_native_bf16()
    True
    """
    device = torch.device(device)
    if device.type == "cuda":
        return cuda_amp
    if device.type != "cpu" or resolve_precision(precision, device) != "bfloat16":
        return False
    return cpu_has_native_bf16() or not inference


def autocast(device: str | torch.device, enabled: bool) -> contextlib.AbstractContextManager:
    """Mixed precision: float16 autocast on CUDA, bfloat16 on the CPU; a no-op elsewhere.

    Examples
    --------
    >>> import torch
    >>> with autocast("cpu", True):
    ...     (torch.ones(2, 2) @ torch.ones(2, 2)).dtype
    torch.bfloat16
    """
    device = torch.device(device)
    dtype = {"cuda": torch.float16, "cpu": torch.bfloat16}.get(device.type)
    return torch.autocast(device.type, dtype=dtype, enabled=enabled and dtype is not None)


def to_memory_format(x: Any, channels_last: bool) -> Any:
    """A model or a 4-d batch in channels-last memory (or unchanged without ``channels_last``).

    Examples
    --------
    >>> import torch
    >>> x = to_memory_format(torch.zeros(2, 3, 4, 5), True)
    >>> x.is_contiguous(memory_format=torch.channels_last)
    True
    """
    if not channels_last:
        return x
    return x.to(memory_format=torch.channels_last)


@functools.cache
def _compiler_problem(device_type: str) -> str | None:
    """Why ``torch.compile`` cannot run here (None when a tiny function compiles and runs)."""
    if not hasattr(torch, "compile"):
        return f"torch {torch.__version__} has no torch.compile"
    if sys.platform == "win32" and device_type == "cpu":
        return "torch.compile's CPU backend needs a C++ toolchain that Windows lacks by default"
    try:
        compiled = torch.compile(lambda x: torch.relu(x) * 2, dynamic=False)
        compiled(torch.ones(2, device=device_type))
    except Exception as exc:  # noqa: BLE001 - any failure means: run eagerly
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return f"{type(exc).__name__}: {first}"[:300]
    return None


def compile_model(model: nn.Module, *, enabled: bool, device: str | torch.device) -> nn.Module:
    """Compile ``model`` in place with ``torch.compile`` where the compiler works.

    The compiler is tried once per process on a tiny function first; when it is missing or
    fails (no C++ compiler, an unsupported Python or platform) a ``RuntimeWarning`` says why
    and the model runs eagerly, with the same results. Parameter names are unchanged
    (``nn.Module.compile``), so checkpoints are the same as without compiling.

    Parameters
    ----------
    model : torch.nn.Module
        The model, already on ``device``.
    enabled : bool
        Compile at all (False returns ``model`` untouched).
    device : str or torch.device
        Where the model runs.

    Returns
    -------
    torch.nn.Module
        ``model`` itself.

    Examples
    --------
    >>> import torch
    >>> model = torch.nn.Linear(2, 2)
    >>> compile_model(model, enabled=False, device="cpu") is model
    True
    """
    if not enabled:
        return model
    problem = _compiler_problem(torch.device(device).type)
    if problem is not None:
        warnings.warn(
            f"torch.compile is unavailable here ({problem}); training without it (same "
            "results, eager speed). Set compile=False to silence this message.",
            RuntimeWarning,
            stacklevel=2,
        )
        return model
    model.compile()
    return model


def optimizer_kwargs(device: str | torch.device) -> dict[str, bool]:
    """Keyword arguments selecting the fastest update kernel of AdamW and SGD on ``device``.

    The fused kernel (one pass over all parameters) where torch has one for the device type,
    otherwise the multi-tensor (``foreach``) implementation.

    Examples
    --------
    >>> optimizer_kwargs("cpu")
    {'fused': True}
    """
    try:
        from torch.optim.optimizer import _get_fused_kernels_supported_devices as fused_devices
    except ImportError:  # pragma: no cover - an older torch: its fused kernels are CUDA only
        supported = ["cuda"]
    else:
        supported = fused_devices()
    return {"fused": True} if torch.device(device).type in supported else {"foreach": True}
