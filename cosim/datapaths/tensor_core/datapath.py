"""Sparse tensor cores (GPU-like or accelerator-like): ``evaluate(walk, specs, cache) -> BatchPerf``.

A network inference runs layer after layer, one kernel each (cosim/datapaths/tensor_core/model.py times
a kernel), with the L2 shared by the network:

* the weights stay in L2 across inferences only when all of the network's weights, counted dense,
  fit together with the largest layer's activations; otherwise every layer streams its weights from
  DRAM. Counting them dense gives a pruned network the residency of its dense reference, so its
  speedup is what the sparse hardware does (math skipped, bytes compressed), never a cliff that the
  compressed weights alone cross (the issue's 10.6x "2:4" speedup of a 1024x3072 linear on edge-nm
  was such a cliff: 3 MiB dense vs 1.9 MiB compressed in a 2 MiB L2);
* an activation tensor passes from its producer to its consumers through L2 when it fits in what the
  resident weights leave free (input + output of the layer); the network's inputs are read from DRAM
  and its outputs (layers without consumers) written back to DRAM.

Batch norms and activations fused into their producer (cosim/fusion.py, the rule every datapath
uses) run in the producer kernel's epilogue, as cuDNN and TensorRT fuse conv + bias + BN + ReLU
(cuDNN Graph API "ConvBiasAct"/runtime fusion; TensorRT "layer fusion" in its developer guide): no
kernel launch, no pass over DRAM or L2, their element operations priced as ``vector:op``. A walk
with ``fuse=False`` (``simulate --no-fuse``) runs each as its own kernel, as an eager framework does.

A layer on its own (a standalone walk) runs again and again as GPU benchmarks time it: its operands
stay in L2 when they fit (``l2_reuse``). Network totals are the sums of the layers' (kernels run one
after another). The kernel model is scalar: designs are evaluated one after another, each distinct
site once.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import numpy as np

from cosim.cache import DEFAULT, EvalCache
from cosim.datapaths.tensor_core.details import TensorCoreGemmDetails, TensorCoreNetworkDetails
from cosim.datapaths.tensor_core.gemm_timing import Residency
from cosim.datapaths.tensor_core.model import activation_bytes, dense_weight_bytes, layer_perf, layer_problem
from cosim.errors import CosimError
from cosim.fusion import fused_layer_perf
from cosim.hw.designs import Designs
from cosim.hw.stc_spec import SparseTensorCoreSpec
from cosim.perf import BatchPerf, LayerPerf, NetworkPerf, pack
from cosim.walk import Walk


def site_policy(designs: Designs) -> tuple[bool, bool]:
    """Equal layers in equal context share a site; the model reads patterns, never masks by name."""
    return True, False


def network_perfs(w: Walk, spec: SparseTensorCoreSpec) -> tuple[list[LayerPerf], TensorCoreNetworkDetails]:
    """Each site of ``w`` on ``spec`` with the network's L2 residency (module docstring)."""
    if w.standalone:
        return [layer_perf(w.sites[0].layer, spec, None)], TensorCoreNetworkDetails(False, 0.0)
    sites = w.sites
    plans = {i: layer_problem(s.layer, spec) for i, s in enumerate(sites) if s.layer.is_compute}
    l2 = spec.l2_kib * 1024 if (spec.l2_reuse and spec.l2_kib > 0) else 0.0
    weight_total = sum(s.count * dense_weight_bytes(plans[i][1]) for i, s in enumerate(sites)
                       if s.layer.is_compute and s.layer.has_weights)
    weight_total += sum(s.count * s.layer.input_elems_read * s.layer.weight_bits / 8 for s in sites
                        if s.layer.op == "embedding")
    acts = [activation_bytes(s.layer) if not s.fused else (0.0, 0.0) for s in sites]
    weights_resident = bool(l2) and weight_total + max(i + o for i, o in acts) <= l2
    free = l2 - (weight_total if weights_resident else 0.0)
    perfs = []
    for i, site in enumerate(sites):
        layer = site.layer
        if site.fused:
            perfs.append(fused_layer_perf(layer, w.owners[layer.name]))
            continue
        fits = bool(l2) and sum(acts[i]) <= free
        inputs = fits and site.has_producer
        res = Residency(weights=weights_resident if (layer.has_weights or layer.op == "embedding") else inputs,
                        inputs=inputs, outputs=fits and site.has_consumer)
        perfs.append(layer_perf(layer, spec, res, plans.get(i)))
    return perfs, TensorCoreNetworkDetails(weights_resident, weight_total)


def evaluate(w: Walk, designs: Designs | Sequence[SparseTensorCoreSpec], cache: EvalCache = DEFAULT) -> BatchPerf:
    """Every site of ``w`` on every tensor-core design."""
    d = designs if isinstance(designs, Designs) else Designs.of(designs)
    perfs: list[list[LayerPerf] | None] = []
    reasons: list[str] = []
    nets: list[TensorCoreNetworkDetails | None] = []
    specs: list[Any] = []
    for j in range(len(d)):
        try:
            spec = d.spec(j)
            specs.append(spec)
            p, net = network_perfs(w, spec)
        except CosimError as e:
            specs += [None] * (j + 1 - len(specs))
            perfs.append(None)
            reasons.append(str(e))
            nets.append(None)
            continue
        perfs.append(p)
        reasons.append("")
        nets.append(net)
    counts = w.counts
    cycles = np.array([sum(c * q.total_cycles for c, q in zip(counts, p)) if p is not None else 0 for p in perfs],
                      dtype=np.int64)
    cycle_s = np.array([s.cycle_s if s is not None else 1.0 for s in specs])
    with np.errstate(divide="ignore"):
        thr = np.where(cycles > 0, w.batch / (cycles * cycle_s), 0.0)
    network = NetworkPerf(total_cycles=cycles, latency_cycles=cycles, throughput_inferences_per_s=thr,
                          details=lambda j: nets[j])
    perf = pack(len(w.sites), perfs, reasons, specs, network)
    # The network's utilization is effectual MACs over peak × cycles: the peak is the chip's at the
    # fastest precision the network ran (int8 runs twice the fp16 rate), not at the reference precision,
    # so no network reads above 100% (each layer's own utilization uses its own precision's peak).
    peak = np.array([_ran_peak(s, p) if p is not None else 0.0 for s, p in zip(specs, perfs)])
    return dataclasses.replace(perf, peak_macs_per_cycle=peak)


def _ran_peak(spec: SparseTensorCoreSpec, perfs: list[LayerPerf]) -> float:
    """Dense MACs per cycle of the whole chip at the fastest precision any compute layer ran at."""
    ran = {p.details.precision for p in perfs if isinstance(p.details, TensorCoreGemmDetails)}
    rates = [spec.macs_per_cycle_per_sm[r] for r in ran] or [spec.macs_per_cycle_per_sm[spec.reference_precision]]
    return spec.sm_count * max(rates)
