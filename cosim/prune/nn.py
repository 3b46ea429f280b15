"""Small neural networks in numpy: forward, backward, Adam, masks, fake quantization, channel surgery.

Enough to train, prune and fine-tune the embedded digits models (cosim/prune/digits.py) in seconds on
a CPU. Tensors are NHWC float32. Convolutions are stride-1, "same" (zero padding k//2, odd kernels)
or "valid" (no padding: the map shrinks by k − 1), lowered to a GEMM by im2col, with the reduction index ordered channel-major — k = c·kh·kw + i·kw + j, the PyTorch OIHW
flattening — so a weight's GEMM view (1, N, K) is exactly cosim's (groups, N, K) layer view and a mask
moves between the two without reordering. ``Flatten`` flattens in NCHW order for the same reason.

Masks: each weighted layer may carry a boolean mask in its GEMM view; the forward pass uses
``w · mask`` and training keeps pruned weights at zero. Fake quantization: a weighted layer may carry
``weight_quant`` / ``input_quant`` callables (quantize→dequantize, cosim/prune/quantize.py); the
backward pass treats them as identity (straight-through estimator, Bengio et al. 2013).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from cosim.errors import CosimError
from cosim.prune.nn_kernels import col2im, im2col, maxpool2, maxpool2_backward

Quant = Callable[[np.ndarray], np.ndarray] | None


def single_blas_thread():
    """A context running BLAS on one thread. The GEMMs here are tiny (≤ 1024×576): a multithreaded
    BLAS spends far longer synchronising than computing (measured 80× slower for the digits MLP on a
    shared 2-core machine). (threadpoolctl)."""
    from threadpoolctl import threadpool_limits  # a dependency; imported where training runs

    return threadpool_limits(limits=1, user_api="blas")


PADDINGS = ("same", "valid")


@dataclass
class Conv:
    """k×k convolution, stride 1, ``padding`` 'same' (zero padding k//2) or 'valid' (none).
    w: (out, in, k, k)."""

    name: str
    w: np.ndarray
    b: np.ndarray
    mask: np.ndarray | None = None  # (1, out, in·k·k) bool
    weight_quant: Quant = None
    input_quant: Quant = None
    padding: str = "same"

    def __post_init__(self) -> None:
        if self.padding not in PADDINGS:
            raise CosimError(f"layer '{self.name}': padding '{self.padding}' is unknown; use same or valid")

    @property
    def pad(self) -> int:
        return self.w.shape[2] // 2 if self.padding == "same" else 0

    @property
    def gemm_shape(self) -> tuple[int, int, int]:
        o, i, kh, kw = self.w.shape
        return (1, o, i * kh * kw)

    def effective_w2(self) -> np.ndarray:
        w2 = self.w.reshape(self.w.shape[0], -1)
        if self.mask is not None:
            w2 = w2 * self.mask[0]
        return self.weight_quant(w2) if self.weight_quant else w2

    def forward(self, x: np.ndarray, cache: dict) -> np.ndarray:
        if self.input_quant:
            x = self.input_quant(x)
        x = np.ascontiguousarray(x)
        b_, h, w_, _ = x.shape
        k, p = self.w.shape[2], self.pad
        cols = im2col(x, k, p)
        w2 = self.effective_w2()
        cache[self.name] = (cols, x.shape, w2)
        return (cols @ w2.T + self.b).reshape(b_, h + 2 * p - k + 1, w_ + 2 * p - k + 1, -1)

    def backward(self, dout: np.ndarray, cache: dict, grads: dict) -> np.ndarray | None:
        cols, xshape, w2 = cache[self.name]
        d2 = dout.reshape(-1, dout.shape[-1])
        grads[self.name] = ((d2.T @ cols).reshape(self.w.shape), d2.sum(axis=0))
        if cache.get("_first") == self.name:  # the network input needs no gradient
            return None
        b_, h, w_, c = xshape
        return col2im(np.ascontiguousarray(d2 @ w2), b_, h, w_, c, self.w.shape[2], self.pad)


@dataclass
class Dense:
    """Fully connected: y = x · wᵀ + b, w: (out, in)."""

    name: str
    w: np.ndarray
    b: np.ndarray
    mask: np.ndarray | None = None  # (1, out, in) bool
    weight_quant: Quant = None
    input_quant: Quant = None

    @property
    def gemm_shape(self) -> tuple[int, int, int]:
        return (1,) + self.w.shape

    def effective_w2(self) -> np.ndarray:
        w2 = self.w if self.mask is None else self.w * self.mask[0]
        return self.weight_quant(w2) if self.weight_quant else w2

    def forward(self, x: np.ndarray, cache: dict) -> np.ndarray:
        if self.input_quant:
            x = self.input_quant(x)
        w2 = self.effective_w2()
        cache[self.name] = (x, w2)
        return x @ w2.T + self.b

    def backward(self, dout: np.ndarray, cache: dict, grads: dict) -> np.ndarray:
        x, w2 = cache[self.name]
        grads[self.name] = (dout.T @ x, dout.sum(axis=0))
        return dout @ w2


@dataclass
class ReLU:
    name: str

    def forward(self, x, cache):
        cache[self.name] = x > 0
        return np.maximum(x, 0)

    def backward(self, dout, cache, grads):
        return dout * cache[self.name]


@dataclass
class MaxPool:
    """2×2 max pooling, stride 2; an odd H or W drops its last row or column (floor)."""

    name: str

    def forward(self, x, cache):
        b_, h, w_, c = x.shape
        if h < 2 or w_ < 2:
            raise CosimError(f"layer '{self.name}': 2x2 max pooling needs an input of at least 2x2, got {h}x{w_}")
        out, arg = maxpool2(np.ascontiguousarray(x))
        cache[self.name] = (arg, h, w_)
        return out

    def backward(self, dout, cache, grads):
        arg, h, w_ = cache[self.name]
        return maxpool2_backward(np.ascontiguousarray(dout), arg, h, w_)


@dataclass
class Flatten:
    """NHWC → (batch, C·H·W) in NCHW order (channel-major, as PyTorch's flatten)."""

    name: str

    def forward(self, x, cache):
        cache[self.name] = x.shape
        return x.transpose(0, 3, 1, 2).reshape(x.shape[0], -1)

    def backward(self, dout, cache, grads):
        b_, h, w_, c = cache[self.name]
        return dout.reshape(b_, c, h, w_).transpose(0, 2, 3, 1)


@dataclass
class Net:
    """A sequential network. ``layers`` run in order on NHWC input of ``input_shape`` (H, W, C)."""

    name: str
    input_shape: tuple[int, int, int]
    layers: list = field(default_factory=list)

    # ---- structure -----------------------------------------------------------------------------
    def weighted(self) -> list:
        return [l for l in self.layers if isinstance(l, (Conv, Dense))]

    def layer(self, name: str):
        for l in self.layers:
            if l.name == name:
                return l
        raise CosimError(f"network '{self.name}' has no layer '{name}'")

    def clone(self) -> "Net":
        return copy.deepcopy(self)

    def gemm_weights(self) -> dict[str, np.ndarray]:
        """Weights in cosim's GEMM view (1, N, K), masks applied (copies)."""
        out = {}
        for l in self.weighted():
            w = l.w.reshape(l.gemm_shape).copy()
            out[l.name] = w if l.mask is None else w * l.mask
        return out

    def set_masks(self, masks: dict[str, np.ndarray]) -> None:
        """Install (1, N, K) masks and zero the pruned weights."""
        for name, m in masks.items():
            l = self.layer(name)
            m = np.asarray(m, dtype=bool)
            if m.shape != l.gemm_shape:
                raise CosimError(f"layer '{name}': mask shape {m.shape} does not match weights {l.gemm_shape}")
            l.mask = m
            l.w *= m.reshape(l.w.shape)

    def feature_shapes(self) -> dict[str, tuple]:
        """Output shape (per image) of every layer."""
        x = np.zeros((1,) + tuple(self.input_shape), dtype=np.float32)
        shapes, cache = {}, {}
        for l in self.layers:
            x = l.forward(x, cache)
            shapes[l.name] = x.shape[1:]
        return shapes

    def keep_channels(self, name: str, keep: np.ndarray) -> None:
        """Remove the output channels (filters / neurons) of ``name`` not in ``keep``, and the matching
        inputs of the next weighted layer: the network really shrinks (structured pruning)."""
        keep = np.sort(np.asarray(keep, dtype=np.int64))
        idx = [i for i, l in enumerate(self.layers) if l.name == name][0]
        prod = self.layers[idx]
        old = prod.w.shape[0]
        if keep.size == 0:
            raise CosimError(f"layer '{name}': channel pruning would remove every channel; keep at least one")
        consumer = next((l for l in self.layers[idx + 1:] if isinstance(l, (Conv, Dense))), None)
        if consumer is None:
            raise CosimError(f"layer '{name}': its outputs are the network's outputs and cannot be pruned")
        prod.w = prod.w[keep].copy()
        prod.b = prod.b[keep].copy()
        if prod.mask is not None:
            prod.mask = prod.mask[:, keep].copy()
        span = consumer.gemm_shape[2] // old  # inputs of the consumer per producer channel
        cols = (keep[:, None] * span + np.arange(span)[None, :]).ravel()
        if isinstance(consumer, Conv):
            consumer.w = consumer.w[:, keep].copy()
        else:
            consumer.w = consumer.w[:, cols].copy()
        if consumer.mask is not None:
            consumer.mask = consumer.mask[:, :, cols].copy()

    # ---- compute -------------------------------------------------------------------------------
    def forward(self, x: np.ndarray, cache: dict | None = None, upto: str | None = None) -> np.ndarray:
        cache = {} if cache is None else cache
        cache["_first"] = self.layers[0].name
        for l in self.layers:
            if l.name == upto:
                return x
            x = l.forward(x, cache)
        return x

    def backward(self, dlogits: np.ndarray, cache: dict) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        grads: dict = {}
        d = dlogits
        for l in reversed(self.layers):
            d = l.backward(d, cache, grads)
            if d is None:
                break
        return grads

    def predict(self, x: np.ndarray, batch: int = 512) -> np.ndarray:
        with single_blas_thread():
            return np.concatenate([self.forward(x[i:i + batch]).argmax(axis=1) for i in range(0, len(x), batch)])

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        """Top-1 accuracy in [0, 1]."""
        return float((self.predict(x) == y).mean())

    def loss(self, x: np.ndarray, y: np.ndarray, batch: int = 512) -> float:
        """Mean softmax cross-entropy (nats), no gradients."""
        total = 0.0
        with single_blas_thread():
            for i in range(0, len(x), batch):
                z = self.forward(x[i:i + batch]).astype(np.float64)
                z -= z.max(axis=1, keepdims=True)
                logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
                total -= float(logp[np.arange(len(z)), y[i:i + batch]].sum())
        return total / len(x)

    def loss_and_grads(self, x: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
        """Mean softmax cross-entropy and its gradients w.r.t. every (w, b)."""
        cache: dict = {}
        logits = self.forward(x, cache)
        z = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        n = len(y)
        loss = float(-np.log(p[np.arange(n), y] + 1e-12).mean())
        p[np.arange(n), y] -= 1.0
        return loss, self.backward((p / n).astype(logits.dtype), cache)


def he_init(rng: np.random.Generator, shape: tuple, fan_in: int) -> np.ndarray:
    """He-normal initialisation, std = sqrt(2 / fan_in) (He et al. 2015), for ReLU networks."""
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)


def train(net: Net, x: np.ndarray, y: np.ndarray, epochs: int, seed: int = 0, lr: float = 2e-3,
          batch: int = 64, weight_decay: float = 0.0, cosine: bool = False,
          loss_fn: Callable | None = None) -> list[float]:
    """Adam (Kingma & Ba 2015; β1 0.9, β2 0.999, ε 1e-8) on mini-batches in a seeded order.

    ``cosine``: the rate decays from ``lr`` to 0 over the run as ½(1 + cos πt/T) per step (Loshchilov
    & Hutter 2017, SGDR without restarts), which settles the weights at the end of a short run.
    ``loss_fn(net, xb, yb, idx) -> (loss, grads)`` replaces the cross-entropy (distillation,
    cosim/prune/distill.py; ``idx`` are the batch's indices into ``x``).
    Masked weights stay exactly zero: their gradients and moments are masked after every step.
    Returns the mean loss of every epoch.
    """
    rng = np.random.default_rng(seed)
    params = net.weighted()
    state = {l.name: [np.zeros_like(l.w), np.zeros_like(l.w), np.zeros_like(l.b), np.zeros_like(l.b)]
             for l in params}
    step = [0]
    history = []
    per_epoch = -(-len(x) // batch)
    total = max(1, epochs * per_epoch)
    with single_blas_thread():
        for _ in range(epochs):
            order = rng.permutation(len(x))
            losses = []
            for s in range(0, len(x), batch):
                rate = lr * 0.5 * (1.0 + np.cos(np.pi * step[0] / total)) if cosine else lr
                idx = order[s:s + batch]
                if loss_fn is None:
                    loss, grads = net.loss_and_grads(x[idx], y[idx])
                else:
                    loss, grads = loss_fn(net, x[idx], y[idx], idx)
                losses.append(_adam_step(loss, grads, params, state, step, rate, weight_decay))
            history.append(float(np.mean(losses)))
    return history


def _adam_step(loss, grads, params, state, step, lr, weight_decay) -> float:
    b1, b2, eps = 0.9, 0.999, 1e-8
    step[0] += 1
    t = step[0]
    for l in params:
        gw, gb = grads[l.name]
        if weight_decay:
            gw = gw + weight_decay * l.w
        m_w, v_w, m_b, v_b = state[l.name]
        for p_, g_, m_, v_ in ((l.w, gw, m_w, v_w), (l.b, gb, m_b, v_b)):
            m_ *= b1
            m_ += (1 - b1) * g_
            v_ *= b2
            v_ += (1 - b2) * g_ * g_
            p_ -= (lr * (m_ / (1 - b1 ** t)) / (np.sqrt(v_ / (1 - b2 ** t)) + eps)).astype(p_.dtype)
        if l.mask is not None:
            keep = l.mask.reshape(l.w.shape)
            l.w *= keep
            m_w *= keep
            v_w *= keep
    return loss
