"""Compression metrics on hand-checkable layers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cosim.graph import Layer, LayerGraph
from cosim.prune.metrics import compression_metrics, layer_storage_bits
from cosim.prune.patterns import nm_mask, unstructured_mask
from cosim.prune.quantize import QuantSpec
from cosim.prune.weight_sharing import attach_codebook
from cosim.sparsity import Sparsity

RNG = np.random.default_rng(0)


def lin(sp: Sparsity | None = None, bits: int = 8) -> Layer:
    return Layer.linear("fc", 16, 8, weight_bits=bits, act_bits=bits, weight_sparsity=sp or Sparsity())


def test_dense_bytes():
    assert layer_storage_bits(lin()) == (8 * 16 * 8, "dense")


def test_nm_charges_index_bits_per_kept_weight():
    mask = nm_mask(RNG.random((1, 8, 16)), 2, 4)
    bits, fmt = layer_storage_bits(lin(Sparsity.from_mask(mask, kind="nm", n=2, m=4)))
    assert (bits, fmt) == (64 * (8 + 2), "nm2:4")  # 2-bit position per kept weight


def test_unstructured_picks_the_cheaper_of_bitmap_and_csr():
    mask = unstructured_mask(RNG.random((1, 8, 16)), 0.75)  # 32 kept of 128
    bits, fmt = layer_storage_bits(lin(Sparsity.from_mask(mask)))
    # bitmap: 32·8 + 128 = 384; CSR: 32·(8 + 4) + 9·32 = 672
    assert (bits, fmt) == (384, "bitmap")
    very = unstructured_mask(RNG.random((1, 8, 16)), 0.95)  # 6 kept
    bits, fmt = layer_storage_bits(lin(Sparsity.from_mask(very), bits=32))
    assert fmt == "bitmap" and bits == 6 * 32 + 128
    big = Layer.linear("big", 4096, 8, weight_bits=8)
    m = np.zeros((1, 8, 4096), dtype=bool)
    m[:, :, :4] = True  # 32 kept of 32768
    bits, fmt = layer_storage_bits(big.replace(weight_sparsity=Sparsity.from_mask(m)))
    assert fmt == "csr" and bits == 32 * (8 + 12) + 9 * 32


def test_block_scales_and_codebook():
    m = np.zeros((1, 8, 16), dtype=bool)
    m[:, :4, :] = True  # 2×2 blocks: 16 kept of 32
    sp = Sparsity.from_mask(m, kind="block", block_h=2, block_w=2)
    assert layer_storage_bits(lin(sp))[0] == 64 * 8 + 32
    assert layer_storage_bits(lin(), QuantSpec(8, True, True))[0] == 1024 + 8 * 32
    assert layer_storage_bits(lin(), QuantSpec(8, False, False))[0] == 1024 + 64
    bits, fmt = layer_storage_bits(lin(bits=4), codebook={"size": 16, "entry_bits": 32})
    assert (bits, fmt) == (128 * 4 + 16 * 32, "dense+codebook")


def test_network_metrics():
    g = LayerGraph("n")
    g.add(lin())
    p = LayerGraph("n")
    mask = nm_mask(RNG.random((1, 8, 16)), 2, 4)
    p.add(lin(Sparsity.from_mask(mask, kind="nm", n=2, m=4)))
    m = compression_metrics(g, p, accuracy_before=0.9, accuracy_after=0.87, accuracy_kind="measured")
    assert m.PR == pytest.approx(0.5)
    assert m.CR == pytest.approx(128 / 80)
    assert m.CE == pytest.approx(2.0)
    assert m.CE_perf == pytest.approx(0.87 / 0.9)
    assert m.EE == pytest.approx(m.CR * m.CE_perf)
    # activations: 16 inputs at 8 bits on both sides
    assert m.CR_with_activations == pytest.approx((128 + 16) / (80 + 16))
    none = compression_metrics(g, p, accuracy_before=None, accuracy_after=None, accuracy_kind="proxy:x")
    assert math.isnan(none.CE_perf)


def test_codebook_and_channel_pruning_flow_into_metrics():
    g = LayerGraph("n")
    g.add(Layer.linear("a", 16, 8, weight_bits=32, act_bits=32))
    g.add(Layer.linear("b", 8, 4, weight_bits=32, act_bits=32), "a")
    small = LayerGraph("n")
    small.add(Layer.linear("a", 16, 4, weight_bits=32, act_bits=32))
    small.add(Layer.linear("b", 4, 4, weight_bits=32, act_bits=32), "a")
    attach_codebook(small, "a", np.linspace(-1, 1, 16, dtype=np.float32))
    assert small["a"].weight_bits == 4
    m = compression_metrics(g, small, accuracy_before=1.0, accuracy_after=1.0, accuracy_kind="measured")
    assert m.PR == pytest.approx(1 - (64 + 16) / (128 + 32))
    assert m.compressed_weight_bytes == pytest.approx((64 * 4 + 16 * 32 + 16 * 32) / 8)
    assert m.compressed_activation_bytes < m.original_activation_bytes  # b reads 4 inputs, not 8


def test_both_conventions_are_reciprocal_and_named():
    from cosim.prune.workflow import prune_workload

    m = prune_workload("mlp", "unstructured:0.75").metrics
    d = m.to_dict()
    assert d["CR_original_over_compressed"] == m.CR and d["CE_dense_over_effectual_macs"] == m.CE
    assert m.CR_compressed_over_original == pytest.approx(1 / m.CR) and m.CR_compressed_over_original < 1
    assert m.CE_effectual_over_dense_macs == pytest.approx(0.25, abs=0.01)  # 75 % of the MACs are gone
    assert m.EE_perf_times_CR_original_over_compressed == m.EE
    assert m.EE_perf_over_CR_compressed_over_original == pytest.approx(m.EE)  # the same number, other CR
    assert m.EE_perf_times_CR_compressed_over_original == pytest.approx(m.CE_perf / m.CR)
