"""machinehearing.evaluate on run directories built by hand (the run-directory contract) and
on a real one-epoch training run."""

from __future__ import annotations

import csv
import json
from dataclasses import replace

import numpy as np
import pytest
import sklearn.metrics as skm

torch = pytest.importorskip("torch")

from machinehearing.datasets import ESC50Dataset, LabelMap, load_metadata  # noqa: E402
from machinehearing.errors import DataError, ParameterError  # noqa: E402
from machinehearing.evaluate import (  # noqa: E402
    compute_metrics,
    evaluate,
    fold_dirs,
    is_crossval_dir,
    read_predictions,
)
from machinehearing.train.precision import autocast, autocast_enabled  # noqa: E402


def test_evaluate_writes_predictions_in_the_documented_layout(evaluated_run, run_config):
    run_dir, _, _ = evaluated_run
    with open(run_dir / "predictions.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    names = LabelMap.for_task("classes").names
    assert rows[0] == ["filename", "fold", "true", "pred", *(f"p_{n}" for n in names)]
    assert len(rows) - 1 == 16  # 10 classes x 8 clips / 5 folds, all of test fold 1
    assert {r[1] for r in rows[1:]} == {"1"}
    probs = np.array([[float(v) for v in r[4:]] for r in rows[1:]])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    assert [int(r[3]) for r in rows[1:]] == probs.argmax(axis=1).tolist()
    assert (run_dir / "embeddings.npy").is_file()
    assert np.load(run_dir / "embeddings.npy").shape == (16, 512)


def test_evaluate_predictions_equal_a_direct_forward_pass(evaluated_run, run_config):
    run_dir, model, _ = evaluated_run
    config = run_config
    pred = read_predictions(run_dir / "predictions.csv")
    dataset = ESC50Dataset(
        config.data_root,
        config.features,
        indices=np.flatnonzero([c.fold == 1 for c in load_metadata(config.data_root)]),
        cache_dir=config.cache_dir,
        size=config.size,
        seconds=config.seconds,
        progress=False,
    )
    x = torch.stack([dataset[i][0] for i in range(len(dataset))])
    # evaluation computes as the run trained: bfloat16 where the CPU has bfloat16 units
    amp = autocast_enabled(config.precision, "cpu", cuda_amp=False, inference=True)
    with torch.inference_mode(), autocast("cpu", amp):
        expected = torch.softmax(model.eval()(x).float(), dim=1).numpy()
    assert pred["filename"] == [c.filename for c in dataset.clips]
    np.testing.assert_array_equal(pred["true"], dataset.labels)
    np.testing.assert_allclose(pred["probabilities"], expected, atol=1e-5)


def test_evaluate_metrics_match_sklearn_on_the_written_predictions(evaluated_run):
    run_dir, _, result = evaluated_run
    saved = json.loads((run_dir / "metrics.json").read_text())
    assert saved == result
    pred = read_predictions(run_dir / "predictions.csv")
    y, p, probs = pred["true"], pred["pred"], pred["probabilities"]
    assert result["accuracy"] == pytest.approx(skm.accuracy_score(y, p))
    assert result["top5"] == pytest.approx(
        skm.top_k_accuracy_score(y, probs, k=5, labels=np.arange(50))
    )
    prf = skm.precision_recall_fscore_support(y, p, average="macro", zero_division=0.0)
    assert [result["precision_macro"], result["recall_macro"], result["f1_macro"]] == (
        pytest.approx(list(prf[:3]))
    )
    np.testing.assert_array_equal(
        result["confusion_matrix"], skm.confusion_matrix(y, p, labels=np.arange(50))
    )
    assert result["category_accuracy"] == pytest.approx(skm.accuracy_score(y // 10, p // 10))
    low, high = result["accuracy_ci95"]
    assert 0.0 <= low <= result["accuracy"] <= high <= 1.0
    present = set(y.tolist())
    names = LabelMap.for_task("classes").names
    for label, name in enumerate(names):
        value = result["per_class_accuracy"][name]
        assert (value is None) == (label not in present)


def test_evaluate_crossval_dir_evaluates_each_fold_and_pools(run_config, make_run_dir, tmp_path):
    root = tmp_path / "cv"
    for fold in (1, 2):
        make_run_dir(
            root / f"fold{fold}", replace(run_config, test_fold=fold, val_fold=None), seed=fold
        )
    assert is_crossval_dir(root) and [p.name for p in fold_dirs(root)] == ["fold1", "fold2"]
    result = evaluate(root, device="cpu", progress=False)
    per_fold = [json.loads((root / f / "metrics.json").read_text()) for f in ("fold1", "fold2")]
    pooled = read_predictions(root / "predictions.csv")
    assert pooled["fold"].tolist() == [1] * 16 + [2] * 16
    assert result["accuracy"] == pytest.approx(skm.accuracy_score(pooled["true"], pooled["pred"]))
    accs = [m["accuracy"] for m in per_fold]
    summary = result["crossval"]["accuracy"]
    assert summary["per_fold"] == pytest.approx(accs)
    assert summary["mean"] == pytest.approx(np.mean(accs))
    assert summary["std"] == pytest.approx(np.std(accs, ddof=1))
    assert set(result["folds"]) == {"fold1", "fold2"}


def test_evaluate_on_another_split_writes_suffixed_files(evaluated_run):
    run_dir, _, _ = evaluated_run
    result = evaluate(run_dir, split="val", device="cpu", progress=False)
    assert result["split"] == "val" and result["n_clips"] == 16
    assert read_predictions(run_dir / "predictions_val.csv")["fold"].tolist() == [2] * 16
    assert (run_dir / "metrics_val.json").is_file()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(checkpoint="final"), ParameterError, "checkpoint"),
        (dict(split="holdout"), ParameterError, "split"),
    ],
)
def test_evaluate_rejects_bad_options(evaluated_run, kwargs, error, match):
    with pytest.raises(error, match=match):
        evaluate(evaluated_run[0], progress=False, **kwargs)


def test_evaluate_rejects_a_directory_that_is_not_a_run(tmp_path):
    with pytest.raises(DataError, match="not a run directory"):
        evaluate(tmp_path, progress=False)
    with pytest.raises(DataError, match="does not exist"):
        evaluate(tmp_path / "missing", progress=False)


def test_compute_metrics_on_a_hand_computed_case():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.5, 0.4, 0.1], [0.2, 0.2, 0.6]])
    result = compute_metrics(np.array([0, 1, 1, 2]), probs, ["a", "b", "c"], task="categories")
    assert result["accuracy"] == 0.5  # predictions 0, 2, 0, 2
    assert result["per_class_accuracy"] == {"a": 1.0, "b": 0.0, "c": 1.0}
    assert result["confusion_matrix"] == [[1, 0, 0], [1, 0, 1], [0, 0, 1]]
    assert "category_accuracy" not in result
    with pytest.raises(ParameterError, match="probabilities"):
        compute_metrics(np.array([0]), np.ones((1, 2)), ["a", "b", "c"])


@pytest.mark.slow
def test_evaluate_a_real_one_epoch_training_run(run_config, tmp_path):
    train = pytest.importorskip("machinehearing.train").train
    run_dir = tmp_path / "trained"
    train(replace(run_config, epochs=1), run_dir, progress=False)
    result = evaluate(run_dir, device="cpu", progress=False)
    pred = read_predictions(run_dir / "predictions.csv")
    assert len(pred["true"]) == result["n_clips"] == 16
    assert result["accuracy"] == pytest.approx(np.mean(pred["true"] == pred["pred"]))
