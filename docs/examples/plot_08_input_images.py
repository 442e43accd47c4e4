"""
Building 1- and 3-channel 128 x 128 inputs
==========================================

The ResNet-18 of the course takes images of 128 x 128 pixels with 1 or 3 channels. A clip is
cropped to 3 s, each feature is resized to 128 x 128 (interpolated where an axis grows,
averaged where it shrinks) and standardised (the MFCC row by row), and the channels are
stacked.
"""

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

from machinehearing import audio, features
from machinehearing.datasets.esc50 import load_metadata
from machinehearing.datasets.synthetic import make_esc50_like
from machinehearing.transforms import FeatureExtractor

root = make_esc50_like(
    Path(tempfile.mkdtemp()) / "ESC-50", n_classes=5, clips_per_class=4, sr=22050,
    progress=False,
)
clip = next(c for c in load_metadata(root) if c.target == 20)
y, sr = audio.load(root / "audio" / clip.filename)

# %%
# One step at a time
# ------------------
# Crop (or zero-pad) to the first 3 s, compute the log-mel spectrogram, resize, standardise.
y3 = audio.crop(y, sr, 3.0)
logmel = features.compute(features.FeatureSpec.parse("logmel"), y3, sr)
image = features.to_image(logmel, size=(128, 128))
print("feature", logmel.shape, "-> image", image.shape, image.dtype)
print(f"mean {image.mean():.3f}, std {image.std():.3f}")

fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), layout="constrained")
axes[0].imshow(logmel, origin="lower", aspect="auto", cmap="magma")
axes[0].set_title(f"log-mel {logmel.shape}")
axes[1].imshow(image, origin="lower", cmap="magma")
axes[1].set_title(f"input image {image.shape}, standardised")

# %%
# In one call: ``extract``
# ------------------------
# :func:`~machinehearing.features.extract` does all of the above for a list of features and
# stacks them into a ``(C, H, W)`` float32 array: one feature gives a 1-channel input, three a
# 3-channel one.
one = features.extract(y, sr, ["logmel"], seconds=3.0)
three = features.extract(y, sr, ["logmel", "mfcc", "chroma"], seconds=3.0)
print("1 channel :", one.shape, "\n3 channels:", three.shape)
print("equal to the step-by-step image:", np.allclose(one[0], image, atol=1e-5))

fig, axes = plt.subplots(1, 3, figsize=(12, 3.8), layout="constrained")
for ax, channel, name in zip(axes, three, ["logmel", "mfcc", "chroma"], strict=True):
    shown = ax.imshow(channel, origin="lower", cmap="magma")
    ax.set_title(f"channel: {name}")
    fig.colorbar(shown, ax=ax, shrink=0.8)

# %%
# Each channel is standardised on its own, so a feature with large values (dB) does not
# drown one with small values (chroma in 0..1); the MFCC image row by row, so that c0 (the
# loudness) does not drown the other coefficients:
for name, channel in zip(["logmel", "mfcc", "chroma"], three, strict=True):
    print(f"{name:7s} mean {channel.mean():+.3f} std {channel.std():.3f}")

# %%
# Batched, on any device
# ----------------------
# :class:`~machinehearing.transforms.FeatureExtractor` computes the same images for a batch of
# waveforms with torch (on the GPU when the waveforms are there) -- this is how the feature
# cache is built.
extractor = FeatureExtractor(["logmel", "mfcc", "chroma"], sr=sr, seconds=3.0)
batch = torch.from_numpy(np.stack([y, y[::-1].copy()]))
images = extractor(batch)
print("batched:", tuple(images.shape), "max |difference| to extract:",
      float(np.abs(images[0].numpy() - three).max()))
