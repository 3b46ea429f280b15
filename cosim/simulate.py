"""The chain: walk a layer graph, evaluate its sites on the accelerator's datapath, price the actions,
total the network, build the Report.

workload → (pruning) → walk (cosim/walk.py) → datapath ``evaluate`` (cosim/datapaths/<kind>/datapath.py)
→ energy (cosim/energy.py) → totals → report: this module is the chain; it holds no model of its own.
:func:`evaluate_network` runs it for many designs at once — the search calls it with thousands,
:func:`simulate` with one — so a sweep's numbers are the simulator's by construction.
"""

from __future__ import annotations

import importlib
import sys
import types
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from cosim import __version__
from cosim.attribution import dominant, latency_by_bound, layer_split, scaled_to
from cosim.cache import DEFAULT, EvalCache
from cosim.energy import PricedBatch, price_batch, unpriced_message
from cosim.errors import CosimError, require
from cosim.graph import Layer, LayerGraph
from cosim.hw.cost import DesignCosts, design_costs
from cosim.hw.designs import Designs
from cosim.perf import BOUNDS, SOURCES, BatchPerf, FusedDetails, LayerPerf
from cosim.precision import format_refusal, layer_format, precision_summary
from cosim.report import LayerResult, Report, Total
from cosim.walk import Walk, standalone_walk, walk

# Spec kind → datapath module: ``evaluate(walk, specs, cache) -> BatchPerf`` and ``site_policy(specs)``.
DATAPATHS = {
    "systolic": "cosim.datapaths.systolic.datapath",
    "sparse_tensor_core": "cosim.datapaths.tensor_core.datapath",
    "fpga": "cosim.datapaths.fpga.datapath",
}


class ModelCheckError(CosimError):
    """A datapath returned a physically impossible number (negative cycles, utilization above 1): a
    defect of the model, reported with the model, layer and design instead of a silent result."""


def datapath_module(spec_or_kind: Any):
    kind = spec_or_kind if isinstance(spec_or_kind, str) else getattr(spec_or_kind, "kind", None)
    if kind not in DATAPATHS:
        raise CosimError(f"accelerator kind '{kind}' has no datapath model; use one of {', '.join(DATAPATHS)}")
    return importlib.import_module(DATAPATHS[kind])


def as_designs(designs: Designs | Sequence[Any]) -> Designs:
    return designs if isinstance(designs, Designs) else Designs.of(designs)


def network_walk(graph: LayerGraph, designs: Designs | Sequence[Any], fuse: bool = True) -> Walk:
    """The walk of ``graph`` as the datapath of ``designs`` (one kind) wants its sites."""
    d = as_designs(designs)
    distinct, names_matter = datapath_module(d.base).site_policy(d)
    return walk(graph, fuse=fuse, distinct=distinct, names_matter=names_matter)


@dataclass(frozen=True, eq=False)
class NetworkResult:
    """A network on many designs: the datapath's sites × designs, their energy, and network totals per
    design (arrays of shape (designs,); units in the names)."""

    walk: Walk
    designs: Designs
    perf: BatchPerf
    energy: PricedBatch
    site_latency_s: np.ndarray  # (sites, designs)
    feasible: np.ndarray
    reasons: tuple[str, ...]
    total_cycles: np.ndarray
    latency_s: np.ndarray
    energy_pj: np.ndarray
    energy_pj_by_component: dict[str, np.ndarray]
    compute_cycles: np.ndarray
    stall_cycles: np.ndarray
    macs: np.ndarray
    effectual_macs: np.ndarray
    dram_read_bytes: np.ndarray
    dram_write_bytes: np.ndarray
    sram_read_bytes: np.ndarray
    sram_write_bytes: np.ndarray
    utilization: np.ndarray  # NaN where the design states no peak
    throughput_inferences_per_s: np.ndarray
    costs: DesignCosts  # area by component, static power, FPGA board fraction (cosim/hw/cost.py)

    @property
    def area_mm2(self) -> np.ndarray:
        return self.costs.area_mm2

    @property
    def edp_pj_s(self) -> np.ndarray:
        return self.energy_pj * self.latency_s


