"""ESC-50: dataset facts, metadata, label maps and leak-free splits.

ESC-50 (Piczak, 2015) holds 2,000 five-second clips recorded at 44.1 kHz, 40 clips for each
of 50 classes. The classes form 5 major categories of 10 consecutive targets each, and the
clips are pre-arranged into 5 folds of 400 clips so that all clips cut from one source
recording (``src_file``) stay in one fold. ``meta/esc50.csv`` lists every clip with the columns
``filename,fold,target,category,esc10,src_file,take`` (``category`` holds the class name) and
the file names follow ``{fold}-{src_file}-{take}-{target}.wav``.

Two tasks are defined on the dataset: ``"classes"`` (the 50-way classification) and
``"categories"`` (the 5 major categories). Their label maps are fixed by the dataset, never
derived from the clips of a batch or a split.
"""

from __future__ import annotations

import csv
import json
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..errors import DataError, ParameterError

__all__ = [
    "CLASSES",
    "CATEGORIES",
    "CATEGORY_KEYS",
    "ESC10_TARGETS",
    "COLUMNS",
    "N_FOLDS",
    "SAMPLE_RATE",
    "DURATION",
    "METADATA_FILE",
    "AUDIO_DIR",
    "TASKS",
    "category_of",
    "Clip",
    "load_metadata",
    "LabelMap",
    "labels",
    "Split",
    "fold_split",
    "course_split",
    "default_root",
    "DATA_ENV",
]

#: the 50 class names, in target order (``CLASSES[target]``), spelled as in ``esc50.csv``
CLASSES: tuple[str, ...] = (
    # Animals
    "dog", "rooster", "pig", "cow", "frog", "cat", "hen", "insects", "sheep", "crow",
    # Natural soundscapes & water sounds
    "rain", "sea_waves", "crackling_fire", "crickets", "chirping_birds", "water_drops",
    "wind", "pouring_water", "toilet_flush", "thunderstorm",
    # Human, non-speech sounds
    "crying_baby", "sneezing", "clapping", "breathing", "coughing", "footsteps", "laughing",
    "brushing_teeth", "snoring", "drinking_sipping",
    # Interior/domestic sounds
    "door_wood_knock", "mouse_click", "keyboard_typing", "door_wood_creaks", "can_opening",
    "washing_machine", "vacuum_cleaner", "clock_alarm", "clock_tick", "glass_breaking",
    # Exterior/urban noises
    "helicopter", "chainsaw", "siren", "car_horn", "engine", "train", "church_bells",
    "airplane", "fireworks", "hand_saw",
)  # fmt: skip

#: display names of the 5 major categories (``CATEGORIES[category_of(target)]``)
CATEGORIES: tuple[str, ...] = (
    "Animals",
    "Natural soundscapes & water sounds",
    "Human, non-speech sounds",
    "Interior/domestic sounds",
    "Exterior/urban noises",
)

#: short snake-case keys of the 5 categories (for file names and JSON)
CATEGORY_KEYS: tuple[str, ...] = ("animals", "natural", "human", "domestic", "urban")

#: targets of the ESC-10 subset (dog, rooster, rain, sea_waves, crackling_fire, crying_baby,
#: sneezing, clock_tick, helicopter, chainsaw)
ESC10_TARGETS: frozenset[int] = frozenset({0, 1, 10, 11, 12, 20, 21, 38, 40, 41})

#: columns of ``meta/esc50.csv``, in file order
COLUMNS: tuple[str, ...] = ("filename", "fold", "target", "category", "esc10", "src_file", "take")

N_FOLDS = 5
SAMPLE_RATE = 44100
DURATION = 5.0
METADATA_FILE = "meta/esc50.csv"
AUDIO_DIR = "audio"
TASKS: tuple[str, ...] = ("classes", "categories")

_CLASSES_PER_CATEGORY = len(CLASSES) // len(CATEGORIES)

#: environment variable naming the default dataset directory
DATA_ENV = "MACHINEHEARING_DATA"


def default_root() -> Path:
    """Default ESC-50 directory: ``$MACHINEHEARING_DATA`` when set, else ``./data/ESC-50``.

    Examples
    --------
    >>> default_root().name in ("ESC-50", Path(os.environ.get(DATA_ENV, "ESC-50")).name)
    True
    """
    return Path(os.environ.get(DATA_ENV) or Path("data") / "ESC-50")


def _check_target(target: int, name: str = "target") -> int:
    if isinstance(target, bool) or not isinstance(target, int | np.integer):
        raise ParameterError(f"{name} must be an integer in [0, 49], got {target!r}")
    if not 0 <= int(target) < len(CLASSES):
        raise ParameterError(f"{name} must be in [0, {len(CLASSES) - 1}], got {target}")
    return int(target)


