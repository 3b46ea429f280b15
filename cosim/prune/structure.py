"""Structured pruning changes the network, not just its weights.

* Channel (filter) pruning: removing output channels of a conv/linear layer shrinks that layer's
  out_channels, every channel-wise layer between it and its consumers (activations, norms, pools and
  depthwise convs, which shrink too), and its consumers' in_channels. A linear consumer after a
  flatten sees each channel as H·W consecutive inputs, so it loses H·W inputs per channel.
  A layer whose channels reach an ``add``, a ``concat``, a ``matmul``, a grouped (non-depthwise) conv
  or the network's output cannot be channel-pruned on its own: the shapes on the other side would no
  longer match. Such layers are skipped and named in the report.
* Whole-layer removal: a residual branch — a chain of layers from a fork to an ``add`` whose other
  input is the fork itself (an identity skip) — can be removed with its ``add``; the skip carries on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cosim.errors import CosimError, require
from cosim.graph import Layer, LayerGraph
from cosim.sparsity import Sparsity

_CHANNELWISE = ("act", "norm", "pool")


@dataclass(frozen=True)
class ChannelDeps:
    """What shrinks with the output channels of ``producer``."""

    producer: str
    channelwise: tuple[str, ...]  # vector layers and depthwise convs carrying the channels through
    consumers: tuple[tuple[str, int], ...]  # (consumer, in_channels per producer channel)


def is_depthwise(layer: Layer) -> bool:
    return layer.op == "conv2d" and layer.groups > 1 and layer.groups == layer.in_channels == layer.out_channels


def channel_deps(graph: LayerGraph, name: str) -> ChannelDeps | str:
    """Who shrinks with ``name``'s output channels, or the reason it cannot be channel-pruned."""
    layer = graph[name]
    if not layer.has_weights:
        return "has no weights"
    if layer.groups != 1:
        return "is a grouped convolution"
    channels = layer.out_channels
    channelwise: list[str] = []
    consumers: list[tuple[str, int]] = []
    frontier = list(graph.successors(name))
    if not frontier:
        return "produces the network's output"
    seen: set[str] = set()
    while frontier:
        n = frontier.pop(0)
        if n in seen:
            continue
        seen.add(n)
        l = graph[n]
        if l.op in _CHANNELWISE or is_depthwise(l):
            if l.in_channels != channels:
                return f"feeds '{n}' whose {l.in_channels} channels are not its {channels}"
            channelwise.append(n)
            nxt = graph.successors(n)
            if not nxt:
                return f"reaches the network's output through '{n}'"
            frontier.extend(nxt)
        elif l.op in ("conv2d", "linear") and l.groups == 1:
            if l.in_channels % channels:
                return f"feeds '{n}' whose {l.in_channels} inputs are not a multiple of its {channels} channels"
            consumers.append((n, l.in_channels // channels))
        else:
            return f"feeds '{n}' ({l.op}{', grouped' if l.groups > 1 else ''}) whose shapes must stay matched"
    return ChannelDeps(name, tuple(channelwise), tuple(consumers))


def _slice_layer(layer: Layer, weights: dict, rows: np.ndarray | None = None, cols: np.ndarray | None = None,
                 group_keep: np.ndarray | None = None, **dims) -> Layer:
    """Shrink a layer's dims and, where present, its weights (GEMM view) and mask alike."""
    w = weights.get(layer.name)
    mask = layer.weight_sparsity.mask
    if mask is not None and cols is not None:
        raise CosimError(f"layer '{layer.name}': already carries a {layer.weight_sparsity.kind} mask; apply "
                         "channel pruning before fine-grained patterns")
    for sel, axis in ((group_keep, 0), (rows, 1), (cols, 2)):
        if sel is None:
            continue
        if w is not None:
            w = np.take(w, sel, axis=axis)
        if mask is not None:
            mask = np.take(mask, sel, axis=axis)
    if w is not None:
        weights[layer.name] = w
    sp = layer.weight_sparsity
    if mask is not None:
        sp = Sparsity.from_mask(mask, kind=sp.kind, n=sp.n, m=sp.m, block_h=sp.block_h, block_w=sp.block_w)
    return layer.replace(weight_sparsity=sp, **dims)


def shrink_channels(graph: LayerGraph, weights: dict[str, np.ndarray], name: str, keep: np.ndarray) -> LayerGraph:
    """Keep only the output channels ``keep`` of ``name``; returns a new graph, edits ``weights`` in place."""
    deps = channel_deps(graph, name)
    if isinstance(deps, str):
        raise CosimError(f"layer '{name}': cannot be channel-pruned: it {deps}")
    keep = np.sort(np.asarray(keep, dtype=np.int64))
    require(keep.size >= 1, f"layer '{name}': channel pruning would remove every channel; keep at least one")
    old = graph[name].out_channels
    c = int(keep.size)
    g = graph.copy()
    g.replace(_slice_layer(graph[name], weights, rows=keep, out_channels=c))
    for n in deps.channelwise:
        l = graph[n]
        if l.op == "conv2d":  # depthwise: one group per channel
            g.replace(_slice_layer(l, weights, group_keep=keep, in_channels=c, out_channels=c, groups=c))
        else:
            g.replace(l.replace(in_channels=c, out_channels=c))
    for n, per_channel in deps.consumers:
        l = graph[n]
        span = l.gemm_k // old  # reduction inputs per producer channel (kh·kw, or H·W after a flatten)
        cols = (keep[:, None] * span + np.arange(span)[None, :]).ravel()
        g.replace(_slice_layer(l, weights, cols=cols, in_channels=per_channel * c))
    return g


# ---- whole-layer removal -------------------------------------------------------------------------
@dataclass(frozen=True)
class Branch:
    add: str  # the add layer that merges the branch with its identity skip
    fork: str  # the layer whose output feeds both the branch and the skip
    layers: tuple[str, ...]  # the branch, in order


def residual_branches(graph: LayerGraph) -> list[Branch]:
    """Residual branches with an identity skip, in topological order of their ``add``."""
    out = []
    for layer in graph.layers():
        if layer.op != "add":
            continue
        preds = graph.predecessors(layer.name)
        if len(preds) != 2:
            continue
        for skip, end in ((preds[0], preds[1]), (preds[1], preds[0])):
            chain, cur, ok = [], end, True
            while cur != skip:
                ps = graph.predecessors(cur)
                if len(ps) != 1 or len(graph.successors(cur)) != 1:
                    ok = False
                    break
                chain.append(cur)
                cur = ps[0]
            if ok and chain and graph[skip].out_channels == layer.out_channels:
                out.append(Branch(layer.name, skip, tuple(reversed(chain))))
                break
    return out


def remove_branches(graph: LayerGraph, branches: list[Branch]) -> LayerGraph:
    """A new graph without the branches and their adds; an add's consumers read its skip instead."""
    dropped = {n for b in branches for n in b.layers} | {b.add for b in branches}
    rename = {b.add: b.fork for b in branches}

    def source(n: str) -> str:
        while n in rename:
            n = rename[n]
        return n

    g = LayerGraph(graph.name)
    for layer in graph.layers():
        if layer.name in dropped:
            continue
        inputs = []
        for p in graph.predecessors(layer.name):
            s = source(p)
            if s not in inputs:
                inputs.append(s)
        g.add(layer, inputs)
    return g
