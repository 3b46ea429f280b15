"""Numbers for people: engineering notation with SI prefixes and a fixed count of significant digits.

Only text forms use this; JSON and CSV keep plain numbers in their base units (``latency_s``, ...).
"""

from __future__ import annotations

import math

_PREFIXES = {-15: "f", -12: "p", -9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P"}


def eng(value: float, unit: str, digits: int = 3) -> str:
    """``eng(7.47e-6, "s") == "7.47 us"``: ``value`` in base units, shown with ``digits`` significant digits
    and the SI prefix whose exponent is a multiple of 3 that leaves 1 <= mantissa < 1000."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g} {unit}"
    exp = 3 * math.floor(math.log10(abs(value)) / 3)
    exp = max(min(exp, 15), -15)
    mant = float(f"{value / 10 ** exp:.{digits}g}")
    if abs(mant) >= 1000 and exp < 15:  # rounding carried into the next prefix (999.96 -> 1000)
        exp += 3
        mant = float(f"{value / 10 ** exp:.{digits}g}")
    return f"{mant:.{digits}g} {_PREFIXES[exp]}{unit}"
