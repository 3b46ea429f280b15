"""The FPGA dataflow style (FINN/hls4ml-like): one engine per layer, folded against the device budget
(cosim/datapaths/fpga/folding.py), a pipeline whose throughput is its slowest stage's
(cosim/datapaths/fpga/model.py describes the model)."""

from __future__ import annotations

import dataclasses
import math

import networkx as nx

from cosim.datapaths.fpga import folding as ff
from cosim.datapaths.fpga import resources as fr
from cosim.datapaths.fpga.details import DataflowNetworkDetails, DataflowStageDetails
from cosim.datapaths.fpga.feasibility import pipeline_violations, raise_if_infeasible
from cosim.datapaths.fpga.model import PipelineTotals, element_lut_ops, fused_perf
from cosim.errors import CosimError
from cosim.fusion import fused_owners
from cosim.graph import Layer, LayerGraph
from cosim.perf import LayerPerf


def _stage_frontiers(graph: LayerGraph, spec):
    owners = fused_owners(graph)
    fixed = ff.user_folding(spec)
    stage_layers = [l for l in graph.layers() if l.name not in owners]
    unknown = sorted(set(fixed) - {l.name for l in stage_layers})
    if unknown:
        raise CosimError(f"dataflow.folding names layer '{unknown[0]}', which is not an engine of workload "
                         f"'{graph.name}' (fused or absent); fold one of its engines instead")
    has_act = {owner for name, owner in owners.items() if graph[name].op == "act"}
    frontiers = []
    for layer in stage_layers:
        ctx = ff.EngineContext.from_spec(spec, activation=layer.name in has_act)
        frontiers.append(ff.Frontier.build(ff.candidates(layer, ctx, fixed.get(layer.name))))
    return stage_layers, owners, frontiers


def _branch_window_rows(graph: LayerGraph, name: str) -> int:
    """Rows a branch holds back before its first output: Σ (k_h − 1) over the convolutions on the
    single-input chain from ``name`` back to the fork it starts at."""
    rows = 0
    while True:
        layer = graph[name]
        if layer.op == "conv2d":
            rows += layer.kernel_h - 1
        preds = graph.predecessors(name)
        if len(preds) != 1 or len(graph.successors(preds[0])) > 1:
            return rows
        name = preds[0]


def _fixed_cost(graph: LayerGraph, spec) -> fr.Resources:
    """Folding-independent costs: the skip-branch FIFO of every residual add. While the longer branch
    fills its sliding windows, the other branch's stream must wait: (Δ window rows + 1) rows of the
    add's input (C·W·A bits per row). FINN sizes these FIFOs by simulation; this is the first-order
    bound from the window fill."""
    out = fr.Resources()
    for layer in graph.layers():
        preds = graph.predecessors(layer.name)
        if layer.op == "add" and len(preds) > 1:
            rows = [_branch_window_rows(graph, p) for p in preds]
            depth_rows = max(rows) - min(rows) + 1
            bits = depth_rows * layer.in_w * layer.in_channels * layer.act_bits
            width = min(72, layer.in_channels * layer.act_bits)  # 72 bits: widest BRAM36 SDP port (UG573)
            mem, _ = fr.memory(width, math.ceil(bits / width), spec.dataflow.memory, spec.device.uram > 0)
            out = out + mem
    return out


def _fold(graph: LayerGraph, spec):
    stage_layers, owners, frontiers = _stage_frontiers(graph, spec)
    fixed = _fixed_cost(graph, spec)
    max_cycles = 0.0
    if spec.dataflow.target_fps > 0:
        max_cycles = stage_layers[0].batch / (spec.dataflow.target_fps * spec.cycle_s)
    designs, fits = ff.fold_pipeline(frontiers, spec.device.budget(), fixed, max_cycles)
    if spec.dataflow.target_fps > 0 and fits is False:
        fastest, fits_fast = ff.fold_pipeline(frontiers, spec.device.budget(), fixed)
        if fits_fast:
            ii = max(d.cycles for d in fastest) / stage_layers[0].batch
            raise CosimError(f"dataflow.target_fps {spec.dataflow.target_fps:g} is out of reach on "
                             f"{spec.board or spec.device.part}: the fastest pipeline that fits reaches "
                             f"{1 / (ii * spec.cycle_s):,.1f} fps; lower the target or set it to 0")
    return stage_layers, owners, designs, fixed, fits


