"""Feature specs, the registry and feature images (machinehearing.features.images)."""

from __future__ import annotations

import json

import librosa
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from machinehearing.errors import AudioError, ParameterError
from machinehearing.features import (
    FEATURES,
    PRESETS,
    FeatureSpec,
    compute,
    extract,
    parse_specs,
    resize,
    resize_weights,
    stack,
    standardize,
    to_image,
)
from machinehearing.features.images import Feature
from machinehearing.transforms import FeatureExtractor, NumpyFallbackWarning

SR = 16000


@pytest.fixture(scope="module")
def clip() -> np.ndarray:
    """1.2 s of noise plus a tone, 16 kHz."""
    rng = np.random.default_rng(0)
    t = np.arange(int(1.2 * SR)) / SR
    return (0.1 * rng.standard_normal(t.size) + np.sin(2 * np.pi * 330 * t)).astype(np.float32)


# --------------------------------------------------------------------------- FeatureSpec


@pytest.mark.parametrize(
    ("text", "name", "params"),
    [
        ("logmel", "logmel", {}),
        (" mfcc : n_mfcc=40 , lifter=22 ", "mfcc", {"n_mfcc": 40, "lifter": 22}),
        (
            "logmel:fmax=8000.0,htk=True,fmin=50",
            "logmel",
            {"fmax": 8000.0, "htk": True, "fmin": 50},
        ),
        ("logmel:fmax=None", "logmel", {"fmax": None}),
        ("contrast:quantile=0.05", "contrast", {"quantile": 0.05}),
    ],
)
def test_feature_spec_parses_names_and_typed_params(text, name, params):
    spec = FeatureSpec.parse(text)
    assert spec == FeatureSpec(name, params)
    assert spec.name == name and dict(spec.params) == params
    assert all(type(v) is type(params[k]) for k, v in spec.params)


@pytest.mark.parametrize(
    "spec",
    [
        FeatureSpec("logmel"),
        FeatureSpec("mfcc", {"n_mfcc": 13, "lifter": 22}),
        FeatureSpec("logmel", {"fmax": 7999.5, "htk": True, "fmin": None}),
        FeatureSpec("chroma", {"tuning": -0.25}),
    ],
)
def test_feature_spec_round_trips_through_text_and_json(spec):
    assert FeatureSpec.parse(str(spec)) == spec
    assert FeatureSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec


def test_feature_spec_is_frozen_hashable_and_order_independent():
    a = FeatureSpec("mfcc", {"n_mfcc": 20, "lifter": 22})
    b = FeatureSpec("mfcc", {"lifter": 22, "n_mfcc": 20})
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a.params == (("lifter", 22), ("n_mfcc", 20))
    assert a != FeatureSpec("mfcc")
    with pytest.raises(AttributeError):
        a.name = "logmel"


def test_feature_spec_normalises_numpy_scalars():
    spec = FeatureSpec("mfcc", {"n_mfcc": np.int64(13)})
    assert spec == FeatureSpec("mfcc", {"n_mfcc": 13})
    assert json.dumps(spec.to_dict())


def test_unknown_feature_lists_valid_names():
    with pytest.raises(ParameterError, match="unknown feature 'loudness'") as info:
        FeatureSpec.parse("loudness")
    for name in FEATURES:
        assert name in str(info.value)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: FeatureSpec("mfcc", {"n_mels_": 3}), "no parameter 'n_mels_'.*n_mfcc"),
        (lambda: FeatureSpec("mfcc", {"n_mfcc": [1, 2]}), "must be a bool, int"),
        (lambda: FeatureSpec.parse("mfcc:n_mfcc"), "key=value"),
        (lambda: FeatureSpec.parse(3), "must be a string"),
        (lambda: FeatureSpec.from_dict({"params": {}}), "'name'"),
        (lambda: parse_specs([]), "specs is empty"),
        (lambda: parse_specs(""), "specs is empty"),
    ],
)
def test_bad_specs_raise_parameter_error(make, match):
    with pytest.raises(ParameterError, match=match):
        make()


def test_parse_specs_splits_specs_and_keeps_params_together():
    specs = parse_specs("logmel, mfcc:n_mfcc=20,lifter=22 ,chroma,delta_mfcc:width=5")
    assert [str(s) for s in specs] == [
        "logmel",
        "mfcc:lifter=22,n_mfcc=20",
        "chroma",
        "delta_mfcc:width=5",
    ]
    mixed = parse_specs(["logmel", FeatureSpec("chroma")])
    assert mixed == [FeatureSpec("logmel"), FeatureSpec("chroma")]
    assert parse_specs(FeatureSpec("logmel")) == [FeatureSpec("logmel")]


