"""Folding of dataflow engines: cycles of a PE × SIMD engine on a (pruned) layer, and the automatic
choice of every engine's folding so that the pipeline is balanced within the resource budget.

Engine timing (FINN MVAU, Umuroglu et al. FPGA 2017; hls4ml reuse factor, Duarte et al. 2018): an
engine with PE output lanes and SIMD reduction lanes needs, per output position,

    F = ⌈C_out / PE⌉ · ⌈K / SIMD⌉      cycles (the "fold"; hls4ml's reuse factor RF)

so a layer of M output positions takes M·F cycles, FINN's (MH/PE)·(MW/SIMD)·N. Row r of the weight
matrix (an output channel; C_out = groups·N rows of K) is served by PE r mod PE in fold ⌊r/PE⌋.

Sparsity (``spec.sparsity.mode``):

* ``skip``  — each lane consumes only nonzero weights (value + index stream). The PEs of a fold run in
  lockstep on the same input vector, so a fold costs max over its PEs of ⌈nnz(row)/SIMD⌉ cycles: load
  imbalance between rows shows up in the cycles. Masks give nnz per row exactly; otherwise a
  statistical model of the pattern gives the expected maximum (unstructured: nnz ~ Binomial(K, d);
  N:M: exact; block: Binomial over blocks, rows of one block-row identical; channel: whole rows gone).
  A sparse layer in ``skip`` mode may also get a dense engine: its candidates are both kinds, and the
  pipeline folding below takes, per stage, the cheapest engine that meets the interval, so a layer
  whose skip engine is slower (imbalance, no activation sharing, index bits) runs dense and the
  pipeline is never slower than its all-dense counterpart (``engine_mode`` says which ran).
* ``prune`` — pruned weights are removed at synthesis: multipliers = ⌈nnz / RF⌉ (hls4ml's
  n_in·n_out/RF applied to the nonzeros), same F; all-zero rows and columns (channel pruning) shrink
  C_out and K themselves.

Automatic folding (the idea of FINN's SetFolding, made budget-monotone): every engine's Pareto set of
(cycles, area) foldings is built once; for each candidate initiation interval T (ascending) each engine
takes its cheapest folding with cycles ≤ T, and the first T whose design fits the budget wins. The area
used to rank foldings is a fixed LUT-equivalent (not the budget), so a larger budget can only admit an
earlier T: more DSPs never cost cycles.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np

from cosim.datapaths.fpga import resources as fr
from cosim.datapaths.fpga.details import EngineFacts, VectorStageFacts
from cosim.errors import CosimError, require
from cosim.graph import Layer

# Fixed LUT-equivalent weights of the resources when ranking foldings (roughly a ZU7EV's LUT:DSP:BRAM
# ratio, 230k LUT : 1,728 DSP : 312 BRAM36, DS891; a URAM288 counts as the 8 BRAM36 whose capacity it
# holds, UG573). Fixed on purpose: see the module docstring.
AREA_WEIGHTS = {"lut": 1.0, "dsp": 130.0, "bram36": 700.0, "uram": 5600.0}


def area(res: fr.Resources) -> float:
    return sum(AREA_WEIGHTS[r] * v for r, v in res.as_dict().items())


def divisors(n: int) -> list[int]:
    small = [d for d in range(1, int(math.isqrt(n)) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


# ---- work per output position --------------------------------------------------------------------
@dataclass(frozen=True)
class RowWork:
    """Nonzero weights per weight-matrix row of a compute layer (mask) or their distribution."""

    rows: int  # C_out = groups · N
    reduction: int  # K
    nnz_rows: np.ndarray | None  # exact nnz per row (mask, dense, N:M); None → statistical
    density: float  # kept fraction of weights
    kind: str  # sparsity kind
    block_h: int = 1
    block_w: int = 1
    kept_rows: int = 0  # rows with any nonzero (channel pruning)
    kept_cols: int = 0  # columns with any nonzero

    @property
    def nnz(self) -> float:
        if self.nnz_rows is not None:
            return float(self.nnz_rows.sum())
        return self.density * self.rows * self.reduction


def row_work(layer: Layer) -> RowWork:
    """Per-row nonzeros of ``layer``'s weights in the GEMM view (groups, N, K) → C_out rows of K."""
    sp = layer.weight_sparsity
    rows, k = layer.groups * layer.gemm_n, layer.gemm_k
    if sp.mask is not None and layer.has_weights:
        m = np.asarray(sp.mask, dtype=bool).reshape(rows, k)
        nnz = m.sum(axis=1).astype(np.int64)
        if int(nnz.sum()) == rows * k:  # a mask without zeros is a dense layer
            return RowWork(rows, k, nnz, 1.0, "dense", kept_rows=rows, kept_cols=k)
        return RowWork(rows, k, nnz, float(nnz.sum()) / (rows * k), sp.kind, kept_rows=int((nnz > 0).sum()),
                       kept_cols=int(m.any(axis=0).sum()))
    if sp.is_dense or not layer.has_weights:
        return RowWork(rows, k, np.full(rows, k, dtype=np.int64), 1.0, "dense", kept_rows=rows, kept_cols=k)
    if sp.kind == "nm":
        per_row = sp.n * (k // sp.m) + min(sp.n, k % sp.m)
        return RowWork(rows, k, np.full(rows, per_row, dtype=np.int64), sp.density, "nm", kept_rows=rows,
                       kept_cols=k)
    if sp.kind == "channel":
        kept = max(1, int(round(sp.density * rows)))
        nnz = np.zeros(rows, dtype=np.int64)
        nnz[:kept] = k
        return RowWork(rows, k, nnz, kept / rows, "channel", kept_rows=kept, kept_cols=k)
    return RowWork(rows, k, None, sp.density, sp.kind, block_h=max(1, sp.block_h), block_w=max(1, sp.block_w),
                   kept_rows=rows, kept_cols=k)


@lru_cache(maxsize=256)
def _binomial_pmf(trials: int, p: float) -> np.ndarray:
    from scipy.stats import binom

    return binom.pmf(np.arange(trials + 1), trials, p)


def _expected_max_ceil(trials: int, p: float, scale: int, simd: int, n: int) -> float:
    """E[max of n iid ⌈scale·X/simd⌉], X ~ Binomial(trials, p) (exact sum over the pmf)."""
    x = np.arange(trials + 1)
    pmf = _binomial_pmf(trials, p)
    y = np.ceil(scale * x / simd).astype(np.int64)
    ymax = int(y[-1])
    cdf_y = np.zeros(ymax + 1)
    np.add.at(cdf_y, y, pmf)
    cdf_y = np.minimum(np.cumsum(cdf_y), 1.0)
    return float(np.sum(1.0 - cdf_y[:-1] ** n))  # E[max] = Σ_{y ≥ 0} P(max > y)


def skip_cycles_per_position(work: RowWork, pe: int, simd: int) -> float:
    """Cycles per output position of a zero-skipping engine: Σ over folds of the slowest PE's
    ⌈nnz/SIMD⌉ (exact from per-row counts, expected value for statistical patterns)."""
    folds = math.ceil(work.rows / pe)
    if work.nnz_rows is not None:
        padded = np.zeros(folds * pe, dtype=np.int64)
        padded[: work.rows] = work.nnz_rows
        return float(np.ceil(padded.reshape(folds, pe) / simd).max(axis=1).sum())
    if work.kind == "block":
        blocks = math.ceil(work.reduction / work.block_w)
        independent = max(1, math.ceil(pe / work.block_h))
        return folds * _expected_max_ceil(blocks, work.density, work.block_w, simd, independent)
    return folds * _expected_max_ceil(work.reduction, work.density, 1, simd, pe)


# ---- one engine -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class StageDesign:
    """One pipeline stage (an engine) at one folding: cycles for the layer's batch and resources."""

    layer: str
    pe: int
    simd: int
    cycles: float
    resources: fr.Resources
    multipliers: int = 0
    details: EngineFacts | VectorStageFacts | None = None

    @property
    def area(self) -> float:
        return area(self.resources)


@dataclass(frozen=True)
class EngineContext:
    """Spec-derived settings an engine needs (kept apart from the spec so tests can build engines)."""

    mode: str = "none"  # sparsity mode
    multipliers: str = "auto"
    lut_multiplier_max_bits: int = 3  # same default as ArithmeticSpec (cosim/hw/fpga_spec.py)
    number_format: str = "int"
    memory_style: str = "auto"
    has_uram: bool = False
    activation: bool = True  # an activation is fused after the engine (thresholds for few-bit outputs)
    fifo_depth: int = 32  # output stream FIFO of every stage, in words (DataflowSpec's default)

    @classmethod
    def from_spec(cls, spec, activation: bool = True) -> "EngineContext":
        return cls(mode=spec.sparsity.mode, multipliers=spec.arithmetic.multipliers,
                   lut_multiplier_max_bits=spec.arithmetic.lut_multiplier_max_bits,
                   number_format=spec.arithmetic.number_format, memory_style=spec.dataflow.memory,
                   has_uram=spec.device.uram > 0, activation=activation, fifo_depth=spec.dataflow.fifo_depth)


def input_lanes(layer: Layer, pe: int, simd: int) -> int:
    """Input channels an engine takes per cycle: SIMD of them for an ordinary convolution; in a
    grouped/depthwise one its PEs work on different groups, each taking its own channels (FINN's
    VVAU reads PE channels per cycle)."""
    cin_g = layer.in_channels // layer.groups
    per_group = max(1, min(simd, cin_g))
    if layer.groups == 1:
        return per_group
    groups_at_once = max(1, pe // max(1, layer.gemm_n))
    return max(1, min(layer.in_channels, groups_at_once * per_group))


def compute_stage(layer: Layer, pe: int, simd: int, ctx: EngineContext, work: RowWork | None = None) -> StageDesign:
    """A matrix–vector engine for a compute layer at folding (PE, SIMD)."""
    work = work or row_work(layer)
    w, a = layer.weight_bits, layer.act_bits
    # Each layer gets its own engine: a dense layer gets a dense one whatever the sparsity mode.
    mode = ctx.mode if layer.has_weights and work.kind != "dense" else "none"
    rows, k = work.rows, work.reduction
    positions = layer.gemm_m
    if mode == "prune":  # whole rows/columns pruned away shrink the engine's matrix
        rows, k = max(1, work.kept_rows), max(1, work.kept_cols)
    fold = math.ceil(rows / pe) * math.ceil(k / simd)
    index_bits = 0
    if mode == "skip":
        per_pos = skip_cycles_per_position(work, pe, simd)
        index_bits = max(1, math.ceil(math.log2(max(2, k))))
        mults = pe * simd
        mem_w, mem_d = pe * simd * (w + index_bits), max(1, math.ceil(per_pos))
    elif mode == "prune":
        per_pos = float(fold)
        mults = max(1, math.ceil(work.nnz / fold))
        mem_w, mem_d = mults * w, fold
    else:
        per_pos = float(fold)
        mults = pe * simd
        mem_w, mem_d = pe * simd * w, fold
    if not layer.has_weights:  # matmul: the second operand is an activation buffered on chip
        mem_w = pe * simd * a
    cls = fr.mac_class(w, a, ctx.number_format)
    lut_mults = fr.uses_lut_multipliers(w, a, ctx.multipliers, ctx.lut_multiplier_max_bits)
    shape = fr.EngineShape(pe=pe, simd=simd, multipliers=mults, weight_width_bits=mem_w, weight_depth=mem_d,
                           reduction=k, share_activation=(mode != "skip" and layer.groups == 1),
                           index_lanes=mults if index_bits else 0)
    res, det = fr.mvau_resources(shape, w, a, layer.out_bits, rows, ctx.activation, cls, lut_mults,
                                 ctx.memory_style, ctx.has_uram)
    lanes_in = input_lanes(layer, pe, simd)
    lb, lb_kind = fr.line_buffer(layer.in_w, layer.in_channels, layer.kernel_h, layer.kernel_w, lanes_in,
                                 a, ctx.memory_style, ctx.has_uram)
    ib, _ = fr.input_buffer(k, simd, a, math.ceil(rows / pe), ctx.memory_style, ctx.has_uram)
    # Input streaming: every input pixel is read once, lanes_in channels per cycle.
    read_cycles = layer.batch * layer.in_h * layer.in_w * math.ceil(layer.in_channels / lanes_in)
    compute = positions * per_pos
    cycles = max(compute, float(read_cycles)) if layer.op == "conv2d" else compute
    details = EngineFacts(fold_cycles_per_position=per_pos,
                          dense_fold=math.ceil(work.rows / pe) * math.ceil(work.reduction / simd),
                          line_buffer=lb_kind, mac_class=cls, lut_multipliers=lut_mults, index_bits=index_bits,
                          input_read_cycles=read_cycles, engine_mode=mode, **det)
    fifo = fr.Resources(lut=fr.fifo_luts(pe * layer.out_bits, ctx.fifo_depth))
    return StageDesign(layer.name, pe, simd, cycles, res + lb + ib + fifo, mults, details)


VECTOR_STAGE_OPS = ("pool", "add", "act", "norm", "softmax", "concat", "embedding")


def vector_stage(layer: Layer, pe: int, ctx: EngineContext) -> StageDesign:
    """A vector layer as a streaming LUT-logic stage with PE channel lanes: it touches every input
    pixel (pool) or output element (others) once, PE channels per cycle."""
    ch = layer.out_channels
    if layer.op == "pool":
        cycles = layer.batch * layer.in_h * layer.in_w * math.ceil(layer.in_channels / pe)
    elif layer.op == "concat":
        cycles = 0.0
    elif layer.op == "embedding":
        cycles = layer.batch * layer.in_h * layer.in_w * math.ceil(ch / pe)
    else:
        cycles = layer.batch * layer.out_h * layer.out_w * math.ceil(ch / pe)
    res = fr.vector_unit(layer.op, layer.kind, pe, layer.act_bits, layer.in_channels, layer.in_w, layer.kernel_h,
                         ctx.memory_style, ctx.has_uram)
    if layer.op == "embedding":
        mem, _ = fr.memory(pe * layer.weight_bits, layer.in_channels * math.ceil(ch / pe), ctx.memory_style,
                           ctx.has_uram)
        res = res + mem
    res = res + fr.Resources(lut=fr.fifo_luts(pe * layer.out_bits, ctx.fifo_depth))
    return StageDesign(layer.name, pe, 1, float(cycles), res, 0, VectorStageFacts(pe))


def stage_channels(layer: Layer) -> int:
    return layer.in_channels if layer.op == "pool" else layer.out_channels


def candidates(layer: Layer, ctx: EngineContext, fixed: "FoldingChoice | None" = None) -> list[StageDesign]:
    """Every folding of the layer's engine (divisors, as FINN requires), or the one the user fixed."""
    if layer.is_compute:
        work = row_work(layer)
        rows, k = work.rows, work.reduction
        if ctx.mode == "prune" and layer.has_weights and work.kind != "dense":
            rows, k = max(1, work.kept_rows), max(1, work.kept_cols)
        ctxs = [ctx]
        if ctx.mode == "skip" and layer.has_weights and work.kind != "dense":
            ctxs.append(dataclasses.replace(ctx, mode="none"))  # a dense engine where skipping loses
        if fixed is not None:
            pe, simd = fixed.resolve(layer.name, rows, k)
            return [compute_stage(layer, pe, simd, c, work) for c in ctxs]
        return [compute_stage(layer, pe, simd, c, work) for c in ctxs for pe in divisors(rows) for simd in divisors(k)]
    ch = stage_channels(layer)
    if fixed is not None:
        pe, _ = fixed.resolve(layer.name, ch, 1)
        return [vector_stage(layer, pe, ctx)]
    return [vector_stage(layer, pe, ctx) for pe in divisors(ch)]


# ---- user-given folding -------------------------------------------------------------------------
@dataclass(frozen=True)
class FoldingChoice:
    """A user's folding of one layer: PE/SIMD, or a reuse factor resolved to divisors."""

    pe: int = 0
    simd: int = 0
    reuse_factor: int = 0

    def resolve(self, name: str, rows: int, k: int) -> tuple[int, int]:
        where = f"folding of layer '{name}'"
        if self.reuse_factor:
            # hls4ml: RF must make ⌈rows/PE⌉·⌈K/SIMD⌉ = RF with divisor lanes; take the most PEs.
            options = [(pe, simd) for pe in divisors(rows) for simd in divisors(k)
                       if (rows // pe) * (k // simd) == self.reuse_factor]
            if not options:
                valid = sorted({(rows // pe) * (k // s) for pe in divisors(rows) for s in divisors(k)})
                near = sorted(valid, key=lambda v: abs(v - self.reuse_factor))[:4]
                raise CosimError(f"{where}: reuse_factor {self.reuse_factor} does not divide the {rows}x{k} "
                                 f"weight matrix evenly; valid nearby values: {', '.join(map(str, sorted(near)))}")
            return max(options)
        pe, simd = self.pe or 1, self.simd or 1
        require(rows % pe == 0, f"{where}: pe {pe} must divide the {rows} output channels; "
                                f"use one of {', '.join(map(str, divisors(rows)))}")
        require(k % simd == 0, f"{where}: simd {simd} must divide the reduction length {k}; "
                               f"use one of {', '.join(map(str, divisors(k)))}")
        return pe, simd


# ---- pipeline folding ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Frontier:
    """A stage's foldings sorted by cycles with the running cheapest: pick(T) = cheapest with cycles ≤ T."""

    designs: tuple[StageDesign, ...]
    cycles: np.ndarray  # ascending
    best: np.ndarray  # index of the cheapest design among designs[: i + 1]

    @classmethod
    def build(cls, designs: Sequence[StageDesign]) -> "Frontier":
        # Sort by cycles, then area, then larger SIMD (deterministic ties).
        ds = tuple(sorted(designs, key=lambda d: (d.cycles, d.area, -d.simd, -d.pe)))
        best, cur = np.empty(len(ds), dtype=np.int64), 0
        for i, d in enumerate(ds):
            if d.area < ds[cur].area - 1e-9:
                cur = i
            best[i] = cur
        return cls(ds, np.array([d.cycles for d in ds], dtype=float), best)

    def pick_indices(self, targets: np.ndarray) -> np.ndarray:
        """Index (into designs) of the cheapest design with cycles ≤ each target; −1 where none."""
        pos = np.searchsorted(self.cycles, targets, side="right") - 1
        return np.where(pos >= 0, self.best[np.maximum(pos, 0)], -1)


def fold_pipeline(frontiers: Sequence[Frontier], budget: Mapping[str, float], fixed_cost: fr.Resources,
                  max_cycles: float = 0.0) -> tuple[list[StageDesign], bool]:
    """Choose one design per stage: the smallest initiation interval T whose design fits ``budget``
    (with ``fixed_cost`` added), or, with ``max_cycles`` > 0, the largest T ≤ max_cycles that fits
    (the cheapest pipeline reaching a target rate). Returns (designs, fits); when nothing fits, the
    cheapest designs are returned with fits = False."""
    targets = np.unique(np.concatenate([f.cycles for f in frontiers]))
    floor = max(float(f.cycles[0]) for f in frontiers)
    targets = targets[targets >= floor]
    picks = np.stack([f.pick_indices(targets) for f in frontiers])  # (stages, targets)
    totals = np.zeros((len(targets), len(fr.RESOURCES)))
    for s, f in enumerate(frontiers):
        table = np.array([[d.resources.as_dict()[r] for r in fr.RESOURCES] for d in f.designs])
        totals += table[picks[s]]
    totals += np.array([fixed_cost.as_dict()[r] for r in fr.RESOURCES])
    limit = np.array([budget[r] for r in fr.RESOURCES]) + 1e-9
    fits = np.all(totals <= limit, axis=1)
    if max_cycles > 0:
        ok = np.nonzero(fits & (targets <= max_cycles))[0]
        chosen = int(ok[-1]) if len(ok) else -1
    else:
        ok = np.nonzero(fits)[0]
        chosen = int(ok[0]) if len(ok) else -1
    if chosen < 0:  # nothing fits: report the cheapest pipeline so the violations can be named
        return [f.designs[int(f.best[-1])] for f in frontiers], False
    return [f.designs[int(picks[s, chosen])] for s, f in enumerate(frontiers)], True


def load_folding_file(path: str) -> dict[str, FoldingChoice]:
    """Per-layer folding YAML: ``layer_name: {pe: 4, simd: 8}`` or ``layer_name: {reuse_factor: 16}``."""
    from pathlib import Path

    from cosim.hw.loader import read_yaml

    data = read_yaml(Path(path), "folding")
    require(isinstance(data, Mapping),
            f"folding file '{path}' must map layer names to {{pe, simd}} or {{reuse_factor}}")
    out = {}
    for name, entry in data.items():
        require(isinstance(entry, Mapping) and set(entry) <= {"pe", "simd", "reuse_factor"} and entry,
                f"folding file '{path}': entry '{name}' must be {{pe: .., simd: ..}} or {{reuse_factor: ..}}")
        vals = {k: entry[k] for k in entry}
        for k, v in vals.items():
            require(isinstance(v, int) and not isinstance(v, bool) and v >= 1,
                    f"folding file '{path}': {name}.{k} must be a positive integer, got {v!r}")
        require(("reuse_factor" in vals) != ("pe" in vals or "simd" in vals),
                f"folding file '{path}': entry '{name}' gives either pe/simd or reuse_factor, not both")
        out[str(name)] = FoldingChoice(**vals)
    return out


def user_folding(spec) -> dict[str, FoldingChoice]:
    """The spec's per-layer folding: the ``folding_file`` entries, then ``folding`` entries over them."""
    out: dict[str, FoldingChoice] = {}
    if spec.dataflow.folding_file:
        out.update(load_folding_file(spec.dataflow.folding_file))
    for name, f in spec.dataflow.folding.items():
        out[name] = FoldingChoice(pe=f.pe, simd=f.simd, reuse_factor=f.reuse_factor)
    return out
