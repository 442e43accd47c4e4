"""The ``machinehearing`` command line.

The CLI is thin: each subcommand lives in a module of :mod:`machinehearing.commands`
that defines ``configure_<name>(parser)`` (adds the arguments) and
``run_<name>(args) -> int`` (calls the library and prints). Only the module of the
subcommand being run is imported, so ``machinehearing --help`` and
``machinehearing check`` start quickly.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ._version import __version__
from .errors import MachineHearingError

#: subcommand -> (module in machinehearing.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("demo", "synthetic ESC-50-like set -> features -> ResNet-18 -> evaluation -> report"),
    "download": ("data", "download and verify the ESC-50 dataset"),
    "verify": ("data", "check an ESC-50 directory: files, audio, metadata"),
    "features": ("data", "precompute a feature cache for a dataset"),
    "train": ("train", "train a ResNet-18 on cached features (one split)"),
    "crossval": ("train", "train on each official fold and aggregate"),
    "evaluate": ("evaluate", "write predictions.csv and metrics.json for a run"),
    "report": ("evaluate", "write an HTML and Markdown report for a run"),
    "sweep": ("sweep", "compare single features and 3-feature stacks under one protocol"),
    "check": ("check", "check your exercise solutions against the reference"),
}

EPILOG = "Run 'machinehearing COMMAND --help' for the options of a command."


def _command_parser(name: str, subparsers) -> argparse.ArgumentParser:
    module_name, help_text = COMMANDS[name]
    module = importlib.import_module(f"machinehearing.commands.{module_name}")
    parser = subparsers.add_parser(
        name,
        help=help_text,
        description=(module.__dict__.get(f"DESCRIPTION_{name.upper()}") or help_text),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    getattr(module, f"configure_{name}")(parser)
    parser.set_defaults(_run=getattr(module, f"run_{name}"))
    return parser


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Build the argument parser, importing only the module of ``command``.

    With ``command=None`` every subcommand is listed with its help line but none is
    configured (their options appear with ``machinehearing COMMAND --help``).
    """
    parser = argparse.ArgumentParser(
        prog="machinehearing",
        description="Machine hearing course toolkit (ESC-50 environmental sound classification).",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"machinehearing {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        if name == command:
            _command_parser(name, subparsers)
        else:
            subparsers.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    if command not in COMMANDS:
        command = None
    parser = build_parser(command)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args._run(args) or 0)
    except MachineHearingError as exc:
        print(f"machinehearing {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"machinehearing {args.command}: interrupted", file=sys.stderr)
        return 130
