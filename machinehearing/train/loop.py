"""The training loop: one epoch, evaluation, prediction, a full run, and cross-validation.

The generic functions (:func:`train_one_epoch`, :func:`evaluate`, :func:`predict`) work
with any classifier and any ``DataLoader`` of ``(images, labels)``. :func:`train` runs a
whole experiment described by a :class:`~machinehearing.train.TrainConfig` and records
it in a *run directory*::

    run_dir/
      config.json         the TrainConfig
      label_map.json      the task's labels (saved next to every model)
      metrics.csv         epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds
      result.json         best/test accuracy, written when the run is complete
      checkpoints/last.pt model, optimizer, scheduler, scaler, RNG states, epoch, history
      checkpoints/best.pt the same at the epoch of best validation accuracy

Every file is written atomically at the end of each epoch, so an interrupted run
resumes (``resume=True``) from ``last.pt``. The order of the training clips and the
augmentation of each epoch depend only on ``(seed, epoch)``: on the CPU, a run stopped
after any epoch and resumed ends with the same weights and metrics as an uninterrupted one.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from .._io import atomic_write_bytes, atomic_write_json, atomic_write_text
from ..errors import DataError, MachineHearingError, ParameterError
from .augment import Augment
from .config import TrainConfig
from .distributed import DistributedContext, cleanup, resolve_device, setup, unwrap
from .loggers import open_loggers
from .precision import (
    autocast,
    autocast_enabled,
    compile_model,
    optimizer_kwargs,
    resolve_precision,
)

__all__ = [
    "train_one_epoch",
    "evaluate",
    "predict",
    "train",
    "crossval",
    "load_model",
    "dataset_root",
    "run_split",
    "run_dataset",
    "TrainResult",
    "CrossvalResult",
    "TrainingDivergedError",
    "METRICS_COLUMNS",
]

#: columns of metrics.csv (a contract for plots and reports)
METRICS_COLUMNS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds")
#: config fields that may change when a run is resumed (they do not change the result)
RESUMABLE_CHANGES = frozenset({"num_workers", "loggers", "device", "compile"})


class TrainingDivergedError(MachineHearingError, RuntimeError):
    """The training loss became NaN or infinite; the last good checkpoint is kept."""


# ---------------------------------------------------------------------------- one epoch
def _to_device(x: Tensor, device: torch.device, channels_last: bool) -> Tensor:
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    return x.to(device, non_blocking=True, memory_format=memory_format)


def _bar(loader: Iterable, progress: bool, desc: str):
    return tqdm(loader, desc=desc, leave=False, disable=not progress, unit="batch")


def train_one_epoch(
    model: nn.Module,
    loader: Iterable,
    optimizer: torch.optim.Optimizer,
    *,
    device: str | torch.device,
    loss_fn: Callable[[Tensor, Tensor], Tensor] | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    scaler: torch.amp.GradScaler | None = None,
    augment: Callable[[Tensor, Tensor], tuple[Tensor, Tensor]] | None = None,
    channels_last: bool = False,
    amp: bool = False,
    progress: bool = False,
    desc: str = "train",
) -> tuple[float, float]:
    """Train ``model`` for one pass over ``loader``.

    For each batch: move to ``device``, augment, forward (under autocast with ``amp`` or
    an enabled ``scaler``), loss, backward, optimizer step, then ``scheduler.step()``
    (schedules are stepped per batch). A non-finite loss raises
    :class:`TrainingDivergedError` before the weights are updated.

    Parameters
    ----------
    model : torch.nn.Module
        Classifier returning logits; may be wrapped in DistributedDataParallel, in which
        case the returned metrics are averaged over all processes.
    loader : iterable of (images, labels)
        Training batches.
    optimizer : torch.optim.Optimizer
        Optimizer of ``model``'s parameters.
    device : str or torch.device
        Where to compute.
    loss_fn : callable or None
        ``loss_fn(logits, target)``; default cross-entropy. With mixup the target holds
        class probabilities.
    scheduler : LRScheduler or None
        Stepped after every batch.
    scaler : torch.amp.GradScaler or None
        Loss scaler for mixed precision (CUDA); disabled or None trains in float32.
    augment : callable or None
        ``augment(x, y) -> (x, target)`` applied to each batch on ``device``.
    channels_last : bool
        Send batches in channels-last memory format (use with a channels-last model).
    amp : bool
        Mixed precision: float16 autocast on CUDA (implied by an enabled ``scaler``),
        bfloat16 autocast on the CPU (fast on CPUs with native bfloat16, e.g. AVX512-BF16
        or AMX; slow on others).
    progress : bool
        Show a progress bar over the batches.
    desc : str
        Label of the progress bar.

    Returns
    -------
    mean_loss : float
        Loss averaged over the samples.
    accuracy : float
        Fraction of samples whose arg-max logit is the label (the dominant label under
        mixup).

    Examples
    --------
    >>> import torch
    >>> from torch.utils.data import DataLoader, TensorDataset
    >>> _ = torch.manual_seed(0)
    >>> data = TensorDataset(torch.randn(16, 4), torch.randint(0, 2, (16,)))
    >>> model = torch.nn.Linear(4, 2)
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
    >>> loss, acc = train_one_epoch(model, DataLoader(data, batch_size=8), opt, device="cpu")
    >>> loss > 0, 0.0 <= acc <= 1.0
    (True, True)
    """
    device = resolve_device(device)
    loss_fn = nn.CrossEntropyLoss() if loss_fn is None else loss_fn
    scaled = scaler is not None and scaler.is_enabled()
    amp = amp or scaled
    distributed = isinstance(model, nn.parallel.DistributedDataParallel)
    model.train()
    totals = torch.zeros(3, dtype=torch.float64, device=device)  # loss sum, correct, count
    for step, (x, y) in enumerate(_bar(loader, progress, desc)):
        x = _to_device(x, device, channels_last)
        y = y.to(device, non_blocking=True)
        target = y
        if augment is not None:
            x, target = augment(x, y)
        with autocast(device, amp):
            logits = model(x)
            loss = loss_fn(logits, target)
        bad = (~torch.isfinite(loss.detach())).to(torch.float64)
        if distributed:  # every process must stop at the same step
            torch.distributed.all_reduce(bad)
        if bad.item():
            raise TrainingDivergedError(
                f"the training loss became {loss.item()} at batch {step + 1}"
            )
        optimizer.zero_grad(set_to_none=True)
        if scaled:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
        if scheduler is not None:
            scheduler.step()
        hard = target.argmax(dim=1) if target.ndim == 2 else target
        totals[0] += loss.detach().double() * y.shape[0]
        totals[1] += (logits.detach().argmax(dim=1) == hard).sum()
        totals[2] += y.shape[0]
    if distributed:
        torch.distributed.all_reduce(totals)
    return _means(totals)


def _means(totals: Tensor) -> tuple[float, float]:
    loss_sum, correct, count = totals.tolist()
    if count == 0:
        raise DataError("the data loader yielded no batches: is the dataset empty?")
    return loss_sum / count, correct / count


def evaluate(
    model: nn.Module,
    loader: Iterable,
    *,
    device: str | torch.device,
    loss_fn: Callable[[Tensor, Tensor], Tensor] | None = None,
    channels_last: bool = False,
    amp: bool = False,
    progress: bool = False,
    desc: str = "eval",
) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` (in eval mode, no gradients) over ``loader``.

    Parameters
    ----------
    model : torch.nn.Module
        Classifier returning logits.
    loader : iterable of (images, labels)
        Batches to evaluate.
    device : str or torch.device
        Where to compute.
    loss_fn : callable or None
        ``loss_fn(logits, labels)``; default cross-entropy (no label smoothing).
    channels_last, amp : bool
        Channels-last batches; mixed precision (float16 on CUDA, bfloat16 on the CPU).
    progress : bool
        Show a progress bar.
    desc : str
        Label of the progress bar.

    Returns
    -------
    mean_loss, accuracy : float

    Examples
    --------
    >>> import torch
    >>> from torch.utils.data import DataLoader, TensorDataset
    >>> model = torch.nn.Linear(2, 2)
    >>> with torch.no_grad():
    ...     _ = model.weight.copy_(torch.eye(2)), model.bias.zero_()
    >>> data = TensorDataset(torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 0.0]]),
    ...                      torch.tensor([0, 1, 1]))
    >>> loss, acc = evaluate(model, DataLoader(data, batch_size=2), device="cpu")
    >>> round(acc, 3)
    0.667
    """
    device = resolve_device(device)
    loss_fn = nn.CrossEntropyLoss() if loss_fn is None else loss_fn
    model.eval()
    totals = torch.zeros(3, dtype=torch.float64, device=device)
    with torch.inference_mode():
        for x, y in _bar(loader, progress, desc):
            x = _to_device(x, device, channels_last)
            y = y.to(device, non_blocking=True)
            with autocast(device, amp):
                logits = model(x)
                loss = loss_fn(logits.float(), y)
            totals[0] += loss.double() * y.shape[0]
            totals[1] += (logits.argmax(dim=1) == y).sum()
            totals[2] += y.shape[0]
    return _means(totals)


