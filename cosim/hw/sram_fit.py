"""SRAM macro area and energy per access fitted to CACTI, by node (coefficients and their fit error in
cosim/hw/data/cacti_sram_fit.yaml; the CACTI points in cosim/hw/data/cacti_sram.csv; both written by
scripts/fit_cacti_sram.py from CACTI 7.0 runs, cosim/hw/data/README.md says how).

Area of a macro of ``bits`` in ``banks`` banks, each accessed ``access_bits`` wide, µm²::

    one port:  a·bits + b·√(bits·banks) + c·banks + d·banks·access_bits + g·banks·access_bits²
    p ports:   × (1 + (ρ − 1)·(p − 1))

a: the cells (CACTI's cell over its array efficiency); b: what runs along a bank's edge (decoders,
wordline drivers, sense amplifiers of a square bank of bits/banks cells: banks·√(bits/banks));
c: a bank's fixed control; d: the column circuits per bit of the bank's port; g: a wide port's
routing across its bank (as many wires as bits, over a bank as wide as the port; CACTI's wide,
small macros are periphery-dominated: 12-20 % array efficiency for 64-byte words in 8 KiB banks,
where a term linear in the width left them 64-74 % under); ρ: CACTI's two-port
macro over its one-port one (a second read-write port widens the cell). Beyond two ports the same
step per port is an extrapolation (CACTI's grid stops at two). All coefficients are non-negative, so
the area grows with bits, banks, access width and ports.

Energy per access (read or write), pJ: e·(bits per bank)^k·(access bits)^m·banks^n, × f for two
ports (banks^n: CACTI's H-tree over the banks; n ≈ k, so CACTI's access energy follows the whole
macro's bits more than a bank's). Reported only: cosim's energy tables keep their cited points.

Nodes: the coefficients are fitted at CACTI's nodes (22, 32, 45, 65, 90 nm) and interpolated
linearly in log(node) between them. Outside 22–90 nm the nearest CACTI node's coefficients are
scaled: the cell term by the published 6T bit cell's ratio (cosim/hw/area_scaling.py), the periphery
terms by Stillmaker & Baas's logic area ratio — so the model is continuous at 22 and 90 nm. How
consistent the two are: CACTI's cell term a is 1.15× the published 6T cell at 22 nm, 1.27× at 32,
1.22× at 45, 1.53× at 65 and 1.66× at 90 nm (its cell is a fixed 146 F², the foundries' shrank less
than F² at the older nodes), so a below 22 nm follows the foundries' cells from CACTI's 22 nm
value, and above 90 nm from its 90 nm value; neither end jumps.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import yaml

from cosim.errors import require
from cosim.hw.area_scaling import logic_area_factor, sram_cell_um2

FIT_PATH = Path(__file__).resolve().parent / "data" / "cacti_sram_fit.yaml"
AREA_KEYS = ("cell_um2_per_bit", "edge_um2_per_sqrt_bit", "bank_um2", "bank_um2_per_access_bit",
             "bank_um2_per_access_bit_sq")


def area_terms(bits: float, banks: float, access_bits: float) -> tuple[float, float, float, float, float]:
    """The one-port area form's terms (multiplied by a, b, c, d, g)."""
    return (bits, math.sqrt(bits * banks), banks, banks * access_bits, banks * access_bits * access_bits)


@functools.lru_cache(maxsize=1)
def load_fit() -> dict[float, dict[str, float]]:
    """Coefficients by CACTI node (nm → name → value)."""
    doc = yaml.safe_load(FIT_PATH.read_text())
    return {float(n): {k: float(v) for k, v in c.items()} for n, c in doc["nodes_nm"].items()}


@functools.lru_cache(maxsize=64)  # read-only dicts: a sweep asks for a handful of nodes many times
def coefficients(node_nm: float) -> dict[str, float]:
    """The fit's coefficients at ``node_nm`` (module docstring: interpolation and scaling by node)."""
    fit = load_fit()
    nodes = sorted(fit)
    lo, hi = nodes[0], nodes[-1]
    if node_nm <= lo or node_nm >= hi:
        edge = lo if node_nm <= lo else hi
        c = dict(fit[edge])
        cell = sram_cell_um2(node_nm) / sram_cell_um2(edge)
        logic = logic_area_factor(node_nm) / logic_area_factor(edge)
        c["cell_um2_per_bit"] *= cell
        for k in AREA_KEYS[1:]:
            c[k] *= logic
        return c
    for n0, n1 in zip(nodes, nodes[1:]):
        if node_nm <= n1:
            t = math.log(node_nm / n0) / math.log(n1 / n0)
            return {k: (1 - t) * fit[n0][k] + t * fit[n1][k] for k in fit[n0]}
    raise AssertionError("unreachable: node_nm < hi here")


def _check(bits: float, banks: int, access_bits: int, ports: int) -> None:
    require(bits > 0, f"SRAM bits must be > 0, got {bits}; set size_kib > 0")
    require(banks >= 1, f"SRAM banks must be >= 1, got {banks}")
    require(access_bits >= 1, f"SRAM access width must be >= 1 bit, got {access_bits}; set word_bytes >= 1")
    require(ports >= 1, f"SRAM ports must be >= 1, got {ports}")


def port_factor(ports: int, two_port_ratio: float) -> float:
    """Area multiplier of ``ports`` read-write ports over one (module docstring)."""
    return 1.0 + (two_port_ratio - 1.0) * (ports - 1)


def cells_um2(bits: float, ports: int, node_nm: float) -> float:
    """The cell term of a macro (a·bits × the port factor), µm²: the array without its periphery."""
    _check(bits, 1, 1, ports)
    c = coefficients(node_nm)
    return c["cell_um2_per_bit"] * bits * port_factor(ports, c["two_port_ratio"])


def macro_um2(bits: float, banks: int, access_bits: int, ports: int, node_nm: float) -> float:
    """Area of an SRAM macro (cells, periphery, CACTI's routing between banks) at ``node_nm``, µm²."""
    _check(bits, banks, access_bits, ports)
    c = coefficients(node_nm)
    base = sum(c[k] * t for k, t in zip(AREA_KEYS, area_terms(bits, banks, access_bits)))
    return base * port_factor(ports, c["two_port_ratio"])


def _energy_pj(kind: str, bits: float, banks: int, access_bits: int, ports: int, node_nm: float) -> float:
    _check(bits, banks, access_bits, ports)
    c = coefficients(node_nm)
    e = c[f"{kind}_pj_at_one_bit"] * (bits / banks) ** c[f"{kind}_exponent_bank_bits"]
    e *= access_bits ** c[f"{kind}_exponent_access_bits"] * banks ** c[f"{kind}_exponent_banks"]
    return e * (c[f"{kind}_two_port_factor"] if ports >= 2 else 1.0)


def read_pj(bits: float, banks: int, access_bits: int, ports: int, node_nm: float) -> float:
    """CACTI-fitted energy of one read of ``access_bits`` from a macro of ``bits`` in ``banks``, pJ
    (reported beside cosim's energy tables, which do not use it)."""
    return _energy_pj("read", bits, banks, access_bits, ports, node_nm)


def write_pj(bits: float, banks: int, access_bits: int, ports: int, node_nm: float) -> float:
    """CACTI-fitted energy of one write of ``access_bits`` to a macro of ``bits`` in ``banks``, pJ."""
    return _energy_pj("write", bits, banks, access_bits, ports, node_nm)
