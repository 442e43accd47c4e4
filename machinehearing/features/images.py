"""Feature images: named 2-D features of a clip, resized and standardised for a CNN.

A :class:`FeatureSpec` names a feature of the registry :data:`FEATURES` and
overrides some of its parameters (``"mfcc:n_mfcc=40,lifter=22"``).  Each
feature is computed by the NumPy reference (:func:`compute`), resized to an
image (:func:`resize`: an axis that shrinks is averaged over the area of each
output pixel, so that every frame counts; an axis that grows is interpolated
linearly), standardised by the feature's rule (:func:`standardize`: the whole
image, or each row for the MFCC family), and the images of several features are
stacked as the channels of one CNN input (:func:`stack`, :func:`extract`).

The batched torch version is :class:`machinehearing.transforms.FeatureExtractor`.
Each registry entry declares both: its NumPy ``compute`` and the torch
:class:`Stage` s (modules of :mod:`machinehearing.transforms`) that compute the
same numbers for a batch.

The registry follows the course: ``n_fft=2048``, ``hop_length=512``,
``n_mels=128``, log-power features in dB relative to the clip's maximum with
``top_db=80``, and ``n_mfcc=40`` (rather than librosa's 20: 40 coefficients
keep more of the spectral envelope and still become a 128-row image by
interpolation).  The course input is 3 s of audio as 128 x 128 images
(``PRESETS["course"]``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from .. import audio
from ..errors import ParameterError
from .mel import delta, melspectrogram, mfcc
from .pitch import chroma_stft, cqt
from .spectral import _check_positive_int, amplitude_to_db, power_to_db, spectral_contrast, stft

__all__ = [
    "Stage",
    "Feature",
    "FeatureSpec",
    "FEATURES",
    "PRESETS",
    "STANDARDIZE_RULES",
    "parse_specs",
    "compute",
    "resize",
    "resize_weights",
    "standardize",
    "to_image",
    "stack",
    "extract",
]

#: an image (or row) whose standard deviation is below this fraction of its largest
#: absolute value is constant (up to rounding) and standardises to zeros
_CONSTANT_RTOL = 1e-5

#: channel standardisation rules, see :func:`standardize`
STANDARDIZE_RULES = ("image", "row", "none")

#: the course's input format, and the whole clip at the same image size
PRESETS: dict[str, dict[str, Any]] = {
    "course": {"seconds": 3.0, "size": (128, 128)},
    "full": {"seconds": None, "size": (128, 128)},
}


@dataclass(frozen=True)
class Stage:
    """One step of a feature's batched torch computation.

    The stage is the module ``machinehearing.transforms.<module>`` built with the
    spec parameters named in ``params`` and the constant ``fixed`` keyword
    arguments (and ``sr=`` when ``sr`` is true).  A feature's stages are applied
    in turn to the waveform batch; features of one extractor whose first stages
    are equal share their output.

    Parameters
    ----------
    module : str
        Class name in :mod:`machinehearing.transforms`.
    params : tuple of str
        Spec parameters passed on under the same names.
    fixed : mapping
        Constant keyword arguments.
    sr : bool
        Pass the sampling rate as ``sr=``.

    Examples
    --------
    >>> stage = Stage("Delta", ("width",), {"order": 1})
    >>> stage.kwargs({"width": 9, "n_mfcc": 40}, sr=16000)
    {'order': 1, 'width': 9}
    >>> stage.key({"width": 9})
    'Delta(order=1,width=9)'
    """

    module: str
    params: tuple[str, ...] = ()
    fixed: Mapping[str, Any] = field(default_factory=dict)
    sr: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", tuple(self.params))
        object.__setattr__(self, "fixed", MappingProxyType(dict(self.fixed)))

    def kwargs(self, params: Mapping[str, Any], *, sr: float) -> dict[str, Any]:
        """Keyword arguments of the module for the resolved spec parameters ``params``."""
        kwargs = {**self.fixed, **{name: params[name] for name in self.params}}
        return {**kwargs, "sr": sr} if self.sr else kwargs

    def key(self, params: Mapping[str, Any]) -> str:
        """What the stage computes, as text: equal keys (after equal stages) share output."""
        kwargs = self.kwargs(params, sr=0)
        kwargs.pop("sr", None)  # one extractor has one sampling rate
        return self.module + "(" + ",".join(f"{k}={v!r}" for k, v in sorted(kwargs.items())) + ")"


@dataclass(frozen=True)
class Feature:
    """A registry entry: how to compute one named feature, in NumPy and in batched torch.

    Parameters
    ----------
    compute : callable
        ``compute(y, sr, **params) -> np.ndarray (rows, frames)``, the NumPy reference.
    defaults : mapping
        Every parameter ``compute`` takes, with its default value.
    description : str
        One line for listings and error messages.
    standardize : {"image", "row", "none"}
        The default channel standardisation rule (see :func:`standardize`); a spec can
        choose another with its ``standardize`` parameter.
    stages : tuple of Stage
        The same computation as modules of :mod:`machinehearing.transforms`; empty
        when there is no batched version (the extractor then uses ``compute``).
    numpy_only : callable or None
        ``numpy_only(params) -> str or None``: why these (resolved) parameters have no
        batched version although ``stages`` exist, or None when they do.

    Examples
    --------
    >>> FEATURES["logmel"].defaults["n_mels"]
    128
    >>> FEATURES["chroma"].standardize, FEATURES["mfcc"].standardize
    ('image', 'row')
    >>> [stage.module for stage in FEATURES["delta_mfcc"].stages]
    ['MelSpectrogram', '_Cepstrum', 'Delta']
    """

    compute: Callable[..., np.ndarray]
    defaults: Mapping[str, Any]
    description: str
    standardize: str = "image"
    stages: tuple[Stage, ...] = ()
    numpy_only: Callable[[Mapping[str, Any]], str | None] | None = None

    def __post_init__(self) -> None:
        _check_rule(self.standardize)
        if "standardize" in self.defaults:
            raise ParameterError(
                "'standardize' is the standardisation rule of every feature, "
                "not a parameter of its compute function: pass Feature(standardize=...)"
            )
        object.__setattr__(self, "defaults", MappingProxyType(dict(self.defaults)))
        object.__setattr__(self, "stages", tuple(self.stages))

    def why_numpy(self, params: Mapping[str, Any]) -> str | None:
        """Why the batched extractor computes this feature with ``compute``, or None.

        Examples
        --------
        >>> FEATURES["chroma"].why_numpy({**FEATURES["chroma"].defaults, "tuning": None})
        'tuning=None estimates the tuning of each clip'
        >>> FEATURES["logmel"].why_numpy(FEATURES["logmel"].defaults) is None
        True
        """
        if not self.stages:
            return "it has no torch stages"
        return self.numpy_only(params) if self.numpy_only is not None else None


def _check_rule(rule: Any) -> str:
    if rule not in STANDARDIZE_RULES:
        raise ParameterError(
            f"standardize={rule!r} must be one of {', '.join(map(repr, STANDARDIZE_RULES))}"
        )
    return rule


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


_STFT_KEYS = tuple(_STFT)
_MEL_KEYS = tuple(_MEL)
_MEL_STAGE = Stage("MelSpectrogram", _MEL_KEYS, sr=True)
_DB_STAGE = Stage("AmplitudeToDB", ("top_db",), {"stype": "power", "ref": "max"})
_CEPSTRUM_STAGE = Stage(
    "_Cepstrum", ("n_mels", "n_mfcc", "lifter"), {"dct_type": 2, "norm": "ortho"}
)


def _delta_stage(order: int) -> Stage:
    return Stage("Delta", ("width",), {"order": order})


def _chroma_numpy_only(params: Mapping[str, Any]) -> str | None:
    return "tuning=None estimates the tuning of each clip" if params["tuning"] is None else None


#: name -> :class:`Feature`; every feature maps a mono clip to a 2-D (rows, frames) array
FEATURES: dict[str, Feature] = {
    "spectrogram_db": Feature(
        _spectrogram_db,
        {**_STFT, "top_db": 80.0},
        "power spectrogram in dB relative to the clip's maximum (1 + n_fft // 2 rows)",
        stages=(Stage("Spectrogram", _STFT_KEYS, {"power": 2.0}), _DB_STAGE),
    ),
    "logmel": Feature(
        _logmel,
        {**_MEL, "top_db": 80.0},
        "log-mel spectrogram: mel power in dB relative to the clip's maximum (n_mels rows)",
        stages=(_MEL_STAGE, _DB_STAGE),
    ),
    "mfcc": Feature(
        _mfcc,
        _MFCC,
        "mel-frequency cepstral coefficients (n_mfcc rows)",
        standardize="row",
        stages=(_MEL_STAGE, _CEPSTRUM_STAGE),
    ),
    "delta_mfcc": Feature(
        _delta_mfcc,
        {**_MFCC, "width": 9},
        "first derivative of the MFCC along time",
        standardize="row",
        stages=(_MEL_STAGE, _CEPSTRUM_STAGE, _delta_stage(1)),
    ),
    "delta2_mfcc": Feature(
        _delta2_mfcc,
        {**_MFCC, "width": 9},
        "second derivative of the MFCC along time",
        standardize="row",
        stages=(_MEL_STAGE, _CEPSTRUM_STAGE, _delta_stage(2)),
    ),
    "chroma": Feature(
        _chroma,
        {**_STFT, "n_chroma": 12, "tuning": 0.0},
        "chromagram: energy per pitch class, each frame scaled to max 1 (n_chroma rows)",
        stages=(Stage("Chroma", (*_STFT_KEYS, "n_chroma", "tuning"), sr=True),),
        numpy_only=_chroma_numpy_only,
    ),
    "contrast": Feature(
        _contrast,
        {**_STFT, "fmin": 200.0, "n_bands": 6, "quantile": 0.02},
        "spectral contrast: peak minus valley in dB per octave band (n_bands + 1 rows)",
        stages=(Stage("SpectralContrast", (*_STFT_KEYS, "fmin", "n_bands", "quantile"), sr=True),),
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
        int, float, str or None) named in ``FEATURES[name].defaults``, and
        ``standardize`` (``"image"``, ``"row"`` or ``"none"``) to override the
        feature's standardisation rule (:attr:`standardize`).

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
    >>> spec.standardize, FeatureSpec.parse("mfcc:standardize=image").standardize
    ('row', 'image')
    """

    name: str
    params: tuple[tuple[str, Any], ...]

    def __init__(self, name: str, params: Mapping[str, Any] | None = None):
        if name not in FEATURES:
            raise ParameterError(
                f"unknown feature {name!r}: valid names are {', '.join(sorted(FEATURES))}"
            )
        params = dict(params or {})
        allowed = {*FEATURES[name].defaults, "standardize"}
        for key, value in params.items():
            if key not in allowed:
                raise ParameterError(
                    f"feature {name!r} has no parameter {key!r}: "
                    f"its parameters are {', '.join(sorted(allowed))}"
                )
            if key == "standardize":
                _check_rule(value)
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
        """The parameters of the computation: the feature's defaults updated with this spec's.

        ``standardize`` is not among them (it is :attr:`standardize`).

        Examples
        --------
        >>> FeatureSpec.parse("logmel:n_mels=64").resolved()["n_mels"]
        64
        """
        params = dict(self.params)
        params.pop("standardize", None)
        return {**FEATURES[self.name].defaults, **params}

    @property
    def standardize(self) -> str:
        """The standardisation rule of this spec's image: its own, or the feature's default.

        Examples
        --------
        >>> FeatureSpec("logmel").standardize, FeatureSpec("delta_mfcc").standardize
        ('image', 'row')
        """
        return dict(self.params).get("standardize", FEATURES[self.name].standardize)


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


