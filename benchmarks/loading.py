"""Data loading speed: the memory-mapped feature cache vs one ``.pt`` file per clip.

Usage::

    python benchmarks/loading.py [--root DATA [--cache-dir DIR]] [--features logmel,mfcc,chroma]

Both sides iterate one training epoch (every item once, shuffled, batches of
``--batch-size``) and return the same ``(float32 (B, C, H, W), int64 (B,))`` batches:

- **cache**: :class:`~machinehearing.datasets.cache.ESC50Dataset` over a
  :class:`~machinehearing.datasets.cache.FeatureCache` with
  :func:`~machinehearing.datasets.cache.make_loader` (each batch is one read of the memory map);
- **per-file**: the original course's pattern, one ``torch.load`` of a ``.pt`` file (the
  item's image and label) per item, batched by a plain ``DataLoader``. The files are written
  from the same cache into a temporary directory.

Without ``--root`` a synthetic ESC-50-like set of ``--n-clips`` short clips is generated and
its cache is built (the image size, not the audio length, decides the loading cost). Times
are the best of ``--repeat`` epochs after one warm-up epoch (files in the page cache), same
process, same run; ``--workers`` applies to both sides. Target (issue 4): the cache at least
20x the per-file pattern.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from machinehearing.datasets.cache import ESC50Dataset, make_loader
from machinehearing.datasets.synthetic import make_esc50_like


class PtFiles(Dataset):
    """The per-file pattern: item ``i`` is ``torch.load(files[i])`` -> ``(image, label)``."""

    def __init__(self, files: list[Path]):
        self.files = files

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int):
        item = torch.load(self.files[i])
        return item["x"], item["y"]


def write_pt_files(dataset: ESC50Dataset, directory: Path) -> list[Path]:
    files = []
    for i in range(len(dataset)):
        x, y = dataset[i]
        path = directory / f"{i:05d}.pt"
        torch.save({"x": x.clone(), "y": y}, path)
        files.append(path)
    return files


def epoch_seconds(loader, repeat: int) -> float:
    """Best wall-clock seconds of one pass over ``loader`` (after a warm-up pass)."""
    best = np.inf
    for r in range(repeat + 1):
        start = time.perf_counter()
        n = 0
        for x, y in loader:
            n += len(y)
            assert x.dtype == torch.float32 and y.dtype == torch.int64
        if r:
            best = min(best, time.perf_counter() - start)
    return best


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=None, help="ESC-50 directory (default: synthetic)")
    parser.add_argument("--cache-dir", default=None, help="cache directory (with --root)")
    parser.add_argument("--features", default="logmel,mfcc,chroma")
    parser.add_argument("--size", type=int, nargs=2, default=(128, 128))
    parser.add_argument("--dtype", choices=["float32", "float16"], default="float32")
    parser.add_argument("--n-clips", type=int, default=2000, help="synthetic set size")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.root is None:
            n_classes = 50
            root = make_esc50_like(tmp / "ESC-50", n_classes=n_classes,
                                   clips_per_class=max(1, args.n_clips // n_classes),
                                   sr=8000, duration=0.25, progress=False)
        else:
            root = Path(args.root)
        start = time.perf_counter()
        dataset = ESC50Dataset(root, args.features, size=tuple(args.size), dtype=args.dtype,
                               cache_dir=tmp / "cache" if args.root is None else args.cache_dir)
        print(f"cache: {tuple(dataset.cache.array.shape)} {dataset.cache.array.dtype.name} "
              f"ready in {time.perf_counter() - start:.1f} s")
        (tmp / "pt").mkdir()
        files = write_pt_files(dataset, tmp / "pt")

        loaders = {
            "cache (memmap)": make_loader(dataset, batch_size=args.batch_size, shuffle=True,
                                          num_workers=args.workers),
            "per-file torch.load": DataLoader(PtFiles(files), batch_size=args.batch_size,
                                              shuffle=True, num_workers=args.workers),
        }
        rates = {name: len(dataset) / epoch_seconds(loader, args.repeat)
                 for name, loader in loaders.items()}
    print(f"\n{len(dataset)} items of {tuple(dataset.cache.array.shape[1:])}, batch "
          f"{args.batch_size}, shuffled, {args.workers} workers, best of {args.repeat} epochs")
    print(f"{'pattern':<22}{'items/s':>12}{'ratio':>10}")
    baseline = rates["per-file torch.load"]
    for name, rate in rates.items():
        print(f"{name:<22}{rate:>12,.0f}{rate / baseline:>9.1f}x")


if __name__ == "__main__":
    main()
