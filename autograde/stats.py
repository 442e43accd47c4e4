"""Class analytics: per exercise, pass rate, mean score and the hints most often triggered.

Hints name concepts ("magnitude vs power", "HTK vs Slaney mel"), so the most frequent
hints tell an instructor which concept the class missed.
"""

from __future__ import annotations

import csv
import io
import os
from collections import Counter
from pathlib import Path

from machinehearing._io import atomic_write_bytes, atomic_write_text

from .exports import load_results

__all__ = ["class_stats", "format_stats", "plot_stats", "write_stats_csv"]


def class_stats(out: str | os.PathLike, *, secret: str, package: str | None = None,
                top: int = 3) -> list[dict]:
    """Per-exercise statistics over every valid ``out/*/results.json``.

    ``secret`` is the course secret the results were signed with.

    Returns
    -------
    list of dict
        Keys ``id``, ``name``, ``points``, ``students``, ``pass_rate``, ``mean_score``,
        ``statuses`` (Counter), ``hints`` (list of (text, count), most common first).
        Exercises are in declaration order when ``package`` is given, else by id.
    """
    results = load_results(out, secret=secret)
    by_id: dict[str, list] = {}
    for records in results.values():
        for r in records:
            by_id.setdefault(r.id, []).append(r)
    order = sorted(by_id, key=lambda i: [int(x) if x.isdigit() else x
                                          for x in i.split("-", 1)[0].split(".")])
    if package:
        from .engine import load_exercises

        declared = [e.id for e in load_exercises(package)]
        order = [i for i in declared if i in by_id] + [i for i in order if i not in declared]
    rows = []
    for ex_id in order:
        records = by_id[ex_id]
        hints = Counter(h for r in records for h in r.hints)
        rows.append({
            "id": ex_id,
            "name": records[0].name,
            "points": records[0].points,
            "students": len(records),
            "pass_rate": sum(r.passed for r in records) / len(records),
            "mean_score": sum(r.score for r in records) / len(records),
            "statuses": Counter(r.status for r in records),
            "hints": hints.most_common(top),
        })
    return rows


def format_stats(rows: list[dict]) -> str:
    """A text table of :func:`class_stats` rows.

    Examples
    --------
    >>> print(format_stats([]))
    exercise  students  pass rate  mean score  most frequent hints
    """
    lines = [f"{'exercise':<16}{'students':>9}{'pass rate':>11}{'mean score':>12}  "
             "most frequent hints"]
    for r in rows:
        hints = "; ".join(f"{text} (x{n})" for text, n in r["hints"]) or "-"
        lines.append(f"{r['id']:<16}{r['students']:>9}{r['pass_rate']:>11.0%}"
                     f"{r['mean_score']:>8.2f}/{r['points']:<3g}  {hints}")
    if not rows:
        return "exercise  students  pass rate  mean score  most frequent hints"
    return "\n".join(lines)


def plot_stats(rows: list[dict], path: str | os.PathLike) -> Path:
    """Bar chart of pass rate and mean score (fraction of points) per exercise; saved as PNG."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(max(6, 0.5 * len(rows) + 2), 4), layout="constrained")
    ax = fig.add_subplot()
    x = range(len(rows))
    ax.bar([i - 0.2 for i in x], [r["pass_rate"] for r in rows], width=0.4, label="pass rate")
    ax.bar([i + 0.2 for i in x], [r["mean_score"] / r["points"] if r["points"] else 0
                                  for r in rows], width=0.4, label="mean score / points")
    ax.set_xticks(list(x), [r["id"] for r in rows], rotation=60, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("fraction of students / points")
    ax.set_title("Class results per exercise")
    ax.legend(loc="lower right", fontsize=8)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    atomic_write_bytes(path, buf.getvalue())
    return path


def write_stats_csv(rows: list[dict], path: str | os.PathLike) -> Path:
    """Write the rows as CSV (hints joined with ' | ') atomically."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["exercise", "students", "pass_rate", "mean_score", "points", "top_hints"])
    for r in rows:
        writer.writerow([r["id"], r["students"], f"{r['pass_rate']:.4f}",
                         f"{r['mean_score']:.4f}", f"{r['points']:g}",
                         " | ".join(f"{t} (x{n})" for t, n in r["hints"])])
    return atomic_write_text(path, buf.getvalue())
