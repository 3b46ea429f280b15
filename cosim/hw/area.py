"""Silicon area of a design, by component (mm²), with technology scaling: systolic arrays, sparse
tensor cores (published die area, or the same component estimate for an accelerator-like engine) and
FPGA designs (the fabric their resources occupy, and the fraction of the board they use).

Action-independent component areas × counts, the same habit as the energy tables. Defaults are at
45 nm and are scaled to ``spec.energy.technology_nm`` by the classical ∝ node² rule (Dennard et al.,
JSSC 1974; an upper bound below ~20 nm where SRAM and wires scale worse, stated, not fitted).

Sources (45 nm):
* MAC: M. Horowitz, "Computing's energy problem", ISSCC 2014, Fig. 1.1.9: 8-bit integer multiply
  282 µm², 32-bit integer add 137 µm². A b-bit multiplier scales as b² (array multiplier), the
  32-bit accumulating adder is kept at every precision.
* Registers: NanGate FreePDK45 Open Cell Library DFF_X1, 4.522 µm² per bit.
* SRAM cell: 0.346 µm² 6T bit cell (Intel 45 nm, Mistry et al., IEDM 2007). Array efficiency and
  the per-bank periphery (decoders, sense amps) below are CACTI-like ASSUMPTIONS
  (``SRAM_ARRAY_EFFICIENCY``, ``SRAM_BANK_PERIPHERY_UM2``) awaiting a fit to published macros; each
  extra port beyond two adds a wordline/bitline pair (+``SRAM_AREA_PER_EXTRA_PORT`` of the cells).
  Banking also costs the H-tree that routes a word to every bank: cosim/hw/sram_wires.py.
* Sparse features (each states its overhead; cosim/hw/data/sparse_overheads.yaml holds the figures
  with their sources): a fraction of the PE array (MACs + registers) per feature.
* Sparse tensor cores: the chip's published die area (``die_area_mm2``, GPU presets cite it); an
  accelerator-like engine without one is estimated from its MACs, shared memory and L2 as above.
* FPGA designs: each used resource × the silicon of its function at the device's node (DSP48E2: a
  27×18 multiplier with a 48-bit accumulator; BRAM36 / URAM288: their bits as SRAM; a LUT6: 64
  configuration bits and two flip-flops, × 1 / (1 − 0.8) for the programmable routing that takes
  70–90 % of a soft-logic tile (Betz, Rose & Marquardt, "Architecture and CAD for Deep-Submicron
  FPGAs", Kluwer 1999); hard blocks' routing share is not counted: a lower bound). ``board_fraction``
  is the largest share of any resource of the part the design uses.
"""

from __future__ import annotations

from typing import Any, Mapping

from cosim.hw.spec import SramSpec, SystolicSpec
from cosim.hw.sram_wires import htree_area_um2

REFERENCE_NODE_NM = 45.0
MULT_8BIT_UM2 = 282.0  # Horowitz ISSCC 2014, 45 nm
ADD_32BIT_UM2 = 137.0  # Horowitz ISSCC 2014, 45 nm
DFF_UM2_PER_BIT = 4.522  # NanGate FreePDK45 DFF_X1
SRAM_CELL_UM2 = 0.346  # Mistry et al., IEDM 2007 (Intel 45 nm 6T cell)
SRAM_ARRAY_EFFICIENCY = 0.6  # ASSUMPTION: cell area / macro area (CACTI-typical 0.5-0.7)
SRAM_BANK_PERIPHERY_UM2 = 5000.0  # ASSUMPTION: decoders + sense amps per bank
SRAM_AREA_PER_EXTRA_PORT = 0.3  # ASSUMPTION: cell growth per port beyond two

# FPGA tiles (see the module docstring): routing share of a soft-logic tile, Betz/Rose/Marquardt 1999.
FPGA_SOFT_ROUTING_SHARE = 0.8
LUT_CONFIG_BITS = 64  # a 6-input LUT's truth table (UG574)
LUT_FLIPFLOPS = 2  # two flip-flops per LUT in an UltraScale+ CLB (UG574: 8 LUTs, 16 FFs per CLB)
DSP_MULT_BITS = (27, 18)  # DSP48E2 multiplier (UG579)
DSP_ACC_BITS = 48  # DSP48E2 accumulator (UG579)
BRAM36_BITS = 36 * 1024  # UG573
URAM_BITS = 288 * 1024  # UG573

UM2_PER_MM2 = 1e6


def node_area_factor(node_nm: float) -> float:
    """Area at ``node_nm`` relative to 45 nm (dimensionless): (node/45)², classical scaling."""
    return (node_nm / REFERENCE_NODE_NM) ** 2


def mac_area_um2(mac_bits: int) -> float:
    """One integer MAC at 45 nm, µm²: b-bit multiplier (282 µm² × (b/8)²) + 32-bit adder (Horowitz)."""
    return MULT_8BIT_UM2 * (mac_bits / 8.0) ** 2 + ADD_32BIT_UM2


def sram_cells_um2(bits: float, ports: int = 2) -> float:
    """Bit cells of an SRAM array at 45 nm, µm²: cells / array efficiency × growth per extra port."""
    return bits * SRAM_CELL_UM2 / SRAM_ARRAY_EFFICIENCY * (1.0 + SRAM_AREA_PER_EXTRA_PORT * max(0, ports - 2))


