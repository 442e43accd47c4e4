"""The grader's side of the sandbox: build a student's sandbox, run modules in it, read back.

Trust model
-----------
Student code is hostile. It runs in a separate process tree inside a bubblewrap sandbox
(Linux namespaces: user, mount, PID, network, IPC, UTS and cgroup; ``--die-with-parent``,
``--new-session``, an empty environment) whose filesystem holds only

- the system's shared libraries and the Python interpreter's standard library (read-only;
  the interpreter's own ``site-packages`` hidden),
- the allowed third-party packages (:data:`ALLOWED_DISTRIBUTIONS` and what they require),
  read-only,
- the child-side code of the grader (:data:`CHILD_MODULES`), read-only,
- the library modules an exercise explicitly allows (``Exercise.allow``), read-only,
- a read-only copy of this student's files, and a private ``/tmp`` (tmpfs, size-limited).

Not there at all: the rest of :mod:`machinehearing` (the reference implementations),
:mod:`autograde` (declarations, references, exports), ``solutions/``, other students, the
grader's output directory, its environment and secret, and the host's ``/proc``. Inside,
the process runs as an unprivileged user of a fresh user namespace, under rlimits and a
seccomp filter that kills it on process creation or a foreign system-call ABI
(:mod:`.seccomp`). There is one sandbox per student (and per set of allowed modules); it
is killed as a whole, PID 1 first, when the student is done.

The grader decides everything: it sends inputs, reads outputs over a socket with a
deadline of its own wall clock and a byte budget, requires exactly one output per case and
decodes them with bounded parsers (:mod:`.transport`); nothing the child does can extend a
deadline or block the grader.

Where bubblewrap cannot run, :class:`Sandbox` with ``isolation="none"`` starts the same
fork server as a plain subprocess (the student's own ``check``, or ``grade --insecure``):
results then record ``"isolation": "none"``.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model import Case, Unsupported
from . import transport

__all__ = ["Task", "Outcome", "Sandbox", "IsolationError", "bwrap_available",
           "copy_submission", "child_env", "ALLOWED_DISTRIBUTIONS", "CHILD_MODULES",
           "MAX_FILE_BYTES"]

#: third-party distributions the student's code may import (and what they require)
ALLOWED_DISTRIBUTIONS = ("numpy", "scipy", "torch")
#: the grader's modules that are copied into the sandbox (the child side, audited alone)
CHILD_MODULES = ("transport.py", "seccomp.py", "child.py", "forkserver.py", "drivers.py")
#: largest file the child may write (RLIMIT_FSIZE), and the size of its /tmp
MAX_FILE_BYTES = 64 * 2**20
TMP_BYTES = 256 * 2**20
SHM_BYTES = 64 * 2**20
#: largest submission file copied into the sandbox
MAX_SOURCE_BYTES = 4 * 2**20
#: seconds a sandbox may take to start and import its libraries
START_TIMEOUT = 180.0
#: where things are inside the sandbox
_ROOT = "/sandbox"
_ERROR_KINDS = {"missing", "type", "state_dict", "forbidden", "memory", "not_implemented",
                "exit", "exception", "size"}
_BOOT = ("import sys, json; sys.path[:0] = [sys.argv[1]]; sys.path.extend(json.loads("
         "sys.argv[2])); from autograde_sandbox.forkserver import main; "
         "main(int(sys.argv[3]), json.loads(sys.argv[4]))")


class IsolationError(RuntimeError):
    """The sandbox cannot be built on this machine (bubblewrap missing or refused)."""


@dataclass
class Task:
    """One exercise (one group of cases) to run in the child."""

    index: int
    target: str
    kind: str
    cases: Sequence[Case]
    timeout: float
    memory: int
    budget: int = 64 * 2**20
    forbidden: Sequence[str] = ()
    init_kwargs: Mapping[str, Any] = field(default_factory=dict)
    state_dict: Mapping[str, Any] | None = None
    driver: str | None = None
    device: str = "cpu"
    full: bool = False


@dataclass
class Outcome:
    """What came back for one task.

    ``status`` is ``"ok"`` (``cases`` holds exactly one entry per case of the task:
    ``{"value": ...}`` or ``{"error": message, "kind": kind}``), ``"timeout"``, ``"crash"``,
    ``"memory"`` or ``"import"`` (``message`` says what happened).
    """

    status: str
    message: str = ""
    cases: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    forbidden_hit: str | None = None


# ------------------------------------------------------------------- environment

_KEEP_ENV = ("LANG", "LC_ALL", "TZ", "CUDA_VISIBLE_DEVICES")


def child_env(home: str | os.PathLike) -> dict[str, str]:
    """The sandbox's whole environment: a short allow-list, one thread per library.

    Examples
    --------
    >>> env = child_env("/tmp")
    >>> env["OMP_NUM_THREADS"], "AUTOGRADE_SECRET" in env, "http_proxy" in env
    ('1', False, False)
    """
    env = {k: os.environ[k] for k in _KEEP_ENV if k in os.environ}
    env.update(PATH="/usr/bin:/bin", HOME=str(home), TMPDIR=str(home), OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", NUMEXPR_NUM_THREADS="1",
               MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0")
    return env


def copy_submission(source: Path, dest: Path) -> Path:
    """Copy the ``.py`` files of a submission (recursively) into ``dest``, read-only.

    Notebooks, data, hidden files and files over 4 MiB are left out; links are not followed.

    Examples
    --------
    >>> src = Path(tempfile.mkdtemp()); _ = (src / "session1.py").write_text("x = 1")
    >>> sorted(p.name for p in copy_submission(src, Path(tempfile.mkdtemp()) / "s").iterdir())
    ['session1.py']
    """
    source, dest = Path(source), Path(dest)
    dest.mkdir(parents=True, mode=0o700)
    for path in sorted(source.rglob("*.py")):
        rel = path.relative_to(source)
        if any(p.startswith(".") or p == "__pycache__" for p in rel.parts):
            continue
        if any((source / Path(*rel.parts[: i + 1])).is_symlink() for i in range(len(rel.parts))):
            continue
        if not path.is_file() or path.stat().st_size > MAX_SOURCE_BYTES:
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target, follow_symlinks=False)
        target.chmod(0o444)
    for folder in sorted((p for p in dest.rglob("*") if p.is_dir()), reverse=True):
        folder.chmod(0o555)
    dest.chmod(0o555)
    return dest


# ---------------------------------------------------------------- what is visible


@functools.lru_cache(maxsize=1)
def _runner_dir() -> Path:
    """A private copy of the child-side modules, as the package ``autograde_sandbox``."""
    home = Path(tempfile.mkdtemp(prefix="autograde-runner-"))
    package = home / "autograde_sandbox"
    package.mkdir()
    (package / "__init__.py").write_text('"""The grader\'s child side (a copy)."""\n')
    here = Path(__file__).resolve().parent
    for name in CHILD_MODULES:
        shutil.copyfile(here / name, package / name)
    for path in (package, *package.iterdir()):
        path.chmod(0o555 if path.is_dir() else 0o444)
    return home


