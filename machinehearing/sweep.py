"""Compare feature sets under one protocol: the course's central question in one call.

:func:`sweep` trains every single feature (a 1-channel input) and every 3-feature stack
(a 3-channel input) with the same :class:`~machinehearing.train.TrainConfig`, by
cross-validation over the official folds, evaluates each, and :func:`summarize` writes::

    sweep.json        the protocol (base configuration, feature sets, folds)
    <set>/            one cross-validation directory per feature set (fold1/ ... fold5/)
    comparison.csv    feature set, channels, per-fold accuracy, mean, std, pooled accuracy + CI
    comparison.md     the same table, and the pairwise McNemar tests, in Markdown
    mcnemar.csv       pairwise exact McNemar tests on the pooled predictions (same clips)
    comparison.png    bars of the mean accuracy with the spread over folds

Everything is resumable (finished folds and evaluations are reused) and shardable:
``shard="i/n"`` runs every n-th feature set starting at the i-th, so n machines (or a CI
matrix) can split the work; the summary is written once all sets are evaluated.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._io import atomic_path, atomic_write_json, atomic_write_text, select_shard
from .errors import DataError, ParameterError

__all__ = ["feature_sets", "set_name", "sweep", "summarize"]

SUMMARY_FILES = ("comparison.csv", "comparison.md", "mcnemar.csv", "comparison.png")


def feature_sets(
    features: Sequence[str], *, singles: bool = True, triples: bool = True
) -> list[tuple[str, ...]]:
    """The feature sets a sweep trains: each feature alone, then every 3-feature stack.

    Parameters
    ----------
    features : sequence of str
        Feature spec strings (``"logmel"``, ``"mfcc:n_mfcc=40"``), without repeats.
    singles : bool, default=True
        Include each feature alone (1-channel inputs).
    triples : bool, default=True
        Include every combination of three features (3-channel inputs), in the given order.

    Returns
    -------
    list of tuple of str

    Examples
    --------
    >>> feature_sets(["logmel", "mfcc", "chroma", "contrast"], singles=False)
    [('logmel', 'mfcc', 'chroma'), ('logmel', 'mfcc', 'contrast'), ('logmel', 'chroma', 'contrast'), ('mfcc', 'chroma', 'contrast')]
    >>> len(feature_sets(["logmel", "mfcc", "chroma", "contrast"]))
    8
    """  # noqa: E501
    features = [str(f) for f in features]
    if len(set(features)) != len(features):
        raise ParameterError(f"features must not repeat a feature, got {features}")
    if not (singles or triples):
        raise ParameterError("choose at least one of singles=True or triples=True")
    if triples and len(features) < 3:
        raise ParameterError(f"triples need at least 3 features, got {features}")
    sets: list[tuple[str, ...]] = [(f,) for f in features] if singles else []
    if triples:
        sets += list(itertools.combinations(features, 3))
    if not sets:
        raise ParameterError("features is empty: name at least one feature")
    return sets


def set_name(features: Sequence[str]) -> str:
    """Directory and table name of a feature set: the features joined by ``+``.

    Examples
    --------
    >>> set_name(("logmel", "mfcc:n_mfcc=40", "chroma"))
    'logmel+mfcc-n_mfcc=40+chroma'
    """
    return "+".join(str(f).replace(":", "-").replace(",", "-") for f in features)


def _protocol(config, sets, folds) -> dict[str, Any]:
    base = json.loads(config.to_json())
    base.pop("features", None)
    return {"base_config": base, "sets": [list(s) for s in sets], "folds": list(folds)}


def _check_protocol(run_dir: Path, protocol: dict[str, Any]) -> None:
    path = run_dir / "sweep.json"
    if path.is_file():
        saved = json.loads(path.read_text(encoding="utf-8"))
        if saved["base_config"] != protocol["base_config"] or saved["folds"] != protocol["folds"]:
            raise DataError(
                f"{run_dir} holds a sweep with another protocol (see {path}); "
                "use a new run directory to compare under different settings"
            )
        protocol["sets"] = saved["sets"] + [s for s in protocol["sets"] if s not in saved["sets"]]
    atomic_write_json(path, protocol)


def sweep(
    config,
    run_dir: str | Path,
    *,
    features: Sequence[str],
    singles: bool = True,
    triples: bool = True,
    folds: Sequence[int] = (1, 2, 3, 4, 5),
    shard: str | None = None,
    progress: bool = True,
) -> dict[str, Any] | None:
    """Train and evaluate every feature set of :func:`feature_sets` under one protocol.

    Parameters
    ----------
    config : TrainConfig
        The shared protocol; its ``features`` field is replaced by each set in turn.
    run_dir : str or path-like
        The sweep directory (created; an existing one is resumed).
    features, singles, triples
        The feature sets, see :func:`feature_sets`.
    folds : sequence of int, default=(1, 2, 3, 4, 5)
        Official test folds of the cross-validation.
    shard : str, optional
        ``"i/n"``: run only shard ``i`` of ``n`` of the feature sets.
    progress : bool, default=True
        Show progress bars.

    Returns
    -------
    dict or None
        The summary of :func:`summarize` once every set of the sweep is evaluated;
        ``None`` while other shards still have sets to run.
    """
    from .evaluate import evaluate
    from .train import crossval, dataset_root

    run_dir = Path(run_dir)
    sets = feature_sets(features, singles=singles, triples=triples)
    if config.data_root is None:  # one synthetic set shared by every feature set
        root = dataset_root(config, run_dir / "sets", progress=progress)
        config = dataclasses.replace(config, data_root=str(root.resolve()))
    protocol = _protocol(config, sets, folds)
    _check_protocol(run_dir, protocol)
    for fs in select_shard(sets, shard):
        name = set_name(fs)
        set_dir = run_dir / name
        if progress:
            print(f"sweep: {name} ({len(fs)} channel{'s' if len(fs) > 1 else ''})")
        crossval(
            dataclasses.replace(config, features=list(fs)),
            set_dir,
            folds=folds,
            resume=True,
            progress=progress,
        )
        if not _evaluated(set_dir):
            evaluate(set_dir, progress=progress)
    missing = [set_name(s) for s in protocol["sets"] if not _evaluated(run_dir / set_name(s))]
    if missing:
        if progress:
            print(f"sweep: waiting for other shards to finish {', '.join(missing)}")
        return None
    return summarize(run_dir)


def _evaluated(set_dir: Path) -> bool:
    metrics, summary = set_dir / "metrics.json", set_dir / "summary.json"
    return (
        metrics.is_file()
        and summary.is_file()
        and metrics.stat().st_mtime >= summary.stat().st_mtime
    )


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _csv_text(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def summarize(run_dir: str | Path) -> dict[str, Any]:
    """Write the comparison table, figure and pairwise McNemar tests of a finished sweep.

    Parameters
    ----------
    run_dir : str or path-like
        A sweep directory whose feature sets are all evaluated.

    Returns
    -------
    dict
        ``table`` (one dict per feature set, best first), ``mcnemar`` (one dict per pair)
        and ``files`` (the paths written).
    """
    from matplotlib.figure import Figure

    from .evaluate import load_metrics, read_predictions
    from .plots.results import feature_comparison
    from .stats import compare_feature_sets

    run_dir = Path(run_dir)
    path = run_dir / "sweep.json"
    if not path.is_file():
        raise DataError(f"{run_dir} is not a sweep directory (no sweep.json): run sweep first")
    sets = [tuple(s) for s in json.loads(path.read_text(encoding="utf-8"))["sets"]]
    missing = [set_name(s) for s in sets if not _evaluated(run_dir / set_name(s))]
    if missing:
        raise DataError(f"feature sets not finished yet: {', '.join(missing)}; run the sweep")

    table, predictions, y_true, order = [], {}, None, None
    for fs in sets:
        name = set_name(fs)
        metrics = load_metrics(run_dir / name)
        per_fold = metrics["crossval"]["accuracy"]["per_fold"]
        pred = read_predictions(run_dir / name / "predictions.csv")
        index = np.argsort(pred["filename"])
        filenames = [pred["filename"][i] for i in index]
        if order is None:
            order, y_true = filenames, pred["true"][index]
        elif filenames != order:
            raise DataError(f"{name} was evaluated on other clips than {set_name(sets[0])}")
        predictions[name] = pred["pred"][index]
        low, high = metrics["accuracy_ci95"]
        table.append(
            {
                "features": name,
                "channels": len(fs),
                "per_fold": per_fold,
                "mean": metrics["crossval"]["accuracy"]["mean"],
                "std": metrics["crossval"]["accuracy"]["std"],
                "pooled": metrics["accuracy"],
                "ci95": [low, high],
            }
        )
    table.sort(key=lambda row: -row["mean"])
    pairs = compare_feature_sets(y_true, predictions) if len(predictions) > 1 else []

    header = ["features", "channels", "mean", "std", "pooled", "ci95_low", "ci95_high", "per_fold"]
    rows = [
        [
            r["features"],
            r["channels"],
            f"{r['mean']:.4f}",
            "" if r["std"] is None or np.isnan(r["std"]) else f"{r['std']:.4f}",
            f"{r['pooled']:.4f}",
            f"{r['ci95'][0]:.4f}",
            f"{r['ci95'][1]:.4f}",
            " ".join(f"{v:.4f}" for v in r["per_fold"]),
        ]
        for r in table
    ]
    pair_header = ["a", "b", "acc_a", "acc_b", "only_a", "only_b", "pvalue"]
    pair_rows = [
        [p["a"], p["b"], f"{p['acc_a']:.4f}", f"{p['acc_b']:.4f}", p["only_a"], p["only_b"],
         f"{p['pvalue']:.4g}"]
        for p in pairs
    ]
    files = {name: run_dir / name for name in SUMMARY_FILES}
    atomic_write_text(files["comparison.csv"], _csv_text(header, rows))
    atomic_write_text(files["mcnemar.csv"], _csv_text(pair_header, pair_rows))
    markdown = "# Feature-set comparison\n\n" + _markdown_table(header, rows)
    if pairs:
        markdown += (
            "\n## Pairwise McNemar tests (exact, pooled test predictions)\n\n"
            f"Bonferroni threshold for {len(pairs)} pairs at alpha = 0.05: "
            f"{0.05 / len(pairs):.2g}\n\n" + _markdown_table(pair_header, pair_rows)
        )
    atomic_write_text(files["comparison.md"], markdown)

    # a Figure outside pyplot: no backend is chosen or changed for the caller
    fig = Figure(figsize=(max(5.0, 0.8 * len(table) + 2.0), 4.0), layout="constrained")
    ax = feature_comparison({r["features"]: r["per_fold"] for r in table}, ax=fig.add_subplot())
    ax.set_title("Cross-validated accuracy per feature set")
    with atomic_path(files["comparison.png"], suffix=".png") as tmp:
        fig.savefig(tmp, dpi=120)
    return {"table": table, "mcnemar": pairs, "files": {k: str(v) for k, v in files.items()}}
