"""
Log-mel, MFCC, chroma and spectral contrast of one clip
=======================================================

The course asks which feature to give the network. Each one keeps different information:
log-mel the spectral envelope at every moment, MFCC the same envelope compressed and
decorrelated, chroma the pitch classes, spectral contrast how peaky or flat each octave is.
We look at one clip through all of them.
"""

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from machinehearing import audio, features, plots
from machinehearing.datasets.esc50 import CLASSES, load_metadata
from machinehearing.datasets.synthetic import make_esc50_like
from machinehearing.plots import features as show_features

root = make_esc50_like(
    Path(tempfile.mkdtemp()) / "ESC-50", n_classes=5, clips_per_class=4, sr=22050,
    progress=False,
)
clip = next(c for c in load_metadata(root) if c.target == 0)
y, sr = audio.load(root / "audio" / clip.filename)
print(CLASSES[clip.target], y.shape, sr)

# %%
# All four side by side
# ---------------------
# :func:`machinehearing.plots.features` computes registry features by name and draws
# them with their own axes.
show_features(y, sr, ["logmel", "mfcc", "chroma", "contrast"])

# %%
# The arrays behind the pictures
# ------------------------------
# Each registry feature is a 2-D array ``(rows, frames)`` with its own number of rows.
# :func:`~machinehearing.features.compute` evaluates a
# :class:`~machinehearing.features.FeatureSpec`; the spec string can carry parameters.
for spec in ["logmel", "mfcc", "mfcc:n_mfcc=20", "delta_mfcc", "chroma", "contrast"]:
    values = features.compute(features.FeatureSpec.parse(spec), y, sr)
    print(f"{spec:15s} {str(values.shape):12s} range {values.min():8.2f} .. {values.max():8.2f}")

# %%
# The same features from the building blocks
# ------------------------------------------
# The registry is a thin layer over the librosa-compatible functions: a log-mel spectrogram
# is :func:`~machinehearing.features.melspectrogram` followed by
# :func:`~machinehearing.features.power_to_db`, and the MFCCs are the DCT of that.
S_db = features.power_to_db(features.melspectrogram(y=y, sr=sr, n_mels=128), ref=np.max)
mfcc = features.mfcc(S=S_db, n_mfcc=20)
fig, axes = plt.subplots(2, 1, figsize=(8, 6), layout="constrained")
plots.spectrogram(S_db, sr=sr, hop_length=512, y_axis="mel", ax=axes[0])
axes[0].set_title("log-mel (dB)")
image = axes[1].imshow(mfcc, origin="lower", aspect="auto", cmap="coolwarm")
fig.colorbar(image, ax=axes[1])
axes[1].set_title("MFCC (coefficient vs frame)")
axes[1].set_xlabel("Frame")
axes[1].set_ylabel("Coefficient")
