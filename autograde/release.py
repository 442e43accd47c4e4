"""Release the course: student stubs and notebooks generated from the model solutions.

``python -m autograde release [--solutions solutions] [--out exercises] [--course DIR]
[--config nbgrader_config.py] [--check]``

One source of truth, :file:`solutions/`, gives everything students and nbgrader see:

``exercises/sessionN.py``
    The solution module with every region between ``### BEGIN SOLUTION`` and
    ``### END SOLUTION`` replaced by ``raise NotImplementedError("...")``; docstrings,
    signatures, given helpers and formatting are kept. Markers are found with
    :mod:`tokenize` (a marker inside a string is not a marker) and the enclosing function
    with :mod:`ast` (it names the stub's message).
``exercises/sessionN.ipynb``
    The student notebook, built from the notebook source ``solutions/notebooks/sessionN.py``
    (a Jupytext "percent" script, see :func:`read_percent`) with the answers removed the way
    ``nbgrader generate_assignment`` removes them.
``<course>/source/sessionN/{sessionN.ipynb, sessionN.py}`` and ``<course>/nbgrader_config.py``
    An nbgrader course: the *solution* notebook (nbgrader strips it) next to the *stub*
    module (nbgrader copies ``.py`` files verbatim, so the stub is stripped here), and a
    configuration whose ``Autograde.exclude_overwriting`` keeps each student's edited module
    at autograde time (by default nbgrader overwrites every non-notebook file with the
    source version, which would grade the stub instead of the student's work).
``nbgrader_config.py`` (repository root)
    The same configuration, with the course root ``solutions/nbgrader``.

The command is idempotent: files are only rewritten (atomically) when their content
changes, and ``--check`` writes nothing and exits with status 1 when a committed file is out
of date (CI runs it).

Notebook source format
----------------------
Cells start with ``# %%`` lines; the words after it declare the cell (key=value pairs
give the nbgrader id and points)::

    # %% [markdown]                     narrative (lines start with "# ")
    # %%                                ordinary code
    # %% answer id=df                   autograded answer (solution markers inside)
    # %% tests id=1.1-hann-window points=1   read-only autograded test cell
    # %% [markdown] question id=q-window points=2   manually graded written answer
    # %% readonly                       locked code cell (setup students must not edit)
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import os
import re
import sys
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from machinehearing._io import atomic_write_text

__all__ = [
    "BEGIN",
    "END",
    "Cell",
    "strip_solutions",
    "read_percent",
    "notebook_json",
    "nbgrader_config",
    "release",
    "main",
]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
#: marker pair nbgrader uses in markdown answers; the region is replaced by ANSWER_STUB
_MD_BEGIN, _MD_END = "=== BEGIN SOLUTION ===", "=== END SOLUTION ==="
ANSWER_STUB = "YOUR ANSWER HERE"
_SESSION_FILE = re.compile(r"session(\d+)\.py")


# ------------------------------------------------------------------------ python stubs


def _marker_lines(source: str, filename: str) -> list[tuple[int, str]]:
    """``(line number, BEGIN|END)`` of every marker comment, in order."""
    markers = []
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    try:
        for tok in tokens:
            if tok.type == tokenize.COMMENT and tok.string.strip() in (BEGIN, END):
                markers.append((tok.start[0], tok.string.strip()))
    except (tokenize.TokenError, IndentationError, SyntaxError) as exc:
        raise SyntaxError(f"{filename}: cannot tokenize ({exc})") from exc
    return markers


def _enclosing_names(source: str, filename: str) -> dict[int, str]:
    """Line number -> qualified name of the innermost function around it."""
    tree = ast.parse(source, filename=filename)
    names: dict[int, str] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                qualname = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    for line in range(child.lineno, (child.end_lineno or child.lineno) + 1):
                        names[line] = qualname
                visit(child, qualname + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return names


def _stub_line(indent: str, name: str | None) -> list[str]:
    what = f"{name}: " if name else ""
    message = f"{what}your code here (see the docstring)"
    return [f"{indent}# YOUR CODE HERE\n", f'{indent}raise NotImplementedError("{message}")\n']


def strip_solutions(source: str, *, filename: str = "<source>") -> str:
    """Replace every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region by a stub.

    The region, markers included, becomes ``# YOUR CODE HERE`` and
    ``raise NotImplementedError("<function>: your code here ...")`` at the indentation of the
    ``BEGIN`` marker. Everything else is kept byte for byte.

    Parameters
    ----------
    source : str
        Python source (a module or a notebook cell).
    filename : str
        Used in error messages.

    Returns
    -------
    str

    Raises
    ------
    SyntaxError
        Unbalanced or nested markers, or source that does not parse.

    Examples
    --------
    >>> src = "def f(x):\\n    '''Double.'''\\n    ### BEGIN SOLUTION\\n    return 2 * x\\n"
    >>> print(strip_solutions(src + "    ### END SOLUTION\\n"))
    def f(x):
        '''Double.'''
        # YOUR CODE HERE
        raise NotImplementedError("f: your code here (see the docstring)")
    <BLANKLINE>
    """
    markers = _marker_lines(source, filename)
    if not markers:
        return source
    names = _enclosing_names(source, filename)
    lines = source.splitlines(keepends=True)
    out: list[str] = []
    position = 0  # next line index (0-based) to copy
    for (begin_line, begin), end in zip(markers[::2], markers[1::2] + [(None, None)]):
        end_line, end_kind = end
        if begin != BEGIN or end_kind != END:
            where = begin_line if begin != BEGIN else end_line or begin_line
            raise SyntaxError(f"{filename}:{where}: unbalanced solution markers "
                              f"(expected '{BEGIN}' followed by '{END}')")
        text = lines[begin_line - 1]
        indent = text[: len(text) - len(text.lstrip())]
        out.extend(lines[position : begin_line - 1])
        out.extend(_stub_line(indent, names.get(begin_line)))
        position = end_line
    out.extend(lines[position:])
    return "".join(out)


# ------------------------------------------------------------------------ notebooks


@dataclass
class Cell:
    """One notebook cell read from a percent script.

    Attributes
    ----------
    cell_type : {"code", "markdown"}
    source : str
    role : {"plain", "answer", "tests", "question", "readonly"}
    attrs : dict
        ``id`` (nbgrader grade id) and ``points``.
    """

    cell_type: str
    source: str
    role: str = "plain"
    attrs: dict[str, str] = field(default_factory=dict)


_ROLES = ("answer", "tests", "question", "readonly")


def _parse_header(header: str, where: str) -> tuple[str, str, dict[str, str]]:
    words = header.split()
    cell_type, role, attrs = "code", "plain", {}
    for word in words:
        if word == "[markdown]":
            cell_type = "markdown"
        elif word in _ROLES:
            role = word
        elif "=" in word:
            key, value = word.split("=", 1)
            attrs[key] = value
        else:
            raise ValueError(f"{where}: unknown cell declaration {word!r} in '# %%{header}'")
    if role in ("answer", "tests", "question") and "id" not in attrs:
        raise ValueError(f"{where}: a '{role}' cell needs id=...")
    if "id" in attrs and not re.fullmatch(r"[A-Za-z0-9_-]+", attrs["id"]):
        raise ValueError(f"{where}: id={attrs['id']!r} may only hold letters, digits, _ and - "
                         "(nbgrader's grade_id)")
    if role in ("tests", "question") and "points" not in attrs:
        raise ValueError(f"{where}: a '{role}' cell needs points=...")
    if role == "question" and cell_type != "markdown":
        raise ValueError(f"{where}: a 'question' cell is a [markdown] cell")
    return cell_type, role, attrs


def read_percent(text: str, *, filename: str = "<notebook>") -> list[Cell]:
    """Cells of a percent-format notebook script (see the module docstring).

    Examples
    --------
    >>> text = "# %% [markdown]\\n# Title\\n\\n# %% tests id=t points=1\\nassert 1\\n"
    >>> cells = read_percent(text)
    >>> [(c.cell_type, c.role, c.source) for c in cells]
    [('markdown', 'plain', 'Title'), ('code', 'tests', 'assert 1')]
    """
    cells: list[Cell] = []
    current: tuple[str, str, dict[str, str]] | None = None
    body: list[str] = []

    def flush() -> None:
        if current is None:
            return
        cell_type, role, attrs = current
        lines = body
        if cell_type == "markdown":
            lines = [line[2:] if line.startswith("# ") else line.lstrip("#") for line in body]
        cells.append(Cell(cell_type, "\n".join(lines).strip("\n"), role, attrs))

    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("# %%"):
            flush()
            current, body = _parse_header(line[4:], f"{filename}:{number}"), []
        elif current is None:
            if line.strip():
                raise ValueError(f"{filename}:{number}: text before the first '# %%' cell")
        else:
            body.append(line)
    flush()
    return cells


def _nbgrader_metadata(cell: Cell, index: int) -> dict | None:
    if cell.role == "plain":
        return None
    grade = cell.role in ("tests", "question")
    meta = {
        "grade": grade,
        "grade_id": cell.attrs.get("id", f"{cell.role}-{index}"),
        "locked": cell.role in ("tests", "readonly"),
        "schema_version": 3,
        "solution": cell.role in ("answer", "question"),
        "task": False,
    }
    if grade:
        meta["points"] = float(cell.attrs["points"])
    return meta


def _student_source(cell: Cell, filename: str) -> str:
    if cell.role == "question":
        if _MD_BEGIN in cell.source:
            pattern = re.escape(_MD_BEGIN) + r".*?" + re.escape(_MD_END)
            return re.sub(pattern, ANSWER_STUB, cell.source, flags=re.S)
        return ANSWER_STUB
    if cell.cell_type == "code":
        return strip_solutions(cell.source, filename=filename)
    return cell.source


def notebook_json(cells: Sequence[Cell], *, student: bool, filename: str = "<notebook>") -> str:
    """The ``.ipynb`` text (nbformat 4.5, deterministic ids) of ``cells``.

    ``student=True`` removes the answers as ``nbgrader generate_assignment`` would; the
    nbgrader metadata is kept either way (nbgrader needs it in the source notebook, and
    it lets ``nbgrader validate`` check a student notebook).

    Examples
    --------
    >>> nb = json.loads(notebook_json(read_percent("# %%\\nx = 1\\n"), student=True))
    >>> nb["nbformat"], nb["cells"][0]["source"]
    (4, ['x = 1'])
    """
    out = []
    for index, cell in enumerate(cells):
        source = _student_source(cell, filename) if student else cell.source
        entry: dict = {
            "cell_type": cell.cell_type,
            "id": cell.attrs.get("id", f"cell-{index}")[:64],
            "metadata": {},
            "source": source.splitlines(keepends=True),
        }
        meta = _nbgrader_metadata(cell, index)
        if meta is not None:
            entry["metadata"]["nbgrader"] = meta
            if meta["locked"]:
                entry["metadata"]["deletable"] = False
                entry["metadata"]["editable"] = False
        if cell.cell_type == "code":
            entry["execution_count"] = None
            entry["outputs"] = []
        out.append(entry)
    notebook = {
        "cells": out,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


# ------------------------------------------------------------------------ nbgrader


def nbgrader_config(assignments: Sequence[str], *, root: str | None) -> str:
    """Text of an ``nbgrader_config.py`` for the course.

    Parameters
    ----------
    assignments : sequence of str
        Assignment names (``"session1"``, ...): each keeps its student-edited
        ``<name>.py`` at autograde time.
    root : str or None
        Course root relative to the configuration file; None = the file's own folder.

    Examples
    --------
    >>> "exclude_overwriting" in nbgrader_config(["session1"], root=None)
    True
    """
    exclude = {name: [f"{name}.py"] for name in assignments}
    where = "_here" if root is None else f"os.path.join(_here, {root!r})"
    return (
        '"""nbgrader configuration of the machinehearing course (generated by\n'
        '``python -m autograde release``; edit autograde/release.py, not this file)."""\n'
        "\n"
        "import os\n"
        "\n"
        "c = get_config()  # noqa: F821 - injected by nbgrader's config loader\n"
        "_here = os.path.dirname(os.path.abspath(__file__))\n"
        "\n"
        "c.CourseDirectory.course_id = 'machinehearing'\n"
        f"c.CourseDirectory.root = {where}\n"
        "\n"
        "# Students edit sessionN.py next to the notebook. nbgrader copies .py files verbatim\n"
        "# (the release command already stripped the solutions from them) and, at autograde\n"
        "# time, overwrites every non-notebook file with the source version unless told not to:\n"
        f"c.Autograde.exclude_overwriting = {json.dumps(exclude, indent=4)}\n"
        "\n"
        "# training cells (sessions 4-5) take a while on a CPU\n"
        "c.Execute.timeout = 1800\n"
    )


