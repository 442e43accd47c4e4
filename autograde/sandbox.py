"""Run student code in child processes; move data across as ``.npy`` and JSON only.

The grader (parent) writes a job: the path of the student module, and for each exercise its
target name and input cases. A child process imports the student module and runs the
exercises one after the other; it writes each exercise's outputs back as ``.npy`` files
(``allow_pickle=False``) plus JSON and reports on a private pipe, one JSON line when an
exercise starts and one when it is done. The parent enforces each exercise's timeout: when
an exercise hangs or kills the child, the parent kills the child, records the failure of
that exercise only, and a fresh child carries on with the remaining exercises. The parent
never unpickles anything produced by the child and decodes outputs into plain data
(ndarray of numeric dtype, Python scalars, lists, tuples, dicts).

The children are forked by a *fork server* (``python -I -m autograde.sandbox --server``):
a clean process, started with the children's environment, that imports numpy, torch (when
the job needs it) and the modules of the forbidden functions once and never runs student
code, so a child starts in milliseconds rather than seconds. :func:`fork_servers` keeps
the servers alive across the submissions of a grading run (one per kind of job: per
course session).

Isolation of the child
----------------------
- its own process group, killed as a whole after a timeout or crash by a small monitor
  process that reaps it only then (a recycled pid is never signalled); no file
  descriptors but ``/dev/null`` as stdin, its log and its event pipe;
- a seccomp filter installed before the student module is imported: ``fork``, ``vfork``,
  ``clone`` without ``CLONE_THREAD`` fail with ``EAGAIN`` (threads still work), so a fork
  bomb cannot create a single process (Linux x86-64 and aarch64; elsewhere only the
  ``RLIMIT_NPROC`` cap below applies);
- ``RLIMIT_NPROC`` as a second cap when the grader is not root (root ignores that limit);
- ``RLIMIT_AS`` (the exercise's ``memory``; not applied with ``device="cuda"`` because the
  CUDA driver reserves tens of GiB of address space), ``RLIMIT_CPU``, ``RLIMIT_FSIZE``,
  no core files;
- a fresh temporary directory as working directory and ``HOME``, a read-only copy of the
  submission's ``.py`` files, an environment without proxies or credentials, one thread
  for OpenMP/BLAS;
- a wall-clock timeout per exercise, enforced by the parent with ``SIGKILL``.

When the grader runs as root, file permissions do not stop the child (root ignores them):
run graders as an unprivileged user or inside a container (the GitHub workflow in
``autograde/ci`` does). Scores cannot be forged either way, because the parent computes
the expected values and compares; the per-student ``results.json`` is signed (see
:mod:`autograde.exports`).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import platform
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .spec import Case, Unsupported

__all__ = ["Task", "Outcome", "run_module", "fork_servers", "prestart", "copy_submission",
           "encode", "decode", "child_env", "MAX_FILE_BYTES"]

#: largest file the child may write (RLIMIT_FSIZE)
MAX_FILE_BYTES = 512 * 2**20
#: largest submission file copied into the sandbox
MAX_SOURCE_BYTES = 4 * 2**20
_MAX_ITEMS = 100_000


# ------------------------------------------------------------------ data transport


def encode(value: Any, folder: Path, stem: str, *, _count: list | None = None) -> Any:
    """Turn ``value`` into JSON, writing arrays and tensors to ``folder/<stem>_*.npy``.

    Plain ndarrays of numeric/bool dtype and torch tensors become ``.npy`` files; numpy
    scalars become Python numbers; tuples, lists and string-keyed dicts are walked; anything
    else (ndarray subclasses, object arrays, custom objects) becomes an ``__unsupported__``
    marker carrying only the type name.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> d = Path(tempfile.mkdtemp())
    >>> encode((np.arange(3), 2.5, "hann"), d, "x")["__tuple__"][1:]
    [2.5, 'hann']
    """
    count = _count if _count is not None else [0]
    count[0] += 1
    if count[0] > _MAX_ITEMS:
        return {"__unsupported__": "nested data", "reason": "more than 100000 items"}
    name = f"{stem}_{count[0]}.npy"
    if type(value) is np.ndarray:
        if value.dtype.kind not in "biufc":
            return {"__unsupported__": f"ndarray[{value.dtype}]",
                    "reason": "arrays must have a numeric or bool dtype"}
        # np.require keeps 0-d arrays 0-d (np.ascontiguousarray would make them (1,))
        np.save(folder / name, np.require(value, requirements="C"), allow_pickle=False)
        return {"__npy__": name}
    if isinstance(value, np.ndarray):
        return {"__unsupported__": type(value).__name__,
                "reason": "a subclass of numpy.ndarray; return a plain numpy.ndarray"}
    if _is_tensor(value):
        array = value.detach().cpu().resolve_conj().resolve_neg().numpy()
        np.save(folder / name, np.array(array, copy=True), allow_pickle=False)
        return {"__tensor__": name}
    if isinstance(value, np.generic) and value.dtype.kind in "biufc":
        value = value.item()
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) is float:
        return value if np.isfinite(value) else {"__float__": repr(value)}
    if type(value) is complex:
        return {"__complex__": [encode(value.real, folder, stem, _count=count),
                                encode(value.imag, folder, stem, _count=count)]}
    if type(value) in (tuple, list):
        items = [encode(v, folder, stem, _count=count) for v in value]
        return {"__tuple__": items} if type(value) is tuple else items
    if type(value) is dict and all(type(k) is str for k in value):
        return {"__dict__": {k: encode(v, folder, stem, _count=count) for k, v in value.items()}}
    return {"__unsupported__": type(value).__name__,
            "reason": "not an array, number, string, list, tuple or dict"}


def _is_tensor(value: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def decode(obj: Any, folder: Path, *, tensors: bool = False) -> Any:
    """Inverse of :func:`encode`. ``.npy`` files are loaded with ``allow_pickle=False``.

    With ``tensors=False`` (the grader's side) tensors come back as plain ndarrays.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> d = Path(tempfile.mkdtemp())
    >>> decode(encode({"a": np.ones(2), "b": (1, None)}, d, "x"), d)
    {'a': array([1., 1.]), 'b': (1, None)}
    """
    if isinstance(obj, list):
        return [decode(v, folder, tensors=tensors) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__npy__" in obj or "__tensor__" in obj:
        name = str(obj.get("__npy__") or obj.get("__tensor__"))
        if "/" in name or "\\" in name or name.startswith("."):
            return Unsupported("file", "invalid file name")
        array = np.load(folder / name, allow_pickle=False)
        array = np.array(array, copy=True)  # plain in-memory ndarray, never a memmap
        if "__tensor__" in obj and tensors:
            import torch

            return torch.from_numpy(array)
        return array
    if "__float__" in obj:
        return float(obj["__float__"])
    if "__complex__" in obj:
        re_, im = obj["__complex__"]
        return complex(float(decode(re_, folder)), float(decode(im, folder)))
    if "__tuple__" in obj:
        return tuple(decode(v, folder, tensors=tensors) for v in obj["__tuple__"])
    if "__dict__" in obj:
        return {str(k): decode(v, folder, tensors=tensors) for k, v in obj["__dict__"].items()}
    if "__unsupported__" in obj:
        return Unsupported(str(obj["__unsupported__"])[:80], str(obj.get("reason", ""))[:200])
    return Unsupported("dict", "unexpected data")


# ------------------------------------------------------------------- parent side


@dataclass
class Task:
    """One exercise to run in the child (grader-side values, encoded by :func:`run_module`)."""

    index: int
    target: str
    kind: str
    cases: Sequence[Case]
    timeout: float
    memory: int
    forbidden: Sequence[str] = ()
    init_kwargs: Mapping[str, Any] = field(default_factory=dict)
    state_dict: Mapping[str, np.ndarray] | None = None
    driver: str | None = None
    device: str = "cpu"
    full: bool = False


@dataclass
class Outcome:
    """What came back for one task.

    ``status`` is ``"ok"`` (``cases`` holds one entry per case: ``{"value": ...}`` or
    ``{"error": message, "kind": kind}``), ``"timeout"``, ``"crash"``, ``"memory"`` or
    ``"import"`` (``message`` says what happened).
    """

    status: str
    message: str = ""
    cases: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    forbidden_hit: str | None = None


_SECRET_ENV = re.compile(r"(TOKEN|SECRET|PASSWORD|PASSWD|KEY|CREDENTIAL|AUTH|COOKIE|SESSION)",
                         re.IGNORECASE)
_KEEP_ENV = ("PATH", "LANG", "LC_ALL", "TZ", "CUDA_VISIBLE_DEVICES", "CUDA_HOME",
             "LD_LIBRARY_PATH", "VIRTUAL_ENV")


def child_env(home: Path) -> dict[str, str]:
    """The child's environment: a short allow-list, no proxies, no credentials.

    Examples
    --------
    >>> env = child_env(Path("/tmp"))
    >>> env["OMP_NUM_THREADS"], "http_proxy" in env
    ('1', False)
    """
    env = {k: v for k, v in os.environ.items()
           if k in _KEEP_ENV and not _SECRET_ENV.search(k)}
    env.setdefault("PATH", "/usr/bin:/bin")
    env.update(HOME=str(home), TMPDIR=str(home), OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", NUMEXPR_NUM_THREADS="1", MPLBACKEND="Agg",
               PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0", NUMBA_DISABLE_JIT="0")
    return env


def copy_submission(source: Path, dest: Path) -> Path:
    """Copy the ``.py`` files of a submission (recursively) into ``dest``, read-only.

    Notebooks, data and files over 4 MiB are left out; symlinks are not followed.

    Examples
    --------
    >>> import tempfile
    >>> src = Path(tempfile.mkdtemp()); _ = (src / "session1.py").write_text("x = 1")
    >>> sorted(p.name for p in copy_submission(src, Path(tempfile.mkdtemp()) / "s").iterdir())
    ['session1.py']
    """
    dest.mkdir(parents=True)
    for path in sorted(Path(source).rglob("*.py")):
        rel = path.relative_to(source)
        if path.is_symlink() or any(p.startswith(".") or p == "__pycache__" for p in rel.parts):
            continue
        if not path.is_file() or path.stat().st_size > MAX_SOURCE_BYTES:
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        target.chmod(0o444)
    for folder in sorted((p for p in dest.rglob("*") if p.is_dir()), reverse=True):
        folder.chmod(0o555)
    dest.chmod(0o555)
    return dest


def _signal_name(returncode: int) -> str:
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def _describe_exit(returncode: int | None, memory: int | None, log: str, module: Path) -> tuple[
        str, str]:
    """(status, message) for a child that died without reporting."""
    where = ""
    lines = re.findall(rf'File "[^"]*{re.escape(module.name)}", line (\d+)', log)
    if lines:
        where = f" at line {lines[-1]}"
    if returncode is None:
        return "crash", "stopped without a result"
    if returncode < 0:
        name = _signal_name(returncode)
        if name == "SIGXCPU":
            return "timeout", "killed: exceeded the CPU-time limit"
        if name == "SIGKILL" and memory:
            return "memory", f"killed (SIGKILL){where}: out of memory? limit {_gib(memory)}"
        return "crash", f"crashed with signal {name}{where}"
    return "crash", (f"the process exited with status {returncode}{where} (sys.exit/os._exit "
                     "in your code?)")


def _gib(n: int) -> str:
    return f"{n / 2**30:g} GiB" if n >= 2**30 else f"{n / 2**20:g} MiB"


# ------------------------------------------------------------------ fork servers

#: seconds a fork server may take to import the libraries before it is given up
_SERVER_START_TIMEOUT = 180.0


class _ForkServer:
    """A clean process that imports the heavy libraries once and forks the children.

    Importing torch, scipy and librosa takes seconds; a fork takes milliseconds. The server
    is started with the children's scrubbed environment, imports what the children of one
    kind of job need (:func:`_preload_of`: torch when a task needs it, the forbidden names of
    the runtime guard) and never runs student code. For each child it forks a *monitor*,
    which forks the child and then waits for the grader to close the control pipe; it then
    kills the child's process group, reaps it and reports the exit status. The child is
    reaped only after the grader has given it up, so the pid the grader may kill is never a
    recycled one, and a grader that dies (closing the pipe) takes its children with it.
    """

    def __init__(self, preload: Mapping[str, Any]):
        self.home = Path(tempfile.mkdtemp(prefix="autograde-server-"))
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with open(self.home / "server.log", "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-B", "-X", "faulthandler", "-m", "autograde.sandbox",
                 "--server", str(theirs.fileno()), json.dumps(dict(preload))],
                cwd=self.home, env=child_env(self.home), stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, pass_fds=(theirs.fileno(),),
                start_new_session=True, close_fds=True,
            )
        theirs.close()
        self.sock = ours
        self.lock = threading.Lock()
        self.ready = False

    def alive(self) -> bool:
        return self.proc.poll() is None

    def spawn(self, request: Mapping[str, Any], fds: Sequence[int]) -> None:
        """Ask for a child; ``fds`` = (events, control, status, log) ends for the child."""
        with self.lock:
            if not self.ready:
                self.sock.settimeout(_SERVER_START_TIMEOUT)
                if self.sock.recv(16) != b"ready":
                    raise ConnectionError("the fork server stopped while importing")
                self.ready = True
            self.sock.settimeout(10.0)
            socket.send_fds(self.sock, [json.dumps(dict(request)).encode()], list(fds))

    def close(self) -> None:
        with self.lock:  # not in the middle of a request
            self.sock.close()  # the server reads EOF and exits
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck import
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.home, ignore_errors=True)


_SERVERS: dict[str, _ForkServer] = {}
_SERVERS_LOCK = threading.Lock()
_SERVERS_USERS = 0


@contextlib.contextmanager
def fork_servers() -> Iterator[None]:
    """Keep the fork servers started inside this block until the outermost block ends.

    Grading many submissions inside one block imports the libraries once per kind of job
    (one per course session) instead of once per child. :func:`run_module` opens a block
    itself, so the servers of a lone call end with it. Thread-safe and re-entrant.

    Examples
    --------
    >>> with fork_servers():
    ...     pass
    """
    global _SERVERS_USERS
    with _SERVERS_LOCK:
        _SERVERS_USERS += 1
    try:
        yield
    finally:
        with _SERVERS_LOCK:
            _SERVERS_USERS -= 1
            closing = list(_SERVERS.values()) if _SERVERS_USERS == 0 else []
            if closing:
                _SERVERS.clear()
        for server in closing:
            server.close()


def _preload_of(tasks: Sequence[Task]) -> dict[str, Any]:
    """What the fork server of these tasks imports (the same the child would import)."""
    torch = any(t.kind != "function" or any(_has_tensor(c.args) or _has_tensor(c.kwargs)
                                            for c in t.cases) for t in tasks)
    return {"torch": torch, "names": sorted({n for t in tasks for n in t.forbidden})}


def _has_tensor(value: Any) -> bool:
    if _is_tensor(value):
        return True
    if isinstance(value, tuple | list):
        return any(_has_tensor(v) for v in value)
    if isinstance(value, Mapping):
        return any(_has_tensor(v) for v in value.values())
    return False


def _server(preload: Mapping[str, Any], *, failed: _ForkServer | None = None) -> _ForkServer:
    """The fork server of ``preload``; a fresh one when it died or is ``failed``."""
    key = json.dumps(preload, sort_keys=True)
    with _SERVERS_LOCK:
        server = _SERVERS.get(key)
        stale = server if server is not None and (server is failed or not server.alive()) \
            else None
        if server is None or stale is not None:
            server = _SERVERS[key] = _ForkServer(preload)
    if stale is not None:
        stale.close()
    return server


def prestart(tasks: Sequence[Task]) -> None:
    """Start the fork server of ``tasks`` now, so that it imports its libraries while the
    grader computes other references (inside a :func:`fork_servers` block; no-op outside).

    Examples
    --------
    >>> with fork_servers():
    ...     prestart([])  # the server of jobs that need neither torch nor a guard
    """
    with _SERVERS_LOCK:
        inside = _SERVERS_USERS > 0
    if inside:
        _server(_preload_of(tasks))


class _Child:
    """A sandboxed child forked by a fork server, with its event, control and status pipes."""

    def __init__(self, preload: Mapping[str, Any], job: Path, env: dict[str, str], cwd: Path,
                 log: Path):
        self.log = log
        self.buffer = self.status_buffer = b""
        self.returncode: int | None = None
        request = {"job": str(job), "env": env, "cwd": str(cwd)}
        server = None
        for attempt in range(2):  # a server found dead (a student may kill it) is replaced
            server = _server(preload, failed=server if attempt else None)
            if self._start(server, request, log):
                return
        raise ConnectionError("the fork server did not start the child")

    def _start(self, server: _ForkServer, request: Mapping[str, Any], log: Path) -> bool:
        """Ask ``server`` for the child; False when no child was started."""
        event_r, event_w = os.pipe()
        control_r, control_w = os.pipe()
        status_r, status_w = os.pipe()
        log_fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.fd, self.control, self.status = event_r, control_w, status_r
        self.status_buffer = b""
        try:
            server.spawn(request, (event_w, control_r, status_w, log_fd))
            sent = True
        except OSError:  # the server is gone
            sent = False
        finally:
            for fd in (event_w, control_r, status_w, log_fd):  # the server has copies
                os.close(fd)
        pid = self._status("pid", timeout=30.0) if sent else None
        if pid is None:  # nothing was forked
            for fd in (event_r, control_w, status_r):
                os.close(fd)
            return False
        self.pid = int(pid)
        return True

    def events(self, deadline: float) -> tuple[list[dict], bool]:
        """Events received before ``deadline`` (monotonic) and whether the pipe closed."""
        timeout = max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return [], False
        chunk = os.read(self.fd, 65536)
        self.buffer += chunk
        lines = self.buffer.split(b"\n")
        self.buffer = lines.pop()
        events = []
        for line in lines:
            with contextlib.suppress(ValueError):
                event = json.loads(line)
                if isinstance(event, dict):
                    events.append(event)
        return events, not chunk

    def _status(self, word: str, *, timeout: float) -> str | None:
        """The value of the monitor's next ``word <value>`` line; None when it is gone."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.status_buffer:
            ready, _, _ = select.select([self.status], [], [],
                                        max(0.0, deadline - time.monotonic()))
            chunk = os.read(self.status, 4096) if ready else b""
            if not chunk:
                return None
            self.status_buffer += chunk
        line, self.status_buffer = self.status_buffer.split(b"\n", 1)
        head, _, value = line.decode("ascii", "replace").partition(" ")
        return value if head == word else None

    def kill(self) -> int | None:
        """Kill the child (its monitor does it), wait for it, return its exit code."""
        if self.control is None:
            return self.returncode
        os.close(self.control)  # the monitor kills the process group, reaps, reports
        self.control = None
        code = self._status("exit", timeout=30.0)
        if code is None and self.pid is not None:  # the monitor itself was killed
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
        self.returncode = int(code) if code is not None else None
        for fd in (self.fd, self.status):
            with contextlib.suppress(OSError):
                os.close(fd)
        return self.returncode

    def log_text(self) -> str:
        try:
            with open(self.log, "rb") as f:
                f.seek(max(0, self.log.stat().st_size - 20000))
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""


def run_module(module: Path, submission: Path, tasks: Sequence[Task], workdir: Path, *,
               import_timeout: float = 30.0,
               on_done: Callable[[int], None] | None = None) -> dict[int, Outcome]:
    """Run ``tasks`` against the student module ``module`` (inside the read-only copy).

    Tasks run one after the other in one child; when a task times out or crashes the child,
    it scores as such and a fresh child carries on with the remaining tasks. If importing
    the module fails, every remaining task gets status ``"import"`` and the message.

    Parameters
    ----------
    module : Path
        The student module, inside ``submission``.
    submission : Path
        The read-only copy (see :func:`copy_submission`); appended to the child's sys.path.
    tasks : sequence of Task
    workdir : Path
        An empty directory for inputs, outputs and the child's home.
    import_timeout : float
        Seconds allowed for importing the module.
    on_done : callable, optional
        Called with each task index when its outcome is known.

    Returns
    -------
    dict
        Task index -> :class:`Outcome`.
    """
    workdir = Path(workdir)
    inputs = workdir / "in"
    inputs.mkdir(parents=True, exist_ok=True)
    (workdir / "home").mkdir(exist_ok=True)
    encoded = [_encode_task(task, inputs) for task in tasks]
    by_index = {task.index: task for task in tasks}
    preload = _preload_of(tasks)
    outcomes: dict[int, Outcome] = {}
    remaining = [task.index for task in tasks]
    attempt = 0
    with fork_servers():
        while remaining:
            attempt += 1
            done_now = _attempt(attempt, module, submission, tasks, encoded, by_index, preload,
                                remaining, workdir, import_timeout, outcomes, on_done)
            remaining = [i for i in remaining if i not in done_now]
    return outcomes


def _attempt(attempt: int, module: Path, submission: Path, tasks: Sequence[Task],
             encoded: list[dict], by_index: Mapping[int, Task], preload: Mapping[str, Any],
             remaining: list[int], workdir: Path, import_timeout: float,
             outcomes: dict[int, Outcome], on_done: Callable[[int], None] | None) -> set[int]:
    """Run the remaining tasks in one fresh child; return the task indices settled."""
    inputs, home, outputs = workdir / "in", workdir / "home", workdir / f"out{attempt}"
    outputs.mkdir()
    for path in (workdir, inputs, outputs, home):
        path.chmod(0o777 if path in (outputs, home) else 0o755)
    job = {
        "module": str(module),
        "submission": str(submission),
        "outputs": str(outputs),
        "inputs": str(inputs),
        "memory": None if any(t.device == "cuda" for t in tasks)
        else max(t.memory for t in tasks),
        "cpu": int(import_timeout + sum(by_index[i].timeout for i in remaining)) + 5,
        "tasks": [encoded[tasks.index(by_index[i])] for i in remaining],
    }
    job_path = workdir / f"job{attempt}.json"
    job_path.write_text(json.dumps(job))
    settled: set[int] = set()
    message = "the process stopped before running this exercise"
    try:
        child = _Child(preload, job_path, child_env(home), home, workdir / "child.log")
    except OSError as exc:
        message = f"the sandbox could not start ({type(exc).__name__}: {exc})"
    else:
        try:
            settled = _supervise(child, remaining, by_index, outputs, import_timeout, outcomes,
                                 module, on_done)
        finally:
            child.kill()
    if not settled:  # the child died between tasks: do not retry forever
        first = remaining[0]
        outcomes[first] = Outcome("crash", message)
        settled = {first}
        if on_done is not None:
            on_done(first)
    return settled


def _supervise(child: _Child, remaining: list[int], tasks: Mapping[int, Task], outputs: Path,
               import_timeout: float, outcomes: dict[int, Outcome], module: Path,
               on_done: Callable[[int], None] | None) -> set[int]:
    """Follow one child; fill ``outcomes``; return the task indices settled."""
    settled: set[int] = set()
    current: int | None = None
    started = time.monotonic()
    deadline = started + import_timeout
    imported = False

    def settle(index: int, outcome: Outcome) -> None:
        outcomes[index] = outcome
        settled.add(index)
        if on_done is not None:
            on_done(index)

    while True:
        events, closed = child.events(deadline)
        for event in events:
            kind = event.get("event")
            if kind == "ready" and not imported:
                imported = True
            elif kind == "import_error" and not imported:
                message = str(event.get("message", "import failed"))[:2000]
                child.kill()
                for index in remaining:
                    settle(index, Outcome("import", message))
                return settled
            elif kind == "start" and imported and event.get("index") in remaining:
                current = int(event["index"])
                started = time.monotonic()
                deadline = started + tasks[current].timeout
            elif kind == "done" and current is not None and event.get("index") == current:
                settle(current, _read_outcome(outputs, current, time.monotonic() - started))
                current = None
                deadline = time.monotonic() + 30.0  # the child moves on to the next task
        if closed or (not events and time.monotonic() >= deadline):
            timed_out = not closed
            returncode = child.kill()
            log = child.log_text()
            if not imported:
                if timed_out:
                    message = f"timed out after {import_timeout:g} s while importing {module.name}"
                    status = "timeout"
                else:
                    status, message = _describe_exit(returncode, None, log, module)
                    message = f"{message} while importing {module.name}"
                    status = "import"
                for index in remaining:
                    if index not in settled:
                        settle(index, Outcome(status, message))
                return settled
            if current is not None:
                if timed_out:
                    settle(current, Outcome("timeout",
                                            f"timed out after {tasks[current].timeout:g} s"))
                else:
                    status, message = _describe_exit(returncode, tasks[current].memory, log,
                                                     module)
                    settle(current, Outcome(status, message))
            return settled


def _read_outcome(outputs: Path, index: int, seconds: float) -> Outcome:
    folder = outputs / str(index)
    try:
        result = json.loads((folder / "result.json").read_text())
        cases = [
            {"value": decode(c["value"], folder)} if "value" in c
            else {"error": str(c.get("error", "error"))[:2000], "kind": str(c.get("kind", ""))}
            for c in result["cases"]
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Outcome("crash", f"the result could not be read ({type(exc).__name__})",
                       seconds=seconds)
    hit = result.get("forbidden_hit")
    return Outcome("ok", cases=cases, seconds=seconds,
                   forbidden_hit=str(hit) if hit else None)


def _encode_task(task: Task, folder: Path) -> dict:
    stem = f"t{task.index}"
    return {
        "index": task.index,
        "target": task.target,
        "kind": task.kind,
        "memory": task.memory,
        "forbidden": list(task.forbidden),
        "cases": [{"args": encode(tuple(c.args), folder, f"{stem}c{i}a"),
                   "kwargs": encode(dict(c.kwargs), folder, f"{stem}c{i}k")}
                  for i, c in enumerate(task.cases)],
        "init_kwargs": encode(dict(task.init_kwargs), folder, f"{stem}init"),
        "state_dict": None if task.state_dict is None
        else encode(dict(task.state_dict), folder, f"{stem}sd"),
        "driver": task.driver,
        "device": task.device,
        "full": task.full,
    }


# -------------------------------------------------------------------- child side


class ForbiddenCall(BaseException):
    """Raised in the child when the student's code calls a forbidden function."""


_CLONE_THREAD = 0x00010000
_ARCH = {  # machine -> (AUDIT_ARCH, clone, clone3, fork, vfork, x32 bit)
    "x86_64": (0xC000003E, 56, 435, 57, 58, 0x40000000),
    "aarch64": (0xC00000B7, 220, 435, 0xFFFFFFFF, 0xFFFFFFFF, 0),
}


def _no_new_processes() -> bool:
    """Install a seccomp filter: fork/vfork/clone-without-CLONE_THREAD fail with EAGAIN."""
    arch = _ARCH.get(platform.machine())
    if arch is None:
        return False
    audit, clone, clone3, fork, vfork, x32 = arch
    ld, jeq, jset, ret = 0x20, 0x15, 0x45, 0x06
    allow, eagain, enosys = 0x7FFF0000, 0x00050000 | errno.EAGAIN, 0x00050000 | errno.ENOSYS
    program = [  # (code, jt, jf, k); jumps are relative to the next instruction
        (ld, 0, 0, 4),            # 0: A = arch
        (jeq, 0, 8, audit),       # 1: other arch -> allow
        (ld, 0, 0, 0),            # 2: A = syscall number
        (jset, 8, 0, x32),        # 3: x32 ABI -> ENOSYS
        (jeq, 7, 0, clone3),      # 4: clone3 -> ENOSYS (libc falls back to clone)
        (jeq, 5, 0, fork),        # 5: fork -> EAGAIN
        (jeq, 4, 0, vfork),       # 6: vfork -> EAGAIN
        (jeq, 0, 2, clone),       # 7: not clone -> allow
        (ld, 0, 0, 16),           # 8: A = low word of flags
        (jset, 0, 1, _CLONE_THREAD),  # 9: thread -> allow, else EAGAIN
        (ret, 0, 0, allow),       # 10
        (ret, 0, 0, eagain),      # 11
        (ret, 0, 0, enosys),      # 12
    ]

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte),
                    ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint32)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]

    filters = (SockFilter * len(program))(*[SockFilter(*ins) for ins in program])
    prog = SockFprog(len(program), filters)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        return False
    return libc.prctl(22, 2, ctypes.byref(prog), 0, 0) == 0  # PR_SET_SECCOMP, FILTER