# --------------------------------------------------------------------------- registry


def test_registry_has_the_course_features_and_defaults():
    required = {"spectrogram_db", "logmel", "mfcc", "delta_mfcc", "delta2_mfcc", "chroma"}
    assert required | {"contrast", "cqt_db"} <= set(FEATURES)
    assert FEATURES["logmel"].defaults["n_fft"] == 2048
    assert FEATURES["logmel"].defaults["hop_length"] == 512
    assert FEATURES["logmel"].defaults["n_mels"] == 128
    assert FEATURES["logmel"].defaults["top_db"] == 80.0
    assert FEATURES["mfcc"].defaults["n_mfcc"] == 40
    with pytest.raises(TypeError):
        FEATURES["logmel"].defaults["n_mels"] = 64
    assert PRESETS["course"] == {"seconds": 3.0, "size": (128, 128)}
    assert PRESETS["full"]["seconds"] is None


def test_feature_rejects_an_unknown_standardisation_rule():
    with pytest.raises(ParameterError, match="standardize"):
        Feature(lambda y, sr: y[None], {}, "identity", standardize="column")
    with pytest.raises(ParameterError, match="standardize"):
        Feature(lambda y, sr, *, standardize: y[None], {"standardize": 1}, "identity")


def test_a_registered_feature_is_usable_everywhere_with_its_standardisation_rule(monkeypatch):
    def frame_energy(y, sr, *, hop_length):
        return np.square(y[: y.size // hop_length * hop_length]).reshape(1, -1, hop_length)[0].T

    monkeypatch.setitem(
        FEATURES,
        "energy",
        Feature(frame_energy, {"hop_length": 400}, "raw sample energy", standardize="none"),
    )
    y = np.linspace(-1, 1, SR, dtype=np.float32)
    spec = FeatureSpec.parse("energy:hop_length=800")
    assert compute(spec, y, SR).shape == (800, 20)
    image = extract(y, SR, [spec], size=(8, 10))[0]
    np.testing.assert_allclose(image, resize(frame_energy(y, SR, hop_length=800), (8, 10)))
    # the batched extractor has no torch stages for it, says so, and uses this definition
    with pytest.warns(NumpyFallbackWarning, match="'energy:hop_length=800'"):
        extractor = FeatureExtractor([spec, "logmel"], SR, size=(8, 10))
    batch = extractor(torch.from_numpy(y[None]))
    np.testing.assert_allclose(batch[0, 0].numpy(), image, rtol=1e-6)


def _librosa_feature(name: str, y: np.ndarray, sr: int) -> np.ndarray:
    """What each registry feature is, written with librosa (the oracle)."""
    mel = dict(sr=sr, n_fft=2048, hop_length=512, n_mels=128)
    mfcc = librosa.feature.mfcc(y=y, n_mfcc=40, **mel)
    if name == "spectrogram_db":
        S = np.abs(librosa.stft(y, n_fft=2048, hop_length=512)) ** 2
        return librosa.power_to_db(S, ref=np.max, top_db=80.0)
    if name == "logmel":
        return librosa.power_to_db(librosa.feature.melspectrogram(y=y, **mel), ref=np.max)
    if name == "mfcc":
        return mfcc
    if name in ("delta_mfcc", "delta2_mfcc"):
        return librosa.feature.delta(mfcc, width=9, order=1 if name == "delta_mfcc" else 2)
    if name == "chroma":
        return librosa.feature.chroma_stft(y=y, sr=sr, n_fft=2048, hop_length=512, tuning=0.0)
    if name == "contrast":
        return librosa.feature.spectral_contrast(y=y, sr=sr, n_fft=2048, hop_length=512)
    assert name == "cqt_db"
    C = np.abs(librosa.cqt(y, sr=sr, hop_length=512, n_bins=84, bins_per_octave=12))
    return librosa.amplitude_to_db(C, ref=np.max, top_db=80.0)


@pytest.mark.filterwarnings("ignore:n_fft=.* is too large:UserWarning")  # librosa.cqt, 1 s
@pytest.mark.parametrize("name", sorted(FEATURES))
def test_registry_features_match_librosa(name, clip):
    actual = compute(name, clip, SR)
    expected = _librosa_feature(name, clip, SR)
    assert actual.shape == expected.shape
    # dB features within 1e-3 dB; MFCC (sums of 128 dB values) within 1e-3 of their range
    atol = 1e-3 * (np.abs(expected).max() if "mfcc" in name else 1.0)
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=atol)


def test_compute_applies_spec_params(clip):
    assert compute("mfcc:n_mfcc=13", clip, SR).shape == (13, 1 + clip.size // 512)
    assert compute(FeatureSpec("logmel", {"n_mels": 64, "hop_length": 256}), clip, SR).shape == (
        64,
        1 + clip.size // 256,
    )


@pytest.mark.parametrize(
    ("y", "error"),
    [(np.zeros((2, 100), np.float32), AudioError), (np.array([0.0, np.inf]), AudioError)],
)
def test_compute_rejects_bad_audio(y, error):
    with pytest.raises(error):
        compute("logmel", y, SR)


# --------------------------------------------------------------------------- resize


def test_resize_matches_hand_computed_upsampling():
    expected = np.array(
        [
            [0.0, 0.25, 0.75, 1.0],
            [0.5, 0.75, 1.25, 1.5],
            [1.5, 1.75, 2.25, 2.5],
            [2.0, 2.25, 2.75, 3.0],
        ]
    )
    np.testing.assert_allclose(resize(np.array([[0.0, 1.0], [2.0, 3.0]]), (4, 4)), expected)


def test_resize_matches_hand_computed_downsampling():
    # area averaging: each output pixel is the mean of the two input pixels it covers
    out = resize(np.array([[1.0, 3.0, 10.0, 20.0, 5.0, 7.0]]), (1, 3))
    np.testing.assert_allclose(out, [[2.0, 15.0, 6.0]])
    # 3 -> 2: output pixels cover [0, 1.5) and [1.5, 3), weights 2/3 and 1/3
    out = resize(np.array([[3.0, 6.0, 9.0]]), (1, 2))
    np.testing.assert_allclose(out, [[4.0, 8.0]])


#: (shape, size): the course's images (431 frames of a 5 s clip at 44.1 kHz to 128
#: columns, 40 MFCC and 12 chroma rows up to 128), integer and odd ratios
RESIZE_CASES = [
    ((40, 259), (128, 128)), ((128, 431), (128, 128)), ((1025, 87), (128, 128)),
    ((12, 7), (64, 200)), ((7, 259), (128, 64)), ((3, 3), (3, 3)), ((1, 5), (4, 2)),
]  # fmt: skip


@pytest.mark.parametrize(("shape", "size"), RESIZE_CASES)
def test_resize_without_antialias_equals_torch_bilinear_interpolate(shape, size):
    x = np.random.default_rng(sum(shape)).standard_normal(shape).astype(np.float32)
    expected = F.interpolate(
        torch.from_numpy(x)[None, None], size=size, mode="bilinear", align_corners=False
    )[0, 0].numpy()
    actual = resize(x, size, antialias=False)
    assert actual.dtype == np.float32 and actual.shape == size
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)
    if size[0] >= shape[0] and size[1] >= shape[1]:  # growing: anti-aliasing changes nothing
        np.testing.assert_array_equal(resize(x, size), actual)


def _area_oracle(x: np.ndarray, n_out: int) -> np.ndarray:
    """Area averages along the last axis from the running integral of the piecewise-constant
    input: the mean over [a, b) is (I(b) - I(a)) / (b - a), I linear between integers."""
    n_in = x.shape[-1]
    integral = np.concatenate([np.zeros((*x.shape[:-1], 1)), np.cumsum(x, axis=-1)], axis=-1)
    edges = np.arange(n_out + 1) * n_in / n_out
    at_edges = np.stack([np.interp(edges, np.arange(n_in + 1), row) for row in integral])
    return np.diff(at_edges, axis=-1) / (n_in / n_out)


@pytest.mark.parametrize(("n_in", "n_out"), [(431, 128), (259, 128), (1025, 128), (5, 3), (9, 1)])
def test_resize_shrinks_by_area_averaging(n_in, n_out):
    x = np.random.default_rng(n_in).standard_normal((4, n_in))
    np.testing.assert_allclose(resize(x, (4, n_out)), _area_oracle(x, n_out), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        resize(x.T, (n_out, 4)), _area_oracle(x, n_out).T, rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize(("shape", "size"), [((128, 430), (64, 86)), ((40, 256), (20, 128))])
def test_resize_by_an_integer_factor_equals_torch_area_and_pil_box(shape, size):
    from PIL import Image

    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    area = F.interpolate(torch.from_numpy(x)[None, None], size=size, mode="area")[0, 0].numpy()
    box = np.asarray(Image.fromarray(x).resize(size[::-1], Image.Resampling.BOX))
    actual = resize(x, size)
    np.testing.assert_allclose(actual, area, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(actual, box, rtol=1e-5, atol=1e-5)
    # the mean of each k x l block, so the mean of the image is kept
    assert actual.mean() == pytest.approx(x.mean(), abs=1e-6)


@pytest.mark.parametrize(("n_in", "n_out"), [(431, 128), (259, 128), (87, 64), (1025, 128)])
def test_shrinking_weighs_every_frame_and_keeps_constants_and_means(n_in, n_out):
    weights = resize_weights(n_in, n_out)
    # every frame counts, and equally: n_out / n_in (so the mean is kept at any ratio)
    np.testing.assert_allclose(weights.sum(axis=0), n_out / n_in, rtol=1e-12)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-12)  # constants stay
    x = np.random.default_rng(n_in).standard_normal((3, n_in))
    assert resize(x, (3, n_out)).mean() == pytest.approx(x.mean(), abs=1e-6)
    np.testing.assert_allclose(resize(np.full((3, n_in), -42.0), (3, n_out)), -42.0)


def test_sampling_instead_of_averaging_skips_frames():
    # issue 12: bilinear sampling of 431 frames at 128 columns gives 41 % of them no weight
    skipped = (resize_weights(431, 128, antialias=False).sum(axis=0) == 0).mean()
    assert skipped == pytest.approx(0.41, abs=0.005)
    assert (resize_weights(431, 128).sum(axis=0) > 0).all()


def test_resize_weights_are_read_only():
    with pytest.raises(ValueError, match="read-only"):
        resize_weights(10, 4)[0, 0] = 1.0


@pytest.mark.parametrize(
    ("feature", "size", "match"),
    [
        (np.zeros(5), (4, 4), "2-D"),
        (np.zeros((0, 3)), (4, 4), "2-D"),
        (np.array([[0.0, np.nan]]), (4, 4), "NaN"),
        (np.zeros((3, 3)), (4, 0), "size"),
        (np.zeros((3, 3)), (4,), "size"),
        (np.zeros((3, 3)), (4.0, 4), "size"),
    ],
)
def test_resize_rejects_bad_input(feature, size, match):
    with pytest.raises(ParameterError, match=match):
        resize(feature, size)
    with pytest.raises(ParameterError, match=match):
        to_image(feature, size)


# --------------------------------------------------------------------------- standardize / image


def test_standardize_gives_zero_mean_unit_std():
    x = np.random.default_rng(0).normal(-40.0, 12.0, (50, 60))
    z = standardize(x)
    assert z.dtype == np.float32
    assert abs(z.mean()) < 1e-6 and abs(z.std() - 1) < 1e-6
    np.testing.assert_allclose(z, (x - x.mean()) / x.std(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("value", [0.0, -80.0, 1e6])
def test_standardize_maps_constant_images_to_zeros(value):
    assert not standardize(np.full((5, 7), value)).any()
    image = to_image(np.full((3, 40), np.float32(value)), (16, 16))  # rounding in the resize
    assert image.dtype == np.float32 and not image.any()


def test_standardize_rows_gives_each_row_zero_mean_unit_std():
    x = np.random.default_rng(0).normal(-40.0, 12.0, (50, 60)) * np.arange(1, 51)[:, None]
    x[7] = 3.5  # a constant row becomes zeros
    z = standardize(x, axis=-1)
    centred = x - x.mean(axis=1, keepdims=True)
    expected = centred / np.where(np.arange(50)[:, None] == 7, 1.0, x.std(axis=1, keepdims=True))
    np.testing.assert_allclose(z, expected, rtol=1e-5, atol=1e-5)
    assert not z[7].any()
    with pytest.raises(ParameterError, match="axis=0"):
        standardize(x, axis=0)


@pytest.mark.parametrize(
    ("standardize_", "rule"), [(True, "image"), (False, "none"), ("row", "row"), ("none", "none")]
)
def test_to_image_takes_a_rule_or_a_bool(standardize_, rule):
    x = np.random.default_rng(2).random((40, 431)) * np.arange(1, 41)[:, None]
    image = to_image(x, (128, 128), standardize=standardize_)
    resized = resize(x, (128, 128))
    expected = {
        "image": standardize(resized),
        "row": standardize(resized, axis=-1),
        "none": resized.astype(np.float32),
    }[rule]
    np.testing.assert_array_equal(image, expected)
    with pytest.raises(ParameterError, match="standardize='rows'"):
        to_image(x, standardize="rows")


def test_to_image_resizes_then_standardizes():
    x = np.random.default_rng(1).random((40, 259))
    image = to_image(x, (128, 96))
    assert image.shape == (128, 96) and image.dtype == np.float32
    np.testing.assert_allclose(image, standardize(resize(x, (128, 96))), atol=1e-6)
    np.testing.assert_allclose(to_image(x, (128, 96), standardize=False), resize(x, (128, 96)))


def test_stack_makes_float32_channels_and_checks_shapes():
    out = stack([np.zeros((4, 5)), np.ones((4, 5), np.float32), np.full((4, 5), 2.0)])
    assert out.shape == (3, 4, 5) and out.dtype == np.float32
    assert out[2, 0, 0] == 2.0
    with pytest.raises(ParameterError, match="one shape"):
        stack([np.zeros((4, 5)), np.zeros((5, 4))])
    with pytest.raises(ParameterError, match="empty"):
        stack([])


# --------------------------------------------------------------------------- extract


@pytest.mark.parametrize(
    ("specs", "size", "seconds"),
    [("logmel", (128, 128), None), ("logmel,mfcc:n_mfcc=20,chroma", (64, 32), 1.0)],
)
def test_extract_stacks_standardized_images_of_each_spec(clip, specs, size, seconds):
    out = extract(clip, SR, specs, size=size, seconds=seconds)
    y = clip if seconds is None else clip[: int(seconds * SR)]
    expected = np.stack(
        [to_image(compute(s, y, SR), size, standardize=s.standardize) for s in parse_specs(specs)]
    )
    assert out.shape == (len(parse_specs(specs)), *size) and out.dtype == np.float32
    np.testing.assert_array_equal(out, expected)


def test_extract_pads_short_clips_with_zeros_at_the_end(clip):
    short = clip[:8000]
    padded = np.concatenate([short, np.zeros(SR * 2 - short.size, np.float32)])
    np.testing.assert_array_equal(
        extract(short, SR, "logmel", seconds=2.0), extract(padded, SR, "logmel")
    )


def test_extract_course_preset_gives_one_128x128_channel_per_spec(clip):
    out = extract(clip, SR, "logmel,delta_mfcc,delta2_mfcc", **PRESETS["course"])
    assert out.shape == (3, 128, 128)
    np.testing.assert_allclose(out.mean(axis=(1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=(1, 2)), 1, atol=1e-5)


def test_extract_of_silence_is_finite():
    out = extract(np.zeros(SR, np.float32), SR, "logmel,chroma,spectrogram_db,mfcc")
    assert np.isfinite(out).all()
    # constant features become zero images; the MFCC of silence (c0 = -100 dB * sqrt(n_mels),
    # the others 0) is constant along every row, and its rows are standardised
    assert not out.any()
    whole = extract(np.zeros(SR, np.float32), SR, "mfcc:standardize=image")[0]
    assert whole.std() == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("name", ["mfcc", "delta_mfcc", "delta2_mfcc"])
def test_extract_standardises_mfcc_images_per_coefficient(clip, name):
    # c0 is the loudness: over the whole image it would dominate the rows c >= 3
    assert FeatureSpec(name).standardize == "row"
    image = extract(clip, SR, name)[0]
    np.testing.assert_allclose(image.mean(axis=1), 0.0, atol=1e-5)
    np.testing.assert_allclose(image.std(axis=1), 1.0, atol=1e-4)
    feature = compute(name, clip, SR)
    np.testing.assert_array_equal(image, to_image(feature, standardize="row"))
    whole = extract(clip, SR, f"{name}:standardize=image")[0]
    np.testing.assert_array_equal(whole, to_image(feature, standardize="image"))


def test_mfcc_rows_are_squeezed_by_whole_image_standardisation():
    # why the MFCC family's rule is "row": noise whose loudness changes every 0.1 s; over the
    # whole image c0 (the loudness) takes the variance and the rows of c >= 3 keep a
    # fraction of it (issue 12: 0.2-0.4 standard units)
    rng = np.random.default_rng(1)
    y = (rng.standard_normal(2 * SR) * np.repeat(rng.random(20), SR // 10)).astype(np.float32)
    whole = extract(y, SR, "mfcc:standardize=image")[0]
    rows_c3_up = whole[int(np.ceil(3 * 128 / 40)) :]
    assert np.median(rows_c3_up.std(axis=1)) < 0.5
    rows = extract(y, SR, "mfcc")[0]
    np.testing.assert_allclose(rows.std(axis=1), 1.0, atol=1e-4)


def test_feature_spec_standardize_is_a_validated_spec_parameter():
    spec = FeatureSpec.parse("logmel:standardize=row")
    assert spec.standardize == "row" and "standardize" not in spec.resolved()
    assert FeatureSpec.parse(str(spec)) == spec
    assert FeatureSpec.from_dict(spec.to_dict()) == spec
    with pytest.raises(ParameterError, match="standardize='column'"):
        FeatureSpec("logmel", {"standardize": "column"})