def design_pipeline(graph: LayerGraph, spec):
    """The folded pipeline: (stage layers, fused owners, chosen designs, fixed cost, fits).

    With ``dataflow.memory: auto`` on a part with URAM, a second policy (``prefer_uram``) puts every
    deep memory in URAM; of the two the one that fits with the shorter initiation interval wins
    (ties: auto), since per-memory choices alone cannot move weights out of an exhausted BRAM pool.
    """
    best = _fold(graph, spec)
    if spec.dataflow.memory == "auto" and spec.device.uram > 0:
        alt_spec = dataclasses.replace(spec, dataflow=dataclasses.replace(spec.dataflow, memory="prefer_uram"))
        alt = _fold(graph, alt_spec)
        if alt[4] and (not best[4] or max(d.cycles for d in alt[2]) < max(d.cycles for d in best[2])):
            best = alt
    return best


def _stage_perf(layer: Layer, d: ff.StageDesign, spec, dram_in: float, dram_out: float,
                fused: list[Layer]) -> LayerPerf:
    cycles = int(math.ceil(d.cycles))
    det = d.details
    lut_ops = sum(element_lut_ops(f) for f in fused)
    actions: dict[str, float] = {}
    eff = skipped = 0.0
    if layer.is_compute:
        work = ff.row_work(layer)
        eff = work.nnz / (work.rows * work.reduction) * layer.macs
        mode = det.engine_mode  # the engine the folding chose (a skip-mode layer may run dense)
        performed = eff if mode in ("skip", "prune") else float(layer.macs)
        skipped = layer.macs - performed
        cls = det.mac_class
        w, a = layer.weight_bits, layer.act_bits
        if det.lut_multipliers:
            lut_ops += performed * fr.lut_multiplier_luts(w, a)
        else:
            actions[f"dsp:mac_{cls}"] = performed
            lut_ops += performed * fr.FP_MAC_LUTS.get(cls, 0)
        lut_ops += performed * (w + a)  # adder tree: one (W+A)-bit addition per product
        positions = layer.gemm_m
        weight_bits_read = positions * det.fold_cycles_per_position * det.weight_mem_width_bits
        window_bits = positions * layer.gemm_k * layer.groups * a
        for kind, bits, verb in ((det.weight_memory, weight_bits_read, "read"),
                                 (det.line_buffer, window_bits, "read"),
                                 (det.line_buffer, layer.input_elems * a, "write")):
            if kind in ("bram", "uram"):
                actions[f"{kind}:{verb}_bit"] = actions.get(f"{kind}:{verb}_bit", 0.0) + bits
            elif kind == "lutram":
                lut_ops += bits
    else:
        lut_ops += element_lut_ops(layer)
    actions["lut:op"] = lut_ops
    actions["dram:read_bit"] = dram_in * 8
    actions["dram:write_bit"] = dram_out * 8
    dram_cycles = (dram_in + dram_out) / spec.dram_bytes_per_cycle
    stall = max(0, int(math.ceil(dram_cycles)) - cycles)
    lanes = max(1, d.multipliers)
    util = eff / (lanes * cycles) if cycles and eff else 0.0
    map_eff = (layer.macs / max(1, layer.gemm_m)) / (d.pe * d.simd * det.dense_fold) if layer.is_compute else 1.0
    bram = {k: int(actions.get(f"{k}:read_bit", 0) // 8) for k in ("bram", "uram") if actions.get(f"{k}:read_bit")}
    bram_w = {k: int(actions.get(f"{k}:write_bit", 0) // 8) for k in ("bram", "uram") if actions.get(f"{k}:write_bit")}
    return LayerPerf(
        compute_cycles=cycles, stall_cycles=stall, macs=layer.macs, effectual_macs=int(round(eff)),
        utilization=min(1.0, util), mapping_efficiency=float(min(1.0, map_eff)), sram_read_bytes=bram,
        sram_write_bytes=bram_w, dram_read_bytes=int(dram_in), dram_write_bytes=int(dram_out),
        actions=actions, skipped_macs=int(round(skipped)) if layer.is_compute and det.engine_mode == "skip" else 0,
        vector_ops=layer.vector_ops + sum(f.vector_ops for f in fused),
        sparsity_source=layer.weight_sparsity.source if layer.is_compute else "dense",
        bound="compute" if stall == 0 else "dram",
        details=DataflowStageDetails(style="dataflow", pe=d.pe, simd=d.simd, multipliers=d.multipliers,
                                     resources=d.resources.as_dict(), engine=det, fused=tuple(f.name for f in fused)),
    )


def _stage_depth(d: ff.StageDesign) -> int:
    """Pipeline depth of an engine: memory read (2), adder tree ⌈log2 SIMD⌉, DSP (3), output (2).
    The per-stage latencies are assumptions (typical registered BRAM read and DSP48E2 pipeline);
    they only add fill cycles to the pipeline's latency, not to its initiation interval."""
    return 7 + math.ceil(math.log2(max(1, d.simd)))


def dataflow_graph(graph: LayerGraph, spec) -> tuple[list[LayerPerf], PipelineTotals]:
    stage_layers, owners, designs, fixed, fits = design_pipeline(graph, spec)
    where = f"dataflow design '{spec.name}' on {spec.board or spec.device.part}"
    if not fits:
        raise_if_infeasible(pipeline_violations(designs, fixed, spec), where,
                            "even the most folded pipeline does not fit: prune or quantize that layer, "
                            "or pick a larger board")
    by_name = {d.layer: d for d in designs}
    fused: dict[str, list[Layer]] = {}
    for name, owner in owners.items():
        fused.setdefault(owner, []).append(graph[name])
    layers = graph.layers()
    batch = layers[0].batch
    perfs = []
    for layer in layers:
        if layer.name in owners:
            perfs.append(fused_perf(layer, owners[layer.name]))
            continue
        src = not graph.predecessors(layer.name)
        sink = any(not graph.successors(n) for n in [layer.name] + [f.name for f in fused.get(layer.name, [])])
        dram_in = layer.input_elems_read * layer.act_bits / 8 if src else 0.0
        dram_out = layer.output_elems * layer.out_bits / 8 if sink else 0.0
        perfs.append(_stage_perf(layer, by_name[layer.name], spec, dram_in, dram_out, fused.get(layer.name, [])))
    # Per-image stage cycles; the DRAM stream in/out of the pipeline is one more stage.
    per_image = {d.layer: d.cycles / batch for d in designs}
    dram_bytes = sum(p.dram_read_bytes + p.dram_write_bytes for p in perfs) / batch
    dram_cycles = dram_bytes / spec.dram_bytes_per_cycle
    bottleneck = max(per_image, key=lambda n: (per_image[n], n))
    ii = max(per_image[bottleneck], dram_cycles)
    # Latency: FINN's conservative critical path — the longest path of full stage times (+ depths).
    weight = {d.layer: d.cycles / batch + _stage_depth(d) for d in designs}
    g = nx.DiGraph()
    for layer in layers:
        g.add_node(owners.get(layer.name, layer.name))
        for p in graph.predecessors(layer.name):
            a, b = owners.get(p, p), owners.get(layer.name, layer.name)
            if a != b:
                g.add_edge(a, b)
    longest: dict[str, float] = {}
    for n in nx.topological_sort(g):
        longest[n] = weight.get(n, 0.0) + max((longest[p] for p in g.predecessors(n)), default=0.0)
    latency_one = max(longest.values()) + dram_cycles
    total = int(math.ceil(latency_one + (batch - 1) * ii))
    used = fr.total(d.resources for d in designs) + fixed
    budget = spec.device.budget()
    device = spec.device
    avail = {"lut": device.lut, "dsp": device.dsp, "bram36": device.bram36, "uram": device.uram}
    details = DataflowNetworkDetails(
        style="dataflow", resources=used.as_dict(), budget=budget,
        utilization_of_device={r: (used.as_dict()[r] / avail[r] if avail[r] else 0.0) for r in avail},
        initiation_interval_cycles=ii, bottleneck_layer=bottleneck if ii > dram_cycles else "(DRAM)",
        first_inference_latency_cycles=latency_one, throughput_fps=1.0 / (ii * spec.cycle_s),
        folding={d.layer: {"pe": d.pe, "simd": d.simd} for d in designs}, residual_fifo_resources=fixed.as_dict())
    return perfs, PipelineTotals(total_cycles=total, latency_cycles=total,
                                 throughput_inferences_per_s=1.0 / (ii * spec.cycle_s), details=details)
