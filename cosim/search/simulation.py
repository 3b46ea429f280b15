"""Simulating one pruned workload on many designs: the simulator's own chain, many designs per call.

The search holds no model: it walks the pruned network once (cosim/walk.py), hands every design of a
chunk to the datapath's batch entry point through ``cosim.simulate.evaluate_network`` — the function
``cosim.simulate`` itself calls with one design — and turns the network totals into row metrics. A
sweep's numbers are therefore ``cosim.simulate``'s by construction, not by a run-time comparison.
"""

from __future__ import annotations

import math

import numpy as np

from cosim.cache import DEFAULT
from cosim.errors import CosimError
from cosim.hw.designs import Designs
from cosim.simulate import ModelCheckError, evaluate_network, network_walk

def _failure(e: Exception) -> tuple[str, str]:
    if isinstance(e, ModelCheckError):
        return ("error", f"simulate: {e}")
    if isinstance(e, CosimError):
        return ("infeasible", f"simulate: {e}")
    return ("error", f"simulate: {type(e).__name__}: {e}")


def simulate_designs(vkey: tuple, designs: Designs, memo_path: str = "",
                     accelerator: str = "") -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """(status, reason, metrics) arrays of one pruned workload on each of ``designs`` (one kind);
    ``memo_path``: the sweep store whose trained recipes to use (cosim/search/recipes.py)."""
    from cosim.search.workload_variants import workload_variant

    n = len(designs)
    status = np.full(n, "ok", dtype=object)
    reason = np.full(n, "", dtype=object)
    try:
        graph = workload_variant(*vkey, memo_path=memo_path, accelerator=accelerator).graph
        res = evaluate_network(network_walk(graph, designs), designs, DEFAULT)
    except Exception as e:  # noqa: BLE001 — recorded per point, the sweep goes on
        status[:], reason[:] = _failure(e)
        return status, reason, {}
    energy_j = res.energy_pj * 1e-12
    with np.errstate(invalid="ignore"):
        metrics = {
            "latency_s": res.latency_s, "energy_j": energy_j, "edp_j_s": energy_j * res.latency_s,
            "total_cycles": res.total_cycles, "stall_cycles": res.stall_cycles, "macs": res.macs,
            "effectual_macs": res.effectual_macs, "dram_bytes": res.dram_read_bytes + res.dram_write_bytes,
            "utilization": np.where(res.total_cycles > 0, res.utilization, math.nan),
            "throughput_inferences_per_s": np.where(res.latency_s > 0, res.throughput_inferences_per_s, math.nan),
            "peak_macs_per_cycle": res.perf.peak_macs_per_cycle, "area_mm2": res.area_mm2}
    metrics = {k: np.asarray(v, dtype=np.float64) for k, v in metrics.items()}
    for j in np.flatnonzero(~res.feasible):
        status[j], reason[j] = "infeasible", f"simulate: {res.reasons[j]}"
        for k in metrics:
            if k not in ("peak_macs_per_cycle", "area_mm2"):
                metrics[k][j] = math.nan
    return status, reason, metrics
