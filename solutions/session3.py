"""Session 3 — pre-processing and the network.

You prepare the data and build the classifier: fixed-length clips, a leak-free
cross-validation split, and a ResNet-18 with torchvision's parameter names (so that
its ``state_dict`` loads into :func:`machinehearing.models.resnet18` and back).

Check your work with ``machinehearing check 3``. The grader loads reference weights
into your network (``load_state_dict(strict=True)``): every parameter name and shape
must match torchvision's ResNet-18. Do not import torchvision or
:mod:`machinehearing.models` here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

__all__ = ["crop_or_pad", "fold_split", "BasicBlock", "ResNet18"]


def crop_or_pad(y: np.ndarray, sr: float, seconds: float) -> np.ndarray:
    """Cut or zero-pad a signal to exactly ``seconds`` of audio, keeping its start.

    The target length is ``n = round(seconds * sr)`` samples: longer signals keep
    their first ``n`` samples, shorter ones get zeros appended at the end.

    Pitfalls: ``int(seconds * sr)`` truncates (``0.29 * 100 = 28.999...``); keep the
    input's dtype; pad at the end, not symmetrically.

    Parameters
    ----------
    y : np.ndarray, shape (samples,)
        Mono signal.
    sr : float
        Sampling rate in Hz.
    seconds : float
        Wanted duration, ``> 0``.

    Returns
    -------
    np.ndarray, shape (round(seconds * sr),), same dtype as ``y``

    Examples
    --------
    >>> crop_or_pad(np.ones(5), 2, 1.5)
    array([1., 1., 1.])
    >>> crop_or_pad(np.ones(2), 2, 1.5)
    array([1., 1., 0.])
    """
    ### BEGIN SOLUTION
    y = np.asarray(y)
    n = int(round(seconds * sr))
    if n < 1:
        raise ValueError(f"seconds * sr must give at least one sample, got {seconds} * {sr}")
    if y.shape[-1] >= n:
        return y[..., :n].copy()
    return np.pad(y, (0, n - y.shape[-1]))
    ### END SOLUTION


def fold_split(
    folds: Sequence[int],
    src_files: Sequence[str],
    *,
    test_fold: int,
    val_fold: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Leak-free cross-validation split by fold, grouped by source recording.

    Clip ``i`` belongs to fold ``folds[i]`` and was cut from recording ``src_files[i]``.

    * test  = the clips of ``test_fold``;
    * val   = the clips of ``val_fold`` (empty when None), *except* those whose
      ``src_file`` also occurs in the test set;
    * train = all other clips, *except* those whose ``src_file`` occurs in the test
      or validation set.

    Dropping those clips guarantees that no recording has clips on two sides (takes
    of one recording are near-duplicates: a model that saw one in training
    "recognises" the other at test time and the score is inflated). The real ESC-50
    folds already respect this, hand-made folds often do not.

    Pitfalls: splitting by clip instead of by ``src_file`` leaks; return *indices*
    (int64, increasing), not the clips.

    Parameters
    ----------
    folds : sequence of int
        Fold of each clip.
    src_files : sequence of str
        Source recording of each clip (same length as ``folds``).
    test_fold : int
        Fold held out for testing.
    val_fold : int or None
        Fold held out for validation (different from ``test_fold``).

    Returns
    -------
    train, val, test : np.ndarray of int64
        Increasing clip indices.

    Examples
    --------
    >>> train, val, test = fold_split([1, 1, 2, 3], ["a", "b", "b", "c"], test_fold=2)
    >>> train.tolist(), val.tolist(), test.tolist()
    ([0, 3], [], [2])
    """
    ### BEGIN SOLUTION
    folds = np.asarray(folds)
    src_files = np.asarray(src_files)
    if folds.shape != src_files.shape:
        raise ValueError(f"folds and src_files differ in shape: {folds.shape}, {src_files.shape}")
    if val_fold is not None and val_fold == test_fold:
        raise ValueError(f"val_fold must differ from test_fold, both are {test_fold}")
    is_test = folds == test_fold
    is_val = (folds == val_fold) & ~np.isin(src_files, src_files[is_test])
    held_out = src_files[is_test | is_val]
    is_train = ~is_test & (folds != val_fold) & ~np.isin(src_files, held_out)
    return tuple(np.flatnonzero(mask).astype(np.int64) for mask in (is_train, is_val, is_test))
    ### END SOLUTION


class BasicBlock(nn.Module):
    """The residual block of ResNet-18: two 3x3 convolutions and a shortcut.

    ``out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut)``, where ``shortcut`` is
    ``x`` itself, or ``downsample(x)`` when a ``downsample`` module is given (a
    strided 1x1 convolution + BatchNorm, used when the shape changes).

    Layers (names are part of the task: they must match torchvision):
    ``conv1`` (3x3, ``stride``, padding 1, no bias), ``bn1``, ``relu``, ``conv2``
    (3x3, stride 1, padding 1, no bias), ``bn2``, ``downsample`` (may be None).

    Pitfalls: the shortcut is added *before* the last ReLU; convolutions followed by
    BatchNorm have ``bias=False`` (an extra bias is an unexpected ``state_dict`` key).

    Parameters
    ----------
    in_planes : int
        Input channels.
    planes : int
        Output channels.
    stride : int
        Stride of ``conv1``.
    downsample : nn.Module or None
        Shortcut projection.

    Examples
    --------
    >>> BasicBlock(8, 8)(torch.zeros(1, 8, 5, 5)).shape
    torch.Size([1, 8, 5, 5])
    """

    expansion = 1

    def __init__(
        self, in_planes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None
    ) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)
        ### END SOLUTION


class ResNet18(nn.Module):
    """ResNet-18 for spectrogram images, with torchvision's parameter names.

    Architecture (input ``(batch, in_channels, H, W)``):

    * stem: ``conv1`` 7x7, 64 channels, stride 2, padding 3, no bias; ``bn1``;
      ``relu``; ``maxpool`` 3x3, stride 2, padding 1;
    * ``layer1`` ... ``layer4``: ``nn.Sequential`` of two :class:`BasicBlock` each,
      with 64, 128, 256, 512 channels; the first block of ``layer2``-``layer4`` has
      stride 2 and a ``downsample = nn.Sequential(Conv2d 1x1 stride 2 no bias,
      BatchNorm2d)``;
    * ``avgpool`` (``nn.AdaptiveAvgPool2d((1, 1))``), flatten, ``fc`` (512 -> num_classes).

    Pitfalls: a ``downsample`` in ``layer1`` (not needed: 64 -> 64, stride 1) adds
    unexpected keys; forgetting ``maxpool`` or ``flatten``; ``in_channels`` must set
    ``conv1``'s input channels.

    Parameters
    ----------
    in_channels : int
        Channels of the input image (1 feature or a stack of 3).
    num_classes : int
        Number of output logits.

    Examples
    --------
    >>> ResNet18(in_channels=1, num_classes=10)(torch.zeros(2, 1, 64, 64)).shape
    torch.Size([2, 10])
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 50) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        self.conv1 = nn.Conv2d(in_channels, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        widths = (64, 128, 256, 512)
        in_planes = 64
        for index, planes in enumerate(widths, start=1):
            stride = 1 if index == 1 else 2
            downsample = None
            if stride != 1 or in_planes != planes:
                downsample = nn.Sequential(
                    nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False),
                    nn.BatchNorm2d(planes),
                )
            stage = nn.Sequential(
                BasicBlock(in_planes, planes, stride, downsample), BasicBlock(planes, planes)
            )
            setattr(self, f"layer{index}", stage)
            in_planes = planes
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512, num_classes)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))
        ### END SOLUTION
