"""The grader's plain data: cases, verdicts, hints, exercises and results.

Nothing here imports anything else from :mod:`autograde`, so every other module (the
comparators, the hints, the engine, the exports, the sandbox's parent side) builds on it
without import cycles. Declarations use it through :mod:`autograde.spec`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

__all__ = [
    "Case",
    "Verdict",
    "Hint",
    "Exercise",
    "Unsupported",
    "CaseResult",
    "ExerciseResult",
    "SubmissionResult",
    "FigureValues",
    "parse_memory",
    "describe",
    "as_numeric",
    "plain_array",
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
        ``"<session>.<n>-<name>"``, e.g. ``"2.5-mfcc"``.
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
        Procedure kind: the name of a driver in :mod:`autograde.sandbox.drivers` (the
        child-side code that calls the student's procedure).
    allow : sequence of str
        Modules of ``machinehearing`` that the student's code may import in the sandbox
        (e.g. ``("machinehearing.models",)``); the rest of the library is not there.
    packages : sequence of str
        Third-party distributions visible in the sandbox beside numpy, scipy and torch
        (e.g. ``("soundfile",)`` for an allowed module that imports it).
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
    allow: Sequence[str] = ()
    packages: Sequence[str] = ()
    title: str = ""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d+\.\d+[a-z]?-[A-Za-z0-9_\-]+", self.id):
            raise ValueError(f"Exercise id {self.id!r} must look like '2.5-mfcc'")
        if self.kind not in ("function", "module", "procedure"):
            raise ValueError(f"Exercise {self.id}: kind={self.kind!r} is not one of "
                             "'function', 'module', 'procedure'")
        if self.kind != "procedure" and self.reference is None:
            raise ValueError(f"Exercise {self.id}: a {self.kind} exercise needs a reference")
        if self.kind == "procedure" and not self.driver:
            raise ValueError(f"Exercise {self.id}: a procedure exercise needs driver='name' "
                             "(a function of autograde.sandbox.drivers)")
        for module in self.allow:
            if not re.fullmatch(r"machinehearing(\.[a-z_][a-z0-9_]*)+", module):
                raise ValueError(f"Exercise {self.id}: allow={module!r} is not a module of "
                                 "machinehearing (e.g. 'machinehearing.models')")
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


# ----------------------------------------------------------------------- results


@dataclass
class CaseResult:
    """Outcome of one case (``message`` is empty for hidden cases: they stay hidden)."""

    public: bool
    passed: bool
    property: str
    message: str = ""
    hint: str | None = None


@dataclass
class ExerciseResult:
    """Score and feedback for one exercise.

    ``status`` is one of ``passed``, ``partial``, ``failed``, ``not implemented``,
    ``forbidden``, ``timeout``, ``memory``, ``crash``, ``error`` (import failed), ``missing``.
    """

    id: str
    session: int
    name: str
    points: float
    score: float
    status: str
    message: str = ""
    hint: str | None = None
    hints: list[str] = field(default_factory=list)
    cases: list[CaseResult] = field(default_factory=list)
    public_only: bool = False
    public_points: float = 0.0
    public_score: float = 0.0
    mode: str = ""
    seconds: float = 0.0
    figure: str | None = None

    @property
    def passed(self) -> bool:
        """True when the exercise earned all its points."""
        return self.status == "passed"

    def to_dict(self) -> dict:
        """JSON-able dict (inverse of :meth:`from_dict`)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> ExerciseResult:
        """Rebuild from :meth:`to_dict` output."""
        data = dict(data)
        data["cases"] = [CaseResult(**c) for c in data.get("cases", [])]
        return cls(**data)


@dataclass
class SubmissionResult:
    """All exercise results of one submission."""

    name: str
    exercises: list[ExerciseResult]
    seconds: float = 0.0
    device: str = "cpu"
    isolation: str = "bwrap"
    error: str = ""

    @property
    def score(self) -> float:
        """Total points earned."""
        return float(sum(e.score for e in self.exercises))

    @property
    def max_score(self) -> float:
        """Total points available."""
        return float(sum(e.points for e in self.exercises))


@dataclass(frozen=True)
class FigureValues:
    """A public case's (yours, reference) pair, for the feedback figures."""

    student: Any
    expected: Any
    passed: bool
