"""FPGA datapath: presets, the seeds' networks on a ZCU104, the DPU overlay against its published
ResNet-50 throughput, over-budget designs, and the invariants of both styles."""

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cosim
from cosim.datapaths.fpga import datapath as fpga
from cosim.datapaths.fpga import folding as ff
from cosim.errors import CosimError
from cosim.datapaths.fpga.datapath import check_feasibility
from cosim.graph import Layer, LayerGraph
from cosim.hw.fpga_spec import FpgaSpec, LayerFolding
from cosim.hw.loader import load_accelerator, preset_names, spec_from_mapping
from cosim.hw.schema import to_mapping
from cosim.simulate import simulate, simulate_layer
from cosim.sparsity import Sparsity

FPGA_PRESETS = [n for n in preset_names() if n.startswith(("zcu102", "zcu104", "u250"))]


def prune_randomly(g: LayerGraph, density: float, seed: int = 0) -> LayerGraph:
    rng = np.random.default_rng(seed)

    def f(layer):
        if not layer.has_weights:
            return layer
        return layer.replace(weight_sparsity=Sparsity.from_mask(rng.random(
            (layer.groups, layer.gemm_n, layer.gemm_k)) < density))
    return g.map_layers(f)


# ---- specs ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", FPGA_PRESETS)
def test_presets_load_and_round_trip(name):
    spec = load_accelerator(name)
    assert isinstance(spec, FpgaSpec) and spec.kind == "fpga"
    assert spec_from_mapping(to_mapping(spec)) == spec
    assert spec.peak_macs_per_cycle > 0 and spec.cycle_s > 0
    assert all(v > 0 for k, v in spec.device.budget().items() if k != "uram" or spec.device.uram)


def test_presets_cover_both_styles_on_each_board():
    styles = {(load_accelerator(n).board, load_accelerator(n).style) for n in FPGA_PRESETS}
    for board in ("ZCU102", "ZCU104", "Alveo U250"):
        assert {(board, "overlay"), (board, "dataflow")} <= styles


def test_usable_fractions_default_to_finn_limits():
    d = load_accelerator("zcu104-finn").device
    assert (d.lut_limit, d.bram_limit, d.uram_limit, d.dsp_limit) == (0.7, 0.8, 0.8, 0.8)
    assert d.budget()["dsp"] == pytest.approx(1728 * 0.8)


@pytest.mark.parametrize("change, expect", [
    ({"style": "overlay"}, "no 'overlay' section"),
    ({"device": {"part": "x", "lut": 1, "dsp": 1, "bram36": 1, "lut_limit": 1.5}}, "device.lut_limit"),
    ({"sparsity": {"mode": "gate"}}, "sparsity.mode"),
    ({"dataflow": {"folding": {"fc1": {"pe": 2, "reuse_factor": 4}}}}, "either {pe, simd} or {reuse_factor}"),
    ({"dram_efficiency": 0}, "dram_efficiency"),
])
def test_bad_specs_name_the_field(change, expect):
    data = {**to_mapping(load_accelerator("zcu104-finn")), **change}
    with pytest.raises(CosimError) as e:
        spec_from_mapping(data)
    assert expect in str(e.value) and "\n" not in str(e.value)


# ---- the seeds' networks on a ZCU104 -----------------------------------------------------------------
@pytest.mark.parametrize("workload", ["mlp", "small-cnn"])
@pytest.mark.parametrize("bits", [8, 4])
@pytest.mark.parametrize("pruned", [False, True])
@pytest.mark.parametrize("preset", ["zcu104-finn", "zcu104-finn-sparse", "zcu104-hls4ml"])
def test_seed_networks_fit_a_zcu104(workload, bits, pruned, preset):
    g = cosim.load_workload(workload, weight_bits=bits, act_bits=bits)
    if pruned:
        g = prune_randomly(g, 0.2)
    spec = load_accelerator(preset)
    report = simulate(g, spec)
    t = report.total
    assert t.throughput_inferences_per_s > 0 and t.latency_s > 0 and t.energy_pj > 0
    perfs, gp = fpga.simulate_graph(g, spec)
    used, budget = gp.details.resources, gp.details.budget
    assert all(used[r] <= budget[r] + 1e-6 for r in used)
    assert used["lut"] > 0 and used["dsp"] + used["lut"] > 0
    engines = [l for l in report.layers if hasattr(l.details, "resources")]
    assert engines and all({"lut", "dsp", "bram36", "uram"} <= set(l.details.resources) for l in engines)
    # A pipeline: throughput from the slowest stage, latency at least one interval.
    ii = gp.details.initiation_interval_cycles
    assert gp.throughput_inferences_per_s == pytest.approx(1 / (ii * spec.cycle_s))
    assert gp.details.first_inference_latency_cycles >= ii


