"""machinehearing.features.mel against librosa 0.11 / scipy and mathematical identities."""

from __future__ import annotations

import warnings

import librosa
import numpy as np
import pytest
import scipy.fft
from hypothesis import given, settings
from hypothesis import strategies as st
from test_features_helpers import SIGNALS, assert_db_matches, assert_matches, make_signal

from machinehearing import features as F
from machinehearing.errors import ParameterError

SRS = (8000, 22050, 44100)
N_FFTS = (256, 512, 1024, 2048, 4096)
NORMS = ("slaney", None)

#: small FFTs with many mel bands leave some triangles without an FFT bin (librosa warns too)
ignore_empty_filters = pytest.mark.filterwarnings("ignore:Empty filters")


# --------------------------------------------------------------------------- the mel scale
@pytest.mark.parametrize("htk", [False, True])
def test_hz_to_mel_and_back_match_librosa(htk):
    hz = np.array([0.0, 20.0, 440.0, 999.9, 1000.0, 1000.1, 8000.0, 22050.0])
    assert_matches(F.hz_to_mel(hz, htk=htk), librosa.hz_to_mel(hz, htk=htk))
    mels = np.linspace(0, 3000 if htk else 60, 17)
    assert_matches(F.mel_to_hz(mels, htk=htk), librosa.mel_to_hz(mels, htk=htk))


@pytest.mark.parametrize("htk", [False, True])
def test_hz_to_mel_of_a_scalar_is_a_scalar(htk):
    mel = F.hz_to_mel(440.0, htk=htk)
    assert np.ndim(mel) == 0
    assert float(mel) == pytest.approx(float(librosa.hz_to_mel(440.0, htk=htk)), rel=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.floats(0.0, 1e5), st.booleans())
def test_mel_to_hz_inverts_hz_to_mel(hz, htk):
    assert float(F.mel_to_hz(F.hz_to_mel(hz, htk=htk), htk=htk)) == pytest.approx(
        hz, rel=1e-9, abs=1e-9
    )


@settings(max_examples=50, deadline=None)
@given(st.floats(0.0, 2e4), st.floats(1.0, 2e4), st.booleans())
def test_hz_to_mel_is_increasing(f, step, htk):
    assert F.hz_to_mel(f + step, htk=htk) > F.hz_to_mel(f, htk=htk)


@pytest.mark.parametrize("htk", [False, True])
@pytest.mark.parametrize(("n_mels", "fmin", "fmax"), [(128, 0.0, 11025.0), (40, 300.0, 8000.0)])
def test_mel_frequencies_matches_librosa(htk, n_mels, fmin, fmax):
    assert_matches(
        F.mel_frequencies(n_mels, fmin=fmin, fmax=fmax, htk=htk),
        librosa.mel_frequencies(n_mels, fmin=fmin, fmax=fmax, htk=htk),
    )


# --------------------------------------------------------------------------- filterbank
@ignore_empty_filters
@pytest.mark.parametrize("sr", SRS)
@pytest.mark.parametrize("n_fft", N_FFTS)
@pytest.mark.parametrize("htk", [False, True])
@pytest.mark.parametrize("norm", NORMS)
def test_mel_filterbank_matches_librosa(sr, n_fft, htk, norm):
    kwargs = dict(sr=sr, n_fft=n_fft, n_mels=64, htk=htk, norm=norm)
    ours = F.mel_filterbank(**kwargs)
    assert ours.dtype == np.float32
    assert_matches(ours, librosa.filters.mel(**kwargs))


@ignore_empty_filters
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(norm=1),
        dict(norm=2),
        dict(norm=np.inf),
        dict(fmin=300.0, fmax=8000.0),
        dict(fmax=15000.0),  # above Nyquist is allowed, as in librosa
        dict(n_mels=40, dtype=np.float64),
    ],
    ids=str,
)
def test_mel_filterbank_options_match_librosa(kwargs):
    ours = F.mel_filterbank(sr=22050, n_fft=2048, **kwargs)
    expected = librosa.filters.mel(sr=22050, n_fft=2048, **kwargs)
    assert ours.dtype == expected.dtype
    assert_matches(ours, expected)


def test_mel_filterbank_warns_about_empty_filters_every_time():
    for _ in range(2):  # the second call is served from the cache
        with pytest.warns(UserWarning, match="Empty filters"):
            F.mel_filterbank(sr=22050, n_fft=256, n_mels=128)


