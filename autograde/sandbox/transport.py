"""Messages between the grader and the sandbox: JSON plus ``.npy`` blobs, read within budgets.

Runs on both sides of the sandbox and imports only the standard library and numpy, so that
the child side can be audited alone. A message is::

    b"MHG1" | n_blobs (u32) | json_length (u64) | json | (blob_length (u64) | blob) * n_blobs

Values are encoded by :func:`encode`: plain numeric ndarrays and torch tensors become
``.npy`` blobs (never pickles), numbers, strings, ``None``, lists, tuples and string-keyed
dicts are walked, anything else becomes an ``__unsupported__`` marker naming its type.

The reader (:func:`recv_message`) never trusts the other side: it waits on a deadline of
its own wall clock, refuses a message larger than its byte budget before reading it, refuses
JSON nested deeper than :data:`MAX_DEPTH` before parsing it, and :func:`decode` loads each
blob only after checking its ``.npy`` header (numeric dtype, shape matching the size).
"""

from __future__ import annotations

import io
import json
import math
import os
import select
import struct
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["MAX_DEPTH", "MAX_ITEMS", "TransportError", "encode", "decode",
           "pack", "send_message", "recv_message", "json_depth_ok"]

MAGIC = b"MHG1"
_HEAD = struct.Struct("<4sIQ")
_LEN = struct.Struct("<Q")
#: deepest nesting of lists/dicts accepted in a message's JSON
MAX_DEPTH = 32
#: most values (array, number, string, container) in one message
MAX_ITEMS = 100_000
#: longest string kept from the other side
MAX_STRING = 10_000
#: largest JSON part of a message
MAX_JSON = 4 * 2**20


class TransportError(Exception):
    """The other side sent something malformed, too large, too deep, or nothing in time."""


# ------------------------------------------------------------------------- encoding


def encode(value: Any, blobs: list[bytes]) -> Any:
    """JSON-able form of ``value``; arrays are appended to ``blobs`` as ``.npy`` bytes.

    Examples
    --------
    >>> blobs = []
    >>> encode((np.arange(3), 2.5, "hann"), blobs)["__tuple__"][1:], len(blobs)
    ([2.5, 'hann'], 1)
    """
    count = [0]

    def walk(v: Any) -> Any:
        count[0] += 1
        if count[0] > MAX_ITEMS:
            return {"__unsupported__": "nested data", "reason": f"more than {MAX_ITEMS} items"}
        if type(v) is np.ndarray:
            if v.dtype.kind not in "biufc":
                return {"__unsupported__": f"ndarray[{v.dtype}]",
                        "reason": "arrays must have a numeric or bool dtype"}
            return {"__npy__": _blob(v, blobs)}
        if isinstance(v, np.ndarray):
            return {"__unsupported__": type(v).__name__,
                    "reason": "a subclass of numpy.ndarray; return a plain numpy.ndarray"}
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(v, torch.Tensor):
            array = v.detach().cpu().resolve_conj().resolve_neg().numpy()
            return {"__tensor__": _blob(np.array(array, copy=True), blobs)}
        if isinstance(v, np.generic) and v.dtype.kind in "biufc":
            v = v.item()
        if v is None or type(v) in (bool, int, str):
            return v
        if type(v) is float:
            return v if math.isfinite(v) else {"__float__": repr(v)}
        if type(v) is complex:
            return {"__complex__": [walk(v.real), walk(v.imag)]}
        if type(v) in (tuple, list):
            items = [walk(x) for x in v]
            return {"__tuple__": items} if type(v) is tuple else items
        if type(v) is dict and all(type(k) is str for k in v):
            return {"__dict__": {k: walk(x) for k, x in v.items()}}
        return {"__unsupported__": type(v).__name__,
                "reason": "not an array, number, string, list, tuple or dict"}

    return walk(value)


def _blob(array: np.ndarray, blobs: list[bytes]) -> int:
    buffer = io.BytesIO()
    np.save(buffer, np.require(array, requirements="C"), allow_pickle=False)
    blobs.append(buffer.getvalue())
    return len(blobs) - 1


