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


# --------------------------------------------------------------------------- tuning

#: (sr, n_fft, hop_length): the course's rates, ESC-50's 44.1 kHz and the grids of issue 12
TUNING_GRID = [
    (8000, 256, 80),
    (16000, 512, 160),
    (16000, 1024, 256),
    (22050, 2048, 512),
    (32000, 2048, 441),
    (44100, 1024, 441),
    (44100, 2048, 512),
]
TUNING_SIGNALS = ("clicks", "silence", "zero_padded", "tone", "noise")


def tuning_signal(kind: str, sr: int, seconds: float = 1.0) -> np.ndarray:
    """Signals on which the tuning estimate is fragile or easy.

    ``clicks`` (a click every ``sr // 7`` samples) has a flat spectrum, whose peaks are
    decided by the last digit of the power; ``zero_padded`` is a noisy tone followed by
    digital silence (as in many ESC-50 clips); ``tone`` is 20 cents sharp of A4.
    """
    n = int(sr * seconds)
    t = np.arange(n) / sr
    rng = np.random.default_rng(0)
    y = np.zeros(n)
    if kind == "clicks":
        y[:: sr // 7] = 1.0
    elif kind == "zero_padded":
        m = n // 3
        y[:m] = 0.5 * np.sin(2 * np.pi * 330.0 * t[:m]) + 0.05 * rng.standard_normal(m)
    elif kind == "tone":
        y = 0.8 * np.sin(2 * np.pi * 440.0 * 2 ** (0.2 / 12) * t)
    elif kind == "noise":
        y = 0.3 * rng.standard_normal(n)
    elif kind != "silence":
        raise ValueError(kind)
    return y.astype(np.float32)


@pytest.mark.parametrize(("sr", "n_fft", "hop_length"), TUNING_GRID)
@pytest.mark.parametrize("kind", TUNING_SIGNALS)
@pytest.mark.parametrize("power", [1, 2])
def test_piptrack_equals_librosa_bit_for_bit(sr, n_fft, hop_length, kind, power):
    S = np.abs(librosa.stft(tuning_signal(kind, sr), n_fft=n_fft, hop_length=hop_length)) ** power
    pitches, mags = F.piptrack(S=S, sr=sr)
    expected_pitches, expected_mags = librosa.piptrack(S=S, sr=sr)
    assert pitches.dtype == expected_pitches.dtype == np.float32
    np.testing.assert_array_equal(pitches, expected_pitches)
    np.testing.assert_array_equal(mags, expected_mags)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "kwargs",
    [dict(), dict(fmin=50.0, fmax=20000.0), dict(threshold=0.5), dict(ref=0.05), dict(ref=np.mean)],
    ids=str,
)
def test_piptrack_of_a_random_spectrogram_equals_librosa(dtype, kwargs):
    # random magnitudes: every case of the parabola (|b| >= |a|, a = 0 ties) in both precisions
    S = np.random.default_rng(1).random((2, 257, 30)).astype(dtype)
    S[0, :, :3] = 0.25  # flat frames: no peak anywhere
    ours, expected = F.piptrack(S=S, sr=16000, **kwargs), librosa.piptrack(S=S, sr=16000, **kwargs)
    for a, b in zip(ours, expected):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_array_equal(a, b)


def test_piptrack_of_audio_equals_librosa():
    y = tuning_signal("zero_padded", 22050)
    kwargs = dict(y=y, sr=22050, n_fft=1024, hop_length=256, fmin=100.0, center=False)
    for a, b in zip(F.piptrack(**kwargs), librosa.piptrack(**kwargs)):
        np.testing.assert_array_equal(a, b)


