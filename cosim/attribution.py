"""Where the time goes: each layer's latency split by what spends it, the network's as the sum.

A layer's split is built from its own datapath's cycle components, never from a rule of thumb:

* **tensor core** (a GPU kernel, cosim/datapaths/tensor_core/gemm_timing.py): time = launch/fix-up
  overhead + max(compute, memory). The overhead is ``overhead``; the roofline side is ``memory`` where
  the operands' movement outlasts the math, else the math, split by the kernel's tile efficiency
  (useful MACs over the math its tiles and waves issue) into ``compute`` and ``tiles`` (tile/wave
  quantization: padded edge tiles, SMs left idle by the last wave).
* **systolic array** (cosim/datapaths/systolic/model.py): the stall cycles go to ``dram`` and ``sram``
  as the model counted them (SystolicDetails.dram_stall_cycles / sram_stall_cycles); the compute
  cycles split into ``compute`` (the MACs executed, at one per PE per cycle), ``tiles`` (PEs without
  work in partly filled folds: 1 − mapping efficiency, SCALE-Sim's figure), ``imbalance`` (lanes of a
  zero-skipping array waiting for the busiest lane: stream × (1 − 1/load_imbalance)) and
  ``fill_drain`` (what is left: the pipeline fill and drain of every fold, the preload of its
  stationary operand included).
* **anything else** (vector units, FPGA layers): compute cycles to ``compute`` and stall cycles to the
  layer's bound where that is a stall (dram, sram), the whole layer to its bound otherwise.

The layer's ``bound`` is the largest share of its split; the network's ``latency_s_by_bound`` is the
sum of the layers' splits in seconds. On a pipelined FPGA design the network's latency is the
pipeline's (stages overlap, plus the fill of their depths and the DRAM stream), not this sum: there the
layers' shares are kept and scaled to the pipeline's latency (``scaled_to``), so the network's split
always sums to its ``latency_s``.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from cosim.perf import BOUNDS, FusedDetails
from cosim.units import eng

# How each bound reads in the totals line ("launch overhead 55%").
BOUND_WORDS = {"compute": "compute", "dram": "DRAM stalls", "sram": "SRAM-port stalls", "memory": "memory roofline",
               "overhead": "launch overhead", "fused": "fused", "tiles": "tile/wave quantization",
               "fill_drain": "pipeline fill/drain", "imbalance": "lane load imbalance"}


def layer_split(layer: Any, peak_macs_per_cycle: float) -> dict[str, float]:
    """Shares of ``layer``'s time (a LayerResult) by what spends it: keys of cosim.perf.BOUNDS, summing
    to 1 (a layer that takes no time: all to its bound)."""
    details = layer.details
    if isinstance(details, FusedDetails):
        return {"fused": 1.0}
    own = details.time_split()
    if own is not None:
        return dict(own)
    total = layer.compute_cycles + layer.stall_cycles
    if total <= 0:
        return {layer.bound: 1.0}
    cycles: dict[str, float] = {}
    if hasattr(details, "dram_stall_cycles") and hasattr(details, "sram_stall_cycles") and hasattr(details, "folds"):
        cycles.update(_systolic_compute(layer, details, peak_macs_per_cycle))
        stall = float(layer.stall_cycles)
        dram = min(float(details.dram_stall_cycles), stall)
        cycles["dram"] = dram
        cycles["sram"] = stall - dram
    elif layer.bound in ("dram", "sram"):
        cycles = {"compute": float(layer.compute_cycles), layer.bound: float(layer.stall_cycles)}
    else:
        cycles = {layer.bound: float(total)}
    return {k: v / total for k, v in cycles.items() if v > 0}


def _systolic_compute(layer: Any, details: Any, peak: float) -> dict[str, float]:
    """The compute cycles of a systolic layer split into executed MACs, idle PEs of partial folds, lane
    imbalance and fill/drain (see the module docstring)."""
    compute = float(layer.compute_cycles)
    if compute <= 0 or peak <= 0:
        return {"compute": compute}
    executed = max(layer.macs - layer.skipped_macs, 0)
    useful = min(compute, executed / peak)
    eff = layer.mapping_efficiency
    tiles = min(compute - useful, useful * (1.0 / eff - 1.0)) if 0 < eff < 1 else 0.0
    imbalance = 0.0
    run = getattr(details, "sparse", None)
    if run is not None and run.load_imbalance and run.load_imbalance > 1:
        imbalance = min(compute - useful - tiles, run.stream_cycles * (1.0 - 1.0 / run.load_imbalance))
    return {"compute": useful, "tiles": tiles, "imbalance": max(imbalance, 0.0),
            "fill_drain": max(compute - useful - tiles - imbalance, 0.0)}


_RANK = {b: i for i, b in enumerate(BOUNDS)}


def dominant(split: Mapping[str, float], fallback: str) -> str:
    """The bound with the largest share (ties: the first in cosim.perf.BOUNDS)."""
    if not split:
        return fallback
    best, share = fallback, -1.0
    for b, v in split.items():
        if v > share or (v == share and _RANK.get(b, len(BOUNDS)) < _RANK.get(best, len(BOUNDS))):
            best, share = b, v
    return best


def latency_by_bound(seconds_by_bound: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Σ of the layers' seconds by what spends them (bounds with no time left out)."""
    out: dict[str, float] = {}
    for split in seconds_by_bound:
        for b, s in split.items():
            out[b] = out.get(b, 0.0) + s
    return {b: out[b] for b in BOUNDS if out.get(b, 0.0) > 0}


