"""
The mel filterbank
==================

Mel filters are triangles equally spaced on the mel scale. Two mel formulas are in use
(Slaney's, librosa's default, and HTK's), two normalisations (``"slaney"``: equal area;
``None``: unit peak), and the number of bands ``n_mels`` sets how finely the spectrum is
summarised.
"""

# sphinx_gallery_thumbnail_number = 2

# %%
# Two mel scales
# --------------
# Slaney's scale is linear below 1 kHz and logarithmic above; HTK's is
# :math:`2595 \log_{10}(1 + f / 700)` everywhere. They are similar in shape but not in
# value, so a filterbank built with one and inverted with the other puts its peaks in the
# wrong places -- a classic exercise mistake.
import matplotlib.pyplot as plt
import numpy as np

from machinehearing import features, plots

hz = np.linspace(0, 11025, 500)
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.plot(hz, features.hz_to_mel(hz), label="Slaney (htk=False)")
ax.plot(hz, features.hz_to_mel(hz, htk=True), label="HTK (htk=True)")
ax.set_xlabel("Frequency (Hz)")
ax.set_ylabel("Mel")
ax.legend()
ax.grid(alpha=0.3)

# %%
# The filterbanks
# ---------------
# :func:`~machinehearing.features.mel_filterbank` has librosa's signature and output; it is
# a matrix of shape ``(n_mels, 1 + n_fft // 2)``.
sr, n_fft = 22050, 2048
fig, axes = plt.subplots(2, 2, figsize=(11, 6), sharex=True, layout="constrained")
settings = [
    dict(htk=False, norm="slaney"),
    dict(htk=True, norm="slaney"),
    dict(htk=False, norm=None),
    dict(htk=True, norm=None),
]
for ax, kwargs in zip(axes.flat, settings, strict=True):
    fb = features.mel_filterbank(sr=sr, n_fft=n_fft, n_mels=16, **kwargs)
    plots.mel_filterbank(fb, sr=sr, ax=ax)
    ax.set_title(f"n_mels=16, htk={kwargs['htk']}, norm={kwargs['norm']!r}")
    ax.label_outer()

# %%
# With ``norm="slaney"`` the wide high-frequency triangles are lower, so that every band
# integrates the same energy from white noise; with ``norm=None`` every triangle peaks at 1.

# %%
# How many bands?
# ---------------
# The course's log-mel images use 128 bands; MFCCs are often computed from 40. The image
# below shows the two filterbank matrices: the bands get wider as the frequency rises.
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5), layout="constrained")
for ax, n_mels in zip(axes, [40, 128], strict=True):
    fb = features.mel_filterbank(sr=sr, n_fft=n_fft, n_mels=n_mels)
    image = ax.imshow(fb, origin="lower", aspect="auto", cmap="viridis",
                      extent=[0, sr / 2, 0, n_mels])
    ax.set_xlabel("Frequency (Hz)")
    ax.set_ylabel("Mel band")
    ax.set_title(f"n_mels = {n_mels}: {fb.shape}")
    fig.colorbar(image, ax=ax)
centres = features.mel_frequencies(n_mels=40 + 2, fmax=sr / 2)[1:-1]
print("first centres (Hz):", np.round(centres[:5], 1), "... last:", round(float(centres[-1])))