def _limit(resource_id: int, value: int) -> None:
    import resource

    soft, hard = resource.getrlimit(resource_id)
    new_hard = value if hard == resource.RLIM_INFINITY else min(hard, value)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource_id, (min(value, new_hard), new_hard))


def _set_limits(job: dict) -> None:
    import resource

    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_FSIZE, MAX_FILE_BYTES)
    _limit(resource.RLIMIT_CPU, int(job["cpu"]))
    if job.get("memory"):
        _limit(resource.RLIMIT_AS, int(job["memory"]))
    if os.geteuid() != 0:
        uid = os.getuid()
        running = sum(1 for p in Path("/proc").iterdir() if p.name.isdigit()
                      and _owner(p) == uid)
        _limit(resource.RLIMIT_NPROC, running + 64)


def _owner(path: Path) -> int | None:
    try:
        return path.stat().st_uid
    except OSError:
        return None


def _error_message(exc: BaseException, module_file: str) -> str:
    """``"ValueError at line 12: message"`` using the deepest frame in the student file."""
    line = None
    if isinstance(exc, SyntaxError) and exc.filename == module_file:
        line = exc.lineno
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == module_file:
            line = frame.lineno
    text = str(exc).strip().splitlines()
    detail = text[0][:300] if text else ""
    where = f" at line {line}" if line else ""
    return f"{type(exc).__name__}{where}: {detail}" if detail else f"{type(exc).__name__}{where}"


