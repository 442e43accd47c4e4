"""Session 1 — sound, spectra, spectrograms: window, spectrum, frames, STFT, decibels (7 points)."""

from __future__ import annotations

import numpy as np

from machinehearing import audio, features

from ..compare import allclose, equal
from ..spec import Case, Exercise, Hint, hints
from . import close_to_scale, matches, part, signal

# ----------------------------------------------------------------- the usual mistakes


def _symmetric_hann(n):
    return np.hanning(n)


def _spectrum_normalised(y, sr):
    freqs, mag = features.magnitude_spectrum(y, sr)
    return freqs, mag / len(y)


def _spectrum_bad_freqs(y, sr):
    _, mag = features.magnitude_spectrum(y, sr)
    return np.arange(mag.shape[0]) / len(y), mag


def _stft_uncentered(y, *, n_fft=2048, hop_length=512, center=True):
    return features.stft(y, n_fft=n_fft, hop_length=hop_length, center=False)


def _stft_reflect(y, *, n_fft=2048, hop_length=512, center=True):
    return features.stft(y, n_fft=n_fft, hop_length=hop_length, center=center, pad_mode="reflect")


def _stft_symmetric(y, *, n_fft=2048, hop_length=512, center=True):
    return features.stft(y, n_fft=n_fft, hop_length=hop_length, center=center,
                         window=np.hanning(n_fft))


def _stft_no_window(y, *, n_fft=2048, hop_length=512, center=True):
    return features.stft(y, n_fft=n_fft, hop_length=hop_length, center=center,
                         window=np.ones(n_fft))


def _db_amplitude(S, *, ref=1.0, amin=1e-10, top_db=80.0):
    return 2 * features.power_to_db(S, ref=ref, amin=amin, top_db=None if top_db is None
                                    else top_db / 2)


def _db_no_floor(S, *, ref=1.0, amin=1e-10, top_db=80.0):
    return features.power_to_db(S, ref=ref, amin=amin, top_db=None)


def _db_absolute_floor(S, *, ref=1.0, amin=1e-10, top_db=80.0):
    S_db = features.power_to_db(S, ref=ref, amin=amin, top_db=None)
    return S_db if top_db is None else np.maximum(S_db, -top_db)


def _db_ref_unclamped(S, *, ref=1.0, amin=1e-10, top_db=80.0):
    S_db = 10 * np.log10(np.maximum(amin, S)) - 10 * np.log10(ref)
    return S_db if top_db is None else np.maximum(S_db, S_db.max() - top_db)


# ----------------------------------------------------------------- cases


def _hann_public(rng):
    return [Case(args=(512,), label="n=512"), Case(args=(7,), label="odd n=7"),
            Case(args=(1,), label="n=1")]


def _hann_hidden(rng):
    return [Case(args=(int(n),)) for n in rng.integers(2, 4096, size=4)]


def _spectrum_public(rng):
    return [Case(args=(signal(rng, sr=8000, seconds=0.25), 8000), label="2000 samples, 8 kHz"),
            Case(args=(signal(rng, sr=11025, seconds=0.1), 11025), label="odd length, 11.025 kHz")]


def _spectrum_hidden(rng):
    cases = []
    for sr in rng.choice([8000, 16000, 22050, 44100], size=3):
        n = int(rng.integers(500, 5000))
        cases.append(Case(args=(signal(rng, sr=int(sr), seconds=n / sr), int(sr))))
    return cases


def _frame_public(rng):
    return [Case(args=(np.arange(20.0),), kwargs={"frame_length": 4, "hop_length": 2},
                 label="arange(20), frame 4, hop 2"),
            Case(args=(signal(rng, sr=8000, seconds=0.2),),
                 kwargs={"frame_length": 256, "hop_length": 100}, label="1600 samples, 256/100")]


def _frame_hidden(rng):
    cases = []
    for _ in range(3):
        frame_length = int(rng.integers(16, 512))
        hop = int(rng.integers(1, frame_length + 1))
        y = rng.standard_normal(int(rng.integers(frame_length, 6000)))
        cases.append(Case(args=(y,), kwargs={"frame_length": frame_length, "hop_length": hop}))
    return cases


def _stft_public(rng):
    y = signal(rng, sr=8000, seconds=0.5)
    return [Case(args=(y,), kwargs={"n_fft": 512, "hop_length": 128, "center": True},
                 label="4000 samples, n_fft=512, hop=128, center=True"),
            Case(args=(y,), kwargs={"n_fft": 256, "hop_length": 64, "center": False},
                 label="n_fft=256, hop=64, center=False")]


