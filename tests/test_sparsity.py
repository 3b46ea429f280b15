"""Sparsity annotations and their statistical stand-ins (cosim/sparsity.py)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.errors import CosimError
from cosim.graph import Layer
from cosim.sparsity import (Sparsity, expected_lane_imbalance, expected_max_binomial, synthesize_mask)

FAST = settings(max_examples=40, deadline=None)

CONV = Layer.conv2d("conv", 32, 64, 8, 3)  # (groups, N, K) = (1, 64, 288)
GROUPED = Layer.conv2d("gconv", 32, 64, 8, 3, groups=4)  # (4, 16, 72)


# ---- the contract fields ------------------------------------------------------------------------------
def test_sources_and_labels():
    assert Sparsity().source == "dense" and Sparsity().label == "dense"
    assert Sparsity("unstructured", 0.2).source == "statistical"
    assert Sparsity("unstructured", 0.2).label == "unstructured:0.80"
    assert Sparsity.nm_pattern(2, 4).label == "2:4" and Sparsity.nm_pattern(2, 4).density == 0.5
    assert Sparsity("block", 0.25, block_h=4, block_w=4).label == "block:4x4:0.75"
    mask = np.ones((1, 2, 2), bool)
    assert Sparsity.from_mask(mask).source == "mask"


def test_contract_errors():
    with pytest.raises(CosimError, match="N > M"):
        Sparsity(kind="nm", density=1.0, n=4, m=2)
    with pytest.raises(CosimError, match="density must be in"):
        Sparsity("unstructured", 0.0)
    with pytest.raises(CosimError, match="keeps no weights"):
        Sparsity.from_mask(np.zeros((1, 2, 2), bool))


# ---- synthesize_mask -----------------------------------------------------------------------------------
def test_dense_mask_is_all_kept():
    assert synthesize_mask(CONV, Sparsity()).all()


@FAST
@given(st.floats(0.01, 1.0), st.integers(0, 10**6), st.sampled_from([CONV, GROUPED]))
def test_unstructured_density_is_exact(density, seed, layer):
    mask = synthesize_mask(layer, Sparsity("unstructured", density), seed)
    assert mask.shape == layer.gemm[:1] + layer.gemm[2:]
    total = mask.size
    assert mask.sum() == max(1, round(density * total))


@FAST
@given(st.sampled_from([(1, 2), (2, 4), (1, 4), (2, 8), (4, 8), (3, 3)]), st.integers(0, 10**6),
       st.integers(1, 40))
def test_nm_every_group_holds_exactly_n_nonzeros(nm, seed, k):
    n, m = nm
    layer = Layer.linear("fc", k, 6)  # K = k, N = 6
    mask = synthesize_mask(layer, Sparsity.nm_pattern(n, m), seed)
    padded = np.zeros((1, 6, -(-k // m) * m), bool)
    padded[:, :, :k] = mask
    per_group = padded.reshape(1, 6, -1, m).sum(axis=3)
    full = k // m
    assert (per_group[:, :, :full] == n).all()  # full groups: exactly N kept, M − N zeros
    if k % m:
        assert (per_group[:, :, full] == min(n, k % m)).all()


@FAST
@given(st.sampled_from([(2, 2), (4, 4), (4, 8), (8, 4)]), st.floats(0.05, 1.0), st.integers(0, 10**6))
def test_blocks_are_all_zero_or_all_kept(block, density, seed):
    bh, bw = block
    layer = Layer.linear("fc", 64, 32)  # N = 32, K = 64
    mask = synthesize_mask(layer, Sparsity("block", density, block_h=bh, block_w=bw), seed)
    blocks = mask.reshape(1, 32 // bh, bh, 64 // bw, bw)
    per_block = blocks.sum(axis=(2, 4))
    assert np.isin(per_block, [0, bh * bw]).all()
    n_blocks = per_block.size
    assert (per_block > 0).sum() == max(1, round(density * n_blocks))


def test_edge_blocks_are_cut_by_the_border():
    layer = Layer.linear("fc", 10, 6)  # N = 6, K = 10: 4x4 blocks leave edges
    mask = synthesize_mask(layer, Sparsity("block", 0.5, block_h=4, block_w=4), 3)
    assert mask.shape == (1, 6, 10)
    for r0 in (0, 4):
        for c0 in (0, 4, 8):
            blk = mask[0, r0:r0 + 4, c0:c0 + 4]
            assert blk.all() or not blk.any()


@FAST
@given(st.floats(0.01, 1.0), st.integers(0, 10**6))
def test_channel_pruning_removes_whole_filters(density, seed):
    mask = synthesize_mask(GROUPED, Sparsity("channel", density), seed)
    rows = mask.reshape(-1, mask.shape[2])
    assert (rows.all(axis=1) | ~rows.any(axis=1)).all()
    assert rows.all(axis=1).sum() == max(1, round(density * rows.shape[0]))


def test_masks_are_deterministic_per_seed_and_differ_across_seeds_and_layers():
    sp = Sparsity("unstructured", 0.3)
    a = synthesize_mask(CONV, sp, seed=7)
    assert np.array_equal(a, synthesize_mask(CONV, sp, seed=7))
    assert not np.array_equal(a, synthesize_mask(CONV, sp, seed=8))
    twin = CONV.replace(name="conv_twin")  # same shape, other name
    assert not np.array_equal(a, synthesize_mask(twin, sp, seed=7))


def test_a_real_mask_is_returned_as_is():
    mask = np.random.default_rng(0).random((1, 64, 288)) < 0.5
    layer = CONV.replace(weight_sparsity=Sparsity.from_mask(mask))
    assert np.array_equal(synthesize_mask(layer), mask)


def test_layer_default_is_its_own_sparsity():
    layer = CONV.replace(weight_sparsity=Sparsity.nm_pattern(1, 4))
    assert synthesize_mask(layer).mean() == pytest.approx(0.25)


def test_vector_layers_have_no_mask():
    with pytest.raises(CosimError, match="has no weights to mask"):
        synthesize_mask(Layer.vector("relu", "act", 8), Sparsity("unstructured", 0.5))


# ---- expected busiest lane ---------------------------------------------------------------------------
def test_expected_max_by_hand():
    # One trial, p = 1/2, two lanes: max is 1 unless both are 0 → 1 − 1/4.
    assert expected_max_binomial(1, 0.5, 2) == pytest.approx(0.75)
    # Two trials, one lane: the mean, 2p.
    assert expected_max_binomial(2, 0.3, 1) == pytest.approx(0.6)
    assert expected_max_binomial(5, 0.0, 4) == 0.0 and expected_max_binomial(5, 1.0, 4) == 5.0


def test_expected_max_matches_simulation():
    rng = np.random.default_rng(0)
    draws = rng.binomial(32, 0.3, size=(20000, 32)).max(axis=1)
    assert expected_max_binomial(32, 0.3, 32) == pytest.approx(draws.mean(), rel=0.01)


def test_large_trials_do_not_underflow():
    e = expected_max_binomial(4608, 0.5, 32)
    assert 2304 < e < 2304 + 4 * math.sqrt(4608 * 0.25)


@given(st.integers(1, 200), st.floats(0.01, 0.99), st.integers(1, 64))
def test_imbalance_at_least_one_and_grows_with_lanes(trials, p, lanes):
    imb = expected_lane_imbalance(trials, p, lanes)
    assert imb >= 1 - 1e-9
    assert expected_lane_imbalance(trials, p, lanes + 1) >= imb - 1e-9


def test_runs_as_nm_is_one_check_for_declared_patterns_and_masks():
    from cosim.sparsity import runs_as_nm

    nm = Sparsity.nm_pattern
    assert runs_as_nm(nm(2, 4), 2, 4) and runs_as_nm(nm(1, 4), 2, 4)
    # 2:8 puts both kept weights of a group of 8 anywhere: one 4-block may hold 2 -> fits 2:4
    assert runs_as_nm(nm(2, 8), 2, 4) and not runs_as_nm(nm(4, 8), 2, 4)
    assert runs_as_nm(nm(1, 2), 2, 4) and not runs_as_nm(nm(2, 4), 1, 4)
    assert not runs_as_nm(nm(2, 3), 2, 4)  # groups of 3 straddle groups of 4
    assert not runs_as_nm(Sparsity(kind="unstructured", density=0.5), 2, 4)  # no guarantee without a mask
    ok = np.array([[[1, 0, 1, 0, 0, 1, 1, 0]]], dtype=bool)
    bad = np.array([[[1, 1, 1, 0, 0, 0, 0, 1]]], dtype=bool)
    assert runs_as_nm(Sparsity.from_mask(ok, kind="unstructured"), 2, 4)
    assert not runs_as_nm(Sparsity.from_mask(bad, kind="unstructured"), 2, 4)
