"""PyTorch models as cosim layer graphs with real weights, pruned with a user-measured accuracy.

Optional extra (``pip install cosim[torch]``); nothing else in cosim imports torch.

``from_torch(model, example_input)`` traces the model with ``torch.fx`` (so residual adds and
concatenations become real graph edges), propagates shapes with the example input, and maps every
node onto cosim's layer kinds: ``Conv2d``/``Conv1d`` → conv2d, ``Linear`` → linear, norms → norm,
activations → act, pools → pool, ``+``/``torch.add`` → add, ``torch.cat`` → concat; layout-only steps
(flatten, view, reshape, dropout, identity, contiguous) pass their input through. Anything else is a
one-line CosimError naming the node. Weights come out in cosim's GEMM view (groups, N, K).

``prune_torch(model, example_input, pattern, evaluate, ...)`` prunes those weights with the same
engine as every other workload and measures accuracy with ``evaluate(model) -> float``, called on a
copy of the model holding the pruned weights (original shapes: removed channels are zeroed in the
producer's rows and the consumers' columns, which computes what removing them computes up to the
producer's norm shift). It returns the PruneRun and that pruned copy.
"""

from __future__ import annotations

import copy
import operator
from typing import Any, Callable

import numpy as np

from cosim.errors import CosimError
from cosim.graph import Layer, LayerGraph
from cosim.workloads.zoo import mark_relu_inputs


def _torch():
    try:
        import torch
        import torch.fx
        from torch.fx.passes.shape_prop import ShapeProp
    except ImportError:
        raise CosimError("importing PyTorch models needs torch: pip install cosim[torch]") from None
    return torch, ShapeProp


_ACT_MODULES = {"ReLU": "relu", "ReLU6": "relu6", "GELU": "gelu", "SiLU": "silu", "Sigmoid": "sigmoid",
                "Tanh": "tanh", "Hardswish": "hardswish", "LeakyReLU": "leakyrelu", "ELU": "elu"}
_NORM_MODULES = {"BatchNorm1d": "batchnorm", "BatchNorm2d": "batchnorm", "LayerNorm": "layernorm",
                 "GroupNorm": "groupnorm"}
_PASS_MODULES = ("Flatten", "Dropout", "Identity", "Unflatten")
_PASS_METHODS = ("view", "reshape", "flatten", "contiguous", "squeeze", "unsqueeze", "permute", "transpose",
                 "size", "dim")
_ACT_FUNCTIONS = ("relu", "gelu", "silu", "sigmoid", "tanh", "relu6", "hardswish")


def _chw(shape) -> tuple[int, int, int]:
    """(channels, h, w) of an activation of shape (batch, C[, H[, W]]) or (batch, tokens, C)."""
    dims = list(shape)[1:]
    if len(dims) == 3:
        return dims[0], dims[1], dims[2]
    if len(dims) == 2:
        return dims[0], 1, dims[1]
    return (dims[0] if dims else 1), 1, 1


