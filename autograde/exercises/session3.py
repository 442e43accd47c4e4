"""Session 3 — pre-processing and the network: crop, leak-free split, ResNet-18 (8 points)."""

from __future__ import annotations

import numpy as np

from machinehearing import audio, models
from machinehearing.datasets import esc50

from ..compare import allclose, equal
from ..spec import Case, Exercise, Hint, hints
from . import matches, signal

# ----------------------------------------------------------------- references


def _clips(folds, src_files):
    return [esc50.Clip(f"{f}-{s}-A-0.wav", int(f), 0, "dog", False, str(s), "A")
            for f, s in zip(folds, src_files)]


def _naive_split(folds, src_files, *, test_fold, val_fold=None):
    """The library's fold split: right for ESC-50, whose folds never share a recording."""
    return tuple(esc50.fold_split(_clips(folds, src_files), test_fold=test_fold,
                                  val_fold=val_fold))


def _leak_free_split(folds, src_files, *, test_fold, val_fold=None):
    """Fold split, then drop the clips whose recording also lies on a held-out side."""
    train, val, test = _naive_split(folds, src_files, test_fold=test_fold, val_fold=val_fold)
    src = np.asarray(src_files)
    val = val[~np.isin(src[val], src[test])]
    train = train[~np.isin(src[train], np.concatenate([src[test], src[val]]))]
    return train, val, test


def _crop_centre(y, sr, seconds):
    return audio.crop(y, sr, seconds, where="center")


def _crop_truncated(y, sr, seconds):
    return audio.fix_length(y, size=int(seconds * sr))


# ----------------------------------------------------------------- cases


def _crop_public(rng):
    y = signal(rng, sr=8000, seconds=1.0, dtype=np.float32)
    return [Case(args=(y, 8000, 0.5), label="1 s -> 0.5 s (crop)"),
            Case(args=(y, 8000, 1.5), label="1 s -> 1.5 s (pad)"),
            Case(args=(np.ones(100), 100, 0.29), label="0.29 s at 100 Hz (rounding)")]


def _crop_hidden(rng):
    cases = []
    for seconds in (float(rng.uniform(0.1, 0.9)), float(rng.uniform(1.1, 2.0)), 1.0):
        sr = int(rng.choice([8000, 16000, 22050]))
        cases.append(Case(args=(signal(rng, sr=sr, seconds=1.0), sr, round(seconds, 3))))
    return cases


def _esc50_like(rng, n_src, *, leaks):
    """Metadata of clips: ``n_src`` recordings with 1-4 takes, each in one fold (or not)."""
    folds, src_files = [], []
    for i in range(n_src):
        fold = int(rng.integers(1, 6))
        for _ in range(int(rng.integers(1, 5))):
            moved = leaks and rng.random() < 0.15
            folds.append(int(rng.integers(1, 6)) if moved else fold)
            src_files.append(f"{100000 + 37 * i}")
    order = rng.permutation(len(folds))
    return np.asarray(folds)[order], [src_files[k] for k in order]


def _split_public(rng):
    folds, src = _esc50_like(rng, 30, leaks=False)
    leaky_folds = [1, 1, 2, 2, 3, 3, 4, 5]
    leaky_src = ["a", "b", "b", "c", "c", "d", "e", "a"]
    return [Case(args=(folds, src), kwargs={"test_fold": 1}, label="ESC-50-like, test_fold=1"),
            Case(args=(folds, src), kwargs={"test_fold": 5, "val_fold": 4},
                 label="test_fold=5, val_fold=4"),
            Case(args=(leaky_folds, leaky_src), kwargs={"test_fold": 2, "val_fold": 3},
                 label="recordings b and c span two folds")]


def _split_hidden(rng):
    cases = []
    for leaks in (False, True, True):
        folds, src = _esc50_like(rng, int(rng.integers(20, 60)), leaks=leaks)
        test_fold, val_fold = (int(v) for v in rng.choice(np.arange(1, 6), 2, replace=False))
        cases.append(Case(args=(folds, src), kwargs={"test_fold": test_fold,
                                                     "val_fold": val_fold if leaks else None}))
    return cases


def _images(rng, channels, n=2, size=64):
    return [Case(args=(rng.standard_normal((n, channels, size, size)).astype(np.float32),),
                 label=f"batch of {n}, {channels} x {size} x {size}")]


