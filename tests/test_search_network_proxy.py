"""accuracy_proxy_network_aware: a sensitivity-weighted geometric mean of each layer's own kept weight energy."""

from __future__ import annotations

import numpy as np
import pytest

from cosim.graph import Layer, LayerGraph
from cosim.search.accuracy import layer_kept_energy, network_aware_proxy
from cosim.sparsity import Sparsity


def two_layers():
    g = LayerGraph("two")
    g.add(Layer.linear("a", 4, 2))
    g.add(Layer.linear("b", 2, 1), ["a"])
    return g


W = {"a": np.array([[[3.0, 0.5, 1.0, 0.2], [0.1, 2.0, 0.3, 1.0]]]), "b": np.array([[[1.0, 1.0]]])}
EA = 15 / 15.39  # a keeps 3, 2, 1, 1 of eight: (9 + 4 + 1 + 1) / (15 + 0.25 + 0.04 + 0.01 + 0.09)
HALF = Sparsity(kind="unstructured", density=0.5)


def test_kept_energy_by_hand():
    assert layer_kept_energy(W["a"], HALF) == pytest.approx(EA)
    assert layer_kept_energy(W["b"], HALF) == pytest.approx(1 / 2)


def test_geometric_mean_weighted_by_sensitivity():
    g = two_layers()
    both = network_aware_proxy(g, HALF, weights=W)
    assert both == pytest.approx(np.sqrt(EA * 1 / 2))
    # a dense layer counts e = 1
    assert network_aware_proxy(g, HALF, frozenset({"b"}), weights=W) == pytest.approx(np.sqrt(EA))
    # sensitivities 3:1 weight the exponents 3/4 and 1/4
    s = network_aware_proxy(g, HALF, weights=W, sensitivity={"a": 3.0, "b": 1.0})
    assert s == pytest.approx((EA) ** 0.75 * 0.5 ** 0.25)


def test_dense_is_one_and_more_sparsity_is_lower():
    from cosim.workloads import load_workload

    g = load_workload("resnet50")
    assert network_aware_proxy(g, Sparsity(kind="dense", density=1.0)) == 1.0
    vals = [network_aware_proxy(g, Sparsity(kind="unstructured", density=d)) for d in (0.75, 0.5, 0.25)]
    assert vals[0] > vals[1] > vals[2] > 0


def test_sweep_rows_carry_it_named_as_a_proxy():
    from cosim.metrics import METRICS

    from cosim.search.evaluate import workload_metrics

    assert "accuracy_proxy_network_aware" in METRICS
    m = workload_metrics(("mlp", "2:4", "uniform", 8, "default"))
    assert 0 < m["accuracy_proxy_network_aware"] < 1 and np.isnan(m["accuracy"])