class _Guard:
    """Runtime guard: a profile hook that raises when a forbidden function is entered."""

    def __init__(self, names: Sequence[str]):
        self.codes: dict[Any, str] = {}
        self.builtins: dict[int, str] = {}
        self.hit: str | None = None
        for name in names:
            try:
                from .spec import resolve

                obj = resolve(name)
            except Exception:  # noqa: BLE001 - a missing optional library cannot be called
                continue
            seen = set()
            while obj is not None and id(obj) not in seen:
                seen.add(id(obj))
                code = getattr(obj, "__code__", None)
                if code is not None:
                    self.codes[code] = name
                elif callable(obj):
                    self.builtins[id(obj)] = name
                obj = getattr(obj, "__wrapped__", None)

    def hook(self, frame, event, arg):  # noqa: ANN001 - sys.setprofile signature
        name = None
        if event == "call":
            name = self.codes.get(frame.f_code)
        elif event == "c_call":
            name = self.builtins.get(id(arg))
        if name is not None:
            self.hit = self.hit or name
            raise ForbiddenCall(f"called the forbidden function {name}")

    def __enter__(self) -> _Guard:
        if self.codes or self.builtins:
            sys.setprofile(self.hook)
        return self

    def __exit__(self, *exc: object) -> None:
        if (self.codes or self.builtins) and sys.getprofile() != self.hook and not self.hit:
            self.hit = "(the runtime guard was removed)"
        sys.setprofile(None)


