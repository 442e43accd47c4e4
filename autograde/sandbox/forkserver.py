"""The fork server: the first process in a student's sandbox; it forks one child per module.

Importing numpy and torch takes seconds, a fork milliseconds. The server imports what the
student's modules need before any student code exists in the sandbox, then waits for the
grader's requests on its socket:

- ``{"cmd": "spawn", "id": n, "job": {...}}`` with two file descriptors (the child's end of
  a socket pair to the grader, and its log): fork a child that runs :func:`.child.serve`;
- ``{"cmd": "kill", "id": n}``: kill that child (a timeout);

It is the sandbox's PID 1 (bubblewrap's ``--as-pid-1``) and not dumpable, so that no child
can write into its memory through ``/proc``; when it ends, the kernel ends every process of
the sandbox.

and reports ``{"event": "exit", "id": n, "status": code}`` when a child has ended (code as
:func:`os.waitstatus_to_exitcode`: negative for a signal). A child cannot forge these: it
closes the server's socket before any student code runs. It can kill the server (they share
the sandbox's user); the grader then sees the socket close, kills the whole sandbox and
starts a new one.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import sys

__all__ = ["main"]


def _preload(preload: dict) -> None:
    import importlib

    import numpy  # noqa: F401 - every child needs it

    if preload.get("torch"):
        import torch  # noqa: F401
        import torch._dynamo  # noqa: F401 - torch.optim imports it on first use (~1 s)
    for name in preload.get("modules", ()):
        with contextlib.suppress(Exception):  # what is not there cannot be called
            importlib.import_module(name)


def _not_dumpable() -> None:
    """``PR_SET_DUMPABLE 0``: no process of the sandbox's user can open this one's
    ``/proc/<pid>/mem`` (or ptrace it); forked children inherit the setting."""
    import ctypes

    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)


def main(fd: int, preload: dict) -> None:
    """Serve spawn and kill requests on the socket ``fd`` until the grader closes it."""
    sock = socket.socket(fileno=fd)
    _not_dumpable()
    _preload(preload)
    sock.sendall(json.dumps({"event": "ready"}).encode())
    children: dict[int, int] = {}  # pid -> request id
    while True:
        ready, _, _ = select.select([sock], [], [], 0.05)
        _reap(sock, children)
        if not ready:
            continue
        try:
            message, fds, _flags, _addr = socket.recv_fds(sock, 1 << 20, 2)
        except OSError:
            break
        if not message:  # the grader closed the socket
            break
        try:
            request = json.loads(message)
        except ValueError:
            request = {}
        if request.get("cmd") == "spawn" and len(fds) == 2:
            _spawn(sock, request, fds, children)
        elif request.get("cmd") == "kill":
            for pid, ident in list(children.items()):
                if ident == request.get("id"):
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
        for descriptor in fds:
            with contextlib.suppress(OSError):
                os.close(descriptor)
    for pid in children:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    os._exit(0)


def _spawn(sock: socket.socket, request: dict, fds: list[int], children: dict[int, int]
           ) -> None:
    channel, log = fds
    try:
        pid = os.fork()
    except OSError:
        _send(sock, {"event": "exit", "id": request.get("id"), "status": 1})
        return
    if pid == 0:
        sock.close()
        try:
            os.setpgid(0, 0)
            from .child import serve

            serve(channel, log, request["job"])
        finally:
            os._exit(1)
    children[pid] = request.get("id")


def _reap(sock: socket.socket, children: dict[int, int]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        ident = children.pop(pid, None)
        if ident is not None:
            _send(sock, {"event": "exit", "id": ident,
                         "status": os.waitstatus_to_exitcode(status)})


def _send(sock: socket.socket, message: dict) -> None:
    with contextlib.suppress(OSError):
        sock.sendall(json.dumps(message).encode())


if __name__ == "__main__":
    main(int(sys.argv[1]), json.loads(sys.argv[2]))
