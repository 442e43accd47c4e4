"""Every solution notebook executes top to bottom on the synthetic data set (nbclient; the
sessions of the nbgrader course are checked in the copies nbgrader executed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parents[2]
SESSIONS = range(1, 7)


@pytest.mark.slow
@pytest.mark.parametrize("session", SESSIONS)
def test_solution_notebook_executes(session, course_runs):
    notebook, seconds = course_runs.solution_notebook(session)
    if seconds is not None:
        print(f"session{session}.ipynb executed in {seconds:.1f} s")
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert len(code) > 3 and all(c.get("execution_count") for c in code)
    outputs = json.dumps([c.get("outputs", []) for c in code])
    assert '"output_type": "error"' not in outputs


def test_student_notebooks_are_valid_nbformat():
    for session in SESSIONS:
        notebook = nbformat.read(ROOT / "exercises" / f"session{session}.ipynb", as_version=4)
        nbformat.validate(notebook)
        text = json.dumps(notebook)
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
        graded = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert graded, f"session{session}.ipynb has no graded cell"
