"""
A short training run and its curves
===================================

:func:`machinehearing.train.train` trains a ResNet-18 on cached feature images and records
the run in a directory: the configuration, the label map, one row of ``metrics.csv`` per
epoch and the checkpoints. Here a tiny run on the synthetic set (small 1 x 64 x 64 log-mel
images, a few epochs on the CPU) shows what the curves tell.
"""

# %%
# A synthetic dataset and a configuration
# ---------------------------------------
# :meth:`TrainConfig.preset("demo") <machinehearing.train.TrainConfig.preset>` uses
# 64 x 64 images and AdamW with a one-cycle schedule; we override the data, the task, the
# number of epochs and the batch size. The split is the official one: fold 1 is held out
# (validation = test fold when ``val_fold`` is None), folds 2-5 train.
import tempfile
from pathlib import Path

import torch

from machinehearing.datasets.synthetic import make_esc50_like
from machinehearing.plots.results import training_curves
from machinehearing.train import TrainConfig, train

torch.set_num_threads(2)
work = Path(tempfile.mkdtemp())
root = make_esc50_like(
    work / "ESC-50", n_classes=10, clips_per_class=8, sr=16000, progress=False
)
config = TrainConfig.preset(
    "demo",
    data_root=str(root),
    features=["logmel"],
    task="classes",
    epochs=4,
    batch_size=8,
    cache_dir=str(work / "cache"),
    device="cpu",
    seed=0,
)
for key in ["features", "task", "split", "test_fold", "size", "seconds", "epochs", "batch_size",
            "optimizer", "lr", "schedule"]:
    print(f"{key:11s} {getattr(config, key)}")

# %%
# Training
# --------
# The feature cache is computed once (the batched torch transforms), then every epoch is a
# pass over the cached images.
result = train(config, work / "run", progress=False)
print(f"best validation accuracy {result.best_val_acc:.2f} at epoch {result.best_epoch}")
print("epoch  train_loss  train_acc  val_loss  val_acc  seconds")
for row in result.history:
    print(f"{row['epoch']:5.0f}  {row['train_loss']:10.3f}  {row['train_acc']:9.2f}  "
          f"{row['val_loss']:8.3f}  {row['val_acc']:7.2f}  {row['seconds']:7.1f}")

# %%
# The run directory
# -----------------
for path in sorted((work / "run").rglob("*")):
    print(path.relative_to(work / "run"))

# %%
# The curves
# ----------
# :func:`~machinehearing.plots.results.training_curves` reads ``metrics.csv`` (or a
# cross-validation directory, one colour per fold). The training loss falls steadily; the
# validation accuracy says whether the network generalises to clips of *other source
# recordings*. Four epochs of batches of 8 on 64 training clips (32 optimiser steps) are
# enough for the synthetic classes to be learnt, though the validation curve is noisy with
# only 16 held-out clips; the course trains for 50 epochs on 128 x 128 images of the real
# ESC-50, where the gap between the training and validation curves is the thing to watch.
training_curves(work / "run")
