"""End to end: a workload and a pruning recipe in, a pruned graph with metrics and accuracy out.

``prune_workload`` picks the source of weights and of accuracy:

* the embedded models (``digits-mlp``, ``digits-cnn``, ``mnist-mlp``, ``mnist-cnn``): trained here, pruned and fine-tuned
  on real data; accuracy is measured test accuracy;
* a graph with weights (``graph.weights``, set by the ONNX importer, or ``weights=``) and an
  ``evaluate(weights) -> accuracy`` function: accuracy is whatever that function measures;
* anything else (zoo workloads): seeded synthetic weights (cosim/prune/synthetic.py); accuracy is the
  named proxy ``accuracy_proxy_weight_norm``, never presented as an accuracy.

An external ``evaluate`` receives the weights in their *original* shapes (PyTorch/ONNX can load them
as they are): pruned weights zeroed, removed channels zeroed in the producer's rows and the
consumers' columns (what removing them computes), removed layers all zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from cosim import __version__
from cosim.errors import require
from cosim.graph import LayerGraph
from cosim.prune.distill import Distill
from cosim.prune.engine import Pruned, gemm_view, prune_graph, validate
from cosim.prune.metrics import CompressionMetrics, compression_metrics
from cosim.prune.patterns import Pattern, parse_pattern
from cosim.prune.quantize import QuantSpec, quantize_weights
from cosim.prune.schedules import Schedule, StepRecord, run_schedule
from cosim.prune.structure import channel_deps
from cosim.prune.synthetic import PROXY_NAME, synthetic_weights, weight_norm_proxy
from cosim.prune.weight_sharing import SCOPES as SHARE_SCOPES, attach_codebook, share_across, share_weights

Evaluate = Callable[[dict], float]


@dataclass
class PruneRun:
    workload: str
    pattern: Pattern
    criterion: str
    scope: str
    schedule: Schedule
    original: LayerGraph
    graph: LayerGraph
    accuracy_before: float | None
    accuracy_after: float | None
    accuracy_kind: str  # 'measured' | 'proxy:accuracy_proxy_weight_norm'
    metrics: CompressionMetrics
    steps: list[StepRecord] = field(default_factory=list)
    weights: dict[str, np.ndarray] | None = None  # effective weights of the pruned graph (GEMM view)
    quant: QuantSpec | None = None
    act_bits: int | None = None
    share_bits: int | None = None
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seed: int = 0
    distill: Distill | None = None
    accuracy_without_distill: float | None = None  # the same recipe fine-tuned on labels only, when asked
    share_scope: str = "layer"  # weight sharing: a codebook per layer, or one for the network

    def metadata(self) -> dict:
        """JSON-able description of how the graph was made (stored in pruned-model files)."""
        return {
            "cosim_version": __version__, "workload": self.workload, "pattern": self.pattern.label,
            "criterion": self.criterion, "scope": self.scope, "seed": self.seed,
            "schedule": {"kind": self.schedule.kind, "steps": self.schedule.steps,
                         "finetune_epochs": self.schedule.finetune_epochs,
                         "initial_sparsity": self.schedule.initial_sparsity,
                         "tolerance": self.schedule.tolerance},
            "steps": [{"step": s.step, "sparsity": s.sparsity, "accuracy": s.accuracy, "accepted": s.accepted}
                      for s in self.steps],
            "quantization": self.quant.label if self.quant else None, "act_bits": self.act_bits,
            "share_bits": self.share_bits, "share_scope": self.share_scope if self.share_bits else None,
            "distill": ({"temperature": self.distill.temperature, "alpha": self.distill.alpha}
                        if self.distill else None),
            "accuracy_without_distill": self.accuracy_without_distill,
            "metrics": self.metrics.to_dict(), "skipped": self.skipped,
            "notes": self.notes,
        }


def prune_workload(workload: str | LayerGraph, pattern: str | Pattern, *, criterion: str = "magnitude",
                   scope: str = "layer", schedule: Schedule | None = None, quant: QuantSpec | None = None,
                   act_bits: int | None = None, qat_epochs: int = 0, share_bits: int | None = None,
                   skip: tuple[str, ...] = (), layer_sparsity: dict[str, float] | None = None,
                   weights: dict[str, np.ndarray] | None = None, evaluate: Evaluate | None = None,
                   seed: int = 0, distill: Distill | None = None, share_scope: str = "layer") -> PruneRun:
    pattern = parse_pattern(pattern) if isinstance(pattern, str) else pattern
    schedule = schedule or Schedule()
    if isinstance(workload, str):
        from cosim.prune import digits

        if workload.lower() in digits.ARCHS:
            return prune_digits(workload.lower(), pattern, criterion=criterion, scope=scope, schedule=schedule,
                                quant=quant, act_bits=act_bits, qat_epochs=qat_epochs, share_bits=share_bits,
                                skip=skip, layer_sparsity=layer_sparsity, seed=seed, distill=distill,
                                share_scope=share_scope)
        graph = load_graph(workload)
        name = workload
    else:
        graph, name = workload, workload.name
    require(distill is None, f"--distill needs training data; workload '{name}' has none (use an embedded model: "
                             "digits-mlp, digits-cnn, mnist-mlp, mnist-cnn)")
    return prune_with_weights(graph, pattern, name=name, criterion=criterion, scope=scope, schedule=schedule,
                              quant=quant, act_bits=act_bits, share_bits=share_bits, skip=skip,
                              layer_sparsity=layer_sparsity, weights=weights, evaluate=evaluate, seed=seed,
                              share_scope=share_scope)


def load_graph(workload: str) -> LayerGraph:
    """A workload by name or path; ONNX files come with their initializers (``graph.weights``)."""
    from cosim.workloads import load_workload

    if workload.lower().endswith(".onnx"):
        return load_workload(workload, with_weights=True)
    return load_workload(workload)


def prune_digits(workload: str, pattern: Pattern, *, criterion: str = "magnitude", scope: str = "layer",
                 schedule: Schedule | None = None, quant: QuantSpec | None = None, act_bits: int | None = None,
                 qat_epochs: int = 0, share_bits: int | None = None, skip: tuple[str, ...] = (),
                 layer_sparsity: dict[str, float] | None = None, seed: int = 0, epochs: int | None = None,
                 distill: Distill | None = None, share_scope: str = "layer") -> PruneRun:
    """Train (cached) → prune on schedule with fine-tuning → quantize / share → measure test accuracy."""
    from cosim.prune import digits
    from cosim.prune.session import NetPruner

    schedule = schedule or Schedule()
    arch = digits.arch_of(workload)
    validate(digits.to_layer_graph(digits.build(arch)), pattern, criterion=criterion, scope=scope, skip=skip,
             layer_sparsity=layer_sparsity)
    net, data = digits.trained(arch, seed=seed, epochs=epochs)
    pruner = NetPruner(net, data, pattern, criterion=criterion, scope=scope, skip=skip, seed=seed, distill=distill)
    original = pruner.graph()
    before = pruner.test_accuracy()
    steps: list[StepRecord] = []
    nothing = layer_sparsity is not None and not any(v > 0 for v in layer_sparsity.values())
    if pattern.kind != "dense" and not nothing:
        if layer_sparsity:
            # The schedule ramps a factor 0 → 1 applied to every layer's own target.
            def prune_to(f: float) -> None:
                pruner.prune_to(f * pattern.sparsity, {n: v * f for n, v in layer_sparsity.items()})

            steps = run_schedule(schedule, 1.0, prune_to, pruner.fine_tune, pruner.val_accuracy,
                                 pruner.snapshot, pruner.restore, pruner.val_accuracy())
        else:
            steps = pruner.run(schedule)
    if quant is not None:
        pruner.quantize(quant, act_bits if act_bits is not None else quant.bits, qat_epochs)
    if share_bits:
        pruner.share_weights(share_bits, share_scope)
    after = pruner.test_accuracy()
    graph = pruner.graph()
    metrics = compression_metrics(original, graph, accuracy_before=before, accuracy_after=after,
                                  accuracy_kind="measured", quant=quant)
    dataset = digits.DATASET_NAMES[digits.DATASETS[arch]]
    notes = [f"test accuracy on {len(data.y_test)} held-out {dataset} images (seeded split)"]
    if quant is None:
        notes.append("unquantized: layers carry float32 (32-bit) weights and activations; for integer "
                     "accelerators add --quantize int8")
    if distill is not None:
        notes.append(f"fine-tuned with knowledge distillation from the dense model ({distill.label})")
    return PruneRun(workload, pattern, criterion, scope, schedule, original, graph, before, after, "measured",
                    metrics, steps, pruner.weights(), quant, pruner.act_bits, share_bits, notes=notes, seed=seed,
                    distill=distill, share_scope=share_scope)


def prune_with_weights(graph: LayerGraph, pattern: Pattern, *, name: str | None = None,
                       criterion: str = "magnitude", scope: str = "layer", schedule: Schedule | None = None,
                       quant: QuantSpec | None = None, act_bits: int | None = None,
                       share_bits: int | None = None, skip: tuple[str, ...] = (),
                       layer_sparsity: dict[str, float] | None = None,
                       weights: dict[str, np.ndarray] | None = None, evaluate: Evaluate | None = None,
                       seed: int = 0, share_scope: str = "layer") -> PruneRun:
    """Prune a graph whose weights are given (or synthetic); no fine-tuning is possible here."""
    schedule = schedule or Schedule()
    validate(graph, pattern, criterion=criterion, scope=scope, skip=skip, layer_sparsity=layer_sparsity)
    notes: list[str] = []
    if weights is None:
        weights = getattr(graph, "weights", None)
    if weights is None:
        weights = synthetic_weights(graph, seed)
        notes.append("weights are seeded synthetic (He-normal); accuracy is the proxy "
                     f"{PROXY_NAME}, not a measurement")
    original_w = {n: gemm_view(graph[n], w).astype(np.float32, copy=False) for n, w in weights.items()
                  if n in graph and graph[n].has_weights}
    if evaluate is None and schedule.finetune_epochs:
        notes.append("fine-tuning needs training data; this workload has none, so none was done")

    state: dict = {"pruned": Pruned(graph.copy(), dict(original_w)), "masks": {}}

    def prune_to(s: float) -> None:
        p = pattern.at_sparsity(s)
        f = s / pattern.sparsity if pattern.sparsity else 1.0  # per-layer targets follow the ramp
        targets = {n: v * f for n, v in (layer_sparsity or {}).items()}
        res = prune_graph(graph, original_w, p, criterion=criterion, scope=scope, layer_sparsity=targets,
                          skip=skip, prev_masks=state["masks"] or None, seed=seed)
        state["pruned"] = res
        if res.masks:
            state["masks"] = res.masks

    def effective() -> dict[str, np.ndarray]:
        w = state["pruned"].weights
        return {n: quantize_weights(v, quant) for n, v in w.items()} if quant else w

    def accuracy() -> float:
        if evaluate is not None:
            return float(evaluate(dense_view(graph, original_w, state["pruned"], effective())))
        return weight_norm_proxy(original_w, state["pruned"].weights, effective())

    before = float(evaluate(original_w)) if evaluate is not None else 1.0
    steps: list[StepRecord] = []
    if pattern.kind != "dense":
        snap = lambda: (state["pruned"], dict(state["masks"]))  # noqa: E731
        restore = lambda st: state.update(pruned=st[0], masks=st[1])  # noqa: E731
        steps = run_schedule(schedule, pattern.sparsity, prune_to, None, accuracy, snap, restore, before)
    res: Pruned = state["pruned"]
    out = res.graph.copy()
    eff = effective()
    if quant is not None:
        out = with_bits(out, quant.bits, act_bits or quant.bits)
    if share_bits:
        require(1 <= share_bits <= 16, f"--share-bits must be 1..16, got {share_bits}")
        require(share_scope in SHARE_SCOPES, f"--share-scope '{share_scope}' is unknown; use layer or network")
        if share_scope == "network":
            eff, cb = share_across(eff, 2 ** share_bits)
            for n in eff:
                attach_codebook(out, n, cb, entry_bits=quant.bits if quant else graph[n].weight_bits, shared=True)
        else:
            for n in list(eff):
                eff[n], cb = share_weights(eff[n], 2 ** share_bits)
                attach_codebook(out, n, cb, entry_bits=quant.bits if quant else graph[n].weight_bits)
    after = accuracy() if not share_bits else (
        float(evaluate(dense_view(graph, original_w, res, eff))) if evaluate is not None
        else weight_norm_proxy(original_w, res.weights, eff))
    kind = "measured" if evaluate is not None else f"proxy:{PROXY_NAME}"
    metrics = compression_metrics(graph, out, accuracy_before=before, accuracy_after=after, accuracy_kind=kind,
                                  quant=quant)
    return PruneRun(name or graph.name, pattern, criterion, scope, schedule, graph, out, before, after, kind,
                    metrics, steps, eff if evaluate is not None or _small(eff) else None, quant,
                    act_bits or (quant.bits if quant else None), share_bits, dict(res.skipped), notes, seed,
                    share_scope=share_scope)


def with_bits(graph: LayerGraph, weight_bits: int, act_bits: int) -> LayerGraph:
    """Quantized bit widths on every layer: weights of weighted layers, activations everywhere
    (a layer's outputs are the next layer's inputs, so ``out_bits`` follows ``act_bits``)."""
    def q(l):
        l = l.replace(act_bits=act_bits, out_bits=act_bits)
        return l.replace(weight_bits=weight_bits) if l.has_weights else l

    return graph.map_layers(q)


def _small(weights: dict[str, np.ndarray], limit: int = 4_000_000) -> bool:
    """Weights worth saving in a pruned-model file (synthetic weights of big zoo models are not)."""
    return sum(w.size for w in weights.values()) <= limit


def dense_view(graph: LayerGraph, original: dict[str, np.ndarray], pruned: Pruned,
               effective: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The effective weights in the original shapes (GEMM view), zero wherever pruning removed one."""
    keep = {n: np.ones(w.shape, dtype=bool) for n, w in original.items()}
    for n, m in pruned.masks.items():
        keep[n] &= m
    for n, rows in pruned.kept_channels.items():
        deps = channel_deps(graph, n)
        row_keep = np.zeros(graph[n].out_channels, dtype=bool)
        row_keep[rows] = True
        keep[n] &= row_keep.reshape(1, -1, 1)
        for c in deps.channelwise:
            if c in keep:  # a depthwise conv: one group per channel
                keep[c] &= row_keep.reshape(-1, 1, 1)
        for c, _ in deps.consumers:
            span = graph[c].gemm_k // graph[n].out_channels
            keep[c] &= np.repeat(row_keep, span).reshape(1, 1, -1)
    for n in pruned.removed_layers:
        if n in keep:
            keep[n][:] = False
    out = {}
    for n, w in original.items():
        d = np.zeros(w.shape, dtype=np.float32)
        if n in effective:
            e = effective[n]
            if e.shape == w.shape:
                d = np.where(keep[n], e, 0).astype(np.float32)
            else:
                d[keep[n]] = e[..., :].ravel() if keep[n].sum() == e.size else 0
        out[n] = d
    return out


