"""``machinehearing evaluate`` and ``machinehearing report``."""

from __future__ import annotations

import argparse
from pathlib import Path

DESCRIPTION_EVALUATE = """\
Evaluate a trained run: predict the held-out clips with a checkpoint and write

  RUN_DIR/predictions.csv  filename,fold,true,pred,p_<label>... (one row per clip)
  RUN_DIR/metrics.json     accuracy (with a bootstrap 95 % CI), top-5, macro
                           precision/recall/F1, per-class and category accuracy,
                           confusion matrices

RUN_DIR is a directory written by 'machinehearing train', or by 'machinehearing
crossval' (then every fold is evaluated and the results are pooled, with the
per-fold mean and standard deviation). The feature cache and the split are
rebuilt from the run's config.json.

example:
  machinehearing evaluate runs/logmel
"""

DESCRIPTION_REPORT = """\
Write a self-contained HTML report (and a Markdown one with PNG figures) of a run:
configuration, training curves, metrics, confusion matrices (classes and the 5
categories), per-class accuracy, most-confused pairs, and a t-SNE map of the
network's embeddings. Runs 'evaluate' first when the run has no metrics.json.

example:
  machinehearing report runs/logmel --out reports/logmel
"""


def _add_run_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "run_dir",
        metavar="RUN_DIR",
        type=Path,
        help="run directory (from 'train') or cross-validation directory (from 'crossval')",
    )


def configure_evaluate(parser: argparse.ArgumentParser) -> None:
    _add_run_dir(parser)
    parser.add_argument(
        "--checkpoint",
        choices=("best", "last"),
        default="best",
        help="checkpoint to evaluate: best validation accuracy, or the last epoch "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--split",
        choices=("test", "val", "train"),
        default="test",
        help="side of the run's split to predict; other than 'test' writes "
        "predictions_<split>.csv and metrics_<split>.json (default: %(default)s)",
    )
    parser.add_argument(
        "--device",
        default="auto",
        help="where to run the model: auto (cuda > mps > cpu), cpu, cuda, cuda:1, ... "
        "(default: %(default)s)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run_evaluate(args: argparse.Namespace) -> int:
    from ..evaluate import evaluate

    result = evaluate(
        args.run_dir,
        checkpoint=args.checkpoint,
        split=args.split,
        device=args.device,
        progress=not args.quiet,
    )
    suffix = "" if args.split == "test" else f"_{args.split}"
    low, high = result["accuracy_ci95"]
    print(
        f"{result['n_clips']} clips: accuracy {result['accuracy']:.4f} "
        f"(95 % CI {low:.4f}-{high:.4f}), top-5 {result['top5']:.4f}, "
        f"macro F1 {result['f1_macro']:.4f}"
    )
    if "crossval" in result:
        summary = result["crossval"]["accuracy"]
        std = "n/a" if summary["std"] is None else f"{summary['std']:.4f}"
        print(f"per-fold accuracy: mean {summary['mean']:.4f}, std {std}")
    print(f"wrote {args.run_dir / f'predictions{suffix}.csv'}")
    print(f"wrote {args.run_dir / f'metrics{suffix}.json'}")
    return 0


def configure_report(parser: argparse.ArgumentParser) -> None:
    _add_run_dir(parser)
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="output directory for report.html, report.md and the figures "
        "(default: RUN_DIR/report)",
    )


def run_report(args: argparse.Namespace) -> int:
    from ..report import write_report

    html = write_report(args.run_dir, out=args.out)
    print(f"wrote {html}")
    print(f"wrote {html.with_name('report.md')} (figures next to it)")
    return 0
