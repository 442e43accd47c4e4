"""Evaluate a trained run: predictions of every test clip and the metrics computed from them.

:func:`evaluate` reads a run directory written by :func:`machinehearing.train.train`
(``config.json``, ``label_map.json``, ``checkpoints/best.pt``), rebuilds the feature cache
and the split the run was trained on through :mod:`machinehearing.datasets`, predicts the
clips of one side of the split and writes, atomically, next to the run::

    predictions.csv   filename,fold,true,pred,p_<label>...  (one row per clip; true/pred are
                      label indices, p_<label> the softmax probability of each label)
    metrics.json      accuracy, top-5, macro precision/recall/F1, per-class accuracy,
                      category accuracy (task "classes"), confusion matrices, bootstrap CI
    embeddings.npy    penultimate-layer embeddings (n_clips, 512), for t-SNE

On a cross-validation directory (``fold1/`` ... ``fold5/``) every fold is evaluated in its
own directory, and the top directory receives the pooled predictions of all folds and a
``metrics.json`` with the pooled metrics plus the per-fold scores (mean, sample std).
Evaluating another side of the split (``split="val"``) writes ``predictions_val.csv`` and
``metrics_val.json`` instead.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from . import metrics as M
from ._io import atomic_path, atomic_write_json, atomic_write_text
from .errors import DataError, ParameterError
from .stats import bootstrap_ci, crossval_summary

__all__ = [
    "evaluate",
    "compute_metrics",
    "load_metrics",
    "read_predictions",
    "fold_dirs",
    "is_crossval_dir",
]

_SPLITS = ("test", "val", "train")
_CHECKPOINTS = ("best", "last")
#: per-fold scores summarised (mean, sample std) for cross-validation directories
_FOLD_SCORES = ("accuracy", "top5", "f1_macro", "category_accuracy")


def fold_dirs(run_dir: str | Path) -> list[Path]:
    """The ``fold*`` run directories of a cross-validation directory, in fold order.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for k in (2, 10, 1):
    ...     (d / f"fold{k}").mkdir(); _ = (d / f"fold{k}" / "config.json").write_text("{}")
    >>> [p.name for p in fold_dirs(d)]
    ['fold1', 'fold2', 'fold10']
    """
    run_dir = Path(run_dir)
    found = [p for p in run_dir.glob("fold*") if (p / "config.json").is_file()]
    return sorted(found, key=lambda p: (len(p.name), p.name))


def is_crossval_dir(run_dir: str | Path) -> bool:
    """True for a cross-validation directory (fold run dirs and no config.json of its own)."""
    run_dir = Path(run_dir)
    return not (run_dir / "config.json").is_file() and bool(fold_dirs(run_dir))


def _suffix(split: str) -> str:
    return "" if split == "test" else f"_{split}"


def compute_metrics(
    y_true: np.ndarray,
    probabilities: np.ndarray,
    label_names: list[str] | tuple[str, ...],
    *,
    task: str = "classes",
    n_boot: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """All metrics of ``metrics.json`` from true labels and predicted probabilities.

    Parameters
    ----------
    y_true : array of int, shape (n_clips,)
        True label indices.
    probabilities : array, shape (n_clips, n_labels)
        Class probabilities (or scores; ``pred = argmax``).
    label_names : sequence of str
        Name of each label (``LabelMap.names``).
    task : {"classes", "categories"}
        With "classes" and 50 labels (ESC-50 targets) the category accuracy and the 5 x 5
        category confusion matrix are added.
    n_boot, seed
        Bootstrap of the accuracy's 95 % CI (:func:`machinehearing.stats.bootstrap_ci`).

    Returns
    -------
    dict
        JSON-ready: ``n_clips``, ``accuracy``, ``accuracy_ci95`` [low, high], ``top5``,
        ``precision_macro``, ``recall_macro``, ``f1_macro``, ``per_class_accuracy``
        ({name: value, null for classes absent from the clips}), ``present_labels``,
        ``confusion_matrix`` (counts over all labels, rows true), and for the classes task
        ``category_accuracy`` and ``category_confusion_matrix``.

    Examples
    --------
    >>> import numpy as np
    >>> from machinehearing.evaluate import compute_metrics
    >>> p = np.array([[0.8, 0.1, 0.1], [0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])
    >>> m = compute_metrics(np.array([0, 1, 2]), p, ["a", "b", "c"], task="categories")
    >>> round(m["accuracy"], 3), m["top5"], m["per_class_accuracy"]
    (0.667, 1.0, {'a': 1.0, 'b': 1.0, 'c': 0.0})
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    n_labels = len(label_names)
    if probabilities.ndim != 2 or probabilities.shape[1] != n_labels:
        raise ParameterError(
            f"probabilities must have shape (n_clips, {n_labels}), got {probabilities.shape}"
        )
    labels = np.arange(n_labels)
    y_pred = probabilities.argmax(axis=1)
    precision, recall, f1 = M.precision_recall_f1(y_true, y_pred, average="macro")
    per_class = M.per_class_accuracy(y_true, y_pred, labels=labels)
    result: dict[str, Any] = {
        "n_clips": int(len(y_true)),
        "accuracy": M.accuracy(y_true, y_pred),
        "accuracy_ci95": list(bootstrap_ci(y_true, y_pred, n_boot=n_boot, seed=seed)),
        "top5": M.top_k_accuracy(y_true, probabilities, k=min(5, n_labels), labels=labels),
        # macro averages over the labels present in the clips or the predictions
        "precision_macro": precision,
        "recall_macro": recall,
        "f1_macro": f1,
        "per_class_accuracy": dict(zip(label_names, per_class.tolist())),
        "present_labels": np.union1d(y_true, y_pred).tolist(),
        "confusion_matrix": M.confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }
    if task == "classes" and n_labels == 50:
        true_cat, pred_cat = M.to_categories(y_true), M.to_categories(y_pred)
        result["category_accuracy"] = M.category_accuracy(y_true, y_pred)
        result["category_confusion_matrix"] = M.confusion_matrix(
            true_cat, pred_cat, labels=np.arange(5)
        ).tolist()
    return _jsonable(result)


def _jsonable(value):
    """Replace NaN by None (JSON has no NaN) through nested dicts and lists."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _write_predictions(
    path: Path, rows: list[tuple[str, int]], y_true, probabilities, label_names
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["filename", "fold", "true", "pred", *(f"p_{n}" for n in label_names)])
    for (filename, fold), true, p in zip(rows, y_true, probabilities):
        writer.writerow([filename, fold, int(true), int(np.argmax(p)), *(f"{v:.6g}" for v in p)])
    atomic_write_text(path, buffer.getvalue())


def read_predictions(path: str | Path) -> dict[str, Any]:
    """Read a ``predictions.csv``: filenames, folds, true, pred, probabilities, label names.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "predictions.csv"
    >>> _ = p.write_text("filename,fold,true,pred,p_dog,p_cat\\n1-1-A-0.wav,1,0,1,0.4,0.6\\n")
    >>> r = read_predictions(p)
    >>> r["labels"], r["pred"].tolist(), r["probabilities"].shape
    (['dog', 'cat'], [1], (1, 2))
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no predictions file {path}: run 'machinehearing evaluate' first")
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    names = [h[2:] for h in header[4:]]
    return {
        "filename": [r[0] for r in rows],
        "fold": np.array([int(r[1]) for r in rows], dtype=np.int64),
        "true": np.array([int(r[2]) for r in rows], dtype=np.int64),
        "pred": np.array([int(r[3]) for r in rows], dtype=np.int64),
        "probabilities": np.array([[float(v) for v in r[4:]] for r in rows]).reshape(
            len(rows), len(names)
        ),
        "labels": names,
    }


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _dataset(config, run_dir: Path, split: str, progress: bool):
    """The ESC50Dataset of ``split`` of the run, from its config (cache rebuilt if needed)."""
    from .datasets import load_metadata
    from .train import dataset_root, run_dataset, run_split

    root = dataset_root(config, run_dir, progress=progress)
    indices = getattr(run_split(config, load_metadata(root)), split)
    if len(indices) == 0:
        raise DataError(f"the {split!r} side of the split of {run_dir} has no clips")
    return run_dataset(config, root, indices, progress=progress)  # builds or finds the cache


def _evaluate_run(
    run_dir: Path, *, checkpoint: str, split: str, device: str, progress: bool
) -> dict[str, Any]:
    from .datasets import make_loader
    from .train import predict, resolve_device
    from .train.loop import load_model
    from .train.precision import autocast_enabled

    if not (run_dir / "config.json").is_file():
        raise DataError(
            f"{run_dir} is not a run directory (no config.json) nor a cross-validation "
            "directory (no fold*/config.json); pass the directory given to train"
        )
    model, config, label_map = load_model(run_dir, checkpoint=checkpoint, device=device)
    dataset = _dataset(config, run_dir, split, progress)
    loader = make_loader(dataset, batch_size=64, shuffle=False, num_workers=0)
    amp = autocast_enabled(
        config.precision, resolve_device(device), cuda_amp=config.amp, inference=True
    )
    logits, embeddings = predict(model, loader, device=device, amp=amp, progress=progress)
    probabilities = _softmax(logits.astype(np.float64))
    y_true = dataset.labels
    suffix = _suffix(split)
    names = list(label_map.names)
    _write_predictions(
        run_dir / f"predictions{suffix}.csv",
        [(c.filename, c.fold) for c in dataset.clips],
        y_true,
        probabilities,
        names,
    )
    if embeddings is not None:
        with atomic_path(run_dir / f"embeddings{suffix}.npy") as tmp, open(tmp, "wb") as fh:
            np.save(fh, embeddings.astype(np.float32))
    result = compute_metrics(y_true, probabilities, names, task=config.task)
    result.update(
        {"run_dir": str(run_dir), "checkpoint": checkpoint, "split": split, "task": config.task}
    )
    atomic_write_json(run_dir / f"metrics{suffix}.json", result)
    return result


def evaluate(
    run_dir: str | Path,
    *,
    checkpoint: str = "best",
    split: str = "test",
    device: str = "auto",
    progress: bool = True,
) -> dict[str, Any]:
    """Predict the held-out clips of a run and write ``predictions.csv`` and ``metrics.json``.

    Parameters
    ----------
    run_dir : str or path-like
        A run directory of :func:`machinehearing.train.train`, or a cross-validation
        directory of :func:`machinehearing.train.crossval` (each fold is evaluated, then
        the results are pooled).
    checkpoint : {"best", "last"}, default="best"
        Which checkpoint to evaluate.
    split : {"test", "val", "train"}, default="test"
        Side of the run's split to predict (``"val"`` falls back to the test fold when the
        run validated on it).
    device : str, default="auto"
        ``"auto"`` (cuda > mps > cpu), ``"cpu"``, ``"cuda"``, ...
    progress : bool, default=True
        Show progress bars.

    Returns
    -------
    dict
        The content of ``metrics.json`` (see :func:`compute_metrics`); for a
        cross-validation directory also ``folds`` (per-fold scores) and ``crossval``
        (:func:`machinehearing.stats.crossval_summary` of the per-fold accuracy, top-5,
        macro F1 and, for the classes task, category accuracy).

    Raises
    ------
    DataError
        When ``run_dir`` is not a run or cross-validation directory or has no checkpoint.
    """
    if checkpoint not in _CHECKPOINTS:
        raise ParameterError(f"checkpoint must be one of {_CHECKPOINTS}, got {checkpoint!r}")
    if split not in _SPLITS:
        raise ParameterError(f"split must be one of {_SPLITS}, got {split!r}")
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise DataError(f"run directory {run_dir} does not exist")
    options = dict(checkpoint=checkpoint, split=split, device=device, progress=progress)
    if not is_crossval_dir(run_dir):
        return _evaluate_run(run_dir, **options)

    folds = {p.name: _evaluate_run(p, **options) for p in fold_dirs(run_dir)}
    suffix = _suffix(split)
    pooled = [read_predictions(p / f"predictions{suffix}.csv") for p in fold_dirs(run_dir)]
    names = pooled[0]["labels"]
    y_true = np.concatenate([p["true"] for p in pooled])
    probabilities = np.concatenate([p["probabilities"] for p in pooled])
    _write_predictions(
        run_dir / f"predictions{suffix}.csv",
        [(f, int(k)) for p in pooled for f, k in zip(p["filename"], p["fold"])],
        y_true,
        probabilities,
        names,
    )
    task = next(iter(folds.values()))["task"]
    result = compute_metrics(y_true, probabilities, names, task=task)
    result.update(
        {
            "run_dir": str(run_dir),
            "checkpoint": checkpoint,
            "split": split,
            "task": task,
            "folds": {
                name: {k: m[k] for k in ("n_clips", "accuracy_ci95", *_FOLD_SCORES) if k in m}
                for name, m in folds.items()
            },
            "crossval": {
                key: crossval_summary({name: m[key] for name, m in folds.items()})
                for key in _FOLD_SCORES
                if all(key in m for m in folds.values())
            },
        }
    )
    result = _jsonable(result)
    atomic_write_json(run_dir / f"metrics{suffix}.json", result)
    return result


def load_metrics(run_dir: str | Path, *, split: str = "test") -> dict[str, Any]:
    """Read ``metrics.json`` of a run (written by :func:`evaluate`)."""
    path = Path(run_dir) / f"metrics{_suffix(split)}.json"
    if not path.is_file():
        raise DataError(f"no {path.name} in {run_dir}: run 'machinehearing evaluate' first")
    return json.loads(path.read_text(encoding="utf-8"))