def test_pruning_speeds_up_a_pruned_engine_design():
    g = cosim.load_workload("mlp")
    dense = fpga.simulate_graph(g, load_accelerator("zcu104-hls4ml"))[1]
    sparse = fpga.simulate_graph(prune_randomly(g, 0.2), load_accelerator("zcu104-hls4ml"))[1]
    assert sparse.throughput_inferences_per_s > dense.throughput_inferences_per_s


def test_norm_and_activation_are_absorbed_into_the_engine():
    g = cosim.load_workload("small-cnn")
    perfs, _ = fpga.simulate_graph(g, load_accelerator("zcu104-finn"))
    by = dict(zip((l.name for l in g.layers()), perfs))
    assert by["relu1"].total_cycles == 0 and by["relu1"].details.fused_into == "conv1"
    assert by["relu1"].actions["lut:op"] > 0
    assert by["pool1"].total_cycles > 0  # a pool is a stage of its own


def test_batch_fills_the_pipeline_once():
    spec = load_accelerator("zcu104-finn")
    one = fpga.simulate_graph(cosim.load_workload("mlp"), spec)[1]
    eight = fpga.simulate_graph(cosim.load_workload("mlp", batch=8), spec)[1]
    ii = eight.details.initiation_interval_cycles
    assert eight.total_cycles == pytest.approx(eight.details.first_inference_latency_cycles + 7 * ii, abs=1)
    assert eight.total_cycles < 8 * one.total_cycles


def test_user_folding_is_used():
    base = load_accelerator("zcu104-finn")
    spec = dataclasses.replace(base, dataflow=dataclasses.replace(base.dataflow, folding={
        "fc1": LayerFolding(pe=4, simd=16), "fc2": LayerFolding(reuse_factor=64)}))
    perfs, gp = fpga.simulate_graph(cosim.load_workload("mlp"), spec)
    assert gp.details.folding["fc1"] == {"pe": 4, "simd": 16}
    assert perfs[0].compute_cycles == (128 // 4) * (784 // 16)
    bad = dataclasses.replace(base, dataflow=dataclasses.replace(base.dataflow, folding={"relu1": LayerFolding(pe=2)}))
    with pytest.raises(CosimError, match="not an engine"):
        fpga.simulate_graph(cosim.load_workload("mlp"), bad)


# ---- overlay ----------------------------------------------------------------------------------------
def test_resnet50_on_zcu102_dpu_within_25_percent_of_published_throughput():
    # Reference: Vitis AI 1.4 Model Zoo, ZCU102 (0432055-05) with 3 x B4096 @ 281 MHz,
    # cf_resnet50_imagenet_224_224_7.7G: 173.6 fps multi-thread end-to-end.
    spec = load_accelerator("zcu102-dpu")
    assert (spec.overlay.cores, spec.overlay.macs_per_cycle, spec.clock_mhz) == (3, 2048, 281)
    report = simulate(cosim.load_workload("resnet50"), spec)
    fps = report.total.throughput_inferences_per_s
    assert abs(fps / 173.6 - 1) < 0.25
    assert report.total.total_cycles >= cosim.load_workload("resnet50").macs / 2048  # one core runs one image


def test_overlay_cycles_respect_the_roofline():
    spec = load_accelerator("zcu104-dpu")
    g = cosim.load_workload("small-cnn")
    for layer, perf in zip(g.layers(), fpga.simulate_graph(g, spec)[0]):
        if layer.is_compute:
            assert perf.total_cycles >= layer.macs / spec.overlay.macs_per_cycle
            dram_bytes = perf.dram_read_bytes + perf.dram_write_bytes
            assert perf.total_cycles >= dram_bytes / spec.overlay.axi_bytes_per_cycle


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["pixel_parallelism", "input_channel_parallelism", "output_channel_parallelism"]),
       st.integers(1, 16), st.sampled_from([0.5, 1.0, 4.0]))
