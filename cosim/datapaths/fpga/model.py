"""FPGA datapath: an overlay engine reused layer by layer (DPU-like) or a dataflow pipeline of one
engine per layer (FINN/hls4ml-like). Cycles, action counts and resource use per layer; network
totals from ``simulate_graph`` (a pipeline's throughput is set by its slowest stage and its latency
by the sum of stages, so they are not sums of layer cycles).

Overlay (``style: overlay``), per core and per image, for a convolution with C_in/g input channels
and N filters per group g (PG338's three parallelism dimensions):

    compute = g · out_h · ⌈out_w/PP⌉ · ⌈N/OCP⌉ · ⌈(C_in/g)/ICP⌉ · k_h · k_w · passes

PP output pixels of one row, OCP output channels and ICP input channels per cycle; ``passes`` =
⌈w/mac_bits⌉·⌈a/mac_bits⌉ for operands wider than the engine. Linear and matmul layers are 1×1
convolutions over their tokens; depthwise convolutions, pooling and element-wise layers run in the
ALU engine (alu_parallelism pixels × ICP channels per cycle). Feature maps and weights come from and
go back to DRAM every layer; a layer costs max(compute, DRAM transfer) + the first tile's load and
the engine's pipeline depth, its DRAM share being the core's AXI ports or DRAM/active cores.
``cores`` engines run different images: latency is one image on one core, throughput is
cores / (cycles per image with every core sharing DRAM).

Dataflow (``style: dataflow``): see cosim/datapaths/fpga/folding.py for the engine and folding
model. Throughput = clock / (the slowest stage's cycles per image, or the DRAM stream of the network's
input and output if slower); latency = FINN's critical-path estimate, the sum of stage times (plus
pipeline depths) along the longest path — conservative, since stages overlap within an image; a
batch takes latency + (batch − 1) · interval. Resources are the sum of the engines'. Batch/norm and activation layers directly after an engine are absorbed into it (FINN's
streamlining into thresholds; the DPU fuses them too) and cost only their LUT operations. Vector
layers (pool, add, standalone act/norm, softmax) are streaming stages in LUT logic with PE channel
lanes (cosim/datapaths/fpga/resources.py, vector_unit). Neither style skips zero activations.

Energy actions (priced by cosim/hw/data/fpga_ultrascale.yaml): ``dsp:mac_<int4|int8|int16|int32|
fp16|fp32>`` MACs on DSP slices, ``lut:op`` LUT evaluations (LUT multipliers, adder trees, vector
layers at ~one LUT per operand bit, LUTRAM reads per bit), ``bram:read_bit``/``write_bit``,
``uram:read_bit``/``write_bit``, ``dram:read_bit``/``write_bit``.
"""

from __future__ import annotations

import dataclasses
import math
import networkx as nx

from dataclasses import dataclass

from cosim.datapaths.fpga import folding as ff
from cosim.datapaths.fpga import resources as fr
from cosim.datapaths.fpga.details import (DataflowNetworkDetails, DataflowStageDetails, OverlayLayerDetails,
                                          OverlayNetworkDetails)
from cosim.datapaths.fpga.feasibility import find_violations, pipeline_violations, raise_if_infeasible
from cosim.errors import CosimError
from cosim.fusion import fused_layer_perf, fused_owners
from cosim.graph import Layer, LayerGraph
from cosim.perf import Details, LayerPerf


@dataclass(frozen=True)
class PipelineTotals:
    """Network totals of an FPGA design: not the sum of the layers (see the module docstring)."""

    total_cycles: int
    latency_cycles: int
    throughput_inferences_per_s: float
    details: Details

def _element_lut_ops(layer: Layer) -> float:
    """LUT operations of a vector layer: about one LUT per operand bit per element operation."""
    return float(layer.vector_ops * layer.act_bits)


# ---- overlay ----------------------------------------------------------------------------------------
def _overlay_compute_cycles(layer: Layer, spec) -> tuple[float, float]:
    """(cycles per image on one core, mapping efficiency) of ``layer`` on the overlay engine."""
    ov = spec.overlay
    pp, icp, ocp = ov.pixel_parallelism, ov.input_channel_parallelism, ov.output_channel_parallelism
    cin_g = layer.in_channels // layer.groups
    macs = layer.macs / layer.batch
    if layer.is_compute and cin_g == 1 and layer.groups > 1:  # depthwise: ALU engine
        c = layer.out_h * math.ceil(layer.out_w / ov.alu_parallelism) * math.ceil(layer.out_channels / icp) \
            * layer.kernel_h * layer.kernel_w
        return float(c), macs / (c * ov.alu_parallelism * icp)
    if layer.is_compute:
        passes = math.ceil(layer.weight_bits / ov.mac_bits) * math.ceil(layer.act_bits / ov.mac_bits)
        rows_out = layer.out_h if layer.op == "conv2d" else 1
        cols_out = layer.out_w if layer.op == "conv2d" else layer.in_w
        pixel_steps = rows_out * math.ceil(cols_out / pp)
        work = ff.row_work(layer)
        if spec.sparsity.mode == "skip" and layer.has_weights and work.kind != "dense":
            per_step = ff.skip_cycles_per_position(work, ocp, icp)
        elif ov.channel_augmentation and cin_g < icp and layer.op == "conv2d":
            per_step = layer.groups * math.ceil(layer.gemm_n / ocp) * math.ceil(cin_g * layer.kernel_w / icp) \
                * layer.kernel_h
        else:
            per_step = layer.groups * math.ceil(layer.gemm_n / ocp) * math.ceil(cin_g / icp) \
                * layer.kernel_h * layer.kernel_w
        c = pixel_steps * per_step * passes
        return float(c), (macs * passes / (c * ov.macs_per_cycle) if c else 1.0)
    if layer.op == "concat" or layer.vector_ops == 0:
        return 0.0, 1.0
    return float(math.ceil(layer.vector_ops / layer.batch / (ov.alu_parallelism * icp))), 1.0


