"""The grading engine: declarations in, scored results out.

A chain of small steps, each testable alone:

1. :func:`load_exercises` imports the declaration modules (``autograde.exercises`` by default,
   any package with ``sessionN`` modules defining ``EXERCISES`` works);
2. :func:`prepare` generates the public cases (fixed seed per exercise) and the hidden cases
   (seed from the submission name and the course secret ``AUTOGRADE_SECRET``) and computes the
   expected outputs with the reference, in this process;
3. :func:`autograde.sandbox.run_module` runs the student's module in a child process;
4. :func:`score` compares, applies hints and partial credit, and builds an
   :class:`ExerciseResult`.

:func:`grade_submission` chains them for one submission directory, :func:`grade_all` for a
class (parallel, sharded, resumable), :func:`check` is the student-side entry point.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import os
import pkgutil
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import exports, feedback
from .compare import all_of, allclose
from .model import (
    Case,
    CaseResult,
    Comparator,
    Exercise,
    ExerciseResult,
    FigureValues,
    SubmissionResult,
    Verdict,
)
from .sandbox import (
    IsolationError,
    Outcome,
    Sandbox,
    Task,
    bwrap_available,
    copy_submission,
    drivers,
)
from .spec import resolve

__all__ = [
    "DEFAULT_PACKAGE",
    "CaseResult",
    "ExerciseResult",
    "SubmissionResult",
    "SecretError",
    "load_exercises",
    "select",
    "submission_seed",
    "resolve_secret",
    "resolve_device",
    "prepare",
    "forbidden_in_source",
    "score",
    "grade_submission",
    "grade_all",
    "check",
]

#: the package holding the course's declarations
DEFAULT_PACKAGE = "autograde.exercises"
#: the environment variable that holds the course secret
SECRET_ENV = "AUTOGRADE_SECRET"


class SecretError(RuntimeError):
    """Grading needs the course secret and none was given."""


# ------------------------------------------------------------------ declarations


def load_exercises(package: str = DEFAULT_PACKAGE) -> list[Exercise]:
    """Import every ``session*`` module of ``package`` and collect their ``EXERCISES``.

    Parameters
    ----------
    package : str
        A dotted package name (``"autograde.exercises"``) or a module defining
        ``EXERCISES`` itself.

    Returns
    -------
    list of Exercise
        Sorted by session then declaration order; ids are unique.

    Examples
    --------
    >>> load_exercises("autograde.nonexistent")
    Traceback (most recent call last):
    ...
    ModuleNotFoundError: No module named 'autograde.nonexistent'
    """
    root = importlib.import_module(package)
    modules = [root] if hasattr(root, "EXERCISES") else []
    for info in sorted(pkgutil.iter_modules(getattr(root, "__path__", [])), key=lambda m: m.name):
        if info.name.startswith("session"):
            modules.append(importlib.import_module(f"{package}.{info.name}"))
    exercises: list[Exercise] = []
    for module in modules:
        exercises.extend(getattr(module, "EXERCISES", []))
    ids = [e.id for e in exercises]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate exercise ids in {package}: {duplicates}")
    return sorted(exercises, key=lambda e: e.session)


def select(exercises: Sequence[Exercise], which: str | int | Iterable[str] | None
           ) -> list[Exercise]:
    """Exercises matching a session number (``2``/``"2"``), an id or a target name.

    Examples
    --------
    >>> ex = Exercise(id="9.1-double", session=9, points=1, target="double",
    ...               reference=lambda x: 2 * x, public=lambda rng: [])
    >>> [e.id for e in select([ex], "9")], [e.id for e in select([ex], "double")]
    (['9.1-double'], ['9.1-double'])
    """
    if which is None:
        return list(exercises)
    wanted = [str(which)] if isinstance(which, str | int) else [str(w) for w in which]
    chosen = [e for e in exercises
              if any(w in (str(e.session), e.id, e.target, e.id.split("-", 1)[0])
                     for w in wanted)]
    if not chosen:
        known = ", ".join(e.id for e in exercises)
        raise KeyError(f"no exercise matches {which!r}; known exercises: {known}")
    return chosen


def resolve_secret(secret: str | None = None, *, secret_file: str | os.PathLike | None = None
                   ) -> str:
    """The course secret: ``secret``, else the file ``secret_file``, else ``AUTOGRADE_SECRET``.

    Raises :class:`SecretError` when there is none: hidden cases seeded without a secret
    would be predictable, and signatures without one forgeable.

    Examples
    --------
    >>> resolve_secret("s3cret")
    's3cret'
    """
    if secret is None and secret_file is not None:
        try:
            secret = Path(secret_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SecretError(f"cannot read the secret file {secret_file}: {exc.strerror}"
                              ) from None
    if secret is None:
        secret = os.environ.get(SECRET_ENV)
    if not secret:
        raise SecretError(f"grading needs the course secret: set {SECRET_ENV} or pass "
                          "--secret-file FILE (a long random string, the same for every run "
                          "of the course; e.g. python -c 'import secrets; "
                          "print(secrets.token_hex(32))')")
    return secret


def submission_seed(name: str, exercise_id: str, *, secret: str) -> int:
    """Seed of the hidden cases: a hash of the course secret, the student id and the exercise.

    Students without the secret cannot predict their hidden inputs, and two students never
    share them.

    Examples
    --------
    >>> submission_seed("alice", "1.1-hann", secret="s") != submission_seed(
    ...     "bob", "1.1-hann", secret="s")
    True
    """
    digest = hashlib.sha256(f"{secret}\0{name}\0{exercise_id}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def _public_seed(exercise_id: str) -> int:
    return int.from_bytes(hashlib.sha256(f"public\0{exercise_id}".encode()).digest()[:8],
                          "little")


def resolve_device(device: str = "auto") -> str:
    """``"auto"`` -> ``"cuda"`` when available else ``"cpu"``; validates the value.

    Examples
    --------
    >>> resolve_device("cpu")
    'cpu'
    """
    if device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"device={device!r}: use 'auto', 'cpu' or 'cuda'")
    if device != "auto":
        return device
    torch = sys.modules.get("torch")
    if torch is None:
        try:
            import torch
        except ImportError:  # pragma: no cover - torch is a dependency
            return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"


# ---------------------------------------------------------------------- prepare


@dataclass
class Prepared:
    """Cases and expected outputs of one exercise (grader side only)."""

    exercise: Exercise
    cases: list[Case]
    public: list[bool]
    expected: list[Any]
    state_dict: dict[str, np.ndarray] | None = None
    device: str = "cpu"


_CACHE: dict[tuple, Any] = {}
_CACHE_LOCK = threading.Lock()


class _OneTorchThread:
    """While grading, torch computes the references with one thread (restored afterwards).

    The references are small; the parallelism of grading comes from ``--jobs`` and from the
    children. Intra-op threads on a busy CPU cost more in synchronisation than they gain
    (a tenfold slowdown of the training reference was measured on two loaded cores).
    Re-entrant and thread-safe; :func:`prepare` applies it once torch has been imported.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0
        self.saved: int | None = None

    def __enter__(self) -> _OneTorchThread:
        with self.lock:
            self.users += 1
        self.apply()
        return self

    def apply(self) -> None:
        torch = sys.modules.get("torch")
        with self.lock:
            if torch is not None and self.users and self.saved is None:
                self.saved = torch.get_num_threads()
                torch.set_num_threads(1)

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.users -= 1
            if self.users == 0 and self.saved is not None:
                sys.modules["torch"].set_num_threads(self.saved)
                self.saved = None


