"""Declaring graded exercises: :class:`Exercise`, :class:`Case`, :class:`Hint`, comparators.

An exercise is data. The engine (:mod:`autograde.engine`) generates the inputs in the
grader's own process, computes the expected outputs with the ``reference``, sends the
inputs to a sandboxed child process that calls the student's ``target``, and compares the
returned outputs with ``compare``. Each session module ``autograde/exercises/sessionN.py``
defines ``EXERCISES: list[Exercise]``.

A complete declaration (function kind)::

    import numpy as np
    from autograde.compare import allclose
    from autograde.spec import Case, Exercise, Hint, hints
    from machinehearing import features

    def _public(rng):                      # students see these inputs (fixed seed)
        return [Case(args=(512,), label="n=512"), Case(args=(7,), label="odd n=7")]

    def _hidden(rng):                      # per-student seed: different for everyone
        return [Case(args=(int(n),)) for n in rng.integers(8, 4096, size=4)]

    EXERCISES = [
        Exercise(
            id="1.1-hann",
            session=1,
            points=1.0,
            target="hann_window",          # name in the student's session1.py
            reference=lambda n: features.get_window("hann", n),   # runs in the grader
            public=_public,
            hidden=_hidden,
            compare=allclose(rtol=1e-5, atol=1e-7),
            hints=[
                Hint("Periodic, not symmetric: divide by N, not N - 1.",
                     when=hints.same_as(lambda n: np.hanning(n))),
                Hint("Return n samples.", when=hints.wrong_shape()),
            ],
            forbidden=("numpy.hanning", "scipy.signal.get_window",
                       "machinehearing.features.get_window"),
            timeout=10.0,
            memory="2GiB",
        ),
    ]

Kinds
-----
``kind="function"`` (default)
    ``reference(*case.args, **case.kwargs)`` in the grader; ``target(*args, **kwargs)`` in
    the child. Case values are numpy arrays, torch tensors (sent as arrays, rebuilt as
    tensors), tuples/lists/dicts of those, and JSON values.
``kind="module"``
    ``reference()`` returns a ``torch.nn.Module`` (seeded by the engine, with non-trivial
    batch-norm statistics). Its ``state_dict`` travels to the child as ``.npy`` files; the
    child builds ``target(**init_kwargs)``, calls ``load_state_dict(strict=True)`` (missing
    or unexpected keys become the feedback), switches to eval mode and returns
    ``model(*case.args)`` for each case. ``case.args`` are the forward inputs (arrays).
``kind="procedure"``
    ``driver`` is a dotted path to a function that runs *inside the child*, e.g.
    ``"autograde.drivers.train_one_epoch"``. It is called as
    ``driver(student_callable, *case.args, device=..., full=..., **case.kwargs)`` and returns
    a JSON dict of metrics. ``full`` is True on CUDA (the GPU runner) and False on CPU (a
    reduced run); the mode is reported with the result. When ``reference`` is given, the
    grader runs the same driver on it to obtain the expected metrics; the comparator then
    receives ``(student_metrics, expected_metrics_or_None, case)``; see :func:`all_of`,
    :func:`decreasing`, :func:`at_least` and :func:`metrics_close`.

Scoring
-------
``points`` are split between public cases (``public_share``, default 0.5) and hidden cases
(the rest). ``credit="all"`` gives a group's points only when all its cases pass;
``credit="proportional"`` gives the fraction of passed cases. A forbidden call anywhere in the
exercise (AST scan of the target's source or the runtime guard) scores 0 for the exercise.

Comparators
-----------
A comparator is ``f(student, expected, case) -> Verdict``. ``student`` is always plain
data decoded by the grader (numpy ``ndarray`` of a numeric/bool dtype, Python scalars,
lists, dicts, or :class:`Unsupported` for anything else); it never is the student's object.
Built-ins: :func:`allclose`, :func:`equal`, :data:`shape_only`, and the procedure helpers.

Hints
-----
``Hint(text, when=predicate)``; ``predicate(student, expected, case) -> bool`` is evaluated on
failing cases, in order; the first that matches is shown (hidden-case inputs are never
shown). Ready-made predicates live in :mod:`autograde.hints` (``same_as``, ``scaled_by``,
``constant_factor``, ``transposed``, ``wrong_shape``, ``has_nan``, ``shifted``).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

__all__ = [
    "Case",
    "Verdict",
    "Hint",
    "Exercise",
    "Unsupported",
    "parse_memory",
    "resolve",
    "describe",
    "as_numeric",
    "plain_array",
    "hints",
]

Kind = Literal["function", "module", "procedure"]


@dataclass(frozen=True)
class Case:
    """One input of an exercise: ``target(*args, **kwargs)``.

    Parameters
    ----------
    args, kwargs : tuple, dict
        Numpy arrays, torch tensors, JSON values, and lists/tuples/dicts of those.
    label : str
        Short description shown for public cases (e.g. ``"n_fft=512, hop=128"``).

    Examples
    --------
    >>> import numpy as np
    >>> Case(args=(np.zeros(4),), kwargs={"sr": 8000}, label="silence").label
    'silence'
    """

    args: tuple = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""


@dataclass(frozen=True)
class Verdict:
    """The outcome of comparing one case.

    Parameters
    ----------
    passed : bool
    property : str
        Which property failed: ``"ok"``, ``"type"``, ``"shape"``, ``"dtype"``, ``"nan"``,
        ``"tolerance"``, ``"value"``, ``"property"``. Shown for hidden cases.
    message : str
        Detail (may mention values); shown for public cases only.

    Examples
    --------
    >>> Verdict(False, "shape", "shape (3,) but expected (4,)").passed
    False
    """

    passed: bool
    property: str = "ok"
    message: str = ""


@dataclass(frozen=True)
class Unsupported:
    """Stands for a student return value that cannot be graded (e.g. a custom object).

    Examples
    --------
    >>> Unsupported("Cheat").type_name
    'Cheat'
    """

    type_name: str
    reason: str = "not an array, number, string, list or dict"


@dataclass(frozen=True)
class Hint:
    """A targeted diagnostic shown when ``when(student, expected, case)`` is true.

    Examples
    --------
    >>> h = Hint("Magnitude vs power?", when=lambda s, e, c: True)
    >>> h.text
    'Magnitude vs power?'
    """

    text: str
    when: Callable[[Any, Any, Case], bool] = field(default=lambda s, e, c: True)


Comparator = Callable[[Any, Any, Case], Verdict]
CaseGenerator = Callable[[np.random.Generator], Sequence[Case]]


@dataclass(frozen=True)
class Exercise:
    """Declaration of one graded exercise (see the module docstring for an example).

    Parameters
    ----------
    id : str
        ``"<session>.<n>-<name>"``, e.g. ``"2.3-mfcc"``.
    session : int
        Student module ``session<session>.py``.
    points : float
    target : str
        Name of the function/class in the student module.
    reference : callable or str or None
        Function kind: the reference function. Module kind: a factory returning the
        reference ``nn.Module``. Procedure kind: optional reference passed to the driver.
        A dotted path string is imported in the grader.
    kind : {"function", "module", "procedure"}
    public, hidden : callable
        ``f(rng) -> list[Case]``. Public cases use a fixed seed derived from ``id``; hidden
        cases a per-submission seed.
    compare : callable
        ``f(student, expected, case) -> Verdict``.
    hints : sequence of Hint
    forbidden : sequence of str
        Dotted names the target must not call (``"librosa.feature.mfcc"``).
    timeout : float
        Seconds for all cases of the exercise in the child.
    memory : str or int
        Address-space cap of the child (``"2GiB"`` or bytes).
    credit : {"all", "proportional"}
    public_share : float
        Fraction of ``points`` carried by the public cases.
    init_kwargs : dict
        Module kind: constructor keyword arguments of the student's class.
    driver : str
        Procedure kind: dotted path of the child-side driver.
    title : str
        Human-readable name (defaults to ``target``).

    Examples
    --------
    >>> import numpy as np
    >>> ex = Exercise(id="9.1-double", session=9, points=1.0, target="double",
    ...               reference=lambda x: 2 * x,
    ...               public=lambda rng: [Case(args=(np.arange(3.0),))])
    >>> ex.kind, ex.memory_bytes // 2**30, ex.name
    ('function', 2, 'double')
    """

    id: str
    session: int
    points: float
    target: str
    reference: Callable[..., Any] | str | None = None
    kind: Kind = "function"
    public: CaseGenerator | None = None
    hidden: CaseGenerator | None = None
    compare: Comparator | None = None
    hints: Sequence[Hint] = ()
    forbidden: Sequence[str] = ()
    timeout: float = 10.0
    memory: str | int = "2GiB"
    credit: Literal["all", "proportional"] = "all"
    public_share: float = 0.5
    init_kwargs: Mapping[str, Any] = field(default_factory=dict)
    driver: str | None = None
    title: str = ""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d+\.\d+[a-z]?-[A-Za-z0-9_\-]+", self.id):
            raise ValueError(f"Exercise id {self.id!r} must look like '2.3-mfcc'")
        if self.kind not in ("function", "module", "procedure"):
            raise ValueError(f"Exercise {self.id}: kind={self.kind!r} is not one of "
                             "'function', 'module', 'procedure'")
        if self.kind != "procedure" and self.reference is None:
            raise ValueError(f"Exercise {self.id}: a {self.kind} exercise needs a reference")
        if self.kind == "procedure" and not self.driver:
            raise ValueError(f"Exercise {self.id}: a procedure exercise needs driver='pkg.fn'")
        if self.public is None and self.hidden is None:
            raise ValueError(f"Exercise {self.id}: declare public and/or hidden cases")
        if self.credit not in ("all", "proportional"):
            raise ValueError(f"Exercise {self.id}: credit must be 'all' or 'proportional'")
        if not 0.0 <= self.public_share <= 1.0:
            raise ValueError(f"Exercise {self.id}: public_share must be within [0, 1]")
        parse_memory(self.memory)

    @property
    def memory_bytes(self) -> int:
        """The memory cap in bytes."""
        return parse_memory(self.memory)

    @property
    def name(self) -> str:
        """The title, or the target name."""
        return self.title or self.target

    @property
    def comparator(self) -> Comparator:
        """``compare``, defaulting to :func:`allclose` (or :func:`all_of` for procedures)."""
        if self.compare is not None:
            return self.compare
        from .compare import all_of, allclose

        return all_of() if self.kind == "procedure" else allclose()


# --------------------------------------------------------------------------- helpers

_UNITS = {"": 1, "b": 1, "k": 2**10, "kb": 10**3, "kib": 2**10, "m": 2**20, "mb": 10**6,
          "mib": 2**20, "g": 2**30, "gb": 10**9, "gib": 2**30}


def parse_memory(memory: str | int) -> int:
    """Bytes from ``"2GiB"``, ``"512MiB"``, ``"1.5 GB"`` or an int.

    Examples
    --------
    >>> parse_memory("2GiB"), parse_memory("512 MiB"), parse_memory(1024)
    (2147483648, 536870912, 1024)
    """
    if isinstance(memory, int | np.integer) and not isinstance(memory, bool):
        value = int(memory)
    else:
        match = re.fullmatch(r"\s*([0-9.]+)\s*([A-Za-z]*)\s*", str(memory))
        if not match or match.group(2).lower() not in _UNITS:
            raise ValueError(f"memory={memory!r}: use a size like '2GiB' or '512MiB'")
        value = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    if value <= 0:
        raise ValueError(f"memory={memory!r} must be positive")
    return value


def resolve(dotted: str) -> Any:
    """Import ``"package.module.attr"`` (the longest importable module prefix).

    Examples
    --------
    >>> resolve("numpy.linalg.norm").__name__
    'norm'
    """
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(f"cannot import {dotted!r}")


def describe(x: Any) -> str:
    """A short description of a decoded value, for feedback messages.

    Examples
    --------
    >>> import numpy as np
    >>> describe(np.zeros((2, 3)))
    'array of shape (2, 3) and dtype float64'
    """
    if isinstance(x, np.ndarray):
        return f"array of shape {x.shape} and dtype {x.dtype}"
    if isinstance(x, Unsupported):
        return f"an object of type {x.type_name} ({x.reason})"
    return f"{type(x).__name__}"


def as_numeric(x: Any) -> np.ndarray | None:
    """Plain numeric ndarray from decoded student data, None when not numeric.

    Examples
    --------
    >>> as_numeric([1, 2]).tolist(), as_numeric("text")
    ([1, 2], None)
    """
    if isinstance(x, np.ndarray):
        return x if x.dtype.kind in "biufc" else None
    if isinstance(x, bool | int | float | complex):
        return np.asarray(x)
    if isinstance(x, list):
        try:
            arr = np.array(x)
        except ValueError:
            return None
        return arr if arr.dtype.kind in "biufc" else None
    return None


def plain_array(value: Any) -> np.ndarray:
    """A reference value (array, number, torch tensor) as a plain ndarray (grader side only).

    Examples
    --------
    >>> plain_array(3.0).shape
    ()
    """
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


# Re-exported so that a declaration needs one import line for the spec and the hints (the
# comparators live in autograde.compare, which imports this module).
from . import hints  # noqa: E402
