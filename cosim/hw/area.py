"""Silicon area of a design, by component (mm²), with technology scaling: systolic arrays, sparse
tensor cores (published die area, or the same component estimate for an accelerator-like engine) and
FPGA designs (the fabric their resources occupy, and the fraction of the board they use).

Action-independent component areas × counts, the same habit as the energy tables. Logic defaults are
at 45 nm and scale to ``spec.energy.technology_nm`` by Stillmaker & Baas's published area factors;
SRAM cells take each node's published bit cell (cosim/hw/area_scaling.py, sources there).

Sources (45 nm):
* MAC: M. Horowitz, "Computing's energy problem", ISSCC 2014, Fig. 1.1.9: 8-bit integer multiply
  282 µm², 32-bit integer add 137 µm². A b-bit multiplier scales as b² (array multiplier), the
  32-bit accumulating adder is kept at every precision.
* Registers: NanGate FreePDK45 Open Cell Library DFF_X1, 4.522 µm² per bit.
* SRAM macros: a closed form fitted to CACTI 7.0 runs at 22, 32, 45, 65 and 90 nm (cells, the
  periphery along each bank's edge, per bank and per bit of its port, and the second port's wider
  cell; CACTI's routing between the banks included), coefficients and fit error in
  cosim/hw/data/cacti_sram_fit.yaml, the form in cosim/hw/sram_fit.py. Outside 22-90 nm the nearest
  CACTI node's cells scale as the published 6T bit cell (cosim/hw/area_scaling.py), its periphery as
  logic. This replaces a fixed 60 % array efficiency and 5000 µm² per bank, which were assumptions.
* Uncore (what a real core carries beside its datapath), from the layout breakdown of DianNao
  (T. Chen et al., ASPLOS 2014, Table 6: combinational 20.14 %, registers 12.43 %, clock network
  2.27 %, filler cells 26.85 % of the 3.02 mm² layout) and the TPU v1 floorplan (Jouppi et al.,
  ISCA 2017, Fig. 2: control 2 % of the die): ``uncore`` is the clock tree (2.27 / (20.14 + 12.43)
  of the logic: MACs, registers, sparse logic) plus control (2 % of the core);
  ``uncore_placement`` the standard-cell rows' filler (26.85 / (20.14 + 12.43 + 2.27) of the placed
  logic and clock tree; it does not leak). SRAM macros carry no filler. I/O pads and PHYs are a
  die's, not a core's: a design's area is its core.
* Sparse features (each states its overhead; cosim/hw/sparse_overheads.py holds the figures with
  their sources): a fraction of the PE array (MACs + registers) per feature, and the compressed
  format's decoders at the array's ports (a structural estimate in adder and flip-flop bits).
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

from cosim.hw.area_scaling import logic_area_factor
from cosim.hw.sparse_overheads import decoder_bits, decoder_ports
from cosim.hw.spec import SramSpec, SystolicSpec
from cosim.hw import sram_fit
from cosim.hw.sram_wires import access_bits

REFERENCE_NODE_NM = 45.0
MULT_8BIT_UM2 = 282.0  # Horowitz ISSCC 2014, 45 nm
ADD_32BIT_UM2 = 137.0  # Horowitz ISSCC 2014, 45 nm
DFF_UM2_PER_BIT = 4.522  # NanGate FreePDK45 DFF_X1
BRAM36_WIDTH_BITS = 72  # widest BRAM36 port (UG573), its access width in the SRAM fit
URAM_WIDTH_BITS = 72  # URAM288 port width (UG573)

# FPGA tiles (see the module docstring): routing share of a soft-logic tile, Betz/Rose/Marquardt 1999.
FPGA_SOFT_ROUTING_SHARE = 0.8
LUT_CONFIG_BITS = 64  # a 6-input LUT's truth table (UG574)
LUT_FLIPFLOPS = 2  # two flip-flops per LUT in an UltraScale+ CLB (UG574: 8 LUTs, 16 FFs per CLB)
DSP_MULT_BITS = (27, 18)  # DSP48E2 multiplier (UG579)
DSP_ACC_BITS = 48  # DSP48E2 accumulator (UG579)
BRAM36_BITS = 36 * 1024  # UG573
URAM_BITS = 288 * 1024  # UG573

UM2_PER_MM2 = 1e6

# Uncore shares (module docstring): DianNao layout, Chen et al. ASPLOS 2014 Table 6 (figures not rechecked against
# the paper in this repository: treat them as an assumption until verified); TPU v1 Fig. 2.
DIANNAO_COMB, DIANNAO_REG, DIANNAO_CLOCK, DIANNAO_FILLER = 20.14, 12.43, 2.27, 26.85  # % of the layout
CLOCK_TREE_PER_LOGIC = DIANNAO_CLOCK / (DIANNAO_COMB + DIANNAO_REG)
FILLER_PER_PLACED = DIANNAO_FILLER / (DIANNAO_COMB + DIANNAO_REG + DIANNAO_CLOCK)
CONTROL_SHARE_OF_CORE = 0.02  # TPU v1 floorplan (Jouppi et al., ISCA 2017, Fig. 2): control 2 %


def node_area_factor(node_nm: float) -> float:
    """Logic area at ``node_nm`` relative to 45 nm (dimensionless): Stillmaker & Baas 2017."""
    return logic_area_factor(node_nm)


def mac_area_um2(mac_bits: int) -> float:
    """One integer MAC at 45 nm, µm²: b-bit multiplier (282 µm² × (b/8)²) + 32-bit adder (Horowitz)."""
    return MULT_8BIT_UM2 * (mac_bits / 8.0) ** 2 + ADD_32BIT_UM2


def sram_cells_um2(bits: float, ports: int = 2, node_nm: float = REFERENCE_NODE_NM) -> float:
    """The cells of an SRAM array at ``node_nm`` without its periphery, µm² (the CACTI fit's cell term,
    cosim/hw/sram_fit.py): what sets the side of the buffer the H-tree spans."""
    return sram_fit.cells_um2(bits, ports, node_nm)


def sram_area_um2(sram: SramSpec, node_nm: float = REFERENCE_NODE_NM) -> float:
    """One SRAM buffer at ``node_nm``, µm²: the CACTI-fitted macro of its bits, banks, port width and
    ports (cells, periphery and the routing between the banks, cosim/hw/sram_fit.py)."""
    return sram_fit.macro_um2(sram.size_bytes * 8, sram.banks, access_bits(sram), sram.ports, node_nm)


def uncore_mm2(logic_mm2: float, core_mm2: float) -> dict[str, float]:
    """Uncore of a core whose logic (MACs, registers, sparse logic) takes ``logic_mm2`` and whose
    datapath (logic + SRAM) ``core_mm2``: ``uncore`` (clock tree + control) and ``uncore_placement``
    (standard-cell filler), mm² (module docstring)."""
    clock = CLOCK_TREE_PER_LOGIC * logic_mm2
    filler = FILLER_PER_PLACED * (logic_mm2 + clock)
    control = CONTROL_SHARE_OF_CORE / (1.0 - CONTROL_SHARE_OF_CORE) * (core_mm2 + clock + filler)
    return {"uncore": clock + control, "uncore_placement": filler}


def sparse_overhead_fraction(features: Any) -> dict[str, float]:
    """Area of each sparse feature as a fraction of the PE array (MACs + registers), by component name
    (cosim/hw/data/sparse_overheads.yaml)."""
    from cosim.hw.sparse_overheads import overheads

    return {name: o.area_fraction for name, o in overheads(features).items() if o.area_fraction > 0}


def decoder_area_um2(features: Any, ports: int) -> float:
    """The compressed format's decoders at ``ports`` array ports, µm² at 45 nm: full-adder bits
    (Horowitz's 32-bit adder / 32) and flip-flop bits (cosim/hw/sparse_overheads.py, DECODER_BITS)."""
    adder_bits, flop_bits = decoder_bits(features)
    return ports * (adder_bits * ADD_32BIT_UM2 / 32.0 + flop_bits * DFF_UM2_PER_BIT)


def systolic_area_mm2(spec: SystolicSpec) -> dict[str, float]:
    """Area by component of a systolic design at its node, mm² (keys: mac, registers, one per sparse
    feature it has (sparse_*, sparse_decoder for a compressed format), sram_<name>, uncore,
    uncore_placement)."""
    node = spec.energy.technology_nm
    scale = node_area_factor(node) / UM2_PER_MM2
    pes = spec.pe_array.rows * spec.pe_array.cols
    parts = {
        "mac": pes * mac_area_um2(spec.pe_array.mac_bits) * scale,
        "registers": pes * spec.pe_array.register_bytes_per_pe * 8 * DFF_UM2_PER_BIT * scale,
    }
    pe_array = parts["mac"] + parts["registers"]
    for name, frac in sparse_overhead_fraction(spec.sparsity).items():
        parts[name] = frac * pe_array
    decoder = decoder_area_um2(spec.sparsity, decoder_ports(spec.pe_array.rows, spec.pe_array.cols,
                                                            spec.pe_array.dataflow))
    if decoder > 0:
        parts["sparse_decoder"] = decoder * scale
    logic = sum(parts.values())
    for name, buf in spec.sram_buffers().items():
        parts[f"sram_{name}"] = sram_area_um2(buf, node) / UM2_PER_MM2
    parts.update(uncore_mm2(logic, sum(parts.values())))
    return parts


PRECISION_BITS = {"int4": 4, "int8": 8, "fp8": 8, "fp16": 16, "bf16": 16, "fp32": 32}


def tensor_core_area_mm2(spec: Any) -> dict[str, float]:
    """Area by component of a sparse-tensor-core design, mm²: ``die`` (the published die area) when the
    spec gives ``die_area_mm2``; otherwise its MACs at the widest listed precision, shared memory and
    L2 (keys mac, sparse_*, sram_<name>, uncore, uncore_placement), as for a systolic array."""
    if spec.die_area_mm2 > 0:
        return {"die": float(spec.die_area_mm2)}
    node = spec.energy.technology_nm
    scale = node_area_factor(node) / UM2_PER_MM2
    # The multipliers are shared by the precisions: the largest (count × MAC area) among them.
    mac_um2 = max(spec.sm_count * n * mac_area_um2(min(PRECISION_BITS[p], 16))
                  for p, n in spec.macs_per_cycle_per_sm.items())
    parts = {"mac": mac_um2 * scale}
    for name, frac in sparse_overhead_fraction(spec.sparsity).items():
        parts[name] = frac * parts["mac"]
    logic = sum(parts.values())
    for name, buf in spec.sram_buffers().items():
        parts[f"sram_{name}"] = sram_area_um2(buf, node) / UM2_PER_MM2
    parts.update(uncore_mm2(logic, sum(parts.values())))
    return parts


def fpga_tile_um2(node_nm: float) -> dict[str, float]:
    """Silicon of one LUT, DSP slice, BRAM36 and URAM at ``node_nm``, µm² (module docstring)."""
    f = node_area_factor(node_nm)
    a, b = DSP_MULT_BITS
    dsp = (MULT_8BIT_UM2 * (a * b) / 64.0 + ADD_32BIT_UM2 * DSP_ACC_BITS / 32.0 + DSP_ACC_BITS * DFF_UM2_PER_BIT) * f
    lut_bits = sram_cells_um2(LUT_CONFIG_BITS, node_nm=node_nm)
    lut = (lut_bits + LUT_FLIPFLOPS * DFF_UM2_PER_BIT * f) / (1.0 - FPGA_SOFT_ROUTING_SHARE)
    bram = sram_fit.macro_um2(BRAM36_BITS, 1, BRAM36_WIDTH_BITS, 2, node_nm)  # true dual port (UG573)
    uram = sram_fit.macro_um2(URAM_BITS, 1, URAM_WIDTH_BITS, 2, node_nm)
    return {"lut": lut, "dsp": dsp, "bram36": bram, "uram": uram}


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
