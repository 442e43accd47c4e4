"""Distributed training: 2 gloo processes on the CPU match one process on the same global batch.

DistributedDataParallel averages the gradients of the half batches, which is the gradient
of the whole batch; BatchNorm layers are synchronised (statistics over the global batch:
SyncBatchNorm on CUDA, an all-reduce BatchNorm on the CPU), so a ResNet trained by two
processes matches one trained by one process, up to float rounding.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import torch

SCRIPT = textwrap.dedent(
    """
    import sys
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset
    from machinehearing.train.distributed import setup, cleanup, unwrap
    from machinehearing.train.loop import train_one_epoch

    torch.set_num_threads(1)
    ctx = setup("cpu")
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(48) % 3
    images = torch.randn(48, 1, 8, 8, generator=g) + labels.view(-1, 1, 1, 1).float()
    data = TensorDataset(images, labels)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                          nn.Linear(4, 3))
    model = ctx.wrap(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sampler = ctx.sampler(data, shuffle=True, seed=3)
    loader = DataLoader(data, batch_size=ctx.local_batch_size(12), sampler=sampler)
    losses = []
    for epoch in range(3):
        sampler.set_epoch(epoch)
        losses.append(train_one_epoch(model, loader, opt, device="cpu"))
    if ctx.is_main:
        torch.save({"model": unwrap(model).state_dict(), "losses": losses,
                    "world_size": ctx.world_size}, sys.argv[1])
    cleanup(ctx)
    """
)


def _env():
    env = dict(os.environ, OMP_NUM_THREADS="1")
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    return env


def _torchrun(*args):
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        *args,
    ]


def test_two_gloo_processes_match_one_process_on_the_same_global_batch(tmp_path):
    script = tmp_path / "ddp_script.py"
    script.write_text(SCRIPT)
    single, double = tmp_path / "single.pt", tmp_path / "double.pt"
    subprocess.run([sys.executable, str(script), str(single)], check=True, env=_env(), timeout=120)
    subprocess.run(
        _torchrun(str(script), str(double)),
        check=True,
        env=_env(),
        timeout=120,
        capture_output=True,
    )
    one, two = torch.load(single), torch.load(double)
    assert (one["world_size"], two["world_size"]) == (1, 2)
    for name, value in one["model"].items():
        torch.testing.assert_close(two["model"][name], value, rtol=1e-4, atol=1e-5)
    # the reported metrics are averaged over both processes: same as one process
    for (loss1, acc1), (loss2, acc2) in zip(one["losses"], two["losses"], strict=True):
        assert loss2 == pytest.approx(loss1, rel=1e-4)
        assert acc2 == pytest.approx(acc1)
    assert one["losses"][-1][0] < one["losses"][0][0]  # it did train


@pytest.fixture
def one_process_group(tmp_path):
    import torch.distributed as dist

    dist.init_process_group(
        "gloo", rank=0, world_size=1, init_method=f"file://{tmp_path / 'rendezvous'}"
    )
    yield
    dist.destroy_process_group()


def test_all_reduce_batchnorm_equals_batchnorm(one_process_group):
    import copy

    from torch import nn

    from machinehearing.train.distributed import _AllReduceBatchNorm2d, _convert_batchnorm

    torch.manual_seed(0)
    ref = nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.ReLU())
    nn.init.uniform_(ref[1].weight)
    nn.init.uniform_(ref[1].bias)
    synced = _convert_batchnorm(copy.deepcopy(ref))
    assert isinstance(synced[1], _AllReduceBatchNorm2d)
    assert list(synced.state_dict()) == list(ref.state_dict())
    x = torch.randn(5, 2, 9, 9)
    for _ in range(2):
        out_ref, out = ref(x), synced(x)
        torch.testing.assert_close(out, out_ref, rtol=1e-5, atol=1e-5)
        out_ref.square().sum().backward()
        out.square().sum().backward()
    for (name, p), q in zip(ref.named_parameters(), synced.parameters(), strict=True):
        torch.testing.assert_close(q.grad, p.grad, rtol=1e-4, atol=1e-4, msg=name)
    for name, buffer in ref.named_buffers():
        torch.testing.assert_close(synced.get_buffer(name), buffer, msg=name)
    ref.eval(), synced.eval()
    torch.testing.assert_close(synced(x), ref(x))


def test_conversion_keeps_the_parameters_an_optimizer_holds():
    from machinehearing.models import resnet18
    from machinehearing.train.distributed import _convert_batchnorm

    model = resnet18()
    before = {id(p) for p in model.parameters()}
    assert {id(p) for p in _convert_batchnorm(model).parameters()} == before


@pytest.mark.slow
def test_train_under_torchrun_matches_one_process_and_writes_once(esc50_root, tmp_path):
    pytest.importorskip("machinehearing.datasets.cache", reason="needs the feature cache module")
    from machinehearing.train.config import TrainConfig
    from machinehearing.train.loop import train

    # Float rounding differences between 1 and 2 processes are amplified by training a
    # ResNet from scratch on tiny batches (as between 1 and 2 threads), so the weights
    # barely move (lr 1e-8): what is compared is the BatchNorm statistics of the global
    # batch (per-process statistics give other losses and running variances), the batch
    # order and the bookkeeping. Gradient averaging is checked exactly by the test above.
    config = TrainConfig(
        data_root=str(esc50_root),
        cache_dir=str(tmp_path / "cache"),
        size=(32, 32),
        seconds=1.0,
        epochs=2,
        batch_size=16,
        num_workers=0,
        optimizer="sgd",
        lr=1e-8,
        momentum=0.0,
        schedule="none",
        device="cpu",
        precision="float32",  # bfloat16 rounds each process's half-batch differently
    )
    config_path = tmp_path / "config.json"
    config.to_json(config_path)
    run = tmp_path / "run"
    code = (
        "import sys, torch; from machinehearing.train import TrainConfig, train; "
        "torch.set_num_threads(1); "
        "train(TrainConfig.from_json(sys.argv[1]), sys.argv[2], progress=False)"
    )
    script = tmp_path / "run_train.py"
    script.write_text(code)
    subprocess.run(
        _torchrun(str(script), str(config_path), str(run)), check=True, env=_env(), timeout=300
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        single = train(config, tmp_path / "single", progress=False)
    finally:
        torch.set_num_threads(threads)

    lines = (run / "metrics.csv").read_text().splitlines()
    assert len(lines) == 3  # header + 2 epochs, written once
    assert not list(run.glob("**/.*.tmp"))
    two = torch.load(run / "checkpoints" / "last.pt", weights_only=False)
    one = torch.load(single.run_dir / "checkpoints" / "last.pt", weights_only=False)
    assert two["epoch"] == 2 and list(two["model"]) == list(one["model"])  # unwrapped names
    for name, value in one["model"].items():
        if value.is_floating_point():  # weights and BatchNorm running statistics
            torch.testing.assert_close(two["model"][name], value, rtol=1e-4, atol=1e-5)
    for row_two, row_one in zip(two["history"], one["history"], strict=True):
        for key in ("train_loss", "train_acc", "val_loss", "val_acc"):
            assert row_two[key] == pytest.approx(row_one[key], rel=1e-4)