_ONE_TORCH_THREAD = _OneTorchThread()


def _reference(exercise: Exercise) -> Callable[..., Any] | None:
    ref = exercise.reference
    return resolve(ref) if isinstance(ref, str) else ref


def _reference_model(exercise: Exercise, seed: int):
    """The seeded reference module with non-trivial batch-norm statistics."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed % 2**63)
        model = _reference(exercise)()
        gen = torch.Generator().manual_seed(seed % 2**63)
        with torch.no_grad():
            for module in model.modules():
                if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                    if module.running_mean is not None:
                        n = module.running_mean.numel()
                        module.running_mean.copy_(0.1 * torch.randn(n, generator=gen))
                        module.running_var.copy_(0.5 + torch.rand(n, generator=gen))
                    if module.affine:
                        module.weight.copy_(1.0 + 0.1 * torch.randn(
                            module.weight.shape, generator=gen))
                        module.bias.copy_(0.1 * torch.randn(module.bias.shape, generator=gen))
    return model.eval()


def _expected_group(exercise: Exercise, generator, seed: int, device: str
                    ) -> tuple[list[Case], list[Any], dict | None]:
    if generator is None:
        return [], [], None
    cases = list(generator(np.random.default_rng(seed)))
    if exercise.kind == "function":
        ref = _reference(exercise)
        return cases, [ref(*c.args, **dict(c.kwargs)) for c in cases], None
    if exercise.kind == "module":
        import torch

        model = _reference_model(exercise, seed)
        state = {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}
        with torch.no_grad():
            expected = [model(*[torch.as_tensor(a) for a in c.args], **dict(c.kwargs))
                        for c in cases]
        return cases, expected, state
    ref = _reference(exercise)
    if ref is None:
        return cases, [None] * len(cases), None
    driver = getattr(drivers, exercise.driver)
    return cases, [driver(ref, *c.args, device=device, full=device == "cuda", **dict(c.kwargs))
                   for c in cases], None


def prepare(exercise: Exercise, submission: str, *, public_only: bool = False,
            device: str = "cpu", secret: str | None = None) -> list[Prepared]:
    """Generate the cases of ``exercise`` for ``submission`` and compute the expected outputs.

    Public cases and their expected outputs are computed once per declaration and device
    in this process (they are the same for everyone). Module exercises get one
    :class:`Prepared` per group because the reference weights differ (public weights are
    fixed, hidden weights are per submission).
    """
    _ONE_TORCH_THREAD.apply()
    key = (exercise.id, device)
    with _CACHE_LOCK:
        owner, public = _CACHE.get(key, (None, None))
    if owner is not exercise:  # another declaration with the same id: not a hit
        public = _expected_group(exercise, exercise.public, _public_seed(exercise.id), device)
        with _CACHE_LOCK:
            _CACHE[key] = (exercise, public)
    groups = [(public, True)]
    if not public_only:
        if not secret:
            raise SecretError("hidden cases need the course secret (see resolve_secret)")
        seed = submission_seed(submission, exercise.id, secret=secret)
        groups.append((_expected_group(exercise, exercise.hidden, seed, device), False))
    if exercise.kind == "module":
        return [Prepared(exercise, cases, [flag] * len(cases), expected, state, device)
                for (cases, expected, state), flag in groups if cases]
    cases = [c for (group, _flag) in groups for c in group[0]]
    flags = [flag for (group, flag) in groups for _c in group[0]]
    expected = [e for (group, _flag) in groups for e in group[1]]
    return [Prepared(exercise, cases, flags, expected, None, device)]


# ----------------------------------------------------------------- static check


def forbidden_in_source(source: str, target: str, forbidden: Sequence[str]
                        ) -> list[tuple[str, int]]:
    """Forbidden dotted names used inside the definition of ``target`` (an AST scan).

    Import aliases at module level and inside the function are resolved, so
    ``import librosa.feature as lf; lf.mfcc(...)`` and
    ``from machinehearing.features import mfcc as m; m(...)`` are both found.

    Returns
    -------
    list of (name, line)

    Examples
    --------
    >>> src = "import numpy as np\\ndef hann(n):\\n    return np.hanning(n)\\n"
    >>> forbidden_in_source(src, "hann", ["numpy.hanning"])
    [('numpy.hanning', 3)]
    """
    if not forbidden:
        return []
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    aliases: dict[str, str] = {}

    def collect_imports(nodes: Iterable[ast.AST]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        aliases[a.asname] = a.name
                    else:
                        top = a.name.split(".")[0]
                        aliases[top] = top
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"

    collect_imports(tree.body)
    definitions = [n for n in tree.body if _defines(n, target)]
    hits: list[tuple[str, int]] = []
    for definition in definitions:
        collect_imports(ast.walk(definition))
    for definition in definitions:
        used = []
        if isinstance(definition, ast.ImportFrom | ast.Import):  # import x as target
            prefix = f"{definition.module}." if isinstance(definition, ast.ImportFrom) else ""
            used = [(prefix + a.name, definition.lineno) for a in definition.names
                    if (a.asname or a.name) == target]
        for node in ast.walk(definition):
            dotted = _dotted(node)
            head, _, rest = (dotted or "").partition(".")
            if head in aliases:
                used.append((aliases[head] + ("." + rest if rest else ""), node.lineno))
        for full, line in used:
            for name in forbidden:
                if full == name or full.startswith(name + ".") or _same_public_name(full, name):
                    hits.append((name, line))
    return sorted(set(hits), key=lambda h: (h[1], h[0]))


def _defines(node: ast.AST, target: str) -> bool:
    """Whether a top-level statement (re)defines ``target``: every ``def``, ``class`` and
    assignment counts (the last one wins at import time, so each is scanned)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return node.name == target
    if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(isinstance(n, ast.Name) and n.id == target
                   for t in targets for n in ast.walk(t))
    if isinstance(node, ast.ImportFrom | ast.Import):
        return any((a.asname or a.name) == target for a in node.names)
    return False