def evaluate_network(w: Walk, designs: Designs | Sequence[Any], cache: EvalCache = DEFAULT) -> NetworkResult:
    """Every site of ``w`` on every design (a cosim.hw.designs.Designs, or specs of one kind), priced
    and totalled."""
    d = as_designs(designs)
    n = len(d)
    check_formats(w, d)
    perf = datapath_module(d.base).evaluate(w, d, cache)
    cycle_s = perf.cycle_s
    site_cycles = perf.total_cycles
    site_latency = site_cycles * cycle_s[None, :]
    costs = design_costs(d, perf)
    energy = price_batch(perf.actions, d, site_latency, costs.static_power_mw)
    feasible = perf.feasible.copy()
    reasons = list(perf.reasons)
    for j, action in enumerate(energy.unpriced):
        if action is not None and feasible[j]:
            feasible[j], reasons[j] = False, unpriced_message(action)
    _check_plausible(w, d, perf, feasible)
    counts = w.counts

    def total(arr) -> np.ndarray:  # Σ over sites × multiplicity (exact for integer arrays)
        arr = np.asarray(arr)
        return np.einsum("i,ij->j", counts if arr.dtype.kind in "iub" else counts.astype(np.float64), arr)

    by_comp = {c: total(v) for c, v in energy.by_component.items()}
    compute, stall = total(perf.compute_cycles), total(perf.stall_cycles)
    net = perf.network
    total_cycles = (net.total_cycles if net is not None else compute + stall).astype(np.float64)
    latency = (net.latency_cycles if net is not None else total_cycles) * cycle_s
    energy_pj = sum(by_comp.values()) if by_comp else np.zeros(n)
    eff = total(perf.effectual_macs)
    peak = perf.peak_macs_per_cycle
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where((peak > 0) & (total_cycles > 0), eff / (peak * total_cycles), np.where(peak > 0, 0.0, np.nan))
        thr = net.throughput_inferences_per_s if net is not None else np.where(latency > 0, w.batch / latency, 0.0)
    over = np.nonzero(feasible & (util > 1.0 + 1e-9) & _physical(d)[0])[0]
    if over.size:
        spec = d.spec(int(over[0]))
        raise ModelCheckError(f"model check failed: the {spec.kind} datapath gives network utilization "
                              f"{util[over[0]]:.4f} for '{w.name}' on '{spec.name}'; this is a defect of cosim's "
                              "model, please report it with the accelerator and workload files")
    return NetworkResult(
        walk=w, designs=d, perf=perf, energy=energy, site_latency_s=site_latency, feasible=feasible,
        reasons=tuple(reasons), total_cycles=total_cycles, latency_s=latency, energy_pj=energy_pj,
        energy_pj_by_component=by_comp, compute_cycles=compute, stall_cycles=stall, macs=total(perf.macs),
        effectual_macs=eff, dram_read_bytes=total(perf.dram_read_bytes), dram_write_bytes=total(perf.dram_write_bytes),
        sram_read_bytes=total(sum(perf.sram_read_bytes.values())) if perf.sram_read_bytes else np.zeros(n),
        sram_write_bytes=total(sum(perf.sram_write_bytes.values())) if perf.sram_write_bytes else np.zeros(n),
        utilization=util, throughput_inferences_per_s=np.asarray(thr, dtype=np.float64), costs=costs)


def check_formats(w: Walk, d: Designs) -> None:
    """A declared number format (cosim/precision.py) the designs lack is a one-line error: a precision
    is the workload's, so no design of the batch could run it any other way."""
    declared = {s.layer.number_format: s.layer.name for s in w.sites if s.layer.is_compute and s.layer.number_format}
    for fmt, name in declared.items():
        why = format_refusal(d.base, fmt)
        if why is not None:
            raise CosimError(f"layer '{name}': {why}")


def _check_plausible(w: Walk, d: Designs, perf: BatchPerf, feasible: np.ndarray) -> None:
    """Cycles and bytes are never negative and utilization never exceeds 1, on every design that ran.

    SCALE-Sim-compatible timing (``timing: scalesim``) reproduces SCALE-Sim 3.0.0's cycle counts even
    where they are physically short (its folds·(R+C+T−2)−1 gives a 1×1 array one cycle for a 2-MAC
    product), so utilization is not checked there."""
    physical = _physical(d)
    checks = (("compute_cycles", perf.compute_cycles < 0), ("stall_cycles", perf.stall_cycles < 0),
              ("dram_read_bytes", perf.dram_read_bytes < 0), ("dram_write_bytes", perf.dram_write_bytes < 0),
              ("utilization", ~(perf.utilization <= 1.0 + 1e-9) & physical))
    for name, bad in checks:
        bad = bad & feasible[None, :]
        if bad.any():
            i, j = (int(x[0]) for x in np.nonzero(bad))
            value = getattr(perf, name)[i, j]
            spec = d.spec(j)
            raise ModelCheckError(
                f"model check failed: the {spec.kind} datapath gives {name} = {value} for layer "
                f"'{w.sites[i].layer.name}' on '{spec.name}'; this is a defect of cosim's model, please "
                "report it with the accelerator and workload files")