def decode(obj: Any, blobs: list[bytes], *, tensors: bool = False,
           unsupported: Callable[[str, str], Any] | None = None) -> Any:
    """Inverse of :func:`encode`; raises :class:`TransportError` on malformed data.

    With ``tensors=False`` (the grader's side) tensors come back as plain ndarrays. An
    ``__unsupported__`` marker becomes ``unsupported(type_name, reason)`` (by default the
    marker dict itself).

    Examples
    --------
    >>> blobs = []
    >>> decode(encode({"a": np.ones(2), "b": (1, None)}, blobs), blobs)
    {'a': array([1., 1.]), 'b': (1, None)}
    """
    count = [0]

    def walk(o: Any) -> Any:
        count[0] += 1
        if count[0] > MAX_ITEMS:
            raise TransportError(f"more than {MAX_ITEMS} values")
        if isinstance(o, str):
            return o[:MAX_STRING]
        if o is None or isinstance(o, bool | int | float):
            return o
        if isinstance(o, list):
            return [walk(v) for v in o]
        if not isinstance(o, dict) or len(o) > MAX_ITEMS:
            raise TransportError("unexpected data")
        if "__npy__" in o or "__tensor__" in o:
            index = o.get("__npy__", o.get("__tensor__"))
            if type(index) is not int or not 0 <= index < len(blobs):
                raise TransportError("a reference to a missing array")
            array = load_npy(blobs[index])
            if "__tensor__" in o and tensors:
                import torch

                return torch.from_numpy(array)
            return array
        if "__float__" in o:
            text = str(o["__float__"])
            if text not in ("nan", "inf", "-inf"):
                raise TransportError("a malformed float")
            return float(text)
        if "__complex__" in o:
            parts = o["__complex__"]
            if not isinstance(parts, list) or len(parts) != 2:
                raise TransportError("a malformed complex number")
            re_, im = (walk(p) for p in parts)
            if not all(isinstance(p, int | float) and not isinstance(p, bool) for p in (re_, im)):
                raise TransportError("a malformed complex number")
            return complex(re_, im)
        if "__tuple__" in o:
            items = o["__tuple__"]
            if not isinstance(items, list):
                raise TransportError("a malformed tuple")
            return tuple(walk(v) for v in items)
        if "__dict__" in o:
            items = o["__dict__"]
            if not isinstance(items, dict):
                raise TransportError("a malformed dict")
            return {str(k)[:MAX_STRING]: walk(v) for k, v in items.items()}
        if "__unsupported__" in o:
            type_name = str(o["__unsupported__"])[:80]
            reason = str(o.get("reason", ""))[:200]
            if unsupported is None:
                return {"__unsupported__": type_name, "reason": reason}
            return unsupported(type_name, reason)
        raise TransportError("unexpected data")

    return walk(obj)