def _overlay_dram_bytes(layer: Layer, spec, n_inputs: int) -> tuple[float, float, float, int]:
    """(weight bytes, input bytes, output bytes, metadata bytes) moved per image, tiling included."""
    ov = spec.overlay
    mode = spec.sparsity.mode
    w_dense = layer.weight_elems / (layer.batch if layer.op == "matmul" else 1) * layer.weight_bits / 8 \
        if layer.is_compute else 0.0
    meta = 0.0
    w_bytes = w_dense
    work = ff.row_work(layer) if layer.has_weights else None
    if work is not None and mode in ("skip", "prune") and work.kind != "dense":
        idx = max(1, math.ceil(math.log2(max(2, layer.gemm_k))))
        compressed = work.nnz * (layer.weight_bits + idx) / 8
        if mode == "skip" or compressed < w_dense:
            w_bytes, meta = work.nnz * layer.weight_bits / 8, work.nnz * idx / 8
    in_bytes = layer.input_elems_read / layer.batch * layer.act_bits / 8 * max(1, n_inputs)
    out_bytes = layer.output_elems / layer.batch * layer.out_bits / 8
    if layer.is_compute:
        # Double-buffered banks hold half their size per tile. Either the weights stream once and the
        # inputs are re-read per weight tile, or the inputs stream once and the weights are re-read
        # per input tile; the compiler picks the cheaper.
        w_tiles = math.ceil((w_bytes + meta) / (ov.weight_buffer_kib * 512)) if w_bytes else 1
        a_tiles = math.ceil(in_bytes / (ov.act_buffer_kib * 512)) if in_bytes else 1
        if (w_tiles - 1) * in_bytes <= (a_tiles - 1) * (w_bytes + meta):
            in_bytes *= w_tiles
        else:
            w_bytes, meta = w_bytes * a_tiles, meta * a_tiles
    return w_bytes, in_bytes, out_bytes, int(meta)


