"""Resuming: stop after epoch k, resume, and end bit-identical to an uninterrupted run;
cross-validation skips finished folds and resumes interrupted ones."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from machinehearing.errors import DataError
from machinehearing.train import loop
from machinehearing.train.config import TrainConfig
from machinehearing.train.loop import crossval, train


@pytest.fixture(autouse=True, scope="module")
def _one_thread():  # module scope: the shared uninterrupted run must use the same threads
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def config(esc50_root, tmp_path_factory):
    pytest.importorskip("machinehearing.datasets.cache", reason="needs the feature cache module")
    # every source of randomness on: shuffling, SpecAugment, mixup, time shift
    return TrainConfig(
        data_root=str(esc50_root),
        cache_dir=str(tmp_path_factory.mktemp("cache")),
        size=(32, 32),
        seconds=1.0,
        epochs=3,
        batch_size=16,
        lr=3e-3,
        schedule="onecycle",
        freq_mask=6,
        time_mask=6,
        mixup_alpha=0.4,
        time_shift=0.2,
        label_smoothing=0.1,
        num_workers=0,
        device="cpu",
        seed=11,
    )


class Interrupt(Exception):
    pass


def _interrupt_at_epoch(monkeypatch, epoch):
    """Make train() die at the start of ``epoch`` (1-based), as a killed process would."""
    real = loop.train_one_epoch
    calls = []

    def maybe_die(*args, **kwargs):
        calls.append(1)
        if len(calls) == epoch:
            raise Interrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(loop, "train_one_epoch", maybe_die)


def _without_seconds(history):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in history]


def _assert_same_state(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


@pytest.fixture(scope="module")
def full(config, tmp_path_factory):
    """An uninterrupted run."""
    return train(config, tmp_path_factory.mktemp("full") / "run", progress=False)


@pytest.mark.parametrize("stop_after", [1, 2])
def test_stop_after_epoch_k_then_resume_is_bit_identical(
    config, full, tmp_path, monkeypatch, stop_after
):

    with monkeypatch.context() as patch:
        _interrupt_at_epoch(patch, stop_after + 1)
        with pytest.raises(Interrupt):
            train(config, tmp_path / "resumed", progress=False)
    saved = torch.load(tmp_path / "resumed/checkpoints/last.pt", weights_only=False)
    assert saved["epoch"] == stop_after
    resumed = train(config, tmp_path / "resumed", resume=True, progress=False)

    assert _without_seconds(resumed.history) == _without_seconds(full.history)
    assert (resumed.best_val_acc, resumed.best_epoch) == (full.best_val_acc, full.best_epoch)
    a = torch.load(full.run_dir / "checkpoints/last.pt", weights_only=False)
    b = torch.load(tmp_path / "resumed/checkpoints/last.pt", weights_only=False)
    _assert_same_state(a["model"], b["model"])
    for sa, sb in zip(
        a["optimizer"]["state"].values(), b["optimizer"]["state"].values(), strict=True
    ):
        _assert_same_state(sa, sb)
    assert a["scheduler"] == b["scheduler"]
    full_csv = (full.run_dir / "metrics.csv").read_text().splitlines()
    resumed_csv = (tmp_path / "resumed/metrics.csv").read_text().splitlines()
    strip = [line.rsplit(",", 1)[0] for line in full_csv]
    assert [line.rsplit(",", 1)[0] for line in resumed_csv] == strip


def test_resuming_a_finished_run_returns_it_without_training(config, tmp_path, monkeypatch):
    run = tmp_path / "run"
    small = dataclasses.replace(config, epochs=1)
    first = train(small, run, progress=False)
    monkeypatch.setattr(loop, "train_one_epoch", lambda *a, **k: pytest.fail("trained again"))
    again = train(small, run, resume=True, progress=False)
    assert again.history == first.history and again.best_val_acc == first.best_val_acc


def test_resume_with_a_different_config_is_refused(config, tmp_path):
    run = tmp_path / "run"
    train(dataclasses.replace(config, epochs=1), run, progress=False)
    with pytest.raises(DataError, match=r"differs .*\['epochs', 'lr'\]"):
        train(dataclasses.replace(config, epochs=2, lr=1e-2), run, resume=True, progress=False)


def test_resume_without_a_checkpoint_starts_fresh(config, tmp_path):
    result = train(
        dataclasses.replace(config, epochs=1), tmp_path / "new", resume=True, progress=False
    )
    assert len(result.history) == 1


def test_crossval_writes_a_summary_and_skips_finished_folds(config, tmp_path, monkeypatch):
    cv_config = dataclasses.replace(config, epochs=1)
    run = tmp_path / "cv"
    with monkeypatch.context() as patch:  # fold 2 is interrupted in its first epoch
        _interrupt_at_epoch(patch, 2)
        with pytest.raises(Interrupt):
            crossval(cv_config, run, folds=(1, 2), progress=False)
    assert (run / "fold1" / "result.json").is_file()
    assert not (run / "fold2" / "result.json").is_file()

    calls = []
    real = loop.train

    def counting(cfg, run_dir, **kwargs):
        calls.append(cfg.test_fold)
        return real(cfg, run_dir, **kwargs)

    monkeypatch.setattr(loop, "train", counting)
    result = crossval(cv_config, run, folds=(1, 2), progress=False)
    assert calls == [2]  # fold 1 was finished; fold 2 ran again
    summary = json.loads((run / "summary.json").read_text())
    accs = [result.folds[k].test_acc for k in (1, 2)]
    assert summary["test_acc"] == {"1": accs[0], "2": accs[1]}
    assert summary["mean"] == pytest.approx(np.mean(accs))
    assert summary["std"] == pytest.approx(np.std(accs, ddof=1))
    for k in (1, 2):
        fold_config = TrainConfig.from_json(run / f"fold{k}" / "config.json")
        assert fold_config.test_fold == k and fold_config.split == "fold"
    assert crossval(cv_config, run, folds=(1, 2), progress=False).mean == result.mean
    assert calls == [2]


def test_crossval_command_runs_the_requested_folds(config, tmp_path, capsys):
    from machinehearing.cli import main

    run = tmp_path / "cv"
    argv = [
        "crossval",
        "--data",
        config.data_root,
        "--cache-dir",
        config.cache_dir,
        "--size",
        "32",
        "32",
        "--seconds",
        "1",
        "--epochs",
        "1",
        "--batch-size",
        "16",
        "--num-workers",
        "0",
        "--device",
        "cpu",
        "--folds",
        "3",
        "--run-dir",
        str(run),
        "--quiet",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "fold 3: test accuracy" in out and "summary.json" in out
    summary = json.loads((run / "summary.json").read_text())
    assert list(summary["test_acc"]) == ["3"] and (run / "fold3" / "result.json").is_file()
