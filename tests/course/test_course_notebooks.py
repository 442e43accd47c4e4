"""Every solution notebook executes top to bottom on the synthetic data set (nbclient; the
sessions of the nbgrader course are checked in the copies nbgrader executed)."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from autograde.release import notebook_json, read_percent

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[2]
SESSIONS = range(1, 7)


@pytest.fixture(scope="module")
def notebook_env(tmp_path_factory):
    """Environment of the kernels: quick training, a private cache and runs folder."""
    base = tmp_path_factory.mktemp("notebooks")
    env = {
        "MACHINEHEARING_QUICK": "1",
        "MACHINEHEARING_CACHE": str(base / "cache"),
        "MACHINEHEARING_RUNS": str(base / "runs"),
        "MPLBACKEND": "Agg",
    }
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    yield base
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _execute(session: int, folder: Path):
    """Run the solution notebook of ``session`` in ``folder`` next to its module."""
    source = ROOT / "solutions" / "notebooks" / f"session{session}.py"
    cells = read_percent(source.read_text(encoding="utf-8"), filename=str(source))
    path = folder / f"session{session}.ipynb"
    path.write_text(notebook_json(cells, student=False), encoding="utf-8")
    shutil.copy(ROOT / "solutions" / f"session{session}.py", folder)
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}}).execute()
    print(f"session{session}.ipynb executed in {time.perf_counter() - start:.1f} s")
    return notebook


@pytest.mark.slow
@pytest.mark.parametrize("session", SESSIONS)
def test_solution_notebook_executes(session, nbgrader_sessions, request, tmp_path):
    if session in nbgrader_sessions:
        # nbgrader already ran the solution notebook (the full submission) top to bottom
        course = request.getfixturevalue("nbgrader_course")
        notebook = nbformat.read(course.autograded("full", session), as_version=4)
    else:
        request.getfixturevalue("notebook_env")
        notebook = _execute(session, tmp_path)
    assert len(notebook.cells) > 3 and all(
        c.get("execution_count") for c in notebook.cells if c.cell_type == "code")
    outputs = json.dumps([c.get("outputs", []) for c in notebook.cells])
    assert '"output_type": "error"' not in outputs


def test_student_notebooks_are_valid_nbformat():
    for session in SESSIONS:
        notebook = nbformat.read(ROOT / "exercises" / f"session{session}.ipynb", as_version=4)
        nbformat.validate(notebook)
        text = json.dumps(notebook)
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
        graded = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert graded, f"session{session}.ipynb has no graded cell"