def _physical(d: Designs) -> np.ndarray:
    """(1, designs): True where the timing is physical (not SCALE-Sim-compatible, see _check_plausible)."""
    try:
        return (d.value("timing") != "scalesim")[None, :]
    except AttributeError:  # datapaths without a SCALE-Sim mode
        return np.ones((1, len(d)), dtype=bool)


# ---- one design ---------------------------------------------------------------------------------
def simulate_layer(layer: Layer, spec: Any, cache: EvalCache = DEFAULT) -> LayerPerf:
    """``layer`` run on its own on ``spec`` (as a benchmark times it: nothing fused, no producer or
    consumer); raises CosimError where the design cannot run it."""
    res = evaluate_network(standalone_walk(layer), [spec], cache)
    if not res.feasible[0]:
        raise CosimError(res.reasons[0])
    return res.perf.layer_perf(0, 0)


def simulate(graph: LayerGraph, accelerator: Any, *, batch: int | None = None, fuse: bool = True,
             inputs: Mapping[str, Any] | None = None, cache: EvalCache = DEFAULT) -> Report:
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
    if not len(graph):
        raise CosimError(f"workload '{graph.name}' has no layers; nothing to simulate")
    res = evaluate_network(network_walk(graph, [spec], fuse), [spec], cache)
    if not res.feasible[0]:
        raise CosimError(res.reasons[0])
    return build_report(res, 0, inputs)


def network_cost(spec: Any, metric: str = "latency_s", cache: EvalCache = DEFAULT) -> Callable[[LayerGraph], float]:
    """``graph -> total latency_s | energy_pj`` of ``graph`` on ``spec``, as :func:`simulate` reports it
    (fusion included); layers already evaluated come from ``cache`` by value (masks by digest), so a
    search over per-layer pruning levels pays only for the layers it changes."""
    require(metric in ("latency_s", "energy_pj"), f"cost metric '{metric}' is unknown; use latency_s or energy_pj")

    def cost(graph: LayerGraph) -> float:
        res = evaluate_network(network_walk(graph, [spec]), [spec], cache)
        if not res.feasible[0]:
            raise CosimError(res.reasons[0])
        return float(res.latency_s[0] if metric == "latency_s" else res.energy_pj[0])

    return cost