# ------------------------------------------------------------------------ release


def _sessions(solutions: Path) -> list[tuple[int, Path]]:
    found = []
    for path in sorted(solutions.glob("session*.py")):
        match = _SESSION_FILE.fullmatch(path.name)
        if match:
            found.append((int(match.group(1)), path))
    if not found:
        raise FileNotFoundError(f"no session*.py in {solutions}: pass --solutions DIR")
    return sorted(found)


def build(
    solutions: Path, out: Path, *, course: Path | None = None, config: Path | None = None
) -> dict[Path, str]:
    """Every generated file: path -> text (nothing is written).

    Parameters
    ----------
    solutions : Path
        Folder with ``sessionN.py`` and ``notebooks/sessionN.py``.
    out : Path
        Student folder (``exercises``).
    course : Path or None
        nbgrader course root to write (``source/`` and ``nbgrader_config.py``).
    config : Path or None
        Extra ``nbgrader_config.py`` (the repository's) pointing at ``course``.
    """
    files: dict[Path, str] = {}
    names = []
    for number, path in _sessions(solutions):
        name = f"session{number}"
        names.append(name)
        stub = strip_solutions(path.read_text(encoding="utf-8"), filename=str(path))
        files[out / path.name] = stub
        source = solutions / "notebooks" / path.name
        if source.exists():
            cells = read_percent(source.read_text(encoding="utf-8"), filename=str(source))
            files[out / f"{name}.ipynb"] = notebook_json(cells, student=True, filename=str(source))
            if course is not None:
                folder = course / "source" / name
                files[folder / f"{name}.ipynb"] = notebook_json(cells, student=False)
                files[folder / path.name] = stub
    if course is not None:
        files[course / "nbgrader_config.py"] = nbgrader_config(names, root=None)
        if config is not None:
            relative = os.path.relpath(course, config.parent)
            files[config] = nbgrader_config(names, root=relative)
    return files


