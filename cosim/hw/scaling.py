"""Technology scaling of on-chip energy per operation between CMOS nodes.

Model (one factor for all on-chip dynamic energies: MACs, adders, registers, SRAM):

* 7–130 nm: Stillmaker & Baas's fitted energy equations. For each node they fit energy per operation,
  relative to a reference circuit, as a quadratic in the supply voltage,
  ``E(node, Vdd) = a·Vdd² + b·Vdd + c`` (A. Stillmaker, B. Baas, "Scaling equations for the accurate
  prediction of CMOS device performance from 180 nm to 7 nm", Integration, the VLSI Journal 58, 2017,
  pp. 74–81, doi:10.1016/j.vlsi.2017.02.002; coefficients as tabulated for 130–7 nm in Accelergy's
  hwcomponents ``scaling/techscaling.py``). cosim evaluates each node at its nominal supply voltage
  (the ``_NODES`` table below) and treats an energy table as being at the nominal voltage of its node.
* 130–180 nm: one more anchor from classical constant-field scaling (Dennard et al., JSSC 1974):
  E ∝ C·V² with C ∝ feature size, so E(180) = E(130) · (180/130) · (1.8 V / 1.3 V)².
* below 7 nm: energy per switch falls only with the square root of the feature size (the IRDS 2016/2017
  projection that Accelergy's hwcomponents also applies beyond its table).

Between anchors the factor is interpolated linearly in log(node)–log(energy) (a power law per segment),
so it is continuous and increases monotonically with the node.

DRAM energy is *not* scaled here: it is set by the DRAM part and its interface, not by the logic node
of the accelerator (cosim/hw/energy_tables.py keeps DRAM per-bit energies as they are).

Sanity check against classical scaling (tests/test_scaling.py): 45 → 65 nm gives 1.65× here versus
(65/45)·(1.1/1.0)² = 1.75× classically; 45 → 32 nm 0.53× versus 0.58×.
"""

from __future__ import annotations

import functools
import math
from functools import lru_cache

from cosim.errors import require

MIN_NODE_NM = 3.0
MAX_NODE_NM = 180.0

# node nm: (a, b, c, nominal Vdd in V). a, b, c: Stillmaker & Baas 2017 energy fit (see module doc).
# Nominal voltages: 130 nm 1.3 V … 45 nm 1.0 V, 32 nm 0.9 V (PTM bulk nodes), 20/16 nm 0.9/0.85 V,
# 14 nm 0.8 V, 10 nm 0.75 V, 7 nm 0.7 V (the ITRS-projected supplies used for the FinFET nodes).
_NODES: dict[int, tuple[float, float, float, float]] = {
    130: (7.171, -6.709, 2.904, 1.3),
    90: (4.762, -4.781, 2.092, 1.2),
    65: (3.755, -4.398, 1.975, 1.1),
    45: (1.103, -0.362, 0.2767, 1.0),
    32: (0.9559, -0.7823, 0.471, 0.9),
    20: (0.373, -0.1582, 0.04104, 0.9),
    16: (0.2958, -0.1241, 0.03024, 0.85),
    14: (0.2363, -0.09675, 0.02239, 0.8),
    10: (0.2068, -0.09311, 0.02375, 0.75),
    7: (0.1776, -0.09097, 0.02447, 0.7),
}


def _fit_energy(node: int) -> float:
    a, b, c, vdd = _NODES[node]
    return a * vdd * vdd + b * vdd + c


@lru_cache(maxsize=1)
def _anchors() -> tuple[tuple[float, float], ...]:
    """(node nm, energy relative to 45 nm), ascending by node, 7 … 180 nm."""
    ref = _fit_energy(45)
    pts = {float(n): _fit_energy(n) / ref for n in _NODES}
    # Classical constant-field step 130 → 180 nm (Dennard 1974): E ∝ L · Vdd².
    pts[180.0] = pts[130.0] * (180.0 / 130.0) * (1.8 / _NODES[130][3]) ** 2
    return tuple(sorted(pts.items()))


@functools.lru_cache(maxsize=256)
def relative_energy_per_op(node_nm: float) -> float:
    """Energy per operation at ``node_nm`` relative to 45 nm (dimensionless; 1.0 at 45 nm).

    Stillmaker & Baas 2017 fits at nominal voltage (7–130 nm), classical scaling to 180 nm, √node
    below 7 nm (see the module docstring).
    """
    require(MIN_NODE_NM <= node_nm <= MAX_NODE_NM,
            f"technology node {node_nm} nm is outside the scaling model's {MIN_NODE_NM:g}..{MAX_NODE_NM:g} nm")
    pts = _anchors()
    lo_node, lo_e = pts[0]
    if node_nm <= lo_node:  # below 7 nm: √node (IRDS projection)
        return lo_e * math.sqrt(node_nm / lo_node)
    for (n0, e0), (n1, e1) in zip(pts, pts[1:]):
        if node_nm <= n1:
            t = math.log(node_nm / n0) / math.log(n1 / n0)
            return math.exp(math.log(e0) + t * (math.log(e1) - math.log(e0)))
    return pts[-1][1]  # node_nm == 180 exactly is caught above; kept for safety


def energy_scale_factor(from_nm: float, to_nm: float) -> float:
    """Multiply an on-chip energy measured at ``from_nm`` by this to get it at ``to_nm``.

    Dimensionless; 1.0 when the nodes are equal; > 1 when scaling to a larger node.
    """
    if from_nm == to_nm:
        return 1.0
    return relative_energy_per_op(to_nm) / relative_energy_per_op(from_nm)
