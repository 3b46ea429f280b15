"""Real accuracy on the embedded UCI digits: the bars of the pruning engine.

The dense CNN trains once per test session (cached in-process, ~2 s); each case fine-tunes a copy.
Longer evidence (more patterns, seeds, schedules) is printed by scripts/bench_prune.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from cosim.prune.data import load_digits_split
from cosim.prune.patterns import block_violations, nm_violations
from cosim.prune.quantize import parse_quant
from cosim.prune.schedules import Schedule
from cosim.prune.workflow import prune_workload


@pytest.fixture(scope="module")
def dense():
    return prune_workload("digits-cnn", "dense")


def test_split_is_fixed_stratified_and_disjoint():
    a, b = load_digits_split(), load_digits_split()
    assert a is b
    assert (len(a.y_train), len(a.y_val), len(a.y_test)) == (1259, 179, 359)
    counts = np.bincount(a.y_test, minlength=10)
    assert counts.min() >= 34 and counts.max() <= 37
    from cosim.prune.data import _raw

    _, labels = _raw()
    together = np.bincount(np.concatenate([a.y_train, a.y_val, a.y_test]), minlength=10)
    assert np.array_equal(together, np.bincount(labels, minlength=10))  # the parts hold the whole dataset, class by class
    assert load_digits_split(seed=1).y_train.tolist() != a.y_train.tolist()


def test_dense_cnn_reaches_95_percent(dense):
    assert dense.accuracy_kind == "measured"
    assert dense.accuracy_before >= 0.95
    assert dense.accuracy_after == dense.accuracy_before
    assert dense.metrics.PR == 0 and dense.metrics.CR == pytest.approx(1.0)


def test_2_to_4_with_fine_tuning_loses_at_most_one_point(dense):
    run = prune_workload("digits-cnn", "2:4", schedule=Schedule("one-shot", finetune_epochs=5))
    assert run.accuracy_after >= run.accuracy_before - 0.01
    for l in run.graph.compute_layers():
        mask = l.weight_sparsity.mask
        assert l.weight_sparsity.kind == "nm" and nm_violations(mask, 2, 4) == 0
        assert np.all(run.weights[l.name][~mask] == 0)  # the masks simulated are the masks measured
    assert run.metrics.PR == pytest.approx(0.5, abs=0.01)


def test_half_unstructured_with_fine_tuning_loses_at_most_one_point(dense):
    run = prune_workload("digits-cnn", "unstructured:0.5", schedule=Schedule("one-shot", finetune_epochs=3))
    assert run.accuracy_after >= run.accuracy_before - 0.01
    assert run.metrics.CE == pytest.approx(2.0, abs=0.02)


def test_90_percent_needs_fine_tuning():
    one_shot = prune_workload("digits-cnn", "unstructured:0.9", schedule=Schedule("one-shot"))
    iterative = prune_workload("digits-cnn", "unstructured:0.9",
                               schedule=Schedule("iterative", steps=5, finetune_epochs=3))
    assert one_shot.metrics.PR == pytest.approx(iterative.metrics.PR)
    assert iterative.accuracy_after - one_shot.accuracy_after >= 0.2  # measured ~0.14 vs ~0.8+


def test_block_pattern_masks_are_all_or_nothing():
    run = prune_workload("digits-cnn", "block:4x4:0.5", skip=("conv1", "fc2"),
                         schedule=Schedule("one-shot", finetune_epochs=1))
    for name in ("conv2", "conv3", "fc1"):
        assert block_violations(run.graph[name].weight_sparsity.mask, 4, 4) == 0
    assert run.graph["conv1"].weight_sparsity.is_dense


def test_channel_pruning_changes_the_graph():
    run = prune_workload("digits-cnn", "channel:0.25", schedule=Schedule("one-shot", finetune_epochs=2))
    g = run.graph
    assert (g["conv1"].out_channels, g["conv2"].in_channels) == (24, 24)
    assert (g["conv3"].out_channels, g["fc1"].in_channels) == (48, 48 * 4)
    assert g["fc2"].out_channels == 10  # the classifier keeps its classes
    assert g.macs < run.original.macs and run.accuracy_after > 0.9
    for l in g.compute_layers():
        assert run.weights[l.name].shape == (l.groups, l.gemm_n, l.gemm_k)


def test_quantization_sets_bits_and_stays_accurate():
    run = prune_workload("digits-cnn", "unstructured:0.5", quant=parse_quant("int8"),
                         schedule=Schedule("one-shot", finetune_epochs=3))
    assert {(l.weight_bits, l.act_bits) for l in run.graph.compute_layers()} == {(8, 8)}
    assert run.accuracy_after >= run.accuracy_before - 0.015
    assert run.metrics.CR > 5  # 32-bit dense → 8-bit values + a bitmap + scales
    for l in run.graph.compute_layers():  # at most 255 levels per filter
        w = run.weights[l.name]
        assert max(len(np.unique(row)) for row in w[0]) <= 255


def test_weight_sharing_records_codebooks():
    run = prune_workload("digits-mlp", "unstructured:0.5", share_bits=4,
                         schedule=Schedule("one-shot", finetune_epochs=2))
    for l in run.graph.compute_layers():
        cb = run.graph.nx.nodes[l.name]["codebook"]
        assert cb["size"] == 16 and l.weight_bits == 4
        assert set(np.unique(run.weights[l.name])) <= set(cb["values"].tolist()) | {0.0}
    assert run.accuracy_after > 0.9


def test_activation_density_is_measured():
    run = prune_workload("digits-cnn", "dense")
    d = {l.name: l.act_density for l in run.graph.compute_layers()}
    assert 0.2 < d["conv1"] < 0.8  # blank pixels of the digits
    assert all(0 < v <= 1 for v in d.values())


def test_taylor_and_activation_criteria_run_on_data():
    for criterion in ("taylor", "activation"):
        run = prune_workload("digits-mlp", "unstructured:0.5", criterion=criterion,
                             schedule=Schedule("one-shot", finetune_epochs=1))
        assert run.accuracy_after > 0.9 and run.criterion == criterion
