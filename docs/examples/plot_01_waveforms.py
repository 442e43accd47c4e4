"""
Waveforms of the classes
========================

What do the classes of an environmental-sound dataset look like as raw samples? We generate a
small synthetic dataset with the exact layout of ESC-50 (audio files and ``meta/esc50.csv``)
and plot one clip of each class, one row per major category.
"""

# %%
# A synthetic ESC-50
# ------------------
# :func:`~machinehearing.datasets.synthetic.make_esc50_like` writes WAV files and the
# metadata table; with 10 classes the targets are spread over the five categories
# (0, 1, 10, 11, ..., 40, 41), so every category has two classes.
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from machinehearing import audio, plots
from machinehearing.datasets.esc50 import CATEGORIES, CLASSES, category_of, load_metadata
from machinehearing.datasets.synthetic import make_esc50_like

root = make_esc50_like(
    Path(tempfile.mkdtemp()) / "ESC-50",
    n_classes=10,
    clips_per_class=8,
    sr=16000,
    progress=False,
)
clips = load_metadata(root)
print(f"{len(clips)} clips, folds {sorted({c.fold for c in clips})}")
print(clips[0])

# %%
# One clip per class
# ------------------
# :func:`machinehearing.audio.load` returns the samples as float32 and the sampling rate;
# :func:`machinehearing.plots.waveform` draws them against time in seconds.
first = {}
for clip in clips:
    first.setdefault(clip.target, clip)

fig, axes = plt.subplots(5, 2, figsize=(9, 10), sharex=True, sharey=True, layout="constrained")
for ax, target in zip(axes.flat, sorted(first), strict=True):
    y, sr = audio.load(root / "audio" / first[target].filename)
    plots.waveform(y, sr, ax=ax)
    ax.set_title(f"{CLASSES[target]} -- {CATEGORIES[category_of(target)]}", fontsize=9)
    ax.label_outer()

# %%
# The envelope already tells a lot: pulse trains (human sounds) are bursts, noise bands
# (natural soundscapes) swell slowly, tones (animals, urban) have a steady level. The
# waveform does not show *frequency*, though; that is what the spectrum and the spectrogram
# add in the next examples.
