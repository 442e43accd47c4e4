"""
Comparing feature sets with McNemar's test
==========================================

Is log-mel better than MFCC for this task, or did one run get lucky? Both models are
evaluated on the *same* test clips, so the fair comparison is paired: only the clips on
which they disagree carry information. McNemar's exact test asks whether the disagreements
split more unevenly than a fair coin would.
"""

# %%
# Two runs under one protocol
# ---------------------------
# Same data, split, seed, image size and epochs; only the input feature changes.
import tempfile
from pathlib import Path

import numpy as np
import torch

from machinehearing import stats
from machinehearing.datasets.synthetic import make_esc50_like
from machinehearing.evaluate import evaluate, read_predictions
from machinehearing.plots.results import feature_comparison
from machinehearing.train import TrainConfig, train

torch.set_num_threads(2)
work = Path(tempfile.mkdtemp())
root = make_esc50_like(work / "ESC-50", n_classes=10, clips_per_class=8, sr=16000,
                       progress=False)

predictions = {}
for feature in ["logmel", "mfcc"]:
    config = TrainConfig.preset("demo", data_root=str(root), features=[feature],
                                epochs=4, batch_size=8, cache_dir=str(work / "cache"),
                                device="cpu")
    train(config, work / feature, progress=False)
    evaluate(work / feature, device="cpu", progress=False)
    predictions[feature] = read_predictions(work / feature / "predictions.csv")

y_true = predictions["logmel"]["true"]
for feature, p in predictions.items():
    assert p["filename"] == predictions["logmel"]["filename"]  # the same clips, same order
    print(f"{feature:7s} accuracy {np.mean(p['pred'] == y_true):.3f}")

# %%
# Accuracy with a confidence interval
# -----------------------------------
# A bootstrap over the test clips gives each accuracy an interval; with a few dozen test
# clips it is wide.
table = {}
for feature, p in predictions.items():
    low, high = stats.bootstrap_ci(y_true, p["pred"], n_boot=1000, seed=0)
    table[feature] = float(np.mean(p["pred"] == y_true))
    print(f"{feature:7s} 95% CI [{low:.3f}, {high:.3f}]")
feature_comparison(table)

# %%
# McNemar's exact test, pairwise
# ------------------------------
# ``b`` counts the clips model A gets right and model B wrong, ``c`` the reverse. Under the
# null hypothesis of equal accuracy each of the ``b + c`` disagreements is a fair coin flip,
# and the two-sided p-value is that of the binomial test.
names = list(predictions)
for i, a in enumerate(names):
    for b in names[i + 1:]:
        result = stats.mcnemar(y_true, predictions[a]["pred"], predictions[b]["pred"])
        print(f"{a:7s} vs {b:7s}: b={result.b:3d} c={result.c:3d} p={result.pvalue:.3g}")

# %%
# A p-value above 0.05 does not show the models are equal: with this few test clips the test
# has little power. The course compares feature sets over all five folds of ESC-50 (2,000
# clips), where differences of a few points become detectable.
