"""Unit tests of the declaration API, comparators, hints, transport and static checks."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from autograde import hints
from autograde.compare import all_of, allclose, at_least, decreasing, equal, shape_only
from autograde.engine import forbidden_in_source, submission_seed
from autograde.sandbox import decode, encode
from autograde.spec import Case, Exercise, Unsupported, parse_memory


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


def test_transport_round_trip_and_rejects_objects(tmp_path):
    value = {"a": np.arange(3, dtype=np.int16), "b": (1.5, None, "s", float("nan")),
             "c": [np.complex64(1 + 2j)], "d": np.zeros(2).view(np.ma.MaskedArray),
             "e": np.array([object()]), "f": object()}
    out = decode(encode(value, tmp_path, "x"), tmp_path)
    assert out["a"].dtype == np.int16 and out["a"].tolist() == [0, 1, 2]
    assert out["b"][:3] == (1.5, None, "s") and np.isnan(out["b"][3])
    assert out["c"] == [1 + 2j]
    assert isinstance(out["d"], Unsupported) and "subclass" in out["d"].reason
    assert isinstance(out["e"], Unsupported) and isinstance(out["f"], Unsupported)


@pytest.mark.parametrize("value", [
    np.array(2.5), np.array(7, dtype=np.int8), np.zeros((0, 3)), np.arange(6.0).reshape(2, 3).T,
    np.arange(10)[::3],
], ids=["0-d float", "0-d int8", "empty", "transposed", "strided"])
def test_transport_keeps_shape_dtype_and_values(tmp_path, value):
    out = decode(encode(value, tmp_path, "x"), tmp_path)
    assert type(out) is np.ndarray
    assert out.shape == value.shape and out.dtype == value.dtype
    np.testing.assert_array_equal(out, value)


def test_transport_keeps_0d_tensors_0d(tmp_path):
    torch = pytest.importorskip("torch")
    out = decode(encode(torch.tensor(1.5), tmp_path, "x"), tmp_path)
    assert type(out) is np.ndarray and out.shape == () and out == 1.5


def test_decode_never_unpickles(tmp_path):
    np.save(tmp_path / "evil.npy", np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="allow_pickle"):
        decode({"__npy__": "evil.npy"}, tmp_path)


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


def test_seccomp_filter_blocks_processes_but_not_threads():
    code = textwrap.dedent("""
        import os, threading, subprocess
        from autograde.sandbox import _no_new_processes
        assert _no_new_processes()
        t = threading.Thread(target=lambda: None); t.start(); t.join()
        for spawn in (os.fork, lambda: subprocess.run(["true"])):
            try:
                spawn()
            except OSError as exc:
                print(type(exc).__name__)
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["BlockingIOError", "BlockingIOError"]
