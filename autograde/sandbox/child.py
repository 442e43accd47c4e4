"""The child runner: the only grader code that runs beside student code, inside the sandbox.

Forked by the fork server (:mod:`.forkserver`) for one student module, it

1. makes its output go to the log it was given, and sets its resource limits (address
   space, CPU seconds, file size, no core files);
2. resolves the functions the exercises forbid (for the runtime guard) and installs the
   seccomp filter (:mod:`.seccomp`): from here on it cannot start a process;
3. imports the student's module, and says ``ready`` (or ``import_error``);
4. answers the grader's requests one at a time: for a task it calls the student's target
   on each case and sends back exactly one output (or error) per case.

It decides nothing: the grader generated the cases, keeps the expected outputs, reads what
comes back within its own budgets and deadlines, and scores. Nothing here is trusted by
the grader, and nothing here can reach the grader: the sandbox has no view of its files,
processes or environment.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from . import drivers, seccomp
from .transport import TransportError, decode, encode, recv_message, send_message

__all__ = ["serve", "resolve"]


class ForbiddenCall(BaseException):
    """Raised in the child when the student's code calls a forbidden function."""


def resolve(dotted: str) -> Any:
    """Import ``"package.module.attr"`` (the longest importable module prefix).

    Examples
    --------
    >>> resolve("numpy.linalg.norm").__name__
    'norm'
    """
    import importlib

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


class Guard:
    """Best-effort runtime guard: a profile hook that raises in a forbidden function.

    It lives in the student's process, so a determined student can remove it; the grader
    does not rely on it. What cannot be imported in the sandbox (the library's reference
    modules, librosa, scikit-learn) is simply not there, and the grader scans the source
    for forbidden names itself.
    """

    def __init__(self, resolved: dict[str, Any], names: list[str]):
        self.codes: dict[Any, str] = {}
        self.builtins: dict[int, str] = {}
        self.hit: str | None = None
        for name in names:
            obj = resolved.get(name)
            seen = set()
            while obj is not None and id(obj) not in seen:
                seen.add(id(obj))
                code = getattr(obj, "__code__", None)
                if code is not None:
                    self.codes[code] = name
                elif callable(obj) and not isinstance(obj, type(sys)):
                    self.builtins[id(obj)] = name
                obj = getattr(obj, "__wrapped__", None)

    @staticmethod
    def resolve(names: list[str]) -> dict[str, Any]:
        """The objects behind ``names``, looked up before any student code runs."""
        resolved = {}
        for name in names:
            try:
                resolved[name] = resolve(name)
            except Exception:  # noqa: BLE001 - what is not there cannot be called
                continue
        return resolved

    def hook(self, frame, event, arg):  # noqa: ANN001 - sys.setprofile signature
        name = None
        if event == "call":
            name = self.codes.get(frame.f_code)
        elif event == "c_call":
            name = self.builtins.get(id(arg))
        if name is not None:
            self.hit = self.hit or name
            raise ForbiddenCall(f"called the forbidden function {name}")

    def __enter__(self) -> Guard:
        if self.codes or self.builtins:
            sys.setprofile(self.hook)
        return self

    def __exit__(self, *exc: object) -> None:
        if (self.codes or self.builtins) and sys.getprofile() != self.hook and not self.hit:
            self.hit = "(the runtime guard was removed)"
        sys.setprofile(None)


def _limit(resource_id: int, value: int) -> None:
    import resource

    _soft, hard = resource.getrlimit(resource_id)
    new_hard = value if hard == resource.RLIM_INFINITY else min(hard, value)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource_id, (min(value, new_hard), new_hard))


def _set_limits(job: dict) -> None:
    import resource

    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_FSIZE, int(job["file_bytes"]))
    _limit(resource.RLIMIT_CPU, int(job["cpu"]))
    if job.get("memory"):
        _limit(resource.RLIMIT_AS, int(job["memory"]))


def _gib(n: int) -> str:
    return f"{n / 2**30:g} GiB" if n >= 2**30 else f"{n / 2**20:g} MiB"


def _error_message(exc: BaseException, module_file: str) -> str:
    """``"ValueError at line 12: message"`` using the deepest frame in the student file."""
    line = None
    if isinstance(exc, SyntaxError) and exc.filename == module_file:
        line = exc.lineno
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == module_file:
            line = frame.lineno
    try:
        text = str(exc).strip().splitlines()
    except Exception:  # noqa: BLE001 - a student exception whose __str__ fails
        text = []
    detail = text[0][:300] if text else ""
    name = type(exc).__name__[:80]
    where = f" at line {line}" if line else ""
    return f"{name}{where}: {detail}" if detail else f"{name}{where}"


def _call(task: dict, target: Any, model: Any, args: Any, kwargs: Any) -> Any:
    kind = task["kind"]
    if kind == "function":
        return target(*args, **kwargs)
    import torch

    device = task.get("device", "cpu")
    if kind == "module":
        tensors = [torch.as_tensor(a).to(device) for a in args]
        with torch.no_grad():
            return model(*tensors, **kwargs)
    driver = getattr(drivers, task["driver"])
    return driver(target, *args, device=device, full=bool(task.get("full")), **kwargs)


