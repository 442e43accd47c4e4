"""Result files: Gradescope ``results.json``, ``grades.csv`` and JUnit XML, written atomically.

``results.json`` follows Gradescope's autograder schema: top-level ``score``,
``execution_time``, ``output``, ``output_format``, ``visibility``, ``stdout_visibility``,
``tests`` (each with ``name``, ``number``, ``score``, ``max_score``, ``status``, ``output``,
``output_format``, ``visibility``, ``tags``) and ``extra_data``. Every exercise yields a
visible test for its public cases and an ``after_published`` test for its hidden cases.
``extra_data`` carries the full :class:`~autograde.model.ExerciseResult` records, the
isolation level the code ran under, and an HMAC keyed with the course secret over (student
id, exercise ids, scores): a forged file, or one copied or moved to another student's
directory, fails verification and is re-graded, not trusted.

Student-controlled text (exception messages, directory names) is escaped for each format:
Markdown/HTML in ``results.json``, formula prefixes in CSV cells, control characters in XML.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from machinehearing._io import atomic_write_text

from .lms import safe_cell
from .model import Exercise, ExerciseResult, SubmissionResult

__all__ = ["gradescope_results", "write_results", "read_results", "load_results",
           "grades_csv", "junit_xml", "write_class_files", "markdown_escape"]


def _signature(records: list[dict], name: str, isolation: str, secret: str) -> str:
    payload = json.dumps({"name": name, "isolation": isolation,
                          "exercises": [[r["id"], r["score"], r["points"], r["status"]]
                                        for r in records],
                          "records": records}, sort_keys=True).encode()
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>&~])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def markdown_escape(text: str) -> str:
    """``text`` safe inside Markdown (and the HTML it renders to): no markup, no tags.

    Examples
    --------
    >>> print(markdown_escape("<img src=x onerror=alert(1)> **bold**"))
    \\<img src=x onerror=alert\\(1\\)\\> \\*\\*bold\\*\\*
    """
    return _MARKDOWN.sub(r"\\\1", _CONTROL.sub("", text))


def _xml_text(text: str | None) -> str:
    return _CONTROL.sub("", text or "")


def _test_output(e: ExerciseResult, public: bool) -> str:
    lines = [f"**{markdown_escape(e.status)}**" + (f" ({e.mode})" if e.mode else "")]
    cases = [c for c in e.cases if c.public == public]
    failed = [c for c in cases if not c.passed]
    lines.append(f"{len(cases) - len(failed)}/{len(cases)} cases passed")
    if e.status == "forbidden" or (failed and not any(c.message for c in failed)):
        lines.append(markdown_escape(e.message))
    lines += [f"- {markdown_escape(c.message)}" for c in failed[:5] if c.message]
    hint = next((c.hint for c in failed if c.hint), None)
    if hint:
        lines.append(f"*Hint:* {markdown_escape(hint)}")
    if public and e.figure:
        lines.append(f"Figure: `{e.figure}`")
    return "\n\n".join(dict.fromkeys(lines))


def gradescope_results(result: SubmissionResult, *, secret: str) -> dict:
    """The Gradescope ``results.json`` dict of a submission, signed with ``secret``.

    Examples
    --------
    >>> from autograde.model import CaseResult
    >>> e = ExerciseResult(id="9.1-double", session=9, name="double", points=2.0, score=1.0,
    ...     status="partial", cases=[CaseResult(True, True, "ok"), CaseResult(False, False,
    ...     "shape", "failed (shape)")], public_points=1.0, public_score=1.0)
    >>> d = gradescope_results(SubmissionResult("alice", [e]), secret="s")
    >>> d["score"], [(t["score"], t["max_score"], t["visibility"]) for t in d["tests"]]
    (1.0, [(1.0, 1.0, 'visible'), (0.0, 1.0, 'after_published')])
    """
    tests = []
    for e in result.exercises:
        groups = [(True, e.public_points, e.public_score),
                  (False, e.points - e.public_points, e.score - e.public_score)]
        for public, max_score, earned in groups:
            if max_score <= 0 and not (public and e.points == 0):
                continue
            tests.append({
                "name": f"{e.id} {e.name} ({'public' if public else 'hidden'} cases)",
                "number": f"{e.id.split('-', 1)[0]}.{'a' if public else 'b'}",
                "score": round(earned, 6),
                "max_score": round(max_score, 6),
                "status": "passed" if earned >= max_score - 1e-9 else "failed",
                "output": _test_output(e, public),
                "output_format": "md",
                "visibility": "visible" if public else "after_published",
                "tags": [f"session{e.session}", e.id, e.status],
            })
    records = [e.to_dict() for e in result.exercises]
    passed = sum(e.passed for e in result.exercises)
    return {
        "score": round(result.score, 6),
        "execution_time": int(round(result.seconds)),
        "output": (f"{passed}/{len(result.exercises)} exercises passed; total "
                   f"{result.score:g}/{result.max_score:g} (device: {result.device}, "
                   f"isolation: {result.isolation})"
                   + (f"\n\n{markdown_escape(result.error)}" if result.error else "")),
        "output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"name": result.name, "device": result.device,
                       "isolation": result.isolation, "error": result.error,
                       "seconds": result.seconds, "max_score": result.max_score,
                       "exercises": records,
                       "signature": _signature(records, result.name, result.isolation,
                                               secret)},
    }


def write_results(result: SubmissionResult, path: str | os.PathLike, *, secret: str) -> Path:
    """Write the signed Gradescope ``results.json`` atomically; returns the path."""
    text = json.dumps(gradescope_results(result, secret=secret), indent=1)
    return atomic_write_text(path, text)


def read_results(path: str | os.PathLike, *, secret: str, student: str | None = None
                 ) -> dict | None:
    """The parsed ``results.json`` if its signature is valid (for ``student``), else None.

    ``student`` defaults to the name of the file's directory: a file copied or moved into
    another student's directory does not verify.
    """
    path = Path(path)
    student = path.parent.name if student is None else student
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > 64 * 2**20:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        extra = data["extra_data"]
        expected = _signature(extra["exercises"], student, str(extra["isolation"]), secret)
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None
    if extra.get("name") != student:
        return None
    if not hmac.compare_digest(str(extra.get("signature", "")), expected):
        return None
    return data


def load_results(out: str | os.PathLike, *, secret: str) -> dict[str, list[ExerciseResult]]:
    """Student name -> exercise results, from every valid ``out/*/results.json``."""
    found = {}
    for path in sorted(Path(out).glob("*/results.json")):
        data = read_results(path, secret=secret)
        if data is not None:
            found[path.parent.name] = [ExerciseResult.from_dict(r)
                                       for r in data["extra_data"]["exercises"]]
    return found