def test_more_overlay_parallelism_or_bandwidth_never_costs_cycles(field, extra, bw_scale):
    # More MAC lanes never cost compute cycles (a larger engine loads a larger first tile, so its
    # fill may grow); more DRAM bandwidth never costs cycles at all.
    spec = load_accelerator("zcu104-dpu")
    g = cosim.load_workload("small-cnn")
    bigger = dataclasses.replace(spec, overlay=dataclasses.replace(
        spec.overlay, **{field: getattr(spec.overlay, field) + extra}),
        device=dataclasses.replace(spec.device, dsp=100000, lut=10**7, bram36=10**5, uram=10**4))
    compute = lambda s: sum(p.compute_cycles for p in fpga.simulate_graph(g, s)[0])  # noqa: E731
    assert compute(bigger) <= compute(spec)
    base = dataclasses.replace(spec, dram=dataclasses.replace(spec.dram, bandwidth_gb_per_s=19.2 * bw_scale))
    more_bw = dataclasses.replace(spec, dram=dataclasses.replace(spec.dram, bandwidth_gb_per_s=19.2 * bw_scale * 2))
    total = lambda s: sum(p.total_cycles for p in fpga.simulate_graph(g, s)[0])  # noqa: E731
    assert total(more_bw) <= total(base)


def test_overlay_cores_share_dram():
    spec = load_accelerator("zcu102-dpu")
    g = cosim.load_workload("resnet50")
    _, three = fpga.simulate_graph(g, spec)
    _, one = fpga.simulate_graph(g, dataclasses.replace(spec, overlay=dataclasses.replace(spec.overlay, cores=1)))
    # Three cores beat one, but by less than 3x: they split the DRAM bandwidth.
    assert one.throughput_inferences_per_s < three.throughput_inferences_per_s < 3 * one.throughput_inferences_per_s
    assert three.latency_cycles == one.latency_cycles  # one image runs on one core either way


def test_zero_skipping_overlay_uses_masks():
    spec = load_accelerator("zcu104-dpu")
    skip = dataclasses.replace(spec, sparsity=dataclasses.replace(spec.sparsity, mode="skip"))
    g = cosim.load_workload("small-cnn")
    pruned = prune_randomly(g, 0.25)
    dense_c = sum(p.compute_cycles for p in fpga.simulate_graph(g, skip)[0])
    sparse = fpga.simulate_graph(pruned, skip)[0]
    assert sum(p.compute_cycles for p in sparse) < dense_c
    assert {p.sparsity_source for p, l in zip(sparse, pruned.layers()) if l.has_weights} == {"mask"}


# ---- dense-zero sparsity ------------------------------------------------------------------------------
@pytest.mark.parametrize("preset", ["zcu104-dpu", "zcu104-finn", "zcu104-finn-sparse", "zcu104-hls4ml"])
def test_all_ones_mask_equals_dense(preset):
    g = cosim.load_workload("small-cnn")
    ones = g.map_layers(lambda l: l.replace(weight_sparsity=Sparsity.from_mask(
        np.ones((l.groups, l.gemm_n, l.gemm_k), dtype=bool))) if l.has_weights else l)
    spec = load_accelerator(preset)
    a, b = fpga.simulate_graph(g, spec)[0], fpga.simulate_graph(ones, spec)[0]
    assert [p.total_cycles for p in a] == [p.total_cycles for p in b]
    assert [dict(p.actions) for p in a] == [dict(p.actions) for p in b]


# ---- over budget ---------------------------------------------------------------------------------------
def test_over_budget_dataflow_names_resource_amount_and_layer():
    g = cosim.load_workload("resnet50")
    spec = load_accelerator("zcu104-finn")
    violations = check_feasibility(g, spec)
    bram = [v for v in violations if v.resource == "bram36"]
    assert bram and bram[0].over > 0 and bram[0].layer in g and bram[0].layer_amount > 0
    assert bram[0].used == pytest.approx(bram[0].budget + bram[0].over)
    with pytest.raises(CosimError) as e:
        simulate(g, spec)
    msg = str(e.value)
    assert "does not fit" in msg and "over budget" in msg and "largest user is layer" in msg


def test_over_budget_overlay_is_flagged():
    spec = load_accelerator("zcu102-dpu")
    big = dataclasses.replace(spec, overlay=dataclasses.replace(spec.overlay, cores=4))
    v = check_feasibility(cosim.load_workload("mlp"), big)
    assert [x.resource for x in v] == ["dsp"] and v[0].layer == "(overlay engine)"
    assert v[0].over == pytest.approx(4 * 704 - 2520 * 0.85)
    assert check_feasibility(cosim.load_workload("mlp"), spec) == []


