"""Sphinx directives that render tables from the code, so the pages never drift from it.

``.. machinehearing-exercises:: N``
    The graded exercises of session ``N`` as declared in ``autograde/exercises/sessionN.py``
    (id, graded name, kind, points) with the first line of the stub's docstring from
    ``exercises/sessionN.py``.
``.. machinehearing-cli:: COMMAND``
    The ``--help`` text of ``machinehearing COMMAND`` (or of ``machinehearing`` itself when
    ``COMMAND`` is ``-``), produced by the real argument parser.

A declaration or parser that cannot be imported is reported as a Sphinx warning, which the
``-W`` build turns into an error.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import os
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

LOGGER = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parents[2]


def _stub_summaries(session: int) -> dict[str, str]:
    """First docstring line of every top-level function/class of ``exercises/sessionN.py``."""
    path = REPO / "exercises" / f"session{session}.py"
    if not path.is_file():
        return {}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            doc = ast.get_docstring(node) or ""
            out[node.name] = doc.strip().splitlines()[0] if doc.strip() else ""
    return out


def _points(value: float) -> str:
    return f"{value:g}"


class ExercisesDirective(SphinxDirective):
    """Table of the graded exercises of one session."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        session = int(self.arguments[0])
        try:
            module = importlib.import_module(f"autograde.exercises.session{session}")
            exercises = list(module.EXERCISES)
        except Exception as exc:  # reported, and an error under -W
            LOGGER.warning(
                "machinehearing-exercises: cannot load autograde.exercises.session%d: %s",
                session,
                exc,
                location=self.get_location(),
            )
            return []
        summaries = _stub_summaries(session)
        lines = [
            f".. list-table:: Graded exercises of session {session} "
            f"({_points(sum(float(ex.points) for ex in exercises))} points)",
            "   :header-rows: 1",
            "   :widths: 25 25 10 40",
            "",
            "   * - Exercise",
            f"     - Graded name in ``exercises/session{session}.py``",
            "     - Points",
            "     - Task",
        ]
        for ex in exercises:
            kind = getattr(ex, "kind", "function")
            lines += [
                f"   * - ``{ex.id}``",
                f"     - ``{ex.target}``" + ("" if kind == "function" else f" ({kind})"),
                f"     - {_points(float(ex.points))}",
                f"     - {summaries.get(ex.target, '')}",
            ]
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source="autograde"), 0, container)
        return container.children


class CliDirective(SphinxDirective):
    """The help text of one ``machinehearing`` subcommand."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        from machinehearing.cli import build_parser

        command = self.arguments[0]
        argv = ["--help"] if command == "-" else [command, "--help"]
        buffer = io.StringIO()
        try:
            parser = build_parser(None if command == "-" else command)
            previous = os.environ.get("COLUMNS")
            os.environ["COLUMNS"] = "90"  # argparse wraps to the terminal width
            try:
                with contextlib.redirect_stdout(buffer), contextlib.suppress(SystemExit):
                    parser.parse_args(argv)
            finally:
                if previous is None:
                    del os.environ["COLUMNS"]
                else:
                    os.environ["COLUMNS"] = previous
        except Exception as exc:  # reported, and an error under -W
            LOGGER.warning(
                "machinehearing-cli: cannot build the parser of %r: %s",
                command,
                exc,
                location=self.get_location(),
            )
            return []
        text = buffer.getvalue().rstrip()
        block = nodes.literal_block(text, text)
        block["language"] = "text"
        return [block]


def setup(app):
    app.add_directive("machinehearing-exercises", ExercisesDirective)
    app.add_directive("machinehearing-cli", CliDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
