"""The synthetic ESC-50-like dataset: layout, determinism, learnability."""

from __future__ import annotations

import csv
import filecmp
from collections import Counter, defaultdict

import numpy as np
import pytest
import soundfile as sf

from machinehearing.datasets.download import verify
from machinehearing.datasets.esc50 import CLASSES, COLUMNS, ESC10_TARGETS, load_metadata
from machinehearing.datasets.synthetic import make_esc50_like, synthetic_targets
from machinehearing.errors import DataError, ParameterError

SMALL = dict(n_classes=5, clips_per_class=7, sr=8000, duration=1.0, progress=False)


def test_layout_matches_esc50(esc50_root):
    with (esc50_root / "meta" / "esc50.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == COLUMNS
    assert rows[1:] == sorted(rows[1:])  # sorted by file name like the real csv
    clips = load_metadata(esc50_root)
    assert sorted(p.name for p in (esc50_root / "audio").iterdir()) == sorted(
        c.filename for c in clips)
    for clip in clips:
        assert clip.category == CLASSES[clip.target]
        assert clip.esc10 == (clip.target in ESC10_TARGETS)
    assert verify(esc50_root).ok


def test_files_are_16_bit_pcm_of_the_requested_rate_and_length(esc50_root):
    clip = load_metadata(esc50_root)[0]
    info = sf.info(str(clip.path(esc50_root)))
    assert (info.samplerate, info.frames, info.channels, info.subtype) == (16000, 80000, 1,
                                                                           "PCM_16")
    y, _ = sf.read(str(clip.path(esc50_root)), dtype="int16")
    assert 0 < np.abs(y).max() < 32767


@pytest.mark.parametrize("n_classes, expected", [
    (5, [0, 10, 20, 30, 40]),
    (7, [0, 1, 10, 11, 20, 30, 40]),
    (10, [0, 1, 10, 11, 20, 21, 30, 31, 40, 41]),
    (50, list(range(50))),
])
def test_fewer_classes_are_spread_round_robin_over_the_categories(n_classes, expected):
    assert synthetic_targets(n_classes) == expected


@pytest.mark.parametrize("clips_per_class", [8, 7, 40])
def test_folds_are_balanced_and_sources_stay_in_one_fold(tmp_path, clips_per_class):
    root = make_esc50_like(tmp_path / "d", **{**SMALL, "clips_per_class": clips_per_class,
                                              "duration": 0.1})
    clips = load_metadata(root)
    assert Counter(c.target for c in clips) == {t: clips_per_class for t in range(0, 50, 10)}
    for target in range(0, 50, 10):
        per_fold = Counter(c.fold for c in clips if c.target == target)
        assert max(per_fold.values()) - min(per_fold.values()) <= 1
    fold_sizes = Counter(c.fold for c in clips).values()
    assert max(fold_sizes) - min(fold_sizes) <= 1
    takes = defaultdict(list)
    for clip in clips:
        takes[clip.src_file].append((clip.fold, clip.target, clip.take))
    assert any(len(v) > 1 for v in takes.values())  # several takes per source recording
    for members in takes.values():
        assert len({(fold, target) for fold, target, _ in members}) == 1
        assert sorted(take for *_, take in members) == list("ABCDEFGH"[: len(members)])


def test_same_seed_gives_the_same_bytes(tmp_path):
    a = make_esc50_like(tmp_path / "a", **SMALL, seed=3)
    b = make_esc50_like(tmp_path / "b", **SMALL, seed=3)
    c = make_esc50_like(tmp_path / "c", **SMALL, seed=4)
    names = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file())
    match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert not mismatch and not errors and len(match) == len(names)
    assert (a / "meta" / "esc50.csv").read_bytes() != (c / "meta" / "esc50.csv").read_bytes()


def test_calling_again_reuses_or_replaces_the_dataset(tmp_path):
    root = make_esc50_like(tmp_path / "d", **SMALL)
    csv_path = root / "meta" / "esc50.csv"
    mtime = csv_path.stat().st_mtime_ns
    make_esc50_like(root, **SMALL)
    assert csv_path.stat().st_mtime_ns == mtime
    make_esc50_like(root, **{**SMALL, "clips_per_class": 3})
    assert len(load_metadata(root)) == 15
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]  # no temporary dirs left


def test_refuses_to_overwrite_a_foreign_directory(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(DataError, match="not a synthetic dataset"):
        make_esc50_like(tmp_path / "mine", **SMALL)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("kwargs, name", [
    (dict(n_classes=0), "n_classes"), (dict(n_classes=51), "n_classes"),
    (dict(clips_per_class=0), "clips_per_class"), (dict(sr=22050.0), "sr"),
    (dict(duration=0.0), "duration"),
])
def test_invalid_parameters_name_the_argument(tmp_path, kwargs, name):
    with pytest.raises(ParameterError, match=name):
        make_esc50_like(tmp_path / "d", **{**SMALL, **kwargs})


def _log_spectrum(path, n_fft=512):
    y, _ = sf.read(str(path), dtype="float32")
    frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[:: n_fft // 2]
    power = np.abs(np.fft.rfft(frames * np.hanning(n_fft), axis=1)) ** 2
    return np.log(power.mean(axis=0) + 1e-10)


def test_classes_are_learnable_across_folds(esc50_root):
    """A nearest-centroid classifier on mean log spectra, trained on 4 folds, beats chance."""
    clips = load_metadata(esc50_root)
    x = np.stack([_log_spectrum(c.path(esc50_root)) for c in clips])
    x -= x.mean(axis=1, keepdims=True)  # ignore the random gain
    y = np.array([c.target for c in clips])
    folds = np.array([c.fold for c in clips])
    correct = 0
    for fold in range(1, 6):
        train = folds != fold
        targets = np.unique(y[train])
        centroids = np.stack([x[train & (y == t)].mean(axis=0) for t in targets])
        dist = ((x[~train, None, :] - centroids[None]) ** 2).sum(axis=-1)
        correct += np.sum(targets[dist.argmin(axis=1)] == y[~train])
    assert correct / len(clips) > 0.3  # chance: 0.1; not separable by design (issue 13)


def test_course_dataset_uses_the_real_data_when_configured(monkeypatch, tmp_path):
    from machinehearing.datasets import course_dataset

    monkeypatch.setenv("MACHINEHEARING_DATA", str(tmp_path / "ESC-50"))
    assert course_dataset(cache_dir=tmp_path / "cache") == tmp_path / "ESC-50"
    assert not (tmp_path / "cache").exists()  # nothing generated


def test_course_dataset_generates_the_synthetic_set_once(monkeypatch, tmp_path):
    from machinehearing.datasets import course_dataset, load_metadata

    monkeypatch.delenv("MACHINEHEARING_DATA", raising=False)
    monkeypatch.setenv("MACHINEHEARING_CACHE", str(tmp_path / "cache"))
    root = course_dataset(n_classes=5, clips_per_class=5, sr=8000)
    assert root.parent == tmp_path / "cache"
    assert len(load_metadata(root)) == 25
    stamp = (root / "meta" / "esc50.csv").stat().st_mtime_ns
    assert course_dataset(n_classes=5, clips_per_class=5, sr=8000) == root
    assert (root / "meta" / "esc50.csv").stat().st_mtime_ns == stamp
