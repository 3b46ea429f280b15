"""The prune report: per-layer pattern, density, bits and storage; network metrics and accuracy.

Accuracy is labelled with its kind on every line it appears: ``measured`` (test accuracy on real
data) or ``proxy:<name>`` (no data; e.g. the retained weight-norm fraction) — a proxy is never
printed as an accuracy.
"""

from __future__ import annotations

import math

from cosim.prune.metrics import kept_weights, layer_storage_bits
from cosim.prune.weight_sharing import codebook_of


def layer_rows(run) -> list[dict]:
    rows = []
    for l in run.graph.compute_layers():
        if not l.has_weights:
            continue
        bits, fmt = layer_storage_bits(l, run.quant, codebook_of(run.graph, l.name))
        orig = run.original[l.name] if l.name in run.original else None
        rows.append({
            "name": l.name, "op": l.op, "N": l.gemm_n, "K": l.gemm_k,
            "original_N": orig.gemm_n if orig else None, "original_K": orig.gemm_k if orig else None,
            "pattern": l.weight_sparsity.label, "density": l.weight_sparsity.density,
            "kept_weights": kept_weights(l), "weight_bits": l.weight_bits, "act_bits": l.act_bits,
            "storage_format": fmt, "storage_bytes": bits / 8, "act_density": l.act_density,
            "mask": l.weight_sparsity.source == "mask",
        })
    return rows


def _finite(obj):
    """JSON has no NaN / inf: undefined numbers become null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def run_report(run, allocation=None) -> dict:
    """The JSON-able prune report (also stored as the pruned-model file's metadata)."""
    rep = run.metadata()
    rep["layers"] = layer_rows(run)
    rep["removed_layers"] = [n for n in run.original.nx.nodes if n not in run.graph]
    if allocation is not None:
        rep["allocation"] = {"metric": allocation.metric, "budget": allocation.budget, "cost": allocation.cost,
                             "dense_cost": allocation.dense_cost, "saliency": allocation.saliency,
                             "layer_sparsity": allocation.layer_sparsity}
    return _finite(rep)


def _acc(v: float | None, kind: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    return f"{100 * v:.2f}%" if kind == "measured" else f"{v:.4f}"


def format_run(run, allocation=None, per_layer: bool = True) -> str:
    m = run.metrics
    lines = []
    if per_layer:
        hdr = f"{'layer':<14}{'op':<8}{'N':>6}{'K':>7}  {'pattern':<22}{'density':>8}{'w_bits':>7}  {'format':<20}{'storage_bytes':>14}"
        lines += [hdr, "-" * len(hdr)]
        for r in layer_rows(run):
            dims = f"{r['N']:>6}{r['K']:>7}"
            lines.append(f"{r['name']:<14}{r['op']:<8}{dims}  {r['pattern']:<22}{r['density']:>8.3f}"
                         f"{r['weight_bits']:>7}  {r['storage_format']:<20}{r['storage_bytes']:>14,.0f}")
        lines.append("-" * len(hdr))
    kind = run.accuracy_kind
    label = "test accuracy (measured)" if kind == "measured" else f"{kind.split(':', 1)[-1]} (proxy, not an accuracy)"
    lines.append(f"workload {run.workload}: pattern {run.pattern.label}, criterion {run.criterion}, scope {run.scope}, "
                 f"schedule {run.schedule.kind}" + (f", quantized {run.quant.label}" if run.quant else "")
                 + (f", weight sharing {2 ** run.share_bits} values" if run.share_bits else ""))
    lines.append(f"{label}: {_acc(run.accuracy_before, kind)} -> {_acc(run.accuracy_after, kind)}"
                 + (f" with distillation ({run.distill.label})" if run.distill else ""))
    if run.distill is not None and run.accuracy_without_distill is not None:
        lines.append(f"without distillation (same recipe, labels only): {_acc(run.accuracy_without_distill, kind)}")
    lines.append(f"PR {m.PR:.3f}  CR {m.CR:.2f}  CR_with_activations {m.CR_with_activations:.2f}  CE {m.CE:.2f}  "
                 f"CE_perf {m.CE_perf:.4f}  EE {m.EE:.2f}")
    lines.append(f"the other convention: CR_compressed_over_original {m.CR_compressed_over_original:.4f}  "
                 f"CE_effectual_over_dense_macs {m.CE_effectual_over_dense_macs:.4f}  "
                 f"EE_perf_times_CR_compressed_over_original {m.EE_perf_times_CR_compressed_over_original:.4f} "
                 "(CR, CE, EE above are original/compressed, dense/effectual, CE_perf x CR)")
    lines.append(f"weights {m.original_weights:,} -> {m.kept_weights:,} kept; weight bytes "
                 f"{m.original_weight_bytes:,.0f} -> {m.compressed_weight_bytes:,.0f}; MACs {m.original_macs:,} -> "
                 f"{m.effectual_macs:,.0f} effectual")
    if run.steps and len(run.steps) > 1:
        lines.append("steps: " + ", ".join(
            f"{s.sparsity:.3f}" + (f" ({_acc(s.accuracy, 'measured' if kind == 'measured' else 'proxy')}"
                                   f"{'' if s.accepted else ', rejected'})" if s.accuracy is not None else "")
            for s in run.steps))
    if allocation is not None:
        unit, scale = ("ms", 1e3) if allocation.metric == "latency_s" else ("uJ", 1e-6)
        lines.append(f"hardware-aware allocation: simulated {allocation.cost * scale:.4g} {unit} within budget "
                     f"{allocation.budget * scale:.4g} {unit} (dense {allocation.dense_cost * scale:.4g} {unit}); "
                     + ", ".join(f"{n} {s:.3f}" for n, s in allocation.layer_sparsity.items()))
    for n, why in run.skipped.items():
        lines.append(f"skipped {n}: {why}")
    for note in run.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)
