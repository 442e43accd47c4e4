"""The training loop: one epoch, evaluation, prediction, and full runs in a run directory."""

from __future__ import annotations

import csv
import json
from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from machinehearing.errors import DataError, ParameterError
from machinehearing.models import resnet18
from machinehearing.train import loop
from machinehearing.train.config import TrainConfig
from machinehearing.train.loop import (
    METRICS_COLUMNS,
    TrainingDivergedError,
    evaluate,
    predict,
    train,
    train_one_epoch,
)
from machinehearing.train.precision import resolve_precision


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _blobs(n=64, seed=0):
    """Two linearly separable classes of 4-d points."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    x = torch.randn(n, 4, generator=g) * 0.3 + (y.float() * 2 - 1).unsqueeze(1)
    return TensorDataset(x, y)


def _tiny_images(n=12, classes=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return TensorDataset(torch.randn(n, 1, 32, 32, generator=g), torch.arange(n) % classes)


def test_train_one_epoch_learns_a_separable_problem():
    torch.manual_seed(0)
    data = _blobs()
    model = nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    loader = DataLoader(data, batch_size=8, shuffle=True)
    first, _ = train_one_epoch(model, loader, opt, device="cpu")
    for _ in range(5):
        loss, acc = train_one_epoch(model, loader, opt, device="cpu")
    assert loss < first and acc == 1.0


def test_train_one_epoch_reports_the_sample_weighted_mean_of_batch_losses():
    data = _blobs(n=10)
    model = nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)  # no update: losses of one model
    loss, acc = train_one_epoch(model, DataLoader(data, batch_size=4), opt, device="cpu")
    x, y = data.tensors
    with torch.no_grad():
        logits = model(x)
    torch.testing.assert_close(loss, F.cross_entropy(logits, y).item())
    assert acc == pytest.approx((logits.argmax(1) == y).float().mean().item())


@pytest.mark.parametrize("batch_size", [1, 3, 10])
def test_evaluate_equals_full_batch_cross_entropy_and_accuracy(batch_size):
    data = _tiny_images(n=10)
    model = resnet18(num_classes=3).eval()
    loss, acc = evaluate(model, DataLoader(data, batch_size=batch_size), device="cpu")
    x, y = data.tensors
    with torch.no_grad():
        logits = model(x)
    assert loss == pytest.approx(F.cross_entropy(logits, y).item(), rel=1e-5)
    assert acc == pytest.approx((logits.argmax(1) == y).float().mean().item())


def test_evaluate_does_not_change_the_model():
    data = _tiny_images()
    model = resnet18(num_classes=3)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    evaluate(model, DataLoader(data, batch_size=4), device="cpu")
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # BN stats too
    assert not model.training


def test_predict_returns_logits_and_embeddings_in_loader_order():
    data = _tiny_images(n=7)
    model = resnet18(num_classes=3).eval()
    logits, emb = predict(model, DataLoader(data, batch_size=3), device="cpu")
    with torch.no_grad():
        expected = model(data.tensors[0])
        expected_emb = model.forward_features(data.tensors[0])
    assert logits.shape == (7, 3) and emb.shape == (7, 512)
    torch.testing.assert_close(torch.from_numpy(logits), expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(torch.from_numpy(emb), expected_emb, rtol=1e-5, atol=1e-5)
    images_only = DataLoader(data.tensors[0], batch_size=4)
    logits2, none = predict(model, images_only, device="cpu", embeddings=False)
    assert none is None
    torch.testing.assert_close(torch.from_numpy(logits2), expected, rtol=1e-5, atol=1e-5)


def test_predict_without_forward_features_gives_no_embeddings():
    logits, emb = predict(nn.Linear(4, 2), DataLoader(_blobs(n=5)), device="cpu")
    assert logits.shape == (5, 2) and emb is None


def test_scheduler_is_stepped_once_per_batch():
    model = nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0 / (step + 1))
    train_one_epoch(
        model, DataLoader(_blobs(n=20), batch_size=5), opt, device="cpu", scheduler=sched
    )
    assert opt.param_groups[0]["lr"] == pytest.approx(1.0 / 5)


def test_soft_targets_from_augment_score_against_the_dominant_label():
    data = _blobs(n=8)
    model = nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)

    def to_soft(x, y):  # probabilities 0.8 on the true label
        return x, F.one_hot(y, 2).float() * 0.6 + 0.2

    _, acc = train_one_epoch(
        model, DataLoader(data, batch_size=4), opt, device="cpu", augment=to_soft
    )
    with torch.no_grad():
        expected = (model(data.tensors[0]).argmax(1) == data.tensors[1]).float().mean()
    assert acc == pytest.approx(expected.item())


def test_channels_last_gives_the_same_loss():
    data = _tiny_images(n=4)
    model = resnet18(num_classes=3).eval()
    loader = DataLoader(data, batch_size=4)
    ref, _ = evaluate(model, loader, device="cpu")
    model = model.to(memory_format=torch.channels_last)
    fast, _ = evaluate(model, loader, device="cpu", channels_last=True)
    assert fast == pytest.approx(ref, rel=1e-4)


def test_amp_on_the_cpu_autocasts_to_bfloat16():
    data = _tiny_images(n=8)
    model = resnet18(num_classes=3)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    dtypes = []

    def loss_fn(logits, y):
        dtypes.append(logits.dtype)
        return F.cross_entropy(logits, y)

    loader = DataLoader(data, batch_size=4)
    train_one_epoch(model, loader, opt, device="cpu", loss_fn=loss_fn, amp=True)
    assert dtypes == [torch.bfloat16, torch.bfloat16]
    train_one_epoch(model, loader, opt, device="cpu", loss_fn=loss_fn)
    assert dtypes[2:] == [torch.float32, torch.float32]
    model.eval()
    fp32, _ = evaluate(model, loader, device="cpu")
    bf16, _ = evaluate(model, loader, device="cpu", amp=True)
    assert bf16 == pytest.approx(fp32, rel=0.05) and bf16 != fp32


def test_non_finite_loss_stops_before_the_weights_change():
    model = nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    calls = []

    def loss_fn(logits, y):
        calls.append(1)
        loss = F.cross_entropy(logits, y)
        return loss * float("nan") if len(calls) == 2 else loss

    loader = DataLoader(_blobs(n=16), batch_size=4)
    with pytest.raises(TrainingDivergedError, match="nan at batch 2"):
        snapshot = {}

        def remember(*args):
            snapshot.update({k: v.clone() for k, v in model.state_dict().items()})

        opt.register_step_post_hook(remember)
        train_one_epoch(model, loader, opt, device="cpu", loss_fn=loss_fn)
    assert all(torch.equal(snapshot[k], v) for k, v in model.state_dict().items())


def test_empty_loader_raises_data_error():
    empty = DataLoader(TensorDataset(torch.zeros(0, 4), torch.zeros(0, dtype=torch.long)))
    with pytest.raises(DataError, match="no batches"):
        evaluate(nn.Linear(4, 2), empty, device="cpu")


def test_train_rejects_a_non_config(tmp_path):
    with pytest.raises(ParameterError, match="TrainConfig"):
        train({"epochs": 1}, tmp_path / "run")


# ----------------------------------------------------------------- full runs (datasets needed)
@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    pytest.importorskip("machinehearing.datasets.cache", reason="needs the feature cache module")
    return tmp_path_factory.mktemp("feature-cache")


def _config(esc50_root, cache_dir, **overrides):
    base = dict(
        data_root=str(esc50_root),
        cache_dir=str(cache_dir),
        features=["logmel"],
        size=(32, 32),
        seconds=1.0,
        epochs=2,
        batch_size=16,
        lr=1e-3,
        num_workers=0,
        device="cpu",
        seed=0,
    )
    return TrainConfig(**{**base, **overrides})


def test_train_writes_the_run_directory_contract(esc50_root, cache_dir, tmp_path):
    config = _config(esc50_root, cache_dir, test_fold=2)
    run = tmp_path / "run"
    result = train(config, run, progress=False)
    from machinehearing.datasets import LabelMap

    # config.json holds the config with "auto" precision replaced by the choice made
    config = replace(config, precision=resolve_precision(config.precision, "cpu"))
    assert config.precision in ("float32", "bfloat16")
    assert TrainConfig.from_json(run / "config.json") == config
    assert LabelMap.from_json(run / "label_map.json") == LabelMap.for_task("classes")
    with (run / "metrics.csv").open(newline="") as fh:
        reader = csv.reader(fh)
        header, rows = next(reader), list(reader)
    assert tuple(header) == METRICS_COLUMNS
    assert [int(r[0]) for r in rows] == [1, 2]
    assert len(result.history) == 2
    best = torch.load(run / "checkpoints" / "best.pt", weights_only=False)
    last = torch.load(run / "checkpoints" / "last.pt", weights_only=False)
    for ckpt in (best, last):
        assert {
            "model",
            "optimizer",
            "scheduler",
            "scaler",
            "epoch",
            "rng",
            "config",
            "label_map",
            "best_val_acc",
        } <= set(ckpt)
        assert ckpt["config"] == config.to_dict()
        assert LabelMap.from_json(ckpt["label_map"]).task == "classes"
    assert last["epoch"] == 2 and best["epoch"] == result.best_epoch
    assert result.best_val_acc == max(float(r[4]) for r in rows)
    assert best["model"]["fc.weight"].shape == (50, 512)  # the task's labels, not the batch's
    assert {"python", "numpy", "torch"} <= set(last["rng"])
    saved = json.loads((run / "result.json").read_text())
    assert saved["best_val_acc"] == result.best_val_acc
    assert saved["test_acc"] == result.best_val_acc  # val_fold None: validation = test fold
    model, loaded_config, label_map = loop.load_model(run)
    assert loaded_config == config and len(label_map) == 50
    torch.testing.assert_close(model.state_dict()["fc.weight"], best["model"]["fc.weight"])


def test_train_refuses_to_overwrite_a_run(esc50_root, cache_dir, tmp_path):
    config = _config(esc50_root, cache_dir, epochs=1)
    train(config, tmp_path / "run", progress=False)
    with pytest.raises(DataError, match="resume"):
        train(config, tmp_path / "run", progress=False)


def test_course_split_and_categories_task(esc50_root, cache_dir, tmp_path):
    config = _config(
        esc50_root,
        cache_dir,
        split="course",
        task="categories",
        epochs=1,
        features=["logmel", "mfcc", "chroma"],
        freq_mask=4,
        time_mask=4,
        mixup_alpha=0.2,
        time_shift=0.1,
        label_smoothing=0.1,
        schedule="onecycle",
    )
    result = train(config, tmp_path / "run", progress=False)
    state = torch.load(tmp_path / "run/checkpoints/best.pt", weights_only=False)
    assert state["model"]["conv1.weight"].shape[1] == 3
    assert state["model"]["fc.weight"].shape[0] == 5
    assert 0.0 <= result.test_acc <= 1.0


def test_early_stopping_after_patience_epochs(esc50_root, cache_dir, tmp_path, monkeypatch):
    accs = iter([0.5, 0.4, 0.5, 0.3, 0.9])
    monkeypatch.setattr(loop, "evaluate", lambda *a, **k: (1.0, next(accs)))
    config = _config(esc50_root, cache_dir, epochs=5, patience=2)
    result = train(config, tmp_path / "run", progress=False)
    assert len(result.history) == 3 and result.stopped_early and result.best_epoch == 1


def test_nan_loss_stops_with_a_clear_message_and_keeps_last_good_checkpoint(
    esc50_root, cache_dir, tmp_path, monkeypatch
):
    real = loop.train_one_epoch
    calls = []

    def nan_in_second_epoch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            kwargs["loss_fn"] = lambda logits, y: logits.sum() * float("nan")
        return real(*args, **kwargs)

    monkeypatch.setattr(loop, "train_one_epoch", nan_in_second_epoch)
    config = _config(esc50_root, cache_dir, epochs=3)
    run = tmp_path / "run"
    with pytest.raises(TrainingDivergedError, match=r"epoch 2.*keeps epoch 1.*lr=0.001"):
        train(config, run, progress=False)
    last = torch.load(run / "checkpoints" / "last.pt", weights_only=False)
    assert last["epoch"] == 1
    assert all(torch.isfinite(v).all() for v in last["model"].values() if v.is_floating_point())
    assert len((run / "metrics.csv").read_text().splitlines()) == 2


def test_train_command_trains_and_reports(esc50_root, cache_dir, tmp_path, capsys):
    from machinehearing.cli import main

    run = tmp_path / "cli-run"
    status = main(
        [
            "train",
            "--data",
            str(esc50_root),
            "--cache-dir",
            str(cache_dir),
            "--features",
            "logmel",
            "--task",
            "categories",
            "--fold",
            "2",
            "--epochs",
            "1",
            "--size",
            "32",
            "32",
            "--seconds",
            "1",
            "--batch-size",
            "16",
            "--num-workers",
            "0",
            "--device",
            "cpu",
            "--run-dir",
            str(run),
            "--quiet",
        ]
    )
    assert status == 0
    out = capsys.readouterr().out
    assert "best validation accuracy" in out and str(run) in out
    config = TrainConfig.from_json(run / "config.json")
    assert (config.task, config.test_fold, config.epochs) == ("categories", 2, 1)
    assert main(["train", "--data", str(esc50_root), "--run-dir", str(run), "--quiet"]) == 2
    assert "--resume" in capsys.readouterr().err


def test_loggers_are_optional_and_say_what_to_install(monkeypatch, tmp_path):
    import sys

    from machinehearing.train.loggers import open_loggers

    assert open_loggers([], tmp_path, {}) == []
    with pytest.raises(ParameterError, match="unknown logger"):
        open_loggers(["mlflow"], tmp_path, {})
    monkeypatch.setitem(sys.modules, "wandb", None)
    with pytest.raises(ParameterError, match="pip install wandb"):
        open_loggers(["wandb"], tmp_path, {})
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    with pytest.raises(ParameterError, match="pip install tensorboard"):
        open_loggers(["tensorboard"], tmp_path, {})


def test_without_data_root_a_synthetic_set_is_shared_next_to_the_runs(cache_dir, tmp_path):
    tiny = {"n_classes": 5, "clips_per_class": 5, "sr": 8000, "duration": 1.0}
    config = TrainConfig(
        synthetic=tiny,
        size=(32, 32),
        seconds=1.0,
        epochs=1,
        batch_size=8,
        num_workers=0,
        device="cpu",
    )
    train(config, tmp_path / "a", progress=False)
    roots = list((tmp_path / ".cache").glob("esc50-synthetic-*"))
    assert len(roots) == 1 and (roots[0] / "meta" / "esc50.csv").is_file()
    stamp = (roots[0] / "meta" / "esc50.csv").stat().st_mtime_ns
    assert loop.dataset_root(config, tmp_path / "b") == roots[0]
    train(config, tmp_path / "b", progress=False)  # reuses the set
    assert (roots[0] / "meta" / "esc50.csv").stat().st_mtime_ns == stamp


@pytest.mark.parametrize(("val_fold", "expected_val_fold"), [(None, 2), (3, 3)])
def test_run_split_validates_on_the_test_fold_unless_a_val_fold_is_given(
    esc50_root, cache_dir, val_fold, expected_val_fold
):
    from machinehearing.datasets import load_metadata

    clips = load_metadata(esc50_root)
    split = loop.run_split(TrainConfig(test_fold=2, val_fold=val_fold), clips)
    assert {clips[i].fold for i in split.test} == {2}
    assert {clips[i].fold for i in split.val} == {expected_val_fold}
    assert 2 not in {clips[i].fold for i in split.train}
    assert expected_val_fold not in {clips[i].fold for i in split.train}
    course = loop.run_split(TrainConfig(split="course"), clips)
    assert sum(map(len, course)) == len(clips)


@pytest.mark.gpu
def test_mixed_precision_channels_last_training_on_cuda():
    data = _tiny_images(n=16)
    model = resnet18(num_classes=3).cuda().to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    scaler = torch.amp.GradScaler("cuda")
    loader = DataLoader(data, batch_size=8, pin_memory=True)
    loss, acc = train_one_epoch(
        model, loader, opt, device="cuda", scaler=scaler, channels_last=True
    )
    assert loss == loss and 0.0 <= acc <= 1.0
    fp16_loss, _ = evaluate(model, loader, device="cuda", channels_last=True, amp=True)
    fp32_loss, _ = evaluate(model, loader, device="cuda", channels_last=True)
    assert fp16_loss == pytest.approx(fp32_loss, rel=1e-2)
    logits, emb = predict(model, loader, device="cuda", amp=True)
    assert logits.dtype == emb.dtype == np.float32
