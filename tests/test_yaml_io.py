"""Workload YAML: the schema, inference, the shipped network files, errors, and round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.errors import CosimError
from cosim.graph import Layer, LayerGraph
from cosim.sparsity import Sparsity
from cosim.workloads import load_workload
from cosim.workloads.yaml_dump import dump_yaml_workload
from cosim.workloads.yaml_io import load_yaml_workload
from cosim.workloads.zoo import ZOO, reads_relu_output

WORKLOADS = Path(__file__).resolve().parents[1] / "workloads"


def write(tmp_path, text: str, name: str = "w.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_shorthand_infers_shapes_and_tags(tmp_path):
    p = write(tmp_path, """
name: tiny
input: [3, 32, 32]
layers:
  - {name: c1, conv2d: {out: 16, kernel: 3, bias: true}}
  - {name: r1, act: relu}
  - {name: p1, pool: {kernel: 2}}
  - {name: c2, conv2d: {in: 16, out: 32, kernel: 3, stride: 2, padding: 0}}
  - {name: gap, pool: global}
  - {name: fc, linear: {out: 10}}
""")
    g = load_yaml_workload(p)
    assert g.name == "tiny" and [l.name for l in g.layers()] == ["c1", "r1", "p1", "c2", "gap", "fc"]
    c1, c2 = g["c1"], g["c2"]
    assert (c1.in_channels, c1.in_h, c1.pad_h, c1.out_h, c1.kind) == (3, 32, 1, 32, "conv") and c1.bias  # 'same' default
    assert (c2.in_h, c2.out_h) == (16, 7)
    assert g["p1"].kind == "maxpool" and g["p1"].relu_input and reads_relu_output(c2)
    assert (g["gap"].kernel_h, g["gap"].out_h) == (7, 1)
    assert (g["fc"].in_channels, g["fc"].in_w) == (32, 1)
    assert g.predecessors("fc") == ["gap"]
    assert g.params == 3 * 9 * 16 + 16 + 16 * 9 * 32 + 32 * 10


def test_long_form_and_explicit_inputs(tmp_path):
    p = write(tmp_path, """
layers:
  - {name: a, op: linear, in_channels: 64, out_channels: 32, in_w: 5}
  - {name: b, op: linear, in_channels: 64, out_channels: 32, in_w: 5, inputs: []}
  - {name: s, add: {}, inputs: [a, b]}
  - {name: mm, matmul: {m: 5, n: 5, k: 8, heads: 4}, inputs: [s]}
""")
    g = load_yaml_workload(p)
    assert g.name == "w" and g["a"].gemm == (1, 5, 32, 64)
    assert set(g.predecessors("s")) == {"a", "b"} and g.predecessors("b") == []
    assert g["s"].output_elems == 32 * 5 and g["mm"].gemm == (4, 5, 5, 8)


def test_params_expressions_and_overrides(tmp_path):
    p = write(tmp_path, """
