"""The batched torch features equal librosa's and the NumPy reference's, on CPU and CUDA."""

from __future__ import annotations

import warnings

import librosa
import numpy as np
import pytest
import scipy.fft
import torch

from machinehearing import features
from machinehearing.errors import AudioError, ParameterError
from machinehearing.features import images
from machinehearing.transforms import (
    MFCC,
    AmplitudeToDB,
    Chroma,
    Delta,
    FeatureExtractor,
    MelSpectrogram,
    NumpyFallbackWarning,
    SpectralContrast,
    Spectrogram,
    ToImage,
)

DEVICES = [pytest.param("cpu"), pytest.param("cuda", marks=pytest.mark.gpu)]

#: tolerances: relative error RTOL where the power exceeds FLOOR * its max, dB error DB_TOL.
#: The project's FLOOR is 1e-6 for the NumPy reference, which shares librosa's FFT; an
#: independent float32 FFT (torch) differs from it by ~1.5e-7 of the largest magnitude, so
#: at a power of 1e-6 * max the relative difference reaches 2e-4 (measured: 1.05e-4), and
#: the torch comparisons use 1e-5 (where it stays below 6e-5).
RTOL, FLOOR, DB_TOL = 1e-4, 1e-5, 1e-3


def _signal(sr: float, seconds: float = 1.0, seed: int = 0) -> np.ndarray:
    """Noise plus a chirp, starting with 0.1 s of silence (exercises the floors)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    y = 0.1 * rng.standard_normal(t.size) + 0.5 * np.sin(2 * np.pi * (200 + 1500 * t) * t)
    y[: int(0.1 * sr)] = 0.0
    return y.astype(np.float32)


def _batch(sr: float, n: int = 2, seconds: float = 1.0) -> np.ndarray:
    """Clips of different loudness: per-item references and floors must not mix."""
    return np.stack([_signal(sr, seconds, seed) * 3.0**-seed for seed in range(n)])


def _run(module: torch.nn.Module, x: np.ndarray, device: str) -> np.ndarray:
    with torch.no_grad():
        return module.to(device)(torch.from_numpy(x).to(device)).cpu().numpy()


def assert_close(actual: np.ndarray, expected: np.ndarray, *, power: float = 2.0) -> None:
    """Relative error <= RTOL where the power is above FLOOR * its max, absolute elsewhere.

    ``power`` says what the values are (2: power, 1: magnitude or complex): the floor is
    FLOOR of the maximum *power*, i.e. FLOOR ** (power / 2) of the maximum value, since
    float32 FFTs have an absolute error of about 1e-7 of the largest magnitude.
    """
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    scale = np.abs(expected).max()
    floor = FLOOR ** (power / 2) * scale
    error = np.abs(actual.astype(np.complex128) - expected)
    big = np.abs(expected) > floor
    assert (error[big] / np.abs(expected[big])).max(initial=0) <= RTOL
    assert error[~big].max(initial=0) <= 0.01 * floor


def assert_db_close(actual: np.ndarray, expected: np.ndarray) -> None:
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=0, atol=DB_TOL)


# --------------------------------------------------------------------------- Spectrogram

STFT_GRID = [
    # n_fft, hop_length, win_length, pad_mode
    (256, None, None, "constant"),
    (512, 100, 400, "constant"),
    (1024, 256, None, "reflect"),
    (4096, 1024, 2048, "constant"),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("power", [None, 1.0, 2.0])
@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize(("n_fft", "hop_length", "win_length", "pad_mode"), STFT_GRID)
def test_spectrogram_matches_librosa_and_reference(
    device, power, center, n_fft, hop_length, win_length, pad_mode
):
    x = _batch(22050)
    kw = dict(n_fft=n_fft, hop_length=hop_length, win_length=win_length, center=center)
    module = Spectrogram(**kw, pad_mode=pad_mode, power=power)
    actual = _run(module, x, device)
    for i, y in enumerate(x):
        expected = librosa.stft(y, **kw, pad_mode=pad_mode)
        reference = features.stft(y, **kw, pad_mode=pad_mode)
        if power is not None:
            expected, reference = np.abs(expected) ** power, np.abs(reference) ** power
        assert_close(actual[i], expected, power=power or 1.0)
        assert_close(actual[i], reference, power=power or 1.0)
    assert actual.dtype == (np.complex64 if power is None else np.float32)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("power", [None, 2.0])
def test_spectrogram_float64_matches_librosa_to_a_millionth_of_the_peak(device, power):
    x = _batch(22050)
    actual = _run(Spectrogram(n_fft=1024, power=power, dtype=torch.float64), x, device)
    assert actual.dtype == (np.complex128 if power is None else np.float64)
    expected = librosa.stft(x, n_fft=1024)
    if power is not None:
        expected = np.abs(expected) ** power
    for i in range(len(x)):
        big = np.abs(expected[i]) > 1e-6 ** ((power or 1) / 2) * np.abs(expected[i]).max()
        relative = np.abs(actual[i] - expected[i])[big] / np.abs(expected[i])[big]
        assert relative.max() <= RTOL


def test_spectrogram_keeps_leading_axes():
    x = _batch(8000, n=6).reshape(2, 3, -1)
    out = Spectrogram(n_fft=256)(torch.from_numpy(x))
    assert out.shape == (2, 3, 129, 1 + x.shape[-1] // 64)
    np.testing.assert_allclose(out[1, 2].numpy(), Spectrogram(n_fft=256)(torch.from_numpy(x[1, 2])))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(n_fft=0), "n_fft"),
        (dict(n_fft=512, win_length=1024), "win_length"),
        (dict(hop_length=-1), "hop_length"),
        (dict(pad_mode="wrap"), "pad_mode"),
        (dict(power=0), "power"),
        (dict(dtype=torch.float16), "dtype"),
    ],
)
def test_spectrogram_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        Spectrogram(**kwargs)


@pytest.mark.parametrize(
    ("y", "error", "match"),
    [
        (torch.tensor([[0.0, float("nan")] * 600]), AudioError, "non-finite"),
        (torch.zeros(2, 1200, dtype=torch.int64), AudioError, "floating-point"),
        (np.zeros((2, 1200), dtype=np.float32), AudioError, "torch.Tensor"),
        (torch.zeros(2, 100), ParameterError, "n_fft=2048 is too large"),
    ],
)
def test_spectrogram_rejects_bad_audio(y, error, match):
    with pytest.raises(error, match=match):
        Spectrogram(center=False)(y)


# --------------------------------------------------------------------------- MelSpectrogram


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("norm", ["slaney", None])
@pytest.mark.parametrize("htk", [False, True])
@pytest.mark.parametrize(
    ("sr", "n_fft", "hop_length", "n_mels", "fmax"),
    [(8000, 256, 64, 40, None), (22050, 2048, 512, 128, None), (44100, 1024, 441, 64, 8000.0)],
)
def test_melspectrogram_matches_librosa_and_reference(
    device, norm, htk, sr, n_fft, hop_length, n_mels, fmax
):
    x = _batch(sr)
    kw = dict(sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels, fmax=fmax, htk=htk)
    actual = _run(MelSpectrogram(**kw, norm=norm), x, device)
    for i, y in enumerate(x):
        assert_close(actual[i], librosa.feature.melspectrogram(y=y, **kw, norm=norm))
        assert_close(actual[i], features.melspectrogram(y=y, **kw, norm=norm))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(("power", "center"), [(1.0, True), (2.0, False), (1.5, True)])
def test_melspectrogram_power_and_center_match_librosa(device, power, center):
    x = _batch(16000)
    kw = dict(sr=16000, n_fft=512, hop_length=160, power=power, center=center)
    actual = _run(MelSpectrogram(**kw, n_mels=64), x, device)
    for i, y in enumerate(x):
        expected = librosa.feature.melspectrogram(y=y, **kw, n_mels=64)
        assert_close(actual[i], expected, power=power)


# --------------------------------------------------------------------------- AmplitudeToDB


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("top_db", [80.0, 40.0, None])
@pytest.mark.parametrize("ref", ["max", 1.0, 0.01])
@pytest.mark.parametrize("stype", ["power", "magnitude"])
def test_amplitude_to_db_matches_librosa_per_item(device, top_db, ref, stype):
    S = np.abs(librosa.stft(_batch(22050, n=3), n_fft=512)) ** (2 if stype == "power" else 1)
    actual = _run(AmplitudeToDB(stype=stype, ref=ref, top_db=top_db), S, device)
    to_db = librosa.power_to_db if stype == "power" else librosa.amplitude_to_db
    for i in range(len(S)):
        expected = to_db(S[i], ref=np.max if ref == "max" else ref, top_db=top_db)
        assert_db_close(actual[i], expected)
        if stype == "power":
            reference = features.power_to_db(
                S[i], ref=np.max if ref == "max" else ref, top_db=top_db
            )
            assert_db_close(actual[i], reference)


def test_amplitude_to_db_amin_floors_silence():
    out = AmplitudeToDB(stype="power", ref="max", top_db=None, amin=1e-6)(torch.zeros(1, 2, 3))
    assert torch.equal(out, torch.zeros(1, 2, 3))
    quiet = AmplitudeToDB(stype="magnitude", top_db=None)(torch.zeros(1, 1, 1))
    assert quiet.item() == pytest.approx(-100.0)  # 20 log10(1e-5)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [(dict(stype="energy"), "stype"), (dict(ref="min"), "ref"), (dict(amin=0), "amin"),
     (dict(top_db=-1), "top_db")],
)  # fmt: skip
def test_amplitude_to_db_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        AmplitudeToDB(**kwargs)


# --------------------------------------------------------------------------- MFCC


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(
    ("sr", "n_mfcc", "lifter", "norm", "htk", "n_mels"),
    [
        (22050, 20, 0, "ortho", False, 128),
        (16000, 40, 22, "ortho", True, 64),
        (44100, 13, 0, None, False, 40),
        (8000, 20, 10, "ortho", False, 32),
    ],
)
def test_mfcc_matches_librosa_and_reference(device, sr, n_mfcc, lifter, norm, htk, n_mels):
    x = _batch(sr)
    kw = dict(sr=sr, n_mfcc=n_mfcc, lifter=lifter, norm=norm, htk=htk, n_mels=n_mels)
    actual = _run(MFCC(**kw, n_fft=1024, hop_length=256), x, device)
    for i, y in enumerate(x):
        expected = librosa.feature.mfcc(y=y, **kw, n_fft=1024, hop_length=256)
        reference = features.mfcc(y=y, **kw, n_fft=1024, hop_length=256)
        # dB values within DB_TOL, propagated through the DCT matrix and the lifter
        basis = scipy.fft.dct(np.eye(n_mels), norm=norm, axis=0)[:n_mfcc]
        k = np.arange(1, n_mfcc + 1)
        lift = 1 + lifter / 2 * np.sin(np.pi * k / lifter) if lifter else np.ones(n_mfcc)
        bound = DB_TOL * np.abs(basis).sum(axis=1, keepdims=True) * np.abs(lift[:, None])
        assert np.all(np.abs(actual[i] - expected) <= bound)
        assert np.all(np.abs(actual[i] - reference) <= bound)


def test_mfcc_rejects_more_coefficients_than_mels():
    with pytest.raises(ParameterError, match="n_mfcc"):
        MFCC(sr=16000, n_mfcc=50, n_mels=40)


# --------------------------------------------------------------------------- Delta


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize(("width", "frames"), [(3, 20), (9, 50), (9, 9), (5, 6)])
def test_delta_matches_librosa_including_edges(device, order, width, frames):
    if order >= width - 1:
        pytest.skip("polynomial order must be below the window")
    data = np.random.default_rng(width).standard_normal((2, 7, frames)).astype(np.float32)
    actual = _run(Delta(width=width, order=order), data, device)
    expected = librosa.feature.delta(data, width=width, order=order)
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(
        actual, features.delta(data, width=width, order=order), rtol=1e-4, atol=1e-5
    )


def test_delta_of_a_quadratic_is_exact():
    t = torch.arange(30.0)
    out = Delta(width=7, order=2)((0.5 * t**2).reshape(1, 30))
    torch.testing.assert_close(out, torch.ones(1, 30), rtol=0, atol=1e-4)


@pytest.mark.parametrize(("width", "match"), [(4, "odd"), (1, "odd"), (0, "positive")])
def test_delta_rejects_bad_width(width, match):
    with pytest.raises(ParameterError, match=match):
        Delta(width=width)


def test_delta_rejects_too_few_frames():
    with pytest.raises(ParameterError, match="width=9"):
        Delta()(torch.zeros(3, 5))


# --------------------------------------------------------------------------- Chroma


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("norm", [np.inf, 1, 2, None])
@pytest.mark.parametrize(
    ("sr", "n_fft", "n_chroma"), [(22050, 2048, 12), (44100, 4096, 24), (8000, 512, 12)]
)
def test_chroma_matches_librosa_and_reference(device, norm, sr, n_fft, n_chroma):
    x = _batch(sr)
    kw = dict(sr=sr, n_fft=n_fft, hop_length=n_fft // 4, n_chroma=n_chroma, norm=norm)
    actual = _run(Chroma(**kw), x, device)
    for i, y in enumerate(x):
        assert_close(actual[i], librosa.feature.chroma_stft(y=y, **kw, tuning=0.0))
        assert_close(actual[i], features.chroma_stft(y=y, **kw, tuning=0.0))


def test_chroma_of_silence_is_zero():
    silence = Chroma(sr=8000, n_fft=256, hop_length=128)(torch.zeros(1, 800))
    assert torch.equal(silence, torch.zeros(1, 12, 7))


# --------------------------------------------------------------------------- SpectralContrast


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(
    ("sr", "n_fft", "fmin", "n_bands", "quantile"),
    [(22050, 2048, 200.0, 6, 0.02), (44100, 1024, 100.0, 4, 0.1), (16000, 512, 250.0, 4, 0.05)],
)
@pytest.mark.parametrize("linear", [False, True])
def test_spectral_contrast_matches_librosa_and_reference(
    device, sr, n_fft, fmin, n_bands, quantile, linear
):
    x = _batch(sr)
    kw = dict(sr=sr, n_fft=n_fft, fmin=fmin, n_bands=n_bands, quantile=quantile, linear=linear)
    actual = _run(SpectralContrast(**kw), x, device)
    for i, y in enumerate(x):
        expected = librosa.feature.spectral_contrast(y=y, **kw)
        reference = features.spectral_contrast(y=y, **kw)
        check = assert_close if linear else assert_db_close
        check(actual[i], expected.astype(np.float32))
        check(actual[i], reference.astype(np.float32))


def test_spectral_contrast_rejects_bands_above_nyquist():
    with pytest.raises(ParameterError, match="Nyquist"):
        SpectralContrast(sr=8000, fmin=200.0, n_bands=6)


# --------------------------------------------------------------------------- ToImage


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("standardize", [True, False, "row"])
@pytest.mark.parametrize("antialias", [True, False])
@pytest.mark.parametrize(
    ("shape", "size"), [((40, 259), (128, 128)), ((128, 30), (64, 96)), ((128, 431), (128, 128))]
)
def test_to_image_matches_numpy_to_image(device, standardize, antialias, shape, size):
    x = np.random.default_rng(1).standard_normal((3, *shape)).astype(np.float32) * 20 - 40
    x *= np.linspace(0.1, 3.0, shape[0], dtype=np.float32)[:, None]  # rows of unequal spread
    module = ToImage(size, standardize=standardize, antialias=antialias)
    actual = _run(module, x, device)
    for i in range(len(x)):
        expected = images.to_image(x[i], size, standardize=standardize, antialias=antialias)
        np.testing.assert_allclose(actual[i], expected, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(("shape", "size"), [((128, 430), (64, 86)), ((40, 256), (40, 128))])
def test_to_image_shrinks_like_torch_area_interpolation(device, shape, size):
    # an independent oracle: for integer factors, F.interpolate(mode="area") is the block mean
    x = np.random.default_rng(2).standard_normal((2, *shape)).astype(np.float32)
    actual = _run(ToImage(size, standardize=False), x, device)
    area = torch.nn.functional.interpolate(torch.from_numpy(x)[:, None], size=size, mode="area")
    np.testing.assert_allclose(actual, area[:, 0].numpy(), rtol=1e-5, atol=1e-5)


def test_to_image_rows_have_unit_variance_and_constant_rows_become_zero():
    x = torch.randn(2, 40, 431) * torch.linspace(0.1, 100.0, 40)[:, None]
    x[:, :3] = -100.0  # constant rows
    images = ToImage((128, 128), standardize="row")(x)
    # image row r samples coefficient (r + 0.5) * 40 / 128 - 0.5: rows 0-7 lie at or below 2
    constant = images[:, :8]
    assert torch.equal(constant, torch.zeros_like(constant))
    rest = images[:, 8:]
    assert torch.allclose(rest.mean(-1), torch.zeros(2, 120), atol=1e-4)  # float32 rounding
    assert torch.allclose(rest.std(-1, unbiased=False), torch.ones(2, 120), atol=1e-4)


def test_to_image_makes_constant_images_zero():
    x = torch.stack([torch.full((10, 20), -80.0), torch.zeros(10, 20)])
    assert torch.equal(ToImage((16, 16))(x), torch.zeros(2, 16, 16))


# --------------------------------------------------------------------------- FeatureExtractor


@pytest.mark.filterwarnings("ignore:n_fft=.* is too large:UserWarning")  # librosa.cqt, 1 s
@pytest.mark.filterwarnings("ignore::machinehearing.transforms.NumpyFallbackWarning")  # cqt_db
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(
    ("specs", "size", "seconds", "samples", "atol"),
    [
        # crops 1.19 s to 1 s
        ("logmel,mfcc,delta_mfcc,delta2_mfcc,chroma,spectrogram_db", (128, 128), 1.0, 19000, 1e-4),
        ("contrast,cqt_db", (128, 128), 1.0, 16000, 1e-4),
        ("logmel,mfcc:n_mfcc=20,lifter=22,chroma", (64, 96), 1.5, 16000, 1e-4),  # pads
        ("logmel:n_mels=64,hop_length=256,delta2_mfcc:width=5", (32, 48), None, 12000, 1e-4),
    ],
)
def test_feature_extractor_equals_stacked_extract(device, specs, size, seconds, samples, atol):
    sr = 16000
    x = np.stack([np.resize(_signal(sr, 1.2, seed), samples) * (seed + 1) for seed in range(3)])
    extractor = FeatureExtractor(specs, sr, size=size, seconds=seconds)
    actual = _run(extractor, x, device)
    expected = np.stack([images.extract(y, sr, specs, size=size, seconds=seconds) for y in x])
    assert actual.shape == (3, *extractor.out_shape) == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=0, atol=atol)


@pytest.mark.parametrize(
    ("specs", "n_stages"),
    [
        ("logmel,mfcc,delta_mfcc,delta2_mfcc", 5),  # mel, dB, MFCC, 2 deltas
        ("mfcc,delta_mfcc:width=5,delta_mfcc", 4),
        ("logmel:n_mels=64,logmel,logmel:top_db=60", 5),
        ("spectrogram_db,chroma,cqt_db", 3),
    ],
)
@pytest.mark.filterwarnings("ignore::machinehearing.transforms.NumpyFallbackWarning")  # cqt_db
def test_feature_extractor_computes_shared_stages_once(specs, n_stages):
    extractor = FeatureExtractor(specs, 16000)
    assert len(extractor.stages) == n_stages


def test_feature_extractor_output_is_on_the_input_device_and_float32():
    extractor = FeatureExtractor("logmel", sr=8000, size=(16, 16))
    out = extractor(torch.zeros(2, 8000, dtype=torch.float64))
    assert out.dtype == torch.float32 and out.device == torch.device("cpu")
    assert torch.equal(out, torch.zeros(2, 1, 16, 16))  # silence: constant images -> zeros


def test_every_registry_feature_with_stages_is_batched_without_warning():
    batched = [name for name in images.FEATURES if images.FEATURES[name].stages]
    assert set(images.FEATURES) - set(batched) == {"cqt_db"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        extractor = FeatureExtractor(batched, 16000)
    assert all(chain is not None for chain in extractor.chains)


@pytest.mark.parametrize(
    ("spec", "reason"),
    [("cqt_db", "no torch stages"), ("chroma:tuning=None", "tuning=None estimates the tuning")],
)
def test_feature_extractor_warns_once_naming_a_feature_it_computes_with_numpy(spec, reason):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        extractor = FeatureExtractor(f"logmel,{spec}", 16000, size=(16, 16))
        extractor(torch.from_numpy(_batch(16000, seconds=0.5)))
    fallbacks = [w for w in caught if issubclass(w.category, NumpyFallbackWarning)]
    assert len(fallbacks) == 1
    assert f"'{spec}'" in str(fallbacks[0].message) and reason in str(fallbacks[0].message)
    assert extractor.chains[0] is not None and extractor.chains[1] is None


@pytest.mark.filterwarnings("ignore:Trying to estimate tuning from empty frequency set")
@pytest.mark.filterwarnings("ignore::machinehearing.transforms.NumpyFallbackWarning")
def test_feature_extractor_numpy_fallback_equals_extract():
    x = _batch(16000, seconds=0.5)
    specs = "mfcc,chroma:tuning=None"
    actual = _run(FeatureExtractor(specs, 16000, size=(24, 32)), x, "cpu")
    expected = np.stack([images.extract(y, 16000, specs, size=(24, 32)) for y in x])
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-4)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(n_fft=0), "n_fft=0"),
        (dict(n_fft=256, win_length=512), "win_length=512 must be <= n_fft=256"),
        (dict(n_fft=2, hop_length=None), "too short for the default hop"),
        (dict(n_fft=256, hop_length=-1), "hop_length=-1"),
        (dict(n_fft=256, pad_mode="wrap"), "pad_mode='wrap' is not supported"),
    ],
)
def test_stft_parameters_are_validated_alike_in_numpy_and_torch(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        features.stft(np.zeros(1000, np.float32), **kwargs)
    with pytest.raises(ParameterError, match=match):
        Spectrogram(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(sr=8000, fmin=200.0, n_bands=6), "Nyquist"),
        (dict(sr=16000, n_fft=64, fmin=50.0, n_bands=4), "band 1 .* holds no frequency bin"),
        (dict(sr=16000, quantile=1.0), "quantile=1.0"),
        (dict(sr=16000, fmin=0.0), "fmin=0.0"),
    ],
)
def test_spectral_contrast_bands_are_validated_alike_in_numpy_and_torch(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        features.spectral_contrast(y=np.zeros(4000, np.float32), **kwargs)
    with pytest.raises(ParameterError, match=match):
        SpectralContrast(**kwargs)


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: FeatureExtractor("loudness", 16000), ParameterError, "valid names are"),
        (lambda: FeatureExtractor("logmel", 16000, size=(0, 4)), ParameterError, "size"),
        (lambda: FeatureExtractor("logmel", 0), ParameterError, "sr"),
        (lambda: FeatureExtractor("logmel", 16000)(torch.zeros(16000)), AudioError, "batch"),
    ],
)
def test_feature_extractor_rejects_bad_input(build, error, match):
    with pytest.raises(error, match=match):
        build()
