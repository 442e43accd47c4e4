"""ESC-50: dataset facts, metadata and splits, download and verification, a synthetic set,
and the feature cache with its torch ``Dataset``.

- :mod:`~machinehearing.datasets.esc50` -- ``CLASSES``, ``CATEGORIES``, ``load_metadata``,
  ``LabelMap``, ``fold_split``, ``course_split``
- :mod:`~machinehearing.datasets.download` -- ``download``, ``verify``
- :mod:`~machinehearing.datasets.synthetic` -- ``make_esc50_like``, ``course_dataset``,
  ``synthesize`` (recipes in :mod:`~machinehearing.datasets.recipes`, built from the
  primitives of :mod:`~machinehearing.datasets.sounds`)
- :mod:`~machinehearing.datasets.examples` -- ``example``, ``describe``, ``is_synthetic``
  (real recordings by name, or marked synthetic stand-ins offline)
- :mod:`~machinehearing.datasets.cache` -- ``precompute``, ``FeatureCache``, ``ESC50Dataset``,
  ``make_loader``

Names are imported lazily: ``import machinehearing.datasets`` does not import torch.
"""

from .._lazy import attach

_NAMES = {
    **{
        name: ".esc50"
        for name in [
            "CLASSES",
            "CATEGORIES",
            "CATEGORY_KEYS",
            "ESC10_TARGETS",
            "category_of",
            "Clip",
            "load_metadata",
            "LabelMap",
            "labels",
            "Split",
            "fold_split",
            "course_split",
            "default_root",
        ]
    },
    # the function download() lives in the submodule of the same name:
    # ``from machinehearing.datasets.download import download``
    **{name: ".download" for name in ["URL", "SHA256", "verify", "VerifyReport"]},
    "make_esc50_like": ".synthetic",
    "course_dataset": ".synthetic",
    "synthesize": ".synthetic",
    **{name: ".examples" for name in ["example", "describe", "is_synthetic", "list_examples",
                                      "StandInWarning", "EXAMPLES"]},
    **{
        name: ".cache"
        for name in ["precompute", "FeatureCache", "ESC50Dataset", "make_loader"]
    },
    **{
        name: "." + name
        for name in ["esc50", "download", "synthetic", "sounds", "recipes", "examples", "cache"]
    },
}

__getattr__, __dir__, __all__ = attach(__name__, _NAMES)
