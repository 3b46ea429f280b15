"""Pruning patterns: parsing, and masks that honour their pattern exactly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.errors import CosimError
from cosim.prune.patterns import (Pattern, block_mask, block_violations, channel_keep, check_mask,
                                  global_unstructured_masks, nm_mask, nm_violations, parse_pattern,
                                  prune_count, unstructured_mask)


def test_parse_every_form():
    assert parse_pattern("2:4") == Pattern("nm", 0.5, n=2, m=4)
    assert parse_pattern("1:8:n").axis == "n"
    assert parse_pattern("unstructured:0.8") == Pattern("unstructured", 0.8)
    assert parse_pattern("block:4x2:0.75") == Pattern("block", 0.75, block_h=4, block_w=2)
    assert parse_pattern("channel:0.3").kind == "channel"
    assert parse_pattern("layer:0.2").kind == "layer"
    assert parse_pattern("dense").kind == "dense"
    assert parse_pattern("2:4").label == "2:4"


@pytest.mark.parametrize("text, fragment", [
    ("5:4", "N > M"), ("unstructured:1.0", "[0, 1)"), ("unstructured:-0.1", "[0, 1)"),
    ("unstructured:x", "not a number"), ("block:4:0.5", "BHxBW"), ("block:0x4:0.5", "positive"),
    ("channel", "channel:SPARSITY"), ("2:4:z", "axis"), ("diagonal:0.5", "unknown"),
])
def test_parse_errors_are_one_line(text, fragment):
    with pytest.raises(CosimError) as e:
        parse_pattern(text)
    assert fragment in str(e.value) and "\n" not in str(e.value)


def test_unstructured_prunes_lowest_scores():
    scores = np.arange(12, dtype=float).reshape(1, 3, 4)
    mask = unstructured_mask(scores, 0.25)
    assert mask.sum() == 9 and not mask.ravel()[:3].any() and mask.ravel()[3:].all()


def test_nm_keeps_top_n_per_group_with_padded_tail():
    # K = 6 with M = 4: groups [0..3] and a zero-padded tail [4, 5]
    scores = np.array([[[1, 5, 3, 2, 9, 8]]], dtype=float)
    mask = nm_mask(scores, 2, 4)
    assert mask.tolist() == [[[False, True, True, False, True, True]]]
    mask1 = nm_mask(scores, 1, 4)
    assert mask1.tolist() == [[[False, True, False, False, True, False]]]


def test_nm_along_n():
    scores = np.array([[[1.0], [4.0], [2.0], [3.0]]])
    assert nm_mask(scores, 1, 2, axis="n")[0, :, 0].tolist() == [False, True, False, True]


def test_block_mask_and_shape_error_names_layer():
    scores = np.ones((1, 4, 4))
    scores[0, :2, :2] = 10
    mask = block_mask(scores, 2, 2, 0.75)
    assert mask[0, :2, :2].all() and mask.sum() == 4
    with pytest.raises(CosimError, match="layer 'fc9'.*does not divide"):
        block_mask(np.ones((1, 10, 64)), 4, 4, 0.5, "fc9")


def test_channel_keep_and_prune_count():
    assert channel_keep(np.array([3.0, 1.0, 2.0, 0.5]), 0.5).tolist() == [0, 2]
    assert prune_count(10, 0.99) == 9  # at least one weight always stays
    assert prune_count(1, 0.5) == 0


def test_global_threshold_spans_layers_and_keeps_one_per_layer():
    s = {"a": np.full((1, 2, 2), 0.1), "b": np.full((1, 2, 2), 5.0)}
    masks = global_unstructured_masks(s, 0.5)
    assert masks["b"].all() and masks["a"].sum() == 1  # 'a' would be emptied: keeps its best weight


def test_check_mask_rejects_violations():
    bad = np.ones((1, 1, 4), dtype=bool)
    with pytest.raises(CosimError, match="layer .x.*2"):
        check_mask(bad, Pattern("nm", 0.5, n=2, m=4), "x")
    partial = np.zeros((1, 2, 2), dtype=bool)
    partial[0, 0, 0] = True
    with pytest.raises(CosimError, match="partly pruned"):
        check_mask(partial, Pattern("block", 0.5, block_h=2, block_w=2), "x")


shapes = st.tuples(st.integers(1, 3), st.integers(1, 12), st.integers(1, 40))


@settings(max_examples=60, deadline=None)
@given(shape=shapes, nm=st.tuples(st.integers(1, 8), st.integers(1, 8)).filter(lambda t: t[0] <= t[1]),
       axis=st.sampled_from(["k", "n"]), seed=st.integers(0, 2**16))
def test_nm_masks_honour_every_group(shape, nm, axis, seed):
    n, m = nm
    scores = np.random.default_rng(seed).random(shape)
    mask = nm_mask(scores, n, m, axis)
    assert nm_violations(mask, n, m, axis) == 0
    # and no group keeps fewer than it could (min(N, real entries in the group))
    s = mask if axis == "k" else np.swapaxes(mask, 1, 2)
    length = s.shape[2]
    for start in range(0, length, m):
        size = min(m, length - start)
        assert (s[..., start:start + size].sum(axis=-1) == min(n, size)).all()


@settings(max_examples=60, deadline=None)
@given(g=st.integers(1, 2), bh=st.integers(1, 4), bw=st.integers(1, 4), nb=st.integers(1, 4), kb=st.integers(1, 4),
       sparsity=st.floats(0, 0.99), seed=st.integers(0, 2**16))
def test_block_masks_are_all_or_nothing(g, bh, bw, nb, kb, sparsity, seed):
    scores = np.random.default_rng(seed).random((g, nb * bh, kb * bw))
    mask = block_mask(scores, bh, bw, sparsity)
    assert block_violations(mask, bh, bw) == 0
    blocks = g * nb * kb
    assert mask.sum() == (blocks - prune_count(blocks, sparsity)) * bh * bw


@settings(max_examples=60, deadline=None)
@given(shape=shapes, sparsity=st.floats(0, 0.99), seed=st.integers(0, 2**16))
def test_unstructured_prunes_exactly_the_requested_count(shape, sparsity, seed):
    scores = np.random.default_rng(seed).random(shape)
    mask = unstructured_mask(scores, sparsity)
    size = scores.size
    assert mask.sum() == size - prune_count(size, sparsity) >= 1
    if mask.all() or not mask.any():
        return
    assert scores[mask].min() >= scores[~mask].max()  # nothing kept scores below anything pruned
