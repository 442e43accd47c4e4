"""
Confusion matrix and per-class accuracy
=======================================

Accuracy is one number; the confusion matrix shows *which* classes are mistaken for which.
We train a small model, evaluate it on the held-out fold with
:func:`machinehearing.evaluate.evaluate`, and look at its errors per class and per
category.
"""

# %%
# Train and evaluate
# ------------------
# :func:`~machinehearing.evaluate.evaluate` predicts the test clips of a run and writes
# ``predictions.csv`` (one row per clip with the class probabilities) and ``metrics.json``.
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

from machinehearing import metrics
from machinehearing.datasets.esc50 import CATEGORIES, CLASSES
from machinehearing.datasets.synthetic import make_esc50_like
from machinehearing.evaluate import evaluate, read_predictions
from machinehearing.plots import results
from machinehearing.train import TrainConfig, train

torch.set_num_threads(2)
work = Path(tempfile.mkdtemp())
root = make_esc50_like(work / "ESC-50", n_classes=10, clips_per_class=8, sr=16000,
                       progress=False)
config = TrainConfig.preset("demo", data_root=str(root), features=["logmel"],
                            epochs=4, batch_size=8, cache_dir=str(work / "cache"),
                            device="cpu")
train(config, work / "run", progress=False)
summary = evaluate(work / "run", device="cpu", progress=False)
for key, value in summary.items():
    if isinstance(value, float):
        print(f"{key:16s} {value:.3f}")

# %%
# The predictions
# ---------------
# The label map of the ``classes`` task always has the 50 ESC-50 classes (it is fixed by
# the dataset, not by the clips at hand), so label ``k`` is target ``k``. The synthetic set
# uses 10 of them; we keep those in the tables.
predictions = read_predictions(work / "run" / "predictions.csv")
y_true, y_pred = predictions["true"], predictions["pred"]
present = np.union1d(y_true, y_pred)
names = [CLASSES[k] for k in present]
print(f"{len(y_true)} test clips, accuracy {metrics.accuracy(y_true, y_pred):.2f}")
print(metrics.classification_report(y_true, y_pred, labels=present, target_names=names))

# %%
# Confusion matrix
# ----------------
# Rows are the true classes, columns the predictions; normalised by rows, the diagonal is
# the per-class accuracy (the recall).
cm = metrics.confusion_matrix(y_true, y_pred, labels=present)
fig, axes = plt.subplots(1, 2, figsize=(13, 5.5), layout="constrained")
results.confusion_matrix(cm, labels=names, normalize=None, ax=axes[0])
axes[0].set_title("counts")
results.confusion_matrix(cm, labels=names, normalize="true", ax=axes[1])
axes[1].set_title("normalised by true class")

# %%
# Per-class accuracy and the most confused pairs
# ----------------------------------------------
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
per_class = metrics.per_class_accuracy(y_true, y_pred, labels=present)
results.per_class_accuracy(per_class, labels=names, ax=axes[0])
results.confused_pairs(cm, labels=names, k=6, ax=axes[1])

# %%
# From classes to categories
# --------------------------
# ESC-50's targets are grouped in five categories of ten (``target // 10``). Mapping both
# truth and prediction to categories forgives confusions inside a category, so the
# category accuracy is at least the class accuracy.
print(f"class accuracy    {metrics.accuracy(y_true, y_pred):.2f}")
print(f"category accuracy {metrics.category_accuracy(y_true, y_pred):.2f}")
cm_categories = metrics.confusion_matrix(y_true // 10, y_pred // 10, labels=range(5))
results.confusion_matrix(cm_categories, labels=CATEGORIES, normalize="true")
