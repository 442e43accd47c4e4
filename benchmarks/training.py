"""Training-step throughput: our loop against a loop in the style of the course's seed code.

Every configuration trains the same ResNet-18 (1 input channel, 50 classes) on the same
1 x 128 x 128 log-mel images with the same batch size and AdamW:

- **seed-style**: one ``.pt`` file per clip loaded with ``torch.load`` in ``__getitem__``,
  default collation, contiguous (NCHW) tensors, float32, torch's default AdamW;
- **ours (default)**: what ``machinehearing train`` does with the default ``TrainConfig``:
  the memory-mapped feature cache read one slice per batch (``make_loader``),
  channels-last model and batches, the fused AdamW kernel, and ``precision="auto"``
  (bfloat16 autocast on CPUs with native bfloat16, float32 elsewhere;
  :mod:`machinehearing.train.precision`); on CUDA float16 autocast;
- one row per option: the default with one setting changed (float32, NCHW, the foreach
  optimizer, ``torch.compile``).

Each configuration runs in its own process (so that its peak RSS is its own), one process per
configuration and round, the configurations taking turns round after round so that they see
the same load; the table gives the median round. The course-preset estimate is the default's
measured training step and evaluation rate scaled to one fold of ESC-50 (1600 training clips,
400 validation clips, 50 epochs)::

    python benchmarks/training.py                      # synthetic clips, CPU or the GPU
    python benchmarks/training.py --rounds 5 --steps 4 --threads 2
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from machinehearing.datasets import ESC50Dataset, make_esc50_like, make_loader, precompute
from machinehearing.models import resnet18
from machinehearing.train import TrainConfig, evaluate, resolve_device, train_one_epoch
from machinehearing.train.precision import (
    autocast_enabled,
    compile_model,
    optimizer_kwargs,
    resolve_precision,
    to_memory_format,
)

SIZE, SECONDS = (128, 128), 3.0
#: ESC-50, one fold of the course preset: 4 folds train, 1 fold validates, 50 epochs
COURSE_TRAIN, COURSE_VAL = 1600, 400
#: label -> (data path, TrainConfig overrides, optimizer kernel or None for optimizer_kwargs)
CONFIGS = {
    "seed-style: .pt per item, NCHW, float32": ("seed", {}, {}),
    "ours (default)": ("ours", {}, None),
    "  option: precision='float32'": ("ours", {"precision": "float32"}, None),
    "  option: channels_last=False (NCHW)": ("ours", {"channels_last": False}, None),
    "  option: foreach AdamW instead of fused": ("ours", {}, {"foreach": True}),
    "  option: compile=True (torch.compile)": ("ours", {"compile": True}, None),
}


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


def _prepare(work: Path, clips: int) -> dict:
    """The synthetic set, its feature cache and the same images as one .pt file each."""
    root = make_esc50_like(
        work / "ESC-50", n_classes=10, clips_per_class=max(1, clips // 10), sr=22050
    )
    cache = precompute(root, "logmel", cache_dir=work / "cache", size=SIZE, seconds=SECONDS)
    data = ESC50Dataset(root, "logmel", cache=cache, size=SIZE, seconds=SECONDS)
    (work / "pt").mkdir(exist_ok=True)
    for i in range(len(data)):
        torch.save(data[i][0].clone(), work / "pt" / f"{i}.pt")
    np.save(work / "labels.npy", data.labels)
    return {"root": str(root), "cache": str(work / "cache"), "n": len(data)}


def _worker(args) -> None:
    """Time one configuration in this process and print one JSON line."""
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    data_path, overrides, kernel = CONFIGS[args.worker]
    prepared = json.loads(args.prepared)
    work = Path(args.work)
    config = TrainConfig(**overrides)
    batch = args.batch_size
    torch.manual_seed(0)
    model = resnet18(in_channels=1, num_classes=50).to(device)
    if data_path == "seed":
        files = [work / "pt" / f"{i}.pt" for i in range(prepared["n"])]
        dataset = PerItemFiles(files, np.load(work / "labels.npy"))
        loader = DataLoader(dataset, batch_size=batch, shuffle=True, drop_last=True)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)

        def steps(n):
            seed_style_epoch(model, itertools.islice(itertools.cycle(loader), n), optimizer, device)

        amp, channels_last = False, False
    else:
        cache = precompute(
            prepared["root"], "logmel", cache_dir=prepared["cache"], size=SIZE, seconds=SECONDS
        )
        dataset = ESC50Dataset(prepared["root"], "logmel", cache=cache, size=SIZE, seconds=SECONDS)
        loader = make_loader(dataset, batch_size=batch, shuffle=True, drop_last=True)
        channels_last = config.channels_last
        amp = autocast_enabled(config.precision, device, cuda_amp=config.amp)
        model = compile_model(
            to_memory_format(model, channels_last), enabled=config.compile, device=device
        )
        kernel = optimizer_kwargs(device) if kernel is None else kernel
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, **kernel)
        scaler = torch.amp.GradScaler("cuda") if amp and device.type == "cuda" else None

        def steps(n):
            train_one_epoch(
                model,
                itertools.islice(itertools.cycle(loader), n),
                optimizer,
                device=device,
                scaler=scaler,
                channels_last=channels_last,
                amp=amp,
            )

    _sync(device)
    start = time.perf_counter()
    steps(args.warmup)  # allocations, kernel selection, compilation
    _sync(device)
    warmup = time.perf_counter() - start
    start = time.perf_counter()
    steps(args.steps)
    _sync(device)
    step = (time.perf_counter() - start) / args.steps
    result = {"step": step, "warmup": warmup, "amp": amp}
    if args.worker == "ours (default)":  # the evaluation rate, for the course estimate
        val = itertools.islice(itertools.cycle(loader), args.steps)
        start = time.perf_counter()
        evaluate(model, val, device=device, channels_last=channels_last, amp=amp)
        _sync(device)
        result["eval_step"] = (time.perf_counter() - start) / args.steps
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    result["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    print(json.dumps(result))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=160, help="synthetic clips (default 160)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per round")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (median reported)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--prepared", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args)
        return
    with tempfile.TemporaryDirectory(prefix="mh-bench-training-") as tmp:
        _run(args, Path(tmp))


def _run(args, work: Path) -> None:
    prepared = _prepare(work, args.clips)
    forwarded = ["--batch-size", str(args.batch_size), "--steps", str(args.steps)]
    forwarded += ["--warmup", str(args.warmup), "--device", args.device]
    if args.threads:
        forwarded += ["--threads", str(args.threads)]
    labels = list(CONFIGS)
    results: dict[str, list[dict]] = {label: [] for label in labels}
    for _ in range(args.rounds):
        for label in labels:
            done = subprocess.run(
                [sys.executable, __file__, "--worker", label, "--work", str(work)]
                + ["--prepared", json.dumps(prepared), *forwarded],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                sys.exit(f"{label!r} failed:\n{done.stderr[-3000:]}")
            results[label].append(json.loads(done.stdout.strip().splitlines()[-1]))
            for line in done.stderr.splitlines():
                if "Warning" in line:
                    print(f"[{label.strip()}] {line.strip()}", file=sys.stderr)

    device = resolve_device(args.device)
    cuda = device.type == "cuda"
    threads = args.threads or torch.get_num_threads()
    name = torch.cuda.get_device_name(device) if cuda else f"cpu, {threads} threads"
    chosen = resolve_precision("auto", device) if not cuda else "float16 autocast (amp)"
    print(f"ResNet-18 training step, batch {args.batch_size} x 1 x 128 x 128, AdamW, {name}")
    print(f"precision='auto' chose {chosen} on this machine")
    print(f"median of {args.rounds} rounds of {args.steps} steps (+{args.warmup} warm-up), "
          "one process per configuration and round\n")  # fmt: skip
    header = (
        f"{'configuration':<44} {'s/step':>7} {'samples/s':>9} {'ratio':>6} "
        f"{'spread':>13} {'warm-up s':>9} {'peak RSS':>9}"
    )
    print(header)
    print("-" * len(header))
    median = {k: statistics.median(r["step"] for r in v) for k, v in results.items()}
    reference = median[labels[0]]
    for label in labels:
        steps = [r["step"] for r in results[label]]
        spread = f"{args.batch_size / max(steps):.1f}-{args.batch_size / min(steps):.1f}"
        warm = statistics.median(r["warmup"] for r in results[label])
        rss = max(r["rss"] for r in results[label]) / 2**20
        print(
            f"{label:<44} {median[label]:>7.3f} {args.batch_size / median[label]:>9.1f} "
            f"{reference / median[label]:>5.2f}x {spread:>13} {warm:>9.1f} {rss:>6.0f} MiB"
        )
    default = results["ours (default)"]
    step = statistics.median(r["step"] for r in default)
    eval_step = statistics.median(r["eval_step"] for r in default)
    epoch = (COURSE_TRAIN // args.batch_size) * step + (COURSE_VAL / args.batch_size) * eval_step
    epochs = TrainConfig.preset("course").epochs
    print(
        f"\ncourse preset, one fold ({COURSE_TRAIN} training + {COURSE_VAL} validation clips, "
        f"{epochs} epochs), estimated from 'ours (default)': {epoch:.0f} s per epoch "
        f"(evaluation {args.batch_size / eval_step:.0f} samples/s), "
        f"{epochs * epoch / 3600:.1f} h in all"
    )


if __name__ == "__main__":
    main()