def test_piptrack_finds_a_tone_between_two_bins():
    # 435 Hz lies 17 cents above bin 40 (430.7 Hz) of a 2048-point FFT at 22050 Hz: the
    # parabola through the peak and its neighbours places it within 2 cents
    sr, f = 22050, 435.0
    y = np.sin(2 * np.pi * f * np.arange(sr) / sr).astype(np.float32)
    pitches, mags = F.piptrack(y=y, sr=sr)
    strongest = pitches[np.argmax(mags, axis=0), np.arange(pitches.shape[1])][2:-2]
    cents = 1200 * np.abs(np.log2(strongest / f))
    assert cents.max() < 2.0


@pytest.mark.parametrize("bins_per_octave", [12, 24, 36])
@pytest.mark.parametrize("resolution", [0.01, 0.05, 0.1])
def test_pitch_tuning_equals_librosa(bins_per_octave, resolution):
    freqs = np.random.default_rng(2).uniform(50.0, 5000.0, 500).astype(np.float32)
    freqs[:20] = 0.0  # ignored
    kwargs = dict(resolution=resolution, bins_per_octave=bins_per_octave)
    assert F.pitch_tuning(freqs, **kwargs) == librosa.pitch_tuning(freqs, **kwargs)


@pytest.mark.parametrize(
    ("deviation", "left_edge"), [(-0.405, -0.41), (-0.135, -0.14), (0.005, 0.0), (0.275, 0.27)]
)
def test_pitch_tuning_is_the_left_edge_of_the_fullest_bin(deviation, left_edge):
    # every frequency deviates by the same amount from the semitone grid: the fullest bin
    # of width 0.01 is the one holding `deviation`, and its left edge is returned
    freqs = 440.0 * 2.0 ** ((np.arange(-24, 25) + deviation) / 12)
    assert F.pitch_tuning(freqs) == pytest.approx(left_edge, abs=1e-9)


def test_pitch_tuning_of_no_frequency_warns_and_returns_zero():
    with pytest.warns(UserWarning, match="empty frequency set"):
        assert F.pitch_tuning(np.zeros(5)) == 0.0


@pytest.mark.filterwarnings("ignore:Trying to estimate tuning from empty frequency set")
@pytest.mark.parametrize(("sr", "n_fft", "hop_length"), TUNING_GRID)
@pytest.mark.parametrize("kind", TUNING_SIGNALS)
def test_estimate_tuning_equals_librosa(sr, n_fft, hop_length, kind):
    kwargs = dict(y=tuning_signal(kind, sr), sr=sr, n_fft=n_fft, hop_length=hop_length)
    assert F.estimate_tuning(**kwargs) == librosa.estimate_tuning(**kwargs)


def test_estimate_tuning_of_a_mistuned_tone():
    sr = 22050
    y = tuning_signal("tone", sr)  # 20 cents sharp
    assert F.estimate_tuning(y=y, sr=sr, resolution=0.05) == pytest.approx(0.2, abs=0.05)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(resolution=0.0), "resolution=0.0"),
        (dict(resolution=1.5), "resolution=1.5"),
        (dict(bins_per_octave=0), "bins_per_octave=0"),
    ],
)
def test_pitch_tuning_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        F.pitch_tuning([440.0], **kwargs)


def test_piptrack_rejects_a_spectrogram_without_two_bins():
    with pytest.raises(ParameterError, match="2 frequency bins"):
        F.piptrack(S=np.ones((1, 5)), sr=22050)


@pytest.mark.filterwarnings("ignore:Trying to estimate tuning from empty frequency set")
@pytest.mark.parametrize(("sr", "n_fft", "hop_length"), TUNING_GRID)
@pytest.mark.parametrize("kind", TUNING_SIGNALS)
def test_chroma_stft_with_estimated_tuning_equals_librosa(sr, n_fft, hop_length, kind):
    # issue 12: on clicks the chromagram differed by up to 9.3e-2 (16 kHz) and 5.3e-2 (32 kHz)
    kwargs = dict(y=tuning_signal(kind, sr), sr=sr, n_fft=n_fft, hop_length=hop_length)
    ours, expected = F.chroma_stft(**kwargs), librosa.feature.chroma_stft(**kwargs)
    assert ours.dtype == expected.dtype
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-6)


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
