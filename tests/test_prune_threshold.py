"""threshold:θ pruning: every weight with |w| < θ goes, whatever fraction that is."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from cosim.errors import CosimError
from cosim.prune.patterns import Pattern, parse_pattern, threshold_mask


def test_parse_and_label():
    p = parse_pattern("threshold:0.05")
    assert p == Pattern("threshold", threshold=0.05) and p.label == "threshold:0.05" and p.is_fine_grained
    assert p.at_sparsity(0.3) is p  # one target, like N:M


@pytest.mark.parametrize("text, fragment", [("threshold:0", "> 0"), ("threshold:-1", "> 0"),
                                            ("threshold:abc", "not a number"), ("threshold", "THETA"),
                                            ("threshold:inf", "> 0")])
def test_bad_thresholds_are_one_line(text, fragment):
    with pytest.raises(CosimError, match=fragment):
        parse_pattern(text)


def test_hand_checked_mask():
    w = np.array([[[0.01, -0.2, 0.05, -0.049, 0.3]]])
    assert threshold_mask(np.abs(w), 0.05).tolist() == [[[False, True, True, False, True]]]
    assert threshold_mask(np.abs(w), 1.0).tolist() == [[[False, False, False, False, True]]]  # the largest stays


@settings(max_examples=30)
@given(theta=st.floats(1e-3, 2.0), seed=st.integers(0, 100))
def test_kept_weights_are_exactly_those_at_or_above_theta(theta, seed):
    w = np.random.default_rng(seed).standard_normal((1, 8, 16))
    m = threshold_mask(np.abs(w), theta)
    if (np.abs(w) >= theta).any():
        assert np.array_equal(m, np.abs(w) >= theta)
    else:
        assert m.sum() == 1


def test_pruning_a_model_removes_the_small_weights_and_nothing_else():
    from cosim.prune.workflow import prune_workload

    run = prune_workload("mlp", "threshold:0.05")
    for l in run.graph.compute_layers():
        mask = l.weight_sparsity.mask
        w = run.weights[l.name]
        assert np.all(np.abs(w[mask]) >= 0.05) and np.all(w[~mask] == 0)
    assert 0 < run.metrics.PR < 1


def test_threshold_needs_the_magnitude_criterion():
    from cosim.prune.workflow import prune_workload

    with pytest.raises(CosimError, match="criterion magnitude"):
        prune_workload("mlp", "threshold:0.05", criterion="random")


def test_cross_layer_sharing_uses_one_codebook_charged_once():
    from cosim.prune.weight_sharing import codebook_of
    from cosim.prune.workflow import prune_workload

    per_layer = prune_workload("mlp", "unstructured:0.5", share_bits=3)
    network = prune_workload("mlp", "unstructured:0.5", share_bits=3, share_scope="network")
    values = {n: set(np.unique(w[w != 0]).tolist()) for n, w in network.weights.items()}
    union = set().union(*values.values())
    assert len(union) <= 8  # 2^3 shared values for the whole network
    books = [codebook_of(network.graph, l.name) for l in network.graph.compute_layers()]
    assert all(b["shared"] and np.array_equal(b["values"], books[0]["values"]) for b in books)
    layers = len(books)
    book_bytes = 8 * books[0]["entry_bits"] / 8
    # same index bits per weight; per-layer sharing pays (layers − 1) more codebooks
    diff = per_layer.metrics.compressed_weight_bytes - network.metrics.compressed_weight_bytes
    assert diff == pytest.approx((layers - 1) * book_bytes)
    assert network.metadata()["share_scope"] == "network"
