"""The sparse-tensor-core datapath: waves, N:M skipping, rooflines, unsupported patterns, vector
layers, and the calibration bars against real H100 timings (CSV files; no GPU needed)."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cosim.datapaths.tensor_core.gemm_timing import wave_count
from cosim.datapaths.tensor_core.model import pattern_run
from cosim.simulate import simulate_layer
from cosim.errors import CosimError
from cosim.graph import Layer, LayerGraph
from cosim.hw.loader import load_accelerator, spec_from_mapping
from cosim.sparsity import Sparsity

ROOT = Path(__file__).resolve().parents[1]
H100 = load_accelerator("h100-sxm")
PRESETS = {n: load_accelerator(n) for n in ("h100-sxm", "a100", "edge-nm")}


def toy_spec(**over):
    """132 SMs, 2048 fp16 MACs/cycle each, one 128x128x64 tile, unlimited feed and DRAM, no L2, no
    overhead, no power cap: every cycle count below can be checked by hand."""
    d = {"name": "toy", "kind": "sparse_tensor_core", "sm_count": 132, "clock_mhz": 1000,
         "macs_per_cycle_per_sm": {"fp16": 2048}, "feed_bytes_per_cycle_per_sm": 1e12,
         "dense_kernel": {"tiles": [[128, 128]], "k_step": 64},
         "sparse_kernel": {"tiles": [[128, 128]], "k_step": 64},
         "dram": {"technology": "hbm3", "bandwidth_gb_per_s": 1e9},
         "energy": {"table": "horowitz45", "technology_nm": 7}}
    d.update(over)
    return spec_from_mapping(d)


def linear(rows, k, tokens, sp=None, bits=16, name="fc", **kw):
    """W (rows x k) @ X (k x tokens) as a cosim linear layer."""
    return Layer.linear(name, in_features=k, out_features=rows, tokens=tokens, weight_bits=bits, act_bits=bits,
                        out_bits=bits, weight_sparsity=sp or Sparsity(), **kw)


# ---- waves and steps, by hand -------------------------------------------------------------------------
def test_wave_count_is_a_ceiling():
    assert wave_count(132, 132) == 1
    assert wave_count(133, 132) == 2
    assert wave_count(1, 132) == 1
    assert wave_count(265, 132) == 3


def test_133_tiles_on_132_sms_take_two_waves():
    s = toy_spec()
    # 128x128x64 step: 128*128*64 / 2048 = 512 cycles; K = 640 -> 10 steps -> 5120 cycles per wave.
    one = simulate_layer(linear(132 * 128, 640, 128), s)
    two = simulate_layer(linear(133 * 128, 640, 128), s)
    assert (one.details.tiles, one.details.waves) == (132, 1)
    assert (two.details.tiles, two.details.waves) == (133, 2)
    assert one.compute_cycles == pytest.approx(5120, abs=1)
    assert two.compute_cycles == pytest.approx(10240, abs=1)
    # the second wave holds one tile: the chip is busy 133 / 264 of its SM slots
    assert two.mapping_efficiency == pytest.approx(133 / 264)


def test_2to4_halves_the_math_of_a_math_bound_gemm():
    s = toy_spec()
    dense = simulate_layer(linear(132 * 128, 640, 128), s)
    sparse = simulate_layer(linear(132 * 128, 640, 128, Sparsity.nm_pattern(2, 4)), s)
    assert sparse.compute_cycles == pytest.approx(2560, abs=1)  # 256-cycle steps
    assert dense.compute_cycles / sparse.compute_cycles == pytest.approx(2.0, rel=1e-3)
    assert sparse.details.math_speedup == 2.0
    assert sparse.actions["mac:fp16"] == dense.actions["mac:fp16"] / 2
    assert sparse.skipped_macs == dense.macs // 2


# ---- N:M patterns ---------------------------------------------------------------------------------------
def test_metadata_is_two_bits_per_kept_weight_for_2to4():
    layer = linear(256, 1024, 64, Sparsity.nm_pattern(2, 4))
    p = simulate_layer(layer, H100)
    assert p.metadata_bytes == 256 * 1024 // 2 * 2 // 8


def test_1to4_runs_as_2to4_on_h100_and_4x_on_the_edge_npu():
    layer = linear(4096, 4096, 4096, Sparsity.nm_pattern(1, 4), bits=8)
    assert pattern_run(layer, H100).speedup == 2.0
    assert pattern_run(layer, PRESETS["edge-nm"]).speedup == 4.0
    # 1:8 fits 2:4 (at most one nonzero in any four); 3:8 does not
    assert pattern_run(linear(64, 64, 8, Sparsity.nm_pattern(1, 8)), H100).speedup == 2.0
    assert pattern_run(linear(64, 64, 8, Sparsity.nm_pattern(3, 8)), H100).speedup == 1.0


def test_unsupported_patterns_run_dense_or_fail_in_one_line():
    dense = simulate_layer(linear(1024, 1024, 512), H100)
    for sp in (Sparsity(kind="unstructured", density=0.5), Sparsity(kind="block", density=0.5, block_h=4, block_w=4),
               Sparsity.nm_pattern(3, 8)):
        p = simulate_layer(linear(1024, 1024, 512, sp), H100)
        assert p.total_cycles == dense.total_cycles and p.skipped_macs == 0
        assert "run dense" in p.details.pattern
    strict = dataclasses.replace(H100, unsupported_pattern="error")
    with pytest.raises(CosimError, match="layer 'fc': unstructured:0.50 weight sparsity cannot be skipped") as e:
        simulate_layer(linear(1024, 1024, 512, Sparsity(kind="unstructured", density=0.5)), strict)
    assert "\n" not in str(e.value)
    dense_core = dataclasses.replace(H100, sparsity=dataclasses.replace(H100.sparsity, skipping="none", nm_patterns=()))
    assert pattern_run(linear(64, 64, 8, Sparsity.nm_pattern(2, 4)), dense_core).speedup == 1.0


def _mask_2to4(rows, k, seed=0):
    rng = np.random.default_rng(seed)
    m = np.zeros((1, rows, k), bool)
    for r in range(rows):
        for g in range(0, k, 4):
            m[0, r, g + rng.choice(4, 2, replace=False)] = True
    return m


def test_masks_are_checked_group_by_group():
    rows, k = 64, 128
    good = Sparsity.from_mask(_mask_2to4(rows, k), kind="nm", n=2, m=4)
    assert pattern_run(linear(rows, k, 256, good), H100).speedup == 2.0
    bad = _mask_2to4(rows, k)
    bad[0, 3, 0:4] = True  # one group of four with four nonzeros
    assert pattern_run(linear(rows, k, 256, Sparsity.from_mask(bad)), H100).speedup == 1.0
    # an unstructured-labelled mask that happens to be 2:4 is skipped too
    assert pattern_run(linear(rows, k, 256, Sparsity.from_mask(_mask_2to4(rows, k))), H100).speedup == 2.0


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_dense_masks_reproduce_dense_exactly(name):
    spec = PRESETS[name]
    base = linear(768, 512, 384)
    ref = simulate_layer(base, spec)
    for sp in (Sparsity.from_mask(np.ones((1, 768, 512), bool)), Sparsity(kind="nm", density=1.0, n=4, m=4),
               Sparsity(kind="unstructured", density=1.0)):
        p = simulate_layer(base.replace(weight_sparsity=sp), spec)
        assert dataclasses.replace(p, sparsity_source="dense") == dataclasses.replace(ref, sparsity_source="dense")


def test_channel_pruning_shrinks_the_gemm():
    full = simulate_layer(linear(4096, 4096, 4096), H100)
    half = simulate_layer(linear(4096, 4096, 4096, Sparsity(kind="channel", density=0.5)), H100)
    assert half.actions["mac:fp16"] == full.actions["mac:fp16"] / 2
    assert half.total_cycles < full.total_cycles


def test_dual_side_skips_activation_zeros_only_when_the_spec_says_so():
    layer = linear(4096, 4096, 4096, Sparsity.nm_pattern(2, 4), act_density=0.5)
    one = simulate_layer(layer, toy_spec())
    both = simulate_layer(layer, toy_spec(dual_side_sparse=True))
    assert both.actions["mac:fp16"] == one.actions["mac:fp16"] / 2
    assert both.compute_cycles < one.compute_cycles


# ---- layers other than a plain linear -------------------------------------------------------------------
def test_conv_is_lowered_by_im2col():
    conv = Layer.conv2d("c", 64, 128, 56, 3, batch=2, weight_bits=16, act_bits=16, out_bits=16)
    fc = linear(128, 64 * 9, 2 * 56 * 56)  # the im2col GEMM: 128 filters, K = 64*3*3, 2*56*56 positions
    a, b = simulate_layer(conv, H100), simulate_layer(fc, H100)
    assert a.compute_cycles == b.compute_cycles and a.actions["mac:fp16"] == b.actions["mac:fp16"]
    assert a.sram_read_bytes == b.sram_read_bytes  # the im2col matrix streams into the SMs
    cold = dataclasses.replace(H100, l2_reuse=False)
    a, b = simulate_layer(conv, cold), simulate_layer(fc, cold)
    assert a.dram_read_bytes == 128 * 576 * 2 + 2 * 64 * 56 * 56 * 2  # weights + the input tensor
    assert b.dram_read_bytes == 128 * 576 * 2 + 576 * 2 * 56 * 56 * 2  # weights + the whole matrix


def test_vector_layers_are_memory_bound_kernels():
    s = toy_spec(dram={"technology": "hbm3", "bandwidth_gb_per_s": 1000.0}, dense_kernel={
        "tiles": [[128, 128]], "overhead_us": 2.0})
    add = Layer.vector("add", "add", channels=1024, hw=(1, 1024), act_bits=16, out_bits=16)
    p = simulate_layer(add, s)
    moved = 2 * 1024 * 1024 * 2 + 1024 * 1024 * 2  # two operands read, one result written (fp16)
    assert p.dram_read_bytes + p.dram_write_bytes == moved
    assert p.total_cycles == round((2e-6 + moved / (1000e9 * s.dram_efficiency)) * 1e9)
    assert p.macs == 0 and p.vector_ops == 1024 * 1024 and p.actions["vector:op"] == 1024 * 1024


def test_networks_keep_weights_in_l2_only_when_all_of_them_fit():
    from cosim.simulate import evaluate_network
    from cosim.walk import walk

    def simulate_graph(g, spec):  # the network's layers, one site each, and the network's details
        res = evaluate_network(walk(g, distinct=False), [spec])
        return [res.perf.layer_perf(i, 0) for i in range(len(g))], res

    def mlp(width, tokens=256):
        g = LayerGraph(f"mlp{width}")
        g.add(linear(width, width, tokens, name="fc1"))
        g.add(Layer.vector("act", "act", channels=width, hw=(1, tokens), act_bits=16, out_bits=16), "fc1")
        g.add(linear(width, width, tokens, name="fc2"), "act")
        return g

    perfs, gp = simulate_graph(mlp(1024), H100)  # 2 x 2 MiB of weights: stay in the 50 MB L2
    fc1, act, fc2 = perfs
    assert gp.perf.network.details(0).weights_l2_resident
    assert fc1.dram_read_bytes == 256 * 1024 * 2 and fc1.dram_write_bytes == 0  # network input only
    assert act.dram_read_bytes == act.dram_write_bytes == 0
    assert fc2.dram_read_bytes == 0 and fc2.dram_write_bytes == 256 * 1024 * 2  # network output
    assert gp.total_cycles[0] == sum(p.total_cycles for p in perfs)
    perfs, gp = simulate_graph(mlp(8192), H100)  # 2 x 128 MiB: every layer streams its weights
    assert not gp.perf.network.details(0).weights_l2_resident
    assert perfs[2].dram_read_bytes >= 8192 * 8192 * 2


def test_a_graph_simulates_with_energy_by_component():
    from cosim.simulate import simulate

    g = LayerGraph("mlp")
    g.add(linear(3072, 768, 512, Sparsity.nm_pattern(2, 4), name="fc1"))
    g.add(Layer.vector("gelu", "act", channels=3072, hw=(1, 512), act_bits=16, out_bits=16), "fc1")
    g.add(linear(768, 3072, 512, name="fc2"), "gelu")
    r = simulate(g, H100)
    comps = r.total.energy_pj_by_component
    assert {"mac", "sram_l2", "sram_smem", "leakage", "vector"} <= set(comps)
    assert r.total.energy_pj > 0 and r.total.latency_s > 0


# ---- invariants (hypothesis) -------------------------------------------------------------------------------
gemms = st.tuples(st.integers(1, 3), st.integers(1, 20000), st.integers(1, 20000), st.integers(1, 20000),
                  st.sampled_from(["dense", "2:4", "1:4", "unstructured"]), st.sampled_from([8, 16]),
                  st.sampled_from(sorted(PRESETS)))


def _layer(groups, rows, k, tokens, pattern, bits):
    sp = {"dense": Sparsity(), "2:4": Sparsity.nm_pattern(2, 4), "1:4": Sparsity.nm_pattern(1, 4),
          "unstructured": Sparsity(kind="unstructured", density=0.3)}[pattern]
    return Layer(name="g", op="linear", in_channels=groups * k, out_channels=groups * rows, in_w=tokens,
                 groups=groups, weight_bits=bits, act_bits=bits, out_bits=bits, weight_sparsity=sp)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gemms)
def test_cycles_never_beat_the_rooflines(case):
    *shape, name = case
    spec = PRESETS[name]
    layer = _layer(*shape)
    p = simulate_layer(layer, spec)
    peak = spec.sm_count * spec.macs_per_cycle_per_sm[p.details.precision] * p.details.math_speedup
    assert p.total_cycles >= p.actions[f"mac:{p.details.precision}"] / peak - 1
    assert p.total_cycles >= (p.dram_read_bytes + p.dram_write_bytes) / spec.dram_bytes_per_cycle - 1
    assert p.details.math_speedup <= 4.0 and 0 < p.utilization <= 1.0 + 1e-9
    # 2:4 never beats the dense tensor-core peak by more than 2x (4x for 1:4 on the edge NPU)
    dense_peak = spec.sm_count * spec.macs_per_cycle_per_sm[p.details.precision]
    assert p.total_cycles >= layer.macs / (dense_peak * p.details.math_speedup) - 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 8192), st.integers(1, 8192), st.integers(1, 8192))
def test_2to4_is_at_most_twice_as_fast_on_the_same_kernel(rows, k, tokens):
    s = toy_spec(feed_bytes_per_cycle_per_sm=64.0)
    d = simulate_layer(linear(rows, k, tokens), s)
    sp = simulate_layer(linear(rows, k, tokens, Sparsity.nm_pattern(2, 4)), s)
    assert sp.compute_cycles >= d.compute_cycles / 2 - 1
    assert sp.total_cycles <= d.total_cycles  # same kernel: skipping never costs time


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gemms, st.sampled_from([1.5, 2.0, 8.0]))
def test_more_bandwidth_never_costs_cycles(case, factor):
    *shape, name = case
    spec = PRESETS[name]
    faster = dataclasses.replace(
        spec, dram=dataclasses.replace(spec.dram, bandwidth_gb_per_s=spec.dram.bandwidth_gb_per_s * factor),
        l2_bandwidth_gb_per_s=spec.l2_bandwidth_gb_per_s * factor,
        feed_bytes_per_cycle_per_sm=spec.feed_bytes_per_cycle_per_sm * factor)
    layer = _layer(*shape)
    assert simulate_layer(layer, faster).total_cycles <= simulate_layer(layer, spec).total_cycles


def test_power_cap_lowers_the_clock_of_big_gemms_only():
    big = simulate_layer(linear(8192, 8192, 8192), H100)
    small = simulate_layer(linear(64, 64, 64), H100)
    assert 1100 < big.details.clock_mhz < 1500  # measured: 1320 MHz at the 700 W cap
    assert small.details.clock_mhz == H100.clock_mhz
    uncapped = dataclasses.replace(H100, power=dataclasses.replace(H100.power, cap_w=0.0))
    assert simulate_layer(linear(8192, 8192, 8192), uncapped).total_cycles < big.total_cycles


# ---- calibration bars on real H100 timings ------------------------------------------------------------------
def _validate_module():
    spec = importlib.util.spec_from_file_location("validate_gpu", ROOT / "scripts" / "validate_gpu.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def validate():
    return _validate_module()


@pytest.mark.parametrize("dataset", ["calibration", "heldout", "blind"])
def test_h100_preset_meets_the_calibration_bars(validate, dataset):
    rows = {"calibration": validate.calibration_rows, "heldout": validate.heldout_rows,
            "blind": validate.blind_rows}[dataset]()
    m = validate.evaluate(H100, rows)
    assert m["dense_mape"] <= 0.20, m["dense_mape"]
    assert m["speedup_mae"] <= 0.15, m["speedup_mae"]
    assert m["speedup_spearman"] >= 0.80, m["speedup_spearman"]
    # the data itself: small/skinny GEMMs are slower sparse than dense, large ones faster
    lo, hi = m["speedup_measured_range"]
    assert lo < 0.5 and hi > 1.3
    predicted = [r["dense_pred_ms"] / r["sparse_pred_ms"] for r in m["rows"] if r["sparse_pred_ms"]]
    assert min(predicted) < 0.6 and max(predicted) < 2.0


def test_spearman_matches_the_textbook_definition(validate):
    a = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert validate.spearman(a, a ** 3) == pytest.approx(1.0)
    assert validate.spearman(a, -a) == pytest.approx(-1.0)
    assert validate.spearman(np.array([1.0, 2.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0, 4.0])) == pytest.approx(
        0.9486833, rel=1e-6)


def test_network_utilization_counts_the_peak_of_the_precision_that_ran():
    """int8 runs at twice the fp16 rate: an int8 network's utilization is over the int8 peak (it once read
    127.7% on A100 GPT-2-medium at batch 512 against the fp16 reference peak)."""
    import cosim
    from cosim.hw.loader import load_accelerator
    from cosim.workloads import load_workload

    spec = load_accelerator("a100")
    g = load_workload("gpt2-small")
    for precision, rate in (("int8", "int8"), ("fp16", "fp16")):
        from cosim.precision import with_precision

        r = cosim.simulate(with_precision(g, precision), spec, batch=64)
        peak = spec.sm_count * spec.macs_per_cycle_per_sm[rate]
        assert r.total.utilization == pytest.approx(r.total.effectual_macs / (peak * r.total.total_cycles))
        assert 0 < r.total.utilization <= max(l.utilization for l in r.layers) <= 1.0
