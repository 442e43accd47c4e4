"""pytest plugin: ``pytest autograde --submission PATH`` makes each exercise a pytest item.

For GitHub Classroom-style runners that expect pytest. The same engine grades the
submission once (all sessions, public and hidden cases) on the first item; every item then
passes when its exercise earned all its points and fails with the feedback otherwise.
"""

from __future__ import annotations

from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("autograde", "grade a submission with the autograder")
    group.addoption("--submission", default=None, metavar="PATH",
                    help="submission directory with sessionN.py modules")
    group.addoption("--exercises", default="autograde.exercises", metavar="PACKAGE",
                    help="package with the exercise declarations")
    group.addoption("--grade-device", default="auto", choices=("auto", "cpu", "cuda"),
                    help="device of module/procedure checks")
    group.addoption("--public-only", action="store_true", help="run only the public cases")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "exercise_session(n): exercise of course session n")


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if (parent.config.getoption("submission") and file_path.name == "conftest.py"
            and file_path.resolve().parent == _HERE):
        return SubmissionFile.from_parent(parent, path=file_path)
    return None


class ExerciseFailed(Exception):
    """An exercise did not earn all its points."""


class SubmissionFile(pytest.File):
    """Collects one item per declared exercise."""

    def collect(self):
        from autograde.engine import load_exercises

        self.exercises = load_exercises(self.config.getoption("exercises"))
        for exercise in self.exercises:
            yield ExerciseItem.from_parent(self, name=exercise.id, exercise=exercise)

    def results(self) -> dict:
        cached = getattr(self, "_results", None)
        if cached is None:
            from autograde.engine import grade_submission

            result = grade_submission(
                self.config.getoption("submission"), exercises=self.exercises,
                device=self.config.getoption("grade_device"),
                public_only=self.config.getoption("public_only"))
            cached = self._results = {e.id: e for e in result.exercises}
        return cached


class ExerciseItem(pytest.Item):
    """One exercise; passes when it earned all its points."""

    def __init__(self, *, exercise, **kwargs):
        super().__init__(**kwargs)
        self.exercise = exercise
        self.add_marker(pytest.mark.exercise_session(exercise.session))

    def runtest(self) -> None:
        from autograde.feedback import format_exercise

        result = self.parent.results()[self.exercise.id]
        self.user_properties.append(("score", result.score))
        self.user_properties.append(("max_score", result.points))
        if not result.passed:
            raise ExerciseFailed(format_exercise(result))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ExerciseFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"{self.exercise.id} ({self.exercise.points:g} points)"
