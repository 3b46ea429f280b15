"""The hardware cost of each sparse feature: area (as a fraction of the PE array it serves), with its
source, and what the feature saves. cosim/hw/area.py charges the area; leakage follows the area
(cosim/hw/static_power.py); the datapath models (cosim/datapaths/systolic/sparse.py) give the cycles.

* ``sparse_nm`` (``skipping: nm``): per-PE multiplexers that pick the activation a kept weight's
  index names, and the index registers. +12.93 % of the PE array: Sparse-TPU's column-combining
  multiplexers over its TPU baseline (He et al., ICS 2020), the published figure closest to S2TA's
  design (Liu et al., HPCA 2022, whose own breakdown is not tabulated here).
* ``sparse_lanes`` (``skipping: unstructured`` with ``lane_decoupling: true``): operand buffers that
  let every lane run at its own pace, any-index activation selection and the irregular reduction.
  +38 %: SIGMA's area over a TPU-like systolic array with the same multipliers at equal frequency
  (Qin et al., HPCA 2020, PPA comparison). Without lane decoupling a rigid array skips no cycles
  (cosim/datapaths/systolic/sparse.py) and carries no such logic.
* zero gating: no area (the clock/operand gating reuses the PE's operand registers); its residual
  energy per gated MAC is the energy table's ``mac_gated_fraction`` (Sparseloop's Eyeriss v2 table).
* compressed formats (bitmap, CSR, RLE, N:M): the metadata they store is counted in the buffers that
  hold it (SRAM area: a buffer's capacity holds values and metadata alike) and moved as bytes
  (energy). Their decoders (``sparse_decoder``), one per array port the compressed operand enters
  by (:func:`decoder_ports`), are a STRUCTURAL estimate — no published decoder area is tabulated
  here — counted in full-adder bits (Horowitz ISSCC 2014: 32-bit add 137 µm² at 45 nm, /32 per bit)
  and flip-flop bits (cosim/hw/area.py's DFF) per port, :data:`DECODER_BITS`:
  - bitmap (SparTen-like, Gondimalla et al., MICRO 2019: a bit mask and a prefix sum that finds
    each non-zero's position): a 64-bit mask word held in flip-flops, its popcount (~64 full-adder
    bits) and a 16-bit value-pointer adder;
  - CSR: a 16-bit index adder (row pointer + offset) and the index and pointer registers (2 × 16);
  - RLE (Eyeriss v1's format, Chen et al., JSSC 2017: 5-bit run lengths before 16-bit values): a
    5-bit run counter and a 16-bit position adder, their registers;
  - N:M (stored as kept values + in-group indices): the 2-bit index register of a 4-group (the
    selection multiplexers are the ``sparse_nm`` feature's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Overhead:
    area_fraction: float  # of the PE array (MACs + registers) the feature serves
    source: str


NM_SELECT = Overhead(0.1293, "Sparse-TPU (He et al., ICS 2020): column-combining muxes, 12.93 % over its TPU baseline")
LANE_DECOUPLING = Overhead(0.38, "SIGMA (Qin et al., HPCA 2020): 38 % area over a TPU-like array, same multipliers")


def overheads(features: Any) -> dict[str, Overhead]:
    """The sparse features of ``features`` (a cosim.hw.spec.SparseFeatures) that cost area, by the
    report component they are charged to."""
    out: dict[str, Overhead] = {}
    if features.skipping == "nm":
        out["sparse_nm"] = NM_SELECT
    if features.skipping == "unstructured" and getattr(features, "lane_decoupling", False):
        out["sparse_lanes"] = LANE_DECOUPLING
    return out


# Per port: (full-adder bits, flip-flop bits) of each format's decoder (module docstring).
DECODER_BITS: dict[str, tuple[int, int]] = {
    "bitmap": (64 + 16, 64),
    "csr": (16, 32),
    "rle": (5 + 16, 5 + 16),
    "nm": (0, 2),
}


def decoder_ports(rows: int, cols: int, dataflow: str) -> int:
    """Array ports a compressed weight operand enters by: a column's top edge (os, ws: weights map to
    columns, SCALE-Sim's layout) or a row's left edge (is)."""
    return rows if dataflow == "is" else cols


def decoder_bits(features: Any) -> tuple[int, int]:
    """(full-adder bits, flip-flop bits) of one port's decoder for ``features``' compressed format."""
    return DECODER_BITS.get(features.compressed_format, (0, 0))
