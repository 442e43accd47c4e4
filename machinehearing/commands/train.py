"""``machinehearing train`` and ``machinehearing crossval``.

Every field of :class:`~machinehearing.train.TrainConfig` is a flag (``lr`` is ``--lr``,
``mixup_alpha`` is ``--mixup-alpha``). The configuration is assembled from, in order of
precedence: the flags given, the ``--config`` file, the ``--preset``, the defaults.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import typing
from pathlib import Path

from ..datasets.esc50 import DATA_ENV
from ..errors import ParameterError
from ..train.config import (
    FEATURE_DTYPES,
    OPTIMIZERS,
    PRESETS,
    SCHEDULES,
    SPLITS,
    TASKS,
    TrainConfig,
)

_COMMON_EPILOG = """
configuration: flags override the --config file (TOML or JSON), which overrides the
--preset ('course': the course protocol; 'demo': small and fast), which overrides the
defaults. --print-config shows the result without training. Under torchrun the same
command trains on several processes/GPUs (torchrun --nproc_per_node=N -m machinehearing
train ...); --batch-size is then the global batch.
"""

DESCRIPTION_TRAIN = (
    """\
Train a ResNet-18 on cached feature images and record the run in RUN_DIR:
config.json, label_map.json, metrics.csv (one row per epoch), checkpoints/last.pt and
checkpoints/best.pt (best validation accuracy), result.json. An interrupted run
continues with --resume. Without --data-root a small synthetic ESC-50-like set is
generated (under RUN_DIR's parent, in .cache/).

examples:
  machinehearing train --data ESC-50 --features logmel --task classes --fold 1 \\
      --epochs 20 --run-dir runs/logmel
  machinehearing train --preset course --features logmel,mfcc,chroma --data ESC-50 \\
      --run-dir runs/stack3
  machinehearing train --config experiment.toml --run-dir runs/x --resume
"""
    + _COMMON_EPILOG
)

DESCRIPTION_CROSSVAL = (
    """\
Five-fold cross-validation on the official ESC-50 folds: one training run per test
fold in RUN_DIR/fold1 ... RUN_DIR/fold5, then RUN_DIR/summary.json with the test
accuracy of each fold, their mean and standard deviation. Finished folds are skipped
and an interrupted fold continues, unless --no-resume.

example:
  machinehearing crossval --preset course --data ESC-50 --run-dir runs/cv-logmel
"""
    + _COMMON_EPILOG
)

#: flags with a different spelling than the field: field -> extra option strings
_ALIASES = {"data_root": ["--data"], "test_fold": ["--fold"]}
_CHOICES = {
    "task": TASKS,
    "split": SPLITS,
    "optimizer": OPTIMIZERS,
    "schedule": SCHEDULES,
    "feature_dtype": FEATURE_DTYPES,
}


def _none_or(convert):
    def parse(text: str):
        return None if text.lower() in ("none", "null", "auto", "") else convert(text)

    parse.__name__ = convert.__name__
    return parse


def _bool_or_path(text: str) -> bool | str:
    lowered = text.lower()
    if lowered in ("true", "yes", "1", "imagenet"):
        return True
    if lowered in ("false", "no", "0"):
        return False
    return text


def _key_values(text: str) -> dict[str, int | float]:
    out: dict[str, int | float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(f"expected key=value pairs, got {item!r}")
        try:
            out[key.strip()] = int(value)
        except ValueError:
            try:
                out[key.strip()] = float(value)
            except ValueError:
                raise argparse.ArgumentTypeError(f"{key}: not a number: {value!r}") from None
    return out


def _field_argument(f: dataclasses.Field, hint) -> tuple[dict, str]:
    """argparse keyword arguments and a metavar hint for one TrainConfig field."""
    args = typing.get_args(hint)
    optional = type(None) in args
    base = next((a for a in args if a is not type(None)), hint) if optional else hint
    origin = typing.get_origin(base)
    if base is bool:
        return {"action": argparse.BooleanOptionalAction}, ""
    if f.name == "pretrained":
        return {"nargs": "?", "const": True, "type": _bool_or_path, "metavar": "PATH"}, ""
    if origin is tuple:
        return {"nargs": 2, "type": int, "metavar": ("H", "W")}, ""
    if origin is list and typing.get_args(base) == (int,):
        return {"nargs": "*", "type": int, "metavar": "EPOCH"}, ""
    if origin is list:
        return {"type": str, "metavar": "A,B,..."}, " (comma-separated)"
    if origin is dict:
        return {"type": _key_values, "metavar": "KEY=VALUE,..."}, ""
    if f.name in _CHOICES:
        return {"choices": _CHOICES[f.name]}, ""
    convert = {int: int, float: float, str: str}[base]
    kwargs = {"type": _none_or(convert) if optional else convert}
    return kwargs, " ('none' for None)" if optional else ""


def _add_config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--run-dir", type=Path, required=True, help="directory where the run is written"
    )
    parser.add_argument(
        "--preset",
        choices=tuple(PRESETS),
        help="start from a named configuration ('course': 3 s crops, 128x128, batch 32, "
        "50 epochs of AdamW + cosine, SpecAugment and mixup; 'demo': small and fast on a CPU; "
        "'smoke': the course protocol shrunk to seconds, to check that a pipeline runs)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="TOML or JSON file of TrainConfig fields (e.g. a run's config.json)",
    )
    parser.add_argument(
        "--print-config",
        action="store_true",
        help="print the assembled configuration as TOML and exit without training",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    group = parser.add_argument_group(
        "training configuration (TrainConfig fields; default: from --config/--preset, "
        "else the value shown)"
    )
    hints = typing.get_type_hints(TrainConfig)
    defaults = TrainConfig()
    for f in dataclasses.fields(TrainConfig):
        kwargs, note = _field_argument(f, hints[f.name])
        default = getattr(defaults, f.name)
        shown = ",".join(map(str, default)) if isinstance(default, list) else default
        flags = ["--" + f.name.replace("_", "-"), *_ALIASES.get(f.name, [])]
        group.add_argument(
            *flags,
            dest=f.name,
            default=argparse.SUPPRESS,
            help=f"{f.metadata['help']}{note} [{shown}]".replace("%", "%%"),
            **kwargs,
        )


def configure_train(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``machinehearing train`` to ``parser``."""
    _add_config_arguments(parser)
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --run-dir from checkpoints/last.pt (same configuration)",
    )


