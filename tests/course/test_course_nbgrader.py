"""A real nbgrader run: generate the assignment, autograde a full and an untouched submission.

The course is built once per test session by the ``course_runs`` fixture (conftest.py).
"""

from __future__ import annotations

import pytest

pytest.importorskip("nbgrader")


@pytest.mark.slow
def test_release_notebook_has_no_solutions_and_module_is_the_stub(course_runs):
    for session in course_runs.nbgrader_sessions:
        released = course_runs.course() / "release" / f"session{session}"
        notebook = (released / f"session{session}.ipynb").read_text()
        assert "BEGIN SOLUTION" not in notebook and "YOUR CODE HERE" in notebook, session
        module = (released / f"session{session}.py").read_text()
        assert "### BEGIN SOLUTION" not in module, session
        assert "raise NotImplementedError(" in module, session


@pytest.mark.slow
def test_full_submission_gets_every_autograded_point_and_untouched_gets_none(course_runs):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course_runs.course() / 'gradebook.db'}") as gradebook:
        for session in course_runs.nbgrader_sessions:
            full = gradebook.find_submission(f"session{session}", "full")
            zero = gradebook.find_submission(f"session{session}", "zero")
            assert full.max_code_score > 0, session
            assert full.code_score == pytest.approx(full.max_code_score), session
            assert zero.code_score == 0.0, session


@pytest.mark.slow
def test_autograde_keeps_the_students_module(course_runs):
    # exclude_overwriting: the graded module is the student's, not the source stub
    session = course_runs.nbgrader_sessions[0]
    folder = course_runs.course() / "autograded" / "full" / f"session{session}"
    graded = (folder / f"session{session}.py").read_text()
    assert "### BEGIN SOLUTION" in graded
