"""A sweep's time left, by candidate, so that it does not jump when the expensive points start.

A sweep's points cost very different times: batch-evaluated systolic points take a few milliseconds
each, FPGA points tens, an H100 point hundreds (measured below). A points-per-second ETA measured on
the cheap points (the space lists them first) promised "11 s left" at 22 % and then "1:47".

Here the time left is Σ over candidates of (points still to run) × (seconds per point). Points still
to run per candidate: the sample's expected share of it (its share of the space: grid, random and
NSGA-II samples are drawn from the whole space) less those done. Seconds per point: measured per
candidate as the wall time between finished chunks over their points, averaged over all its chunks
so far (the smoothing: one slow or fast chunk moves it little); a candidate not
measured yet is priced at the measured rate of its kind, or else at PRIOR_WEIGHT of its kind times the
median measured seconds per systolic-equivalent point — and the text says how many are priced so
("ETA ~0:27, 2 candidates not measured yet"), so a change when they are measured is announced.
cosim/search/sweep.py runs a few points of every candidate first, so that lasts seconds.
"""

from __future__ import annotations

import statistics
import time
from typing import Iterable, Mapping

# Seconds per point by kind, relative to a systolic point, before any point of a kind is measured.
# Measured on the default co-search (workloads/spaces/cosearch-default.yaml, evaluate_indices in one
# process, 2-core machine under load ~7): systolic 1.4-3.9 ms/point (plain, N:M, lane-skipping),
# sparse tensor cores 3.1 ms (edge NPU) to 540 ms (H100), count-weighted 12.9 ms; FPGA 25 ms (DPU)
# to 59 ms (FINN), count-weighted 28.6 ms; against ~2.5 ms systolic: about 5x and 11x.
PRIOR_WEIGHT = {"systolic": 1.0, "sparse_tensor_core": 5.0, "fpga": 11.0}


class SweepEta:
    """Time left of a sweep from its planned points by candidate (mutable: it learns as chunks finish).

    ``planned``: candidate -> expected points; ``kind``: candidate -> its accelerator kind."""

    def __init__(self, planned: Mapping[str, float], kind: Mapping[str, str], clock=time.perf_counter):
        self.planned = dict(planned)
        self.kind = dict(kind)
        self.done: dict[str, int] = {c: 0 for c in self.planned}
        self.sec_per_point: dict[str, float] = {}  # seconds / points measured, per candidate
        self.seconds: dict[str, float] = {}
        self.measured: dict[str, int] = {}
        self.started = False
        self.clock = clock
        self.last = clock()

    def weight(self, cand: str) -> float:
        return PRIOR_WEIGHT.get(self.kind.get(cand, ""), 1.0)

    def update(self, candidates: Iterable[str]) -> None:
        """A chunk of points finished now; ``candidates`` names each point's candidate. The time since
        the start is not charged to the first chunk: it holds the workers' start-up (imports, kernel
        cache), which no later point pays."""
        now = self.clock()
        dt, self.last = max(now - self.last, 0.0), now
        counts: dict[str, int] = {}
        for c in candidates:
            counts[c] = counts.get(c, 0) + 1
        if not counts:
            return
        for c, n in counts.items():
            self.done[c] = self.done.get(c, 0) + n
        if not self.started:
            self.started = True
            return
        # A chunk mixing candidates: its time split over them by their prior weights.
        units = sum(n * self.weight(c) for c, n in counts.items())
        for c, n in counts.items():
            self.seconds[c] = self.seconds.get(c, 0.0) + dt * n * self.weight(c) / units
            self.measured[c] = self.measured.get(c, 0) + n
            self.sec_per_point[c] = self.seconds[c] / self.measured[c]

    def skipped(self, n: int) -> None:
        """``n`` planned points were already stored (a resumed sweep): fewer to run, in proportion."""
        size = sum(self.planned.values()) or 1.0
        for c in self.planned:
            self.planned[c] = max(self.planned[c] - n * self.planned[c] / size, 0.0)

    def _rate(self, cand: str) -> float:
        if cand in self.sec_per_point:
            return self.sec_per_point[cand]
        same = [(self.done[c], s) for c, s in self.sec_per_point.items() if self.kind.get(c) == self.kind.get(cand)]
        if same:
            return sum(n * s for n, s in same) / sum(n for n, _ in same)
        # Seconds per systolic-equivalent point: the median over measured candidates (one outlier, an
        # H100 at 100x its kind's prior, must not price every other unmeasured candidate).
        return statistics.median(s / self.weight(c) for c, s in self.sec_per_point.items()) * self.weight(cand)

    def unmeasured(self) -> list[str]:
        return [c for c, p in self.planned.items() if p - self.done.get(c, 0) >= 0.5 and c not in self.sec_per_point]

    def seconds_left(self) -> float | None:
        """Estimated seconds until the planned points are done; None before any chunk finished."""
        if not self.sec_per_point:
            return None
        return sum(max(p - self.done.get(c, 0), 0.0) * self._rate(c) for c, p in self.planned.items())

    def text(self) -> str:
        s = self.seconds_left()
        if s is None:
            return "ETA measuring"
        s = int(round(s))
        t = f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
        n = len(self.unmeasured())
        return f"ETA ~{t}, {n} candidate{'s' if n > 1 else ''} not measured yet" if n else f"ETA {t}"


def planned_by_candidate(space, total: int) -> dict[str, float]:
    """Expected points of each candidate in a sample of ``total`` points of ``space`` (its share)."""
    size = sum(c.size for c in space.candidates) or 1
    return {c.name: total * c.size / size for c in space.candidates}
