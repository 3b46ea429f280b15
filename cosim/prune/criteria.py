"""Importance criteria: a score per weight (higher = keep), in the layer's GEMM view (groups, N, K).

* ``magnitude`` / ``l1`` — |w| (Han et al. 2015). Groups (blocks, filters) sum it: the group's L1 norm.
* ``l2``        — w². Groups sum it: the squared L2 norm (Li et al. 2017 rank filters by norm).
* ``taylor``    — first-order Taylor estimate of the loss change when a weight is removed, squared and
  averaged over mini-batches: mean_b (g_b · w)² (Molchanov et al. 2019, "Importance Estimation for
  Neural Network Pruning", eq. 3/4 with per-batch accumulation). Needs gradients.
* ``activation`` — statistical importance from activation variance: w² · Var(x_k), the variance a
  weight contributes to its output if inputs are independent. Summed over a filter it estimates the
  variance of that filter's output, so channel scores are output-activation variances. Needs the
  per-input-feature variance of the layer's input on calibration data.
* ``random``    — a seeded uniform score (the control every criterion should beat).

Group scores are sums of element scores, so one rule serves blocks, N:M groups and channels.
"""

from __future__ import annotations

import zlib

import numpy as np

from cosim.errors import CosimError, require

CRITERIA = ("magnitude", "l1", "l2", "taylor", "activation", "random")


def layer_seed(seed: int, name: str) -> int:
    """A per-layer seed independent of layer order (CRC-32 of the name mixed with the run seed)."""
    return (zlib.crc32(name.encode()) ^ (seed * 0x9E3779B1)) & 0xFFFFFFFF


def element_scores(criterion: str, name: str, w: np.ndarray, *, taylor_sq: np.ndarray | None = None,
                   input_var: np.ndarray | None = None, seed: int = 0) -> np.ndarray:
    """Score of every weight of layer ``name`` (w in GEMM view (groups, N, K)); float64, ≥ 0.

    ``taylor_sq``: mean over batches of (g·w)², same shape as w. ``input_var``: variance of every
    reduction input, shape (groups, K) or (K,).
    """
    require(criterion in CRITERIA, f"--criterion '{criterion}' is unknown; use one of {', '.join(CRITERIA)}")
    w = np.asarray(w, dtype=np.float64)
    if criterion in ("magnitude", "l1"):
        return np.abs(w)
    if criterion == "l2":
        return w * w
    if criterion == "random":
        return np.random.default_rng(layer_seed(seed, name)).random(w.shape)
    if criterion == "taylor":
        if taylor_sq is None:
            raise CosimError(f"layer '{name}': criterion 'taylor' needs gradients on training data, which "
                             "this workload has none of; use --criterion magnitude")
        require(taylor_sq.shape == w.shape, f"layer '{name}': Taylor scores {taylor_sq.shape} do not match weights {w.shape}")
        return np.asarray(taylor_sq, dtype=np.float64)
    if input_var is None:
        raise CosimError(f"layer '{name}': criterion 'activation' needs calibration activations, which this "
                         "workload has none of; use --criterion magnitude")
    var = np.asarray(input_var, dtype=np.float64)
    var = var.reshape(1, 1, -1) if var.ndim == 1 else var[:, None, :]
    require(var.shape[-1] == w.shape[-1], f"layer '{name}': activation variances for K={var.shape[-1]} "
                                          f"do not match the weights' K={w.shape[-1]}")
    return w * w * var


def channel_scores(scores: np.ndarray) -> np.ndarray:
    """Per-filter score (groups·N,): the sum over the reduction of its element scores."""
    return scores.sum(axis=2).ravel()
