"""
Power spectrogram and decibels
==============================

A power spectrogram spans many orders of magnitude: on a linear colour scale a few loud
bins hide everything else. Decibels compress it the way hearing does. We look at the same
clip as magnitude, power and dB, and at what ``ref``, ``amin`` and ``top_db`` do.
"""

# sphinx_gallery_thumbnail_number = 2

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from machinehearing import audio, features, plots
from machinehearing.datasets.esc50 import load_metadata
from machinehearing.datasets.synthetic import make_esc50_like

root = make_esc50_like(
    Path(tempfile.mkdtemp()) / "ESC-50", n_classes=5, clips_per_class=4, sr=22050,
    progress=False,
)
clip = next(c for c in load_metadata(root) if c.target == 40)
y, sr = audio.load(root / "audio" / clip.filename)

n_fft, hop = 2048, 512
D = features.stft(y, n_fft=n_fft, hop_length=hop)
magnitude = np.abs(D)
power = magnitude**2
print(f"power spans {power.max() / max(power[power > 0].min(), 1e-30):.1e} (max / min)")

# %%
# Linear scales
# -------------
# On a linear scale only the strongest component is visible; power (the square) is even
# more extreme than magnitude.
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), sharey=True, layout="constrained")
for ax, (title, image) in zip(
    axes,
    [
        ("magnitude |X|", magnitude),
        ("power |X|^2", power),
        ("power in dB", features.power_to_db(power, ref=np.max)),
    ],
    strict=True,
):
    if title == "power in dB":
        plots.spectrogram(image, sr=sr, hop_length=hop, ax=ax)
    else:
        extent = [0, image.shape[1] * hop / sr, 0, sr / 2]
        ax.imshow(image, origin="lower", aspect="auto", extent=extent, cmap="magma")
        ax.set_xlabel("Time (s)")
    ax.set_title(title)
axes[0].set_ylabel("Frequency (Hz)")

# %%
# ``power_to_db`` and ``amplitude_to_db`` agree
# ---------------------------------------------
# :math:`10 \log_{10} |X|^2 = 20 \log_{10} |X|`: both functions give the same image when
# their floors match (``amin`` is a power for the first and an amplitude for the second,
# hence 1e-10 vs 1e-5).
from_power = features.power_to_db(power, ref=np.max)
from_amplitude = features.amplitude_to_db(magnitude, ref=np.max)
print("max difference (dB):", float(np.max(np.abs(from_power - from_amplitude))))

# %%
# ``top_db`` sets the dynamic range
# ---------------------------------
# Values more than ``top_db`` below the peak are clipped. 80 dB keeps the background noise;
# 40 dB keeps only the sound itself. ``ref=np.max`` puts the peak at 0 dB.
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), sharey=True, layout="constrained")
for ax, top_db in zip(axes, [120.0, 80.0, 40.0], strict=True):
    S_db = features.power_to_db(power, ref=np.max, top_db=top_db)
    plots.spectrogram(S_db, sr=sr, hop_length=hop, y_axis="log", ax=ax)
    ax.set_title(f"top_db = {top_db:g}")
    ax.label_outer()