def _run_task(task: dict, module: Any, module_file: str, inputs: Path, outputs: Path,
              guard: _Guard) -> dict:
    import resource

    folder = outputs / str(task["index"])
    shutil.rmtree(folder, ignore_errors=True)  # nothing planted by the student's import
    folder.mkdir()
    memory = task.get("memory")
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if memory and hard != resource.RLIM_INFINITY:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (min(int(memory), hard), hard))
    kind = task["kind"]
    needs_torch = kind in ("module", "procedure") or "__tensor__" in json.dumps(task["cases"])
    if needs_torch:
        import torch  # noqa: F401 - import before the guard so it is not attributed

    target = getattr(module, task["target"], None)
    cases: list[dict] = []
    if target is None:
        message = f"{Path(module_file).name} has no {task['target']!r}"
        cases = [{"error": message, "kind": "missing"} for _ in task["cases"]]
        return {"cases": cases, "forbidden_hit": None}
    model = None
    if kind == "module":
        model, error = _build_module(target, task, inputs, module_file, guard)
        if error is not None:
            return {"cases": [error for _ in task["cases"]], "forbidden_hit": guard.hit}
    pid = os.getpid()
    for i, case in enumerate(task["cases"]):
        args = decode(case["args"], inputs, tensors=True)
        kwargs = decode(case["kwargs"], inputs, tensors=True)
        try:
            with guard:
                value = _call(kind, target, model, task, args, kwargs)
            if os.getpid() != pid:
                os._exit(0)
            cases.append({"value": encode(value, folder, f"c{i}")})
        except ForbiddenCall as exc:
            cases.append({"error": str(exc), "kind": "forbidden"})
        except MemoryError:
            limit = task.get("memory")
            cases.append({"error": f"killed: exceeded {_gib(int(limit))}" if limit
                          else "killed: out of memory", "kind": "memory"})
        except NotImplementedError as exc:
            cases.append({"error": _error_message(exc, module_file), "kind": "not_implemented"})
        except SystemExit as exc:
            cases.append({"error": f"called sys.exit({exc.code!r})", "kind": "exit"})
        except BaseException as exc:  # noqa: BLE001 - any student error is feedback
            if os.getpid() != pid:
                os._exit(0)
            cases.append({"error": _error_message(exc, module_file), "kind": "exception"})
    return {"cases": cases, "forbidden_hit": guard.hit}


