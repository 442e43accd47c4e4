"""A self-contained HTML (and Markdown) report of a training run.

:func:`write_report` gathers what a run directory holds -- its configuration, training
curves, and the predictions and metrics written by :func:`machinehearing.evaluate.evaluate`
(computed first when missing) -- into::

    <out>/report.html   one file: figures embedded as base64 PNG, tables as HTML
    <out>/report.md     the same in Markdown, figures as PNG files next to it

Sections: configuration, training curves, metrics (with a bootstrap 95 % CI of the
accuracy), per-fold table with mean ± sample std (cross-validation directories),
confusion matrices over the classes and over the 5 ESC-50 categories, per-class accuracy,
the most-confused pairs, a per-class classification report, and a t-SNE map of the
penultimate-layer embeddings.
"""

from __future__ import annotations

import base64
import html
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import metrics as M
from ._io import atomic_write_bytes, atomic_write_text
from .errors import DataError
from .evaluate import evaluate, fold_dirs, is_crossval_dir, load_metrics, read_predictions

__all__ = ["write_report"]

_DPI = 100


@dataclass
class _Report:
    """Blocks of a report, rendered to HTML and Markdown."""

    title: str
    blocks: list[tuple[str, Any]] = field(default_factory=list)
    figures: dict[str, bytes] = field(default_factory=dict)

    def heading(self, text: str) -> None:
        self.blocks.append(("h2", text))

    def text(self, text: str) -> None:
        self.blocks.append(("p", text))

    def pre(self, text: str) -> None:
        self.blocks.append(("pre", text))

    def table(self, header: list[str], rows: list[list[Any]]) -> None:
        self.blocks.append(("table", (header, rows)))

    def figure(self, name: str, fig, caption: str) -> None:
        """Render ``fig`` to PNG (and close it) under ``name``.png."""
        import matplotlib.pyplot as plt

        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=_DPI)
        plt.close(fig)
        self.figures[f"{name}.png"] = buffer.getvalue()
        self.blocks.append(("figure", (f"{name}.png", caption)))

    def html(self) -> str:
        out = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{html.escape(self.title)}</title>",
            "<style>body{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}"
            "table{border-collapse:collapse;margin:0.5em 0}"
            "td,th{border:1px solid #bbb;padding:2px 8px;text-align:left}"
            "th{background:#eee}img{max-width:100%}figcaption{color:#555}</style>",
            "</head><body>",
            f"<h1>{html.escape(self.title)}</h1>",
        ]
        for kind, value in self.blocks:
            if kind == "h2":
                out.append(f"<h2>{html.escape(value)}</h2>")
            elif kind == "p":
                out.append(f"<p>{html.escape(value)}</p>")
            elif kind == "pre":
                out.append(f"<pre>{html.escape(value)}</pre>")
            elif kind == "table":
                header, rows = value
                out.append("<table><thead><tr>")
                out += [f"<th>{html.escape(str(h))}</th>" for h in header]
                out.append("</tr></thead><tbody>")
                for row in rows:
                    cells = "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row)
                    out.append(f"<tr>{cells}</tr>")
                out.append("</tbody></table>")
            else:
                name, caption = value
                data = base64.b64encode(self.figures[name]).decode("ascii")
                out.append(
                    f'<figure><img src="data:image/png;base64,{data}" '
                    f'alt="{html.escape(caption)}"><figcaption>{html.escape(caption)}'
                    "</figcaption></figure>"
                )
        out.append("</body></html>")
        return "\n".join(out) + "\n"

    def markdown(self) -> str:
        out = [f"# {self.title}", ""]
        for kind, value in self.blocks:
            if kind == "h2":
                out += [f"## {value}", ""]
            elif kind == "p":
                out += [value, ""]
            elif kind == "pre":
                out += ["```", value.rstrip("\n"), "```", ""]
            elif kind == "table":
                header, rows = value
                out.append("| " + " | ".join(_md(h) for h in header) + " |")
                out.append("|" + "---|" * len(header))
                out += ["| " + " | ".join(_md(_cell(v)) for v in row) + " |" for row in rows]
                out.append("")
            else:
                name, caption = value
                out += [f"![{name[:-4]}]({name})", "", f"*{caption}*", ""]
        return "\n".join(out)


