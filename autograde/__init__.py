"""autograde: grade machinehearing course exercises against the library, safely.

Declarations (:mod:`autograde.spec`) say what to check; the engine (:mod:`autograde.engine`)
computes the expected outputs with the reference in the grader's process and runs the
student's code in a sandboxed child (:mod:`autograde.sandbox`).

Student side: ``python -m autograde check [SESSION]`` or, in a notebook,
``autograde.check("2.5-mfcc")``. Instructor side: ``python -m autograde grade`` and
``python -m autograde stats``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["check", "grade_submission", "Exercise", "Case", "Hint"]

if TYPE_CHECKING:  # pragma: no cover
    from .engine import check, grade_submission
    from .spec import Case, Exercise, Hint

_LAZY = {"check": ".engine", "grade_submission": ".engine", "Exercise": ".spec",
         "Case": ".spec", "Hint": ".spec"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'autograde' has no attribute {name!r}")
