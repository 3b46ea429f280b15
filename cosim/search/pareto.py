"""Non-dominated sets over 2–3 objectives, non-dominated ranks and crowding distance (NSGA-II).

A point a dominates b when a is no worse in every objective and strictly better in one (objectives are
minimised; a maximised objective is negated first). Equal points do not dominate each other, so
duplicates on the front all stay on it.

Algorithm: sort the points lexicographically; a dominator always comes strictly before the point it
dominates in that order, so one pass that compares each point with the front found so far is exact
(domination is transitive: a point dominated by a dropped point is dominated by a front point too).
Cost O(n log n + n·|front|), in a Numba kernel.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cosim.errors import require


@njit(cache=True)
def _front_mask_sorted(f: np.ndarray) -> np.ndarray:
    """Front membership of lexicographically sorted rows of ``f`` (minimisation)."""
    n, k = f.shape
    on_front = np.zeros(n, dtype=np.bool_)
    front = np.empty(n, dtype=np.int64)
    size = 0
    for i in range(n):
        dominated = False
        for t in range(size):
            j = front[t]
            no_worse = True
            better = False
            for d in range(k):
                if f[j, d] > f[i, d]:
                    no_worse = False
                    break
                if f[j, d] < f[i, d]:
                    better = True
            if no_worse and better:
                dominated = True
                break
        if not dominated:
            on_front[i] = True
            front[size] = i
            size += 1
    return on_front


def _as_minimised(points, maximize) -> np.ndarray:
    f = np.asarray(points, dtype=np.float64)
    require(f.ndim == 2, f"objectives must be a 2-D array (points × objectives), got shape {f.shape}")
    if maximize is not None:
        signs = np.where(np.asarray(maximize, dtype=bool), -1.0, 1.0)
        require(signs.size == f.shape[1], f"maximize has {signs.size} entries for {f.shape[1]} objectives")
        f = f * signs
    return f


def pareto_mask(points, maximize=None) -> np.ndarray:
    """Boolean mask of the non-dominated rows of ``points`` (n × k). Rows with NaN are never on it.

    ``maximize``: optional k booleans, True for objectives to maximise (accuracy).
    """
    f = _as_minimised(points, maximize)
    n = f.shape[0]
    out = np.zeros(n, dtype=bool)
    finite = np.isfinite(f).all(axis=1)
    idx = np.flatnonzero(finite)
    if idx.size == 0:
        return out
    sub = f[idx]
    order = np.lexsort(sub.T[::-1])  # primary key: first objective
    on = _front_mask_sorted(np.ascontiguousarray(sub[order]))
    out[idx[order[on]]] = True
    return out


def nondominated_ranks(points, maximize=None) -> np.ndarray:
    """Rank 0 for the front, 1 for the front of the rest, ... (NaN rows get the last rank)."""
    f = _as_minimised(points, maximize)
    n = f.shape[0]
    ranks = np.full(n, -1, dtype=np.int64)
    remaining = np.flatnonzero(np.isfinite(f).all(axis=1))
    r = 0
    while remaining.size:
        m = pareto_mask(f[remaining])
        ranks[remaining[m]] = r
        remaining = remaining[~m]
        r += 1
    ranks[ranks < 0] = r
    return ranks


def crowding_distance(points) -> np.ndarray:
    """NSGA-II crowding distance (Deb et al. 2002, sec. III-B) of rows of one front; ends get +inf."""
    f = np.asarray(points, dtype=np.float64)
    n, k = f.shape
    dist = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for d in range(k):
        order = np.argsort(f[:, d], kind="stable")
        span = f[order[-1], d] - f[order[0], d]
        dist[order[0]] = dist[order[-1]] = np.inf
        if span > 0:
            dist[order[1:-1]] += (f[order[2:], d] - f[order[:-2], d]) / span
    return dist