def _linear_weights(n_in: int, n_out: int) -> np.ndarray:
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


def _area_weights(n_in: int, n_out: int) -> np.ndarray:
    """``(n_out, n_in)`` area-averaging weights: output ``j`` is the mean over its interval.

    Output ``j`` covers ``[j, j + 1) * n_in / n_out`` of the input axis, on which input
    ``i`` is the constant ``x[i]`` over ``[i, i + 1)``; its weight is the length of the
    overlap divided by the interval's length.
    """
    scale = n_in / n_out
    start = np.arange(n_out)[:, np.newaxis] * scale
    inputs = np.arange(n_in)[np.newaxis, :]
    overlap = np.minimum(inputs + 1, start + scale) - np.maximum(inputs, start)
    return np.maximum(overlap, 0.0) / scale


@functools.lru_cache(maxsize=64)
def resize_weights(n_in: int, n_out: int, antialias: bool = True) -> np.ndarray:
    """The ``(n_out, n_in)`` matrix that resizes one axis (read-only; float64).

    Shrinking with ``antialias`` averages over the area of each output pixel
    (every input contributes, with a weight proportional to its overlap);
    otherwise (growing, or ``antialias=False``) linear interpolation with
    half-pixel centres.  :func:`resize` and
    :class:`machinehearing.transforms.ToImage` both use it.

    Parameters
    ----------
    n_in, n_out : int > 0
        Input and output lengths of the axis.
    antialias : bool
        Area averaging when shrinking.

    Returns
    -------
    np.ndarray [shape=(n_out, n_in)]
        Each row sums to 1.

    Examples
    --------
    >>> resize_weights(4, 2)
    array([[0.5, 0.5, 0. , 0. ],
           [0. , 0. , 0.5, 0.5]])
    >>> resize_weights(3, 2)  # output pixels 1.5 inputs wide
    array([[0.66666667, 0.33333333, 0.        ],
           [0.        , 0.33333333, 0.66666667]])
    """
    n_in, n_out = _check_positive_int(n_in, "n_in"), _check_positive_int(n_out, "n_out")
    shrink = antialias and n_out < n_in
    weights = _area_weights(n_in, n_out) if shrink else _linear_weights(n_in, n_out)
    weights.flags.writeable = False
    return weights


