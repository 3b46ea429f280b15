"""Compression metrics of a pruned (and possibly quantized / weight-shared) network.

All sizes are for one inference at batch 1, in bytes; "original" is the network before pruning at its
original bit widths (a float model exported at 32 bits, a zoo workload at its own widths).

* ``PR`` — pruning ratio: 1 − kept weights / original weights. Weights of removed channels and
  layers count as pruned. 0 = nothing pruned.
* ``CR`` — compression rate of the weights: original weight bytes / compressed weight bytes, where
  compressed = nonzero values at their bit width + sparse-format metadata + codebooks + quantization
  scales (:func:`layer_storage_bits` says which format and what it costs).
* ``CR_with_activations`` — the same with every compute layer's input activations added on both
  sides (input elements × act_bits); channel pruning and activation quantization shrink them.
* ``CE`` — computational efficiency: original dense MACs / effectual MACs, effectual = each layer's
  MACs × its weight density (activation zeros are data-dependent and left to the datapaths).
  1 = no saving, 2 = half the MACs.
* ``CE_perf`` — performance retention: accuracy after / accuracy before. Measured where the network
  has data (``accuracy_kind`` = 'measured'), otherwise a named proxy ('proxy:<name>').
* ``EE`` — overall efficiency: CR × CE_perf (compression earned, discounted by accuracy lost).

Both conventions of the literature, named so neither passes for the other (``CR``, ``CE`` and ``EE``
above are the first; the report prints both):

* ``CR_original_over_compressed`` = original weight bytes / compressed weight bytes (= ``CR``, ≥ 1
  when compression helps); ``CR_compressed_over_original`` = its reciprocal, the fraction of the
  storage left (≤ 1).
* ``CE_dense_over_effectual_macs`` = dense MACs / effectual MACs (= ``CE``, ≥ 1);
  ``CE_effectual_over_dense_macs`` = its reciprocal, the fraction of the MACs left (≤ 1).
* ``EE_perf_times_CR_original_over_compressed`` = CE_perf × CR_original_over_compressed (= ``EE``);
  ``EE_perf_over_CR_compressed_over_original`` = CE_perf / CR_compressed_over_original — the same
  number written with the other CR; ``EE_perf_times_CR_compressed_over_original`` = CE_perf ×
  CR_compressed_over_original is what the formula "EE = CR × CE_perf" gives with the other CR: the
  reciprocal's scale, smaller is better there.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from cosim.graph import Layer, LayerGraph
from cosim.prune.quantize import QuantSpec
from cosim.prune.weight_sharing import codebook_of

INDEX_POINTER_BITS = 32  # CSR row pointers stored as 32-bit integers (scipy/cuSPARSE convention)


def kept_weights(layer: Layer) -> int:
    sp = layer.weight_sparsity
    if sp.mask is not None:
        return int(sp.mask.sum())
    return int(round(layer.params * sp.density))


def layer_storage_bits(layer: Layer, quant: QuantSpec | None = None, codebook: dict | None = None) -> tuple[int, str]:
    """(bits to store the layer's weights, format name).

    * dense (incl. channel-pruned, already smaller): params × weight_bits
    * N:M along K: kept × weight_bits + kept × ceil(log2 M) index bits (NVIDIA's 2:4 format keeps a
      2-bit position per nonzero; Mishra et al. 2021)
    * block: kept × weight_bits + one bit per block (block bitmap)
    * unstructured: kept × weight_bits + the cheaper of a bitmap (one bit per weight) and CSR
      (ceil(log2 K) column bits per nonzero + 32-bit row pointers per filter + 1)
    plus a codebook (k × entry_bits) and quantization scales where present.
    """
    if not layer.has_weights:
        return 0, "none"
    sp = layer.weight_sparsity
    wb = layer.weight_bits
    if sp.density == 1.0 and (sp.mask is None or sp.mask.all()):
        bits, fmt = layer.params * wb, "dense"
    else:
        kept = kept_weights(layer)
        if sp.kind == "nm":
            bits, fmt = kept * (wb + max(1, math.ceil(math.log2(sp.m)))), f"nm{sp.n}:{sp.m}"
        elif sp.kind == "block" and sp.block_h and sp.block_w:
            blocks = layer.params // (sp.block_h * sp.block_w)
            bits, fmt = kept * wb + blocks, "block-bitmap"
        else:
            bitmap = kept * wb + layer.params
            rows = layer.groups * layer.gemm_n
            csr = kept * (wb + max(1, math.ceil(math.log2(max(layer.gemm_k, 2))))) + (rows + 1) * INDEX_POINTER_BITS
            bits, fmt = (bitmap, "bitmap") if bitmap <= csr else (csr, "csr")
    if codebook:
        bits += codebook["size"] * codebook["entry_bits"]
        fmt += "+codebook"
    if quant is not None:
        bits += quant.metadata_bits(layer.groups * layer.gemm_n)
        fmt += "+scales"
    return int(bits), fmt


def weight_bytes(graph: LayerGraph, quant: QuantSpec | None = None) -> float:
    """Storage of every layer's weights; a network-wide (shared) codebook is counted once."""
    bits, shared = 0, 0
    for l in graph.layers():
        cb = codebook_of(graph, l.name)
        b, _ = layer_storage_bits(l, quant, cb)
        if cb and cb.get("shared"):
            b -= cb["size"] * cb["entry_bits"]
            shared = cb["size"] * cb["entry_bits"]
        bits += b
    return (bits + shared) / 8


def activation_bytes(graph: LayerGraph) -> float:
    """Input activations every compute layer reads, at its act_bits (batch 1)."""
    return sum(l.input_elems // l.batch * l.act_bits for l in graph.compute_layers()) / 8


def effectual_macs(graph: LayerGraph) -> float:
    return sum(l.macs // l.batch * l.weight_sparsity.density for l in graph.compute_layers())


@dataclass(frozen=True)
class CompressionMetrics:
    PR: float
    CR: float
    CR_with_activations: float
    CE: float
    CE_perf: float
    EE: float
    original_weights: int
    kept_weights: int
    original_weight_bytes: float
    compressed_weight_bytes: float
    original_activation_bytes: float
    compressed_activation_bytes: float
    original_macs: int
    effectual_macs: float
    accuracy_before: float | None
    accuracy_after: float | None
    accuracy_kind: str  # 'measured' or 'proxy:<name>'

    # ---- both conventions, unambiguously named (module docstring) --------------------------------
    @property
    def CR_original_over_compressed(self) -> float:
        return self.CR

    @property
    def CR_compressed_over_original(self) -> float:
        return 1.0 / self.CR if self.CR else float("inf")

    @property
    def CE_dense_over_effectual_macs(self) -> float:
        return self.CE

    @property
    def CE_effectual_over_dense_macs(self) -> float:
        return 1.0 / self.CE if self.CE else float("inf")

    @property
    def EE_perf_times_CR_original_over_compressed(self) -> float:
        return self.EE

    @property
    def EE_perf_over_CR_compressed_over_original(self) -> float:
        return self.CE_perf / self.CR_compressed_over_original

    @property
    def EE_perf_times_CR_compressed_over_original(self) -> float:
        return self.CE_perf * self.CR_compressed_over_original

    BOTH_WAYS = ("CR_original_over_compressed", "CR_compressed_over_original", "CE_dense_over_effectual_macs",
                 "CE_effectual_over_dense_macs", "EE_perf_times_CR_original_over_compressed",
                 "EE_perf_over_CR_compressed_over_original", "EE_perf_times_CR_compressed_over_original")

    def to_dict(self) -> dict:
        return {**asdict(self), **{k: getattr(self, k) for k in self.BOTH_WAYS}}


def compression_metrics(original: LayerGraph, pruned: LayerGraph, *, accuracy_before: float | None,
                        accuracy_after: float | None, accuracy_kind: str,
                        quant: QuantSpec | None = None) -> CompressionMetrics:
    """PR, CR, CE, CE_perf and EE of ``pruned`` against ``original`` (definitions in the module doc)."""
    orig_w = sum(l.params for l in original.layers())
    kept = sum(kept_weights(l) for l in pruned.layers())
    ob, cb = weight_bytes(original), weight_bytes(pruned, quant)
    oa, ca = activation_bytes(original), activation_bytes(pruned)
    om = sum(l.macs // l.batch for l in original.compute_layers())
    em = effectual_macs(pruned)
    if accuracy_before and accuracy_after is not None:
        perf = accuracy_after / accuracy_before
    else:
        perf = float("nan")
    cr = ob / cb if cb else float("inf")
    return CompressionMetrics(
        PR=1.0 - kept / orig_w if orig_w else 0.0, CR=cr, CR_with_activations=(ob + oa) / (cb + ca),
        CE=om / em if em else float("inf"), CE_perf=perf, EE=cr * perf, original_weights=int(orig_w),
        kept_weights=int(kept), original_weight_bytes=ob, compressed_weight_bytes=cb,
        original_activation_bytes=oa, compressed_activation_bytes=ca, original_macs=int(om),
        effectual_macs=float(em), accuracy_before=accuracy_before, accuracy_after=accuracy_after,
        accuracy_kind=accuracy_kind,
    )