def _same_public_name(used: str, forbidden: str) -> bool:
    """``machinehearing.features.mel.mfcc`` vs ``machinehearing.features.mfcc``."""
    u, f = used.split("."), forbidden.split(".")
    return len(u) > len(f) and u[-1] == f[-1] and u[: len(f) - 1] == f[:-1]


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


# ------------------------------------------------------------------------ score


def comparator(exercise: Exercise) -> Comparator:
    """The exercise's comparator: ``compare``, else :func:`allclose` (:func:`all_of` for
    procedures).

    Examples
    --------
    >>> ex = Exercise(id="9.1-double", session=9, points=1, target="double",
    ...               reference=lambda x: 2 * x, public=lambda rng: [])
    >>> comparator(ex)(2.0, 2.0, Case()).passed
    True
    """
    if exercise.compare is not None:
        return exercise.compare
    return all_of() if exercise.kind == "procedure" else allclose()


def _hint_for(exercise: Exercise, student: Any, expected: Any, case: Case) -> str | None:
    for hint in exercise.hints:
        try:
            if hint.when(student, expected, case):
                return hint.text
        except Exception:  # noqa: BLE001 - a predicate that cannot apply does not apply
            continue
    return None


def _group_credit(exercise: Exercise, passed: list[bool]) -> float:
    if not passed:
        return 0.0
    if exercise.credit == "proportional":
        return sum(passed) / len(passed)
    return float(all(passed))


