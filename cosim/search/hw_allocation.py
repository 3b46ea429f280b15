"""Hardware-aware per-layer allocation as a search choice: ``pruning.allocation: hw-latency:F`` or
``hw-energy:F``.

Each layer gets its own sparsity (up to the pattern's) such that the pruned network's simulated
latency (or energy) on the *candidate's base accelerator* is at most F × the dense network's, at
least saliency (cosim/prune/allocation.py: NetAdapt-style greedy over 1/16 levels, priced by the
simulator). It is evaluated per candidate, since layers cost differently on each datapath; every
hardware point of a candidate shares the candidate's allocation. Saliency: the measured validation
loss after pruning for the embedded models (no fine-tuning per candidate level, to keep a search
cheap: ``SENSITIVITY_EPOCHS``), the removed weight energy of seeded synthetic weights otherwise.
"""

from __future__ import annotations

import functools

from cosim.errors import CosimError, require

STATIC_ALLOCATIONS = ("uniform", "keep-ends")  # cosim/search/workload_variants.py
HW_ALLOCATIONS = {"hw-latency": "latency_s", "hw-energy": "energy_pj"}
SENSITIVITY_EPOCHS = 0  # the search prices many candidates; `cosim prune --sensitivity-epochs` goes further


def parse_hw_allocation(text: str) -> tuple[str, float] | None:
    """(cost metric, budget fraction of the dense cost) of 'hw-latency:F' / 'hw-energy:F'; None otherwise."""
    head, sep, frac = str(text).partition(":")
    if head not in HW_ALLOCATIONS:
        return None
    try:
        f = float(frac)
    except ValueError:
        raise CosimError(f"pruning.allocation '{text}': write {head}:F with F the budget as a fraction of the "
                         "dense network's cost, e.g. hw-latency:0.7") from None
    require(sep == ":" and 0.0 < f <= 1.0, f"pruning.allocation '{text}': the budget fraction must be in (0, 1], "
                                           f"got {frac}")
    return HW_ALLOCATIONS[head], f


def is_hw_allocation(text: str) -> bool:
    return str(text).partition(":")[0] in HW_ALLOCATIONS


@functools.lru_cache(maxsize=64)
def hw_layer_sparsity(workload: str, sparsity: str, allocation: str, bits: int,
                      accelerator: str) -> tuple[tuple[str, float], ...]:
    """The per-layer sparsities (layer, fraction removed) of a hardware-aware allocation on ``accelerator``."""
    from cosim.hw.loader import load_accelerator
    from cosim.prune.patterns import parse_pattern
    from cosim.prune.quantize import QuantSpec
    from cosim.prune.workflow import hardware_aware_allocation, with_bits
    from cosim.simulate import network_cost

    parsed = parse_hw_allocation(allocation)
    require(parsed is not None, f"pruning.allocation '{allocation}' is not hardware-aware")
    metric, fraction = parsed
    require(bool(accelerator), f"pruning.allocation '{allocation}' needs the candidate's accelerator")
    spec = load_accelerator(accelerator)
    pattern = parse_pattern(sparsity)
    quant = QuantSpec(bits=bits) if bits <= 16 else None
    dense = with_bits(_base(workload), bits, bits)
    budget = fraction * network_cost(spec, metric)(dense)
    alloc = hardware_aware_allocation(workload.lower() if _embedded(workload) else dense, pattern, spec, budget,
                                      metric=metric, quant=quant, act_bits=bits if quant else None,
                                      sensitivity_epochs=SENSITIVITY_EPOCHS)
    return tuple(sorted(alloc.layer_sparsity.items()))


def _base(workload: str):
    """The dense graph (as cosim/search/workload_variants.py builds it)."""
    from cosim.prune import digits

    if _embedded(workload):
        return digits.to_layer_graph(digits.build(digits.arch_of(workload)))
    from cosim.workloads import load_workload

    return load_workload(workload)


def _embedded(workload: str) -> bool:
    from cosim.prune import digits

    return workload.lower() in digits.ARCHS


def per_layer_texts(sparsity: str, layer_sparsity: dict[str, float]) -> dict[str, str]:
    """Sparsity texts (cosim.sparsity_spec) of each layer's allocated level of the pattern."""
    from cosim.prune.patterns import parse_pattern

    p = parse_pattern(sparsity)
    out = {}
    for name, s in layer_sparsity.items():
        if s <= 0:
            out[name] = "dense"
        elif p.kind == "nm":
            out[name] = p.label
        elif p.kind == "block":
            out[name] = f"block:{p.block_h}x{p.block_w}:{s:.6g}"
        else:
            out[name] = f"{p.kind}:{s:.6g}"
    return {"default": "dense", **out}
