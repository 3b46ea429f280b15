"""Run a sweep: sampler → chunks of new point indices → executor → result store, resumable.

The sampler is replayed from its seed on every run; chunks whose points the store already holds are
dropped before evaluation, so a resumed sweep evaluates only what is missing and the store holds each
point exactly once. Memory stays flat: chunks are generated lazily, a bounded number is in flight,
and each finished chunk goes to the store in one transaction.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

from cosim import __version__
from cosim.errors import require
from cosim.search.executors import make_executor
from cosim.search.samplers import make_sampler
from cosim.search.space import DesignSpace
from cosim.search.store import STORE_FILENAME, ResultStore
from cosim.search.store_lock import StoreLock

DEFAULT_CHUNK = 2048


@dataclass
class SweepResult:
    store_path: Path
    planned: int  # points the sampler asks for
    evaluated: int  # points evaluated in this run
    skipped: int  # points already in the store (resume)
    elapsed_s: float
    interrupted: bool = False
    status_counts: dict[str, int] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    recipes_trained: int = 0  # distinct measurable recipes trained in this run (cosim/search/recipes.py)
    recipe_points: int = 0  # points of measurable workloads evaluated in this run, which share them


def sweep_options(meta: dict[str, Any], space: DesignSpace, sampler: str | None, points: int | None,
                  seed: int | None) -> dict[str, Any]:
    """The sampler options of this run: the given ones for a new sweep, the stored ones on resume."""
    given = {"sampler": sampler, "points": points, "seed": seed}
    if not meta:
        return {"sampler": sampler or "grid", "points": points, "seed": space.seed if seed is None else seed}
    require(meta.get("space_digest") == space.digest,
            f"the stored sweep was written for another design space ('{meta.get('space_name')}'); "
            "resume with that space or choose another --out")
    opts = {k: meta.get(k) for k in given}
    for k, v in given.items():
        require(v is None or v == opts[k],
                f"--{k} {v} differs from the stored sweep's {opts[k]}; drop --{k} to resume as it was started")
    return opts


def _stored_meta(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    with ResultStore(path) as store:
        return store.meta()


def run_sweep(space: DesignSpace, out_dir: str | Path, *, sampler: str | None = None, points: int | None = None,
              seed: int | None = None, executor: str = "processes", workers: int | None = None,
              scheduler: str | None = None, dask_security: str | None = None,
              chunk_size: int = DEFAULT_CHUNK, resume: bool = False,
              progress: bool = True, executor_obj: Any = None) -> SweepResult:
    """Evaluate the sampler's points of ``space`` into ``out_dir``/sweep.sqlite.

    Every option is checked (and the executor started) before anything is written.
    """
    require(chunk_size >= 1, f"--chunk-size must be >= 1, got {chunk_size}")
    out = Path(out_dir)
    path = out / STORE_FILENAME
    require(not path.is_symlink(), f"'{path}' is a symbolic link; cosim writes its store only as a regular file "
                                   "inside --out: remove the link or choose another --out")
    require(not path.exists() or resume,
            f"'{path}' exists; pass --resume to continue that sweep or choose another --out")
    meta = _stored_meta(path)
    opts = sweep_options(meta, space, sampler, points, seed)
    space = dataclasses.replace(space, memo_path=str(path))  # workers read trained recipes from the store
    samp = make_sampler(opts["sampler"], space, opts["points"], opts["seed"])
    exe = executor_obj or make_executor(executor, space, workers, scheduler, dask_security)
    t0 = time.perf_counter()
    lock = StoreLock(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        lock.__enter__()
        store = ResultStore(path, create=True)
    except BaseException:
        lock.__exit__()
        _close(exe, cancel=True, own=executor_obj is None)
        raise
    with contextlib.closing(lock), store:
        if not meta:
            store.set_meta({**opts, "space_name": space.name, "space_digest": space.digest,
                            "space_yaml": space.source, "space_dir": str(space.base_dir or ""),
                            "cosim_version": __version__, "created_unix_s": time.time()})
        res = SweepResult(store_path=path, planned=samp.total, evaluated=0, skipped=0, elapsed_s=0.0, options=opts)
        bar = _progress(samp.total, progress, space.name)
        eta = _eta(space, samp.total) if bar is not None else None
        try:
            for batch in samp.batches():
                told: list[dict] = []
                probes, rest = _probe_first(space, batch) if eta is not None else ([], batch)
                args = (chunk_size, res, bar, told if samp.needs_feedback else None, _point_costs(space, chunk_size), eta)
                chunks = itertools.chain(*(_new_chunks(store, p, *args) for p in probes), _new_chunks(store, rest, *args))
                chunks = _trained_first(space, chunks, path, res)
                for rows in exe.imap(chunks):
                    store.write_rows(rows)
                    res.evaluated += len(rows)
                    if samp.needs_feedback:
                        told.extend(rows)
                    if bar is not None:
                        eta.update(r["candidate"] for r in rows)
                        bar.set_postfix_str(eta.text(), refresh=False)
                        bar.update(len(rows))
                if samp.needs_feedback:
                    samp.tell(told)
        except KeyboardInterrupt:
            res.interrupted = True
            _close(exe, cancel=True, own=executor_obj is None)
            exe = None
        except BaseException:
            if not meta and store.count() == 0:  # a store this run created holds nothing: do not leave it
                store.close()                    # behind to block the rerun with "exists; pass --resume"
                for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                    p.unlink(missing_ok=True)
            raise
        finally:
            if bar is not None:
                bar.close()
            if exe is not None:
                _close(exe, cancel=False, own=executor_obj is None)
        res.status_counts = store.status_counts()
    res.elapsed_s = time.perf_counter() - t0
    return res


def _trained_first(space: DesignSpace, chunks: Iterator[list[int]], path: Path,
                   res: SweepResult) -> Iterator[list[int]]:
    """Each chunk, once the measurable recipes its points use are trained and in the store's memo
    (cosim/search/recipes.py): a recipe is trained once, here, for every point and worker sharing it."""
    from cosim.search.recipe_training import train_missing

    for c in chunks:
        trained, n = train_missing(space, c, path)
        res.recipes_trained += trained
        res.recipe_points += n
        yield c


def _close(exe: Any, cancel: bool, own: bool) -> None:
    if own:
        try:
            exe.close(cancel=cancel)
        except Exception:  # noqa: BLE001 — closing after Ctrl-C must not hide the resume message
            pass


# Every datapath evaluates a chunk of designs in one call, but only the systolic one vectorises over
# designs; the others loop (milliseconds to a second a design): their points go in chunks this many
# times smaller (8 points of 2048), so work spreads over the workers and progress flows.
SCALAR_CHUNK_DIVISOR = 256
BATCH_KINDS = ("systolic",)


def _scalar_weight(chunk_size: int) -> float:
    """Batch points a point outside BATCH_KINDS counts as in a chunk (spreading work, not a cost estimate)."""
    return chunk_size / max(1.0, chunk_size / SCALAR_CHUNK_DIVISOR)


# With a progress bar, the first few points of every candidate run first, each candidate in its own
# chunk, so the ETA (cosim/search/eta.py) measures every candidate within the first seconds instead of
# learning at 90 % that the last candidates cost 100x more. The points and results are the same; only
# their order changes, within the first PROBE_WINDOW indices of a batch.
PROBE_POINTS = 4
PROBE_WINDOW = 1 << 18


def _probe_first(space: DesignSpace, batch: Iterable[int]) -> tuple[list[list[int]], Iterable[int]]:
    """(up to PROBE_POINTS indices of each candidate, the batch's other indices in their order)."""
    it = iter(batch)
    window = [int(i) for i in itertools.islice(it, PROBE_WINDOW)]
    if not window:
        return [], window
    arr = np.asarray(window, dtype=np.int64)
    offsets = np.cumsum([0] + [c.size for c in space.candidates])
    cand = np.searchsorted(offsets, arr, side="right") - 1
    probes = [arr[cand == ci][:PROBE_POINTS].tolist() for ci in range(len(space.candidates))]
    probes = [p for p in probes if p]
    taken = {i for p in probes for i in p}
    return probes, itertools.chain((i for i in window if i not in taken), it)


def _eta(space: DesignSpace, total: int):
    from cosim.search.eta import SweepEta, planned_by_candidate

    return SweepEta(planned_by_candidate(space, total), {c.name: c.kind for c in space.candidates})


def _point_costs(space: DesignSpace, chunk_size: int):
    """cost(index): 1 for a point the batch evaluator takes (a batch kind), else the cost that puts
    chunk_size / SCALAR_CHUNK_DIVISOR such points in a chunk."""
    heavy = _scalar_weight(chunk_size)

    def cost(i: int) -> float:
        p = space.point(i)
        return 1.0 if p.kind in BATCH_KINDS else heavy

    return cost


def _new_chunks(store: ResultStore, batch, chunk_size: int, res: SweepResult, bar, told,
                cost=lambda i: 1.0, eta=None) -> Iterator[list[int]]:
    """Chunks of the batch's indices that the store does not hold yet (stored rows go to ``told``).

    A chunk closes at ``chunk_size`` units of ``cost``: one per batch-evaluated point, more per point
    that needs a full simulation.
    """
    buf: list[int] = []
    load = 0.0

    def flush(ids: list[int]) -> list[int]:
        have = store.existing_ids(ids)
        if have:
            res.skipped += len(have)
            if bar is not None:
                if eta is not None:
                    eta.skipped(len(have))
                bar.update(len(have))
            if told is not None:
                told.extend(store.rows_by_id(have).values())
        return [i for i in ids if i not in have]

    for i in batch:
        i = int(i)
        buf.append(i)
        load += cost(i)
        if load >= chunk_size:
            new = flush(buf)
            buf, load = [], 0.0
            if new:
                yield new
    if buf:
        new = flush(buf)
        if new:
            yield new


def _progress(total: int, enabled: bool, name: str):
    if not enabled:
        return None
    from tqdm import tqdm

    # The time left is cosim.search.eta's (by candidate), shown as the postfix; not tqdm's points/s.
    return tqdm(total=total, desc=f"sweep {name}", unit="pt", dynamic_ncols=True, postfix="ETA measuring",
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]")


def resume_hint(space_arg: str | None, out_dir: str | Path) -> str:
    space_part = f" {space_arg}" if space_arg else ""
    return f"cosim sweep{space_part} --out {out_dir} --resume"


__all__ = ["run_sweep", "SweepResult", "resume_hint"]
