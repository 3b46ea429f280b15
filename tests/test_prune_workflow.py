"""Workloads without data: synthetic weights, the named proxy, external evaluators, ONNX-style weights."""

from __future__ import annotations

import numpy as np
import pytest

from cosim.graph import Layer, LayerGraph
from cosim.prune.schedules import Schedule
from cosim.prune.synthetic import synthetic_weights, weight_norm_proxy
from cosim.prune.workflow import prune_workload


def net() -> LayerGraph:
    g = LayerGraph("wf")
    g.add(Layer.conv2d("c1", 3, 8, 4, 3))
    g.add(Layer.vector("r1", "act", 8, 4, kind="relu"), "c1")
    g.add(Layer.conv2d("c2", 8, 8, 4, 3), "r1")
    g.add(Layer.linear("fc", 8 * 16, 10), "c2")
    return g


def test_synthetic_weights_are_seeded_per_layer():
    a, b = synthetic_weights(net(), seed=1), synthetic_weights(net(), seed=1)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["c1"], synthetic_weights(net(), seed=2)["c1"])
    assert a["c2"].std() == pytest.approx(np.sqrt(2 / 72), rel=0.1)  # He-normal, fan-in 72


def test_proxy_is_one_when_dense_and_falls_with_sparsity():
    g = net()
    proxies = [prune_workload(g, f"unstructured:{s}").accuracy_after for s in (0.0, 0.3, 0.6, 0.9)]
    assert proxies[0] == pytest.approx(1.0)
    assert all(b < a for a, b in zip(proxies, proxies[1:]))
    run = prune_workload(g, "unstructured:0.5")
    assert run.accuracy_kind == "proxy:accuracy_proxy_weight_norm" and any("synthetic" in n for n in run.notes)


def test_proxy_counts_quantization_error():
    w = {"x": np.array([[[0.3, -1.0, 0.0, 2.0]]], dtype=np.float32)}
    assert weight_norm_proxy(w, w) == 1.0
    q = {"x": np.array([[[0.25, -1.0, 0.0, 2.0]]], dtype=np.float32)}
    assert weight_norm_proxy(w, w, q) == pytest.approx(1 - 0.05 ** 2 / (0.09 + 1 + 4))
    assert weight_norm_proxy(w, {}) == 0.0


def test_given_weights_and_evaluator_see_original_shapes():
    g = net()
    rng = np.random.default_rng(0)
    torch_layout = {"c1": rng.standard_normal((8, 3, 3, 3)), "c2": rng.standard_normal((8, 8, 3, 3)),
                    "fc": rng.standard_normal((10, 128))}
    seen = []

    def evaluate(weights):
        seen.append({k: v.copy() for k, v in weights.items()})
        return 0.9 * float(np.count_nonzero(weights["c2"])) / weights["c2"].size + 0.1

    run = prune_workload(g, "channel:0.5", weights=torch_layout, evaluate=evaluate)
    assert run.accuracy_kind == "measured" and run.accuracy_before == pytest.approx(1.0)
    last = seen[-1]
    assert last["c1"].shape == (1, 8, 27) and last["c2"].shape == (1, 8, 72)  # original shapes
    kept = run.graph["c1"].out_channels
    assert kept == 4 and np.count_nonzero(np.abs(last["c1"]).sum(axis=2)) == 4
    # c2 lost the 9-wide input spans of the removed c1 channels, and half its own filters
    assert np.count_nonzero(last["c2"]) == 4 * 4 * 9
    assert run.accuracy_after == pytest.approx(0.9 * 144 / 576 + 0.1)


def test_graph_weights_attribute_is_used():
    g = net()
    g.weights = {k: np.ones_like(v) * (i + 1) for i, (k, v) in enumerate(synthetic_weights(g).items())}
    run = prune_workload(g, "unstructured:0.5")
    assert not any("synthetic" in n for n in run.notes)


def test_adaptive_on_the_proxy_stops_early():
    run = prune_workload(net(), "unstructured:0.95", schedule=Schedule("adaptive", steps=6, tolerance=0.2))
    assert run.steps[-1].accepted is False
    assert run.metrics.PR < 0.95 and run.accuracy_after >= 0.8


def test_onnx_initializers_are_pruned(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    wc = rng.standard_normal((8, 3, 3, 3)).astype(np.float32)
    wf = rng.standard_normal((10, 8 * 8 * 8)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "wc"], ["c"], pads=[1, 1, 1, 1], kernel_shape=[3, 3], name="conv"),
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             helper.make_node("Flatten", ["r"], ["f"], name="flat"),
             helper.make_node("Gemm", ["f", "wf"], ["y"], transB=1, name="fc")]
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
                              [numpy_helper.from_array(wc, "wc"), numpy_helper.from_array(wf, "wf")])
    path = tmp_path / "tiny.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    run = prune_workload(str(path), "unstructured:0.5")
    assert not any("synthetic" in n for n in run.notes)
    conv = [l for l in run.graph.compute_layers() if l.op == "conv2d"][0]
    mask = conv.weight_sparsity.mask.reshape(8, 27)
    mags = np.abs(wc.reshape(8, 27))
    assert mags[mask].min() >= mags[~mask].max()  # the real initializer magnitudes decided
