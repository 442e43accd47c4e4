"""Session 5 — three channels and augmentation: input pipeline, SpecAugment, mixup (6 points).

The augmentations are random, so they are graded by their *properties* (which pixels may
change, to what, how the labels follow the inputs), not against one random draw of the
reference: any correct use of the random generator passes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from machinehearing import features
from machinehearing.train import augment

from ..compare import allclose
from ..spec import Case, Exercise, Hint, Verdict, hints, plain_array
from . import matches, numeric, signal

# ----------------------------------------------------------------- make_input


def _reference_input(y, sr, *, features=("logmel", "mfcc", "chroma"), size=(128, 128),
                     seconds=3.0):
    return _features.extract(y, sr, list(features), size=tuple(size), seconds=seconds)


_features = features


def _input_crop_after(y, sr, *, features=("logmel", "mfcc", "chroma"), size=(128, 128),
                      seconds=3.0):
    images = []
    for name in features:
        feature = _features.compute(name, y, sr)
        if seconds is not None:
            frames = feature.shape[1] * (seconds * sr) / len(y)
            feature = _features.resize(feature, (feature.shape[0], max(1, int(frames))))
        images.append(_features.to_image(feature, size))
    return np.stack(images)


def _input_channels_last(y, sr, **kw):
    return np.moveaxis(_reference_input(y, sr, **kw), 0, -1)


def _input_unstandardised(y, sr, *, features=("logmel", "mfcc", "chroma"), size=(128, 128),
                          seconds=3.0):
    from machinehearing import audio

    if seconds is not None:
        y = audio.crop(y, sr, seconds)
    return np.stack([_features.to_image(_features.compute(n, y, sr), size, standardize=False)
                     for n in features])


def _input_whole_image_standardised(y, sr, *, features=("logmel", "mfcc", "chroma"),
                                    size=(128, 128), seconds=3.0):
    return _reference_input(y, sr, features=[f"{n}:standardize=image" for n in features],
                            size=size, seconds=seconds)


def _input_public(rng):
    y = signal(rng, sr=16000, seconds=2.0, dtype=np.float32)
    return [Case(args=(y, 16000), kwargs={"size": (64, 64), "seconds": 1.5},
                 label="logmel, mfcc, chroma; 64 x 64; 1.5 s of a 2 s clip"),
            Case(args=(y[:12000], 16000), kwargs={"features": ["logmel"], "size": (32, 48),
                                                  "seconds": 1.0},
                 label="one channel (logmel), 32 x 48, 1 s"),
            Case(args=(y[:8000], 16000), kwargs={"features": ["mfcc", "delta_mfcc", "logmel"],
                                                 "size": (40, 40), "seconds": 1.0},
                 label="mfcc, delta_mfcc, logmel; a 0.5 s clip padded to 1 s")]


def _input_hidden(rng):
    choices = ["logmel", "mfcc", "chroma", "delta_mfcc", "spectrogram_db"]
    cases = []
    for _ in range(2):
        sr = int(rng.choice([16000, 22050]))
        y = signal(rng, sr=sr, seconds=float(rng.uniform(0.8, 2.5)), dtype=np.float32)
        names = [str(n) for n in rng.choice(choices, size=3, replace=False)]
        cases.append(Case(args=(y, sr), kwargs={
            "features": names, "size": (int(rng.integers(24, 80)), int(rng.integers(24, 80))),
            "seconds": float(np.round(rng.uniform(0.5, 2.0), 2))}))
    return cases


# ----------------------------------------------------------------- spec_augment


def _runs(mask: np.ndarray) -> list[int]:
    """Lengths of the runs of True in a 1-D bool array."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return (edges[1::2] - edges[::2]).tolist()


def _check_masks(student: Any, expected: Any, case: Case) -> Verdict:
    out = numeric(student)
    x = plain_array(case.args[0]).astype(np.float64)
    kw = dict(case.kwargs)
    freq_mask, time_mask, n_masks = kw["freq_mask"], kw["time_mask"], kw.get("n_masks", 2)
    if out is None:
        return Verdict(False, "type", "return a torch.Tensor like x")
    if out.shape != x.shape:
        return Verdict(False, "shape", f"shape {out.shape}, expected {x.shape}")
    changed = out != x
    if np.any(out[changed] != 0):
        return Verdict(False, "value", "changed pixels must be set to 0 (masked), not altered")
    signatures = set()
    for b in range(x.shape[0]):
        zero = out[b] == 0
        rows = zero.all(axis=(0, 2))
        cols = zero.all(axis=(0, 1))
        allowed = np.broadcast_to(rows[None, :, None] | cols[None, None, :], changed[b].shape)
        if not np.array_equal(changed[b], allowed):
            return Verdict(False, "property", f"item {b}: masks must be whole frequency rows or "
                           "whole time columns, the same in every channel")
        for name, band, limit in (("frequency", rows, freq_mask), ("time", cols, time_mask)):
            runs = _runs(band)
            if sum(runs) > n_masks * limit or len(runs) > n_masks:
                return Verdict(False, "property", f"item {b}: {name} masks too wide or too "
                               f"many ({runs}; at most {n_masks} of width <= {limit})")
        signatures.add((rows.tobytes(), cols.tobytes()))
    if freq_mask + time_mask > 0 and len(signatures) == 1 and x.shape[0] >= 4:
        return Verdict(False, "property", "every item got the same masks: draw them per item")
    return Verdict(True)


