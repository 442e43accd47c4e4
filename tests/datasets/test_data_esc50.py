"""ESC-50 facts, metadata parsing and leak-free splits."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from machinehearing.datasets.esc50 import (
    CATEGORIES,
    CLASSES,
    COLUMNS,
    ESC10_TARGETS,
    Clip,
    LabelMap,
    category_of,
    course_split,
    default_root,
    fold_split,
    labels,
    load_metadata,
)
from machinehearing.errors import DataError, ParameterError


def test_classes_follow_the_official_target_order():
    assert len(CLASSES) == len(set(CLASSES)) == 50
    assert (CLASSES[0], CLASSES[10], CLASSES[20], CLASSES[30], CLASSES[40], CLASSES[49]) == (
        "dog", "rain", "crying_baby", "door_wood_knock", "helicopter", "hand_saw")
    assert len(CATEGORIES) == 5 and CATEGORIES[1] == "Natural soundscapes & water sounds"
    assert sorted(CLASSES[t] for t in ESC10_TARGETS) == sorted(
        ["dog", "rooster", "rain", "sea_waves", "crackling_fire", "crying_baby", "sneezing",
         "clock_tick", "helicopter", "chainsaw"])


@pytest.mark.parametrize("target, category", [(0, 0), (9, 0), (10, 1), (29, 2), (30, 3),
                                              (39, 3), (40, 4), (49, 4)])
def test_category_of_groups_ten_consecutive_targets(target, category):
    assert category_of(target) == category


@pytest.mark.parametrize("target", [-1, 50, 3.0, "3", True])
def test_category_of_rejects_invalid_targets(target):
    with pytest.raises(ParameterError, match="target"):
        category_of(target)


def test_default_root_reads_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MACHINEHEARING_DATA", str(tmp_path))
    assert default_root() == tmp_path
    monkeypatch.delenv("MACHINEHEARING_DATA")
    assert default_root() == Path("data") / "ESC-50"


# --------------------------------------------------------------------------------- metadata


def test_load_metadata_returns_typed_records(esc50_root):
    clips = load_metadata(esc50_root)
    assert len(clips) == 80
    clip = clips[0]
    assert isinstance(clip, Clip)
    assert isinstance(clip.fold, int) and isinstance(clip.target, int)
    assert isinstance(clip.esc10, bool)
    assert clip.category == CLASSES[clip.target]
    assert clip.filename == f"{clip.fold}-{clip.src_file}-{clip.take}-{clip.target}.wav"
    assert all(c.path(esc50_root).is_file() for c in clips)


def test_esc10_option_keeps_exactly_the_esc10_classes(esc50_root):
    clips = load_metadata(esc50_root)
    subset = load_metadata(esc50_root, esc10=True)
    assert subset == [c for c in clips if c.target in ESC10_TARGETS]
    assert {c.target for c in subset} == {0, 1, 10, 11, 20, 21, 40, 41}


def _write_csv(root: Path, header, rows) -> Path:
    (root / "meta").mkdir(parents=True, exist_ok=True)
    with (root / "meta" / "esc50.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return root


GOOD_ROWS = [
    ["1-100032-A-0.wav", "1", "0", "dog", "True", "100032", "A"],
    ["1-100038-A-14.wav", "1", "14", "chirping_birds", "False", "100038", "A"],
    ["2-100038-B-14.wav", "2", "14", "chirping_birds", "False", "100038", "B"],
]


def test_load_metadata_reads_a_hand_written_file(tmp_path):
    clips = load_metadata(_write_csv(tmp_path, COLUMNS, GOOD_ROWS))
    assert clips[1] == Clip("1-100038-A-14.wav", 1, 14, "chirping_birds", False, "100038", "A")


def test_load_metadata_names_a_missing_column(tmp_path):
    header = [c for c in COLUMNS if c != "src_file"]
    rows = [[v for c, v in zip(COLUMNS, row) if c != "src_file"] for row in GOOD_ROWS]
    with pytest.raises(DataError, match="src_file"):
        load_metadata(_write_csv(tmp_path, header, rows))


@pytest.mark.parametrize(
    "column, value, match",
    [
        ("fold", "7", r"row 3: column 'fold'.*'7'"),
        ("fold", "one", r"row 3: column 'fold'.*'one'"),
        ("target", "50", r"row 3: column 'target'.*'50'"),
        ("esc10", "yes", r"row 3: column 'esc10'.*'yes'"),
        ("category", "cat", r"row 3: category 'cat'"),
        ("take", "C", r"row 3: filename '1-100038-A-14.wav' does not agree"),
        ("filename", "1-100038-A-14.mp3", r"row 3: filename"),
    ],
)
def test_load_metadata_names_the_bad_row_and_value(tmp_path, column, value, match):
    rows = [list(r) for r in GOOD_ROWS]
    rows[1][COLUMNS.index(column)] = value
    with pytest.raises(DataError, match=match):
        load_metadata(_write_csv(tmp_path, COLUMNS, rows))


def test_load_metadata_rejects_a_file_listed_twice(tmp_path):
    rows = [GOOD_ROWS[0], GOOD_ROWS[1], GOOD_ROWS[0]]
    with pytest.raises(DataError, match=r"row 4: '1-100032-A-0.wav' already listed in row 2"):
        load_metadata(_write_csv(tmp_path, COLUMNS, rows))


def test_load_metadata_without_a_dataset_says_what_to_do(tmp_path):
    with pytest.raises(DataError, match="machinehearing download"):
        load_metadata(tmp_path)


# --------------------------------------------------------------------------------- labels


@pytest.mark.parametrize("task, n, target, label", [("classes", 50, 42, 42),
                                                    ("categories", 5, 42, 4)])
def test_label_map_is_fixed_by_the_task(task, n, target, label):
    label_map = LabelMap.for_task(task)
    assert len(label_map) == label_map.num_classes == n
    assert label_map.encode(target) == label


def test_labels_do_not_depend_on_the_clips_present(esc50_root):
    clips = load_metadata(esc50_root)
    few = [c for c in clips if c.target in (10, 40)]
    np.testing.assert_array_equal(labels(few), [c.target for c in few])
    np.testing.assert_array_equal(labels(few, "categories"), [c.target // 10 for c in few])
    assert labels(few).dtype == np.int64


@pytest.mark.parametrize("task", ["classes", "categories"])
def test_label_map_round_trips_through_json_text_and_file(task, tmp_path):
    label_map = LabelMap.for_task(task)
    assert LabelMap.from_json(label_map.to_json()) == label_map
    path = tmp_path / "label_map.json"
    path.write_text(label_map.to_json())
    assert LabelMap.from_json(path) == label_map
    assert LabelMap.from_json(str(path)) == label_map


@pytest.mark.parametrize(
    "text, match",
    [
        ('{"task": "species", "names": []}', "unknown task"),
        ('{"task": "categories", "names": ["a", "b"]}', "do not match"),
        ('{"names": []}', "not a label map"),
    ],
)
def test_label_map_from_json_rejects_foreign_maps(text, match):
    with pytest.raises(DataError, match=match):
        LabelMap.from_json(text)


def test_unknown_task_is_a_parameter_error():
    with pytest.raises(ParameterError, match="task"):
        LabelMap.for_task("speakers")


# --------------------------------------------------------------------------------- splits


def many_groups_metadata(seed: int = 0, n_classes: int = 50, per_class: int = 40) -> list[Clip]:
    """Hand-built metadata: every class cut into source recordings of 1-6 takes."""
    rng = np.random.default_rng(seed)
    clips, src = [], 1000
    for target in range(n_classes):
        left = per_class
        while left:
            size = int(min(left, rng.integers(1, 7)))
            fold = int(rng.integers(1, 6))
            for take in "ABCDEF"[:size]:
                clips.append(Clip(f"{fold}-{src}-{take}-{target}.wav", fold, target,
                                  CLASSES[target], target in ESC10_TARGETS, str(src), take))
            src += 1
            left -= size
    return clips


def assert_no_src_file_on_two_sides(clips, split):
    sides = [{clips[i].src_file for i in part} for part in split]
    assert not sides[0] & sides[1] and not sides[0] & sides[2] and not sides[1] & sides[2]


def assert_partition(clips, split):
    everything = np.concatenate(split)
    assert len(everything) == len(clips) == len(set(everything.tolist()))


@pytest.mark.parametrize("test_fold, val_fold", [(1, None), (5, 4), (3, 1)])
def test_fold_split_follows_the_official_folds(esc50_root, test_fold, val_fold):
    clips = load_metadata(esc50_root)
    split = fold_split(clips, test_fold=test_fold, val_fold=val_fold)
    assert_partition(clips, split)
    assert {clips[i].fold for i in split.test} == {test_fold}
    assert {clips[i].fold for i in split.val} == ({val_fold} if val_fold else set())
    assert not {clips[i].fold for i in split.train} & {test_fold, val_fold}
    assert_no_src_file_on_two_sides(clips, split)


@pytest.mark.parametrize("kwargs", [dict(test_fold=6), dict(test_fold=2, val_fold=2),
                                    dict(test_fold=2, val_fold=0)])
def test_fold_split_rejects_bad_folds(esc50_root, kwargs):
    with pytest.raises(ParameterError, match="fold"):
        fold_split(load_metadata(esc50_root), **kwargs)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("task", ["classes", "categories"])
def test_course_split_never_puts_one_source_on_two_sides(esc50_root, seed, task):
    for clips in (load_metadata(esc50_root), many_groups_metadata(seed)):
        split = course_split(clips, task=task, seed=seed)
        assert_partition(clips, split)
        assert_no_src_file_on_two_sides(clips, split)


@pytest.mark.parametrize("task", ["classes", "categories"])
def test_course_split_is_stratified_with_the_requested_fractions(task):
    clips = many_groups_metadata(seed=5)
    split = course_split(clips, fractions=(0.75, 0.20, 0.05), task=task, seed=0)
    sizes = np.array([len(part) for part in split]) / len(clips)
    np.testing.assert_allclose(sizes, [0.75, 0.20, 0.05], atol=0.01)
    y = labels(clips, task)
    for label in np.unique(y):
        share = np.mean(y[split.train] == label) / np.mean(y == label)
        assert 0.85 < share < 1.15  # each label is represented in train like in the whole set
        assert np.any(y[split.val] == label)


def test_course_split_is_deterministic_given_the_seed():
    clips = many_groups_metadata()
    a, b, c = (course_split(clips, seed=s) for s in (7, 7, 8))
    for part_a, part_b in zip(a, b):
        np.testing.assert_array_equal(part_a, part_b)
    assert not np.array_equal(a.test, c.test)


@pytest.mark.parametrize("fractions", [(0.8, 0.2), (0.8, 0.3, 0.1), (1.2, -0.1, -0.1)])
def test_course_split_rejects_bad_fractions(fractions):
    with pytest.raises(ParameterError, match="fractions"):
        course_split(many_groups_metadata(n_classes=2), fractions=fractions)


def test_label_map_json_is_plain_json():
    data = json.loads(LabelMap.for_task("categories").to_json())
    assert data == {"task": "categories", "names": list(CATEGORIES)}
