"""Samplers: which point indices of a design space a sweep evaluates, and in which order.

* ``grid``   every index in order (or the first N);
* ``random`` N distinct indices in a seeded pseudo-random order: a Feistel permutation of the index
  range with cycle walking (Black & Rogaway 2002, "Ciphers with arbitrary finite domains"), so any N up
  to the whole space is drawn without replacement in O(1) memory;
* ``nsga2``  multi-objective evolutionary search (Deb et al. 2002): generations of a population over
  the space's choice indices, non-dominated sorting and crowding distance for survival, binary
  tournaments, uniform crossover and per-gene mutation; feasible points beat infeasible ones.

Every sampler yields *batches* (iterables of indices) and hears back the rows of each batch through
``tell`` (only NSGA-II uses them). The same space, sampler, N and seed give the same indices — which
is what lets a sweep resume: the store keeps each index once and the sampler is simply replayed.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np

from cosim.errors import require
from cosim.search.pareto import crowding_distance, nondominated_ranks
from cosim.search.space import DesignSpace

SAMPLERS = ("grid", "random", "nsga2")


class GridSampler:
    needs_feedback = False

    def __init__(self, space: DesignSpace, n: int | None = None):
        self.total = space.size if n is None else min(n, space.size)

    def batches(self) -> Iterator[Iterable[int]]:
        yield range(self.total)

    def tell(self, rows: Sequence[Mapping[str, Any]]) -> None:
        pass


_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix(x: np.ndarray, key: np.uint64) -> np.ndarray:
    """splitmix64 finaliser of x ^ key (Steele et al. 2014): the Feistel round function."""
    with np.errstate(over="ignore"):
        z = (x ^ key) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def permute(indices: np.ndarray, size: int, seed: int) -> np.ndarray:
    """A seeded bijection of [0, size) applied to ``indices`` (4-round Feistel + cycle walking)."""
    half = max(1, ((max(size - 1, 1)).bit_length() + 1) // 2)
    lo_mask = np.uint64((1 << half) - 1)
    keys = [np.uint64(k) for k in np.random.default_rng(seed).integers(0, 2**63, size=4)]
    x = np.asarray(indices, dtype=np.uint64).copy()
    todo = np.ones(x.shape, dtype=bool)
    while todo.any():
        v = x[todo]
        left, right = v >> np.uint64(half), v & lo_mask
        for k in keys:
            left, right = right, left ^ (_mix(right, k) & lo_mask)
        v = (left << np.uint64(half)) | right
        x[todo] = v
        todo = x >= np.uint64(size)  # outside the range: walk the cycle again
    return x.astype(np.int64)


class RandomSampler:
    needs_feedback = False

    def __init__(self, space: DesignSpace, n: int, seed: int = 0, chunk: int = 65536):
        self.size, self.total, self.seed, self.chunk = space.size, min(n, space.size), seed, chunk

    def batches(self) -> Iterator[Iterable[int]]:
        yield self._stream()

    def _stream(self) -> Iterator[int]:
        # Each chunk of the sample is evaluated in index order, the grid's order: the points are the same
        # (the first ``total`` of a seeded permutation), but neighbours share workload and sparsity, so the
        # value-keyed cache (stand-in masks, lane profiles) is reused instead of thrashed — a random
        # order ran ~20x slower than grid on the default co-search (scripts/bench_sweep.py).
        for s in range(0, self.total, self.chunk):
            yield from np.sort(permute(np.arange(s, min(s + self.chunk, self.total)), self.size, self.seed)).tolist()

    def tell(self, rows: Sequence[Mapping[str, Any]]) -> None:
        pass


class NSGA2Sampler:
    """NSGA-II over the space's choice indices; ``n`` bounds the points evaluated (new or stored)."""

    needs_feedback = True

    def __init__(self, space: DesignSpace, n: int, seed: int = 0, population: int | None = None,
                 mutation_rate: float | None = None):
        require(n >= 4, f"--points must be >= 4 for nsga2 (a population needs parents), got {n}")
        self.space, self.total, self.rng = space, min(n, space.size), np.random.default_rng(seed)
        self.pop_size = population or max(4, min(64, self.total // 4))
        self.signs = np.array(space.objective_signs())
        # Genome: [candidate number, choices of candidate 0's dims, choices of candidate 1's dims, ...]
        self.radix = [len(space.candidates)] + [len(d.values) for c in space.candidates for d in c.dims]
        self.offsets = np.cumsum([1] + [len(c.dims) for c in space.candidates])[:-1]
        self.mutation_rate = mutation_rate or 1.0 / (1 + max(len(c.dims) for c in space.candidates))
        self.seen: set[int] = set()
        self.population: list[tuple[np.ndarray, int]] = []  # (genome, index)
        self._last: list[tuple[np.ndarray, int]] = []
        self._fitness: dict[int, tuple[bool, np.ndarray]] = {}
        self._rank: dict[int, tuple[int, float]] = {}  # index → (front rank, crowding distance) of survivors

    # genome ↔ index
    def _index(self, g: np.ndarray) -> int:
        c = int(g[0])
        o = int(self.offsets[c])
        return self.space.index_of(c, tuple(int(x) for x in g[o:o + len(self.space.candidates[c].dims)]))

    def _random_genome(self) -> np.ndarray:
        return np.array([self.rng.integers(0, r) for r in self.radix], dtype=np.int64)

    def _novel(self, make) -> list[tuple[np.ndarray, int]]:
        out = []
        budget = min(self.pop_size, self.total - len(self.seen))
        tries = 0
        while len(out) < budget and tries < 50 * self.pop_size:
            tries += 1
            g = make()
            i = self._index(g)
            if i not in self.seen:
                self.seen.add(i)
                out.append((g, i))
        return out

    def batches(self) -> Iterator[Iterable[int]]:
        self._last = self._novel(self._random_genome)
        while self._last:
            yield [i for _, i in self._last]
            self.population = self._survivors(self.population + self._last)
            if len(self.seen) >= self.total:
                return
            self._last = self._novel(self._child)

    def tell(self, rows: Sequence[Mapping[str, Any]]) -> None:
        for r in rows:
            vals = np.array([r.get(o, np.nan) for o in self.space.objectives], dtype=float) * self.signs
            ok = r.get("status") == "ok" and bool(np.isfinite(vals).all())
            self._fitness[int(r["id"])] = (ok, vals)

    def _survivors(self, members: list[tuple[np.ndarray, int]]) -> list[tuple[np.ndarray, int]]:
        feas = [m for m in members if self._fitness.get(m[1], (False,))[0]]
        infeas = [m for m in members if not self._fitness.get(m[1], (False,))[0]]
        chosen: list[tuple[np.ndarray, int]] = []
        self._rank = {}
        if feas:
            f = np.array([self._fitness[i][1] for _, i in feas])
            ranks = nondominated_ranks(f)
            for r in range(int(ranks.max()) + 1):
                front = np.flatnonzero(ranks == r)
                cd = crowding_distance(f[front])
                for j, d in zip(front, cd):
                    self._rank[feas[j][1]] = (r, d)
                order = front[np.argsort(-cd, kind="stable")]
                take = order[: self.pop_size - len(chosen)]
                chosen += [feas[j] for j in take]
                if len(chosen) >= self.pop_size:
                    break
        for m in infeas[: self.pop_size - len(chosen)]:
            self._rank[m[1]] = (1 << 30, 0.0)
            chosen.append(m)
        return chosen

    def _tournament(self) -> np.ndarray:
        a, b = self.rng.integers(0, len(self.population), size=2)
        ra = self._rank.get(self.population[a][1], (1 << 30, 0.0))
        rb = self._rank.get(self.population[b][1], (1 << 30, 0.0))
        win = a if (ra[0], -ra[1]) <= (rb[0], -rb[1]) else b
        return self.population[win][0]

    def _child(self) -> np.ndarray:
        p1, p2 = self._tournament(), self._tournament()
        child = np.where(self.rng.random(len(self.radix)) < 0.5, p1, p2)
        mutate = self.rng.random(len(self.radix)) < self.mutation_rate
        for j in np.flatnonzero(mutate):
            child[j] = self.rng.integers(0, self.radix[j])
        return child


def make_sampler(name: str, space: DesignSpace, n: int | None, seed: int):
    require(name in SAMPLERS, f"--sampler '{name}' is unknown; use one of {', '.join(SAMPLERS)}")
    if name == "grid":
        return GridSampler(space, n)
    require(n is not None and n >= 1, f"--points N is required for the {name} sampler (N >= 1)")
    if name == "random":
        return RandomSampler(space, n, seed)
    return NSGA2Sampler(space, n, seed)
