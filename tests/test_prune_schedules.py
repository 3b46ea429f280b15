"""Pruning schedules: sparsity ramps and the adaptive stop rule."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.errors import CosimError
from cosim.prune.schedules import Schedule, polynomial_sparsity, run_schedule, sparsity_steps


def test_poly_formula_matches_zhu_gupta():
    # s_t = s_f + (s_i - s_f)(1 - t/n)^3 with s_i = 0, s_f = 0.8, n = 4, t = 2: 0.8 - 0.8/8 = 0.7
    assert polynomial_sparsity(2, 4, 0.0, 0.8) == pytest.approx(0.7)
    assert polynomial_sparsity(0, 4, 0.1, 0.8) == pytest.approx(0.1)
    assert polynomial_sparsity(4, 4, 0.1, 0.8) == pytest.approx(0.8)


@settings(max_examples=50, deadline=None)
@given(n=st.integers(1, 30), si=st.floats(0, 0.5), sf=st.floats(0.5, 0.99))
def test_poly_ramp_rises_to_the_target_and_slows_down(n, si, sf):
    steps = sparsity_steps(Schedule("poly", steps=n, initial_sparsity=si), sf)
    assert len(steps) == n and steps[-1] == pytest.approx(sf)
    assert all(b >= a - 1e-12 for a, b in zip(steps, steps[1:]))
    gains = [b - a for a, b in zip(steps, steps[1:])]
    assert all(y <= x + 1e-12 for x, y in zip(gains, gains[1:]))  # fast first, slow near the target


def test_iterative_and_one_shot_steps():
    assert sparsity_steps(Schedule("iterative", steps=4), 0.8) == pytest.approx([0.2, 0.4, 0.6, 0.8])
    assert sparsity_steps(Schedule("one-shot", steps=7), 0.8) == [0.8]


def test_run_schedule_prunes_then_fine_tunes_each_step():
    log = []
    recs = run_schedule(Schedule("iterative", steps=3, finetune_epochs=2), 0.9, lambda s: log.append(("p", s)),
                        lambda e: log.append(("f", e)), lambda: 0.5)
    assert [k for k, _ in log] == ["p", "f", "p", "f", "p", "f"]
    assert [r.sparsity for r in recs] == pytest.approx([0.3, 0.6, 0.9])


def test_adaptive_stops_and_restores_the_last_good_state():
    state = {"s": 0.0}
    acc = {0.0: 0.99}
    recs = run_schedule(Schedule("adaptive", steps=5, tolerance=0.02), 0.9,
                        prune_to=lambda s: state.update(s=s), fine_tune=None,
                        evaluate=lambda: 0.98 if state["s"] < 0.8 else 0.90,
                        snapshot=lambda: dict(state), restore=lambda st: state.update(st),
                        baseline_accuracy=acc[0.0])
    assert not recs[-1].accepted and all(r.accepted for r in recs[:-1])
    assert state["s"] == pytest.approx(recs[-2].sparsity) and state["s"] < 0.8


def test_adaptive_needs_an_accuracy():
    with pytest.raises(CosimError, match="adaptive"):
        run_schedule(Schedule("adaptive"), 0.5, lambda s: None)


@pytest.mark.parametrize("kw, fragment", [({"kind": "cosine"}, "--schedule"), ({"steps": 0}, "--steps"),
                                          ({"initial_sparsity": 1.0}, "--initial-sparsity"),
                                          ({"finetune_epochs": -1}, "--finetune-epochs")])
def test_bad_schedules(kw, fragment):
    with pytest.raises(CosimError, match=fragment):
        Schedule(**kw)
