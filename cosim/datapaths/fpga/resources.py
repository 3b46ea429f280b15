"""FPGA resource model: DSP48E2 slices, BRAM36/URAM/LUTRAM blocks and LUTs of one engine.

Sources of the rules (each function cites its own):

* DSP packing — two int8 MACs sharing one operand per DSP48E2 (Xilinx WP486, "Deep Learning with INT8
  Optimization on Xilinx Devices", 2017), four int4 MACs (Xilinx WP521, "Convolutional Neural Network
  with INT4 Optimization on Xilinx Devices", 2020), one MAC per DSP up to the 27×18 multiplier
  (UG579, DSP48E2 slice).
* Block memories — BRAM36 = 36 Kib in SDP aspect ratios 32K×1 … 512×72 (or two BRAM18 halves);
  URAM288 = 288 Kib, 4096×72 only (UG573, UltraScale Memory Resources).
* LUTs of a matrix–vector engine — the FINN-R cost model (Blott et al., "FINN-R", ACM TRETS 11(3), 2018,
  as used by FINN's MVAU ``lut_estimation``): c0 + c1·PE·(SIMD·mult + adder tree + accumulator +
  output stage), with c0 = 300 LUTs of control and c1 = 1.1 overhead, a LUT multiplier of
  (2·⌈(W+A)/6⌉ − 1)·(W+A) LUTs and an adder tree of (W+A)·(2·SIMD − 1) LUTs per PE.
* Distributed RAM — one LUT6 holds 64×1 bits (UG574, CLB user guide); an SRL32 FIFO 32×1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

RESOURCES = ("lut", "dsp", "bram36", "uram")
LUTS_PER_BRAM36 = 36 * 1024 // 64  # LUTRAM capacity of one BRAM36 (576 LUT6 as 64×1 RAM)
BRAM36_PER_URAM = 8  # 288 Kib / 36 Kib

# UG573 BRAM aspect ratios in simple-dual-port mode: (depth, width, blocks) — BRAM36 configurations
# and the BRAM18 halves (0.5 of a BRAM36).
_BRAM_SHAPES = ((32768, 1, 1.0), (16384, 2, 1.0), (8192, 4, 1.0), (4096, 9, 1.0), (2048, 18, 1.0),
                (1024, 36, 1.0), (512, 72, 1.0),
                (16384, 1, 0.5), (8192, 2, 0.5), (4096, 4, 0.5), (2048, 9, 0.5), (1024, 18, 0.5),
                (512, 36, 0.5))
URAM_DEPTH, URAM_WIDTH = 4096, 72

# FINN-R LUT model constants (Blott et al. 2018; FINN MVAU lut_estimation).
FINNR_C0_LUTS = 300
FINNR_C1 = 1.1
# FINN keeps a weight memory in LUTRAM when it is at most 128 words deep (MVAU bram_estimation).
LUTRAM_MAX_DEPTH = 128


@dataclass(frozen=True)
class Resources:
    """LUTs, DSP slices, BRAM36 blocks (halves allowed) and URAM blocks."""

    lut: float = 0.0
    dsp: float = 0.0
    bram36: float = 0.0
    uram: float = 0.0

    def __add__(self, other: "Resources") -> "Resources":
        return Resources(self.lut + other.lut, self.dsp + other.dsp, self.bram36 + other.bram36,
                         self.uram + other.uram)

    def scaled(self, k: float) -> "Resources":
        return Resources(self.lut * k, self.dsp * k, self.bram36 * k, self.uram * k)

    def as_dict(self) -> dict[str, float]:
        return {r: getattr(self, r) for r in RESOURCES}

    @property
    def bram36_equivalent(self) -> float:
        """On-chip block memory in BRAM36 capacities (a URAM counts as 8)."""
        return self.bram36 + BRAM36_PER_URAM * self.uram

    def fits(self, budget: Mapping[str, float]) -> bool:
        return all(getattr(self, r) <= budget[r] + 1e-9 for r in RESOURCES)


def total(items) -> Resources:
    out = Resources()
    for r in items:
        out = out + r
    return out


# ---- memories ------------------------------------------------------------------------------------
def bram36_blocks(width_bits: int, depth: int) -> float:
    """BRAM36 blocks (0.5 per BRAM18) for a width × depth memory: the cheapest UG573 aspect ratio,
    ⌈width/w⌉·⌈depth/d⌉ blocks of that shape. Monotone in width and depth."""
    if width_bits <= 0 or depth <= 0:
        return 0.0
    return min(math.ceil(width_bits / w) * math.ceil(depth / d) * size for d, w, size in _BRAM_SHAPES)


def uram_blocks(width_bits: int, depth: int) -> int:
    """URAM288 blocks (4096 × 72 each, cascaded in depth and tiled in width; UG573)."""
    if width_bits <= 0 or depth <= 0:
        return 0
    return math.ceil(width_bits / URAM_WIDTH) * math.ceil(depth / URAM_DEPTH)


def lutram_luts(width_bits: int, depth: int) -> int:
    """LUT6s as 64×1 distributed RAM (UG574)."""
    if width_bits <= 0 or depth <= 0:
        return 0
    return width_bits * math.ceil(depth / 64)


def memory(width_bits: int, depth: int, style: str = "auto", has_uram: bool = False) -> tuple[Resources, str]:
    """Resources of one width × depth memory, and the kind chosen ('const', 'lutram', 'bram', 'uram').

    ``auto``: a single word (fully unrolled engine) is constants folded into the logic (hls4ml with
    reuse factor 1); up to 128 words LUTRAM (FINN's rule); deeper, BRAM or URAM — whichever takes fewer
    BRAM36-equivalents (a URAM holds 8× a BRAM36), URAM on ties (on the parts that have URAM it is
    the larger pool: ZU7EV 96 URAM = 768 BRAM36-equivalents vs 312 BRAM36; U250 10,240 vs 2,688).
    ``prefer_uram``: as auto, but every deep memory goes to URAM. ``bram`` / ``uram`` / ``lutram``:
    every memory of that kind.
    """
    if width_bits <= 0 or depth <= 0:
        return Resources(), "none"
    automatic = style in ("auto", "prefer_uram")
    if depth == 1 and automatic:
        return Resources(), "const"
    if style == "lutram" or (automatic and depth <= LUTRAM_MAX_DEPTH):
        return Resources(lut=lutram_luts(width_bits, depth)), "lutram"
    if style in ("uram", "prefer_uram") and has_uram:
        return Resources(uram=uram_blocks(width_bits, depth)), "uram"
    n_bram = bram36_blocks(width_bits, depth)
    if style == "auto" and has_uram:
        n_uram = uram_blocks(width_bits, depth)
        if BRAM36_PER_URAM * n_uram <= n_bram:
            return Resources(uram=n_uram), "uram"
    return Resources(bram36=n_bram), "bram"


def fifo_luts(width_bits: int, depth: int) -> int:
    """A shallow stream FIFO in SRL32 shift registers: width × ⌈depth/32⌉ LUTs (UG574)."""
    return width_bits * math.ceil(depth / 32) if width_bits > 0 and depth > 0 else 0


# ---- arithmetic ----------------------------------------------------------------------------------
def mac_class(weight_bits: int, act_bits: int, number_format: str = "int") -> str:
    """Operand class of a MAC, which names its energy action (``dsp:mac_<class>``).

    Operands up to 4/8 bits are int4/int8; wider ones are fixed point (int16 up to 18 bits, int32
    above) or, with ``number_format: float``, fp16 up to 16 bits and fp32 above.
    """
    b = max(weight_bits, act_bits)
    if b <= 4:
        return "int4"
    if b <= 8:
        return "int8"
    if number_format == "float":
        return "fp16" if b <= 16 else "fp32"
    return "int16" if b <= 18 else "int32"


# MACs one DSP48E2 performs per cycle, by class, when the packed MACs share one operand:
# int8 2 (WP486), int4 4 (WP521), int16 1 (27×18 multiplier, UG579), int32 1/4 (2×2 tiles of the
# 27×18 multiplier for a 32×32 product), fp16 1 (the 11×11 significand product fits one DSP) and
# fp32 1/2 (the 24×24 significand product needs two); exponent handling and the floating-point
# adder are built in LUTs (FP_MAC_LUTS below).
MACS_PER_DSP = {"int4": 4.0, "int8": 2.0, "int16": 1.0, "int32": 0.25, "fp16": 1.0, "fp32": 0.5}
# LUTs per floating-point MAC for alignment, normalisation and the adder (estimates of the order of
# the logic-only adder cores in PG060, Floating-Point Operator: a few hundred LUTs at fp32).
FP_MAC_LUTS = {"fp16": 200, "fp32": 400}


def uses_lut_multipliers(weight_bits: int, act_bits: int, multipliers: str, max_bits: int) -> bool:
    """True when multiplies are built in LUTs: forced ``lut``, or ``auto`` with both operands of at
    most ``max_bits`` bits (FINN builds few-bit products in LUTs; Umuroglu et al. 2017)."""
    if multipliers == "lut":
        return True
    if multipliers == "dsp":
        return False
    return max(weight_bits, act_bits) <= max_bits


def lut_multiplier_luts(weight_bits: int, act_bits: int) -> int:
    """LUTs of one W×A-bit multiplier built in logic: (2·⌈(W+A)/6⌉ − 1)·(W+A) (FINN-R)."""
    s = weight_bits + act_bits
    if weight_bits == 1 and act_bits == 1:
        return 1  # binarised: one XNOR per product (Umuroglu et al. 2017)
    return (2 * math.ceil(s / 6) - 1) * s


def dsp_slices(multipliers: int, cls: str, groups_sharing: int) -> float:
    """DSP48E2 slices for ``multipliers`` MAC lanes of class ``cls``.

    Packing needs the packed MACs to share one operand (WP486): lanes are packed in groups of
    ``groups_sharing`` lanes that see the same activation (the PEs of a matrix–vector engine);
    ``groups_sharing`` = 1 disables packing (e.g. zero-skipping lanes fetch different activations).
    """
    if multipliers <= 0:
        return 0.0
    per = MACS_PER_DSP[cls]
    if per >= 1.0:
        pack = int(min(per, max(1, groups_sharing)))
        return float(math.ceil(multipliers / pack))
    return float(math.ceil(multipliers / per))


def accumulator_bits(weight_bits: int, act_bits: int, reduction: int) -> int:
    """Accumulator width: product bits + ⌈log2(reduction length)⌉ (no overflow)."""
    return weight_bits + act_bits + max(1, math.ceil(math.log2(max(2, reduction))))


# ---- engines ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EngineShape:
    """What a matrix–vector engine instantiates (cosim/datapaths/fpga/folding.py builds it)."""

    pe: int  # output lanes (rows in parallel)
    simd: int  # reduction lanes per PE
    multipliers: int  # MAC lanes actually built (PE·SIMD, fewer in prune mode)
    weight_width_bits: int  # one weight-memory word
    weight_depth: int  # words
    reduction: int  # K of the layer (accumulator sizing, index width)
    share_activation: bool  # lanes of different PEs see the same activation (DSP packing)
    index_lanes: int = 0  # lanes that decode a weight index (zero-skipping engines)


def output_stage(pe: int, out_bits: int, acc_bits: int, channels: int, activation: bool) -> Resources:
    """Per-PE output stage. Few-bit outputs with an activation: FINN's multi-threshold unit,
    (2^B − 1) comparators of acc_bits and the thresholds in LUTRAM ((2^B−1)·acc_bits·⌈C/PE/64⌉ LUTs,
    FINN-R). Wider outputs: requantisation by one DSP multiply and ~2·acc_bits LUTs of round/clip."""
    if out_bits <= 4 and activation:
        levels = 2 ** out_bits - 1
        tmem = math.ceil(channels / pe)
        return Resources(lut=pe * levels * acc_bits * (1 + math.ceil(tmem / 64)))
    return Resources(lut=pe * 2 * acc_bits, dsp=pe)


def mvau_resources(shape: EngineShape, weight_bits: int, act_bits: int, out_bits: int, channels: int,
                   activation: bool, cls: str, lut_mults: bool, memory_style: str,
                   has_uram: bool) -> tuple[Resources, dict]:
    """Resources of one matrix–vector engine (FINN MVAU / hls4ml dense) and a breakdown."""
    w, a = weight_bits, act_bits
    acc = accumulator_bits(w, a, shape.reduction)
    per_pe_simd = max(1, shape.multipliers // max(1, shape.pe))
    if lut_mults:
        mult = Resources(lut=shape.multipliers * lut_multiplier_luts(w, a))
    else:
        share = shape.pe if shape.share_activation else 1
        mult = Resources(dsp=dsp_slices(shape.multipliers, cls, share),
                         lut=shape.multipliers * FP_MAC_LUTS.get(cls, 0))
    # Adder tree (W+A)·(2·SIMD − 1) per PE and an acc_bits accumulator per PE (FINN-R).
    adders = shape.pe * ((w + a) * (2 * per_pe_simd - 1) + acc)
    out = output_stage(shape.pe, out_bits, acc, channels, activation)
    # Zero skipping: each decoding lane keeps its own LUTRAM copy of the input vector and reads the
    # activation its weight's index names (UG574 64×1 RAM per LUT), plus an index register.
    index_bits = max(1, math.ceil(math.log2(max(2, shape.reduction))))
    decode = shape.index_lanes * (a * math.ceil(shape.reduction / 64) + index_bits)
    logic = FINNR_C0_LUTS + FINNR_C1 * (mult.lut + adders + out.lut + decode)
    mem, kind = memory(shape.weight_width_bits, shape.weight_depth, memory_style, has_uram)
    res = Resources(lut=logic, dsp=mult.dsp + out.dsp) + mem
    return res, {"weight_memory": kind, "weight_mem_width_bits": shape.weight_width_bits,
                 "weight_mem_depth": shape.weight_depth, "accumulator_bits": acc}


def line_buffer(in_w: int, channels: int, kernel_h: int, kernel_w: int, simd: int, act_bits: int,
                memory_style: str, has_uram: bool) -> tuple[Resources, str]:
    """Sliding-window buffer of a k×k convolution: ((kh−1)·W + kw)·C elements, read SIMD at a time
    (FINN ConvolutionInputGenerator); a 1×1 convolution needs no window."""
    if kernel_h == 1 and kernel_w == 1:
        return Resources(), "none"
    lanes = max(1, min(simd, channels))
    words = math.ceil(((kernel_h - 1) * in_w + kernel_w) * channels / lanes)
    return memory(lanes * act_bits, words, memory_style, has_uram)


def input_buffer(reduction: int, simd: int, act_bits: int, folds_per_vector: int, memory_style: str,
                 has_uram: bool) -> tuple[Resources, str]:
    """An engine that revisits its input vector (more than one output fold) buffers the K inputs."""
    if folds_per_vector <= 1:
        return Resources(), "none"
    return memory(simd * act_bits, math.ceil(reduction / simd), memory_style, has_uram)


def vector_unit(op: str, kind: str, lanes: int, act_bits: int, channels: int, in_w: int, kernel_h: int,
                memory_style: str, has_uram: bool) -> Resources:
    """A streaming vector layer in LUT logic (FINN StreamingMaxPool / AddStreams / Thresholding):
    pool — a comparator (max) or adder (avg) per lane and one row of partial results when the window
    spans rows; add — an (A+1)-bit adder per lane; act — a clamp per lane; norm — a requantiser per
    lane (1 DSP + 2·A LUTs); softmax — exponent table in one BRAM18 and a divider per lane."""
    # The per-lane LUT counts here (8 guard bits on pool partial sums, 2·(A+8) per pool lane, 12·A per
    # softmax lane for exponent lookup and divider) are first-order assumptions, not FINN-R fits; they
    # only size vector stages, which are small next to the matrix–vector engines.
    a = act_bits
    if op == "pool":
        res = Resources(lut=FINNR_C0_LUTS + lanes * 2 * (a + 8))
        if kernel_h > 1:
            mem, _ = memory(lanes * (a + 8), math.ceil(in_w * channels / lanes), memory_style, has_uram)
            res = res + mem
        return res
    if op == "add":
        return Resources(lut=FINNR_C0_LUTS + lanes * (a + 1))
    if op == "act":
        return Resources(lut=lanes * a)
    if op == "norm":
        return Resources(lut=lanes * 2 * a, dsp=lanes)
    if op == "softmax":
        return Resources(lut=FINNR_C0_LUTS + lanes * 12 * a, bram36=0.5)
    return Resources()


# ---- overlay ------------------------------------------------------------------------------------
def overlay_resources(ov, act_bits: int = 8) -> tuple[Resources, dict]:
    """Resources of ``ov.cores`` DPU-like cores (``ov``: cosim.hw.fpga_spec.OverlaySpec).

    DSPs per core: the PP·ICP·OCP MAC array packed ``MACS_PER_DSP`` to a slice and halved when the
    DSPs are double-pumped; one DSP per output lane (PP·OCP) for accumulation/requantisation; the
    ALU engine's alu_parallelism·OCP lanes (PG338 v4.1 lists +16 DSPs per ALU-parallelism step on
    B4096, i.e. OCP per step). LUTs: control (instruction fetch/decode, AXI masters), the per-output-
    lane accumulate/requantise/ReLU logic, and 2:1 operand multiplexers of double-pumped DSPs.
    BRAM: the feature-map bank (PP·ICP·A bits per word) and weight bank (ICP·OCP·8 bits per word).
    """
    cls = mac_class(ov.mac_bits, ov.mac_bits)
    pump = 2 if ov.dsp_double_pumped else 1
    lanes_out = ov.pixel_parallelism * ov.output_channel_parallelism
    mac_dsp = math.ceil(ov.macs_per_cycle / (MACS_PER_DSP[cls] * pump))
    dsp = mac_dsp + lanes_out + ov.alu_parallelism * ov.output_channel_parallelism
    # Accumulator sized for a 3×3 kernel over ICP channels (assumption: the common DPU layer shape).
    acc = accumulator_bits(ov.mac_bits, ov.mac_bits, ov.input_channel_parallelism * 9)
    # Double pumping muxes the DSP48E2's 27- and 18-bit operand ports (UG579) between two operand
    # sets: about one LUT per two input bits (assumption). Per output lane 3·acc + A LUTs of
    # accumulate/requantise/ReLU logic (assumption; validate_fpga.py compares the total with PG338).
    mux = mac_dsp * math.ceil((27 + 18) / 2) if ov.dsp_double_pumped else 0
    lut = ov.control_luts + lanes_out * (3 * acc + act_bits) + mux
    act_w = ov.pixel_parallelism * ov.input_channel_parallelism * act_bits
    wgt_w = ov.input_channel_parallelism * ov.output_channel_parallelism * ov.mac_bits
    act_mem, _ = memory(act_w, math.ceil(ov.act_buffer_kib * 8192 / act_w), ov.act_bank_memory, True)
    wgt_mem, _ = memory(wgt_w, math.ceil(ov.weight_buffer_kib * 8192 / wgt_w), ov.weight_bank_memory, True)
    per_core = Resources(lut=lut, dsp=dsp) + act_mem + wgt_mem
    return per_core.scaled(ov.cores), {"per_core": per_core.as_dict(), "mac_array_dsp": mac_dsp,
                                       "act_bank": act_mem.as_dict(), "weight_bank": wgt_mem.as_dict()}
