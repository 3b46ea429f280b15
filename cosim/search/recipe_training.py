"""Training a sweep's measurable recipes before the points that use them are evaluated.

The sweep's own process calls :func:`train_missing` for each chunk of new points, so every distinct
recipe (cosim/search/recipes.py) is trained once and written to the store's memo before any worker
needs it; workers only read the memo.
"""

from __future__ import annotations

import time
from pathlib import Path

from cosim.errors import CosimError
from cosim.search import points as pts
from cosim.search.recipes import RecipeMemo, measurable, recipe_key


def accelerator_for(cand, vkey: tuple) -> str:
    """The candidate's base accelerator where the point's allocation is hardware-aware, else ''."""
    from cosim.search.hw_allocation import is_hw_allocation

    return cand.base if is_hw_allocation(vkey[2]) else ""


def train_missing(space, indices, store_path: str | Path) -> tuple[int, int]:
    """Train, in this process, every measurable recipe the points ``indices`` use that the memo lacks.
    Returns (recipes trained now, points of measurable workloads among ``indices``)."""
    from cosim.search.workload_variants import train_variant

    batch = pts.decode(space, indices)
    wanted: dict[str, tuple] = {}
    n_points = 0
    for ci, pruning, at in pts.groups(batch):
        cand = space.candidates[ci]
        vkey = tuple(d.values[c] for d, c in zip(cand.dims[:pts.N_POINT_DIMS], pruning))
        if measurable(vkey[0]):
            n_points += len(at)
            accel = accelerator_for(cand, vkey)
            try:
                wanted.setdefault(recipe_key(*vkey, accel), (*vkey, accel))
            except CosimError:
                continue  # the point reports it as infeasible
    if not wanted:
        return 0, n_points
    memo = RecipeMemo(store_path)
    try:
        have = memo.keys()
        trained = 0
        for key, vkey in wanted.items():
            if key in have:
                continue
            t0 = time.perf_counter()
            try:
                graph, acc = train_variant(*vkey)
            except CosimError:
                continue  # the points report the reason themselves
            memo.put(key, graph, acc, time.perf_counter() - t0)
            trained += 1
        return trained, n_points
    finally:
        memo.close()
