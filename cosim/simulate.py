"""Walk a layer graph on an accelerator: dispatch each layer to its datapath model, price the actions,
total the network, build the Report.

workload → (pruning) → mapping → datapath model → energy → report: this module is the chain; it holds
no model of its own.
"""

from __future__ import annotations

import importlib
from typing import Any

from cosim import __version__
from cosim.energy import layer_energy_pj
from cosim.errors import CosimError
from cosim.fusion import fused_layer_perf, fused_owners
from cosim.graph import Layer, LayerGraph
from cosim.hw.schema import to_mapping
from cosim.perf import GraphPerf, LayerPerf
from cosim.report import LayerResult, Report, Total

# Spec kind → datapath module. A module defines ``simulate_layer(layer, spec) -> LayerPerf`` and may
# define ``simulate_graph(graph, spec) -> (list[LayerPerf], GraphPerf)`` when network totals are not
# the sum of layers (FPGA dataflow pipelines).
DATAPATHS = {
    "systolic": "cosim.datapaths.systolic.layer",
    "sparse_tensor_core": "cosim.datapaths.tensor_core.model",
    "fpga": "cosim.datapaths.fpga.model",
}


def datapath_module(spec: Any):
    kind = getattr(spec, "kind", None)
    if kind not in DATAPATHS:
        raise CosimError(f"accelerator kind '{kind}' has no datapath model; use one of {', '.join(DATAPATHS)}")
    return importlib.import_module(DATAPATHS[kind])


def simulate_layer(layer: Layer, spec: Any) -> LayerPerf:
    return datapath_module(spec).simulate_layer(layer, spec)


def layer_result(layer: Layer, perf: LayerPerf, spec: Any) -> LayerResult:
    latency_s = perf.total_cycles * spec.cycle_s
    return LayerResult(
        name=layer.name, op=layer.op, groups=layer.groups, M=layer.gemm_m, N=layer.gemm_n, K=layer.gemm_k,
        macs=perf.macs, effectual_macs=perf.effectual_macs, skipped_macs=perf.skipped_macs,
        gated_macs=perf.gated_macs, vector_ops=perf.vector_ops, compute_cycles=perf.compute_cycles,
        stall_cycles=perf.stall_cycles, total_cycles=perf.total_cycles, latency_s=latency_s,
        utilization=perf.utilization, mapping_efficiency=perf.mapping_efficiency,
        sram_read_bytes=int(sum(perf.sram_read_bytes.values())),
        sram_write_bytes=int(sum(perf.sram_write_bytes.values())),
        dram_read_bytes=perf.dram_read_bytes, dram_write_bytes=perf.dram_write_bytes,
        metadata_bytes=perf.metadata_bytes, energy_pj=layer_energy_pj(perf.actions, spec, latency_s),
        sparsity_source=perf.sparsity_source, sram_read_bytes_by_buffer=dict(perf.sram_read_bytes),
        sram_write_bytes_by_buffer=dict(perf.sram_write_bytes), details=dict(perf.details),
    )


def simulate(graph: LayerGraph, accelerator: Any, *, batch: int | None = None, fuse: bool = True,
             inputs: dict[str, Any] | None = None) -> Report:
    """Simulate every layer of ``graph`` on ``accelerator`` (a spec object, preset name or YAML path).

    ``fuse``: batch norms and activations that directly follow their only producer run in its output
    path (cosim/fusion.py), as inference compilers do; ``fuse=False`` runs each as its own layer with
    its own DRAM round trip.
    """
    if isinstance(accelerator, str):
        from cosim.hw.loader import load_accelerator

        accelerator = load_accelerator(accelerator)
    spec = accelerator
    if batch is not None:
        graph = graph.with_batch(batch)
    layers = graph.layers()
    if not layers:
        raise CosimError(f"workload '{graph.name}' has no layers; nothing to simulate")
    mod = datapath_module(spec)
    graph_perf: GraphPerf | None = None
    if hasattr(mod, "simulate_graph"):  # the datapath fuses and pipelines in its own way
        perfs, graph_perf = mod.simulate_graph(graph, spec)
    else:
        owners = fused_owners(graph) if fuse else {}
        perfs = [fused_layer_perf(l, owners[l.name]) if l.name in owners else mod.simulate_layer(l, spec)
                 for l in layers]
    results = tuple(layer_result(l, p, spec) for l, p in zip(layers, perfs))
    total = _totals(results, spec, graph_perf, batch=layers[0].batch)
    return Report(
        cosim_version=__version__, accelerator=spec.name, accelerator_kind=spec.kind, workload=graph.name,
        batch=layers[0].batch, layers=results, total=total,
        inputs={"accelerator": to_mapping(spec), "fuse": fuse, **(inputs or {})},
    )


def _totals(results: tuple[LayerResult, ...], spec: Any, graph_perf: GraphPerf | None, batch: int) -> Total:
    compute = sum(r.compute_cycles for r in results)
    stall = sum(r.stall_cycles for r in results)
    total_cycles = graph_perf.total_cycles if graph_perf else compute + stall
    latency_s = (graph_perf.latency_cycles if graph_perf else total_cycles) * spec.cycle_s
    by_comp: dict[str, float] = {}
    for r in results:
        for k, v in r.energy_pj.items():
            by_comp[k] = by_comp.get(k, 0.0) + v
    energy = float(sum(by_comp.values()))
    macs = sum(r.macs for r in results)
    eff = sum(r.effectual_macs for r in results)
    peak = getattr(spec, "peak_macs_per_cycle", 0)
    util = eff / (peak * total_cycles) if peak and total_cycles else 0.0
    thr = graph_perf.throughput_inferences_per_s if graph_perf else (batch / latency_s if latency_s else 0.0)
    return Total(
        total_cycles=int(total_cycles), latency_s=latency_s, energy_pj=energy, macs=macs, effectual_macs=eff,
        compute_cycles=compute, stall_cycles=stall,
        dram_read_bytes=sum(r.dram_read_bytes for r in results),
        dram_write_bytes=sum(r.dram_write_bytes for r in results),
        sram_read_bytes=sum(r.sram_read_bytes for r in results),
        sram_write_bytes=sum(r.sram_write_bytes for r in results),
        utilization=util, energy_pj_by_component=by_comp, throughput_inferences_per_s=thr,
        edp_pj_s=energy * latency_s, details=dict(graph_perf.details) if graph_perf else {},
    )
