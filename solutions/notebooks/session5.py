# %% [markdown]
# # Session 5 — Three channels and data augmentation
#
# Stacking three features gives the network three views of each clip, like the R, G, B
# planes of a photo. You write the input pipeline `make_input` and the augmentations
# `spec_augment` and `mixup` in `session5.py`, then train with three channels.

# %% readonly
import os
from pathlib import Path

import matplotlib.pyplot as plt
import torch

from autograde import check
from machinehearing import audio, features, plots
from machinehearing.datasets import course_dataset, esc50
from machinehearing.train import TrainConfig, augment, train

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
y, sr = audio.load(clips[0].path(DATA))
x = torch.from_numpy(features.extract(y, sr, ["logmel", "mfcc", "chroma"], seconds=3.0))
masked = augment.spec_augment(x[None], generator=torch.Generator().manual_seed(0))[0]
fig, axes = plt.subplots(2, 3, figsize=(10, 5))
for c, name in enumerate(["logmel", "mfcc", "chroma"]):
    axes[0, c].imshow(x[c], origin="lower", aspect="auto")
    axes[1, c].imshow(masked[c], origin="lower", aspect="auto")
    axes[0, c].set_title(name)
fig.tight_layout()

# %% [markdown]
# **Question (autograded).** A batch of 32 images of shape (3, 128, 128) in float32:
# how many bytes? Store it in `batch_bytes`.

# %% answer id=batch-bytes
### BEGIN SOLUTION
batch_bytes = 32 * 3 * 128 * 128 * 4
### END SOLUTION

# %% tests id=test-batch-bytes points=1
assert batch_bytes == 6_291_456, "elements x 4 bytes (float32)"

# %%
config = course_config(features=["logmel", "mfcc", "chroma"])
result = train(config, RUNS / "session5-three", progress=False)
print(f"best validation accuracy {result.best_val_acc:.3f} at epoch {result.best_epoch}")
fig = plots.training_curves(RUNS / "session5-three")

# %% [markdown] question id=q-augment points=3
# **Question.** Compare with the one-channel run of session 4. What did the extra
# channels and the augmentation change, and why does mixup make the training loss
# higher but can improve the validation accuracy?
#
# === BEGIN SOLUTION ===
# Complementary channels add information (envelope, pitch class) at little cost. Mixup
# trains on blended clips with soft labels: the task is harder (higher training loss)
# but it regularises the decision boundaries, which reduces over-fitting on a small set.
# === END SOLUTION ===

# %% [markdown]
# ## Check your module
#
# Implement the functions in `session5.py`, then run the autograder's public checks
# on it; the graded cells below need every check to pass.

# %% readonly
report = check(5, path=".", progress=False)
passed = {e.id: e.passed for e in report.exercises}

# %% tests id=test-5_1-make-input points=2
assert passed["5.1-make-input"], "make_input: see the table above"

# %% tests id=test-5_2-spec-augment points=2
assert passed["5.2-spec-augment"], "spec_augment: see the table above"

# %% tests id=test-5_3-mixup points=2
assert passed["5.3-mixup"], "mixup: see the table above"
