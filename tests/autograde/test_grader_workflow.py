"""Instructor and student workflows: exports, resume, stats, CLI, pytest plugin, torch kinds."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autograde.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
SUBMISSIONS = FIXTURES / "submissions"
PACKAGE = "grader_fixture_exercises.session9"
ROOT = Path(__file__).resolve().parents[2]
SECRET = "workflow-secret"


@pytest.fixture
def secret(monkeypatch):
    """The course secret, in the environment as an instructor's grading job has it."""
    monkeypatch.setenv("AUTOGRADE_SECRET", SECRET)
    return SECRET


@pytest.fixture
def class_root(tmp_path):
    root = tmp_path / "submissions"
    root.mkdir()
    for name in ("correct", "stub", "symmetric_hann"):
        os.symlink(SUBMISSIONS / name, root / name)
    return root


def test_grade_writes_gradescope_csv_junit_and_resumes(class_root, tmp_path, capsys, secret):
    out = tmp_path / "out"
    args = ["grade", str(class_root), "--out", str(out), "--exercises", PACKAGE,
            "--import-timeout", "10"]
    assert main(args) == 0
    data = json.loads((out / "correct" / "results.json").read_text())
    assert set(data) >= {"score", "execution_time", "output", "output_format", "visibility",
                         "stdout_visibility", "tests"}
    test = data["tests"][0]
    assert set(test) >= {"name", "number", "score", "max_score", "status", "output",
                         "output_format", "visibility", "tags"}
    assert [t["visibility"] for t in data["tests"][:2]] == ["visible", "after_published"]
    assert test["output_format"] == "md" and test["tags"][0] == "session9"
    assert sum(t["max_score"] for t in data["tests"]) == pytest.approx(3.0)
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert {r["student"]: r["total"] for r in rows} == {"correct": "3", "stub": "0",
                                                        "symmetric_hann": "2"}
    suites = ET.parse(out / "junit.xml").getroot()
    assert {s.get("name"): s.get("failures") for s in suites} == {
        "correct": "0", "stub": "3", "symmetric_hann": "1"}
    # resume: nothing re-graded; a forged results file is re-graded; --force re-grades all
    capsys.readouterr()
    assert main(args) == 0
    assert "graded 0 submission(s)" in capsys.readouterr().out
    forged = out / "stub" / "results.json"
    fake = json.loads(forged.read_text())
    fake["score"] = 3.0
    fake["extra_data"]["exercises"][0]["score"] = 1.0
    forged.write_text(json.dumps(fake))
    assert main(args) == 0
    assert "graded 1 submission(s)" in capsys.readouterr().out
    assert json.loads(forged.read_text())["score"] == 0.0
    assert main([*args, "--force", "--shard", "1/2", "--jobs", "2", "--no-figures"]) == 0
    assert "graded 2 submission(s)" in capsys.readouterr().out
    # class analytics
    assert main(["stats", str(out), "--exercises", PACKAGE]) == 0
    printed = capsys.readouterr().out
    assert "Periodic window: divide by n, not n - 1. (x1)" in printed
    assert (out / "stats.png").stat().st_size > 1000
    stats = list(csv.DictReader((out / "stats.csv").open()))
    assert [(r["exercise"], r["pass_rate"]) for r in stats] == [
        ("9.1-hann", "0.3333"), ("9.2-power", "0.6667"), ("9.3-frames", "0.6667")]


def test_check_prints_table_and_exits_zero_when_failing(capsys):
    status = main(["check", "9", "--path", str(SUBMISSIONS / "symmetric_hann"),
                   "--exercises", PACKAGE])
    printed = capsys.readouterr().out
    assert status == 0
    assert "9.1-hann" in printed and "Periodic window" in printed
    assert "total: 2/3" in printed and "public cases only" in printed


def test_check_one_exercise_returns_its_result(capsys):
    from autograde import check

    result = check("9.3-frames", path=SUBMISSIONS / "transposed_frames", package=PACKAGE)
    assert result.id == "9.3-frames" and result.score == 0.0
    assert "hint: Frames are columns" in capsys.readouterr().out