#: what a failed hidden case says, by the kind of failure (never the child's own words)
_HIDDEN_TEXT = {"not_implemented": "not implemented", "forbidden": "a forbidden call",
                "memory": "out of memory", "missing": "the function is missing",
                "exit": "called sys.exit", "size": "the output is too large",
                "type": "not a torch.nn.Module", "state_dict": "the weights do not fit"}

_STATUS_OF_KIND = {"not_implemented": "not implemented", "forbidden": "forbidden",
                   "memory": "memory", "missing": "missing"}


def score(prepared: Sequence[Prepared], outcomes: Sequence[Outcome], *,
          ast_hits: Sequence[tuple[str, int]] = (), public_only: bool = False, mode: str = ""
          ) -> tuple[ExerciseResult, list[FigureValues]]:
    """Compare the child's outputs with the expected ones and score the exercise.

    The grader's own cases decide: every prepared case gets exactly one :class:`CaseResult`,
    whatever came back (an output missing for a case fails that case).

    Parameters
    ----------
    prepared : sequence of Prepared
        The groups of one exercise (see :func:`prepare`).
    outcomes : sequence of Outcome
        The child's outcome for each group, same order and length.
    ast_hits : sequence of (name, line)
        Forbidden names found by :func:`forbidden_in_source`.
    public_only : bool
        Only public cases were run: they carry all the points.

    Returns
    -------
    result : ExerciseResult
    figures : list of FigureValues
        The public cases' (yours, reference) values, for :mod:`autograde.feedback`.
    """
    if len(prepared) != len(outcomes):
        raise ValueError(f"{len(prepared)} groups of cases but {len(outcomes)} outcomes")
    exercise = prepared[0].exercise
    check = comparator(exercise)
    results: list[CaseResult] = []
    statuses: list[str] = []
    seconds = 0.0
    forbidden_hit = None
    figures: list[FigureValues] = []
    for prep, outcome in zip(prepared, outcomes, strict=True):
        seconds += outcome.seconds
        forbidden_hit = forbidden_hit or outcome.forbidden_hit
        answers = outcome.cases if outcome.status == "ok" else []
        if outcome.status != "ok":
            statuses.append({"import": "error"}.get(outcome.status, outcome.status))
        elif len(answers) != len(prep.cases):  # the sandbox checks it; so does the scorer
            statuses.append("crash")
            outcome = Outcome("crash", f"{len(answers)} outputs for {len(prep.cases)} inputs")
            answers = []
        for i, (case, is_public, expected) in enumerate(
                zip(prep.cases, prep.public, prep.expected, strict=True)):
            label = f"case {i + 1}" + (f" ({case.label})" if case.label else "")
            if not answers:
                results.append(CaseResult(is_public, False, outcome.status, outcome.message))
                continue
            got = answers[i]
            if "error" in got:
                kind = got.get("kind", "exception")
                statuses.append(_STATUS_OF_KIND.get(kind, "failed"))
                if kind == "forbidden":
                    forbidden_hit = forbidden_hit or got["error"]
                # a hidden case's text is the grader's own: the child's could carry the input
                message = f"{label}: {got['error']}" if is_public else _HIDDEN_TEXT.get(
                    kind, "failed (an exception)")
                results.append(CaseResult(is_public, False, kind, message))
                continue
            try:
                verdict = check(got["value"], expected, case)
            except Exception as exc:  # noqa: BLE001 - comparing odd data must not crash
                verdict = Verdict(False, "type", f"could not compare ({type(exc).__name__})")
            hint = None if verdict.passed else _hint_for(exercise, got["value"], expected, case)
            message = "" if verdict.passed else (f"{label}: {verdict.message}" if is_public
                                                 else f"failed ({verdict.property})")
            results.append(CaseResult(is_public, verdict.passed, verdict.property, message,
                                      hint))
            if is_public:
                figures.append(FigureValues(got["value"], expected, verdict.passed))
    flags = [flag for prep in prepared for flag in prep.public]
    n_public = sum(flags)
    share = 1.0 if public_only or n_public == len(flags) else (
        0.0 if n_public == 0 else exercise.public_share)
    points = float(exercise.points)
    public_score = points * share * _group_credit(exercise, [r.passed for r in results
                                                             if r.public])
    earned = round(public_score + points * (1 - share) * _group_credit(
        exercise, [r.passed for r in results if not r.public]), 6)
    if ast_hits or forbidden_hit:
        earned = public_score = 0.0
        name, line = ast_hits[0] if ast_hits else (forbidden_hit, None)
        where = f" (line {line})" if line else ""
        text = name if str(name).startswith("called") else f"uses the forbidden function {name}"
        status, message = "forbidden", f"{text}{where}: write it yourself"
    else:
        failures = [r for r in results if not r.passed]
        message = failures[0].message if failures else ""
        if not failures:
            status = "passed"
        else:
            special = [s for s in statuses if s not in ("failed",)]
            status = special[0] if special else ("partial" if earned > 0 else "failed")
    triggered = list(dict.fromkeys(r.hint for r in results if r.hint))
    first_hint = next((r.hint for r in sorted(results, key=lambda r: not r.public) if r.hint),
                      None)
    result = ExerciseResult(
        id=exercise.id, session=exercise.session, name=exercise.name, points=points,
        score=earned, status=status, message=message, hint=first_hint, hints=triggered,
        cases=results, public_only=public_only, public_points=round(points * share, 6),
        public_score=round(public_score, 6), mode=mode, seconds=round(seconds, 3))
    return result, figures


