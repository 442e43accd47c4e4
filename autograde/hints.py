"""Ready-made hint predicates ``when(student, expected, case) -> bool``.

Each returns False instead of raising when the student's output has an unexpected type;
the engine also treats an exception in a predicate as "does not apply".

Examples
--------
>>> import numpy as np
>>> from autograde.spec import Case, Hint
>>> hint = Hint("Magnitude vs power: did you square twice?", when=scaled_by(2.0))
>>> hint.when(2 * np.ones(3), np.ones(3), Case())
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .model import Case, as_numeric, plain_array

__all__ = [
    "same_as",
    "scaled_by",
    "constant_factor",
    "transposed",
    "wrong_shape",
    "has_nan",
    "shifted",
    "Predicate",
]

Predicate = Callable[[Any, Any, Case], bool]


def _pair(student: Any, expected: Any) -> tuple[np.ndarray, np.ndarray] | None:
    s = as_numeric(student)
    if s is None:
        return None
    return s, plain_array(expected)


def _close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def same_as(mistake: Callable[..., Any], *, rtol: float = 1e-4, atol: float = 1e-6) -> Predicate:
    """True when the student's output equals ``mistake(*case.args, **case.kwargs)``.

    Declare a known wrong implementation (HTK instead of Slaney mel, a symmetric window,
    magnitude instead of power) and the hint fires exactly when the student made it.

    Examples
    --------
    >>> import numpy as np
    >>> when = same_as(lambda n: np.hanning(n))
    >>> when(np.hanning(8), np.ones(8), Case(args=(8,)))
    True
    """

    def when(student: Any, expected: Any, case: Case) -> bool:
        pair = _pair(student, mistake(*case.args, **dict(case.kwargs)))
        return pair is not None and _close(*pair, rtol, atol)

    return when


def scaled_by(factor: float, *, rtol: float = 1e-3, atol: float = 1e-8) -> Predicate:
    """True when ``student == factor * expected`` (e.g. 2 for magnitude vs power mistakes).

    Examples
    --------
    >>> import numpy as np
    >>> scaled_by(0.5)(np.ones(2), 2 * np.ones(2), Case())
    True
    """

    def when(student: Any, expected: Any, case: Case) -> bool:
        pair = _pair(student, expected)
        return pair is not None and _close(pair[0], factor * pair[1], rtol, atol)

    return when


def constant_factor(*, rtol: float = 1e-3) -> Predicate:
    """True when the output is the expected one times some constant other than 1.

    Examples
    --------
    >>> import numpy as np
    >>> constant_factor()(3.7 * np.arange(1.0, 5.0), np.arange(1.0, 5.0), Case())
    True
    """

    def when(student: Any, expected: Any, case: Case) -> bool:
        pair = _pair(student, expected)
        if pair is None or pair[0].shape != pair[1].shape:
            return False
        s, e = (np.ravel(x).astype(complex) for x in pair)
        denom = np.vdot(e, e)
        if denom == 0:
            return False
        c = np.vdot(e, s) / denom
        return not np.isclose(c, 1.0, rtol=rtol) and _close(s, c * e, rtol, 1e-12)

    return when


def transposed() -> Predicate:
    """True when the output is the transpose of the expected 2-D array.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(6.0).reshape(2, 3)
    >>> transposed()(x.T, x, Case())
    True
    """

    def when(student: Any, expected: Any, case: Case) -> bool:
        pair = _pair(student, expected)
        return (pair is not None and pair[1].ndim == 2 and pair[0].shape != pair[1].shape
                and _close(pair[0], pair[1].T, 1e-4, 1e-6))

    return when


def wrong_shape() -> Predicate:
    """True when the output's shape differs from the expected shape.

    Examples
    --------
    >>> import numpy as np
    >>> wrong_shape()(np.ones(3), np.ones(4), Case())
    True
    """

    def when(student: Any, expected: Any, case: Case) -> bool:
        pair = _pair(student, expected)
        return pair is not None and pair[0].shape != pair[1].shape

    return when


def has_nan() -> Predicate:
    """True when the output contains NaN or infinity (log of zero? division by zero?).

    Examples
    --------
    >>> import numpy as np
    >>> has_nan()(np.array([1.0, np.nan]), np.ones(2), Case())
    True
    """

    def when(student: Any, expected: Any, case: Case) -> bool:
        s = as_numeric(student)
        return s is not None and s.dtype.kind in "fc" and not bool(np.all(np.isfinite(s)))

    return when


def shifted(*, axis: int = -1, max_shift: int = 8, rtol: float = 1e-3,
            atol: float = 1e-6) -> Predicate:
    """True when the output equals the expected one shifted along ``axis`` by 1..max_shift.

    Typical for frame-based features computed without ``center=True`` padding.

    Examples
    --------
    >>> import numpy as np
    >>> e = np.arange(10.0)
    >>> shifted()(e[2:], e, Case())
    True
    """

    def when(student: Any, expected: Any, case: Case) -> bool:
        pair = _pair(student, expected)
        if pair is None or pair[0].ndim == 0 or pair[0].ndim != pair[1].ndim:
            return False
        s, e = np.moveaxis(pair[0], axis, -1), np.moveaxis(pair[1], axis, -1)
        if s.shape[:-1] != e.shape[:-1]:
            return False
        n = min(s.shape[-1], e.shape[-1])
        for k in range(1, max_shift + 1):
            if n - k < 1:
                break
            for a, b in ((s[..., k:n], e[..., : n - k]), (s[..., : n - k], e[..., k:n])):
                if _close(a, b, rtol, atol):
                    return True
        return False

    return when
