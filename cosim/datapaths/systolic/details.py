"""The systolic datapath's per-layer facts, as typed records (reports print them under ``details``)."""

from __future__ import annotations

from dataclasses import dataclass

from cosim.perf import Details


@dataclass(frozen=True)
class SparseRunDetails(Details):
    """How sparsity ran on the array (cosim/datapaths/systolic/sparse.py)."""

    weight_pattern: str
    weight_run: str
    skipping: str
    zero_gating: bool
    act_density: float
    array_k: int
    filter_format: str
    filter_stored_bytes: int
    filter_dense_bytes: int
    ifmap_format: str
    weight_source: str
    activation_source: str
    stream_cycles: int
    dense_stream_cycles: int
    dense_total_cycles: int
    ideal_speedup: float  # dense MACs over the MACs a perfect skipping array must run
    achieved_speedup: float  # dense run's cycles over the sparse run's
    nm_pattern: str | None = None
    load_imbalance: float | None = None  # Σ busiest lane / Σ mean lane over folds (lane skipping)
    lane_max_nonzeros: int | None = None
    lane_busiest_sum: float | None = None
    lane_mean_sum: float | None = None


@dataclass(frozen=True)
class SystolicDetails(Details):
    """Folds, chunks, stalls and SCALE-Sim-comparable access counts of one compute layer."""

    dataflow: str
    timing: str
    gemm: tuple[int, int, int, int]  # (groups, M, N, K)
    folds: int
    row_folds: int
    col_folds: int
    chunks: int
    sram_stall_cycles: int
    dram_stall_cycles: int
    # Element counts comparable with SCALE-Sim's DETAILED_ACCESS_REPORT (array-side SRAM, DRAM side).
    sram_ifmap_reads: int
    sram_filter_reads: int
    sram_ofmap_writes: int
    sram_ofmap_psum_reads: int
    dram_ifmap_reads: int
    dram_filter_reads: int
    dram_ofmap_writes: int
    sparse: SparseRunDetails | None = None
    # The mapping (cosim/datapaths/systolic/mapper.py); mapped False: the fixed tiling (mapper: off,
    # SCALE-Sim timing, or no tile fits) and the fields below are None.
    mapped: bool = False
    loop_order: str | None = None  # outermost loop first, e.g. 'n>c>m'
    tile_m: int | None = None  # output positions per SRAM tile
    tile_n: int | None = None  # filters per SRAM tile
    tile_c: int | None = None  # input channels per SRAM tile (each with its whole kernel window)
    transfers_overlap: bool | None = None  # double-buffered halves overlapping compute, else serialised

    def fallback_note(self, layer, spec) -> str | None:
        sp = layer.weight_sparsity
        if not layer.has_weights or sp.is_dense or sp.kind == "channel":  # pruned filters: a smaller GEMM
            return None
        run = self.sparse
        if run is None or run.skipping == "none":
            gated = run is not None and run.zero_gating
            return (f"{sp.label} weights run at dense speed: the array skips no zeros "
                    f"({'zero weights are gated' if gated else 'zero weights are multiplied'}; sparsity.skipping: none)")
        if run.nm_pattern is None and run.skipping == "nm":
            return run.weight_run
        if run.skipping == "unstructured" and "lane_decoupling: false" in run.weight_run:
            return run.weight_run
        if run.nm_pattern and sp.kind == "nm" and run.nm_pattern != f"{sp.n}:{sp.m}":
            return f"{sp.label} weights run as {run.nm_pattern} (the densest listed pattern they fit)"
        return None

    def to_dict(self) -> dict:
        out = super().to_dict()
        out.pop("sparse", None)
        if self.sparse is not None:  # flat, as the report's details columns have always been
            out.update(self.sparse.to_dict())
        return out


@dataclass(frozen=True)
class VectorUnitDetails(Details):
    """A vector layer on the array's SIMD vector unit (cosim/datapaths/vector.py)."""

    unit: str
    lanes: int
    dram_stall_cycles: int