# ---------------------------------------------------------------------- grading


def _mode(exercise: Exercise, device: str) -> str:
    if exercise.kind != "procedure":
        return ""
    return "full (cuda)" if device == "cuda" else "reduced (cpu)"


def _nbytes(value: Any) -> int:
    if hasattr(value, "detach"):
        return int(value.numel() * value.element_size())
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, tuple | list):
        return sum(_nbytes(v) for v in value)
    if isinstance(value, Mapping):
        return sum(_nbytes(v) for v in value.values())
    return 64


def _budget(expected: Sequence[Any]) -> int:
    """Bytes the child may send back for these cases: twice the expected size, plus 1 MiB
    a case (float64 where float32 is expected still fits; 4 x 25 MB where 100 kB are
    expected does not)."""
    return sum(2 * _nbytes(e) + 2**20 for e in expected)


def _note_insecure() -> None:
    if not getattr(_note_insecure, "said", False):
        _note_insecure.said = True
        print("note: bubblewrap is not available here, so your code runs without the grading "
              "sandbox (fine for checking your own work; the course's grader uses it)",
              file=sys.stderr)


def _isolation(isolation: str) -> str:
    if isolation == "auto":
        return "bwrap" if bwrap_available() is None else "none"
    if isolation not in ("bwrap", "none"):
        raise ValueError(f"isolation={isolation!r}: use 'auto', 'bwrap' or 'none'")
    return isolation


