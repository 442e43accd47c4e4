"""The ``export`` and ``similarity`` subcommands of ``python -m autograde``."""

from __future__ import annotations

from test_lms_export import _grading_out, _write
from test_similarity import ANA, CAI, MARK, ROOT, STUB

from autograde.cli import main


def test_export_command_writes_the_file_and_lists_missing_students(tmp_path, capsys):
    out = _grading_out(tmp_path / "out", [("alice", 9, 10)])
    roster = _write(tmp_path / "roster.csv", "submission,Username\nalice,alice\nbob,bob\n")
    target = tmp_path / "bs.csv"
    assert (
        main(
            [
                "export",
                str(out),
                "--lms",
                "brightspace",
                "--roster",
                str(roster),
                "--item",
                "Session 1",
                "--out",
                str(target),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert f"wrote 2 grade(s) to {target}" in printed
    assert "1 roster student(s) without a submission got 0: bob" in printed
    assert target.read_text().splitlines()[2] == "#bob,0,#"
    assert main(["export", str(out), "--lms", "moodle", "--roster", str(roster)]) == 2
    assert "needs a column 'ID number' or 'Email address'" in capsys.readouterr().err


def test_similarity_command_writes_the_report_and_prints_the_ranking(tmp_path, capsys):
    subs = tmp_path / "subs"
    for name, body in (("ana", ANA), ("cai", CAI)):
        (subs / name).mkdir(parents=True)
        (subs / name / "session1.py").write_text(STUB.replace(MARK, body.lstrip("\n")))
    out = tmp_path / "report"
    assert (
        main(
            [
                "similarity",
                str(subs),
                "--out",
                str(out),
                "--stubs",
                str(ROOT / "exercises"),
                "--solutions",
                str(ROOT / "solutions"),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert printed.splitlines()[1].split() == [
        "100%",
        "31",
        "ana/session1.py",
        "<->",
        "cai/session1.py",
    ]
    assert (out / "index.html").is_file() and f"report: {out / 'index.html'}" in printed
    assert main(["similarity", str(subs), "--out", str(out), "--threshold", "2"]) == 2
    assert "threshold must be in (0, 1]" in capsys.readouterr().err
