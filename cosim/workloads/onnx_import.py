"""ONNX models as cosim layer graphs (optional extra: ``pip install cosim[onnx]``).

``load_onnx(path, **params)`` runs ONNX shape inference and maps each node onto cosim's layer kinds:

* ``Conv`` (1-D or 2-D; groups, strides, dilations, pads or auto_pad) → ``conv2d``. cosim pads
  symmetrically: one-sided padding (TensorFlow 'SAME') becomes the symmetric padding plus, where needed,
  a pre-padded input row/column, so the output size and MACs equal ONNX's exactly.
* ``Gemm``/``MatMul`` with a constant weight operand → ``linear`` (rows beyond the batch become tokens);
  with two activation operands → ``matmul``, its batch dimensions (beyond the model batch) as heads.
  An ``Add`` of a constant vector right after a linear/conv is folded into it as its bias.
* ``Relu``, ``Gelu``, ``Sigmoid``, ``Tanh``, ``Clip`` (``relu6``/``relu-clip`` when clipping at 0),
  ``Erf``, ``Sqrt``... → ``act``; ``Add``/``Sub``/``Mul``/``Div``/``Sum``/``Mean``/``Where``/``Max``/
  ``Min`` → ``add`` (kind = the op, ``-const`` when one operand is a constant);
  ``BatchNormalization``, ``LayerNormalization``, ``InstanceNormalization``, ``GroupNormalization``,
  ``LRN`` → ``norm`` (``affine`` when scale and shift are given); ``MaxPool``, ``AveragePool``
  (ceil_mode too), ``Global*Pool`` → ``pool``; ``Reduce*`` → ``pool`` (global over H×W for 4-D inputs
  reduced over axes 2, 3, otherwise one read per input element); ``Softmax``/``LogSoftmax`` →
  ``softmax``; ``Concat`` of activations → ``concat``; ``Gather`` from a constant table → ``embedding``.
* Layout ops (``Reshape``, ``Flatten``, ``Transpose``, ``Squeeze``, ``Slice``, ``Split``, ``Gather`` on
  activations, ``Dropout``, ``Cast``, ``Identity``, ``Pad``...) pass their input through; nodes that read
  no activation (``Constant``, shape arithmetic) are skipped. Any other op is a one-line CosimError
  naming the node, its op type and the supported ops.

Weights are constants: initializers, ``Constant`` nodes, or tensors computed from constants only (e.g.
``ConstantOfShape``), whose shapes come from shape inference.

Parameters: ``batch`` (the model batch: fills a symbolic first input dimension, default 1; with a fixed
one, layers are re-batched to it), ``weight_bits``, ``act_bits``, ``with_weights`` (default false), and
a value for every other symbolic input dimension by its name (e.g. ``seq=128``).

With ``with_weights=True`` the graph carries ``graph.weights``: a dict layer name → float32 ndarray of
shape (groups, N, K), the layer's GEMM view (the layout of ``Sparsity.mask``), so pruning criteria can
read real magnitudes. Layers whose weight values are not stored in the file (computed constants) have
no entry. It is a plain attribute of this LayerGraph instance: ``copy`` and ``map_layers`` do not carry
it. Layers whose input is a ReLU output get ``relu_input`` as in cosim.workloads.zoo.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from cosim import inputs
from cosim.errors import CosimError, require
from cosim.graph import Layer, LayerGraph
from cosim.workloads.onnx_initializers import absent_external_data, stored_format
from cosim.workloads.zoo import mark_relu_inputs

_ACT = {"Relu": "relu", "LeakyRelu": "leakyrelu", "PRelu": "prelu", "Gelu": "gelu", "Sigmoid": "sigmoid",
        "Tanh": "tanh", "HardSigmoid": "hardsigmoid", "HardSwish": "hardswish", "Elu": "elu", "Selu": "selu",
        "Celu": "celu", "Softplus": "softplus", "Softsign": "softsign", "Mish": "mish", "Erf": "erf",
        "Exp": "exp", "Log": "log", "Sqrt": "sqrt", "Reciprocal": "reciprocal", "Neg": "neg", "Abs": "abs",
        "Pow": "pow", "Sin": "sin", "Cos": "cos", "Floor": "floor", "Ceil": "ceil", "Round": "round",
        "Sign": "sign", "Not": "not", "Clip": "clip", "ThresholdedRelu": "thresholdedrelu"}
_BINARY = ("Add", "Sub", "Mul", "Div", "Where", "Max", "Min", "Sum", "Mean", "Equal", "Greater", "Less", "And", "Or",
           "Mod")
_NORM = {"BatchNormalization": "batchnorm", "LayerNormalization": "layernorm",
         "InstanceNormalization": "instancenorm", "GroupNormalization": "groupnorm", "LpNormalization": "lpnorm",
         "LRN": "lrn", "MeanVarianceNormalization": "mvn"}
_POOL = {"MaxPool": "maxpool", "AveragePool": "avgpool", "LpPool": "lppool"}
_GLOBAL_POOL = {"GlobalAveragePool": "global-avgpool", "GlobalMaxPool": "global-maxpool",
                "GlobalLpPool": "global-lppool"}
_PASS = ("Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Identity", "Dropout", "Cast", "Expand",
         "Slice", "Split", "Gather", "Pad", "Tile", "DepthToSpace", "SpaceToDepth", "CastLike")
_SHAPE_ONLY = ("Shape", "Size", "ConstantOfShape", "Range", "NonZero", "EyeLike")
SUPPORTED = sorted({"Conv", "Gemm", "MatMul", "Softmax", "LogSoftmax", "Concat", "Constant",
                    "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceL2"} | set(_ACT) | set(_BINARY)
                   | set(_NORM) | set(_POOL) | set(_GLOBAL_POOL) | set(_PASS) | set(_SHAPE_ONLY))


def _import_onnx():
    try:
        import onnx
        from onnx import numpy_helper, shape_inference
    except ImportError:
        raise CosimError("reading ONNX models needs the onnx package: pip install cosim[onnx]") from None
    return onnx, numpy_helper, shape_inference


def _fix_inputs(graph, consts: set[str], params: dict[str, Any], path: Path) -> int:
    """Give every symbolic input dimension a value; returns the model batch (first dim of the first input)."""
    used: set[str] = set()
    model_batch = None
    for inp in graph.input:
        if inp.name in consts:
            continue
        for axis, d in enumerate(inp.type.tensor_type.shape.dim):
            if d.dim_value > 0:
                continue
            if d.dim_param and d.dim_param in params:
                used.add(d.dim_param)
                value = _check_int(path, d.dim_param, params[d.dim_param])
            elif axis == 0:
                value = _check_int(path, "batch", params.get("batch", 1))
            else:
                raise CosimError(f"ONNX model '{path}': input '{inp.name}' dimension {axis} "
                                 f"('{d.dim_param or '?'}') is symbolic; pass {d.dim_param or 'it'}=<int> "
                                 "(or export the model with static shapes)")
            d.Clear()
            d.dim_value = int(value)
        if model_batch is None and inp.type.tensor_type.shape.dim:
            model_batch = inp.type.tensor_type.shape.dim[0].dim_value
    for k in params:
        require(k in used or k in ("batch", "weight_bits", "act_bits", "with_weights"),
                f"ONNX model '{path}': unknown parameter '{k}'; known: batch, weight_bits, act_bits, "
                "with_weights and the model's symbolic input dimensions")
    return model_batch or 1


def _check_int(path, key, v) -> int:
    try:
        v = int(v)
    except (TypeError, ValueError):
        v = 0
    require(v >= 1, f"ONNX model '{path}': parameter '{key}' must be a positive integer")
    return v


def _sym_pad(size: int, k: int, s: int, d: int, total: int, want: int | None) -> tuple[int, int]:
    """(p, extra): symmetric padding p, and rows ``extra`` added to the input, such that
    (size + extra + 2p − d(k−1) − 1) // s + 1 == want, ONNX's output size.

    cosim layers pad symmetrically. An odd total padding (TensorFlow 'SAME', a pad on one side only) or a
    ceil-mode pool is expressed as ``extra`` pre-padded input rows, as SCALE-Sim lists padded inputs, so
    the output size and MACs stay exact (the input grows by at most a row or column of padding).
    """
    eff = d * (k - 1) + 1
    if want is None:
        return total // 2, 0
    for p in (total // 2, (total + 1) // 2, *range(0, eff + 1)):
        if size + 2 * p >= eff and (size + 2 * p - eff) // s + 1 == want:
            return p, 0
    p = total // 2
    for extra in range(1, s + eff + 1):
        if size + extra + 2 * p >= eff and (size + extra + 2 * p - eff) // s + 1 == want:
            return p, extra
    raise ValueError(f"no padding of the {size}-wide input reproduces output size {want}")


class _Importer:
    def __init__(self, model, numpy_helper, path: Path, model_batch: int, layer_kw: dict, with_weights: bool):
        self.path, self.mb, self.kw = path, model_batch, layer_kw
        self.nh = numpy_helper
        g = model.graph
        self.inits = {t.name: t for t in g.initializer}
        self.consts: dict[str, Any] = dict(self.inits)  # name → TensorProto or ndarray
        self.shapes: dict[str, tuple[int, ...] | None] = {}
        for vi in list(g.input) + list(g.value_info) + list(g.output):
            dims = vi.type.tensor_type.shape.dim
            self.shapes[vi.name] = (tuple(d.dim_value for d in dims)
                                    if vi.type.tensor_type.HasField("shape") and all(d.dim_value > 0 for d in dims)
                                    else None)
        self.producer: dict[str, str | None] = {i.name: None for i in g.input if i.name not in self.inits}
        self.pending: dict[str, dict] = {}
        self.order: dict[str, int] = {}
        from onnx import helper

        self.helper = helper
        self.weights: dict[str, np.ndarray] | None = {} if with_weights else None
        self.names: set[str] = set()

    # ---- helpers ---------------------------------------------------------------------------------
    def const(self, name: str) -> np.ndarray | None:
        v = self.consts.get(name)
        if v is not None and not isinstance(v, np.ndarray):
            v = self.consts[name] = self.nh.to_array(v)
        return v

    def const_shape(self, name: str) -> tuple[int, ...] | None:
        """Shape of a constant: an initializer, a Constant, or a tensor computed from constants only
        (e.g. ``ConstantOfShape``), whose shape comes from shape inference."""
        v = self.consts.get(name)
        if v is None:
            return self.shapes.get(name) if name not in self.producer else None
        return tuple(v.shape) if isinstance(v, np.ndarray) else tuple(v.dims)

    def is_const(self, name: str) -> bool:
        return self.const_shape(name) is not None

    def shape(self, node, tensor: str) -> tuple[int, ...]:
        s = self.shapes.get(tensor) or self.const_shape(tensor)
        if s is None:
            raise CosimError(f"ONNX node '{node.name}' ({node.op_type}): the shape of '{tensor}' is unknown after "
                             "shape inference; export the model with static shapes or pass its symbolic dims")
        return s

    def chw(self, shape: tuple[int, ...]) -> tuple[int, int, int]:
        """(C, H, W) of one batch item: NCHW stays, (N, T, D) → (D, 1, T), (N, D) → (D, 1, 1)."""
        if len(shape) <= 1:
            return (shape[0] if shape else 1), 1, 1
        extra = shape[0] // self.mb if shape[0] % self.mb == 0 else shape[0]
        if len(shape) == 2:
            return shape[1], 1, extra
        if len(shape) == 3:
            return shape[2], 1, shape[1] * extra
        return shape[1], math.prod(shape[2:-1]), shape[-1] * extra

    def chw_nc(self, shape: tuple[int, ...]) -> tuple[int, int, int]:
        """(C, H, W) of an (N, C, ...) tensor, the layout of convolutions, pools and batch norms."""
        if len(shape) < 3:
            return self.chw(shape)
        return shape[1], math.prod(shape[2:-1]), shape[-1]

    def rows(self, n: int) -> int:
        """Rows per batch item (tokens) from a total row count."""
        return n // self.mb if n % self.mb == 0 else n

    def new_name(self, node, index: int) -> str:
        base = node.name or f"{node.op_type.lower()}_{index}"
        name, k = base, 1
        while name in self.names:
            k += 1
            name = f"{base}_{k}"
        self.names.add(name)
        return name

    def emit(self, node, index, acts, fields: dict, weight: np.ndarray | None = None) -> str:
        name = self.new_name(node, index)
        self.pending[name] = dict(fields, name=name, inputs=sorted({self.producer[a] for a in acts} - {None},
                                                                     key=self.order.__getitem__))
        self.order[name] = len(self.order)
        if weight is not None and self.weights is not None:
            self.weights[name] = np.asarray(weight, dtype=np.float32)
        for out in node.output:
            if out:
                self.producer[out] = name
        return name

    def alias(self, node, src: str) -> None:
        for out in node.output:
            if out:
                self.producer[out] = self.producer[src]

    def attr(self, node, name: str, default=None):
        for a in node.attribute:
            if a.name == name:
                return self.helper.get_attribute_value(a)
        return default

    # ---- nodes ---------------------------------------------------------------------------------
    def node(self, node, index: int) -> None:
        op = node.op_type
        acts = [t for t in node.input if t in self.producer]
        if op == "Constant":
            value = self.attr(node, "value")
            if value is not None:
                self.consts[node.output[0]] = self.nh.to_array(value)
            return
        if op == "Gather" and self.const_shape(node.input[0]) is not None and len(self.const_shape(node.input[0])) == 2:
            vocab, width = self.const_shape(node.input[0])
            tokens = self.rows(math.prod(self.shape(node, node.input[1]) or (1,)))
            self.emit(node, index, acts, dict(op="embedding", in_channels=vocab, out_channels=width, in_w=tokens,
                                              kind="embedding"))
            return
        if not acts or op in _SHAPE_ONLY:
            if op in ("Identity", "Cast") and node.input[0] in self.consts:
                self.consts[node.output[0]] = self.consts[node.input[0]]
            return  # shape arithmetic and constants: no activation flows through
        if op not in SUPPORTED:
            raise CosimError(f"ONNX node '{node.name or index}' (op {op}) is not supported; supported ops: "
                             f"{', '.join(SUPPORTED)}")
        if op == "Conv":
            self.conv(node, index, acts)
        elif op in ("Gemm", "MatMul"):
            self.gemm(node, index, acts)
        elif op in _PASS:
            self.alias(node, acts[0])
        elif op == "Add" and self.fold_bias(node, acts):
            pass
        elif op in _ACT:
            kind = _ACT[op]
            if op == "Clip":
                lo, hi = self.clip_bound(node, 1, "min"), self.clip_bound(node, 2, "max")
                if lo is not None and float(np.asarray(lo)) == 0.0:
                    kind = "relu6" if hi is not None and float(np.asarray(hi)) == 6.0 else "relu-clip"
            self.vector(node, index, acts, "act", kind)
        elif op in _BINARY:
            const_operand = len([t for t in node.input if t]) > len(acts)
            self.vector(node, index, acts, "add", op.lower() + ("-const" if const_operand else ""))
        elif op in _NORM:
            affine = len(node.input) >= 3 and node.input[2] != ""  # scale and shift given
            layout = "tokens" if op == "LayerNormalization" else "nc"  # which axis the parameters run along
            self.vector(node, index, acts, "norm", _NORM[op], layout, affine=affine)
        elif op in ("Softmax", "LogSoftmax"):
            self.vector(node, index, acts, "softmax", op.lower())
        elif op == "Concat":
            self.vector(node, index, acts, "concat", "concat") if len(acts) > 1 else self.alias(node, acts[0])
        else:
            self.pool(node, index, acts)

    def clip_bound(self, node, position: int, name: str):
        """Clip's min/max: an attribute before opset 11, an optional constant input after."""
        if len(node.input) <= position:
            return self.attr(node, name)
        return self.const(node.input[position]) if node.input[position] else None

    def vector(self, node, index, acts, op: str, kind: str, layout: str = "tokens", affine: bool = False) -> None:
        shape = self.shape(node, node.output[0])
        c, h, w = self.chw_nc(shape) if layout == "nc" else self.chw(shape)
        self.emit(node, index, acts, dict(op=op, in_channels=c, out_channels=c, in_h=h, in_w=w, kind=kind,
                                          affine=affine))

    def conv(self, node, index, acts) -> None:
        x, wname = node.input[0], node.input[1]
        wshape = self.const_shape(wname)
        require(wshape is not None, f"ONNX node '{node.name}' (Conv): weights '{wname}' are not a constant; "
                                    "cosim needs constant convolution weights")
        xs, ys = self.shape(node, x), self.shapes.get(node.output[0])
        require(len(xs) in (3, 4), f"ONNX node '{node.name}' (Conv): only 1-D and 2-D convolutions are "
                                   f"supported, input has rank {len(xs)}")
        one_d = len(xs) == 3
        sizes = (1, xs[2]) if one_d else xs[2:]
        ks = (1, wshape[2]) if one_d else tuple(wshape[2:])
        nd = 1 if one_d else 2
        strides = list(self.attr(node, "strides", [1] * nd))
        dils = list(self.attr(node, "dilations", [1] * nd))
        pads = list(self.attr(node, "pads", [0] * 2 * nd))
        auto = self.attr(node, "auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else auto
        if one_d:
            strides, dils, pads = [1] + strides, [1] + dils, [0, pads[0], 0, pads[1]]
        want = (ys[2:] if not one_d else (1, ys[2])) if ys else (None, None)
        groups = int(self.attr(node, "group", 1))
        out = []
        for a in range(2):
            eff = dils[a] * (ks[a] - 1) + 1
            total = (max((-(-sizes[a] // strides[a]) - 1) * strides[a] + eff - sizes[a], 0)
                     if auto in ("SAME_UPPER", "SAME_LOWER") else 0 if auto == "VALID" else pads[a] + pads[a + 2])
            try:
                out.append(_sym_pad(sizes[a], ks[a], strides[a], dils[a], total, want[a]))
            except ValueError as e:
                raise CosimError(f"ONNX node '{node.name}' (Conv): {e}") from None
        c, m = xs[1], wshape[0]
        sizes = (sizes[0] + out[0][1], sizes[1] + out[1][1])
        out = (out[0][0], out[1][0])
        kind = "conv-depthwise" if groups > 1 and groups == c == m else "conv"
        bias = len(node.input) > 2 and node.input[2] != ""
        weight = self.const(wname) if self.weights is not None else None
        if weight is not None:
            weight = weight.reshape(groups, m // groups, -1)
        self.emit(node, index, acts, dict(op="conv2d", in_channels=c, out_channels=m, in_h=sizes[0], in_w=sizes[1],
                                          kernel_h=ks[0], kernel_w=ks[1], stride_h=strides[0], stride_w=strides[1],
                                          pad_h=out[0], pad_w=out[1], dilation_h=dils[0], dilation_w=dils[1],
                                          groups=groups, kind=kind, bias=bias), weight)

    def gemm(self, node, index, acts) -> None:
        a, b = node.input[0], node.input[1]
        sa, sb = self.shape(node, a), self.shape(node, b)
        if node.op_type == "Gemm":
            ta, tb = self.attr(node, "transA", 0), self.attr(node, "transB", 0)
            sa, sb = (sa[::-1] if ta else sa), (sb[::-1] if tb else sb)
        require(len(sa) >= 2 and len(sb) >= 2 or self.is_const(b),
                f"ONNX node '{node.name}' ({node.op_type}): 1-D activation operands are not supported")
        bias = node.op_type == "Gemm" and len(node.input) > 2 and node.input[2] != ""
        if self.is_const(b) and not self.is_const(a) and len(sb) == 2:
            k, n = sb
            tokens = self.rows(math.prod(sa[:-1]))
            arr = self.const(b) if self.weights is not None else None
            if arr is not None:  # stored (K, N) unless a Gemm with transB
                arr = arr if node.op_type == "Gemm" and self.attr(node, "transB", 0) else arr.T
            w = None if arr is None else arr[None]
            self.emit(node, index, acts, dict(op="linear", in_channels=k, out_channels=n, in_w=tokens,
                                              kind="fc", bias=bias), w)
        elif self.is_const(a) and not self.is_const(b) and len(sa) == 2:
            m, k = sa
            tokens = self.rows(math.prod(sb[:-2]) * sb[-1]) if len(sb) > 2 else self.rows(sb[-1])
            arr = self.const(a) if self.weights is not None else None
            w = None if arr is None else arr[None]
            self.emit(node, index, acts, dict(op="linear", in_channels=k, out_channels=m, in_w=tokens,
                                              kind="fc", bias=bias), w)
        else:
            out = self.shape(node, node.output[0])
            m, k, n = sa[-2], sa[-1], sb[-1]
            heads = self.rows(math.prod(out[:-2])) if len(out) > 2 else 1
            if len(out) == 2:  # a plain 2-D product: rows beyond the batch stay rows
                m = self.rows(m)
            self.emit(node, index, acts, dict(op="matmul", in_channels=heads * k, out_channels=heads * n, in_w=m,
                                              groups=heads, kind="matmul"))

    def fold_bias(self, node, acts) -> bool:
        """Fold ``Add(linear_or_conv_output, constant vector)`` into the producer as its bias."""
        if len(acts) != 1:
            return False
        other = [t for t in node.input if t and t != acts[0]]
        prod = self.producer.get(acts[0])
        if len(other) != 1 or not self.is_const(other[0]) or prod is None:
            return False
        p = self.pending[prod]
        size = math.prod(self.const_shape(other[0]))
        if p["op"] not in ("linear", "conv2d") or p.get("bias") or size != p["out_channels"]:
            return False
        p["bias"] = True
        self.alias(node, acts[0])
        return True

    def pool(self, node, index, acts) -> None:
        op, xs = node.op_type, self.shape(node, node.input[0])
        c, h, w = self.chw(xs) if op.startswith("Reduce") else self.chw_nc(xs)
        if op in _GLOBAL_POOL or (op.startswith("Reduce") and len(xs) == 4 and self.reduces_hw(node)):
            kind = _GLOBAL_POOL.get(op, op.lower())
            self.emit(node, index, acts, dict(op="pool", in_channels=c, out_channels=c, in_h=h, in_w=w,
                                              kernel_h=h, kernel_w=w, kind=kind))
            return
        if op.startswith("Reduce"):  # one read per input element
            self.emit(node, index, acts, dict(op="pool", in_channels=c, out_channels=c, in_h=h, in_w=w,
                                              kind=op.lower()))
            return
        ks = list(self.attr(node, "kernel_shape"))
        ks = [1] + ks if len(ks) == 1 else ks
        strides = list(self.attr(node, "strides", [1] * len(ks)))
        pads = list(self.attr(node, "pads", [0] * 2 * len(ks)))
        if len(strides) == 1:
            strides, pads = [1] + strides, [0, pads[0], 0, pads[1]]
        ys = self.shapes.get(node.output[0])
        want = (ys[-2] if len(ys) == 4 else 1, ys[-1]) if ys else (None, None)
        try:
            p = [_sym_pad(s, k, st, 1, pads[a] + pads[a + 2], want[a])
                 for a, (s, k, st) in enumerate(zip((h, w), ks, strides))]
        except ValueError as e:
            raise CosimError(f"ONNX node '{node.name}' ({op}): {e}") from None
        self.emit(node, index, acts, dict(op="pool", in_channels=c, out_channels=c, in_h=h + p[0][1], in_w=w + p[1][1],
                                          kernel_h=ks[0], kernel_w=ks[1], stride_h=strides[0], stride_w=strides[1],
                                          pad_h=p[0][0], pad_w=p[1][0], kind=_POOL[op]))

    def reduces_hw(self, node) -> bool:
        axes = self.attr(node, "axes")
        if axes is None and len(node.input) > 1 and node.input[1]:
            axes = self.const(node.input[1])
        return axes is not None and sorted(int(a) % 4 for a in np.ravel(axes)) == [2, 3]

    def build(self, name: str) -> LayerGraph:
        graph = LayerGraph(name)
        for layer_name, spec in self.pending.items():
            inputs = spec.pop("inputs")
            try:
                graph.add(Layer(**spec, **self.kw), inputs)
            except CosimError as e:
                raise CosimError(f"ONNX model '{self.path}': {e}") from None
        mark_relu_inputs(graph)
        if self.weights is not None:
            graph.weights = self.weights
        return graph


def load_onnx(path: str | Path, **params) -> LayerGraph:
    """A LayerGraph from an ONNX model file (see the module docstring for parameters and op mapping)."""
    onnx, numpy_helper, shape_inference = _import_onnx()
    path = Path(path)
    require(path.is_file(), f"ONNX model '{path}' does not exist")
    try:
        model = onnx.load_model_from_string(inputs.read_bytes(path, "ONNX model", inputs.MAX_BINARY_BYTES))
    except CosimError:
        raise
    except Exception as e:  # protobuf raises several types for a corrupt file
        raise CosimError(f"ONNX model '{path}' cannot be read ({type(e).__name__}); is it an .onnx file?") from None
    with_weights = params.get("with_weights", False)
    if isinstance(with_weights, str):
        with_weights = with_weights.lower() in ("1", "true", "yes")
    absent = absent_external_data(model, path)
    require(not (absent and with_weights),
            f"ONNX model '{path}': its weights live in external data {', '.join(absent[:3])} that is not beside "
            "it; put the data file(s) next to the model, or import without with_weights (shapes only)")
    consts = {t.name for t in model.graph.initializer}
    model_batch = _fix_inputs(model.graph, consts, params, path)
    bits = {k: _check_int(path, k, params.get(k, 8)) for k in ("weight_bits", "act_bits")}
    batch = _check_int(path, "batch", params.get("batch", model_batch))
    try:
        model = shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    except Exception as e:
        raise CosimError(f"ONNX model '{path}': shape inference failed: {str(e).splitlines()[0]}") from None
    imp = _Importer(model, numpy_helper, path, model_batch,
                    dict(batch=batch, out_bits=bits["act_bits"], **bits), bool(with_weights))
    for i, node in enumerate(model.graph.node):
        imp.node(node, i)
    require(bool(imp.pending), f"ONNX model '{path}' has no layers cosim can simulate")
    graph = imp.build(path.stem)
    if not any(k in params for k in ("weight_bits", "act_bits")):
        graph.stored_format = stored_format(model)
    if absent:
        graph.import_notes.append(f"ONNX model '{path.name}': external weight data {', '.join(absent[:3])} is absent; "
                                  "imported from shapes only (MACs and sizes are exact, no weight values)")
    return graph
