"""Neural network models: a ResNet-18 written from scratch with torchvision's parameter names.

Names are imported lazily, so ``import machinehearing.models`` does not import torch
until a model is used.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__, {"resnet18": ".resnet", "ResNet": ".resnet", "BasicBlock": ".resnet"}
)
