"""Grades into the LMS: a grading output directory as Brightspace, Canvas or Moodle import CSV.

``python -m autograde export OUT --lms brightspace|canvas|moodle --roster ROSTER.csv
[--item NAME] [--out FILE] [--course COURSE.toml --submissions DIR]``

The scores are read from ``OUT/grades.csv`` (written by ``grade`` from the signed
``results.json`` files only); the roster says who each submission directory is in the LMS.
Every roster student appears in the file: one without a submission gets 0 and is listed.
A graded submission without a roster entry stops the export with its name: a grade is
never dropped silently. With a late policy (``--course``) the penalty of :mod:`autograde.late`
is applied to each total.

The roster is a CSV file with a ``submission`` column (the submission directory name; the
column can be another one, e.g. ``Username``, with ``--match``) and the LMS's identity
columns, spelled as in its own export (case, spaces and a leading ``#`` do not matter):

===========  ==========================================================================
brightspace  ``OrgDefinedId`` and/or ``Username``
canvas       ``ID``, ``SIS User ID`` or ``SIS Login ID`` (``Student`` and ``Section`` are
             copied when present)
moodle       ``ID number`` or ``Email address``
===========  ==========================================================================

The files follow each LMS's documented import format:

Brightspace
    ``OrgDefinedId``/``Username`` first, then ``<item> Points Grade``, then
    ``End-of-Line Indicator`` holding ``#`` (D2L, "Importing grades"); identifiers carry
    the ``#`` prefix of Brightspace's own export, which keeps leading zeros through Excel.
Canvas
    ``Student, ID, SIS User ID, SIS Login ID, Section`` then one column per assignment (a
    new name creates the assignment), and the ``Points Possible`` row of Canvas's export.
Moodle
    An identity column and the grade column; on import map ``ID number`` to
    ``useridnumber`` (or ``Email address`` to ``useremail``) and the item column to the
    grade item (MoodleDocs, "Grade import").

Every text cell is neutralised against spreadsheet formula injection (:func:`safe_cell`).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from machinehearing._io import atomic_write_text

from .late import Lateness, LatePolicy, class_lateness, load_policy

__all__ = [
    "ExportError",
    "ExportResult",
    "LMS",
    "safe_cell",
    "read_grades",
    "read_roster",
    "export",
    "add_arguments",
    "run",
]

#: the LMS formats, each with the identity columns it writes (in order)
LMS = {
    "brightspace": ("OrgDefinedId", "Username"),
    "canvas": ("Student", "ID", "SIS User ID", "SIS Login ID", "Section"),
    "moodle": ("ID number", "Email address"),
}
#: identity columns of which each roster row needs one (non-empty)
_KEYS = {
    "brightspace": ("OrgDefinedId", "Username"),
    "canvas": ("ID", "SIS User ID", "SIS Login ID"),
    "moodle": ("ID number", "Email address"),
}
_ALIASES = {"email": "Email address", "idnumber": "ID number"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportError(ValueError):
    """The grades, the roster or their match is unusable; the message says what to fix."""


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export` wrote: the CSV text, its rows, roster students without a submission."""

    text: str
    rows: int
    missing: list[str]