def scaled_to(seconds: Mapping[str, float], latency_s: float) -> dict[str, float]:
    """``seconds`` with their shares kept and their sum set to ``latency_s`` (unchanged where they sum to
    nothing or already to it)."""
    total = sum(seconds.values())
    if total <= 0 or latency_s <= 0 or abs(total - latency_s) <= 1e-12 * latency_s:
        return dict(seconds)
    return {b: v * latency_s / total for b, v in seconds.items()}


def time_by_bound(seconds: Mapping[str, float]) -> str:
    """``"compute 62% (1.2 ms), launch overhead 38% (736 us)"``: shares of the per-layer time."""
    total = sum(seconds.values())
    if total <= 0:
        return "no time"
    parts = sorted(((v, k) for k, v in seconds.items() if v > 0), reverse=True)
    return ", ".join(f"{BOUND_WORDS.get(k, k)} {100 * v / total:.0f}% ({eng(v, 's')})" for v, k in parts)


def versus(label: str, latency_s: float, by_bound: Mapping[str, float], ref_label: str, ref_latency_s: float,
           ref_by_bound: Mapping[str, float]) -> str:
    """One line comparing two runs of a network and saying which bounds the difference comes from:
    ``"2:4 vs dense weights: 1.05 ms vs 487 us (2.16x slower); launch overhead +322 us, ..."``."""
    if ref_latency_s <= 0 or latency_s <= 0:
        return f"{label} vs {ref_label}: {eng(latency_s, 's')} vs {eng(ref_latency_s, 's')}"
    ratio = latency_s / ref_latency_s
    factor = ratio if ratio > 1 else 1 / ratio
    # 3 significant figures, but never a bare "1x faster": within 0.05 % is the same latency, and
    # 1.0005-1.005 keeps the digits that make it differ from 1.
    text = f"{factor:.3g}" if f"{factor:.3g}" != "1" else f"{factor:.3f}"
    how = "same latency" if factor < 1.0005 else f"{text}x {'slower' if ratio > 1 else 'faster'}"
    deltas = [(by_bound.get(b, 0.0) - ref_by_bound.get(b, 0.0), b) for b in BOUNDS]
    # Only differences of at least 1 % of the reference latency are worth a word.
    shown = sorted((d for d in deltas if abs(d[0]) >= 0.01 * ref_latency_s), key=lambda d: -abs(d[0]))
    parts = ", ".join(f"{BOUND_WORDS.get(b, b)} {'+' if d > 0 else '-'}{eng(abs(d), 's')}" for d, b in shown)
    return (f"{label} vs {ref_label}: {eng(latency_s, 's')} vs {eng(ref_latency_s, 's')} ({how})"
            + (f"; {parts}" if parts else ""))
