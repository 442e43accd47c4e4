"""Shared fixtures: a small synthetic dataset in the exact ESC-50 layout, and the GPU marker."""

from __future__ import annotations

import os

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a hard dependency
        return False
    return torch.cuda.is_available()


def pytest_collection_modifyitems(config, items):
    if _cuda_available():
        return
    skip_gpu = pytest.mark.skip(reason="needs CUDA: no GPU on this machine (run on a GPU runner)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip_gpu)


@pytest.fixture(autouse=True)
def _hermetic_data_environment(monkeypatch):
    """Tests never pick up a real dataset or cache from the environment of whoever runs them."""
    monkeypatch.delenv("MACHINEHEARING_DATA", raising=False)


#: parameters of the shared tiny dataset: 10 classes spread over the 5 categories,
#: 8 clips per class, 16 kHz, 5 s (the real ESC-50 clip length)
TINY = dict(n_classes=10, clips_per_class=8, sr=16000, duration=5.0, seed=0)


@pytest.fixture(scope="session")
def esc50_root(tmp_path_factory):
    """A tiny synthetic dataset in the exact ESC-50 layout (read-only: do not modify it)."""
    from machinehearing.datasets.synthetic import make_esc50_like

    root = tmp_path_factory.mktemp("esc50") / "ESC-50"
    make_esc50_like(root, **TINY)
    return root
