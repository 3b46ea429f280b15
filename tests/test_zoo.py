"""The zoo against published totals, and its graph structure.

Counting convention: MACs are the multiply-accumulates of convolutions, linear layers and attention
matmuls (``LayerGraph.macs``); vector layers (norms, activations, pools, adds, softmax) do none.
Parameters are weights + biases + norm scale/shift + embedding tables (``LayerGraph.params``), i.e. what
``sum(p.numel() for p in model.parameters())`` counts in PyTorch (batch-norm running statistics are
buffers, not parameters).

Published figures:
* torchvision model docs (https://pytorch.org/vision/stable/models.html, "num_params" and "GFLOPS",
  the latter being multiply-adds at 224×224): resnet18 11,689,512 / 1.81; resnet50 25,557,032 / 4.09;
  mobilenet_v2 3,504,872 / 0.30; vgg16 138,357,544 / 15.47; alexnet 61,100,840 / 0.71.
* Hugging Face ``BertModel`` (bert-base-uncased, with pooler): 109,482,240 parameters; BERT paper
  (Devlin et al. 2019) rounds to 110 M, bert-large 340 M (HF: 335,141,888).
* Hugging Face ``GPT2Model`` (gpt2): 124,439,808 parameters (the LM head is tied to the token embedding);
  gpt2-medium 354,823,168 (Radford et al. 2019 round to 117 M / 345 M with an older count).
* BERT-base MACs at sequence 128: 12 layers × (128 × 7,077,888 projection/FFN MACs + 2 × 12·128·128·64
  attention MACs) = 11.17 G, the "~11 GMACs" (≈22 GFLOPs) commonly quoted; the pooler adds 0.59 M.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.errors import CosimError
from cosim.graph import LayerGraph
from cosim.workloads import load_workload, zoo_names
from cosim.workloads.zoo import ZOO, mark_relu_inputs, reads_relu_output

# (name, exact params, published MACs, relative tolerance on MACs)
PUBLISHED = [
    ("resnet18", 11_689_512, 1.81e9, 0.01),
    ("resnet50", 25_557_032, 4.09e9, 0.01),
    ("mobilenetv2", 3_504_872, 0.30e9, 0.01),
    ("vgg16", 138_357_544, 15.47e9, 0.01),
    ("alexnet", 61_100_840, 0.71e9, 0.01),
    ("bert-base", 109_482_240, 11.17e9, 0.01),
    ("bert-large", 335_141_888, None, None),
    ("gpt2-small", 124_439_808, None, None),
    ("gpt2-medium", 354_823_168, None, None),
]


@pytest.mark.parametrize("name, params, macs, tol", PUBLISHED)
def test_totals_match_published_figures(name, params, macs, tol):
    g = ZOO[name]()
    assert g.params == params
    if macs is not None:
        assert g.macs == pytest.approx(macs, rel=tol)


def test_exact_mac_counts_by_hand():
    # AlexNet (torchvision) layer by layer: conv1 55²·64·3·11², conv2 27²·192·64·25, conv3 13²·384·192·9,
    # conv4 13²·256·384·9, conv5 13²·256·256·9, fc 9216·4096 + 4096² + 4096·1000.
    alex = 55 * 55 * 64 * 3 * 121 + 27 * 27 * 192 * 64 * 25 + 169 * 384 * 192 * 9 + 169 * 256 * 384 * 9 \
        + 169 * 256 * 256 * 9 + 9216 * 4096 + 4096 * 4096 + 4096 * 1000
    assert ZOO["alexnet"]().macs == alex == 714_188_480
    per_layer = 128 * (4 * 768 * 768 + 2 * 768 * 3072) + 2 * 12 * 128 * 128 * 64
    assert ZOO["bert"](pooler=False).macs == 12 * per_layer
    assert ZOO["gpt2-small"]().macs == 12 * per_layer  # same shapes as BERT-base at 128 tokens
    assert ZOO["mlp"]().macs == 784 * 128 + 128 * 64 + 64 * 10
    assert ZOO["mlp"]().params == 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10


def test_small_cnn_padding_choices():
    valid = ZOO["small-cnn"]()  # Keras tutorial CNN: 28→26→13→11→5→3, 3·3·64 = 576 features
    assert valid.params == 93_322
    assert [l.out_h for l in valid.compute_layers()[:3]] == [26, 11, 3]
    same = ZOO["small-cnn"](padding="same")  # 28→28→14→14→7→7
    assert [l.out_h for l in same.compute_layers()[:3]] == [28, 14, 7]
    assert same["fc1"].in_channels == 7 * 7 * 64
    with pytest.raises(CosimError, match="padding"):
        ZOO["small-cnn"](padding="full")


def test_attention_is_matmul_with_heads_and_embeddings_are_layers():
    g = ZOO["bert-base"](seq_len=64)
    qk = g["encoder.0.scores"]
    assert qk.op == "matmul" and qk.gemm == (12, 64, 64, 64) and qk.params == 0
    av = g["encoder.0.context"]
    assert av.gemm == (12, 64, 64, 64)
    assert g.predecessors("encoder.0.scores") == ["encoder.0.query", "encoder.0.key"]
    assert set(g.predecessors("encoder.0.context")) == {"encoder.0.softmax", "encoder.0.value"}
    assert g["embeddings.word"].op == "embedding" and g["embeddings.word"].param_extras == 30522 * 768
    assert g["encoder.0.softmax"].output_elems == 12 * 64 * 64
    ops = {l.op for l in g.layers()}
    assert {"embedding", "norm", "act", "add", "softmax", "linear", "matmul"} <= ops


def test_gpt_decode_step_reads_the_kv_cache():
    g = ZOO["gpt"](seq_len=1, kv_cache=511)
    assert g["h.0.scores"].gemm == (12, 1, 512, 64)  # one query over 512 keys
    assert g["h.0.context"].gemm == (12, 1, 64, 512)
    assert g["h.0.scores"].weight_elems == 12 * 64 * 512  # the cached keys are the second operand
    with pytest.raises(CosimError, match="max_positions"):
        ZOO["gpt"](seq_len=1000, kv_cache=100)
    head = ZOO["gpt2-small"](lm_head=True)
    assert head["lm_head"].macs == 128 * 768 * 50257
    assert head.params == 124_439_808 + 768 * 50257  # the tied matrix is counted again (documented)


def test_resnet_edges_form_residual_blocks():
    g = ZOO["resnet50"]()
    assert set(g.predecessors("layer1.0.add")) == {"layer1.0.bn3", "layer1.0.downsample.bn"}
    assert set(g.predecessors("layer1.1.add")) == {"layer1.1.bn3", "layer1.0.relu_out"}
    assert g.successors("layer1.0.relu_out") == ["layer1.1.conv1", "layer1.1.add"]
    assert g["layer2.0.conv2"].stride_h == 2 and g["layer2.0.conv1"].stride_h == 1  # v1.5
    assert len(g.compute_layers()) == 54 and g["fc"].kind == "fc" and g["fc"].bias
    assert sum(1 for l in g.layers() if l.op == "add") == 16
    # every layer but the stem is fed by another layer
    assert [l.name for l in g.layers() if not g.predecessors(l.name)] == ["conv1"]


def test_mobilenetv2_depthwise_and_residuals():
    g = ZOO["mobilenetv2"]()
    dw = g["features.2.depthwise"]
    assert dw.groups == dw.in_channels == dw.out_channels == 96 and dw.gemm == (96, 56 * 56, 1, 9)
    assert sum(1 for l in g.layers() if l.op == "add") == 10
    assert "add" not in [l.op for l in g.layers() if l.name.startswith("features.2.")]  # stride 2: no residual
    half = ZOO["mobilenetv2"](width_mult=0.5)
    assert half.params < g.params and half["features.0.conv"].out_channels == 16


def test_relu_input_tags_mark_layers_fed_by_relu():
    g = ZOO["resnet50"]()
    assert not reads_relu_output(g["conv1"])
    assert reads_relu_output(g["layer1.0.conv1"])  # via the max-pool of a ReLU output
    assert reads_relu_output(g["layer1.0.conv2"]) and reads_relu_output(g["layer1.0.downsample.conv"])
    assert not reads_relu_output(g["layer1.0.bn1"]) and not reads_relu_output(g["fc"])  # fc reads the avg-pool
    m = ZOO["mobilenetv2"]()
    assert not reads_relu_output(m["features.2.expand"])  # linear bottleneck: no ReLU before it
    assert reads_relu_output(m["features.2.depthwise"]) and reads_relu_output(m["features.2.project"])
    assert not any(reads_relu_output(l) for l in ZOO["bert"]().layers())  # GELU keeps negatives
    # the graph pass agrees with the builder's inline tags
    stripped = g.map_layers(lambda l: l.replace(relu_input=False))
    mark_relu_inputs(stripped)
    assert [l.relu_input for l in stripped.layers()] == [l.relu_input for l in g.layers()]
    assert stripped.layers() == g.layers()


def test_aliases_and_load_workload():
    assert ZOO["resnet-50"] is ZOO["resnet_50"] is ZOO["resnet50"]
    assert ZOO["bert"] is ZOO["bert_base"] is ZOO["bert-base"]
    assert load_workload("ResNet-18").macs == ZOO["resnet18"]().macs
    assert load_workload("bert", seq_len="64").name == "bert-base"
    assert {"resnet18", "resnet50", "mobilenetv2", "vgg16", "alexnet", "bert-base", "gpt", "gpt2-small", "mlp",
            "small-cnn"} <= set(zoo_names())
    assert all(n == n.lower() for n in ZOO)


@pytest.mark.parametrize("name", sorted(ZOO))
def test_every_builder_rejects_unknown_parameters(name):
    with pytest.raises(CosimError, match="unknown parameter 'imagesize'"):
        ZOO[name](imagesize=3)


def test_parameter_values_are_checked():
    with pytest.raises(CosimError, match="parameter 'batch' must be a positive integer"):
        ZOO["resnet18"](batch=0)
    with pytest.raises(CosimError, match="parameter 'image_size' must be an integer"):
        ZOO["resnet18"](image_size="big")
    with pytest.raises(CosimError, match="divisible by 'heads'"):
        ZOO["gpt"](width=100, heads=12)
    with pytest.raises(CosimError, match="weight_bits"):
        ZOO["mlp"](weight_bits=65)
    assert ZOO["resnet18"](image_size="160")["conv1"].in_h == 160  # CLI strings are converted


def test_batch_and_bits_reach_every_layer():
    g = ZOO["resnet18"](batch=8, weight_bits=4, act_bits=6)
    assert {(l.batch, l.weight_bits, l.act_bits, l.out_bits) for l in g.layers()} == {(8, 4, 6, 6)}
    assert g.macs == 8 * ZOO["resnet18"]().macs
    assert ZOO["mlp"](hidden="256,32").params == 784 * 256 + 256 + 256 * 32 + 32 + 32 * 10 + 10


@settings(max_examples=8, deadline=None)
@given(st.sampled_from([64, 96, 128, 160, 192, 224, 256, 320]))
def test_resnet_macs_scale_with_image_area(size):
    # Every spatial size in ResNet-50 divides by 32 here, so conv MACs scale exactly with the pixel count;
    # only the classifier (2048·1000, independent of size) does not.
    fc = 2048 * 1000
    base = ZOO["resnet50"]().macs - fc
    assert ZOO["resnet50"](image_size=size).macs - fc == base * size * size // (224 * 224)


@settings(max_examples=20, deadline=None)
@given(seq=st.integers(1, 512), batch=st.integers(1, 4))
def test_transformer_macs_formula(seq, batch):
    g = ZOO["bert"](seq_len=seq, batch=batch, pooler=False)
    assert g.macs == batch * 12 * (seq * (4 * 768 * 768 + 2 * 768 * 3072) + 2 * 12 * seq * seq * 64)
    assert g.params == 109_482_240 - (768 * 768 + 768)  # without the pooler


def test_graphs_are_acyclic_and_deterministic():
    a, b = ZOO["mobilenetv2"](), ZOO["mobilenetv2"]()
    assert [l.name for l in a.layers()] == [l.name for l in b.layers()]
    assert isinstance(a, LayerGraph) and len(a.layers()) == len(a)


def test_canonical_names_list_each_network_once():
    from cosim.workloads.zoo import canonical_names

    names = canonical_names()
    assert len(names) == len({id(ZOO[n]) for n in ZOO}) and "resnet50" in names and "resnet-50" not in names
