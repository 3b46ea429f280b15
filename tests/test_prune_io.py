"""Pruned-model files: round trip, atomic writes, clear errors."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from cosim.errors import CosimError
from cosim.graph import Layer, LayerGraph
from cosim.prune.engine import prune_graph
from cosim.prune.io import load_pruned, read_metadata, read_weights, save_pruned
from cosim.prune.patterns import parse_pattern
from cosim.prune.synthetic import synthetic_weights
from cosim.prune.weight_sharing import attach_codebook


def graph() -> LayerGraph:
    g = LayerGraph("io-net")
    g.add(Layer.conv2d("c1", 3, 8, 6, 3, kind="conv+bias", weight_bits=4, act_bits=8))
    g.add(Layer.vector("r1", "act", 8, 6, kind="relu"), "c1")
    g.add(Layer.conv2d("c2", 8, 8, 6, 3), "r1")
    g.add(Layer.vector("add", "add", 8, 6), ["c2", "r1"])
    g.add(Layer.linear("fc", 8 * 36, 10, act_density=0.4), "add")
    return g


def test_round_trip_keeps_layers_edges_masks_and_codebooks(tmp_path):
    g = graph()
    res = prune_graph(g, synthetic_weights(g), parse_pattern("2:4"))
    attach_codebook(res.graph, "fc", np.linspace(-1, 1, 8, dtype=np.float32), entry_bits=16)
    path = save_pruned(tmp_path / "m.npz", res.graph, {"pattern": "2:4", "CE_perf": float("nan")}, res.weights)
    back = load_pruned(path)
    assert [l.name for l in back.layers()] == [l.name for l in res.graph.layers()]
    for l in res.graph.layers():
        b = back[l.name]
        assert b == l  # every field (the mask is compared below)
        assert back.predecessors(l.name) == res.graph.predecessors(l.name)
        if l.weight_sparsity.mask is not None:
            assert np.array_equal(b.weight_sparsity.mask, l.weight_sparsity.mask)
    cb = back.nx.nodes["fc"]["codebook"]
    assert cb["size"] == 8 and cb["entry_bits"] == 16 and back["fc"].weight_bits == 3
    assert read_metadata(path)["pattern"] == "2:4"
    assert np.array_equal(read_weights(path)["c2"], res.weights["c2"])
    assert back.macs == g.macs and back["fc"].act_density == 0.4


def test_write_is_atomic(tmp_path, monkeypatch):
    g = graph()
    target = tmp_path / "m.npz"
    target.write_bytes(b"old")

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(np, "savez_compressed", boom)
    with pytest.raises(RuntimeError):
        save_pruned(target, g)
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["m.npz"]


def test_errors(tmp_path):
    with pytest.raises(CosimError, match="does not exist"):
        load_pruned(tmp_path / "none.npz")
    bad = tmp_path / "bad.npz"
    bad.write_text("not a zip")
    with pytest.raises(CosimError, match="not a readable"):
        load_pruned(bad)
    other = tmp_path / "other.npz"
    np.savez(other, x=np.zeros(3))
    with pytest.raises(CosimError, match="no graph.json"):
        load_pruned(other)
    with pytest.raises(CosimError, match="folder"):
        save_pruned(tmp_path / "no" / "m.npz", graph())
    future = tmp_path / "future.npz"
    np.savez(future, **{"graph.json": np.array(json.dumps({"format": "cosim-pruned", "format_version": 99}))})
    with pytest.raises(CosimError, match="version"):
        load_pruned(future)
