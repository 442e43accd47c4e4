"""Small I/O helpers shared by the whole package: atomic writes and work sharding.

Every file that a later run trusts (checkpoints, caches, grade files, result tables) is
written to a temporary file in the destination directory and then renamed over the
destination with :func:`os.replace`, which is atomic on POSIX and Windows. A run that is
killed half-way therefore leaves either the old file or the new one, never a torn one.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from .errors import ParameterError

T = TypeVar("T")

__all__ = [
    "atomic_path",
    "atomic_write_text",
    "atomic_write_bytes",
    "atomic_write_json",
    "parse_shard",
    "select_shard",
]


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: the process umask, read once at import (os.umask can only be read by setting it)
_UMASK = _read_umask()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success.

    The temporary file is removed if the block raises, so an interrupted write never
    leaves a partial ``path`` behind.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "a.txt") as tmp:
    ...     _ = tmp.write_text("done")
    >>> (d / "a.txt").read_text()
    'done'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp creates 0600; give the usual mode
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (flushed and fsynced before the rename)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return Path(path)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any, *, indent: int = 2) -> Path:
    """Write ``obj`` as JSON to ``path`` atomically.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.json"
    >>> _ = atomic_write_json(p, {"accuracy": 0.5})
    >>> json.loads(p.read_text())
    {'accuracy': 0.5}
    """
    return atomic_write_text(path, json.dumps(obj, indent=indent, sort_keys=True) + "\n")


def parse_shard(shard: str | None) -> tuple[int, int]:
    """Parse ``"i/n"`` (1-based: shard ``i`` of ``n``) into ``(i, n)``; ``None`` -> ``(1, 1)``.

    Examples
    --------
    >>> parse_shard("2/4")
    (2, 4)
    >>> parse_shard(None)
    (1, 1)
    """
    if shard is None:
        return 1, 1
    try:
        i_text, n_text = str(shard).split("/")
        i, n = int(i_text), int(n_text)
    except ValueError:
        raise ParameterError(f"shard={shard!r}: expected 'i/n' such as '1/4'") from None
    if not 1 <= i <= n:
        raise ParameterError(f"shard={shard!r}: need 1 <= i <= n")
    return i, n


def select_shard(items: Sequence[T], shard: str | None) -> list[T]:
    """Return the items of shard ``"i/n"``: every n-th item starting at the i-th.

    The n shards partition ``items`` and interleave, so long and short jobs spread evenly.

    Examples
    --------
    >>> select_shard(list("abcde"), "1/2"), select_shard(list("abcde"), "2/2")
    (['a', 'c', 'e'], ['b', 'd'])
    """
    i, n = parse_shard(shard)
    return list(items)[i - 1 :: n]
