"""The data subcommands: download, verify, features."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from machinehearing import cli
from machinehearing.datasets.cache import FeatureCache
from machinehearing.datasets.synthetic import make_esc50_like


@pytest.fixture
def root(tmp_path):
    return make_esc50_like(tmp_path / "ESC-50", n_classes=5, clips_per_class=2, sr=8000,
                           duration=0.5, progress=False)


def test_verify_exits_0_for_a_good_dataset_and_1_listing_problems(root, capsys):
    assert cli.main(["verify", "--root", str(root)]) == 0
    assert capsys.readouterr().out.strip().endswith("OK")
    next((root / "audio").iterdir()).unlink()
    assert cli.main(["verify", "--root", str(root), "--sr", "8000"]) == 1
    assert "cannot be read" in capsys.readouterr().out


def test_root_defaults_to_the_environment_variable(root, monkeypatch, capsys):
    monkeypatch.setenv("MACHINEHEARING_DATA", str(root))
    assert cli.main(["verify"]) == 0
    assert str(root) in capsys.readouterr().out


def test_verify_of_a_missing_dataset_says_how_to_get_it(tmp_path, capsys):
    assert cli.main(["verify", "--root", str(tmp_path / "none")]) == 1
    assert "machinehearing download" in capsys.readouterr().out


def test_download_adopts_a_verified_directory_without_network(root, capsys):
    assert cli.main(["download", "--root", str(root), "--quiet"]) == 0
    assert "ready" in capsys.readouterr().out


def test_download_errors_exit_with_status_2(tmp_path, capsys):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "junk").write_text("")
    assert cli.main(["download", "--root", str(tmp_path / "x"), "--quiet"]) == 2
    assert "machinehearing download: error:" in capsys.readouterr().err


def test_features_builds_a_cache(root, tmp_path, capsys):
    argv = ["features", "--root", str(root), "--features", "logmel,chroma", "--size", "16",
            "32", "--dtype", "float16", "--cache-dir", str(tmp_path / "cache"), "--jobs", "2",
            "--quiet"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "(10, 2, 16, 32) float16" in out
    (path,) = (tmp_path / "cache").iterdir()
    cache = FeatureCache.open(path)
    assert [str(s) for s in cache.specs] == ["logmel", "chroma"]
    assert np.all(np.isfinite(cache.array))
    shutil.rmtree(path)


def test_features_reports_unknown_features_as_usage_errors(root, capsys):
    assert cli.main(["features", "--root", str(root), "--features", "nope", "--quiet"]) == 2
    assert "nope" in capsys.readouterr().err