def _cell(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|")


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def _config_section(report: _Report, run_dir: Path, crossval: bool) -> None:
    source = fold_dirs(run_dir)[0] if crossval else run_dir
    config = json.loads((source / "config.json").read_text(encoding="utf-8"))
    report.heading("Configuration")
    if crossval:
        report.text(
            f"Cross-validation over {len(fold_dirs(run_dir))} folds "
            f"({', '.join(p.name for p in fold_dirs(run_dir))}); the configuration of "
            f"{source.name} is shown (the folds differ in test_fold)."
        )
    rows = [[key, json.dumps(value)] for key, value in config.items()]
    report.table(["field", "value"], rows)


def _metrics_section(report: _Report, m: dict) -> None:
    report.heading("Metrics")
    low, high = m["accuracy_ci95"]
    rows = [
        ["clips", m["n_clips"]],
        ["accuracy", f"{_pct(m['accuracy'])} (95 % bootstrap CI {_pct(low)} to {_pct(high)})"],
        ["top-5 accuracy", _pct(m["top5"])],
        ["macro precision", f"{m['precision_macro']:.4f}"],
        ["macro recall", f"{m['recall_macro']:.4f}"],
        ["macro F1", f"{m['f1_macro']:.4f}"],
    ]
    if "category_accuracy" in m:
        rows.append(["category accuracy (5 categories)", _pct(m["category_accuracy"])])
    report.table(["metric", "value"], rows)
    report.text(
        "Macro averages are over the labels present in the clips or the predictions. "
        "The confidence interval resamples the test clips (percentile bootstrap, 1000 draws)."
    )


def _crossval_section(report: _Report, m: dict) -> None:
    report.heading("Cross-validation")
    summaries = m["crossval"]
    keys = list(summaries)
    rows = [
        [
            name,
            f["n_clips"],
            *(f"{f[k]:.4f}" for k in keys),
            "{:.4f} to {:.4f}".format(*f["accuracy_ci95"]),
        ]
        for name, f in m["folds"].items()
    ]
    mean_row = ["mean ± std", m["n_clips"]]
    for k in keys:
        std = summaries[k]["std"]
        mean_row.append(f"{summaries[k]['mean']:.4f} ± {'n/a' if std is None else f'{std:.4f}'}")
    mean_row.append("{:.4f} to {:.4f} (pooled)".format(*m["accuracy_ci95"]))
    report.table(["fold", "clips", *keys, "accuracy 95 % CI"], [*rows, mean_row])
    report.text(
        f"Pooled over all folds: accuracy {_pct(m['accuracy'])}. The std is the sample "
        "standard deviation over folds (ddof=1); the confidence intervals resample clips "
        "(percentile bootstrap)."
    )


def _embeddings_section(report: _Report, run_dir: Path, crossval: bool, names) -> None:
    from . import plots

    report.heading("Embeddings (t-SNE)")
    source = fold_dirs(run_dir)[0] if crossval else run_dir
    path = source / "embeddings.npy"
    if not path.is_file():
        report.text(
            "No embeddings were saved for this run (the model has no forward_features), "
            "so the t-SNE map is skipped."
        )
        return
    embeddings = np.load(path)
    labels = read_predictions(source / "predictions.csv")["true"]
    if len(labels) != len(embeddings) or len(labels) < 3:
        report.text("The saved embeddings do not match the predictions; t-SNE skipped.")
        return
    ax = plots.embeddings_tsne(embeddings, labels, names=names)
    where = f" of {source.name} (each fold has its own model)" if crossval else ""
    report.figure(
        "tsne",
        ax.figure,
        f"t-SNE of the 512-d penultimate-layer embeddings of the test clips{where}, "
        "coloured by true class.",
    )


def _needs_evaluation(run_dir: Path, crossval: bool) -> bool:
    """True when metrics.json is missing or older than a checkpoint of the run."""
    metrics = run_dir / "metrics.json"
    if not metrics.is_file():
        return True
    runs = fold_dirs(run_dir) if crossval else [run_dir]
    checkpoints = [p for r in runs for p in (r / "checkpoints").glob("*.pt")]
    return any(p.stat().st_mtime > metrics.stat().st_mtime for p in checkpoints)


def write_report(run_dir: str | Path, *, out: str | Path | None = None) -> Path:
    """Write ``report.html`` and ``report.md`` for a run or cross-validation directory.

    Parameters
    ----------
    run_dir : str or path-like
        A run directory of :func:`machinehearing.train.train` or a cross-validation
        directory. When ``metrics.json`` is missing or older than a checkpoint,
        :func:`machinehearing.evaluate.evaluate` runs first (without progress bars).
    out : str or path-like, optional
        Output directory; default ``run_dir/report``.

    Returns
    -------
    pathlib.Path
        The HTML report (``report.md`` and the PNG figures lie next to it).

    Raises
    ------
    DataError
        When ``run_dir`` is not a run or cross-validation directory.
    """
    from . import plots

    run_dir = Path(run_dir)
    crossval = is_crossval_dir(run_dir)
    if not crossval and not (run_dir / "config.json").is_file():
        raise DataError(
            f"{run_dir} is not a run directory (no config.json) nor a cross-validation "
            "directory (no fold*/config.json)"
        )
    out = run_dir / "report" if out is None else Path(out)
    if _needs_evaluation(run_dir, crossval):
        evaluate(run_dir, progress=False)
    m = load_metrics(run_dir)
    pred = read_predictions(run_dir / "predictions.csv")
    names = pred["labels"]

    report = _Report(f"machinehearing report: {run_dir.resolve().name}")
    report.text(f"Run directory: {run_dir.resolve()}; evaluated checkpoint: {m['checkpoint']}.")
    _config_section(report, run_dir, crossval)

    report.heading("Training curves")
    report.figure(
        "training_curves",
        plots.training_curves(run_dir),
        "Loss and accuracy per epoch: training (solid) and validation (dashed)"
        + (", one colour per fold." if crossval else "."),
    )
    _metrics_section(report, m)
    if crossval:
        _crossval_section(report, m)

    cm = np.asarray(m["confusion_matrix"])
    present = np.asarray(m["present_labels"])
    shown = [names[i] for i in present]
    report.heading("Confusion matrices")
    ax = plots.confusion_matrix(cm[np.ix_(present, present)], labels=shown)
    report.figure(
        "confusion_matrix",
        ax.figure,
        f"Confusion matrix over the {len(present)} labels that occur (rows: true class, "
        "% of the true class).",
    )
    if "category_confusion_matrix" in m:
        from .datasets.esc50 import CATEGORIES

        ax = plots.confusion_matrix(m["category_confusion_matrix"], labels=CATEGORIES)
        report.figure(
            "category_confusion_matrix",
            ax.figure,
            "Confusion matrix over the 5 ESC-50 categories (50-class predictions mapped "
            "to their category).",
        )

    report.heading("Per-class accuracy")
    accuracy = [m["per_class_accuracy"][names[i]] for i in present]
    ax = plots.per_class_accuracy([np.nan if a is None else a for a in accuracy], labels=shown)
    report.figure(
        "per_class_accuracy", ax.figure, "Accuracy of each class (recall), sorted; n/a: no clip."
    )
    report.pre(
        M.classification_report(pred["true"], pred["pred"], labels=present, target_names=shown)
    )

    report.heading("Most confused pairs")
    pairs = M.most_confused(cm, k=10)
    if pairs:
        support = cm.sum(axis=1)
        report.table(
            ["true class", "predicted as", "clips", "% of true class"],
            [[names[i], names[j], int(v), f"{100 * v / support[i]:.1f}"] for i, j, v in pairs],
        )
        ax = plots.confused_pairs(cm, labels=names, k=10)
        report.figure("confused_pairs", ax.figure, "The 10 largest off-diagonal entries.")
    else:
        report.text("No clip was misclassified.")

    _embeddings_section(report, run_dir, crossval, names)

    for name, data in report.figures.items():
        atomic_write_bytes(out / name, data)
    atomic_write_text(out / "report.md", report.markdown())
    return atomic_write_text(out / "report.html", report.html())
