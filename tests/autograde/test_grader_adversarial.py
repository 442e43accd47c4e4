"""The grader against hostile submissions: each attack, with honest students around it.

Every submission is graded once (``grade_all`` with two jobs, as an instructor would). The
class is laid out so that an honest student (a copy of ``correct``) is graded just before and
just after each submission in alphabetical order; each test then pins the exact score and
the reason reported for the exercise that misbehaves, and that every honest student got full
marks. Points: 9.1-hann 1, 9.2-power 1, 9.3-frames 1 (public share 0.5 each).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SUBMISSIONS = FIXTURES / "submissions"
SECRET = "adversarial-suite-secret"
NOT_THERE = "No module named"
SENT = "outputs where the grader sent"

#: submission -> (total score, {exercise: (score, status, message fragment)})
EXPECTED = {
    # mistakes and crashes
    "correct": (3.0, {"9.1-hann": (1.0, "passed", "")}),
    "stub": (0.0, {"9.1-hann": (0.0, "not implemented", "NotImplementedError at line 2")}),
    "infinite_loop": (2.0, {"9.1-hann": (0.0, "timeout", "timed out after 2 s")}),
    "exit_at_import": (0.0, {"9.2-power": (0.0, "error", "exited with status 0")}),
    "import_error": (0.0, {"9.1-hann": (0.0, "error", "ModuleNotFoundError at line 1")}),
    "segfault": (2.0, {"9.1-hann": (0.0, "crash", "crashed with signal SIGSEGV at line 6")}),
    "allocate_50gb": (2.0, {"9.1-hann": (0.0, "memory", "killed: exceeded 1 GiB")}),
    "nan_output": (2.0, {"9.1-hann": (0.0, "failed", "contains NaN")}),
    "symmetric_hann": (2.0, {"9.1-hann": (0.0, "failed", "differs from the reference")}),
    "transposed_frames": (2.0, {"9.3-frames": (0.0, "failed", "has shape (9, 4)")}),
    # calling a reference instead of implementing it
    "library_alias": (0.0, {"9.1-hann": (0.0, "error", f"{NOT_THERE} 'machinehearing'")}),
    "importlib_string": (2.0, {"9.1-hann": (0.0, "failed", f"{NOT_THERE} 'machinehearing'")}),
    "grader_references": (0.0, {"9.1-hann": (0.0, "error",
                                             f"{NOT_THERE} 'grader_fixture_exercises'")}),
    "monkeypatch_reference": (0.0, {"9.2-power": (0.0, "error", f"{NOT_THERE} 'autograde'")}),
    "forbidden_call": (2.0, {"9.1-hann": (0.0, "forbidden",
                                          "scipy.signal.get_window (line 6)")}),
    "forbidden_runtime": (2.0, {"9.1-hann": (0.0, "forbidden",
                                             "scipy.signal.get_window")}),
    "second_def": (2.0, {"9.1-hann": (0.0, "forbidden", "numpy.hanning (line 10)")}),
    "guard_removed": (2.0, {"9.1-hann": (0.0, "forbidden", "runtime guard was removed")}),
    # answering for the grader
    "hardcoded_public": (2.5, {"9.1-hann": (0.5, "partial", "failed (tolerance)")}),
    "drop_hidden": (0.0, {"9.1-hann": (0.0, "crash", f"sent back 2 {SENT} 5 inputs")}),
    "extra_outputs": (0.0, {"9.3-frames": (0.0, "crash", f"sent back 5 {SENT} 3 inputs")}),
    "eq_always_true": (2.0, {"9.1-hann": (0.0, "failed", "object of type Anything")}),
    "ndarray_subclass": (2.0, {"9.1-hann": (0.0, "failed", "subclass of numpy.ndarray")}),
    "fake_print": (0.0, {"9.2-power": (0.0, "failed", "should be array of shape (9,)")}),
    "fake_results": (0.0, {"9.1-hann": (0.0, "not implemented", "NotImplementedError")}),
    # attacks on the grader's reader
    "deep_json": (2.0, {"9.1-hann": (0.0, "crash", "nested deeper than 32 levels")}),
    "forged_npy": (2.0, {"9.1-hann": (0.0, "crash", "does not match its 44 bytes")}),
    "memory_flood": (2.0, {"9.1-hann": (0.0, "failed", "the output is too large")}),
    "slow_drip": (2.0, {"9.1-hann": (0.0, "timeout", "timed out after 2 s")}),
    "stdout_flood": (2.0, {"9.1-hann": (0.0, "failed", "File too large")}),
    # leaving the sandbox, reaching the grader or other students
    "snoop": (3.0, {"9.1-hann": (1.0, "passed", "")}),
    "secret_in_message": (2.0, {"9.1-hann": (0.0, "failed", "ValueError at line 8")}),
    "kill_grader": (3.0, {"9.1-hann": (1.0, "passed", "")}),
    "kill_everything": (2.0, {"9.1-hann": (0.0, "crash", "tried to start a process or to "
                                                         "leave the sandbox")}),
    "proc_mem": (3.0, {"9.1-hann": (1.0, "passed", "")}),
    "plant_files": (3.0, {"9.1-hann": (1.0, "passed", "")}),
    "pre_filter_package": (3.0, {"9.1-hann": (1.0, "passed", "")}),
    "leak_hidden": (2.0, {"9.1-hann": (0.0, "not implemented", "HIDDEN n=8")}),
    "fork_bomb": (2.0, {"9.1-hann": (0.0, "crash", "tried to start a process")}),
    "int80_fork": (2.0, {"9.1-hann": (0.0, "crash", "tried to start a process")}),
}


def _class_names() -> dict[str, str]:
    """Directory name -> fixture: ``NN-name-1`` is the attacker, ``NN-name-0``/``-2`` honest."""
    names = {}
    for i, attack in enumerate(sorted(EXPECTED)):
        for k, fixture in enumerate(("correct", attack, "correct")):
            names[f"{i:02d}-{attack}-{k}"] = fixture
    return names


def _sandbox_pids() -> set[int]:
    """Sandbox processes that are our children or orphans (a fork bomb's offspring)."""
    pids = set()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes()
                ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if (b"autograde_sandbox" in cmdline or b"bwrap" in cmdline) and ppid in (
                    1, os.getpid()):
                pids.add(int(proc.name))
    return pids


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade every fixture submission of session 9 into OUT (two parallel jobs)."""
    from autograde.engine import grade_all

    root = tmp_path_factory.mktemp("submissions")
    for name, fixture in _class_names().items():
        os.symlink(SUBMISSIONS / fixture, root / name)
    out = tmp_path_factory.mktemp("out")
    before = _sandbox_pids()
    written = grade_all(root, out, jobs=2, package="grader_fixture_exercises.session9",
                        progress=False, import_timeout=10.0, secret=SECRET)
    leftover = _sandbox_pids() - before
    return out, written, leftover


def _results(out: Path, name: str) -> dict:
    index = sorted(EXPECTED).index(name)
    return json.loads((out / f"{index:02d}-{name}-1" / "results.json").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_submission_scores_exactly(graded, name):
    out, _, _ = graded
    data = _results(out, name)
    total, checks = EXPECTED[name]
    assert data["score"] == pytest.approx(total)
    records = {r["id"]: r for r in data["extra_data"]["exercises"]}
    for ex_id, (score, status, fragment) in checks.items():
        assert records[ex_id]["score"] == pytest.approx(score)
        assert records[ex_id]["status"] == status
        assert fragment in records[ex_id]["message"]


def test_honest_students_around_every_attacker_get_full_marks(graded):
    out, _, _ = graded
    honest = [n for n in _class_names() if not n.endswith("-1")]
    scores = {n: json.loads((out / n / "results.json").read_text())["score"] for n in honest}
    assert scores == dict.fromkeys(honest, 3.0)


def test_every_submission_written_and_no_process_left(graded):
    out, written, leftover = graded
    assert sorted(p.parent.name for p in written) == sorted(_class_names())
    assert leftover == set()


def test_the_secret_is_in_no_output_file(graded):
    out, _, _ = graded
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files and not [p for p in files if SECRET.encode() in p.read_bytes()]


def test_student_text_is_escaped_in_every_output_format(graded):
    out, _, _ = graded
    data = _results(out, "secret_in_message")
    text = json.dumps([t["output"] for t in data["tests"]])
    assert "<script>" not in text and "\\\\<script\\\\>" in text
    assert "isolation: bwrap" in data["output"]


def test_hidden_cases_are_not_revealed(graded):
    out, _, _ = graded
    for name in EXPECTED:
        for record in _results(out, name)["extra_data"]["exercises"]:
            for case in record["cases"]:
                if not case["public"] and not case["passed"]:
                    assert "case" not in case["message"]
                    assert "len=" not in case["message"]
                    assert "HIDDEN" not in case["message"]


def test_hints_name_the_mistake(graded):
    out, _, _ = graded
    hann = _results(out, "symmetric_hann")["extra_data"]["exercises"][0]
    frames = _results(out, "transposed_frames")["extra_data"]["exercises"][2]
    assert hann["hint"] == "Periodic window: divide by n, not n - 1."
    assert frames["hint"] == "Frames are columns: shape (frame_length, n_frames)."


def test_fake_results_file_does_not_change_the_record(graded):
    out, _, _ = graded
    from autograde.exports import read_results

    index = sorted(EXPECTED).index("fake_results")
    path = out / f"{index:02d}-fake_results-1" / "results.json"
    assert read_results(path, secret=SECRET)["score"] == 0.0


def test_feedback_figure_saved_for_failed_array_exercise(graded):
    out, _, _ = graded
    index = sorted(EXPECTED).index("symmetric_hann")
    assert (out / f"{index:02d}-symmetric_hann-1" / "feedback" / "9.1-hann.png").stat(
        ).st_size > 1000
    assert not (out / f"{index:02d}-symmetric_hann-0" / "feedback").exists()
