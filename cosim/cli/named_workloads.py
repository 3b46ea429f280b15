"""Workload names the CLI resolves beyond the zoo: models embedded in cosim's pruning package.

``EMBEDDED`` maps a name to a builder returning the network's LayerGraph; further embedded models
register here (one entry each) and are then accepted by ``simulate -w`` and listed by ``presets``.
"""

from __future__ import annotations

from typing import Callable

from cosim.graph import LayerGraph

SHAPE_SEED = 0  # shapes do not depend on the seed; fixed so the graph (and its cache key) is stable


def _digits(name: str) -> Callable[[], LayerGraph]:
    def build() -> LayerGraph:
        from cosim.prune.digits import arch_of, build as build_net, to_layer_graph

        # int8 weights and activations, as the zoo's networks default to; --precision changes it.
        return to_layer_graph(build_net(arch_of(name), seed=SHAPE_SEED), weight_bits=8, act_bits=8)

    return build


EMBEDDED: dict[str, Callable[[], LayerGraph]] = {
    "digits-mlp": _digits("digits-mlp"),
    "digits-cnn": _digits("digits-cnn"),
    "mnist-mlp": _digits("mnist-mlp"),
    "mnist-cnn": _digits("mnist-cnn"),
}


def embedded_graph(name: str) -> LayerGraph | None:
    """The embedded model's graph, or None when ``name`` is not an embedded model."""
    fn = EMBEDDED.get(str(name).lower())
    return fn() if fn is not None else None
