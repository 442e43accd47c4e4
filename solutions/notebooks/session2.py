# %% [markdown]
# # Session 2 — Features for a classifier
#
# A network does not need raw spectrograms: compact, perceptually motivated features
# often work better. You implement the mel scale, the mel filterbank, the mel spectrogram,
# MFCCs, deltas and the conversion of a feature into a standardised image in
# `session2.py`. The figures use the library `machinehearing.features`.

# %% readonly

import matplotlib.pyplot as plt

from autograde import check
from machinehearing import audio, features, plots
from machinehearing.datasets import course_dataset, esc50
from machinehearing.plots import features as show_features

DATA = course_dataset()  # $MACHINEHEARING_DATA, else a small synthetic set
clips = esc50.load_metadata(DATA)
print(f"{len(clips)} clips in {DATA}")

# %% [markdown]
# ## 1. The mel filterbank
#
# Triangular filters, equally spaced on the mel scale: narrow at low frequencies, wide
# at high frequencies.

# %%
clip = clips[0]
y, sr = audio.load(clip.path(DATA))
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
plots.mel_filterbank(features.mel_filterbank(sr=sr, n_fft=2048, n_mels=40), sr=sr, ax=axes[0])
plots.mel_filterbank(features.mel_filterbank(sr=sr, n_fft=2048, n_mels=40, htk=True,
                                             norm=None), sr=sr, ax=axes[1])
axes[0].set_title("Slaney, norm='slaney'")
axes[1].set_title("HTK, norm=None")
fig.tight_layout()

# %% [markdown]
# **Question (autograded).** How many frames does `melspectrogram` return for a 5 s clip
# at `sr = 44100` with `hop_length = 512` and centred frames? Store it in `n_frames`.

# %% answer id=n-frames
### BEGIN SOLUTION
n_frames = 1 + (5 * 44100) // 512
### END SOLUTION

# %% tests id=test-n-frames points=1
assert n_frames == 431, "with center=True there are 1 + len(y) // hop_length frames"

# %% [markdown]
# ## 2. Candidate features
#
# The course's feature registry computes each feature of a clip; `plots.features` shows
# them side by side.

# %%
fig = show_features(y, sr, ["logmel", "mfcc", "delta_mfcc", "chroma", "contrast"])

# %%
image = features.to_image(features.compute("logmel", y, sr), (128, 128))
print(image.shape, image.dtype, round(float(image.mean()), 3), round(float(image.std()), 3))

# %% [markdown] question id=q-features points=3
# **Question.** Which *one* feature would you give a single-channel network, and which
# *three* would you stack as the channels of a 3-channel input? Justify with the
# figures (what does each feature keep or discard?).
#
# === BEGIN SOLUTION ===
# One channel: the log-mel spectrogram: it keeps the time-frequency energy pattern with
# a perceptual frequency axis and little redundancy. Three channels: log-mel, MFCC (the
# decorrelated spectral envelope) and chroma or delta-MFCC (pitch classes / dynamics):
# complementary views of the same time axis.
# === END SOLUTION ===

# %% [markdown]
# ## Check your module
#
# Implement the functions in `session2.py`, then run the autograder's public checks
# on it; the graded cells below need every check to pass.

# %% readonly
report = check(2, path=".", progress=False)
passed = {e.id: e.passed for e in report.exercises}

# %% tests id=test-2_1-hz-to-mel points=1
assert passed["2.1-hz-to-mel"], "hz_to_mel: see the table above"

# %% tests id=test-2_2-mel-to-hz points=1
assert passed["2.2-mel-to-hz"], "mel_to_hz: see the table above"

# %% tests id=test-2_3-mel-filterbank points=2
assert passed["2.3-mel-filterbank"], "mel_filterbank: see the table above"

# %% tests id=test-2_4-melspectrogram points=2
assert passed["2.4-melspectrogram"], "melspectrogram: see the table above"

# %% tests id=test-2_5-mfcc points=2
assert passed["2.5-mfcc"], "mfcc: see the table above"

# %% tests id=test-2_6-delta points=1
assert passed["2.6-delta"], "delta: see the table above"

# %% tests id=test-2_7-to-image points=1
assert passed["2.7-to-image"], "to_image: see the table above"

# %% tests id=test-2_8-stack-features points=1
assert passed["2.8-stack-features"], "stack_features: see the table above"
