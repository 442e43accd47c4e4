"""Example recordings by name, in the style of ``librosa.ex()``: real where the network allows.

:func:`example` returns the path of a cached audio file. The registry :data:`EXAMPLES` names
a handful of real recordings: single ESC-50 clips by their raw file URL in the dataset's
GitHub repository (checked on download for the ESC-50 format: mono WAV, 44.1 kHz, 5 s), and
two real environmental recordings of librosa's example registry (checked by their SHA-256).
Files are downloaded once into ``$MACHINEHEARING_CACHE/examples`` (default
``~/.cache/machinehearing/examples``) and written atomically.

Without a network (or with ``MACHINEHEARING_OFFLINE=1``, or ``offline=True``) it never fails
silently and never pretends: it returns a **synthetic stand-in** rendered by the class's
recipe (:mod:`machinehearing.datasets.recipes`), warns with :class:`StandInWarning`, and the
file name says so (``synthetic-stand-in-for-dog.wav``). Use :func:`describe` for an honest
figure title.

Examples
--------
>>> import warnings
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     path = example("dog", offline=True)
>>> path.name, is_synthetic(path), describe(path)
('synthetic-stand-in-for-dog.wav', True, 'synthetic stand-in for dog')
>>> issubclass(caught[0].category, StandInWarning)
True
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import warnings
from os import PathLike
from pathlib import Path
from typing import NamedTuple

import soundfile as sf

from .._io import atomic_path
from ..errors import DataError, ParameterError
from .esc50 import CLASSES, DURATION, SAMPLE_RATE

__all__ = [
    "Example",
    "EXAMPLES",
    "OFFLINE_ENV",
    "StandInWarning",
    "example",
    "is_synthetic",
    "describe",
    "list_examples",
]

#: set to 1 to never try the network (stand-ins at once, with the warning)
OFFLINE_ENV = "MACHINEHEARING_OFFLINE"

#: file-name prefix of every synthetic stand-in
STAND_IN_PREFIX = "synthetic-stand-in-for-"

_ESC50_RAW = "https://raw.githubusercontent.com/karolpiczak/ESC-50/master/audio/"
_LIBROSA = "https://librosa.org/data/audio/"


class Example(NamedTuple):
    """A registry entry: where a real recording lives and what stands in for it offline."""

    url: str
    description: str
    stand_in: str  # the ESC-50 class whose synthetic recipe stands in for it
    sha256: str | None = None  # pinned bytes; None: ESC-50 format checks instead


def _esc50(filename: str, description: str) -> Example:
    target = int(filename.rsplit("-", 1)[1].split(".")[0])
    return Example(_ESC50_RAW + filename, f"{description} (ESC-50 clip {filename})",
                   CLASSES[target])


#: name -> :class:`Example`
EXAMPLES: dict[str, Example] = {
    "dog": _esc50("1-100032-A-0.wav", "a dog barking"),
    "crow": _esc50("1-103298-A-9.wav", "a crow cawing"),
    "rain": _esc50("1-17367-A-10.wav", "rain"),
    "chirping_birds": _esc50("1-100038-A-14.wav", "birds chirping"),
    "thunderstorm": _esc50("1-101296-A-19.wav", "a thunderstorm"),
    "door_wood_knock": _esc50("1-101336-A-30.wav", "knocking on a wooden door"),
    "can_opening": _esc50("1-101404-A-34.wav", "a can being opened"),
    "vacuum_cleaner": _esc50("1-100210-A-36.wav", "a vacuum cleaner"),
    "robin": Example(
        _LIBROSA + "456440__inspectorj__bird-whistling-robin-single-13.ogg",
        "a robin singing (InspectorJ, freesound 456440, via librosa)", "chirping_birds",
        "57c2b861d028e25d7c086b48853f20eda1ae9a7a33e1125a1f3bec91539b4208"),
    "humpback": Example(
        _LIBROSA + "glacier-bay-humpback.ogg",
        "humpback whale song, Glacier Bay (NPS, via librosa); stand-in: the low harmonic "
        "calls of the 'cow' recipe", "cow",
        "64395c617b28b5e31a03032b99b4617bc96b926f3bc5c141862cd13fb79ccd8e"),
}  # fmt: skip


class StandInWarning(UserWarning):
    """An example is a synthetic stand-in, not the real recording (no network)."""


def _cache_dir(cache_dir: str | PathLike | None) -> Path:
    from .synthetic import CACHE_ENV

    if cache_dir is None:
        cache_dir = os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "machinehearing"
    return Path(cache_dir) / "examples"


def _check(path: Path, entry: Example) -> None:
    """Raise DataError unless ``path`` holds what ``entry`` promises."""
    if entry.sha256 is not None:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != entry.sha256:
            raise DataError(f"{entry.url}: SHA-256 {digest} is not the expected {entry.sha256}")
        return
    try:
        info = sf.info(str(path))
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise DataError(f"{entry.url} is not a readable audio file: {exc}") from None
    expected = ("WAV", SAMPLE_RATE, 1, int(SAMPLE_RATE * DURATION))
    found = (info.format, info.samplerate, info.channels, info.frames)
    if found != expected:
        raise DataError(f"{entry.url}: (format, sr, channels, frames) {found}, expected an "
                        f"ESC-50 clip {expected}")


def _download(entry: Example, target: Path, timeout: float) -> None:
    from .download import _fetch

    with atomic_path(target, suffix=".part") as part:
        _fetch(entry.url, part, progress=False, timeout=timeout)
        _check(part, entry)


def _stand_in(name: str, entry: Example, folder: Path) -> Path:
    from . import synthetic

    path = folder / f"{STAND_IN_PREFIX}{name}.wav"
    if not path.is_file():
        y = synthetic.synthesize(entry.stand_in, sr=SAMPLE_RATE, duration=DURATION)
        with atomic_path(path) as tmp:
            sf.write(str(tmp), y, SAMPLE_RATE, subtype="PCM_16", format="WAV")
    return path


def example(
    name: str,
    *,
    offline: bool | None = None,
    cache_dir: str | PathLike | None = None,
    timeout: float = 10.0,
) -> Path:
    """The path of the example recording ``name``: the real file, or a marked stand-in.

    Parameters
    ----------
    name : str
        A key of :data:`EXAMPLES` (see :func:`list_examples`).
    offline : bool, optional
        True: do not try the network. Default: ``$MACHINEHEARING_OFFLINE`` (``1`` means
        offline), else try.
    cache_dir : str or path-like, optional
        Cache root (default ``$MACHINEHEARING_CACHE``, else ``~/.cache/machinehearing``);
        files go to its ``examples/`` folder.
    timeout : float, default=10.0
        Seconds to wait for the server.

    Returns
    -------
    pathlib.Path
        The cached real recording, or, when it cannot be downloaded, a synthetic stand-in
        named ``synthetic-stand-in-for-<name>.wav`` (with a :class:`StandInWarning`).

    Raises
    ------
    ParameterError
        When ``name`` is not in the registry.
    DataError
        When a download arrives but is not what the registry promises (wrong hash, not an
        ESC-50 clip): a corrupted file is an error, not a reason for a stand-in.

    Examples
    --------
    >>> import warnings
    >>> from machinehearing import audio
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", StandInWarning)
    ...     y, sr = audio.load(example("rain", offline=True))
    >>> y.shape, sr
    ((220500,), 44100)
    """
    if name not in EXAMPLES:
        raise ParameterError(f"unknown example {name!r}; choose one of {sorted(EXAMPLES)}")
    entry = EXAMPLES[name]
    folder = _cache_dir(cache_dir)
    folder.mkdir(parents=True, exist_ok=True)
    real = folder / entry.url.rsplit("/", 1)[1]
    if real.is_file():
        return real
    if offline is None:
        offline = os.environ.get(OFFLINE_ENV, "") not in ("", "0")
    reason = f"offline (offline=True or ${OFFLINE_ENV})"
    if not offline:
        try:
            _download(entry, real, timeout)
            return real
        except (OSError, http.client.HTTPException, urllib.error.URLError) as exc:
            reason = f"cannot download {entry.url} ({exc})"
    warnings.warn(
        f"example {name!r}: {reason}; returning a SYNTHETIC stand-in rendered by the "
        f"{entry.stand_in!r} recipe, not a real recording",
        StandInWarning,
        stacklevel=2,
    )
    return _stand_in(name, entry, folder)


def is_synthetic(path: str | PathLike) -> bool:
    """Whether ``path`` is a synthetic stand-in returned by :func:`example`.

    Examples
    --------
    >>> is_synthetic("1-100032-A-0.wav"), is_synthetic("synthetic-stand-in-for-dog.wav")
    (False, True)
    """
    return Path(path).name.startswith(STAND_IN_PREFIX)


def describe(path: str | PathLike) -> str:
    """An honest title for an example file: what it is, and whether it is synthetic.

    Examples
    --------
    >>> describe("synthetic-stand-in-for-rain.wav")
    'synthetic stand-in for rain'
    >>> describe("/cache/examples/1-100032-A-0.wav")
    'a dog barking (ESC-50 clip 1-100032-A-0.wav)'
    """
    name = Path(path).name
    if is_synthetic(name):
        return "synthetic stand-in for " + Path(name).stem.removeprefix(STAND_IN_PREFIX)
    for entry in EXAMPLES.values():
        if entry.url.rsplit("/", 1)[1] == name:
            return entry.description
    return name


def list_examples() -> str:
    """One line per example: its name and what the real recording is.

    Examples
    --------
    >>> print(list_examples().splitlines()[0])
    dog             a dog barking (ESC-50 clip 1-100032-A-0.wav)
    """
    return "\n".join(f"{name:15s} {entry.description}" for name, entry in EXAMPLES.items())