def hardware_aware_allocation(workload: str | LayerGraph, pattern: Pattern, spec, budget: float, *,
                              metric: str = "latency_s", criterion: str = "magnitude",
                              quant: QuantSpec | None = None, act_bits: int | None = None,
                              skip: tuple[str, ...] = (), levels: tuple[float, ...] | None = None,
                              sensitivity_epochs: int = 1, weights: dict[str, np.ndarray] | None = None,
                              seed: int = 0):
    """Per-layer sparsity meeting ``budget`` (``metric`` units) on ``spec`` (cosim/prune/allocation.py).

    Saliency of a candidate is its measured validation loss for the digits models after
    ``sensitivity_epochs`` of fine-tuning (NetAdapt's short-term fine-tuning: without it, layers that
    recover well, such as fc1, look worse than they are, and allocations lost to uniform sparsity on
    every datapath tried), the removed criterion score otherwise. With ``quant`` the cost is simulated at the quantized bit widths. Every weighted layer
    appears in the result (0.0 = left dense)."""
    from cosim.prune import allocation as al
    from cosim.simulate import network_cost

    if isinstance(workload, str) and workload.lower() in _digits_archs():
        from cosim.prune import digits
        from cosim.prune.session import NetPruner

        net, data = digits.trained(digits.arch_of(workload), seed=seed)
        pruner = NetPruner(net, data, pattern, criterion=criterion, skip=skip, seed=seed)
        graph, w = pruner.graph(), net.gemm_weights()
        layers = al.allocatable_layers(graph, w, pattern, skip)

        def saliency(alloc: dict) -> float:
            return pruner.allocation_loss(alloc, sensitivity_epochs)
    else:
        if isinstance(workload, str):
            graph = load_graph(workload)
        else:
            graph = workload
        w = weights if weights is not None else getattr(graph, "weights", None)
        w = w if w is not None else synthetic_weights(graph, seed)
        w = {n: gemm_view(graph[n], v) for n, v in w.items() if n in graph and graph[n].has_weights}
        layers = al.allocatable_layers(graph, w, pattern, skip)
        saliency = al.additive(al.weight_energy_sensitivity(graph, w, pattern, criterion, seed))
    if quant is not None:
        graph = with_bits(graph, quant.bits, act_bits or quant.bits)
    require(bool(layers), f"workload '{graph.name}': no layer can take pattern '{pattern.label}'")
    alloc = al.allocate(graph, w, pattern, al.Cost(network_cost(spec, metric), metric), budget, saliency, levels=levels,
                        layers=layers, criterion=criterion, seed=seed)
    full = {n: 0.0 for n in w}
    full.update(alloc.layer_sparsity)
    return al.Allocation(full, alloc.cost, alloc.dense_cost, alloc.budget, alloc.metric, alloc.saliency,
                         alloc.steps)


def _digits_archs():
    from cosim.prune.digits import ARCHS

    return ARCHS
