"""cosim workload YAML: read and write layer graphs.

Schema (every key but ``layers`` is optional)::

    name: lenet5
    source: LeCun et al., Proc. IEEE 1998        # free text: where the network comes from
    description: ...
    params: {batch: 1, weight_bits: 8, act_bits: 8, seq: 128}   # defaults; callers may override
    input: [1, 32, 32]          # C, H, W of the graph input ({channels, hw} or {channels, tokens} too)
    layers:
      - name: c1
        conv2d: {out: 6, kernel: 5, padding: 0}          # 'in' and 'hw' come from the input
      - {name: a1, act: tanh}                             # scalar shorthand: the function
      - {name: s2, pool: {type: avg, kernel: 2}}
      - name: fc
        linear: {out: 4 * seq, bias: true}                # integer expressions over params
        inputs: [s2]                                      # default: the previous layer

Each layer names exactly one op as a key with its fields (the shorthand), or ``op:`` with raw
:class:`~cosim.graph.Layer` field names beside it (the long form: ``in_channels``, ``in_h``, ``pad_w``,
...; no inference). Shorthand fields (``hw``, ``kernel``, ``stride``, ``padding``, ``dilation`` take an
int or ``[h, w]``):

=========  =====================================================================================
conv2d     in, out, hw, kernel, stride=1, padding ('same' default: dilation·(k−1)/2, as
           ``Layer.conv2d``; 'valid' or ints), dilation=1, groups=1, bias=false
linear     in, out, tokens, bias=false. Over a (C, 1, T) token tensor it keeps T tokens (in = C);
           over a C×H×W feature map it flattens it (in = C·H·W, tokens = 1)
matmul     m, n, k, heads=1 (per head an (m × k) @ (k × n) activation product)
pool       type max|avg|global (max), kernel, stride=kernel, padding=0, channels, hw
act        function (relu), channels, hw            norm  type (batchnorm), affine=true, channels, hw
add, softmax, concat   channels, hw                 embedding  vocab, width, tokens
=========  =====================================================================================

Missing ``in``/``hw``/``channels`` are inferred from the first input's output; given ones must agree.
Layer-level keys beside the op: ``name`` (required), ``inputs`` (default: the previous layer; ``[]``
reads the graph input), ``kind`` (used verbatim; otherwise derived: ``conv``, ``fc``, the function,
``<type>norm``...; older files' ``+bias``/``+affine``/``+relu-input`` tags are read into the Layer's
typed ``bias``/``affine``/``relu_input``; ``relu_input`` is derived from the inputs unless given),
``batch``, ``weight_bits``, ``act_bits``, ``out_bits`` (default: act_bits), ``act_density``, and
``sparsity`` ('2:4', or {kind, density, n, m, block_h, block_w}). Masks are not stored in YAML.
Every bad input is a one-line CosimError naming the layer and the field.
"""

from __future__ import annotations

import ast
import operator
from pathlib import Path
from typing import Any

import yaml

from cosim import inputs
from cosim.errors import CosimError, require
from cosim.graph import OPS, Layer, LayerGraph
from cosim.sparsity import Sparsity
from cosim.workloads.zoo import _is_relu, passes_relu_zeros

_TOP = ("name", "source", "description", "params", "input", "layers")
_COMMON = ("name", "inputs", "kind", "batch", "weight_bits", "act_bits", "out_bits", "act_density", "sparsity",
           "relu_input")
_VEC = ("channels", "hw")
_FIELDS = {
    "conv2d": ("in", "out", "hw", "kernel", "stride", "padding", "dilation", "groups", "bias"),
    "linear": ("in", "out", "tokens", "bias"),
    "matmul": ("m", "n", "k", "heads"),
    "pool": ("type", "kernel", "stride", "padding") + _VEC,
    "act": ("function",) + _VEC,
    "norm": ("type", "affine") + _VEC,
    "add": _VEC, "softmax": _VEC, "concat": _VEC,
    "embedding": ("vocab", "width", "tokens"),
}
_SCALAR = {"act": "function", "norm": "type", "pool": "type"}
_LONG = tuple(f for f in Layer.__dataclass_fields__ if f not in ("name", "op", "kind", "weight_sparsity"))
_FLAGS = ("bias", "affine", "relu_input")  # Layer's typed booleans, long form
_GLOBAL = {"batch": 1, "weight_bits": 8, "act_bits": 8}
_MISSING = object()
_MAX_EXPONENT = 64  # larger powers of any accepted base exceed MAX_INT
_MAX_EXPRESSION_CHARS = 1000
_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}


