"""The FPGA overlay style (DPU-like): one engine reused layer by layer, ``cores`` engines running
different images (cosim/datapaths/fpga/model.py describes the model)."""

from __future__ import annotations

import math

from cosim.datapaths.fpga import folding as ff
from cosim.datapaths.fpga import resources as fr
from cosim.datapaths.fpga.details import OverlayLayerDetails, OverlayNetworkDetails
from cosim.datapaths.fpga.feasibility import find_violations, raise_if_infeasible
from cosim.datapaths.fpga.model import PipelineTotals, element_lut_ops, fused_perf
from cosim.fusion import fused_owners
from cosim.graph import Layer, LayerGraph
from cosim.perf import LayerPerf


def skips_zeros(layer: Layer, spec) -> bool:
    """Can the overlay skip this layer's zero weights (``sparsity.mode: skip`` and sparse weights)?"""
    return spec.sparsity.mode == "skip" and layer.has_weights and ff.row_work(layer).kind != "dense"


def _overlay_compute_cycles(layer: Layer, spec, skip: bool) -> tuple[float, float]:
    """(cycles per image on one core, mapping efficiency) of ``layer`` on the overlay engine, skipping
    zero weights where ``skip``."""
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
        if skip:
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


def _overlay_dram_bytes(layer: Layer, spec, n_inputs: int, skip: bool) -> tuple[float, float, float, int]:
    """(weight bytes, input bytes, output bytes, metadata bytes) moved per image, tiling included: a
    skipping layer's weights as value + index, a pruned one's so where that is smaller."""
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
        if skip or (mode == "prune" and compressed < w_dense):
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
    ``images`` images while ``active_cores`` cores share the DRAM; actions count the whole batch.
    With ``sparsity.mode: skip`` a sparse layer runs skipping its zero weights or dense, whichever
    is faster (skipping's load imbalance and index bytes can lose; ties skip)."""
    ov = spec.overlay
    fused = fused or []
    bw = min(ov.axi_bytes_per_cycle, spec.dram_bytes_per_cycle / max(1, active_cores))
    options = [True, False] if skips_zeros(layer, spec) else [False]
    runs = [_overlay_time(layer, spec, images, bw, n_inputs, skip) for skip in options]
    total, compute, transfer, map_eff, (w_b, in_b, out_b, meta), skipping = min(runs, key=lambda r: r[0])
    batch = layer.batch
    read_b, write_b = (w_b + in_b + meta) * batch, out_b * batch
    work = ff.row_work(layer) if layer.is_compute else None
    eff = work.nnz / (work.rows * work.reduction) * layer.macs if work else 0.0
    performed = eff if skipping else float(layer.macs)
    passes = math.ceil(layer.weight_bits / ov.mac_bits) * math.ceil(layer.act_bits / ov.mac_bits) if work else 1
    lut_ops = sum(element_lut_ops(f) for f in fused) + (0.0 if layer.is_compute else element_lut_ops(layer))
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
                                    fused=tuple(f.name for f in fused), zero_skipping=skipping,
                                    engine_resources=fr.overlay_resources(ov)[0].as_dict()),
    )


def _overlay_time(layer: Layer, spec, images: int, bw: float, n_inputs: int, skip: bool):
    """(total, compute, transfer cycles, mapping efficiency, DRAM bytes per image, skip) of one way of
    running ``layer``: max(compute, transfer) + the first tile's load and the pipeline depth."""
    ov = spec.overlay
    per_image, map_eff = _overlay_compute_cycles(layer, spec, skip)
    w_b, in_b, out_b, meta = _overlay_dram_bytes(layer, spec, n_inputs, skip)
    compute = per_image * images
    transfer = (w_b + in_b + meta + out_b) * images / bw
    total = 0.0
    if compute or transfer:
        k = layer.kernel_h if layer.op == "conv2d" else 1
        first_in = min(in_b, k * layer.in_w * layer.in_channels * layer.act_bits / 8)
        first_w = min(w_b + meta, ov.output_channel_parallelism * layer.gemm_k * layer.weight_bits / 8)
        fill = (first_in + first_w) / bw + ov.pipeline_depth_cycles
        total = max(compute, transfer) + fill
    return total, compute, transfer, map_eff, (w_b, in_b, out_b, meta), skip


def overlay_graph(graph: LayerGraph, spec) -> tuple[list[LayerPerf], PipelineTotals]:
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
            perfs.append(fused_perf(layer, owners[layer.name]))
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
