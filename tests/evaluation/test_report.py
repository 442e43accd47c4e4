"""machinehearing.report and the ``evaluate``/``report`` commands."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import replace

import pytest

pytest.importorskip("torch")

from machinehearing.cli import main  # noqa: E402
from machinehearing.errors import DataError  # noqa: E402
from machinehearing.report import write_report  # noqa: E402

SECTIONS = [
    "Configuration",
    "Training curves",
    "Metrics",
    "Confusion matrices",
    "Per-class accuracy",
    "Most confused pairs",
    "Embeddings (t-SNE)",
]
FIGURES = [
    "training_curves.png",
    "confusion_matrix.png",
    "category_confusion_matrix.png",
    "per_class_accuracy.png",
    "tsne.png",
]


def embedded_pngs(text):
    return re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)


def test_report_html_is_self_contained_and_markdown_links_pngs(evaluated_run, tmp_path):
    run_dir, _, metrics = evaluated_run
    html_path = write_report(run_dir, out=tmp_path / "out")
    assert html_path == tmp_path / "out" / "report.html"
    text = html_path.read_text()
    for section in SECTIONS:
        assert f"<h2>{section}</h2>" in text
    images = embedded_pngs(text)
    assert len(images) >= len(FIGURES)
    assert all(base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n" for data in images)
    assert '<img src="http' not in text and "<link" not in text  # nothing external
    assert f"{100 * metrics['accuracy']:.1f} %" in text
    markdown = (tmp_path / "out" / "report.md").read_text()
    for name in FIGURES:
        assert f"]({name})" in markdown
        assert (tmp_path / "out" / name).stat().st_size > 1000
    assert "| accuracy |" in markdown and "## Most confused pairs" in markdown


def test_report_defaults_to_run_dir_report_and_evaluates_first(make_run_dir, run_config, tmp_path):
    run_dir = tmp_path / "fresh"
    make_run_dir(run_dir, run_config)
    html_path = write_report(run_dir)
    assert html_path == run_dir / "report" / "report.html"
    assert (run_dir / "metrics.json").is_file() and (run_dir / "predictions.csv").is_file()


def test_report_evaluates_again_when_a_checkpoint_is_newer_than_the_metrics(
    make_run_dir, run_config, tmp_path
):
    import os

    run_dir = tmp_path / "stale"
    make_run_dir(run_dir, run_config)
    (run_dir / "metrics.json").write_text("{}")  # an old, unusable result
    os.utime(run_dir / "metrics.json", (1, 1))
    write_report(run_dir)
    assert "accuracy" in json.loads((run_dir / "metrics.json").read_text())


def test_report_of_a_crossval_dir_has_the_per_fold_table(make_run_dir, run_config, tmp_path):
    root = tmp_path / "cv"
    for fold in (1, 2):
        make_run_dir(
            root / f"fold{fold}", replace(run_config, test_fold=fold, val_fold=None), seed=fold
        )
    text = write_report(root).read_text()
    metrics = json.loads((root / "metrics.json").read_text())
    assert "<h2>Cross-validation</h2>" in text
    assert "<td>fold1</td>" in text and "<td>fold2</td>" in text
    summary = metrics["crossval"]["accuracy"]
    assert f"{summary['mean']:.4f} ± {summary['std']:.4f}" in text
    assert "each fold has its own model" in text


def test_report_notes_missing_embeddings(evaluated_run, tmp_path):
    import shutil

    run_dir = tmp_path / "copy"
    shutil.copytree(evaluated_run[0], run_dir)
    (run_dir / "embeddings.npy").unlink()
    text = write_report(run_dir, out=tmp_path / "r").read_text()
    assert "t-SNE map is skipped" in text


def test_report_rejects_a_directory_that_is_not_a_run(tmp_path):
    with pytest.raises(DataError, match="not a run directory"):
        write_report(tmp_path)


def test_cli_evaluate_and_report_print_where_files_went(evaluated_run, tmp_path, capsys):
    run_dir = evaluated_run[0]
    assert main(["evaluate", str(run_dir), "--device", "cpu", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"wrote {run_dir / 'predictions.csv'}" in out
    assert f"wrote {run_dir / 'metrics.json'}" in out and "accuracy" in out
    assert main(["report", str(run_dir), "--out", str(tmp_path / "rep")]) == 0
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'rep' / 'report.html'}" in out
    assert (tmp_path / "rep" / "report.md").is_file()


def test_cli_reports_user_errors_with_exit_status_2(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "nothing"), "--quiet"]) == 2
    assert "machinehearing evaluate: error:" in capsys.readouterr().err
    assert main(["report", str(tmp_path)]) == 2