def _build_module(target: Any, task: dict, inputs: Path, module_file: str, guard: _Guard):
    import torch

    try:
        with guard:
            init = decode(task["init_kwargs"], inputs)
            model = target(**init)
            if not isinstance(model, torch.nn.Module):
                return None, {"error": f"{task['target']} did not build a torch.nn.Module",
                              "kind": "type"}
            state = {k: torch.from_numpy(v) for k, v in
                     decode(task["state_dict"], inputs).items()}
            try:
                model.load_state_dict(state, strict=True)
            except RuntimeError as exc:
                text = " ".join(str(exc).split())
                return None, {"error": f"the reference weights do not fit: {text[:1500]}",
                              "kind": "state_dict"}
            model.to(task.get("device", "cpu"))
            model.eval()
    except ForbiddenCall as exc:
        return None, {"error": str(exc), "kind": "forbidden"}
    except MemoryError:
        return None, {"error": "killed: out of memory while building the model",
                      "kind": "memory"}
    except BaseException as exc:  # noqa: BLE001
        return None, {"error": _error_message(exc, module_file), "kind": "exception"}
    return model, None


def _call(kind: str, target: Any, model: Any, task: dict, args: Any, kwargs: Any) -> Any:
    if kind == "function":
        return target(*args, **kwargs)
    import torch

    if kind == "module":
        device = task.get("device", "cpu")
        tensors = [torch.as_tensor(a).to(device) for a in args]
        with torch.no_grad():
            return model(*tensors, **kwargs)
    from .spec import resolve

    driver = resolve(task["driver"])
    return driver(target, *args, device=task.get("device", "cpu"), full=bool(task.get("full")),
                  **kwargs)


