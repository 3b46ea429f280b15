"""Zero-skipping FPGA engines run only where they pay: a dataflow stage takes a skip or a dense
engine, whichever meets the pipeline's interval with fewer resources, and an overlay layer skips or
runs dense, whichever is faster; so a skip-mode design is never slower than the same design dense,
and each layer says which engine it ran."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import cosim
from cosim.datapaths.fpga import datapath as fpga
from cosim.graph import Layer, LayerGraph
from cosim.hw.loader import load_accelerator
from cosim.sparsity import Sparsity

FINN_SPARSE = load_accelerator("zcu104-finn-sparse")
DPU = load_accelerator("zcu104-dpu")


def with_mode(spec, mode):
    return dataclasses.replace(spec, sparsity=dataclasses.replace(spec.sparsity, mode=mode))


def pruned(g: LayerGraph, density: float, seed: int = 0) -> LayerGraph:
    rng = np.random.default_rng(seed)

    def f(layer):
        if not layer.has_weights:
            return layer
        return layer.replace(weight_sparsity=Sparsity.from_mask(
            rng.random((layer.groups, layer.gemm_n, layer.gemm_k)) < density))
    return g.map_layers(f)


def interval(graph, spec) -> float:
    return fpga.simulate_graph(graph, spec)[1].details.initiation_interval_cycles


def engines(graph, spec) -> list[str]:
    perfs, _ = fpga.simulate_graph(graph, spec)
    return [p.details.engine.engine_mode for p, l in zip(perfs, graph.layers()) if l.has_weights]


SMALL_CNN = cosim.load_workload("small-cnn")


def test_lightly_pruned_layers_keep_dense_engines():
    # At 95 % density the index bits and per-lane input copies cost more than the few zeros save:
    # forcing skip engines on every layer gave a 2,250-cycle interval against the dense 1,352.
    g = pruned(SMALL_CNN, 0.95)
    assert interval(g, FINN_SPARSE) == interval(g, with_mode(FINN_SPARSE, "none")) == 1352
    assert set(engines(g, FINN_SPARSE)) == {"none"}
    r = cosim.simulate(g, FINN_SPARSE)
    assert any("dense engine" in n for n in r.notes)


def test_heavily_pruned_layers_skip_and_run_faster():
    g = pruned(SMALL_CNN, 0.2)
    assert interval(g, FINN_SPARSE) < interval(g, with_mode(FINN_SPARSE, "none"))
    assert "skip" in engines(g, FINN_SPARSE)


@settings(max_examples=12, deadline=None)
@given(density=st.floats(0.05, 1.0), seed=st.integers(0, 3), dsp_share=st.sampled_from([1.0, 0.25]))
def test_a_skip_pipeline_is_never_slower_than_dense(density, seed, dsp_share):
    spec = FINN_SPARSE
    if dsp_share < 1.0:  # a tighter board: fewer DSPs force more folding
        spec = dataclasses.replace(spec, device=dataclasses.replace(spec.device, dsp=int(spec.device.dsp * dsp_share)))
    g = pruned(SMALL_CNN, density, seed)
    assert interval(g, spec) <= interval(g, with_mode(spec, "none"))


def _fc(density: float, seed: int = 0) -> LayerGraph:
    rng = np.random.default_rng(seed)
    layer = Layer.linear("fc", 1024, 1024, tokens=1, weight_bits=8, act_bits=8, out_bits=8)
    g = LayerGraph("fc")
    g.add(layer.replace(weight_sparsity=Sparsity.from_mask(rng.random((1, 1024, 1024)) < density)))
    return g


def test_overlay_skips_only_where_faster():
    skip, dense = with_mode(DPU, "skip"), with_mode(DPU, "none")
    # A batch-1 linear is DRAM-bound: at 90 % density value + index bytes outweigh the zeros.
    heavy = _fc(0.9)
    a, b = fpga.simulate_graph(heavy, skip)[0][0], fpga.simulate_graph(heavy, dense)[0][0]
    assert not a.details.zero_skipping and a.total_cycles == b.total_cycles and a.metadata_bytes == 0
    light = _fc(0.1)
    a, b = fpga.simulate_graph(light, skip)[0][0], fpga.simulate_graph(light, dense)[0][0]
    assert a.details.zero_skipping and a.total_cycles < b.total_cycles and a.metadata_bytes > 0


@settings(max_examples=20, deadline=None)
@given(density=st.floats(0.02, 1.0), seed=st.integers(0, 3))
def test_an_overlay_layer_is_never_slower_skipping(density, seed):
    g = _fc(density, seed)
    assert (fpga.simulate_graph(g, with_mode(DPU, "skip"))[0][0].total_cycles
            <= fpga.simulate_graph(g, with_mode(DPU, "none"))[0][0].total_cycles)
