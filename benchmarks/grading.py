"""Grading throughput: K copies of a submission graded with --jobs 1 and --jobs 2.

    python benchmarks/grading.py [--copies 4] [--submission solutions] [--device cpu]

Each job count runs ``python -m autograde grade`` in a fresh process, as an instructor
would: the time includes starting the grader, the fork servers and the references of the
public cases (computed once per run), so the seconds per submission fall as K grows.
Prints seconds per submission for each job count (CPU checks; the GPU-only full training
check runs only with --device cuda). Target: < 60 s per full submission.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def grade_seconds(root: Path, out: Path, *, jobs: int, device: str, package: str) -> float:
    """Wall-clock seconds of one ``python -m autograde grade`` run over ``root``."""
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "autograde", "grade", str(root), "--out",
                          str(out), "--jobs", str(jobs), "--device", device, "--exercises",
                          package], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        sys.exit(f"grading failed:\n{run.stdout}{run.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--submission", default="solutions")
    parser.add_argument("--exercises", default="autograde.exercises")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"))
    args = parser.parse_args()
    source = Path(args.submission).resolve()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "class"
        root.mkdir()
        for k in range(args.copies):
            os.symlink(source, root / f"student{k:02d}")
        for jobs in (1, 2):
            seconds = grade_seconds(root, Path(tmp) / f"out{jobs}", jobs=jobs,
                                    device=args.device, package=args.exercises)
            rows.append((jobs, seconds, seconds / args.copies))
    print(f"{'jobs':>4}  {'total s':>8}  {'s / submission':>14}   ({args.copies} copies of "
          f"{source.name}, device={args.device}, {os.cpu_count()} CPUs)")
    for jobs, total, per in rows:
        print(f"{jobs:>4}  {total:>8.1f}  {per:>14.1f}")
    print(f"speed-up jobs=2 vs jobs=1: {rows[0][1] / rows[1][1]:.2f}x")


if __name__ == "__main__":
    main()
