"""Tensor-core sparse speedups stay within their ideal bound; L2 residency is decided on the dense
working set for a sparse layer and its dense reference alike; more bandwidth never slows a layer;
a layer never beats its roofline."""

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.graph import Layer, LayerGraph
from cosim.hw.loader import load_accelerator
from cosim.simulate import simulate, simulate_layer
from cosim.sparsity_spec import parse_sparsity

EDGE = load_accelerator("edge-nm")
H100 = load_accelerator("h100-sxm")


def _pair(layer, pattern, spec):
    sparse = layer.replace(weight_sparsity=parse_sparsity(pattern))
    return simulate_layer(layer, spec), simulate_layer(sparse, spec)


def test_compressed_weights_get_no_residency_their_dense_reference_lacks():
    # 1024x3072 int8 weights: 3 MiB dense, ~1.9 MiB 2:4-compressed, edge-nm's L2 is 2 MiB
    dense, sparse = _pair(Layer.linear("fc", 1024, 3072, tokens=1), "2:4", EDGE)
    assert dense.details.l2_resident == sparse.details.l2_resident
    assert dense.total_cycles / sparse.total_cycles <= 2.0
    g_dense, g_sparse = LayerGraph("d"), LayerGraph("s")
    g_dense.add(Layer.linear("fc", 1024, 3072, tokens=1))
    g_sparse.add(Layer.linear("fc", 1024, 3072, tokens=1, weight_sparsity=parse_sparsity("2:4")))
    d = simulate(g_dense, EDGE).layers[0].total_cycles
    s = simulate(g_sparse, EDGE).layers[0].total_cycles
    assert d / s <= 2.0


_dims = st.sampled_from([1, 8, 64, 256, 1024, 3072])


@settings(max_examples=40, deadline=None)
@given(k=_dims, n=_dims, tokens=st.sampled_from([1, 4, 32, 512]), pattern=st.sampled_from(["2:4", "1:4"]),
       on_h100=st.booleans())
def test_nm_speedup_within_ideal_and_roofline(k, n, tokens, pattern, on_h100):
    spec = H100 if on_h100 else EDGE
    layer = Layer.linear("fc", k, n, tokens=tokens)
    dense, sparse = _pair(layer, pattern, spec)
    ran = sparse.details.math_speedup  # m/n of the pattern the hardware ran (1:4 runs as 2:4 on H100)
    assert dense.total_cycles / sparse.total_cycles <= ran * (1 + 1e-9) + 1e-9
    for perf in (dense, sparse):  # never faster than its roofline: executed math at peak, DRAM bytes at bandwidth
        peak = spec.sm_count * spec.macs_per_cycle_per_sm[perf.details.precision]
        seconds = perf.total_cycles / (spec.clock_mhz * 1e6)
        dram_s = (perf.dram_read_bytes + perf.dram_write_bytes) / (spec.dram.bandwidth_gb_per_s * 1e9)
        assert seconds >= max(perf.actions[f"mac:{perf.details.precision}"] / (peak * spec.clock_mhz * 1e6),
                              dram_s) * (1 - 1e-9)
    again = simulate_layer(layer.replace(weight_sparsity=parse_sparsity(pattern)), spec)
    assert again.total_cycles == sparse.total_cycles  # deterministic


@settings(max_examples=30, deadline=None)
@given(k=_dims, n=_dims, tokens=st.sampled_from([1, 16, 256]), pattern=st.sampled_from(["dense", "2:4"]))
def test_twice_the_dram_bandwidth_never_slower(k, n, tokens, pattern):
    fast = dataclasses.replace(EDGE, dram=dataclasses.replace(EDGE.dram, bandwidth_gb_per_s=2 * EDGE.dram.bandwidth_gb_per_s))
    layer = Layer.linear("fc", k, n, tokens=tokens, weight_sparsity=parse_sparsity(pattern))
    assert simulate_layer(layer, fast).total_cycles <= simulate_layer(layer, EDGE).total_cycles
