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


def _init_worker(space: DesignSpace) -> None:
    global _WORKER_SPACE
    _WORKER_SPACE = space
    # Ctrl-C goes to the whole process group; the parent stops the sweep, workers just finish.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


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
                                        initializer=_init_worker, initargs=(space,))

    def imap(self, chunks: Iterable[list[int]]) -> Iterator[list[dict[str, Any]]]:
        yield from _bounded(lambda c: self.pool.submit(_evaluate_in_worker, c), chunks, 2 * self.workers,
                            _wait_local)

    def close(self, cancel: bool = False) -> None:
        self.pool.shutdown(wait=not cancel, cancel_futures=cancel)


class DaskExecutor:
    name = "dask"

    def __init__(self, space: DesignSpace, scheduler: str | None = None, workers: int | None = None,
                 client: Any = None):
        try:
            from distributed import Client
        except ImportError:
            raise CosimError("--executor dask needs dask.distributed; pip install 'cosim[dask]'") from None
        self._own = client is None
        if client is None:
            try:
                client = Client(scheduler, timeout="10s") if scheduler else Client(
                    n_workers=workers or 1, threads_per_worker=1, processes=True, dashboard_address=None)
            except (OSError, TimeoutError) as e:
                raise CosimError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({e}); "
                                 "start one with `dask scheduler` or drop --scheduler for a local cluster") from None
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


def make_executor(name: str, space: DesignSpace, workers: int | None = None, scheduler: str | None = None):
    require(name in EXECUTORS, f"--executor '{name}' is unknown; use one of {', '.join(EXECUTORS)}")
    require(workers is None or workers >= 1, f"--workers must be >= 1, got {workers}")
    require(scheduler is None or name == "dask", "--scheduler is only used with --executor dask")
    if name == "serial":
        return SerialExecutor(space)
    if name == "processes":
        return ProcessExecutor(space, workers)
    return DaskExecutor(space, scheduler, workers)
