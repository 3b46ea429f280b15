"""Hardware-aware allocation: budgets met, sparsity goes where the datapath rewards it."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from cosim.errors import CosimError
from cosim.graph import Layer, LayerGraph
from cosim.prune.allocation import (Cost, additive, allocate, allocatable_layers, levels_for, uniform_cost,
                                    weight_energy_sensitivity)
from cosim.prune.patterns import parse_pattern
from cosim.prune.synthetic import synthetic_weights


def mlp() -> LayerGraph:
    g = LayerGraph("alloc-mlp")
    g.add(Layer.linear("a", 64, 128, tokens=16))
    g.add(Layer.vector("ra", "act", 128, (1, 16), kind="relu"), "a")
    g.add(Layer.linear("b", 128, 128, tokens=16), "ra")
    g.add(Layer.vector("rb", "act", 128, (1, 16), kind="relu"), "b")
    g.add(Layer.linear("c", 128, 10, tokens=16), "rb")
    return g


class ToyCost:
    """Cycles = MACs, except on layers in ``skips`` where only effectual MACs cost (a datapath that
    skips zeros there and nowhere else)."""

    metric = "latency_s"

    def __init__(self, skips):
        self.skips = skips

    def __call__(self, graph):
        return float(sum(l.macs * (l.weight_sparsity.density if l.name in self.skips else 1.0)
                         for l in graph.compute_layers()))


def test_levels():
    assert levels_for(parse_pattern("2:4")) == (0.0, 0.5)
    lv = levels_for(parse_pattern("unstructured:0.8"))
    assert lv[0] == 0 and lv[-1] == 0.8 and all(b > a for a, b in zip(lv, lv[1:]))
    with pytest.raises(CosimError, match="above 0"):
        levels_for(parse_pattern("unstructured:0"))


def test_sparsity_goes_only_where_it_pays():
    g = mlp()
    w = synthetic_weights(g)
    pat = parse_pattern("unstructured:0.9")
    cost = ToyCost({"b"})
    sens = weight_energy_sensitivity(g, w, pat)
    dense = cost(g)
    alloc = allocate(g, w, pat, cost, 0.8 * dense, additive(sens))
    assert alloc.cost <= 0.8 * dense
    assert alloc.layer_sparsity["a"] == 0 and alloc.layer_sparsity["c"] == 0 and alloc.layer_sparsity["b"] > 0


def test_allocation_beats_uniform_saliency_at_equal_budget():
    g = mlp()
    w = synthetic_weights(g)
    w["a"] *= 10  # layer a matters far more (its weights carry most of the energy)
    pat = parse_pattern("unstructured:0.9")
    cost = ToyCost({"a", "b", "c"})
    names = allocatable_layers(g, w, pat)
    budget = uniform_cost(g, w, pat, cost, 0.5, names)
    sens = weight_energy_sensitivity(g, w, pat)
    alloc = allocate(g, w, pat, cost, budget, additive(sens))
    assert alloc.cost <= budget
    uniform_saliency = sum(sens(n, 0.5) for n in names)
    assert alloc.saliency < uniform_saliency
    assert alloc.layer_sparsity["a"] < alloc.layer_sparsity["b"]


def test_unreachable_budget_says_what_is_possible():
    g = mlp()
    w = synthetic_weights(g)
    pat = parse_pattern("unstructured:0.5")
    with pytest.raises(CosimError, match="cannot be met"):
        allocate(g, w, pat, ToyCost({"b"}), 0.1 * ToyCost(set())(g), additive(weight_energy_sensitivity(g, w, pat)))


def test_channel_allocation_on_the_systolic_simulator():
    from cosim.hw.loader import load_accelerator

    spec = load_accelerator("scalesim-32x32-ws")
    g = mlp()
    w = synthetic_weights(g)
    pat = parse_pattern("channel:0.75")
    from cosim.simulate import network_cost

    calls = []
    simulated = network_cost(spec)
    cost = Cost(lambda graph: calls.append(1) or simulated(graph))
    dense = cost(g)
    names = allocatable_layers(g, w, pat)
    assert names == ["a", "b"]  # c produces the output
    budget = uniform_cost(g, w, pat, cost, 0.5, names)
    assert budget < dense  # channel pruning shrinks the GEMMs: it pays on a dense array
    alloc = allocate(g, w, pat, cost, budget, additive(weight_energy_sensitivity(g, w, pat)))
    assert alloc.cost <= budget and alloc.metric == "latency_s"
    assert len(calls) > 2


def test_digits_hardware_aware_end_to_end():
    from cosim.hw.loader import load_accelerator
    from cosim.prune.schedules import Schedule
    from cosim.prune.workflow import hardware_aware_allocation, prune_workload

    spec = load_accelerator("scalesim-32x32-ws")
    pat = parse_pattern("channel:0.75")
    dense = prune_workload("digits-cnn", "dense").graph
    from cosim.simulate import network_cost

    budget = 0.5 * network_cost(spec)(dense)
    alloc = hardware_aware_allocation("digits-cnn", pat, spec, budget, sensitivity_epochs=0)
    assert alloc.cost <= budget and alloc.layer_sparsity["fc2"] == 0
    run = prune_workload("digits-cnn", pat, layer_sparsity=alloc.layer_sparsity,
                         schedule=Schedule("one-shot", finetune_epochs=1))
    assert network_cost(spec)(run.graph) <= budget * (1 + 1e-9)
    assert run.accuracy_kind == "measured" and 0 < run.accuracy_after <= 1



def test_never_worse_than_uniform_by_its_own_saliency():
    g = mlp()
    w = synthetic_weights(g)
    pat = parse_pattern("unstructured:0.9")
    cost = ToyCost({"a", "b", "c"})
    names = allocatable_layers(g, w, pat)

    def worst_layer(alloc):  # a saliency only uniform allocations minimise
        return max(alloc.values()) + 1e-3 * sum(alloc.values())

    budget = uniform_cost(g, w, pat, cost, 0.5, names)
    alloc = allocate(g, w, pat, cost, budget, worst_layer)
    assert alloc.cost <= budget
    assert alloc.saliency <= worst_layer({n: 0.5 for n in names})


def test_uniform_within_budget_picks_the_least_level():
    from cosim.prune.allocation import uniform_within_budget

    lv = (0.0, 0.25, 0.5, 0.75)
    cost = lambda a: sum(1 - v for v in a.values())  # noqa: E731 - each layer costs its density
    sal = lambda a: sum(a.values())  # noqa: E731
    alloc, c = uniform_within_budget(["a", "b"], lv, 1.0, cost, sal)
    assert alloc == {"a": 0.5, "b": 0.5} and c == 1.0
    alloc, c = uniform_within_budget(["a", "b"], lv, 1.25, cost, sal)
    assert sorted(alloc.values()) == [0.25, 0.5] and c == 1.25  # one level given back
    assert uniform_within_budget(["a", "b"], lv, 0.1, cost, sal) is None


def test_a_budget_the_dense_network_meets_prunes_nothing():
    g = mlp()
    w = synthetic_weights(g)
    pat = parse_pattern("unstructured:0.9")
    cost = ToyCost({"a", "b", "c"})
    alloc = allocate(g, w, pat, cost, 2 * cost(g), lambda a: -sum(a.values()))  # even if pruning "helped"
    assert set(alloc.layer_sparsity.values()) == {0.0} and alloc.cost == cost(g)


def test_uniform_except_keeps_the_first_conv_dense_and_the_network_at_its_sparsity():
    from cosim.prune.allocation import uniform_except

    # 100 + 900 weights, 90 % of 1,000 pruned with conv1 dense: the other layer loses 900 of 900
    assert uniform_except({"conv1": 100, "fc": 900}, 0.9, ("conv1",)) == {"conv1": 0.0, "fc": 1.0}
    got = uniform_except({"conv1": 288, "conv2": 18432, "fc": 1280}, 0.5, ("conv1",))
    assert got["conv1"] == 0.0 and got["conv2"] == got["fc"] == pytest.approx(0.5 * 20000 / 19712)
    with pytest.raises(CosimError, match="cannot be reached"):
        uniform_except({"conv1": 200, "fc": 800}, 0.9, ("conv1",))
    with pytest.raises(CosimError, match="not a weighted layer"):
        uniform_except({"fc": 800}, 0.5, ("conv1",))


@given(sizes=st.lists(st.integers(1, 5000), min_size=2, max_size=6), frac=st.floats(0.0, 1.0))
def test_uniform_except_prunes_exactly_the_network_share(sizes, frac):
    from cosim.prune.allocation import uniform_except

    named = {f"l{i}": n for i, n in enumerate(sizes)}
    reach = (sum(sizes) - sizes[0]) / sum(sizes)
    s = min(frac * reach, 0.999)
    got = uniform_except(named, s, ("l0",))
    assert got["l0"] == 0.0 and len(set(v for k, v in got.items() if k != "l0")) == 1
    assert sum(named[k] * v for k, v in got.items()) == pytest.approx(s * sum(sizes))
