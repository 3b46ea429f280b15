"""The wires of a banked SRAM: the H-tree that carries every access from the buffer's port to the
bank it addresses, so that more banks is a trade (smaller banks cost less per access, but each bank
adds periphery, cosim/hw/area.py, and the tree's wires cost energy; their area is in the CACTI-fitted
macro, cosim/hw/sram_fit.py, which includes the routing between banks).

Model (CACTI's organisation, Thoziyoor et al., CACTI 5.1 technical report HPL-2008-20, §2: banks
connected by an H-tree): B banks tile a square buffer of side S = √(cell area). A k-level H-tree
(B = 4^k leaves) carries an access from the centre to a bank over S·(1 − 1/√B) of wire (S/2 + S/4 +
... : each level halves the side), as wide as the access (``bank_width_bytes``, or ``word_bytes`` for
an ideal SRAM). One bank has no tree.

* Wire energy: 0.1 pJ per bit per mm at 28 nm — a 256-bit word moved 1 mm on chip costs 26 pJ
  (Keckler, Dally, Khailany, Garland, Glasco, "GPUs and the future of parallel computing", IEEE Micro
  31(5), 2011, Fig. 2, 28 nm), held at every node: a wire's capacitance per mm barely changes with
  the node (only the distance shrinks, with the cells); the supply's change is neglected.
"""

from __future__ import annotations

import math

from cosim.hw.spec import SramSpec

WIRE_PJ_PER_BIT_MM = 26.0 / 256.0  # Keckler et al., IEEE Micro 2011: 256 bits over 1 mm = 26 pJ at 28 nm


def htree_distance_mm(cells_um2: float, banks: int) -> float:
    """Centre-to-bank wire distance of the H-tree over ``banks`` banks of a buffer whose cells take
    ``cells_um2`` µm², mm (0 for one bank)."""
    if banks <= 1:
        return 0.0
    return math.sqrt(cells_um2) / 1000.0 * (1.0 - 1.0 / math.sqrt(banks))


def access_bits(sram: SramSpec) -> int:
    """Bits one access carries through the tree: the bank's port width, or one word (ideal SRAM)."""
    return 8 * (sram.bank_width_bytes or sram.word_bytes)


def htree_pj_per_byte(cells_um2: float, banks: int) -> float:
    """Energy of carrying one byte from the port to its bank, pJ, in a buffer whose cells take
    ``cells_um2`` µm² at its node (cosim/hw/area.py sizes them)."""
    return 8 * WIRE_PJ_PER_BIT_MM * htree_distance_mm(cells_um2, banks)
