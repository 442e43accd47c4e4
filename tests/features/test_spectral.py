"""machinehearing.features.spectral against librosa 0.11 / scipy and mathematical identities."""

from __future__ import annotations

import contextlib

import librosa
import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from test_features_helpers import SIGNALS, assert_db_matches, assert_matches, make_signal

from machinehearing import features as F
from machinehearing.errors import AudioError, ParameterError

SRS = (8000, 22050, 44100)
N_FFTS = (256, 512, 1024, 2048, 4096)
WINDOWS = ("hann", "hamming", "blackman", "rectangular", ("kaiser", 8.0))


# --------------------------------------------------------------------------- windows
@pytest.mark.parametrize("name", ["hann", "hamming", "blackman", "rectangular", "boxcar"])
@pytest.mark.parametrize("Nx", [1, 2, 7, 512])
@pytest.mark.parametrize("fftbins", [True, False])
def test_get_window_matches_scipy(name, Nx, fftbins):
    scipy_name = "boxcar" if name == "rectangular" else name
    expected = scipy.signal.get_window(scipy_name, Nx, fftbins=fftbins)
    np.testing.assert_allclose(F.get_window(name, Nx, fftbins=fftbins), expected, atol=1e-12)


@pytest.mark.parametrize("window", [("kaiser", 8.0), "triang", np.hanning, np.ones(16)])
def test_get_window_other_specs_match_librosa(window):
    np.testing.assert_allclose(
        F.get_window(window, 16), librosa.filters.get_window(window, 16), atol=1e-12
    )


def test_get_window_unknown_name_lists_the_options():
    with pytest.raises(ParameterError, match=r"window='nope'.*hamming.*hann"):
        F.get_window("nope", 16)


def test_get_window_array_of_wrong_length_is_rejected():
    with pytest.raises(ParameterError, match="window array"):
        F.get_window(np.ones(3), 4)


@pytest.mark.parametrize("sr", SRS)
@pytest.mark.parametrize("n_fft", [255, *N_FFTS])
def test_fft_frequencies_matches_librosa(sr, n_fft):
    np.testing.assert_allclose(
        F.fft_frequencies(sr=sr, n_fft=n_fft), librosa.fft_frequencies(sr=sr, n_fft=n_fft)
    )


# --------------------------------------------------------------------------- STFT
@pytest.mark.parametrize("sr", SRS)
@pytest.mark.parametrize("n_fft", N_FFTS)
@pytest.mark.parametrize("center", [True, False])
def test_stft_matches_librosa(sr, n_fft, center):
    y = make_signal("chirp_noise", sr, seconds=0.6)
    ours = F.stft(y, n_fft=n_fft, center=center)
    assert ours.dtype == np.complex64
    assert_matches(ours, librosa.stft(y, n_fft=n_fft, center=center))


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize(("win_length", "hop_length"), [(None, None), (300, 128), (1000, 441)])
@pytest.mark.parametrize("pad_mode", ["constant", "reflect"])
def test_stft_window_hop_and_win_length_match_librosa(window, win_length, hop_length, pad_mode):
    y = make_signal("chirp_noise", 22050)
    kwargs = dict(
        n_fft=1024, hop_length=hop_length, win_length=win_length, window=window, pad_mode=pad_mode
    )
    assert_matches(F.stft(y, **kwargs), librosa.stft(y, **kwargs))


@pytest.mark.parametrize("kind", ["tone", "silence"])
def test_stft_of_tone_and_silence_matches_librosa(kind):
    y = make_signal(kind, 22050)
    assert_matches(F.stft(y, n_fft=512), librosa.stft(y, n_fft=512))


def test_stft_of_short_clip_warns_and_matches_librosa():
    y = make_signal("short", 22050)
    with pytest.warns(UserWarning, match="too large"):
        ours = F.stft(y, n_fft=1024)
    with pytest.warns(UserWarning):
        expected = librosa.stft(y, n_fft=1024)
    assert_matches(ours, expected)


