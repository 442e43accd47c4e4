"""ResNet-18: torchvision's parameter names and shapes, size, shapes, init, pretrained loading."""

from __future__ import annotations

import pytest
import torch

from machinehearing.errors import ParameterError
from machinehearing.models import BasicBlock, ResNet, resnet18


def _torchvision_resnet18_shapes(in_channels: int, num_classes: int) -> dict[str, tuple]:
    """The state_dict names/shapes of torchvision.models.resnet18, built from the architecture."""
    shapes: dict[str, tuple] = {}

    def bn(prefix, c):
        for name in ("weight", "bias", "running_mean", "running_var"):
            shapes[f"{prefix}.{name}"] = (c,)
        shapes[f"{prefix}.num_batches_tracked"] = ()

    shapes["conv1.weight"] = (64, in_channels, 7, 7)
    bn("bn1", 64)
    c_in = 64
    for stage, width in enumerate([64, 128, 256, 512], start=1):
        for b in range(2):
            p = f"layer{stage}.{b}"
            first_in = c_in if b == 0 else width
            shapes[f"{p}.conv1.weight"] = (width, first_in, 3, 3)
            bn(f"{p}.bn1", width)
            shapes[f"{p}.conv2.weight"] = (width, width, 3, 3)
            bn(f"{p}.bn2", width)
            if b == 0 and stage > 1:
                shapes[f"{p}.downsample.0.weight"] = (width, c_in, 1, 1)
                bn(f"{p}.downsample.1", width)
        c_in = width
    shapes["fc.weight"] = (num_classes, 512)
    shapes["fc.bias"] = (num_classes,)
    return shapes


@pytest.mark.parametrize(("in_channels", "num_classes"), [(1, 50), (3, 1000), (3, 5)])
def test_state_dict_names_and_shapes_are_torchvision(in_channels, num_classes):
    model = resnet18(in_channels=in_channels, num_classes=num_classes)
    got = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    expected = _torchvision_resnet18_shapes(in_channels, num_classes)
    assert list(got) == list(expected)  # same names in the same order
    assert got == expected


def test_imagenet_configuration_has_11_689_512_parameters():
    model = resnet18(in_channels=3, num_classes=1000)
    assert sum(p.numel() for p in model.parameters()) == 11_689_512


@pytest.mark.parametrize("size", [(32, 32), (33, 47), (128, 128), (64, 200)])
def test_any_input_of_at_least_32_pixels_gives_logits_and_512_embedding(size):
    model = resnet18(in_channels=3, num_classes=7).eval()
    x = torch.randn(2, 3, *size)
    with torch.no_grad():
        assert model(x).shape == (2, 7)
        emb = model.forward_features(x)
    assert emb.shape == (2, 512)
    torch.testing.assert_close(model.fc(emb), model(x))


def test_too_small_input_raises_parameter_error():
    with pytest.raises(ParameterError, match="32"):
        resnet18()(torch.zeros(1, 1, 16, 64))


def test_he_init_and_batchnorm_init():
    torch.manual_seed(0)
    model = resnet18(in_channels=3, num_classes=10)
    w = model.layer3[0].conv1.weight  # fan_out = 256 * 3 * 3
    expected_std = (2.0 / (256 * 9)) ** 0.5
    assert abs(w.std().item() - expected_std) / expected_std < 0.05
    assert abs(w.mean().item()) < 0.1 * expected_std
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            assert torch.all(module.weight == 1) and torch.all(module.bias == 0)


def test_zero_init_residual_makes_each_block_start_as_identity_branch():
    model = resnet18(zero_init_residual=True)
    blocks = [m for m in model.modules() if isinstance(m, BasicBlock)]
    assert len(blocks) == 8
    assert all(torch.all(b.bn2.weight == 0) for b in blocks)
    assert all(torch.all(b.bn1.weight == 1) for b in blocks)
    block = blocks[0].eval()  # identity shortcut, bn2 output 0: relu(0 + x) == x for x >= 0
    x = torch.rand(2, 64, 8, 8)
    torch.testing.assert_close(block(x), x)


def test_resnet_requires_four_stages():
    with pytest.raises(ParameterError, match="layers"):
        ResNet(BasicBlock, [2, 2, 2])


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_invalid_channels_name_the_argument(bad):
    with pytest.raises(ParameterError, match="in_channels"):
        resnet18(in_channels=bad)


def test_pretrained_state_dict_file_is_adapted_to_one_channel_and_new_classes(tmp_path):
    source = resnet18(in_channels=3, num_classes=1000)
    path = tmp_path / "resnet18.pth"
    torch.save(source.state_dict(), path)
    model = resnet18(in_channels=1, num_classes=50, pretrained=path)
    torch.testing.assert_close(model.conv1.weight, source.conv1.weight.sum(dim=1, keepdim=True))
    torch.testing.assert_close(model.layer4[1].conv2.weight, source.layer4[1].conv2.weight)
    assert model.fc.weight.shape == (50, 512)
    same = resnet18(in_channels=3, num_classes=1000, pretrained=str(path))
    torch.testing.assert_close(same.fc.weight, source.fc.weight)


def test_pretrained_file_without_resnet_names_is_rejected(tmp_path):
    path = tmp_path / "other.pth"
    torch.save({"weight": torch.zeros(1)}, path)
    with pytest.raises(ParameterError, match="conv1.weight"):
        resnet18(pretrained=path)


def test_pretrained_true_without_torchvision_says_how_to_get_weights(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "torchvision", None)  # makes the import fail
    monkeypatch.setitem(sys.modules, "torchvision.models", None)
    with pytest.raises(ParameterError, match="pip install torchvision"):
        resnet18(pretrained=True)


def test_state_dict_interchanges_with_torchvision():
    try:
        import torchvision.models as tv_models
    except Exception as exc:  # missing, or built for another torch release
        pytest.skip(f"torchvision cannot be imported ({exc}); install the release matching torch")
    ours = resnet18(in_channels=3, num_classes=1000).eval()
    theirs = tv_models.resnet18().eval()
    theirs.load_state_dict(ours.state_dict())
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x))