def _requirements(dist: importlib.metadata.Distribution) -> list[str]:
    names = []
    for line in dist.requires or ():
        if "extra ==" in line.replace('"', " ").replace("'", " ") or "extra==" in line:
            continue
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
        if match:
            names.append(match.group(1))
    return names


@functools.lru_cache(maxsize=16)
def site_entries(distributions: tuple[str, ...] = ALLOWED_DISTRIBUTIONS
                 ) -> tuple[tuple[str, str], ...]:
    """``(name, host path)`` of every top-level entry of the allowed distributions.

    The closure of their requirements is included; a requirement that is not installed is
    skipped. Examples
    --------
    >>> names = [name for name, _ in site_entries(("numpy",))]
    >>> "numpy" in names
    True
    """
    seen: set[str] = set()
    todo = list(distributions)
    entries: dict[str, str] = {}
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop()).lower()
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        todo.extend(_requirements(dist))
        base = Path(str(dist.locate_file("")))
        for item in dist.files or ():
            top = item.parts[0] if item.parts else ""
            if not top or top in ("..", "__pycache__") or top.endswith(".pth") \
                    or top.startswith("__editable__"):
                continue
            host = base / top
            if host.exists() and top not in entries:
                entries[top] = str(host)
    return tuple(sorted(entries.items()))