def release(
    solutions: str | os.PathLike = "solutions",
    out: str | os.PathLike = "exercises",
    *,
    course: str | os.PathLike | None = None,
    config: str | os.PathLike | None = None,
    check: bool = False,
) -> list[Path]:
    """Generate (or with ``check=True`` verify) the released files.

    Returns
    -------
    list of Path
        Files that changed (were rewritten), or with ``check`` that are out of date.

    Examples
    --------
    >>> import tempfile
    >>> tmp = Path(tempfile.mkdtemp())
    >>> _ = (tmp / "sol").mkdir(), (tmp / "sol" / "session9.py").write_text(
    ...     "def f():\\n    ### BEGIN SOLUTION\\n    return 1\\n    ### END SOLUTION\\n")
    >>> [p.name for p in release(tmp / "sol", tmp / "ex")]
    ['session9.py']
    >>> release(tmp / "sol", tmp / "ex", check=True)
    []
    """
    files = build(
        Path(solutions),
        Path(out),
        course=None if course is None else Path(course),
        config=None if config is None else Path(config),
    )
    changed = []
    for path, text in files.items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            changed.append(path)
            if not check:
                atomic_write_text(path, text)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m autograde release [options]``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m autograde release",
        description="Generate the student stubs, notebooks and the nbgrader course from the "
        "model solutions.",
    )
    parser.add_argument("--solutions", default="solutions", help="model solutions folder")
    parser.add_argument("--out", default="exercises", help="student folder to write")
    parser.add_argument(
        "--course",
        default=None,
        help="nbgrader course root to write (default: <solutions>/nbgrader, with the "
        "repository's nbgrader_config.py next to --out)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when a committed file differs from what would be generated",
    )
    args = parser.parse_args(argv)
    solutions, out = Path(args.solutions), Path(args.out)
    if args.course is None:
        course, config = solutions / "nbgrader", out.resolve().parent / "nbgrader_config.py"
    else:
        course, config = Path(args.course), None
    try:
        if args.check:
            # the course tree is regenerated by every release and is not committed
            stale = [
                path
                for path in release(solutions, out, course=course, config=config, check=True)
                if not path.is_relative_to(course)
            ]
        else:
            stale = release(solutions, out, course=course, config=config)
    except (OSError, SyntaxError, ValueError) as exc:
        print(f"python -m autograde release: error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        for path in stale:
            print(f"out of date: {path} (run python -m autograde release)", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        print(f"wrote {path}")
    if not stale:
        print("up to date")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
