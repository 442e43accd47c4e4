"""Session 5 — three feature channels and data augmentation.

You assemble the three-channel network input (three features of one clip, each
turned into a standardised image, stacked like the R, G, B planes of a photo) and
write the two augmentations used in training: SpecAugment masking and mixup.

Use the feature functions of :mod:`machinehearing.features` (imported as ``mhf``;
you wrote them in session 2) but not the complete pipeline (``machinehearing.features.extract`` or
``machinehearing.transforms.FeatureExtractor``): that is what :func:`make_input`
rebuilds. Check your work with ``machinehearing check 5``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.nn import functional as F

from machinehearing import audio
from machinehearing import features as mhf

__all__ = ["make_input", "spec_augment", "mixup"]


def make_input(
    y: np.ndarray,
    sr: float,
    *,
    features: Sequence[str] = ("logmel", "mfcc", "chroma"),
    size: tuple[int, int] = (128, 128),
    seconds: float | None = 3.0,
) -> np.ndarray:
    """The network input of one clip: one standardised image per feature, stacked.

    1. Crop (or zero-pad) the clip to its first ``seconds`` seconds
       (``machinehearing.audio.crop(y, sr, seconds)``); ``None`` keeps it whole.
    2. For each name in ``features``, compute the feature with the course's registry,
       ``mhf.compute(mhf.FeatureSpec.parse(name), y, sr)`` — a 2-D
       ``(rows, frames)`` array (names like ``"logmel"``, ``"mfcc:n_mfcc=40"``).
    3. Turn each into a ``size`` image, resized and standardised by the spec's rule
       (``mhf.to_image(feature, size, standardize=spec.standardize)``: the whole
       image, or row by row for the MFCC family).
    4. Stack the images into ``(len(features), H, W)`` float32.

    Pitfalls: cropping *after* computing the features (the frames differ at the cut);
    stacking on the last axis; forgetting to standardise each channel separately
    (a 40 dB log-mel range would swamp MFCC values of a few units); standardising an
    MFCC image as a whole (c0, the loudness, would swamp the other coefficients).

    Parameters
    ----------
    y : np.ndarray, shape (samples,)
        Mono clip.
    sr : float
        Sampling rate in Hz.
    features : sequence of str
        Feature spec strings, one channel each.
    size : tuple of int
        Image ``(height, width)``.
    seconds : float or None
        Duration kept from the start of the clip.

    Returns
    -------
    np.ndarray, shape (len(features), *size), float32

    Examples
    --------
    >>> y = np.random.default_rng(0).standard_normal(16000).astype(np.float32)
    >>> make_input(y, 16000, size=(64, 64), seconds=1.0).shape
    (3, 64, 64)
    """
    ### BEGIN SOLUTION
    specs = [mhf.FeatureSpec.parse(name) for name in features]
    if seconds is not None:
        y = audio.crop(y, sr, seconds)
    images = [
        mhf.to_image(mhf.compute(spec, y, sr), size=size, standardize=spec.standardize)
        for spec in specs
    ]
    return np.stack(images).astype(np.float32)
    ### END SOLUTION


def spec_augment(
    x: torch.Tensor,
    *,
    freq_mask: int = 16,
    time_mask: int = 24,
    n_masks: int = 2,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """SpecAugment (Park et al., 2019): zero random frequency bands and time bands.

    ``x`` is a batch of feature images ``(batch, channels, n_freq, n_time)``. For every
    example ``b`` independently, ``n_masks`` times:

    1. draw a height ``f`` uniformly in ``0 ... freq_mask`` (inclusive) and a start
       ``f0`` uniformly in ``0 ... n_freq - f``; set rows ``f0 ... f0 + f - 1`` to 0 in
       every channel;
    2. likewise draw a width ``t`` in ``0 ... time_mask`` and ``t0`` in
       ``0 ... n_time - t``; set columns ``t0 ... t0 + t - 1`` to 0 in every channel.

    Draw the random numbers with ``torch.randint(..., generator=generator)`` so that a
    seeded generator gives reproducible masks. Return a new tensor; do not modify ``x``.
    (0 is the mean of a standardised image, so a mask removes information without
    adding energy.)

    Pitfalls: one mask for the whole batch (each example needs its own); masks that
    differ between channels (the channels are three views of the same time-frequency
    plane); bands wider than ``freq_mask``/``time_mask``.

    Parameters
    ----------
    x : torch.Tensor, shape (batch, channels, n_freq, n_time)
    freq_mask : int
        Largest frequency-mask height, ``0 <= freq_mask <= n_freq``.
    time_mask : int
        Largest time-mask width, ``0 <= time_mask <= n_time``.
    n_masks : int
        Masks of each kind per example.
    generator : torch.Generator or None
        Source of randomness.

    Returns
    -------
    torch.Tensor, same shape and dtype as ``x``

    Examples
    --------
    >>> x = torch.ones(2, 3, 8, 10)
    >>> g = torch.Generator().manual_seed(0)
    >>> out = spec_augment(x, freq_mask=3, time_mask=4, generator=g)
    >>> out.shape, bool(torch.all(x == 1)), bool(torch.all(out[:, 0] == out[:, 2]))
    (torch.Size([2, 3, 8, 10]), True, True)
    """
    ### BEGIN SOLUTION
    batch, _, n_freq, n_time = x.shape
    if not (0 <= freq_mask <= n_freq and 0 <= time_mask <= n_time):
        raise ValueError(
            f"freq_mask={freq_mask} and time_mask={time_mask} must lie within the image "
            f"size ({n_freq}, {n_time})"
        )
    out = x.clone()
    for b in range(batch):
        for _ in range(n_masks):
            for axis, (limit, length) in enumerate(((freq_mask, n_freq), (time_mask, n_time))):
                width = int(torch.randint(0, limit + 1, (1,), generator=generator))
                start = int(torch.randint(0, length - width + 1, (1,), generator=generator))
                if axis == 0:
                    out[b, :, start : start + width, :] = 0
                else:
                    out[b, :, :, start : start + width] = 0
    return out
    ### END SOLUTION


def mixup(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    alpha: float,
    num_classes: int,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mixup (Zhang et al., 2018): blend each example with another one of the batch.

    1. Draw one mixing weight for the whole batch, ``lam ~ Beta(alpha, alpha)``
       (e.g. ``np.random.default_rng(seed).beta(alpha, alpha)`` with a ``seed`` drawn
       from ``generator`` with ``torch.randint``).
    2. Draw a permutation of the batch, ``perm = torch.randperm(batch, generator=...)``.
    3. ``x_mixed = lam * x + (1 - lam) * x[perm]``;
       ``y_soft = lam * one_hot(y) + (1 - lam) * one_hot(y[perm])`` with
       ``num_classes`` columns (float, rows sum to 1).

    Train on ``y_soft`` with the cross-entropy of soft targets
    (``F.cross_entropy(logits, y_soft)`` accepts probabilities).

    Pitfalls: mixing the inputs but not the labels (or with ``1 - lam`` swapped);
    a ``lam`` per example while the labels use another one; ``one_hot`` needs
    ``num_classes`` (the batch may not contain every class).

    Parameters
    ----------
    x : torch.Tensor, shape (batch, ...)
        Inputs.
    y : torch.Tensor of int64, shape (batch,)
        Class labels.
    alpha : float
        Beta distribution parameter, ``> 0`` (0.2-0.4 is typical).
    num_classes : int
        Number of classes.
    generator : torch.Generator or None
        Source of randomness.

    Returns
    -------
    x_mixed : torch.Tensor, same shape as ``x``
    y_soft : torch.Tensor, shape (batch, num_classes), float

    Examples
    --------
    >>> x, y = torch.randn(4, 1, 2, 2), torch.tensor([0, 1, 2, 1])
    >>> xm, ys = mixup(x, y, alpha=0.4, num_classes=3, generator=torch.Generator().manual_seed(0))
    >>> xm.shape, ys.shape, bool(torch.allclose(ys.sum(dim=1), torch.ones(4)))
    (torch.Size([4, 1, 2, 2]), torch.Size([4, 3]), True)
    """
    ### BEGIN SOLUTION
    if alpha <= 0:
        raise ValueError(f"alpha must be > 0, got {alpha}")
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
    lam = float(np.random.default_rng(seed).beta(alpha, alpha))
    perm = torch.randperm(x.shape[0], generator=generator)
    x_mixed = lam * x + (1.0 - lam) * x[perm]
    one_hot = F.one_hot(y.long(), num_classes).to(x.dtype)
    y_soft = lam * one_hot + (1.0 - lam) * one_hot[perm]
    return x_mixed, y_soft
    ### END SOLUTION