def predict(
    model: nn.Module,
    loader: Iterable,
    *,
    device: str | torch.device,
    embeddings: bool = True,
    channels_last: bool = False,
    amp: bool = False,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Logits, and penultimate-layer embeddings, for every sample of ``loader`` in order.

    Parameters
    ----------
    model : torch.nn.Module
        Classifier. When it has ``forward_features`` and ``fc`` (a
        :class:`~machinehearing.models.ResNet`) the embeddings are returned too.
    loader : iterable of images or of (images, labels)
        Batches (labels, when present, are ignored); do not shuffle.
    device : str or torch.device
        Where to compute.
    embeddings : bool
        Also return the embeddings (for t-SNE plots).
    channels_last, amp : bool
        Channels-last batches; mixed precision (float16 on CUDA, bfloat16 on the CPU).
    progress : bool
        Show a progress bar.

    Returns
    -------
    logits : np.ndarray, shape (n_samples, n_classes), float32
    embeddings : np.ndarray, shape (n_samples, 512), float32, or None

    Examples
    --------
    >>> import torch
    >>> from torch.utils.data import DataLoader, TensorDataset
    >>> from machinehearing.models import resnet18
    >>> data = TensorDataset(torch.randn(3, 1, 32, 32), torch.zeros(3, dtype=torch.long))
    >>> logits, emb = predict(resnet18(num_classes=5), DataLoader(data), device="cpu")
    >>> logits.shape, emb.shape
    ((3, 5), (3, 512))
    """
    device = resolve_device(device)
    model = unwrap(model)
    model.eval()
    with_embeddings = embeddings and hasattr(model, "forward_features") and hasattr(model, "fc")
    logits_out, emb_out = [], []
    with torch.inference_mode():
        for batch in _bar(loader, progress, "predict"):
            x = batch[0] if isinstance(batch, list | tuple) else batch
            x = _to_device(x, device, channels_last)
            with autocast(device, amp):
                if with_embeddings:
                    emb = model.forward_features(x)
                    logits = model.fc(emb)
                    emb_out.append(emb.float().cpu())
                else:
                    logits = model(x)
            logits_out.append(logits.float().cpu())
    if not logits_out:
        raise DataError("the data loader yielded no batches: is the dataset empty?")
    logits_np = torch.cat(logits_out).numpy()
    return logits_np, (torch.cat(emb_out).numpy() if with_embeddings else None)


# ------------------------------------------------------------------------------ results
@dataclass
class TrainResult:
    """Summary of a training run.

    Attributes
    ----------
    run_dir : pathlib.Path
        The run directory.
    best_val_acc : float
        Best validation accuracy.
    best_epoch : int
        Epoch (1-based) of ``best_val_acc``; ``checkpoints/best.pt`` holds that model.
    history : list of dict
        The rows of ``metrics.csv``.
    test_acc, test_loss : float
        The best model on the test clips (the test fold, or the course split's test part).
    stopped_early : bool
        Whether early stopping ended the run.

    Examples
    --------
    >>> result = TrainResult("runs/x", best_val_acc=0.75, best_epoch=3, test_acc=0.7)
    >>> result.to_dict()["best_epoch"], result.to_dict()["epochs_run"]
    (3, 0)
    """

    run_dir: Path
    best_val_acc: float
    best_epoch: int
    history: list[dict[str, float]] = field(default_factory=list)
    test_acc: float = float("nan")
    test_loss: float = float("nan")
    stopped_early: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (without the history)."""
        out = asdict(self)
        out.pop("history")
        out["run_dir"] = str(self.run_dir)
        out["epochs_run"] = len(self.history)
        return out


@dataclass
class CrossvalResult:
    """Cross-validation summary: one :class:`TrainResult` per fold, mean and std of test acc.

    Attributes
    ----------
    run_dir : pathlib.Path
        The cross-validation directory (``fold1/`` ... and ``summary.json``).
    folds : dict of int to TrainResult
        Result of each test fold.
    mean, std : float
        Mean and sample standard deviation (``ddof=1``, as
        :func:`machinehearing.stats.crossval_summary`; NaN for a single fold) of the folds'
        test accuracies.

    Examples
    --------
    >>> folds = {k: TrainResult(f"cv/fold{k}", 0.8, 5, test_acc=acc)
    ...          for k, acc in [(1, 0.7), (2, 0.9)]}
    >>> CrossvalResult("cv", folds, mean=0.8, std=0.1).to_dict()["test_acc"]
    {'1': 0.7, '2': 0.9}
    """

    run_dir: Path
    folds: dict[int, TrainResult]
    mean: float
    std: float

    def to_dict(self) -> dict[str, Any]:
        """The content of ``summary.json``."""
        return {
            "run_dir": str(self.run_dir),
            "folds": {str(k): r.to_dict() for k, r in self.folds.items()},
            "test_acc": {str(k): r.test_acc for k, r in self.folds.items()},
            "best_val_acc": {str(k): r.best_val_acc for k, r in self.folds.items()},
            "mean": self.mean,
            "std": None if math.isnan(self.std) else self.std,
        }


# ------------------------------------------------------------------------------ helpers
def _epoch_seed(seed: int, epoch: int, rank: int = 0) -> int:
    """A seed that depends only on (seed, epoch, rank), never on what ran before."""
    return int(np.random.SeedSequence([seed, epoch, rank]).generate_state(1, np.uint64)[0] >> 1)


# The global generators are seeded and saved for code outside this module that draws from
# them (a user's dataset transform, a library): the loop itself uses explicit generators.
def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002
    torch.manual_seed(seed)


def _rng_state() -> dict[str, Any]:
    state = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),  # noqa: NPY002
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])  # noqa: NPY002
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _save(obj: Any, path: Path) -> None:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def _write_metrics(path: Path, history: Sequence[dict[str, float]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=METRICS_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(history)
    atomic_write_text(path, buffer.getvalue())


def _make_optimizer(
    config: TrainConfig, model: nn.Module, device: torch.device
) -> torch.optim.Optimizer:
    kernel = optimizer_kwargs(device)
    if config.optimizer == "sgd":
        return torch.optim.SGD(
            model.parameters(),
            lr=config.lr,
            momentum=config.momentum,
            weight_decay=config.weight_decay,
            nesterov=config.momentum > 0,
            **kernel,
        )
    return torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay, **kernel
    )


def _make_scheduler(config: TrainConfig, optimizer, steps_per_epoch: int):
    """A per-batch learning-rate schedule (or None)."""
    total = config.epochs * steps_per_epoch
    if config.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total)
    if config.schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr, total_steps=total)
    if config.schedule == "multistep":
        epochs = config.milestones or [config.epochs // 2, (3 * config.epochs) // 4]
        return torch.optim.lr_scheduler.MultiStepLR(
            optimizer, milestones=[m * steps_per_epoch for m in epochs], gamma=config.gamma
        )
    return None


def _synthetic_root(config: TrainConfig, run_dir: Path) -> Path:
    """Where the synthetic set of ``config.synthetic`` lives: shared by runs side by side."""
    key = "-".join(f"{k}{v}" for k, v in sorted(config.synthetic.items())) or "default"
    return Path(run_dir).resolve().parent / ".cache" / f"esc50-synthetic-{key}"


def dataset_root(config: TrainConfig, run_dir: str | Path, *, progress: bool = False) -> Path:
    """The dataset directory of a run: ``config.data_root``, or its synthetic set (generated
    under ``run_dir``'s parent in ``.cache/`` when missing).

    Examples
    --------
    >>> dataset_root(TrainConfig(data_root="/data/ESC-50"), "runs/x")
    PosixPath('/data/ESC-50')
    """
    if config.data_root is not None:
        return Path(config.data_root)
    from ..datasets import make_esc50_like

    root = _synthetic_root(config, Path(run_dir))
    return make_esc50_like(root, progress=progress, **config.synthetic)


def run_split(config: TrainConfig, clips: Sequence[Any]):
    """The train/val/test indices of a run (into ``clips``, from ``load_metadata``).

    ``split="fold"``: the official folds, validating on the test fold when
    ``val_fold`` is None; ``split="course"``: the stratified course split (seeded by
    ``config.seed``).

    Parameters
    ----------
    config : TrainConfig
        The run's configuration (``split``, ``test_fold``, ``val_fold``, ``task``, ``seed``).
    clips : sequence of Clip
        The dataset's metadata.

    Returns
    -------
    machinehearing.datasets.Split

    Examples
    --------
    >>> from machinehearing.datasets import Clip
    >>> clips = [Clip(f"{k}-{k}-A-0.wav", k, 0, "dog", True, str(k), "A") for k in range(1, 6)]
    >>> split = run_split(TrainConfig(test_fold=5), clips)
    >>> split.train.tolist(), split.val.tolist(), split.test.tolist()
    ([0, 1, 2, 3], [4], [4])
    """
    from ..datasets import course_split, fold_split

    if config.split == "course":
        return course_split(clips, task=config.task, seed=config.seed)
    split = fold_split(clips, test_fold=config.test_fold, val_fold=config.val_fold)
    if config.val_fold is None:  # model selection on the test fold (the course protocol)
        split = split._replace(val=split.test)
    return split


def run_dataset(
    config: TrainConfig,
    root: str | Path,
    indices: Sequence[int],
    *,
    cache: Any = None,
    progress: bool = False,
):
    """The :class:`~machinehearing.datasets.ESC50Dataset` of some clips of a run.

    Features, task, image size, crop, sampling rate, cache directory and storage type
    all come from ``config``, so training and evaluation read the same images.

    Parameters
    ----------
    config : TrainConfig
        The run's configuration.
    root : str or path-like
        The dataset directory (:func:`dataset_root`).
    indices : sequence of int
        Positions in the dataset's metadata (one side of :func:`run_split`).
    cache : FeatureCache, optional
        An open feature cache of these features; built or found from ``config`` when None.
    progress : bool, default=False
        Show a progress bar while the cache is built.

    Returns
    -------
    machinehearing.datasets.ESC50Dataset
    """
    from ..datasets import ESC50Dataset

    return ESC50Dataset(
        root,
        config.features,
        task=config.task,
        indices=indices,
        cache=cache,
        cache_dir=config.cache_dir,
        size=config.size,
        seconds=config.seconds,
        sr=config.sr,
        dtype=config.feature_dtype,
        progress=progress,
    )


@dataclass
class _Data:
    train: Any
    val: Any
    test: Any
    label_map: Any
    in_channels: int
    test_is_val: bool


def _prepare_data(config: TrainConfig, run_dir: Path, ctx: DistributedContext, progress: bool):
    """Feature cache (rank 0 builds it, the others wait), split, and the three datasets."""
    from .. import datasets

    def build():
        root = dataset_root(config, run_dir, progress=progress)
        cache = datasets.precompute(
            root,
            config.features,
            cache_dir=config.cache_dir,
            size=config.size,
            seconds=config.seconds,
            sr=config.sr,
            dtype=config.feature_dtype,
            device=str(ctx.device) if ctx.device.type == "cuda" else "cpu",
            progress=progress,
        )
        return root, cache

    if ctx.is_main:
        root, cache = build()
    ctx.barrier()
    if not ctx.is_main:
        root, cache = build()  # finds the finished cache
    split = run_split(config, datasets.load_metadata(root))
    if len(split.train) == 0 or len(split.val) == 0:
        raise DataError(
            f"the {config.split!r} split of {root} leaves no training or validation clips"
        )

    def dataset(indices):
        return run_dataset(config, root, indices, cache=cache)

    train_ds, val_ds = dataset(split.train), dataset(split.val)
    test_is_val = len(split.test) == 0 or np.array_equal(split.test, split.val)
    test_ds = val_ds if test_is_val else dataset(split.test)
    return _Data(
        train=train_ds,
        val=val_ds,
        test=test_ds,
        label_map=datasets.LabelMap.for_task(config.task),
        in_channels=int(cache.array.shape[1]),
        test_is_val=test_is_val,
    )


def _check_resumable(saved: dict[str, Any], config: TrainConfig, run_dir: Path) -> None:
    current = config.to_dict()
    saved = TrainConfig.from_dict(saved).to_dict()  # the fields of today (older runs too)
    changed = sorted(
        k for k in current if k not in RESUMABLE_CHANGES and saved.get(k) != current[k]
    )
    if changed:
        raise DataError(
            f"cannot resume {run_dir}: the configuration differs from the saved one in "
            f"{changed}; resume with the saved config.json or start a new run directory"
        )


# --------------------------------------------------------------------------------- train
def train(
    config: TrainConfig, run_dir: str | Path, *, resume: bool = False, progress: bool = True
) -> TrainResult:
    """Train a ResNet-18 as ``config`` says and record the run in ``run_dir``.

    Under ``torchrun`` the processes train together with DistributedDataParallel
    (see :mod:`machinehearing.train.distributed`); only rank 0 writes files.

    Parameters
    ----------
    config : TrainConfig
        The experiment.
    run_dir : str or path-like
        Run directory (created). It must not already hold a run unless ``resume``.
    resume : bool
        Continue from ``run_dir/checkpoints/last.pt`` when it exists (a finished run is
        returned as is); start from scratch when it does not.
    progress : bool
        Show progress bars and a line per epoch.

    Returns
    -------
    TrainResult

    Raises
    ------
    DataError
        The run directory already holds a run (and ``resume`` is False), or the saved
        configuration differs from ``config``.
    TrainingDivergedError
        The loss became NaN or infinite; ``checkpoints/last.pt`` keeps the last good epoch.

    Examples
    --------
    >>> import tempfile
    >>> config = TrainConfig.preset("demo", epochs=1, size=(32, 32), seconds=1.0,
    ...     synthetic={"n_classes": 5, "clips_per_class": 5, "sr": 8000, "duration": 1.0})
    >>> result = train(config, tempfile.mkdtemp() + "/run", progress=False)
    >>> len(result.history), sorted(p.name for p in (result.run_dir / "checkpoints").iterdir())
    (1, ['best.pt', 'last.pt'])
    """
    if not isinstance(config, TrainConfig):
        raise ParameterError(f"config must be a TrainConfig, got {type(config).__name__}")
    run_dir = Path(run_dir)
    ctx = setup(config.device)
    try:
        return _train(config, run_dir, ctx, resume=resume, progress=progress)
    finally:
        cleanup(ctx)


def _train(
    config: TrainConfig, run_dir: Path, ctx: DistributedContext, *, resume: bool, progress: bool
) -> TrainResult:
    from ..datasets import make_loader
    from ..models import resnet18

    # "auto" becomes what this machine computes in, and config.json records it
    config = replace(config, precision=resolve_precision(config.precision, ctx.device))
    last_path = run_dir / "checkpoints" / "last.pt"
    best_path = run_dir / "checkpoints" / "best.pt"
    state = None
    if last_path.is_file():
        if not resume:
            raise DataError(
                f"{run_dir} already holds a run (checkpoints/last.pt): pass resume=True "
                "(--resume) to continue it, or choose a new run directory"
            )
        state = torch.load(last_path, map_location="cpu", weights_only=False)
        _check_resumable(state["config"], config, run_dir)
    progress = progress and ctx.is_main
    device = ctx.device
    data = _prepare_data(config, run_dir, ctx, progress)
    _seed_everything(config.seed)  # after the data: building a cache must not change the run
    num_classes = len(data.label_map)

    model = resnet18(
        in_channels=data.in_channels,
        num_classes=num_classes,
        pretrained=config.pretrained if state is None else False,  # resumed: from last.pt
        zero_init_residual=config.zero_init_residual,
    )
    channels_last = config.channels_last and device.type != "mps"
    model = model.to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    model = compile_model(model, enabled=config.compile, device=device)
    local_batch = ctx.local_batch_size(config.batch_size)
    sampler = ctx.sampler(data.train, shuffle=True, seed=config.seed)
    pin = device.type == "cuda"
    train_loader = make_loader(
        data.train,
        batch_size=local_batch,
        sampler=sampler,
        num_workers=config.num_workers,
        pin_memory=pin,
        drop_last=len(sampler) > local_batch,
    )

    def eval_loader(ds):
        return make_loader(
            ds, batch_size=local_batch, num_workers=config.num_workers, pin_memory=pin
        )

    val_loader = eval_loader(data.val)
    optimizer = _make_optimizer(config, model, device)
    scheduler = _make_scheduler(config, optimizer, len(train_loader))
    amp = autocast_enabled(config.precision, device, cuda_amp=config.amp)
    scaler = torch.amp.GradScaler("cuda") if amp and device.type == "cuda" else None
    generator = torch.Generator()
    augment = Augment.from_config(config, num_classes=num_classes, generator=generator)
    train_loss_fn = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)

    start_epoch, best_acc, best_epoch, history, stopped = 0, -math.inf, 0, [], False
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(state["scheduler"])
        if scaler is not None and state["scaler"]:
            scaler.load_state_dict(state["scaler"])
        _set_rng_state(state["rng"])
        start_epoch, history = state["epoch"], list(state["history"])
        best_acc, best_epoch = state["best_val_acc"], state["best_epoch"]
        stopped = state["stopped_early"]
        if stopped or start_epoch >= config.epochs:
            start_epoch = config.epochs
    model = ctx.wrap(model)
    loggers = []
    if ctx.is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        config.to_json(run_dir / "config.json")
        atomic_write_text(run_dir / "label_map.json", data.label_map.to_json())
        _write_metrics(run_dir / "metrics.csv", history)
        loggers = open_loggers(config.loggers, run_dir, config.to_dict())
    try:
        for epoch in range(start_epoch, config.epochs):
            sampler.set_epoch(epoch)
            generator.manual_seed(_epoch_seed(config.seed, epoch, ctx.rank))
            started = time.perf_counter()
            try:
                train_loss, train_acc = train_one_epoch(
                    model,
                    train_loader,
                    optimizer,
                    device=device,
                    loss_fn=train_loss_fn,
                    scheduler=scheduler,
                    scaler=scaler,
                    augment=augment if augment.active else None,
                    channels_last=channels_last,
                    amp=amp,
                    progress=progress,
                    desc=f"epoch {epoch + 1}/{config.epochs}",
                )
            except TrainingDivergedError as exc:
                kept = f"{last_path} keeps epoch {epoch}" if epoch else "no epoch had completed"
                raise TrainingDivergedError(
                    f"training diverged in epoch {epoch + 1}: {exc}; {kept}. Lower the "
                    f"learning rate (lr={config.lr:g})"
                    + (" or compute in float32 (amp=False, precision='float32')" if amp else "")
                ) from None
            val_loss, val_acc = evaluate(
                model, val_loader, device=device, channels_last=channels_last, amp=amp
            )
            if ctx.enabled:  # identical on every process: they must take the same decisions
                val = torch.tensor([val_loss, val_acc], dtype=torch.float64, device=device)
                val_loss, val_acc = (ctx.all_reduce_sum(val) / ctx.world_size).tolist()
            row = {
                "epoch": epoch + 1,
                "train_loss": train_loss,
                "train_acc": train_acc,
                "val_loss": val_loss,
                "val_acc": val_acc,
                "lr": optimizer.param_groups[0]["lr"],
                "seconds": round(time.perf_counter() - started, 3),
            }
            history.append(row)
            improved = val_acc > best_acc
            if improved:
                best_acc, best_epoch = val_acc, epoch + 1
            stopped = config.patience is not None and epoch + 1 - best_epoch >= config.patience
            if ctx.is_main:
                checkpoint = {
                    "model": unwrap(model).state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict() if scheduler is not None else None,
                    "scaler": scaler.state_dict() if scaler is not None else None,
                    "epoch": epoch + 1,
                    "rng": _rng_state(),
                    "config": config.to_dict(),
                    "label_map": data.label_map.to_json(),
                    "best_val_acc": best_acc,
                    "best_epoch": best_epoch,
                    "history": history,
                    "stopped_early": stopped,
                }
                if improved:
                    _save(checkpoint, best_path)
                _save(checkpoint, last_path)
                _write_metrics(run_dir / "metrics.csv", history)
                for logger in loggers:
                    logger.log(row)
                if progress:
                    tqdm.write(
                        f"epoch {epoch + 1}/{config.epochs}: train loss {train_loss:.4f} "
                        f"acc {train_acc:.3f} | val loss {val_loss:.4f} acc {val_acc:.3f}"
                        + (" *" if improved else "")
                    )
            ctx.barrier()
            if stopped:
                if progress:
                    tqdm.write(f"early stopping: no improvement for {config.patience} epochs")
                break
    finally:
        for logger in loggers:
            logger.close()

    if data.test_is_val:
        test_loss, test_acc = _best_history_row(history, best_epoch)
    else:
        best = torch.load(best_path, map_location="cpu", weights_only=False)
        unwrap(model).load_state_dict(best["model"])
        test_loss, test_acc = evaluate(
            model, eval_loader(data.test), device=device, channels_last=channels_last, amp=amp
        )
    result = TrainResult(
        run_dir=run_dir,
        best_val_acc=best_acc,
        best_epoch=best_epoch,
        history=history,
        test_acc=test_acc,
        test_loss=test_loss,
        stopped_early=stopped,
    )
    if ctx.is_main:
        atomic_write_json(run_dir / "result.json", result.to_dict())
    return result