def resize(
    feature: np.ndarray, size: Sequence[int] = (128, 128), *, antialias: bool = True
) -> np.ndarray:
    """Resize a 2-D feature to ``size``, axis by axis.

    An axis that grows is interpolated linearly: output pixel ``i`` samples the
    input at ``(i + 0.5) * n_in / n_out - 0.5`` (half-pixel centres, clamped at
    the borders), as ``torch.nn.functional.interpolate(mode="bilinear",
    align_corners=False)``.  An axis that shrinks is averaged (``antialias``):
    output pixel ``j`` is the mean of the input over ``[j, j + 1) * n_in / n_out``,
    every input frame weighted by its overlap, so each frame counts and a
    ``k``-fold reduction is the mean of ``k`` frames (``mode="area"``).  Sampling
    instead (``antialias=False``) would skip frames: 431 frames sampled at 128
    columns leave 41 % of the frames with no weight at all.

    Parameters
    ----------
    feature : np.ndarray [shape=(rows, frames)]
        The feature.
    size : (int, int)
        Output ``(height, width)``.
    antialias : bool
        Average when shrinking (True) or interpolate linearly (False).

    Returns
    -------
    np.ndarray [shape=size]
        Float32 (float64 for float64 input).

    See Also
    --------
    resize_weights : the matrix applied to each axis.

    Examples
    --------
    >>> import numpy as np
    >>> resize(np.array([[0.0, 1.0], [2.0, 3.0]]), (4, 4))
    array([[0.  , 0.25, 0.75, 1.  ],
           [0.5 , 0.75, 1.25, 1.5 ],
           [1.5 , 1.75, 2.25, 2.5 ],
           [2.  , 2.25, 2.75, 3.  ]])
    >>> resize(np.array([[1.0, 3.0, 10.0, 20.0]]), (1, 2))  # the mean of each pair
    array([[ 2., 15.]])
    """
    feature = _check_feature(feature)
    height, width = _check_size(size)
    rows = resize_weights(feature.shape[0], height, bool(antialias))
    cols = resize_weights(feature.shape[1], width, bool(antialias))
    dtype = np.result_type(feature.dtype, np.float32)
    return (rows @ feature.astype(np.float64) @ cols.T).astype(dtype)