def test_mel_filterbank_returns_a_private_copy():
    fb = F.mel_filterbank(sr=22050, n_fft=512)
    fb[:] = 0.0
    assert F.mel_filterbank(sr=22050, n_fft=512).max() > 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(norm="l2"), "norm='l2'"),
        (dict(norm=[1, 2]), "norm="),
        (dict(n_mels=0), "n_mels=0"),
        (dict(n_fft=0), "n_fft=0"),
        (dict(fmin=-1.0), "fmin=-1.0"),
        (dict(fmin=5000.0, fmax=4000.0), "fmax=4000.0"),
        (dict(sr=0), "sr=0"),
    ],
)
def test_mel_filterbank_rejects_bad_parameters_naming_them(kwargs, match):
    kwargs = {"sr": 22050, "n_fft": 512, **kwargs}
    with pytest.raises(ParameterError, match=match):
        F.mel_filterbank(**kwargs)


# --------------------------------------------------------------------------- melspectrogram
@ignore_empty_filters
@pytest.mark.parametrize("sr", SRS)
@pytest.mark.parametrize("n_fft", N_FFTS)
@pytest.mark.parametrize("htk", [False, True])
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("power", [1.0, 2.0])
def test_melspectrogram_matches_librosa(sr, n_fft, htk, norm, power):
    y = make_signal("chirp_noise", sr, seconds=0.6)
    kwargs = dict(y=y, sr=sr, n_fft=n_fft, hop_length=n_fft // 4, htk=htk, norm=norm, power=power)
    ours = F.melspectrogram(**kwargs)
    assert ours.dtype == np.float32
    assert_matches(ours, librosa.feature.melspectrogram(**kwargs))


@pytest.mark.parametrize("kind", SIGNALS)
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(),
        dict(win_length=400, hop_length=160, n_mels=40, window="hamming"),
        dict(center=False, fmin=50.0, fmax=4000.0, n_mels=32),
    ],
    ids=str,
)
def test_melspectrogram_options_and_signals_match_librosa(kind, kwargs):
    y = make_signal(kind, 16000)
    kwargs = dict(y=y, sr=16000, n_fft=512, **kwargs)
    if kind == "short" and not kwargs.get("center", True):
        with pytest.raises(ParameterError, match="too large"):
            F.melspectrogram(**kwargs)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # short clip: n_fft > len(y)
        ours = F.melspectrogram(**kwargs)
        expected = librosa.feature.melspectrogram(**kwargs)
    assert_matches(ours, expected)


def test_melspectrogram_of_a_given_spectrogram_is_the_filterbank_product():
    S = np.abs(librosa.stft(make_signal("chirp_noise", 22050), n_fft=1024)) ** 2
    ours = F.melspectrogram(S=S, sr=22050, n_mels=40)
    np.testing.assert_allclose(ours, F.mel_filterbank(sr=22050, n_fft=1024, n_mels=40) @ S)
    assert_matches(ours, librosa.feature.melspectrogram(S=S, sr=22050, n_mels=40))


def test_melspectrogram_handles_channels_independently():
    y = np.stack([make_signal("chirp_noise", 8000), make_signal("tone", 8000)])
    M = F.melspectrogram(y=y, sr=8000, n_fft=512, n_mels=32)
    assert M.shape[:2] == (2, 32)
    for channel in range(2):
        assert_matches(M[channel], F.melspectrogram(y=y[channel], sr=8000, n_fft=512, n_mels=32))


def test_melspectrogram_needs_audio_or_spectrogram():
    with pytest.raises(ParameterError, match="either"):
        F.melspectrogram(sr=22050)


# --------------------------------------------------------------------------- DCT
@pytest.mark.parametrize("type", [1, 2, 3])
@pytest.mark.parametrize("norm", ["ortho", None])
@pytest.mark.parametrize("axis", [0, -2, -1])
def test_dct_matches_scipy(type, norm, axis):
    x = np.random.default_rng(0).standard_normal((3, 16, 9))
    np.testing.assert_allclose(
        F.dct(x, type=type, norm=norm, axis=axis),
        scipy.fft.dct(x, type=type, norm=norm, axis=axis),
        atol=1e-10,
    )


@pytest.mark.parametrize("type", [1, 2, 3])
@pytest.mark.parametrize("n", [2, 13, 128])
def test_ortho_dct_is_an_orthogonal_matrix(type, n):
    D = F.dct(np.eye(n), type=type, norm="ortho", axis=0)  # column j = DCT of e_j
    np.testing.assert_allclose(D @ D.T, np.eye(n), atol=1e-12)