def grade_submission(path: str | os.PathLike, *, exercises: Sequence[Exercise] | None = None,
                     package: str = DEFAULT_PACKAGE, which: str | int | None = None,
                     name: str | None = None, public_only: bool = False,
                     device: str = "auto", feedback_dir: str | os.PathLike | None = None,
                     import_timeout: float | None = None, secret: str | None = None,
                     isolation: str = "bwrap", progress: bool = False) -> SubmissionResult:
    """Grade one submission directory (modules ``session1.py`` ...).

    Parameters
    ----------
    path : path
        The submission directory.
    exercises : sequence of Exercise, optional
        Defaults to :func:`load_exercises` of ``package``, filtered by ``which``.
    name : str, optional
        The student id: the hidden cases' seed and the name signed into the results
        (default: the directory name).
    public_only : bool
        Run only the public cases (student-side checks); no secret needed.
    device : {"auto", "cpu", "cuda"}
    feedback_dir : path, optional
        Where to save the yours/reference/difference PNGs of array exercises.
    import_timeout : float, optional
        Seconds allowed to import a module (default: the longest exercise timeout, >= 20 s).
    secret : str, optional
        The course secret (required unless ``public_only``; see :func:`resolve_secret`).
    isolation : {"bwrap", "none", "auto"}
        ``"bwrap"``: the student's code runs in the sandbox (an error when bubblewrap cannot
        run); ``"none"``: in a plain subprocess (trusted code only); ``"auto"``: the sandbox
        when possible.
    progress : bool
        Show a tqdm bar over exercises.
    """
    start = time.perf_counter()
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"submission directory {str(path)!r} does not exist")
    name = name or path.resolve().name
    if not public_only:
        secret = resolve_secret(secret)
    isolation = _isolation(isolation)
    exercises = select(exercises if exercises is not None else load_exercises(package), which)
    if any(e.kind != "function" for e in exercises) or device != "auto":
        device = resolve_device(device)
    else:
        device = "cpu"
    results: dict[str, ExerciseResult] = {}
    figures: dict[str, list[FigureValues]] = {}
    bar = _bar(len(exercises), progress, name)
    workdir = Path(tempfile.mkdtemp(prefix="autograde-"))
    boxes: dict[tuple, Sandbox] = {}
    try:
        copy = copy_submission(path, workdir / "submission")
        sessions = sorted({e.session for e in exercises})
        mine = {s: [e for e in exercises if e.session == s] for s in sessions}
        # one sandbox per view (library modules and packages an exercise allows)
        views = {s: (tuple(sorted({m for e in mine[s] for m in e.allow})),
                     tuple(sorted({p for e in mine[s] for p in e.packages}))) for s in sessions}
        present = [s for s in sessions if (copy / f"session{s}.py").is_file()]
        for view in dict.fromkeys(views[s] for s in present):
            boxes[view] = Sandbox(copy, workdir / f"box{len(boxes)}", allow=view[0],
                                  packages=view[1], isolation=isolation, device=device,
                                  preload=_preload([e for s in present if views[s] == view
                                                    for e in mine[s]]))
            boxes[view].start()  # it imports its libraries while the references compute
        with _ONE_TORCH_THREAD:
            for s in sessions:
                job = _prepare_session(s, mine[s], name, public_only, device, secret)
                box = boxes[views[s]] if s in present else None
                for key, (result, values) in _run_session(job, box, public_only, device,
                                                          import_timeout, bar).items():
                    results[key], figures[key] = result, values
    finally:
        bar.close()
        for box in boxes.values():
            box.close()
        _rmtree(workdir)
    ordered = [results[e.id] for e in exercises]
    if feedback_dir is not None:
        feedback.save_figures(ordered, figures, Path(feedback_dir))
    return SubmissionResult(name, ordered, round(time.perf_counter() - start, 3), device,
                            isolation=isolation)


