"""Batch evaluation gives the simulator's numbers: systolic batch path = cosim.simulate, point by point."""

from __future__ import annotations

import math

import numpy as np

import cosim
from cosim.search import batch_systolic
from cosim.search import simulation
from cosim.search.evaluate import evaluate_indices
from cosim.search.simulation import distinct_layers, simulate_distinct
from cosim.search.memo import SpecMemo
from cosim.search.samplers import permute
from cosim.search.space import parse_space
from cosim.search.specs import build_spec, replace_fields
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
    assert batch_systolic.available()
    space = parse_space(SPACE)
    ids = permute(np.arange(160), space.size, seed=4).tolist()
    rows = evaluate_indices(space, ids)
    assert not simulation._SHORTCUTS_OFF
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
            report = simulate(workload_variant(*p.pruning_key).graph, spec)  # every layer, no dedup
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


def test_distinct_layers_with_multiplicity_sum_to_the_network():
    d = distinct_layers(("bert-base", "dense", "uniform", 8))
    full = cosim.load_workload("bert-base")
    assert sum(d.counts) == len(full.layers()) and len(d.layers) < len(full.layers()) / 5
    assert any(d.owners)  # fused layers (GELU into its linear, ...) stay fused
    spec = cosim.load_accelerator("scalesim-32x32-ws")
    row = simulate_distinct(d, spec)
    t = simulate(full, spec).total
    assert row["total_cycles"] == t.total_cycles and _close(row["energy_j"], t.energy_pj * 1e-12)


def test_guard_switches_to_the_full_simulation_on_disagreement(monkeypatch):
    space = parse_space(SPACE)
    ids = list(range(0, 40))
    reference = evaluate_indices(space, ids)
    real = batch_systolic._compute_energy_pj
    monkeypatch.setattr(batch_systolic, "_compute_energy_pj", lambda *a: real(*a) * 1.5)  # a drifted batch model
    monkeypatch.setattr(simulation, "_SHORTCUTS_OFF", [])
    monkeypatch.setattr(simulation, "_CALLS", {})  # the next call of each workload is a guarded one
    rows = evaluate_indices(space, ids)
    assert simulation._SHORTCUTS_OFF  # the guard noticed
    for a, b in zip(reference, rows):
        assert a["status"] == b["status"] and (a["status"] != "ok" or _close(a["energy_j"], b["energy_j"]))


def test_spec_memo_keys_on_what_the_function_reads():
    base = cosim.load_accelerator("scalesim-32x32-ws")
    calls = []

    def lanes_and_bw(spec):
        calls.append(1)
        return spec.pe_array.cols * spec.dram_bytes_per_cycle

    memo = SpecMemo(lanes_and_bw)
    a = replace_fields(base, {"pe_array.rows": 8})
    b = replace_fields(base, {"pe_array.rows": 64, "sram.ifmap.size_kib": 256})  # fields it never reads
    c = replace_fields(base, {"pe_array.cols": 64})
    assert memo(a) == memo(b) == lanes_and_bw(base) and len(calls) == 2  # 1 miss + the direct call
    assert memo(c) == 64 * base.dram_bytes_per_cycle and len(calls) == 3
    assert {d[0] for d in memo.deps} == {("pe_array", "cols"), ("dram_bytes_per_cycle",)}


def test_spec_memo_widens_its_key_when_control_flow_reads_more():
    base = cosim.load_accelerator("scalesim-32x32-ws")
    def branchy(spec):
        if spec.pe_array.dataflow == "os":
            return ("os", spec.sram.ofmap.size_kib)
        return ("other", 0)

    memo = SpecMemo(branchy)
    ws = base
    os_small = replace_fields(base, {"pe_array.dataflow": "os", "sram.ofmap.size_kib": 16})
    os_big = replace_fields(base, {"pe_array.dataflow": "os", "sram.ofmap.size_kib": 256})
    assert memo(ws) == ("other", 0)
    assert memo(os_small) == ("os", 16.0)
    assert memo(os_big) == ("os", 256.0)  # would be wrong if the key had stayed (dataflow,)
    assert memo(ws) == ("other", 0)


def test_spec_memo_steps_aside_when_it_rarely_hits():
    base = cosim.load_accelerator("scalesim-32x32-ws")
    memo = SpecMemo(lambda s: s.clock_mhz * 2, min_hit_rate=0.5, trial=8)
    for mhz in range(100, 120):  # every call a new value: no hits
        assert memo(replace_fields(base, {"clock_mhz": mhz})) == 2 * mhz
    assert memo.bypass and memo.misses == 8 and not memo.cache