def test_dct_keeps_float32():
    x = np.ones((8, 3), dtype=np.float32)
    assert F.dct(x).dtype == np.float32


@pytest.mark.parametrize(
    ("kwargs", "match"), [(dict(type=4), "type=4"), (dict(norm="forward"), "norm='forward'")]
)
def test_dct_rejects_unsupported_options(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        F.dct(np.ones((4, 2)), **kwargs)


# --------------------------------------------------------------------------- MFCC
def _assert_mfcc_matches(ours, expected):
    """MFCCs are dB-valued: within 1e-3 dB, relative to the coefficient scale for norm=None."""
    scale = max(1.0, float(np.max(np.abs(expected))) / 1000.0)
    assert_db_matches(ours / scale, expected / scale)


@ignore_empty_filters
@pytest.mark.parametrize("sr", SRS)
@pytest.mark.parametrize("n_mfcc", [13, 20, 40])
@pytest.mark.parametrize("lifter", [0, 22])
@pytest.mark.parametrize("htk", [False, True])
def test_mfcc_matches_librosa(sr, n_mfcc, lifter, htk):
    y = make_signal("chirp_noise", sr, seconds=0.3)
    kwargs = dict(y=y, sr=sr, n_mfcc=n_mfcc, lifter=lifter, htk=htk, n_fft=1024, hop_length=256)
    ours = F.mfcc(**kwargs)
    assert ours.dtype == np.float32
    _assert_mfcc_matches(ours, librosa.feature.mfcc(**kwargs))


@pytest.mark.parametrize("dct_type", [1, 2, 3])
@pytest.mark.parametrize("norm", ["ortho", None])
@pytest.mark.parametrize("kind", ["chirp_noise", "silence"])
def test_mfcc_dct_options_match_librosa(dct_type, norm, kind):
    S = librosa.power_to_db(librosa.feature.melspectrogram(y=make_signal(kind, 22050), sr=22050))
    ours = F.mfcc(S=S, n_mfcc=20, dct_type=dct_type, norm=norm)
    assert np.all(np.isfinite(ours))
    _assert_mfcc_matches(ours, librosa.feature.mfcc(S=S, n_mfcc=20, dct_type=dct_type, norm=norm))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(lifter=-1), "lifter=-1"),
        (dict(n_mfcc=0), "n_mfcc=0"),
        (dict(n_mfcc=200), "n_mfcc=200"),
    ],
)
def test_mfcc_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        F.mfcc(y=make_signal("tone", 8000), sr=8000, **kwargs)


# --------------------------------------------------------------------------- deltas
@pytest.mark.parametrize("width", [3, 5, 9])
@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("axis", [-1, 0])
def test_delta_matches_librosa(width, order, axis):
    data = librosa.feature.mfcc(y=make_signal("chirp_noise", 22050), sr=22050, n_mfcc=13)
    assert_matches(
        F.delta(data, width=width, order=order, axis=axis),
        librosa.feature.delta(data, width=width, order=order, axis=axis),
    )


@settings(max_examples=50, deadline=None)
@given(st.floats(-100, 100), st.floats(-100, 100), st.sampled_from([3, 5, 7, 9]))
def test_delta_of_a_linear_ramp_is_its_slope(slope, intercept, width):
    ramp = intercept + slope * np.arange(20.0)
    np.testing.assert_allclose(F.delta(ramp, width=width), slope, atol=1e-9 * (1 + abs(slope)))
    np.testing.assert_allclose(
        F.delta(ramp, width=width, order=2), 0.0, atol=1e-9 * (1 + abs(slope))
    )


@pytest.mark.parametrize("width", [3, 9])
def test_delta_interior_is_the_regression_formula(width):
    c = np.random.default_rng(0).standard_normal(40)
    N = (width - 1) // 2
    n = np.arange(1, N + 1)
    t = np.arange(N, len(c) - N)
    expected = [np.sum(n * (c[i + n] - c[i - n])) / (2 * np.sum(n**2)) for i in t]
    np.testing.assert_allclose(F.delta(c, width=width)[t], expected, atol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(width=4), "width=4"),
        (dict(width=1), "width=1"),
        (dict(width=11), "width=11"),
        (dict(order=0), "order=0"),
    ],
)
def test_delta_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        F.delta(np.ones((3, 10)), **kwargs)
