"""The graph walker: sites with multiplicity, fusion, value keys that include masks."""

from __future__ import annotations

import numpy as np
import pytest

import cosim
from cosim.graph import Layer, LayerGraph
from cosim.simulate import evaluate_network, simulate
from cosim.sparsity import Sparsity
from cosim.walk import layer_key, standalone_walk, walk


def test_sites_with_multiplicity_cover_the_network():
    g = cosim.load_workload("bert-base")
    w = walk(g)
    assert int(w.counts.sum()) == len(g.layers()) and len(w.sites) < len(g.layers()) / 5
    assert [l.name for l in w.layers] == [l.name for l in g.layers()]
    assert all(w.sites[i].layer == l.replace(name=w.sites[i].layer.name) for l, i in zip(w.layers, w.site_index))
    assert w.owners  # GELU into its linear, ...
    assert all(s.fused == (s.layer.name in w.owners) for s in w.sites)


@pytest.mark.parametrize("accel", ["scalesim-32x32-ws", "h100-sxm"])
def test_shared_sites_give_the_numbers_of_one_site_per_layer(accel):
    g = cosim.load_workload("bert-base")
    spec = cosim.load_accelerator(accel)
    shared = evaluate_network(walk(g), [spec])
    each = evaluate_network(walk(g, distinct=False), [spec])
    assert len(shared.walk.sites) < len(each.walk.sites) == len(g.layers())
    assert shared.total_cycles[0] == each.total_cycles[0]
    assert shared.energy_pj[0] == pytest.approx(each.energy_pj[0], rel=1e-12)
    assert shared.dram_read_bytes[0] == each.dram_read_bytes[0]


def _masked(name: str, mask: np.ndarray) -> Layer:
    return Layer.linear(name, 8, 2, tokens=4, weight_sparsity=Sparsity.from_mask(mask))


def test_layers_with_different_masks_of_equal_density_are_different_sites():
    a = np.zeros((1, 2, 8), bool)
    a[0, :, :4] = True
    b = np.zeros((1, 2, 8), bool)
    b[0, :, 4:] = True
    la, lb, la2 = _masked("a", a), _masked("b", b), _masked("c", a.copy())
    assert la.weight_sparsity.density == lb.weight_sparsity.density
    assert layer_key(la) != layer_key(lb) and layer_key(la) == layer_key(la2)
    g = LayerGraph("masks")
    g.add(la)
    g.add(lb, "a")
    g.add(la2, "b")
    w = walk(g)
    assert len({s.layer.name for s in w.sites}) == 3  # context differs for the first (no producer)
    g2 = LayerGraph("same")
    g2.add(Layer.linear("in", 8, 8, tokens=4))
    g2.add(la, "in")
    g2.add(la2, "a")
    g2.add(Layer.linear("out", 2, 2, tokens=4), "c")
    assert [s.count for s in walk(g2).sites] == [1, 2, 1]


def test_statistical_layers_are_kept_apart_by_name_when_names_matter():
    sp = Sparsity(kind="unstructured", density=0.5)
    g = LayerGraph("stat")
    g.add(Layer.linear("in", 8, 8, tokens=4))
    g.add(Layer.linear("a", 8, 8, tokens=4, weight_sparsity=sp), "in")
    g.add(Layer.linear("b", 8, 8, tokens=4, weight_sparsity=sp), "a")
    g.add(Layer.linear("out", 8, 8, tokens=4), "b")
    assert len(walk(g).sites) == 3 and len(walk(g, names_matter=True).sites) == 4


def test_walk_follows_graph_changes():
    g = LayerGraph("grow")
    g.add(Layer.linear("a", 8, 8))
    assert len(walk(g).layers) == 1
    g.add(Layer.linear("b", 8, 8), "a")
    assert len(walk(g).layers) == 2
    g.replace(Layer.linear("b", 8, 16))
    assert walk(g).layers[1].out_channels == 16


def test_no_fuse_keeps_every_layer_on_its_own():
    g = cosim.load_workload("resnet18")
    assert walk(g).owners and not walk(g, fuse=False).owners
    spec = cosim.load_accelerator("scalesim-32x32-ws")
    assert simulate(g, spec, fuse=False).total.total_cycles > simulate(g, spec).total.total_cycles


def test_standalone_walk_is_one_site():
    w = standalone_walk(Layer.linear("fc", 64, 64, tokens=8))
    assert w.standalone and len(w.sites) == 1 and not w.sites[0].has_producer and not w.owners
