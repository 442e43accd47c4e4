"""Precomputed feature images, and the torch ``Dataset`` / ``DataLoader`` that read them.

Computing log-mel, MFCC and chroma images for every clip in every epoch costs far more than
training on them, and reading one small file per clip (the per-clip ``.pt`` pattern) is slow
too. :func:`precompute` therefore runs the batched :class:`machinehearing.transforms.
FeatureExtractor` once over a dataset and stores all images in **one** memory-mappable
``features.npy`` of shape ``(N, C, H, W)``, next to an ``index.json`` describing it.

The cache directory is named by a hash of everything the images depend on (feature specs,
image size, crop length, sampling rate, storage dtype, package version and a fingerprint of
the dataset: the metadata file's content plus the size and modification time of every listed
audio file), so changing any of them can never reuse a stale cache. The build is chunked: after
each batch the array is flushed and the number of finished clips is written atomically to
``progress.json``; a killed run (even ``kill -9``) resumes where it stopped when called again.
The work happens in ``<key>.partial/``; the ``complete`` marker is written last and the
directory is renamed to ``<key>/`` in one step.

**Reproducibility contract.** On the CPU, a clip's cached image depends on the clip and the
parameters alone: not on the batch it was computed in, the number of worker threads
(``n_jobs``), the process's torch/BLAS/OpenMP thread settings, or where an interrupted build
was resumed. Each clip is computed alone, from its own freshly allocated (so equally aligned)
buffer, with single-threaded kernels (intra-op parallelism would let the thread count change
the order of floating-point sums, and vectorised FFT and BLAS kernels may take another path for
another memory alignment); the parallelism is across clips instead. A resumed build is
therefore bit-identical to an uninterrupted one. On CUDA, clips are computed in batches of
``batch_size`` for speed; the images agree with the CPU's to float32 rounding, not bit for bit.

Layout::

    <cache_dir>/<key>/features.npy   (N, C, H, W) float32 or float16
    <cache_dir>/<key>/index.json     specs, size, seconds, sr, dtype, filenames, fingerprint,
                                     version, key
    <cache_dir>/<key>/complete       written last
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from os import PathLike
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from torch.utils.data import BatchSampler, DataLoader, Dataset, RandomSampler, SequentialSampler
from tqdm.auto import tqdm

from .. import audio
from .._io import atomic_write_json, atomic_write_text
from .._threads import available_cpus, single_threaded, single_threaded_worker
from .._version import __version__
from ..errors import DataError, ParameterError
from ..features.images import FeatureSpec, _check_size, extract, parse_specs
from .esc50 import METADATA_FILE, Clip, LabelMap, labels, load_metadata

__all__ = ["precompute", "FeatureCache", "ESC50Dataset", "make_loader", "cache_key",
           "fingerprint", "DTYPES"]

#: storage types of the cache
DTYPES = ("float32", "float16")

_FORMAT = 2
_ARRAY, _INDEX, _PROGRESS, _COMPLETE = "features.npy", "index.json", "progress.json", "complete"


def _check_dtype(dtype) -> str:
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if name not in DTYPES:
        raise ParameterError(f"dtype must be one of {DTYPES}, got {dtype!r}")
    return name


def fingerprint(root: str | PathLike, clips: Sequence[Clip] | None = None) -> str:
    """A cheap fingerprint of a dataset: its metadata file and its audio files' sizes/mtimes.

    Hashes the content of ``meta/esc50.csv`` and, for each listed clip, its file name, size
    and modification time (nanoseconds). Reading every file's content would cost seconds on
    ESC-50; a file replaced in place changes its mtime, so the cache is rebuilt.

    Examples
    --------
    >>> import tempfile
    >>> from machinehearing.datasets.synthetic import make_esc50_like
    >>> root = make_esc50_like(tempfile.mkdtemp() + "/d", n_classes=5, clips_per_class=5,
    ...                        sr=8000, duration=0.5, progress=False)
    >>> len(fingerprint(root))
    64
    """
    root = Path(root)
    clips = load_metadata(root) if clips is None else clips
    digest = hashlib.sha256((root / METADATA_FILE).read_bytes())
    for clip in clips:
        stat = clip.path(root).stat()
        digest.update(f"{clip.filename}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def cache_key(description: dict) -> str:
    """Hash (16 hex digits) of a cache description; any changed value changes the key."""
    text = json.dumps(description, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _native_rate(root: Path, clips: Sequence[Clip]) -> int:
    try:
        return sf.info(str(clips[0].path(root))).samplerate
    except (OSError, RuntimeError) as exc:
        raise DataError(f"cannot read {clips[0].path(root)}: {exc}; run 'machinehearing "
                        "verify' on the dataset") from None


def _map(path: Path) -> np.memmap:
    """Map ``features.npy`` copy-on-write: writes to the array never reach the file."""
    return np.load(path / _ARRAY, mmap_mode="c")


class FeatureCache:
    """A finished feature cache: a read-only memory map ``(N, C, H, W)`` and its index.

    Use :func:`precompute` to build one and :meth:`open` to reopen it.

    Attributes
    ----------
    path : pathlib.Path
        The cache directory (``<cache_dir>/<key>``).
    array : np.memmap [shape=(N, C, H, W)]
        The images, float32 or float16, mapped copy-on-write (changing it in memory never
        changes the file).
    tensor : torch.Tensor [shape=(N, C, H, W)]
        The same memory as a tensor.
    filenames : list of str
        Audio file name of each row.
    specs : list of FeatureSpec
        One per channel.
    size : (int, int)
        Image height and width.
    seconds : float or None
        Crop length used (None: whole clips).
    sr : int
        Sampling rate the features were computed at.
    index : dict
        The full content of ``index.json``.

    Examples
    --------
    >>> import tempfile
    >>> from machinehearing.datasets.synthetic import make_esc50_like
    >>> root = make_esc50_like(tempfile.mkdtemp() + "/d", n_classes=5, clips_per_class=2,
    ...                        sr=8000, duration=0.5, progress=False)
    >>> cache = precompute(root, "logmel,mfcc", size=(32, 16), progress=False)
    >>> cache.array.shape, cache.array.dtype.name, len(cache.filenames)
    ((10, 2, 32, 16), 'float32', 10)
    >>> FeatureCache.open(cache.path).specs == cache.specs
    True
    """

    def __init__(self, path: Path, index: dict, array: np.ndarray):
        self.path = path
        self.index = index
        self.array = array
        self.filenames: list[str] = list(index["filenames"])
        self.specs = [FeatureSpec.from_dict(d) for d in index["specs"]]
        self.size: tuple[int, int] = tuple(index["size"])
        self.seconds: float | None = index["seconds"]
        self.sr: int = index["sr"]
        self._rows = {name: row for row, name in enumerate(self.filenames)}
        self._tensor: torch.Tensor | None = None

    def __len__(self) -> int:
        return len(self.filenames)

    @property
    def tensor(self) -> torch.Tensor:
        """The same memory map as a torch tensor (no copy)."""
        if self._tensor is None:
            self._tensor = torch.from_numpy(self.array)
        return self._tensor

    def __getstate__(self) -> dict:
        # DataLoader workers started by spawn/forkserver receive a pickled dataset: send the
        # path, not the array's bytes, and map the file again on arrival
        return {k: v for k, v in self.__dict__.items() if k not in ("array", "_tensor")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.array, self._tensor = _map(self.path), None

    def __repr__(self) -> str:
        return (f"FeatureCache({str(self.path)!r}, shape={tuple(self.array.shape)}, "
                f"dtype={self.array.dtype.name}, specs={[str(s) for s in self.specs]})")

    def rows(self, filenames: Iterable[str]) -> np.ndarray:
        """Row numbers of ``filenames`` (DataError naming the first one not in the cache)."""
        try:
            return np.array([self._rows[name] for name in filenames], dtype=np.int64)
        except KeyError as exc:
            raise DataError(f"{exc.args[0]!r} is not in the feature cache {self.path}: "
                            "rebuild it with precompute() for this dataset") from None

    @classmethod
    def open(cls, path: str | PathLike) -> FeatureCache:
        """Open a finished cache directory, checking that it is complete and consistent.

        Raises
        ------
        DataError
            When the directory is not a complete cache (no ``complete`` marker: an unfinished
            or interrupted build), ``index.json`` is unreadable, or the array's shape or dtype
            disagrees with the index.
        """
        path = Path(path)
        if not (path / _COMPLETE).is_file():
            raise DataError(f"{path} is not a complete feature cache (no '{_COMPLETE}' marker): "
                            "run precompute() (or 'machinehearing features') to build it")
        try:
            index = json.loads((path / _INDEX).read_text(encoding="utf-8"))
            if index.get("format") != _FORMAT:
                raise ValueError(f"format {index.get('format')!r}, expected {_FORMAT}")
            array = _map(path)
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: unreadable feature cache ({exc}); delete the directory "
                            "and build it again") from None
        expected = (len(index["filenames"]), len(index["specs"]), *index["size"])
        if tuple(array.shape) != expected or array.dtype.name != index["dtype"]:
            raise DataError(f"{path}: features.npy has shape {tuple(array.shape)} and dtype "
                            f"{array.dtype.name}, index.json says {expected} and "
                            f"{index['dtype']}; delete the directory and build it again")
        return cls(path, index, array)


def _load_clip(root: Path, clip: Clip, sr: int) -> np.ndarray:
    return audio.load(clip.path(root), sr=sr)[0]


def _image_of_clip(extractor, root: Path, clip: Clip, sr: int) -> np.ndarray:
    """One clip's images ``(C, H, W)``, computed alone (see the reproducibility contract)."""
    wave = torch.tensor(_load_clip(root, clip, sr)[None])  # a fresh, torch-aligned buffer
    with torch.inference_mode():
        return extractor(wave)[0].numpy()


