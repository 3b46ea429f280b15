"""Fusion of batch norms and activations into their producer's output path."""

from cosim import simulate
from cosim.fusion import fused_owners
from cosim.graph import Layer, LayerGraph
from cosim.hw.loader import load_accelerator


def _net():
    g = LayerGraph("n")
    g.add(Layer.conv2d("conv", 8, 16, 16, 3))
    g.add(Layer.vector("bn", "norm", 16, 16), "conv")
    g.add(Layer.vector("relu", "act", 16, 16), "bn")
    g.add(Layer.conv2d("conv2", 16, 16, 16, 3), "relu")
    g.add(Layer.conv2d("side", 16, 16, 16, 1), "relu")  # relu has two consumers: still fusable itself
    g.add(Layer.vector("sum", "add", 16, 16), ["conv2", "side"])
    g.add(Layer.vector("relu2", "act", 16, 16), "sum")
    return g


def test_chains_fuse_into_their_first_owner():
    assert fused_owners(_net()) == {"bn": "conv", "relu": "conv", "relu2": "sum"}


def test_fused_layers_cost_no_cycles_or_traffic_but_keep_their_energy():
    spec = load_accelerator("scalesim-32x32-ws")
    fused = simulate(_net(), spec)
    unfused = simulate(_net(), spec, fuse=False)
    by_name = {l.name: l for l in fused.layers}
    assert by_name["bn"].total_cycles == 0 and by_name["bn"].dram_read_bytes == 0
    assert by_name["bn"].details.fused_into == "conv" and by_name["bn"].energy_pj["vector"] > 0
    assert fused.total.total_cycles < unfused.total.total_cycles
    assert fused.total.dram_read_bytes < unfused.total.dram_read_bytes
    # Compute layers are untouched by fusion.
    for name in ("conv", "conv2", "side"):
        assert by_name[name] == {l.name: l for l in unfused.layers}[name]
