"""
The spectrum of a clip
======================

The magnitude of the Fourier transform of a whole clip shows which frequencies it contains,
but not when. We compare the one-sided spectra of a harmonic call, a noise band and a chirp.
"""

# %%
# Three clips of different families
# ---------------------------------
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from machinehearing import audio, features, plots
from machinehearing.datasets.esc50 import CLASSES, load_metadata
from machinehearing.datasets.synthetic import make_esc50_like

root = make_esc50_like(
    Path(tempfile.mkdtemp()) / "ESC-50", n_classes=5, clips_per_class=4, sr=22050,
    progress=False,
)
clips = {clip.target: clip for clip in load_metadata(root)}
print("targets:", sorted(clips))

# %%
# :func:`~machinehearing.features.magnitude_spectrum` returns the frequency axis (0 Hz to
# Nyquist, ``sr / n`` Hz apart) and the magnitudes; :func:`machinehearing.plots.spectrum`
# plots them in dB.
fig, axes = plt.subplots(3, 1, figsize=(8, 8), sharex=True, layout="constrained")
for ax, target in zip(axes, [0, 10, 30], strict=True):
    y, sr = audio.load(root / "audio" / clips[target].filename)
    freqs, magnitude = features.magnitude_spectrum(y, sr)
    peak = freqs[np.argmax(magnitude)]
    plots.spectrum(y, sr, ax=ax)
    ax.set_title(f"{CLASSES[target]}: strongest component at {peak:.0f} Hz")
    ax.label_outer()

# %%
# The harmonic call shows a comb of peaks at multiples of its fundamental, the noise band a
# broad hump, the chirp a plateau over the range it sweeps. A logarithmic frequency axis
# spreads the low frequencies, where most of the structure is:
y, sr = audio.load(root / "audio" / clips[0].filename)
ax = plots.spectrum(y, sr, x_scale="log")
ax.set_xlim(50, sr / 2)