def _check_task(task: str) -> str:
    if task not in TASKS:
        raise ParameterError(f"task must be one of {TASKS}, got {task!r}")
    return task


def category_of(target: int) -> int:
    """Return the major category (0-4) of an ESC-50 class target (0-49).

    Parameters
    ----------
    target : int
        Class target, ``0 <= target < 50``.

    Returns
    -------
    int
        Index into :data:`CATEGORIES`.

    Examples
    --------
    >>> category_of(0), category_of(19), category_of(42)
    (0, 1, 4)
    >>> CATEGORIES[category_of(CLASSES.index("siren"))]
    'Exterior/urban noises'
    """
    return _check_target(target) // _CLASSES_PER_CATEGORY


@dataclass(frozen=True)
class Clip:
    """One row of ``meta/esc50.csv``.

    Attributes
    ----------
    filename : str
        File name inside ``audio/``, ``{fold}-{src_file}-{take}-{target}.wav``.
    fold : int
        Official cross-validation fold, 1-5.
    target : int
        Class target, 0-49 (``CLASSES[target]`` is its name).
    category : str
        The class name as written in the csv (ESC-50 calls this column ``category``).
    esc10 : bool
        Whether the clip belongs to the ESC-10 subset.
    src_file : str
        Identifier of the source recording the clip was cut from.
    take : str
        Letter of the clip within its source recording (``"A"``, ``"B"``, ...).

    Examples
    --------
    >>> clip = Clip("1-100032-A-0.wav", 1, 0, "dog", True, "100032", "A")
    >>> clip.category_index, clip.path("ESC-50").as_posix()
    (0, 'ESC-50/audio/1-100032-A-0.wav')
    """

    filename: str
    fold: int
    target: int
    category: str
    esc10: bool
    src_file: str
    take: str

    @property
    def category_index(self) -> int:
        """The major category (0-4) of the clip, see :func:`category_of`."""
        return category_of(self.target)

    def path(self, root: str | PathLike) -> Path:
        """Path of the clip's audio file under the dataset ``root``."""
        return Path(root) / AUDIO_DIR / self.filename


