"""machinehearing: audio features, ESC-50 data, ResNet-18 training and evaluation for teaching.

Submodules are imported on first access, so ``import machinehearing`` is cheap.

- :mod:`machinehearing.audio` -- loading and pre-processing waveforms
- :mod:`machinehearing.features` -- NumPy reference features (librosa-compatible)
- :mod:`machinehearing.transforms` -- the same features as batched torch modules
- :mod:`machinehearing.datasets` -- ESC-50: download, metadata, splits, synthetic set, cache
- :mod:`machinehearing.models` -- ResNet-18
- :mod:`machinehearing.train` -- training configuration, loop, cross-validation
- :mod:`machinehearing.metrics`, :mod:`machinehearing.stats`, :mod:`machinehearing.evaluate`
- :mod:`machinehearing.plots`, :mod:`machinehearing.report`
"""

from ._lazy import attach
from ._version import __version__
from .errors import AudioError, DataError, MachineHearingError, ParameterError

_SUBMODULES = [
    "audio",
    "features",
    "transforms",
    "datasets",
    "models",
    "train",
    "metrics",
    "stats",
    "evaluate",
    "plots",
    "report",
    "sweep",
    "demo",
]

__getattr__, _dir, _lazy_all = attach(__name__, {name: "." + name for name in _SUBMODULES})

__all__ = [
    "__version__",
    "AudioError",
    "DataError",
    "MachineHearingError",
    "ParameterError",
    *_lazy_all,
]


def __dir__() -> list[str]:
    return sorted(__all__)
