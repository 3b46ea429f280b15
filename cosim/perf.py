"""What a datapath model returns: cycles and action counts, no energy.

Every datapath exposes one entry point, ``evaluate(walk, specs, cache) -> BatchPerf``, that evaluates
the sites of a network walk (cosim/walk.py) on many designs at once: arrays of shape (sites, designs).
``cosim.simulate`` calls it with one design, the search with thousands. Energy is priced afterwards
from ``actions`` by cosim/energy.py, so an ASIC or FPGA energy table swaps in without touching the
models.

Action names are ``component:action`` (the component becomes a key of the report's energy_pj dict):

    mac:int8, mac:fp16, ...     MACs performed, by operand precision
    mac_gated:int8, ...         MAC slots whose zero operand was gated (clock/data gating)
    register:access             PE register-file reads + writes
    sram_<buffer>:read_byte     SRAM bytes read from buffer <buffer> (ifmap, filter, ofmap, ...)
    sram_<buffer>:write_byte    SRAM bytes written
    dram:read_bit, dram:write_bit
    vector:op                   element operations of vector layers (pool, add, norm, act)
    (datapaths may add their own, e.g. dsp:mac_int8, bram:read_bit, lut:op — with table entries)

Datapath-specific facts (folds, tiles, load imbalance, FPGA resources) travel as typed, frozen
:class:`Details` records, one class per datapath and kind of layer, never as string-keyed bags.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

SOURCES = ("dense", "mask", "statistical")  # where a layer's sparsity numbers come from
SOURCE_CODE = {s: i for i, s in enumerate(SOURCES)}
# What limits a layer's time (cosim.report prints it per layer and sums time by it).
# compute: the datapath's arithmetic; dram / sram: stalls on DRAM bandwidth or SRAM ports; memory: a
# memory roofline (DRAM or a cache level) above the math; overhead: fixed per-layer costs (a GPU
# kernel launch); fused: runs in its producer's output path; tiles: compute-bound, but tile and wave
# quantization leave more than half of the issued math idle (a GPU GEMM whose tiles fill a few SMs, or
# whose edge tiles are mostly padding: the time is the tiles', not the MACs'); fill_drain: a systolic
# array's pipeline filling and draining every fold; imbalance: lanes of a zero-skipping array waiting for
# the busiest one. cosim/attribution.py splits each layer's time over these.
BOUNDS = ("compute", "dram", "sram", "memory", "overhead", "fused", "tiles", "fill_drain", "imbalance")
BOUND_CODE = {b: i for i, b in enumerate(BOUNDS)}


@dataclass(frozen=True)
class Details:
    """Base of the typed detail records. ``to_dict`` is their JSON form (None fields left out)."""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)
                if getattr(self, f.name) is not None}

    def time_split(self) -> Mapping[str, float] | None:
        """Shares of the layer's time by what spends it (keys of BOUNDS, summing to 1) where the datapath
        knows them (a GPU kernel: launch overhead, then math or memory); None: all of it to ``bound``."""
        return None

    def fallback_note(self, layer: Any, spec: Any) -> str | None:
        """Where ``layer``'s declared weight sparsity did not run as declared on ``spec`` (ran dense, or
        as a denser pattern), what ran instead, worded without the layer's name (reports group layers
        by it); None where it ran as declared or nothing was declared."""
        return None


def _plain(v: Any) -> Any:
    if isinstance(v, Details):
        return v.to_dict()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, Mapping):
        return {k: _plain(x) for k, x in v.items()}
    return v


@dataclass(frozen=True)
class NoDetails(Details):
    pass


@dataclass(frozen=True)
class FusedDetails(Details):
    """A layer run in its producer's output path (cosim/fusion.py)."""

    fused_into: str


@dataclass(frozen=True)
class LayerPerf:
    """One (layer, design) pair: a row of a :class:`BatchPerf`."""

    compute_cycles: int
    stall_cycles: int
    macs: int  # dense MACs of the layer (the work asked for)
    effectual_macs: int  # MACs with both operands nonzero (or weights nonzero, per the sparsity model)
    utilization: float  # effectual MACs / (peak MACs per cycle · total cycles)
    mapping_efficiency: float  # fraction of PEs holding useful work, averaged over folds
    sram_read_bytes: Mapping[str, int]  # by buffer
    sram_write_bytes: Mapping[str, int]
    dram_read_bytes: int
    dram_write_bytes: int
    actions: Mapping[str, float]
    skipped_macs: int = 0  # zero MACs whose cycles were skipped
    gated_macs: int = 0  # zero MACs executed with gated energy
    metadata_bytes: int = 0  # sparse-format metadata moved (indices, bitmaps, N:M selectors)
    vector_ops: int = 0
    sparsity_source: str = "dense"  # dense | mask | statistical
    bound: str = "compute"  # one of BOUNDS
    details: Details = field(default_factory=NoDetails)

    @property
    def total_cycles(self) -> int:
        return self.compute_cycles + self.stall_cycles


@dataclass(frozen=True, eq=False)
class NetworkPerf:
    """Network totals per design where they are not the sum of the sites (FPGA dataflow pipelines:
    latency = the critical path, throughput = the slowest stage). Arrays of shape (designs,)."""

    total_cycles: np.ndarray
    latency_cycles: np.ndarray
    throughput_inferences_per_s: np.ndarray
    details: Callable[[int], Details] = lambda j: NoDetails()


