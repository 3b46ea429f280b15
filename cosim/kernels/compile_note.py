"""Whether Numba's on-disk cache of cosim's kernels is cold, so the CLI can say compiling takes a while.

Numba writes a ``<module>.<function>-<line>.pyXY.nbi`` index per cached kernel (``@njit(cache=True)``)
into ``__pycache__`` beside the source, or under ``NUMBA_CACHE_DIR``, or the user cache
(``~/.cache/numba``) when the source folder is read-only (numba docs, "Cache Sharing"/"Cache location").
"""

from __future__ import annotations

import os
from pathlib import Path

NOTE = "compiling kernels (once)…"


def kernel_cache_is_cold() -> bool:
    """True when no cached kernel of cosim is found in any place Numba may have written one."""
    pkg = Path(__file__).resolve().parent.parent
    places = [pkg / "kernels" / "__pycache__", pkg / "prune" / "__pycache__", Path.home() / ".cache" / "numba"]
    if os.environ.get("NUMBA_CACHE_DIR"):
        places.append(Path(os.environ["NUMBA_CACHE_DIR"]))
    for place in places:
        if place.is_dir() and any("cosim" in str(f) for f in place.rglob("*.nbi")):
            return False
    return True
