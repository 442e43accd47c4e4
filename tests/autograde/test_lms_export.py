"""LMS grade-import files, roster matching and the late policy (autograde.lms, autograde.late).

Each format test reproduces the example of that LMS's documentation: D2L's sample row
(OrgDefinedID 20067930, Username Frank.Catcher, 44 of 50 points), the Canvas gradebook
columns (Student, ID, SIS User ID, SIS Login ID, Section, the assignment) with its Points
Possible row, and Moodle's CSV import mapped by e-mail address or ID number (the users of
Moodle's own grade_import.feature).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone

import pytest

from autograde import lms
from autograde.late import (
    LatePolicy,
    LatePolicyError,
    add_late_columns,
    class_lateness,
    lateness,
    load_policy,
    submission_time,
)

UTC = timezone.utc
DEADLINE = datetime(2026, 3, 6, 23, 59, tzinfo=UTC)


def _grading_out(path, rows, *, results=True):
    """A grading output directory: grades.csv as ``grade`` writes it, one dir per student."""
    lines = ["student,1.1-hann,2.1-mel,total,max_score"]
    for name, total, maximum in rows:
        lines.append(f"{name},,,{total},{maximum}")
        if results:
            (path / name).mkdir(parents=True)
            (path / name / "results.json").write_text("{}")
    (path / "grades.csv").write_text("\n".join(lines) + "\n")
    return path


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_brightspace_export_matches_the_d2l_sample(tmp_path):
    out = _grading_out(tmp_path / "out", [("frank", 44, 50)])
    roster = _write(
        tmp_path / "roster.csv", "submission,OrgDefinedId,Username\nfrank,20067930,Frank.Catcher\n"
    )
    result = lms.export(out, "brightspace", roster, item="Assignment 1")
    assert result.text == (
        "OrgDefinedId,Username,Assignment 1 Points Grade,"
        "End-of-Line Indicator\n#20067930,#Frank.Catcher,44,#\n"
    )
    assert (out / "brightspace-import.csv").read_text() == result.text


def test_brightspace_roster_may_be_brightspace_own_export_matched_by_username(tmp_path):
    out = _grading_out(tmp_path / "out", [("frank.catcher", 7.5, 10)])
    roster = _write(
        tmp_path / "export.csv",
        "OrgDefinedId,Username,Last Name,First Name,End-of-Line Indicator\n"
        "#00246,#frank.catcher,Catcher,Frank,#\n",
    )
    result = lms.export(out, "brightspace", roster, item="Session 2", match="Username")
    assert result.text.splitlines()[1] == "#00246,#frank.catcher,7.5,#"  # leading zeros kept


def test_canvas_export_has_the_gradebook_columns_and_points_possible(tmp_path):
    out = _grading_out(tmp_path / "out", [("jdoe", 44, 50)])
    roster = _write(
        tmp_path / "roster.csv",
        "submission,Student,ID,SIS User ID,SIS Login ID,Section\n"
        'jdoe,"Doe, Jane",12345,999,jdoe,Section 1\n',
    )
    result = lms.export(out, "canvas", roster, item="Assignment 1")
    assert result.text == (
        "Student,ID,SIS User ID,SIS Login ID,Section,Assignment 1\n"
        "    Points Possible,,,,,50\n"
        '"Doe, Jane",12345,999,jdoe,Section 1,44\n'
    )


@pytest.mark.parametrize(
    "column, value", [("Email address", "student1@example.com"), ("ID number", "S001")]
)
def test_moodle_export_maps_by_email_or_id_number(tmp_path, column, value):
    out = _grading_out(tmp_path / "out", [("student1", 50, 500)])
    roster = _write(tmp_path / "roster.csv", f"submission,{column}\nstudent1,{value}\n")
    result = lms.export(out, "moodle", roster, item="Manual item 1")
    assert result.text == f"{column},Manual item 1\n{value},50\n"


def test_moodle_prefers_the_id_number_when_the_roster_has_both(tmp_path):
    out = _grading_out(tmp_path / "out", [("s1", 3, 4)])
    roster = _write(tmp_path / "roster.csv", "email,idnumber,submission\ns1@x.org,S1,s1\n")
    assert lms.export(out, "moodle", roster).text == "ID number,Autograder\nS1,3\n"


def test_roster_students_without_submission_get_zero_and_are_listed(tmp_path):
    out = _grading_out(tmp_path / "out", [("alice", 9, 10)])
    roster = _write(tmp_path / "roster.csv", "submission,ID number\nalice,A1\nbob,B2\n")
    result = lms.export(out, "moodle", roster)
    assert result.text.splitlines()[1:] == ["A1,9", "B2,0"]
    assert result.missing == ["bob"]


def test_submissions_without_roster_entry_are_refused_with_their_names(tmp_path):
    out = _grading_out(tmp_path / "out", [("alice", 9, 10), ("mallory", 10, 10), ("eve", 1, 10)])
    roster = _write(tmp_path / "roster.csv", "submission,ID number\nalice,A1\n")
    with pytest.raises(
        lms.ExportError,
        match=r"2 graded submission\(s\) have no roster "
        r"entry: eve, mallory",
    ):
        lms.export(out, "moodle", roster)
    assert not (out / "moodle-import.csv").exists()


def test_a_graded_result_missing_from_grades_csv_stops_the_export(tmp_path):
    out = _grading_out(tmp_path / "out", [("alice", 9, 10)])
    (out / "forged").mkdir()
    (out / "forged" / "results.json").write_text("{}")
    roster = _write(tmp_path / "roster.csv", "submission,ID number\nalice,A1\nforged,F\n")
    with pytest.raises(lms.ExportError, match="lacks forged.*re-run grade"):
        lms.export(out, "moodle", roster)


@pytest.mark.parametrize(
    "text, message",
    [
        ("who,ID number\nalice,A1\n", "no 'submission' column"),
        ("submission,Name\nalice,Alice\n", "needs a column 'ID number' or 'Email address'"),
        ("submission,ID number\nalice,A1\nalice,A2\n", "row 3: submission 'alice' appears twice"),
        (
            "submission,ID number\nalice,A1\nbob,A1\n",
            "row 3 \\(bob\\): ID number 'A1' is also on row 2",
        ),
        ("submission,ID number\nalice,\n", "row 2 \\(alice\\): no ID number"),
    ],
)
def test_roster_errors_name_the_file_and_row(tmp_path, text, message):
    roster = _write(tmp_path / "roster.csv", text)
    with pytest.raises(lms.ExportError, match=message) as info:
        lms.read_roster(roster, "moodle")
    assert str(roster) in str(info.value)


def test_missing_grades_csv_says_to_grade_first(tmp_path):
    with pytest.raises(lms.ExportError, match="grades.csv not found: grade first"):
        lms.read_grades(tmp_path)


def test_identities_are_neutralised_against_formula_injection(tmp_path):
    out = _grading_out(tmp_path / "out", [("x", 1, 2)])
    roster = _write(
        tmp_path / "roster.csv",
        'submission,Student,SIS Login ID\nx,"=HYPERLINK(""http://e.vil"")",@x\n',
    )
    row = lms.export(out, "canvas", roster).text.splitlines()[2]
    assert row.startswith('"\'=HYPERLINK(""http://e.vil"")",,,\'@x,')
    assert [lms.safe_cell(c) for c in ("+1", "-1", "\tx", "\rx", "ok")] == [
        "'+1",
        "'-1",
        "'\tx",
        "'\rx",
        "ok",
    ]


# ------------------------------------------------------------------------ late policy
def _policy(**kwargs):
    return LatePolicy(DEADLINE, **{"per_day": 0.1, "cap": 0.3, **kwargs})


@pytest.mark.parametrize(
    "delay, days, penalty",
    [
        (timedelta(minutes=-1), 0, 0.0),
        (timedelta(minutes=10), 0, 0.0),  # within the 15 minutes of grace
        (timedelta(minutes=16), 1, 0.1),  # a started day counts
        (timedelta(days=2, minutes=15), 2, 0.2),
        (timedelta(days=6), 6, 0.3),  # capped
        (timedelta(days=8), 8, 1.0),  # past reject_after_days
    ],
)
def test_lateness_counts_started_days_with_grace_cap_and_rejection(delay, days, penalty):
    policy = _policy(grace_minutes=15, reject_after_days=7)
    late = lateness(policy, "bob", DEADLINE + delay)
    assert (late.days_late, late.penalty) == (days, penalty)


def test_penalty_is_of_the_score_or_of_the_maximum():
    late = lateness(_policy(), "bob", DEADLINE + timedelta(hours=30))  # 2 days: 20 %
    assert _policy().apply(5.0, 10.0, late) == 4.0
    assert _policy(relative_to="max_score").apply(5.0, 10.0, late) == 3.0
    assert (
        _policy(relative_to="max_score", cap=1.0).apply(
            1.0, 10.0, lateness(_policy(cap=1.0), "b", DEADLINE + timedelta(days=5))
        )
        == 0.0
    )


def test_an_extension_moves_one_students_deadline():
    policy = _policy(extensions={"alice": DEADLINE + timedelta(days=3)})
    when = DEADLINE + timedelta(days=2)
    assert lateness(policy, "alice", when).penalty == 0.0
    assert lateness(policy, "bob", when).penalty == 0.2


def test_course_configuration_is_read_and_checked(tmp_path):
    course = _write(
        tmp_path / "course.toml",
        "[late]\ndeadline = 2026-03-06T23:59:00+01:00\nper_day = 0.25\ncap = 0.5\n"
        "[late.extensions]\nalice = 2026-03-09T23:59:00+01:00\n",
    )
    policy = load_policy(course)
    assert policy.per_day == 0.25 and policy.extensions["alice"].day == 9
    assert load_policy(_write(tmp_path / "none.toml", "[other]\nx = 1\n")) is None
    for text, message in [
        ("[late]\nper_day = 0.1\n", "needs a deadline"),
        ("[late]\ndeadline = 2026-03-06T23:59:00\n", "needs a time zone"),
        ("[late]\ndeadline = 2026-03-06T23:59:00Z\nper_day = 2\n", "per_day must be a fraction"),
        (
            "[late]\ndeadline = 2026-03-06T23:59:00Z\npenalty = 1\n",
            "unknown keys in \\[late\\]: penalty",
        ),
        ("[late\n", "cannot read"),
    ]:
        with pytest.raises(LatePolicyError, match=message) as info:
            load_policy(_write(tmp_path / "bad.toml", text))
        assert "bad.toml" in str(info.value)


def test_submission_time_prefers_gradescope_metadata_then_file_times(tmp_path):
    sub = tmp_path / "subs" / "alice"
    sub.mkdir(parents=True)
    stamp = DEADLINE.timestamp() + 3600
    for name in ("session1.py", "session2.py"):
        (sub / name).write_text("x = 1\n")
        os.utime(sub / name, (stamp, stamp - 7200 if name == "session1.py" else stamp))
    assert submission_time(sub) == DEADLINE + timedelta(hours=1)  # the newest file
    _write(
        sub / "submission_metadata.json",
        json.dumps({"created_at": "2026-03-06T14:22:32.365935-07:00", "users": []}),
    )
    assert submission_time(sub) == datetime(2026, 3, 6, 21, 22, 32, 365935, tzinfo=UTC)
    gradescope = tmp_path / "autograder"
    (gradescope / "submission").mkdir(parents=True)
    _write(gradescope / "submission_metadata.json", '{"created_at": "2026-03-07T01:00:00Z"}')
    assert submission_time(gradescope / "submission") == DEADLINE + timedelta(minutes=61)
    _write(sub / "submission_metadata.json", '{"users": []}')
    with pytest.raises(ValueError, match="no created_at field"):
        submission_time(sub)


def test_late_columns_in_grades_csv_and_in_the_export(tmp_path):
    subs = tmp_path / "subs"
    for name, hours in (("alice", -1), ("bob", 30)):
        (subs / name).mkdir(parents=True)
        when = (DEADLINE + timedelta(hours=hours)).isoformat()
        _write(subs / name / "submission_metadata.json", json.dumps({"created_at": when}))
    out = _grading_out(tmp_path / "out", [("alice", 8, 10), ("bob", 8, 10)])
    policy = _policy()
    late = class_lateness(policy, subs)
    text = add_late_columns((out / "grades.csv").read_text(), policy, late)
    assert text.splitlines() == [
        "student,1.1-hann,2.1-mel,total,max_score,submitted_at,days_late,late_penalty,"
        "total_after_late",
        "alice,,,8,10,2026-03-06T22:59:00+00:00,0,0,8",
        "bob,,,8,10,2026-03-08T05:59:00+00:00,2,0.2,6.4",
    ]
    roster = _write(tmp_path / "roster.csv", "submission,ID number\nalice,A\nbob,B\n")
    applied = lms.export(out, "moodle", roster, policy=policy, submissions=subs)
    assert applied.text.splitlines()[1:] == ["A,8", "B,6.4"]
    (out / "grades.csv").write_text(text)  # grades.csv with late columns, no policy given
    assert lms.export(out, "moodle", roster).text == applied.text
    # a policy given again is applied to the raw total, never twice
    assert lms.export(out, "moodle", roster, policy=policy, submissions=subs).text == applied.text
    with pytest.raises(lms.ExportError, match="needs --submissions"):
        lms.export(out, "moodle", roster, policy=policy)