def _standardize(image: np.ndarray, rule: str) -> np.ndarray:
    """Apply a standardisation rule to a finite array (rows: the last axis)."""
    if rule == "none":
        return image.astype(np.float32)
    image = image.astype(np.float64)
    axis = None if rule == "image" else -1
    mean = image.mean(axis=axis, keepdims=True)
    std = image.std(axis=axis, keepdims=True)
    constant = std <= _CONSTANT_RTOL * np.abs(image).max(axis=axis, keepdims=True)
    out = (image - mean) / np.where(constant, 1.0, std)
    return np.where(constant, 0.0, out).astype(np.float32)


def standardize(image: np.ndarray, *, axis: int | None = None) -> np.ndarray:
    """Zero mean and unit standard deviation, over the whole image or along an axis.

    With ``axis=None`` the whole image is standardised (rule ``"image"``); with
    ``axis=-1`` each row is, over time (rule ``"row"``: for an MFCC image each
    coefficient, the cepstral mean and variance normalisation of speech
    recognition).  A constant image or row (standard deviation below ``1e-5`` of
    its largest absolute value, i.e. constant up to rounding) becomes zeros.

    Parameters
    ----------
    image : np.ndarray
        Any array (at least 1-D for ``axis=-1``).
    axis : None or -1
        Standardise the whole array, or each slice along the last axis.

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
    >>> standardize(np.array([[1.0, 3.0], [100.0, 140.0]]), axis=-1)
    array([[-1.,  1.],
           [-1.,  1.]], dtype=float32)
    """
    image = np.asarray(image)
    if image.size == 0 or not np.isfinite(image).all():
        raise ParameterError("image must be a non-empty array of finite values")
    if axis is None:
        return _standardize(image, "image")
    if axis not in (-1, image.ndim - 1):
        raise ParameterError(f"axis={axis!r} must be None (whole image) or -1 (each row)")
    return _standardize(image, "row")