def test_stft_float64_gives_complex128_and_channels_are_independent():
    y = np.stack([make_signal("chirp_noise", 8000), make_signal("tone", 8000)]).astype(np.float64)
    X = F.stft(y, n_fft=256)
    assert X.dtype == np.complex128 and X.shape[0] == 2
    for channel in range(2):
        np.testing.assert_allclose(X[channel], F.stft(y[channel], n_fft=256), atol=1e-12)
    assert_matches(X, librosa.stft(y, n_fft=256))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(n_fft=0), "n_fft=0"),
        (dict(n_fft=-8), "n_fft=-8"),
        (dict(n_fft=256.0), "n_fft=256.0"),
        (dict(hop_length=0), "hop_length=0"),
        (dict(n_fft=256, win_length=512), "win_length=512"),
        (dict(n_fft=4096, center=False), "n_fft=4096"),
        (dict(pad_mode="wrap"), "pad_mode='wrap'"),
        (dict(window="nope"), "window='nope'"),
    ],
)
def test_stft_rejects_bad_parameters_naming_them(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        F.stft(make_signal("chirp_noise", 8000, seconds=0.25), **kwargs)


def test_stft_rejects_non_finite_audio():
    y = make_signal("tone", 8000)
    y[10] = np.nan
    with pytest.raises(AudioError, match="non-finite"):
        F.stft(y)


# --------------------------------------------------------------------------- magnitude spectrum
@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.integers(2, 300), elements=st.floats(-1, 1)))
def test_magnitude_spectrum_satisfies_parseval(y):
    _, mag = F.magnitude_spectrum(y, 1000)
    n = len(y)
    # every bin except DC (and Nyquist for even n) stands for two conjugate bins
    weights = np.full(len(mag), 2.0)
    weights[0] = 1.0
    if n % 2 == 0:
        weights[-1] = 1.0
    np.testing.assert_allclose(np.sum(weights * mag**2) / n, np.sum(y**2), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("window", [None, "hann"])
@pytest.mark.parametrize("n_fft", [None, 4000])
def test_magnitude_spectrum_peaks_at_the_tone_frequency(window, n_fft):
    sr = 8000
    y = make_signal("tone", sr)  # 440 Hz, 4000 samples
    freqs, mag = F.magnitude_spectrum(y, sr, n_fft=n_fft, window=window)
    assert freqs.shape == mag.shape == (1 + (n_fft or len(y)) // 2,)
    assert freqs[np.argmax(mag)] == pytest.approx(440.0, abs=sr / len(freqs))
    w = 1.0 if window is None else scipy.signal.get_window(window, len(y))
    np.testing.assert_allclose(mag, np.abs(np.fft.rfft(y * w, n=n_fft)), rtol=1e-5, atol=1e-4)


# --------------------------------------------------------------------------- decibels
def _power(kind: str) -> np.ndarray:
    return np.abs(librosa.stft(make_signal(kind, 8000), n_fft=256)) ** 2


@pytest.mark.parametrize("kind", ["chirp_noise", "tone", "silence"])
@pytest.mark.parametrize("ref", [1.0, np.max, 0.5])
@pytest.mark.parametrize("top_db", [80.0, 40.0, None])
@pytest.mark.parametrize("amin", [1e-10, 1e-5])
def test_power_to_db_matches_librosa(kind, ref, top_db, amin):
    S = _power(kind)
    kwargs = dict(ref=ref, top_db=top_db, amin=amin)
    assert_db_matches(F.power_to_db(S, **kwargs), librosa.power_to_db(S, **kwargs))


@pytest.mark.parametrize("kind", ["chirp_noise", "silence"])
@pytest.mark.parametrize("ref", [1.0, np.max])
@pytest.mark.parametrize("top_db", [80.0, None])
def test_amplitude_to_db_matches_librosa(kind, ref, top_db):
    S = np.sqrt(_power(kind))
    kwargs = dict(ref=ref, top_db=top_db)
    assert_db_matches(F.amplitude_to_db(S, **kwargs), librosa.amplitude_to_db(S, **kwargs))


def test_db_of_complex_input_warns_and_uses_the_magnitude():
    X = librosa.stft(make_signal("tone", 8000), n_fft=256)
    with pytest.warns(UserWarning, match="phase"):
        ours = F.amplitude_to_db(X)
    assert_db_matches(ours, librosa.amplitude_to_db(np.abs(X)))


@pytest.mark.parametrize("ref", [1.0, 2.5])
def test_db_to_power_and_amplitude_match_librosa(ref):
    S_db = np.linspace(-80, 20, 11)
    assert_matches(F.db_to_power(S_db, ref=ref), librosa.db_to_power(S_db, ref=ref))
    assert_matches(F.db_to_amplitude(S_db, ref=ref), librosa.db_to_amplitude(S_db, ref=ref))


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.integers(1, 50), elements=st.floats(1e-10, 1e6)))
def test_db_to_power_inverts_power_to_db_above_amin(S):
    np.testing.assert_allclose(F.db_to_power(F.power_to_db(S, top_db=None)), S, rtol=1e-9)
    A = np.sqrt(S)
    np.testing.assert_allclose(F.db_to_amplitude(F.amplitude_to_db(A, top_db=None)), A, rtol=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "match"), [(dict(amin=0.0), "amin=0.0"), (dict(top_db=-1.0), "top_db=-1.0")]
)
def test_power_to_db_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        F.power_to_db(np.ones(3), **kwargs)


