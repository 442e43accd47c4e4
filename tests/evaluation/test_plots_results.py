"""machinehearing.plots.results: the drawn numbers equal independently computed ones."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import sklearn.metrics as skm
from matplotlib.container import BarContainer

from machinehearing import plots
from machinehearing.datasets import CATEGORIES, CLASSES
from machinehearing.errors import DataError, ParameterError

HISTORY = {
    "epoch": [1, 2, 3],
    "train_loss": [2.0, 1.2, 0.8],
    "train_acc": [0.3, 0.6, 0.8],
    "val_loss": [2.1, 1.5, 1.3],
    "val_acc": [0.25, 0.5, 0.6],
}


def write_metrics_csv(path, history, extra="lr,seconds"):
    path.mkdir(parents=True, exist_ok=True)
    keys = list(history)
    lines = [",".join(keys) + "," + extra]
    for i in range(len(history["epoch"])):
        lines.append(",".join(str(history[k][i]) for k in keys) + ",0.001,1.0")
    (path / "metrics.csv").write_text("\n".join(lines) + "\n")


def predictions(n=2000, n_classes=50, p_right=0.7, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    return y, np.where(rng.random(n) < p_right, y, rng.integers(0, n_classes, n))


@pytest.mark.parametrize("source", ["dict", "rows", "run_dir", "csv_file"])
def test_training_curves_plot_the_history(source, tmp_path, render):
    if source == "dict":
        history = HISTORY
    elif source == "rows":
        history = [{k: v[i] for k, v in HISTORY.items()} for i in range(3)]
    else:
        write_metrics_csv(tmp_path / "run", HISTORY)
        history = tmp_path / "run" if source == "run_dir" else tmp_path / "run" / "metrics.csv"
    fig = plots.training_curves(history)
    loss_ax, acc_ax = fig.axes
    assert [line.get_label() for line in loss_ax.lines] == ["train", "val"]
    np.testing.assert_allclose(loss_ax.lines[0].get_ydata(), HISTORY["train_loss"])
    np.testing.assert_allclose(acc_ax.lines[1].get_ydata(), HISTORY["val_acc"])
    np.testing.assert_allclose(acc_ax.lines[1].get_xdata(), HISTORY["epoch"])
    assert acc_ax.get_ylim() == (0.0, 1.0)
    assert loss_ax.get_xlabel() == "Epoch" and acc_ax.get_ylabel() == "Accuracy"
    render(fig)


def test_training_curves_draw_one_colour_per_fold(tmp_path, render):
    for k in (1, 2, 10):
        shifted = {**HISTORY, "val_acc": [v + 0.01 * k for v in HISTORY["val_acc"]]}
        write_metrics_csv(tmp_path / f"fold{k}", shifted)
    fig = plots.training_curves(tmp_path)
    acc_ax = fig.axes[1]
    labels = [line.get_label() for line in acc_ax.lines]
    assert labels == [
        "train fold1",
        "val fold1",
        "train fold2",
        "val fold2",
        "train fold10",
        "val fold10",
    ]
    assert acc_ax.lines[5].get_ydata()[0] == pytest.approx(0.35)
    assert len({line.get_color() for line in acc_ax.lines}) == 3
    render(fig)


def test_training_curves_reject_what_is_not_a_history(tmp_path):
    with pytest.raises(DataError, match="metrics.csv"):
        plots.training_curves(tmp_path)
    with pytest.raises(ParameterError, match="val_acc"):
        plots.training_curves({"epoch": [1], "train_loss": [1.0]})
    with pytest.raises(ParameterError, match="history"):
        plots.training_curves(42)


def test_confusion_matrix_50_classes_shows_row_percentages_and_names(render):
    y, p = predictions()
    cm = skm.confusion_matrix(y, p, labels=range(50))
    ax = plots.confusion_matrix(cm, labels=CLASSES)
    shown = ax.images[0].get_array()
    np.testing.assert_allclose(
        shown, 100 * skm.confusion_matrix(y, p, labels=range(50), normalize="true")
    )
    assert [t.get_text() for t in ax.get_xticklabels()] == list(CLASSES)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(CLASSES)
    assert ax.get_xticklabels()[0].get_fontsize() <= 6  # small enough for 50 names
    assert not ax.texts  # no cell annotations at 50 x 50
    assert ax.figure.get_size_inches()[1] >= 10
    assert ax.figure.axes[-1].get_ylabel() == "% of true class"
    render(ax, "cm50")


@pytest.mark.parametrize("normalize", ["true", "pred", "all", None])
def test_confusion_matrix_5_categories_annotates_cells(normalize, render):
    y, p = predictions(n=300)
    yc, pc = y // 10, p // 10
    cm = skm.confusion_matrix(yc, pc)
    ax = plots.confusion_matrix(cm, labels=CATEGORIES, normalize=normalize)
    expected = skm.confusion_matrix(yc, pc, normalize=normalize)
    np.testing.assert_allclose(
        ax.images[0].get_array(), expected * (1 if normalize is None else 100)
    )
    assert len(ax.texts) == np.count_nonzero(cm)
    render(ax)


def test_confusion_matrix_validates_inputs():
    with pytest.raises(ParameterError, match="square"):
        plots.confusion_matrix(np.zeros((2, 3)))
    with pytest.raises(ParameterError, match="labels"):
        plots.confusion_matrix(np.eye(3), labels=["a", "b"])
    with pytest.raises(ParameterError, match="normalize"):
        plots.confusion_matrix(np.eye(3), normalize="rows")


def test_per_class_accuracy_bars_are_sorted_best_first(render):
    acc = np.array([0.5, np.nan, 0.9, 0.7])
    ax = plots.per_class_accuracy(acc, labels=["a", "b", "c", "d"])
    bars = sorted(ax.patches, key=lambda r: -r.get_y())  # top first
    assert [round(b.get_width(), 6) for b in bars] == [0.9, 0.7, 0.5, 0.0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["c", "d", "a", "b (n/a)"]
    assert ax.get_xlim() == (0.0, 1.0)
    assert ax.lines[0].get_xdata()[0] == pytest.approx(np.nanmean(acc))
    render(ax)


def test_per_class_accuracy_unsorted_keeps_class_order():
    ax = plots.per_class_accuracy([0.1, 0.9, 0.5], sort=False)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", "1", "2"]
    plt.close("all")


def test_confused_pairs_are_the_largest_off_diagonal_rates(render):
    y, p = predictions(n=500, n_classes=8, p_right=0.5, seed=3)
    cm = skm.confusion_matrix(y, p)
    ax = plots.confused_pairs(cm, labels=[f"c{i}" for i in range(8)], k=5)
    rates = 100 * cm / cm.sum(axis=1, keepdims=True)
    np.fill_diagonal(rates, 0)
    top = np.sort(rates.ravel())[::-1][:5]
    bars = sorted(ax.patches, key=lambda r: -r.get_y())
    np.testing.assert_allclose([b.get_width() for b in bars], top)
    first = np.unravel_index(np.argmax(rates), rates.shape)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == f"c{first[0]} → c{first[1]}"  # ticks are listed top first
    render(ax)


def test_feature_comparison_bars_show_mean_and_sample_std(render):
    table = {"mfcc": [0.70, 0.72, 0.69], "logmel": [0.80, 0.78, 0.83, 0.81], "chroma": 0.4}
    ax = plots.feature_comparison(table)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["logmel", "mfcc", "chroma"]
    container = next(c for c in ax.containers if isinstance(c, BarContainer))
    heights = [bar.get_height() for bar in container.patches]
    np.testing.assert_allclose(heights, [np.mean(table["logmel"]), np.mean(table["mfcc"]), 0.4])
    segments = container.errorbar.lines[2][0].get_segments()
    half = [abs(s[1, 1] - s[0, 1]) / 2 for s in segments]
    np.testing.assert_allclose(
        half, [np.std(table["logmel"], ddof=1), np.std(table["mfcc"], ddof=1), 0.0], atol=1e-12
    )
    render(ax)


def test_embeddings_tsne_separates_separated_clusters_and_clamps_perplexity(render):
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 4)
    emb = rng.normal(size=(12, 16)) + 20 * np.eye(3)[labels] @ rng.normal(size=(3, 16))
    ax = plots.embeddings_tsne(emb, labels, names=["dog", "cat", "cow"])
    assert ax.get_title() == f"t-SNE of embeddings (perplexity {11 / 3:.1f})"
    clouds = [c.get_offsets() for c in ax.collections]
    assert [len(c) for c in clouds] == [4, 4, 4]
    centres = np.array([c.mean(axis=0) for c in clouds])
    spread = max(np.linalg.norm(c - c.mean(axis=0), axis=1).max() for c in clouds)
    gaps = [np.linalg.norm(centres[i] - centres[j]) for i in range(3) for j in range(i)]
    assert min(gaps) > spread
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["dog", "cat", "cow"]
    render(ax)


def test_embeddings_tsne_validates_inputs():
    with pytest.raises(ParameterError, match="one row per label"):
        plots.embeddings_tsne(np.zeros((5, 3)), [0, 1, 2])
    with pytest.raises(ParameterError, match="at least 3"):
        plots.embeddings_tsne(np.zeros((2, 3)), [0, 1])
