"""ONNX import: small models built with onnx.helper against the zoo, YAML and hand-built graphs."""

from __future__ import annotations

import builtins
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto as TP  # noqa: E402
from onnx import helper as oh  # noqa: E402
from onnx import numpy_helper as nh  # noqa: E402

from cosim.errors import CosimError  # noqa: E402
from cosim.graph import Layer, LayerGraph  # noqa: E402
from cosim.workloads import load_workload  # noqa: E402
from cosim.workloads.onnx_import import load_onnx  # noqa: E402
from cosim.workloads.yaml_io import load_yaml_workload  # noqa: E402
from cosim.workloads.zoo import ZOO, reads_relu_output  # noqa: E402

WORKLOADS = Path(__file__).resolve().parents[1] / "workloads"
RNG = np.random.default_rng(0)


def w(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def save(tmp_path, nodes, inputs, inits, name="m.onnx", opset=20):
    graph = oh.make_graph(nodes, "g", inputs, [oh.make_tensor_value_info(nodes[-1].output[0], TP.FLOAT, None)],
                          initializer=[nh.from_array(np.asarray(v), k) for k, v in inits.items()])
    model = oh.make_model(graph, opset_imports=[oh.make_opsetid("", opset)])
    path = tmp_path / name
    onnx.save(model, str(path))
    return path


def node(op, inputs, outputs, name, **attrs):
    return oh.make_node(op, inputs, [outputs] if isinstance(outputs, str) else outputs, name=name, **attrs)


def x_input(shape, name="x", dtype=TP.FLOAT):
    return [oh.make_tensor_value_info(name, dtype, shape)]


# ---- models ----------------------------------------------------------------------------------------
def small_cnn(tmp_path):
    """The zoo's small-cnn (valid padding) as PyTorch would export it: Conv+bias, MatMul+Add, Gemm."""
    inits = {"w1": w(32, 1, 3, 3), "b1": w(32), "w2": w(64, 32, 3, 3), "b2": w(64), "w3": w(64, 64, 3, 3),
             "b3": w(64), "f1": w(576, 64), "fb1": w(64), "f2": w(10, 64), "fb2": w(10)}
    nodes = [node("Conv", ["x", "w1", "b1"], "c1", "conv1"), node("Relu", ["c1"], "r1", "relu1"),
             node("MaxPool", ["r1"], "p1", "pool1", kernel_shape=[2, 2], strides=[2, 2]),
             node("Conv", ["p1", "w2", "b2"], "c2", "conv2"), node("Relu", ["c2"], "r2", "relu2"),
             node("MaxPool", ["r2"], "p2", "pool2", kernel_shape=[2, 2], strides=[2, 2]),
             node("Conv", ["p2", "w3", "b3"], "c3", "conv3"), node("Relu", ["c3"], "r3", "relu3"),
             node("Flatten", ["r3"], "fl", "flatten"),
             node("MatMul", ["fl", "f1"], "m1", "fc1"), node("Add", ["m1", "fb1"], "a1", "fc1_bias"),
             node("Relu", ["a1"], "r4", "relu4"), node("Gemm", ["r4", "f2", "fb2"], "y", "fc2", transB=1)]
    return save(tmp_path, nodes, x_input(["N", 1, 28, 28]), inits, "cnn.onnx"), inits


def attention_block(tmp_path, d=256, heads=4, ffn=1024):
    """One post-LN Transformer encoder layer with a symbolic sequence length, as tiny_transformer.yaml."""
    hd = d // heads
    inits = {"wq": w(d, d), "bq": w(d), "wk": w(d, d), "bk": w(d), "wv": w(d, d), "bv": w(d), "wo": w(d, d),
             "bo": w(d), "w1": w(d, ffn), "b1": w(ffn), "w2": w(ffn, d), "b2": w(d), "g1": w(d), "be1": w(d),
             "g2": w(d), "be2": w(d), "split": np.array([0, 0, heads, hd], np.int64),
             "merge": np.array([0, 0, d], np.int64), "scale": np.array(np.sqrt(hd), np.float32)}
    nodes = []
    for p in "qkv":
        nodes += [node("MatMul", ["x", f"w{p}"], f"{p}0", {"q": "query", "k": "key", "v": "value"}[p]),
                  node("Add", [f"{p}0", f"b{p}"], f"{p}1", f"{p}_bias"),
                  node("Reshape", [f"{p}1", "split"], f"{p}2", f"{p}_split"),
                  node("Transpose", [f"{p}2"], f"{p}3", f"{p}_t", perm=[0, 2, 3, 1] if p == "k" else [0, 2, 1, 3])]
    nodes += [node("MatMul", ["q3", "k3"], "s0", "scores"), node("Div", ["s0", "scale"], "s1", "scale"),
              node("Softmax", ["s1"], "s2", "softmax", axis=-1), node("MatMul", ["s2", "v3"], "c0", "context"),
              node("Transpose", ["c0"], "c1", "c_t", perm=[0, 2, 1, 3]),
              node("Reshape", ["c1", "merge"], "c2", "merge"),
              node("MatMul", ["c2", "wo"], "o0", "attn_out"), node("Add", ["o0", "bo"], "o1", "attn_out_bias"),
              node("Add", ["o1", "x"], "res1", "attn_add"),
              node("LayerNormalization", ["res1", "g1", "be1"], "ln1", "ln1", axis=-1),
              node("MatMul", ["ln1", "w1"], "f0", "ffn_up"), node("Add", ["f0", "b1"], "f1", "ffn_up_bias"),
              node("Gelu", ["f1"], "f2", "gelu"), node("MatMul", ["f2", "w2"], "f3", "ffn_down"),
              node("Add", ["f3", "b2"], "f4", "ffn_down_bias"), node("Add", ["f4", "ln1"], "res2", "ffn_add"),
              node("LayerNormalization", ["res2", "g2", "be2"], "y", "ln2", axis=-1)]
    return save(tmp_path, nodes, x_input([1, "seq", d]), inits, "attn.onnx")


def resnet_like(tmp_path):
    """Stem conv-BN-ReLU, one downsampling basic block (asymmetric pads on the strided conv), GAP, FC."""
    def bn(c, p):
        return {f"{p}_s": w(c), f"{p}_b": w(c), f"{p}_m": w(c), f"{p}_v": np.abs(w(c)) + 1}

    inits = {"w0": w(16, 3, 3, 3), "w1": w(32, 16, 3, 3), "w2": w(32, 32, 3, 3), "wd": w(32, 16, 1, 1),
             "fc": w(10, 32), "fcb": w(10), **bn(16, "bn0"), **bn(32, "bn1"), **bn(32, "bn2"), **bn(32, "bnd")}

    def bnode(x, y, p):
        return node("BatchNormalization", [x, f"{p}_s", f"{p}_b", f"{p}_m", f"{p}_v"], y, p)

    nodes = [node("Conv", ["x", "w0"], "c0", "conv0", pads=[1, 1, 1, 1]), bnode("c0", "n0", "bn0"),
             node("Relu", ["n0"], "r0", "relu0"),
             node("Conv", ["r0", "w1"], "c1", "conv1", strides=[2, 2], pads=[0, 0, 1, 1]), bnode("c1", "n1", "bn1"),
             node("Relu", ["n1"], "r1", "relu1"), node("Conv", ["r1", "w2"], "c2", "conv2", pads=[1, 1, 1, 1]),
             bnode("c2", "n2", "bn2"), node("Conv", ["r0", "wd"], "cd", "down", strides=[2, 2]),
             bnode("cd", "nd", "bnd"), node("Add", ["n2", "nd"], "s", "add"), node("Relu", ["s"], "r2", "relu2"),
             node("GlobalAveragePool", ["r2"], "g", "gap"), node("Flatten", ["g"], "f", "flatten"),
             node("Gemm", ["f", "fc", "fcb"], "y", "fc", transB=1)]
    return save(tmp_path, nodes, x_input([1, 3, 16, 16]), inits, "resnet_like.onnx")


# ---- tests -----------------------------------------------------------------------------------------
def test_conv_net_matches_the_zoo_small_cnn(tmp_path):
    path, _ = small_cnn(tmp_path)
    g, z = load_onnx(path), ZOO["small-cnn"]()
    assert (g.macs, g.params) == (z.macs, z.params) == (2_794_240, 93_322)
    assert [(l.op, l.gemm, l.kind) for l in g.compute_layers()] == [(l.op, l.gemm, l.kind) for l in z.compute_layers()]
    assert [l.op for l in g.layers()] == [l.op for l in z.layers()]  # the bias Add folded, Flatten passed through
    assert g.predecessors("fc1") == ["relu3"] and g.name == "cnn"
    b4 = load_onnx(path, batch=4)  # the symbolic batch dimension
    assert b4.macs == 4 * z.macs and {l.batch for l in b4.layers()} == {4}


def test_mlp_matches_the_zoo_mlp(tmp_path):
    inits = {"w1": w(784, 128), "b1": w(128), "w2": w(784 // 784 * 128, 64), "b2": w(64), "w3": w(10, 64), "b3": w(10)}
    nodes = [node("MatMul", ["x", "w1"], "m1", "fc1"), node("Add", ["b1", "m1"], "a1", "b1add"),
             node("Relu", ["a1"], "r1", "relu1"), node("Gemm", ["r1", "w2", "b2"], "a2", "fc2"),
             node("Relu", ["a2"], "r2", "relu2"), node("Gemm", ["r2", "w3", "b3"], "y", "fc3", transB=1)]
    g = load_onnx(save(tmp_path, nodes, x_input([1, 784]), inits))
    z = ZOO["mlp"]()
    assert (g.macs, g.params) == (z.macs, z.params)
    assert [(l.gemm, l.kind) for l in g.compute_layers()] == [(l.gemm, l.kind) for l in z.compute_layers()]


def test_attention_block_matches_the_yaml_transformer_layer(tmp_path):
    path = attention_block(tmp_path)
    g = load_onnx(path, seq=64)
    y = load_yaml_workload(WORKLOADS / "tiny_transformer.yaml")
    assert [l.gemm for l in g.compute_layers()] == [l.gemm for l in y.compute_layers()]
    assert (g.macs, g.params) == (y.macs, y.params) == (52_428_800, 789_760)
    scores = g["scores"]
    assert scores.op == "matmul" and scores.groups == 4 and scores.gemm == (4, 64, 64, 64)
    assert set(g.predecessors("scores")) == {"query", "key"}
    assert set(g.predecessors("context")) == {"softmax", "value"}
    assert g["scale"].op == "add" and g["scale"].kind == "div-const"
    assert g["ln1"].kind == "layernorm" and g["ln1"].affine and g["ln1"].param_extras == 2 * 256
    assert g["gelu"].kind == "gelu" and g["softmax"].output_elems == 4 * 64 * 64
    assert load_onnx(path, seq="128").macs == load_yaml_workload(WORKLOADS / "tiny_transformer.yaml", seq=128).macs
    with pytest.raises(CosimError, match="dimension 1 \\('seq'\\) is symbolic; pass seq=<int>"):
        load_onnx(path)


def test_resnet_like_graph(tmp_path):
    g = load_onnx(resnet_like(tmp_path))
    want = LayerGraph("want")
    want.add(Layer.conv2d("conv0", 3, 16, 16, 3))
    want.add(Layer.conv2d("conv1", 16, 32, 16, 3, stride=2, padding=1), "conv0")
    want.add(Layer.conv2d("conv2", 32, 32, 8, 3), "conv1")
    want.add(Layer.conv2d("down", 16, 32, 16, 1, stride=2), "conv0")
    want.add(Layer.linear("fc", 32, 10), "conv2")
    assert [(l.name, l.gemm) for l in g.compute_layers()] == [(l.name, l.gemm) for l in want.compute_layers()]
    assert g.macs == want.macs
    assert g["conv1"].out_h == 8 and g["conv1"].pad_h == 1  # pads [0,0,1,1] → the symmetric pad giving 8×8
    assert set(g.predecessors("add")) == {"bn2", "bnd"} and g.predecessors("down") == ["relu0"]
    assert g.successors("relu0") == ["conv1", "down"]
    assert g["gap"].kind == "global-avgpool" and g["gap"].relu_input and (g["gap"].kernel_h, g["gap"].out_h) == (8, 1)
    assert reads_relu_output(g["conv1"]) and reads_relu_output(g["down"]) and not reads_relu_output(g["fc"])
    bn_params = 2 * (16 + 32 + 32 + 32)
    assert g.params == want.params + 10 + bn_params  # fc bias + batch-norm scale/shift


def test_weights_are_kept_in_the_gemm_view(tmp_path):
    path, inits = small_cnn(tmp_path)
    g = load_onnx(path, with_weights=True)
    assert set(g.weights) == {"conv1", "conv2", "conv3", "fc1", "fc2"}
    np.testing.assert_array_equal(g.weights["conv2"], inits["w2"].reshape(1, 64, 288))
    np.testing.assert_array_equal(g.weights["fc1"], inits["f1"].T[None])  # MatMul weight is (K, N)
    np.testing.assert_array_equal(g.weights["fc2"], inits["f2"][None])  # Gemm transB=1 weight is (N, K)
    for l in g.compute_layers():
        assert g.weights[l.name].shape == (l.groups, l.gemm_n, l.gemm_k)
    assert not hasattr(load_onnx(path), "weights")


def test_depthwise_clip_relu6_embedding_and_concat(tmp_path):
    inits = {"emb": w(100, 8), "dw": w(8, 1, 3, 3), "pw": w(16, 8, 1, 1), "lo": np.array(0, np.float32),
             "hi": np.array(6, np.float32), "shape": np.array([1, 8, 2, 2], np.int64)}
    nodes = [node("Gather", ["emb", "ids"], "e", "embed"), node("Reshape", ["e", "shape"], "img", "to_image"),
             node("Conv", ["img", "dw"], "d", "depthwise", group=8, pads=[1, 1, 1, 1]),
             node("Clip", ["d", "lo", "hi"], "r", "relu6"), node("Conv", ["r", "pw"], "p", "pointwise"),
             node("Concat", ["p", "p"], "y", "cat", axis=1)]
    g = load_onnx(save(tmp_path, nodes, x_input([1, 4], "ids", TP.INT64), inits))
    assert g["embed"].op == "embedding" and g["embed"].param_extras == 800 and g["embed"].in_w == 4
    dw = g["depthwise"]
    assert dw.kind == "conv-depthwise" and dw.gemm == (8, 4, 1, 9)
    assert g["relu6"].kind == "relu6" and reads_relu_output(g["pointwise"])
    assert g["cat"].op == "concat" and g["cat"].out_channels == 32


def test_unsupported_op_names_node_and_op(tmp_path):
    nodes = [node("Relu", ["x"], "r", "relu"), node("TopK", ["r", "k"], ["y", "i"], "topk")]
    path = save(tmp_path, nodes, x_input([1, 8]), {"k": np.array([2], np.int64)})
    with pytest.raises(CosimError, match="ONNX node 'topk' \\(op TopK\\) is not supported; supported ops: ") as e:
        load_onnx(path)
    assert "\n" not in str(e.value) and "Conv" in str(e.value)


def test_bad_files_and_parameters(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a protobuf at all \x00\xff")
    with pytest.raises(CosimError, match="cannot be read"):
        load_onnx(bad)
    with pytest.raises(CosimError, match="does not exist"):
        load_onnx(tmp_path / "missing.onnx")
    path, _ = small_cnn(tmp_path)
    with pytest.raises(CosimError, match="unknown parameter 'seq'"):
        load_onnx(path, seq=4)
    with pytest.raises(CosimError, match="parameter 'batch' must be a positive integer"):
        load_onnx(path, batch=0)
    assert load_workload(str(path), act_bits=4).layers()[0].act_bits == 4  # resolved by suffix


def test_missing_onnx_package_tells_how_to_install(tmp_path, monkeypatch):
    path, _ = small_cnn(tmp_path)
    real_import = builtins.__import__

    def no_onnx(name, *args, **kwargs):
        if name == "onnx" or name.startswith("onnx."):
            raise ImportError("No module named 'onnx'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_onnx)
    with pytest.raises(CosimError, match=r"pip install cosim\[onnx\]"):
        load_onnx(path)


def test_one_sided_padding_and_ceil_mode_keep_onnx_output_sizes(tmp_path):
    inits = {"k": w(4, 3, 3, 3)}
    nodes = [node("Conv", ["x", "k"], "c", "same_s2", strides=[2, 2], auto_pad="SAME_UPPER"),  # 15 → 8
             node("MaxPool", ["c"], "p", "ceil_pool", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),  # 8 → 4
             node("AveragePool", ["p"], "y", "one_side", kernel_shape=[4, 4], pads=[0, 0, 1, 1])]  # 4+1 → 2
    g = load_onnx(save(tmp_path, nodes, x_input([1, 3, 15, 15]), inits))
    assert (g["same_s2"].out_h, g["ceil_pool"].out_h, g["one_side"].out_h) == (8, 4, 2)
    assert g["same_s2"].macs == 8 * 8 * 4 * 27


def test_a_real_exported_resnet50_matches_the_zoo():
    # ResNet-50 from the ONNX model zoo as shipped in the onnx package's backend test data (weights
    # replaced by ConstantOfShape fills, so only shapes are real): the same 54 GEMMs as cosim's zoo.
    path = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light" / "light_resnet50.onnx"
    if not path.is_file():
        pytest.skip("this onnx build ships no backend test models")
    g, z = load_onnx(path), ZOO["resnet50"]()
    assert sorted(l.gemm for l in g.compute_layers()) == sorted(l.gemm for l in z.compute_layers())
    assert (g.macs, g.params) == (z.macs, z.params) == (4_089_184_256, 25_557_032)
    assert sum(1 for l in g.layers() if l.op == "add") == 16
    tagged = [sum(reads_relu_output(l) for l in x.compute_layers()) for x in (g, z)]
    assert tagged[0] == tagged[1] == 52  # 53 convolutions but the stem; the fc reads the average pool


def test_absent_external_data_imports_from_shapes_with_a_note(tmp_path):
    """Weights saved as external data that is not beside the model: shapes stay in the model file, so
    the import is exact (MACs) and says what it could not read; asking for the weights is an error."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.ones((16, 3, 3, 3), np.float32), "W")
    fc = numpy_helper.from_array(np.ones((10, 16 * 6 * 6), np.float32), "F")
    shape = numpy_helper.from_array(np.array([1, -1], np.int64), "shape")
    nodes = [helper.make_node("Conv", ["x", "W"], ["c"], kernel_shape=[3, 3]),
             helper.make_node("Reshape", ["c", "shape"], ["f"]),
             helper.make_node("Gemm", ["f", "F"], ["y"], transB=1)]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], [w, fc, shape])
    path = tmp_path / "m.onnx"
    onnx.save_model(helper.make_model(graph), str(path), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="m.data")
    (tmp_path / "m.data").unlink()
    g = load_onnx(path)
    assert g.macs == 16 * 6 * 6 * 27 + 16 * 6 * 6 * 10
    assert len(g.import_notes) == 1 and "m.data is absent" in g.import_notes[0]
    with pytest.raises(CosimError, match="external data m.data"):
        load_onnx(path, with_weights=True)


def test_float_weights_run_at_another_precision_say_so(tmp_path, capsys):
    """A float32 ONNX model runs at cosim's default 8 bits unless told: the import records the stored
    format and `simulate` notes the difference (exit 2 with --strict); --precision or explicit bits
    run as asked, without a note."""
    from cosim.cli import main

    path, _ = small_cnn(tmp_path)
    assert load_onnx(path).stored_format == "fp32"
    assert load_onnx(path, weight_bits=8, act_bits=8).stored_format == ""

    def run(*extra):
        try:
            code = main(["simulate", "-a", "scalesim-32x32-ws", "-w", str(path), "-q", *extra])
        except SystemExit as e:
            code = e.code
        return code, capsys.readouterr().err

    code, err = run()
    assert code in (0, None) and "stores fp32 weights; its compute layers ran as int8" in err
    assert run("--strict")[0] == 2
    for extra in (("--precision", "int8"), ("--param", "weight_bits=8", "--param", "act_bits=8")):
        code, err = run(*extra)
        assert code in (0, None) and "stores fp32" not in err, err
