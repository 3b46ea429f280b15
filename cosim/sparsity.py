"""Sparsity annotations carried by a layer's weights.

A :class:`Sparsity` says which pattern the weights follow (dense, unstructured, N:M, block, channel),
their density (fraction of nonzeros kept), and, where a pruned model exists, the mask itself in the
layer's GEMM view: a boolean array of shape (groups, N, K) — per group, one row per filter/output
feature, one column per reduction element. Where a mask exists the datapaths use it; where none exists
a statistical model of the pattern stands in, and reports say which (``source``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cosim.errors import require

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
