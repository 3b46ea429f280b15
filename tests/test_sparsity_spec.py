"""Sparsity specs: parsing, per-layer YAML, application to a graph (cosim/sparsity_spec.py)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cosim.errors import CosimError
from cosim.graph import Layer, LayerGraph
from cosim.sparsity import Sparsity
from cosim.sparsity_spec import apply_sparsity, load_sparsity_yaml, parse_sparsity


# ---- parse_sparsity ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text,want", [
    ("dense", Sparsity()),
    (" Dense ", Sparsity()),
    ("2:4", Sparsity(kind="nm", density=0.5, n=2, m=4)),
    ("nm:1:4", Sparsity(kind="nm", density=0.25, n=1, m=4)),
    ("4:4", Sparsity(kind="nm", density=1.0, n=4, m=4)),
    ("unstructured:0.8", Sparsity(kind="unstructured", density=1.0 - 0.8)),
    ("unstructured:0", Sparsity(kind="unstructured", density=1.0)),
    ("block:4x4:0.75", Sparsity(kind="block", density=0.25, block_h=4, block_w=4)),
    ("block:2x8:0.5", Sparsity(kind="block", density=0.5, block_h=2, block_w=8)),
    ("channel:0.3", Sparsity(kind="channel", density=1.0 - 0.3)),
])
def test_parse(text, want):
    assert parse_sparsity(text) == want


def test_unstructured_08_means_density_02():
    assert parse_sparsity("unstructured:0.8").density == pytest.approx(0.2)


@pytest.mark.parametrize("text,why", [
    ("4:2", "has N > M"),
    ("0:4", "N '0', not an integer >= 1"),
    ("unstructured:1", r"outside \[0, 1\)"),
    ("unstructured:1.5", r"outside \[0, 1\)"),
    ("unstructured:-0.1", r"outside \[0, 1\)"),
    ("unstructured:abc", "not a number"),
    ("unstructured", "needs exactly one sparsity"),
    ("block:4:0.5", "not HxW"),
    ("block:4x:0.5", "block width"),
    ("block:4x4", "malformed block spec"),
    ("channel:nan", r"outside \[0, 1\)"),
    ("sparse", "not a known sparsity form"),
])
def test_bad_specs_name_the_spec_and_the_accepted_forms(text, why):
    with pytest.raises(CosimError, match=why) as e:
        parse_sparsity(text)
    msg = str(e.value)
    assert f"'{text}'" in msg and "block:HxW:S" in msg and "\n" not in msg


@given(st.sampled_from(["unstructured", "channel"]), st.integers(0, 99))
def test_label_round_trips(kind, pct):
    sp = Sparsity(kind=kind, density=1 - pct / 100)
    assert parse_sparsity(sp.label).density == pytest.approx(sp.density)
    assert parse_sparsity(sp.label).kind == kind


@given(st.integers(1, 16), st.integers(1, 16))
def test_nm_round_trips(a, b):
    n, m = min(a, b), max(a, b)
    assert parse_sparsity(Sparsity.nm_pattern(n, m).label) == Sparsity.nm_pattern(n, m)


# ---- graph application -----------------------------------------------------------------------------------
def net() -> LayerGraph:
    g = LayerGraph("toy")
    g.add(Layer.conv2d("conv1", 3, 16, 8, 3))  # N 16, K 27
    g.add(Layer.vector("relu1", "act", 16, 8), "conv1")
    g.add(Layer.conv2d("layer1.conv", 16, 32, 8, 3), "relu1")  # N 32, K 144
    g.add(Layer.conv2d("layer2.conv", 32, 32, 8, 1), "layer1.conv")  # N 32, K 32
    g.add(Layer.matmul("attn.qk", 8, 8, 16), "layer2.conv")
    g.add(Layer.linear("fc", 32, 10), "attn.qk")  # N 10, K 32
    return g


def sparsity_of(graph):
    return {l.name: l.weight_sparsity for l in graph.layers()}


def test_one_spec_annotates_every_weight_layer_only():
    out = sparsity_of(apply_sparsity(net(), "unstructured:0.5"))
    for name in ("conv1", "layer1.conv", "layer2.conv", "fc"):
        assert out[name] == Sparsity("unstructured", 0.5)
    assert out["attn.qk"].is_dense and out["relu1"].is_dense


def test_mapping_precedence_exact_then_first_glob_then_default():
    out = sparsity_of(apply_sparsity(net(), {
        "default": "unstructured:0.5", "layer*": "2:4", "layer2.*": "1:4", "layer2.conv": "channel:0.25"}))
    assert out["conv1"] == Sparsity("unstructured", 0.5)
    assert out["layer1.conv"] == Sparsity.nm_pattern(2, 4)
    assert out["layer2.conv"] == Sparsity("channel", 0.75)  # exact name beats both globs
    assert out["fc"] == Sparsity("unstructured", 0.5)


def test_layers_not_covered_keep_their_annotation():
    g = apply_sparsity(net(), {"fc": "2:4"})
    g2 = apply_sparsity(g, {"conv1": "1:4"})
    out = sparsity_of(g2)
    assert out["fc"] == Sparsity.nm_pattern(2, 4) and out["conv1"] == Sparsity.nm_pattern(1, 4)
    assert out["layer1.conv"].is_dense


def test_the_input_graph_is_not_modified():
    g = net()
    apply_sparsity(g, "2:4")
    assert all(l.weight_sparsity.is_dense for l in g.layers())


def test_block_that_does_not_divide_names_the_layer():
    # Named explicitly: an error naming the layer.
    with pytest.raises(CosimError, match=r"layer 'conv1': block 4x4 does not divide its \(N, K\) = \(16, 27\)"):
        apply_sparsity(net(), {"conv1": "block:4x4:0.5"})
    out = sparsity_of(apply_sparsity(net(), {"layer*": "block:4x4:0.5"}))
    assert out["layer1.conv"].kind == "block"
    # Network-wide default: applied where it fits, the rest left dense and listed with the reason.
    g = apply_sparsity(net(), "block:4x4:0.5")
    assert sparsity_of(g)["conv1"].is_dense and "conv1" in g.sparsity_left_dense
    assert "does not divide" in g.sparsity_left_dense["conv1"]


def test_mask_shape_mismatch_names_the_layer():
    bad = Sparsity.from_mask(np.ones((1, 10, 31), bool))
    with pytest.raises(CosimError, match=r"layer 'fc': weight mask shape \(1, 10, 31\) does not match"):
        apply_sparsity(net(), {"fc": bad})


def test_nm_mask_that_breaks_its_pattern_names_the_layer():
    mask = np.ones((1, 10, 32), bool)
    bad = Sparsity(kind="nm", density=1.0, n=2, m=4, mask=mask)
    with pytest.raises(CosimError, match="layer 'fc': weight mask is not 2:4 sparse"):
        apply_sparsity(net(), {"fc": bad})


def test_entries_that_match_nothing_or_have_no_weights_are_errors():
    with pytest.raises(CosimError, match="'conv9' names no layer of network 'toy'"):
        apply_sparsity(net(), {"conv9": "2:4"})
    with pytest.raises(CosimError, match="'block9.*' matches no layer") as e:
        apply_sparsity(net(), {"block9.*": "2:4"})
    first = net().layers()[0].name
    assert f"layer names look like '{first}'" in str(e.value)  # says what names to write instead
    with pytest.raises(CosimError, match=r"layer 'attn.qk' \(matmul\) has no weights"):
        apply_sparsity(net(), {"attn.qk": "2:4"})
    with pytest.raises(CosimError, match="entry 'fc': sparsity spec '5:4'"):
        apply_sparsity(net(), {"fc": "5:4"})


# ---- YAML files -----------------------------------------------------------------------------------------
def test_yaml_file_with_default_globs_and_unquoted_nm(tmp_path):
    p = tmp_path / "sp.yaml"
    p.write_text("default: unstructured:0.5\nconv1: dense\n'layer*': 2:4\nfc: 1:4\n")
    spec = load_sparsity_yaml(p)
    assert list(spec) == ["default", "conv1", "layer*", "fc"]
    assert spec["layer*"] == Sparsity.nm_pattern(2, 4)  # unquoted 2:4 is not read as base-60 124
    out = sparsity_of(apply_sparsity(net(), spec))
    assert out["conv1"].is_dense and out["fc"] == Sparsity.nm_pattern(1, 4)
    assert out["layer2.conv"] == Sparsity.nm_pattern(2, 4)


def test_yaml_mask_entry(tmp_path):
    mask = np.random.default_rng(0).random((10, 32)) < 0.4
    np.save(tmp_path / "fc.npy", mask)
    p = tmp_path / "sp.yaml"
    p.write_text("fc: {mask: fc.npy}\n")
    sp = load_sparsity_yaml(p)["fc"]
    assert sp.source == "mask" and sp.density == pytest.approx(mask.mean())
    layer = apply_sparsity(net(), {"fc": sp})["fc"]
    assert np.array_equal(layer.weight_sparsity.mask[0], mask)


@pytest.mark.parametrize("body,why", [
    ("fc: [1, 2]\n", "entry 'fc': expected a sparsity text"),
    ("fc: 3:2\n", "entry 'fc': sparsity spec '3:2' has N > M"),
    ("- 2:4\n", "must map layer names or globs"),
    ("fc: {pattern: 2:4}\n", "needs mask"),
    ("fc: [unclosed\n", "is not valid YAML"),
])
def test_bad_yaml_files_are_one_line_errors(tmp_path, body, why):
    p = tmp_path / "sp.yaml"
    p.write_text(body)
    with pytest.raises(CosimError, match=why) as e:
        load_sparsity_yaml(p)
    assert "\n" not in str(e.value)


def test_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(CosimError, match="cannot be read"):
        load_sparsity_yaml(tmp_path / "nope.yaml")
