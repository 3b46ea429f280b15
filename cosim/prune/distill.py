"""Knowledge distillation while fine-tuning a pruned model (Hinton, Vinyals & Dean 2015).

The dense trained model is the teacher. The student (the pruned model) minimises

    L = α · T² · KL(softmax(z_t / T) ‖ softmax(z_s / T)) + (1 − α) · CE(y, softmax(z_s))

with z_t, z_s the teacher's and student's logits, T the temperature (softened targets: T > 1 shows
the teacher's relative probabilities of the wrong classes) and α the weight of the soft term. The T²
factor keeps the soft term's gradient magnitude independent of T (Hinton et al. 2015, §2). Its
gradient w.r.t. z_s, per example, is α · T · (softmax(z_s/T) − softmax(z_t/T)) + (1 − α)(softmax(z_s) − y).

The teacher's logits are computed once on the training images (the teacher is frozen), so a
distilled epoch costs what a plain one does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from cosim.errors import CosimError, require


@dataclass(frozen=True)
class Distill:
    temperature: float  # T > 0
    alpha: float  # weight of the soft (teacher) term in [0, 1]

    def __post_init__(self) -> None:
        require(self.temperature > 0 and np.isfinite(self.temperature),
                f"--distill: temperature T must be > 0, got {self.temperature}")
        require(0.0 <= self.alpha <= 1.0, f"--distill: alpha must be in [0, 1], got {self.alpha}")

    @property
    def label(self) -> str:
        return f"T={self.temperature:g},alpha={self.alpha:g}"


def parse_distill(text: str | None) -> Distill | None:
    """'T,ALPHA' (e.g. '4,0.7') → Distill; None, '', 'none' or 'off' → None."""
    if text is None or str(text).strip().lower() in ("", "none", "off"):
        return None
    parts = str(text).replace("T=", "").replace("alpha=", "").split(",")
    try:
        t, a = (float(p) for p in parts)
    except ValueError:
        raise CosimError(f"--distill '{text}' is not T,ALPHA (e.g. 4,0.7: temperature 4, soft-target "
                         "weight 0.7)") from None
    return Distill(t, a)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def teacher_logits(net, x: np.ndarray, batch: int = 512) -> np.ndarray:
    """The frozen teacher's logits on ``x`` (float64)."""
    from cosim.prune.nn import single_blas_thread

    with single_blas_thread():
        return np.concatenate([net.forward(x[i:i + batch]).astype(np.float64) for i in range(0, len(x), batch)])


def distill_loss_and_dlogits(student: np.ndarray, teacher: np.ndarray, y: np.ndarray,
                             spec: Distill) -> tuple[float, np.ndarray]:
    """The loss L above (mean over the batch) and dL/dz_s, both from logits."""
    n = len(y)
    t = spec.temperature
    zs = student.astype(np.float64)
    ps_t, pt_t = _softmax(zs / t), _softmax(teacher / t)
    p = _softmax(zs)
    ce = -np.log(p[np.arange(n), y] + 1e-12)
    kl = (pt_t * (np.log(pt_t + 1e-12) - np.log(ps_t + 1e-12))).sum(axis=1)
    loss = float((spec.alpha * t * t * kl + (1 - spec.alpha) * ce).mean())
    hard = p.copy()
    hard[np.arange(n), y] -= 1.0
    d = spec.alpha * t * (ps_t - pt_t) + (1 - spec.alpha) * hard
    return loss, d / n


def distill_loss_fn(teacher: np.ndarray, spec: Distill) -> Callable:
    """A ``loss_fn`` for cosim.prune.nn.train: ``teacher`` holds the logits of every training image."""
    def loss_fn(net, xb, yb, idx):
        cache: dict = {}
        logits = net.forward(xb, cache)
        loss, d = distill_loss_and_dlogits(logits, teacher[idx], yb, spec)
        return loss, net.backward(d.astype(logits.dtype), cache)

    return loss_fn
