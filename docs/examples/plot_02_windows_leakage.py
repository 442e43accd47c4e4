"""
Windows and spectral leakage
============================

The DFT of a finite frame sees the signal through a window. A tone whose period does not fit
the frame a whole number of times leaks energy into every bin; tapering the frame trades a
wider main lobe for much lower side lobes.
"""

# sphinx_gallery_thumbnail_number = 4

# %%
# Windows in time and frequency
# -----------------------------
# :func:`machinehearing.plots.window` draws a window and its frequency response (in bins of
# the window length when no sampling rate is given): the rectangular window has the
# narrowest main lobe (2 bins) and side lobes at -13 dB; Hann's main lobe is 4 bins wide and
# its first side lobe is at -31 dB; Blackman goes further.
import matplotlib.pyplot as plt
import numpy as np

from machinehearing import features, plots

for name in ["boxcar", "hann", "blackman"]:
    plots.window(name, 64, floor_db=-100)

# %%
# Leakage of a tone between two bins
# ----------------------------------
# A 1,000 Hz tone fits a 256-sample frame at 8 kHz exactly 32 times: it falls on bin 32 and
# only that bin is non-zero, with or without a window. At 1,015.6 Hz (bin 32.5) the
# rectangular window spreads it over the whole spectrum; the Hann window confines it.
sr, n = 8000, 256
t = np.arange(n) / sr
freqs = features.fft_frequencies(sr=sr, n_fft=n)

fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), sharey=True, layout="constrained")
for ax, f0 in zip(axes, [1000.0, 1000.0 + sr / n / 2], strict=True):
    x = np.sin(2 * np.pi * f0 * t)
    for name in ["boxcar", "hann"]:
        w = features.get_window(name, n)
        spectrum = np.abs(np.fft.rfft(x * w)) / w.sum()
        ax.plot(freqs, 20 * np.log10(np.maximum(spectrum, 1e-12)), label=name)
    ax.set_title(f"{f0:.1f} Hz tone, {n}-sample frame")
    ax.set_xlabel("Frequency (Hz)")
    ax.set_ylim(-160, 5)
    ax.legend()
axes[0].set_ylabel("Magnitude (dB re peak)")

# %%
# Periodic or symmetric?
# ----------------------
# For spectral analysis the window is *periodic* (``fftbins=True``, librosa's and scipy's
# default for ``get_window``): a symmetric window of length ``N + 1`` without its last
# sample. The difference is tiny but it is what makes overlapping Hann windows at a hop of
# ``N / 4`` sum to a constant.
periodic = features.get_window("hann", 8)
symmetric = features.get_window("hann", 8, fftbins=False)
print("periodic :", np.round(periodic, 3))
print("symmetric:", np.round(symmetric, 3))
