"""Tensor cores fuse batch norms and activations into their producer's epilogue (cuDNN/TensorRT);
``fuse=False`` keeps eager-framework kernels, one per layer."""

from cosim.graph import Layer, LayerGraph
from cosim.hw.loader import load_accelerator
from cosim.simulate import simulate


def _conv_bn_relu() -> LayerGraph:
    g = LayerGraph("cbr")
    g.add(Layer.conv2d("conv", 64, 64, 28, 3, batch=8))
    g.add(Layer.vector("bn", "norm", 64, 28, batch=8), "conv")
    g.add(Layer.vector("relu", "act", 64, 28, batch=8), "bn")
    return g


def test_bn_relu_fuse_into_conv_on_tensor_core():
    spec = load_accelerator("h100-sxm")
    fused = {l.name: l for l in simulate(_conv_bn_relu(), spec).layers}
    eager = {l.name: l for l in simulate(_conv_bn_relu(), spec, fuse=False).layers}
    for name in ("bn", "relu"):
        assert fused[name].total_cycles == 0 and fused[name].dram_read_bytes == 0
        assert fused[name].details.fused_into == "conv"
        assert eager[name].total_cycles > 0 and eager[name].dram_read_bytes + eager[name].sram_read_bytes > 0
    assert fused["conv"].total_cycles == eager["conv"].total_cycles
    assert sum(l.total_cycles for l in fused.values()) < sum(l.total_cycles for l in eager.values())
    assert fused["relu"].energy_pj.get("vector", 0) > 0  # the epilogue's element operations are not free
