"""Dataflow engine folding: FINN's cycle formula, zero-skipping load imbalance, pruned engines, the
automatic folder (balanced, budget-monotone) and user-given foldings."""

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cosim.datapaths.fpga import datapath as fpga
from cosim.datapaths.fpga import folding as ff
from cosim.errors import CosimError
from cosim.graph import Layer, LayerGraph
from cosim.hw.loader import load_accelerator
from cosim.sparsity import Sparsity

CTX = ff.EngineContext()


def masked(layer: Layer, mask) -> Layer:
    return layer.replace(weight_sparsity=Sparsity.from_mask(np.asarray(mask, dtype=bool)))


def test_divisors():
    assert ff.divisors(12) == [1, 2, 3, 4, 6, 12]
    assert ff.divisors(1) == [1]


# ---- cycles of one engine ------------------------------------------------------------------------
def test_mvau_cycles_follow_finn_formula():
    # FINN: (MH/PE)·(MW/SIMD)·N — 64 filters, K = 32·3·3 = 288, N = 11·11 output pixels.
    conv = Layer.conv2d("c", 32, 64, 13, 3, padding=0)
    d = ff.compute_stage(conv, pe=16, simd=32, ctx=CTX)
    assert d.cycles == (64 / 16) * (288 / 32) * 121
    fc = Layer.linear("f", 784, 64)
    assert ff.compute_stage(fc, pe=16, simd=49, ctx=CTX).cycles == (64 / 16) * (784 / 49)


def test_input_stream_bounds_a_conv_engine():
    # One input channel is read one pixel per cycle: 28·28 = 784 cycles even if the MACs need fewer.
    conv = Layer.conv2d("c", 1, 32, 28, 3, padding=0)
    d = ff.compute_stage(conv, pe=32, simd=9, ctx=CTX)
    assert d.cycles == 28 * 28 > 26 * 26


def test_skip_engine_cycles_follow_the_slowest_pe_of_each_fold():
    # rows' nonzeros [8, 2, 4, 4], PE = 2, SIMD = 2: fold 0 max(4, 1) = 4, fold 1 max(2, 2) = 2.
    mask = np.zeros((1, 4, 8), dtype=bool)
    for r, n in enumerate((8, 2, 4, 4)):
        mask[0, r, :n] = True
    layer = masked(Layer.linear("f", 8, 4), mask)
    work = ff.row_work(layer)
    assert list(work.nnz_rows) == [8, 2, 4, 4]
    assert ff.skip_cycles_per_position(work, pe=2, simd=2) == 6
    skip = ff.compute_stage(layer, 2, 2, dataclasses.replace(CTX, mode="skip"))
    dense = ff.compute_stage(layer, 2, 2, CTX)
    assert skip.cycles == 6 and dense.cycles == 8
    # A balanced mask with the same 18 nonzeros would take fewer cycles: imbalance costs.
    assert ff.skip_cycles_per_position(ff.RowWork(4, 8, np.array([5, 5, 4, 4]), 18 / 32, "unstructured"), 2, 2) == 5


def test_statistical_skip_model_matches_monte_carlo():
    work = ff.RowWork(rows=64, reduction=256, nnz_rows=None, density=0.25, kind="unstructured")
    model = ff.skip_cycles_per_position(work, pe=8, simd=16)
    rng = np.random.default_rng(1)
    trials = []
    for _ in range(400):
        nnz = rng.binomial(256, 0.25, size=64)
        trials.append(ff.skip_cycles_per_position(ff.RowWork(64, 256, nnz, 0.25, "unstructured"), 8, 16))
    assert model == pytest.approx(np.mean(trials), rel=0.03)


def test_nm_and_dense_masks_are_exact():
    layer = Layer.linear("f", 64, 16).replace(weight_sparsity=Sparsity.nm_pattern(2, 4))
    work = ff.row_work(layer)
    assert set(work.nnz_rows) == {32}
    assert ff.skip_cycles_per_position(work, 4, 8) == (16 / 4) * (32 / 8)
    dense_mask = masked(Layer.linear("f", 64, 16), np.ones((1, 16, 64)))
    assert ff.row_work(dense_mask).kind == "dense"
    a = ff.compute_stage(dense_mask, 4, 8, dataclasses.replace(CTX, mode="skip"))
    b = ff.compute_stage(Layer.linear("f", 64, 16), 4, 8, CTX)
    assert a.cycles == b.cycles and a.resources == b.resources