def test_machinehearing_check_hands_over_to_autograde(capsys):
    from machinehearing.cli import main as mh_main

    assert mh_main(["check", "9.2-power", "--path", str(SUBMISSIONS / "correct"),
                    "--exercises", PACKAGE]) == 0
    assert "total: 1/1" in capsys.readouterr().out


def test_release_is_dispatched_to_the_course_module(monkeypatch):
    import types

    calls = []
    fake = types.ModuleType("autograde.release")
    fake.main = lambda argv: calls.append(argv) or 0
    monkeypatch.setitem(sys.modules, "autograde.release", fake)
    assert main(["release", "--check"]) == 0
    assert calls == [["--check"]]


def test_pytest_plugin_exposes_each_exercise_as_an_item(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(FIXTURES), "AUTOGRADE_SECRET": SECRET}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "autograde", "-p", "no:cacheprovider", "-q",
         "--submission", str(SUBMISSIONS / "transposed_frames"), "--exercises", PACKAGE],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert "1 failed, 2 passed" in run.stdout, run.stdout + run.stderr
    assert "Frames are columns" in run.stdout


@pytest.mark.parametrize(("name", "score", "message"), [
    ("torch_correct", 3.0, ""),
    ("torch_wrong", 0.0, 'Missing key(s) in state_dict: "conv.weight"'),
])
def test_module_and_procedure_exercises(name, score, message):
    from autograde.engine import grade_submission, load_exercises

    result = grade_submission(SUBMISSIONS / name, exercises=load_exercises(
        "grader_fixture_exercises"), which=8, device="cpu", secret=SECRET)
    assert result.score == pytest.approx(score)
    assert message in result.exercises[0].message
    assert result.exercises[1].mode == "reduced (cpu)"


def test_grade_refuses_without_a_secret(class_root, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("AUTOGRADE_SECRET", raising=False)
    assert main(["grade", str(class_root), "--out", str(tmp_path / "out"),
                 "--exercises", PACKAGE]) == 2
    assert "needs the course secret" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    key = tmp_path / "secret.txt"
    key.write_text(SECRET + "\n")
    assert main(["grade", str(class_root), "--out", str(tmp_path / "out"), "--exercises",
                 PACKAGE, "--secret-file", str(key), "--no-figures"]) == 0
    from autograde.exports import read_results

    assert read_results(tmp_path / "out" / "correct" / "results.json",
                        secret=SECRET)["score"] == 3.0


def test_grade_refuses_without_bubblewrap_unless_insecure(class_root, tmp_path, monkeypatch,
                                                          capsys, secret):
    from autograde.sandbox import supervisor

    monkeypatch.setattr(supervisor, "bwrap_available", lambda: "bubblewrap is not installed")
    monkeypatch.setattr("autograde.engine.bwrap_available", supervisor.bwrap_available)
    args = ["grade", str(class_root), "--out", str(tmp_path / "out"), "--exercises", PACKAGE,
            "--no-figures"]
    assert main(args) == 2
    assert "bubblewrap is not installed" in capsys.readouterr().err
    assert main([*args, "--insecure"]) == 0
    data = json.loads((tmp_path / "out" / "correct" / "results.json").read_text())
    assert data["extra_data"]["isolation"] == "none" and "isolation: none" in data["output"]


def test_ci_example_builds_its_shard_matrix_from_the_input(tmp_path):
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load((ROOT / "autograde" / "ci" / "grade.yml").read_text())
    grade = workflow["jobs"]["grade"]
    assert grade["strategy"]["matrix"]["shard"] == "${{ fromJSON(needs.plan.outputs.shards) }}"
    script = workflow["jobs"]["plan"]["steps"][0]["run"]
    for shards in (1, 4):  # the plan step's script, run as the runner would
        output = tmp_path / f"output{shards}"
        run = subprocess.run(["bash", "-c", script.replace("${{ inputs.shards }}", str(shards))],
                             env={**os.environ, "GITHUB_OUTPUT": str(output)},
                             capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        line = output.read_text().strip()
        assert json.loads(line.split("=", 1)[1]) == list(range(1, shards + 1))
    assert "bubblewrap" in grade["steps"][1]["run"]