class _Reader:
    def __init__(self, path: str, params: dict[str, Any]):
        self.path, self.params = path, params
        self.shapes: dict[str | None, tuple[int, int, int] | None] = {None: None}
        self.relu_out: set[str] = set()

    # ---- values ------------------------------------------------------------------------------
    def eval(self, where: str, text: str):
        def ev(node):
            if isinstance(node, ast.Expression):
                return ev(node.body)
            if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
                return node.value
            if isinstance(node, ast.Name):
                if node.id not in self.params:
                    raise CosimError(f"{where}: {shown} uses unknown name {inputs.shown(node.id, 40)}; "
                                     f"params are: {', '.join(self.params)}")
                return self.params[node.id]
            if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
                a, b = number(ev(node.left)), number(ev(node.right))
                if isinstance(node.op, ast.Pow) and (abs(b) > _MAX_EXPONENT or abs(a) > inputs.MAX_INT):
                    raise CosimError(f"{where}: {shown} raises to a power beyond {_MAX_EXPONENT}; "
                                     f"write the value out")
                return number(_BINOPS[type(node.op)](a, b))
            if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
                return -ev(node.operand) if isinstance(node.op, ast.USub) else ev(node.operand)
            raise CosimError(f"{where}: {shown} is not an arithmetic expression over params")

        def number(v):
            # Operands and results stay numbers of bounded size (no string repetition, no huge powers).
            if isinstance(v, bool) or not isinstance(v, (int, float)) or isinstance(v, complex):
                raise CosimError(f"{where}: {shown} combines a non-number {inputs.shown(v, 40)}; "
                                 f"params used in expressions must be numbers")
            if abs(v) > inputs.MAX_INT or v != v:
                raise CosimError(f"{where}: {shown} evaluates beyond {inputs.MAX_INT}; give a smaller value")
            return v

        shown = inputs.shown(text)
        if len(text) > _MAX_EXPRESSION_CHARS:
            raise CosimError(f"{where}: expression longer than {_MAX_EXPRESSION_CHARS} characters; shorten it")
        try:
            return ev(ast.parse(text.strip(), mode="eval"))
        except CosimError:
            raise
        except (SyntaxError, ValueError):
            raise CosimError(f"{where}: {shown} is not an arithmetic expression over params") from None
        except ZeroDivisionError:
            raise CosimError(f"{where}: {shown} divides by zero") from None
        except (OverflowError, RecursionError, MemoryError):
            raise CosimError(f"{where}: {shown} is too large or too deeply nested to evaluate") from None

    def int(self, where: str, body: dict, key: str, default=_MISSING, minimum: int = 1, why: str = "") -> int:
        v = body.get(key, default)
        if v is _MISSING:
            raise CosimError(f"{where}: field '{key}' is missing{why}")
        if isinstance(v, str):
            v = self.eval(f"{where}: field '{key}'", v)
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        require(isinstance(v, int) and not isinstance(v, bool),
                f"{where}: field '{key}' must be an integer, got {inputs.shown(v)}")
        require(v >= minimum, f"{where}: field '{key}' must be >= {minimum}, got {v}")
        require(v <= inputs.MAX_LAYER_DIM, f"{where}: field '{key}' = {v} is beyond the largest layer dimension "
                                           f"{inputs.MAX_LAYER_DIM}; give a smaller value")
        return v

    def pair(self, where: str, body: dict, key: str, default=_MISSING, minimum: int = 1,
             why: str = "") -> tuple[int, int]:
        v = body.get(key, default)
        if isinstance(v, (list, tuple)):
            require(len(v) == 2, f"{where}: field '{key}' must be an integer or [h, w], got {v!r}")
            return (self.int(where, {key: v[0]}, key, minimum=minimum),
                    self.int(where, {key: v[1]}, key, minimum=minimum))
        n = self.int(where, {key: v}, key, minimum=minimum, why=why)
        return n, n

    def flag(self, where: str, body: dict, key: str, default: bool) -> bool:
        v = body.get(key, default)
        require(isinstance(v, bool), f"{where}: field '{key}' must be true or false, got {v!r}")
        return v

    # ---- layers ------------------------------------------------------------------------------
    def layer(self, entry: Any, index: int, previous: str | None) -> tuple[Layer, list[str]]:
        where = f"workload '{self.path}': layer #{index + 1}"
        require(isinstance(entry, dict), f"{where} must be a mapping with 'name' and an op, got {entry!r}")
        name = entry.get("name")
        require(isinstance(name, str) and name != "", f"{where}: field 'name' is missing or not a string")
        where = f"workload '{self.path}': layer '{name}'"
        if "op" in entry:
            op, body = entry["op"], {k: v for k, v in entry.items() if k not in _COMMON and k != "op"}
            require(op in OPS, f"{where}: op '{op}' is not supported; use one of {', '.join(OPS)}")
            allowed = _LONG
        else:
            ops = [k for k in entry if k in OPS]
            others = [k for k in entry if k not in OPS and k not in _COMMON]
            require(not others, f"{where}: unknown field '{others[0] if others else ''}'; a layer has "
                                f"{', '.join(_COMMON)} and one op key ({', '.join(OPS)}) or 'op:'")
            require(len(ops) == 1, f"{where}: give exactly one op key ({', '.join(OPS)}) or 'op:', got "
                                   f"{', '.join(ops) or 'none'}")
            op, body = ops[0], entry[ops[0]]
            if body is None:
                body = {}
            elif not isinstance(body, dict) and op in _SCALAR:
                body = {_SCALAR[op]: body}
            require(isinstance(body, dict), f"{where}: field '{op}' must be a mapping of fields, got {body!r}")
            allowed = _FIELDS[op]
        for k in body:
            require(k in allowed, f"{where}: unknown field '{k}' for {op}; known: {', '.join(allowed)}")
        inputs = entry.get("inputs", [previous] if previous is not None else [])
        if isinstance(inputs, str):
            inputs = [inputs]
        require(isinstance(inputs, list) and all(isinstance(s, str) for s in inputs),
                f"{where}: field 'inputs' must be a layer name or a list of names, got {inputs!r}")
        for s in inputs:
            require(s in self.shapes, f"{where}: input '{s}' is not a layer defined before it")
        common = self.common(where, entry)
        if "op" in entry:
            fields = {k: self.flag(where, body, k, False) if k in _FLAGS else
                      self.int(where, body, k, minimum=0 if k.startswith("pad") else 1)
                      for k in body if k not in ("act_density", "number_format")}
            if "number_format" in body:
                fields["number_format"] = body["number_format"]
            kind = entry.get("kind", "")
        else:
            fields, kind = self.shorthand(where, op, body, inputs)
            kind = entry.get("kind", kind)
        require(isinstance(kind, str), f"{where}: field 'kind' must be a string, got {kind!r}")
        fed = any(s in self.relu_out for s in inputs)
        layer = self.make(where, name, op, {**fields, "relu_input": self.flag(where, entry, "relu_input", fed)},
                          common, kind)
        if _is_relu(layer) or (fed and passes_relu_zeros(layer)):
            self.relu_out.add(name)
        self.shapes[name] = (layer.out_channels, layer.out_h, layer.out_w)
        return layer, inputs

    def make(self, where, name, op, fields, common, kind) -> Layer:
        try:
            return Layer(name=name, op=op, kind=kind, **fields, **common)
        except CosimError as e:
            raise CosimError(f"workload '{self.path}': {e}") from None

    def common(self, where: str, entry: dict) -> dict:
        out = {k: self.int(where, entry, k) if k in entry else self.params[k] for k in _GLOBAL}
        out["out_bits"] = self.int(where, entry, "out_bits", out["act_bits"])
        if "act_density" in entry:
            d = entry["act_density"]
            require(isinstance(d, (int, float)) and 0 < d <= 1,
                    f"{where}: field 'act_density' must be a number in (0, 1], got {d!r}")
            out["act_density"] = float(d)
        if "sparsity" in entry:
            out["weight_sparsity"] = self.sparsity(where, entry["sparsity"])
        return out

    def sparsity(self, where: str, s: Any) -> Sparsity:
        try:
            if isinstance(s, str) and ":" in s:
                n, m = (int(v) for v in s.split(":"))
                return Sparsity.nm_pattern(n, m)
            require(isinstance(s, dict), "")
            s = dict(s)
            if s.get("kind") == "nm" and "density" not in s:
                s["density"] = s.get("n", 0) / max(s.get("m", 1), 1)
            return Sparsity(**s)
        except (CosimError, TypeError, ValueError) as e:
            raise CosimError(f"{where}: field 'sparsity' is invalid ({e or 'bad value'}); use '2:4' or "
                             "{kind: unstructured|nm|block|channel, density: 0.5, n, m, block_h, block_w}") from None

    def in_shape(self, where, inputs, key):
        shape = self.shapes[inputs[0]] if inputs else self.shapes[None]
        why = (f" (layer '{inputs[0]}' gives no shape to infer it from)" if inputs
               else " (the layer reads the graph input and the workload has no 'input')")
        return shape, why

    def shorthand(self, where: str, op: str, b: dict, inputs: list[str]) -> tuple[dict, str]:
        shape, why = self.in_shape(where, inputs, op)
        c0, h0, w0 = shape if shape else (_MISSING, _MISSING, _MISSING)
        hw0 = (h0, w0) if shape else _MISSING

        def agree(key, given, inferred):
            require(not shape or given == inferred,
                    f"{where}: field '{key}' is {given} but input '{inputs[0] if inputs else 'input'}' "
                    f"gives {inferred}; fix '{key}' or 'inputs'")

        if op == "conv2d":
            c = self.int(where, b, "in", c0, why=why)
            hw = self.pair(where, b, "hw", list(hw0) if shape else _MISSING, why=why)
            agree("in", c, c0), agree("hw", list(hw), [h0, w0])
            k = self.pair(where, b, "kernel")
            dil = self.pair(where, b, "dilation", 1)
            pad = b.get("padding", "same")
            if pad in ("same", "valid"):
                pad = [d * (kk - 1) // 2 for d, kk in zip(dil, k)] if pad == "same" else 0
            p = self.pair(where, {"padding": pad}, "padding", minimum=0)
            s = self.pair(where, b, "stride", 1)
            return dict(in_channels=c, out_channels=self.int(where, b, "out"), in_h=hw[0], in_w=hw[1],
                        kernel_h=k[0], kernel_w=k[1], stride_h=s[0], stride_w=s[1], pad_h=p[0], pad_w=p[1],
                        dilation_h=dil[0], dilation_w=dil[1], groups=self.int(where, b, "groups", 1),
                        bias=self.flag(where, b, "bias", False)), "conv"
        if op == "linear":
            if "in" in b:
                f = self.int(where, b, "in")
                require(not shape or f in (c0, c0 * h0 * w0),
                        f"{where}: field 'in' is {f} but input '{inputs[0] if inputs else 'input'}' gives "
                        f"{c0} channels ({c0 * h0 * w0 if shape else 0} flattened); fix 'in' or 'inputs'")
                t0 = (h0 * w0 if f == c0 else 1) if shape else 1
            elif shape:
                f, t0 = (c0, w0) if h0 == 1 else (c0 * h0 * w0, 1)
            else:
                f = self.int(where, b, "in", why=why)
            return dict(in_channels=f, out_channels=self.int(where, b, "out"), in_w=self.int(where, b, "tokens", t0),
                        bias=self.flag(where, b, "bias", False)), "fc"
        if op == "matmul":
            heads, m, n, k = (self.int(where, b, x, d) for x, d in (("heads", 1), ("m", _MISSING), ("n", _MISSING),
                                                                      ("k", _MISSING)))
            return dict(in_channels=heads * k, out_channels=heads * n, in_w=m, groups=heads), "matmul"
        if op == "embedding":
            return dict(in_channels=self.int(where, b, "vocab"), out_channels=self.int(where, b, "width"),
                        in_w=self.int(where, b, "tokens")), "embedding"
        # vector layers
        c = self.int(where, b, "channels", c0, why=why)
        h, w = self.pair(where, b, "hw", list(hw0) if shape else _MISSING, why=why)
        if op == "concat" and shape and "channels" not in b:
            parts = [self.shapes[s] for s in inputs]
            require(all(p[1:] == shape[1:] for p in parts),
                    f"{where}: inputs {', '.join(inputs)} differ in height/width; concat joins channels only")
            c = sum(p[0] for p in parts)
        elif op != "concat":
            agree("channels", c, c0), agree("hw", [h, w], [h0, w0])
        if op == "add":
            for s in inputs[1:]:
                require(self.shapes[s] == shape, f"{where}: inputs '{inputs[0]}' {shape} and '{s}' "
                                                 f"{self.shapes[s]} differ in shape; add needs equal shapes")
        fields = dict(in_channels=c, out_channels=c, in_h=h, in_w=w)
        if op == "pool":
            kind = b.get("type", "max")
            require(kind in ("max", "avg", "global"), f"{where}: field 'type' must be max, avg or global, got {kind!r}")
            k = (h, w) if kind == "global" else self.pair(where, b, "kernel")
            s = self.pair(where, b, "stride", list(k))
            p = self.pair(where, b, "padding", 0, minimum=0)
            fields.update(kernel_h=k[0], kernel_w=k[1], stride_h=s[0], stride_w=s[1], pad_h=p[0], pad_w=p[1])
            return fields, {"max": "maxpool", "avg": "avgpool", "global": "global-avgpool"}[kind]
        if op == "act":
            fn = b.get("function", "relu")
            require(isinstance(fn, str) and fn.isidentifier(), f"{where}: field 'function' must be a name, got {fn!r}")
            return fields, fn
        if op == "norm":
            t = b.get("type", "batchnorm")
            require(isinstance(t, str) and t != "", f"{where}: field 'type' must be a name, got {t!r}")
            fields["affine"] = self.flag(where, b, "affine", True)
            return fields, t if t.endswith("norm") else t + "norm"
        return fields, op


def _params(path: str, declared: Any, overrides: dict[str, Any]) -> dict[str, Any]:
    require(declared is None or isinstance(declared, dict),
            f"workload '{path}': field 'params' must be a mapping of name: value")
    params = {**_GLOBAL, **(declared or {})}
    for k, v in overrides.items():
        require(k in params, f"workload '{path}': unknown parameter '{k}'; known: {', '.join(params)}")
        d = params[k]
        if isinstance(v, str) and not isinstance(d, str):
            try:
                v = {"true": True, "false": False}.get(v.lower(), None) if isinstance(d, bool) else type(d)(v)
            except ValueError:
                v = None
            require(v is not None, f"workload '{path}': parameter '{k}' must be a {type(d).__name__}, "
                                   f"got {overrides[k]!r}")
        params[k] = v
    for k in _GLOBAL:
        v = params[k]
        require(isinstance(v, int) and not isinstance(v, bool) and v >= 1,
                f"workload '{path}': parameter '{k}' must be a positive integer, got {inputs.shown(v)}")
    for k, v in params.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            inputs.check_number(v, f"workload '{path}': parameter '{k}'", maximum=inputs.MAX_LAYER_DIM)
    return params


def _input_shape(r: _Reader, spec: Any) -> tuple[int, int, int] | None:
    where = f"workload '{r.path}': input"
    if spec is None:
        return None
    if isinstance(spec, list):
        require(len(spec) == 3, f"{where} must be [channels, height, width], got {spec!r}")
        return tuple(r.int(where, {"input": v}, "input") for v in spec)
    require(isinstance(spec, dict), f"{where} must be [C, H, W] or {{channels, hw}} or {{channels, tokens}}")
    for k in spec:
        require(k in ("channels", "hw", "tokens"), f"{where}: unknown field '{k}'; use channels, hw or tokens")
    c = r.int(where, spec, "channels")
    if "tokens" in spec:
        return c, 1, r.int(where, spec, "tokens")
    return (c, *r.pair(where, spec, "hw"))


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~5x faster to parse


def _read_yaml(path: Path) -> Any:
    return inputs.read_yaml(path, "workload", loader=_Loader)


def load_yaml_workload(path: str | Path, **params) -> LayerGraph:
    """Build the LayerGraph a workload YAML file describes; ``params`` override its ``params``."""
    path = Path(path)
    data = _read_yaml(path)
    where = f"workload '{path}'"
    require(isinstance(data, dict), f"{where} must be a YAML mapping with 'layers', got {type(data).__name__}")
    for k in data:
        require(k in _TOP, f"{where}: unknown top-level field '{k}'; known: {', '.join(_TOP)}")
    layers = data.get("layers")
    require(isinstance(layers, list) and layers, f"{where}: field 'layers' must be a non-empty list")
    r = _Reader(str(path), _params(str(path), data.get("params"), params))
    r.shapes[None] = _input_shape(r, data.get("input"))
    graph = LayerGraph(str(data.get("name") or path.stem))
    previous = None
    for i, entry in enumerate(layers):
        layer, inputs = r.layer(entry, i, previous)
        if layer.name in graph:
            raise CosimError(f"{where}: layer '{layer.name}': name used twice; names must be unique")
        graph.add(layer, inputs)
        previous = layer.name
    return graph
