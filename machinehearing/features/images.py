"""Feature images: named 2-D features of a clip, resized and standardised for a CNN.

A :class:`FeatureSpec` names a feature of the registry :data:`FEATURES` and
overrides some of its parameters (``"mfcc:n_mfcc=40,lifter=22"``).  Each
feature is computed by the NumPy reference (:func:`compute`), resized to an
image with bilinear interpolation (:func:`resize`), standardised
(:func:`standardize`), and the images of several features are stacked as the
channels of one CNN input (:func:`stack`, :func:`extract`).  The batched torch
version is :class:`machinehearing.transforms.FeatureExtractor`.

The registry follows the course: ``n_fft=2048``, ``hop_length=512``,
``n_mels=128``, log-power features in dB relative to the clip's maximum with
``top_db=80``, and ``n_mfcc=40`` (rather than librosa's 20: 40 coefficients
keep more of the spectral envelope and still become a 128-row image by
interpolation).  The course input is 3 s of audio as 128 x 128 images
(``PRESETS["course"]``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from .. import audio
from ..errors import ParameterError
from .mel import delta, melspectrogram, mfcc
from .pitch import chroma_stft, cqt
from .spectral import _check_positive_int, amplitude_to_db, power_to_db, spectral_contrast, stft

__all__ = [
    "Feature",
    "FeatureSpec",
    "FEATURES",
    "PRESETS",
    "parse_specs",
    "compute",
    "resize",
    "standardize",
    "to_image",
    "stack",
    "extract",
]

#: an image whose standard deviation is below this fraction of its largest absolute
#: value is constant (up to rounding) and standardises to zeros
_CONSTANT_RTOL = 1e-5

#: the course's input format, and the whole clip at the same image size
PRESETS: dict[str, dict[str, Any]] = {
    "course": {"seconds": 3.0, "size": (128, 128)},
    "full": {"seconds": None, "size": (128, 128)},
}


@dataclass(frozen=True)
class Feature:
    """A registry entry: how to compute one named feature.

    Parameters
    ----------
    compute : callable
        ``compute(y, sr, **params) -> np.ndarray (rows, frames)``.
    defaults : mapping
        Every parameter ``compute`` takes, with its default value.
    description : str
        One line for listings and error messages.
    standardize : {"image", "none"}
        Channel standardisation rule: ``"image"`` gives each image zero mean
        and unit variance, ``"none"`` keeps the feature's own values.

    Examples
    --------
    >>> FEATURES["logmel"].defaults["n_mels"]
    128
    >>> FEATURES["chroma"].standardize
    'image'
    """

    compute: Callable[..., np.ndarray]
    defaults: Mapping[str, Any]
    description: str
    standardize: str = "image"

    def __post_init__(self) -> None:
        if self.standardize not in ("image", "none"):
            raise ParameterError(f"standardize={self.standardize!r} must be 'image' or 'none'")
        object.__setattr__(self, "defaults", MappingProxyType(dict(self.defaults)))


# --------------------------------------------------------------------------- features

_STFT = {"n_fft": 2048, "hop_length": 512}
_MEL = {**_STFT, "n_mels": 128, "fmin": 0.0, "fmax": None, "htk": False}
_MFCC = {"n_mfcc": 40, "lifter": 0, **_MEL}


def _spectrogram_db(y, sr, *, n_fft, hop_length, top_db):
    S = np.abs(stft(y, n_fft=n_fft, hop_length=hop_length)) ** 2
    return power_to_db(S, ref=np.max, top_db=top_db)


def _logmel(y, sr, *, top_db, **mel):
    return power_to_db(melspectrogram(y=y, sr=sr, **mel), ref=np.max, top_db=top_db)


def _mfcc(y, sr, **params):
    return mfcc(y=y, sr=sr, **params)


def _delta_mfcc(y, sr, *, width, **params):
    return delta(mfcc(y=y, sr=sr, **params), width=width, order=1)


def _delta2_mfcc(y, sr, *, width, **params):
    return delta(mfcc(y=y, sr=sr, **params), width=width, order=2)


def _chroma(y, sr, **params):
    return chroma_stft(y=y, sr=sr, **params)


def _contrast(y, sr, **params):
    return spectral_contrast(y=y, sr=sr, **params)


def _cqt_db(y, sr, *, top_db, **params):
    return amplitude_to_db(np.abs(cqt(y, sr=sr, **params)), ref=np.max, top_db=top_db)


#: name -> :class:`Feature`; every feature maps a mono clip to a 2-D (rows, frames) array
FEATURES: dict[str, Feature] = {
    "spectrogram_db": Feature(
        _spectrogram_db,
        {**_STFT, "top_db": 80.0},
        "power spectrogram in dB relative to the clip's maximum (1 + n_fft // 2 rows)",
    ),
    "logmel": Feature(
        _logmel,
        {**_MEL, "top_db": 80.0},
        "log-mel spectrogram: mel power in dB relative to the clip's maximum (n_mels rows)",
    ),
    "mfcc": Feature(_mfcc, _MFCC, "mel-frequency cepstral coefficients (n_mfcc rows)"),
    "delta_mfcc": Feature(
        _delta_mfcc, {**_MFCC, "width": 9}, "first derivative of the MFCC along time"
    ),
    "delta2_mfcc": Feature(
        _delta2_mfcc, {**_MFCC, "width": 9}, "second derivative of the MFCC along time"
    ),
    "chroma": Feature(
        _chroma,
        {**_STFT, "n_chroma": 12, "tuning": 0.0},
        "chromagram: energy per pitch class, each frame scaled to max 1 (n_chroma rows)",
    ),
    "contrast": Feature(
        _contrast,
        {**_STFT, "fmin": 200.0, "n_bands": 6, "quantile": 0.02},
        "spectral contrast: peak minus valley in dB per octave band (n_bands + 1 rows)",
    ),
    "cqt_db": Feature(
        _cqt_db,
        {"hop_length": 512, "fmin": None, "n_bins": 84, "bins_per_octave": 12, "top_db": 80.0},
        "constant-Q magnitude in dB relative to the clip's maximum (n_bins rows)",
    ),
}


# --------------------------------------------------------------------------- specs

_SCALARS = (bool, int, float, str, type(None))


def _format_value(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def _parse_value(text: str) -> Any:
    words = {"None": None, "True": True, "False": False}
    if text in words:
        return words[text]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


@dataclass(frozen=True, init=False)
class FeatureSpec:
    """A feature of the registry with some of its parameters changed.

    Frozen and hashable (``params`` is stored as a sorted tuple of items), so it
    can key caches; ``str(spec)`` is its text form and :meth:`parse` reads it
    back; :meth:`to_dict`/:meth:`from_dict` convert to and from JSON objects.

    Parameters
    ----------
    name : str
        A key of :data:`FEATURES`.
    params : mapping
        Parameters to set (the others keep the feature's defaults): scalars (bool,
        int, float, str or None) named in ``FEATURES[name].defaults``.

    Raises
    ------
    ParameterError
        For an unknown feature (the message lists the valid names), an
        unknown parameter, or a non-scalar value.

    Examples
    --------
    >>> spec = FeatureSpec("mfcc", {"n_mfcc": 20, "lifter": 22})
    >>> str(spec)
    'mfcc:lifter=22,n_mfcc=20'
    >>> FeatureSpec.parse(str(spec)) == spec
    True
    >>> spec.to_dict()
    {'name': 'mfcc', 'params': {'lifter': 22, 'n_mfcc': 20}}
    """

    name: str
    params: tuple[tuple[str, Any], ...]

    def __init__(self, name: str, params: Mapping[str, Any] | None = None):
        if name not in FEATURES:
            raise ParameterError(
                f"unknown feature {name!r}: valid names are {', '.join(sorted(FEATURES))}"
            )
        params = dict(params or {})
        allowed = FEATURES[name].defaults
        for key, value in params.items():
            if key not in allowed:
                raise ParameterError(
                    f"feature {name!r} has no parameter {key!r}: "
                    f"its parameters are {', '.join(sorted(allowed))}"
                )
            if isinstance(value, np.generic):
                params[key] = value = value.item()
            if not isinstance(value, _SCALARS):
                raise ParameterError(
                    f"parameter {key}={value!r} of feature {name!r} must be a bool, int, "
                    "float, str or None"
                )
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "params", tuple(sorted(params.items())))

    def __str__(self) -> str:
        if not self.params:
            return self.name
        return self.name + ":" + ",".join(f"{k}={_format_value(v)}" for k, v in self.params)

    @classmethod
    def parse(cls, text: str) -> FeatureSpec:
        """Read ``"name"`` or ``"name:key=value,key=value"``.

        Values are read as None, True/False, int, float, or else kept as text.

        Examples
        --------
        >>> FeatureSpec.parse("mfcc:n_mfcc=40,lifter=22").params
        (('lifter', 22), ('n_mfcc', 40))
        """
        if not isinstance(text, str):
            raise ParameterError(f"a feature spec must be a string, got {text!r}")
        name, _, rest = text.strip().partition(":")
        params = {}
        for item in filter(None, (part.strip() for part in rest.split(","))):
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise ParameterError(
                    f"cannot read {item!r} in feature spec {text!r}: "
                    "write parameters as 'name:key=value,key=value'"
                )
            params[key.strip()] = _parse_value(value.strip())
        return cls(name.strip(), params)

    def to_dict(self) -> dict[str, Any]:
        """The spec as a JSON-ready ``{"name": ..., "params": {...}}``.

        Examples
        --------
        >>> FeatureSpec("logmel").to_dict()
        {'name': 'logmel', 'params': {}}
        """
        return {"name": self.name, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureSpec:
        """Inverse of :meth:`to_dict`.

        Examples
        --------
        >>> FeatureSpec.from_dict({"name": "chroma", "params": {"n_chroma": 24}})
        FeatureSpec(name='chroma', params=(('n_chroma', 24),))
        """
        if not isinstance(data, Mapping) or "name" not in data:
            raise ParameterError(f"a feature spec dict needs a 'name' key, got {data!r}")
        return cls(data["name"], data.get("params"))

    def resolved(self) -> dict[str, Any]:
        """All parameters: the feature's defaults updated with this spec's.

        Examples
        --------
        >>> FeatureSpec.parse("logmel:n_mels=64").resolved()["n_mels"]
        64
        """
        return {**FEATURES[self.name].defaults, **dict(self.params)}


def parse_specs(specs: str | FeatureSpec | Iterable[str | FeatureSpec]) -> list[FeatureSpec]:
    """Read a list of feature specs.

    Parameters
    ----------
    specs : str, FeatureSpec or iterable of them
        A comma-separated string (``"logmel,mfcc:n_mfcc=20,lifter=22,chroma"``:
        an item with ``=`` and no ``:`` is a parameter of the spec before it),
        or a list of spec strings and :class:`FeatureSpec` objects.

    Returns
    -------
    list of FeatureSpec

    Examples
    --------
    >>> [str(s) for s in parse_specs("logmel,mfcc:n_mfcc=20,lifter=22,chroma")]
    ['logmel', 'mfcc:lifter=22,n_mfcc=20', 'chroma']
    """
    if isinstance(specs, FeatureSpec):
        return [specs]
    if isinstance(specs, str):
        pieces: list[str] = []
        for part in specs.split(","):
            if "=" in part and ":" not in part and pieces:
                pieces[-1] += "," + part
            elif part.strip():
                pieces.append(part)
        specs = pieces
    result = [s if isinstance(s, FeatureSpec) else FeatureSpec.parse(s) for s in specs]
    if not result:
        raise ParameterError(
            f"specs is empty: name at least one feature ({', '.join(sorted(FEATURES))})"
        )
    return result


# --------------------------------------------------------------------------- images


def _check_size(size: Sequence[int]) -> tuple[int, int]:
    """``size`` as a pair of positive ints, or ParameterError."""
    try:
        height, width = size
    except (TypeError, ValueError):
        raise ParameterError(f"size={size!r} must be a pair (height, width)") from None
    return _check_positive_int(height, "size height"), _check_positive_int(width, "size width")


def _check_feature(feature: np.ndarray, name: str = "feature") -> np.ndarray:
    feature = np.asarray(feature)
    if feature.ndim != 2 or feature.size == 0:
        raise ParameterError(f"{name} must be a non-empty 2-D array, got shape {feature.shape}")
    if not np.isfinite(feature).all():
        raise ParameterError(f"{name} contains NaN or infinite values")
    return feature


def compute(spec: str | FeatureSpec, y: np.ndarray, sr: float) -> np.ndarray:
    """Compute one registry feature of a mono clip with the NumPy reference.

    Parameters
    ----------
    spec : str or FeatureSpec
        Which feature, e.g. ``"logmel"`` or ``"mfcc:n_mfcc=20"``.
    y : np.ndarray [shape=(n,)]
        Mono waveform.
    sr : number > 0
        Its sampling rate.

    Returns
    -------
    np.ndarray [shape=(rows, frames)]

    Examples
    --------
    >>> import numpy as np
    >>> y = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050).astype(np.float32)
    >>> compute("logmel", y, 22050).shape
    (128, 44)
    >>> compute("mfcc:n_mfcc=13", y, 22050).shape
    (13, 44)
    """
    spec = spec if isinstance(spec, FeatureSpec) else FeatureSpec.parse(spec)
    y = audio.validate_audio(y, mono=True)
    if not sr > 0:
        raise ParameterError(f"sr={sr!r} must be a positive sampling rate")
    return np.asarray(FEATURES[spec.name].compute(y, sr, **spec.resolved()))


def _interpolation_matrix(n_in: int, n_out: int) -> np.ndarray:
    """``(n_out, n_in)`` linear-interpolation weights with half-pixel centres (edge-clamped)."""
    src = np.maximum((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0.0)
    low = np.minimum(np.floor(src).astype(int), n_in - 1)
    high = np.minimum(low + 1, n_in - 1)
    frac = src - low
    weights = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    np.add.at(weights, (rows, low), 1.0 - frac)
    np.add.at(weights, (rows, high), frac)
    return weights


def resize(feature: np.ndarray, size: Sequence[int] = (128, 128)) -> np.ndarray:
    """Resize a 2-D feature to ``size`` by bilinear interpolation.

    Output pixel ``i`` samples the input at ``(i + 0.5) * n_in / n_out - 0.5``
    (half-pixel centres, clamped at the borders), without anti-aliasing: the
    same as ``torch.nn.functional.interpolate(mode="bilinear",
    align_corners=False, antialias=False)``.

    Parameters
    ----------
    feature : np.ndarray [shape=(rows, frames)]
        The feature.
    size : (int, int)
        Output ``(height, width)``.

    Returns
    -------
    np.ndarray [shape=size]
        Float32 (float64 for float64 input).

    Examples
    --------
    >>> import numpy as np
    >>> resize(np.array([[0.0, 1.0], [2.0, 3.0]]), (4, 4))
    array([[0.  , 0.25, 0.75, 1.  ],
           [0.5 , 0.75, 1.25, 1.5 ],
           [1.5 , 1.75, 2.25, 2.5 ],
           [2.  , 2.25, 2.75, 3.  ]])
    """
    feature = _check_feature(feature)
    height, width = _check_size(size)
    rows = _interpolation_matrix(feature.shape[0], height)
    cols = _interpolation_matrix(feature.shape[1], width)
    dtype = np.result_type(feature.dtype, np.float32)
    return (rows @ feature.astype(np.float64) @ cols.T).astype(dtype)


def _standardize(image: np.ndarray) -> np.ndarray:
    image = image.astype(np.float64)
    std = image.std()
    if std <= _CONSTANT_RTOL * np.abs(image).max():
        return np.zeros(image.shape, dtype=np.float32)
    return ((image - image.mean()) / std).astype(np.float32)


def standardize(image: np.ndarray) -> np.ndarray:
    """Zero mean and unit standard deviation over the whole image.

    A constant image (standard deviation below ``1e-5`` of its largest
    absolute value, i.e. constant up to rounding) becomes zeros.

    Parameters
    ----------
    image : np.ndarray
        Any array.

    Returns
    -------
    np.ndarray, float32, same shape

    Examples
    --------
    >>> import numpy as np
    >>> standardize(np.array([[1.0, 3.0]]))
    array([[-1.,  1.]], dtype=float32)
    >>> standardize(np.full((2, 2), 7.0))
    array([[0., 0.],
           [0., 0.]], dtype=float32)
    """
    image = np.asarray(image)
    if image.size == 0 or not np.isfinite(image).all():
        raise ParameterError("image must be a non-empty array of finite values")
    return _standardize(image)


def to_image(
    feature: np.ndarray, size: Sequence[int] = (128, 128), *, standardize: bool = True
) -> np.ndarray:
    """Resize a feature to an image and (by default) standardise it.

    Parameters
    ----------
    feature : np.ndarray [shape=(rows, frames)]
        The feature (rows are frequency or coefficients, columns are time).
    size : (int, int)
        Image ``(height, width)``; see :func:`resize`.
    standardize : bool
        Apply :func:`standardize`.

    Returns
    -------
    np.ndarray [shape=size], float32

    Examples
    --------
    >>> import numpy as np
    >>> image = to_image(np.random.default_rng(0).random((40, 259)))
    >>> image.shape, image.dtype, round(float(image.std()), 4)
    ((128, 128), dtype('float32'), 1.0)
    """
    image = resize(feature, size)
    return _standardize(image) if standardize else image.astype(np.float32)


def stack(images: Sequence[np.ndarray]) -> np.ndarray:
    """Stack equally sized 2-D images as the channels of one input.

    Parameters
    ----------
    images : sequence of np.ndarray [shape=(H, W)]
        One image per channel (e.g. 1 or 3).

    Returns
    -------
    np.ndarray [shape=(C, H, W)], float32

    Examples
    --------
    >>> import numpy as np
    >>> stack([np.zeros((4, 5)), np.ones((4, 5))]).shape
    (2, 4, 5)
    """
    images = [np.asarray(image) for image in images]
    if not images:
        raise ParameterError("images is empty: stack needs at least one image")
    shapes = {image.shape for image in images}
    if len(shapes) != 1 or images[0].ndim != 2:
        raise ParameterError(
            f"images must be 2-D and of one shape, got shapes {[i.shape for i in images]}: "
            "resize them to one size with to_image"
        )
    return np.stack(images).astype(np.float32, copy=False)


def extract(
    y: np.ndarray,
    sr: float,
    specs: str | FeatureSpec | Iterable[str | FeatureSpec],
    *,
    size: Sequence[int] = (128, 128),
    seconds: float | None = None,
) -> np.ndarray:
    """The CNN input of one clip: one standardised feature image per spec.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono waveform.
    sr : number > 0
        Its sampling rate.
    specs : str, FeatureSpec or list of them
        The channels, e.g. ``"logmel"`` or ``"logmel,delta_mfcc,chroma"``.
    size : (int, int)
        Image ``(height, width)``.
    seconds : float or None
        First crop (or zero-pad at the end) the clip to this duration from its
        start, with :func:`machinehearing.audio.crop`.

    Returns
    -------
    np.ndarray [shape=(C, height, width)], float32

    Examples
    --------
    >>> import numpy as np
    >>> y = np.random.default_rng(0).standard_normal(16000).astype(np.float32)
    >>> x = extract(y, 16000, "logmel,mfcc,chroma", **PRESETS["course"])
    >>> x.shape, x.dtype
    ((3, 128, 128), dtype('float32'))
    """
    specs = parse_specs(specs)
    y = audio.validate_audio(y, mono=True)
    _check_size(size)
    if seconds is not None:
        y = audio.crop(y, sr, seconds, where="start")
    return stack(
        [
            to_image(
                compute(spec, y, sr), size, standardize=FEATURES[spec.name].standardize == "image"
            )
            for spec in specs
        ]
    )