def load_npy(blob: bytes) -> np.ndarray:
    """A plain ndarray from ``.npy`` bytes, after checking the header against the size.

    Examples
    --------
    >>> blobs = []
    >>> _ = encode(np.arange(4.0), blobs)
    >>> load_npy(blobs[0]).tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    stream = io.BytesIO(blob)
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise TransportError(f"unsupported .npy version {version}")
    except (ValueError, SyntaxError, MemoryError) as exc:
        raise TransportError(f"a malformed .npy header ({exc})") from None
    if dtype.hasobject or dtype.kind not in "biufc" or dtype.fields is not None:
        raise TransportError(f"an array of dtype {dtype} (numeric dtypes only)")
    if any(type(n) is not int or n < 0 for n in shape):
        raise TransportError("a malformed array shape")
    size = math.prod(shape)
    offset = stream.tell()
    if size * dtype.itemsize != len(blob) - offset:
        raise TransportError(f"an array header of shape {shape} that does not match its "
                             f"{len(blob) - offset} bytes")
    if len(shape) > 32:
        raise TransportError(f"an array of {len(shape)} dimensions")
    try:
        data = np.frombuffer(blob, dtype=dtype, count=size, offset=offset)
        return data.reshape(shape, order="F" if fortran else "C").copy()
    except (ValueError, MemoryError, OverflowError) as exc:
        raise TransportError(f"an array that cannot be rebuilt ({exc})") from None


# ------------------------------------------------------------------------ messages


def pack(header: Any, blobs: list[bytes]) -> bytes:
    """The bytes of one message (``header`` is JSON-able).

    Examples
    --------
    >>> pack({"event": "ready"}, [])[:4]
    b'MHG1'
    """
    text = json.dumps(header, allow_nan=False).encode()
    parts = [_HEAD.pack(MAGIC, len(blobs), len(text)), text]
    for blob in blobs:
        parts += [_LEN.pack(len(blob)), blob]
    return b"".join(parts)


def send_message(fd: int, header: Any, blobs: list[bytes], *, deadline: float | None = None
                 ) -> None:
    """Write one message to the file descriptor ``fd`` (before ``deadline``, if given)."""
    data = memoryview(pack(header, blobs))
    while data:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([], [fd], [], wait)[1]:
                raise TransportError("the other side stopped reading")
        try:
            sent = os.write(fd, data[: 1 << 20])
        except BlockingIOError:
            continue
        except OSError as exc:
            raise TransportError(f"the other side is gone ({exc.strerror})") from None
        data = data[sent:]


def recv_message(fd: int, *, deadline: float | None = None, budget: int = 256 * 2**20
                 ) -> tuple[Any, list[bytes]]:
    """Read one message from ``fd``: ``(header, blobs)``.

    Raises :class:`TransportError` when nothing complete arrives before ``deadline``
    (monotonic seconds; None waits for ever: the sandbox side), when the message is larger
    than ``budget`` bytes, when its JSON is too deep or invalid, or when the stream ends.
    """
    reader = _Reader(fd, deadline)
    magic, n_blobs, n_json = _HEAD.unpack(reader.read(_HEAD.size))
    if magic != MAGIC:
        raise TransportError("not a message (wrong magic)")
    if n_json > min(MAX_JSON, budget) or n_blobs > MAX_ITEMS:
        raise TransportError(f"a message over the budget ({n_json} bytes of JSON, "
                             f"{n_blobs} arrays)")
    used = n_json
    text = reader.read(n_json)
    if not json_depth_ok(text):
        raise TransportError(f"JSON nested deeper than {MAX_DEPTH} levels")
    try:
        header = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise TransportError(f"invalid JSON ({type(exc).__name__})") from None
    blobs = []
    for _ in range(n_blobs):
        (length,) = _LEN.unpack(reader.read(_LEN.size))
        used += length
        if used > budget:
            raise TransportError(f"a message over the budget of {budget} bytes")
        blobs.append(reader.read(length))
    return header, blobs


def json_depth_ok(text: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether no list or object in the JSON ``text`` is nested deeper than ``limit``.

    Examples
    --------
    >>> json_depth_ok(b"[[1], {}]"), json_depth_ok(b"[" * 40 + b"]" * 40)
    (True, False)
    """
    depth = 0
    in_string = escaped = False
    for byte in text:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return False
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return True


class _Reader:
    """Exact-length reads from a file descriptor before a deadline."""

    def __init__(self, fd: int, deadline: float | None):
        self.fd, self.deadline = fd, deadline

    def read(self, n: int) -> bytes:
        chunks, left = [], n
        while left:
            if self.deadline is not None:
                wait = self.deadline - time.monotonic()
                if wait <= 0 or not select.select([self.fd], [], [], wait)[0]:
                    raise TransportError("nothing arrived in time")
            try:
                chunk = os.read(self.fd, min(left, 1 << 20))
            except BlockingIOError:
                continue
            except OSError as exc:
                raise TransportError(f"the other side is gone ({exc.strerror})") from None
            if not chunk:
                raise TransportError("the other side closed the connection")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
