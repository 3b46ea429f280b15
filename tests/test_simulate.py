"""The chain's report-level facts: fallback notes (what ran differently from what was asked) and where
the time goes (Σ latency by what bounds each layer)."""

import subprocess
import sys

import pytest

import cosim
from cosim.graph import Layer, LayerGraph
from cosim.report import time_by_bound
from cosim.sparsity_spec import apply_sparsity
from cosim.workloads import load_workload


def _two_linears():
    g = LayerGraph("two")
    g.add(Layer("fc1", "linear", in_channels=1024, out_channels=1024, batch=64))
    g.add(Layer("fc2", "linear", in_channels=1024, out_channels=1024, batch=64), inputs="fc1")
    return g


@pytest.mark.parametrize("accelerator, sparsity, words", [
    ("edge-nm", "3:8", "3:8 weights run dense"),               # tensor core skipping 2:4 and 1:4 only
    ("s2ta-32x32-nm", "3:8", "3:8 weights run dense"),         # N:M systolic array
    ("h100-sxm", "1:4", "1:4 weights run as 2:4"),             # runs, but at 2x, not 4x
    ("scalesim-32x32-ws", "2:4", "dense speed"),               # no sparse features at all
    ("zcu102-dpu", "2:4", "no sparse engine"),                 # FPGA overlay
])
def test_every_sparsity_fallback_gets_one_grouped_note(accelerator, sparsity, words):
    r = cosim.simulate(apply_sparsity(_two_linears(), sparsity), accelerator)
    assert len(r.notes) == 1, r.notes
    assert words in r.notes[0] and "2 layer(s) (fc1, fc2)" in r.notes[0] and accelerator in r.notes[0]
    assert all(l.note for l in r.layers)
    assert r.to_dict()["notes"] == list(r.notes)


@pytest.mark.parametrize("accelerator, sparsity", [("edge-nm", "2:4"), ("h100-sxm", "2:4"),
                                                   ("s2ta-32x32-nm", "2:4"), ("scalesim-32x32-ws", "dense")])
def test_a_pattern_that_runs_as_declared_gets_no_note(accelerator, sparsity):
    r = cosim.simulate(apply_sparsity(_two_linears(), sparsity), accelerator)
    assert r.notes == () and not any(l.note for l in r.layers)


def test_time_by_bound_sums_to_the_per_layer_latency():
    for acc in ("h100-sxm", "scalesim-32x32-ws", "edge-nm"):
        r = cosim.simulate(load_workload("resnet50"), acc)
        assert sum(r.total.latency_s_by_bound.values()) == pytest.approx(sum(l.latency_s for l in r.layers), rel=1e-9)
        assert all(v > 0 for v in r.total.latency_s_by_bound.values())


def test_bert_2to4_on_h100_says_where_its_time_goes():
    """At batch 1 the 2:4 kernels are slower than dense; the totals say what spends the time: launch
    overhead and tiles filling few SMs (cuSPARSELt's pinned 128×256 tile over 128 tokens)."""
    g = load_workload("bert-base")
    dense, sparse = cosim.simulate(g, "h100-sxm"), cosim.simulate(apply_sparsity(g, "2:4"), "h100-sxm")
    assert sparse.total.latency_s > dense.total.latency_s
    by = sparse.total.latency_s_by_bound
    assert by["overhead"] > dense.total.latency_s_by_bound["overhead"]
    assert by["tiles"] > 5 * dense.total.latency_s_by_bound.get("tiles", 0.0)
    assert "tile/wave quantization" in sparse.to_table()


def test_time_by_bound_text():
    assert time_by_bound({"compute": 3e-3, "overhead": 1e-3}) == "compute 75% (3 ms), launch overhead 25% (1 ms)"
    assert time_by_bound({}) == "no time"


def test_cli_prints_notes_and_strict_refuses():
    base = [sys.executable, "-m", "cosim", "simulate", "-a", "edge-nm", "-w", "small-cnn", "--sparsity", "3:8", "-q"]
    p = subprocess.run(base, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and "note: 3:8 weights run dense" in p.stderr
    s = subprocess.run(base + ["--strict"], capture_output=True, text=True, timeout=300)
    assert s.returncode == 2 and s.stderr.startswith("error: --strict: 3:8 weights run dense")
    assert "Traceback" not in s.stderr and s.stderr.strip().count("\n") == 0


@pytest.mark.parametrize("metric", ["latency_s", "energy_pj"])
@pytest.mark.parametrize("accelerator", ["scalesim-32x32-ws", "h100-sxm", "zcu104-finn"])
def test_network_cost_is_what_simulate_reports(metric, accelerator):
    """The allocator's cost function: the simulator's own totals (FPGA pipelines are not sums of layers)."""
    from cosim.hw.loader import load_accelerator
    from cosim.simulate import network_cost

    spec = load_accelerator(accelerator)
    g = load_workload("small-cnn")
    rep = cosim.simulate(g, spec)
    want = rep.total.latency_s if metric == "latency_s" else rep.total.energy_pj
    assert network_cost(spec, metric)(g) == pytest.approx(want, rel=1e-12)
