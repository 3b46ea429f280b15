"""Executors: where chunks of design points are evaluated — in this process, in local worker processes
(the default), or on a Dask cluster.

All three offer ``imap(chunks)``: evaluate each chunk of point indices of the executor's design space,
yielding the rows of each chunk as it completes (order not guaranteed). Chunks are pulled from the
iterable lazily and at most ``max_in_flight`` are outstanding, so memory stays flat however long the
sweep: the caller writes each chunk to the store and drops it.
"""

from __future__ import annotations

import signal
from collections import deque
from typing import Any, Iterable, Iterator

from cosim.errors import CosimError, require
from cosim.search.evaluate import evaluate_indices
from cosim.search.space import DesignSpace

EXECUTORS = ("serial", "processes", "dask")

_WORKER_SPACE: DesignSpace | None = None


def _init_worker(space: DesignSpace, parent_pid: int) -> None:
    global _WORKER_SPACE
    _WORKER_SPACE = space
    # Ctrl-C goes to the whole process group; the parent stops the sweep, workers just finish.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent_pid)


def die_with_parent(parent_pid: int) -> None:
    """End this worker when the sweep process dies, however it dies (SIGKILL included), so no worker is
    left blocked on its task queue holding the store's files. Linux: the kernel's parent-death signal
    (prctl PR_SET_PDEATHSIG); elsewhere a daemon thread that notices the parent change once a second."""
    import os
    import sys

    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0:  # 1 = PR_SET_PDEATHSIG
                if os.getppid() != parent_pid:  # the parent died before the call: go now
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="cosim-parent-watch").start()


def _evaluate_in_worker(indices: list[int]) -> list[dict[str, Any]]:
    assert _WORKER_SPACE is not None
    return evaluate_indices(_WORKER_SPACE, indices)


class SerialExecutor:
    name = "serial"
    workers = 1

    def __init__(self, space: DesignSpace):
        self.space = space

    def imap(self, chunks: Iterable[list[int]]) -> Iterator[list[dict[str, Any]]]:
        for c in chunks:
            yield evaluate_indices(self.space, c)

    def close(self, cancel: bool = False) -> None:
        pass


class ProcessExecutor:
    name = "processes"

    def __init__(self, space: DesignSpace, workers: int | None = None):
        import multiprocessing as mp
        import os
        from concurrent.futures import ProcessPoolExecutor

        self.workers = workers or max(1, len(os.sched_getaffinity(0)))
        # fork shares the parent's imported modules and warm caches; spawn where fork does not exist.
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        self.pool = ProcessPoolExecutor(self.workers, mp_context=mp.get_context(method),
                                        initializer=_init_worker, initargs=(space, os.getpid()))
        # Start the workers now (a forking pool starts them all at its first task): the sweep's
        # process then trains recipes (cosim/search/recipe_training.py) in threads of its own, and a
        # fork after OpenMP has started in the parent is unsafe (libgomp aborts the child).
        self.pool.submit(os.getpid).result()

    def imap(self, chunks: Iterable[list[int]]) -> Iterator[list[dict[str, Any]]]:
        yield from _bounded(lambda c: self.pool.submit(_evaluate_in_worker, c), chunks, 2 * self.workers,
                            _wait_local)

    def close(self, cancel: bool = False) -> None:
        self.pool.shutdown(wait=not cancel, cancel_futures=cancel)


_SCHEDULER_SCHEMES = ("tcp://", "tls://", "ws://", "wss://", "inproc://", "ucx://")
_SECURITY_FIELDS = ("tls_ca_file", "tls_client_cert", "tls_client_key", "require_encryption")


def dask_security(path: str | None) -> Any:
    """A ``distributed.Security`` from a YAML file of its TLS fields (tls_ca_file, tls_client_cert,
    tls_client_key, require_encryption), or None."""
    if path is None:
        return None
    import yaml
    from distributed.security import Security

    try:
        with open(path, "rb") as f:
            data = yaml.safe_load(f.read(64 * 1024))
    except (OSError, yaml.YAMLError) as e:
        raise CosimError(f"--dask-security '{str(path)[:120]}' cannot be read as YAML ({type(e).__name__}); "
                         f"give a YAML mapping of {', '.join(_SECURITY_FIELDS)}") from None
    require(isinstance(data, dict) and data and set(data) <= set(_SECURITY_FIELDS),
            f"--dask-security '{str(path)[:120]}': give a YAML mapping of {', '.join(_SECURITY_FIELDS)}")
    return Security(**data)