def test_pruned_engine_keeps_its_interval_and_drops_multipliers():
    rng = np.random.default_rng(0)
    layer = masked(Layer.linear("f", 64, 32), rng.random((1, 32, 64)) < 0.3)
    nnz = int(layer.weight_sparsity.mask.sum())
    prune = ff.compute_stage(layer, 8, 8, dataclasses.replace(CTX, mode="prune"))
    dense = ff.compute_stage(Layer.linear("f", 64, 32), 8, 8, CTX)
    fold = (32 // 8) * (64 // 8)
    assert prune.cycles == dense.cycles == fold
    assert prune.multipliers == math.ceil(nnz / fold) < dense.multipliers == 64
    assert prune.resources.dsp < dense.resources.dsp


def test_channel_pruning_shrinks_the_engine_matrix():
    mask = np.ones((1, 32, 64), dtype=bool)
    mask[0, 24:, :] = False  # 8 of 32 filters pruned away
    layer = masked(Layer.linear("f", 64, 32), mask)
    d = ff.compute_stage(layer, 8, 8, dataclasses.replace(CTX, mode="prune"))
    assert d.cycles == (24 // 8) * (64 // 8)


# ---- user folding --------------------------------------------------------------------------------
def test_user_folding_must_divide_the_matrix():
    with pytest.raises(CosimError, match="pe 3 must divide the 64 output channels"):
        ff.FoldingChoice(pe=3, simd=1).resolve("f", 64, 32)
    assert ff.FoldingChoice(reuse_factor=8).resolve("f", 64, 32) == (64, 4)
    with pytest.raises(CosimError, match="reuse_factor 7 does not divide"):
        ff.FoldingChoice(reuse_factor=7).resolve("f", 64, 32)


def test_folding_file(tmp_path):
    p = tmp_path / "fold.yaml"
    p.write_text("fc1: {pe: 4, simd: 8}\nfc2: {reuse_factor: 2}\n")
    got = ff.load_folding_file(str(p))
    assert got["fc1"] == ff.FoldingChoice(pe=4, simd=8) and got["fc2"].reuse_factor == 2
    p.write_text("fc1: {pe: 0}\n")
    with pytest.raises(CosimError, match="fc1.pe must be a positive integer"):
        ff.load_folding_file(str(p))


# ---- automatic folding -----------------------------------------------------------------------------
def mlp(sizes=(784, 128, 64, 10), bits=8) -> LayerGraph:
    g = LayerGraph("mlp")
    prev = None
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layer = Layer.linear(f"fc{i}", a, b, weight_bits=bits, act_bits=bits, out_bits=bits)
        g.add(layer, [prev] if prev else [])
        prev = layer.name
    return g


def with_dsp(spec, dsp: int):
    return dataclasses.replace(spec, device=dataclasses.replace(spec.device, dsp=dsp))


def initiation_interval(g, spec) -> float:
    _, _, designs, _, fits = fpga.design_pipeline(g, spec)
    return max(d.cycles for d in designs) if fits else math.inf


def test_auto_folding_balances_the_pipeline_within_budget():
    spec = load_accelerator("zcu104-finn")
    _, _, designs, fixed, fits = fpga.design_pipeline(mlp(), spec)
    assert fits
    used = sum((d.resources for d in designs[1:]), designs[0].resources) + fixed
    assert used.fits(spec.device.budget())
    # Balanced: every stage is within the bottleneck's interval and no stage is needlessly fast
    # when a cheaper folding would still meet it.
    ii = max(d.cycles for d in designs)
    for d, layer in zip(designs, mlp().layers()):
        cheaper = [c for c in ff.candidates(layer, ff.EngineContext.from_spec(spec)) if c.area < d.area]
        assert all(c.cycles > ii for c in cheaper)


def test_target_fps_picks_the_cheapest_pipeline_that_reaches_it():
    spec = load_accelerator("zcu104-finn")
    fast = initiation_interval(mlp(), spec)
    slow_spec = dataclasses.replace(spec, dataflow=dataclasses.replace(spec.dataflow, target_fps=100_000))
    _, _, designs, _, fits = fpga.design_pipeline(mlp(), slow_spec)
    assert fits and max(d.cycles for d in designs) <= 200e6 / 100_000
    assert max(d.cycles for d in designs) > fast
    too_fast = dataclasses.replace(spec, dataflow=dataclasses.replace(spec.dataflow, target_fps=1e9))
    with pytest.raises(CosimError, match="target_fps .* is out of reach"):
        fpga.design_pipeline(mlp(), too_fast)


@st.composite
def small_networks(draw):
    g = LayerGraph("net")
    prev, width = None, draw(st.sampled_from([16, 24, 32, 64]))
    for i in range(draw(st.integers(1, 3))):
        out = draw(st.sampled_from([8, 10, 16, 32, 48]))
        layer = Layer.linear(f"fc{i}", width, out, weight_bits=draw(st.sampled_from([4, 8])), act_bits=8)
        g.add(layer, [prev] if prev else [])
        prev, width = layer.name, out
    return g


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_networks(), st.integers(4, 200), st.integers(0, 300))
def test_more_dsps_never_cost_cycles(g, dsp, extra):
    spec = load_accelerator("zcu104-finn")
    assert initiation_interval(g, with_dsp(spec, dsp + extra)) <= initiation_interval(g, with_dsp(spec, dsp))
