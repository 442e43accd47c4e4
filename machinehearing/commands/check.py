"""``machinehearing check``: run the public exercise checks (hands over to :mod:`autograde`)."""

from __future__ import annotations

import argparse

DESCRIPTION_CHECK = """\
Check your exercise solutions against the reference implementation.

Runs the public cases of each exercise on your exercises/sessionN.py modules in a
sandbox and prints a table: exercise, points, status and the first hint. The exit
status is 0 even when checks fail: this is feedback, not a test suite.

examples:
  machinehearing check            # every session
  machinehearing check 2          # session 2
  machinehearing check 2.5-mfcc   # one exercise
"""


def configure_check(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``check`` (the same as ``python -m autograde check``)."""
    from autograde.cli import add_check_arguments

    add_check_arguments(parser)


def run_check(args: argparse.Namespace) -> int:
    """Run the checks; 0 even when some fail."""
    from autograde.cli import run_check as run

    return run(args)
