"""Unit tests of the declaration API, comparators, hints, transport and static checks."""

from __future__ import annotations

import io
import signal
import socket
import struct
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from autograde import hints
from autograde.compare import all_of, allclose, at_least, decreasing, equal, shape_only
from autograde.engine import forbidden_in_source, submission_seed
from autograde.sandbox.transport import (
    TransportError,
    decode,
    encode,
    json_depth_ok,
    recv_message,
    send_message,
)
from autograde.spec import Case, Exercise, Unsupported, parse_memory

#: a 32-bit ``getpid`` through ``int 0x80`` from 64-bit code (the x86-64 escape of old)
INT80 = (
    "buf = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC); "
    "buf.write(bytes([0xB8, 0x14, 0, 0, 0, 0xCD, 0x80, 0xC3])); "
    "ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(buf)))()"
)


@pytest.mark.parametrize(("student", "expected", "prop"), [
    (np.ones(3), np.ones(3) + 1e-9, "ok"),
    (np.ones(4), np.ones(3), "shape"),
    (np.ones(3), np.ones(3) * (1 + 1j), "dtype"),
    (np.array([1.0, np.nan, 1.0]), np.ones(3), "nan"),
    (np.ones(3) * 1.01, np.ones(3), "tolerance"),
    (Unsupported("Cheat"), np.ones(3), "type"),
    ("ones", np.ones(3), "type"),
    ([np.ones(2), 3.0], (np.ones(2), 3.0), "ok"),
    ([np.ones(2)], (np.ones(2), 3.0), "type"),
    ({"a": 1.0}, {"a": 1.0}, "ok"),
])
def test_allclose_reports_the_failed_property(student, expected, prop):
    verdict = allclose(rtol=1e-6, atol=1e-8)(student, expected, Case())
    assert verdict.property == prop
    assert verdict.passed is (prop == "ok")


def test_equal_and_shape_only():
    assert equal()(np.arange(3), np.arange(3), Case()).passed
    assert equal()(np.arange(3) + 1, np.arange(3), Case()).property == "value"
    assert shape_only(np.zeros(3), np.ones(3), Case()).passed
    assert shape_only(np.zeros(2), np.ones(3), Case()).property == "shape"


def test_procedure_comparators():
    check = all_of(decreasing("losses"), at_least("final_accuracy", 0.6))
    assert check({"losses": [1.0, 0.5], "final_accuracy": 0.7}, None, Case()).passed
    assert check({"losses": [1.0, 1.0], "final_accuracy": 0.7}, None, Case()).property == \
        "property"
    assert not check({"error": "bad return"}, None, Case()).passed


@pytest.mark.parametrize(("predicate", "student", "expected", "fires"), [
    (hints.scaled_by(2.0), 2 * np.arange(1.0, 4.0), np.arange(1.0, 4.0), True),
    (hints.scaled_by(2.0), np.arange(1.0, 4.0), np.arange(1.0, 4.0), False),
    (hints.constant_factor(), 0.3 * np.arange(1.0, 4.0), np.arange(1.0, 4.0), True),
    (hints.constant_factor(), np.arange(1.0, 4.0), np.arange(1.0, 4.0), False),
    (hints.transposed(), np.ones((3, 2)), np.ones((2, 3)), True),
    (hints.wrong_shape(), np.ones(2), np.ones(3), True),
    (hints.has_nan(), np.array([np.inf]), np.ones(1), True),
    (hints.shifted(), np.arange(10.0)[1:], np.arange(10.0), True),
    (hints.shifted(), np.arange(10.0)[::-1], np.arange(10.0), False),
])
def test_hint_predicates(predicate, student, expected, fires):
    assert predicate(student, expected, Case()) is fires


def test_same_as_fires_on_the_declared_mistake():
    when = hints.same_as(np.hanning)
    assert when(np.hanning(8), None, Case(args=(8,)))
    assert not when(np.hamming(8), None, Case(args=(8,)))


@pytest.mark.parametrize("kwargs", [
    dict(id="bad id"), dict(kind="script"), dict(reference=None), dict(public=None),
    dict(credit="most"), dict(public_share=2.0), dict(memory="lots"),
])
def test_exercise_validates_its_declaration(kwargs):
    base = dict(id="9.1-x", session=9, points=1.0, target="x", reference=abs,
                public=lambda rng: [])
    with pytest.raises(ValueError):
        Exercise(**{**base, **kwargs})


def test_parse_memory_units():
    assert parse_memory("2GiB") == 2 * 2**30
    assert parse_memory("1.5 MB") == 1_500_000


def _round_trip(value):
    blobs: list[bytes] = []
    return decode(encode(value, blobs), blobs, unsupported=Unsupported)


def test_transport_round_trip_and_rejects_objects():
    value = {"a": np.arange(3, dtype=np.int16), "b": (1.5, None, "s", float("nan")),
             "c": [np.complex64(1 + 2j)], "d": np.zeros(2).view(np.ma.MaskedArray),
             "e": np.array([object()]), "f": object()}
    out = _round_trip(value)
    assert out["a"].dtype == np.int16 and out["a"].tolist() == [0, 1, 2]
    assert out["b"][:3] == (1.5, None, "s") and np.isnan(out["b"][3])
    assert out["c"] == [1 + 2j]
    assert isinstance(out["d"], Unsupported) and "subclass" in out["d"].reason
    assert isinstance(out["e"], Unsupported) and isinstance(out["f"], Unsupported)


