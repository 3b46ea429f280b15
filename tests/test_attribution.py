"""Where the time goes (cosim/attribution.py): each layer's latency split from its datapath's own cycle
components, the layer's bound its largest part, the totals the sum; sparse vs dense in one line."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

import cosim
from cosim.attribution import dominant, scaled_to, time_by_bound, versus
from cosim.datapaths.tensor_core.details import kernel_time_split
from cosim.graph import Layer, LayerGraph
from cosim.hw.spec import DramSpec, PEArraySpec, SramHierarchy, SramSpec, SystolicSpec
from cosim.perf import BOUNDS
from cosim.sparsity_spec import apply_sparsity


def array(rows=4, cols=4, dataflow="ws", bw=1e6):
    return SystolicSpec(name="t", pe_array=PEArraySpec(rows=rows, cols=cols, dataflow=dataflow),
                        sram=SramHierarchy(*[SramSpec(size_kib=64) for _ in range(3)]),
                        dram=DramSpec(bandwidth_gb_per_s=bw), clock_mhz=1000.0, timing="physical", mapper="off")


def one(layer):
    g = LayerGraph("one")
    g.add(layer)
    return g


def cycles_by_bound(report):
    l = report.layers[0]
    return {b: round(s / l.latency_s * l.total_cycles, 6) for b, s in l.latency_s_by_bound.items()}, l


def test_full_folds_split_into_macs_and_fill_drain_by_hand():
    """8×8×8 GEMM on a 4×4 ws array: 4 folds of 2R + C + T − 2 = 18 cycles = 72; the MACs take
    512 / 16 = 32 of them (every PE busy while streaming), fill and drain the other 4 · 10 = 40."""
    c, l = cycles_by_bound(cosim.simulate(one(Layer.linear("g", 8, 8, tokens=8)), array()))
    assert l.compute_cycles == 72
    assert c["compute"] == 32 and c["fill_drain"] == 40 and "tiles" not in c
    assert c.get("dram", 0) == l.stall_cycles
    assert l.bound == "fill_drain"


def test_partial_folds_are_tile_quantization_by_hand():
    """K = 6, N = 5, M = 8 on 4×4 ws: 2 × 2 folds hold 30 of 64 PE places (mapping efficiency 15/32);
    the 240 MACs take 15 cycles, the idle PEs of the part-filled folds 32 − 15 = 17, fill/drain 40."""
    c, l = cycles_by_bound(cosim.simulate(one(Layer.linear("g", 6, 5, tokens=8)), array()))
    assert l.mapping_efficiency == pytest.approx(15 / 32)
    assert c["compute"] == pytest.approx(15) and c["tiles"] == pytest.approx(17) and c["fill_drain"] == 40


def test_dram_starved_layer_is_dram_bound():
    c, l = cycles_by_bound(cosim.simulate(one(Layer.linear("g", 64, 64, tokens=64)), array(bw=0.01)))
    assert l.bound == "dram" and c["dram"] > c["compute"] + c.get("fill_drain", 0)


def test_kernel_split_by_hand():
    # 1 us launch + max(3 us math, 2 us memory); a quarter of the issued math is useful
    assert kernel_time_split(1.0, 3.0, 2.0, 0.25) == {"overhead": 0.25, "compute": 0.1875, "tiles": 0.5625}
    assert kernel_time_split(1.0, 2.0, 3.0, 0.25) == {"overhead": 0.25, "memory": 0.75}
    assert dominant(kernel_time_split(1.0, 3.0, 2.0, 0.25), "compute") == "tiles"


def test_versus_names_the_bounds_the_difference_comes_from():
    line = versus("2:4 weights", 2e-3, {"overhead": 1.5e-3, "compute": 0.5e-3}, "dense weights", 1e-3,
                  {"overhead": 0.5e-3, "compute": 0.5e-3})
    assert line == "2:4 weights vs dense weights: 2 ms vs 1 ms (2x slower); launch overhead +1 ms"
    assert time_by_bound({"fill_drain": 1e-3, "compute": 3e-3}) == "compute 75% (3 ms), pipeline fill/drain 25% (1 ms)"


def test_versus_says_same_latency_rather_than_1x_faster():
    same = {"compute": 1e-3}
    assert versus("2:4 weights", 1e-3, same, "dense weights", 1e-3, same) == (
        "2:4 weights vs dense weights: 1 ms vs 1 ms (same latency)")
    assert "(1.01x faster)" in versus("a", 0.99e-3, same, "b", 1e-3, same)
    assert "(1.001x slower)" in versus("a", 1.001e-3, same, "b", 1e-3, same)


def test_bert_2to4_on_h100_explains_itself_from_the_cli(capsys):
    """The issue's question: why is 2:4 BERT-base slower than dense on the H100 at batch 1? The CLI says
    which bounds the extra time comes from: launch overhead and tile/wave quantization."""
    from cosim.cli import main

    try:
        main(["simulate", "-a", "h100-sxm", "-w", "bert-base", "--sparsity", "2:4", "-q"])
    except SystemExit as e:
        assert e.code in (0, None)
    out = capsys.readouterr().out
    line = next(l for l in out.splitlines() if l.startswith("2:4 weights vs dense weights:"))
    assert "x slower" in line
    words = line.split("; ", 1)[1]
    assert words.index("launch overhead +") < words.index("tile/wave quantization +")


PRESETS = ["scalesim-32x32-ws", "sparse-32x32-unstructured", "s2ta-32x32-nm", "h100-sxm", "edge-nm", "zcu102-dpu"]


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(PRESETS), st.integers(1, 300), st.integers(1, 300), st.integers(1, 200),
       st.sampled_from(["dense", "2:4", "unstructured:0.7"]))
def test_splits_sum_to_the_layer_and_the_bound_is_the_largest(preset, k, n, tokens, sparsity):
    g = LayerGraph("g")
    g.add(Layer.linear("fc", k, n, tokens=tokens))
    r = cosim.simulate(apply_sparsity(g, sparsity), preset)
    for l in r.layers:
        parts = l.latency_s_by_bound
        assert set(parts) <= set(BOUNDS) and all(v >= 0 for v in parts.values())
        assert sum(parts.values()) == pytest.approx(l.latency_s, rel=1e-9, abs=1e-18)
        if parts:
            assert parts.get(l.bound, 0.0) == max(parts.values())
    assert sum(r.total.latency_s_by_bound.values()) == pytest.approx(sum(l.latency_s for l in r.layers), rel=1e-9)


@pytest.mark.parametrize("preset, batch", [("zcu104-finn", 1), ("zcu104-finn", 16), ("zcu104-finn-sparse", 4),
                                           ("scalesim-32x32-ws", 2), ("zcu104-dpu", 1), ("edge-nm", 1)])
def test_the_networks_split_sums_to_its_latency_pipelines_included(preset, batch):
    graph = cosim.load_workload("small-cnn", batch=batch)
    r = cosim.simulate(graph, cosim.load_accelerator(preset))
    assert sum(r.total.latency_s_by_bound.values()) == pytest.approx(r.total.latency_s, rel=1e-9)


@given(st.dictionaries(st.sampled_from(["compute", "dram", "tiles"]), st.floats(1e-9, 1.0), min_size=1),
       st.floats(1e-9, 10.0))
def test_scaled_to_keeps_the_shares_and_sets_the_sum(seconds, latency_s):
    out = scaled_to(seconds, latency_s)
    assert sum(out.values()) == pytest.approx(latency_s, rel=1e-9)
    for b in seconds:
        assert out[b] / latency_s == pytest.approx(seconds[b] / sum(seconds.values()), rel=1e-9)
