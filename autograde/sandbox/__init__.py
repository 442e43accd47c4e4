"""Running student code: a bubblewrap sandbox per student, split by trust level.

- :mod:`.supervisor` — the grader's side: builds the sandbox, sends inputs, reads outputs
  within budgets and deadlines (imported by the engine);
- :mod:`.transport` — the message format, with bounded readers (both sides);
- :mod:`.forkserver`, :mod:`.child`, :mod:`.seccomp`, :mod:`.drivers` — the child side,
  the only code copied into the sandbox (audit these alone).

This package imports nothing from the child side at import time; the names below are the
supervisor's.
"""

from __future__ import annotations

from .supervisor import (
    ALLOWED_DISTRIBUTIONS,
    CHILD_MODULES,
    IsolationError,
    Outcome,
    Sandbox,
    Task,
    bwrap_available,
    child_env,
    copy_submission,
)

__all__ = ["ALLOWED_DISTRIBUTIONS", "CHILD_MODULES", "IsolationError", "Outcome", "Sandbox",
           "Task", "bwrap_available", "child_env", "copy_submission"]