def library_entries(allow: Iterable[str]) -> list[tuple[str, str]]:
    """``(relative path, host path)`` of the library modules an exercise allows.

    The package's own ``__init__`` and its small core (lazy imports, version, errors) come
    with any allowed module; nothing else of the library is there.

    Examples
    --------
    >>> [rel for rel, _ in library_entries(["machinehearing.models"])][-1]
    'machinehearing/models'
    """
    allow = sorted(set(allow))
    if not allow:
        return []
    import machinehearing

    root = Path(machinehearing.__file__).resolve().parent
    entries = [(f"machinehearing/{name}", str(root / name))
               for name in ("__init__.py", "_lazy.py", "_version.py", "errors.py")]
    for module in allow:
        parts = module.split(".")[1:]
        for i in range(1, len(parts)):  # the packages between
            init = root.joinpath(*parts[:i], "__init__.py")
            entries.append(("machinehearing/" + "/".join(parts[:i]) + "/__init__.py",
                            str(init)))
        package = root.joinpath(*parts)
        target = package if package.is_dir() else package.with_suffix(".py")
        if not target.exists():
            raise ValueError(f"allow={module!r}: no such module in {root}")
        rel = "machinehearing/" + "/".join(parts) + ("" if package.is_dir() else ".py")
        entries.append((rel, str(target)))
    return list(dict.fromkeys(entries))


def _hidden_site_dirs() -> list[str]:
    """The interpreter's own package directories, hidden inside the sandbox."""
    import site

    candidates = set(site.getsitepackages([sys.base_prefix, sys.base_exec_prefix]))
    for scheme in ("purelib", "platlib"):
        candidates.add(sysconfig.get_path(scheme, vars={"base": sys.base_prefix,
                                                        "platbase": sys.base_exec_prefix}))
    candidates.add(site.getusersitepackages())
    candidates.update(str(p) for p in Path("/usr/lib").glob("python3*/dist-packages"))
    candidates.update(str(p) for p in Path("/usr/local/lib").glob("python3*/dist-packages"))
    candidates.update(str(p) for p in Path("/usr/local/lib").glob("python3*/site-packages"))
    return sorted(c for c in candidates if c and os.path.isdir(c))


