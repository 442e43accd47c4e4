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
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .sandbox import Outcome, Task, copy_submission, fork_servers, prestart, run_module
from .spec import Case, Exercise, Verdict, as_numeric, plain_array, resolve

__all__ = [
    "DEFAULT_PACKAGE",
    "CaseResult",
    "ExerciseResult",
    "SubmissionResult",
    "load_exercises",
    "select",
    "submission_seed",
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
_DEFAULT_SECRET = "machinehearing-course"


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

    @property
    def score(self) -> float:
        """Total points earned."""
        return float(sum(e.score for e in self.exercises))

    @property
    def max_score(self) -> float:
        """Total points available."""
        return float(sum(e.points for e in self.exercises))


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


def submission_seed(name: str, exercise_id: str, *, secret: str | None = None) -> int:
    """Seed of the hidden cases: a hash of the course secret, submission name and exercise.

    The secret comes from ``AUTOGRADE_SECRET`` (a default is used when unset); students
    without the secret cannot predict their hidden inputs.

    Examples
    --------
    >>> submission_seed("alice", "1.1-hann", secret="s") != submission_seed(
    ...     "bob", "1.1-hann", secret="s")
    True
    """
    secret = secret if secret is not None else os.environ.get("AUTOGRADE_SECRET",
                                                              _DEFAULT_SECRET)
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
    driver = resolve(exercise.driver)
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
    definition = next((n for n in tree.body
                       if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                       and n.name == target), None)
    if definition is None:
        return []
    collect_imports(ast.walk(definition))
    hits: list[tuple[str, int]] = []
    for node in ast.walk(definition):
        dotted = _dotted(node)
        if dotted is None:
            continue
        head, _, rest = dotted.partition(".")
        if head not in aliases:
            continue
        full = aliases[head] + ("." + rest if rest else "")
        for name in forbidden:
            if full == name or full.startswith(name + ".") or _same_public_name(full, name):
                hits.append((name, node.lineno))
    return sorted(set(hits), key=lambda h: (h[1], h[0]))


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


_STATUS_OF_KIND = {"not_implemented": "not implemented", "forbidden": "forbidden",
                   "memory": "memory", "missing": "missing"}


def score(prepared: Sequence[Prepared], outcomes: Sequence[Outcome], *,
          ast_hits: Sequence[tuple[str, int]] = (), public_only: bool = False, mode: str = ""
          ) -> ExerciseResult:
    """Compare the child's outputs with the expected ones and score the exercise.

    Parameters
    ----------
    prepared : sequence of Prepared
        The groups of one exercise (see :func:`prepare`).
    outcomes : sequence of Outcome
        The child's outcome for each group, same order.
    ast_hits : sequence of (name, line)
        Forbidden names found by :func:`forbidden_in_source`.
    public_only : bool
        Only public cases were run: they carry all the points.
    """
    exercise = prepared[0].exercise
    results: list[CaseResult] = []
    statuses: list[str] = []
    seconds = 0.0
    forbidden_hit = None
    values: list[tuple[Any, Any, Case, bool]] = []
    for prep, outcome in zip(prepared, outcomes):
        seconds += outcome.seconds
        forbidden_hit = forbidden_hit or outcome.forbidden_hit
        if outcome.status != "ok":
            statuses.append({"import": "error"}.get(outcome.status, outcome.status))
            results.extend(CaseResult(p, False, outcome.status, outcome.message)
                           for p in prep.public)
            continue
        for i, (case, is_public, expected, got) in enumerate(
                zip(prep.cases, prep.public, prep.expected, outcome.cases)):
            label = f"case {i + 1}" + (f" ({case.label})" if case.label else "")
            if "error" in got:
                kind = got.get("kind", "exception")
                statuses.append(_STATUS_OF_KIND.get(kind, "failed"))
                if kind == "forbidden":
                    forbidden_hit = forbidden_hit or got["error"]
                message = got["error"] if is_public or kind != "exception" else (
                    got["error"].split(":", 1)[0])
                results.append(CaseResult(is_public, False, kind,
                                          f"{label}: {message}" if is_public else message))
                continue
            try:
                verdict = exercise.comparator(got["value"], expected, case)
            except Exception as exc:  # noqa: BLE001 - comparing odd data must not crash
                verdict = Verdict(False, "type", f"could not compare ({type(exc).__name__})")
            hint = None if verdict.passed else _hint_for(exercise, got["value"], expected, case)
            message = "" if verdict.passed else (f"{label}: {verdict.message}" if is_public
                                                 else f"failed ({verdict.property})")
            results.append(CaseResult(is_public, verdict.passed, verdict.property, message,
                                      hint))
            if is_public:
                values.append((got["value"], expected, case, verdict.passed))
    n_public = sum(r.public for r in results)
    share = 1.0 if public_only or n_public == len(results) else (
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
    result._values = values  # public outputs for the feedback figures (not serialised)
    return result


# ---------------------------------------------------------------------- grading


def _mode(exercise: Exercise, device: str) -> str:
    if exercise.kind != "procedure":
        return ""
    return "full (cuda)" if device == "cuda" else "reduced (cpu)"


def grade_submission(path: str | os.PathLike, *, exercises: Sequence[Exercise] | None = None,
                     package: str = DEFAULT_PACKAGE, which: str | int | None = None,
                     name: str | None = None, public_only: bool = False,
                     device: str = "auto", feedback_dir: str | os.PathLike | None = None,
                     import_timeout: float | None = None, secret: str | None = None,
                     progress: bool = False) -> SubmissionResult:
    """Grade one submission directory (modules ``session1.py`` ...).

    Parameters
    ----------
    path : path
        The submission directory.
    exercises : sequence of Exercise, optional
        Defaults to :func:`load_exercises` of ``package``, filtered by ``which``.
    name : str, optional
        Submission name for the hidden seed (default: the directory name).
    public_only : bool
        Run only the public cases (student-side checks).
    device : {"auto", "cpu", "cuda"}
    feedback_dir : path, optional
        Where to save the yours/reference/difference PNGs of array exercises.
    import_timeout : float, optional
        Seconds allowed to import a module (default: the longest exercise timeout, >= 20 s).
    progress : bool
        Show a tqdm bar over exercises.
    """
    start = time.perf_counter()
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"submission directory {str(path)!r} does not exist")
    name = name or path.resolve().name
    exercises = select(exercises if exercises is not None else load_exercises(package), which)
    if any(e.kind != "function" for e in exercises) or device != "auto":
        device = resolve_device(device)
    else:
        device = "cpu"
    results: dict[str, ExerciseResult] = {}
    bar = _bar(len(exercises), progress, name)
    workdir = Path(tempfile.mkdtemp(prefix="autograde-"))
    try:
        os.chmod(workdir, 0o755)
        copy = copy_submission(path, workdir / "submission")
        with fork_servers(), _ONE_TORCH_THREAD:
            jobs = [_prepare_session(session, [e for e in exercises if e.session == session],
                                     copy, name, public_only, device, secret)
                    for session in sorted({e.session for e in exercises})]
            for job in jobs:
                results.update(_run_session(job, copy, workdir, public_only, device,
                                            import_timeout, bar))
    finally:
        bar.close()
        _rmtree(workdir)
    ordered = [results[e.id] for e in exercises]
    if feedback_dir is not None:
        from .feedback import save_figures

        save_figures(ordered, Path(feedback_dir))
    return SubmissionResult(name, ordered, round(time.perf_counter() - start, 3), device)


def _rmtree(path: Path) -> None:
    def make_writable(func, p, _exc):  # noqa: ANN001 - shutil.rmtree onerror signature
        os.chmod(os.path.dirname(p), 0o755)
        os.chmod(p, 0o755)
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


def _prepare_session(session: int, exercises: Sequence[Exercise], copy: Path, name: str,
                     public_only: bool, device: str, secret: str | None) -> _SessionJob:
    prepared = {e.id: prepare(e, name, public_only=public_only, device=device, secret=secret)
                for e in exercises}
    tasks, owners = [], []
    if (copy / f"session{session}.py").is_file():
        for e in exercises:
            for prep in prepared[e.id]:
                tasks.append(Task(index=len(tasks), target=e.target, kind=e.kind,
                                  cases=prep.cases, timeout=e.timeout, memory=e.memory_bytes,
                                  forbidden=e.forbidden, init_kwargs=e.init_kwargs,
                                  state_dict=prep.state_dict, driver=e.driver, device=device,
                                  full=device == "cuda"))
                owners.append(e.id)
        prestart(tasks)  # the fork server imports while the next references are computed
    return _SessionJob(session, list(exercises), prepared, tasks, owners)


def _run_session(job: _SessionJob, copy: Path, workdir: Path, public_only: bool, device: str,
                 import_timeout: float | None, bar) -> dict[str, ExerciseResult]:
    session, exercises, prepared = job.session, job.exercises, job.prepared
    module = copy / f"session{session}.py"
    out = {}
    if not module.is_file():
        for e in exercises:
            out[e.id] = score(prepared[e.id], [Outcome("missing", f"session{session}.py is "
                                                       "missing from the submission")] *
                              len(prepared[e.id]), public_only=public_only)
            out[e.id].status = "missing"
            bar.update(1)
        return out
    source = module.read_text(encoding="utf-8", errors="replace")
    timeout = import_timeout if import_timeout is not None else max(
        20.0, *(e.timeout for e in exercises))
    outcomes = run_module(module, copy, job.tasks, workdir / f"session{session}",
                          import_timeout=timeout)
    for e in exercises:
        mine = [outcomes[i] for i, owner in enumerate(job.owners) if owner == e.id]
        out[e.id] = score(prepared[e.id], mine,
                          ast_hits=forbidden_in_source(source, e.target, e.forbidden),
                          public_only=public_only, mode=_mode(e, device))
        bar.update(1)
    return out


def grade_all(root: str | os.PathLike, out: str | os.PathLike, *, jobs: int = 1,
              shard: tuple[int, int] = (1, 1), device: str = "auto", force: bool = False,
              package: str = DEFAULT_PACKAGE, figures: bool = True, progress: bool = True,
              import_timeout: float | None = None) -> list[Path]:
    """Grade every sub-directory of ``root`` (one per student) into ``out``.

    Writes ``out/<student>/results.json`` (Gradescope schema, signed), ``out/<student>/
    feedback/*.png``, then ``out/grades.csv`` and ``out/junit.xml`` over all graded students.
    Students whose valid results exist are skipped unless ``force``.

    Parameters
    ----------
    jobs : int
        Submissions graded in parallel (each in its own child processes).
    shard : (i, n)
        Grade only the i-th of n interleaved shares of the students (1-based).

    Returns
    -------
    list of Path
        The ``results.json`` files written in this run.
    """
    from . import exports

    root, out = Path(root), Path(out)
    index, count = shard
    if not 1 <= index <= count:
        raise ValueError(f"shard={index}/{count}: use i/n with 1 <= i <= n")
    students = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    students = students[index - 1::count]
    exercises = load_exercises(package)
    device = resolve_device(device)
    todo = [s for s in students
            if force or exports.read_results(out / s.name / "results.json") is None]
    written: list[Path] = []
    lock = threading.Lock()
    bar = _bar(len(todo), progress, "grading")
    bar.unit = "submission"

    def one(student: Path) -> None:
        result = grade_submission(student, exercises=exercises, device=device,
                                  feedback_dir=out / student.name / "feedback" if figures
                                  else None, import_timeout=import_timeout)
        target = exports.write_results(result, out / student.name / "results.json")
        with lock:
            written.append(target)
            bar.update(1)

    try:
        with fork_servers(), _ONE_TORCH_THREAD:  # libraries imported once per session kind
            if jobs <= 1:
                for student in todo:
                    one(student)
            else:
                with ThreadPoolExecutor(max_workers=jobs) as pool:
                    list(pool.map(one, todo))
    finally:
        bar.close()
        exports.write_class_files(out, exercises)
    return written


def check(which: str | int | None = None, *, path: str | os.PathLike = "exercises",
          package: str = DEFAULT_PACKAGE, device: str = "auto", verbose: bool = True,
          progress: bool = True) -> SubmissionResult | ExerciseResult:
    """Run the public cases and print feedback; for students and notebook cells.

    Parameters
    ----------
    which : str or int, optional
        An exercise id (``"2.3-mfcc"``), a target name or a session number; all when None.
    path : path
        The directory with your ``sessionN.py`` modules.

    Returns
    -------
    ExerciseResult or SubmissionResult
        One exercise's result when ``which`` names one exercise.
    """
    from .feedback import format_table

    exercises = select(load_exercises(package), which)
    result = grade_submission(path, exercises=exercises, public_only=True, device=device,
                              progress=progress and len(exercises) > 1)
    if verbose:
        print(format_table(result))
    if len(result.exercises) == 1 and which is not None and not str(which).isdigit():
        return result.exercises[0]
    return result


def _is_array(value: Any) -> bool:
    arr = as_numeric(value)
    return arr is not None and arr.ndim >= 1 and arr.size > 1


def figure_pairs(result: ExerciseResult) -> list[tuple[np.ndarray, np.ndarray]]:
    """(yours, reference) array pairs of the public cases, for :mod:`autograde.feedback`."""
    pairs = []
    for student, expected, _case, _ok in getattr(result, "_values", []):
        if _is_array(student) and _is_array(plain_array(expected)):
            pairs.append((as_numeric(student), plain_array(expected)))
    return pairs
