"""Thread settings shared by the package: the CPUs a process may use, and a single-threaded scope.

Parallel floating-point kernels split their sums by the number of threads, and vectorised FFT
and BLAS kernels may take another path for another thread count, so a result computed with
two threads can differ in the last bits from the same result computed with one. Work whose
output must not depend on the machine's thread settings (the feature cache) runs its
kernels single-threaded inside :func:`single_threaded` and gets its parallelism from running
independent items side by side instead.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import torch
from threadpoolctl import threadpool_limits

__all__ = ["available_cpus", "single_threaded", "single_threaded_worker"]


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


@contextlib.contextmanager
def single_threaded(*, enabled: bool = True) -> Iterator[None]:
    """Run torch's intra-op kernels and the BLAS/OpenMP libraries on one thread, then restore.

    torch's setting is process-wide and taken over by threads that start inside the scope, so
    a thread pool created inside it runs one single-threaded kernel per worker.

    Examples
    --------
    >>> import torch
    >>> with single_threaded():
    ...     torch.get_num_threads()
    1
    """
    if not enabled:
        yield
        return
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(saved)


def single_threaded_worker() -> None:
    """Make the calling thread's kernels single-threaded: the initializer of a pool's workers.

    OpenMP keeps its thread count per thread, and a thread started by Python begins with the
    process default rather than the count :func:`single_threaded` set in the thread that
    created it; BLAS and torch settings are process-wide. Use it as
    ``ThreadPoolExecutor(initializer=single_threaded_worker)`` inside :func:`single_threaded`
    (which restores the process-wide settings when it ends).

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> import torch
    >>> with single_threaded(), ThreadPoolExecutor(1, initializer=single_threaded_worker) as pool:
    ...     pool.submit(torch.get_num_threads).result()
    1
    """
    torch.set_num_threads(1)
    threadpool_limits(limits=1)