def grades_csv(results: dict[str, list[ExerciseResult]], exercises: Sequence[Exercise]) -> str:
    """CSV text: one row per student, one column per exercise, then total.

    Examples
    --------
    >>> print(grades_csv({}, []).strip())
    student,total,max_score
    """
    ids = [e.id for e in exercises]
    max_score = sum(float(e.points) for e in exercises)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["student", *ids, "total", "max_score"])
    for student, records in sorted(results.items()):
        scores = {r.id: r.score for r in records}
        row = [f"{scores[i]:g}" if i in scores else "" for i in ids]
        total = sum(scores.get(i, 0.0) for i in ids)
        writer.writerow([safe_cell(_CONTROL.sub("", student)), *row, f"{total:g}",
                         f"{max_score:g}"])
    return buf.getvalue()


def junit_xml(results: dict[str, list[ExerciseResult]]) -> str:
    """JUnit XML: a ``testsuite`` per student, a ``testcase`` per exercise.

    Examples
    --------
    >>> junit_xml({}).startswith("<?xml")
    True
    """
    suites = ET.Element("testsuites", name="autograde")
    for student, records in sorted(results.items()):
        failures = sum(not r.passed for r in records)
        suite = ET.SubElement(suites, "testsuite", name=_xml_text(student),
                              tests=str(len(records)),
                              failures=str(failures),
                              time=f"{sum(r.seconds for r in records):.3f}")
        for r in records:
            case = ET.SubElement(suite, "testcase",
                                 classname=_xml_text(f"{student}.session{r.session}"),
                                 name=r.id, time=f"{r.seconds:.3f}")
            if not r.passed:
                failure = ET.SubElement(case, "failure", type=r.status,
                                        message=f"{r.score:g}/{r.points:g}: {r.status}")
                failure.text = _xml_text("\n".join(x for x in (r.message, r.hint) if x))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


def write_class_files(out: str | os.PathLike, exercises: Sequence[Exercise], *,
                      secret: str) -> None:
    """Rewrite ``out/grades.csv`` and ``out/junit.xml`` from every valid results file."""
    results = load_results(out, secret=secret)
    atomic_write_text(Path(out) / "grades.csv", grades_csv(results, exercises))
    atomic_write_text(Path(out) / "junit.xml", junit_xml(results))
