"""The grader on a fixture exercise set: correct, stub and adversarial submissions.

Every submission is graded once (``grade_all`` with two jobs, as an instructor would); each
test then pins the exact score and the reason reported for the exercise that misbehaves.
Points: 9.1-hann 1, 9.2-power 1, 9.3-frames 1 (public share 0.5 each).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SUBMISSIONS = FIXTURES / "submissions"

#: submission -> (total score, {exercise: (score, status, message fragment)})
EXPECTED = {
    "correct": (3.0, {"9.1-hann": (1.0, "passed", "")}),
    "stub": (0.0, {"9.1-hann": (0.0, "not implemented", "NotImplementedError at line 2")}),
    "infinite_loop": (2.0, {"9.1-hann": (0.0, "timeout", "timed out after 2 s")}),
    "exit_at_import": (0.0, {"9.2-power": (0.0, "error", "exited with status 0")}),
    "import_error": (0.0, {"9.1-hann": (0.0, "error", "ModuleNotFoundError at line 1")}),
    "kill_grader": (3.0, {"9.1-hann": (1.0, "passed", "")}),
    "segfault": (2.0, {"9.1-hann": (0.0, "crash", "crashed with signal SIGSEGV at line 6")}),
    "allocate_50gb": (2.0, {"9.1-hann": (0.0, "memory", "killed: exceeded 1 GiB")}),
    "fork_bomb": (2.0, {"9.1-hann": (0.0, "timeout", "timed out after 2 s")}),
    "monkeypatch_reference": (2.0, {"9.2-power": (0.0, "failed", "differs from the reference")}),
    "fake_results": (0.0, {"9.1-hann": (0.0, "not implemented", "NotImplementedError")}),
    "fake_print": (0.0, {"9.2-power": (0.0, "failed", "should be array of shape (9,)")}),
    "eq_always_true": (2.0, {"9.1-hann": (0.0, "failed", "object of type Anything")}),
    "ndarray_subclass": (2.0, {"9.1-hann": (0.0, "failed", "subclass of numpy.ndarray")}),
    "nan_output": (2.0, {"9.1-hann": (0.0, "failed", "contains NaN")}),
    "hardcoded_public": (2.5, {"9.1-hann": (0.5, "partial", "failed (tolerance)")}),
    "forbidden_call": (2.0, {"9.1-hann": (0.0, "forbidden", "scipy.signal.get_window (line 6)")}),
    "forbidden_runtime": (2.0, {"9.1-hann": (0.0, "forbidden", "scipy.signal.get_window")}),
    "symmetric_hann": (2.0, {"9.1-hann": (0.0, "failed", "differs from the reference")}),
    "transposed_frames": (2.0, {"9.3-frames": (0.0, "failed", "has shape (9, 4)")}),
}


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
            if b"autograde.sandbox" in cmdline and ppid in (1, os.getpid()):
                pids.add(int(proc.name))
    return pids


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade every fixture submission of session 9 into OUT (two parallel jobs)."""
    from autograde.engine import grade_all

    root = tmp_path_factory.mktemp("submissions")
    for name in EXPECTED:
        os.symlink(SUBMISSIONS / name, root / name)
    out = tmp_path_factory.mktemp("out")
    before = _sandbox_pids()
    written = grade_all(root, out, jobs=2, package="grader_fixture_exercises.session9",
                        progress=False, import_timeout=10.0)
    leftover = _sandbox_pids() - before
    return out, written, leftover


def _results(out: Path, name: str) -> dict:
    return json.loads((out / name / "results.json").read_text())


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


def test_every_submission_written_and_no_child_process_left(graded):
    out, written, leftover = graded
    assert sorted(p.parent.name for p in written) == sorted(EXPECTED)
    assert leftover == set()


def test_hidden_cases_are_not_revealed(graded):
    out, _, _ = graded
    for name in EXPECTED:
        for record in _results(out, name)["extra_data"]["exercises"]:
            for case in record["cases"]:
                if not case["public"] and not case["passed"]:
                    assert "case" not in case["message"]
                    assert "len=" not in case["message"]


def test_hints_name_the_mistake(graded):
    out, _, _ = graded
    hann = _results(out, "symmetric_hann")["extra_data"]["exercises"][0]
    frames = _results(out, "transposed_frames")["extra_data"]["exercises"][2]
    assert hann["hint"] == "Periodic window: divide by n, not n - 1."
    assert frames["hint"] == "Frames are columns: shape (frame_length, n_frames)."


def test_fake_results_file_does_not_change_the_record(graded):
    out, _, _ = graded
    from autograde.exports import read_results

    assert read_results(out / "fake_results" / "results.json")["score"] == 0.0


def test_feedback_figure_saved_for_failed_array_exercise(graded):
    out, _, _ = graded
    assert (out / "symmetric_hann" / "feedback" / "9.1-hann.png").stat().st_size > 1000
    assert not (out / "correct" / "feedback").exists()
