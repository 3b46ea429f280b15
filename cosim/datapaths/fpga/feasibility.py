"""Does an FPGA design fit its board? Structured violations for sweeps, one-line errors for users.

A design that does not fit is never reported as if it ran: ``cosim simulate`` raises a CosimError
naming the resource over budget, by how much and the layer that uses most of it (CLI exit 2);
``check_feasibility`` returns the same facts as data so a sweep can record "infeasible: <reason>".
The budget is the device's resources less the shell's, times the usable fraction for timing closure
(cosim/hw/fpga_spec.py, FpgaDevice.budget).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from cosim.errors import CosimError

RESOURCE_LABELS = {"lut": "LUT", "dsp": "DSP", "bram36": "BRAM36", "uram": "URAM"}


@dataclass(frozen=True)
class Violation:
    """One resource over budget: how much is needed, how much may be used, and the biggest user."""

    resource: str  # lut | dsp | bram36 | uram
    used: float
    budget: float
    layer: str  # the layer using most of the resource ('(overlay engine)' for an overlay)
    layer_amount: float

    @property
    def over(self) -> float:
        """Amount over budget, in the resource's unit."""
        return self.used - self.budget

    def message(self, design: str) -> str:
        label = RESOURCE_LABELS.get(self.resource, self.resource)
        return (f"{design} does not fit: {label} needs {self.used:,.1f} but {self.budget:,.1f} are usable, "
                f"{self.over:,.1f} over budget; largest user is layer '{self.layer}' "
                f"({self.layer_amount:,.1f} {label})")


def find_violations(usage_by_layer: Mapping[str, Mapping[str, float]], budget: Mapping[str, float],
                    fixed: Mapping[str, float] | None = None, fixed_name: str = "(pipeline FIFOs)") -> list[Violation]:
    """Violations of ``budget`` by the summed ``usage_by_layer`` (+ ``fixed`` shared costs)."""
    out = []
    for res, limit in budget.items():
        per_layer = {name: float(u.get(res, 0.0)) for name, u in usage_by_layer.items()}
        if fixed:
            per_layer[fixed_name] = per_layer.get(fixed_name, 0.0) + float(fixed.get(res, 0.0))
        used = sum(per_layer.values())
        if used > limit + 1e-9:
            top = max(per_layer, key=lambda n: (per_layer[n], n))
            out.append(Violation(res, used, float(limit), top, per_layer[top]))
    return out


def raise_if_infeasible(violations: list[Violation], design: str, fix: str = "") -> None:
    """Raise a CosimError for the worst violation (largest fraction over budget), if any."""
    if violations:
        v = max(violations, key=lambda v: v.over / max(v.budget, 1e-9))
        if not fix:
            fix = ("pick a smaller engine (fewer cores or less parallelism) or a larger board"
                   if v.layer == "(overlay engine)" else "fold that layer more (smaller pe/simd), prune or "
                   "quantize it, or pick a larger board")
        raise CosimError(f"{v.message(design)}; {fix}")


def pipeline_violations(designs, fixed, spec) -> list[Violation]:
    """Violations of a dataflow pipeline: its engines' resources plus the shared residual FIFOs."""
    usage = {d.layer: d.resources.as_dict() for d in designs}
    return find_violations(usage, spec.device.budget(), fixed.as_dict(), "(residual FIFOs)")
