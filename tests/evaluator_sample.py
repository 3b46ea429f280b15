"""A user evaluator for the tests: 'accuracy' = the fraction of fc1's weight energy kept (numpy only)."""

import numpy as np

from cosim.prune.synthetic import synthetic_weights
from cosim.workloads import load_workload

CALLS = []


def kept_energy(weights):
    CALLS.append(sorted(weights))
    ref = synthetic_weights(load_workload("mlp"))["fc1"]
    return float(np.sum(np.asarray(weights["fc1"], np.float64) ** 2) / np.sum(ref.astype(np.float64) ** 2))


def not_a_number(weights):
    return "high"


def graph():
    g = load_workload("mlp")
    g.weights = synthetic_weights(g)
    return g
