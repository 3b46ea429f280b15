"""Compare cosim's FPGA models with published FPGA figures.

Prints, for each reference: what it is, its source, the published number, cosim's number and the
error. References:

1. DPUCZDX8G peak operations per cycle of every architecture (PG338, "Architecture of the
   DPUCZDX8G": B512 … B4096 = 2·PP·ICP·OCP) and the boards' INT8 peaks (UG1354).
2. ResNet-50 throughput and latency of the Vitis AI Model Zoo (v1.4 README, model
   cf_resnet50_imagenet_224_224_7.7G): ZCU102 with 3 × B4096 @ 281 MHz, 173.6 fps multi-thread,
   13.75 ms single-thread end-to-end latency; ZCU104 with 2 × B4096 @ 300 MHz, 151.8 fps, 12.89 ms.
   The zoo model is Caffe ResNet-50 v1 (stride on the first 1×1 convolution of a stage, 7.7 GOP);
   cosim's zoo ``resnet50`` is torchvision v1.5 (stride on the 3×3, 8.2 GOP), so both are run: v1 is
   built here with Layer constructors. The published figures are end to end: pre-processing and the
   runtime on the Arm cores are included, which cosim does not model (its latency should be lower).
   The same tables' ResNet-18 and MobileNetV2 (depthwise convolutions in the ALU engine) are checked
   too.
3. DPU B4096 resources (PG338 v4.1, "DepthwiseConv (ALU)", ALU parallelism 4): 51,388 LUT, 255
   BRAM36, 710 DSP per core.
4. FINN's MVAU cycle formula (MH/PE)·(MW/SIMD)·N on the TFC-w1a1 network (784-64-64-64-10) with the
   folding of FINN's tfc end-to-end example notebook (PE, SIMD = (16, 49), (8, 8), (8, 8), (10, 8)).
5. hls4ml's multiplier count n_in·n_out/RF on the jet-tagging network 16-64-32-32-5 (Duarte et al.,
   JINST 13 P07027, 2018) for reuse factors 1, 2, 4.

Run: python scripts/validate_fpga.py
"""

from __future__ import annotations

import dataclasses

import numpy as np

from cosim import load_workload
from cosim.datapaths.fpga import datapath as fpga
from cosim.datapaths.fpga import resources as fr
from cosim.graph import Layer, LayerGraph
from cosim.hw.fpga_spec import FpgaSparsity, LayerFolding, OverlaySpec
from cosim.hw.loader import load_accelerator
from cosim.sparsity import Sparsity

ROWS: list[tuple[str, str, float, float]] = []


def report(what: str, source: str, published: float, cosim: float, unit: str = "") -> None:
    err = (cosim - published) / published * 100 if published else float("nan")
    ROWS.append((what, source, published, cosim))
    print(f"  {what:<46} published {published:>12,.2f} {unit:<6} cosim {cosim:>12,.2f} {unit:<6} "
          f"error {err:+6.1f}%   [{source}]")


def resnet50_v1(batch: int = 1) -> LayerGraph:
    """Caffe ResNet-50 v1 (He et al. 2016 prototxt): stride 2 on the first 1×1 convolution (and the
    projection) of stages 3–5, 3×3/2 max-pool, 1000-way FC. 3.86 GMAC = 7.7 GOP."""
    g = LayerGraph("resnet50-v1-caffe")
    kw = dict(batch=batch, weight_bits=8, act_bits=8, out_bits=8)

    def conv(name, src, cin, cout, hw, k, s):
        layer = Layer.conv2d(name, cin, cout, hw, k, stride=s, kind="conv", **kw)
        g.add(layer, [src] if src else [])
        g.add(Layer.vector(name + "_bn", "norm", cout, layer.out_h, kind="batchnorm+affine", **kw), [name])
        return name + "_bn", layer.out_h

    def relu(name, src, c, hw):
        g.add(Layer.vector(name, "act", c, hw, kind="relu", **kw), [src])
        return name

    x, h = conv("conv1", None, 3, 64, 224, 7, 2)
    x = relu("conv1_relu", x, 64, h)
    pool = Layer.pool("pool1", 64, h, 3, 2, 1, kind="maxpool", **kw)
    g.add(pool, [x])
    x, h, cin = "pool1", pool.out_h, 64
    for stage, (blocks, width) in enumerate(zip((3, 4, 6, 3), (64, 128, 256, 512)), start=2):
        for b in range(blocks):
            s = 2 if stage > 2 and b == 0 else 1
            p = f"res{stage}{chr(ord('a') + b)}"
            y, h2 = conv(p + "_branch2a", x, cin, width, h, 1, s)
            y = relu(p + "_branch2a_relu", y, width, h2)
            y, _ = conv(p + "_branch2b", y, width, width, h2, 3, 1)
            y = relu(p + "_branch2b_relu", y, width, h2)
            y, _ = conv(p + "_branch2c", y, width, 4 * width, h2, 1, 1)
            short = x
            if b == 0:
                short, _ = conv(p + "_branch1", x, cin, 4 * width, h, 1, s)
            g.add(Layer.vector(p, "add", 4 * width, h2, kind="residual", **kw), [y, short])
            x, h, cin = relu(p + "_relu", p, 4 * width, h2), h2, 4 * width
    g.add(Layer(name="pool5", op="pool", in_channels=cin, out_channels=cin, in_h=h, in_w=h, kernel_h=h,
                kernel_w=h, kind="global-avgpool", **kw), [x])
    g.add(Layer.linear("fc1000", cin, 1000, kind="fc+bias", **kw), ["pool5"])
    return g


