"""Shared fixtures of the course tests, each built once per test session.

``course_grades``: the solutions and the released stubs graded by the module grader.
``nbgrader_course``: a real nbgrader course in which the sessions of ``NBGRADER_SESSIONS``
were generated and autograded (a full and an untouched submission each); the notebook tests
reuse its executed solution notebooks instead of running them a second time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: the fastest sessions with every kind of cell (answers, tests, written questions); the
#: other notebooks run through the same machinery in test_course_notebooks
NBGRADER_SESSIONS = (1, 6)


@pytest.fixture(scope="session")
def course_grades():
    """``{"solutions": SubmissionResult, "exercises": SubmissionResult}`` (CPU checks).

    Both are graded in one block of fork servers, so the libraries are imported once and
    the public references are computed once.
    """
    from autograde.engine import grade_submission
    from autograde.sandbox import fork_servers

    with fork_servers():
        return {which: grade_submission(ROOT / which, device="cpu", name=f"test-{which}")
                for which in ("solutions", "exercises")}


@pytest.fixture(scope="session")
def nbgrader_sessions() -> tuple[int, ...]:
    """The sessions that ``nbgrader_course`` autogrades."""
    return NBGRADER_SESSIONS


@dataclass(frozen=True)
class NbgraderCourse:
    """An autograded nbgrader course: its root and the sessions it holds."""

    root: Path
    sessions: tuple[int, ...]

    def autograded(self, student: str, session: int) -> Path:
        """The notebook nbgrader executed for ``student`` ("full" or "zero")."""
        return self.root / "autograded" / student / f"session{session}" / f"session{session}.ipynb"


def _nbgrader(course: Path, env: dict, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


@pytest.fixture(scope="session")
def nbgrader_course(tmp_path_factory) -> NbgraderCourse:
    """Release the course, ``generate_assignment``, submit, ``autograde`` (one run each)."""
    pytest.importorskip("nbgrader")
    from autograde.release import release

    base = tmp_path_factory.mktemp("nbgrader")
    course = base / "course"
    release(ROOT / "solutions", base / "exercises", course=course)
    env = {**os.environ, "MACHINEHEARING_QUICK": "1", "MPLBACKEND": "Agg",
           "MACHINEHEARING_CACHE": str(base / "cache"), "MACHINEHEARING_RUNS": str(base / "runs")}
    assignments = "session[" + "".join(map(str, NBGRADER_SESSIONS)) + "]"  # a glob
    _nbgrader(course, env, "generate_assignment", assignments, "--force")
    for session in NBGRADER_SESSIONS:
        name = f"session{session}"
        full = course / "submitted" / "full" / name
        shutil.copytree(course / "source" / name, full)
        shutil.copy(ROOT / "solutions" / f"{name}.py", full / f"{name}.py")
        shutil.copytree(course / "release" / name, course / "submitted" / "zero" / name)
    _nbgrader(course, env, "autograde", assignments, "--force")
    return NbgraderCourse(course, NBGRADER_SESSIONS)
