"""The module grader discriminates: the model solutions score 100 %, the released stubs 0."""

from __future__ import annotations

import pytest

from autograde.exercises import SESSIONS, exercises, get, points

#: graded function/class names per session, as the course promises them
GRADED = {
    1: {"hann_window", "magnitude_spectrum", "frame_signal", "stft", "power_to_db"},
    2: {"hz_to_mel", "mel_to_hz", "mel_filterbank", "melspectrogram", "mfcc", "delta",
        "to_image", "stack_features"},
    3: {"crop_or_pad", "fold_split", "BasicBlock", "ResNet18"},
    4: {"train_one_epoch", "evaluate"},
    5: {"make_input", "spec_augment", "mixup"},
    6: {"accuracy", "confusion_matrix", "precision_recall_f1", "per_class_accuracy",
        "category_accuracy", "mcnemar"},
}


@pytest.mark.parametrize("session", SESSIONS)
def test_every_graded_function_is_declared_with_public_and_hidden_cases(session):
    declared = exercises(session)
    assert {e.target for e in declared} == GRADED[session]
    for exercise in declared:
        assert exercise.session == session and exercise.id.startswith(f"{session}.")
        assert exercise.public is not None and exercise.hidden is not None
        assert exercise.hints, f"{exercise.id} has no hint"
        assert exercise.forbidden, f"{exercise.id} declares no forbidden shortcut"


def test_exercise_lookup_and_points():
    assert get("2.5-mfcc").target == "mfcc"
    with pytest.raises(KeyError, match="known"):
        get("9.9-nothing")
    assert points() == sum(points(s) for s in SESSIONS) > 0


@pytest.mark.slow
def test_solutions_score_full_marks(course_grades):
    result = course_grades["solutions"]
    report = {e.id: (e.score, e.points, e.status, e.message) for e in result.exercises}
    assert [e.id for e in result.exercises] == [e.id for e in exercises()]
    assert all(e.status == "passed" for e in result.exercises), report
    assert result.score == pytest.approx(points())


@pytest.mark.slow
def test_stubs_score_zero_and_say_not_implemented(course_grades):
    result = course_grades["exercises"]
    report = {e.id: (e.score, e.points, e.status, e.message) for e in result.exercises}
    assert result.score == 0.0, report
    assert all(e.status in ("not implemented", "failed") for e in result.exercises), report


@pytest.mark.slow
def test_procedures_report_the_reduced_cpu_mode(course_grades):
    modes = {e.id: e.mode for e in course_grades["solutions"].exercises}
    assert {i for i, m in modes.items() if m} == {e.id for e in exercises() if e.kind ==
                                                  "procedure"}
    assert set(modes.values()) == {"", "reduced (cpu)"}
