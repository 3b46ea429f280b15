"""Quantization and k-means weight sharing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.errors import CosimError
from cosim.prune.quantize import QuantSpec, activation_quantizer, parse_quant, qparams, quantize_weights
from cosim.prune.weight_sharing import index_bits, kmeans_1d, share_weights


def test_parse_quant():
    assert parse_quant("int8") == QuantSpec(8, True, True)
    assert parse_quant("int4-asym-tensor") == QuantSpec(4, False, False)
    assert parse_quant("none") is None
    for bad in ("fp8", "int8-wide", "int1"):
        with pytest.raises(CosimError, match="--quantize"):
            parse_quant(bad)


def test_symmetric_int8_by_hand():
    w = np.array([[-1.27, 0.0, 0.5, 1.27]], dtype=np.float32)
    scale, zp = qparams(w.min(), w.max(), 8, True)
    assert scale == pytest.approx(0.01) and zp == 0
    assert quantize_weights(w, QuantSpec(8, True, False)) == pytest.approx(w, abs=0.005 + 1e-7)


def test_asymmetric_range_includes_zero_and_keeps_it_exact():
    x = np.array([0.0, 0.3, 1.0, 2.55], dtype=np.float32)
    q = activation_quantizer(0.0, 2.55, 8)(x)
    assert q[0] == 0.0 and np.abs(q - x).max() <= 0.005 + 1e-6


@settings(max_examples=50, deadline=None)
@given(bits=st.sampled_from([2, 4, 8]), sym=st.booleans(), per_channel=st.booleans(), seed=st.integers(0, 2**16))
def test_quantization_error_is_at_most_half_a_step_and_zeros_stay(bits, sym, per_channel, seed):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((1, 6, 20)).astype(np.float32)
    w[rng.random(w.shape) < 0.3] = 0.0
    spec = QuantSpec(bits, sym, per_channel)
    q = quantize_weights(w, spec)
    assert np.all(q[w == 0] == 0)
    lo = w.min(axis=-1, keepdims=True) if per_channel else w.min()
    hi = w.max(axis=-1, keepdims=True) if per_channel else w.max()
    scale, _ = qparams(lo, hi, bits, sym)
    assert np.all(np.abs(q - w) <= scale / 2 + 1e-6)
    levels = len(np.unique(q[0, 0]))
    assert levels <= 2 ** bits


def test_kmeans_finds_obvious_clusters():
    v = np.array([-1.0, -1.1, -0.9, 2.0, 2.1, 1.9])
    cent, idx = kmeans_1d(v, 2)
    assert cent == pytest.approx([-1.0, 2.0]) and idx.tolist() == [0, 0, 0, 1, 1, 1]


@settings(max_examples=40, deadline=None)
@given(k=st.integers(1, 16), seed=st.integers(0, 2**16))
def test_sharing_uses_at_most_k_values_and_keeps_zeros(k, seed):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((1, 8, 16)).astype(np.float32)
    w[rng.random(w.shape) < 0.5] = 0
    shared, cb = share_weights(w, k)
    assert np.all(shared[w == 0] == 0)
    assert set(np.unique(shared[w != 0])) <= set(cb.tolist())
    assert cb.size == k
    # every weight is mapped to its nearest codebook value
    nz = w != 0
    dist = np.abs(w[nz][:, None] - cb[None, :])
    assert np.allclose(np.abs(w[nz] - shared[nz]), dist.min(axis=1), atol=1e-6)


def test_index_bits():
    assert [index_bits(k) for k in (1, 2, 16, 17, 256)] == [1, 1, 4, 5, 8]
