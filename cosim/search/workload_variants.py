"""The pruning side of a design point: a workload pruned to a pattern, allocated per layer, at a bit width.

A sweep point names its pruning as three choices: a sparsity text (``dense``, ``2:4``,
``unstructured:0.5``, ``block:4x4:0.5``, ``channel:0.3`` — the grammar of ``Sparsity.label`` and of
``cosim.sparsity_spec.parse_sparsity``), a per-layer allocation policy, and a bit width. This module
turns them into a pruned LayerGraph with ``cosim.sparsity_spec.apply_sparsity``: the weight layers
carry the statistical :class:`~cosim.sparsity.Sparsity` of the pattern (the datapaths model it where no
mask exists).

Allocation policies handled here:
  uniform    every weight layer (conv2d, linear) gets the pattern;
  keep-ends  the first and last weight layers stay dense (the usual practice: the stem conv and the
             classifier are the most sensitive to pruning), the others get the pattern.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from cosim.errors import require
from cosim.graph import LayerGraph
from cosim.sparsity import Sparsity

ALLOCATIONS = ("uniform", "keep-ends")


def parse_sparsity_text(text: str) -> Sparsity:
    from cosim.sparsity_spec import parse_sparsity

    return parse_sparsity(text)


@dataclass(frozen=True)
class WorkloadVariant:
    graph: LayerGraph
    params: int  # weights of the dense network
    params_nonzero: float  # weights kept
    model_bytes: float  # kept weights at the chosen bit width (no metadata)
    proxy: float  # accuracy_proxy_weight_norm (cosim/search/accuracy.py)
    accuracy: float | None = None  # measured test accuracy, where cosim.prune can measure it

    @property
    def weight_density(self) -> float:
        return self.params_nonzero / self.params if self.params else 1.0


def _digits_arch(workload: str) -> str | None:
    from cosim.prune import digits

    return digits.ARCHS.get(workload.lower())


@functools.lru_cache(maxsize=8)
def base_workload(name: str) -> LayerGraph:
    """A zoo workload or file, or an embedded digits model (its dense, untrained shape)."""
    arch = _digits_arch(name)
    if arch is not None:
        from cosim.prune import digits

        return digits.to_layer_graph(digits.build(arch))
    from cosim.workloads import load_workload

    return load_workload(name)


@functools.lru_cache(maxsize=64)
def workload_variant(workload: str, sparsity: str, allocation: str, bits: int) -> WorkloadVariant:
    """The pruned graph of one (workload, sparsity, allocation, bits) choice; cached per process.

    Digits models are trained, pruned (with fine-tuning) and quantized by cosim.prune, so their graph
    carries real masks (or fewer channels) and a measured accuracy; other workloads get the pattern's
    statistical annotation through cosim.sparsity_spec.apply_sparsity.
    """
    from cosim.search.accuracy import pattern_proxy

    require(allocation in ALLOCATIONS,
            f"pruning.allocation '{allocation}' is unknown; use one of {', '.join(ALLOCATIONS)}")
    base = base_workload(workload)
    weight_layers = [l.name for l in base.layers() if l.has_weights]
    keep_dense = frozenset(weight_layers[:1] + weight_layers[-1:]) if allocation == "keep-ends" and len(
        weight_layers) > 2 else frozenset()
    proxy = pattern_proxy(base, parse_sparsity_text(sparsity), keep_dense)
    accuracy = None
    if _digits_arch(workload) is not None:
        from cosim.prune.quantize import QuantSpec
        from cosim.prune.workflow import prune_workload

        quant = QuantSpec(bits=bits) if bits <= 16 else None
        run = prune_workload(workload.lower(), sparsity, quant=quant, act_bits=bits if quant else None,
                             skip=tuple(sorted(keep_dense)))
        pruned, accuracy = run.graph, run.accuracy_after
    else:
        from cosim.sparsity_spec import apply_sparsity

        per_layer = {"default": sparsity, **{name: "dense" for name in keep_dense}}
        pruned = apply_sparsity(base, per_layer).map_layers(lambda l: l.replace(weight_bits=bits, act_bits=bits))
    params = sum(l.params for l in base.layers())
    kept = sum(l.params * l.weight_density for l in pruned.layers())
    return WorkloadVariant(graph=pruned, params=params, params_nonzero=kept, model_bytes=kept * bits / 8,
                           proxy=proxy, accuracy=accuracy)