_NO_SHORTCUTS = ("torchvision", "machinehearing.models")
_WEIGHTS_HINT = Hint("The reference weights must load with strict=True: use torchvision's names "
                     "(conv1, bn1, layer1.0.conv1, ..., layer2.0.downsample.0, fc) and "
                     "bias=False in convolutions followed by BatchNorm.",
                     when=lambda s, e, c: True)

EXERCISES = [
    Exercise(
        id="3.1-crop-or-pad",
        session=3,
        points=1.0,
        target="crop_or_pad",
        reference=lambda y, sr, seconds: audio.crop(y, sr, seconds),
        public=_crop_public,
        hidden=_crop_hidden,
        compare=allclose(rtol=1e-7, atol=1e-9),
        hints=[
            Hint("Keep the *start* of the clip and pad zeros at the end.",
                 when=matches(_crop_centre)),
            Hint("The length is round(seconds * sr): int() truncates 28.999... to 28.",
                 when=matches(_crop_truncated)),
            Hint("The result must have round(seconds * sr) samples.", when=hints.wrong_shape()),
        ],
        forbidden=("machinehearing.audio", "librosa.util.fix_length"),
    ),
    Exercise(
        id="3.2-fold-split",
        session=3,
        points=2.0,
        target="fold_split",
        reference=_leak_free_split,
        public=_split_public,
        hidden=_split_hidden,
        compare=equal(),
        hints=[
            Hint("Leak: clips of one src_file on both sides. Drop from train/val the clips "
                 "whose recording is in the test (or validation) set.",
                 when=matches(_naive_split)),
            Hint("Return three arrays of clip indices (train, val, test), increasing; val is "
                 "empty when val_fold is None.",
                 when=lambda s, e, c: not isinstance(s, tuple | list) or len(s) != 3),
        ],
        forbidden=("machinehearing.datasets", "sklearn.model_selection"),
    ),
    Exercise(
        id="3.3-basic-block",
        session=3,
        points=1.0,
        target="BasicBlock",
        kind="module",
        reference=lambda: models.BasicBlock(64, 64),
        init_kwargs={"in_planes": 64, "planes": 64},
        public=lambda rng: _images(rng, 64, size=8),
        hidden=lambda rng: _images(rng, 64, n=3, size=int(rng.integers(4, 12))),
        compare=allclose(rtol=1e-4, atol=1e-5),
        hints=[
            Hint("Add the shortcut before the last ReLU: relu(bn2(conv2(...)) + identity).",
                 when=lambda s, e, c: np.asarray(s).shape == np.asarray(e).shape),
            _WEIGHTS_HINT,
        ],
        forbidden=_NO_SHORTCUTS,
        memory="6GiB",
        timeout=30.0,
    ),
    Exercise(
        id="3.4-resnet18",
        session=3,
        points=3.0,
        target="ResNet18",
        kind="module",
        reference=lambda: models.resnet18(in_channels=1, num_classes=50),
        init_kwargs={"in_channels": 1, "num_classes": 50},
        public=lambda rng: _images(rng, 1),
        hidden=lambda rng: _images(rng, 1, n=3, size=int(rng.integers(40, 80))),
        compare=allclose(rtol=1e-3, atol=1e-4),
        hints=[
            Hint("Output shape is (batch, num_classes): flatten after the average pooling.",
                 when=hints.wrong_shape()),
            Hint("Same weights, different outputs: check the forward pass (maxpool after the "
                 "stem, shortcut added before the last ReLU, avgpool then fc).",
                 when=lambda s, e, c: np.asarray(s).shape == np.asarray(e).shape),
            _WEIGHTS_HINT,
        ],
        forbidden=_NO_SHORTCUTS,
        memory="6GiB",
        timeout=60.0,
    ),
    Exercise(
        id="3.5-resnet18-rgb",
        session=3,
        points=1.0,
        target="ResNet18",
        title="ResNet18 (3 channels, 5 categories)",
        kind="module",
        reference=lambda: models.resnet18(in_channels=3, num_classes=5),
        init_kwargs={"in_channels": 3, "num_classes": 5},
        public=lambda rng: _images(rng, 3),
        hidden=lambda rng: _images(rng, 3, n=3, size=int(rng.integers(40, 80))),
        compare=allclose(rtol=1e-3, atol=1e-4),
        hints=[
            Hint("in_channels sets conv1's input channels; num_classes sets fc's outputs.",
                 when=lambda s, e, c: True),
        ],
        forbidden=_NO_SHORTCUTS,
        memory="6GiB",
        timeout=60.0,
    ),
]
