"""Sparsity annotations carried by a layer's weights.

A :class:`Sparsity` says which pattern the weights follow (dense, unstructured, N:M, block, channel),
their density (fraction of nonzeros kept), and, where a pruned model exists, the mask itself in the
layer's GEMM view: a boolean array of shape (groups, N, K) — per group, one row per filter/output
feature, one column per reduction element. Where a mask exists the datapaths use it; where none exists
a statistical model of the pattern stands in, and reports say which (``source``).

The statistical stand-ins are :func:`synthesize_mask` (a random mask of the pattern at the stated
density, deterministic for a seed) and, where a closed form is cheaper, :func:`expected_max_binomial`
(the expected busiest lane of an unstructured-sparse fold).
"""

from __future__ import annotations

import hashlib
import math
import zlib
from dataclasses import dataclass, field

import numpy as np

from cosim.errors import CosimError, require

KINDS = ("dense", "unstructured", "nm", "block", "channel")


@dataclass(frozen=True)
class Sparsity:
    kind: str = "dense"
    density: float = 1.0
    n: int = 0  # N:M — N nonzeros kept in every group of M along the reduction (K) dimension
    m: int = 0
    block_h: int = 0  # block — bh × bw blocks over (N, K), all-zero or kept
    block_w: int = 0
    mask: np.ndarray | None = field(default=None, compare=False, repr=False)
    # Content hash of the mask ("" without one): two annotations are equal only if their masks are,
    # so a layer's value (its hash, cosim.walk's site keys, every cache) includes its mask.
    mask_digest: str = field(default="", init=False, repr=False)

    def __post_init__(self) -> None:
        require(self.kind in KINDS, f"sparsity kind '{self.kind}' is not supported; use one of {', '.join(KINDS)}")
        require(0.0 < self.density <= 1.0,
                f"sparsity density must be in (0, 1] (sparsity in [0, 1)), got density {self.density}")
        if self.kind == "nm":
            require(self.m >= 1 and 1 <= self.n, f"N:M sparsity needs N >= 1 and M >= 1, got {self.n}:{self.m}")
            require(self.n <= self.m, f"N:M sparsity {self.n}:{self.m} has N > M; N must be at most M (e.g. 2:4)")
        if self.kind == "block":
            require(self.block_h >= 1 and self.block_w >= 1,
                    f"block sparsity needs a block shape >= 1x1, got {self.block_h}x{self.block_w}")
        if self.mask is not None:
            require(self.mask.ndim == 3, f"a weight mask must be (groups, N, K), got shape {self.mask.shape}")
            object.__setattr__(self, "mask_digest", mask_digest(self.mask))

    @property
    def is_dense(self) -> bool:
        return self.kind == "dense" and self.density == 1.0

    @property
    def source(self) -> str:
        """'mask' when a real mask drives the model, 'statistical' otherwise (dense is exact either way)."""
        if self.mask is not None:
            return "mask"
        return "dense" if self.is_dense else "statistical"

    @property
    def label(self) -> str:
        if self.kind == "nm":
            return f"{self.n}:{self.m}"
        if self.kind == "block":
            return f"block:{self.block_h}x{self.block_w}:{1 - self.density:.2f}"
        if self.kind == "dense":
            return "dense"
        return f"{self.kind}:{1 - self.density:.2f}"

    @classmethod
    def nm_pattern(cls, n: int, m: int) -> "Sparsity":
        require(m >= 1 and n >= 1 and n <= m, f"N:M sparsity {n}:{m} is invalid; need 1 <= N <= M (e.g. 2:4)")
        return cls(kind="nm", density=n / m, n=n, m=m)

    @classmethod
    def from_mask(cls, mask: np.ndarray, kind: str = "unstructured", **kw) -> "Sparsity":
        mask = np.asarray(mask, dtype=bool)
        require(mask.ndim == 3, f"a weight mask must be (groups, N, K), got shape {mask.shape}")
        density = float(mask.mean()) if mask.size else 1.0
        require(density > 0.0, "a weight mask keeps no weights at all; keep at least one per layer")
        return cls(kind=kind, density=density, mask=mask, **kw)


def mask_digest(mask: np.ndarray) -> str:
    """Content hash of a boolean mask and its shape (BLAKE2b of the bit-packed mask)."""
    m = np.asarray(mask) != 0
    h = hashlib.blake2b(repr(m.shape).encode(), digest_size=16)
    h.update(np.packbits(m).tobytes())
    return h.hexdigest()


# ---- statistical stand-ins where no mask exists ----------------------------------------------------
def _layer_rng(layer, seed: int) -> np.random.Generator:
    """A generator fixed by (seed, layer name): same-shaped layers get different patterns, and the
    same seed always reproduces the same masks."""
    return np.random.default_rng([int(seed), zlib.crc32(layer.name.encode())])


def _keep_count(density: float, total: int) -> int:
    """Elements (or blocks, rows) kept at ``density``: rounded, at least one."""
    return min(total, max(1, int(round(density * total))))


