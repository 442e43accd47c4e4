# %% [markdown]
# # Session 6 — Evaluation
#
# One accuracy number hides a lot. You write the metrics in `session6.py` (accuracy,
# confusion matrix, precision/recall/F1, per-class and per-category accuracy, and the
# McNemar test that tells whether two classifiers really differ), then read the results
# of a trained model.

# %% readonly
import math
import os
from pathlib import Path

import numpy as np

from autograde import check
from machinehearing import metrics, plots, stats
from machinehearing.datasets import course_dataset, esc50
from machinehearing.evaluate import evaluate, read_predictions
from machinehearing.train import TrainConfig, train

DATA = course_dataset()  # $MACHINEHEARING_DATA, else a small synthetic set
clips = esc50.load_metadata(DATA)
print(f"{len(clips)} clips in {DATA}")

# the course protocol; MACHINEHEARING_QUICK=1 shrinks it to a two-epoch smoke run (CI)
PRESET = "smoke" if os.environ.get("MACHINEHEARING_QUICK") == "1" else "course"
RUNS = Path(os.environ.get("MACHINEHEARING_RUNS", "runs"))


def course_config(**changes):
    """The course preset (or the smoke run) on DATA, with some fields changed."""
    return TrainConfig.preset(PRESET, data_root=str(DATA), num_workers=0, **changes)

# %%
config = course_config(features=["logmel"])
run = RUNS / "session6-logmel"
train(config, run, progress=False)
evaluate(run, progress=False, device="cpu")
predictions = read_predictions(run / "predictions.csv")
y_true, y_pred = predictions["true"], predictions["pred"]
print(f"accuracy {metrics.accuracy(y_true, y_pred):.3f}")
labels = np.union1d(y_true, y_pred)
cm = metrics.confusion_matrix(y_true, y_pred, labels=labels)
ax = plots.confusion_matrix(cm, labels=[predictions["labels"][k] for k in labels])

# %% [markdown]
# A second "classifier" to compare with: the same predictions with a few of them
# corrupted. McNemar's exact test asks whether the difference is more than chance.

# %%
rng = np.random.default_rng(0)
worse = np.where(rng.random(len(y_pred)) < 0.2, (y_pred + 1) % 50, y_pred)
print(stats.mcnemar(y_true, y_pred, worse))

# %% [markdown]
# **Question (autograded).** Two classifiers disagree on 10 test clips: A is right on 8
# of them and B on 2. Compute the exact two-sided McNemar p-value and store it in `p`.

# %% answer id=p-value
### BEGIN SOLUTION
p = min(1.0, 2 * sum(math.comb(10, k) for k in range(3)) / 2**10)
### END SOLUTION

# %% tests id=test-p-value points=1
assert abs(p - 0.109375) < 1e-9, "2 * P(X <= 2) for X ~ Binomial(10, 1/2)"

# %% [markdown] question id=q-results points=3
# **Question.** Which classes are confused most, and are the confusions plausible
# acoustically? Is the accuracy difference between your one- and three-channel models
# significant?
#
# === BEGIN SOLUTION ===
# Confusions concentrate within categories (e.g. rain vs. sea waves vs. wind: broadband
# noise textures), which category accuracy forgives. A difference of a few percent on
# 400 test clips is often not significant under McNemar: look at b and c, not only at
# the two accuracies.
# === END SOLUTION ===

# %% [markdown]
# ## Check your module
#
# Implement the functions in `session6.py`, then run the autograder's public checks
# on it; the graded cells below need every check to pass.

# %% readonly
report = check(6, path=".", progress=False)
passed = {e.id: e.passed for e in report.exercises}

# %% tests id=test-6_1-accuracy points=1
assert passed["6.1-accuracy"], "accuracy: see the table above"

# %% tests id=test-6_2-confusion-matrix points=2
assert passed["6.2-confusion-matrix"], "confusion_matrix: see the table above"

# %% tests id=test-6_3-precision-recall-f1 points=2
assert passed["6.3-precision-recall-f1"], "precision_recall_f1: see the table above"

# %% tests id=test-6_4-per-class-accuracy points=1
assert passed["6.4-per-class-accuracy"], "per_class_accuracy: see the table above"

# %% tests id=test-6_5-category-accuracy points=1
assert passed["6.5-category-accuracy"], "category_accuracy: see the table above"

# %% tests id=test-6_6-mcnemar points=2
assert passed["6.6-mcnemar"], "mcnemar: see the table above"
