"""Design points decoded column-wise: a chunk of point indices → per point its candidate and the index
of its choice in every dimension, as integer arrays (the mixed-radix numbering of
cosim/search/space.py, vectorised), and the hardware choices of a group of points as columns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import numpy as np

from cosim.errors import require
from cosim.search.space import Candidate, Dimension, DesignSpace

N_POINT_DIMS = 5  # workload, pruning.sparsity, .allocation, .bits, .recipe; hardware fields follow


@dataclass(frozen=True, eq=False)
class PointBatch:
    ids: np.ndarray  # (n,) point indices
    candidate: np.ndarray  # (n,) candidate number
    choices: np.ndarray  # (n, dims) choice index per dimension of the point's candidate (-1: no such dim)


def decode(space: DesignSpace, indices: Sequence[int] | np.ndarray) -> PointBatch:
    """The candidate and per-dimension choices of each point index (cf. DesignSpace.locate)."""
    ids = np.asarray(indices, dtype=np.int64).reshape(-1)
    require(ids.size == 0 or (ids.min() >= 0 and ids.max() < space.size),
            f"point index outside the space of {space.size} points")
    sizes = np.array([c.size for c in space.candidates], dtype=np.int64)
    ends = np.cumsum(sizes)
    cand = np.searchsorted(ends, ids, side="right")
    local = ids - (ends - sizes)[cand]
    width = max(len(c.dims) for c in space.candidates)
    choices = np.full((ids.size, width), -1, dtype=np.int64)
    for ci, c in enumerate(space.candidates):
        at = np.flatnonzero(cand == ci)
        if not at.size:
            continue
        rest = local[at]
        for k in range(len(c.dims) - 1, -1, -1):
            rest, choices[at, k] = np.divmod(rest, len(c.dims[k].values))
    return PointBatch(ids, cand, choices)


def groups(batch: PointBatch) -> Iterator[tuple[int, tuple[int, ...], np.ndarray]]:
    """(candidate number, its pruning choices, positions in the batch) of the points sharing both,
    in order of first occurrence."""
    key = np.concatenate([batch.candidate[:, None], batch.choices[:, :N_POINT_DIMS]], axis=1)
    if not len(key):
        return
    uniq, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    for g in np.argsort(first, kind="stable"):
        yield int(uniq[g, 0]), tuple(int(x) for x in uniq[g, 1:]), np.flatnonzero(inverse == g)


def dim_values(d: Dimension) -> np.ndarray:
    """A dimension's values as an array to gather from (object dtype: values keep their Python type)."""
    out = np.empty(len(d.values), dtype=object)
    out[:] = list(d.values)
    return out


def hw_columns(cand: Candidate, choices: np.ndarray) -> dict[str, np.ndarray]:
    """The varied spec fields of points with ``choices`` (rows of PointBatch.choices) as columns; numeric
    columns get a numeric dtype."""
    out: dict[str, np.ndarray] = {}
    for k, d in enumerate(cand.dims[N_POINT_DIMS:], start=N_POINT_DIMS):
        col = dim_values(d)[choices[:, k]]
        if all(isinstance(v, bool) for v in d.values):
            col = col.astype(bool)
        elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in d.values):
            col = col.astype(np.float64 if any(isinstance(v, float) for v in d.values) else np.int64)
        out[d.path] = col
    return out


def hw_json(cand: Candidate, choices: np.ndarray) -> list[str]:
    """Each point's hardware choice as the JSON object ``json.dumps(hw, sort_keys=True)`` writes."""
    dims = sorted(range(N_POINT_DIMS, len(cand.dims)), key=lambda k: cand.dims[k].path)
    if not dims:
        return ["{}"] * len(choices)
    frags = [[f"{json.dumps(cand.dims[k].path)}: {json.dumps(_json_value(v))}" for v in cand.dims[k].values]
             for k in dims]
    cols = [np.asarray(f, dtype=object)[choices[:, k]] for f, k in zip(frags, dims)]
    return ["{" + ", ".join(parts) + "}" for parts in zip(*cols)]


def _json_value(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v
