"""The machinehearing course's graded exercises, one declaration module per session.

``sessionN.py`` defines ``EXERCISES: list[Exercise]`` (see :mod:`autograde.spec`); the
engine collects them with :func:`autograde.engine.load_exercises`. Each declaration names
the student's function, the reference in :mod:`machinehearing` that computes the expected
output in the grader's process, public and hidden input generators, a comparator with its
tolerances, hints for the mistakes students actually make, and the shortcuts that are
forbidden (calling the library function the exercise rebuilds).

This module holds the few helpers the declarations share: signal generators, a
scale-aware tolerance, and hint predicates that look at one item of a tuple result.

Examples
--------
>>> from autograde.exercises import exercises
>>> [e.id for e in exercises(1)][:2]
['1.1-hann-window', '1.2-magnitude-spectrum']
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np

from ..compare import allclose
from ..spec import Case, Comparator, Exercise, Verdict, as_numeric, plain_array

__all__ = [
    "SESSIONS",
    "exercises",
    "get",
    "points",
    "signal",
    "close_to_scale",
    "matches",
    "part",
    "numeric",
]

#: the course's sessions, one declaration module each
SESSIONS = (1, 2, 3, 4, 5, 6)


def exercises(session: int | None = None) -> list[Exercise]:
    """The declared exercises of one session (or of all sessions), in declaration order.

    Examples
    --------
    >>> len(exercises()) == sum(len(exercises(s)) for s in SESSIONS)
    True
    """
    sessions = SESSIONS if session is None else (session,)
    found: list[Exercise] = []
    for number in sessions:
        module = importlib.import_module(f"{__name__}.session{number}")
        found.extend(module.EXERCISES)
    return found


def get(exercise_id: str) -> Exercise:
    """The exercise with this id (``"2.5-mfcc"``); KeyError listing the ids otherwise.

    Examples
    --------
    >>> get("2.5-mfcc").target
    'mfcc'
    """
    for exercise in exercises():
        if exercise.id == exercise_id:
            return exercise
    known = ", ".join(e.id for e in exercises())
    raise KeyError(f"no exercise {exercise_id!r}; known: {known}")


def points(session: int | None = None) -> float:
    """Total points of a session (or of the course).

    Examples
    --------
    >>> points() == sum(points(s) for s in SESSIONS)
    True
    """
    return float(sum(e.points for e in exercises(session)))


def signal(
    rng: np.random.Generator, *, sr: int, seconds: float, dtype: type = np.float64
) -> np.ndarray:
    """A test signal: two random tones, a chirp-like sweep, noise and a silent gap.

    Examples
    --------
    >>> y = signal(np.random.default_rng(0), sr=8000, seconds=0.5)
    >>> y.shape, bool(np.all(np.isfinite(y)))
    ((4000,), True)
    """
    n = int(round(sr * seconds))
    t = np.arange(n) / sr
    f1, f2 = rng.uniform(80.0, sr / 4, size=2)
    y = 0.5 * np.sin(2 * np.pi * f1 * t) + 0.3 * np.sin(2 * np.pi * f2 * t + rng.uniform(0, 6))
    y += 0.2 * np.sin(2 * np.pi * (100.0 + 0.2 * sr * t / max(seconds, 1e-9)) * t)
    y += 0.05 * rng.standard_normal(n)
    gap = int(rng.integers(0, max(1, n // 4)))
    y[gap : gap + n // 10] = 0.0
    return y.astype(dtype)


def close_to_scale(rtol: float = 1e-4, floor: float = 1e-6) -> Comparator:
    """:func:`~autograde.spec.allclose` whose ``atol`` is ``floor`` times the reference's scale.

    Spectrogram values span many orders of magnitude and their scale depends on the input:
    an absolute tolerance is either too strict for loud signals or too loose for quiet ones.

    Examples
    --------
    >>> cmp = close_to_scale(rtol=1e-4, floor=1e-6)
    >>> cmp(np.array([1e6, 1e-3]), np.array([1e6, 0.0]), Case()).passed
    True
    """

    def compare(student: Any, expected: Any, case: Case) -> Verdict:
        leaves = expected if isinstance(expected, tuple | list) else (expected,)
        scale = max((float(np.max(np.abs(plain_array(e)), initial=0.0)) for e in leaves),
                    default=0.0)
        return allclose(rtol=rtol, atol=floor * max(scale, 1e-30))(student, expected, case)

    return compare


def matches(mistake: Callable[..., Any], *, rtol: float = 1e-4, floor: float = 1e-6) -> Callable:
    """Hint predicate: the student's output equals ``mistake(*case.args, **case.kwargs)``.

    Like :func:`autograde.hints.same_as`, for tuple results too and with a scale-aware
    tolerance (:func:`close_to_scale`).

    Examples
    --------
    >>> when = matches(lambda x: (x, 2 * x))
    >>> when((np.ones(2), 2 * np.ones(2)), None, Case(args=(np.ones(2),)))
    True
    """
    compare = close_to_scale(rtol=rtol, floor=floor)

    def when(student: Any, expected: Any, case: Case) -> bool:
        wrong = mistake(*case.args, **dict(case.kwargs))
        return compare(student, wrong, case).passed

    return when


def part(index: int, predicate: Callable[[Any, Any, Case], bool]) -> Callable:
    """A hint predicate applied to item ``index`` of a tuple result (student and expected).

    Examples
    --------
    >>> from autograde.spec import hints
    >>> when = part(1, hints.scaled_by(2.0))
    >>> when((np.ones(2), 2 * np.ones(2)), (np.ones(2), np.ones(2)), Case())
    True
    """

    def when(student: Any, expected: Any, case: Case) -> bool:
        if not isinstance(student, tuple | list) or len(student) <= index:
            return False
        return bool(predicate(student[index], expected[index], case))

    return when


def numeric(value: Any) -> np.ndarray | None:
    """Decoded student data as a float array (None when not numeric); for comparators."""
    arr = as_numeric(value)
    return None if arr is None else arr.astype(np.float64)
