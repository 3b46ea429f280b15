"""Sparse systolic points in bulk (cosim/search/simulation.py over the systolic datapath's batch entry
point): zero gating, N:M skipping, unstructured lane skipping and compressed operands give
cosim.simulate's numbers for each design on its own, point by point."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import cosim
from cosim.cache import EvalCache
from cosim.graph import Layer, LayerGraph
from cosim.hw.loader import load_accelerator
from cosim.search.evaluate import evaluate_indices
from cosim.search.samplers import permute
from cosim.search.space import parse_space
from cosim.simulate import evaluate_network, network_walk
from cosim.walk import walk
from cosim.search.specs import build_spec, replace_fields
from cosim.search.workload_variants import workload_variant
from cosim.sparsity import Sparsity

TINY_KIB = 1 / 16  # 32 bytes a half: one 32-element edge of 8-bit words, not of 16-bit ones (a tile refused)
SPACE = {
    "name": "sparse-sys", "workloads": ["resnet18", "mlp"],
    "pruning": {"sparsity": ["2:4", "unstructured:0.6", "block:4x4:0.5"], "allocation": ["keep-ends"], "bits": [8, 16]},
    "candidates": [
        {"name": "gating", "base": "scalesim-32x32-ws-gating", "vary": {
            "pe_array.rows": [8, 32], "pe_array.dataflow": ["os", "ws", "is"], "timing": ["physical", "scalesim"],
            "sram.ofmap.size_kib": [4, 64], "dram.bandwidth_gb_per_s": [2, 20]}},
        {"name": "nm", "base": "s2ta-32x32-nm", "vary": {
            "pe_array.cols": [8, 32], "pe_array.dataflow": ["os", "ws", "is"], "timing": ["physical", "scalesim"],
            "sparsity.compressed_format": ["nm", "none", "bitmap"], "unsupported_pattern": ["dense", "error"],
            "sram.ifmap.size_kib": [TINY_KIB, 64, 512]}},
        {"name": "lanes", "base": "sparse-32x32-unstructured", "vary": {
            "pe_array.rows": [8, 32], "pe_array.cols": [16, 32], "pe_array.dataflow": ["os", "ws", "is"],
            "timing": ["physical", "scalesim"], "sparsity.compressed_format": ["bitmap", "csr", "rle", "none"],
            "sram.ofmap.size_kib": [4, 64], "energy.leakage_mw": [0, 50]}},
    ],
}


def _close(a: float, b: float) -> bool:
    return a == b or math.isclose(a, b, rel_tol=1e-9)


def _full(point, spec):
    """cosim.simulate of every layer (no dedup): its totals, or the one-line error it raises."""
    try:
        return simulate_total(workload_variant(*point.pruning_key).graph, spec)
    except cosim.CosimError as e:
        return f"simulate: {e}"


def simulate_total(graph, spec):
    return cosim.simulate(graph, spec).total


def test_sparse_points_equal_the_full_simulation():
    space = parse_space(SPACE)
    outcomes = set()
    for ci, cand in enumerate(space.candidates):
        start = sum(c.size for c in space.candidates[:ci])
        ids = (start + permute(np.arange(40), cand.size, seed=ci)).tolist()
        for row in evaluate_indices(space, ids):
            p = space.point(row["id"])
            spec = build_spec(cand, p.hw)
            assert not isinstance(spec, str), spec
            t = _full(p, spec)
            if isinstance(t, str):
                assert row["status"] == "infeasible" and row["reason"] == t, (p, row["reason"], t)
                outcomes.add("pattern" if "cannot be skipped" in t else "tile")
                continue
            assert row["status"] == "ok", (p, row["reason"])
            outcomes.add(cand.name)
            assert row["total_cycles"] == t.total_cycles and row["stall_cycles"] == t.stall_cycles, p
            assert row["macs"] == t.macs and row["effectual_macs"] == t.effectual_macs, p
            assert _close(row["latency_s"], t.latency_s) and _close(row["energy_j"], t.energy_pj * 1e-12), p
            assert _close(row["dram_bytes"], t.dram_read_bytes + t.dram_write_bytes), p
            assert _close(row["utilization"], t.utilization), p
    assert outcomes == {"gating", "nm", "lanes", "tile", "pattern"}  # every feature and both refusals met


def test_pruning_pays_on_skipping_arrays_only():
    """Gating: same cycles as dense, less energy; N:M and lane skipping: fewer cycles too."""
    vkeys = {s: ("resnet18", s, "keep-ends", 8) for s in ("dense", "2:4", "unstructured:0.75")}

    def run(preset, sparsity):
        spec = load_accelerator(preset)
        graph = workload_variant(*vkeys[sparsity]).graph
        return evaluate_network(network_walk(graph, [spec]), [spec])

    dense, gated = run("scalesim-32x32-ws-gating", "dense"), run("scalesim-32x32-ws-gating", "unstructured:0.75")
    assert gated.total_cycles[0] == dense.total_cycles[0] and gated.energy_pj[0] < dense.energy_pj[0]
    assert gated.effectual_macs[0] < gated.macs[0] == dense.macs[0]
    for preset, sparsity in (("s2ta-32x32-nm", "2:4"), ("sparse-32x32-unstructured", "unstructured:0.75")):
        assert run(preset, sparsity).total_cycles[0] < run(preset, "dense").total_cycles[0]


def test_arrays_reading_masks_keep_same_shaped_statistical_layers_apart():
    """A statistical layer's stand-in mask is drawn from its name: where lanes read it, two
    same-shaped layers differ, so they are not merged (merged, the totals would drift)."""
    vkey = ("resnet18", "unstructured:0.6", "keep-ends", 8)
    lanes, nm = load_accelerator("sparse-32x32-unstructured"), load_accelerator("s2ta-32x32-nm")
    graph = workload_variant(*vkey).graph
    assert network_walk(graph, [lanes]) is walk(graph, names_matter=True)
    assert network_walk(graph, [nm]) is walk(graph, names_matter=False)
    merged, named = walk(graph), walk(graph, names_matter=True)
    assert int(named.counts.sum()) == int(merged.counts.sum()) == len(graph.layers())
    assert len(named.sites) > len(merged.sites)
    per_layer = evaluate_network(walk(graph, distinct=False), [lanes]).total_cycles[0]
    assert evaluate_network(named, [lanes]).total_cycles[0] == per_layer
    assert evaluate_network(merged, [lanes]).total_cycles[0] != per_layer  # why names matter


def test_lane_profiles_are_computed_once_per_mask_and_array_shape():
    vkey = ("resnet18", "unstructured:0.6", "keep-ends", 8)
    base = load_accelerator("sparse-32x32-unstructured")
    w = network_walk(workload_variant(*vkey).graph, [base])
    shapes = [{"pe_array.rows": r, "pe_array.cols": c, "pe_array.dataflow": df}
              for r in (16, 32) for c in (16, 32) for df in ("os", "ws")]
    first = [replace_fields(base, {**s, "clock_mhz": 500}) for s in shapes]
    cache = EvalCache()
    evaluate_network(w, first, cache)
    profiles = cache.sizes()["lane_profile"]
    other = [replace_fields(base, {**s, "clock_mhz": mhz, "dram.bandwidth_gb_per_s": bw})
             for s in shapes for mhz in (700, 900) for bw in (5, 50)]
    res = evaluate_network(w, other, cache)
    assert cache.sizes()["lane_profile"] == profiles  # same masks and shapes: all reused
    assert len(set(res.total_cycles.tolist())) > 1


def test_first_refusal_over_the_layers_wins_as_in_the_simulator():
    """Layer a's unstructured weights are refused by an N:M array (unsupported_pattern: error) before
    layer b's 16-bit tiles are found not to fit: the point is infeasible for a's reason, not b's."""
    a = Layer.linear("a", 64, 64, tokens=8).replace(weight_sparsity=Sparsity(kind="unstructured", density=0.5))
    b = Layer.linear("b", 64, 64, tokens=8).replace(weight_bits=16, act_bits=16)
    graph = LayerGraph("two")
    graph.add(a, [])
    graph.add(b, ["a"])
    base = dataclasses.replace(load_accelerator("s2ta-32x32-nm"), unsupported_pattern="error")
    small = replace_fields(base, {"sram.ifmap.size_kib": 0.0625})  # 32 8-bit elements per half, 16 at 16 bits
    specs = [base, small, replace_fields(base, {"unsupported_pattern": "dense", "sram.ifmap.size_kib": 0.0625})]
    together = evaluate_network(walk(graph), specs)  # all three in one call
    for j, spec in enumerate(specs):
        with pytest.raises(cosim.CosimError) as e:
            cosim.simulate(graph, spec)
        assert not together.feasible[j] and together.reasons[j] == str(e.value)
    assert "cannot be skipped" in together.reasons[0] and "cannot be skipped" in together.reasons[1]
