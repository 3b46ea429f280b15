"""Dual-side sparsity on tensor cores: activation zeros are skipped lane by lane, every main-loop step
waits for its busiest lane and feeds a 1-bit-per-activation bitmap, so the speedup over the same chip
without activation skipping stays within 1/act_density, and the chip never skips where it loses."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.datapaths.tensor_core.gemm_timing import act_step_density
from cosim.graph import Layer
from cosim.hw.loader import load_accelerator
from cosim.simulate import simulate_layer
from cosim.sparsity import expected_max_binomial
from cosim.sparsity_spec import parse_sparsity

H100 = load_accelerator("h100-sxm")
EDGE = load_accelerator("edge-nm")


def toy(**over):
    """One 128x128x64 tile, 132 SMs x 2048 MACs/cycle, unlimited feed and DRAM, no L2, no overhead."""
    from test_sparse_tensor_core import toy_spec

    return toy_spec(**over)


def fc(rows, k, tokens, act_density, pattern="dense"):
    return Layer.linear("fc", in_features=k, out_features=rows, tokens=tokens, weight_bits=16, act_bits=16,
                        out_bits=16, act_density=act_density, weight_sparsity=parse_sparsity(pattern))


def test_busiest_lane_share_by_hand():
    assert act_step_density(1.0, 64, 128) == 1.0  # nothing to skip
    assert act_step_density(0.5, 4, 1) == pytest.approx(0.5)  # one lane: its mean, 2 of 4 slots
    assert act_step_density(0.5, 1, 2) == pytest.approx(0.75)  # max of two coin flips: 1 - 1/4
    assert act_step_density(0.5, 64, 128) > act_step_density(0.5, 64, 8) > 0.5  # more lanes, busier max


def test_a_step_lasts_as_long_as_its_busiest_token_lane():
    # 128 x 128 tile, K = 640 -> 10 steps of 128*128*64/2048 = 512 cycles dense; 132 tiles, one wave.
    # Dense weights: the 128 tokens are the lanes, each with 64 slots per step.
    dual = toy(dual_side_sparse=True)
    perf = simulate_layer(fc(132 * 128, 640, 128, 0.5), dual)
    share = expected_max_binomial(64, 0.5, 128) / 64
    assert perf.details.act_skipping
    assert perf.compute_cycles == round(10 * 512 * share)
    assert perf.details.act_imbalance == pytest.approx(share / 0.5)
    # 132 tiles x 10 steps x a 128 x 64 bitmap (1 bit per activation)
    assert perf.metadata_bytes == 132 * 10 * 128 * 64 // 8
    assert perf.actions["mac:fp16"] == 132 * 128 * 640 * 128 * 0.5  # only nonzero activations multiply


def test_skipping_that_loses_runs_without_it():
    # Feed-bound: the bitmap costs more than the few zeros save, so the kernel does not skip.
    slow_feed = toy(dual_side_sparse=True, feed_bytes_per_cycle_per_sm=64)
    layer = fc(132 * 128, 640, 128, 0.95)
    dual = simulate_layer(layer, slow_feed)
    plain = simulate_layer(layer, dataclasses.replace(slow_feed, dual_side_sparse=False))
    assert not dual.details.act_skipping and dual.total_cycles == plain.total_cycles
    assert dual.metadata_bytes == 0


@settings(max_examples=40, deadline=None)
@given(k=st.sampled_from([16, 64, 640, 4096]), n=st.sampled_from([8, 256, 3072]),
       tokens=st.sampled_from([1, 16, 512, 4096]), pattern=st.sampled_from(["dense", "2:4"]),
       act_density=st.floats(0.02, 1.0), which=st.sampled_from(["h100", "edge", "toy"]))
def test_dual_side_speedup_never_beats_its_ideal_nor_loses(k, n, tokens, pattern, act_density, which):
    spec = {"h100": H100, "edge": EDGE, "toy": toy()}[which]
    layer = fc(n, k, tokens, act_density, pattern)
    dual = simulate_layer(layer, dataclasses.replace(spec, dual_side_sparse=True))
    plain = simulate_layer(layer, dataclasses.replace(spec, dual_side_sparse=False))
    dense = simulate_layer(fc(n, k, tokens, act_density), dataclasses.replace(spec, dual_side_sparse=False))
    assert dual.total_cycles <= plain.total_cycles  # skipping is used only where it pays
    assert plain.total_cycles / dual.total_cycles <= 1.0 / act_density + 1e-9 + 1.0 / dual.total_cycles
    ideal = dual.details.math_speedup / act_density  # weights' pattern run x activation skipping
    assert dense.total_cycles / dual.total_cycles <= ideal * (1 + 1e-9) + 1.0 / dual.total_cycles


@settings(max_examples=25, deadline=None)
@given(k=st.sampled_from([64, 1024, 4096]), n=st.sampled_from([64, 1024]), tokens=st.sampled_from([1, 64, 2048]),
       act_density=st.floats(0.05, 1.0), pattern=st.sampled_from(["dense", "2:4"]))
def test_twice_the_bandwidth_never_slows_a_dual_side_layer(k, n, tokens, act_density, pattern):
    spec = dataclasses.replace(EDGE, dual_side_sparse=True)
    fast = dataclasses.replace(spec, dram=dataclasses.replace(spec.dram, bandwidth_gb_per_s=2 * spec.dram.bandwidth_gb_per_s),
                               feed_bytes_per_cycle_per_sm=2 * spec.feed_bytes_per_cycle_per_sm)
    layer = fc(n, k, tokens, act_density, pattern)
    assert simulate_layer(layer, fast).total_cycles <= simulate_layer(layer, spec).total_cycles