def _child_main(job_path: str, fd: int) -> None:
    job = json.loads(Path(job_path).read_text())
    pipe = os.fdopen(fd, "w", buffering=1)

    def send(**event: Any) -> None:
        pipe.write(json.dumps(event) + "\n")
        pipe.flush()

    _set_limits(job)
    inputs, outputs = Path(job["inputs"]), Path(job["outputs"])
    module_file = str(Path(job["module"]).resolve())
    sys.path.append(str(job["submission"]))
    if any(t["kind"] != "function" for t in job["tasks"]):
        import torch  # noqa: F401 - loaded before the filter and the student's code

    # resolve forbidden functions before the student's code can replace them
    guards = {t["index"]: _Guard(t.get("forbidden", ())) for t in job["tasks"]}
    _no_new_processes()
    import importlib.util

    name = Path(module_file).stem
    try:
        spec = importlib.util.spec_from_file_location(name, module_file)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    except MemoryError:
        send(event="import_error", message="killed: out of memory while importing")
        os._exit(0)
    except BaseException as exc:  # noqa: BLE001 - SystemExit too: the import failed
        send(event="import_error", message=_error_message(exc, module_file))
        os._exit(0)
    send(event="ready")
    for task in job["tasks"]:
        send(event="start", index=task["index"])
        result = _run_task(task, module, module_file, inputs, outputs, guards[task["index"]])
        folder = outputs / str(task["index"])
        (folder / "result.json").write_text(json.dumps(result))
        send(event="done", index=task["index"])
    os._exit(0)


