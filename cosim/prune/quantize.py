"""Uniform integer quantization of weights and activations (fake quantization: quantize → dequantize).

Formulas (Jacob et al. 2018, "Quantization and Training of Neural Networks for Efficient
Integer-Arithmetic-Only Inference"; Krishnamoorthi 2018 white paper), for b bits:

* symmetric:  scale = max|x| / (2^(b-1) − 1), q = clip(round(x / scale), −(2^(b-1) − 1), 2^(b-1) − 1),
  x̂ = scale · q  (restricted range, so zero and ± are exact; TensorRT's and PyTorch's weight default)
* asymmetric: scale = (max − min) / (2^b − 1) over a range widened to include 0,
  zero_point = round(−min / scale), q = clip(round(x / scale) + zero_point, 0, 2^b − 1),
  x̂ = scale · (q − zero_point)

Per-tensor: one (scale, zero_point); per-channel: one per output filter (weights: rows N of the GEMM
view). Activations use per-tensor ranges calibrated on data (min/max over calibration batches).
A pruned zero stays exactly zero in both schemes. In the layer graph the bit widths become
``layer.weight_bits`` / ``layer.act_bits``; scales are metadata the compression metrics charge
(32-bit scale and zero point per channel or tensor).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cosim.errors import CosimError, require

SCALE_BITS = 32  # a float32 scale per quantization group (and a zero point for asymmetric ones)


@dataclass(frozen=True)
class QuantSpec:
    bits: int = 8
    symmetric: bool = True
    per_channel: bool = True

    def __post_init__(self) -> None:
        require(isinstance(self.bits, int) and 2 <= self.bits <= 16,
                f"--quantize: bit width must be 2..16, got {self.bits}")

    @property
    def label(self) -> str:
        return f"int{self.bits}-{'sym' if self.symmetric else 'asym'}-{'channel' if self.per_channel else 'tensor'}"

    def metadata_bits(self, channels: int) -> int:
        """Bits of scales (and zero points) stored with a tensor of ``channels`` filters."""
        groups = channels if self.per_channel else 1
        return groups * SCALE_BITS * (1 if self.symmetric else 2)


def parse_quant(text: str) -> QuantSpec | None:
    """``none`` | ``int8`` | ``int4`` | ``int8-asym`` | ``int4-tensor`` | ``int8-asym-tensor``."""
    t = text.strip().lower()
    if t in ("", "none"):
        return None
    parts = t.split("-")
    if not (parts[0].startswith("int") and parts[0][3:].isdigit()):
        raise CosimError(f"--quantize '{text}' is unknown; use int8, int4, int8-asym, int8-tensor or none")
    sym, per_channel = True, True
    for p in parts[1:]:
        if p in ("sym", "asym"):
            sym = p == "sym"
        elif p in ("channel", "tensor"):
            per_channel = p == "channel"
        else:
            raise CosimError(f"--quantize '{text}': option '{p}' is unknown; use sym|asym and channel|tensor")
    return QuantSpec(int(parts[0][3:]), sym, per_channel)


def qparams(lo: np.ndarray, hi: np.ndarray, bits: int, symmetric: bool) -> tuple[np.ndarray, np.ndarray]:
    """(scale, zero_point) for ranges [lo, hi] (arrays broadcast together)."""
    lo = np.minimum(np.asarray(lo, dtype=np.float64), 0.0)
    hi = np.maximum(np.asarray(hi, dtype=np.float64), 0.0)
    if symmetric:
        qmax = 2 ** (bits - 1) - 1
        scale = np.maximum(np.abs(lo), np.abs(hi)) / qmax
        zp = np.zeros_like(scale)
    else:
        scale = (hi - lo) / (2 ** bits - 1)
        zp = np.round(-lo / np.where(scale > 0, scale, 1.0))
    scale = np.where(scale > 0, scale, 1.0)  # an all-zero tensor: any scale reproduces it
    return scale, zp


def fake_quant(x: np.ndarray, scale: np.ndarray, zp: np.ndarray, bits: int, symmetric: bool) -> np.ndarray:
    if symmetric:
        qmax = 2 ** (bits - 1) - 1
        q = np.clip(np.round(x / scale), -qmax, qmax)
        return (q * scale).astype(x.dtype)
    q = np.clip(np.round(x / scale) + zp, 0, 2 ** bits - 1)
    return ((q - zp) * scale).astype(x.dtype)


def quantize_weights(w: np.ndarray, spec: QuantSpec) -> np.ndarray:
    """Fake-quantize weights given as (..., N, K): per-channel ranges are per row."""
    if spec.per_channel:
        lo, hi = w.min(axis=-1, keepdims=True), w.max(axis=-1, keepdims=True)
    else:
        lo, hi = w.min(), w.max()
    scale, zp = qparams(lo, hi, spec.bits, spec.symmetric)
    return fake_quant(w, scale, zp, spec.bits, spec.symmetric)


def weight_quantizer(spec: QuantSpec):
    """A callable for a layer's ``weight_quant`` hook (cosim/prune/nn.py), on (N, K) weights."""
    return lambda w2: quantize_weights(w2, spec)


def activation_quantizer(lo: float, hi: float, bits: int, symmetric: bool = False):
    """A callable for a layer's ``input_quant`` hook, with a calibrated per-tensor range."""
    scale, zp = qparams(np.float64(lo), np.float64(hi), bits, symmetric)
    return lambda x: fake_quant(x, scale, zp, bits, symmetric)


def quantization_error(w: np.ndarray, spec: QuantSpec) -> float:
    """Relative L2 error ‖w − ŵ‖ / ‖w‖ of quantizing ``w`` (0 for an all-zero tensor)."""
    norm = float(np.linalg.norm(w))
    return float(np.linalg.norm(w - quantize_weights(w, spec))) / norm if norm else 0.0
