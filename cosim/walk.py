"""The one graph walker: a network's layers in order, which of them run fused into their producer, and
the distinct *sites* a datapath evaluates once each.

A site is a layer value in its network context (fused or not, fed by another layer or by the network's
input, read by another layer or not, how many inputs it adds). Layers of equal value and context —
BERT-base's 12 identical encoder blocks — share a site, which the datapath evaluates once and the
totals count ``count`` times. ``cosim.simulate``, the search's evaluation of many designs, and the
pruning engine's hardware cost all walk networks through :func:`walk`.

A layer's value is every field but its name, its mask included by content (``Sparsity.mask_digest``).
Where a datapath draws a statistical layer's stand-in mask from the layer's name
(cosim.sparsity.synthesize_mask), equal shapes no longer mean equal work, and ``names_matter`` keeps
such layers apart. Datapaths whose per-layer results depend on the whole network (an FPGA dataflow
pipeline folds every engine against one budget) ask for ``distinct=False``: one site per layer.

Walks are cached per graph object and its ``version`` (bumped by every change to the graph).
"""

from __future__ import annotations

import dataclasses
import operator
import weakref
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from cosim.errors import require
from cosim.fusion import fused_owners
from cosim.graph import Layer, LayerGraph

_VALUE_FIELDS = tuple(f.name for f in dataclasses.fields(Layer) if f.name != "name")
_layer_value = operator.attrgetter(*_VALUE_FIELDS)


def layer_key(layer: Layer, names_matter: bool = False) -> tuple:
    """The value of ``layer`` as a hashable key: every field but the name (the mask by its digest,
    through Sparsity's equality), plus the name where ``names_matter`` and the layer's weights are
    sparse without a mask (their stand-in mask is drawn from the name)."""
    value = _layer_value(layer)
    sp = layer.weight_sparsity
    if names_matter and sp.mask is None and not sp.is_dense:
        return (layer.name,) + value
    return value


@dataclass(frozen=True)
class Site:
    """A distinct layer in its network context, and how often it occurs."""

    layer: Layer  # the first layer of the network with this value and context
    count: int
    fused: bool  # runs in its producer's output path (cosim/fusion.py): no cycles or traffic of its own
    has_producer: bool  # fed by another layer (not by the network's input)
    has_consumer: bool  # read by another layer (not a network output)
    n_inputs: int  # layers it reads (an add of two branches reads two)


@dataclass(frozen=True, eq=False)
class Walk:
    """A network as a datapath sees it (see the module docstring)."""

    name: str
    layers: tuple[Layer, ...]  # topological order
    owners: Mapping[str, str]  # fused layer → the layer whose output path runs it
    sites: tuple[Site, ...]  # in order of first occurrence
    site_index: np.ndarray  # per layer, its site
    fuse: bool
    graph: LayerGraph | None  # None for a standalone layer
    standalone: bool = False  # one layer run again and again on its own, as benchmarks time it

    @property
    def batch(self) -> int:
        return self.layers[0].batch

    @property
    def counts(self) -> np.ndarray:
        return np.fromiter((s.count for s in self.sites), dtype=np.int64, count=len(self.sites))

    def fused_children(self, owner: str) -> list[Layer]:
        """The layers that run fused in ``owner``'s output path, in network order."""
        return [l for l in self.layers if self.owners.get(l.name) == owner]


_WALKS: "weakref.WeakKeyDictionary[LayerGraph, dict]" = weakref.WeakKeyDictionary()


def walk(graph: LayerGraph, *, fuse: bool = True, distinct: bool = True, names_matter: bool = False) -> Walk:
    """The walk of ``graph`` (cached per graph object and version)."""
    options = (graph.version, fuse, distinct, names_matter)
    per_graph = _WALKS.setdefault(graph, {})
    hit = per_graph.get(options)
    if hit is not None:
        return hit
    layers = graph.layers()
    require(bool(layers), f"workload '{graph.name}' has no layers; nothing to simulate")
    owners = fused_owners(graph) if fuse else {}
    sites: list[Site] = []
    index: list[int] = []
    seen: dict[tuple, int] = {}
    for layer in layers:
        preds = graph.predecessors(layer.name)
        has_consumer = bool(graph.successors(layer.name))
        fused = layer.name in owners
        context = (fused, bool(preds), has_consumer, len(preds))
        key = (layer_key(layer, names_matter), context) if distinct else (layer.name,)
        at = seen.get(key)
        if at is None:
            at = seen[key] = len(sites)
            sites.append(Site(layer, 1, *context))
        else:
            sites[at] = dataclasses.replace(sites[at], count=sites[at].count + 1)
        index.append(at)
    result = Walk(graph.name, tuple(layers), owners, tuple(sites), np.asarray(index, dtype=np.int64), fuse, graph)
    for old in [k for k in per_graph if k[0] != graph.version]:
        del per_graph[old]
    per_graph[options] = result
    return result


def standalone_walk(layer: Layer) -> Walk:
    """One layer on its own, as a benchmark times it (no producer, no consumer, nothing fused)."""
    site = Site(layer, 1, False, False, False, 0)
    return Walk(layer.name, (layer,), {}, (site,), np.zeros(1, dtype=np.int64), False, None, standalone=True)