# --------------------------------------------------------------------------- descriptors
DESCRIPTORS = ("spectral_centroid", "spectral_bandwidth", "spectral_rolloff")


@pytest.mark.parametrize("name", DESCRIPTORS)
@pytest.mark.parametrize("sr", SRS)
@pytest.mark.parametrize("kind", SIGNALS)
def test_spectral_descriptors_match_librosa(name, sr, kind):
    y = make_signal(kind, sr)
    kwargs = dict(y=y, sr=sr, n_fft=512, hop_length=128)
    with pytest.warns(UserWarning) if kind == "short" else contextlib.nullcontext():
        ours = getattr(F, name)(**kwargs)
    with pytest.warns(UserWarning) if kind == "short" else contextlib.nullcontext():
        expected = getattr(librosa.feature, name)(**kwargs)
    assert_matches(ours, expected)


@pytest.mark.parametrize("name", DESCRIPTORS)
@pytest.mark.parametrize("n_fft", [256, 2048])
@pytest.mark.parametrize("center", [True, False])
def test_spectral_descriptors_match_librosa_over_stft_parameters(name, n_fft, center):
    y = make_signal("chirp_noise", 22050)
    kwargs = dict(y=y, sr=22050, n_fft=n_fft, hop_length=n_fft // 4, center=center)
    assert_matches(getattr(F, name)(**kwargs), getattr(librosa.feature, name)(**kwargs))


@pytest.mark.parametrize(
    "kwargs", [dict(p=1), dict(p=3), dict(norm=False), dict(roll_percent=0.5)], ids=str
)
def test_spectral_descriptor_options_match_librosa(kwargs):
    S = np.abs(librosa.stft(make_signal("chirp_noise", 22050), n_fft=1024))
    name = "spectral_rolloff" if "roll_percent" in kwargs else "spectral_bandwidth"
    ours = getattr(F, name)(S=S, sr=22050, **kwargs)
    assert_matches(ours, getattr(librosa.feature, name)(S=S, sr=22050, **kwargs))


def test_spectral_centroid_of_silence_is_zero():
    centroid = F.spectral_centroid(y=np.zeros(4096, dtype=np.float32), sr=22050)
    assert np.all(centroid == 0)


def test_spectral_centroid_rejects_negative_or_complex_S():
    with pytest.raises(ParameterError, match="non-negative"):
        F.spectral_centroid(S=-np.ones((5, 2)))
    with pytest.raises(ParameterError, match="real-valued"):
        F.spectral_centroid(S=np.ones((5, 2), dtype=complex))


@pytest.mark.parametrize("sr", [22050, 44100])
@pytest.mark.parametrize("kind", ["chirp_noise", "tone", "silence"])
@pytest.mark.parametrize(
    "kwargs",
    [dict(), dict(linear=True), dict(fmin=100.0, n_bands=4, quantile=0.1), dict(n_fft=1024)],
    ids=str,
)
def test_spectral_contrast_matches_librosa(sr, kind, kwargs):
    y = make_signal(kind, sr)
    ours = F.spectral_contrast(y=y, sr=sr, **kwargs)
    expected = librosa.feature.spectral_contrast(y=y, sr=sr, **kwargs)
    if kwargs.get("linear"):
        assert_matches(ours, expected)
    else:
        assert_db_matches(ours, expected)


def test_spectral_contrast_at_8k_needs_fewer_bands():
    y = make_signal("chirp_noise", 8000)
    with pytest.raises(ParameterError, match="Nyquist"):
        F.spectral_contrast(y=y, sr=8000)
    assert_db_matches(
        F.spectral_contrast(y=y, sr=8000, n_bands=4),
        librosa.feature.spectral_contrast(y=y, sr=8000, n_bands=4),
    )


@pytest.mark.parametrize("kind", ["chirp_noise", "tone", "silence"])
@pytest.mark.parametrize(("frame_length", "hop_length"), [(2048, 512), (256, 100), (513, 64)])
@pytest.mark.parametrize("center", [True, False])
def test_zero_crossing_rate_matches_librosa(kind, frame_length, hop_length, center):
    y = make_signal(kind, 22050)
    kwargs = dict(frame_length=frame_length, hop_length=hop_length, center=center)
    assert_matches(
        F.zero_crossing_rate(y, **kwargs), librosa.feature.zero_crossing_rate(y, **kwargs)
    )


@pytest.mark.parametrize("kind", ["chirp_noise", "tone", "silence"])
@pytest.mark.parametrize(("frame_length", "hop_length"), [(2048, 512), (256, 100), (511, 64)])
@pytest.mark.parametrize("center", [True, False])
def test_rms_from_audio_matches_librosa(kind, frame_length, hop_length, center):
    y = make_signal(kind, 22050)
    kwargs = dict(frame_length=frame_length, hop_length=hop_length, center=center)
    assert_matches(F.rms(y=y, **kwargs), librosa.feature.rms(y=y, **kwargs))


@pytest.mark.parametrize("frame_length", [256, 255])
def test_rms_from_spectrogram_matches_librosa_and_parseval(frame_length):
    y = make_signal("chirp_noise", 8000)
    S = np.abs(librosa.stft(y, n_fft=frame_length, window="ones", center=False))
    ours = F.rms(S=S, frame_length=frame_length)
    assert_matches(ours, librosa.feature.rms(S=S, frame_length=frame_length))
    # with a rectangular window and no overlap handling, Parseval gives the time-domain RMS
    from_audio = F.rms(y=y, frame_length=frame_length, hop_length=frame_length // 4, center=False)
    np.testing.assert_allclose(ours, from_audio, rtol=1e-4)


def test_rms_rejects_a_spectrogram_of_the_wrong_height():
    with pytest.raises(ParameterError, match="frame_length"):
        F.rms(S=np.ones((100, 3)), frame_length=2048)


@pytest.mark.parametrize(
    "name",
    [
        "spectral_centroid",
        "spectral_bandwidth",
        "spectral_rolloff",
        "spectral_contrast",
        "rms",
        "melspectrogram",
        "mfcc",
        "chroma_stft",
    ],
)
def test_every_feature_of_silence_is_finite(name):
    kwargs = dict(y=np.zeros(22050, dtype=np.float32), sr=22050)
    if name == "rms":
        del kwargs["sr"]
    if name == "chroma_stft":
        kwargs["tuning"] = 0.0
    out = getattr(F, name)(**kwargs)
    assert out.size and np.all(np.isfinite(out))
    assert np.all(np.isfinite(F.power_to_db(np.abs(out))))  # amin floors keep dB finite too
