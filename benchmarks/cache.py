"""Feature-cache build speed: per-clip single-threaded kernels side by side vs batched kernels.

Usage::

    python benchmarks/cache.py [--n-clips 400] [--features logmel,mfcc,chroma] [--repeat 2]

The cache computes every clip alone with single-threaded kernels and runs ``n_jobs`` clips in
parallel, so that a clip's image never depends on the batch, the thread count or a resume
point (:mod:`machinehearing.datasets.cache`). The baseline is what that replaced: batches of
``--batch-size`` clips through the extractor with torch's own intra-op threads. Both sides
read the same wav files, build the same ``(N, C, 128, 128)`` images and are timed in the same
run (best of ``--repeat``); the table gives clips/s and ours/baseline, and the largest
difference between the two arrays.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from machinehearing import audio
from machinehearing.datasets.cache import precompute
from machinehearing.datasets.esc50 import load_metadata
from machinehearing.datasets.synthetic import make_esc50_like
from machinehearing.features.images import parse_specs
from machinehearing.transforms import FeatureExtractor


def batched(root: Path, features: str, size, batch_size: int) -> np.ndarray:
    """The baseline: batches through the extractor with torch's default threads."""
    clips = load_metadata(root)
    sr = audio.load(clips[0].path(root))[1]
    extractor = FeatureExtractor(parse_specs(features), sr=sr, size=size).eval()
    out = []
    with torch.inference_mode():
        for start in range(0, len(clips), batch_size):
            waves = [audio.load(c.path(root), sr=sr)[0] for c in clips[start : start + batch_size]]
            out.append(extractor(torch.from_numpy(np.stack(waves))).numpy())
    return np.concatenate(out)


def best_of(repeat: int, fn) -> tuple[float, np.ndarray]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-clips", type=int, default=400, help="synthetic clips (5 s, 44.1 kHz)")
    parser.add_argument("--features", default="logmel,mfcc,chroma")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="mh-cache-bench-"))
    n_classes = 50
    root = make_esc50_like(work / "ESC-50", n_classes=n_classes,
                           clips_per_class=max(1, args.n_clips // n_classes), progress=False)
    n = len(load_metadata(root))
    size = (128, 128)
    counter = iter(range(10**6))

    def ours() -> np.ndarray:
        cache = precompute(root, args.features, cache_dir=work / f"c{next(counter)}", size=size,
                           batch_size=args.batch_size, progress=False)
        return np.asarray(cache.array)

    t_base, base = best_of(args.repeat, lambda: batched(root, args.features, size,
                                                        args.batch_size))
    t_ours, mine = best_of(args.repeat, ours)
    print(f"{n} clips of 5 s at 44.1 kHz, {args.features} at 128x128, torch threads "
          f"{torch.get_num_threads()}\n")
    print("| build | clips/s | ratio to baseline |")
    print("|---|---|---|")
    print(f"| baseline: batched, intra-op threads | {n / t_base:.1f} | 1.00 |")
    print(f"| ours: per clip, single-threaded, side by side | {n / t_ours:.1f} | "
          f"{t_base / t_ours:.2f} |")
    print(f"\nmax |ours - baseline| = {np.abs(mine - base).max():.2e}")


if __name__ == "__main__":
    main()