_INT_FIELDS = ("compute_cycles", "stall_cycles", "macs", "effectual_macs", "skipped_macs", "gated_macs",
               "vector_ops", "metadata_bytes", "dram_read_bytes", "dram_write_bytes")


@dataclass(frozen=True, eq=False)
class BatchPerf:
    """A datapath's result for sites × designs: named arrays of shape (sites, designs), plus which
    designs could run the network at all (``feasible``, with the reason where not)."""

    compute_cycles: np.ndarray  # int64
    stall_cycles: np.ndarray  # int64
    macs: np.ndarray
    effectual_macs: np.ndarray
    skipped_macs: np.ndarray
    gated_macs: np.ndarray
    vector_ops: np.ndarray
    metadata_bytes: np.ndarray
    dram_read_bytes: np.ndarray
    dram_write_bytes: np.ndarray
    utilization: np.ndarray  # float64
    mapping_efficiency: np.ndarray
    sram_read_bytes: Mapping[str, np.ndarray]  # by buffer
    sram_write_bytes: Mapping[str, np.ndarray]
    actions: Mapping[str, np.ndarray]  # float64 counts
    source: np.ndarray  # int8 codes into SOURCES
    bound: np.ndarray  # int8 codes into BOUNDS
    feasible: np.ndarray  # bool, (designs,)
    reasons: tuple[str, ...]  # per design: why it cannot run the network ("" where it can)
    cycle_s: np.ndarray  # (designs,) seconds per cycle
    peak_macs_per_cycle: np.ndarray  # (designs,) 0 where the design states none
    details: Callable[[int, int], Details] = lambda i, j: NoDetails()
    network: NetworkPerf | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.compute_cycles.shape

    @property
    def total_cycles(self) -> np.ndarray:
        return self.compute_cycles + self.stall_cycles

    def layer_perf(self, i: int, j: int) -> LayerPerf:
        """Site ``i`` on design ``j`` as one record."""
        ints = {f: int(getattr(self, f)[i, j]) for f in _INT_FIELDS}
        return LayerPerf(
            utilization=float(self.utilization[i, j]), mapping_efficiency=float(self.mapping_efficiency[i, j]),
            sram_read_bytes={b: int(v[i, j]) for b, v in self.sram_read_bytes.items()},
            sram_write_bytes={b: int(v[i, j]) for b, v in self.sram_write_bytes.items()},
            actions={a: float(v[i, j]) for a, v in self.actions.items() if v[i, j] != 0},
            sparsity_source=SOURCES[int(self.source[i, j])], bound=BOUNDS[int(self.bound[i, j])],
            details=self.details(i, j), **ints)


def pack(n_sites: int, perfs: Sequence[Sequence[LayerPerf] | None], reasons: Sequence[str], specs: Sequence[Any],
         network: NetworkPerf | None = None) -> BatchPerf:
    """A BatchPerf from per-design lists of per-site LayerPerf (``perfs[j][i]``; a design that cannot
    run has its reason in ``reasons[j]`` and its list may be None) of ``specs`` (one per design, or a
    string where the spec itself is invalid): the shape of datapaths that loop."""
    n_designs = len(perfs)
    ok = [p is not None and not r for p, r in zip(perfs, reasons)]

    def column(get, dtype) -> np.ndarray:
        out = np.zeros((n_sites, n_designs), dtype=dtype)
        for j, plist in enumerate(perfs):
            if ok[j]:
                out[:, j] = [get(p) for p in plist]
        return out

    ints = {f: column(operator_get(f), np.int64) for f in _INT_FIELDS}
    buffers = sorted({b for j, pl in enumerate(perfs) if ok[j] for p in pl for b in p.sram_read_bytes}
                     | {b for j, pl in enumerate(perfs) if ok[j] for p in pl for b in p.sram_write_bytes})
    actions = sorted({a for j, pl in enumerate(perfs) if ok[j] for p in pl for a in p.actions})
    records = [[p.details for p in pl] if ok[j] else None for j, pl in enumerate(perfs)]
    return BatchPerf(
        utilization=column(lambda p: p.utilization, np.float64),
        mapping_efficiency=column(lambda p: p.mapping_efficiency, np.float64),
        sram_read_bytes={b: column(lambda p, b=b: p.sram_read_bytes.get(b, 0), np.int64) for b in buffers},
        sram_write_bytes={b: column(lambda p, b=b: p.sram_write_bytes.get(b, 0), np.int64) for b in buffers},
        actions={a: column(lambda p, a=a: p.actions.get(a, 0.0), np.float64) for a in actions},
        source=column(lambda p: SOURCE_CODE[p.sparsity_source], np.int8),
        bound=column(lambda p: BOUND_CODE[p.bound], np.int8),
        feasible=np.asarray(ok, dtype=bool), reasons=tuple(r or "" for r in reasons),
        cycle_s=np.array([s.cycle_s if s is not None else 1.0 for s in specs], dtype=np.float64),
        peak_macs_per_cycle=np.array([float(getattr(s, "peak_macs_per_cycle", 0) or 0) if s is not None else 0.0
                                      for s in specs], dtype=np.float64),
        details=lambda i, j: records[j][i] if records[j] is not None else NoDetails(),
        network=network, **ints)


def operator_get(name: str):
    return lambda p: getattr(p, name)
