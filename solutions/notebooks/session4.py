# %% [markdown]
# # Session 4 — Training on one feature channel
#
# You write the two loops of every PyTorch project, `train_one_epoch` and `evaluate`, in
# `session4.py`. The notebook trains the course's ResNet-18 with the library trainer
# (`machinehearing.train.train`, the same loops plus checkpoints, schedules and
# augmentation) on your feature choice of session 2, and plots the curves.
#
# The course preset (3 s crops, 128 x 128, batch 32, 50 epochs) takes a while on a CPU:
# use a GPU, or set `MACHINEHEARING_QUICK=1` for a two-epoch smoke run.

# %% readonly
import os
from pathlib import Path

from autograde import check
from machinehearing import plots
from machinehearing.datasets import course_dataset, esc50
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

# %% [markdown]
# **Question (autograded).** What accuracy does a classifier reach by guessing uniformly
# among the 50 ESC-50 classes? Store it in `chance` (a fraction).

# %% answer id=chance
### BEGIN SOLUTION
chance = 1 / 50
### END SOLUTION

# %% tests id=test-chance points=1
assert abs(chance - 0.02) < 1e-9, "1 / number of classes"

# %%
config = course_config(features=["logmel"])
result = train(config, RUNS / "session4-logmel", progress=False)
print(f"best validation accuracy {result.best_val_acc:.3f} at epoch {result.best_epoch}")
fig = plots.training_curves(RUNS / "session4-logmel")

# %% [markdown] question id=q-curves points=3
# **Question.** Read the curves: does the model under- or over-fit, from which epoch,
# and what would you change first (epochs, learning rate, augmentation, feature)?
#
# === BEGIN SOLUTION ===
# Training loss keeps falling while the validation loss turns up after a few epochs:
# over-fitting (ESC-50 is small). First add augmentation (SpecAugment, mixup) or weight
# decay, and keep the checkpoint of the best validation epoch.
# === END SOLUTION ===

# %% [markdown]
# ## Check your module
#
# Implement the functions in `session4.py`, then run the autograder's public checks
# on it; the graded cells below need every check to pass.

# %% readonly
report = check(4, path=".", progress=False)
passed = {e.id: e.passed for e in report.exercises}

# %% tests id=test-4_1-train-one-epoch points=3
assert passed["4.1-train-one-epoch"], "train_one_epoch: see the table above"

# %% tests id=test-4_2-evaluate points=2
assert passed["4.2-evaluate"], "evaluate: see the table above"