def from_torch(model, example_input, name: str | None = None, weight_bits: int = 32,
               act_bits: int = 32) -> tuple[LayerGraph, dict[str, np.ndarray], dict[str, str]]:
    """(graph, weights by layer in GEMM view, layer → module path of its parameters)."""
    torch, ShapeProp = _torch()
    try:
        gm = torch.fx.symbolic_trace(model)
    except Exception as e:  # noqa: BLE001 - torch raises many kinds; the user needs the reason in one line
        raise CosimError(f"torch model cannot be traced by torch.fx ({type(e).__name__}: {str(e).splitlines()[0]}); "
                         "export it to ONNX and use --workload model.onnx") from None
    ShapeProp(gm).propagate(example_input)
    modules = dict(gm.named_modules())
    g = LayerGraph(name or type(model).__name__)
    alias: dict[str, str | None] = {}  # fx node → the layer producing its value (None: the graph input)
    weights: dict[str, np.ndarray] = {}
    owners: dict[str, str] = {}
    bits = dict(weight_bits=weight_bits, act_bits=act_bits)

    def src(arg) -> list[str]:
        nodes = [a for a in (arg if isinstance(arg, (list, tuple)) else [arg]) if isinstance(a, torch.fx.Node)]
        out = []
        for a in nodes:
            s = alias.get(a.name)
            if s is not None and s not in out:
                out.append(s)
        return out

    def shape_of(node):
        meta = node.meta.get("tensor_meta")
        return tuple(meta.shape) if meta is not None and hasattr(meta, "shape") else None

    used: set[str] = set()
    for node in gm.graph.nodes:
        # A module called more than once (one nn.ReLU reused, as PyTorch code often does) names its first
        # call; later calls take torch.fx's unique node name (relu_1, ...).
        lname = node.target if node.op == "call_module" and node.target not in used else node.name
        used.add(lname)
        if node.op == "placeholder":
            alias[node.name] = None
            continue
        if node.op in ("output", "get_attr"):
            continue
        ins = src(node.args[0]) if node.args else []
        in_shape = shape_of(node.args[0]) if node.args and isinstance(node.args[0], torch.fx.Node) else None
        out_shape = shape_of(node)
        layer = None
        if node.op == "call_module":
            mod = modules[node.target]
            kind = type(mod).__name__
            if kind in ("Conv2d", "Conv1d"):
                c, h, w = _chw(in_shape)
                k = mod.kernel_size if kind == "Conv2d" else (1,) + tuple(mod.kernel_size)
                st = mod.stride if kind == "Conv2d" else (1,) + tuple(mod.stride)
                pad = mod.padding if kind == "Conv2d" else (0,) + tuple(mod.padding)
                dil = mod.dilation if kind == "Conv2d" else (1,) + tuple(mod.dilation)
                if isinstance(pad, str):
                    raise CosimError(f"torch node '{node.target}': string padding '{pad}' is not supported; "
                                     "give integer padding")
                layer = Layer(name=lname, op="conv2d", in_channels=c, out_channels=mod.out_channels, in_h=h,
                              in_w=w, kernel_h=k[0], kernel_w=k[1], stride_h=st[0], stride_w=st[1],
                              pad_h=pad[0], pad_w=pad[1], dilation_h=dil[0], dilation_w=dil[1], groups=mod.groups,
                              kind="conv", bias=mod.bias is not None, **bits)
                weights[lname] = mod.weight.detach().cpu().numpy().reshape(
                    mod.groups, mod.out_channels // mod.groups, -1)
                owners[lname] = node.target
            elif kind == "Linear":
                tokens = int(np.prod(in_shape[1:-1])) if in_shape and len(in_shape) > 2 else 1
                layer = Layer.linear(lname, mod.in_features, mod.out_features, tokens=tokens,
                                     kind="fc", bias=mod.bias is not None, **bits)
                weights[lname] = mod.weight.detach().cpu().numpy().reshape(1, mod.out_features, mod.in_features)
                owners[lname] = node.target
            elif kind in _ACT_MODULES:
                c, h, w = _chw(out_shape)
                layer = Layer.vector(lname, "act", c, (h, w), kind=_ACT_MODULES[kind])
            elif kind in _NORM_MODULES:
                c, h, w = _chw(out_shape)
                affine = getattr(mod, "affine", getattr(mod, "elementwise_affine", False))
                layer = Layer.vector(lname, "norm", c, (h, w), kind=_NORM_MODULES[kind], affine=bool(affine))
            elif kind in ("MaxPool2d", "AvgPool2d"):
                c, h, w = _chw(in_shape)
                k = mod.kernel_size if isinstance(mod.kernel_size, int) else mod.kernel_size[0]
                s = mod.stride if isinstance(mod.stride, int) else (mod.stride or (k,))[0]
                p = mod.padding if isinstance(mod.padding, int) else mod.padding[0]
                layer = Layer.pool(lname, c, (h, w), k, s, p, kind="maxpool" if kind == "MaxPool2d" else "avgpool")
            elif kind in ("AdaptiveAvgPool2d", "AdaptiveMaxPool2d"):
                c, h, w = _chw(in_shape)
                oh = _chw(out_shape)[1]
                layer = Layer.pool(lname, c, (h, w), h // oh, h // oh, kind="avgpool" if "Avg" in kind else "maxpool")
            elif kind in _PASS_MODULES:
                alias[node.name] = ins[0] if ins else None
                continue
            else:
                raise CosimError(f"torch module '{node.target}' ({kind}) has no cosim equivalent; supported: Conv1d, "
                                 "Conv2d, Linear, norms, activations, pools, Flatten, Dropout, Identity")
        elif node.op in ("call_function", "call_method"):
            fn = node.target if node.op == "call_method" else getattr(node.target, "__name__", str(node.target))
            if fn in ("add", "iadd", "sub") or node.target in (operator.add, operator.iadd):
                ins = src(list(node.args))
                if len(ins) < 2:  # adding a constant: a pointwise step
                    alias[node.name] = ins[0] if ins else None
                    continue
                c, h, w = _chw(out_shape)
                layer = Layer.vector(node.name, "add", c, (h, w), kind="add")
            elif fn == "cat":
                ins = src(node.args[0])
                c, h, w = _chw(out_shape)
                layer = Layer.vector(node.name, "concat", c, (h, w), kind="concat")
            elif fn in _ACT_FUNCTIONS:
                c, h, w = _chw(out_shape)
                layer = Layer.vector(node.name, "act", c, (h, w), kind=fn)
            elif fn in _PASS_METHODS or fn in ("flatten", "reshape", "getitem", "getattr", "dropout"):
                alias[node.name] = ins[0] if ins else None
                continue
            else:
                raise CosimError(f"torch node '{node.name}' ({fn}) has no cosim equivalent; export the model to "
                                 "ONNX or replace the operation")
        else:
            continue
        g.add(layer, ins)
        alias[node.name] = layer.name
    if not g.compute_layers():
        raise CosimError(f"torch model '{g.name}' has no conv or linear layer to prune")
    return mark_relu_inputs(g), weights, owners


def load_weights(model, weights: dict[str, np.ndarray], owners: dict[str, str]):
    """A copy of ``model`` whose conv/linear weights are ``weights`` (GEMM view, original shapes)."""
    torch, _ = _torch()
    out = copy.deepcopy(model)
    mods = dict(out.named_modules())
    with torch.no_grad():
        for name, w in weights.items():
            p = mods[owners[name]].weight
            p.copy_(torch.from_numpy(np.ascontiguousarray(w).reshape(tuple(p.shape))).to(p.dtype))
    return out


def prune_torch(model, example_input, pattern, evaluate: Callable[[Any], float], **kw):
    """Prune a PyTorch model; ``evaluate(model) -> accuracy`` measures it (on the user's data).

    Returns (PruneRun, pruned model): a copy of ``model`` holding the final pruned (and quantized)
    weights in the original shapes — the model the final accuracy was measured on."""
    from cosim.prune.patterns import parse_pattern
    from cosim.prune.workflow import prune_with_weights

    graph, weights, owners = from_torch(model, example_input)
    pattern = parse_pattern(pattern) if isinstance(pattern, str) else pattern
    last: dict = {}

    def measure(w: dict[str, np.ndarray]) -> float:
        last["weights"] = w
        return float(evaluate(load_weights(model, w, owners)))

    run = prune_with_weights(graph, pattern, weights=weights, evaluate=measure, **kw)
    return run, load_weights(model, last["weights"], owners)
