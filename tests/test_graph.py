"""Layer and LayerGraph: GEMM views, exact MAC counts, validation, topological order."""

import pytest

from cosim.errors import CosimError
from cosim.graph import Layer, LayerGraph


def test_conv_gemm_view_is_im2col():
    # 224x224x3 input, 64 7x7 filters, stride 2, pad 3 (ResNet-50 conv1): 112x112 outputs.
    l = Layer.conv2d("conv1", 3, 64, 224, 7, stride=2, padding=3)
    assert (l.out_h, l.out_w) == (112, 112)
    assert l.gemm == (1, 112 * 112, 64, 3 * 7 * 7)
    assert l.macs == 112 * 112 * 64 * 147
    assert l.params == 64 * 147


def test_depthwise_conv_is_groups_of_single_filter_gemms():
    l = Layer.conv2d("dw", 32, 32, 56, 3, stride=1, groups=32)
    g, m, n, k = l.gemm
    assert (g, m, n, k) == (32, 56 * 56, 1, 9)
    assert l.macs == 32 * 56 * 56 * 9
    assert l.params == 32 * 9


def test_dilation_and_padding_shape():
    l = Layer.conv2d("d", 8, 8, 32, 3, dilation=2)  # same padding = 2 for dilation 2
    assert (l.out_h, l.out_w) == (32, 32)
    l2 = Layer.conv2d("d2", 8, 8, 32, 3, padding=0, dilation=2)
    assert l2.out_h == 28


def test_linear_and_matmul():
    fc = Layer.linear("fc", 768, 3072, tokens=128)
    assert fc.gemm == (1, 128, 3072, 768)
    assert fc.macs == 128 * 3072 * 768
    qk = Layer.matmul("qk", m=128, n=128, k=64, heads=12)
    assert qk.gemm == (12, 128, 128, 64)
    assert qk.params == 0 and not qk.has_weights
    assert qk.macs == 12 * 128 * 128 * 64


def test_batch_scales_m_and_macs():
    fc = Layer.linear("fc", 64, 10)
    assert fc.replace(batch=8).macs == 8 * fc.macs
    assert fc.replace(batch=8).gemm_m == 8


def test_vector_layers_do_no_macs():
    p = Layer.pool("pool", 64, 112, kernel=3, stride=2, padding=1)
    assert p.macs == 0 and (p.out_h, p.out_w) == (56, 56)
    assert p.vector_ops == 64 * 56 * 56 * 9
    a = Layer.vector("relu", "act", 64, 56)
    assert a.vector_ops == 64 * 56 * 56
    e = Layer.embedding("emb", vocab=30522, width=768, tokens=128)
    assert e.param_extras == 30522 * 768 and e.macs == 0


@pytest.mark.parametrize("kw, field", [
    (dict(op="conv3d"), "op"),
    (dict(op="conv2d", in_channels=0), "in_channels"),
    (dict(op="conv2d", in_channels=6, groups=4), "groups"),
    (dict(op="conv2d", in_h=2, in_w=2, kernel_h=3, kernel_w=3), "kernel"),
    (dict(op="linear", act_density=0.0), "act_density"),
    (dict(op="linear", weight_bits=0), "weight_bits"),
])
def test_bad_layers_raise_one_line_errors(kw, field):
    with pytest.raises(CosimError) as e:
        Layer(name="bad", **kw)
    msg = str(e.value)
    assert "\n" not in msg and field in msg and "bad" in msg


def test_graph_topological_and_deterministic():
    g = LayerGraph("toy")
    g.add(Layer.conv2d("a", 3, 8, 8, 3))
    g.add(Layer.conv2d("b", 8, 8, 8, 3), "a")
    g.add(Layer.conv2d("c", 8, 8, 8, 3), "a")
    g.add(Layer.vector("sum", "add", 8, 8), ["b", "c"])
    assert [l.name for l in g] == ["a", "b", "c", "sum"]
    assert g.predecessors("sum") == ["b", "c"]
    assert g.macs == sum(l.macs for l in g.layers())
    with pytest.raises(CosimError, match="name used twice"):
        g.add(Layer.conv2d("a", 3, 8, 8, 3))
    with pytest.raises(CosimError, match="not a layer defined before"):
        g.add(Layer.conv2d("d", 3, 8, 8, 3), "zzz")


def test_graph_batch_and_replace_keep_edges():
    g = LayerGraph("toy")
    g.add(Layer.linear("fc1", 16, 8))
    g.add(Layer.linear("fc2", 8, 4), "fc1")
    g4 = g.with_batch(4)
    assert g4["fc2"].batch == 4 and g["fc2"].batch == 1
    assert g4.predecessors("fc2") == ["fc1"]
    g.replace(g["fc1"].replace(out_channels=6))
    assert g["fc1"].out_channels == 6 and g.successors("fc1") == ["fc2"]
    with pytest.raises(CosimError):
        g.with_batch(0)


def test_bias_affine_and_relu_input_are_typed_fields():
    conv = Layer.conv2d("c", 3, 8, 6, 3, bias=True)
    assert conv.param_extras == 8 and Layer.conv2d("c", 3, 8, 6, 3).param_extras == 0
    ln = Layer.vector("ln", "norm", 16, (1, 4), kind="layernorm", affine=True)
    assert ln.param_extras == 32
    # files written with the older '+tag' spelling read into the same fields
    legacy = Layer.conv2d("c", 3, 8, 6, 3, kind="conv+bias+relu-input")
    assert (legacy.kind, legacy.bias, legacy.relu_input) == ("conv", True, True)
    assert legacy == Layer.conv2d("c", 3, 8, 6, 3, kind="conv", bias=True, relu_input=True)
    with pytest.raises(CosimError, match="only conv2d and linear layers take a bias"):
        Layer.vector("r", "act", 8, 4, kind="relu", bias=True)
    with pytest.raises(CosimError, match="only norm layers are affine"):
        Layer.linear("fc", 8, 4, affine=True)
