"""``machinehearing sweep``: every single feature and every 3-feature stack, one protocol."""

from __future__ import annotations

import argparse

from .train import (
    _add_config_arguments,
    add_folds_argument,
    config_from_args,
    parse_folds,
    print_config,
)

DESCRIPTION_SWEEP = """\
Answer the course's central question -- which input features classify environmental
sounds best? -- in one command: train each single feature as a 1-channel input
(--singles) and each combination of three features as a 3-channel input (--triples),
all with the same protocol (cross-validation over --folds), evaluate each, and write in
RUN_DIR: comparison.csv / comparison.md (mean, std, per-fold and pooled accuracy with a
bootstrap 95 % CI), mcnemar.csv (pairwise exact McNemar tests on the same clips) and
comparison.png.

Resumable: run it again after an interruption. Shardable: --shard i/n runs every n-th
feature set starting at the i-th (e.g. one CI matrix job per shard over a shared RUN_DIR);
the summary is written by whichever shard finishes last, or with --summarize.

example:
  machinehearing sweep --data ESC-50 --preset course --run-dir runs/sweep \\
      --features logmel,mfcc,chroma,contrast --singles --triples
"""


def configure_sweep(parser: argparse.ArgumentParser) -> None:
    _add_config_arguments(parser)
    parser.add_argument(
        "--singles",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="train each feature alone, as a 1-channel input (default: on)",
    )
    parser.add_argument(
        "--triples",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="train every combination of three features, as a 3-channel input (default: on)",
    )
    add_folds_argument(parser, "official test folds of the cross-validation")
    parser.add_argument(
        "--shard", default=None, metavar="I/N", help="run only shard I of N of the feature sets"
    )
    parser.add_argument(
        "--summarize",
        action="store_true",
        help="only (re)write the comparison of a finished sweep in --run-dir",
    )


def run_sweep(args: argparse.Namespace) -> int:
    from ..sweep import summarize, sweep

    if args.summarize:
        summary = summarize(args.run_dir)
    else:
        config = config_from_args(args)
        folds = parse_folds(args.folds)
        if args.print_config:
            return print_config(config)
        summary = sweep(
            config,
            args.run_dir,
            features=config.features,
            singles=args.singles,
            triples=args.triples,
            folds=folds,
            shard=args.shard,
            progress=not args.quiet,
        )
        if summary is None:
            return 0
    for row in summary["table"]:
        print(f"{row['features']:<40} {row['mean']:.3f} ± {row['std'] or 0:.3f}")
    print(f"comparison: {summary['files']['comparison.md']}")
    return 0
