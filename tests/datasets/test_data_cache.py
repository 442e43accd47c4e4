"""The feature cache: correctness against the NumPy reference, keys, resume, Dataset, loader."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

from machinehearing.datasets import cache as cache_module
from machinehearing.datasets.cache import ESC50Dataset, FeatureCache, make_loader, precompute
from machinehearing.datasets.esc50 import course_split, load_metadata
from machinehearing.datasets.synthetic import make_esc50_like
from machinehearing.errors import DataError, ParameterError
from machinehearing.features.images import extract
from machinehearing.transforms import FeatureExtractor

SIZE = (32, 24)
SECONDS = 1.5  # of the 5 s clips: keeps the tests fast


@pytest.fixture(scope="module")
def small_root(tmp_path_factory):
    """20 short clips: 5 classes x 4 clips, 8 kHz, 0.5 s."""
    return make_esc50_like(tmp_path_factory.mktemp("small") / "ESC-50", n_classes=5,
                           clips_per_class=4, sr=8000, duration=0.5, progress=False)


@pytest.fixture(scope="module")
def tiny_cache(esc50_root, tmp_path_factory):
    return precompute(esc50_root, "logmel,mfcc,chroma", cache_dir=tmp_path_factory.mktemp("c"),
                      size=SIZE, seconds=SECONDS, batch_size=16, progress=False)


def test_cache_rows_equal_the_numpy_reference(esc50_root, tiny_cache):
    clips = load_metadata(esc50_root)
    assert tiny_cache.array.shape == (len(clips), 3, *SIZE)
    assert tiny_cache.filenames == [c.filename for c in clips]
    import soundfile as sf

    for row in (0, 37, len(clips) - 1):
        y, sr = sf.read(str(clips[row].path(esc50_root)), dtype="float32")
        expected = extract(y, sr, "logmel,mfcc,chroma", size=SIZE, seconds=SECONDS)
        np.testing.assert_allclose(tiny_cache.array[row], expected, atol=2e-3, rtol=1e-3)


def test_index_describes_the_cache_and_no_work_files_remain(esc50_root, tiny_cache):
    index = json.loads((tiny_cache.path / "index.json").read_text())
    assert [s["name"] for s in index["specs"]] == ["logmel", "mfcc", "chroma"]
    assert (index["size"], index["seconds"], index["sr"], index["dtype"]) == (
        list(SIZE), SECONDS, 16000, "float32")
    assert index["key"] == tiny_cache.path.name and len(index["fingerprint"]) == 64
    assert index["version"]
    assert sorted(p.name for p in tiny_cache.path.iterdir()) == [
        "complete", "features.npy", "index.json"]
    assert sorted(p.name for p in tiny_cache.path.parent.iterdir()) == [tiny_cache.path.name]
    assert isinstance(tiny_cache.array, np.memmap)


def test_writing_to_the_mapped_array_never_changes_the_file(small_root, tmp_path):
    cache = precompute(small_root, "logmel", cache_dir=tmp_path, size=SIZE, progress=False)
    before = (cache.path / "features.npy").read_bytes()
    cache.array[0] = 123.0
    cache.tensor[1] = -5.0
    cache.array.flush()
    del cache
    assert (tmp_path.glob("*/features.npy").__next__()).read_bytes() == before


def test_an_existing_cache_is_reused_without_computing(small_root, tmp_path, monkeypatch):
    first = precompute(small_root, "logmel", cache_dir=tmp_path, size=SIZE, progress=False)

    def fail(self, y):
        raise AssertionError("recomputed")

    monkeypatch.setattr(FeatureExtractor, "forward", fail)
    again = precompute(small_root, "logmel", cache_dir=tmp_path, size=SIZE, progress=False)
    assert again.path == first.path
    np.testing.assert_array_equal(again.array, first.array)


@pytest.mark.parametrize("change", [
    dict(specs="mfcc"), dict(specs="logmel:n_mels=64"), dict(size=(16, 24)),
    dict(seconds=0.25), dict(sr=4000), dict(dtype="float16"),
])
def test_any_changed_parameter_gets_its_own_cache(small_root, tmp_path, change):
    base = dict(specs="logmel", size=SIZE)
    a = precompute(small_root, cache_dir=tmp_path, progress=False, **base)
    b = precompute(small_root, cache_dir=tmp_path, progress=False, **{**base, **change})
    assert a.path != b.path


def test_a_changed_dataset_gets_a_new_cache(tmp_path):
    root = make_esc50_like(tmp_path / "d", n_classes=5, clips_per_class=2, sr=8000,
                           duration=0.5, progress=False)
    a = precompute(root, "logmel", cache_dir=tmp_path / "c", size=SIZE, progress=False)
    clip = load_metadata(root)[0].path(root)
    clip.write_bytes(clip.read_bytes())  # same bytes, new modification time
    b = precompute(root, "logmel", cache_dir=tmp_path / "c", size=SIZE, progress=False)
    assert a.path != b.path


def test_float16_storage_is_returned_as_float32(small_root, tmp_path):
    full = precompute(small_root, "logmel,chroma", cache_dir=tmp_path, size=SIZE,
                      progress=False)
    half = precompute(small_root, "logmel,chroma", cache_dir=tmp_path, size=SIZE,
                      dtype="float16", progress=False)
    assert half.array.dtype == np.float16
    assert os.path.getsize(half.path / "features.npy") < 0.6 * os.path.getsize(
        full.path / "features.npy")
    np.testing.assert_allclose(half.array.astype(np.float32), full.array, atol=1e-2, rtol=1e-3)
    x, _ = ESC50Dataset(small_root, "logmel,chroma", cache=half, size=SIZE)[0]
    assert x.dtype == torch.float32


@pytest.mark.parametrize("kwargs, name", [
    (dict(dtype="int8"), "dtype"), (dict(batch_size=0), "batch_size"),
    (dict(n_jobs=0), "n_jobs"), (dict(n_jobs=1.5), "n_jobs"), (dict(specs="nonsense"), "nonsense"),
])
def test_precompute_validates_its_arguments(small_root, tmp_path, kwargs, name):
    kwargs = {"specs": "logmel", **kwargs}
    with pytest.raises(ParameterError, match=name):
        precompute(small_root, cache_dir=tmp_path, progress=False, **kwargs)


# ------------------------------------------------------------------------------------- resume


_FORWARD = FeatureExtractor.forward


def _forward_counter(monkeypatch, fail_after: int | None = None) -> list[int]:
    """Count the clips the extractor computes (and raise once ``fail_after`` are done)."""
    calls = []

    def forward(self, y):
        if fail_after is not None and len(calls) >= fail_after:
            raise RuntimeError("simulated interruption")
        calls.append(y.shape[0])
        return _FORWARD(self, y)

    monkeypatch.setattr(FeatureExtractor, "forward", forward)
    return calls


def test_an_interrupted_build_resumes_and_equals_an_uninterrupted_one(esc50_root, tiny_cache,
                                                                       tmp_path, monkeypatch):
    kwargs = dict(cache_dir=tmp_path, size=SIZE, seconds=SECONDS, batch_size=16,
                  progress=False)
    _forward_counter(monkeypatch, fail_after=40)  # in the third chunk of 16
    with pytest.raises(RuntimeError, match="simulated"):
        precompute(esc50_root, "logmel,mfcc,chroma", n_jobs=1, **kwargs)
    partial = tmp_path / f"{tiny_cache.path.name}.partial"
    assert json.loads((partial / "progress.json").read_text()) == {"done": 32}
    with pytest.raises(DataError, match="not a complete feature cache"):
        FeatureCache.open(partial)

    calls = _forward_counter(monkeypatch)
    resumed = precompute(esc50_root, "logmel,mfcc,chroma", **kwargs)
    assert calls == [1] * 48  # only the 48 clips left, each computed alone
    assert resumed.path.name == tiny_cache.path.name and not partial.exists()
    np.testing.assert_array_equal(resumed.array, tiny_cache.array)


@contextlib.contextmanager
def _torch_threads(n: int):
    saved = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(saved)


@pytest.mark.parametrize("batch_size, n_jobs, threads", [(1, 1, 1), (7, 2, 2), (20, 3, 1)])
def test_images_do_not_depend_on_batch_size_jobs_or_threads(small_root, tmp_path, batch_size,
                                                            n_jobs, threads):
    reference = precompute(small_root, "logmel,mfcc,chroma", cache_dir=tmp_path / "ref",
                           size=SIZE, progress=False)
    with _torch_threads(threads):
        other = precompute(small_root, "logmel,mfcc,chroma", cache_dir=tmp_path / "other",
                           size=SIZE, batch_size=batch_size, n_jobs=n_jobs, progress=False)
        assert torch.get_num_threads() == threads  # the build restores the setting
    np.testing.assert_array_equal(other.array, reference.array)


def test_the_build_computes_every_clip_single_threaded(small_root, tmp_path, monkeypatch):
    # an OpenMP runtime keeps its thread count per thread: load one (scikit-learn's) so that
    # a pool worker that does not set its own count is seen, whatever ran before this test
    import sklearn.linear_model  # noqa: F401

    seen = []

    def forward(self, y):
        seen.append((torch.get_num_threads(), threadpool_info_limits(), y.shape[0]))
        return _FORWARD(self, y)

    monkeypatch.setattr(FeatureExtractor, "forward", forward)
    with _torch_threads(2):
        precompute(small_root, "logmel", cache_dir=tmp_path, size=SIZE, n_jobs=2, progress=False)
    assert len(seen) == 20 and set(seen) == {(1, 1, 1)}


def threadpool_info_limits() -> int:
    """The largest thread count of any BLAS/OpenMP library loaded in this process."""
    from threadpoolctl import threadpool_info

    return max((info["num_threads"] for info in threadpool_info()), default=1)


KILLED_BUILD = """
import sys, time
import torch
from machinehearing.transforms import FeatureExtractor
from machinehearing.datasets.cache import precompute
assert torch.get_num_threads() == 1
original = FeatureExtractor.forward
def slow(self, y):
    time.sleep(0.1)
    return original(self, y)
