# %% [markdown]
# # Session 1 — Sound, spectra and spectrograms
#
# A sound clip is a sequence of samples. In this session you look at it as a *waveform*,
# as a *spectrum* (which frequencies does it contain?) and as a *spectrogram* (which
# frequencies, when?). You implement the building blocks in `session1.py`, next to this
# notebook: `hann_window`, `magnitude_spectrum`, `frame_signal`, `stft` and `power_to_db`.
# The figures below use the course library `machinehearing`, so they work before you
# have written anything; the checks at the end grade *your* module.
#
# The data: the synthetic ESC-50-like set (generated once into a cache folder), or the
# real ESC-50 when the environment variable `MACHINEHEARING_DATA` points to it.

# %% readonly

import matplotlib.pyplot as plt
import numpy as np

from autograde import check
from machinehearing import audio, features, plots
from machinehearing.datasets import course_dataset, esc50

DATA = course_dataset()  # $MACHINEHEARING_DATA, else a small synthetic set
clips = esc50.load_metadata(DATA)
print(f"{len(clips)} clips in {DATA}")

# %% [markdown]
# ## 1. Waveform and spectrum
#
# Load one clip and look at it in time and in frequency.

# %%
clip = clips[0]
y, sr = audio.load(clip.path(DATA))
fig, axes = plt.subplots(2, 1, figsize=(8, 5))
plots.waveform(y, sr, ax=axes[0])
plots.spectrum(y, sr, ax=axes[1])
axes[0].set_title(f"{clip.category} ({clip.filename})")
fig.tight_layout()

# %% [markdown]
# The spectrum of a clip of `n` samples has `1 + n // 2` bins, `sr / n` Hz apart.
# **Question (autograded).** What is the frequency resolution, in Hz, of one STFT frame
# with `n_fft = 2048` at `sr = 44100`? Store it in `df`.

# %% answer id=df
### BEGIN SOLUTION
df = 44100 / 2048
### END SOLUTION

# %% tests id=test-df points=1
assert abs(df - 44100 / 2048) < 1e-6, "one bin spans sr / n_fft Hz"

# %% [markdown]
# ## 2. Windows
#
# Cutting a frame out of a signal multiplies it by a rectangle; the Hann window tapers the
# edges. Compare their frequency responses (main lobe width, side lobe level).

# %%
fig, axes = plt.subplots(2, 2, figsize=(9, 5))
plots.window("boxcar", 512, sr=sr, axes=axes[0])
plots.window("hann", 512, sr=sr, axes=axes[1])
fig.tight_layout()

# %% [markdown] question id=q-window points=2
# **Question.** Why does a spectrogram computed without a window show energy far away
# from the frequency of a pure tone (spectral leakage), and what do you give up with a
# Hann window?
#
# === BEGIN SOLUTION ===
# A rectangular cut is a multiplication by a boxcar, i.e. a convolution of the spectrum
# with a sinc whose side lobes decay slowly (-13 dB): a pure tone leaks into every bin.
# The Hann window's side lobes start at -31 dB and decay fast, at the price of a main
# lobe twice as wide (coarser frequency resolution).
# === END SOLUTION ===

# %% [markdown]
# ## 3. Spectrograms: the time/frequency trade-off
#
# The same clip with a short and a long window (library STFT, then `power_to_db`).

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for ax, n_fft in zip(axes, (256, 2048)):
    S = np.abs(features.stft(y, n_fft=n_fft, hop_length=n_fft // 4)) ** 2
    plots.spectrogram(features.power_to_db(S, ref=np.max), sr=sr, hop_length=n_fft // 4, ax=ax)
    ax.set_title(f"n_fft = {n_fft}")
fig.tight_layout()

# %% [markdown] question id=q-resolution points=2
# **Question.** Which window length would you choose to see the onsets of a dog bark, and
# which to separate two close harmonics? What does `hop_length` change?
#
# === BEGIN SOLUTION ===
# Onsets need time resolution: a short window (e.g. 256 samples = 6 ms at 44.1 kHz).
# Close harmonics need frequency resolution sr / n_fft: a long window (2048 or more).
# hop_length only sets how densely frames are sampled in time (overlap), not the
# resolution of each frame.
# === END SOLUTION ===

# %% [markdown]
# ## 4. Check your module
#
# Implement the functions in `session1.py` (read their docstrings), then run the cell
# below: it runs the public checks of the autograder on your module and prints a table
# with a hint for each failure. The graded cells after it need every check to pass.

# %% readonly
report = check(1, path=".", progress=False)
passed = {e.id: e.passed for e in report.exercises}

# %% tests id=test-1_1-hann-window points=1
assert passed["1.1-hann-window"], "hann_window: see the table above"

# %% tests id=test-1_2-magnitude-spectrum points=1
assert passed["1.2-magnitude-spectrum"], "magnitude_spectrum: see the table above"

# %% tests id=test-1_3-frame-signal points=1
assert passed["1.3-frame-signal"], "frame_signal: see the table above"

# %% tests id=test-1_4-stft points=2
assert passed["1.4-stft"], "stft: see the table above"

# %% tests id=test-1_5-power-to-db points=2
assert passed["1.5-power-to-db"], "power_to_db: see the table above"