def _best_history_row(history, best_epoch: int) -> tuple[float, float]:
    row = history[best_epoch - 1]
    return row["val_loss"], row["val_acc"]


def load_model(
    run_dir: str | Path, *, checkpoint: str = "best", device: str | torch.device = "cpu"
) -> tuple[nn.Module, TrainConfig, Any]:
    """Rebuild the model of a run from ``checkpoints/{checkpoint}.pt``.

    Parameters
    ----------
    run_dir : str or path-like
        A run directory written by :func:`train`.
    checkpoint : {"best", "last"}
        Which checkpoint.
    device : str or torch.device
        Where to put the model.

    Returns
    -------
    model : ResNet
        In eval mode, on ``device``.
    config : TrainConfig
    label_map : LabelMap

    Examples
    --------
    >>> import tempfile
    >>> config = TrainConfig.preset("demo", epochs=1, size=(32, 32), seconds=1.0,
    ...     synthetic={"n_classes": 5, "clips_per_class": 5, "sr": 8000, "duration": 1.0})
    >>> run = train(config, tempfile.mkdtemp() + "/run", progress=False).run_dir
    >>> model, config, label_map = load_model(run)
    >>> model.fc.out_features == len(label_map), config.epochs
    (True, 1)
    """
    from ..datasets import LabelMap
    from ..models import resnet18

    if checkpoint not in ("best", "last"):
        raise ParameterError(f"checkpoint must be 'best' or 'last', got {checkpoint!r}")
    path = Path(run_dir) / "checkpoints" / f"{checkpoint}.pt"
    if not path.is_file():
        raise DataError(f"no checkpoint {path}: is {run_dir} a finished or running train() run?")
    state = torch.load(path, map_location="cpu", weights_only=False)
    weights = state["model"]
    model = resnet18(
        in_channels=weights["conv1.weight"].shape[1], num_classes=weights["fc.weight"].shape[0]
    )
    model.load_state_dict(weights)
    config = TrainConfig.from_dict(state["config"])
    return model.to(resolve_device(device)).eval(), config, LabelMap.from_json(state["label_map"])


