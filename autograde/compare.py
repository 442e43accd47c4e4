"""Comparators: ``f(student, expected, case) -> Verdict`` (see :mod:`autograde.spec`).

``student`` is plain data decoded by the grader (a numpy ``ndarray`` of a numeric or bool
dtype, Python scalars, lists, dicts, or :class:`~autograde.spec.Unsupported`); it is never an
object created by student code, so ``__eq__`` tricks and ndarray subclasses cannot pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .model import Case, Comparator, Verdict, as_numeric, describe, plain_array

__all__ = ["allclose", "equal", "shape_only", "all_of", "decreasing", "at_least",
           "metrics_close"]


def _compare_structure(student: Any, expected: Any, leaf: Callable, path: str) -> Verdict:
    """Walk tuples/lists/dicts of the expected value and compare leaves."""
    if isinstance(expected, tuple | list) and not _is_numeric_list(expected):
        if not isinstance(student, list | tuple) or len(student) != len(expected):
            n = len(expected)
            return Verdict(False, "type", f"{path or 'the result'} should be a sequence of "
                           f"{n} items, got {describe(student)}")
        for i, (s, e) in enumerate(zip(student, expected)):
            verdict = _compare_structure(s, e, leaf, f"{path}[{i}]")
            if not verdict.passed:
                return verdict
        return Verdict(True)
    if isinstance(expected, Mapping):
        if not isinstance(student, Mapping) or set(student) != set(expected):
            return Verdict(False, "type", f"{path or 'the result'} should be a dict with keys "
                           f"{sorted(expected)}")
        for key in expected:
            verdict = _compare_structure(student[key], expected[key], leaf, f"{path}[{key!r}]")
            if not verdict.passed:
                return verdict
        return Verdict(True)
    return leaf(student, expected, path or "the result")


def _is_numeric_list(x: Any) -> bool:
    return isinstance(x, list) and all(isinstance(v, int | float | bool) for v in x)


def allclose(rtol: float = 1e-5, atol: float = 1e-8, *, dtype: bool = False,
             shape: bool = True, equal_nan: bool = False) -> Comparator:
    """Compare arrays/numbers: type, shape, dtype kind, NaN, then ``|s - e| <= atol + rtol|e|``.

    Parameters
    ----------
    rtol, atol : float
    dtype : bool
        Also require the exact dtype (otherwise only real vs complex vs bool is checked).
    shape : bool
        Require the exact shape (otherwise broadcasting shapes are accepted).
    equal_nan : bool
        NaN in the student output is accepted where the expected value is NaN.

    Examples
    --------
    >>> import numpy as np
    >>> cmp = allclose(rtol=1e-3)
    >>> cmp(np.ones(3), np.ones(3) * 1.0001, Case()).passed
    True
    >>> cmp(np.ones(2), np.ones(3), Case()).property
    'shape'
    """

    def leaf(student: Any, expected: Any, where: str) -> Verdict:
        e = plain_array(expected)
        s = as_numeric(student)
        if s is None:
            return Verdict(False, "type", f"{where} should be {describe(e)}, "
                           f"got {describe(student)}")
        if shape and s.shape != e.shape:
            return Verdict(False, "shape", f"{where} has shape {s.shape}, expected {e.shape}")
        if dtype and s.dtype != e.dtype:
            return Verdict(False, "dtype", f"{where} has dtype {s.dtype}, expected {e.dtype}")
        if (e.dtype.kind == "c") != (s.dtype.kind == "c"):
            return Verdict(False, "dtype", f"{where} has dtype {s.dtype}, expected {e.dtype}"
                           " (complex vs real)")
        s_nan = np.isnan(s) if s.dtype.kind in "fc" else np.zeros(s.shape, bool)
        e_nan = np.isnan(e) if e.dtype.kind in "fc" else np.zeros(e.shape, bool)
        if s_nan.any() and not (equal_nan and np.array_equal(s_nan, np.broadcast_to(e_nan,
                                                                                   s.shape))):
            return Verdict(False, "nan", f"{where} contains NaN ({int(s_nan.sum())} values)")
        try:
            ok = np.allclose(s, e, rtol=rtol, atol=atol, equal_nan=equal_nan)
        except ValueError:
            return Verdict(False, "shape", f"{where} has shape {s.shape}, expected {e.shape}")
        if not ok:
            with np.errstate(all="ignore"):
                err = np.abs(s.astype(complex) - e.astype(complex))
                worst = float(np.nanmax(err)) if err.size else 0.0
            return Verdict(False, "tolerance", f"{where} differs from the reference: max "
                           f"abs error {worst:.3g} (rtol={rtol:g}, atol={atol:g})")
        return Verdict(True)

    def compare(student: Any, expected: Any, case: Case) -> Verdict:
        return _compare_structure(student, expected, leaf, "")

    return compare


def equal() -> Comparator:
    """Exact equality (arrays: same shape and values; other values: ``==`` on plain data).

    Examples
    --------
    >>> equal()([1, 2], [1, 2], Case()).passed, equal()("a", "b", Case()).passed
    (True, False)
    """

    def leaf(student: Any, expected: Any, where: str) -> Verdict:
        if isinstance(expected, str | bool | type(None)):
            if type(student) is type(expected) and student == expected:
                return Verdict(True)
            return Verdict(False, "value", f"{where} is {student!r}, expected {expected!r}")
        e = plain_array(expected)
        s = as_numeric(student)
        if s is None:
            return Verdict(False, "type", f"{where} should be {describe(e)}, "
                           f"got {describe(student)}")
        if s.shape != e.shape:
            return Verdict(False, "shape", f"{where} has shape {s.shape}, expected {e.shape}")
        if not np.array_equal(s, e):
            n = int(np.sum(s != e))
            return Verdict(False, "value", f"{where}: {n} of {e.size} values differ")
        return Verdict(True)

    def compare(student: Any, expected: Any, case: Case) -> Verdict:
        return _compare_structure(student, expected, leaf, "")

    return compare


def _shape_only(student: Any, expected: Any, case: Case) -> Verdict:
    def leaf(s: Any, e: Any, where: str) -> Verdict:
        e = plain_array(e)
        arr = as_numeric(s)
        if arr is None:
            return Verdict(False, "type", f"{where} should be {describe(e)}, got {describe(s)}")
        if arr.shape != e.shape:
            return Verdict(False, "shape", f"{where} has shape {arr.shape}, expected {e.shape}")
        if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
            return Verdict(False, "nan", f"{where} contains NaN or inf")
        return Verdict(True)

    return _compare_structure(student, expected, leaf, "")


#: Comparator that only checks types, shapes and finiteness.
shape_only: Comparator = _shape_only


# ----------------------------------------------------------- procedure comparators


def all_of(*comparators: Comparator) -> Comparator:
    """All comparators must pass; the first failure is reported.

    Examples
    --------
    >>> cmp = all_of(decreasing("losses"), at_least("accuracy", 0.5))
    >>> cmp({"losses": [2.0, 1.0], "accuracy": 0.75}, None, Case()).passed
    True
    """

    def compare(student: Any, expected: Any, case: Case) -> Verdict:
        if not isinstance(student, Mapping):
            return Verdict(False, "type", f"the driver returned {describe(student)}")
        if "error" in student:
            return Verdict(False, "property", str(student["error"]))
        for comparator in comparators:
            verdict = comparator(student, expected, case)
            if not verdict.passed:
                return verdict
        return Verdict(True)

    return compare


def _metric(student: Any, key: str) -> Any:
    if not isinstance(student, Mapping) or key not in student:
        raise KeyError(key)
    return student[key]


def decreasing(key: str, *, min_drop: float = 0.0) -> Comparator:
    """Metric ``key`` (a list) must end lower than it starts, by at least ``min_drop`` (relative).

    Examples
    --------
    >>> decreasing("losses", min_drop=0.1)({"losses": [1.0, 0.95]}, None, Case()).passed
    False
    """

    def compare(student: Any, expected: Any, case: Case) -> Verdict:
        try:
            values = [float(v) for v in _metric(student, key)]
        except (KeyError, TypeError, ValueError):
            return Verdict(False, "type", f"metric {key!r} missing or not a list of numbers")
        if len(values) < 2 or not all(math.isfinite(v) for v in values):
            return Verdict(False, "nan", f"{key} is not a finite sequence: {values}")
        if not values[-1] < values[0] * (1.0 - min_drop):
            return Verdict(False, "property", f"{key} did not decrease enough: "
                           f"{values[0]:.4g} -> {values[-1]:.4g} (needs a relative drop of "
                           f"{min_drop:g})")
        return Verdict(True)

    return compare


def at_least(key: str, threshold: float) -> Comparator:
    """Metric ``key`` (a number, or the last item of a list) must be ``>= threshold``.

    Examples
    --------
    >>> at_least("accuracy", 0.9)({"accuracy": [0.5, 0.95]}, None, Case()).passed
    True
    """

    def compare(student: Any, expected: Any, case: Case) -> Verdict:
        try:
            value = _metric(student, key)
            value = float(value[-1] if isinstance(value, list) else value)
        except (KeyError, TypeError, ValueError, IndexError):
            return Verdict(False, "type", f"metric {key!r} missing or not a number")
        if not value >= threshold:
            return Verdict(False, "property", f"{key} = {value:.4g}, needs >= {threshold:g}")
        return Verdict(True)

    return compare


def metrics_close(keys: Sequence[str], *, rtol: float = 1e-4, atol: float = 1e-6) -> Comparator:
    """Metrics ``keys`` must match the reference's (the driver run on ``reference``).

    Examples
    --------
    >>> metrics_close(["loss"])({"loss": 1.0}, {"loss": 1.0}, Case()).passed
    True
    """
    close = allclose(rtol=rtol, atol=atol)

    def compare(student: Any, expected: Any, case: Case) -> Verdict:
        for key in keys:
            if not isinstance(student, Mapping) or key not in student:
                return Verdict(False, "type", f"metric {key!r} missing")
            verdict = close(student[key], expected[key], case)
            if not verdict.passed:
                return Verdict(False, verdict.property, f"{key}: {verdict.message}")
        return Verdict(True)

    return compare
