"""The feature-set sweep (sharded, resumable, summarised) and the end-to-end demo."""

from __future__ import annotations

import csv
import json

import pytest

from machinehearing import sweep as sw
from machinehearing.errors import DataError, ParameterError
from machinehearing.train import TrainConfig

TINY = dict(
    epochs=1,
    batch_size=8,
    size=(32, 32),
    seconds=1.0,
    num_workers=0,
    schedule="none",
)


def test_feature_sets_enumerates_singles_then_triples():
    sets = sw.feature_sets(["a", "b", "c", "d"])
    assert sets[:4] == [("a",), ("b",), ("c",), ("d",)]
    assert len(sets) == 4 + 4  # C(4, 3) = 4
    assert all(len(s) == 3 for s in sets[4:])


@pytest.mark.parametrize(
    "features, kwargs",
    [(["a", "a"], {}), (["a", "b"], {"triples": True}), (["a"], {"singles": False})],
)
def test_feature_sets_rejects_bad_requests(features, kwargs):
    with pytest.raises(ParameterError):
        sw.feature_sets(features, **kwargs)


def test_summarize_refuses_a_directory_that_is_not_a_sweep(tmp_path):
    with pytest.raises(DataError, match="sweep.json"):
        sw.summarize(tmp_path)


@pytest.mark.slow
def test_sharded_sweep_writes_the_comparison_once_every_set_is_done(esc50_root, tmp_path):
    config = TrainConfig(data_root=str(esc50_root), cache_dir=str(tmp_path / "cache"), **TINY)
    options = dict(features=["logmel", "mfcc", "chroma"], triples=False, folds=(1, 2))
    run_dir = tmp_path / "sweep"
    first = sw.sweep(config, run_dir, shard="1/2", progress=False, **options)
    assert first is None  # shard 2 has not run: no summary yet
    assert not (run_dir / "comparison.csv").exists()
    assert sorted(p.name for p in run_dir.iterdir() if p.is_dir()) == ["chroma", "logmel"]

    summary = sw.sweep(config, run_dir, shard="2/2", progress=False, **options)
    assert summary is not None
    names = {row["features"] for row in summary["table"]}
    assert names == {"logmel", "mfcc", "chroma"}
    means = [row["mean"] for row in summary["table"]]
    assert means == sorted(means, reverse=True)
    assert len(summary["mcnemar"]) == 3  # C(3, 2) pairs on the same clips
    for row in summary["table"]:
        metrics = json.loads((run_dir / row["features"] / "metrics.json").read_text())
        assert row["per_fold"] == metrics["crossval"]["accuracy"]["per_fold"]
    with open(run_dir / "comparison.csv", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 3
    assert (run_dir / "comparison.png").stat().st_size > 0
    assert "McNemar" in (run_dir / "comparison.md").read_text()

    # resuming trains nothing again: the checkpoints are untouched
    best = run_dir / "mfcc" / "fold1" / "checkpoints" / "best.pt"
    stamp = best.stat().st_mtime_ns
    sw.sweep(config, run_dir, progress=False, **options)
    assert best.stat().st_mtime_ns == stamp


def test_sweep_refuses_to_mix_protocols(esc50_root, tmp_path):
    config = TrainConfig(data_root=str(esc50_root), **TINY)
    (tmp_path / "sweep").mkdir()
    protocol = sw._protocol(config, [("logmel",)], (1,))
    (tmp_path / "sweep" / "sweep.json").write_text(json.dumps(protocol))
    other = TrainConfig(data_root=str(esc50_root), **{**TINY, "epochs": 2})
    with pytest.raises(DataError, match="another protocol"):
        sw.sweep(other, tmp_path / "sweep", features=["logmel"], triples=False, folds=(1,))


@pytest.mark.slow
def test_demo_runs_end_to_end_and_reports(tmp_path, capsys):
    from machinehearing.demo import run_demo

    data = dict(n_classes=5, clips_per_class=10, sr=8000, duration=2.0)
    result = run_demo(tmp_path / "demo", epochs=1, data=data, size=(32, 32), seconds=1.0)
    assert result.report.is_file() and result.report.suffix == ".html"
    assert 0.0 <= result.accuracy <= 1.0
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert metrics["accuracy"] == pytest.approx(result.accuracy)
    config = json.loads((result.run_dir / "config.json").read_text())
    assert (config["test_fold"], config["val_fold"]) == (1, 2)
    assert f"Report: {result.report}" in capsys.readouterr().out
    again = run_demo(tmp_path / "demo", epochs=1, data=data, size=(32, 32), seconds=1.0)
    assert again.accuracy == pytest.approx(result.accuracy)  # resumed, not retrained