# ------------------------------------------------------------------------------ crossval
def crossval(
    config: TrainConfig,
    run_dir: str | Path,
    *,
    folds: Sequence[int] = (1, 2, 3, 4, 5),
    resume: bool = True,
    progress: bool = True,
) -> CrossvalResult:
    """Train one run per test fold in ``run_dir/fold{k}`` and summarise them.

    Each fold is a :func:`train` run with ``split="fold"`` and ``test_fold=k``
    (validation on the test fold unless ``config.val_fold`` is set, which is then
    ignored for the fold equal to it). With ``resume`` (the default) finished folds are
    read back and an interrupted fold continues from its last checkpoint.
    ``run_dir/summary.json`` holds the per-fold best validation and test accuracy and
    the mean and sample standard deviation (``ddof=1``) of the test accuracy.

    Parameters
    ----------
    config : TrainConfig
        Protocol shared by all folds.
    run_dir : str or path-like
        Cross-validation directory.
    folds : sequence of int
        Test folds to run.
    resume : bool
        Skip finished folds and resume interrupted ones.
    progress : bool
        Show progress.

    Returns
    -------
    CrossvalResult

    Examples
    --------
    >>> import tempfile
    >>> config = TrainConfig.preset("demo", epochs=1, size=(32, 32), seconds=1.0,
    ...     synthetic={"n_classes": 5, "clips_per_class": 5, "sr": 8000, "duration": 1.0})
    >>> cv = crossval(config, tempfile.mkdtemp() + "/cv", folds=(1, 2), progress=False)
    >>> sorted(p.name for p in cv.run_dir.iterdir())  # .cache: the folds' synthetic set
    ['.cache', 'fold1', 'fold2', 'summary.json']
    >>> 0.0 <= cv.mean <= 1.0
    True
    """
    run_dir = Path(run_dir)
    folds = list(folds)
    if not folds or any(f not in (1, 2, 3, 4, 5) for f in folds) or len(set(folds)) != len(folds):
        raise ParameterError(f"folds must be distinct fold numbers from 1 to 5, got {folds}")
    results: dict[int, TrainResult] = {}
    for fold in folds:
        val_fold = config.val_fold if config.val_fold != fold else None
        fold_config = replace(config, split="fold", test_fold=fold, val_fold=val_fold)
        fold_dir = run_dir / f"fold{fold}"
        if progress:
            tqdm.write(f"cross-validation: fold {fold} ({folds.index(fold) + 1}/{len(folds)})")
        results[fold] = _finished(fold_dir) if resume else None
        if results[fold] is None:
            results[fold] = train(fold_config, fold_dir, resume=resume, progress=progress)
    accs = np.array([r.test_acc for r in results.values()])
    std = float(accs.std(ddof=1)) if len(accs) > 1 else math.nan
    result = CrossvalResult(run_dir, results, float(accs.mean()), std)
    if int(os.environ.get("RANK", "0")) == 0:  # under torchrun only rank 0 writes
        atomic_write_json(run_dir / "summary.json", result.to_dict())
    return result


def _finished(run_dir: Path) -> TrainResult | None:
    """The result of a complete run directory, or None."""
    path = run_dir / "result.json"
    metrics = run_dir / "metrics.csv"
    if not path.is_file() or not metrics.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    with metrics.open(newline="", encoding="utf-8") as fh:
        history = [
            {k: (int(v) if k == "epoch" else float(v)) for k, v in row.items()}
            for row in csv.DictReader(fh)
        ]
    return TrainResult(
        run_dir=run_dir,
        best_val_acc=data["best_val_acc"],
        best_epoch=data["best_epoch"],
        history=history,
        test_acc=data["test_acc"],
        test_loss=data["test_loss"],
        stopped_early=data["stopped_early"],
    )
