"""Pruning a trained network on real data: masks or surgery on the model, fine-tuning, measured accuracy.

:class:`NetPruner` couples a trained :class:`~cosim.prune.nn.Net` with its data. Every pruning step
goes through the same engine as every other source of weights (cosim/prune/engine.py): the network
is exported as a LayerGraph with its GEMM-view weights, pruned there, and the outcome (masks or kept
channels) is installed back into the network, so the masks a datapath simulates are the masks the
accuracy was measured with.
"""

from __future__ import annotations

import numpy as np

from cosim.errors import require
from cosim.graph import LayerGraph
from cosim.prune import digits
from cosim.prune.data import Split
from cosim.prune.distill import Distill, distill_loss_fn, teacher_logits
from cosim.prune.engine import prune_graph, sparsity_for
from cosim.prune.nn import Net, train
from cosim.prune.patterns import Pattern, prune_count
from cosim.prune.quantize import QuantSpec, activation_quantizer, weight_quantizer
from cosim.prune.schedules import Schedule, StepRecord, run_schedule
from cosim.prune.weight_sharing import SCOPES as SHARE_SCOPES, attach_codebook, share_across, share_weights

CALIBRATION_IMAGES = 512  # training images used for activation statistics, Taylor scores, calibration
FINETUNE_LR = 1e-3  # half the training rate: fine-tuning starts from a good point


