"""The training configuration: one dataclass that fully describes a run.

A :class:`TrainConfig` is saved as ``config.json`` in every run directory, can be
written to and read from TOML or JSON files, and every field is a command line flag
of ``machinehearing train``. Values are checked when the object is created, and a
wrong one raises :class:`~machinehearing.errors.ParameterError` naming the field.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .._io import atomic_write_text
from ..errors import ParameterError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["TrainConfig", "PRESETS", "OPTIMIZERS", "SCHEDULES", "LOGGERS"]

OPTIMIZERS = ("adamw", "sgd")
SCHEDULES = ("cosine", "onecycle", "multistep", "none")
LOGGERS = ("tensorboard", "wandb")
TASKS = ("classes", "categories")
SPLITS = ("fold", "course")
FEATURE_DTYPES = ("float32", "float16")
#: values of ``precision`` (see :mod:`machinehearing.train.precision`)
PRECISIONS = ("auto", "float32", "bfloat16")
#: keyword arguments of ``make_esc50_like`` that ``TrainConfig.synthetic`` may set
SYNTHETIC_KEYS = ("n_classes", "clips_per_class", "sr", "duration", "seed")


def _opt(help_text: str, **kwargs) -> Any:
    """A dataclass field carrying its command line help text."""
    return field(metadata={"help": help_text}, **kwargs)


@dataclass
class TrainConfig:
    """Everything that defines a training run (data, model, optimisation, augmentation).

    Create one with keyword arguments, from a preset (:meth:`preset`), or from a file
    (:meth:`from_toml`, :meth:`from_json`); derive variants with
    :func:`dataclasses.replace` (which validates again).

    Examples
    --------
    >>> import dataclasses
    >>> config = TrainConfig.preset("course", features=["logmel", "mfcc", "chroma"])
    >>> config.seconds, config.size, config.batch_size, config.optimizer
    (3.0, (128, 128), 32, 'adamw')
    >>> TrainConfig.from_json(config.to_json()) == config
    True
    >>> dataclasses.replace(config, lr=-1.0)
    Traceback (most recent call last):
    ...
    machinehearing.errors.ParameterError: TrainConfig.lr must be a positive number, got -1.0
    """

    # --- data
    data_root: str | None = _opt(
        "ESC-50 directory (with audio/ and meta/esc50.csv); None generates a synthetic "
        "ESC-50-like set under the run directory's parent, in .cache/",
        default=None,
    )
    features: list[str] = _opt(
        "feature images stacked as input channels, as feature spec strings "
        "(e.g. logmel, or mfcc:n_mfcc=40); one feature = 1 channel, three = 3 channels",
        default_factory=lambda: ["logmel"],
    )
    task: str = _opt("what to predict: the 50 'classes' or the 5 'categories'", default="classes")
    split: str = _opt(
        "'fold': the official 5-fold split (test_fold/val_fold); 'course': a stratified "
        "75/20/5 train/val/test split grouped by source recording",
        default="fold",
    )
    test_fold: int = _opt("official fold (1-5) held out for testing when split='fold'", default=1)
    val_fold: int | None = _opt(
        "fold used for validation (model selection) when split='fold'; None validates on the "
        "test fold",
        default=None,
    )
    size: tuple[int, int] = _opt(
        "height and width of the feature images in pixels (each at least 32)", default=(128, 128)
    )
    seconds: float | None = _opt(
        "crop or pad every clip to this many seconds (from the start) before computing "
        "features; None keeps the whole 5 s clip",
        default=None,
    )
    sr: int | None = _opt(
        "resample the audio to this rate (Hz) before computing features; None keeps the "
        "files' rate",
        default=None,
    )
    cache_dir: str | None = _opt(
        "where feature caches are stored; None uses the dataset's default cache directory",
        default=None,
    )
    feature_dtype: str = _opt(
        "storage type of the cached features: float32, or float16 (half the disk and memory)",
        default="float32",
    )
    synthetic: dict[str, Any] = _opt(
        "parameters of the synthetic set used when data_root is None (n_classes, "
        "clips_per_class, sr, duration, seed)",
        default_factory=lambda: {"n_classes": 10, "clips_per_class": 20, "sr": 16000},
    )
    # --- model
    pretrained: bool | str = _opt(
        "start from ImageNet weights (true; needs torchvision) or from a state_dict file path",
        default=False,
    )
    zero_init_residual: bool = _opt(
        "initialise the last BatchNorm of each residual block to 0 (each block starts as "
        "the identity)",
        default=False,
    )
    # --- optimisation
    epochs: int = _opt("number of passes over the training set", default=20)
    batch_size: int = _opt(
        "clips per optimisation step (the global batch, split over processes under torchrun)",
        default=32,
    )
    optimizer: str = _opt(
        "'adamw' (Adam with decoupled weight decay) or 'sgd' (with Nesterov momentum)",
        default="adamw",
    )
    lr: float = _opt("learning rate (the peak rate for the one-cycle schedule)", default=1e-3)
    weight_decay: float = _opt("L2 weight decay (decoupled for AdamW)", default=1e-2)
    momentum: float = _opt("momentum of SGD (ignored by AdamW)", default=0.9)
    schedule: str = _opt(
        "learning-rate schedule, stepped every batch: 'cosine' (decay to 0), 'onecycle' "
        "(warm up then anneal), 'multistep' (multiply by gamma at the milestones), 'none'",
        default="cosine",
    )
    milestones: list[int] = _opt(
        "epochs at which 'multistep' multiplies the rate by gamma; empty = at 1/2 and 3/4 "
        "of the epochs",
        default_factory=list,
    )
    gamma: float = _opt("factor of the 'multistep' schedule", default=0.1)
    label_smoothing: float = _opt(
        "move this much of the target probability uniformly onto all classes (0 = off)",
        default=0.0,
    )
    # --- augmentation (training batches only)
    freq_mask: int = _opt(
        "SpecAugment: maximum height (frequency rows) of each frequency mask; 0 = off", default=0
    )
    time_mask: int = _opt(
        "SpecAugment: maximum width (time columns) of each time mask; 0 = off", default=0
    )
    n_masks: int = _opt("SpecAugment: number of frequency masks and of time masks", default=2)
    mixup_alpha: float = _opt(
        "mixup: blend pairs of clips with a Beta(alpha, alpha) weight; 0 = off", default=0.0
    )
    time_shift: float = _opt(
        "random circular shift along time, up to this fraction of the image width; 0 = off",
        default=0.0,
    )
    # --- run
    seed: int = _opt(
        "seed of everything random (initialisation, shuffling, augmentation, course split)",
        default=0,
    )
    device: str = _opt(
        "'auto' (cuda > mps > cpu), 'cpu', 'cuda', 'cuda:N' or 'mps'", default="auto"
    )
    amp: bool = _opt("mixed precision (float16 autocast + loss scaling) on CUDA", default=True)
    precision: str = _opt(
        "arithmetic on the CPU: 'auto' (bfloat16 autocast where the CPU computes bfloat16 "
        "natively, with AVX512-BF16 or AMX units; float32 elsewhere), 'bfloat16' or 'float32'; "
        "the run's config.json records the choice made",
        default="auto",
    )
    compile: bool = _opt(
        "compile the model with torch.compile (minutes of compiling first; falls back to "
        "eager execution, with a message, where the compiler cannot run)",
        default=False,
    )
    channels_last: bool = _opt(
        "channels-last memory format for the model and batches (faster convolutions)",
        default=True,
    )
    num_workers: int | None = _opt(
        "data loader worker processes; None picks a value for this machine", default=None
    )
    patience: int | None = _opt(
        "stop when the validation accuracy has not improved for this many epochs; None = "
        "never stop early",
        default=None,
    )
    loggers: list[str] = _opt(
        "extra loggers besides metrics.csv: 'tensorboard' and/or 'wandb' (when installed)",
        default_factory=list,
    )

    def __post_init__(self) -> None:
        if isinstance(self.features, str):
            self.features = [f.strip() for f in self.features.split(",")]
        self.features = list(self.features)
        if not self.features or not all(isinstance(f, str) and f.strip() for f in self.features):
            self._fail("features", "a non-empty list of feature spec strings")
        self._choice("task", TASKS)
        self._choice("split", SPLITS)
        self._choice("optimizer", OPTIMIZERS)
        self._choice("schedule", SCHEDULES)
        self._choice("feature_dtype", FEATURE_DTYPES)
        self._int("test_fold", 1, 5)
        self._int("val_fold", 1, 5, optional=True)
        if self.size is not None and not isinstance(self.size, str | bytes):
            size = [self.size] * 2 if isinstance(self.size, int) else list(self.size)
            if len(size) == 2:
                self.size = tuple(size)
        if not (
            isinstance(self.size, tuple)
            and len(self.size) == 2
            and all(isinstance(s, int) and not isinstance(s, bool) and s >= 32 for s in self.size)
        ):
            self._fail("size", "two integers (height, width), each >= 32")
        self._number("seconds", optional=True)
        self._int("sr", 1, optional=True)
        self._int("epochs", 1)
        self._int("batch_size", 1)
        self._number("lr")
        self._number("weight_decay", allow_zero=True)
        self._number("momentum", allow_zero=True, upper=1.0)
        self._number("gamma", upper=1.0)
        self._number("label_smoothing", allow_zero=True, upper=1.0, open_upper=True)
        self.milestones = list(self.milestones)
        if not all(isinstance(m, int) and 0 < m for m in self.milestones):
            self._fail("milestones", "a list of positive epoch numbers")
        self._int("freq_mask", 0)
        self._int("time_mask", 0)
        self._int("n_masks", 0)
        self._number("mixup_alpha", allow_zero=True)
        self._number("time_shift", allow_zero=True, upper=1.0)
        self._int("seed", 0)
        self._int("num_workers", 0, optional=True)
        self._int("patience", 1, optional=True)
        self._choice("precision", PRECISIONS)
        for name in ("amp", "compile", "channels_last", "zero_init_residual"):
            if not isinstance(getattr(self, name), bool):
                self._fail(name, "true or false")
        if not isinstance(self.pretrained, bool | str) or self.pretrained == "":
            self._fail("pretrained", "true, false or the path of a state_dict file")
        device = self.device
        if not isinstance(device, str) or not (
            device in ("auto", "cpu", "cuda", "mps")
            or (device.startswith("cuda:") and device[5:].isdigit())
        ):
            self._fail("device", "'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'")
        if isinstance(self.loggers, str):
            self.loggers = [s.strip() for s in self.loggers.split(",") if s.strip()]
        self.loggers = list(self.loggers)
        if not set(self.loggers) <= set(LOGGERS):
            self._fail("loggers", f"a list drawn from {list(LOGGERS)}")
        for name in ("data_root", "cache_dir"):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, str(value))
        self.synthetic = dict(self.synthetic)
        if not set(self.synthetic) <= set(SYNTHETIC_KEYS):
            self._fail("synthetic", f"a table with keys among {list(SYNTHETIC_KEYS)}")

    # ----------------------------------------------------------------- checks
    def _fail(self, name: str, what: str) -> None:
        raise ParameterError(f"TrainConfig.{name} must be {what}, got {getattr(self, name)!r}")

    def _choice(self, name: str, choices: tuple[str, ...]) -> None:
        if getattr(self, name) not in choices:
            self._fail(name, "one of " + ", ".join(repr(c) for c in choices))

    def _int(self, name: str, low: int, high: int | None = None, *, optional=False) -> None:
        value = getattr(self, name)
        if optional and value is None:
            return
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or value < low
            or (high is not None and value > high)
        ):
            bounds = f"between {low} and {high}" if high is not None else f">= {low}"
            self._fail(name, f"an integer {bounds}" + (" or None" if optional else ""))

    def _number(
        self,
        name: str,
        *,
        optional: bool = False,
        allow_zero: bool = False,
        upper: float | None = None,
        open_upper: bool = False,
    ) -> None:
        value = getattr(self, name)
        if optional and value is None:
            return
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        ok = ok and (value >= 0 if allow_zero else value > 0) and value == value
        if ok and upper is not None:
            ok = value < upper if open_upper else value <= upper
        if not ok:
            what = "a non-negative number" if allow_zero else "a positive number"
            if upper is not None:
                what += f" {'<' if open_upper else '<='} {upper}"
            self._fail(name, what + (" or None" if optional else ""))
        setattr(self, name, float(value))

    # ------------------------------------------------------------ conversion
    def to_dict(self) -> dict[str, Any]:
        """A plain dict of JSON types (tuples become lists).

        Examples
        --------
        >>> TrainConfig(epochs=3).to_dict()["epochs"]
        3
        """
        out = dataclasses.asdict(self)
        out["size"] = list(self.size)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainConfig:
        """Build a config from a mapping; unknown keys raise ParameterError.

        Examples
        --------
        >>> TrainConfig.from_dict({"epochs": 3, "size": [64, 64]}).size
        (64, 64)
        """
        known = {f.name for f in fields(cls)}
        if "cpu_amp" in data and "precision" not in data:  # config.json of older runs
            data = {**data, "precision": "bfloat16" if data["cpu_amp"] else "float32"}
            data.pop("cpu_amp")
        unknown = sorted(set(data) - known)
        if unknown:
            raise ParameterError(
                f"unknown TrainConfig field(s) {unknown}; valid fields are {sorted(known)}"
            )
        return cls(**dict(data))

    def to_json(self, path: str | Path | None = None) -> str:
        """The config as JSON text; also written (atomically) to ``path`` when given.

        Examples
        --------
        >>> print(TrainConfig().to_json().splitlines()[1])
          "data_root": null,
        """
        text = json.dumps(self.to_dict(), indent=2) + "\n"
        if path is not None:
            atomic_write_text(path, text)
        return text

    @classmethod
    def from_json(cls, source: str | Path) -> TrainConfig:
        """Read a config from JSON text or from a JSON file path.

        Examples
        --------
        >>> TrainConfig.from_json('{"epochs": 5}').epochs
        5
        """
        return cls.from_dict(_parse(source, "json"))

    def to_toml(self, path: str | Path | None = None) -> str:
        """The config as TOML text (fields that are None are left out: None is their default).

        Examples
        --------
        >>> print(TrainConfig(epochs=5).to_toml().splitlines()[0])
        features = [
        """
        import tomli_w

        data = {k: v for k, v in self.to_dict().items() if v is not None}
        text = tomli_w.dumps(data)
        if path is not None:
            atomic_write_text(path, text)
        return text

    @classmethod
    def from_toml(cls, source: str | Path) -> TrainConfig:
        """Read a config from TOML text or from a TOML file path.

        Examples
        --------
        >>> TrainConfig.from_toml('epochs = 5\\nfeatures = ["logmel", "mfcc"]').features
        ['logmel', 'mfcc']
        """
        return cls.from_dict(_parse(source, "toml"))

    @classmethod
    def from_file(cls, path: str | Path, *, base: TrainConfig | None = None) -> TrainConfig:
        """Read a ``.toml`` or ``.json`` file (chosen by its suffix).

        With ``base``, the file only overrides the fields it sets (e.g. on top of a preset).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "cfg.toml"
        >>> _ = path.write_text("epochs = 3\\n")
        >>> TrainConfig.from_file(path, base=TrainConfig.preset("course")).seconds
        3.0
        """
        path = Path(path)
        kind = path.suffix.lower().lstrip(".")
        if kind not in ("json", "toml"):
            raise ParameterError(f"config file {str(path)!r} must end in .toml or .json")
        if not path.is_file():
            raise ParameterError(f"no such config file {str(path)!r}")
        data = _parse(path, kind)
        return cls.from_dict({**base.to_dict(), **data} if base is not None else data)

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> TrainConfig:
        """A named configuration (:data:`PRESETS`), with some fields overridden.

        ``"course"``: the course protocol (3 s crops, 128 x 128 log-mel images, batch 32,
        50 epochs of AdamW with a cosine schedule, SpecAugment and mixup).
        ``"demo"``: 64 x 64 images and 8 epochs, for a quick run on a laptop CPU.
        ``"smoke"``: the course protocol for 2 epochs on 32 x 32 images of 1 s, to check
        that code runs end to end (the notebooks use it when ``MACHINEHEARING_QUICK=1``).

        Examples
        --------
        >>> TrainConfig.preset("demo").size
        (64, 64)
        """
        if name not in PRESETS:
            raise ParameterError(f"preset must be one of {sorted(PRESETS)}, got {name!r}")
        return cls(**{**PRESETS[name], **overrides})


def _parse(source: str | Path, kind: str) -> dict[str, Any]:
    """The mapping in JSON or TOML text, or in a file of that kind."""
    if isinstance(source, str) and ("\n" in source or ("{" if kind == "json" else "=") in source):
        text = source
    else:
        path = Path(source)
        if not path.is_file():
            raise ParameterError(f"TrainConfig.from_{kind}: no such file {str(path)!r}")
        text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if kind == "json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ParameterError(f"invalid {kind.upper()} training configuration: {exc}") from exc
    if not isinstance(data, dict):
        raise ParameterError(f"a {kind.upper()} training configuration must be a table/object")
    return data


#: named configurations for :meth:`TrainConfig.preset`
PRESETS: dict[str, dict[str, Any]] = {
    "course": dict(
        seconds=3.0,
        size=(128, 128),
        batch_size=32,
        epochs=50,
        optimizer="adamw",
        lr=1e-3,
        weight_decay=5e-2,
        schedule="cosine",
        label_smoothing=0.1,
        freq_mask=16,
        time_mask=24,
        n_masks=2,
        mixup_alpha=0.2,
        time_shift=0.1,
    ),
    "demo": dict(
        seconds=3.0,
        size=(64, 64),
        batch_size=16,
        epochs=8,
        optimizer="adamw",
        lr=2e-3,
        weight_decay=1e-2,
        schedule="onecycle",
        num_workers=0,
    ),
}
#: the course protocol shrunk to seconds of CPU time: checks that a notebook or a script
#: runs end to end (CI), not what the model learns
PRESETS["smoke"] = {
    **PRESETS["course"],
    "epochs": 2,
    "size": (32, 32),
    "seconds": 1.0,
    "batch_size": 16,
}


def _field_docs() -> str:
    lines = ["", "    Parameters", "    ----------"]
    for f in fields(TrainConfig):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        lines.append(f"    {f.name} : default {default!r}")
        text = f.metadata["help"]
        lines += textwrap.wrap(
            text[0].upper() + text[1:] + ".",
            width=92,
            initial_indent=" " * 8,
            subsequent_indent=" " * 8,
        )
    return "\n".join(lines) + "\n"


TrainConfig.__doc__ = TrainConfig.__doc__.replace(
    "\n    Examples\n", _field_docs() + "\n    Examples\n", 1
)
