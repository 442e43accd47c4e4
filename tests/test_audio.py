"""machinehearing.audio: loading, resampling, cropping, framing and validation."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from machinehearing import audio
from machinehearing.errors import AudioError, ParameterError

# librosa.load imports audioread, which imports modules deprecated in Python 3.13
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:audioread.*")


def _tone(sr: int, seconds: float, freq: float = 440.0, channels: int = 1) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    y = np.stack([0.5 * np.sin(2 * np.pi * freq * (c + 1) * t) for c in range(channels)])
    return y[0] if channels == 1 else y


@pytest.fixture
def wav_path(tmp_path):
    """A 1 s stereo 16-bit WAV at 22.05 kHz (different tones per channel)."""
    path = tmp_path / "stereo.wav"
    sf.write(path, _tone(22050, 1.0, channels=2).T, 22050, subtype="PCM_16")
    return path


# --------------------------------------------------------------------------- load
@pytest.mark.parametrize("sr", [None, 8000, 16000, 44100])
@pytest.mark.parametrize("mono", [True, False])
def test_load_matches_librosa(wav_path, sr, mono):
    y, rate = audio.load(wav_path, sr=sr, mono=mono)
    expected, expected_rate = librosa.load(wav_path, sr=sr, mono=mono, res_type="soxr_hq")
    assert rate == expected_rate
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, expected, atol=1e-6)


@pytest.mark.parametrize(("offset", "duration"), [(0.25, None), (0.0, 0.5), (0.1, 0.3)])
def test_load_offset_and_duration_match_librosa(wav_path, offset, duration):
    y, _ = audio.load(wav_path, offset=offset, duration=duration)
    expected, _ = librosa.load(wav_path, sr=None, offset=offset, duration=duration)
    np.testing.assert_allclose(y, expected, atol=1e-7)


def test_load_returns_the_requested_dtype(wav_path):
    y, _ = audio.load(wav_path, dtype=np.float64)
    assert y.dtype == np.float64


def test_load_accepts_a_silent_clip(tmp_path):
    path = tmp_path / "silent.wav"
    sf.write(path, np.zeros(1000), 8000)
    y, sr = audio.load(path)
    assert sr == 8000 and y.shape == (1000,) and not y.any()


def test_load_missing_file_names_it(tmp_path):
    path = tmp_path / "nope.wav"
    with pytest.raises(AudioError, match=r"nope\.wav.*does not exist"):
        audio.load(path)


def test_load_garbage_bytes_is_reported_as_not_audio(tmp_path):
    path = tmp_path / "garbage.wav"
    path.write_bytes(b"this is not a RIFF header" * 10)
    with pytest.raises(AudioError, match=r"garbage\.wav.*corrupt"):
        audio.load(path)


def test_load_empty_file_is_reported(tmp_path):
    path = tmp_path / "empty.wav"
    sf.write(path, np.zeros(0), 8000)
    with pytest.raises(AudioError, match=r"empty\.wav.*empty \(0 frames\)"):
        audio.load(path)


def test_load_offset_past_the_end_is_reported(wav_path):
    with pytest.raises(AudioError, match=r"stereo\.wav.*empty"):
        audio.load(wav_path, offset=5.0)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_load_non_finite_samples_are_reported(tmp_path, bad):
    path = tmp_path / "nan.wav"
    y = np.zeros(100)
    y[3] = bad
    sf.write(path, y, 8000, subtype="FLOAT")
    with pytest.raises(AudioError, match=r"nan\.wav.*non-finite"):
        audio.load(path)


def test_load_directory_is_reported(tmp_path):
    with pytest.raises(AudioError, match="directory"):
        audio.load(tmp_path)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [(dict(sr=0), "sr=0"), (dict(offset=-1.0), "offset=-1.0"), (dict(duration=0.0), "duration")],
)
def test_load_rejects_bad_parameters(wav_path, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        audio.load(wav_path, **kwargs)


# --------------------------------------------------------------------------- conversions
def test_to_mono_matches_librosa():
    y = _tone(8000, 0.1, channels=3).astype(np.float32)
    np.testing.assert_allclose(audio.to_mono(y), librosa.to_mono(y), atol=1e-7)
    mono = y[0]
    assert audio.to_mono(mono) is mono


@pytest.mark.parametrize(
    ("orig_sr", "target_sr"), [(44100, 22050), (22050, 8000), (8000, 44100), (16000, 16000)]
)
@pytest.mark.parametrize("channels", [1, 2])
def test_resample_matches_librosa_soxr_hq(orig_sr, target_sr, channels):
    y = _tone(orig_sr, 0.3, channels=channels).astype(np.float32)
    ours = audio.resample(y, orig_sr=orig_sr, target_sr=target_sr)
    expected = librosa.resample(y, orig_sr=orig_sr, target_sr=target_sr, res_type="soxr_hq")
    assert ours.dtype == np.float32 and ours.shape == expected.shape
    np.testing.assert_allclose(ours, expected, atol=1e-6)


@pytest.mark.parametrize(("orig_sr", "target_sr"), [(0, 8000), (8000, -1)])
def test_resample_rejects_bad_rates(orig_sr, target_sr):
    with pytest.raises(ParameterError, match="sr="):
        audio.resample(np.zeros(10), orig_sr=orig_sr, target_sr=target_sr)


@pytest.mark.parametrize("size", [0, 3, 5, 8])
@pytest.mark.parametrize("axis", [-1, 0])
def test_fix_length_matches_librosa(size, axis):
    data = np.arange(10.0).reshape(5, 2) if axis == 0 else np.arange(5.0)
    np.testing.assert_array_equal(
        audio.fix_length(data, size=size, axis=axis),
        librosa.util.fix_length(data, size=size, axis=axis),
    )


@pytest.mark.parametrize("target", [1.0, 0.25])
def test_normalize_peak_and_rms_reach_the_target(target):
    y = _tone(8000, 0.5).astype(np.float32) * 0.3
    peak = audio.normalize(y, kind="peak", target=target)
    assert peak.dtype == np.float32
    assert np.max(np.abs(peak)) == pytest.approx(target, rel=1e-6)
    loud = audio.normalize(y, kind="rms", target=target)
    assert np.sqrt(np.mean(loud.astype(np.float64) ** 2)) == pytest.approx(target, rel=1e-5)


@pytest.mark.parametrize("kind", ["peak", "rms"])
def test_normalize_leaves_silence_alone(kind):
    y = np.zeros(100, dtype=np.float32)
    out = audio.normalize(y, kind=kind)
    assert np.all(np.isfinite(out)) and not out.any()


@pytest.mark.parametrize(
    ("kwargs", "match"), [(dict(kind="max"), "kind='max'"), (dict(target=0), "target=0")]
)
def test_normalize_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        audio.normalize(np.ones(4), **kwargs)


# --------------------------------------------------------------------------- crop
Y10 = np.arange(1.0, 11.0)


@pytest.mark.parametrize(
    ("where", "seconds", "expected"),
    [
        ("start", 4, [1, 2, 3, 4]),
        ("center", 4, [4, 5, 6, 7]),
        ("start", 12, [*range(1, 11), 0, 0]),
        ("center", 12, [0, *range(1, 11), 0]),
        ("loudest", 12, [*range(1, 11), 0, 0]),
        ("start", 10, list(range(1, 11))),
    ],
)
def test_crop_keeps_the_documented_excerpt(where, seconds, expected):
    np.testing.assert_array_equal(audio.crop(Y10, 1, seconds, where=where), expected)


def test_crop_loudest_finds_the_burst():
    y = np.zeros(1000)
    y[600:650] = 1.0
    out = audio.crop(y, 100, 0.5, where="loudest")
    assert out.shape == (50,) and np.all(out == 1.0)


@pytest.mark.parametrize("n", [5, 20])
def test_crop_random_is_reproducible_with_a_seed_or_generator(n):
    y = np.arange(1.0, n + 1)
    a = audio.crop(y, 1, 8, where="random", rng=3)
    b = audio.crop(y, 1, 8, where="random", rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (8,)
    # the excerpt is a contiguous piece of y (or y inside zeros)
    nonzero = a[a != 0]
    start = int(nonzero[0]) - 1
    np.testing.assert_array_equal(nonzero, y[start : start + len(nonzero)])


def test_crop_random_covers_different_offsets():
    offsets = {audio.crop(Y10, 1, 3, where="random", rng=seed)[0] for seed in range(40)}
    assert len(offsets) > 3


def test_crop_works_on_channels():
    y = np.stack([Y10, -Y10])
    out = audio.crop(y, 1, 4, where="center")
    np.testing.assert_array_equal(out, [[4, 5, 6, 7], [-4, -5, -6, -7]])


@settings(max_examples=50, deadline=None)
@given(
    st.integers(1, 300),
    st.floats(0.01, 5.0),
    st.sampled_from(["start", "center", "random", "loudest"]),
)
def test_crop_always_returns_round_seconds_times_sr_samples(n, seconds, where):
    sr = 100
    out = audio.crop(np.ones(n), sr, seconds, where=where, rng=0)
    assert out.shape == (int(round(seconds * sr)),)


@pytest.mark.parametrize("seconds", [0.0, -1.0, 0.001])
def test_crop_to_zero_samples_is_an_audio_error(seconds):
    with pytest.raises(AudioError, match="0 samples"):
        audio.crop(Y10, 100, seconds)


def test_crop_rejects_unknown_where():
    with pytest.raises(ParameterError, match="where='end'"):
        audio.crop(Y10, 1, 3, where="end")


# --------------------------------------------------------------------------- frame
@pytest.mark.parametrize(("frame_length", "hop_length"), [(4, 1), (4, 3), (10, 10), (1, 2)])
@pytest.mark.parametrize("channels", [1, 2])
def test_frame_matches_librosa_and_is_a_read_only_view(frame_length, hop_length, channels):
    y = np.arange(20.0) if channels == 1 else np.arange(40.0).reshape(2, 20)
    frames = audio.frame(y, frame_length=frame_length, hop_length=hop_length)
    expected = librosa.util.frame(y, frame_length=frame_length, hop_length=hop_length)
    np.testing.assert_array_equal(frames, expected)
    assert np.shares_memory(frames, y) and not frames.flags.writeable


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(frame_length=30, hop_length=1), "too short"),
        (dict(frame_length=0, hop_length=1), "frame_length=0"),
        (dict(frame_length=4, hop_length=0), "hop_length=0"),
    ],
)
def test_frame_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        audio.frame(np.arange(20.0), **kwargs)


# --------------------------------------------------------------------------- validate_audio
@pytest.mark.parametrize(
    ("y", "match"),
    [
        (np.array([1, 2, 3]), "floating-point"),
        (np.zeros(0), "empty"),
        (np.array([0.0, np.nan]), "non-finite"),
        (np.array([np.inf, 0.0]), "non-finite"),
        (np.float64(1.0), "scalar"),
    ],
)
def test_validate_audio_rejects_unusable_signals(y, match):
    with pytest.raises(AudioError, match=match):
        audio.validate_audio(y, name="clip")


def test_validate_audio_names_the_signal_and_checks_mono():
    with pytest.raises(AudioError, match="^clip must be mono"):
        audio.validate_audio(np.zeros((2, 4)), name="clip", mono=True)
    y = np.zeros(4, dtype=np.float32)
    assert audio.validate_audio(y) is y  # silence is valid, and no copy is made