class NetPruner:
    """``distill``: fine-tuning learns from the network as given (the dense teacher) as well as from
    the labels (cosim/prune/distill.py)."""

    def __init__(self, net: Net, data: Split, pattern: Pattern, *, criterion: str = "magnitude",
                 scope: str = "layer", skip: tuple[str, ...] = (), seed: int = 0, distill: Distill | None = None):
        self.net = net
        self.distill = distill
        self.cosine = digits.COSINE.get(digits.ARCHS.get(net.name, ""), False)  # as the model was trained
        self._teacher = teacher_logits(net, data.x_train) if distill is not None else None
        self.data = data
        self.pattern = pattern
        self.criterion = criterion
        self.scope = scope
        self.skip = tuple(skip)
        self.seed = seed
        self.masks: dict[str, np.ndarray] = {}
        self.original_channels = {l.name: l.w.shape[0] for l in net.weighted()}
        self.quant: QuantSpec | None = None
        self.act_bits: int | None = None
        self.codebooks: dict[str, np.ndarray] = {}
        self.shared_codebook = False  # one codebook for every layer (cross-layer sharing)
        self._finetune_calls = 0

    # ---- data views --------------------------------------------------------------------------------
    def _calibration(self) -> tuple[np.ndarray, np.ndarray]:
        return self.data.x_train[:CALIBRATION_IMAGES], self.data.y_train[:CALIBRATION_IMAGES]

    def test_accuracy(self) -> float:
        return self.net.accuracy(self.data.x_test, self.data.y_test)

    def val_accuracy(self) -> float:
        return self.net.accuracy(self.data.x_val, self.data.y_val)

    def val_loss(self) -> float:
        return self.net.loss(self.data.x_val, self.data.y_val)

    def allocation_loss(self, alloc: dict[str, float], finetune_epochs: int = 0) -> float:
        """Validation loss (nats) of the network pruned to per-layer sparsities ``alloc`` — NetAdapt's
        direct measurement of a candidate (Yang et al. 2018), optionally after a short fine-tune.
        The network is restored afterwards."""
        state = self.snapshot()
        try:
            targets = {m: 0.0 for m in self.original_channels}
            targets.update(alloc)
            if any(v > 0 for v in targets.values()):
                self.prune_to(max(targets.values()), targets)
                if finetune_epochs:
                    self.fine_tune(finetune_epochs)
            return self.val_loss()
        finally:
            self.restore(state)

    # ---- pruning -----------------------------------------------------------------------------------
    def prune_to(self, sparsity: float, layer_sparsity: dict[str, float] | None = None) -> None:
        """Prune to ``sparsity`` of the original weights (channels: of the original filters), or to
        ``layer_sparsity[name]`` per layer; earlier pruned weights stay pruned."""
        x, y = self._calibration()
        taylor = digits.taylor_scores(self.net, x, y) if self.criterion == "taylor" else None
        act_var = ({n: s["var"] for n, s in digits.input_stats(self.net, x).items()}
                   if self.criterion == "activation" else None)
        pattern = self.pattern.at_sparsity(sparsity)
        targets = dict(layer_sparsity or {})
        if pattern.kind == "channel":
            # Cumulative target of the original filters → the fraction of the filters left now.
            rel = {}
            for l in self.net.weighted():
                s = targets.get(l.name, sparsity)
                orig = self.original_channels[l.name]
                keep = orig - prune_count(orig, s)
                rel[l.name] = max(0.0, 1.0 - keep / l.w.shape[0])
            targets = rel
        result = prune_graph(digits.to_layer_graph(self.net), self.net.gemm_weights(), pattern,
                             criterion=self.criterion, scope=self.scope, layer_sparsity=targets,
                             skip=self.skip, taylor_sq=taylor, input_var=act_var,
                             prev_masks=self.masks or None, seed=self.seed)
        if pattern.kind == "channel":
            for name, keep in result.kept_channels.items():
                self.net.keep_channels(name, keep)
        else:
            self.net.set_masks(result.masks)
            self.masks.update(result.masks)

    def fine_tune(self, epochs: int) -> None:
        self._finetune_calls += 1
        loss_fn = distill_loss_fn(self._teacher, self.distill) if self.distill is not None else None
        train(self.net, self.data.x_train, self.data.y_train, epochs=epochs,
              seed=self.seed + 1000 * self._finetune_calls, lr=FINETUNE_LR, loss_fn=loss_fn,
              cosine=self.cosine)

    def run(self, schedule: Schedule, final: float | None = None) -> list[StepRecord]:
        final = self.pattern.sparsity if final is None else final
        base = self.val_accuracy()
        return run_schedule(schedule, final, self.prune_to, self.fine_tune, self.val_accuracy,
                            snapshot=self.snapshot, restore=self.restore, baseline_accuracy=base)

    def snapshot(self):
        return self.net.clone(), {k: v.copy() for k, v in self.masks.items()}

    def restore(self, state) -> None:
        net, masks = state
        self.net = net.clone()
        self.masks = {k: v.copy() for k, v in masks.items()}

    # ---- quantization and weight sharing -------------------------------------------------------------
    def quantize(self, spec: QuantSpec, act_bits: int | None = None, qat_epochs: int = 0) -> None:
        """Fake-quantize weights (``spec``) and every weighted layer's input activations (``act_bits``,
        asymmetric per-tensor, min/max calibrated on training images); optional quantization-aware
        fine-tuning with the straight-through estimator."""
        x, _ = self._calibration()
        stats = digits.input_stats(self.net, x)
        self.quant, self.act_bits = spec, act_bits
        for l in self.net.weighted():
            l.weight_quant = weight_quantizer(spec)
            if act_bits:
                l.input_quant = activation_quantizer(stats[l.name]["lo"], stats[l.name]["hi"], act_bits)
        if qat_epochs:
            self.fine_tune(qat_epochs)

    def share_weights(self, bits: int, scope: str = "layer") -> None:
        """k-means weight sharing with 2^bits shared values per layer, or one codebook for the whole
        network (``scope='network'``), after pruning; zeros stay."""
        require(1 <= bits <= 16, f"--share-bits must be 1..16, got {bits}")
        require(scope in SHARE_SCOPES, f"--share-scope '{scope}' is unknown; use {' or '.join(SHARE_SCOPES)}")
        layers = self.net.weighted()
        if scope == "network":
            shared_w, codebook = share_across({l.name: l.w for l in layers}, 2 ** bits)
            for l in layers:
                l.w = shared_w[l.name].astype(np.float32)
                self.codebooks[l.name] = codebook
            self.shared_codebook = True
            return
        for l in layers:
            shared, codebook = share_weights(l.w.reshape(l.gemm_shape), 2 ** bits)
            l.w = shared.reshape(l.w.shape)
            self.codebooks[l.name] = codebook

    # ---- export ------------------------------------------------------------------------------------
    def graph(self) -> LayerGraph:
        """The network now, as a LayerGraph: masks, bit widths, codebooks, measured input densities."""
        x, _ = self._calibration()
        density = {n: s["density"] for n, s in digits.input_stats(self.net, x).items()}
        wbits = self.quant.bits if self.quant else digits.FLOAT_BITS
        abits = self.act_bits or digits.FLOAT_BITS
        sparsity = {n: sparsity_for(self.pattern, m) for n, m in self.masks.items() if not m.all()}
        g = digits.to_layer_graph(self.net, weight_bits=wbits, act_bits=abits, act_density=density,
                                  sparsity=sparsity)
        for name, cb in self.codebooks.items():
            attach_codebook(g, name, cb, entry_bits=wbits, shared=self.shared_codebook)
        return g

    def weights(self) -> dict[str, np.ndarray]:
        """Effective weights (masked, quantized / shared as the forward pass sees them), GEMM view."""
        return {l.name: l.effective_w2().reshape(l.gemm_shape).astype(np.float32) for l in self.net.weighted()}