def dpu_peaks() -> None:
    print("1. DPU peak throughput (PG338 architectures; UG1354 board peaks)")
    for pp, cp in ((4, 8), (4, 10), (8, 8), (4, 12), (8, 10), (8, 12), (8, 14), (8, 16)):
        ov = OverlaySpec(pixel_parallelism=pp, input_channel_parallelism=cp, output_channel_parallelism=cp)
        ops = 2 * pp * cp * cp
        report(f"B{ops} ({pp}x{cp}x{cp}) ops/cycle", "PG338 'Architecture of the DPUCZDX8G'", ops,
               2 * ov.macs_per_cycle, "ops")
    for preset, tops in (("zcu102-dpu", 3.45), ("zcu104-dpu", 2.46)):
        s = load_accelerator(preset)
        report(f"{preset} INT8 peak", "UG1354 (Vitis AI Library) board descriptions", tops,
               2 * s.peak_macs_per_cycle * s.clock_mhz * 1e6 / 1e12, "TOPS")


def resnet50_dpu() -> None:
    print("2. ResNet-50 int8 on the Vitis AI DPU (Vitis AI 1.4 Model Zoo, cf_resnet50_imagenet_224_224_7.7G)")
    refs = {"zcu102-dpu": ("ZCU102 3xB4096@281MHz", 173.6, 13.75),
            "zcu104-dpu": ("ZCU104 2xB4096@300MHz", 151.8, 12.89)}
    graphs = {"v1 (Caffe, as the zoo model)": resnet50_v1(), "v1.5 (cosim zoo resnet50)": load_workload("resnet50")}
    for preset, (label, fps, latency_ms) in refs.items():
        spec = load_accelerator(preset)
        for gname, g in graphs.items():
            _, gp = fpga.simulate_graph(g, spec)
            report(f"{label} fps, {gname}", "Vitis AI 1.4 model zoo, multi-thread E2E", fps,
                   gp.throughput_inferences_per_s, "fps")
            report(f"{label} latency, {gname}", "Vitis AI 1.4 model zoo, 1-thread E2E", latency_ms,
                   gp.latency_cycles * spec.cycle_s * 1e3, "ms")
        ideal = dataclasses.replace(spec, dram_efficiency=1.0)
        _, gp = fpga.simulate_graph(graphs["v1 (Caffe, as the zoo model)"], ideal)
        report(f"{label} fps, v1, DRAM at 100% efficiency", "Vitis AI 1.4 model zoo (sensitivity)", fps,
               gp.throughput_inferences_per_s, "fps")
    print("   other networks of the same zoo tables (multi-thread E2E fps; same layouts as cosim's zoo)")
    others = {("zcu102-dpu", "resnet18", "cf_resnet18_imagenet_224_224_3.65G"): 478.0,
              ("zcu104-dpu", "resnet18", "cf_resnet18_imagenet_224_224_3.65G"): 416.9,
              ("zcu102-dpu", "mobilenetv2", "cf_mobilenetv2_imagenet_224_224_0.59G"): 734.0,
              ("zcu104-dpu", "mobilenetv2", "cf_mobilenetv2_imagenet_224_224_0.59G"): 610.6}
    for (preset, workload, model), fps in others.items():
        _, gp = fpga.simulate_graph(load_workload(workload), load_accelerator(preset))
        report(f"{preset} {workload} fps", f"Vitis AI 1.4 model zoo, {model}", fps,
               gp.throughput_inferences_per_s, "fps")


