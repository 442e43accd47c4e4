"""Training-step throughput: our loop against a loop in the style of the course's seed code.

Both loops train the same ResNet-18 (1 input channel, 50 classes) on the same
1 x 128 x 128 log-mel images with the same batch size and optimizer, in the same run:

- **ours**: the feature cache (one memory-mapped array, each batch read in one slice by
  ``make_loader``), channels-last model and batches, pinned memory and float16 autocast
  on CUDA, ``machinehearing.train.train_one_epoch``; on the CPU also with bfloat16
  autocast (``TrainConfig.cpu_amp``, fast on CPUs with native bfloat16);
- **seed-style**: one ``.pt`` file per clip loaded with ``torch.load`` in
  ``__getitem__``, default collation, contiguous (NCHW) tensors, float32.

The loops are measured in alternating rounds and the best round of each is reported
(on a shared machine the least-disturbed round is the most faithful one); data loading
alone is measured too::

    python benchmarks/training.py                 # synthetic clips, CPU or the GPU
    python benchmarks/training.py --data-root ESC-50 --clips 512 --steps 10
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from machinehearing.datasets import ESC50Dataset, make_esc50_like, make_loader, precompute
from machinehearing.models import resnet18
from machinehearing.train import resolve_device, train_one_epoch


class PerItemFiles(Dataset):
    """The seed's data path: every item is its own ``.pt`` file."""

    def __init__(self, paths: list[Path], labels: np.ndarray) -> None:
        self.paths, self.labels = paths, labels

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int):
        return torch.load(self.paths[i]), int(self.labels[i])


def seed_style_epoch(model, loader, optimizer, device) -> None:
    """A plain float32, NCHW training loop."""
    model.train()
    loss_fn = nn.CrossEntropyLoss()
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _time(fn, device, *args) -> float:
    _sync(device)
    start = time.perf_counter()
    fn(*args)
    _sync(device)
    return time.perf_counter() - start


def _drain(loader, steps: int) -> None:
    for _ in itertools.islice(loader, steps):
        pass


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", help="ESC-50 directory (default: a synthetic set)")
    parser.add_argument("--clips", type=int, default=96, help="synthetic clips (default 96)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=2, help="timed steps per round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds")
    parser.add_argument("--num-workers", type=int, default=0, help="loader workers (both)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    with tempfile.TemporaryDirectory(prefix="mh-bench-training-") as tmp:
        _run(args, device, Path(tmp))


def _run(args, device: torch.device, work: Path) -> None:
    cuda = device.type == "cuda"
    if args.data_root:
        root = Path(args.data_root)
    else:
        root = make_esc50_like(
            work / "ESC-50", n_classes=10, clips_per_class=max(1, args.clips // 10), sr=22050
        )
    cache = precompute(root, "logmel", cache_dir=work / "cache", size=(128, 128), seconds=3.0)
    ours_data = ESC50Dataset(root, "logmel", cache=cache, size=(128, 128), seconds=3.0)
    n = len(ours_data)
    files = []
    for i in range(n):  # the same images, one .pt file each
        files.append(work / "pt" / f"{i}.pt")
        files[-1].parent.mkdir(exist_ok=True)
        torch.save(ours_data[i][0].clone(), files[-1])
    seed_data = PerItemFiles(files, ours_data.labels)

    batch = args.batch_size
    ours_loader = make_loader(
        ours_data,
        batch_size=batch,
        shuffle=True,
        drop_last=True,
        num_workers=args.num_workers,
        pin_memory=cuda,
    )
    seed_loader = DataLoader(
        seed_data, batch_size=batch, shuffle=True, drop_last=True, num_workers=args.num_workers
    )

    def model_and_optimizer(channels_last):
        torch.manual_seed(0)
        model = resnet18(in_channels=1, num_classes=50).to(device)
        if channels_last:
            model = model.to(memory_format=torch.channels_last)
        return model, torch.optim.AdamW(model.parameters(), lr=1e-3)

    variants = {"seed": model_and_optimizer(False), "ours": model_and_optimizer(True)}
    if not cuda:
        variants["ours_bf16"] = model_and_optimizer(True)
    scaler = torch.amp.GradScaler("cuda") if cuda else None

    def step(name, steps):
        model, optimizer = variants[name]
        if name == "seed":
            seed_style_epoch(model, itertools.islice(seed_loader, steps), optimizer, device)
        else:
            train_one_epoch(
                model,
                itertools.islice(ours_loader, steps),
                optimizer,
                device=device,
                scaler=scaler,
                channels_last=True,
                amp=name == "ours_bf16",
            )

    loaders = {"seed_data": seed_loader, "ours_data": ours_loader}
    for name in variants:  # warm-up (allocations, kernel selection)
        step(name, 1)
    times = {name: [] for name in [*variants, *loaders]}
    for _ in range(args.rounds):
        for name in variants:
            times[name].append(_time(step, device, name, args.steps) / args.steps)
        for name, loader in loaders.items():
            times[name].append(_time(_drain, device, loader, args.steps) / args.steps)
    best = {k: min(v) for k, v in times.items()}

    name = torch.cuda.get_device_name(device) if cuda else f"cpu, {torch.get_num_threads()} threads"
    print(f"ResNet-18 training step, batch {batch} x 1 x 128 x 128, {n} clips, {name}")
    print(f"best of {args.rounds} alternating rounds of {args.steps} steps\n")
    header = f"{'loop':<58} {'s/step':>8} {'samples/s':>10} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    fast = "memmap cache, channels_last" + (", pinned, AMP fp16" if cuda else "")
    rows = [
        ("seed-style: .pt per item, NCHW, float32", best["seed"], best["seed"]),
        (f"ours: {fast}", best["ours"], best["seed"]),
    ]
    if not cuda:
        rows.append(("ours + bfloat16 autocast (cpu_amp=True)", best["ours_bf16"], best["seed"]))
    rows += [
        ("data only, seed-style (.pt per item)", best["seed_data"], best["seed_data"]),
        ("data only, ours (one memmap slice per batch)", best["ours_data"], best["seed_data"]),
    ]
    for label, seconds, reference in rows:
        print(f"{label:<58} {seconds:>8.4f} {batch / seconds:>10.1f} {reference / seconds:>5.2f}x")


if __name__ == "__main__":
    main()