def synthesize_mask(layer, sparsity: Sparsity | None = None, seed: int = 0) -> np.ndarray:
    """A (groups, N, K) boolean weight mask for ``layer`` following ``sparsity`` (default: the layer's
    own ``weight_sparsity``). A real mask, when the sparsity carries one, is returned as is; otherwise
    a random mask of the pattern stands in, deterministic for ``seed``:

    * dense — all kept;
    * unstructured — exactly round(density · elements) kept, uniformly at random over the tensor;
    * N:M — in every group of M along K (groups start at k = 0, M, 2M, …), N positions chosen at
      random (all of a trailing group shorter than N);
    * block — round(density · blocks) of the bh × bw blocks over (N, K) kept, the rest all-zero
      (edge blocks are cut by the tensor's border);
    * channel — round(density · rows) whole filters (rows of N, across groups) kept.
    """
    sp = layer.weight_sparsity if sparsity is None else sparsity
    where = f"layer '{layer.name}'"
    require(layer.is_compute, f"{where}: op '{layer.op}' has no weights to mask")
    g, n, k = layer.groups, layer.gemm_n, layer.gemm_k
    if sp.mask is not None:
        require(tuple(sp.mask.shape) == (g, n, k),
                f"{where}: weight mask shape {tuple(sp.mask.shape)} does not match the layer's (groups, N, K) = {(g, n, k)}")
        return np.asarray(sp.mask, dtype=bool)
    rng = _layer_rng(layer, seed)
    if sp.kind == "dense" or sp.density >= 1.0:
        return np.ones((g, n, k), bool)
    if sp.kind == "unstructured":
        total = g * n * k
        mask = np.zeros(total, bool)
        mask[rng.choice(total, size=_keep_count(sp.density, total), replace=False)] = True
        return mask.reshape(g, n, k)
    if sp.kind == "nm":
        groups = -(-k // sp.m)
        keys = rng.random((g, n, groups, sp.m))
        if k % sp.m:  # positions past K sort last, so a short trailing group keeps its real ones
            keys[:, :, -1, k % sp.m:] = 2.0
        rank = np.argsort(np.argsort(keys, axis=3), axis=3)
        return (rank < sp.n).reshape(g, n, groups * sp.m)[:, :, :k].copy()
    if sp.kind == "block":
        bn, bk = -(-n // sp.block_h), -(-k // sp.block_w)
        total = g * bn * bk
        blocks = np.zeros(total, bool)
        blocks[rng.choice(total, size=_keep_count(sp.density, total), replace=False)] = True
        blocks = blocks.reshape(g, bn, bk)
        return np.repeat(np.repeat(blocks, sp.block_h, axis=1), sp.block_w, axis=2)[:, :n, :k].copy()
    if sp.kind == "channel":
        total = g * n
        rows = np.zeros(total, bool)
        rows[rng.choice(total, size=_keep_count(sp.density, total), replace=False)] = True
        return np.repeat(rows.reshape(g, n, 1), k, axis=2)
    raise CosimError(f"{where}: cannot synthesize a mask for sparsity kind '{sp.kind}'")


def expected_max_binomial(trials: int, p: float, lanes: int) -> float:
    """E[max of ``lanes`` independent Binomial(trials, p)] — the expected busiest lane when each of
    ``lanes`` lanes streams ``trials`` weights kept independently with probability ``p`` (unstructured
    sparsity on a zero-skipping array). Exact: E[max] = Σ_{x=0}^{trials-1} (1 − F(x)^lanes), F the
    binomial CDF (computed in log space, so large ``trials`` do not underflow)."""
    require(trials >= 0 and lanes >= 1, f"need trials >= 0 and lanes >= 1, got {trials}, {lanes}")
    require(0.0 <= p <= 1.0, f"p must be in [0, 1], got {p}")
    if trials == 0 or p == 0.0:
        return 0.0
    if p == 1.0:
        return float(trials)
    x = np.arange(trials + 1)
    log_pmf = (math.lgamma(trials + 1) - np.array([math.lgamma(v + 1) + math.lgamma(trials - v + 1) for v in x])
               + x * math.log(p) + (trials - x) * math.log1p(-p))
    cdf = np.minimum(np.cumsum(np.exp(log_pmf)), 1.0)
    return float(np.sum(1.0 - cdf[:-1] ** lanes))


def expected_lane_imbalance(trials: int, p: float, lanes: int) -> float:
    """Expected busiest lane over the mean lane, E[max] / (trials · p) (≥ 1; 1.0 when nothing is kept)."""
    mean = trials * p
    return expected_max_binomial(trials, p, lanes) / mean if mean > 0 else 1.0


# ---- does a layer's weight pattern run as a hardware N:M pattern? -------------------------------
def nm_fits(n: int, m: int, hw_n: int, hw_m: int) -> bool:
    """Does every row pruned n:m (no mask known) satisfy hw_n:hw_m? Only when each hw_m-block of K is
    guaranteed at most hw_n nonzeros: whole n:m groups inside it, or one n:m group spanning it."""
    if m % hw_m == 0:  # one n:m group spans m/hw_m hardware groups: all n may land in one of them
        return n <= hw_n
    if hw_m % m == 0:  # a hardware group spans hw_m/m whole n:m groups
        return n * (hw_m // m) <= hw_n
    return False


def runs_as_nm(sp: Sparsity, hw_n: int, hw_m: int) -> bool:
    """The one check every datapath uses: can weights of ``sp`` run on hw_n:hw_m skipping hardware?

    With a mask, every hw_m-block of every row must hold at most hw_n nonzeros (checked by the Numba
    kernel ``first_nm_violation``); without one, only a declared N:M pattern that :func:`nm_fits`
    guarantees qualifies (an unstructured or block pattern at the same density does not)."""
    if sp.mask is not None:
        from cosim.kernels.nm import first_nm_violation  # Numba: imported where a mask is checked

        return first_nm_violation(sp.mask, hw_n, hw_m) is None
    return sp.kind == "nm" and nm_fits(sp.n, sp.m, hw_n, hw_m)
