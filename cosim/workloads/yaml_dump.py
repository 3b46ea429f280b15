"""Write a layer graph as workload YAML that cosim.workloads.yaml_io reads back to equal layers and edges.

Dimensions are written explicitly in the shorthand of cosim/workloads/yaml_io.py; a layer the shorthand
cannot express exactly is written in the long form (``op:`` with raw Layer fields). Every entry is read
back by the reader before it is kept, so what is written is what loads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from cosim.errors import CosimError, require
from cosim.graph import Layer, LayerGraph
from cosim.outputs import write_atomic
from cosim.sparsity import Sparsity
from cosim.workloads.yaml_io import _COMMON, _LONG, _Reader

_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _hw(h: int, w: int):
    return h if h == w else [h, w]


def _shorthand(layer: Layer) -> dict:
    """The op body of ``layer`` with every dimension explicit (no inference needed to read it back)."""
    l = layer
    if l.op == "conv2d":
        body = {"in": l.in_channels, "out": l.out_channels, "hw": _hw(l.in_h, l.in_w),
                "kernel": _hw(l.kernel_h, l.kernel_w), "stride": _hw(l.stride_h, l.stride_w),
                "padding": _hw(l.pad_h, l.pad_w), "dilation": _hw(l.dilation_h, l.dilation_w), "groups": l.groups}
        body["bias"] = l.bias
        return {k: v for k, v in body.items() if k not in ("stride", "dilation", "groups", "bias") or v != 1}
    if l.op == "linear":
        return {"in": l.in_channels, "out": l.out_channels, "tokens": l.in_w, **({"bias": True} if l.bias else {})}
    if l.op == "matmul":
        return {"m": l.in_w, "n": l.out_channels // l.groups, "k": l.in_channels // l.groups, "heads": l.groups}
    if l.op == "embedding":
        return {"vocab": l.in_channels, "width": l.out_channels, "tokens": l.in_w}
    body = {"channels": l.in_channels, "hw": _hw(l.in_h, l.in_w)}
    if l.op == "pool":
        body.update(kernel=_hw(l.kernel_h, l.kernel_w), stride=_hw(l.stride_h, l.stride_w),
                    padding=_hw(l.pad_h, l.pad_w))
    if l.op == "norm" and not l.affine:
        body["affine"] = False
    return body


def _sparsity_entry(s: Sparsity):
    if s.kind == "nm":
        return f"{s.n}:{s.m}"
    entry = {"kind": s.kind, "density": s.density}
    if s.kind == "block":
        entry.update(block_h=s.block_h, block_w=s.block_w)
    return entry


def dump_yaml_workload(graph: LayerGraph, path: str | Path) -> None:
    """Write ``graph`` as workload YAML that ``load_yaml_workload`` reads back to equal layers and edges.

    Dimensions are written explicitly; a layer the shorthand cannot express exactly is written in the
    long form (``op:`` with raw Layer fields). Weight masks are not written (density and pattern are).
    """
    layers = graph.layers()
    require(bool(layers), f"network '{graph.name}' has no layers to write")
    glob = {"batch": layers[0].batch, "weight_bits": layers[0].weight_bits, "act_bits": layers[0].act_bits}
    reader = _Reader("<dump>", dict(glob))
    entries, previous = [], None
    for l in layers:
        inputs = graph.predecessors(l.name)
        e: dict[str, Any] = {"name": l.name, l.op: _shorthand(l)}
        if inputs != ([previous] if previous else []):
            e["inputs"] = inputs
        e["kind"] = l.kind  # verbatim, so no tag is derived twice
        if l.relu_input != any(s in reader.relu_out for s in inputs):  # not what reading would derive
            e["relu_input"] = l.relu_input
        for k, v in glob.items():
            if getattr(l, k) != v:
                e[k] = getattr(l, k)
        if l.out_bits != l.act_bits:
            e["out_bits"] = l.out_bits
        if l.act_density != 1.0:
            e["act_density"] = l.act_density
        if not l.weight_sparsity.is_dense:
            e["sparsity"] = _sparsity_entry(l.weight_sparsity)
        try:  # read it back as load_yaml_workload will, inferring and checking against the inputs
            same = reader.layer(e, 0, previous)[0] == l
        except CosimError:
            same = False
        if not same:  # long form: every field that differs from the Layer default, no inference
            e = {"name": l.name, "op": l.op, **{k: v for k, v in e.items() if k in _COMMON and k != "name"}}
            e.update({f: getattr(l, f) for f in _LONG if f not in _COMMON and f not in ("act_density",)
                      and getattr(l, f) != Layer.__dataclass_fields__[f].default})
            reader.layer(e, 0, previous)
        entries.append(e)
        previous = l.name
    text = yaml.dump({"name": graph.name, "params": glob, "layers": entries}, sort_keys=False,
                          default_flow_style=None, width=120, Dumper=_Dumper)
    write_atomic(path, text)
