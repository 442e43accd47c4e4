"""Feedback for students: a text table and "yours vs reference vs difference" figures.

Figures are drawn only from public cases: hidden inputs and expected values never leave
the grader.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from machinehearing._io import atomic_path

from .model import ExerciseResult, FigureValues, SubmissionResult, as_numeric, plain_array

__all__ = ["format_table", "format_exercise", "comparison_figure", "figure_pairs",
           "save_figures", "terminal_safe"]

_MARK = {"passed": "ok", "partial": "partial"}


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """``text`` without control characters (no terminal escape sequence gets through).

    Examples
    --------
    >>> terminal_safe("ok\x1b[2J done")
    'ok[2J done'
    """
    return _CONTROL.sub("", text)


def _short(text: str | None, width: int) -> str:
    text = terminal_safe(" ".join((text or "").split()))
    return text if len(text) <= width else text[: width - 3] + "..."


def format_exercise(result: ExerciseResult) -> str:
    """Multi-line feedback for one exercise (message, hint, case summary).

    Examples
    --------
    >>> r = ExerciseResult(id="9.1-double", session=9, name="double", points=1.0, score=0.0,
    ...                    status="failed", message="case 1: wrong shape", hint="Use 2 * x.")
    >>> print(format_exercise(r))
    9.1-double  double  0/1  failed
      case 1: wrong shape
      hint: Use 2 * x.
    """
    lines = [f"{result.id}  {result.name}  {result.score:g}/{result.points:g}  {result.status}"
             + (f"  [{result.mode}]" if result.mode else "")]
    if result.message:
        lines.append(f"  {terminal_safe(result.message)}")
    if result.hint:
        lines.append(f"  hint: {terminal_safe(result.hint)}")
    return "\n".join(lines)


def format_table(result: SubmissionResult, *, width: int = 60) -> str:
    """A table: exercise, points, status, first hint (or message); then the total.

    Examples
    --------
    >>> r = ExerciseResult(id="9.1-double", session=9, name="double", points=1.0, score=1.0,
    ...                    status="passed")
    >>> print(format_table(SubmissionResult("me", [r])).splitlines()[2])
    9.1-double  1/1     ok
    """
    rows = [("exercise", "points", "status", "hint / message")]
    for e in result.exercises:
        rows.append((e.id, f"{e.score:g}/{e.points:g}", _MARK.get(e.status, e.status),
                     _short(e.hint or e.message, width)))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3]
             for r in rows]
    lines.insert(1, "-" * min(120, max(len(line) for line in lines)))
    lines = [line.rstrip() for line in lines]
    lines.append(f"total: {result.score:g}/{result.max_score:g}")
    if any(e.public_only for e in result.exercises):
        lines.append("(public cases only; hidden cases are graded when you submit)")
    details = [format_exercise(e) for e in result.exercises if e.status != "passed"
               and (e.message or e.hint)]
    if details and len(result.exercises) == 1:
        lines += ["", *details]
    return "\n".join(lines)


def _as_image(x: np.ndarray) -> np.ndarray:
    x = np.abs(x) if np.iscomplexobj(x) else x.astype(float)
    while x.ndim > 2:
        x = x[0]
    return x


def comparison_figure(yours: np.ndarray, reference: np.ndarray, *, title: str = ""):
    """A matplotlib Figure with yours, the reference and (same shapes) their difference.

    1-D arrays are drawn as lines, 2-D and higher (first slice) as images; complex values
    as magnitudes.

    Examples
    --------
    >>> import numpy as np
    >>> fig = comparison_figure(np.ones(8), np.arange(8.0), title="demo")
    >>> len(fig.axes)
    3
    """
    from matplotlib.figure import Figure

    yours, reference = _as_image(np.asarray(yours)), _as_image(np.asarray(reference))
    same = yours.shape == reference.shape
    panels = [("yours", yours), ("reference", reference)]
    if same:
        panels.append(("difference (yours - reference)", yours - reference))
    fig = Figure(figsize=(4 * len(panels), 3), layout="constrained")
    for i, (label, data) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1)
        if data.ndim == 1:
            ax.plot(data, lw=1)
        elif data.ndim == 2:
            image = ax.imshow(data, aspect="auto", origin="lower", interpolation="nearest",
                              cmap="coolwarm" if label.startswith("diff") else "viridis")
            fig.colorbar(image, ax=ax)
        else:
            ax.text(0.5, 0.5, f"value {float(data):.4g}", ha="center", transform=ax.transAxes)
        ax.set_title(f"{label} {data.shape}", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def _is_array(value: object) -> bool:
    arr = as_numeric(value)
    return arr is not None and arr.ndim >= 1 and arr.size > 1


def figure_pairs(values: Sequence[FigureValues]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(yours, reference) array pairs among the public cases' values.

    Examples
    --------
    >>> pairs = figure_pairs([FigureValues(np.ones(3), np.zeros(3), False),
    ...                       FigureValues(1.0, 2.0, False)])
    >>> len(pairs), pairs[0][0].shape
    (1, (3,))
    """
    pairs = []
    for v in values:
        if _is_array(v.student) and _is_array(plain_array(v.expected)):
            pairs.append((as_numeric(v.student), plain_array(v.expected)))
    return pairs


def save_figures(results: Sequence[ExerciseResult],
                 values: Mapping[str, Sequence[FigureValues]], folder: Path, *,
                 only_failed: bool = True) -> list[Path]:
    """Save ``<id>.png`` for exercises with array outputs (first public case), atomically.

    ``values`` maps an exercise id to its public cases' values (from
    :func:`autograde.engine.score`). Sets ``result.figure`` to the file name. Returns the
    paths written.
    """
    written = []
    for result in results:
        if only_failed and result.status == "passed":
            continue
        pairs = figure_pairs(values.get(result.id, ()))
        if not pairs:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        fig = comparison_figure(*pairs[0], title=f"{result.id}: {result.status}")
        path = folder / f"{result.id}.png"
        with atomic_path(path, suffix=".png") as tmp:
            fig.savefig(tmp, format="png", dpi=80)
        result.figure = f"feedback/{path.name}"
        written.append(path)
    return written