params: {d: 64, seq: 16, heads: 4}
input: {channels: d, tokens: seq}
layers:
  - {name: up, linear: {out: 4 * d, bias: true}}
  - {name: down, linear: {out: d}}
  - {name: qk, matmul: {m: seq, n: seq, k: d // heads, heads: heads}, inputs: [down]}
""")
    g = load_yaml_workload(p)
    assert g["up"].gemm == (1, 16, 256, 64) and g["qk"].gemm == (4, 16, 16, 16)
    g = load_yaml_workload(p, seq="32", batch=2, weight_bits=4)
    assert g["up"].gemm == (1, 64, 256, 64) and g["qk"].gemm == (4, 64, 32, 16)
    assert {l.weight_bits for l in g.layers()} == {4}
    with pytest.raises(CosimError, match="unknown parameter 'sequence'; known: batch"):
        load_yaml_workload(p, sequence=3)


def test_sparsity_density_and_bits_per_layer(tmp_path):
    p = write(tmp_path, """
layers:
  - {name: a, linear: {in: 8, out: 8}, sparsity: '2:4', act_density: 0.5, weight_bits: 4, out_bits: 16}
  - {name: b, linear: {out: 8}, sparsity: {kind: unstructured, density: 0.25}}
""")
    g = load_yaml_workload(p)
    assert g["a"].weight_sparsity == Sparsity.nm_pattern(2, 4) and g["a"].act_density == 0.5
    assert (g["a"].weight_bits, g["a"].act_bits, g["a"].out_bits) == (4, 8, 16)
    assert g["b"].weight_sparsity.density == 0.25 and g["b"].out_bits == 8


@pytest.mark.parametrize("text, message", [
    ("layers:\n  - {name: a, conv3d: {out: 3}}", "layer 'a': unknown field 'conv3d'"),
    ("layers:\n  - {name: a, op: conv3d}", "layer 'a': op 'conv3d' is not supported"),
    ("layers:\n  - {name: a, linear: {in: 3}}", "layer 'a': field 'out' is missing"),
    ("layers:\n  - {name: a, linear: {in: -3, out: 2}}", "layer 'a': field 'in' must be >= 1, got -3"),
    ("layers:\n  - {name: a, linear: {in: 3, outt: 2}}", "layer 'a': unknown field 'outt' for linear"),
    ("layers:\n  - {name: a, linear: {in: 3, out: 2}}\n  - {name: b, add: {}, inputs: [c]}",
     "layer 'b': input 'c' is not a layer defined before it"),
    ("layers:\n  - {name: a, conv2d: {out: 3, kernel: 3}}", "layer 'a': field 'in' is missing"),
    ("layers:\n  - {name: a, linear: {in: 3, out: 2}}\n  - {name: a, act: relu}", "layer 'a': name used twice"),
    ("layers:\n  - {name: a, linear: {in: 3, out: 2}}\n  - {name: b, linear: {in: 5, out: 2}}",
     "layer 'b': field 'in' is 5 but input 'a' gives 2"),
    ("layers:\n  - {name: a, linear: {in: 3, out: x * 2}}", "layer 'a': field 'out': 'x \\* 2' uses unknown name 'x'"),
    ("layers:\n  - {name: a, linear: {in: 3, out: 2}, sparsity: '5:4'}", "layer 'a': field 'sparsity' is invalid"),
    ("layers:\n  - {name: a, conv2d: {in: 3, hw: 4, out: 2, kernel: 7, padding: 0}}", "does not fit the 4x4 input"),
    ("layers:\n  - {linear: {in: 3, out: 2}}", "layer #1: field 'name' is missing"),
    ("layers: []", "field 'layers' must be a non-empty list"),
    ("lyers: []", "unknown top-level field 'lyers'"),
    ("layers:\n  - {name: a, linear: {in: 3, out: 2}\n", "is not valid YAML at line 3"),
    ("params: {batch: 0}\nlayers:\n  - {name: a, linear: {in: 3, out: 2}}", "parameter 'batch' must be a positive"),
    ("layers:\n  - {name: a, linear: {in: 3, out: 2}, act: relu}", "give exactly one op key"),
])
def test_errors_are_one_line_and_name_layer_and_field(tmp_path, text, message):
    with pytest.raises(CosimError, match=message) as e:
        load_yaml_workload(write(tmp_path, text))
    assert "\n" not in str(e.value)


def test_missing_file_is_a_cosim_error(tmp_path):
    with pytest.raises(CosimError, match="cannot be read"):
        load_yaml_workload(tmp_path / "nope.yaml")


# ---- the shipped network files -------------------------------------------------------------------
def test_lenet5_totals():
    g = load_workload("lenet5")  # resolves workloads/lenet5.yaml by name
    # conv 28²·6·25 + 10²·16·150 + 120·400, fc 120·84 + 84·10 (LeCun et al. 1998, full C3)
    assert g.macs == 28 * 28 * 6 * 25 + 10 * 10 * 16 * 150 + 120 * 400 + 120 * 84 + 84 * 10 == 416_520
    assert g.params == 156 + 2_416 + 48_120 + 10_164 + 850 == 61_706
    assert g["c5"].out_h == 1 and g["f6"].in_channels == 120


def test_ds_cnn_totals():
    g = load_yaml_workload(WORKLOADS / "ds_cnn_kws.yaml")
    assert (g["conv1"].out_h, g["conv1"].out_w) == (25, 5)  # TF 'same', stride 2 on 49×10
    # conv1 125·64·40, per block depthwise 125·64·9 + pointwise 125·64·64, fc 64·12
    assert g.macs == 125 * 64 * 40 + 4 * (125 * 64 * 9 + 125 * 64 * 64) + 64 * 12 == 2_656_768
    assert g.params == (40 * 64 + 64 + 128) + 4 * (9 * 64 + 64 + 128 + 64 * 64 + 64 + 128) + 64 * 12 + 12 == 23_756
    assert reads_relu_output(g["dw1"]) and g["dw1"].groups == 64


def test_tiny_transformer_matches_the_zoo_encoder_layer():
    g = load_yaml_workload(WORKLOADS / "tiny_transformer.yaml")
    bert = ZOO["bert"](layers=1, width=256, heads=4, ffn=1024, seq_len=64, pooler=False)
    assert [l.gemm for l in g.compute_layers()] == [l.gemm for l in bert.compute_layers()]
    assert g.macs == bert.macs == 52_428_800
    layer_params = bert.params - sum(l.param_extras for l in bert.layers() if l.name.startswith("embeddings."))
    assert g.params == layer_params == 789_760
    assert load_yaml_workload(WORKLOADS / "tiny_transformer.yaml", seq=128).macs == \
        ZOO["bert"](layers=1, width=256, heads=4, ffn=1024, seq_len=128, pooler=False).macs


@pytest.mark.parametrize("path", sorted(WORKLOADS.glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_workloads_cite_a_source(path):
    import yaml

    assert yaml.safe_load(path.read_text()).get("source")


# ---- round trips ---------------------------------------------------------------------------------
def assert_same_graph(a: LayerGraph, b: LayerGraph):
    assert [l.name for l in a.layers()] == [l.name for l in b.layers()]
    for la, lb in zip(a.layers(), b.layers()):
        assert la == lb, la.name
    assert sorted(a.nx.edges) == sorted(b.nx.edges)


@pytest.mark.parametrize("name, params", [("resnet50", {}), ("mobilenetv2", {"batch": 2}),
                                          ("bert-base", {"seq_len": 32}), ("gpt2-small", {"act_bits": 16}),
                                          ("small-cnn", {})])
def test_zoo_graphs_round_trip(tmp_path, name, params):
    g = ZOO[name](**params)
    dump_yaml_workload(g, tmp_path / "g.yaml")
    h = load_yaml_workload(tmp_path / "g.yaml")
    assert h.name == g.name and h.macs == g.macs and h.params == g.params
    assert_same_graph(g, h)


def test_round_trip_of_odd_layers_uses_the_long_form(tmp_path):
    g = LayerGraph("odd")
    g.add(Layer(name="lin2d", op="linear", in_channels=8, out_channels=4, in_h=3, in_w=5, kind=""))
    g.add(Layer.conv2d("dil", 4, 4, (3, 5), (3, 1), dilation=2, padding=2, batch=3, weight_bits=2,
                       weight_sparsity=Sparsity(kind="block", density=0.5, block_h=2, block_w=2)), "lin2d")
    g.add(Layer.vector("ln", "norm", 4, (1, 7), kind="layernorm", act_density=0.3), ["dil"])
    g.add(Layer.pool("pool", 4, (6, 9), 3, 2, 1, kind="avgpool"), [])
    dump_yaml_workload(g, tmp_path / "odd.yaml")
    assert "op: linear" in (tmp_path / "odd.yaml").read_text()
    assert_same_graph(g, load_yaml_workload(tmp_path / "odd.yaml"))


def test_dump_is_atomic_on_failure(tmp_path):
    with pytest.raises(CosimError, match="no layers"):
        dump_yaml_workload(LayerGraph("empty"), tmp_path / "e.yaml")
    assert list(tmp_path.iterdir()) == []


@settings(max_examples=25, deadline=None)
@given(c=st.integers(1, 16), hw=st.integers(4, 20), out=st.integers(1, 16), k=st.integers(1, 4),
       s=st.integers(1, 3), pad=st.integers(0, 2), groups=st.sampled_from([1, 2]), batch=st.integers(1, 3))
def test_random_conv_chains_round_trip(tmp_path_factory, c, hw, out, k, s, pad, groups, batch):
    c, out = c * groups, out * groups
    g = LayerGraph("rand")
    g.add(Layer.conv2d("a", c, out, hw, k, s, pad, groups, batch=batch))
    g.add(Layer.vector("r", "act", out, g["a"].out_h, kind="relu", batch=batch), "a")
    g.add(Layer.linear("fc", out * g["a"].out_h ** 2, 3, batch=batch, kind="fc+bias"), "r")
    path = tmp_path_factory.mktemp("rt") / "g.yaml"
    dump_yaml_workload(g, path)
    assert_same_graph(g, load_yaml_workload(path))
