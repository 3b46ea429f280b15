"""Silicon area of a systolic-array design, by component (mm²), with technology scaling.

Action-independent component areas × counts, the same habit as the energy tables. Defaults are at
45 nm and are scaled to ``spec.energy.technology_nm`` by the classical ∝ node² rule (Dennard et al.,
JSSC 1974; an upper bound below ~20 nm where SRAM and wires scale worse, stated, not fitted).

Sources (45 nm):
* MAC: M. Horowitz, "Computing's energy problem", ISSCC 2014, Fig. 1.1.9: 8-bit integer multiply
  282 µm², 32-bit integer add 137 µm². A b-bit multiplier scales as b² (array multiplier), the
  32-bit accumulating adder is kept at every precision.
* Registers: NanGate FreePDK45 Open Cell Library DFF_X1, 4.522 µm² per bit.
* SRAM cell: 0.346 µm² 6T bit cell (Intel 45 nm, Mistry et al., IEDM 2007). Array efficiency and
  the per-bank periphery (decoders, sense amps, H-tree share) below are CACTI-like ASSUMPTIONS
  (``SRAM_ARRAY_EFFICIENCY``, ``SRAM_BANK_PERIPHERY_UM2``) awaiting a fit to published macros; each
  extra port beyond two adds a wordline/bitline pair (+``SRAM_AREA_PER_EXTRA_PORT`` of the cells).
* Sparse skipping, as a fraction of the PE array (MACs + registers):
  unstructured (any-index operand distribution and irregular reduction): +38 %, SIGMA's area over a
  TPU-like systolic array with the same multipliers (Qin et al., HPCA 2020, PPA comparison at equal frequency and multipliers);
  N:M selection multiplexers: +12.93 %, Sparse-TPU's column-combining muxes over its TPU baseline
  (He et al., ICS 2020) as a stand-in until S2TA's own breakdown is tabulated. Zero gating: no area
  (clock/operand gating reuses the PE's registers). Compressed-format decoders and metadata SRAM are
  not priced yet.
Not yet wired into reports (cosim/report.py); see tests/test_area.py for its properties.
"""

from __future__ import annotations

from cosim.hw.spec import SramSpec, SystolicSpec

REFERENCE_NODE_NM = 45.0
MULT_8BIT_UM2 = 282.0  # Horowitz ISSCC 2014, 45 nm
ADD_32BIT_UM2 = 137.0  # Horowitz ISSCC 2014, 45 nm
DFF_UM2_PER_BIT = 4.522  # NanGate FreePDK45 DFF_X1
SRAM_CELL_UM2 = 0.346  # Mistry et al., IEDM 2007 (Intel 45 nm 6T cell)
SRAM_ARRAY_EFFICIENCY = 0.6  # ASSUMPTION: cell area / macro area (CACTI-typical 0.5-0.7)
SRAM_BANK_PERIPHERY_UM2 = 5000.0  # ASSUMPTION: decoders + sense amps + H-tree share per bank
SRAM_AREA_PER_EXTRA_PORT = 0.3  # ASSUMPTION: cell growth per port beyond two

SKIPPING_AREA_FRACTION = {"none": 0.0,
                          "nm": 0.1293,  # Sparse-TPU (He et al., ICS 2020): 12.93 % over TPU
                          "unstructured": 0.38}  # SIGMA (Qin et al., HPCA 2020): 38 % over TPU-like

UM2_PER_MM2 = 1e6


def node_area_factor(node_nm: float) -> float:
    """Area at ``node_nm`` relative to 45 nm (dimensionless): (node/45)², classical scaling."""
    return (node_nm / REFERENCE_NODE_NM) ** 2


def mac_area_um2(mac_bits: int) -> float:
    """One integer MAC at 45 nm, µm²: b-bit multiplier (282 µm² × (b/8)²) + 32-bit adder (Horowitz)."""
    return MULT_8BIT_UM2 * (mac_bits / 8.0) ** 2 + ADD_32BIT_UM2


def sram_area_um2(sram: SramSpec) -> float:
    """One SRAM buffer at 45 nm, µm²: cells / efficiency × port growth + periphery per bank."""
    bits = sram.size_bytes * 8
    port_growth = 1.0 + SRAM_AREA_PER_EXTRA_PORT * max(0, sram.ports - 2)
    return bits * SRAM_CELL_UM2 / SRAM_ARRAY_EFFICIENCY * port_growth + sram.banks * SRAM_BANK_PERIPHERY_UM2


def systolic_area_mm2(spec: SystolicSpec) -> dict[str, float]:
    """Area by component of a systolic design at its node, mm² (keys: mac, registers, sparse_skipping when
    the array skips zeros, sram_<name>)."""
    scale = node_area_factor(spec.energy.technology_nm) / UM2_PER_MM2
    pes = spec.pe_array.rows * spec.pe_array.cols
    parts = {
        "mac": pes * mac_area_um2(spec.pe_array.mac_bits) * scale,
        "registers": pes * spec.pe_array.register_bytes_per_pe * 8 * DFF_UM2_PER_BIT * scale,
    }
    extra = SKIPPING_AREA_FRACTION[spec.sparsity.skipping]
    if extra:
        parts["sparse_skipping"] = extra * (parts["mac"] + parts["registers"])
    for name, buf in spec.sram_buffers().items():
        parts[f"sram_{name}"] = sram_area_um2(buf) * scale
    return parts
