"""The wires of a banked SRAM: the H-tree that carries every access from the buffer's port to the
bank it addresses, so that more banks is a trade (smaller banks cost less per access, but each bank
adds periphery, cosim/hw/area.py, and the tree's wires cost area and energy).

Model (CACTI's organisation, Thoziyoor et al., CACTI 5.1 technical report HPL-2008-20, §2: banks
connected by an H-tree): B banks tile a square buffer of side S = √(cell area). A k-level H-tree
(B = 4^k leaves) carries an access from the centre to a bank over S·(1 − 1/√B) of wire (S/2 + S/4 +
... : each level halves the side), and holds 1.5·S·(√B − 1) of wire in all (4^j H's of 1.5·S/2^j at
level j), each as wide as the access (``bank_width_bytes``, or ``word_bytes`` for an ideal SRAM).
One bank has no tree.

* Wire energy: 0.1 pJ per bit per mm at 28 nm — a 256-bit word moved 1 mm on chip costs 26 pJ
  (Keckler, Dally, Khailany, Garland, Glasco, "GPUs and the future of parallel computing", IEEE Micro
  31(5), 2011, Fig. 2, 28 nm), held at every node: a wire's capacitance per mm barely changes with
  the node (only the distance shrinks, with the cells); the supply's change is neglected.
* Wire pitch: 0.28 µm at 45 nm, the intermediate metal layers of FreePDK45 (NCSU design rules, metal
  4–6: 0.14 µm width + 0.14 µm spacing), scaled with the node's linear logic dimension (√ of its area factor, cosim/hw/area_scaling.py).
"""

from __future__ import annotations

import math

from cosim.hw.spec import SramSpec

WIRE_PJ_PER_BIT_MM = 26.0 / 256.0  # Keckler et al., IEEE Micro 2011: 256 bits over 1 mm = 26 pJ at 28 nm
WIRE_PITCH_UM_45NM = 0.28  # FreePDK45 metal 4-6: 0.14 um width + 0.14 um spacing


def htree_length_mm(cells_um2: float, banks: int) -> tuple[float, float]:
    """(centre-to-bank distance, total wire length) of the H-tree over ``banks`` banks of a buffer
    whose cells take ``cells_um2`` µm², in mm (0, 0 for one bank)."""
    if banks <= 1:
        return 0.0, 0.0
    side_mm = math.sqrt(cells_um2) / 1000.0
    root = math.sqrt(banks)
    return side_mm * (1.0 - 1.0 / root), 1.5 * side_mm * (root - 1.0)


def access_bits(sram: SramSpec) -> int:
    """Bits one access carries through the tree: the bank's port width, or one word (ideal SRAM)."""
    return 8 * (sram.bank_width_bytes or sram.word_bytes)


def htree_area_um2(sram: SramSpec, cells_um2: float) -> float:
    """Area of the tree's wires at 45 nm pitch, µm² (``cells_um2``: the buffer's cells at its node, which
    set the wires' length; cosim/hw/area.py scales the pitch to the node)."""
    _, total_mm = htree_length_mm(cells_um2, sram.banks)
    return total_mm * 1000.0 * access_bits(sram) * WIRE_PITCH_UM_45NM


def htree_pj_per_byte(cells_um2: float, banks: int) -> float:
    """Energy of carrying one byte from the port to its bank, pJ, in a buffer whose cells take
    ``cells_um2`` µm² at its node (cosim/hw/area.py sizes them)."""
    distance_mm, _ = htree_length_mm(cells_um2, banks)
    return 8 * WIRE_PJ_PER_BIT_MM * distance_mm
