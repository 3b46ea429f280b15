"""Simulating one pruned workload on many designs: the simulator's own chain, many designs per call.

The search holds no model: it walks the pruned network once (cosim/walk.py), hands every design of a
chunk to the datapath's batch entry point through ``cosim.simulate.evaluate_network`` — the function
``cosim.simulate`` itself calls with one design — and turns the network totals into row metrics. A
sweep's numbers are therefore ``cosim.simulate``'s by construction, not by a run-time comparison.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cosim.cache import DEFAULT
from cosim.errors import CosimError
from cosim.simulate import ModelCheckError, evaluate_network, network_walk

Result = dict[str, float] | tuple[str, str]  # metrics, or (status, reason)


def _failure(e: Exception) -> tuple[str, str]:
    if isinstance(e, ModelCheckError):
        return ("error", f"simulate: {e}")
    if isinstance(e, CosimError):
        return ("infeasible", f"simulate: {e}")
    return ("error", f"simulate: {type(e).__name__}: {e}")


def simulate_many(vkey: tuple, specs: list[Any]) -> list[Result]:
    """Metrics (or a status and reason) of one pruned workload on each spec (all of one kind)."""
    if not specs:
        return []
    from cosim.search.workload_variants import workload_variant

    try:
        graph = workload_variant(*vkey).graph
        res = evaluate_network(network_walk(graph, specs), specs, DEFAULT)
    except Exception as e:  # noqa: BLE001 — recorded per point, the sweep goes on
        return [_failure(e)] * len(specs)
    energy_j = res.energy_pj * 1e-12
    dram = res.dram_read_bytes + res.dram_write_bytes
    cols = {"latency_s": res.latency_s, "energy_j": energy_j, "edp_j_s": energy_j * res.latency_s,
            "total_cycles": res.total_cycles, "stall_cycles": res.stall_cycles, "macs": res.macs,
            "effectual_macs": res.effectual_macs, "dram_bytes": dram,
            "utilization": np.where(res.total_cycles > 0, res.utilization, math.nan),
            "throughput_inferences_per_s": np.where(res.latency_s > 0, res.throughput_inferences_per_s, math.nan)}
    values = {k: np.asarray(v, dtype=np.float64).tolist() for k, v in cols.items()}
    out: list[Result] = []
    for j in range(len(specs)):
        if not res.feasible[j]:
            out.append(("infeasible", f"simulate: {res.reasons[j]}"))
        else:
            out.append({k: v[j] for k, v in values.items()})
    return out