def _rule(standardize: bool | str) -> str:
    """A ``standardize`` argument (bool or rule name) as a rule name."""
    if standardize is True or standardize is False:
        return "image" if standardize else "none"
    return _check_rule(standardize)


def to_image(
    feature: np.ndarray,
    size: Sequence[int] = (128, 128),
    *,
    standardize: bool | str = True,
    antialias: bool = True,
) -> np.ndarray:
    """Resize a feature to an image and (by default) standardise it.

    Parameters
    ----------
    feature : np.ndarray [shape=(rows, frames)]
        The feature (rows are frequency or coefficients, columns are time).
    size : (int, int)
        Image ``(height, width)``; see :func:`resize`.
    standardize : bool or {"image", "row", "none"}
        The standardisation of the resized image (see :func:`standardize`):
        ``True`` or ``"image"`` over the whole image, ``"row"`` each row over
        time, ``False`` or ``"none"`` not at all.  A registry feature's rule is
        its spec's :attr:`FeatureSpec.standardize`.
    antialias : bool
        Average when shrinking, see :func:`resize`.

    Returns
    -------
    np.ndarray [shape=size], float32

    Examples
    --------
    >>> import numpy as np
    >>> image = to_image(np.random.default_rng(0).random((40, 259)))
    >>> image.shape, image.dtype, round(float(image.std()), 4)
    ((128, 128), dtype('float32'), 1.0)
    >>> rows = to_image(np.random.default_rng(0).random((40, 259)), standardize="row")
    >>> bool(np.allclose(rows.std(axis=1), 1.0, atol=1e-5))
    True
    """
    rule = _rule(standardize)
    return _standardize(resize(feature, size, antialias=antialias), rule)


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

    Each channel is ``to_image(compute(spec, y, sr), size, standardize=spec.standardize)``:
    the MFCC family is standardised row by row (each coefficient over time; c0, the
    loudness, would otherwise dominate the image), the other features over the image.

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
        [to_image(compute(spec, y, sr), size, standardize=spec.standardize) for spec in specs]
    )
