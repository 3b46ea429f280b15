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
  hold it (SRAM area) and moved as bytes (energy); the decoders are not priced (no published
  breakdown is tabulated here) — a stated omission.
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
