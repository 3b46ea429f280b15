"""Technology scaling of silicon area between CMOS nodes: logic by Stillmaker & Baas's published
factors, SRAM by the published 6T bit cell of each node (SRAM cells scale worse than logic below
~28 nm, so one factor for both would misprice a buffer-heavy design).

* Logic (MACs, flip-flops, sparse-feature logic, wires' pitch): A. Stillmaker, B. Baas, "Scaling
  equations for the accurate prediction of CMOS device performance from 180 nm to 7 nm", Integration,
  the VLSI Journal 58, 2017, pp. 74–81, doi:10.1016/j.vlsi.2017.02.002, area scaling factors from
  45 nm to each node 130–7 nm (the factors as tabulated from the paper in Accelergy's hwcomponents
  ``scaling/techscaling.py``, row 45 nm). Beyond the table (180 nm, below 7 nm) the classical ∝ node²
  rule (Dennard et al., JSSC 1974) continues from the nearest tabulated node — a stated extrapolation.
* SRAM bit cells: the high-density 6T cell each node's foundry or IDM published (µm²), table
  :data:`SRAM_CELL_UM2` with its sources; outside the table (above 90 nm, below 5 nm) ∝ node² from
  the nearest published cell, the same stated extrapolation.

Between points both are interpolated linearly in log(node)–log(area) (a power law per segment), so
they are continuous and increase monotonically with the node.
"""

from __future__ import annotations

import functools
import math

from cosim.errors import require

MIN_NODE_NM = 3.0
MAX_NODE_NM = 180.0

# Area at node / area at 45 nm: Stillmaker & Baas 2017 (see the module docstring).
LOGIC_AREA_VS_45NM: dict[float, float] = {
    130.0: 6.4, 90.0: 2.8, 65.0: 1.5, 45.0: 1.0, 32.0: 0.46, 20.0: 0.21, 16.0: 0.19, 14.0: 0.17,
    10.0: 0.1, 7.0: 0.059,
}

# High-density 6T SRAM bit cell by node, µm², as published.
SRAM_CELL_UM2: dict[float, float] = {
    90.0: 1.0,      # Intel 90 nm: Thompson et al., IEDM 2002 ("1 µm² SRAM cell")
    65.0: 0.57,     # Intel 65 nm: Bai et al., IEDM 2004
    45.0: 0.346,    # Intel 45 nm: Mistry et al., IEDM 2007
    32.0: 0.171,    # Intel 32 nm: Natarajan et al., IEDM 2008
    28.0: 0.127,    # TSMC 28 nm high-density cell: Wu et al., IEDM 2009 (28 nm LP platform)
    22.0: 0.092,    # Intel 22 nm: Auth et al., VLSI 2012
    16.0: 0.07,     # TSMC 16 nm FinFET: Wu et al., IEDM 2013
    14.0: 0.0588,   # Intel 14 nm: Natarajan et al., IEDM 2014
    10.0: 0.0312,   # Intel 10 nm: Auth et al., IEDM 2017
    7.0: 0.027,     # TSMC 7 nm: Wu et al., IEDM 2016
    5.0: 0.021,     # TSMC 5 nm: Yeap et al., IEDM 2019
}


def _check(node_nm: float) -> None:
    require(MIN_NODE_NM <= node_nm <= MAX_NODE_NM,
            f"technology node {node_nm} nm is outside the area model's {MIN_NODE_NM:g}..{MAX_NODE_NM:g} nm; "
            "set energy.technology_nm inside it")


def _loglog(points: dict[float, float], node_nm: float) -> float:
    """Power-law interpolation in ``points`` (node → value), node² outside them."""
    nodes = sorted(points)
    lo, hi = nodes[0], nodes[-1]
    if node_nm <= lo:
        return points[lo] * (node_nm / lo) ** 2
    if node_nm >= hi:
        return points[hi] * (node_nm / hi) ** 2
    for n0, n1 in zip(nodes, nodes[1:]):
        if node_nm <= n1:
            t = math.log(node_nm / n0) / math.log(n1 / n0)
            return math.exp(math.log(points[n0]) + t * (math.log(points[n1]) - math.log(points[n0])))
    return points[hi]  # unreachable: node_nm < hi here


@functools.lru_cache(maxsize=256)
def logic_area_factor(node_nm: float) -> float:
    """Logic area at ``node_nm`` relative to 45 nm (dimensionless; 1.0 at 45 nm): Stillmaker & Baas."""
    _check(node_nm)
    return _loglog(LOGIC_AREA_VS_45NM, node_nm)


@functools.lru_cache(maxsize=256)
def sram_cell_um2(node_nm: float) -> float:
    """Area of one high-density 6T SRAM bit cell at ``node_nm``, µm² (published cells, interpolated)."""
    _check(node_nm)
    return _loglog(SRAM_CELL_UM2, node_nm)