def _parse_int(value: str, column: str, row: int, path: Path, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise DataError(
            f"{path}: row {row}: column {column!r} must be an integer in [{low}, {high}], "
            f"got {value!r}"
        )
    return number


def _parse_row(record: dict[str, str], row: int, path: Path) -> Clip:
    fold = _parse_int(record["fold"], "fold", row, path, 1, N_FOLDS)
    target = _parse_int(record["target"], "target", row, path, 0, len(CLASSES) - 1)
    esc10_text = record["esc10"].strip()
    if esc10_text not in ("True", "False"):
        raise DataError(f"{path}: row {row}: column 'esc10' must be True or False, "
                        f"got {esc10_text!r}")
    clip = Clip(
        filename=record["filename"].strip(),
        fold=fold,
        target=target,
        category=record["category"].strip(),
        esc10=esc10_text == "True",
        src_file=record["src_file"].strip(),
        take=record["take"].strip(),
    )
    if clip.category != CLASSES[target]:
        raise DataError(
            f"{path}: row {row}: category {clip.category!r} does not match target {target} "
            f"({CLASSES[target]!r})"
        )
    if not clip.src_file or not clip.take:
        raise DataError(f"{path}: row {row}: empty src_file or take in {clip.filename!r}")
    expected = f"{clip.fold}-{clip.src_file}-{clip.take}-{clip.target}.wav"
    if clip.filename != expected:
        raise DataError(
            f"{path}: row {row}: filename {clip.filename!r} does not agree with the columns "
            f"fold/src_file/take/target (expected {expected!r})"
        )
    return clip


def load_metadata(root: str | PathLike, *, esc10: bool = False) -> list[Clip]:
    """Read and validate ``meta/esc50.csv`` of an ESC-50 directory.

    Parameters
    ----------
    root : str or path-like
        Dataset directory (the one holding ``audio/`` and ``meta/``).
    esc10 : bool, default False
        Keep only the clips of the ESC-10 subset.

    Returns
    -------
    list of Clip
        One record per row, in file order.

    Raises
    ------
    DataError
        When the file is missing, a column is missing, or a row has a bad value (the message
        names the row number, counting the header as row 1, and the value), or two rows name
        the same file.

    Examples
    --------
    >>> import tempfile
    >>> from machinehearing.datasets.synthetic import make_esc50_like
    >>> root = make_esc50_like(tempfile.mkdtemp() + "/ESC-50", n_classes=5, clips_per_class=5,
    ...                        sr=8000, duration=1.0, progress=False)
    >>> clips = load_metadata(root)
    >>> len(clips), sorted({c.target for c in clips})
    (25, [0, 10, 20, 30, 40])
    >>> len(load_metadata(root, esc10=True))
    20
    """
    path = Path(root) / METADATA_FILE
    if not path.is_file():
        raise DataError(
            f"no metadata file {path}: pass the ESC-50 directory (holding audio/ and meta/) "
            "or run 'machinehearing download'"
        )
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise DataError(f"{path}: missing column(s) {missing}; expected {list(COLUMNS)}")
        clips = []
        for row, record in enumerate(reader, start=2):
            if None in record.values() or None in record:
                raise DataError(f"{path}: row {row}: wrong number of fields")
            clips.append(_parse_row(record, row, path))
    seen: dict[str, int] = {}
    for row, clip in enumerate(clips, start=2):
        if clip.filename in seen:
            raise DataError(f"{path}: row {row}: {clip.filename!r} already listed in row "
                            f"{seen[clip.filename]}")
        seen[clip.filename] = row
    if esc10:
        clips = [c for c in clips if c.esc10]
    return clips


@dataclass(frozen=True)
class LabelMap:
    """The mapping from ESC-50 targets to the labels of a task.

    The label map is a property of the dataset and the task, never of the clips at hand: a
    model trained on a subset still has ``len(label_map)`` outputs, and the map is saved next
    to every model (:meth:`to_json`).

    Attributes
    ----------
    task : {"classes", "categories"}
        ``"classes"``: 50 labels, label = target; ``"categories"``: 5 labels, label =
        :func:`category_of` (target).
    names : tuple of str
        Label names, ``names[label]``.

    Examples
    --------
    >>> lm = LabelMap.for_task("categories")
    >>> len(lm), lm.encode(42), lm.names[lm.encode(42)]
    (5, 4, 'Exterior/urban noises')
    >>> LabelMap.from_json(lm.to_json()) == lm
    True
    """

    task: str
    names: tuple[str, ...]

    @classmethod
    def for_task(cls, task: str) -> LabelMap:
        """Return the label map of ``task`` ("classes" or "categories")."""
        _check_task(task)
        return cls(task, CLASSES if task == "classes" else CATEGORIES)

    def __len__(self) -> int:
        return len(self.names)

    @property
    def num_classes(self) -> int:
        """Number of labels (the size of a classifier's output)."""
        return len(self.names)

    def encode(self, target: int) -> int:
        """Return the label of an ESC-50 class ``target`` for this task."""
        target = _check_target(target)
        return target if self.task == "classes" else category_of(target)

    def to_json(self) -> str:
        """Serialise to a JSON string (``{"task": ..., "names": [...]}``)."""
        return json.dumps({"task": self.task, "names": list(self.names)}, indent=2)

    @classmethod
    def from_json(cls, source: str | PathLike) -> LabelMap:
        """Read a label map from a JSON string or a JSON file written by :meth:`to_json`.

        Raises :class:`DataError` when the content is not a valid label map of a known task.
        """
        if isinstance(source, str) and source.lstrip().startswith("{"):
            text, origin = source, "label map JSON"
        else:
            path = Path(source)
            if not path.is_file():
                raise DataError(f"no label map file {path}")
            text, origin = path.read_text(encoding="utf-8"), str(path)
        try:
            data = json.loads(text)
            task, names = data["task"], tuple(data["names"])
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"{origin}: not a label map ({exc})") from None
        if task not in TASKS:
            raise DataError(f"{origin}: unknown task {task!r}; expected one of {TASKS}")
        expected = cls.for_task(task)
        if names != expected.names:
            raise DataError(f"{origin}: label names do not match the ESC-50 {task!r} task")
        return expected


def labels(clips: Sequence[Clip], task: str = "classes") -> np.ndarray:
    """Return the integer labels of ``clips`` for ``task`` as an int64 array.

    Examples
    --------
    >>> clips = [Clip("1-1-A-3.wav", 1, 3, "cow", False, "1", "A"),
    ...          Clip("1-2-A-41.wav", 1, 41, "chainsaw", True, "2", "A")]
    >>> labels(clips).tolist(), labels(clips, "categories").tolist()
    ([3, 41], [0, 4])
    """
    label_map = LabelMap.for_task(task)
    return np.array([label_map.encode(c.target) for c in clips], dtype=np.int64)


