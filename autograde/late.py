"""Late submissions: a course's late policy, the time each submission was made, the penalty.

The policy lives in the course configuration, a TOML file with a ``[late]`` table::

    [late]
    deadline = 2026-03-06T23:59:00+01:00   # an offset date-time: the zone is explicit
    per_day = 0.10         # fraction deducted per started day late
    cap = 0.50             # at most this fraction is deducted (1.0: down to zero)
    grace_minutes = 15     # submissions this close after the deadline count as on time
    relative_to = "score"  # the fraction is of the score earned ("score") or of the maximum
    reject_after_days = 7  # optional: later than this earns 0

    [late.extensions]      # optional: submission directory name -> its own deadline
    alice = 2026-03-09T23:59:00+01:00

The submission time is the one the platform records: ``created_at`` of Gradescope's
``submission_metadata.json`` (in the submission directory, or next to it in Gradescope's
``/autograder`` layout), else the newest modification time of the submission's files
(the time the collecting system wrote them; a platform that keeps the students' own
file times makes this the students' claim, so prefer the metadata where there is any).

:func:`add_late_columns` adds the per-student columns to ``grades.csv`` text and
:mod:`autograde.lms` applies the same :func:`penalty` in the LMS export.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "LatePolicy",
    "Lateness",
    "load_policy",
    "submission_time",
    "submission_times",
    "lateness",
    "class_lateness",
    "add_late_columns",
    "LATE_COLUMNS",
]

#: columns :func:`add_late_columns` appends to grades.csv (a contract with the LMS export)
LATE_COLUMNS = ("submitted_at", "days_late", "late_penalty", "total_after_late")
#: the most bytes of a submission_metadata.json that are read (Gradescope's is a few kB
#: plus the previous submissions' results)
_MAX_METADATA_BYTES = 8 << 20
_DAY = timedelta(days=1)


class LatePolicyError(ValueError):
    """The course configuration's ``[late]`` table is invalid (the message names the file)."""