FeatureExtractor.forward = slow
precompute(sys.argv[1], "logmel,mfcc,chroma", cache_dir=sys.argv[2], size=(32, 24),
           seconds=1.5, batch_size=16, n_jobs=1, progress=False)
"""


def test_a_build_killed_with_sigkill_resumes_under_other_thread_settings(
        esc50_root, tiny_cache, tmp_path, monkeypatch):
    """Killed while single-threaded in batches of 16; resumed with 2 threads, 2 jobs, 7s."""
    script = tmp_path / "build.py"
    script.write_text(textwrap.dedent(KILLED_BUILD))
    one = {name: "1" for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    proc = subprocess.Popen([sys.executable, str(script), str(esc50_root), str(tmp_path / "c")],
                            env={**os.environ, **one})
    progress = tmp_path / "c" / f"{tiny_cache.path.name}.partial" / "progress.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if progress.is_file() and json.loads(progress.read_text())["done"] >= 16:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the build finished or failed before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = json.loads(progress.read_text())["done"]
    assert 16 <= done < 80

    calls = _forward_counter(monkeypatch)
    with _torch_threads(2):
        resumed = precompute(esc50_root, "logmel,mfcc,chroma", cache_dir=tmp_path / "c",
                             size=SIZE, seconds=SECONDS, batch_size=7, n_jobs=2,
                             progress=False)
    assert sum(calls) == 80 - done
    np.testing.assert_array_equal(resumed.array, tiny_cache.array)


# ------------------------------------------------------------------------------------- open


def test_open_refuses_an_inconsistent_cache(small_root, tmp_path):
    cache = precompute(small_root, "logmel", cache_dir=tmp_path, size=SIZE, progress=False)
    index = json.loads((cache.path / "index.json").read_text())
    (cache.path / "index.json").write_text(json.dumps({**index, "size": [8, 8]}))
    with pytest.raises(DataError, match="shape"):
        FeatureCache.open(cache.path)
    (cache.path / "index.json").write_text("{not json")
    with pytest.raises(DataError, match="unreadable"):
        FeatureCache.open(cache.path)
    (cache.path / "complete").unlink()
    with pytest.raises(DataError, match="complete"):
        FeatureCache.open(cache.path)


# ------------------------------------------------------------------------------------ dataset


def test_dataset_items_are_float32_images_with_int_labels(esc50_root, tiny_cache):
    data = ESC50Dataset(esc50_root, "logmel,mfcc,chroma", cache=tiny_cache, size=SIZE,
                        seconds=SECONDS)
    x, y = data[5]
    assert x.shape == (3, *SIZE) and x.dtype == torch.float32 and isinstance(y, int)
    assert y == data.clips[5].target == data.labels[5]
    np.testing.assert_array_equal(x.numpy(), tiny_cache.array[5])
    xb, yb = data[[5, 0, 7]]
    assert xb.dtype == torch.float32 and yb.dtype == torch.int64
    np.testing.assert_array_equal(xb[0].numpy(), x.numpy())
    assert yb.tolist() == [data.labels[5], data.labels[0], data.labels[7]]


def test_a_pickled_dataset_maps_the_file_again_instead_of_copying_it(esc50_root, tiny_cache):
    data = ESC50Dataset(esc50_root, "logmel,mfcc,chroma", cache=tiny_cache, size=SIZE,
                        seconds=SECONDS)
    blob = pickle.dumps(data)
    assert len(blob) < tiny_cache.array.nbytes / 10
    copy = pickle.loads(blob)
    assert isinstance(copy.cache.array, np.memmap)
    torch.testing.assert_close(copy[[3, 4]], data[[3, 4]])


def test_concurrent_builds_of_one_cache_do_not_collide(small_root, tmp_path):
    kwargs = dict(cache_dir=tmp_path, size=SIZE, progress=False)
    with ThreadPoolExecutor(2) as pool:
        a, b = pool.map(lambda _: precompute(small_root, "logmel", **kwargs), range(2))
    assert a.path == b.path
    assert sorted(p.name for p in tmp_path.iterdir()) == [a.path.name]


def test_dataset_selects_folds_indices_tasks_and_esc10(esc50_root, tiny_cache):
    specs = "logmel,mfcc,chroma"
    clips = load_metadata(esc50_root)
    kwargs = dict(cache=tiny_cache, size=SIZE, seconds=SECONDS)
    train = ESC50Dataset(esc50_root, specs, folds=[1, 2, 3], task="categories", **kwargs)
    assert {c.fold for c in train.clips} == {1, 2, 3}
    assert train.labels.tolist() == [c.target // 10 for c in train.clips]
    assert train.label_map.num_classes == 5
    split = course_split(clips, seed=0)
    val = ESC50Dataset(esc50_root, specs, indices=split.val, **kwargs)
    assert [c.filename for c in val.clips] == [clips[i].filename for i in split.val]
    x, _ = val[0]
    np.testing.assert_array_equal(x.numpy(), tiny_cache.array[split.val[0]])
    esc10 = ESC50Dataset(esc50_root, specs, esc10=True, **kwargs)
    assert all(c.esc10 for c in esc10.clips) and len(esc10) == 64
    assert esc10.label_map.num_classes == 50  # fixed by the dataset, not by the subset


def test_transform_hook_is_applied_to_items_and_batches(esc50_root, tiny_cache):
    data = ESC50Dataset(esc50_root, "logmel,mfcc,chroma", cache=tiny_cache, size=SIZE,
                        seconds=SECONDS, transform=lambda x: x[:1] * 0 + 7)
    assert data[0][0].shape == (1, *SIZE) and torch.all(data[0][0] == 7)
    assert data[[0, 1]][0].shape == (2, 1, *SIZE)


def test_on_the_fly_items_equal_cached_items(small_root, tmp_path):
    cached = ESC50Dataset(small_root, "logmel,chroma", cache_dir=tmp_path, size=SIZE,
                          progress=False)
    live = ESC50Dataset(small_root, "logmel,chroma", size=SIZE, on_the_fly=True)
    assert live.cache is None and not (small_root / ".cache").exists()
    for i in (0, 9):
        np.testing.assert_allclose(live[i][0].numpy(), cached[i][0].numpy(), atol=2e-3)
        assert live[i][1] == cached[i][1]


@pytest.mark.parametrize("kwargs", [dict(specs="logmel"), dict(size=(32, 32)),
                                    dict(seconds=None)])
def test_a_cache_of_other_features_is_refused(esc50_root, tiny_cache, kwargs):
    kwargs = {"specs": "logmel,mfcc,chroma", "size": SIZE, "seconds": SECONDS, **kwargs}
    with pytest.raises(ParameterError, match="cache holds"):
        ESC50Dataset(esc50_root, kwargs.pop("specs"), cache=tiny_cache, **kwargs)


def test_a_cache_of_another_dataset_is_refused(small_root, tiny_cache):
    with pytest.raises(DataError, match="is not in the feature cache"):
        ESC50Dataset(small_root, "logmel,mfcc,chroma", cache=tiny_cache, size=SIZE,
                     seconds=SECONDS)


# ------------------------------------------------------------------------------------- loader


def _epoch(loader):
    xs, ys = zip(*loader)
    return torch.cat(xs), torch.cat(ys)


def test_loader_batches_cover_the_dataset_once_per_epoch(esc50_root, tiny_cache):
    data = ESC50Dataset(esc50_root, "logmel,mfcc,chroma", cache=tiny_cache, size=SIZE,
                        seconds=SECONDS)
    loader = make_loader(data, batch_size=32, shuffle=True, seed=1)
    assert len(loader) == 3
    x, y = _epoch(loader)
    assert x.shape == (80, 3, *SIZE) and x.dtype == torch.float32 and y.dtype == torch.int64
    order = [data.clips.index(c) for c in data.clips]  # identity
    assert sorted(y.tolist()) == sorted(data.labels[order].tolist())
    assert not torch.equal(y, torch.from_numpy(data.labels))  # shuffled
    assert len(make_loader(data, batch_size=32, drop_last=True)) == 2


def test_loader_order_is_reproducible_from_the_seed(esc50_root, tiny_cache):
    data = ESC50Dataset(esc50_root, "logmel,mfcc,chroma", cache=tiny_cache, size=SIZE,
                        seconds=SECONDS)
    a = _epoch(make_loader(data, batch_size=16, shuffle=True, seed=3))
    b = _epoch(make_loader(data, batch_size=16, shuffle=True, seed=3))
    c = _epoch(make_loader(data, batch_size=16, shuffle=True, seed=4))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_loader_works_for_any_dataset_and_rejects_sampler_with_shuffle():
    data = torch.utils.data.TensorDataset(torch.zeros(10, 1, 2, 2), torch.arange(10))
    assert [len(y) for _, y in make_loader(data, batch_size=4, num_workers=0)] == [4, 4, 2]
    with pytest.raises(ParameterError, match="sampler"):
        make_loader(data, sampler=torch.utils.data.SequentialSampler(data), shuffle=True)


def test_default_workers_depend_on_the_platform(monkeypatch):
    assert cache_module._default_workers() == 0  # under pytest
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    monkeypatch.setattr(sys, "platform", "linux")
    assert cache_module._default_workers() == min(4, os.cpu_count())
    monkeypatch.setattr(sys, "platform", "darwin")
    assert cache_module._default_workers() == 0