class Split(NamedTuple):
    """Indices (into a list of clips) of the train, validation and test sets."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


def _indices(mask: Iterable[bool]) -> np.ndarray:
    return np.flatnonzero(np.fromiter(mask, dtype=bool)).astype(np.int64)


def fold_split(clips: Sequence[Clip], *, test_fold: int, val_fold: int | None = None) -> Split:
    """Official cross-validation split: one test fold, an optional validation fold, the rest train.

    Because ESC-50 keeps every source recording in one fold, this split never puts clips of
    one ``src_file`` on two sides.

    Parameters
    ----------
    clips : sequence of Clip
        Metadata records (:func:`load_metadata`).
    test_fold : int
        Fold used for testing.
    val_fold : int, optional
        Fold used for validation; ``None`` leaves the validation set empty.

    Returns
    -------
    Split

    Examples
    --------
    >>> clips = [Clip(f"{k}-{k}-A-0.wav", k, 0, "dog", True, str(k), "A") for k in range(1, 6)]
    >>> split = fold_split(clips, test_fold=5, val_fold=4)
    >>> split.train.tolist(), split.val.tolist(), split.test.tolist()
    ([0, 1, 2], [3], [4])
    """
    folds = sorted({c.fold for c in clips})
    if test_fold not in folds:
        raise ParameterError(f"test_fold must be one of the folds present {folds}, "
                             f"got {test_fold!r}")
    if val_fold is not None and (val_fold not in folds or val_fold == test_fold):
        raise ParameterError(f"val_fold must be a fold in {folds} other than test_fold "
                             f"({test_fold}), got {val_fold!r}")
    return Split(
        train=_indices(c.fold not in (test_fold, val_fold) for c in clips),
        val=_indices(c.fold == val_fold for c in clips),
        test=_indices(c.fold == test_fold for c in clips),
    )


def course_split(
    clips: Sequence[Clip],
    *,
    fractions: Sequence[float] = (0.75, 0.20, 0.05),
    task: str = "classes",
    seed: int = 0,
) -> Split:
    """Random train/validation/test split, stratified by label and grouped by source recording.

    Clips cut from one ``src_file`` always land on the same side (otherwise near-identical
    takes of one recording would leak from training into testing). Within each label, source
    recordings are shuffled, ordered largest first and handed, one at a time, to the side
    furthest below its target share; the shortfall carries over from label to label, so the
    overall sizes follow ``fractions`` closely even when each label has only a few clips.

    Parameters
    ----------
    clips : sequence of Clip
        Metadata records.
    fractions : 3 floats, default (0.75, 0.20, 0.05)
        Shares of train, validation and test; non-negative, summing to 1.
    task : {"classes", "categories"}, default "classes"
        The labels to stratify by.
    seed : int, default 0
        Seed of the shuffle; the same seed gives the same split.

    Returns
    -------
    Split

    Examples
    --------
    >>> clips = [Clip(f"1-{i // 2}-{'AB'[i % 2]}-{t}.wav", 1, t, CLASSES[t], False,
    ...               str(i // 2), "AB"[i % 2]) for t in range(4) for i in range(20)]
    >>> split = course_split(clips, fractions=(0.5, 0.3, 0.2), seed=1)
    >>> len(split.train), len(split.val), len(split.test)
    (40, 24, 16)
    """
    shares = np.asarray(fractions, dtype=np.float64)
    if shares.shape != (3,) or np.any(shares < 0) or not np.isclose(shares.sum(), 1.0):
        raise ParameterError(
            f"fractions must be 3 non-negative shares (train, val, test) summing to 1, "
            f"got {tuple(fractions)!r}"
        )
    label_of_clip = labels(clips, task)
    groups: dict[str, list[int]] = defaultdict(list)
    for index, clip in enumerate(clips):
        groups[clip.src_file].append(index)
    # stratum of a group = the most common label among its clips (one label in ESC-50)
    strata: dict[int, list[str]] = defaultdict(list)
    for src_file, members in groups.items():
        label = Counter(label_of_clip[members].tolist()).most_common(1)[0][0]
        strata[label].append(src_file)
    rng = np.random.default_rng(seed)
    side_of_clip = np.empty(len(clips), dtype=np.int64)
    assigned = np.zeros(3)
    wanted = np.zeros(3)
    for label in sorted(strata):
        src_files = sorted(strata[label])
        wanted += shares * sum(len(groups[s]) for s in src_files)
        shuffled = [src_files[i] for i in rng.permutation(len(src_files))]
        # largest recordings first (random among equal sizes): the small ones fill the gaps
        for src_file in sorted(shuffled, key=lambda s: -len(groups[s])):
            members = groups[src_file]
            side = int(np.argmax(wanted - assigned))
            side_of_clip[members] = side
            assigned[side] += len(members)
    return Split(*(np.flatnonzero(side_of_clip == side).astype(np.int64) for side in range(3)))
