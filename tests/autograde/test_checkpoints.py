"""The trained-model assignment (autograde.checkpoints, machinehearing.submit).

The held-out set is 5 categories of 32 x 32 images, class ``c`` a constant level ``c + 0.5``
plus noise. The *good* model is a ResNet-18 whose weights are set by hand to pass the
level through to the classifier (centre tap of conv1, identity blocks, a nearest-level
``fc``): right on every clip, with no training in the test. The *weak* one never says
category 4. Every bad package gets its verdict and 0 points; the sandbox side runs in a
plain subprocess here (the grader runs it in its sandbox).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch

from autograde.checkpoints import (
    ModelAssignment,
    Threshold,
    evaluate_package,
    grade_package,
    validate_package,
)
from machinehearing.datasets import LabelMap
from machinehearing.errors import DataError
from machinehearing.models import resnet18
from machinehearing.submit import main as submit_main
from machinehearing.submit import write_package
from machinehearing.train import TrainConfig

CONFIG = TrainConfig.preset("course", task="categories", size=(32, 32))
LABELS = LabelMap.for_task("categories")
ASSIGNMENT = ModelAssignment.from_config(
    CONFIG,
    [Threshold("beats the linear baseline", 0.5, 2), Threshold("reaches the target", 0.9, 3)],
)
LEVELS = np.arange(5) + 0.5


def _held_out(per_class: int = 8) -> tuple[np.ndarray, np.ndarray]:
    labels = np.repeat(np.arange(5), per_class)
    noise = np.random.default_rng(0).normal(0.0, 0.05, size=(len(labels), 1, 32, 32))
    return (LEVELS[labels][:, None, None, None] + noise).astype(np.float32), labels


def _level_model(bias_shift: dict[int, float] | None = None) -> dict[str, torch.Tensor]:
    """ResNet-18 weights that classify an image by its level (see the module docstring)."""
    state = resnet18(in_channels=1, num_classes=5).state_dict()
    with torch.no_grad():
        for name, value in state.items():
            if name.endswith("running_mean") or name.endswith(".bias"):
                value.zero_()
            elif name.endswith("running_var") or (name.endswith(".weight") and value.ndim == 1):
                value.fill_(1.0)
            elif value.ndim == 4:
                value.zero_()
        state["conv1.weight"][0, 0, 3, 3] = 1.0
        for name, value in state.items():
            if name.endswith("bn2.weight"):
                value.zero_()  # every residual branch adds 0: the blocks are the identity
            elif name.endswith("downsample.0.weight"):
                value[0, 0, 0, 0] = 1.0
        state["fc.weight"].zero_()
        state["fc.weight"][:, 0] = torch.tensor(LEVELS)
        state["fc.bias"][:] = torch.tensor(-(LEVELS**2) / 2)
        for c, shift in (bias_shift or {}).items():
            state["fc.bias"][c] += shift
    return state


def _repack(src, dst, *, manifest=None, members=None, compression=zipfile.ZIP_STORED):
    """A copy of a package with its manifest updated and members replaced or added."""
    with zipfile.ZipFile(src) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    data = json.loads(files["manifest.json"])
    data.update(manifest or {})
    files["manifest.json"] = json.dumps(data).encode()
    files.update(members or {})
    with zipfile.ZipFile(dst, "w", compression) as zf:
        for name, payload in files.items():
            zf.writestr(name, payload)
    return dst


def _evil_pickle(marker) -> bytes:
    class Evil:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    buf = io.BytesIO()
    torch.save({"conv1.weight": Evil()}, buf)
    return buf.getvalue()


def _sandbox(path, images, *, time_limit=600.0) -> dict:
    """Run evaluate_package out of this process, as the grader's sandbox does."""
    npy = path.with_suffix(".npy")
    np.save(npy, images)
    cmd = [
        sys.executable,
        "-m",
        "autograde.checkpoints",
        "evaluate",
        str(path),
        str(npy),
        "--in-channels",
        "1",
        "--num-classes",
        "5",
        "--time-limit",
        str(time_limit),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=path.parent)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


_BATCH = """
import json, sys
import numpy as np
from autograde.checkpoints import evaluate_package
images = np.load(sys.argv[1], allow_pickle=False)
print(json.dumps({p: evaluate_package(p, images, in_channels=1, num_classes=5)
                  for p in sys.argv[2:]}))
"""


