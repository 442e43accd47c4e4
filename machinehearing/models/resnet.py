"""ResNet-18 (He et al., 2016) written from scratch, with torchvision's parameter names.

The network is *declared* rather than spelled out layer by layer: a residual
:class:`BasicBlock`, and a :class:`ResNet` that stacks four stages of blocks with
``_make_layer``. The parameter names and shapes are exactly those of
``torchvision.models.resnet18``, so a ``state_dict`` moves between the two unchanged
(``conv1``, ``bn1``, ``layer1.0.conv1``, ..., ``layer4.1.downsample.0``, ``fc``).

The spectrogram images of the course have one channel (one feature) or three
(a stack of three features); ``in_channels`` sets the first convolution accordingly.
Adaptive average pooling makes any input of at least 32 x 32 pixels work.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import Tensor, nn

from ..errors import ParameterError

__all__ = ["BasicBlock", "ResNet", "resnet18"]

#: smallest input height/width: five stride-2 stages reduce 32 pixels to 1
MIN_SIZE = 32


def _conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """3x3 convolution with padding 1 and no bias (a BatchNorm follows)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual (identity or projection) shortcut.

    ``out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))``, where the
    shortcut is the identity, or a strided 1x1 convolution + BatchNorm
    (``downsample``) when the shape changes.

    Parameters
    ----------
    in_planes : int
        Channels of the input.
    planes : int
        Channels of the output.
    stride : int
        Stride of the first convolution (2 halves height and width).
    downsample : nn.Module or None
        Projection applied to the input for the shortcut.

    Examples
    --------
    >>> import torch
    >>> block = BasicBlock(64, 128, stride=2, downsample=torch.nn.Sequential(
    ...     torch.nn.Conv2d(64, 128, 1, stride=2, bias=False), torch.nn.BatchNorm2d(128)))
    >>> block(torch.zeros(2, 64, 16, 16)).shape
    torch.Size([2, 128, 8, 8])
    """

    #: output channels = ``planes * expansion`` (1 for the basic block)
    expansion = 1

    def __init__(
        self,
        in_planes: int,
        planes: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
    ) -> None:
        super().__init__()
        self.conv1 = _conv3x3(in_planes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """A residual network: stem, four stages of residual blocks, pooling, classifier.

    Parameters
    ----------
    block : type
        Residual block class (:class:`BasicBlock`).
    layers : sequence of int
        Number of blocks in each of the four stages (``[2, 2, 2, 2]`` for ResNet-18).
    in_channels : int
        Channels of the input image (1 for one feature, 3 for a stack of three).
    num_classes : int
        Number of output logits.
    zero_init_residual : bool
        Initialise the last BatchNorm of every block with weight 0, so that each
        residual branch starts as the identity (Goyal et al., 2017).

    Examples
    --------
    >>> import torch
    >>> model = ResNet(BasicBlock, [2, 2, 2, 2], in_channels=1, num_classes=10)
    >>> model(torch.zeros(2, 1, 64, 64)).shape
    torch.Size([2, 10])
    """

    def __init__(
        self,
        block: type[BasicBlock],
        layers: list[int] | tuple[int, ...],
        *,
        in_channels: int = 1,
        num_classes: int = 50,
        zero_init_residual: bool = False,
    ) -> None:
        super().__init__()
        if len(layers) != 4:
            raise ParameterError(f"layers must list 4 stage depths, got {list(layers)}")
        self.in_planes = 64
        self.conv1 = nn.Conv2d(
            in_channels, self.in_planes, kernel_size=7, stride=2, padding=3, bias=False
        )
        self.bn1 = nn.BatchNorm2d(self.in_planes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        self._init_weights(zero_init_residual)

    def _make_layer(self, block: type[BasicBlock], planes: int, blocks: int, stride: int = 1):
        """One stage: the first block may change stride/width, the others keep the shape."""
        downsample = None
        if stride != 1 or self.in_planes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.in_planes, planes * block.expansion, 1, stride=stride, bias=False),
                nn.BatchNorm2d(planes * block.expansion),
            )
        stage = [block(self.in_planes, planes, stride, downsample)]
        self.in_planes = planes * block.expansion
        stage += [block(self.in_planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*stage)

    def _init_weights(self, zero_init_residual: bool) -> None:
        """He (kaiming normal, fan_out) for convolutions, BatchNorm weight 1 and bias 0."""
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.constant_(module.weight, 1)
                nn.init.constant_(module.bias, 0)
        if zero_init_residual:
            for module in self.modules():
                if isinstance(module, BasicBlock):
                    nn.init.constant_(module.bn2.weight, 0)

    def forward_features(self, x: Tensor) -> Tensor:
        """The penultimate embedding: globally pooled ``layer4`` output, shape (batch, 512).

        Examples
        --------
        >>> import torch
        >>> resnet18(num_classes=5).forward_features(torch.zeros(3, 1, 32, 32)).shape
        torch.Size([3, 512])
        """
        if x.ndim != 4 or min(x.shape[-2:]) < MIN_SIZE:
            raise ParameterError(
                f"x must be a (batch, channels, height, width) tensor with height and width "
                f">= {MIN_SIZE}, got shape {tuple(x.shape)}"
            )
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(self.avgpool(x), 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.forward_features(x))


def resnet18(
    *,
    in_channels: int = 1,
    num_classes: int = 50,
    pretrained: bool | str | os.PathLike = False,
    zero_init_residual: bool = False,
) -> ResNet:
    """ResNet-18: four stages of two :class:`BasicBlock` each (11.7 M parameters).

    Parameters
    ----------
    in_channels : int
        Channels of the input image (1 for one feature, 3 for a stack of three).
    num_classes : int
        Number of classes (50 for ESC-50 classes, 5 for its categories).
    pretrained : bool or path-like
        ``True`` loads torchvision's ImageNet weights (needs ``torchvision``; downloads
        them once). A path loads a ``state_dict`` file saved from
        ``torchvision.models.resnet18`` (or from this model) instead. With one input
        channel the first convolution's weights are summed over RGB; the classifier
        is replaced (freshly initialised) when ``num_classes != 1000``.
    zero_init_residual : bool
        Start every residual branch as the identity (last BatchNorm weight 0).

    Returns
    -------
    ResNet

    Examples
    --------
    >>> import torch
    >>> model = resnet18(in_channels=1, num_classes=50)
    >>> model(torch.zeros(2, 1, 128, 128)).shape
    torch.Size([2, 50])
    >>> sum(p.numel() for p in resnet18(in_channels=3, num_classes=1000).parameters())
    11689512
    """
    for name, value in (("in_channels", in_channels), ("num_classes", num_classes)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ParameterError(f"{name} must be a positive integer, got {value!r}")
    model = ResNet(
        BasicBlock,
        [2, 2, 2, 2],
        in_channels=in_channels,
        num_classes=num_classes,
        zero_init_residual=zero_init_residual,
    )
    if pretrained is not False and pretrained is not None:
        state = (
            _imagenet_state_dict()
            if pretrained is True
            else torch.load(Path(pretrained), map_location="cpu", weights_only=True)
        )
        model.load_state_dict(_adapt_state_dict(state, model), strict=True)
    return model


def _imagenet_state_dict() -> Mapping[str, Tensor]:
    """torchvision's ImageNet-1k ResNet-18 weights, or a ParameterError saying how to get them."""
    try:
        from torchvision.models import ResNet18_Weights
    except ImportError as exc:
        raise ParameterError(
            "pretrained=True needs torchvision for the ImageNet weights, and it cannot be "
            f"imported ({exc}). Install the torchvision release that matches your torch "
            f"{torch.__version__} (pip install torchvision, see "
            "https://pytorch.org/get-started/previous-versions/), or pass "
            "pretrained='resnet18.pth', a state_dict file saved with "
            "torch.save(torchvision.models.resnet18(weights='IMAGENET1K_V1').state_dict(), ...)"
        ) from exc
    return ResNet18_Weights.IMAGENET1K_V1.get_state_dict(progress=True)


def _adapt_state_dict(state: Mapping[str, Tensor], model: ResNet) -> dict[str, Tensor]:
    """Fit a torchvision-named state_dict to ``model``'s input channels and classes."""
    if not isinstance(state, Mapping) or "conv1.weight" not in state:
        raise ParameterError(
            "pretrained must name a ResNet-18 state_dict file (torchvision parameter names); "
            "the file loaded has no 'conv1.weight'"
        )
    target = model.state_dict()
    state = dict(state)
    conv1 = state["conv1.weight"]
    want = target["conv1.weight"].shape[1]
    if conv1.shape[1] != want:
        if want == 1:
            state["conv1.weight"] = conv1.sum(dim=1, keepdim=True)
        else:
            raise ParameterError(
                f"pretrained weights have {conv1.shape[1]} input channels; in_channels={want} "
                "can only use them when it is 1 (RGB weights are summed) or equal"
            )
    if state["fc.weight"].shape != target["fc.weight"].shape:
        state["fc.weight"], state["fc.bias"] = target["fc.weight"], target["fc.bias"]
    return state
