"""``machinehearing demo``: the whole pipeline on a synthetic set, no download needed."""

from __future__ import annotations

import argparse

DESCRIPTION_DEMO = """\
Run the package's main job end to end, with no download:

  1. generate a synthetic ESC-50-like dataset (exact ESC-50 layout: audio/*.wav,
     meta/esc50.csv, 5 folds, source recordings kept in one fold),
  2. build the feature cache with the batched transforms,
  3. train a ResNet-18 (official fold split: test fold 1),
  4. evaluate on the held-out fold and write an HTML + Markdown report,
  5. print the test accuracy with its 95 % CI next to a linear baseline on the same split.

Everything goes below --out; running the demo again resumes and reuses what is done.
"""


def configure_demo(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        default="runs/demo",
        help="directory for the data, the cache and the run (default: %(default)s)",
    )
    parser.add_argument(
        "--epochs", type=int, default=None, help="training epochs (default: the demo preset's)"
    )
    parser.add_argument(
        "--features",
        default=None,
        help="comma-separated feature names stacked as channels (default: the demo preset's)",
    )
    parser.add_argument(
        "--device", default="auto", help="auto (cuda > mps > cpu), cpu, cuda (default: auto)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run_demo(args: argparse.Namespace) -> int:
    from ..demo import run_demo as demo
    from ..demo import summary

    overrides = {"device": args.device}
    if args.features:
        overrides["features"] = [f.strip() for f in args.features.split(",") if f.strip()]
    result = demo(args.out, epochs=args.epochs, progress=not args.quiet, **overrides)
    if args.quiet:  # otherwise the demo has printed it as its last step
        print(summary(result))
    return 0
