# %% [markdown]
# # Session 3 — Pre-processing and the network
#
# ESC-50 clips last 5 s; the course crops them to 3 s. Evaluation uses the official
# folds, and clips cut from one recording (`src_file`) must never be on both sides of a
# split. The classifier is a ResNet-18 with torchvision's parameter names. You implement
# `crop_or_pad`, `fold_split`, `BasicBlock` and `ResNet18` in `session3.py`.

# %% readonly

import torch

from autograde import check
from machinehearing import audio, models
from machinehearing.datasets import course_dataset, esc50

DATA = course_dataset()  # $MACHINEHEARING_DATA, else a small synthetic set
clips = esc50.load_metadata(DATA)
print(f"{len(clips)} clips in {DATA}")

# %% [markdown]
# ## 1. Fixed-length clips and the folds

# %%
y, sr = audio.load(clips[0].path(DATA))
short = audio.crop(y, sr, 3.0)
print(f"{len(y) / sr:.2f} s -> {len(short) / sr:.2f} s")
split = esc50.fold_split(clips, test_fold=1, val_fold=2)
print({name: len(idx) for name, idx in split._asdict().items()})

# %% [markdown] question id=q-leak points=2
# **Question.** Why must all clips of one `src_file` stay on the same side of a split?
# What would happen to the test accuracy otherwise?
#
# === BEGIN SOLUTION ===
# Clips of one recording share the source, microphone and background: a model that saw
# one of them in training recognises the others at test time. The test accuracy would
# be optimistic: it would measure memorisation of recordings, not generalisation.
# === END SOLUTION ===

# %% [markdown]
# ## 2. The network
#
# **Question (autograded).** How many parameters does a ResNet-18 with 1 input channel
# and 50 classes have? Compute it (with the library model, or yours once it works) and
# store it in `n_params`.

# %% answer id=n-params
### BEGIN SOLUTION
n_params = sum(p.numel() for p in models.resnet18(in_channels=1, num_classes=50).parameters())
### END SOLUTION

# %% tests id=test-n-params points=1
assert n_params == 11_195_890, "count model.parameters(): p.numel() for each"

# %%
model = models.resnet18(in_channels=1, num_classes=50).eval()
with torch.no_grad():
    print(model(torch.zeros(2, 1, 128, 128)).shape)

# %% [markdown]
# ## Check your module
#
# Implement the functions in `session3.py`, then run the autograder's public checks
# on it; the graded cells below need every check to pass.

# %% readonly
report = check(3, path=".", progress=False)
passed = {e.id: e.passed for e in report.exercises}

# %% tests id=test-3_1-crop-or-pad points=1
assert passed["3.1-crop-or-pad"], "crop_or_pad: see the table above"

# %% tests id=test-3_2-fold-split points=2
assert passed["3.2-fold-split"], "fold_split: see the table above"

# %% tests id=test-3_3-basic-block points=1
assert passed["3.3-basic-block"], "BasicBlock: see the table above"

# %% tests id=test-3_4-resnet18 points=3
assert passed["3.4-resnet18"], "ResNet18: see the table above"

# %% tests id=test-3_5-resnet18-rgb points=1
assert passed["3.5-resnet18-rgb"], "ResNet18 (3 channels): see the table above"
