"""``machinehearing download``, ``machinehearing verify`` and ``machinehearing features``.

The dataset directory defaults to ``$MACHINEHEARING_DATA`` when set, else ``./data/ESC-50``.
"""

from __future__ import annotations

import argparse
import time

_ROOT_HELP = "dataset directory (default: $MACHINEHEARING_DATA, else ./data/ESC-50)"

DESCRIPTION_DOWNLOAD = """\
Download the ESC-50 archive (GitHub master zip of karolpiczak/ESC-50, about 600 MB),
check it, and extract it into ROOT atomically. An interrupted download resumes where it
stopped; a verified dataset is not downloaded again (use --force to replace it).

examples:
  machinehearing download
  machinehearing download --root ~/datasets/ESC-50 --sha256 <hash printed last time>
"""

DESCRIPTION_VERIFY = """\
Check an ESC-50 directory: the metadata columns and rows, every listed audio file (readable,
sampling rate, length), the clips per class and fold, and that no source recording spans two
folds. Prints the problems and exits with status 1 when there are any.

example:
  machinehearing verify --root data/ESC-50 --sr 44100 --duration 5
"""

DESCRIPTION_FEATURES = """\
Precompute the feature images of every clip into one memory-mapped cache (N, C, H, W) that
training reads. The cache directory is named by a hash of all parameters and of the dataset,
so it is reused only when nothing changed; an interrupted run resumes.

examples:
  machinehearing features --features logmel,mfcc,chroma
  machinehearing features --root data/ESC-50 --features logmel --size 128 128 --seconds 3 \\
      --dtype float16 --device cuda
"""


def _root(args: argparse.Namespace):
    from ..datasets.esc50 import default_root

    return args.root if args.root is not None else default_root()


def _add_root(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", default=None, help=_ROOT_HELP)


def configure_download(parser: argparse.ArgumentParser) -> None:
    _add_root(parser)
    parser.add_argument("--force", action="store_true",
                        help="download again even if ROOT holds a verified dataset")
    parser.add_argument("--url", default=None, help="archive URL (default: the official one)")
    parser.add_argument("--sha256", default=None,
                        help="expected SHA-256 of the archive (default: not pinned; the "
                             "computed hash is printed and the files are verified)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run_download(args: argparse.Namespace) -> int:
    from ..datasets.download import URL, download

    root = download(_root(args), url=args.url or URL, sha256=args.sha256, force=args.force,
                    progress=not args.quiet)
    print(f"ESC-50 ready in {root}")
    return 0


def configure_verify(parser: argparse.ArgumentParser) -> None:
    _add_root(parser)
    parser.add_argument("--sr", type=int, default=None,
                        help="expected sampling rate (default: the rate of most files)")
    parser.add_argument("--duration", type=float, default=None,
                        help="expected clip length in seconds (default: that of most files)")


def run_verify(args: argparse.Namespace) -> int:
    from ..datasets.download import verify

    report = verify(_root(args), sr=args.sr, duration=args.duration)
    print(report)
    return 0 if report.ok else 1


def configure_features(parser: argparse.ArgumentParser) -> None:
    _add_root(parser)
    parser.add_argument("--features", default="logmel",
                        help="comma-separated feature specs, e.g. logmel,mfcc:n_mfcc=40,chroma "
                             "(default: logmel)")
    parser.add_argument("--size", type=int, nargs=2, default=(128, 128),
                        metavar=("HEIGHT", "WIDTH"), help="image size (default: 128 128)")
    parser.add_argument("--seconds", type=float, default=None,
                        help="crop/pad every clip to this length (default: whole clips)")
    parser.add_argument("--sr", type=int, default=None,
                        help="resample to this rate (default: the files' rate)")
    parser.add_argument("--dtype", choices=["float32", "float16"], default="float32",
                        help="storage type (default: float32)")
    parser.add_argument("--cache-dir", default=None,
                        help="where caches live (default: ROOT/.cache/features)")
    parser.add_argument("--batch-size", type=int, default=32,
                        help="clips per resumable chunk (and per GPU batch)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="clips computed in parallel on the CPU (default: every usable CPU)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run_features(args: argparse.Namespace) -> int:
    from ..datasets.cache import precompute

    start = time.perf_counter()
    cache = precompute(_root(args), args.features, cache_dir=args.cache_dir,
                       size=tuple(args.size), seconds=args.seconds, sr=args.sr,
                       dtype=args.dtype, batch_size=args.batch_size, device=args.device,
                       n_jobs=args.jobs, progress=not args.quiet)
    megabytes = cache.array.nbytes / 2**20
    print(f"{cache.path}: {tuple(cache.array.shape)} {cache.array.dtype.name} "
          f"({megabytes:.0f} MiB) in {time.perf_counter() - start:.1f} s")
    return 0