class DaskExecutor:
    """Dask: for trusted clusters only. The scheduler and workers exchange pickled Python objects with
    this process, so whoever controls them can run code here; connect only to a cluster you control,
    over TLS (``security``) where the network is shared."""

    name = "dask"

    def __init__(self, space: DesignSpace, scheduler: str | None = None, workers: int | None = None,
                 client: Any = None, security: Any = None):
        try:
            from distributed import Client
        except ImportError:
            raise CosimError("--executor dask needs dask.distributed; pip install 'cosim[dask]'") from None
        self._own = client is None
        if client is None:
            if scheduler is not None:
                require(isinstance(scheduler, str) and scheduler.startswith(_SCHEDULER_SCHEMES)
                        and len(scheduler) < 256,
                        f"--scheduler '{str(scheduler)[:80]}' is not a Dask scheduler address; give "
                        "tcp://HOST:PORT (or tls://HOST:PORT with --dask-security)")
            try:
                client = Client(scheduler, timeout="10s", security=security) if scheduler else Client(
                    n_workers=workers or 1, threads_per_worker=1, processes=True, dashboard_address=None)
            except Exception as e:  # noqa: BLE001 — distributed raises OSError, TimeoutError, ValueError...
                raise CosimError(f"--scheduler {str(scheduler)[:80]}: cannot reach the Dask scheduler "
                                 f"({type(e).__name__}: {str(e)[:120]}); start one with `dask scheduler` or "
                                 "drop --scheduler for a local cluster") from None
        self.client = client
        self.workers = max(1, sum(client.nthreads().values()))
        self.space_future = client.scatter(space, broadcast=True)

    def imap(self, chunks: Iterable[list[int]]) -> Iterator[list[dict[str, Any]]]:
        yield from _bounded(lambda c: self.client.submit(evaluate_indices, self.space_future, c, pure=False),
                            chunks, 2 * self.workers, _wait_dask)

    def close(self, cancel: bool = False) -> None:
        if self._own:
            self.client.close()


def _bounded(submit, chunks: Iterable, max_in_flight: int, wait_first) -> Iterator:
    """Submit chunks lazily with at most ``max_in_flight`` outstanding; yield results in completion order.

    ``wait_first(futures)`` blocks until at least one is done and returns the done ones.
    """
    it = iter(chunks)
    pending: deque = deque()
    exhausted = False
    while True:
        while not exhausted and len(pending) < max_in_flight:
            try:
                pending.append(submit(next(it)))
            except StopIteration:
                exhausted = True
        if not pending:
            return
        done = wait_first(list(pending))
        for f in [f for f in pending if f in done]:
            pending.remove(f)
            yield f.result()


def _wait_local(futures):
    from concurrent.futures import FIRST_COMPLETED, wait

    return wait(futures, return_when=FIRST_COMPLETED).done


def _wait_dask(futures):
    from distributed import wait

    return wait(futures, return_when="FIRST_COMPLETED").done


def make_executor(name: str, space: DesignSpace, workers: int | None = None, scheduler: str | None = None,
                  security: str | None = None):
    require(name in EXECUTORS, f"--executor '{name}' is unknown; use one of {', '.join(EXECUTORS)}")
    require(workers is None or workers >= 1, f"--workers must be >= 1, got {workers}")
    require(scheduler is None or name == "dask", "--scheduler is only used with --executor dask")
    require(security is None or name == "dask", "--dask-security is only used with --executor dask")
    if name == "serial":
        return SerialExecutor(space)
    if name == "processes":
        return ProcessExecutor(space, workers)
    return DaskExecutor(space, scheduler, workers, security=dask_security(security))
