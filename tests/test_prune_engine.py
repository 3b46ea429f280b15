"""The pruning engine on small hand-built graphs: masks on layers, channel surgery, layer removal."""

from __future__ import annotations

import numpy as np
import pytest

from cosim.errors import CosimError
from cosim.graph import Layer, LayerGraph
from cosim.prune.engine import gemm_view, prune_graph, validate
from cosim.prune.patterns import nm_violations, parse_pattern
from cosim.prune.structure import channel_deps, residual_branches
from cosim.prune.synthetic import synthetic_weights


def cnn() -> LayerGraph:
    g = LayerGraph("tiny-cnn")
    g.add(Layer.conv2d("c1", 1, 8, 4, 3))
    g.add(Layer.vector("r1", "act", 8, 4, kind="relu"), "c1")
    g.add(Layer.pool("p1", 8, 4, 2, 2, kind="maxpool"), "r1")
    g.add(Layer.conv2d("dw", 8, 8, 2, 3, groups=8), "p1")  # depthwise: carries the channels through
    g.add(Layer.conv2d("c2", 8, 16, 2, 3), "dw")
    g.add(Layer.linear("fc", 16 * 2 * 2, 10), "c2")  # reads the flattened 16×2×2 map
    return g


def residual() -> LayerGraph:
    g = LayerGraph("tiny-res")
    g.add(Layer.conv2d("stem", 3, 8, 4, 3))
    g.add(Layer.conv2d("b1", 8, 8, 4, 3), "stem")
    g.add(Layer.vector("n1", "norm", 8, 4), "b1")
    g.add(Layer.conv2d("b2", 8, 8, 4, 3), "n1")
    g.add(Layer.vector("add", "add", 8, 4), ["b2", "stem"])
    g.add(Layer.linear("fc", 8 * 16, 10), "add")
    return g


def test_fine_grained_masks_land_on_the_layers():
    g = cnn()
    res = prune_graph(g, synthetic_weights(g), parse_pattern("2:4"))
    for name in ("c1", "c2", "fc", "dw"):
        sp = res.graph[name].weight_sparsity
        assert sp.kind == "nm" and (sp.n, sp.m) == (2, 4) and sp.source == "mask"
        assert nm_violations(sp.mask, 2, 4) == 0
        assert np.all(res.weights[name][~sp.mask] == 0)
    assert g["c1"].weight_sparsity.is_dense  # the input graph is untouched


def test_unstructured_density_and_skip():
    g = cnn()
    res = prune_graph(g, synthetic_weights(g), parse_pattern("unstructured:0.75"), skip=("c1",))
    assert res.graph["c1"].weight_sparsity.is_dense
    assert res.graph["c2"].weight_sparsity.density == pytest.approx(0.25, abs=1 / 1152)
    with pytest.raises(CosimError, match="--skip: no layer named 'zz'"):
        prune_graph(g, synthetic_weights(g), parse_pattern("unstructured:0.5"), skip=("zz",))


def test_channel_pruning_shrinks_producer_channelwise_and_consumers():
    g = cnn()
    w = synthetic_weights(g)
    res = prune_graph(g, w, parse_pattern("channel:0.5"))
    out = res.graph
    assert out["c1"].out_channels == 4
    assert (out["r1"].in_channels, out["p1"].out_channels) == (4, 4)
    assert (out["dw"].in_channels, out["dw"].out_channels, out["dw"].groups) == (4, 4, 4)
    assert out["c2"].in_channels == 4 and out["c2"].out_channels == 8
    assert out["fc"].in_channels == 8 * 4  # 4 inputs (2×2 positions) per removed channel of c2
    assert "fc" in res.skipped and "output" in res.skipped["fc"]
    assert "dw" in res.skipped  # a depthwise conv cannot drop channels on its own
    for name in ("c1", "dw", "c2", "fc"):
        l = out[name]
        assert res.weights[name].shape == (l.groups, l.gemm_n, l.gemm_k)
    # the kept filters of c1 are its highest-L1 ones, unchanged
    keep = res.kept_channels["c1"]
    norms = np.abs(w["c1"]).sum(axis=2).ravel()
    assert set(keep) == set(np.argsort(norms)[-4:])
    assert np.array_equal(res.weights["c1"][0], w["c1"][0, keep])
    # c2's kept columns are the 9-wide spans of c1's kept channels
    cols = (keep[:, None] * 9 + np.arange(9)).ravel()
    assert np.array_equal(res.weights["c2"], w["c2"][:, res.kept_channels["c2"]][:, :, cols])
    assert out.macs < g.macs


def test_channel_deps_refuses_residual_outputs():
    g = residual()
    assert isinstance(channel_deps(g, "b1"), object) and not isinstance(channel_deps(g, "b1"), str)
    assert "add" in channel_deps(g, "b2")
    assert "add" in channel_deps(g, "stem")


def test_layer_removal_drops_a_residual_branch():
    g = residual()
    assert [b.layers for b in residual_branches(g)] == [("b1", "n1", "b2")]
    w = synthetic_weights(g)
    total = sum(v.size for v in w.values())
    res = prune_graph(g, w, parse_pattern("layer:0.9"))
    assert "b1" not in res.graph and "add" not in res.graph
    assert res.graph.predecessors("fc") == ["stem"]
    assert set(res.removed_layers) == {"b1", "n1", "b2", "add"}
    kept = sum(v.size for v in res.weights.values())
    assert kept == total - w["b1"].size - w["b2"].size
    # a budget too small for the branch removes nothing, and says so
    small = prune_graph(g, w, parse_pattern("layer:0.1"))
    assert "b1" in small.graph and small.skipped


def test_layer_removal_needs_a_residual_path():
    with pytest.raises(CosimError, match="no residual branch"):
        validate(cnn(), parse_pattern("layer:0.3"))


def test_prev_masks_stay_pruned():
    g = cnn()
    w = synthetic_weights(g)
    first = prune_graph(g, w, parse_pattern("unstructured:0.5"), criterion="random", seed=1)
    second = prune_graph(g, w, parse_pattern("unstructured:0.75"), criterion="random", seed=2,
                         prev_masks=first.masks)
    for n, m in second.masks.items():
        assert not np.any(m & ~first.masks[n])


def test_gemm_view_accepts_torch_layouts_and_checks_sizes():
    conv = Layer.conv2d("c", 4, 6, 5, 3, groups=2)
    w = np.arange(6 * 2 * 3 * 3, dtype=np.float32).reshape(6, 2, 3, 3)  # (out, in/groups, kh, kw)
    v = gemm_view(conv, w)
    assert v.shape == (2, 3, 18) and v[1, 0, 0] == w[3, 0, 0, 0]
    with pytest.raises(CosimError, match="layer 'c'"):
        gemm_view(conv, np.zeros((6, 4, 3, 3)))
    lin = Layer.linear("l", 5, 7)
    with pytest.raises(CosimError, match="transpose"):
        gemm_view(lin, np.zeros((5, 7)))


def test_global_scope_rejects_structured_patterns():
    g = cnn()
    with pytest.raises(CosimError, match="global"):
        prune_graph(g, synthetic_weights(g), parse_pattern("2:4"), scope="global")


def test_zero_layer_sparsity_leaves_layer_dense():
    g = cnn()
    res = prune_graph(g, synthetic_weights(g), parse_pattern("unstructured:0.5"), layer_sparsity={"c2": 0.0})
    assert res.graph["c2"].weight_sparsity.is_dense and not res.graph["c1"].weight_sparsity.is_dense