def _server_main(fd: int, preload: Mapping[str, Any]) -> None:
    """The fork server's loop: import, then fork a monitor (and child) per request."""
    sock = socket.socket(fileno=fd)
    import numpy  # noqa: F401 - every child needs it

    if preload.get("torch"):
        import torch  # noqa: F401
        import torch._dynamo  # noqa: F401 - torch.optim imports it on first use (~1 s)
    from .spec import resolve

    for name in preload.get("names", ()):
        with contextlib.suppress(Exception):  # a missing optional library cannot be called
            resolve(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # monitors are reaped automatically
    sock.sendall(b"ready")
    while True:
        try:
            message, fds, _flags, _addr = socket.recv_fds(sock, 1 << 20, 4)
        except OSError:
            break
        if not message:  # the grader closed the socket
            break
        try:
            pid = os.fork() if len(fds) == 4 else -1
        except OSError:  # the grader sees the pipes close and reports a crash
            pid = -1
        if pid == 0:
            sock.close()
            try:
                _monitor(json.loads(message), *fds)
            finally:
                os._exit(1)
        for descriptor in fds:
            os.close(descriptor)
    os._exit(0)


def _monitor(request: Mapping[str, Any], events: int, control: int, status: int,
             log: int) -> None:
    """Fork the child; when the grader closes ``control``, kill it, reap it, report."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    try:
        pid = os.fork()
    except OSError:
        os._exit(1)
    if pid == 0:
        os.close(control)
        os.close(status)
        _enter_child(request, events, log)
    os.close(events)
    os.close(log)
    with contextlib.suppress(OSError):  # its own process group (the child does it too)
        os.setpgid(pid, pid)
    with contextlib.suppress(OSError):  # OSError: the grader is gone
        os.write(status, f"pid {pid}\n".encode())
        while os.read(control, 4096):  # blocks until the grader closes the pipe
            pass
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    _, wait_status = os.waitpid(pid, 0)
    with contextlib.suppress(OSError):
        os.write(status, f"exit {os.waitstatus_to_exitcode(wait_status)}\n".encode())
    os._exit(0)


def _enter_child(request: Mapping[str, Any], events: int, log: int) -> None:
    """Become the sandboxed child: own process group, log as stdout/stderr, job's env/cwd."""
    with contextlib.suppress(OSError):
        os.setsid()
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    tempfile.tempdir = None
    try:
        _child_main(request["job"], events)
    except BaseException:  # noqa: BLE001 - the grader's own error: into the log
        traceback.print_exc()
    os._exit(1)


if __name__ == "__main__":
    if sys.argv[1:2] != ["--server"]:
        sys.exit("usage: python -m autograde.sandbox --server FD PRELOAD (started by the grader)")
    _server_main(int(sys.argv[2]), json.loads(sys.argv[3]))
