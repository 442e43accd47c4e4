"""Data augmentation on batches of feature images (batch, channels, height, width).

Height is frequency (rows) and width is time (columns), as in a spectrogram image.
Every function draws its random numbers from an optional :class:`torch.Generator`
(on the CPU), so an augmented batch is reproducible from a seed whatever device the
images are on. The functions return new tensors; their input is never modified.

- :func:`spec_augment` -- SpecAugment frequency and time masks (Park et al., 2019)
- :func:`mixup` -- convex combinations of pairs of clips and of their labels (Zhang et al., 2018)
- :func:`random_time_shift` -- circular shift along time
- :class:`Augment` -- the three chained, as the training loop applies them
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from ..errors import ParameterError

__all__ = ["spec_augment", "mixup", "random_time_shift", "Augment"]


def _check_images(x: Tensor) -> None:
    if not isinstance(x, Tensor) or x.ndim != 4:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ParameterError(f"x must be a (batch, channels, height, width) tensor, got {shape}")


def _check_int(name: str, value: int, low: int = 0, high: int | None = None) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < low
        or (high is not None and value > high)
    ):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ParameterError(f"{name} must be an integer {bound}, got {value!r}")


def _band_mask(batch: int, length: int, max_width: int, n_masks: int, generator) -> Tensor:
    """(batch, length) bool: the union of ``n_masks`` bands of width U{0..max_width} per item."""
    widths = torch.randint(0, max_width + 1, (batch, n_masks), generator=generator)
    starts = (torch.rand(batch, n_masks, generator=generator) * (length - widths + 1)).long()
    pos = torch.arange(length).view(1, 1, length)
    inside = (pos >= starts.unsqueeze(-1)) & (pos < (starts + widths).unsqueeze(-1))
    return inside.any(dim=1)


def spec_augment(
    x: Tensor,
    *,
    freq_mask: int = 16,
    time_mask: int = 24,
    n_masks: int = 2,
    value: float = 0.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    """SpecAugment: set random bands of frequency rows and of time columns to ``value``.

    Each item gets ``n_masks`` frequency masks of height drawn uniformly from
    ``0..freq_mask`` and ``n_masks`` time masks of width ``0..time_mask``, at uniform
    positions; all channels of an item share its masks (the features of one clip
    stay aligned). ``value=0`` is the mean of a standardised image.

    Parameters
    ----------
    x : torch.Tensor, shape (batch, channels, height, width)
        Feature images.
    freq_mask, time_mask : int
        Largest mask height (rows) and width (columns); 0 disables that kind of mask.
    n_masks : int
        Number of masks of each kind per item.
    value : float
        Value written into the masked pixels.
    generator : torch.Generator or None
        Source of randomness (CPU); None uses torch's global generator.

    Returns
    -------
    torch.Tensor
        A masked copy of ``x``.

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> out = spec_augment(torch.ones(2, 3, 32, 40), freq_mask=8, time_mask=10, generator=g)
    >>> out.shape, bool((out == 0).any()), bool((out[:, 0] == out[:, 2]).all())
    (torch.Size([2, 3, 32, 40]), True, True)
    """
    _check_images(x)
    batch, _, height, width = x.shape
    _check_int("freq_mask", freq_mask, 0, height)
    _check_int("time_mask", time_mask, 0, width)
    _check_int("n_masks", n_masks)
    rows = _band_mask(batch, height, freq_mask, n_masks, generator)
    cols = _band_mask(batch, width, time_mask, n_masks, generator)
    mask = rows[:, None, :, None] | cols[:, None, None, :]
    return x.masked_fill(mask.to(x.device), value)


def mixup(
    x: Tensor,
    y: Tensor,
    *,
    alpha: float,
    num_classes: int,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Mixup: blend every clip with another clip of the batch, and their labels likewise.

    ``lam ~ Beta(alpha, alpha)`` (one draw per batch), ``perm`` a random permutation:
    ``x_mixed = lam * x + (1 - lam) * x[perm]`` and
    ``y_soft = lam * onehot(y) + (1 - lam) * onehot(y[perm])``. Train with a loss that
    accepts class probabilities (``torch.nn.CrossEntropyLoss`` does).

    Parameters
    ----------
    x : torch.Tensor, shape (batch, channels, height, width)
        Feature images.
    y : torch.Tensor
        Integer labels (batch,) or class probabilities (batch, num_classes).
    alpha : float
        Beta distribution parameter (> 0); small values keep most clips nearly unmixed.
    num_classes : int
        Number of classes (width of ``y_soft``).
    generator : torch.Generator or None
        Source of randomness (CPU); None uses torch's global generator.

    Returns
    -------
    x_mixed : torch.Tensor
        Same shape as ``x``.
    y_soft : torch.Tensor, shape (batch, num_classes)
        Label probabilities (each row sums to 1).

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> xm, ys = mixup(torch.randn(4, 1, 32, 32), torch.tensor([0, 1, 2, 3]), alpha=0.4,
    ...                num_classes=5, generator=g)
    >>> xm.shape, ys.shape, ys.sum(dim=1).tolist()
    (torch.Size([4, 1, 32, 32]), torch.Size([4, 5]), [1.0, 1.0, 1.0, 1.0])
    """
    _check_images(x)
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not alpha > 0:
        raise ParameterError(f"alpha must be a positive number, got {alpha!r}")
    _check_int("num_classes", num_classes, 1)
    if y.ndim == 1:
        if y.shape[0] != x.shape[0]:
            raise ParameterError(f"y has {y.shape[0]} labels for a batch of {x.shape[0]} images")
        y = torch.nn.functional.one_hot(y.long(), num_classes).to(x.dtype)
    elif y.shape != (x.shape[0], num_classes):
        raise ParameterError(
            f"y must be labels (batch,) or probabilities (batch, num_classes), got {tuple(y.shape)}"
        )
    # torch has no generator-aware Beta sampler: seed NumPy's from the torch generator
    seed = int(torch.randint(0, 2**62, (1,), generator=generator))
    lam = float(np.random.default_rng(seed).beta(alpha, alpha))
    perm = torch.randperm(x.shape[0], generator=generator).to(x.device)
    x_mixed = lam * x + (1.0 - lam) * x[perm]
    y_soft = lam * y + (1.0 - lam) * y[perm]
    return x_mixed, y_soft


