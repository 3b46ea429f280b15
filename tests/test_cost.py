"""The price of a design (cosim/hw/cost.py): area in every report, static power from area × leakage
density, energy ≥ leakage × time, lane decoupling, area as a search bound."""

import json
import math
import subprocess
import sys
from dataclasses import replace

import pytest
from hypothesis import given, settings, strategies as st

import cosim
from cosim.graph import Layer
from cosim.hw.area import systolic_area_mm2
from cosim.hw.spec import EnergySpec, PEArraySpec, SparseFeatures, SramHierarchy, SramSpec, SystolicSpec
from cosim.hw.static_power import leakage_by_component_mw, leakage_mw_per_mm2
from cosim.simulate import simulate_layer
from cosim.sparsity import Sparsity

PRESETS = ["scalesim-32x32-ws", "scalesim-32x32-os", "s2ta-32x32-nm", "sparse-32x32-unstructured",
           "tpu-v1-256x256-ws", "edge-16x16", "edge-nm", "h100-sxm", "a100", "zcu102-dpu", "zcu104-finn"]


def _spec(rows=8, cols=8, kib=64.0, node=45.0, leakage="area", feats=SparseFeatures()):
    buf = SramSpec(size_kib=kib)
    return SystolicSpec(name="t", pe_array=PEArraySpec(rows=rows, cols=cols), sram=SramHierarchy(buf, buf, buf),
                        energy=EnergySpec(technology_nm=node, leakage_model=leakage), sparsity=feats, mapper="off")


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_report_has_a_positive_area_by_component(preset):
    graph = cosim.load_workload("small-cnn")
    t = cosim.simulate(graph, cosim.load_accelerator(preset)).total
    assert t.area_mm2 > 0 and t.area_mm2 == pytest.approx(sum(t.area_mm2_by_component.values()))
    assert t.static_power_mw >= 0
    if preset.startswith(("zcu", "u250")):
        assert 0 < t.board_fraction <= 1
    else:
        assert math.isnan(t.board_fraction)


def test_gpu_presets_carry_their_published_die_area():
    assert cosim.load_accelerator("h100-sxm").die_area_mm2 == 814  # NVIDIA H100 whitepaper
    assert cosim.load_accelerator("a100").die_area_mm2 == 826  # NVIDIA A100 whitepaper


def test_leakage_is_area_times_the_aladdin_density():
    # 40 nm TSMC G (Aladdin): (0.0015927 + 0.0239328) mW over (199.584 + 2108.333) µm².
    assert leakage_mw_per_mm2("logic", 40) == pytest.approx(25.5255e-3 / 2307.917e-6, rel=1e-3)
    spec = _spec()
    parts = systolic_area_mm2(spec)
    t = cosim.simulate(cosim.load_workload("mlp"), spec).total
    assert t.static_power_mw == pytest.approx(sum(leakage_by_component_mw(parts, 45).values()))
    assert t.energy_pj_by_component["leakage"] == pytest.approx(t.static_power_mw * 1e-3 * t.latency_s * 1e12)


def test_fixed_leakage_model_charges_leakage_mw_only():
    spec = replace(_spec(leakage="fixed"), energy=EnergySpec(leakage_mw=7.0))
    t = cosim.simulate(cosim.load_workload("mlp"), spec).total
    assert t.static_power_mw == 7.0


@settings(max_examples=25, deadline=None)
@given(st.sampled_from([4, 8, 16]), st.sampled_from([4, 8, 16]), st.sampled_from([16.0, 64.0, 256.0]),
       st.sampled_from([16.0, 28.0, 45.0, 65.0]), st.sampled_from([1e-2, 1.0, 1e3]))
def test_energy_is_at_least_leakage_times_time(rows, cols, kib, node, bw):
    spec = replace(_spec(rows, cols, kib, node), dram=replace(_spec().dram, bandwidth_gb_per_s=bw))
    t = cosim.simulate(cosim.load_workload("mlp"), spec).total
    leak_pj = t.static_power_mw * 1e-3 * t.latency_s * 1e12
    assert t.static_power_mw > 0
    assert t.energy_pj >= leak_pj * (1 - 1e-12)


def test_stalls_cost_static_energy():
    """The same work on a starved DRAM takes longer, and the extra time leaks."""
    fast = replace(_spec(), dram=replace(_spec().dram, bandwidth_gb_per_s=1e3))
    slow = replace(_spec(), dram=replace(_spec().dram, bandwidth_gb_per_s=0.1))
    g = cosim.load_workload("mlp")
    a, b = cosim.simulate(g, fast).total, cosim.simulate(g, slow).total
    assert b.latency_s > a.latency_s
    assert b.energy_pj_by_component["leakage"] > a.energy_pj_by_component["leakage"]


def _unstructured_layer():
    return Layer.linear("fc", 256, 256, tokens=64).replace(weight_sparsity=Sparsity(kind="unstructured", density=0.2))


def test_a_rigid_array_gets_no_lane_skipping_speedup():
    layer = _unstructured_layer()
    dense = simulate_layer(layer, _spec())
    rigid = simulate_layer(layer, _spec(feats=SparseFeatures(zero_gating=True, skipping="unstructured")))
    decoupled = simulate_layer(layer, _spec(feats=SparseFeatures(zero_gating=True, skipping="unstructured",
                                                                   lane_decoupling=True)))
    assert rigid.compute_cycles == dense.compute_cycles
    assert rigid.gated_macs > 0  # gating still saves energy
    assert decoupled.compute_cycles < dense.compute_cycles
    assert "lane_decoupling: false" in rigid.details.sparse.weight_run