def _preload(exercises: Sequence[Exercise]) -> dict[str, Any]:
    """What a sandbox's fork server imports: torch when any exercise needs it, and the
    modules of the forbidden names (so that the child's guard resolves them quickly)."""
    modules = sorted({n.rsplit(".", 1)[0] for e in exercises for n in e.forbidden if "." in n})
    return {"torch": any(e.kind != "function" for e in exercises), "modules": modules}


def _rmtree(path: Path) -> None:
    def make_writable(func, p, _exc):  # noqa: ANN001 - shutil.rmtree onerror signature
        os.chmod(os.path.dirname(p), 0o700)
        os.chmod(p, 0o700)
        func(p)

    shutil.rmtree(path, onerror=make_writable)


def _bar(total: int, progress: bool, name: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not progress, desc=name, unit="exercise", leave=False)


@dataclass
class _SessionJob:
    """The prepared work of one session module: references computed, tasks built."""

    session: int
    exercises: list[Exercise]
    prepared: dict[str, list[Prepared]]
    tasks: list[Task]
    owners: list[str]


def _prepare_session(session: int, exercises: Sequence[Exercise], name: str,
                     public_only: bool, device: str, secret: str | None) -> _SessionJob:
    prepared = {e.id: prepare(e, name, public_only=public_only, device=device, secret=secret)
                for e in exercises}
    tasks, owners = [], []
    for e in exercises:
        for prep in prepared[e.id]:
            tasks.append(Task(index=len(tasks), target=e.target, kind=e.kind,
                              cases=prep.cases, timeout=e.timeout, memory=e.memory_bytes,
                              budget=_budget(prep.expected), forbidden=e.forbidden,
                              init_kwargs=e.init_kwargs, state_dict=prep.state_dict,
                              driver=e.driver, device=device, full=device == "cuda"))
            owners.append(e.id)
    return _SessionJob(session, list(exercises), prepared, tasks, owners)


def _run_session(job: _SessionJob, box: Sandbox | None, public_only: bool, device: str,
                 import_timeout: float | None, bar
                 ) -> dict[str, tuple[ExerciseResult, list[FigureValues]]]:
    session, exercises, prepared = job.session, job.exercises, job.prepared
    module = f"session{session}.py"
    out = {}
    if box is None:
        for e in exercises:
            missing = Outcome("missing", f"{module} is missing from the submission")
            result, values = score(prepared[e.id], [missing] * len(prepared[e.id]),
                                   public_only=public_only)
            result.status = "missing"
            out[e.id] = (result, values)
            bar.update(1)
        return out
    source = (box.submission / module).read_text(encoding="utf-8", errors="replace")
    timeout = import_timeout if import_timeout is not None else max(
        20.0, *(e.timeout for e in exercises))
    outcomes = box.run_module(module, job.tasks, import_timeout=timeout)
    for e in exercises:
        mine = [outcomes[i] for i, owner in enumerate(job.owners) if owner == e.id]
        out[e.id] = score(prepared[e.id], mine,
                          ast_hits=forbidden_in_source(source, e.target, e.forbidden),
                          public_only=public_only, mode=_mode(e, device))
        bar.update(1)
    return out


def _failed_submission(name: str, exercises: Sequence[Exercise], error: str,
                       device: str, isolation: str) -> SubmissionResult:
    """The record of a student whose grading failed: 0 everywhere, the error said."""
    records = [ExerciseResult(id=e.id, session=e.session, name=e.name, points=float(e.points),
                              score=0.0, status="error", message=error) for e in exercises]
    return SubmissionResult(name, records, 0.0, device, isolation=isolation, error=error)


