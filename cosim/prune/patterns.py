"""Pruning patterns and the masks they allow, on weights in a layer's GEMM view (groups, N, K).

N = filters / output features (rows), K = the reduction (columns, channel-major: c·kh·kw + i·kw + j).

* ``unstructured:s``  — any weights; the fraction ``s`` with the lowest scores is removed.
* ``threshold:θ``     — any weights; every weight with |w| < θ is removed (an absolute magnitude
  threshold, Han et al. 2015 §3, rather than a fraction): each layer's sparsity is what its weight
  distribution puts below θ. Like N:M it has one target, so a schedule's steps repeat it.
* ``N:M`` (or ``N:M:k`` / ``N:M:n``) — at most N nonzeros in every group of M consecutive weights
  along K (default, what sparse tensor cores accelerate: NVIDIA A100 2:4) or along N. A last, short
  group is treated as zero-padded to M, so it too keeps at most N.
* ``block:BHxBW:s``   — BH×BW blocks over (N, K), each all-zero or kept; BH must divide N and BW must
  divide K. The fraction ``s`` of blocks with the lowest summed scores is removed.
* ``channel:s``       — structured: whole filters (rows) removed; the layer's out_channels and its
  consumers' in_channels shrink (cosim/prune/structure.py changes the graph's dims).
* ``layer:s``         — whole residual branches removed where an identity skip keeps the network
  connected, least important first, up to the fraction ``s`` of the network's weights.

Mask builders take per-weight scores (higher = more important, cosim/prune/criteria.py) and return a
boolean keep-mask of the same shape. Every builder keeps at least one weight per layer (a layer with
no weights left is removed with ``layer:s``, not masked away). Ties are broken by position (stable
sort), so equal scores give the same mask on every machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cosim.errors import CosimError, require

PATTERN_KINDS = ("dense", "unstructured", "threshold", "nm", "block", "channel", "layer")


@dataclass(frozen=True)
class Pattern:
    kind: str
    sparsity: float = 0.0  # fraction removed (N:M: 1 - N/M)
    n: int = 0
    m: int = 0
    axis: str = "k"  # N:M groups run along K (reduction) or N (filters)
    block_h: int = 0
    block_w: int = 0
    threshold: float = 0.0  # threshold:θ — |w| below it is removed

    def __post_init__(self) -> None:
        require(self.kind in PATTERN_KINDS,
                f"pattern kind '{self.kind}' is unknown; use one of {', '.join(PATTERN_KINDS)}")
        require(0.0 <= self.sparsity < 1.0,
                f"pattern {self.kind}: sparsity must be in [0, 1), got {self.sparsity}")
        if self.kind == "nm":
            require(self.n >= 1 and self.m >= 1, f"N:M pattern needs N >= 1 and M >= 1, got {self.n}:{self.m}")
            require(self.n <= self.m, f"N:M pattern {self.n}:{self.m} has N > M; N must be at most M (e.g. 2:4)")
            require(self.axis in ("k", "n"), f"N:M pattern axis '{self.axis}' is unknown; use k or n")
        if self.kind == "threshold":
            require(math.isfinite(self.threshold) and self.threshold > 0,
                    f"threshold pattern needs θ > 0, got {self.threshold}")
        if self.kind == "block":
            require(self.block_h >= 1 and self.block_w >= 1,
                    f"block pattern needs a block shape of at least 1x1, got {self.block_h}x{self.block_w}")

    @property
    def label(self) -> str:
        if self.kind == "nm":
            return f"{self.n}:{self.m}" + (":n" if self.axis == "n" else "")
        if self.kind == "block":
            return f"block:{self.block_h}x{self.block_w}:{self.sparsity:g}"
        if self.kind == "dense":
            return "dense"
        if self.kind == "threshold":
            return f"threshold:{self.threshold:g}"
        return f"{self.kind}:{self.sparsity:g}"

    @property
    def is_fine_grained(self) -> bool:
        """Masks only (the graph's dims stay); channel and layer patterns change the graph."""
        return self.kind in ("unstructured", "threshold", "nm", "block")

    def at_sparsity(self, sparsity: float) -> "Pattern":
        """The same pattern at another sparsity (N:M and threshold:θ fix their own and ignore it)."""
        if self.kind in ("nm", "dense", "threshold"):
            return self
        return Pattern(self.kind, sparsity, block_h=self.block_h, block_w=self.block_w)


def _fraction(text: str, what: str) -> float:
    try:
        s = float(text)
    except ValueError:
        raise CosimError(f"--pattern {what}: sparsity '{text}' is not a number; give a fraction in [0, 1)") from None
    require(0.0 <= s < 1.0, f"--pattern {what}: sparsity {s:g} is outside [0, 1); give a fraction such as 0.8")
    return s


def parse_pattern(text: str) -> Pattern:
    """``2:4`` | ``2:4:n`` | ``unstructured:0.8`` | ``threshold:0.05`` | ``block:4x4:0.75`` | ``channel:0.3`` |
    ``layer:0.2`` | ``dense``."""
    t = text.strip().lower()
    parts = t.split(":")
    head = parts[0]
    if t == "dense":
        return Pattern("dense")
    if head.isdigit():
        require(len(parts) in (2, 3) and parts[1].isdigit(),
                f"--pattern '{text}': an N:M pattern is written N:M or N:M:k|n, e.g. 2:4")
        n, m = int(parts[0]), int(parts[1])
        require(n >= 1 and m >= 1, f"--pattern '{text}': N and M must be >= 1")
        require(n <= m, f"--pattern '{text}': N:M has N > M; N must be at most M (e.g. 2:4)")
        axis = parts[2] if len(parts) == 3 else "k"
        require(axis in ("k", "n"), f"--pattern '{text}': N:M axis '{axis}' is unknown; use k or n")
        return Pattern("nm", 1.0 - n / m, n=n, m=m, axis=axis)
    if head == "threshold":
        require(len(parts) == 2, f"--pattern '{text}': write threshold:THETA, e.g. threshold:0.05")
        try:
            theta = float(parts[1])
        except ValueError:
            raise CosimError(f"--pattern '{text}': threshold '{parts[1]}' is not a number; give θ > 0") from None
        require(math.isfinite(theta) and theta > 0, f"--pattern '{text}': threshold must be > 0, got {parts[1]}")
        return Pattern("threshold", threshold=theta)
    if head in ("unstructured", "channel", "layer"):
        require(len(parts) == 2, f"--pattern '{text}': write {head}:SPARSITY, e.g. {head}:0.5")
        return Pattern(head, _fraction(parts[1], head))
    if head == "block":
        require(len(parts) == 3 and "x" in parts[1],
                f"--pattern '{text}': write block:BHxBW:SPARSITY, e.g. block:4x4:0.75")
        bh_s, bw_s = parts[1].split("x", 1)
        require(bh_s.isdigit() and bw_s.isdigit() and int(bh_s) >= 1 and int(bw_s) >= 1,
                f"--pattern '{text}': block shape '{parts[1]}' must be two positive integers BHxBW")
        return Pattern("block", _fraction(parts[2], "block"), block_h=int(bh_s), block_w=int(bw_s))
    raise CosimError(f"--pattern '{text}' is unknown; use N:M (2:4), unstructured:S, threshold:THETA, "
                     "block:BHxBW:S, channel:S or layer:S")


def prune_count(total: int, sparsity: float) -> int:
    """How many of ``total`` items a sparsity removes: round(s·total), leaving at least one."""
    return min(int(round(sparsity * total)), max(total - 1, 0))


def _lowest(flat_scores: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` lowest scores (ties: lower index first)."""
    return np.argsort(flat_scores, kind="stable")[:count]


def unstructured_mask(scores: np.ndarray, sparsity: float) -> np.ndarray:
    flat = scores.ravel()
    keep = np.ones(flat.size, dtype=bool)
    keep[_lowest(flat, prune_count(flat.size, sparsity))] = False
    return keep.reshape(scores.shape)


def threshold_mask(magnitudes: np.ndarray, theta: float) -> np.ndarray:
    """Keep |w| >= θ; a layer entirely below θ keeps its largest weight (first on ties)."""
    keep = magnitudes >= theta
    if not keep.any():
        keep.ravel()[int(np.argmax(magnitudes.ravel()))] = True
    return keep


def nm_mask(scores: np.ndarray, n: int, m: int, axis: str = "k") -> np.ndarray:
    """Keep the N highest scores of every group of M along K (axis 'k') or N (axis 'n')."""
    require(1 <= n <= m, f"N:M pattern {n}:{m} has N > M; N must be at most M")
    s = scores if axis == "k" else np.swapaxes(scores, 1, 2)
    g, rows, length = s.shape
    groups = math.ceil(length / m)
    padded = np.full((g, rows, groups * m), -np.inf)
    padded[..., :length] = s
    grouped = padded.reshape(g, rows, groups, m)
    # Rank within each group, highest first; stable so ties keep the earlier position.
    order = np.argsort(-grouped, axis=-1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(m)[None, None, None, :], axis=-1)
    keep = (rank < n).reshape(g, rows, groups * m)[..., :length]
    return keep if axis == "k" else np.swapaxes(keep, 1, 2)


def block_mask(scores: np.ndarray, block_h: int, block_w: int, sparsity: float, layer: str = "") -> np.ndarray:
    g, rows, cols = scores.shape
    where = f"layer '{layer}'" if layer else "weights"
    require(rows % block_h == 0 and cols % block_w == 0,
            f"{where}: block {block_h}x{block_w} does not divide its GEMM view N x K = {rows} x {cols}; "
            "pick a block shape dividing both or skip the layer")
    blocks = scores.reshape(g, rows // block_h, block_h, cols // block_w, block_w).sum(axis=(2, 4))
    keep_blocks = unstructured_mask(blocks, sparsity)
    return np.repeat(np.repeat(keep_blocks, block_h, axis=1), block_w, axis=2)


def channel_keep(row_scores: np.ndarray, sparsity: float) -> np.ndarray:
    """Sorted indices of the rows (filters) kept: all but the ``sparsity`` fraction scoring lowest."""
    flat = row_scores.ravel()
    drop = _lowest(flat, prune_count(flat.size, sparsity))
    return np.setdiff1d(np.arange(flat.size), drop)


def global_unstructured_masks(scores: dict[str, np.ndarray], sparsity: float) -> dict[str, np.ndarray]:
    """One threshold across all layers (Han et al. 2015 global magnitude pruning): the fraction
    ``sparsity`` of all weights with the lowest scores goes, wherever it lies; every layer keeps at
    least its highest-scoring weight."""
    names = list(scores)
    sizes = [scores[n].size for n in names]
    flat = np.concatenate([scores[n].ravel() for n in names])
    drop = _lowest(flat, prune_count(flat.size, sparsity))
    keep = np.ones(flat.size, dtype=bool)
    keep[drop] = False
    out, start = {}, 0
    for name, size in zip(names, sizes):
        k = keep[start:start + size]
        if not k.any():
            k[np.argmax(scores[name].ravel())] = True
        out[name] = k.reshape(scores[name].shape)
        start += size
    return out


def mask_for(pattern: Pattern, scores: np.ndarray, sparsity: float | None = None, layer: str = "") -> np.ndarray:
    """The keep-mask of one layer's weights under a fine-grained pattern."""
    s = pattern.sparsity if sparsity is None else sparsity
    if pattern.kind == "unstructured":
        return unstructured_mask(scores, s)
    if pattern.kind == "threshold":
        return threshold_mask(scores, pattern.threshold)
    if pattern.kind == "nm":
        return nm_mask(scores, pattern.n, pattern.m, pattern.axis)
    if pattern.kind == "block":
        return block_mask(scores, pattern.block_h, pattern.block_w, s, layer)
    if pattern.kind == "dense":
        return np.ones(scores.shape, dtype=bool)
    raise CosimError(f"pattern '{pattern.label}' is structural; it changes the graph rather than masking weights")


# ---- checks --------------------------------------------------------------------------------------
def nm_violations(mask: np.ndarray, n: int, m: int, axis: str = "k") -> int:
    """Groups of M (zero-padded at the end) along ``axis`` holding more than N nonzeros."""
    s = mask if axis == "k" else np.swapaxes(mask, 1, 2)
    g, rows, length = s.shape
    groups = math.ceil(length / m)
    padded = np.zeros((g, rows, groups * m), dtype=bool)
    padded[..., :length] = s
    return int((padded.reshape(g, rows, groups, m).sum(axis=-1) > n).sum())


def block_violations(mask: np.ndarray, block_h: int, block_w: int) -> int:
    """Blocks that are neither all-zero nor all-kept."""
    g, rows, cols = mask.shape
    if rows % block_h or cols % block_w:
        return -1
    kept = mask.reshape(g, rows // block_h, block_h, cols // block_w, block_w).sum(axis=(2, 4))
    return int(((kept != 0) & (kept != block_h * block_w)).sum())


def check_mask(mask: np.ndarray, pattern: Pattern, layer: str = "") -> None:
    """Raise CosimError unless ``mask`` honours ``pattern`` exactly."""
    where = f"layer '{layer}'" if layer else "mask"
    if pattern.kind == "nm" and pattern.axis == "k":
        from cosim.kernels import check_nm  # the shared Numba validator

        check_nm(mask, pattern.n, pattern.m, where)
        return
    if pattern.kind == "nm":
        bad = nm_violations(mask, pattern.n, pattern.m, pattern.axis)
        require(bad == 0, f"{where}: {bad} groups of {pattern.m} keep more than {pattern.n} weights")
    elif pattern.kind == "block":
        bad = block_violations(mask, pattern.block_h, pattern.block_w)
        require(bad == 0, f"{where}: {bad} blocks of {pattern.block_h}x{pattern.block_w} are partly pruned")