@pytest.fixture(scope="module")
def sandboxed(packages):
    """evaluate_package of every package that passes validation, in one subprocess."""
    d = packages["dir"]
    np.save(d / "held_out.npy", _held_out()[0])
    paths = [
        str(p) for k, p in packages.items() if k != "dir" and validate_package(p, ASSIGNMENT).ok
    ]
    proc = subprocess.run(
        [sys.executable, "-c", _BATCH, str(d / "held_out.npy"), *paths],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=d,
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout.splitlines()[-1])
    return lambda path, images: results[str(path)]


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    d = tmp_path_factory.mktemp("packages")
    good = write_package(d / "good.zip", _level_model(), CONFIG, LABELS)
    nan = _level_model()
    nan["layer3.1.conv2.weight"][0, 0, 0, 0] = float("nan")
    wide = resnet18(in_channels=1, num_classes=50).state_dict()
    forged = write_package(d / "wide.zip", wide, CONFIG, LABELS, weights_format="pt")
    mfcc = dataclasses.replace(CONFIG, features=["mfcc"])
    return {
        "good": good,
        "good.pt": write_package(
            d / "good_pt.zip", _level_model(), CONFIG, LABELS, weights_format="pt"
        ),
        "weak": write_package(d / "weak.zip", _level_model({4: -1e3}), CONFIG, LABELS),
        "nan": write_package(d / "nan.zip", nan, CONFIG, LABELS),
        "shapes.pt": _repack(
            forged,
            d / "shapes_pt.zip",
            manifest={"architecture": {"name": "resnet18", "in_channels": 1, "num_classes": 5}},
        ),
        "shapes.safetensors": _repack(
            write_package(d / "wide_st.zip", wide, CONFIG, LABELS),
            d / "shapes_st.zip",
            manifest={"architecture": {"name": "resnet18", "in_channels": 1, "num_classes": 5}},
        ),
        "architecture": write_package(d / "arch.zip", wide, CONFIG, LABELS),
        "feature spec": write_package(d / "mfcc.zip", _level_model(), mfcc, LABELS),
        "dir": d,
    }


def _grade(path, evaluate=None):
    images, labels = _held_out()
    return grade_package(path, images, labels, ASSIGNMENT, evaluate or _sandbox)


@pytest.mark.parametrize("which", ["good", "good.pt"])
def test_good_model_earns_every_point_with_its_interval_and_leaderboard(packages, sandboxed, which):
    grade = _grade(packages[which], sandboxed)
    assert (grade.status, grade.points, grade.accuracy) == ("passed", 5.0, 1.0)
    assert grade.ci == (1.0, 1.0) and grade.n == 40
    assert grade.message.splitlines() == [
        "accuracy 1.000 (95% CI 1.000-1.000) on 40 held-out clips",
        "beats the linear baseline (0.50): +2 points",
        "reaches the target (0.90): +3 points",
    ]
    assert grade.leaderboard == [
        {"name": "Accuracy", "value": 1.0, "order": "desc"},
        {"name": "Accuracy (95% CI low)", "value": 1.0, "order": "desc"},
    ]


def test_weak_model_earns_the_baseline_points_only(packages, sandboxed):
    grade = _grade(packages["weak"], sandboxed)
    assert (grade.status, grade.points, grade.accuracy) == ("partial", 2.0, 0.8)
    low, high = grade.ci
    assert 0.65 <= low < 0.8 < high <= 0.925
    assert "reaches the target (0.90): not reached" in grade.message
    assert grade.leaderboard[0] == {"name": "Accuracy", "value": 0.8, "order": "desc"}


@pytest.mark.parametrize(
    "which, status, message",
    [
        ("nan", "nan", "hold NaN or infinite values, e.g. layer3.1.conv2.weight"),
        ("shapes.pt", "wrong shapes", "fc.weight is [50, 512], not [5, 512]"),
        ("shapes.safetensors", "wrong shapes", "fc.weight is [50, 512], not [5, 512]"),
        ("architecture", "architecture", "takes resnet18 with 1 input channel(s) and 5 classes"),
        ("feature spec", "feature spec", "features: [{'name': 'mfcc'"),
    ],
)
def test_bad_checkpoints_get_their_verdict_and_zero(packages, sandboxed, which, status, message):
    grade = _grade(packages[which], sandboxed)
    assert (grade.status, grade.points, grade.accuracy) == (status, 0.0, None)
    assert message in grade.message
    assert grade.leaderboard == [{"name": "Accuracy", "value": 0.0, "order": "desc"}]