def _stft_hidden(rng):
    cases = []
    for center in (True, True, False):
        n_fft = int(2 ** rng.integers(7, 11))
        hop = int(n_fft // rng.choice([2, 4, 8]))
        y = signal(rng, sr=16000, seconds=float(rng.uniform(0.2, 0.6)))
        cases.append(Case(args=(y,), kwargs={"n_fft": n_fft, "hop_length": hop,
                                             "center": center}))
    return cases


def _power(rng, shape):
    S = np.abs(np.fft.rfft(rng.standard_normal((shape[1], 2 * shape[0] - 2)), axis=1).T) ** 2
    S[: shape[0] // 8] = 0.0  # silent rows: amin matters
    return S * 10.0 ** rng.uniform(-6, 3)


def _db_public(rng):
    S = _power(rng, (65, 20))
    return [Case(args=(S,), label="defaults (ref=1, amin=1e-10, top_db=80)"),
            Case(args=(S,), kwargs={"ref": 100.0, "amin": 1e-5, "top_db": 40.0},
                 label="ref=100, amin=1e-5, top_db=40"),
            Case(args=(S,), kwargs={"top_db": None}, label="top_db=None")]


def _db_hidden(rng):
    cases = []
    for top_db in (80.0, float(rng.uniform(20, 60)), None):
        S = _power(rng, (int(rng.integers(10, 200)), int(rng.integers(5, 50))))
        cases.append(Case(args=(S,), kwargs={"ref": float(10.0 ** rng.uniform(-3, 3)),
                                             "amin": float(10.0 ** rng.uniform(-12, -4)),
                                             "top_db": top_db}))
    return cases


_NO_LIBS = ("librosa", "scipy.signal", "machinehearing.features", "torch")

EXERCISES = [
    Exercise(
        id="1.1-hann-window",
        session=1,
        points=1.0,
        target="hann_window",
        reference=lambda n: features.get_window("hann", n),
        public=_hann_public,
        hidden=_hann_hidden,
        compare=allclose(rtol=1e-7, atol=1e-10),
        hints=[
            Hint("This is the *symmetric* window (np.hanning): the periodic window divides by "
                 "n, not n - 1, and does not end with a 0.", when=matches(_symmetric_hann)),
            Hint("Return exactly n samples (and [1.0] for n = 1).", when=hints.wrong_shape()),
        ],
        forbidden=("numpy.hanning", "scipy.signal.get_window", "scipy.signal.windows.hann",
                   "machinehearing.features.get_window", "librosa.filters.get_window",
                   "torch.hann_window"),
    ),
    Exercise(
        id="1.2-magnitude-spectrum",
        session=1,
        points=1.0,
        target="magnitude_spectrum",
        reference=lambda y, sr: features.magnitude_spectrum(y, sr),
        public=_spectrum_public,
        hidden=_spectrum_hidden,
        compare=close_to_scale(rtol=1e-6, floor=1e-9),
        hints=[
            Hint("Keep the 1 + len(y) // 2 non-negative frequencies: np.fft.rfft, not fft.",
                 when=part(1, hints.wrong_shape())),
            Hint("Bin k is at k * sr / len(y) Hz (you divided by len(y) only).",
                 when=matches(_spectrum_bad_freqs)),
            Hint("Return |rfft(y)| unscaled: do not divide by len(y).",
                 when=matches(_spectrum_normalised)),
            Hint("Return (freqs, magnitude) in this order.", when=lambda s, e, c: isinstance(
                s, tuple | list) and len(s) == 2 and np.allclose(s[0], e[1]) is True),
        ],
        forbidden=_NO_LIBS,
    ),
    Exercise(
        id="1.3-frame-signal",
        session=1,
        points=1.0,
        target="frame_signal",
        reference=lambda y, *, frame_length, hop_length: audio.frame(
            y, frame_length=frame_length, hop_length=hop_length),
        public=_frame_public,
        hidden=_frame_hidden,
        compare=equal(),
        hints=[
            Hint("Frames are columns: return shape (frame_length, n_frames).",
                 when=hints.transposed()),
            Hint("There are 1 + (len(y) - frame_length) // hop_length frames: drop an "
                 "incomplete last frame and do not pad.", when=hints.wrong_shape()),
        ],
        forbidden=("librosa", "machinehearing.audio.frame", "numpy.lib.stride_tricks"),
    ),
    Exercise(
        id="1.4-stft",
        session=1,
        points=2.0,
        target="stft",
        reference=lambda y, *, n_fft=2048, hop_length=512, center=True: features.stft(
            y, n_fft=n_fft, hop_length=hop_length, center=center),
        public=_stft_public,
        hidden=_stft_hidden,
        compare=close_to_scale(rtol=1e-5, floor=1e-7),
        hints=[
            Hint("Time axis shifted / frame count off: with center=True pad n_fft // 2 zeros "
                 "on both sides before framing.", when=matches(_stft_uncentered)),
            Hint("Pad with zeros (mode='constant', librosa's default), not by reflection.",
                 when=matches(_stft_reflect)),
            Hint("Use the *periodic* Hann window (divide by n_fft, not n_fft - 1).",
                 when=matches(_stft_symmetric)),
            Hint("Multiply each frame by the Hann window before the FFT.",
                 when=matches(_stft_no_window)),
            Hint("Return the complex STFT (no np.abs, no square).",
                 when=lambda s, e, c: np.asarray(s).dtype.kind != "c"),
            Hint("Shape is (1 + n_fft // 2, n_frames): frequencies on rows (rfft along the "
                 "frame axis).", when=hints.transposed()),
            Hint("Check the number of frames: 1 + len(y) // hop_length with center=True.",
                 when=hints.wrong_shape()),
        ],
        forbidden=_NO_LIBS,
    ),
    Exercise(
        id="1.5-power-to-db",
        session=1,
        points=2.0,
        target="power_to_db",
        reference=lambda S, **kw: features.power_to_db(S, **kw),
        public=_db_public,
        hidden=_db_hidden,
        compare=allclose(rtol=1e-6, atol=1e-6),
        hints=[
            Hint("Power uses 10 * log10, amplitude 20 * log10: your values are twice too large.",
                 when=matches(_db_amplitude)),
            Hint("Apply top_db: S_db = max(S_db, S_db.max() - top_db) (skip it when None).",
                 when=matches(_db_no_floor)),
            Hint("top_db is relative to the maximum of the dB array, not an absolute floor.",
                 when=matches(_db_absolute_floor)),
            Hint("Clamp the reference too: 10 * log10(max(amin, ref)).",
                 when=matches(_db_ref_unclamped)),
            Hint("log10(0) = -inf: clamp the power with amin before the logarithm.",
                 when=hints.has_nan()),
        ],
        forbidden=_NO_LIBS,
    ),
]
