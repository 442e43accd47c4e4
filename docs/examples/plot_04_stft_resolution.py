"""
STFT: the time-frequency trade-off
==================================

The short-time Fourier transform cuts the signal into windowed frames. Three parameters set
what the spectrogram can resolve: ``n_fft`` (the FFT size, hence the bin spacing
``sr / n_fft``), ``win_length`` (the window actually applied, the real time resolution) and
``hop_length`` (the frame spacing). We look at one test signal through a grid of settings.
"""

# %%
# A test signal with both kinds of detail
# ---------------------------------------
# Two steady tones 60 Hz apart (they need *frequency* resolution), clicks every 60 ms (they
# need *time* resolution) and a rising chirp.
import matplotlib.pyplot as plt
import numpy as np

from machinehearing import features, plots

sr = 16000
t = np.arange(int(1.5 * sr)) / sr
y = 0.3 * np.sin(2 * np.pi * 1000 * t) + 0.3 * np.sin(2 * np.pi * 1060 * t)
y += 0.2 * np.sin(2 * np.pi * (2500 * t + 1500 * t**2))
y[:: int(0.06 * sr)] += 3.0
y = y.astype(np.float32)

# %%
# ``n_fft`` with ``win_length = n_fft`` and ``hop_length = n_fft // 4``
# ---------------------------------------------------------------------
# Short windows separate the clicks but merge the two tones; long windows separate the tones
# and smear the clicks over 250 ms.
fig, axes = plt.subplots(1, 3, figsize=(12, 3.8), sharey=True, layout="constrained")
for ax, n_fft in zip(axes, [256, 1024, 4096], strict=True):
    S = np.abs(features.stft(y, n_fft=n_fft, hop_length=n_fft // 4)) ** 2
    plots.spectrogram(features.power_to_db(S, ref=np.max), sr=sr, hop_length=n_fft // 4, ax=ax)
    ax.set_title(f"n_fft = {n_fft} ({sr / n_fft:.1f} Hz/bin, {1000 * n_fft / sr:.0f} ms)")
    ax.set_ylim(0, 4000)
    ax.label_outer()

# %%
# Zero-padding is not resolution
# ------------------------------
# Keep a 256-sample window but compute a 4096-point FFT: the bins are now 3.9 Hz apart, yet
# the two tones stay merged, because the window, not the FFT size, decides what can be
# separated. Zero-padding only interpolates the spectrum.
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True, layout="constrained")
for ax, (n_fft, win) in zip(axes, [(4096, 4096), (4096, 256)], strict=True):
    S = np.abs(features.stft(y, n_fft=n_fft, win_length=win, hop_length=128)) ** 2
    plots.spectrogram(features.power_to_db(S, ref=np.max), sr=sr, hop_length=128, ax=ax)
    ax.set_title(f"n_fft = {n_fft}, win_length = {win}")
    ax.set_ylim(800, 1300)
    ax.set_xlim(0.3, 0.7)
    ax.label_outer()

# %%
# The hop sets the frame rate, not the resolution
# -----------------------------------------------
# The number of frames is ``1 + len(y) // hop_length`` with ``center=True``; a smaller hop
# gives a smoother picture (and a bigger array) without sharpening anything.
for hop in [64, 256, 1024]:
    S = features.stft(y, n_fft=1024, hop_length=hop)
    print(f"hop_length={hop:5d}: shape {S.shape}, {1000 * hop / sr:.0f} ms between frames")
