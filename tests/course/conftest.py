"""Shared fixtures of the course tests, each built once per test session.

``course_grades``
    The solutions and the released stubs, graded by the module grader.
``course_runs``
    Every notebook execution of the course tests: a real nbgrader course in which the
    sessions of ``NBGRADER_SESSIONS`` are generated and autograded (a full and an untouched
    submission each), and the other solution notebooks run with nbclient. They run two at a
    time, each kernel on one thread (two cores; measured: about half the wall time of one at
    a time); nbgrader's full submissions are the solution notebooks of their sessions, so
    those are checked in the copies nbgrader executed rather than run twice.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SESSIONS = tuple(range(1, 7))
#: the fastest sessions with every kind of cell (answers, tests, written questions)
NBGRADER_SESSIONS = (1, 6)


@pytest.fixture(scope="session")
def course_grades():
    """``{"solutions": SubmissionResult, "exercises": SubmissionResult}`` (CPU checks).

    The public references are computed once and shared by both.
    """
    from autograde.engine import grade_submission

    return {which: grade_submission(ROOT / which, device="cpu", name=f"test-{which}",
                                    secret="course-tests-secret")
            for which in ("solutions", "exercises")}


@dataclass
class CourseRuns:
    """Futures of the nbgrader course and of the executed solution notebooks."""

    nbgrader: Future
    notebooks: dict[int, Future] = field(default_factory=dict)
    #: the sessions autograded in the nbgrader course
    nbgrader_sessions: tuple[int, ...] = NBGRADER_SESSIONS

    def course(self) -> Path:
        """The autograded nbgrader course root (waits for it)."""
        return self.nbgrader.result()

    def solution_notebook(self, session: int) -> tuple[dict, float | None]:
        """The executed solution notebook of ``session`` and its seconds (None: by nbgrader)."""
        if session in self.nbgrader_sessions:
            import nbformat

            path = self.course() / "autograded" / "full" / f"session{session}"
            return nbformat.read(path / f"session{session}.ipynb", as_version=4), None
        return self.notebooks[session].result()


def _environment(base: Path) -> dict[str, str]:
    """Kernels: quick training on the synthetic set, a cache and runs folder of their own,
    one thread each.

    The interpreter's scripts come first on PATH: nbgrader starts ``alembic`` by name, which
    is only found in a virtual environment that was never activated through its PATH.
    """
    path = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    inherited = {k: v for k, v in os.environ.items() if k != "MACHINEHEARING_DATA"}
    return {**inherited, "PATH": path, "MACHINEHEARING_QUICK": "1", "MPLBACKEND": "Agg",
            "MACHINEHEARING_CACHE": str(base / "cache"), "MACHINEHEARING_RUNS": str(base / "runs"),
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _nbgrader(course: Path, env: dict, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def _nbgrader_course(base: Path) -> Path:
    """Release the course, ``generate_assignment``, submit, ``autograde`` (one run each)."""
    from autograde.release import release

    course = base / "course"
    release(ROOT / "solutions", base / "exercises", course=course)
    env = _environment(base)
    assignments = "session[" + "".join(map(str, NBGRADER_SESSIONS)) + "]"  # a glob
    _nbgrader(course, env, "generate_assignment", assignments, "--force")
    for session in NBGRADER_SESSIONS:
        name = f"session{session}"
        full = course / "submitted" / "full" / name
        shutil.copytree(course / "source" / name, full)
        shutil.copy(ROOT / "solutions" / f"{name}.py", full / f"{name}.py")
        shutil.copytree(course / "release" / name, course / "submitted" / "zero" / name)
    _nbgrader(course, env, "autograde", assignments, "--force")
    return course


def _execute(session: int, base: Path) -> tuple[dict, float]:
    """Run the solution notebook of ``session`` next to its module; (notebook, seconds)."""
    import nbclient
    import nbformat

    from autograde.release import notebook_json, read_percent

    folder = base / f"session{session}"
    folder.mkdir()
    source = ROOT / "solutions" / "notebooks" / f"session{session}.py"
    cells = read_percent(source.read_text(encoding="utf-8"), filename=str(source))
    path = folder / f"session{session}.ipynb"
    path.write_text(notebook_json(cells, student=False), encoding="utf-8")
    shutil.copy(ROOT / "solutions" / f"session{session}.py", folder)
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}}
                            ).execute(env=_environment(folder))
    return notebook, time.perf_counter() - start


@pytest.fixture(scope="session")
def course_runs(tmp_path_factory) -> Iterator[CourseRuns]:
    """Start every notebook execution (two at a time); tests wait for what they need."""
    pytest.importorskip("nbgrader")
    pytest.importorskip("nbclient")
    base = tmp_path_factory.mktemp("course-runs")
    (base / "nbgrader").mkdir()
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = CourseRuns(pool.submit(_nbgrader_course, base / "nbgrader"))
        for session in SESSIONS:
            if session not in NBGRADER_SESSIONS:
                runs.notebooks[session] = pool.submit(_execute, session, base)
        yield runs
        pool.shutdown(cancel_futures=True)
