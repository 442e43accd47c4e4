"""machinehearing.features.pitch (chroma, CQT) against librosa 0.11."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
from test_features_helpers import assert_matches, make_signal

from machinehearing import features as F
from machinehearing.errors import AudioError, ParameterError

SRS = (8000, 22050, 44100)


@pytest.mark.parametrize("sr", SRS)
@pytest.mark.parametrize("n_fft", [256, 1024, 4096])
@pytest.mark.parametrize("n_chroma", [12, 24])
@pytest.mark.parametrize("tuning", [0.0, -0.3])
def test_chroma_filterbank_matches_librosa(sr, n_fft, n_chroma, tuning):
    kwargs = dict(sr=sr, n_fft=n_fft, n_chroma=n_chroma, tuning=tuning)
    ours = F.chroma_filterbank(**kwargs)
    assert ours.dtype == np.float32
    assert_matches(ours, librosa.filters.chroma(**kwargs))


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(norm=None),
        dict(norm=np.inf),
        dict(base_c=False),
        dict(octwidth=None),
        dict(ctroct=4.0, octwidth=1.0),
        dict(dtype=np.float64),
    ],
    ids=str,
)
def test_chroma_filterbank_options_match_librosa(kwargs):
    ours = F.chroma_filterbank(sr=22050, n_fft=2048, **kwargs)
    expected = librosa.filters.chroma(sr=22050, n_fft=2048, **kwargs)
    assert ours.dtype == expected.dtype
    assert_matches(ours, expected)


def test_chroma_filterbank_returns_a_private_copy():
    fb = F.chroma_filterbank(sr=22050, n_fft=512)
    fb[:] = 0.0
    assert F.chroma_filterbank(sr=22050, n_fft=512).max() > 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [(dict(n_chroma=0), "n_chroma=0"), (dict(octwidth=0), "octwidth=0"), (dict(norm="x"), "norm")],
)
def test_chroma_filterbank_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        F.chroma_filterbank(sr=22050, n_fft=512, **kwargs)


@pytest.mark.filterwarnings("ignore:Trying to estimate tuning from empty frequency set")
@pytest.mark.parametrize("sr", SRS)
@pytest.mark.parametrize("kind", ["chirp_noise", "tone", "silence"])
@pytest.mark.parametrize("tuning", [0.0, None])
def test_chroma_stft_matches_librosa(sr, kind, tuning):
    y = make_signal(kind, sr)
    kwargs = dict(y=y, sr=sr, n_fft=1024, hop_length=256, tuning=tuning)
    ours = F.chroma_stft(**kwargs)
    assert np.all(np.isfinite(ours))
    assert_matches(ours, librosa.feature.chroma_stft(**kwargs))


@pytest.mark.parametrize(
    "kwargs",
    [dict(norm=None), dict(norm=2), dict(n_chroma=24), dict(base_c=False), dict(center=False)],
    ids=str,
)
def test_chroma_stft_options_match_librosa(kwargs):
    y = make_signal("chirp_noise", 22050)
    kwargs = dict(y=y, sr=22050, tuning=0.0, **kwargs)
    assert_matches(F.chroma_stft(**kwargs), librosa.feature.chroma_stft(**kwargs))


def test_chroma_stft_of_a_given_power_spectrogram_matches_librosa():
    S = np.abs(librosa.stft(make_signal("chirp_noise", 22050), n_fft=2048)) ** 2
    assert_matches(
        F.chroma_stft(S=S, sr=22050, tuning=0.0),
        librosa.feature.chroma_stft(S=S, sr=22050, tuning=0.0),
    )


def test_chroma_stft_of_middle_c_peaks_at_pitch_class_c():
    sr = 22050
    y = (0.5 * np.sin(2 * np.pi * 261.63 * np.arange(sr) / sr)).astype(np.float32)
    chroma = F.chroma_stft(y=y, sr=sr, tuning=0.0)
    assert np.all(chroma.argmax(axis=0)[2:-2] == 0)
    np.testing.assert_allclose(chroma.max(axis=0), 1.0)  # norm=inf: each frame peaks at 1


@pytest.mark.filterwarnings("ignore:n_fft=.* is too large")  # librosa's octave-wise STFTs
@pytest.mark.parametrize("sr", [8000, 22050])
@pytest.mark.parametrize(
    "kwargs", [dict(), dict(hop_length=256, n_bins=48, bins_per_octave=24, fmin=65.0)], ids=str
)
def test_cqt_wraps_librosa(sr, kwargs):
    y = make_signal("chirp_noise", sr, seconds=1.0)
    if sr == 8000 and not kwargs:
        kwargs = dict(n_bins=72)  # 84 bins from C1 pass Nyquist at 8 kHz
    ours = F.cqt(y, sr=sr, **kwargs)
    assert_matches(ours, librosa.cqt(y, sr=sr, **kwargs))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [(dict(hop_length=0), "hop_length=0"), (dict(n_bins=0), "n_bins=0"), (dict(fmin=-1.0), "fmin")],
)
def test_cqt_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        F.cqt(make_signal("tone", 22050), sr=22050, **kwargs)


def test_cqt_rejects_non_finite_audio():
    y = make_signal("tone", 22050)
    y[0] = np.inf
    with pytest.raises(AudioError, match="non-finite"):
        F.cqt(y, sr=22050)