@functools.lru_cache(maxsize=1)
def bwrap_available() -> str | None:
    """None when bubblewrap can build a sandbox here, else why not (with what to do).

    Examples
    --------
    >>> bwrap_available() is None or isinstance(bwrap_available(), str)
    True
    """
    exe = shutil.which("bwrap")
    if exe is None:
        return ("bubblewrap is not installed: install it (Debian/Ubuntu: apt-get install "
                "bubblewrap; Fedora: dnf install bubblewrap)")
    probe = [exe, "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session",
             "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"]
    try:
        result = subprocess.run(probe, capture_output=True, text=True, timeout=30,
                                stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not run ({exc})"
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines()[-1:] or [f"exit {result.returncode}"]
        return (f"bubblewrap cannot create namespaces here ({detail[0]}): allow unprivileged "
                "user namespaces (sysctl kernel.unprivileged_userns_clone=1 or "
                "kernel.apparmor_restrict_unprivileged_userns=0), or run the container with "
                "--security-opt seccomp=unconfined --security-opt apparmor=unconfined "
                "(Docker) / a GitHub runner without a job container")
    return None


@functools.lru_cache(maxsize=1)
def _bwrap_has(option: str) -> bool:
    out = subprocess.run(["bwrap", "--help"], capture_output=True, text=True, check=False)
    return option in out.stdout + out.stderr


# ----------------------------------------------------------------------- sandbox


class Sandbox:
    """One student's sandbox: a fork server inside bubblewrap, and the children it forks.

    Parameters
    ----------
    submission : path
        The read-only copy of the student's files (:func:`copy_submission`).
    workdir : path
        A private directory of the grader's (logs); never visible inside.
    allow : sequence of str
        Library modules visible inside (``Exercise.allow``).
    packages : sequence of str
        Distributions visible beside :data:`ALLOWED_DISTRIBUTIONS` (``Exercise.packages``).
    isolation : {"bwrap", "none"}
    device : {"cpu", "cuda"}
        ``"cuda"`` makes the NVIDIA device nodes visible inside.
    preload : dict
        What the fork server imports before any student code: ``{"torch": bool,
        "modules": [...]}``.
    """

    def __init__(self, submission: str | os.PathLike, workdir: str | os.PathLike, *,
                 allow: Sequence[str] = (), packages: Sequence[str] = (),
                 isolation: str = "bwrap", device: str = "cpu",
                 preload: Mapping[str, Any] | None = None):
        if isolation not in ("bwrap", "none"):
            raise ValueError(f"isolation={isolation!r}: use 'bwrap' or 'none'")
        if isolation == "bwrap":
            problem = bwrap_available()
            if problem is not None:
                raise IsolationError(problem)
        self.submission = Path(submission)
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.workdir.chmod(0o700)
        self.allow, self.isolation, self.device = tuple(sorted(allow)), isolation, device
        self.distributions = tuple(sorted({*ALLOWED_DISTRIBUTIONS, *packages}))
        self.preload = dict(preload or {"torch": False, "modules": []})
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.ready = False
        self.ids = 0
        self.exits: dict[int, int] = {}
        self.started = 0.0

    # ---------------------------------------------------------------- life cycle

    def start(self) -> None:
        """Start the sandbox (it imports its libraries while the caller does other work)."""
        if self.proc is not None and self.proc.poll() is None:
            return
        self.close()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        command, env, cwd = self._command(theirs.fileno())
        with open(self.workdir / "sandbox.log", "ab") as log:
            self.proc = subprocess.Popen(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT,
                                         pass_fds=(theirs.fileno(),), start_new_session=True,
                                         close_fds=True, preexec_fn=_limit_output)
        theirs.close()
        self.sock, self.ready, self.exits, self.started = ours, False, {}, time.monotonic()

    def close(self) -> None:
        """Kill everything in the sandbox and wait for it."""
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
            self.sock = None
        if self.proc is not None:
            with contextlib.suppress(OSError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                self.proc.kill()
            self.proc.wait()
            self.proc = None
        self.ready = False

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _inside(self) -> dict[str, str]:
        """Where the runner, site, library and submission are, as the child sees them."""
        if self.isolation == "bwrap":
            return {"runner": f"{_ROOT}/runner", "site": f"{_ROOT}/site",
                    "lib": f"{_ROOT}/lib", "submission": f"{_ROOT}/submission",
                    "home": "/tmp"}
        views = self.workdir / "views"
        return {"runner": str(_runner_dir()), "site": str(views / "site"),
                "lib": str(views / "lib"), "submission": str(self.submission),
                "home": str(self.workdir / "home")}

    def _command(self, fd: int) -> tuple[list[str], dict[str, str], str]:
        inside = self._inside()
        python = os.path.realpath(sys.executable)
        boot = [python, "-I", "-S", "-B", "-c", _BOOT, inside["runner"],
                json.dumps([inside["site"], inside["lib"]]), str(fd), json.dumps(self.preload)]
        if self.isolation == "none":
            self._link_views(Path(inside["site"]), Path(inside["lib"]))
            Path(inside["home"]).mkdir(mode=0o700, exist_ok=True)
            return boot, child_env(inside["home"]), inside["home"]
        # --as-pid-1: the fork server is the namespace's init (no unfiltered reaper beside the
        # student's code); when it dies, everything in the sandbox dies with it
        args = ["bwrap", "--unshare-all", "--unshare-user", "--die-with-parent",
                "--new-session", "--as-pid-1", "--clearenv", "--uid", "65534", "--gid",
                "65534", "--hostname", "sandbox", "--proc", "/proc", "--dev", "/dev"]
        if _bwrap_has("--disable-userns"):
            args.append("--disable-userns")
        for top in ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            host = Path("/") / top
            if host.is_symlink():
                args += ["--symlink", os.readlink(host), str(host)]
            elif host.is_dir():
                args += ["--ro-bind", str(host), str(host)]
        for conf in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
                     "/etc/localtime"):
            args += ["--ro-bind-try", conf, conf]
        for prefix in {sys.base_prefix, sys.base_exec_prefix}:
            if not prefix.startswith("/usr/"):
                args += ["--ro-bind", prefix, prefix]
        if not python.startswith(("/usr/", sys.base_prefix + "/")):
            args += ["--ro-bind", python, python]
        for hidden in _hidden_site_dirs():
            args += ["--tmpfs", hidden]
        args += ["--dir", inside["site"]]
        for name, host in site_entries(self.distributions):
            args += ["--ro-bind", host, f"{inside['site']}/{name}"]
        args += ["--dir", inside["lib"]]
        for rel, host in library_entries(self.allow):
            args += ["--ro-bind", host, f"{inside['lib']}/{rel}"]
        args += ["--ro-bind", str(_runner_dir()), inside["runner"],
                 "--ro-bind", str(self.submission), inside["submission"],
                 "--size", str(TMP_BYTES), "--tmpfs", "/tmp",
                 "--size", str(SHM_BYTES), "--tmpfs", "/dev/shm", "--chdir", "/tmp"]
        if self.device == "cuda":
            for node in sorted(Path("/dev").glob("nvidia*")):
                args += ["--dev-bind", str(node), str(node)]
        for key, value in child_env("/tmp").items():
            args += ["--setenv", key, value]
        args += ["--remount-ro", "/"]  # nothing writable but /tmp and /dev/shm (both capped)
        return args + ["--", *boot], {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, \
            str(self.workdir)

    def _link_views(self, site: Path, lib: Path) -> None:
        """Without namespaces: the same views, as links (nothing stops a student here)."""
        for folder in (site, lib):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
        for name, host in site_entries(self.distributions):
            (site / name).symlink_to(host)
        for rel, host in library_entries(self.allow):
            (lib / rel).parent.mkdir(parents=True, exist_ok=True)
            (lib / rel).symlink_to(host)

    def _server_message(self, deadline: float) -> dict | None:
        """The next message of the fork server before ``deadline``; None when it is gone."""
        if self.sock is None:
            return None
        wait = deadline - time.monotonic()
        if wait <= 0:
            return None
        try:
            self.sock.settimeout(wait)
            data = self.sock.recv(65536)
        except OSError:
            return None
        if not data:
            return None
        with contextlib.suppress(ValueError):
            message = json.loads(data)
            if isinstance(message, dict):
                if message.get("event") == "exit" and type(message.get("id")) is int:
                    self.exits[message["id"]] = int(message.get("status", 1))
                return message
        return {}

    def _await_ready(self) -> bool:
        deadline = self.started + START_TIMEOUT
        while not self.ready:
            message = self._server_message(deadline)
            if message is None:
                return False
            self.ready = message.get("event") == "ready"
        return True

    def _exit_status(self, ident: int, timeout: float = 5.0) -> int | None:
        deadline = time.monotonic() + timeout
        while ident not in self.exits:
            if self._server_message(deadline) is None:
                return None
        return self.exits.pop(ident)

    def _spawn(self, job: dict) -> tuple[socket.socket, int] | None:
        """A fresh child for ``job``: (the grader's end of its socket, its id)."""
        for _attempt in range(2):  # a sandbox found dead (its student may kill it) is replaced
            self.start()
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            log = os.open(self.workdir / "child.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                          0o600)
            self.ids += 1
            try:
                if self._await_ready():
                    message = json.dumps({"cmd": "spawn", "id": self.ids, "job": job})
                    socket.send_fds(self.sock, [message.encode()], [theirs.fileno(), log])
                    return ours, self.ids
            except OSError:
                pass
            finally:
                theirs.close()
                os.close(log)
            ours.close()
            self.close()
        return None

    def log_tail(self, n: int = 20000) -> str:
        """The end of the children's log (what the student printed, tracebacks)."""
        try:
            with open(self.workdir / "child.log", "rb") as f:
                f.seek(max(0, (self.workdir / "child.log").stat().st_size - n))
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    # --------------------------------------------------------------------- running

    def run_module(self, module: str, tasks: Sequence[Task], *, import_timeout: float = 30.0,
                   on_done: Callable[[int], None] | None = None) -> dict[int, Outcome]:
        """Run ``tasks`` against the student's module ``module`` (a file name).

        Tasks run one after the other in one child; when a task times out or crashes the
        child, it scores as such and a fresh child carries on with the remaining tasks. If
        importing the module fails, every remaining task gets status ``"import"``.

        Returns
        -------
        dict
            Task index -> :class:`Outcome`, one for every task.
        """
        outcomes: dict[int, Outcome] = {}
        remaining = list(tasks)
        while remaining:
            self._attempt(module, remaining, import_timeout, outcomes, on_done)
            remaining = [t for t in remaining if t.index not in outcomes]
        return outcomes

    def _job(self, module: str, tasks: Sequence[Task], import_timeout: float) -> dict:
        inside = self._inside()
        return {
            "module": f"{inside['submission']}/{module}",
            "paths": [inside["submission"]],
            "torch": any(t.kind != "function" for t in tasks),
            "forbidden": sorted({n for t in tasks for n in t.forbidden}),
            "memory": None if self.device == "cuda" else max(t.memory for t in tasks),
            "cpu": int(import_timeout + sum(t.timeout for t in tasks)) + 5,
            "file_bytes": MAX_FILE_BYTES,
            "seccomp": True,
        }

    def _attempt(self, module: str, tasks: Sequence[Task], import_timeout: float,
                 outcomes: dict[int, Outcome], on_done: Callable[[int], None] | None) -> None:
        def settle(task: Task, outcome: Outcome) -> None:
            outcomes[task.index] = outcome
            if on_done is not None:
                on_done(task.index)

        spawned = self._spawn(self._job(module, tasks, import_timeout))
        if spawned is None:
            for task in tasks:
                settle(task, Outcome("crash", "the sandbox could not start (see the grader's "
                                     f"log {self.workdir / 'sandbox.log'})"))
            return
        channel, ident = spawned
        fd = channel.fileno()
        try:
            try:
                header, _ = transport.recv_message(fd, deadline=time.monotonic()
                                                   + import_timeout, budget=2**20)
            except transport.TransportError:
                status, message = self._failure(ident, timed_out=None, memory=None,
                                                module=module)
                if status == "timeout":
                    message = f"timed out after {import_timeout:g} s while importing {module}"
                else:
                    status, message = "import", f"{message} while importing {module}"
                for task in tasks:
                    settle(task, Outcome(status, message))
                return
            if not isinstance(header, dict) or header.get("event") != "ready":
                message = header.get("message") if isinstance(header, dict) else None
                text = str(message)[:2000] if message else f"{module} could not be imported"
                for task in tasks:
                    settle(task, Outcome("import", text))
                return
            for task in tasks:
                outcome = self._run_task(fd, ident, task, module)
                settle(task, outcome)
                if outcome.status != "ok":
                    return  # the child is gone: a fresh one takes the rest
            with contextlib.suppress(transport.TransportError):
                transport.send_message(fd, {"cmd": "exit"}, [],
                                       deadline=time.monotonic() + 1.0)
        finally:
            channel.close()

    def _run_task(self, fd: int, ident: int, task: Task, module: str) -> Outcome:
        blobs: list[bytes] = []
        payload = transport.encode({
            "index": task.index, "target": task.target, "kind": task.kind,
            "cases": [{"args": tuple(c.args), "kwargs": dict(c.kwargs)} for c in task.cases],
            "init_kwargs": dict(task.init_kwargs),
            "state_dict": None if task.state_dict is None else dict(task.state_dict),
            "driver": task.driver, "device": task.device, "full": task.full,
            "budget": task.budget, "forbidden": list(task.forbidden),
        }, blobs)
        start = time.monotonic()
        deadline = start + task.timeout
        try:
            transport.send_message(fd, {"cmd": "task", "task": payload}, blobs,
                                   deadline=deadline)
            header, out = transport.recv_message(fd, deadline=deadline,
                                                 budget=task.budget + 2**20)
        except transport.TransportError as exc:
            seconds = time.monotonic() - start
            timed_out = time.monotonic() >= deadline
            if "budget" in str(exc) or "JSON" in str(exc) or "magic" in str(exc):
                self._kill_child(ident)
                return Outcome("crash", f"the output could not be read: {exc}",
                               seconds=seconds)
            status, message = self._failure(ident, timed_out=timed_out, memory=task.memory,
                                            module=module)
            if status == "timeout":
                message = f"timed out after {task.timeout:g} s"
            return Outcome(status, message, seconds=seconds)
        outcome = _read_outcome(task, header, out, time.monotonic() - start)
        if outcome.status != "ok":  # a malformed answer: nothing more is read from it
            self._kill_child(ident)
        return outcome

    def _kill_child(self, ident: int) -> None:
        """Kill one child through the fork server; kill the sandbox when that fails."""
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.send(json.dumps({"cmd": "kill", "id": ident}).encode())
        if self._exit_status(ident) is None:
            self.close()

    def _failure(self, ident: int, *, timed_out: bool | None, memory: int | None,
                 module: str) -> tuple[str, str]:
        """(status, message) for a child that stopped answering."""
        if timed_out is None:  # the import: did it end, or is it still running?
            status = self._exit_status(ident, timeout=0.5)
            timed_out = status is None
            if timed_out:
                self._kill_child(ident)
                return "timeout", "timed out"
        elif timed_out:
            self._kill_child(ident)
            return "timeout", "timed out"
        else:
            status = self._exit_status(ident)
        if status is None:
            self.close()
            return "crash", "the sandbox stopped (its processes were killed)"
        return describe_exit(status, memory, self.log_tail(), module)


def _limit_output() -> None:
    """In the sandbox's first process, before bubblewrap: its log is capped like the child's."""
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def describe_exit(status: int, memory: int | None, log: str, module: str) -> tuple[str, str]:
    """(status, message) for a child that ended with exit ``status`` without answering.

    Examples
    --------
    >>> describe_exit(-11, None, 'File "/sandbox/submission/session1.py", line 6', "session1.py")
    ('crash', 'crashed with signal SIGSEGV at line 6')
    """
    lines = re.findall(rf'File "[^"]*{re.escape(module)}", line (\d+)', log)
    where = f" at line {lines[-1]}" if lines else ""
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        if name == "SIGXCPU":
            return "timeout", "killed: exceeded the CPU-time limit"
        if name == "SIGSYS":
            return "crash", (f"killed{where}: it tried to start a process or to leave the "
                             "sandbox (not allowed while grading)")
        if name == "SIGKILL" and memory:
            return "memory", f"killed (SIGKILL){where}: out of memory? limit {memory / 2**30:g} GiB"
        return "crash", f"crashed with signal {name}{where}"
    return "crash", (f"the process exited with status {status}{where} (sys.exit/os._exit in "
                     "your code?)")


def _read_outcome(task: Task, header: Any, blobs: list[bytes], seconds: float) -> Outcome:
    """The child's answer to ``task``, checked: exactly one well-formed entry per case."""
    n = len(task.cases)
    entries = header.get("cases") if isinstance(header, dict) else None
    if not isinstance(entries, list) or header.get("index") != task.index:
        return Outcome("crash", "the answer could not be read (malformed)", seconds=seconds)
    if len(entries) != n:
        return Outcome("crash", f"the sandbox sent back {len(entries)} outputs where the grader "
                       f"sent {n} inputs", seconds=seconds)
    cases = []
    for entry in entries:
        if isinstance(entry, dict) and "value" in entry:
            try:
                cases.append({"value": transport.decode(entry["value"], blobs,
                                                        unsupported=Unsupported)})
            except transport.TransportError as exc:
                return Outcome("crash", f"the output could not be read ({exc})",
                               seconds=seconds)
        elif isinstance(entry, dict) and "error" in entry:
            kind = str(entry.get("kind", ""))
            cases.append({"error": str(entry["error"])[:2000],
                          "kind": kind if kind in _ERROR_KINDS else "exception"})
        else:
            cases.append({"error": "a malformed output", "kind": "exception"})
    hit = header.get("forbidden_hit")
    return Outcome("ok", cases=cases, seconds=seconds,
                   forbidden_hit=str(hit)[:200] if hit else None)