def grade_all(root: str | os.PathLike, out: str | os.PathLike, *, jobs: int = 1,
              shard: tuple[int, int] = (1, 1), device: str = "auto", force: bool = False,
              package: str = DEFAULT_PACKAGE, figures: bool = True, progress: bool = True,
              import_timeout: float | None = None, secret: str | None = None,
              isolation: str = "bwrap") -> list[Path]:
    """Grade every sub-directory of ``root`` (one per student) into ``out``.

    Writes ``out/<student>/results.json`` (Gradescope schema, signed), ``out/<student>/
    feedback/*.png``, then ``out/grades.csv`` and ``out/junit.xml`` over all graded students.
    Students whose valid results exist are skipped unless ``force``. A failure while
    grading one student (whatever its cause) becomes that student's error record; the class
    goes on.

    Parameters
    ----------
    jobs : int
        Submissions graded in parallel (each in its own sandbox).
    shard : (i, n)
        Grade only the i-th of n interleaved shares of the students (1-based).
    secret : str, optional
        The course secret (default: ``AUTOGRADE_SECRET``); required.
    isolation : {"bwrap", "none"}
        ``"none"`` only for trusted code (``grade --insecure``).

    Returns
    -------
    list of Path
        The ``results.json`` files written in this run.
    """
    root, out = Path(root), Path(out)
    secret = resolve_secret(secret)
    isolation = _isolation(isolation)
    if isolation == "bwrap" and bwrap_available() is not None:
        raise IsolationError(f"{bwrap_available()}; or pass --insecure to grade without "
                             "isolation (every results.json then says so)")
    index, count = shard
    if not 1 <= index <= count:
        raise ValueError(f"shard={index}/{count}: use i/n with 1 <= i <= n")
    students = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    students = students[index - 1::count]
    exercises = load_exercises(package)
    device = resolve_device(device)
    todo = [s for s in students if force or exports.read_results(
        out / s.name / "results.json", secret=secret, student=s.name) is None]
    written: list[Path] = []
    lock = threading.Lock()
    bar = _bar(len(todo), progress, "grading")
    bar.unit = "submission"

    def one(student: Path) -> None:
        try:
            result = grade_submission(student, exercises=exercises, device=device,
                                      name=student.name, secret=secret, isolation=isolation,
                                      feedback_dir=out / student.name / "feedback" if figures
                                      else None, import_timeout=import_timeout)
        except Exception as exc:  # noqa: BLE001 - one student's failure is theirs alone
            detail = traceback.format_exception_only(type(exc), exc)[-1].strip()[:500]
            result = _failed_submission(student.name, exercises,
                                        f"the grader failed on this submission: {detail}",
                                        device, isolation)
        target = exports.write_results(result, out / student.name / "results.json",
                                       secret=secret)
        with lock:
            written.append(target)
            bar.update(1)

    out.mkdir(parents=True, exist_ok=True)
    try:
        with _ONE_TORCH_THREAD:
            if jobs <= 1:
                for student in todo:
                    one(student)
            else:
                with ThreadPoolExecutor(max_workers=jobs) as pool:
                    list(pool.map(one, todo))
    finally:
        bar.close()
        exports.write_class_files(out, exercises, secret=secret)
    return written


def check(which: str | int | None = None, *, path: str | os.PathLike | None = None,
          package: str = DEFAULT_PACKAGE, device: str = "auto", verbose: bool = True,
          progress: bool = True) -> SubmissionResult | ExerciseResult:
    """Run the public cases and print feedback; for students and notebook cells.

    Runs in the sandbox when bubblewrap is available, and otherwise in a plain subprocess
    (it says so once: cheating here only cheats yourself).

    Parameters
    ----------
    which : str or int, optional
        An exercise id (``"2.5-mfcc"``), a target name or a session number; all when None.
    path : path, optional
        The directory with your ``sessionN.py`` modules (default: ``exercises/`` when it
        exists, else the current directory, e.g. next to a notebook).

    Returns
    -------
    ExerciseResult or SubmissionResult
        One exercise's result when ``which`` names one exercise.
    """
    if path is None:
        path = "exercises" if Path("exercises").is_dir() else "."
    isolation = _isolation("auto")
    if isolation == "none":
        _note_insecure()
    exercises = select(load_exercises(package), which)
    result = grade_submission(path, exercises=exercises, public_only=True, device=device,
                              isolation=isolation, progress=progress and len(exercises) > 1)
    if verbose:
        print(feedback.format_table(result))
    if len(result.exercises) == 1 and which is not None and not str(which).isdigit():
        return result.exercises[0]
    return result