@dataclass(frozen=True)
class LatePolicy:
    """A late policy: the deadline, the penalty per started day late and its cap.

    Parameters
    ----------
    deadline : datetime
        Timezone-aware deadline.
    per_day : float in [0, 1]
        Fraction deducted per started day (24 h) after the deadline and grace period.
    cap : float in [0, 1]
        Largest fraction deducted, whatever the delay.
    grace_minutes : float
        Minutes after the deadline that still count as on time.
    relative_to : {"score", "max_score"}
        The deducted fraction is of the score earned, or of the maximum score.
    reject_after_days : float, optional
        Later than this many days after the deadline (grace included) earns 0.
    extensions : mapping of str to datetime
        Submission directory name -> its own deadline.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> policy = LatePolicy(datetime(2026, 3, 6, 23, 59, tzinfo=timezone.utc), per_day=0.1,
    ...                     cap=0.3)
    >>> late = lateness(policy, "bob", datetime(2026, 3, 8, 12, 0, tzinfo=timezone.utc))
    >>> late.days_late, late.penalty, policy.apply(8.0, 10.0, late)
    (2, 0.2, 6.4)
    """

    deadline: datetime
    per_day: float = 0.0
    cap: float = 1.0
    grace_minutes: float = 0.0
    relative_to: str = "score"
    reject_after_days: float | None = None
    extensions: Mapping[str, datetime] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for when in (self.deadline, *self.extensions.values()):
            if not isinstance(when, datetime) or when.utcoffset() is None:
                raise LatePolicyError(
                    f"deadline {when!r} needs a time zone, e.g. 2026-03-06T23:59:00+01:00"
                )
        for name in ("per_day", "cap"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
                raise LatePolicyError(f"late.{name} must be a fraction in [0, 1], got {value!r}")
        if not (isinstance(self.grace_minutes, int | float) and self.grace_minutes >= 0):
            raise LatePolicyError(f"late.grace_minutes must be >= 0, got {self.grace_minutes!r}")
        if self.relative_to not in ("score", "max_score"):
            raise LatePolicyError(
                f"late.relative_to must be 'score' or 'max_score', got {self.relative_to!r}"
            )
        if self.reject_after_days is not None and not (
            isinstance(self.reject_after_days, int | float) and self.reject_after_days >= 0
        ):
            raise LatePolicyError(
                f"late.reject_after_days must be >= 0, got {self.reject_after_days!r}"
            )

    def deadline_of(self, student: str) -> datetime:
        """The deadline of one submission (its extension, if any)."""
        return self.extensions.get(student, self.deadline)

    def apply(self, score: float, max_score: float, late: Lateness) -> float:
        """The score after the penalty (never below 0)."""
        base = score if self.relative_to == "score" else max_score
        return round(max(0.0, score - late.penalty * base), 6)


@dataclass(frozen=True)
class Lateness:
    """How late one submission was: ``submitted`` (None: unknown), started days, penalty."""

    submitted: datetime | None
    days_late: int
    penalty: float


def load_policy(path: str | os.PathLike) -> LatePolicy | None:
    """Read the ``[late]`` table of a course configuration (TOML); None when it has none.

    Raises
    ------
    LatePolicyError
        The file is not valid TOML or the table is invalid; the message names the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "course.toml"
    >>> _ = path.write_text('[late]\\ndeadline = 2026-03-06T23:59:00+01:00\\nper_day = 0.1\\n')
    >>> load_policy(path).per_day
    0.1
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LatePolicyError(f"{path}: cannot read the course configuration: {exc}") from None
    table = data.get("late")
    if table is None:
        return None
    known = {
        "deadline",
        "per_day",
        "cap",
        "grace_minutes",
        "relative_to",
        "reject_after_days",
        "extensions",
    }
    unknown = sorted(set(table) - known)
    if unknown:
        raise LatePolicyError(
            f"{path}: unknown keys in [late]: {', '.join(unknown)} "
            f"(known: {', '.join(sorted(known))})"
        )
    if "deadline" not in table:
        raise LatePolicyError(
            f"{path}: [late] needs a deadline, e.g. deadline = 2026-03-06T23:59:00+01:00"
        )
    try:
        return LatePolicy(**{**table, "extensions": dict(table.get("extensions", {}))})
    except LatePolicyError as exc:
        raise LatePolicyError(f"{path}: {exc}") from None


def _parse_time(text: object, origin: Path) -> datetime:
    try:
        when = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{origin}: created_at {text!r} is not an ISO 8601 time") from None
    if when.utcoffset() is None:
        raise ValueError(f"{origin}: created_at {text!r} has no time zone")
    return when


def _metadata_path(submission: Path) -> Path | None:
    inside = submission / "submission_metadata.json"
    if inside.is_file():
        return inside
    beside = submission.parent / "submission_metadata.json"
    if submission.name == "submission" and beside.is_file():  # /autograder/submission
        return beside
    return None


def submission_time(submission: str | os.PathLike) -> datetime | None:
    """When a submission was made: Gradescope's ``created_at``, else its newest file's mtime.

    Returns None for a directory without files. The metadata file is never followed
    through a symbolic link and is read only up to 8 MiB.

    Raises
    ------
    ValueError
        A ``submission_metadata.json`` exists but has no valid ``created_at``.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "submission_metadata.json").write_text(
    ...     json.dumps({"created_at": "2018-07-01T14:22:32.365935-07:00"}))
    >>> submission_time(d).isoformat()
    '2018-07-01T14:22:32.365935-07:00'
    """
    submission = Path(submission)
    meta = _metadata_path(submission)
    if meta is not None and not meta.is_symlink():
        with open(meta, "rb") as fh:
            raw = fh.read(_MAX_METADATA_BYTES + 1)
        if len(raw) > _MAX_METADATA_BYTES:
            raise ValueError(f"{meta}: larger than {_MAX_METADATA_BYTES} bytes")
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ValueError(f"{meta}: not valid JSON ({exc})") from None
        if not isinstance(data, dict) or "created_at" not in data:
            raise ValueError(f"{meta}: no created_at field (Gradescope's submission time)")
        return _parse_time(data["created_at"], meta)
    times = [
        p.lstat().st_mtime for p in submission.rglob("*") if p.is_file() and not p.is_symlink()
    ]
    if not times:
        return None
    return datetime.fromtimestamp(max(times), tz=timezone.utc)


def submission_times(root: str | os.PathLike) -> dict[str, datetime | None]:
    """:func:`submission_time` of every submission directory under ``root``, by name."""
    return {
        p.name: submission_time(p)
        for p in sorted(Path(root).iterdir())
        if p.is_dir() and not p.name.startswith(".")
    }


def lateness(policy: LatePolicy, student: str, submitted: datetime | None) -> Lateness:
    """The lateness of one submission under ``policy`` (unknown time: on time)."""
    if submitted is None:
        return Lateness(None, 0, 0.0)
    over = submitted - policy.deadline_of(student) - timedelta(minutes=policy.grace_minutes)
    if over <= timedelta(0):
        return Lateness(submitted, 0, 0.0)
    days = math.ceil(over / _DAY)
    if policy.reject_after_days is not None and over > policy.reject_after_days * _DAY:
        return Lateness(submitted, days, 1.0)
    return Lateness(submitted, days, round(min(policy.cap, policy.per_day * days), 6))


def class_lateness(policy: LatePolicy, submissions: str | os.PathLike) -> dict[str, Lateness]:
    """:func:`lateness` of every submission directory under ``submissions``, by name."""
    return {
        name: lateness(policy, name, when) for name, when in submission_times(submissions).items()
    }


def add_late_columns(grades_csv: str, policy: LatePolicy, late: Mapping[str, Lateness]) -> str:
    """``grades.csv`` text with :data:`LATE_COLUMNS` appended to every row.

    ``total`` stays the score before the penalty; ``total_after_late`` is after it. A
    student missing from ``late`` counts as on time with an unknown submission time.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> policy = LatePolicy(datetime(2026, 3, 6, tzinfo=timezone.utc), per_day=0.5)
    >>> late = {"bob": lateness(policy, "bob", datetime(2026, 3, 6, 1, tzinfo=timezone.utc))}
    >>> print(add_late_columns("student,total,max_score\\nbob,4,10\\n", policy, late), end="")
    student,total,max_score,submitted_at,days_late,late_penalty,total_after_late
    bob,4,10,2026-03-06T01:00:00+00:00,1,0.5,2
    """
    rows = list(csv.reader(io.StringIO(grades_csv)))
    if not rows:
        return grades_csv
    header = rows[0]
    try:
        total, maximum = header.index("total"), header.index("max_score")
    except ValueError:
        raise ValueError("grades.csv has no 'total' and 'max_score' columns") from None
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*header, *LATE_COLUMNS])
    for row in rows[1:]:
        info = late.get(row[0], Lateness(None, 0, 0.0))
        after = policy.apply(float(row[total]), float(row[maximum]), info)
        writer.writerow(
            [
                *row,
                info.submitted.isoformat() if info.submitted else "",
                info.days_late,
                f"{info.penalty:g}",
                f"{after:g}",
            ]
        )
    return buf.getvalue()