def overlay_layer(layer: Layer, spec, images: int, active_cores: int, n_inputs: int = 1,
                  fused: list[Layer] | None = None) -> LayerPerf:
    """``layer`` (its whole batch) on the overlay: cycles are those of the busiest core, which runs
    ``images`` images while ``active_cores`` cores share the DRAM; actions count the whole batch."""
    ov = spec.overlay
    fused = fused or []
    bw = min(ov.axi_bytes_per_cycle, spec.dram_bytes_per_cycle / max(1, active_cores))
    per_image, map_eff = _overlay_compute_cycles(layer, spec)
    w_b, in_b, out_b, meta = _overlay_dram_bytes(layer, spec, n_inputs)
    compute = per_image * images
    transfer = (w_b + in_b + meta + out_b) * images / bw
    total = 0.0
    if compute or transfer:
        k = layer.kernel_h if layer.op == "conv2d" else 1
        first_in = min(in_b, k * layer.in_w * layer.in_channels * layer.act_bits / 8)
        first_w = min(w_b + meta, ov.output_channel_parallelism * layer.gemm_k * layer.weight_bits / 8)
        fill = (first_in + first_w) / bw + ov.pipeline_depth_cycles
        total = max(compute, transfer) + fill
    batch = layer.batch
    read_b, write_b = (w_b + in_b + meta) * batch, out_b * batch
    work = ff.row_work(layer) if layer.is_compute else None
    eff = work.nnz / (work.rows * work.reduction) * layer.macs if work else 0.0
    skipping = spec.sparsity.mode == "skip" and layer.has_weights and work is not None and work.kind != "dense"
    performed = eff if skipping else float(layer.macs)
    passes = math.ceil(layer.weight_bits / ov.mac_bits) * math.ceil(layer.act_bits / ov.mac_bits) if work else 1
    lut_ops = sum(_element_lut_ops(f) for f in fused) + (0.0 if layer.is_compute else _element_lut_ops(layer))
    # Bank traffic: a weight word serves PP pixels, an input word serves OCP output channels; every
    # DRAM byte is written into a bank on arrival and every output byte read out of one on its way out.
    bram_rd = performed * passes * (layer.weight_bits / ov.pixel_parallelism
                                    + layer.act_bits / ov.output_channel_parallelism) + write_b * 8
    bram_wr = read_b * 8 + write_b * 8
    actions = {f"dsp:mac_{fr.mac_class(ov.mac_bits, ov.mac_bits)}": performed * passes, "lut:op": lut_ops,
               "bram:read_bit": bram_rd, "bram:write_bit": bram_wr, "dram:read_bit": read_b * 8,
               "dram:write_bit": write_b * 8}
    cycles = int(math.ceil(total))
    compute_int = min(int(math.ceil(compute)), cycles)
    util = eff / (ov.macs_per_cycle * active_cores * cycles) if cycles and eff else 0.0
    return LayerPerf(
        compute_cycles=compute_int, stall_cycles=cycles - compute_int, macs=layer.macs,
        effectual_macs=int(round(eff)), utilization=min(1.0, util), mapping_efficiency=float(min(1.0, map_eff)),
        sram_read_bytes={"bram": int(bram_rd // 8)}, sram_write_bytes={"bram": int(bram_wr // 8)},
        dram_read_bytes=int(round(read_b)), dram_write_bytes=int(round(write_b)), actions=actions,
        skipped_macs=int(round(layer.macs - eff)) if skipping else 0, metadata_bytes=int(meta * batch),
        vector_ops=layer.vector_ops + sum(f.vector_ops for f in fused),
        sparsity_source=layer.weight_sparsity.source if layer.is_compute else "dense",
        bound="compute" if compute >= transfer else "dram",
        details=OverlayLayerDetails(style="overlay", images_per_core=images, active_cores=active_cores,
                                    dram_bytes_per_cycle=bw, transfer_cycles=transfer,
                                    fused=tuple(f.name for f in fused),
                                    engine_resources=fr.overlay_resources(ov)[0].as_dict()),
    )


def _overlay_graph(graph: LayerGraph, spec) -> tuple[list[LayerPerf], PipelineTotals]:
    ov = spec.overlay
    res, breakdown = fr.overlay_resources(ov)
    viol = find_violations({"(overlay engine)": res.as_dict()}, spec.device.budget())
    raise_if_infeasible(viol, f"overlay '{spec.name}' on {spec.board or spec.device.part}")
    layers = graph.layers()
    batch = layers[0].batch
    active = min(ov.cores, batch)
    images = math.ceil(batch / ov.cores)
    owners = fused_owners(graph)
    fused: dict[str, list[Layer]] = {}
    for name, owner in owners.items():
        fused.setdefault(owner, []).append(graph[name])
    perfs, steady = [], 0
    for layer in layers:
        if layer.name in owners:
            perfs.append(_fused_perf(layer, owners[layer.name]))
            continue
        n_in = max(1, len(graph.predecessors(layer.name))) if layer.op in ("add", "concat") else 1
        perfs.append(overlay_layer(layer, spec, images, active, n_in, fused.get(layer.name)))
        steady += overlay_layer(layer.replace(batch=1), spec, 1, ov.cores, n_in,
                                [f.replace(batch=1) for f in fused.get(layer.name, [])]).total_cycles
    total = sum(p.total_cycles for p in perfs)
    fps = ov.cores / (steady * spec.cycle_s) if steady else 0.0
    details = OverlayNetworkDetails(style="overlay", resources=res.as_dict(), budget=spec.device.budget(),
                                    resource_breakdown=breakdown, cycles_per_image_all_cores_busy=steady,
                                    throughput_fps=fps, latency_s=total * spec.cycle_s,
                                    peak_macs_per_cycle=spec.peak_macs_per_cycle)
    return perfs, PipelineTotals(total_cycles=total, latency_cycles=total, throughput_inferences_per_s=fps,
                                 details=details)


def _fused_perf(layer: Layer, owner: str) -> LayerPerf:
    return fused_layer_perf(layer, owner, {"lut:op": _element_lut_ops(layer)})


# ---- dataflow -----------------------------------------------------------------------------------
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
    lut_ops = sum(_element_lut_ops(f) for f in fused)
    actions: dict[str, float] = {}
    eff = skipped = 0.0
    if layer.is_compute:
        work = ff.row_work(layer)
        eff = work.nnz / (work.rows * work.reduction) * layer.macs
        mode = spec.sparsity.mode if layer.has_weights else "none"
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
        lut_ops += _element_lut_ops(layer)
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
        actions=actions, skipped_macs=int(round(skipped)) if spec.sparsity.mode == "skip" else 0,
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


def _dataflow_graph(graph: LayerGraph, spec) -> tuple[list[LayerPerf], PipelineTotals]:
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
            perfs.append(_fused_perf(layer, owners[layer.name]))
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


# ---- the network ---------------------------------------------------------------------------------
def simulate_graph(graph: LayerGraph, spec) -> tuple[list[LayerPerf], PipelineTotals]:
    """Every layer of ``graph`` on ``spec`` (layers in topological order) and the network totals.
    Raises CosimError when the design does not fit the board."""
    if spec.style == "overlay":
        return _overlay_graph(graph, spec)
    return _dataflow_graph(graph, spec)