def _same_mask_for_batch(student: Any, expected: Any, case: Case) -> bool:
    out = numeric(student)
    return out is not None and out.ndim == 4 and all(
        np.array_equal(out[0] == 0, out[b] == 0) for b in range(out.shape[0]))


def _augment_public(rng):
    x = torch.from_numpy(rng.standard_normal((6, 3, 32, 40)).astype(np.float32))
    return [Case(args=(x,), kwargs={"freq_mask": 8, "time_mask": 10, "n_masks": 1},
                 label="6 x 3 x 32 x 40, freq_mask=8, time_mask=10, one mask each"),
            Case(args=(x,), kwargs={"freq_mask": 4, "time_mask": 6, "n_masks": 2},
                 label="two masks of each kind"),
            Case(args=(x,), kwargs={"freq_mask": 0, "time_mask": 0, "n_masks": 1},
                 label="freq_mask=0, time_mask=0: nothing masked")]


def _augment_hidden(rng):
    cases = []
    for n_masks in (1, 2):
        c, h, w = (int(v) for v in rng.integers((1, 16, 16), (4, 64, 64)))
        x = torch.from_numpy(rng.standard_normal((8, c, h, w)).astype(np.float32))
        cases.append(Case(args=(x,), kwargs={"freq_mask": int(rng.integers(2, h // 3)),
                                             "time_mask": int(rng.integers(2, w // 3)),
                                             "n_masks": n_masks}))
    return cases


# ----------------------------------------------------------------- mixup


def _permutation(residual: np.ndarray, tol: float) -> list[int] | None:
    """A permutation ``perm`` with ``residual[i, perm[i]] <= tol`` for all i (or None)."""
    n = residual.shape[0]
    # an item left unmixed fits every partner (with lam = 1): try itself first
    candidates = [sorted((j for j in range(n) if residual[i, j] <= tol),
                         key=lambda j, i=i: (j != i, residual[i, j])) for i in range(n)]
    owner: dict[int, int] = {}

    def assign(i: int, seen: set) -> bool:
        for j in candidates[i]:
            if j not in seen:
                seen.add(j)
                if j not in owner or assign(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    if not all(assign(i, set()) for i in range(n)):
        return None
    perm = [0] * n
    for j, i in owner.items():
        perm[i] = int(j)
    return perm


def _check_mixup(student: Any, expected: Any, case: Case) -> Verdict:
    if not isinstance(student, tuple | list) or len(student) != 2:
        return Verdict(False, "type", "return a tuple (x_mixed, y_soft)")
    xm, ys = numeric(student[0]), numeric(student[1])
    x = plain_array(case.args[0]).astype(np.float64)
    y = plain_array(case.args[1]).astype(np.int64)
    num_classes = case.kwargs["num_classes"]
    if xm is None or ys is None:
        return Verdict(False, "type", "x_mixed and y_soft must be tensors")
    if xm.shape != x.shape or ys.shape != (len(y), num_classes):
        return Verdict(False, "shape", f"shapes {xm.shape} and {ys.shape}, expected {x.shape} "
                       f"and {(len(y), num_classes)}")
    if not np.all(np.isfinite(xm)) or not np.all(np.isfinite(ys)):
        return Verdict(False, "nan", "x_mixed or y_soft is not finite")
    if not np.allclose(ys.sum(axis=1), 1.0, atol=1e-5) or np.any(ys < -1e-6):
        return Verdict(False, "property", "each row of y_soft must be probabilities summing to 1")
    flat, mixed = x.reshape(len(y), -1), xm.reshape(len(y), -1)
    n, tol = len(y), 1e-4 * (1.0 + np.abs(flat).max())
    fits = np.empty((n, n))  # lam that best explains x_mixed[i] from x[i] and x[j]
    residual = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            d = flat[i] - flat[j]
            fits[i, j] = 1.0 if j == i else np.dot(mixed[i] - flat[j], d) / np.dot(d, d)
            residual[i, j] = np.abs(mixed[i] - (fits[i, j] * d + flat[j])).max()
    partners = _permutation(residual, tol)
    if partners is None:
        return Verdict(False, "property", "x_mixed must be lam * x + (1 - lam) * x[perm] for "
                       "a permutation perm of the batch")
    moved = [fits[i, j] for i, j in enumerate(partners) if j != i]
    lam = float(np.median(moved)) if moved else 1.0
    if not -1e-6 <= lam <= 1 + 1e-6 or np.abs(
            mixed - (lam * flat + (1 - lam) * flat[partners])).max() > tol:
        return Verdict(False, "property", "use one mixing weight lam in [0, 1] for the batch")
    onehot = np.eye(num_classes)[y]
    want = lam * onehot + (1 - lam) * onehot[partners]
    if not np.allclose(ys, want, atol=1e-4):
        return Verdict(False, "property", "y_soft must mix the one-hot labels exactly like the "
                       "inputs: lam * one_hot(y) + (1 - lam) * one_hot(y[perm])")
    return Verdict(True)


def _mixup_public(rng):
    x = torch.from_numpy(rng.standard_normal((8, 2, 4, 5)).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, 5, size=8))
    return [Case(args=(x, y), kwargs={"alpha": 0.4, "num_classes": 5},
                 label="8 items, alpha=0.4, 5 classes"),
            Case(args=(x, y), kwargs={"alpha": 1.0, "num_classes": 7},
                 label="alpha=1.0, 7 classes (some never in the batch)")]


def _mixup_hidden(rng):
    n = int(rng.integers(4, 12))
    x = torch.from_numpy(rng.standard_normal((n, 1, 6, 7)).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, 10, size=n))
    return [Case(args=(x, y), kwargs={"alpha": float(rng.uniform(0.2, 2.0)), "num_classes": 10})]


EXERCISES = [
    Exercise(
        id="5.1-make-input",
        session=5,
        points=2.0,
        target="make_input",
        reference=_reference_input,
        public=_input_public,
        hidden=_input_hidden,
        compare=allclose(rtol=1e-3, atol=2e-3),
        hints=[
            Hint("Crop the clip first, then compute the features on the cropped audio.",
                 when=matches(_input_crop_after, rtol=1e-2, floor=1e-2)),
            Hint("Channels first: (C, H, W), one channel per feature.",
                 when=matches(_input_channels_last, rtol=1e-3, floor=1e-3)),
            Hint("Standardise every image (to_image does it by default).",
                 when=matches(_input_unstandardised, rtol=1e-3, floor=1e-3)),
            Hint("Standardise each image by its spec's rule: to_image(..., standardize="
                 "spec.standardize) (MFCC images row by row).",
                 when=matches(_input_whole_image_standardised, rtol=1e-3, floor=1e-3)),
            Hint("Shape is (len(features), *size).", when=hints.wrong_shape()),
        ],
        forbidden=("machinehearing.features.extract", "machinehearing.features.images.extract",
                   "machinehearing.transforms"),
        # the student builds the images from the library's features (session 2's own
        # functions are graded there): those modules, and the audio readers they import
        allow=("machinehearing.audio", "machinehearing.features"),
        packages=("soundfile", "soxr"),
        timeout=60.0,
    ),
    Exercise(
        id="5.2-spec-augment",
        session=5,
        points=2.0,
        target="spec_augment",
        reference=lambda x, **kw: augment.spec_augment(x, **kw),
        public=_augment_public,
        hidden=_augment_hidden,
        compare=_check_masks,
        hints=[
            Hint("Every item got the same masks: draw a mask for each item of the batch.",
                 when=_same_mask_for_batch),
            Hint("Mask whole rows (frequency) and whole columns (time), identical in every "
                 "channel, by setting them to 0.", when=lambda s, e, c: True),
        ],
        forbidden=("machinehearing.train", "torchaudio"),
        timeout=30.0,
        memory="6GiB",
    ),
    Exercise(
        id="5.3-mixup",
        session=5,
        points=2.0,
        target="mixup",
        reference=lambda x, y, **kw: augment.mixup(x, y, **kw),
        public=_mixup_public,
        hidden=_mixup_hidden,
        compare=_check_mixup,
        hints=[
            Hint("Use one lam for the whole batch and one permutation for both x and y: "
                 "lam goes with x and one_hot(y), 1 - lam with x[perm] and one_hot(y[perm]); "
                 "y_soft has num_classes columns.", when=lambda s, e, c: True),
        ],
        forbidden=("machinehearing.train",),
        timeout=30.0,
        memory="6GiB",
    ),
]