def test_lane_decoupling_costs_sigma_area():
    rigid = systolic_area_mm2(_spec(feats=SparseFeatures(skipping="unstructured")))
    decoupled = systolic_area_mm2(_spec(feats=SparseFeatures(skipping="unstructured", lane_decoupling=True)))
    assert "sparse_lanes" not in rigid
    assert decoupled["sparse_lanes"] == pytest.approx(0.38 * (rigid["mac"] + rigid["registers"]))


ENTRY = "import sys; from cosim.cli import main; sys.exit(main())"


def _cli(*args):
    p = subprocess.run([sys.executable, "-c", ENTRY, *args], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def test_report_json_and_table_carry_area(tmp_path):
    out = tmp_path / "r.json"
    code, text, err = _cli("simulate", "-a", "scalesim-32x32-ws", "-w", "mlp", "--json", str(out))
    assert code == 0, err
    total = json.loads(out.read_text())["total"]
    assert total["area_mm2"] > 0 and total["area_mm2_by_component"]["mac"] > 0 and total["static_power_mw"] > 0
    assert "cost: area" in text


def test_area_bound_on_sweep_and_pareto(tmp_path):
    code, _, err = _cli("sweep", "systolic-grid", "--sampler", "random", "-n", "40", "--out", str(tmp_path),
                        "--executor", "serial", "--no-progress", "--no-plots", "--max-area-mm2", "3")
    assert code == 0, err
    from cosim.search.store import ResultStore

    with ResultStore(tmp_path / "sweep.sqlite") as st:
        _, area = st.metric_arrays(["area_mm2"])
        assert len(area) > 0 and (area <= 3).all()
        _, bad = st.column("reason", status="infeasible")
    assert any("area_mm2" in r and "> max 3" in r for r in bad)
    code, out, err = _cli("pareto", str(tmp_path), "--x", "latency_s", "--y", "area_mm2", "--max-area-mm2", "0.001")
    assert code == 2
    lines = [l for l in err.strip().splitlines() if l]
    assert len(lines) == 1 and "empty front" in lines[0] and "area_mm2 <= 0.001" in lines[0]


def test_the_tour_space_front_trades_latency_energy_and_area(tmp_path):
    """README tour space: ≥ 5 designs on the latency × energy × area front, none dominating the rest."""
    import numpy as np

    from cosim.search.front import front_table
    from cosim.search.space import load_space
    from cosim.search.store import ResultStore
    from cosim.search.sweep import run_sweep

    space = load_space("systolic-grid")
    assert space.objectives == ("latency_s", "energy_j", "area_mm2")
    res = run_sweep(space, tmp_path, sampler="random", points=300, seed=3, executor="serial", progress=False)
    with ResultStore(res.store_path) as st:
        table = front_table(st, space.objectives)
    front = table.values[table.on_front]
    assert len(front) >= 5
    for row in front:  # a design that dominated every other would be the only one on the front
        assert not (row <= front).all(axis=1).all()
    assert np.isfinite(front).all()


def test_leakage_density_follows_the_node_from_the_measured_point():
    from cosim.hw.area_scaling import logic_area_factor
    from cosim.hw.scaling import relative_energy_per_op
    from cosim.hw.static_power import node_leakage_factor

    assert node_leakage_factor(40, 40) == pytest.approx(1.0)
    # 65 nm: Stillmaker & Baas energy factor over their area factor, from the 40 nm Aladdin point
    want = 11.06 * (relative_energy_per_op(65) / relative_energy_per_op(40)) / (logic_area_factor(65) / logic_area_factor(40))
    assert leakage_mw_per_mm2("logic", 65) == pytest.approx(want, rel=1e-3)
    assert leakage_mw_per_mm2("whitespace", 7) == 0.0


def test_placement_filler_takes_area_but_does_not_leak():
    spec = _spec()
    parts = systolic_area_mm2(spec)
    assert parts["uncore_placement"] > 0
    assert leakage_by_component_mw(parts, 45)["uncore_placement"] == 0.0
    assert leakage_by_component_mw(parts, 45)["uncore"] > 0


def test_fpga_static_power_is_the_powered_fabric_times_leakage_density():
    """UG440: logic, DSP and clock are always powered; block RAM / UltraRAM only where used."""
    from cosim.hw.area import fpga_area_mm2
    from cosim.hw.static_power import fpga_static_power_mw

    spec = cosim.load_accelerator("zcu104-finn-sparse")
    dev = spec.device
    few = {"lut": 1000.0, "dsp": 10.0, "bram36": 4.0}
    more_bram = {**few, "bram36": 40.0}
    powered = fpga_area_mm2(spec, {"lut": dev.lut, "dsp": dev.dsp, "bram36": 4.0})
    want = sum(powered.values()) * leakage_mw_per_mm2("logic", 16)  # every fabric tile: the logic class
    assert fpga_static_power_mw(spec, few) == pytest.approx(want)
    assert fpga_static_power_mw(spec, more_bram) > fpga_static_power_mw(spec, few) > 0
    # unused LUTs leak too: a design using more of them pays no more static power
    assert fpga_static_power_mw(spec, {**few, "lut": 2000.0}) == pytest.approx(fpga_static_power_mw(spec, few))
    fixed = replace(spec, energy=replace(spec.energy, leakage_model="fixed", leakage_mw=5.0))
    assert fpga_static_power_mw(fixed, few) == 5.0
