"""Session 2 — features: mel scale, filterbank, mel spectrogram, MFCC, delta, images (11 points)."""

from __future__ import annotations

import numpy as np
import torch

from machinehearing import features

from ..compare import allclose
from ..spec import Case, Exercise, Hint, hints
from . import close_to_scale, matches, signal

# ----------------------------------------------------------------- the usual mistakes


def _mel_other_formula(frequencies, *, htk=False):
    return features.hz_to_mel(frequencies, htk=not htk)


def _hz_other_formula(mels, *, htk=False):
    return features.mel_to_hz(mels, htk=not htk)


def _slaney_log10(frequencies, *, htk=False):
    f = np.asarray(frequencies, dtype=np.float64)
    logs = 15.0 + np.log10(np.maximum(f, 1e-12) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(f >= 1000.0, logs, f / (200.0 / 3.0))


def _fb_other(**changes):
    def mistake(**kw):
        return features.mel_filterbank(**{**kw, **changes})

    return mistake


def _fb_hz_spacing(*, sr, n_fft, n_mels=128, fmin=0.0, fmax=None, htk=False, norm="slaney"):
    fmax = sr / 2 if fmax is None else fmax
    edges = np.linspace(fmin, fmax, n_mels + 2)
    freqs = np.arange(1 + n_fft // 2) * sr / n_fft
    lower = (freqs[None, :] - edges[:-2, None]) / np.diff(edges)[:-1, None]
    upper = (edges[2:, None] - freqs[None, :]) / np.diff(edges)[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    if norm == "slaney":
        weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights


def _mel_magnitude(y, *, sr, n_fft=2048, hop_length=512, n_mels=128):
    return features.melspectrogram(y=y, sr=sr, n_fft=n_fft, hop_length=hop_length,
                                   n_mels=n_mels, power=1.0)


def _mel_filter_power_transposed(y, *, sr, n_fft=2048, hop_length=512, n_mels=128):
    return _reference_mel(y, sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels).T


def _reference_mel(y, *, sr, n_fft=2048, hop_length=512, n_mels=128):
    return features.melspectrogram(y=y, sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels)


def _reference_mfcc(y, *, sr, n_mfcc=20, n_fft=2048, hop_length=512, n_mels=128):
    return features.mfcc(y=y, sr=sr, n_mfcc=n_mfcc, n_fft=n_fft, hop_length=hop_length,
                         n_mels=n_mels)


def _mfcc_unnormalised(y, *, sr, n_mfcc=20, n_fft=2048, hop_length=512, n_mels=128):
    S = features.power_to_db(_reference_mel(y, sr=sr, n_fft=n_fft, hop_length=hop_length,
                                            n_mels=n_mels))
    return features.dct(S, norm=None)[:n_mfcc]


def _mfcc_row0(y, **kw):
    M = _reference_mfcc(y, **kw).copy()
    M[0] *= np.sqrt(2.0)
    return M


def _mfcc_no_log(y, *, sr, n_mfcc=20, n_fft=2048, hop_length=512, n_mels=128):
    S = _reference_mel(y, sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels)
    return features.dct(S)[:n_mfcc]


def _delta_zero_padded(data, *, width=9):
    half = width // 2
    n = np.arange(-half, half + 1)
    padded = np.pad(data, ((0, 0), (half, half)))
    return np.stack([padded[:, t : t + width] @ (n / np.sum(n**2))
                     for t in range(data.shape[1])], axis=1)


def _delta_by_width(data, *, width=9):
    half = width // 2
    return features.delta(data, width=width) * np.sum(np.arange(-half, half + 1) ** 2) / width


def _image_align_corners(feature, size=(128, 128)):
    x = torch.as_tensor(np.asarray(feature, dtype=np.float64))[None, None]
    image = torch.nn.functional.interpolate(x, size=tuple(size), mode="bilinear",
                                            align_corners=True)[0, 0].numpy()
    return features.standardize(image)


def _image_unstandardised(feature, size=(128, 128)):
    return features.to_image(feature, size, standardize=False, antialias=False)


def _image_standardised_first(feature, size=(128, 128)):
    return features.resize(features.standardize(feature), size, antialias=False)


def _stack_last(images):
    return np.stack(images, axis=-1)


# ----------------------------------------------------------------- cases


def _freqs(rng, n):
    return np.concatenate([[0.0, 999.0, 1000.0, 1001.0], rng.uniform(0, 22050, size=n)])


def _hz_public(rng):
    f = np.array([0.0, 100.0, 500.0, 999.0, 1000.0, 4000.0, 11025.0])
    return [Case(args=(f,), label="Slaney (default)"),
            Case(args=(f,), kwargs={"htk": True}, label="htk=True"),
            Case(args=(440.0,), label="a scalar, 440 Hz")]


def _hz_hidden(rng):
    return [Case(args=(_freqs(rng, 30),)), Case(args=(_freqs(rng, 30),), kwargs={"htk": True}),
            Case(args=(_freqs(rng, 12).reshape(4, 4),))]


def _mel_public(rng):
    m = np.array([0.0, 5.0, 14.9, 15.0, 15.1, 30.0, 45.0])
    return [Case(args=(m,), label="Slaney (default)"),
            Case(args=(np.array([0.0, 500.0, 1000.0, 2840.0]),), kwargs={"htk": True},
                 label="htk=True"),
            Case(args=(15.0,), label="a scalar, 15 mels")]


def _mel_hidden(rng):
    return [Case(args=(rng.uniform(0, 60, size=30),)),
            Case(args=(rng.uniform(0, 4000, size=30),), kwargs={"htk": True})]


def _fb_public(rng):
    return [Case(kwargs={"sr": 22050, "n_fft": 2048}, label="sr=22050, n_fft=2048 (defaults)"),
            Case(kwargs={"sr": 16000, "n_fft": 512, "n_mels": 40, "fmin": 50.0, "fmax": 7000.0},
                 label="sr=16000, n_fft=512, n_mels=40, fmin=50, fmax=7000"),
            Case(kwargs={"sr": 16000, "n_fft": 1024, "n_mels": 64, "htk": True, "norm": None},
                 label="htk=True, norm=None")]


def _fb_hidden(rng):
    cases = []
    for htk, norm in ((False, "slaney"), (True, "slaney"), (False, None)):
        sr = int(rng.choice([16000, 22050, 44100]))
        cases.append(Case(kwargs={"sr": sr, "n_fft": int(2 ** rng.integers(10, 12)),
                                  "n_mels": int(rng.integers(20, 96)),
                                  "fmin": float(rng.uniform(0, 100)), "htk": htk, "norm": norm}))
    return cases


def _audio_cases(rng, n, *, public):
    cases = []
    settings = [(16000, 512, 128, 40), (22050, 2048, 512, 128)]
    if not public:
        settings = [(int(rng.choice([16000, 22050])), int(2 ** rng.integers(9, 12)),
                     int(2 ** rng.integers(7, 10)), int(rng.integers(32, 100)))
                    for _ in range(n)]
    for sr, n_fft, hop, n_mels in settings:
        y = signal(rng, sr=sr, seconds=float(rng.uniform(0.4, 1.0)))
        label = f"sr={sr}, n_fft={n_fft}, hop={hop}, n_mels={n_mels}" if public else ""
        cases.append(Case(args=(y,), kwargs={"sr": sr, "n_fft": n_fft, "hop_length": hop,
                                             "n_mels": n_mels}, label=label))
    return cases


def _mfcc_cases(rng, n, *, public):
    cases = _audio_cases(rng, n, public=public)
    return [Case(args=c.args, kwargs={**c.kwargs, "n_mfcc": 13 + 7 * (i % 2)},
                 label=c.label + (f", n_mfcc={13 + 7 * (i % 2)}" if public else ""))
            for i, c in enumerate(cases)]


def _feature_matrix(rng, rows, frames):
    t = np.arange(frames)
    return (rng.standard_normal((rows, 1)) * t / frames
            + np.sin(t[None, :] / rng.uniform(2, 8, size=(rows, 1)))
            + 0.1 * rng.standard_normal((rows, frames)))


def _delta_public(rng):
    return [Case(args=(np.arange(10.0)[None, :] ** 2,), kwargs={"width": 3},
                 label="t**2, width=3"),
            Case(args=(_feature_matrix(rng, 13, 40),), label="13 x 40, width=9 (default)")]


def _delta_hidden(rng):
    return [Case(args=(_feature_matrix(rng, int(rng.integers(2, 30)),
                                       int(rng.integers(9, 80))),), kwargs={"width": int(w)})
            for w in (9, 2 * rng.integers(1, 4) + 1, 5)]


def _image_public(rng):
    return [Case(args=(_feature_matrix(rng, 40, 94),), kwargs={"size": (128, 128)},
                 label="40 x 94 -> 128 x 128"),
            Case(args=(_feature_matrix(rng, 128, 300),), kwargs={"size": (64, 96)},
                 label="128 x 300 -> 64 x 96 (shrink)"),
            Case(args=(np.full((10, 12), 3.0),), kwargs={"size": (16, 16)},
                 label="a constant feature")]


def _image_hidden(rng):
    return [Case(args=(_feature_matrix(rng, int(rng.integers(5, 200)), int(rng.integers(5, 400))),),
                 kwargs={"size": (int(rng.integers(16, 160)), int(rng.integers(16, 160)))})
            for _ in range(3)]


def _stack_public(rng):
    images = [rng.standard_normal((32, 48)).astype(np.float32) for _ in range(3)]
    return [Case(args=(images,), label="three 32 x 48 images"),
            Case(args=([images[0]],), label="one image")]


def _stack_hidden(rng):
    h, w = (int(v) for v in rng.integers(4, 64, size=2))
    return [Case(args=([rng.standard_normal((h, w)) for _ in range(int(rng.integers(1, 5)))],))]


_NO_LIBS = ("librosa", "machinehearing.features", "scipy.fft", "scipy.fftpack", "torch",
            "scipy.signal")

EXERCISES = [
    Exercise(
        id="2.1-hz-to-mel",
        session=2,
        points=1.0,
        target="hz_to_mel",
        reference=lambda f, **kw: features.hz_to_mel(f, **kw),
        public=_hz_public,
        hidden=_hz_hidden,
        compare=allclose(rtol=1e-7, atol=1e-9),
        hints=[
            Hint("You used the other mel formula: htk=False is Slaney's (linear below 1 kHz, "
                 "logarithmic above), htk=True is 2595 log10(1 + f/700).",
                 when=matches(_mel_other_formula)),
            Hint("The Slaney log branch uses the natural log: log(f / 1000) / (log(6.4) / 27).",
                 when=matches(_slaney_log10)),
            Hint("Work element-wise (np.where or a mask) and keep the input's shape.",
                 when=hints.wrong_shape()),
        ],
        forbidden=_NO_LIBS,
    ),
    Exercise(
        id="2.2-mel-to-hz",
        session=2,
        points=1.0,
        target="mel_to_hz",
        reference=lambda m, **kw: features.mel_to_hz(m, **kw),
        public=_mel_public,
        hidden=_mel_hidden,
        compare=allclose(rtol=1e-7, atol=1e-7),
        hints=[
            Hint("You used the other mel formula (htk=False is Slaney's, the default).",
                 when=matches(_hz_other_formula)),
            Hint("Keep the input's shape (work element-wise).", when=hints.wrong_shape()),
        ],
        forbidden=_NO_LIBS,
    ),
    Exercise(
        id="2.3-mel-filterbank",
        session=2,
        points=2.0,
        target="mel_filterbank",
        reference=lambda **kw: features.mel_filterbank(**kw),
        public=_fb_public,
        hidden=_fb_hidden,
        compare=close_to_scale(rtol=1e-4, floor=1e-6),
        hints=[
            Hint("Filters peak at 1 instead of being area-normalised: with norm='slaney' "
                 "scale filter i by 2 / (f[i + 2] - f[i]).", when=matches(_fb_other(norm=None))),
            Hint("Normalise only when norm='slaney': norm=None keeps the peaks at 1.",
                 when=matches(_fb_other(norm="slaney"))),
            Hint("Peaks at the wrong frequencies: the default mel scale is Slaney's (htk=False), "
                 "not HTK.", when=matches(_fb_other(htk=False))),
            Hint("Peaks at the wrong frequencies: with htk=True use the HTK formula.",
                 when=matches(_fb_other(htk=True))),
            Hint("Space the n_mels + 2 edges equally in mels (then convert to Hz), not in Hz.",
                 when=matches(_fb_hz_spacing)),
            Hint("Shape is (n_mels, 1 + n_fft // 2).", when=hints.transposed()),
            Hint("Use n_mels + 2 edge frequencies and 1 + n_fft // 2 FFT bins (fmax=None "
                 "means sr / 2).", when=hints.wrong_shape()),
        ],
        forbidden=_NO_LIBS,
    ),
    Exercise(
        id="2.4-melspectrogram",
        session=2,
        points=2.0,
        target="melspectrogram",
        reference=_reference_mel,
        public=lambda rng: _audio_cases(rng, 2, public=True),
        hidden=lambda rng: _audio_cases(rng, 3, public=False),
        compare=close_to_scale(rtol=1e-4, floor=1e-6),
        hints=[
            Hint("Apply the filterbank to the *power* |X|**2, not the magnitude |X|.",
                 when=matches(_mel_magnitude)),
            Hint("Shape is (n_mels, n_frames): filterbank @ power spectrogram.",
                 when=matches(_mel_filter_power_transposed)),
            Hint("Check the shapes: (n_mels, bins) @ (bins, frames).", when=hints.wrong_shape()),
        ],
        forbidden=_NO_LIBS,
    ),
    Exercise(
        id="2.5-mfcc",
        session=2,
        points=2.0,
        target="mfcc",
        reference=_reference_mfcc,
        public=lambda rng: _mfcc_cases(rng, 2, public=True),
        hidden=lambda rng: _mfcc_cases(rng, 3, public=False),
        compare=close_to_scale(rtol=1e-4, floor=1e-5),
        hints=[
            Hint("Off by a constant factor: DCT normalisation. Use the orthonormal DCT-II "
                 "(sqrt(2 / N) cos(...), row 0 scaled by sqrt(1 / N)).",
                 when=matches(_mfcc_unnormalised)),
            Hint("Only coefficient 0 is off (by sqrt(2)): the orthonormal DCT scales row 0 by "
                 "sqrt(1 / N), not sqrt(2 / N).", when=matches(_mfcc_row0)),
            Hint("Take the log (power_to_db) of the mel spectrogram before the DCT.",
                 when=matches(_mfcc_no_log)),
            Hint("Off by a constant factor: check the DCT normalisation.",
                 when=hints.constant_factor()),
            Hint("The DCT runs along the mel axis: result (n_mfcc, n_frames).",
                 when=hints.wrong_shape()),
        ],
        forbidden=("librosa.feature.mfcc", "machinehearing.features.mfcc", *_NO_LIBS),
    ),
    Exercise(
        id="2.6-delta",
        session=2,
        points=1.0,
        target="delta",
        reference=lambda data, **kw: features.delta(data, **kw),
        public=_delta_public,
        hidden=_delta_hidden,
        compare=allclose(rtol=1e-6, atol=1e-8),
        hints=[
            Hint("Wrong sign: data[t + n] with positive n is the future (slope = rise / run).",
                 when=hints.scaled_by(-1.0)),
            Hint("Divide by sum(n**2) over n = -N..N, not by the width.",
                 when=matches(_delta_by_width)),
            Hint("Edges: fit the line to the first (last) width frames (librosa's "
                 "mode='interp'), do not pad with zeros.", when=matches(_delta_zero_padded)),
        ],
        forbidden=_NO_LIBS,
    ),
    Exercise(
        id="2.7-to-image",
        session=2,
        points=1.0,
        target="to_image",
        # the exercise is the bilinear resize; the library averages when shrinking
        reference=lambda feature, size=(128, 128): features.to_image(
            feature, size, antialias=False),
        public=_image_public,
        hidden=_image_hidden,
        compare=allclose(rtol=1e-4, atol=1e-4),
        hints=[
            Hint("Use half-pixel centres, src = (i + 0.5) * in / out - 0.5 (align_corners="
                 "False), not i * (in - 1) / (out - 1).", when=matches(_image_align_corners,
                                                                     rtol=1e-3, floor=1e-4)),
            Hint("Standardise the image: subtract its mean, divide by its standard deviation.",
                 when=matches(_image_unstandardised, rtol=1e-3, floor=1e-4)),
            Hint("Resize first, then standardise the resized image.",
                 when=matches(_image_standardised_first, rtol=1e-3, floor=1e-4)),
            Hint("A constant feature has std 0: return zeros, not NaN.", when=hints.has_nan()),
            Hint("Return an image of shape size = (height, width).", when=hints.wrong_shape()),
        ],
        forbidden=_NO_LIBS,
    ),
    Exercise(
        id="2.8-stack-features",
        session=2,
        points=1.0,
        target="stack_features",
        reference=lambda images: features.stack(images),
        public=_stack_public,
        hidden=_stack_hidden,
        compare=allclose(rtol=1e-6, atol=1e-6, dtype=True),
        hints=[
            Hint("PyTorch wants channels first: (C, H, W), not (H, W, C).",
                 when=matches(_stack_last)),
            Hint("Return float32 (the dtype of network inputs).",
                 when=lambda s, e, c: getattr(s, "dtype", None) != np.float32),
            Hint("Stack (new first axis), do not concatenate.", when=hints.wrong_shape()),
        ],
        forbidden=("machinehearing.features", "torch"),
    ),
]
