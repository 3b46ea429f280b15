"""Time of one (grouped) GEMM on a tensor-core chip: CTA tiles, waves over the SMs, split-K, memory
roofline, per-kernel overhead, and the clock a power cap allows.

The model, per candidate CTA tile (``tr`` weight rows x ``tt`` tokens, ``k_step`` reduction per step):

* work: ``tiles = groups · ⌈rows/tr⌉ · ⌈tokens/tt⌉`` output tiles, each ``⌈K/k_step⌉`` main-loop steps;
* one step costs ``max(math, feed)`` cycles: math = tr·tt·k_step / (MACs per cycle per SM · speedup ·
  mma_efficiency), where speedup = m/n for a supported N:M pattern (2 for 2:4), and feed = bytes the
  SM loads for the step (the weight tile, compressed to n/m with ceil(log2 m)-bit indices per kept
  weight, plus the token tile) / ``feed_bytes_per_cycle_per_sm`` (the roofline of one SM against L2);
* **activation skipping** (dual-side sparsity, ``act_density`` < 1; the bitmap-encoded dual-side
  sparse tensor core of Wang et al., "Dual-side Sparse Tensor Core", ISCA 2021): every output lane
  (weight row × token) of the tile walks only the slots of the step whose activation is nonzero, but
  the CTA's warps meet at a barrier every main-loop step (the multistage shared-memory pipeline of
  cuBLAS/CUTLASS kernels advances one k-step per barrier), so a step lasts as long as its busiest
  lane: math × E[max of ``lanes`` Binomial(slots, act_density)] / slots (:func:`act_step_density`,
  activations zero independently — the statistical model of ``act_density``; independent lanes
  over-estimate the max of correlated ones, so this is an upper bound on the cycles). The feed
  carries the nonzero activations plus their bitmap, 1 bit per activation (Wang et al.'s encoding);
  DRAM and L2 traffic stay dense. The speedup can so never exceed 1/act_density;
* tiles run in **waves** over the SMs (one CTA per SM, the 200+ KiB shared-memory tiles of Hopper
  GEMMs): ``⌈tiles / SMs⌉`` waves of (steps · step + epilogue), the epilogue storing the tile;
* **split-K** when the tiles fill at most half the SMs and K is deep: K split s ways, partial sums
  reduced by a separate kernel (cuBLAS) or an in-kernel tree of log2(s) fixup levels (cuSPARSELt's
  segment-K); **stream-K** spreads a last wave at most half full over all SMs at one fixup level;
* memory: the operands (compressed weights + metadata, tokens, output) move once: those L2 does not
  hold through DRAM at ``dram_efficiency`` of its peak, all of them through L2 at its effective
  bandwidth (:class:`Residency` says which L2 holds: a product repeated on its own keeps everything
  that fits, a network keeps what sparse_tensor_core.simulate_graph decides); time = overhead +
  max(compute, memory) (+ split-K reduction);
* clock: the fastest clock at which the board stays under ``power.cap_w`` — dynamic power = energy of
  the kernel's on-chip actions (MACs, L2->SM feed bytes; cosim/hw/energy_tables.py) per second, each
  action's energy scaling as f^dvfs_exponent — capped at ``clock_mhz``. A big GEMM on an H100 runs at
  ~1.3 GHz at 700 W (measured), a tiny one at the 1.98 GHz maximum.

The tile with the least time wins, as a library's heuristic would pick it. Units: cycles at the
effective clock, seconds, bytes. The structure (tile menus, split-K and stream-K rules) follows the
kernels the CUDA profiler shows cuBLAS and cuSPARSELt running on an H100 (tests/data/gpu/README.md);
the free parameters are fitted in cosim/hw/data/h100_calibration.yaml.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Mapping

from cosim.hw.stc_spec import GemmKernelSpec
from cosim.sparsity import expected_max_binomial


@dataclass(frozen=True)
class GemmProblem:
    """One layer's GEMM in the tensor core's orientation: ``groups`` products of a (rows x K) weight
    operand and a (K x tokens) activation operand."""

    groups: int
    rows: int  # weight rows = output features / filters per group (cosim's GEMM N)
    tokens: int  # output positions (cosim's GEMM M)
    k: int
    precision: str
    weight_bytes: float = 2.0  # per element
    act_bytes: float = 2.0
    out_bytes: float = 2.0
    speedup: float = 1.0  # math speedup of the N:M pattern run (m/n), 1 = dense
    metadata_bits: float = 0.0  # index bits per kept weight
    act_density: float = 1.0  # dual-side sparsity: fraction of activations nonzero (skipped when < 1)
    # Compulsory operand sizes in elements, where they differ from the GEMM view (0 = groups·rows·k and
    # groups·k·tokens): a convolution reads its input tensor, not the 9x larger im2col matrix (the
    # expansion happens on chip); a batched activation product has a second operand per batch element.
    weight_elems: float = 0.0
    input_elems: float = 0.0


@dataclass(frozen=True)
class GemmTiming:
    time_s: float
    compute_s: float  # main loop + epilogues at the effective clock
    memory_s: float  # DRAM/L2 roofline time of the compulsory traffic
    overhead_s: float  # per-kernel overhead + split-K reduction
    clock_hz: float
    tile: tuple[int, int]
    tiles: int
    waves: int
    k_steps: int
    split_k: int
    mode: str  # data-parallel | split-k | stream-k
    bound: str  # compute | memory
    executed_macs: float  # MACs the tensor cores perform (pattern-compressed)
    feed_bytes: float  # bytes loaded from L2 into the SMs' shared memory
    dram_read_bytes: float
    dram_write_bytes: float
    l2_resident: bool  # every operand served by L2
    act_step_density: float = 1.0  # step math kept by activation skipping (busiest lane / slots)
    act_bitmap_bytes: float = 0.0  # activation bitmap bytes fed into the SMs (dual-side skipping)


@dataclass(frozen=True)
class Residency:
    """Which operands the L2 already holds (read from / left in L2 instead of DRAM)."""

    weights: bool
    inputs: bool
    outputs: bool


def standalone_residency(spec: Any, footprint_bytes: float) -> Residency:
    """A product run again and again on its own (the calibration measurements): all its operands stay
    in L2 when together they fit and ``l2_reuse`` holds; otherwise all stream from DRAM.

    ``footprint_bytes`` is the dense working set (:func:`dense_footprint_bytes`): a sparse product is
    resident exactly where its dense reference is, so its speedup is the hardware's (math skipped,
    bytes compressed) and never a cache cliff that compressed weights alone cross."""
    fits = bool(spec.l2_reuse and spec.l2_kib > 0 and footprint_bytes <= spec.l2_kib * 1024)
    return Residency(fits, fits, fits)


def memory_time_s(spec: Any, dram_bytes: float, all_bytes: float) -> float:
    """Roofline time of the traffic: the non-resident bytes through DRAM at ``dram_efficiency`` of its
    peak, and every byte through the L2 at its effective bandwidth (DRAM traffic passes through L2)."""
    t = dram_bytes / (spec.dram.bandwidth_gb_per_s * 1e9 * spec.dram_efficiency)
    if spec.l2_kib > 0:
        t = max(t, all_bytes / (spec.l2_bandwidth_gb_per_s * 1e9))
    return t


def wave_count(tiles: int, sms: int) -> int:
    """Waves of ``tiles`` CTAs over ``sms`` SMs, one CTA per SM: ⌈tiles/sms⌉ (133 on 132 -> 2)."""
    return -(-tiles // sms)


def _operand_bytes(p: GemmProblem) -> tuple[float, float, float]:
    """(weights incl. metadata, tokens, output) bytes of the whole problem."""
    kept = (p.weight_elems or p.groups * p.rows * p.k) / p.speedup
    w = kept * p.weight_bytes + kept * p.metadata_bits / 8.0
    x = (p.input_elems or p.groups * p.k * p.tokens) * p.act_bytes
    y = p.groups * p.rows * p.tokens * p.out_bytes
    return w, x, y


def dense_footprint_bytes(p: GemmProblem) -> float:
    """Bytes of the product's operands stored dense (weights uncompressed, no metadata, every
    activation): the working set that decides L2 residency for a product and its dense reference alike."""
    w = (p.weight_elems or p.groups * p.rows * p.k) * p.weight_bytes
    x = (p.input_elems or p.groups * p.k * p.tokens) * p.act_bytes
    return w + x + p.groups * p.rows * p.tokens * p.out_bytes


@functools.lru_cache(maxsize=4096)
def act_step_density(act_density: float, slots: int, lanes: int) -> float:
    """Share of a main-loop step's math that activation skipping keeps: the busiest of ``lanes``
    output lanes, each with ``slots`` multiply slots per step, every activation nonzero with
    probability ``act_density`` — E[max of Binomial(slots, act_density)] / slots (≥ act_density;
    1.0 without skipping)."""
    if act_density >= 1.0 or slots <= 0:
        return 1.0
    return expected_max_binomial(slots, act_density, max(lanes, 1)) / slots


def act_lanes(p: GemmProblem, tr: int, tt: int) -> int:
    """Output lanes whose work differs under activation skipping: with dense weights every weight row
    reads the same activations, so a tile's lanes are its tokens; an N:M row picks its own activations
    (by its indices), so each (row, token) pair is a lane."""
    return tt if p.speedup <= 1.0 else tr * tt


def _tile_plan(p: GemmProblem, spec: Any, kern: GemmKernelSpec, tr: int, tt: int) -> dict[str, Any]:
    """Cycles of one tile choice (at any clock), before memory and power."""
    sms = spec.sm_count
    tk = kern.k_step
    macs_per_cycle = spec.macs_per_cycle_per_sm[p.precision] * p.speedup * kern.mma_efficiency
    tiles = p.groups * (-(-p.rows // tr)) * (-(-p.tokens // tt))
    k_steps = -(-p.k // tk)
    kept = tr * tk / p.speedup
    skip = p.act_density < 1.0
    kept_act = act_step_density(p.act_density, math.ceil(tk / p.speedup - 1e-9), act_lanes(p, tr, tt))
    bitmap = tt * tk / 8.0 if skip else 0.0  # 1 bit per activation of the step's token tile
    step_feed = kept * p.weight_bytes + kept * p.metadata_bits / 8.0 + tt * tk * p.act_bytes * p.act_density + bitmap
    step = max(tr * tt * tk / macs_per_cycle * kept_act, step_feed / spec.feed_bytes_per_cycle_per_sm)
    if p.tokens % tt:
        step *= kern.partial_tile_penalty
    epilogue = tr * tt * p.out_bytes / spec.feed_bytes_per_cycle_per_sm
    waves = wave_count(tiles, sms)
    plan = {"tile": (tr, tt), "tiles": tiles, "k_steps": k_steps, "split": 1, "mode": "data-parallel",
            "waves": waves, "fixup_s": 0.0, "reduce_bytes": 0.0,
            "cycles": waves * (k_steps * step + epilogue), "feed_bytes": tiles * k_steps * step_feed,
            "act_step_density": kept_act, "bitmap_bytes": tiles * k_steps * bitmap}
    if kern.split_k_min_k_steps and 2 * tiles <= sms and k_steps >= kern.split_k_min_k_steps:
        split = max(2, min(sms // tiles, k_steps // kern.split_k_steps_per_split))
        plan.update(split=split, mode="split-k", waves=1, cycles=-(-k_steps // split) * step + epilogue)
        if kern.split_k_reduce == "fixup":
            plan["fixup_s"] = kern.fixup_us_per_level * 1e-6 * math.log2(split)
        else:  # partial sums (fp32) written and read back by a reduction kernel
            plan["reduce_bytes"] = split * p.groups * p.rows * p.tokens * 4.0
    # Stream-K only for K of at least 16 steps: a fixed threshold (assumption), not among the fitted
    # parameters of h100_calibration.yaml.
    elif kern.stream_k and tiles > sms and (tiles % sms) * 2 <= sms and k_steps >= 16:
        plan.update(mode="stream-k", fixup_s=kern.fixup_us_per_level * 1e-6)
    return plan


def _clock_hz(spec: Any, plan: dict[str, Any], p: GemmProblem, energy: Mapping[str, float]) -> float:
    """Fastest clock at which the chip stays under its power cap (see the module docstring).

    Only the on-chip work scales with the SM clock, so only it is charged against the cap (minus the
    idle power); DRAM power is left out: charging it would let more bandwidth lower the clock."""
    f_max = spec.clock_mhz * 1e6
    pw = spec.power
    if pw.cap_w <= 0 or plan["cycles"] <= 0:
        return f_max
    f_ref = (pw.table_clock_mhz or spec.clock_mhz) * 1e6
    macs = p.groups * p.rows * p.tokens * p.k / p.speedup * p.act_density
    onchip_j = (macs * energy.get(f"mac:{p.precision}", 0.0)
                + plan["feed_bytes"] * energy.get("sram_l2:read_byte", 0.0)) * 1e-12
    if onchip_j <= 0:
        return f_max
    budget_w = max(pw.cap_w - spec.energy.leakage_mw * 1e-3, 0.05 * pw.cap_w)  # 5 % floor (assumption): never stops the chip outright
    # P(f) = onchip_j · (f/f_ref)^e / (cycles / f) = budget  ->  f^(1+e) = budget · cycles · f_ref^e / onchip_j
    e = pw.dvfs_exponent
    f = (budget_w * plan["cycles"] * f_ref ** e / onchip_j) ** (1.0 / (1.0 + e))
    return min(f_max, f)


def gemm_timing(p: GemmProblem, spec: Any, kern: GemmKernelSpec, energy: Mapping[str, float],
                residency: Residency | None = None) -> GemmTiming:
    """Time of problem ``p`` on ``spec`` run by library ``kern`` (the fastest tile of its menu).
    ``energy`` is the action -> pJ table used by the power-capped clock; ``residency`` says which
    operands L2 already holds (default: :func:`standalone_residency`)."""
    w, x, y = _operand_bytes(p)
    footprint = w + x + y
    res = residency if residency is not None else standalone_residency(spec, dense_footprint_bytes(p))
    dram_r = (0.0 if res.weights else w) + (0.0 if res.inputs else x)
    dram_w = 0.0 if res.outputs else y
    memory_s = memory_time_s(spec, dram_r + dram_w, footprint)
    l2_resident = dram_r + dram_w == 0.0
    best: GemmTiming | None = None
    for tr, tt in kern.tiles:
        plan = _tile_plan(p, spec, kern, tr, tt)
        f = _clock_hz(spec, plan, p, energy)
        compute_s = plan["cycles"] / f
        overhead_s = kern.overhead_us * 1e-6 + plan["fixup_s"]
        if plan["reduce_bytes"]:
            moved = plan["reduce_bytes"] + y
            overhead_s += kern.overhead_us * 1e-6 + memory_time_s(spec, 0.0 if res.outputs else moved, moved)
        t = overhead_s + max(compute_s, memory_s)
        if best is None or t < best.time_s:
            best = GemmTiming(
                time_s=t, compute_s=compute_s, memory_s=memory_s, overhead_s=overhead_s, clock_hz=f,
                tile=plan["tile"], tiles=plan["tiles"], waves=plan["waves"], k_steps=plan["k_steps"],
                split_k=plan["split"], mode=plan["mode"], bound="compute" if compute_s >= memory_s else "memory",
                executed_macs=p.groups * p.rows * p.tokens * p.k / p.speedup * p.act_density,
                feed_bytes=plan["feed_bytes"], dram_read_bytes=dram_r, dram_write_bytes=dram_w,
                l2_resident=l2_resident, act_step_density=plan["act_step_density"],
                act_bitmap_bytes=plan["bitmap_bytes"])
    assert best is not None
    return best
