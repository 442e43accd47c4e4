"""``python -m autograde``: check (students), grade, stats, export and similarity
(instructors), release (course).

``release`` is handed to :func:`autograde.release.main` unchanged.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["main", "build_parser", "add_check_arguments", "run_check"]


def add_check_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``check`` (shared with ``machinehearing check``)."""
    parser.add_argument("which", nargs="?", default=None,
                        help="session number, exercise id (2.5-mfcc) or function name; "
                             "default: everything")
    parser.add_argument("--path", default=None,
                        help="directory with your sessionN.py modules (default: exercises/ "
                             "when it exists, else the current directory)")
    _common(parser)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--exercises", default="autograde.exercises", metavar="PACKAGE",
                        help="package with the exercise declarations")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                        help="device of module/procedure checks (auto: cuda when available)")


def _secret_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--secret-file", default=None, metavar="FILE",
                        help="file holding the course secret (default: the AUTOGRADE_SECRET "
                             "environment variable; one of them is required)")


def run_check(args: argparse.Namespace) -> int:
    """Run the public cases and print the table; exit status 0 even when checks fail."""
    from .engine import check

    try:
        check(args.which, path=args.path, package=args.exercises, device=args.device)
    except (FileNotFoundError, KeyError) as exc:
        print(f"autograde check: error: {exc}", file=sys.stderr)
        return 2
    return 0


def _shard(text: str) -> tuple[int, int]:
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--shard {text!r}: use i/n, e.g. 2/4") from exc
    if not 1 <= i <= n:
        raise argparse.ArgumentTypeError(f"--shard {text!r}: needs 1 <= i <= n")
    return i, n


def _secret(args: argparse.Namespace) -> str | None:
    """The course secret, or None after printing why there is none."""
    from .engine import SecretError, resolve_secret

    try:
        return resolve_secret(secret_file=args.secret_file)
    except SecretError as exc:
        print(f"autograde {args.command}: error: {exc}", file=sys.stderr)
        return None


def _run_grade(args: argparse.Namespace) -> int:
    from .engine import grade_all
    from .sandbox import IsolationError

    secret = _secret(args)
    if secret is None:
        return 2
    try:
        written = grade_all(args.submissions, args.out, jobs=args.jobs, shard=args.shard,
                            device=args.device, force=args.force, package=args.exercises,
                            figures=not args.no_figures, import_timeout=args.import_timeout,
                            secret=secret, isolation="none" if args.insecure else "bwrap")
    except IsolationError as exc:
        print(f"autograde grade: error: the grading sandbox cannot run here: {exc}",
              file=sys.stderr)
        return 2
    print(f"graded {len(written)} submission(s); results in {args.out}")
    return 0


def _run_stats(args: argparse.Namespace) -> int:
    from .stats import class_stats, format_stats, plot_stats, write_stats_csv

    secret = _secret(args)
    if secret is None:
        return 2
    rows = class_stats(args.out, secret=secret, package=args.exercises, top=args.top)
    print(format_stats(rows))
    png = plot_stats(rows, f"{args.out}/stats.png")
    write_stats_csv(rows, f"{args.out}/stats.csv")
    print(f"figure: {png}")
    return 0


def _lazy_command(parser: argparse.ArgumentParser, module: str) -> None:
    """Arguments from ``module.add_arguments``; the command runs ``module.run``."""
    commands = importlib.import_module(module)
    commands.add_arguments(parser)
    parser.set_defaults(_run=commands.run)


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m autograde`` parser (``release`` is dispatched before parsing)."""
    parser = argparse.ArgumentParser(prog="python -m autograde",
                                     description="Grade machinehearing course exercises.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = sub.add_parser("check", help="run the public checks on your exercises")
    add_check_arguments(check)
    check.set_defaults(_run=run_check)
    grade = sub.add_parser("grade", help="grade a directory of submissions (one per student)")
    grade.add_argument("submissions", help="directory with one sub-directory per student")
    grade.add_argument("--out", required=True, help="output directory")
    grade.add_argument("--jobs", type=int, default=1, help="submissions graded in parallel")
    grade.add_argument("--shard", type=_shard, default=(1, 1), metavar="I/N",
                       help="grade only the I-th of N shares of the students")
    grade.add_argument("--force", action="store_true", help="re-grade finished students")
    grade.add_argument("--no-figures", action="store_true", help="skip the feedback PNGs")
    grade.add_argument("--import-timeout", type=float, default=None, metavar="S",
                       help="seconds allowed to import a module (default: >= 20)")
    _secret_argument(grade)
    grade.add_argument("--insecure", action="store_true",
                       help="grade without the bubblewrap sandbox (trusted code only; every "
                            "results.json records isolation 'none')")
    _common(grade)
    grade.set_defaults(_run=_run_grade)
    stats = sub.add_parser("stats", help="class analytics from a grading output directory")
    stats.add_argument("out", help="the --out directory of 'grade'")
    stats.add_argument("--exercises", default="autograde.exercises", metavar="PACKAGE")
    stats.add_argument("--top", type=int, default=3, help="hints listed per exercise")
    _secret_argument(stats)
    stats.set_defaults(_run=_run_stats)
    export = sub.add_parser("export", help="grades as a Brightspace, Canvas or Moodle "
                            "import file")
    _lazy_command(export, "autograde.lms")
    similarity = sub.add_parser("similarity", help="similarity report of the submissions "
                                "(winnowing fingerprints)")
    _lazy_command(similarity, "autograde.similarity")
    sub.add_parser("release", help="generate exercises/ from solutions/ (course tooling)",
                   add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "release":
        return int(importlib.import_module("autograde.release").main(argv[1:]) or 0)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return int(args._run(args) or 0)
