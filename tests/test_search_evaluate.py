"""Batch evaluation gives the simulator's numbers: a chunk of designs evaluated together equals
cosim.simulate of each design on its own (every layer, no shared sites)."""

from __future__ import annotations

import math

import numpy as np

import cosim
from cosim.search.evaluate import evaluate_indices
from cosim.search.samplers import permute
from cosim.search.space import parse_space
from cosim.search.specs import build_spec
from cosim.simulate import simulate

SPACE = {
    "name": "sys", "workloads": ["resnet18", "mlp"],
    "pruning": {"sparsity": ["dense", "2:4"], "bits": [8, 16]},
    "candidates": [{"name": "sys", "base": "scalesim-32x32-ws", "vary": {
        "pe_array.rows": [8, 32, 128], "pe_array.cols": [8, 32, 256], "pe_array.dataflow": ["os", "ws", "is"],
        "sram.ifmap.size_kib": [0.125, 64, 512], "sram.ofmap.size_kib": [4, 64],
        "dram.bandwidth_gb_per_s": [2, 20], "timing": ["physical", "scalesim"], "energy.leakage_mw": [0, 100]}}],
}


def _close(a: float, b: float) -> bool:
    return a == b or math.isclose(a, b, rel_tol=1e-9)


def test_batch_path_equals_full_simulation():
    space = parse_space(SPACE)
    ids = permute(np.arange(160), space.size, seed=4).tolist()
    rows = evaluate_indices(space, ids)
    statuses = set()
    for row in rows:
        p = space.point(row["id"])
        spec = build_spec(space.candidates[0], p.hw)
        if isinstance(spec, str):
            assert row["status"] == "infeasible" and row["reason"] == f"spec: {spec}"
            statuses.add("spec")
            continue
        from cosim.search.workload_variants import workload_variant

        try:
            report = simulate(workload_variant(*p.pruning_key).graph, spec)  # one design at a time
        except cosim.CosimError as e:
            assert row["status"] == "infeasible" and row["reason"] == f"simulate: {e}"
            statuses.add("tile")
            continue
        t = report.total
        statuses.add("ok")
        assert row["total_cycles"] == t.total_cycles and row["stall_cycles"] == t.stall_cycles
        assert _close(row["latency_s"], t.latency_s)
        assert _close(row["energy_j"], t.energy_pj * 1e-12)
        assert row["macs"] == t.macs and _close(row["dram_bytes"], t.dram_read_bytes + t.dram_write_bytes)
    assert statuses == {"ok", "spec", "tile"}  # the sample covers all three outcomes
