"""Per-layer and per-network results, and their JSON / CSV / text forms.

Every column carries its unit in its name (``*_cycles``, ``*_bytes``, ``energy_pj``, ``latency_s``).
Reports record the cosim version, the accelerator spec and the workload, so a number can be traced
back to its inputs. Files are written atomically (temporary file, then rename): an error never leaves
a half-written report behind.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from cosim.attribution import time_by_bound
from cosim.outputs import write_atomic
from cosim.perf import Details, NoDetails
from cosim.units import eng


@dataclass(frozen=True)
class LayerResult:
    name: str
    op: str
    groups: int
    M: int
    N: int
    K: int
    macs: int
    effectual_macs: int
    skipped_macs: int
    gated_macs: int
    vector_ops: int
    compute_cycles: int
    stall_cycles: int
    total_cycles: int
    latency_s: float
    utilization: float
    mapping_efficiency: float
    sram_read_bytes: int
    sram_write_bytes: int
    dram_read_bytes: int
    dram_write_bytes: int
    metadata_bytes: int
    energy_pj: Mapping[str, float]  # by component: mac, register, sram_<buffer>, dram, vector, leakage
    sparsity_source: str
    sram_read_bytes_by_buffer: Mapping[str, int] = field(default_factory=dict)
    sram_write_bytes_by_buffer: Mapping[str, int] = field(default_factory=dict)
    details: Details = field(default_factory=NoDetails)  # the datapath's typed record (cosim/perf.py)
    bound: str = "compute"  # what limits the layer's time (cosim.perf.BOUNDS)
    precision: str = ""  # the arithmetic it ran at (cosim/precision.py): int8, fp16, bf16, ...
    note: str = ""  # what ran differently from what the layer declared (sparsity run dense, ...)
    # The layer's latency split by what spends it (cosim/attribution.py); ``bound`` is its largest part.
    latency_s_by_bound: Mapping[str, float] = field(default_factory=dict)

    @property
    def energy_pj_total(self) -> float:
        return float(sum(self.energy_pj.values()))


@dataclass(frozen=True)
class Total:
    total_cycles: int
    latency_s: float
    energy_pj: float
    macs: int
    effectual_macs: int
    compute_cycles: int
    stall_cycles: int
    dram_read_bytes: int
    dram_write_bytes: int
    sram_read_bytes: int
    sram_write_bytes: int
    utilization: float
    energy_pj_by_component: Mapping[str, float]
    throughput_inferences_per_s: float
    edp_pj_s: float  # energy–delay product
    details: Details | None = None  # network-level facts where the datapath has them (FPGA resources, fps)
    # Where the time goes: Σ per-layer latency by what bounds each layer (cosim.perf.BOUNDS). On a
    # pipelined FPGA design the network's latency is the pipeline's, not this sum.
    latency_s_by_bound: Mapping[str, float] = field(default_factory=dict)
    precision: str = ""  # "fp16 on 54 compute layers"
    # Cost of the design (cosim/hw/cost.py): silicon area in total and by component, static power
    # (charged × latency as the 'leakage' energy), and on an FPGA the largest share of any resource
    # of the board it uses (NaN, null in JSON, elsewhere).
    area_mm2: float = float("nan")
    area_mm2_by_component: Mapping[str, float] = field(default_factory=dict)
    static_power_mw: float = 0.0
    board_fraction: float = float("nan")


@dataclass(frozen=True)
class Report:
    cosim_version: str
    accelerator: str
    accelerator_kind: str
    workload: str
    batch: int
    layers: tuple[LayerResult, ...]
    total: Total
    inputs: Mapping[str, Any] = field(default_factory=dict)  # the full spec and run options
    notes: tuple[str, ...] = ()  # what ran differently from what was asked (``cosim simulate --strict`` refuses)
    # The same network with dense weights, where sparsity was asked for (latency_s, latency_s_by_bound,
    # and ``versus``: one line saying which bounds the difference comes from); empty otherwise.
    dense_reference: Mapping[str, Any] = field(default_factory=dict)

    # ---- forms ---------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "cosim_version": self.cosim_version,
            "accelerator": self.accelerator,
            "accelerator_kind": self.accelerator_kind,
            "workload": self.workload,
            "batch": self.batch,
            "inputs": _jsonable(self.inputs),
            "layers": [_record(l) for l in self.layers],
            "total": _record(self.total),
            "notes": list(self.notes),
            **({"dense_reference": _jsonable(self.dense_reference)} if self.dense_reference else {}),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)

    def csv_rows(self) -> list[dict[str, Any]]:
        comps = sorted({c for l in self.layers for c in l.energy_pj})
        rows = []
        for l in self.layers:
            row = {f.name: getattr(l, f.name) for f in fields(l)
                   if f.name not in ("energy_pj", "details", "sram_read_bytes_by_buffer", "sram_write_bytes_by_buffer",
                                 "latency_s_by_bound")}
            row["energy_pj"] = l.energy_pj_total
            for c in comps:
                row[f"energy_{c}_pj"] = l.energy_pj.get(c, 0.0)
            rows.append(row)
        return rows

    def to_csv(self) -> str:
        rows = self.csv_rows()
        buf = io.StringIO()
        if rows:
            w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
        return buf.getvalue()

    def to_table(self, max_rows: int | None = None) -> str:
        """A fixed-width per-layer table with totals, for the terminal."""
        cols = [("layer", 22, "s"), ("op", 7, "s"), ("M", 8, "d"), ("N", 6, "d"), ("K", 6, "d"),
                ("macs", 12, "d"), ("total_cycles", 12, "d"), ("stall_cycles", 12, "d"), ("util_%", 7, ".1f"),
                ("dram_bytes", 12, "d"), ("latency", 9, "r"), ("energy", 9, "r"), ("bound", 10, "s"), ("prec", 5, "s")]
        # "r": text set right (engineering units: 3 significant digits, never "0.00" for a small layer)
        head = " ".join(f"{n:>{w}}" if f != "s" else f"{n:<{w}}" for n, w, f in cols)
        lines = [head, "-" * len(head)]
        layers = self.layers if max_rows is None else self.layers[:max_rows]
        for l in layers:
            vals = [l.name[:22], l.op, l.M, l.N, l.K, l.macs, l.total_cycles, l.stall_cycles,
                    100 * l.utilization, l.dram_read_bytes + l.dram_write_bytes, eng(l.latency_s, "s"),
                    eng(l.energy_pj_total * 1e-12, "J"), l.bound, l.precision if l.M else ""]
            lines.append(" ".join(f"{v:<{w}}" if f == "s" else f"{v:>{w}}" if f == "r" else f"{v:>{w}{f}}"
                                  for v, (n, w, f) in zip(vals, cols)))
        if max_rows is not None and len(self.layers) > max_rows:
            lines.append(f"... {len(self.layers) - max_rows} more layers (see --json/--csv)")
        t = self.total
        lines.append("-" * len(head))
        lines.append(f"total: {t.total_cycles:,} cycles ({t.stall_cycles:,} stall), latency {eng(t.latency_s, 's')}, "
                     f"energy {eng(t.energy_pj * 1e-12, 'J')}, {t.macs:,} MACs ({t.effectual_macs:,} effectual), "
                     f"utilization {100 * t.utilization:.1f}%, DRAM {eng(t.dram_read_bytes + t.dram_write_bytes, 'B')}")
        comp = ", ".join(f"{k} {eng(v * 1e-12, 'J')}" for k, v in sorted(t.energy_pj_by_component.items(), key=lambda kv: -kv[1]))
        lines.append(f"energy by component: {comp}")
        lines.append(f"where the time goes: {time_by_bound(t.latency_s_by_bound)}; precision: {t.precision}")
        # 0 W is no measurement: the spec sets neither energy.leakage_mw nor energy.leakage_model.
        static = (f"static power {eng(t.static_power_mw * 1e-3, 'W')}" if t.static_power_mw > 0 else
                  "static power not modelled (energy.leakage_mw: 0; no leakage energy charged)")
        lines.append(f"cost: area {t.area_mm2:.3g} mm² ({area_parts(t.area_mm2_by_component)}), {static}"
                     + ("" if t.board_fraction != t.board_fraction
                                                     else f", {100 * t.board_fraction:.1f}% of the board"))
        if self.dense_reference.get("versus"):
            lines.append(self.dense_reference["versus"])
        return "\n".join(lines)

    # ---- files ---------------------------------------------------------------------------------
    def write_json(self, path: str | Path) -> None:
        write_atomic(path, self.to_json())

    def write_csv(self, path: str | Path) -> None:
        write_atomic(path, self.to_csv())


def area_parts(parts: Mapping[str, float]) -> str:
    """``"sram_ifmap 0.62, mac 0.41"``: area components in mm², largest first."""
    return ", ".join(f"{k} {v:.3g}" for k, v in sorted(parts.items(), key=lambda kv: -kv[1])) or "none"


def _record(obj: Any) -> dict[str, Any]:
    """A result record as JSON-ready values; its details in their own JSON form."""
    out = {f.name: getattr(obj, f.name) for f in fields(obj)}
    details = out.get("details")
    out["details"] = details.to_dict() if isinstance(details, Details) else {}
    return _jsonable(out)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalars
        return obj.item()
    if isinstance(obj, float) and obj != obj:
        return None
    return obj
