"""Optional experiment loggers: TensorBoard and Weights & Biases.

``metrics.csv`` in the run directory is always written; these loggers are extra and
off by default (``TrainConfig.loggers``). Their packages are imported only when asked
for, and a missing package raises :class:`~machinehearing.errors.ParameterError`
saying what to install.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ParameterError

__all__ = ["open_loggers"]


def _missing(name: str, package: str, exc: ImportError) -> ParameterError:
    return ParameterError(
        f"loggers includes {name!r}, which needs the {package!r} package ({exc}); "
        f"pip install {package}, or remove {name!r} from loggers"
    )


class _TensorBoardLogger:
    """Write each epoch's metrics as TensorBoard scalars under ``run_dir/tensorboard``."""

    def __init__(self, run_dir: Path, config: dict[str, Any]) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as exc:
            raise _missing("tensorboard", "tensorboard", exc) from exc
        self.writer = SummaryWriter(log_dir=str(Path(run_dir) / "tensorboard"))
        self.writer.add_text("config", f"```\n{config}\n```")

    def log(self, row: dict[str, float]) -> None:
        for key, value in row.items():
            if key != "epoch":
                self.writer.add_scalar(key, value, global_step=int(row["epoch"]))
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


class _WandbLogger:
    """Send each epoch's metrics to Weights & Biases (project ``machinehearing``)."""

    def __init__(self, run_dir: Path, config: dict[str, Any]) -> None:
        try:
            import wandb
        except ImportError as exc:
            raise _missing("wandb", "wandb", exc) from exc
        self.run = wandb.init(
            project="machinehearing", name=Path(run_dir).name, dir=str(run_dir), config=config
        )

    def log(self, row: dict[str, float]) -> None:
        self.run.log(dict(row), step=int(row["epoch"]))

    def close(self) -> None:
        self.run.finish()


_LOGGERS = {"tensorboard": _TensorBoardLogger, "wandb": _WandbLogger}


def open_loggers(names: list[str], run_dir: Path, config: dict[str, Any]) -> list:
    """Create the loggers named in ``names`` ("tensorboard", "wandb").

    Each logger has ``log(row)`` (a metrics.csv row, a dict with an ``"epoch"`` key) and
    ``close()``.

    Parameters
    ----------
    names : list of str
        Logger names (``TrainConfig.loggers``).
    run_dir : path-like
        The run directory (TensorBoard writes ``run_dir/tensorboard``).
    config : dict
        The run's configuration, recorded by the loggers.

    Returns
    -------
    list

    Raises
    ------
    ParameterError
        An unknown name, or a logger whose package is not installed.

    Examples
    --------
    >>> open_loggers([], ".", {})
    []
    """
    unknown = sorted(set(names) - set(_LOGGERS))
    if unknown:
        raise ParameterError(f"unknown logger(s) {unknown}; choose from {sorted(_LOGGERS)}")
    return [_LOGGERS[name](Path(run_dir), config) for name in names]