def _images_on_gpu(extractor, root: Path, clips: Sequence[Clip], sr: int, device) -> np.ndarray:
    """Images of a chunk computed as batches on a GPU (clips of another length one by one)."""
    waves = [_load_clip(root, clip, sr) for clip in clips]
    groups = [waves] if len({w.size for w in waves}) == 1 else [[w] for w in waves]
    with torch.inference_mode():
        return np.concatenate([
            extractor(torch.from_numpy(np.stack(group)).to(device)).cpu().numpy()
            for group in groups
        ])


def precompute(
    root: str | PathLike,
    specs,
    *,
    cache_dir: str | PathLike | None = None,
    size: Sequence[int] = (128, 128),
    seconds: float | None = None,
    sr: int | None = None,
    dtype: str = "float32",
    batch_size: int = 32,
    device: str | torch.device = "cpu",
    n_jobs: int | None = None,
    progress: bool = True,
) -> FeatureCache:
    """Compute the feature images of every clip of a dataset into a memory-mapped cache.

    Returns at once when the cache for these parameters exists; resumes an interrupted build.

    Parameters
    ----------
    root : str or path-like
        Dataset directory (``audio/`` and ``meta/esc50.csv``); all listed clips are cached.
    specs : str, FeatureSpec or list of them
        The channels, e.g. ``"logmel,mfcc,chroma"``.
    cache_dir : str or path-like, optional
        Where cache directories live; default ``<root>/.cache/features``.
    size : (int, int), default (128, 128)
        Image height and width.
    seconds : float, optional
        Crop (or zero-pad) every clip to this length from its start; None keeps whole clips.
    sr : int, optional
        Resample to this rate; None keeps the files' rate.
    dtype : {"float32", "float16"}, default "float32"
        Storage type (float16 halves the size; items are returned as float32).
    batch_size : int, default 32
        Clips per resumable chunk (and per extractor call on a GPU). On the CPU the images do
        not depend on it.
    device : str or torch.device, default "cpu"
        Where the extractor runs (``"cuda"`` for a GPU).
    n_jobs : int, optional
        Clips computed in parallel on the CPU, each single-threaded; default: the CPUs this
        process may use. The images do not depend on it.
    progress : bool, default True
        Show a progress bar.

    Returns
    -------
    FeatureCache

    Examples
    --------
    >>> import tempfile
    >>> from machinehearing.datasets.synthetic import make_esc50_like
    >>> root = make_esc50_like(tempfile.mkdtemp() + "/d", n_classes=5, clips_per_class=2,
    ...                        sr=8000, duration=0.5, progress=False)
    >>> cache = precompute(root, "logmel,chroma", size=(32, 16), dtype="float16",
    ...                    progress=False)
    >>> cache.array.shape, cache.array.dtype.name, cache.path.parent.name
    ((10, 2, 32, 16), 'float16', 'features')
    >>> precompute(root, "logmel,chroma", size=(32, 16), dtype="float16",
    ...            progress=False).path == cache.path
    True
    """
    from ..transforms import FeatureExtractor

    root = Path(root)
    specs = parse_specs(specs)
    size = _check_size(size)
    dtype = _check_dtype(dtype)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ParameterError(f"batch_size must be a positive integer, got {batch_size!r}")
    if n_jobs is None:
        n_jobs = available_cpus()
    elif isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise ParameterError(f"n_jobs must be a positive integer or None, got {n_jobs!r}")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ParameterError("device='cuda' but CUDA is not available: use device='cpu'")
    clips = load_metadata(root)
    if not clips:
        raise DataError(f"{root / METADATA_FILE} lists no clips")
    sr = int(sr) if sr is not None else _native_rate(root, clips)
    description = {
        "format": _FORMAT, "specs": [s.to_dict() for s in specs], "size": list(size),
        "seconds": None if seconds is None else float(seconds), "sr": sr, "dtype": dtype,
        "fingerprint": fingerprint(root, clips), "version": __version__,
    }  # fmt: skip
    key = cache_key(description)
    base = Path(cache_dir) if cache_dir is not None else root / ".cache" / "features"
    final = base / key
    if (final / _COMPLETE).is_file():
        return FeatureCache.open(final)
    extractor = FeatureExtractor(specs, sr=sr, size=size, seconds=seconds).to(device).eval()
    base.mkdir(parents=True, exist_ok=True)
    with _exclusive(base / f"{key}.lock"):
        if (final / _COMPLETE).is_file():  # built by another process while we waited
            return FeatureCache.open(final)
        _build(root, clips, extractor, description, key, base, batch_size, device, n_jobs,
               progress)
        (base / f"{key}.lock").unlink()
    return FeatureCache.open(final)