def sram_area_um2(sram: SramSpec) -> float:
    """One SRAM buffer at 45 nm, µm²: cells + periphery per bank + the H-tree between the banks."""
    cells = sram_cells_um2(sram.size_bytes * 8, sram.ports)
    return cells + sram.banks * SRAM_BANK_PERIPHERY_UM2 + htree_area_um2(sram, cells)


def sparse_overhead_fraction(features: Any) -> dict[str, float]:
    """Area of each sparse feature as a fraction of the PE array (MACs + registers), by component name
    (cosim/hw/data/sparse_overheads.yaml)."""
    from cosim.hw.sparse_overheads import overheads

    return {name: o.area_fraction for name, o in overheads(features).items() if o.area_fraction > 0}


def systolic_area_mm2(spec: SystolicSpec) -> dict[str, float]:
    """Area by component of a systolic design at its node, mm² (keys: mac, registers, one per sparse
    feature it has (sparse_*), sram_<name>)."""
    scale = node_area_factor(spec.energy.technology_nm) / UM2_PER_MM2
    pes = spec.pe_array.rows * spec.pe_array.cols
    parts = {
        "mac": pes * mac_area_um2(spec.pe_array.mac_bits) * scale,
        "registers": pes * spec.pe_array.register_bytes_per_pe * 8 * DFF_UM2_PER_BIT * scale,
    }
    pe_array = parts["mac"] + parts["registers"]
    for name, frac in sparse_overhead_fraction(spec.sparsity).items():
        parts[name] = frac * pe_array
    for name, buf in spec.sram_buffers().items():
        parts[f"sram_{name}"] = sram_area_um2(buf) * scale
    return parts


PRECISION_BITS = {"int4": 4, "int8": 8, "fp8": 8, "fp16": 16, "bf16": 16, "fp32": 32}


def tensor_core_area_mm2(spec: Any) -> dict[str, float]:
    """Area by component of a sparse-tensor-core design, mm²: ``die`` (the published die area) when the
    spec gives ``die_area_mm2``; otherwise its MACs at the widest listed precision, shared memory and
    L2 (keys mac, sparse_*, sram_<name>), as for a systolic array."""
    if spec.die_area_mm2 > 0:
        return {"die": float(spec.die_area_mm2)}
    scale = node_area_factor(spec.energy.technology_nm) / UM2_PER_MM2
    # The multipliers are shared by the precisions: the largest (count × MAC area) among them.
    mac_um2 = max(spec.sm_count * n * mac_area_um2(min(PRECISION_BITS[p], 16))
                  for p, n in spec.macs_per_cycle_per_sm.items())
    parts = {"mac": mac_um2 * scale}
    for name, frac in sparse_overhead_fraction(spec.sparsity).items():
        parts[name] = frac * parts["mac"]
    for name, buf in spec.sram_buffers().items():
        parts[f"sram_{name}"] = sram_area_um2(buf) * scale
    return parts


def fpga_tile_um2(node_nm: float) -> dict[str, float]:
    """Silicon of one LUT, DSP slice, BRAM36 and URAM at ``node_nm``, µm² (module docstring)."""
    f = node_area_factor(node_nm)
    a, b = DSP_MULT_BITS
    dsp = MULT_8BIT_UM2 * (a * b) / 64.0 + ADD_32BIT_UM2 * DSP_ACC_BITS / 32.0 + DSP_ACC_BITS * DFF_UM2_PER_BIT
    lut = (sram_cells_um2(LUT_CONFIG_BITS) + LUT_FLIPFLOPS * DFF_UM2_PER_BIT) / (1.0 - FPGA_SOFT_ROUTING_SHARE)
    bram = sram_cells_um2(BRAM36_BITS) + SRAM_BANK_PERIPHERY_UM2
    uram = sram_cells_um2(URAM_BITS) + SRAM_BANK_PERIPHERY_UM2
    return {"lut": lut * f, "dsp": dsp * f, "bram36": bram * f, "uram": uram * f}


def fpga_area_mm2(spec: Any, used: Mapping[str, float]) -> dict[str, float]:
    """Area by resource (keys fpga_lut, fpga_dsp, fpga_bram36, fpga_uram) of the resources ``used``
    (counts by resource name) on ``spec``'s part, mm²."""
    tile = fpga_tile_um2(spec.energy.technology_nm)
    return {f"fpga_{r}": float(used.get(r, 0.0)) * tile[r] / UM2_PER_MM2 for r in tile if used.get(r, 0.0) > 0}


def board_fraction(spec: Any, used: Mapping[str, float]) -> float:
    """The largest share of any resource of the part that ``used`` takes (0..1)."""
    dev = spec.device
    shares = [float(used.get(r, 0.0)) / getattr(dev, r) for r in ("lut", "dsp", "bram36", "uram") if getattr(dev, r)]
    return max(shares) if shares else 0.0


def spec_area_mm2(spec: Any) -> dict[str, float] | None:
    """Area by component of ``spec`` where the spec alone fixes it (systolic, sparse tensor core);
    None for an FPGA design, whose area follows the resources its workload's build uses."""
    kind = getattr(spec, "kind", None)
    if kind == "systolic":
        return systolic_area_mm2(spec)
    if kind == "sparse_tensor_core":
        return tensor_core_area_mm2(spec)
    return None
