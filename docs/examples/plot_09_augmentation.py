"""
SpecAugment and mixup
=====================

Augmentation makes every epoch a little different, so the network cannot memorise the
training images. SpecAugment masks bands of frequency rows and time columns; mixup blends
pairs of clips and their labels.
"""

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

from machinehearing import audio, features
from machinehearing.datasets.esc50 import CLASSES, load_metadata
from machinehearing.datasets.synthetic import make_esc50_like
from machinehearing.train import mixup, random_time_shift, spec_augment

root = make_esc50_like(
    Path(tempfile.mkdtemp()) / "ESC-50", n_classes=5, clips_per_class=4, sr=16000,
    progress=False,
)
clips = [next(c for c in load_metadata(root) if c.target == t) for t in (0, 10, 20, 30)]
images = []
for clip in clips:
    y, sr = audio.load(root / "audio" / clip.filename)
    images.append(features.extract(y, sr, ["logmel"], seconds=3.0))
x = torch.from_numpy(np.stack(images))  # (batch, 1, 128, 128)
targets = torch.tensor([c.target for c in clips])
print("batch", tuple(x.shape))


def show_batch(batch, titles, suptitle):
    fig, axes = plt.subplots(1, len(batch), figsize=(12, 3.4), layout="constrained")
    for ax, image, title in zip(axes, batch, titles, strict=True):
        ax.imshow(image[0].numpy(), origin="lower", cmap="magma", vmin=-3, vmax=3)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(suptitle)


show_batch(x, [CLASSES[int(t)] for t in targets], "original log-mel images")

# %%
# SpecAugment
# -----------
# Each image gets ``n_masks`` frequency masks up to ``freq_mask`` rows high and ``n_masks``
# time masks up to ``time_mask`` columns wide, set to 0 (the mean of a standardised image).
# A seeded :class:`torch.Generator` makes the masks reproducible.
generator = torch.Generator().manual_seed(0)
masked = spec_augment(x, freq_mask=24, time_mask=32, n_masks=2, generator=generator)
show_batch(masked, ["masked"] * len(masked), "spec_augment(freq_mask=24, time_mask=32, n_masks=2)")

# %%
# Random time shift
# -----------------
# A circular shift along time: the class does not depend on where the sound starts.
shifted = random_time_shift(x, max_shift=48, generator=torch.Generator().manual_seed(1))
show_batch(shifted, ["shifted"] * len(shifted), "random_time_shift(max_shift=48)")

# %%
# Mixup
# -----
# One :math:`\lambda \sim \mathrm{Beta}(\alpha, \alpha)` per batch blends every image with
# another one of the batch; the one-hot labels are blended with the same weight, so the
# targets become probabilities that still sum to one.
generator = torch.Generator().manual_seed(3)
mixed, soft = mixup(x, targets, alpha=0.4, num_classes=len(CLASSES), generator=generator)
titles = []
for row in soft:
    top = torch.argsort(row, descending=True)[:2]
    titles.append(" + ".join(f"{row[k]:.2f} {CLASSES[int(k)]}" for k in top if row[k] > 0))
show_batch(mixed, titles, "mixup(alpha=0.4)")
print("label sums:", soft.sum(dim=1))

# %%
# Small ``alpha`` draws :math:`\lambda` close to 0 or 1 (mild mixing); ``alpha = 1`` draws
# it uniformly.
rng = np.random.default_rng(0)
fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
for alpha in [0.2, 0.4, 1.0]:
    ax.hist(rng.beta(alpha, alpha, 20000), bins=50, histtype="step", density=True,
            label=f"alpha = {alpha}")
ax.set_xlabel("lambda")
ax.set_ylabel("density")
ax.legend()