@pytest.mark.parametrize("value", [
    np.array(2.5), np.array(7, dtype=np.int8), np.zeros((0, 3)), np.arange(6.0).reshape(2, 3).T,
    np.arange(10)[::3],
], ids=["0-d float", "0-d int8", "empty", "transposed", "strided"])
def test_transport_keeps_shape_dtype_and_values(value):
    out = _round_trip(value)
    assert type(out) is np.ndarray
    assert out.shape == value.shape and out.dtype == value.dtype
    np.testing.assert_array_equal(out, value)


def test_transport_keeps_0d_tensors_0d():
    torch = pytest.importorskip("torch")
    out = _round_trip(torch.tensor(1.5))
    assert type(out) is np.ndarray and out.shape == () and out == 1.5


def _npy(array, **kwargs) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, **kwargs)
    return buffer.getvalue()


@pytest.mark.parametrize(("blob", "match"), [
    (_npy(np.array([{"x": 1}], dtype=object), allow_pickle=True), "numeric dtypes only"),
    (_npy(np.zeros(4))[:-8], "does not match"),  # a header that promises more than is there
    (_npy(np.zeros(4)).replace(b"(4,)", b"(9999999999999,)"), "does not match|header"),
    (b"\x93NUMPY\x09\x00" + b"x" * 20, "version|header"),
    (b"not an npy file at all", "header"),
], ids=["pickle", "short", "forged-shape", "bad-version", "garbage"])
def test_decode_checks_each_npy_header_and_never_unpickles(blob, match):
    with pytest.raises(TransportError, match=match):
        decode({"__npy__": 0}, [blob])


@pytest.mark.parametrize("obj", [
    {"__npy__": 3}, {"__npy__": "../../etc/passwd"}, {"__float__": "1e999999"},
    {"__complex__": [1]}, {"__what__": 1}, {"__tuple__": 5},
])
def test_decode_refuses_malformed_markers(obj):
    with pytest.raises(TransportError):
        decode(obj, [])


def test_messages_are_read_within_budget_depth_and_deadline():
    a, b = socket.socketpair()
    try:
        send_message(a.fileno(), {"x": 1}, [b"y" * 1000])
        with pytest.raises(TransportError, match="budget"):
            recv_message(b.fileno(), deadline=time.monotonic() + 5, budget=500)
        a.close()
        a, b = socket.socketpair()
        deep = b"[" * 5000 + b"]" * 5000
        a.sendall(struct.pack("<4sIQ", b"MHG1", 0, len(deep)) + deep)
        with pytest.raises(TransportError, match="deeper"):
            recv_message(b.fileno(), deadline=time.monotonic() + 5)
        with pytest.raises(TransportError, match="in time"):  # nothing sent: the deadline
            recv_message(b.fileno(), deadline=time.monotonic() + 0.2)
        send_message(a.fileno(), {"ok": [1, 2]}, [])
        assert recv_message(b.fileno(), deadline=time.monotonic() + 5) == ({"ok": [1, 2]}, [])
    finally:
        a.close()
        b.close()


def test_json_depth_is_checked_before_parsing():
    assert json_depth_ok(b'{"a": [1, {"b": "[[[[[[[[["}]}')  # brackets inside strings
    assert not json_depth_ok(b"[" * 5000 + b"]" * 5000)  # would be a RecursionError


@pytest.mark.parametrize(("source", "hits"), [
    ("import numpy as np\ndef f(n):\n    return np.hanning(n)\n", [("numpy.hanning", 3)]),
    ("from numpy import hanning as h\ndef f(n):\n    return h(n)\n", [("numpy.hanning", 3)]),
    ("def f(n):\n    import numpy\n    return numpy.hanning(n)\n", [("numpy.hanning", 3)]),
    ("import numpy as np\ndef f(n):\n    '''np.hanning'''\n    return np.ones(n)\n", []),
    ("import numpy as np\ndef g(n):\n    return np.hanning(n)\ndef f(n):\n    return g(n)\n",
     []),
])
def test_forbidden_in_source_resolves_aliases(source, hits):
    assert forbidden_in_source(source, "f", ["numpy.hanning"]) == hits


def test_hidden_seed_depends_on_student_exercise_and_secret():
    seeds = {submission_seed(n, e, secret=s) for n in ("a", "b") for e in ("1.1-x", "1.2-y")
             for s in ("s1", "s2")}
    assert len(seeds) == 8
    assert submission_seed("a", "1.1-x", secret="s") == submission_seed("a", "1.1-x",
                                                                          secret="s")


@pytest.mark.parametrize(("action", "survives"), [
    ("pass", True),
    ("os.fork()", False),
    ("os.execv('/bin/true', ['true'])", False),
    ("subprocess.run(['true'])", False),
    ("ctypes.CDLL(None).unshare(0x10000000)", False),
    ("os.kill(os.getpid(), 0)", True),
    ("os.kill(os.getppid(), 0)", False),
    ("os.kill(-1, 9)", False),
    (INT80, False),
], ids=["threads", "fork", "exec", "subprocess", "unshare", "self-signal", "signal-parent",
        "signal-all", "32-bit syscall"])
def test_seccomp_filter_kills_process_creation_and_foreign_abis_not_threads(action, survives):
    code = textwrap.dedent("""
        import ctypes, mmap, os, subprocess, sys, threading
        from autograde.sandbox import seccomp
        assert seccomp.install()
        t = threading.Thread(target=lambda: None); t.start(); t.join()
        {action}
        print("survived")
    """).format(action=action)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    if survives:
        assert run.returncode == 0 and run.stdout.strip() == "survived", run.stderr
    else:
        assert run.returncode == -signal.SIGSYS and "survived" not in run.stdout