def _build_module(target: Any, task: dict, module_file: str, guard: Guard):
    import torch

    try:
        with guard:
            model = target(**task["init_kwargs"])
            if not isinstance(model, torch.nn.Module):
                return None, {"error": f"{task['target']} did not build a torch.nn.Module",
                              "kind": "type"}
            state = {k: torch.as_tensor(v) for k, v in task["state_dict"].items()}
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
    except BaseException as exc:  # noqa: BLE001 - any student error is feedback
        return None, {"error": _error_message(exc, module_file), "kind": "exception"}
    return model, None


def _run_task(task: dict, module: Any, module_file: str, resolved: dict[str, Any],
              memory: int | None) -> tuple[dict, list[bytes]]:
    """One output or error per case; arrays go into the returned blobs."""
    guard = Guard(resolved, list(task.get("forbidden", ())))
    target = getattr(module, task["target"], None)
    n = len(task["cases"])
    if target is None:
        error = {"error": f"{Path(module_file).name} has no {task['target']!r}",
                 "kind": "missing"}
        return {"cases": [error] * n, "forbidden_hit": None}, []
    model = None
    if task["kind"] == "module":
        model, error = _build_module(target, task, module_file, guard)
        if error is not None:
            return {"cases": [error] * n, "forbidden_hit": guard.hit}, []
    blobs: list[bytes] = []
    cases: list[dict] = []
    budget = int(task["budget"])
    for case in task["cases"]:
        try:
            with guard:
                value = _call(task, target, model, case["args"], case["kwargs"])
            size = _nbytes(value)
            if size + sum(len(b) for b in blobs) > budget:
                cases.append({"error": f"the output is too large ({size} bytes of arrays, "
                              "far more than expected)", "kind": "size"})
                continue
            mine: list[bytes] = []
            encoded = encode(value, mine)
            offset = len(blobs)
            blobs.extend(mine)
            cases.append({"value": _shift(encoded, offset)})
        except ForbiddenCall as exc:
            cases.append({"error": str(exc), "kind": "forbidden"})
        except MemoryError:
            text = f"killed: exceeded {_gib(memory)}" if memory else "killed: out of memory"
            cases.append({"error": text, "kind": "memory"})
        except NotImplementedError as exc:
            cases.append({"error": _error_message(exc, module_file), "kind": "not_implemented"})
        except SystemExit as exc:
            cases.append({"error": f"called sys.exit({str(exc.code)[:50]})", "kind": "exit"})
        except BaseException as exc:  # noqa: BLE001 - any student error is feedback
            cases.append({"error": _error_message(exc, module_file), "kind": "exception"})
    return {"cases": cases, "forbidden_hit": guard.hit}, blobs


def _nbytes(value: Any, depth: int = 0) -> int:
    """Bytes of the arrays in ``value`` (counted before encoding them)."""
    if depth > 40:
        return 0
    nbytes = getattr(value, "nbytes", None)
    if isinstance(nbytes, int):
        return nbytes
    if hasattr(value, "element_size") and hasattr(value, "numel"):
        return int(value.numel() * value.element_size())
    if type(value) in (list, tuple):
        return sum(_nbytes(v, depth + 1) for v in value)
    if type(value) is dict:
        return sum(_nbytes(v, depth + 1) for v in value.values())
    return 0


def _shift(obj: Any, offset: int) -> Any:
    """Renumber the blob references of one encoded value by ``offset``."""
    if isinstance(obj, list):
        return [_shift(v, offset) for v in obj]
    if isinstance(obj, dict):
        out = {k: _shift(v, offset) for k, v in obj.items()}
        for key in ("__npy__", "__tensor__"):
            if key in obj and type(obj[key]) is int:
                out[key] = obj[key] + offset
        return out
    return obj


def serve(sock: int, log: int, job: dict) -> None:
    """Run one student module for the grader on ``sock``; never returns."""
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    faulthandler.enable()  # a crash prints the student's line into the log
    try:
        _serve(sock, job)
    except BaseException:  # noqa: BLE001 - the runner's own failure: into the log
        traceback.print_exc()
    os._exit(1)


def _serve(sock: int, job: dict) -> None:
    _set_limits(job)
    module_file = job["module"]
    if job.get("torch"):
        import torch  # noqa: F401 - loaded before the filter and the student's code
    resolved = Guard.resolve(list(job.get("forbidden", ())))
    if job.get("seccomp", True) and not seccomp.install():
        send_message(sock, {"event": "import_error",
                            "message": "the sandbox could not install its system-call filter"},
                     [])
        os._exit(0)
    sys.path.extend(job["paths"])  # only now: nothing of the submission runs unfiltered
    import importlib.util

    name = Path(module_file).stem
    try:
        spec = importlib.util.spec_from_file_location(name, module_file)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    except MemoryError:
        send_message(sock, {"event": "import_error",
                            "message": "killed: out of memory while importing"}, [])
        os._exit(0)
    except BaseException as exc:  # noqa: BLE001 - SystemExit too: the import failed
        send_message(sock, {"event": "import_error",
                            "message": _error_message(exc, module_file)}, [])
        os._exit(0)
    send_message(sock, {"event": "ready"}, [])
    memory = job.get("memory")
    while True:
        try:
            header, blobs = recv_message(sock)
        except TransportError:
            os._exit(0)
        if header.get("cmd") != "task":
            os._exit(0)
        task = decode(header["task"], blobs, tensors=True)
        result, out = _run_task(task, module, module_file, resolved, memory)
        result["index"] = task["index"]
        send_message(sock, result, out)