@contextlib.contextmanager
def _exclusive(path: Path):
    """Hold an exclusive lock on ``path`` (POSIX ``flock``; no locking where unavailable)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _build(root, clips, extractor, description, key, base, batch_size, device, n_jobs, progress):
    """Fill ``<key>.partial`` chunk by chunk (resuming), then finalise it as ``<key>``."""
    n = len(clips)
    shape = (n, *extractor.out_shape)
    dtype, sr, specs = description["dtype"], description["sr"], extractor.specs
    work, final = base / f"{key}.partial", base / key
    work.mkdir(exist_ok=True)
    done = 0
    if (work / _PROGRESS).is_file() and (work / _ARRAY).is_file():
        done = int(json.loads((work / _PROGRESS).read_text(encoding="utf-8"))["done"])
        array = np.load(work / _ARRAY, mmap_mode="r+")
        if tuple(array.shape) != shape or array.dtype.name != dtype:
            done, array = 0, None
    else:
        array = None
    if array is None:
        array = np.lib.format.open_memmap(work / _ARRAY, mode="w+", dtype=dtype, shape=shape)
        atomic_write_json(work / _PROGRESS, {"done": 0})

    bar = tqdm(total=n, initial=done, unit="clip", disable=not progress,
               desc=f"features {','.join(str(s) for s in specs)}")
    on_gpu = device.type != "cpu"
    initializer = None if on_gpu else single_threaded_worker
    with (
        bar,
        single_threaded(enabled=not on_gpu),
        ThreadPoolExecutor(max_workers=n_jobs, initializer=initializer) as pool,
    ):
        for start in range(done, n, batch_size):
            chunk = clips[start : start + batch_size]
            if on_gpu:
                array[start : start + len(chunk)] = _images_on_gpu(extractor, root, chunk, sr,
                                                                   device)
            else:
                images = pool.map(lambda clip: _image_of_clip(extractor, root, clip, sr), chunk)
                for row, image in enumerate(images, start):
                    array[row] = image
            array.flush()
            atomic_write_json(work / _PROGRESS, {"done": start + len(chunk)})
            bar.update(len(chunk))
    del array

    index = {**description, "key": key, "shape": list(shape),
             "filenames": [c.filename for c in clips]}
    atomic_write_json(work / _INDEX, index)
    (work / _PROGRESS).unlink()
    atomic_write_text(work / _COMPLETE, key + "\n")
    if final.exists():  # an invalid leftover (the complete marker was checked before)
        shutil.rmtree(final)
    os.replace(work, final)


class ESC50Dataset(Dataset):
    """ESC-50 clips as ``(image float32 (C, H, W), int label)`` for a torch ``DataLoader``.

    Reads a :class:`FeatureCache` (built by :func:`precompute` when not given), or, with
    ``on_the_fly=True``, loads and computes every item with
    :func:`machinehearing.features.extract` (slow; for experiments with new features).

    Indexing with an int returns one item; indexing with a list of ints returns a whole batch
    ``(float32 (B, C, H, W), int64 (B,))`` in one read of the memory map: :func:`make_loader`
    uses this for cached datasets.

    Parameters
    ----------
    root : str or path-like
        Dataset directory.
    specs : str, FeatureSpec or list of them
        The channels.
    task : {"classes", "categories"}, default "classes"
        Which labels to return (see :class:`~machinehearing.datasets.esc50.LabelMap`).
    folds : iterable of int, optional
        Keep only clips of these folds.
    indices : array-like of int, optional
        Keep only these positions of ``load_metadata(root, esc10=esc10)`` (e.g. one side of
        :func:`~machinehearing.datasets.esc50.course_split`); combined with ``folds``.
    cache : FeatureCache, optional
        A cache to read; it must hold ``specs`` at ``size`` and ``seconds``.
    cache_dir : str or path-like, optional
        Where :func:`precompute` keeps caches when ``cache`` is not given.
    size : (int, int), default (128, 128)
        Image height and width.
    seconds : float, optional
        Crop length (see :func:`precompute`).
    transform : callable, optional
        Applied to each item's image tensor ``(C, H, W)`` (augmentation hook).
    on_the_fly : bool, default False
        Compute features per item instead of reading a cache.
    esc10 : bool, default False
        Use the ESC-10 subset.
    sr : int, optional
        Resampling rate (None: the files' rate).
    dtype : {"float32", "float16"}, default "float32"
        Storage type of a cache built here.
    progress : bool, default True
        Progress bar while a cache is built.

    Attributes
    ----------
    clips : list of Clip
        The selected clips, in item order.
    labels : np.ndarray of int64
        Their labels for ``task``.
    label_map : LabelMap
        The task's label map (fixed by the dataset, not by the selection).

    Examples
    --------
    >>> import tempfile
    >>> from machinehearing.datasets.synthetic import make_esc50_like
    >>> root = make_esc50_like(tempfile.mkdtemp() + "/d", n_classes=5, clips_per_class=5,
    ...                        sr=8000, duration=0.5, progress=False)
    >>> train = ESC50Dataset(root, "logmel,mfcc", task="categories", folds=[1, 2, 3, 4],
    ...                      size=(32, 16), progress=False)
    >>> x, y = train[0]
    >>> len(train), tuple(x.shape), x.dtype, type(y).__name__, train.label_map.num_classes
    (20, (2, 32, 16), torch.float32, 'int', 5)
    """

    def __init__(
        self,
        root: str | PathLike,
        specs,
        *,
        task: str = "classes",
        folds: Iterable[int] | None = None,
        indices: Sequence[int] | np.ndarray | None = None,
        cache: FeatureCache | None = None,
        cache_dir: str | PathLike | None = None,
        size: Sequence[int] = (128, 128),
        seconds: float | None = None,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
        on_the_fly: bool = False,
        esc10: bool = False,
        sr: int | None = None,
        dtype: str = "float32",
        progress: bool = True,
    ):
        self.root = Path(root)
        self.specs = parse_specs(specs)
        self.size = _check_size(size)
        self.seconds, self.sr, self.transform = seconds, sr, transform
        self.label_map = LabelMap.for_task(task)
        all_clips = load_metadata(self.root, esc10=esc10)
        positions = np.arange(len(all_clips))
        if indices is not None:
            positions = np.asarray(indices, dtype=np.int64).reshape(-1)
            if positions.size and (positions.min() < 0 or positions.max() >= len(all_clips)):
                raise ParameterError(f"indices must be positions in [0, {len(all_clips)}) of "
                                     "load_metadata(root, esc10=esc10)")
        if folds is not None:
            keep = {int(f) for f in folds}
            positions = np.array([p for p in positions if all_clips[p].fold in keep],
                                 dtype=np.int64)
        self.clips = [all_clips[p] for p in positions]
        self.labels = labels(self.clips, task)
        self.on_the_fly = bool(on_the_fly)
        self.cache: FeatureCache | None = None
        if not self.on_the_fly:
            if cache is None:
                cache = precompute(self.root, self.specs, cache_dir=cache_dir, size=self.size,
                                   seconds=seconds, sr=sr, dtype=dtype, progress=progress)
            wanted = ([str(s) for s in self.specs], self.size,
                      None if seconds is None else float(seconds))
            held = ([str(s) for s in cache.specs], tuple(cache.size), cache.seconds)
            if held != wanted:
                raise ParameterError(
                    f"cache holds (specs, size, seconds) = {held}, the dataset asks for "
                    f"{wanted}: pass matching arguments or let the dataset build its cache"
                )
            self.cache = cache
            self._rows = cache.rows(c.filename for c in self.clips)

    def __len__(self) -> int:
        return len(self.clips)

    def _compute(self, i: int) -> torch.Tensor:
        y, sr = audio.load(self.clips[i].path(self.root), sr=self.sr)
        image = extract(y, sr, self.specs, size=self.size, seconds=self.seconds)
        return torch.from_numpy(image)

    def _images(self, batch: np.ndarray) -> torch.Tensor:
        """float32 images ``(len(batch), C, H, W)`` of the items ``batch``."""
        if self.cache is None:
            return torch.stack([self._compute(int(j)) for j in batch])
        source = self.cache.tensor
        x = torch.empty((len(batch), *source.shape[1:]), dtype=torch.float32)
        # row by row with torch: a plain copy (with a vectorised float16 -> float32 cast) per
        # row is several times faster than NumPy's fancy indexing of a memory map
        for j, row in enumerate(self._rows[batch].tolist()):
            x[j].copy_(source[row])
        return x

    def __getitem__(self, i):
        if isinstance(i, int | np.integer):
            x = self._images(np.array([i], dtype=np.int64))[0]
            return (self.transform(x) if self.transform is not None else x), int(self.labels[i])
        batch = np.asarray(i, dtype=np.int64)
        x = self._images(batch)
        if self.transform is not None:
            x = torch.stack([self.transform(item) for item in x])
        return x, torch.from_numpy(self.labels[batch])


def _default_workers() -> int:
    if sys.platform != "linux" or "PYTEST_CURRENT_TEST" in os.environ:
        return 0
    return min(4, os.cpu_count() or 1)


def make_loader(
    dataset: Dataset,
    *,
    batch_size: int = 32,
    shuffle: bool = False,
    num_workers: int | None = None,
    pin_memory: bool | None = None,
    seed: int = 0,
    sampler=None,
    drop_last: bool = False,
) -> DataLoader:
    """A ``DataLoader`` with sensible defaults for feature images.

    For a cached :class:`ESC50Dataset` each batch is read from the memory map in one indexing
    operation (a ``BatchSampler`` hands the dataset whole lists of indices); other datasets are
    batched item by item as usual. Shuffling is driven by a generator seeded with ``seed``, so
    the order of batches is reproducible.

    Parameters
    ----------
    dataset : Dataset
        Usually an :class:`ESC50Dataset`.
    batch_size : int, default 32
    shuffle : bool, default False
        Reshuffle every epoch (not with ``sampler``).
    num_workers : int, optional
        Default: ``min(4, os.cpu_count())`` on Linux, 0 elsewhere and while pytest runs.
    pin_memory : bool, optional
        Default: True when CUDA is available.
    seed : int, default 0
        Seed of the shuffling generator; torch derives each worker's torch seed from it, so
        transforms that draw from ``torch`` random functions are reproducible.
    sampler : torch Sampler, optional
        E.g. a ``DistributedSampler``; excludes ``shuffle``.
    drop_last : bool, default False
        Drop the last incomplete batch.

    Returns
    -------
    torch.utils.data.DataLoader
        Yields ``(float32 (B, C, H, W), int64 (B,))``.

    Examples
    --------
    >>> import torch
    >>> from torch.utils.data import TensorDataset
    >>> data = TensorDataset(torch.zeros(10, 1, 4, 4), torch.arange(10))
    >>> [tuple(x.shape) for x, _ in make_loader(data, batch_size=4, num_workers=0)]
    [(4, 1, 4, 4), (4, 1, 4, 4), (2, 1, 4, 4)]
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ParameterError(f"batch_size must be a positive integer, got {batch_size!r}")
    if sampler is not None and shuffle:
        raise ParameterError("pass either sampler or shuffle=True, not both (the sampler "
                             "decides the order)")
    num_workers = _default_workers() if num_workers is None else int(num_workers)
    pin_memory = torch.cuda.is_available() if pin_memory is None else bool(pin_memory)
    generator = torch.Generator().manual_seed(seed)
    if sampler is None:
        sampler = (RandomSampler(dataset, generator=generator) if shuffle
                   else SequentialSampler(dataset))
    options = dict(num_workers=num_workers, pin_memory=pin_memory, generator=generator,
                   persistent_workers=num_workers > 0)
    if isinstance(dataset, ESC50Dataset) and dataset.cache is not None:
        return DataLoader(dataset, batch_size=None,
                          sampler=BatchSampler(sampler, batch_size, drop_last), **options)
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, drop_last=drop_last,
                      **options)