def add_folds_argument(parser: argparse.ArgumentParser, help_text: str) -> None:
    """``--folds K,K,...`` (default: the five official folds); read with :func:`parse_folds`."""
    parser.add_argument(
        "--folds",
        default="1,2,3,4,5",
        metavar="K,K,...",
        help=f"{help_text}, comma-separated (default: %(default)s)",
    )


def parse_folds(text: str) -> list[int]:
    """The fold numbers of ``--folds``; a ParameterError (exit status 2) when malformed."""
    try:
        return [int(k) for k in text.split(",") if k.strip()]
    except ValueError:
        raise ParameterError(
            f"--folds must be comma-separated fold numbers, got {text!r}"
        ) from None


def configure_crossval(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``machinehearing crossval`` to ``parser``."""
    _add_config_arguments(parser)
    add_folds_argument(parser, "test folds to run")
    parser.add_argument(
        "--resume",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="skip finished folds and continue an interrupted one (default: on)",
    )


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The TrainConfig assembled from --preset, --config and the field flags.

    Without a data root from any of them, ``$MACHINEHEARING_DATA`` names the dataset when
    set (otherwise a synthetic ESC-50-like set is generated next to the run).

    Examples
    --------
    >>> from machinehearing.cli import build_parser
    >>> args = build_parser("train").parse_args(
    ...     ["train", "--run-dir", "runs/x", "--preset", "course", "--epochs", "5"])
    >>> config = config_from_args(args)
    >>> config.epochs, config.seconds
    (5, 3.0)
    """
    base = TrainConfig.preset(args.preset) if args.preset else TrainConfig()
    if args.config is not None:
        base = TrainConfig.from_file(args.config, base=base)
    overrides = {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(TrainConfig)
        if hasattr(args, f.name)
    }
    if "synthetic" in overrides:
        overrides["synthetic"] = {**base.synthetic, **overrides["synthetic"]}
    config = dataclasses.replace(base, **overrides)
    if config.data_root is None and os.environ.get(DATA_ENV):
        config = dataclasses.replace(config, data_root=os.environ[DATA_ENV])
    return config


def print_config(config: TrainConfig) -> int:
    """Print ``config`` as TOML (``--print-config``); returns the exit status 0."""
    print(config.to_toml(), end="")
    return 0


def run_train(args: argparse.Namespace) -> int:
    """Train one run as the parsed arguments say; print the result (exit status 0)."""
    config = config_from_args(args)
    if args.print_config:
        return print_config(config)
    from ..train.loop import train

    result = train(config, args.run_dir, resume=args.resume, progress=not args.quiet)
    print(
        f"best validation accuracy {result.best_val_acc:.3f} (epoch {result.best_epoch}), "
        f"test accuracy {result.test_acc:.3f}\nrun directory: {result.run_dir}"
    )
    return 0


def run_crossval(args: argparse.Namespace) -> int:
    """Cross-validate as the parsed arguments say; print the per-fold and mean accuracy."""
    config = config_from_args(args)
    folds = parse_folds(args.folds)
    if args.print_config:
        return print_config(config)
    from ..train.loop import crossval

    result = crossval(
        config, args.run_dir, folds=folds, resume=args.resume, progress=not args.quiet
    )
    for fold, fold_result in result.folds.items():
        print(f"fold {fold}: test accuracy {fold_result.test_acc:.3f}")
    print(
        f"mean {result.mean:.3f} +/- {result.std:.3f} (std over {len(result.folds)} folds)\n"
        f"summary: {Path(args.run_dir) / 'summary.json'}"
    )
    return 0