def test_cli_exits_2_on_an_infeasible_design(capsys):
    from cosim.cli import main

    with pytest.raises(SystemExit) as e:
        main(["simulate", "-a", "zcu104-finn", "-w", "resnet50", "-q"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "BRAM36" in err and err.count("\n") == 1


# ---- pruning never increases BRAM -------------------------------------------------------------------
@st.composite
def layer_and_masks(draw):
    if draw(st.booleans()):
        layer = Layer.conv2d("c", draw(st.sampled_from([3, 8, 16])), draw(st.sampled_from([8, 16, 32])),
                             draw(st.sampled_from([8, 14])), 3)
    else:
        layer = Layer.linear("f", draw(st.sampled_from([64, 256, 784])), draw(st.sampled_from([10, 64, 128])))
    rng = np.random.default_rng(draw(st.integers(0, 10**6)))
    shape = (layer.groups, layer.gemm_n, layer.gemm_k)
    looser = rng.random(shape) < draw(st.floats(0.2, 1.0))
    looser.flat[0] = True  # keep one weight, so that every mask here is a valid pruned layer
    tighter = looser & (rng.random(shape) < draw(st.floats(0.05, 1.0)))
    tighter.flat[0] = True
    pe = draw(st.sampled_from(ff.divisors(layer.gemm_n)))
    simd = draw(st.sampled_from(ff.divisors(layer.gemm_k)))
    return layer, looser, tighter, pe, simd


def _with_mask(layer, mask):
    return layer.replace(weight_sparsity=Sparsity.from_mask(mask))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layer_and_masks(), st.sampled_from(["none", "skip", "prune"]), st.sampled_from(["bram", "auto"]))
def test_pruning_never_increases_bram(case, mode, memory):
    """Pruning more weights (a sub-mask) never increases BRAM at a fixed folding. A zero-skipping
    engine stores an index with every weight, so turning a dense layer into a skip engine is the
    one step that may add BRAM; from any pruned layer on, pruning more never does."""
    layer, looser, tighter, pe, simd = case
    if mode == "skip":
        looser = looser.copy()
        looser.flat[-1] = False  # the skip engine compares sparse with sparser
        tighter = tighter & looser
    ctx = ff.EngineContext(mode=mode, memory_style=memory, has_uram=False)
    bram = lambda m, c=ctx: ff.compute_stage(_with_mask(layer, m), pe, simd, c).resources  # noqa: E731
    assert bram(tighter).bram36 <= bram(looser).bram36
    if mode != "skip":
        assert bram(looser).bram36 <= ff.compute_stage(layer, pe, simd, ctx).resources.bram36
    # With URAM on the part, the on-chip memory in BRAM36-equivalents never grows either.
    ctx_u = dataclasses.replace(ctx, has_uram=True, memory_style="auto")
    assert bram(tighter, ctx_u).bram36_equivalent <= bram(looser, ctx_u).bram36_equivalent


# ---- energy -----------------------------------------------------------------------------------------------
def test_every_action_is_priced_and_energy_is_bounded_below():
    from cosim.hw.energy_tables import table_for

    spec = load_accelerator("zcu104-finn")
    table = table_for(spec)
    g = cosim.load_workload("small-cnn")
    perfs, _ = fpga.simulate_graph(g, spec)
    for p in perfs:
        assert set(a for a, c in p.actions.items() if c) <= set(table)
    report = simulate(g, spec)
    assert report.total.energy_pj >= g.macs * table["dsp:mac_int8"]
    dsp_macs = sum(p.actions.get("dsp:mac_int8", 0) for p in perfs)
    assert dsp_macs == g.macs  # dense int8: every MAC on a DSP
    lut_design = dataclasses.replace(spec, arithmetic=dataclasses.replace(spec.arithmetic, multipliers="lut"))
    assert sum(p.actions.get("dsp:mac_int8", 0) for p in fpga.simulate_graph(g, lut_design)[0]) == 0


def test_simulate_layer_runs_one_engine():
    layer = Layer.conv2d("c", 16, 32, 14, 3)
    for preset in ("zcu104-finn", "zcu104-dpu"):
        perf = simulate_layer(layer, load_accelerator(preset))
        assert perf.total_cycles > 0 and perf.macs == layer.macs