def safe_cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula.

    Cells starting with ``= + - @``, a tab or a carriage return get a leading ``'``
    (OWASP's advice on CSV injection).

    Examples
    --------
    >>> safe_cell("=HYPERLINK(\\"http://x\\")"), safe_cell("alice"), safe_cell(-1)
    ('\\'=HYPERLINK("http://x")', 'alice', "'-1")
    """
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _number(x: float) -> str:
    return f"{round(x, 4):.4f}".rstrip("0").rstrip(".")


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def read_grades(
    out: str | os.PathLike,
    *,
    policy: LatePolicy | None = None,
    late: Mapping[str, Lateness] | None = None,
) -> dict[str, tuple[float, float]]:
    """Submission name -> (score, max_score) from ``out/grades.csv``.

    The score is ``total`` less the late penalty of ``policy`` (with ``late``, from
    :func:`autograde.late.class_lateness`); without a policy, ``total_after_late`` when
    grades.csv carries the late columns, else ``total``.

    Raises
    ------
    ExportError
        grades.csv is missing or malformed, or a graded ``results.json`` is not in it.
    """
    out = Path(out)
    path = out / "grades.csv"
    if not path.is_file():
        raise ExportError(
            f"{path} not found: grade first (python -m autograde grade SUBMISSIONS --out {out})"
        )
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    header = rows[0].keys() if rows else ()
    if rows and not {"student", "total", "max_score"} <= set(header):
        raise ExportError(f"{path}: needs the columns student, total and max_score")
    column = "total_after_late" if policy is None and "total_after_late" in header else "total"
    grades: dict[str, tuple[float, float]] = {}
    for number, row in enumerate(rows, start=2):
        try:
            score, maximum = float(row[column]), float(row["max_score"])
        except (TypeError, ValueError):
            raise ExportError(
                f"{path}, row {number}: {column}={row[column]!r} and "
                f"max_score={row['max_score']!r} must be numbers"
            ) from None
        if policy is not None:
            score = policy.apply(
                score, maximum, (late or {}).get(row["student"], Lateness(None, 0, 0.0))
            )
        grades[row["student"]] = (score, maximum)
    stale = sorted(p.parent.name for p in out.glob("*/results.json") if p.parent.name not in grades)
    if stale:
        raise ExportError(
            f"{path} lacks {', '.join(stale)} although their results.json "
            "exist (a signature that did not verify, or a grades.csv older than "
            "the results): re-run grade before exporting"
        )
    return grades


def read_roster(
    path: str | os.PathLike, lms: str, *, match: str = "submission"
) -> dict[str, dict[str, str]]:
    """Submission name -> the LMS identity columns of ``lms``, from a roster CSV.

    Raises
    ------
    ExportError
        Naming the file and the row: no ``match`` column, no identity column of the LMS, a
        row without identity, a submission name or identity given twice.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "roster.csv"
    >>> _ = p.write_text("submission,OrgDefinedId,Username\\nalice,#0042,#alice.a\\n")
    >>> read_roster(p, "brightspace")
    {'alice': {'OrgDefinedId': '0042', 'Username': 'alice.a'}}
    """
    if lms not in LMS:
        raise ExportError(f"unknown LMS {lms!r}: choose one of {', '.join(LMS)}")
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExportError(f"roster {path}: cannot read it as UTF-8 text ({exc})") from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    wanted = {_key(c): c for c in LMS[lms]} | {k: v for k, v in _ALIASES.items() if v in LMS[lms]}
    found: dict[str, int] = {}
    for i, h in enumerate(header):
        found.setdefault(wanted.get(_key(h), ""), i)
    columns = {c: found[c] for c in LMS[lms] if c in found}
    match_at = next((i for i, h in enumerate(header) if _key(h) == _key(match)), None)
    if match_at is None:
        raise ExportError(
            f"roster {path}: no {match!r} column (the submission directory "
            f"names); its columns are {', '.join(header) or 'none'}"
        )
    keys = [k for k in _KEYS[lms] if k in columns]
    if not keys:
        raise ExportError(
            f"roster {path}: a {lms} roster needs a column {' or '.join(map(repr, _KEYS[lms]))}"
        )
    if lms == "moodle":  # one identity column: the one the import maps
        columns = {keys[0]: columns[keys[0]]}
    roster: dict[str, dict[str, str]] = {}
    seen: dict[tuple[str, str], int] = {}
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = row + [""] * (len(header) - len(row))
        name = cells[match_at].strip().lstrip("#")
        ident = {c: cells[i].strip() for c, i in columns.items()}
        if lms == "brightspace":  # its export marks identifiers with '#'
            ident = {c: v.lstrip("#") for c, v in ident.items()}
        if not name:
            raise ExportError(f"roster {path}, row {number}: empty {match!r}")
        if name in roster:
            raise ExportError(f"roster {path}, row {number}: submission {name!r} appears twice")
        if not any(ident.get(k) for k in keys):
            raise ExportError(f"roster {path}, row {number} ({name}): no {' or '.join(keys)}")
        for k in keys:
            if ident.get(k):
                if (k, ident[k]) in seen:
                    raise ExportError(
                        f"roster {path}, row {number} ({name}): {k} "
                        f"{ident[k]!r} is also on row {seen[k, ident[k]]}"
                    )
                seen[k, ident[k]] = number
        roster[name] = ident
    return roster


def _render(
    lms: str, item: str, rows: Sequence[tuple[dict[str, str], float]], max_score: float
) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    present = [c for c in LMS[lms] if any(c in ident for ident, _ in rows)]
    if lms == "brightspace":
        writer.writerow([*present, f"{safe_cell(item)} Points Grade", "End-of-Line Indicator"])
        for ident, score in rows:
            writer.writerow([*("#" + ident.get(c, "") for c in present), _number(score), "#"])
    elif lms == "canvas":
        writer.writerow([*LMS[lms], safe_cell(item)])
        writer.writerow(["    Points Possible", "", "", "", "", _number(max_score)])
        for ident, score in rows:
            writer.writerow([*(safe_cell(ident.get(c, "")) for c in LMS[lms]), _number(score)])
    else:
        writer.writerow([*present, safe_cell(item)])
        for ident, score in rows:
            writer.writerow([*(safe_cell(ident[c]) for c in present), _number(score)])
    return buf.getvalue()


def export(
    out: str | os.PathLike,
    lms: str,
    roster: str | os.PathLike,
    *,
    item: str = "Autograder",
    match: str = "submission",
    policy: LatePolicy | None = None,
    submissions: str | os.PathLike | None = None,
    path: str | os.PathLike | None = None,
) -> ExportResult:
    """Write the LMS import file of a grading output directory; see the module docstring.

    Parameters
    ----------
    out : path
        The ``--out`` directory of ``grade`` (with ``grades.csv``).
    lms : {"brightspace", "canvas", "moodle"}
    roster : path
        The roster CSV (:func:`read_roster`).
    item : str
        The LMS grade item (column) name.
    policy : LatePolicy, optional
        Late policy; needs ``submissions``, the graded submissions' directory.
    path : path, optional
        Where to write; default ``out/<lms>-import.csv``. Written atomically.

    Raises
    ------
    ExportError
        A graded submission has no roster entry (all such names are listed), or the inputs
        are invalid.
    """
    if not item.strip():
        raise ExportError("--item must be a non-empty grade item name")
    late = None
    if policy is not None:
        if submissions is None:
            raise ExportError(
                "a late policy needs --submissions DIR (the graded submissions, "
                "for their submission times)"
            )
        late = class_lateness(policy, submissions)
    grades = read_grades(out, policy=policy, late=late)
    people = read_roster(roster, lms, match=match)
    unknown = sorted(set(grades) - set(people))
    if unknown:
        raise ExportError(
            f"{len(unknown)} graded submission(s) have no roster entry: "
            f"{', '.join(unknown)}; add them to {roster} (column {match!r}) "
            "or remove them from the grading output"
        )
    max_score = max((m for _, m in grades.values()), default=0.0)
    rows = [(ident, grades[name][0] if name in grades else 0.0) for name, ident in people.items()]
    text = _render(lms, item, rows, max_score)
    atomic_write_text(path or Path(out) / f"{lms}-import.csv", text)
    return ExportResult(text, len(rows), sorted(set(people) - set(grades)))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``python -m autograde export``."""
    parser.add_argument("out", help="the --out directory of 'grade' (with grades.csv)")
    parser.add_argument("--lms", required=True, choices=sorted(LMS), help="target LMS")
    parser.add_argument(
        "--roster",
        required=True,
        metavar="ROSTER.csv",
        help="CSV: submission directory name -> LMS identity columns",
    )
    parser.add_argument("--item", default="Autograder", help="grade item (column) name")
    parser.add_argument(
        "--match",
        default="submission",
        metavar="COLUMN",
        help="roster column holding the submission directory names",
    )
    parser.add_argument(
        "--out",
        dest="path",
        default=None,
        metavar="FILE",
        help="file to write (default: OUT/<lms>-import.csv)",
    )
    parser.add_argument(
        "--course",
        default=None,
        metavar="COURSE.toml",
        help="course configuration whose [late] table is applied",
    )
    parser.add_argument(
        "--submissions",
        default=None,
        metavar="DIR",
        help="the graded submissions (their times, for the late policy)",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``export``; exit status 2 with the reason on an invalid input."""
    try:
        policy = load_policy(args.course) if args.course else None
        result = export(
            args.out,
            args.lms,
            args.roster,
            item=args.item,
            match=args.match,
            policy=policy,
            submissions=args.submissions,
            path=args.path,
        )
    except (ValueError, OSError) as exc:
        print(f"autograde export: error: {exc}", file=sys.stderr)
        return 2
    target = args.path or Path(args.out) / f"{args.lms}-import.csv"
    print(f"wrote {result.rows} grade(s) to {target}")
    if result.missing:
        print(
            f"{len(result.missing)} roster student(s) without a submission got 0: "
            f"{', '.join(result.missing)}"
        )
    return 0
