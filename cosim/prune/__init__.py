"""Pruning engine: patterns, criteria, schedules, quantization, weight sharing, compression metrics,
real accuracy on embedded data, hardware-aware per-layer allocation, pruned-model files.

    >>> from cosim.prune import prune_workload, Schedule
    >>> run = prune_workload("digits-cnn", "2:4", schedule=Schedule("one-shot", finetune_epochs=5))
    >>> run.accuracy_before, run.accuracy_after, run.metrics.CR
    >>> from cosim.prune import save_pruned, load_pruned
    >>> save_pruned("cnn24.npz", run.graph, run.metadata(), run.weights)
    >>> graph = load_pruned("cnn24.npz")        # what `cosim simulate --pruned cnn24.npz` reads

Modules (data flows down this list): patterns (masks a pattern allows), criteria (weight scores),
structure (channel and layer surgery on the graph), engine (one pruning step on a graph with
weights), schedules, quantize, weight_sharing (per layer or network-wide), metrics (PR, CR, CE,
CE_perf, EE, both conventions), data / mnist (the embedded UCI digits and MNIST sample) / nn /
nn_kernels / digits (the embedded models: digits-mlp, digits-cnn, mnist-mlp, mnist-cnn) /
trained_cache / distill (knowledge distillation) / session (training and measuring them), synthetic
(seeded weights and the accuracy proxy for zoo workloads), allocation (hardware-aware), workflow
(end to end), report, io (.npz files), torch_import (optional, needs PyTorch).
"""

from cosim.prune.engine import Pruned, prune_graph
from cosim.prune.io import load_pruned, read_metadata, read_weights, save_pruned
from cosim.prune.metrics import CompressionMetrics, compression_metrics
from cosim.prune.patterns import Pattern, parse_pattern
from cosim.prune.quantize import QuantSpec, parse_quant
from cosim.prune.schedules import Schedule, polynomial_sparsity
from cosim.prune.workflow import PruneRun, hardware_aware_allocation, prune_workload

__all__ = ["Pattern", "parse_pattern", "Pruned", "prune_graph", "Schedule", "polynomial_sparsity", "QuantSpec",
           "parse_quant", "CompressionMetrics", "compression_metrics", "PruneRun", "prune_workload",
           "hardware_aware_allocation", "save_pruned", "load_pruned", "read_metadata", "read_weights"]
