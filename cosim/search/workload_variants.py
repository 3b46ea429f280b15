"""The pruning side of a design point: a workload pruned to a pattern, allocated per layer, at a bit width.

A sweep point names its pruning as four choices: a sparsity text (``dense``, ``2:4``,
``unstructured:0.5``, ``block:4x4:0.5``, ``channel:0.3`` — the grammar of ``Sparsity.label`` and of
``cosim.sparsity_spec.parse_sparsity``), a per-layer allocation policy, a bit width and a training
recipe (cosim/search/recipes.py; used where the model can be trained and measured). This module
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
from pathlib import Path

from cosim.errors import require
from cosim.graph import LayerGraph
from cosim.search.hw_allocation import STATIC_ALLOCATIONS as ALLOCATIONS  # uniform, keep-ends
from cosim.sparsity import Sparsity


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
    network_proxy: float = float("nan")  # accuracy_proxy_network_aware (cosim/search/accuracy.py)
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


def _keep_dense(base: LayerGraph, allocation: str) -> frozenset:
    from cosim.search.hw_allocation import parse_hw_allocation

    if parse_hw_allocation(allocation) is not None:
        return frozenset()  # the allocation decides every layer
    require(allocation in ALLOCATIONS,
            f"pruning.allocation '{allocation}' is unknown; use one of {', '.join(ALLOCATIONS)}, "
            "hw-latency:F or hw-energy:F")
    weight_layers = [l.name for l in base.layers() if l.has_weights]
    return frozenset(weight_layers[:1] + weight_layers[-1:]) if allocation == "keep-ends" and len(
        weight_layers) > 2 else frozenset()


def _hw_layers(workload: str, sparsity: str, allocation: str, bits: int, accelerator: str) -> dict | None:
    from cosim.search.hw_allocation import hw_layer_sparsity, is_hw_allocation

    if not is_hw_allocation(allocation):
        return None
    return dict(hw_layer_sparsity(workload, sparsity, allocation, bits, accelerator))


def train_variant(workload: str, sparsity: str, allocation: str, bits: int,
                  recipe: str = "default", accelerator: str = "") -> tuple[LayerGraph, float]:
    """Train, prune (the recipe's schedule, fine-tuning, distillation) and quantize an embedded model:
    (pruned graph with its masks, measured test accuracy). A hardware-aware allocation is made on
    ``accelerator`` (cosim/search/hw_allocation.py)."""
    from cosim.prune.quantize import QuantSpec
    from cosim.prune.workflow import prune_workload
    from cosim.search.recipes import parse_recipe

    r = parse_recipe(recipe)
    keep_dense = _keep_dense(base_workload(workload), allocation)
    quant = QuantSpec(bits=bits) if bits <= 16 else None
    run = prune_workload(workload.lower(), sparsity, criterion=r.criterion, scope=r.scope,
                         schedule=r.schedule_obj(), quant=quant, act_bits=bits if quant else None,
                         skip=tuple(sorted(keep_dense)), distill=r.distill,
                         layer_sparsity=_hw_layers(workload, sparsity, allocation, bits, accelerator))
    return run.graph, float(run.accuracy_after)


@functools.lru_cache(maxsize=64)
def workload_variant(workload: str, sparsity: str, allocation: str, bits: int, recipe: str = "default",
                     memo_path: str = "", accelerator: str = "") -> WorkloadVariant:
    """The pruned graph of one (workload, sparsity, allocation, bits, recipe) choice; cached per process.

    Embedded models (digits-*, mnist-*) are trained, pruned with the recipe's fine-tuning and
    quantized by cosim.prune, so their graph carries real masks (or fewer channels) and a measured
    accuracy; a sweep trains each once and keeps it in its store (``memo_path``, cosim/search/recipes.py).
    Other workloads get the pattern's statistical annotation through cosim.sparsity_spec.apply_sparsity.
    ``accelerator``: the candidate's base, for hardware-aware allocations (ignored by the others).
    """
    from cosim.search.accuracy import network_aware_proxy, pattern_proxy

    base = base_workload(workload)
    keep_dense = _keep_dense(base, allocation)
    proxy = pattern_proxy(base, parse_sparsity_text(sparsity), keep_dense)
    network_proxy = network_aware_proxy(base, parse_sparsity_text(sparsity), keep_dense)
    accuracy = None
    if _digits_arch(workload) is not None:
        from cosim.search.recipes import RecipeMemo, recipe_key

        hit = None
        if memo_path and Path(memo_path).is_file():  # a worker elsewhere (dask) without the store trains itself
            memo = RecipeMemo(memo_path)
            try:
                hit = memo.get(recipe_key(workload, sparsity, allocation, bits, recipe, accelerator))
            finally:
                memo.close()
        pruned, accuracy = hit if hit is not None else train_variant(workload, sparsity, allocation, bits, recipe,
                                                                     accelerator)
    else:
        from cosim.search.recipes import parse_recipe
        from cosim.sparsity_spec import apply_sparsity

        parse_recipe(recipe)  # checked, though nothing is trained without data
        hw = _hw_layers(workload, sparsity, allocation, bits, accelerator)
        if hw is not None:
            from cosim.search.hw_allocation import per_layer_texts

            per_layer = per_layer_texts(sparsity, hw)
        else:
            per_layer = {"default": sparsity, **{name: "dense" for name in keep_dense}}
        pruned = apply_sparsity(base, per_layer).map_layers(lambda l: l.replace(weight_bits=bits, act_bits=bits))
    params = sum(l.params for l in base.layers())
    kept = sum(l.params * l.weight_density for l in pruned.layers())
    return WorkloadVariant(graph=pruned, params=params, params_nonzero=kept, model_bytes=kept * bits / 8,
                           proxy=proxy, accuracy=accuracy, network_proxy=network_proxy)