def random_time_shift(
    x: Tensor, *, max_shift: int, generator: torch.Generator | None = None
) -> Tensor:
    """Roll every item circularly along time by a random number of columns.

    The shift of each item is uniform on ``-max_shift..max_shift``; columns that leave
    one edge enter at the other, so no information is lost and the shape is kept.

    Parameters
    ----------
    x : torch.Tensor, shape (batch, channels, height, width)
        Feature images.
    max_shift : int
        Largest shift in columns (0 returns a copy).
    generator : torch.Generator or None
        Source of randomness (CPU); None uses torch's global generator.

    Returns
    -------
    torch.Tensor
        The shifted images.

    Examples
    --------
    >>> import torch
    >>> x = torch.arange(6.0).view(1, 1, 1, 6)
    >>> g = torch.Generator().manual_seed(3)
    >>> out = random_time_shift(x, max_shift=2, generator=g)
    >>> any(torch.equal(out, torch.roll(x, s, dims=-1)) for s in range(-2, 3))
    True
    """
    _check_images(x)
    width = x.shape[-1]
    _check_int("max_shift", max_shift, 0)
    shifts = torch.randint(-max_shift, max_shift + 1, (x.shape[0],), generator=generator)
    index = (torch.arange(width).view(1, width) - shifts.view(-1, 1)) % width
    index = index.to(x.device).view(x.shape[0], 1, 1, width).expand_as(x)
    return torch.gather(x, -1, index)


class Augment:
    """The training-time augmentation chain: time shift, then SpecAugment, then mixup.

    Each step is skipped when its strength is 0. Calling the object on a batch
    ``(x, y)`` returns ``(x_augmented, target)`` where ``target`` is ``y`` itself, or
    class probabilities when mixup is on.

    Parameters
    ----------
    num_classes : int
        Number of classes (for mixup's probability targets).
    freq_mask, time_mask, n_masks : int
        SpecAugment parameters (:func:`spec_augment`).
    mixup_alpha : float
        Mixup Beta parameter (:func:`mixup`); 0 disables mixup.
    time_shift : float
        Largest circular time shift as a fraction of the image width; 0 disables it.
    generator : torch.Generator or None
        Source of randomness shared by the three steps.

    Examples
    --------
    >>> import torch
    >>> aug = Augment(num_classes=3, time_mask=4, mixup_alpha=0.2,
    ...               generator=torch.Generator().manual_seed(0))
    >>> x, target = aug(torch.randn(4, 1, 32, 32), torch.tensor([0, 1, 2, 0]))
    >>> x.shape, target.shape, aug.active
    (torch.Size([4, 1, 32, 32]), torch.Size([4, 3]), True)
    """

    def __init__(
        self,
        *,
        num_classes: int,
        freq_mask: int = 0,
        time_mask: int = 0,
        n_masks: int = 2,
        mixup_alpha: float = 0.0,
        time_shift: float = 0.0,
        generator: torch.Generator | None = None,
    ) -> None:
        if not 0.0 <= time_shift <= 1.0:
            raise ParameterError(f"time_shift must be a fraction in [0, 1], got {time_shift!r}")
        if mixup_alpha < 0:
            raise ParameterError(f"mixup_alpha must be >= 0, got {mixup_alpha!r}")
        self.num_classes = num_classes
        self.freq_mask, self.time_mask, self.n_masks = freq_mask, time_mask, n_masks
        self.mixup_alpha = mixup_alpha
        self.time_shift = time_shift
        self.generator = generator

    @classmethod
    def from_config(cls, config, *, num_classes: int, generator=None) -> Augment:
        """The augmentation a :class:`~machinehearing.train.TrainConfig` asks for."""
        return cls(
            num_classes=num_classes,
            freq_mask=config.freq_mask,
            time_mask=config.time_mask,
            n_masks=config.n_masks,
            mixup_alpha=config.mixup_alpha,
            time_shift=config.time_shift,
            generator=generator,
        )

    @property
    def _masking(self) -> bool:
        return self.n_masks > 0 and (self.freq_mask > 0 or self.time_mask > 0)

    @property
    def active(self) -> bool:
        """Whether any step changes the batch."""
        return self._masking or self.mixup_alpha > 0 or self.time_shift > 0

    def __call__(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        max_shift = int(round(self.time_shift * x.shape[-1]))
        if max_shift > 0:
            x = random_time_shift(x, max_shift=max_shift, generator=self.generator)
        if self._masking:
            x = spec_augment(
                x,
                freq_mask=min(self.freq_mask, x.shape[-2]),
                time_mask=min(self.time_mask, x.shape[-1]),
                n_masks=self.n_masks,
                generator=self.generator,
            )
        if self.mixup_alpha > 0:
            x, y = mixup(
                x,
                y,
                alpha=self.mixup_alpha,
                num_classes=self.num_classes,
                generator=self.generator,
            )
        return x, y