def test_shapes_of_safetensors_are_refused_before_any_tensor_is_loaded(packages):
    assert validate_package(packages["shapes.safetensors"], ASSIGNMENT).status == "wrong shapes"
    assert validate_package(packages["shapes.pt"], ASSIGNMENT).ok  # the sandbox checks those
    assert validate_package(packages["good"], ASSIGNMENT).ok


def test_a_pickle_with_code_is_refused_unrun_in_the_parent_and_in_the_sandbox(packages):
    d = packages["dir"]
    marker = d / "pwned"
    data = _evil_pickle(marker)

    evil = _repack(
        packages["good.pt"],
        d / "evil.zip",
        members={"weights.pt": data},
        manifest={"sha256": hashlib.sha256(data).hexdigest()},
    )
    grade = _grade(evil)
    assert (grade.status, grade.points) == ("pickle code", 0.0)
    assert "imports posix.system" in grade.message or "imports os.system" in grade.message
    result = _sandbox(evil, _held_out()[0])  # even unchecked, weights_only=True refuses it
    assert result["status"] == "bad weights" and not marker.exists()


def test_an_oversized_file_is_refused_by_its_size(tmp_path):
    huge = tmp_path / "model.zip"
    with open(huge, "wb") as fh:
        fh.truncate(5 * 10**9)  # 5 GB, sparse: nothing is read
    grade = _grade(huge, evaluate=lambda *_: pytest.fail("a refused package was evaluated"))
    assert (grade.status, grade.points) == ("too large", 0.0)
    assert "model.zip is 5000.0 MB; the limit is 100.0 MB" in grade.message


def test_a_zip_bomb_is_refused_by_its_declared_sizes(packages, tmp_path):
    small = dataclasses.replace(ASSIGNMENT, max_bytes=2_000_000)
    bomb = _repack(
        packages["good.pt"],
        tmp_path / "bomb.zip",
        members={"weights.pt": bytes(3_000_000)},
        compression=zipfile.ZIP_DEFLATED,
    )
    assert bomb.stat().st_size < 100_000
    verdict = validate_package(bomb, small)
    assert verdict.status == "too large" and "unpacks to 3.0 MB" in verdict.message


@pytest.mark.parametrize(
    "member, status, message",
    [
        ("../session1.py", "unsafe package", "'../session1.py'"),
        ("notes.txt", "unsafe package", "may hold only manifest.json"),
    ],
)
def test_unexpected_members_are_refused(packages, tmp_path, member, status, message):
    path = _repack(packages["good"], tmp_path / "x.zip", members={member: b"x"})
    verdict = validate_package(path, ASSIGNMENT)
    assert verdict.status == status and message in verdict.message


def test_manifest_and_integrity_problems_are_named(packages, tmp_path):
    cases = [
        (tmp_path / "a.zip", {"members": {"manifest.json": b"[" * 50_000}}, "bad manifest"),
        (tmp_path / "b.zip", {"manifest": {"format": "other"}}, "bad manifest"),
        (tmp_path / "c.zip", {"manifest": {"sha256": "0" * 64}}, "bad weights"),
        (
            tmp_path / "d.zip",
            {"manifest": {"label_map": {"task": "classes", "names": []}}},
            "label map",
        ),
    ]
    for path, change, status in cases:
        assert (
            validate_package(_repack(packages["good"], path, **change), ASSIGNMENT).status == status
        )
    (tmp_path / "e.zip").write_bytes(b"PK not really")
    assert validate_package(tmp_path / "e.zip", ASSIGNMENT).status == "not a package"
    assert validate_package(tmp_path / "none.zip", ASSIGNMENT).status == "missing"


def test_inference_stops_at_the_time_limit(packages):
    result = evaluate_package(
        packages["good"], _held_out()[0], in_channels=1, num_classes=5, time_limit=0.0
    )
    assert result == {"status": "timeout", "message": "inference took longer than 0 s"}


def test_submit_refuses_a_package_over_the_limit_and_a_missing_run(tmp_path, capsys):
    with pytest.raises(DataError, match=r"would be 4\d\.\d MB; the limit is 1\.0 MB"):
        write_package(tmp_path / "m.zip", _level_model(), CONFIG, LABELS, limit_bytes=10**6)
    assert not (tmp_path / "m.zip").exists()
    assert submit_main([str(tmp_path / "no-run")]) == 2
    assert "no checkpoint" in capsys.readouterr().err
