"""Download ESC-50 safely, and verify a dataset directory.

:func:`download` streams the official archive (the GitHub master zip of karolpiczak/ESC-50)
into a ``.part`` file next to the dataset directory, resumes an interrupted transfer with an
HTTP ``Range`` request, checks the archive's SHA-256, refuses archive members that would land
outside the dataset directory (``../``, absolute paths, symbolic links), extracts into a
temporary directory, verifies the extracted files with :func:`verify`, writes a marker file
last and then moves the directory into place with one rename. A failed or interrupted run
therefore never leaves something that looks like a complete dataset, and a verified dataset
is not downloaded again.

About the checksum: GitHub builds branch archives on the fly; their bytes are not guaranteed to
stay the same over time, and ``master`` may move. The module therefore ships ``SHA256 =
None``: without an expected hash, :func:`download` prints the hash it computed (pin it by
passing ``sha256=`` next time, e.g. for a class that must all get the same bytes) and the
integrity check is :func:`verify`, which opens every listed file and checks its sampling rate,
length, the metadata columns and the class/fold counts. With a hash given, a mismatch is an
error and the archive is deleted.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import stat
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path, PurePosixPath

import soundfile as sf
from tqdm.auto import tqdm

from .._io import atomic_write_json
from ..errors import DataError, ParameterError
from .esc50 import AUDIO_DIR, load_metadata

__all__ = ["URL", "SHA256", "MARKER_FILE", "download", "verify", "VerifyReport"]

#: the official archive: the master branch of https://github.com/karolpiczak/ESC-50
URL = "https://github.com/karolpiczak/ESC-50/archive/master.zip"

#: expected SHA-256 of the archive; ``None``: not pinned (see the module docstring)
SHA256: str | None = None

#: written last into a downloaded and verified dataset
MARKER_FILE = ".machinehearing-download.json"

_CHUNK = 1 << 20


# ---------------------------------------------------------------------------------------------
# directory swap (shared by the synthetic set)
# ---------------------------------------------------------------------------------------------


def replace_dir(src: Path, dst: Path) -> None:
    """Move directory ``src`` to ``dst``, replacing ``dst`` (renames only, same filesystem)."""
    if not dst.exists():
        os.replace(src, dst)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{dst.name}.", suffix=".old", dir=dst.parent))
    os.replace(dst, old / dst.name)
    os.replace(src, dst)
    shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# verification
# ---------------------------------------------------------------------------------------------


@dataclass
class VerifyReport:
    """Result of :func:`verify`.

    Attributes
    ----------
    root : pathlib.Path
        The directory checked.
    problems : list of str
        One readable line per problem; empty when the dataset is complete.
    n_clips : int
        Number of clips listed in the metadata.
    sr : int or None
        Sampling rate the files were checked against.
    duration : float or None
        Clip length (seconds) the files were checked against.
    """

    root: Path
    problems: list[str] = field(default_factory=list)
    n_clips: int = 0
    sr: int | None = None
    duration: float | None = None

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def __str__(self) -> str:
        head = (f"{self.root}: {self.n_clips} clips"
                + (f", {self.sr} Hz, {self.duration:g} s" if self.sr else ""))
        if self.ok:
            return f"{head}: OK"
        lines = [f"{head}: {len(self.problems)} problem(s)"]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)


def _most_common(values):
    return Counter(values).most_common(1)[0][0] if values else None


def verify(
    root: str | PathLike,
    *,
    sr: int | None = None,
    duration: float | None = None,
    max_listed: int = 20,
) -> VerifyReport:
    """Check an ESC-50 directory: metadata, every listed audio file, class and fold counts.

    Parameters
    ----------
    root : str or path-like
        Dataset directory (holding ``audio/`` and ``meta/esc50.csv``).
    sr : int, optional
        Expected sampling rate (44100 for ESC-50); ``None``: the rate of most files.
    duration : float, optional
        Expected clip length in seconds (5.0 for ESC-50); ``None``: the length of most files.
    max_listed : int, default 20
        At most this many problems of one kind are listed (then a count of the rest).

    Returns
    -------
    VerifyReport
        ``.ok`` is True when nothing is wrong; ``.problems`` names every problem.

    Examples
    --------
    >>> import tempfile
    >>> from machinehearing.datasets.synthetic import make_esc50_like
    >>> root = make_esc50_like(tempfile.mkdtemp() + "/ESC-50", n_classes=5, clips_per_class=5,
    ...                        sr=8000, duration=1.0, progress=False)
    >>> report = verify(root)
    >>> report.ok, report.n_clips, report.sr
    (True, 25, 8000)
    >>> first = load_metadata(root)[0].path(root)
    >>> first.write_bytes(b"not audio") and None
    >>> verify(root).ok
    False
    """
    root = Path(root)
    report = VerifyReport(root=root)
    try:
        clips = load_metadata(root)
    except DataError as exc:
        report.problems.append(str(exc))
        return report
    report.n_clips = len(clips)
    if not clips:
        report.problems.append(f"{root}: the metadata lists no clips")
        return report

    kinds: dict[str, list[str]] = defaultdict(list)
    infos = {}
    for clip in clips:
        path = clip.path(root)
        try:
            info = sf.info(str(path))
            with sf.SoundFile(str(path)) as f:  # read the last frames: the data is all there
                f.seek(max(0, info.frames - 16))
                if len(f.read(16)) != min(16, info.frames):
                    raise RuntimeError("truncated data")
        except (OSError, RuntimeError, sf.LibsndfileError) as exc:
            kinds["unreadable"].append(f"{clip.filename}: cannot be read as audio ({exc})")
            continue
        infos[clip.filename] = info
    report.sr = sr if sr is not None else _most_common([i.samplerate for i in infos.values()])
    frames = _most_common([i.frames for i in infos.values()])
    report.duration = (float(duration) if duration is not None
                       else (frames / report.sr if frames is not None else None))
    if report.sr is not None and report.duration is not None:
        expected_frames = round(report.duration * report.sr)
        for name, info in infos.items():
            if info.samplerate != report.sr:
                kinds["rate"].append(f"{name}: sampling rate {info.samplerate} Hz, expected "
                                     f"{report.sr} Hz")
            elif info.frames != expected_frames:
                kinds["length"].append(f"{name}: {info.frames / info.samplerate:.3f} s, "
                                       f"expected {report.duration:g} s")
            if info.channels != 1:
                kinds["channels"].append(f"{name}: {info.channels} channels, expected mono")

    per_class = Counter(c.target for c in clips)
    usual = _most_common(list(per_class.values()))
    for target, count in sorted(per_class.items()):
        if count != usual:
            kinds["counts"].append(f"class {target}: {count} clips, the others have {usual}")
    folds = sorted({c.fold for c in clips})
    for target in sorted(per_class):
        missing = sorted(set(folds) - {c.fold for c in clips if c.target == target})
        if missing and per_class[target] >= len(folds):  # enough clips to fill every fold
            kinds["counts"].append(f"class {target}: no clip in fold(s) {missing}")
    fold_of_source: dict[str, set[int]] = defaultdict(set)
    for clip in clips:
        fold_of_source[clip.src_file].add(clip.fold)
    for src_file, src_folds in sorted(fold_of_source.items()):
        if len(src_folds) > 1:
            kinds["leak"].append(f"src_file {src_file} appears in folds {sorted(src_folds)}")
    listed = {c.filename for c in clips}
    audio_dir = root / AUDIO_DIR
    if audio_dir.is_dir():
        for path in sorted(audio_dir.glob("*.wav")):
            if path.name not in listed:
                kinds["unlisted"].append(f"{path.name}: in {AUDIO_DIR}/ but not in the metadata")

    for lines in kinds.values():
        report.problems += lines[:max_listed]
        if len(lines) > max_listed:
            report.problems.append(f"... and {len(lines) - max_listed} more like the above")
    return report


# ---------------------------------------------------------------------------------------------
# download
# ---------------------------------------------------------------------------------------------


def _fetch(url: str, part: Path, *, progress: bool, timeout: float) -> None:
    """Append the rest of ``url`` to ``part`` (HTTP Range when ``part`` has bytes already).

    Raises OSError / http.client.HTTPException when the transfer is cut.
    """
    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "machinehearing"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # the range starts at or after the end: start over
            part.unlink()
            return _fetch(url, part, progress=progress, timeout=timeout)
        raise DataError(f"cannot download {url}: HTTP {exc.code} {exc.reason}") from None
    with response:
        if offset and response.status != 206:  # the server ignored the Range: start over
            offset = 0
        length = response.headers.get("Content-Length")
        expected = int(length) if length is not None else None
        received = 0
        with open(part, "ab" if offset else "wb") as f, tqdm(
            total=None if expected is None else offset + expected, initial=offset,
            unit="B", unit_scale=True, unit_divisor=1024, desc=part.name, disable=not progress,
        ) as bar:
            while chunk := response.read(_CHUNK):
                f.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
        if expected is not None and received < expected:
            raise http.client.IncompleteRead(b"", expected - received)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _safe_members(archive: zipfile.ZipFile) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    """Archive members with the common top folder stripped; refuse anything unsafe."""
    infos = archive.infolist()
    for info in infos:
        name = info.filename
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts:
            raise DataError(f"archive member {name!r} would be written outside the dataset "
                            "directory: refusing to extract this archive")
        kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the archiver stored no type
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise DataError(f"archive member {name!r} is a link or special file: refusing to "
                            "extract this archive")
    paths = [PurePosixPath(info.filename.replace("\\", "/")) for info in infos]
    tops = {p.parts[0] for p in paths if p.parts}
    strip = len(tops) == 1 and all(len(p.parts) > 1 or info.is_dir()
                                    for p, info in zip(paths, infos))
    members = []
    for info, path in zip(infos, paths):
        rel = PurePosixPath(*path.parts[1:]) if strip else path
        if rel.parts:
            members.append((info, rel))
    return members


def _extract(archive_path: Path, target: Path) -> None:
    try:
        archive = zipfile.ZipFile(archive_path)
    except zipfile.BadZipFile as exc:
        raise DataError(f"{archive_path} is not a zip archive ({exc})") from None
    with archive:
        for info, rel in _safe_members(archive):
            dest = target.joinpath(*rel.parts)
            if info.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out, _CHUNK)


def _is_downloaded(root: Path) -> bool:
    return (root / MARKER_FILE).is_file()


def download(
    root: str | PathLike,
    *,
    url: str = URL,
    sha256: str | None = SHA256,
    force: bool = False,
    progress: bool = True,
    retries: int = 3,
    timeout: float = 60.0,
) -> Path:
    """Download, check and extract ESC-50 into ``root`` (atomically, resumably, idempotently).

    Parameters
    ----------
    root : str or path-like
        Dataset directory to create (it will hold ``audio/`` and ``meta/``). The partial
        archive ``<root>.zip.part`` and the temporary extraction directory live next to it.
    url : str, default :data:`URL`
        Archive to download (a zip whose single top folder, if any, is stripped).
    sha256 : str, optional
        Expected SHA-256 (hex) of the archive. ``None`` (default, see the module docstring):
        the computed hash is printed and the extracted files are checked with :func:`verify`.
    force : bool, default False
        Download and replace ``root`` even when it already holds a verified dataset.
    progress : bool, default True
        Show a progress bar.
    retries : int, default 3
        Resume this many times after a transfer is cut before giving up (the ``.part`` file
        is kept, so a later call resumes too).
    timeout : float, default 60
        Socket timeout in seconds.

    Returns
    -------
    pathlib.Path
        ``root``.

    Raises
    ------
    DataError
        On a checksum mismatch (the archive is deleted), an unsafe archive member, a transfer
        that keeps failing, an extracted dataset that fails :func:`verify`, or an existing
        ``root`` that is not a verified dataset (pass ``force=True`` to replace it).

    Examples
    --------
    >>> from machinehearing.datasets.download import download
    >>> root = download("data/ESC-50")  # doctest: +SKIP
    """
    root = Path(root)
    if sha256 is not None and (len(sha256) != 64 or set(sha256.lower()) - set("0123456789abcdef")):
        raise ParameterError(f"sha256 must be 64 hexadecimal digits, got {sha256!r}")
    if not force and _is_downloaded(root):
        return root
    if not force and root.exists() and any(root.iterdir()):
        report = verify(root)
        if not report.ok:
            raise DataError(f"{report}\n{root} exists but is not a verified dataset: pass "
                            "force=True (--force) to download it again")
        atomic_write_json(root / MARKER_FILE, {"verified": str(report)})
        return root

    root.parent.mkdir(parents=True, exist_ok=True)
    part = root.parent / f"{root.name}.zip.part"
    for attempt in range(retries + 1):
        try:
            _fetch(url, part, progress=progress, timeout=timeout)
            break
        except (OSError, http.client.HTTPException) as exc:
            if attempt == retries:
                raise DataError(f"download of {url} failed after {retries + 1} attempt(s) "
                                f"({exc!r}); run again to resume from {part}") from None
    digest = _sha256(part)
    if sha256 is None:
        print(f"machinehearing: SHA-256 of {url}: {digest} (no expected value given: the "
              "extracted files are checked with verify())", file=sys.stderr)
    elif digest != sha256.lower():
        part.unlink()
        raise DataError(f"checksum mismatch for {url}: expected {sha256.lower()}, got {digest}; "
                        "the archive was deleted, run again to download it anew")

    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.", suffix=".extract", dir=root.parent))
    try:
        try:
            _extract(part, tmp)
            report = verify(tmp)
            if not report.ok:
                raise DataError(f"the downloaded archive is not a valid ESC-50 dataset:\n{report}")
        except DataError:
            part.unlink()  # a bad archive: do not resume from it
            raise
        atomic_write_json(tmp / MARKER_FILE, {"url": url, "sha256": digest,
                                              "n_clips": report.n_clips})
        replace_dir(tmp, root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    part.unlink()
    return root
