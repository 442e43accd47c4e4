"""Fixtures of the evaluation tests: run directories laid out as train() writes them."""

from __future__ import annotations

import pytest

METRICS_CSV = (
    "epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds\n"
    "1,3.9,0.05,3.8,0.1,0.001,1.0\n"
    "2,3.1,0.3,3.5,0.2,0.0005,1.0\n"
)


def _make_run_dir(path, config, *, seed=0, metrics_csv=METRICS_CSV):
    """Write config.json, label_map.json, metrics.csv and checkpoints of a random ResNet-18
    (the run-directory contract); return the model."""
    import torch

    from machinehearing.datasets import LabelMap
    from machinehearing.models import resnet18

    path.mkdir(parents=True)
    config.to_json(path / "config.json")
    label_map = LabelMap.for_task(config.task)
    (path / "label_map.json").write_text(label_map.to_json())
    (path / "metrics.csv").write_text(metrics_csv)
    torch.manual_seed(seed)
    model = resnet18(in_channels=len(config.features), num_classes=label_map.num_classes)
    (path / "checkpoints").mkdir()
    state = {
        "model": model.state_dict(),
        "config": config.to_dict(),
        "label_map": label_map.to_json(),
        "epoch": 2,
        "best_val_acc": 0.2,
    }
    torch.save(state, path / "checkpoints" / "best.pt")
    torch.save(state, path / "checkpoints" / "last.pt")
    return model


@pytest.fixture(scope="session")
def make_run_dir():
    """Factory ``make_run_dir(path, config, *, seed=0) -> model``."""
    pytest.importorskip("torch")
    return _make_run_dir


@pytest.fixture(scope="session")
def run_config(esc50_root, tmp_path_factory):
    """A small TrainConfig on the shared tiny dataset (32 x 32 log-mel, test fold 1)."""
    from machinehearing.train import TrainConfig

    return TrainConfig(
        data_root=str(esc50_root),
        cache_dir=str(tmp_path_factory.mktemp("feature-cache")),
        features=["logmel"],
        size=(32, 32),
        seconds=1.0,
        test_fold=1,
        val_fold=2,
        num_workers=0,
        device="cpu",
        epochs=2,
    )


@pytest.fixture(scope="session")
def evaluated_run(make_run_dir, run_config, tmp_path_factory):
    """``(run_dir, model, metrics)`` of a hand-built run directory after evaluate()."""
    import torch

    from machinehearing.evaluate import evaluate

    torch.set_num_threads(1)
    run_dir = tmp_path_factory.mktemp("runs") / "run"
    model = make_run_dir(run_dir, run_config)
    return run_dir, model, evaluate(run_dir, device="cpu", progress=False)


def _render(drawn, path):
    """Save a Figure (or the figure of an Axes) to PNG and check it is a real picture:
    a non-empty file whose pixels are not all one colour. Returns the RGB pixels."""
    import matplotlib.image
    import matplotlib.pyplot as plt

    fig = getattr(drawn, "figure", None) or drawn
    fig.savefig(path, dpi=50)
    plt.close(fig)
    assert path.stat().st_size > 1000
    pixels = matplotlib.image.imread(path)[..., :3]
    assert pixels.std() > 0.02, "the image is blank"
    return pixels


@pytest.fixture
def render(tmp_path):
    """``render(fig_or_ax, name="figure") -> pixels``: save to PNG under tmp_path and check
    the image is not blank."""
    return lambda drawn, name="figure": _render(drawn, tmp_path / f"{name}.png")


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the pyplot figures a test opened (plot functions register them with pyplot)."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