def dpu_resources() -> None:
    print("3. DPU B4096 resources per core (PG338 v4.1, ALU parallelism 4)")
    spec = load_accelerator("zcu102-dpu")
    per_core, _ = fr.overlay_resources(dataclasses.replace(spec.overlay, cores=1))
    report("B4096 DSP48E2", "PG338 v4.1 'DepthwiseConv (ALU)'", 710, per_core.dsp, "DSP")
    report("B4096 LUT", "PG338 v4.1 'DepthwiseConv (ALU)'", 51388, per_core.lut, "LUT")
    report("B4096 BRAM36", "PG338 v4.1 'DepthwiseConv (ALU)'", 255, per_core.bram36, "BRAM")


def _mlp(name: str, sizes: tuple[int, ...], bits: int) -> LayerGraph:
    g = LayerGraph(name)
    prev = None
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layer = Layer.linear(f"fc{i}", a, b, weight_bits=bits, act_bits=bits, out_bits=bits)
        g.add(layer, [prev] if prev else [])
        prev = layer.name
    return g


def finn_formula() -> None:
    print("4. FINN MVAU cycles (MH/PE)*(MW/SIMD)*N, TFC-w1a1 with the tfc end-to-end notebook folding")
    g = _mlp("tfc-w1a1", (784, 64, 64, 64, 10), 1)
    folding = {"fc0": (16, 49), "fc1": (8, 8), "fc2": (8, 8), "fc3": (10, 8)}
    base = load_accelerator("zcu104-finn")
    spec = dataclasses.replace(base, dataflow=dataclasses.replace(
        base.dataflow, folding={k: LayerFolding(pe=p, simd=s) for k, (p, s) in folding.items()}))
    perfs, _ = fpga.simulate_graph(g, spec)
    for layer, perf in zip(g.layers(), perfs):
        pe, simd = folding[layer.name]
        formula = (layer.out_channels / pe) * (layer.in_channels / simd) * 1
        report(f"{layer.name} {layer.in_channels}->{layer.out_channels} cycles", "FINN MVAU exp_cycles formula",
               formula, perf.compute_cycles, "cyc")


def hls4ml_multipliers() -> None:
    print("5. hls4ml multipliers n_in*n_out/RF, jet-tagging network 16-64-32-32-5 (Duarte et al. 2018),")
    print("   16-bit fixed point, dense and with 70% of the weights pruned (the paper's pruned model) --")
    print("   on the U250 budget, since the dense RF=1 design needs more DSPs than a ZCU104 has")
    dense = _mlp("jet-tagger", (16, 64, 32, 32, 5), 16)
    rng = np.random.default_rng(0)
    pruned = dense.map_layers(lambda l: l.replace(weight_sparsity=Sparsity.from_mask(
        rng.random((l.groups, l.gemm_n, l.gemm_k)) >= 0.7)))
    base = load_accelerator("u250-finn")
    base = dataclasses.replace(base, sparsity=FpgaSparsity(mode="prune"))
    for label, g in (("dense", dense), ("70% pruned", pruned)):
        for rf in (1, 2, 4):
            spec = dataclasses.replace(base, dataflow=dataclasses.replace(
                base.dataflow, folding={l.name: LayerFolding(reuse_factor=rf) for l in g.layers()}))
            perfs, _ = fpga.simulate_graph(g, spec)
            nonzeros = [l.params * l.weight_density for l in g.layers()]
            report(f"{label} multipliers, RF={rf}", "hls4ml n_in*n_out/RF (on the nonzeros)",
                   sum(n / rf for n in nonzeros), sum(p.details.multipliers for p in perfs), "mult")


def main() -> None:
    dpu_peaks()
    resnet50_dpu()
    dpu_resources()
    finn_formula()
    hls4ml_multipliers()


if __name__ == "__main__":
    main()
