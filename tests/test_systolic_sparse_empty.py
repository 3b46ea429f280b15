"""Compressed activations of a tensor with no nonzeros: nothing is stored, nothing divides by it."""

import dataclasses

import pytest

from cosim.graph import Layer, LayerGraph
from cosim.hw.loader import load_accelerator
from cosim.simulate import simulate


@pytest.mark.parametrize("fmt", ["rle", "csr", "bitmap"])
@pytest.mark.parametrize("hw,kernel", [(1, 1), (1, 3), (2, 1)])
def test_dual_side_compressed_tiny_input_with_no_nonzero_activation(fmt, hw, kernel):
    base = load_accelerator("sparse-32x32-unstructured")
    spec = dataclasses.replace(base, sparsity=dataclasses.replace(base.sparsity, compressed_format=fmt),
                               dual_side_sparse=True)
    g = LayerGraph("tiny")
    g.add(Layer.conv2d("c", 8, 8, hw, kernel, act_density=1e-4))  # 8·hw² activations: none nonzero
    layer = simulate(g, spec).layers[0]
    assert layer.total_cycles > 0
    assert layer.effectual_macs <= layer.macs
    dense = simulate(g, dataclasses.replace(spec, dual_side_sparse=False)).layers[0]
    assert layer.dram_read_bytes <= dense.dram_read_bytes
