"""Grading throughput: K copies of a submission, in the sandbox and without it.

    python benchmarks/grading.py [--copies 4] [--submission solutions] [--device cpu]

Each configuration runs ``python -m autograde grade`` in a fresh process, as an instructor
would: the time includes starting the grader, each student's sandbox (bubblewrap, and a fork
server importing numpy and torch) and the references of the public cases (computed once per
run), so the seconds per submission fall as K grows. Rows: the sandbox with ``--jobs 1`` and
``--jobs 2``, and ``--insecure`` (the same fork server and child, in a plain subprocess
without namespaces) with ``--jobs 1``, the baseline the sandbox is compared with in the same
run. Target: the sandbox costs at most 1.5x the unsandboxed grading (CPU checks; the
GPU-only full training checks run only with --device cuda).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def grade_seconds(root: Path, out: Path, *, jobs: int, device: str, package: str,
                  insecure: bool) -> float:
    """Wall-clock seconds of one ``python -m autograde grade`` run over ``root``."""
    command = [sys.executable, "-m", "autograde", "grade", str(root), "--out", str(out),
               "--jobs", str(jobs), "--device", device, "--exercises", package, "--no-figures"]
    env = {**os.environ, "AUTOGRADE_SECRET": os.environ.get("AUTOGRADE_SECRET",
                                                             "benchmark-secret")}
    start = time.perf_counter()
    run = subprocess.run(command + (["--insecure"] if insecure else []), capture_output=True,
                         text=True, env=env)
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
    parser.add_argument("--repeat", type=int, default=2,
                        help="runs per configuration, interleaved; the fastest counts (the "
                             "first run of a process also pays for cold files)")
    args = parser.parse_args()
    source = Path(args.submission).resolve()
    configurations = [("no sandbox (--insecure)", 1, True), ("sandbox", 1, False),
                      ("sandbox", 2, False)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "class"
        root.mkdir()
        for k in range(args.copies):
            os.symlink(source, root / f"student{k:02d}")
        best = [float("inf")] * len(configurations)
        for r in range(args.repeat):
            for i, (_label, jobs, insecure) in enumerate(configurations):
                seconds = grade_seconds(root, Path(tmp) / f"out{i}-{r}", jobs=jobs,
                                        device=args.device, package=args.exercises,
                                        insecure=insecure)
                best[i] = min(best[i], seconds)
        for (label, jobs, _insecure), seconds in zip(configurations, best, strict=True):
            rows.append((label, jobs, seconds, seconds / args.copies))
    base = rows[0][3]
    print(f"{args.copies} copies of {source.name}, device={args.device}, "
          f"{os.cpu_count()} CPUs, fastest of {args.repeat} runs")
    print(f"{'configuration':<24} {'jobs':>4} {'total s':>8} {'s / submission':>15} "
          f"{'vs no sandbox':>14}")
    for label, jobs, total, per in rows:
        print(f"{label:<24} {jobs:>4} {total:>8.1f} {per:>15.2f} {per / base:>13.2f}x")


if __name__ == "__main__":
    main()