def build_report(res: NetworkResult, j: int, inputs: Mapping[str, Any] | None = None) -> Report:
    """The Report of design ``j`` of ``res``: one LayerResult per layer of the network, and the totals."""
    from cosim.hw.schema import to_mapping

    w, spec, perf = res.walk, res.designs.spec(j), res.perf
    cycle_s = spec.cycle_s
    col = {f: getattr(perf, f)[:, j].tolist() for f in (
        "compute_cycles", "stall_cycles", "macs", "effectual_macs", "skipped_macs", "gated_macs", "vector_ops",
        "metadata_bytes", "dram_read_bytes", "dram_write_bytes", "utilization", "mapping_efficiency", "source",
        "bound")}
    rd = {b: v[:, j].tolist() for b, v in perf.sram_read_bytes.items()}
    wr = {b: v[:, j].tolist() for b, v in perf.sram_write_bytes.items()}
    comps = [(c, v[:, j].tolist(), res.energy.present(c)[:, j].tolist()) for c, v in res.energy.by_component.items()]
    site_details: dict[int, Any] = {}
    site_split: dict[int, dict[str, float]] = {}  # where each site's time goes (cosim/attribution.py)
    site_traffic: dict[int, tuple] = {}
    peak = spec.peak_macs_per_cycle
    layers = []
    for layer, i in zip(w.layers, w.site_index.tolist()):
        details = site_details.get(i)
        if details is None:
            details = site_details[i] = perf.details(i, j)
        if isinstance(details, FusedDetails):
            details = FusedDetails(w.owners[layer.name])
        total = col["compute_cycles"][i] + col["stall_cycles"][i]
        split = site_split.get(i) if not isinstance(details, FusedDetails) else {"fused": 1.0}
        if split is None:
            split = site_split[i] = layer_split(types.SimpleNamespace(
                details=details, compute_cycles=col["compute_cycles"][i], stall_cycles=col["stall_cycles"][i],
                macs=col["macs"][i], skipped_macs=col["skipped_macs"][i], bound=BOUNDS[col["bound"][i]],
                mapping_efficiency=col["mapping_efficiency"][i]), peak)
        latency_s = total * cycle_s
        traffic = site_traffic.get(i)
        if traffic is None:  # per site, shared (read-only) by the layers that are that site
            by_rd, by_wr = {b: v[i] for b, v in rd.items()}, {b: v[i] for b, v in wr.items()}
            traffic = site_traffic[i] = (by_rd, by_wr, sum(by_rd.values()), sum(by_wr.values()),
                                         {c: v[i] for c, v, present in comps if present[i]})
        by_rd, by_wr, rd_sum, wr_sum, energy = traffic
        layers.append(LayerResult(
            name=layer.name, op=layer.op, groups=layer.groups, M=layer.gemm_m, N=layer.gemm_n, K=layer.gemm_k,
            macs=col["macs"][i], effectual_macs=col["effectual_macs"][i], skipped_macs=col["skipped_macs"][i],
            gated_macs=col["gated_macs"][i], vector_ops=col["vector_ops"][i], compute_cycles=col["compute_cycles"][i],
            stall_cycles=col["stall_cycles"][i], total_cycles=total, latency_s=latency_s,
            utilization=col["utilization"][i], mapping_efficiency=col["mapping_efficiency"][i],
            sram_read_bytes=rd_sum, sram_write_bytes=wr_sum,
            dram_read_bytes=col["dram_read_bytes"][i], dram_write_bytes=col["dram_write_bytes"][i],
            metadata_bytes=col["metadata_bytes"][i],
            energy_pj=energy,
            sparsity_source=SOURCES[col["source"][i]], bound=dominant(split, BOUNDS[col["bound"][i]]),
            latency_s_by_bound={b: v * latency_s for b, v in split.items()},
            sram_read_bytes_by_buffer=by_rd, sram_write_bytes_by_buffer=by_wr, details=details,
            precision=layer_format(layer), note=details.fallback_note(layer, spec) or ""))
    net = perf.network
    total = Total(
        total_cycles=int(res.total_cycles[j]), latency_s=float(res.latency_s[j]), energy_pj=float(res.energy_pj[j]),
        macs=int(res.macs[j]), effectual_macs=int(res.effectual_macs[j]), compute_cycles=int(res.compute_cycles[j]),
        stall_cycles=int(res.stall_cycles[j]), dram_read_bytes=int(res.dram_read_bytes[j]),
        dram_write_bytes=int(res.dram_write_bytes[j]), sram_read_bytes=int(res.sram_read_bytes[j]),
        sram_write_bytes=int(res.sram_write_bytes[j]),
        utilization=0.0 if np.isnan(res.utilization[j]) else float(res.utilization[j]),
        energy_pj_by_component={c: float(v[j]) for c, v in res.energy_pj_by_component.items()
                                if res.energy.present(c)[:, j].any()},
        throughput_inferences_per_s=float(res.throughput_inferences_per_s[j]), edp_pj_s=float(res.edp_pj_s[j]),
        details=net.details(j) if net is not None else None,
        # A pipelined design's layers overlap: their split, scaled to the pipeline's latency.
        latency_s_by_bound=scaled_to(latency_by_bound([l.latency_s_by_bound for l in layers]),
                                     float(res.latency_s[j])),
        precision=precision_summary(w.layers),
        area_mm2=float(res.costs.area_mm2[j]),
        area_mm2_by_component={c: float(v[j]) for c, v in res.costs.area_mm2_by_component.items() if v[j] > 0},
        static_power_mw=float(res.costs.static_power_mw[j]), board_fraction=float(res.costs.board_fraction[j]))
    return Report(
        cosim_version=__version__, accelerator=spec.name, accelerator_kind=spec.kind, workload=w.name,
        batch=w.batch, layers=tuple(layers), total=total,
        inputs={"accelerator": to_mapping(spec), "fuse": w.fuse, **(inputs or {})},
        notes=fallback_notes(layers, spec.name))


def fallback_notes(layers: Sequence[LayerResult], accelerator: str) -> tuple[str, ...]:
    """One line per distinct fallback: what ran instead, on how many layers, the first few named."""
    groups: dict[str, list[str]] = {}
    for l in layers:
        if l.note:
            groups.setdefault(l.note, []).append(l.name)
    return tuple(f"{note} on '{accelerator}': {len(names)} layer(s) ({', '.join(names[:3])}"
                 f"{', ...' if len(names) > 3 else ''})" for note, names in groups.items())


class _CallableModule(types.ModuleType):
    """``cosim.simulate`` names both this module and its :func:`simulate`; importing the module binds the
    module to the package attribute, so the module itself is callable as the function."""

    def __call__(self, *args, **kwargs) -> Report:
        return simulate(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
