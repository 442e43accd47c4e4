"""The seccomp filter of the sandboxed child (Linux x86-64 and aarch64).

Installed by the child runner after the libraries are imported and before the first line of
the student's module runs. It kills the whole process (``SECCOMP_RET_KILL_PROCESS``, the
exit signal ``SIGSYS``):

- on any system call made through another architecture's entry point (a 32-bit ``int
  0x80`` on x86-64) or through the x32 ABI, so that no second syscall table can be used to
  get around the rules below;
- on process creation: ``fork``, ``vfork``, ``execve``, ``execveat``, and ``clone`` without
  ``CLONE_THREAD`` (threads are allowed: numpy, torch and Python create them);
- on a signal sent to any process but itself (``kill``, ``tgkill``, ``rt_sigqueueinfo``
  and ``rt_tgsigqueueinfo`` with another pid, ``kill(-1)``, ``tkill``,
  ``pidfd_send_signal``): the fork server beside it in the sandbox is out of its reach;
- on the calls that change what the process can see or reach: ``ptrace``,
  ``process_vm_readv/writev``, ``unshare``, ``setns``, ``mount`` and the new mount API,
  ``pivot_root``, ``chroot``, ``bpf``, ``perf_event_open``, the key-ring calls,
  ``userfaultfd``, ``io_uring_setup``, module loading, ``reboot`` and friends.

``clone3`` fails with ``ENOSYS`` instead (glibc then falls back to ``clone`` for threads,
which the filter can inspect; ``clone3``'s flags live in memory it cannot read).
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform

__all__ = ["install", "KILLED", "supported"]

_CLONE_THREAD = 0x00010000
_X32_BIT = 0x40000000

# syscall numbers: x86-64 from arch/x86/entry/syscalls/syscall_64.tbl, aarch64 from
# include/uapi/asm-generic/unistd.h
_TABLES = {
    "x86_64": {
        "audit": 0xC000003E,
        "clone": 56, "clone3": 435,
        "signal": {"kill": 62, "tgkill": 234, "rt_sigqueueinfo": 129,
                   "rt_tgsigqueueinfo": 297},
        "kill": {
            "tkill": 200, "pidfd_send_signal": 424,
            "fork": 57, "vfork": 58, "execve": 59, "execveat": 322, "ptrace": 101,
            "process_vm_readv": 310, "process_vm_writev": 311, "unshare": 272, "setns": 308,
            "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "bpf": 321,
            "perf_event_open": 298, "keyctl": 250, "add_key": 248, "request_key": 249,
            "userfaultfd": 323, "io_uring_setup": 425, "kexec_load": 246,
            "kexec_file_load": 320, "init_module": 175, "finit_module": 313,
            "delete_module": 176, "open_by_handle_at": 304, "reboot": 169, "iopl": 172,
            "ioperm": 173, "swapon": 167, "swapoff": 168, "acct": 163, "sethostname": 170,
            "setdomainname": 171, "quotactl": 179, "open_tree": 428, "move_mount": 429,
            "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
            "mount_setattr": 442,
        },
    },
    "aarch64": {
        "audit": 0xC00000B7,
        "clone": 220, "clone3": 435,
        "signal": {"kill": 129, "tgkill": 131, "rt_sigqueueinfo": 138,
                   "rt_tgsigqueueinfo": 240},
        "kill": {
            "tkill": 130, "pidfd_send_signal": 424,
            "execve": 221, "execveat": 281, "ptrace": 117, "process_vm_readv": 270,
            "process_vm_writev": 271, "unshare": 97, "setns": 268, "mount": 40,
            "umount2": 39, "pivot_root": 41, "chroot": 51, "bpf": 280, "perf_event_open": 241,
            "keyctl": 219, "add_key": 217, "request_key": 218, "userfaultfd": 282,
            "io_uring_setup": 425, "kexec_load": 104, "kexec_file_load": 294,
            "init_module": 105, "finit_module": 273, "delete_module": 106,
            "open_by_handle_at": 265, "reboot": 142, "swapon": 224, "swapoff": 225,
            "acct": 89, "sethostname": 161, "setdomainname": 162, "quotactl": 60,
            "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431,
            "fsmount": 432, "fspick": 433, "mount_setattr": 442,
        },
    },
}

#: the signal that ends a process the filter killed
KILLED = "SIGSYS"

_LD, _JEQ, _JSET, _RET = 0x20, 0x15, 0x45, 0x06
_ALLOW = 0x7FFF0000
_KILL_PROCESS = 0x80000000
_ENOSYS = 0x00050000 | errno.ENOSYS


def supported() -> bool:
    """Whether this machine's architecture has a filter.

    Examples
    --------
    >>> isinstance(supported(), bool)
    True
    """
    return platform.machine() in _TABLES


def program(machine: str | None = None, *, pid: int = 1) -> list[tuple[int, int, int, int]]:
    """The BPF program as ``(code, jt, jf, k)`` instructions; ``pid`` may be signalled.

    Examples
    --------
    >>> program("x86_64")[-1] == (0x06, 0, 0, 0x7FFF0000)  # the last one allows
    True
    """
    machine = machine or platform.machine()
    table = _TABLES[machine]
    killed = sorted(table["kill"].values())
    signals = sorted(table["signal"].values())
    n, m = len(killed), len(signals)
    # 0 ld arch | 1 jeq arch | 2 ld nr | 3 jset x32 | jeq killed * n | clone3
    # | (jeq signal, ld pid, jeq own pid) * m | clone | ld flags | jset thread
    # | kill | enosys | allow
    clone3_at = 4 + n
    signals_at = clone3_at + 1
    clone_at = signals_at + 3 * m
    thread_at = clone_at + 2
    kill_at, enosys_at, allow_at = thread_at + 1, thread_at + 2, thread_at + 3

    def to(target: int, at: int) -> int:
        return target - at - 1

    x32 = _X32_BIT if machine == "x86_64" else 0
    prog = [
        (_LD, 0, 0, 4),                                  # A = arch
        (_JEQ, 0, to(kill_at, 1), table["audit"]),       # a foreign arch: kill
        (_LD, 0, 0, 0),                                  # A = syscall number
        (_JSET, to(kill_at, 3), 0, x32),                 # the x32 ABI: kill
    ]
    prog += [(_JEQ, to(kill_at, 4 + i), 0, nr) for i, nr in enumerate(killed)]
    prog.append((_JEQ, to(enosys_at, clone3_at), 0, table["clone3"]))
    for i, nr in enumerate(signals):
        at = signals_at + 3 * i
        prog += [
            (_JEQ, 0, 2, nr),                            # not this call: the next block
            (_LD, 0, 0, 16),                             # A = low word of the target pid
            (_JEQ, to(allow_at, at + 2), to(kill_at, at + 2), pid),
        ]
    prog += [
        (_JEQ, 0, to(allow_at, clone_at), table["clone"]),
        (_LD, 0, 0, 16),                                 # A = low word of clone's flags
        (_JSET, to(allow_at, thread_at), to(kill_at, thread_at), _CLONE_THREAD),
        (_RET, 0, 0, _KILL_PROCESS),
        (_RET, 0, 0, _ENOSYS),
        (_RET, 0, 0, _ALLOW),
    ]
    assert len(prog) == allow_at + 1
    return prog


def install() -> bool:
    """Install the filter in this process (and its threads to come); False where unsupported.

    Sets ``PR_SET_NO_NEW_PRIVS`` first, which an unprivileged process needs for a filter.
    """
    if not supported():
        return False
    prog = program(pid=os.getpid())

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte),
                    ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint32)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]

    filters = (SockFilter * len(prog))(*[SockFilter(*ins) for ins in prog])
    fprog = SockFprog(len(prog), filters)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        return False
    # seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, prog): every thread
    nr = {"x86_64": 317, "aarch64": 277}[platform.machine()]
    return libc.syscall(nr, 1, 1, ctypes.byref(fprog)) == 0
