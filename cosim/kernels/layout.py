"""Mask layout shared by the kernels: normalising a mask to a C-contiguous (groups, N, K) uint8 array
of 0/1 bytes, the SWAR byte-sum helpers that count eight mask bytes per uint64 word, and raw-address
access so one kernel call can walk a whole list of layer masks."""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.core import types
from numba.extending import intrinsic

from cosim.errors import require


def as_mask(mask: np.ndarray) -> np.ndarray:
    """(groups, N, K) mask as a C-contiguous uint8 view (0/1 bytes). A C-contiguous 3-D bool array (the
    common case) is only re-viewed, with no copy and no scan."""
    if type(mask) is np.ndarray and mask.dtype == np.bool_ and mask.ndim == 3 and mask.flags.c_contiguous:
        return mask.view(np.uint8)
    mask = np.asarray(mask)
    require(mask.ndim == 3, f"a weight mask must be (groups, N, K), got shape {mask.shape}")
    if mask.dtype != np.bool_:
        mask = mask != 0
    return np.ascontiguousarray(mask).view(np.uint8)


def check_tile(name: str, value: int) -> int:
    if type(value) is int and value >= 1:
        return value
    require(isinstance(value, (int, np.integer)) and value >= 1, f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


# ---- SWAR byte sums ----------------------------------------------------------------------------------
# Mask bytes are 0 or 1, so a uint64 word read from a mask holds eight counts, one per byte lane, and
# words added together keep each lane's count in its own byte as long as no lane passes 255. Two ways
# to total the lanes:
# * the multiply-shift trick: (acc * 0x0101010101010101) >> 56 is the sum of the eight bytes when that
#   sum is at most 255 (the multiply adds every lane into the top byte; no carry reaches it from
#   below) — one multiply, exact for up to 31 summed words (31 * 8 = 248 ones);
# * a shift-add tree (byte_lane_sum) when each lane is at most 255 but the total may be larger.
BYTE_SUM_MUL = np.uint64(0x0101010101010101)
MUL_MAX_WORDS = 31  # words whose byte total is always <= 255: 8 ones per word
LO8 = np.uint64(0x00FF00FF00FF00FF)
LO16 = np.uint64(0x0000FFFF0000FFFF)


@njit(cache=True, inline="always")
def mul_byte_sum(acc):
    """Sum of the eight byte lanes of ``acc`` when that sum is <= 255 (multiply-shift trick)."""
    return np.int64((acc * BYTE_SUM_MUL) >> np.uint64(56))


@njit(cache=True, inline="always")
def byte_lane_sum(acc):
    """Sum of the eight byte lanes of ``acc`` (each lane <= 255, any total)."""
    s = (acc & LO8) + ((acc >> np.uint64(8)) & LO8)
    s = (s & LO16) + ((s >> np.uint64(16)) & LO16)
    s = s + (s >> np.uint64(32))
    return np.int64(s & np.uint64(0xFFFF))


# ---- raw addresses -------------------------------------------------------------------------------------
# A batch of layer masks has one shape per layer; a kernel receives their addresses and shapes as int64
# arrays and rebuilds each mask with numba.carray. This keeps a whole network to one dispatch (a typed
# list or a tuple of 54 arrays costs more to pass than counting the smaller layers takes). The caller
# keeps the arrays alive for the duration of the call.
@intrinsic
def u8_ptr(typingctx, address):
    """The int64 ``address`` as a uint8 pointer (for numba.carray)."""
    sig = types.CPointer(types.uint8)(types.int64)

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], context.get_value_type(signature.return_type))

    return sig, codegen


@intrinsic
def u64_ptr(typingctx, address):
    """The int64 ``address`` (8-byte aligned) as a uint64 pointer (for numba.carray)."""
    sig = types.CPointer(types.uint64)(types.int64)

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], context.get_value_type(signature.return_type))

    return sig, codegen


def batch_layout(masks) -> tuple[list[np.ndarray], np.ndarray]:
    """Normalised masks (to keep alive during the call) and their (address, groups, N, K) as int64 (L, 4)."""
    kept = [as_mask(m) for m in masks]
    meta = np.array([(m.ctypes.data, *m.shape) for m in kept], dtype=np.int64).reshape(len(kept), 4)
    return kept, meta


def check_rhs(x: np.ndarray, g: int, k: int) -> np.ndarray:
    """The dense operand of a sparse × dense product as a C-contiguous (groups, K, M) array."""
    x = np.ascontiguousarray(x)
    require(x.ndim == 3 and x.shape[:2] == (g, k), f"dense operand must be (groups, K, M) = ({g}, {k}, M), got {x.shape}")
    return x
