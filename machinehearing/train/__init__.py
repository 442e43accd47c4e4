"""Training: configuration, augmentation, the training loop, cross-validation, distributed runs.

Names are imported lazily (``TrainConfig`` does not import torch).
"""

from .._lazy import attach

_NAMES = {
    "TrainConfig": ".config",
    "PRESETS": ".config",
    "spec_augment": ".augment",
    "mixup": ".augment",
    "random_time_shift": ".augment",
    "Augment": ".augment",
    "train": ".loop",
    "crossval": ".loop",
    "train_one_epoch": ".loop",
    "evaluate": ".loop",
    "predict": ".loop",
    "resolve_device": ".distributed",
    "load_model": ".loop",
    "dataset_root": ".loop",
    "run_split": ".loop",
    "run_dataset": ".loop",
    "TrainResult": ".loop",
    "CrossvalResult": ".loop",
    "TrainingDivergedError": ".loop",
}

__getattr__, __dir__, __all__ = attach(__name__, _NAMES)
