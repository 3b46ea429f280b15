"""Technology scaling of on-chip energy (cosim/hw/scaling.py)."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cosim.errors import CosimError
from cosim.hw.scaling import energy_scale_factor, relative_energy_per_op


def stillmaker(a, b, c, vdd):
    return a * vdd * vdd + b * vdd + c


def test_reference_node_is_one():
    assert relative_energy_per_op(45) == pytest.approx(1.0)
    assert energy_scale_factor(45, 45) == 1.0
    assert energy_scale_factor(7, 7) == 1.0


def test_anchor_nodes_match_the_fit_by_hand():
    e45 = stillmaker(1.103, -0.362, 0.2767, 1.0)  # = 1.0177
    assert relative_energy_per_op(65) == pytest.approx(stillmaker(3.755, -4.398, 1.975, 1.1) / e45)  # 1.65
    assert relative_energy_per_op(7) == pytest.approx(stillmaker(0.1776, -0.09097, 0.02447, 0.7) / e45)  # 0.047
    assert relative_energy_per_op(65) == pytest.approx(1.6515, rel=1e-3)
    assert relative_energy_per_op(7) == pytest.approx(0.0470, rel=1e-2)


def test_close_to_classical_cv2_scaling_where_both_apply():
    # Classical: E ∝ L·V². 45 nm 1.0 V → 65 nm 1.1 V: 1.75×; → 32 nm 0.9 V: 0.58×. Within 15 %.
    assert relative_energy_per_op(65) == pytest.approx((65 / 45) * 1.1**2, rel=0.15)
    assert relative_energy_per_op(32) == pytest.approx((32 / 45) * 0.9**2, rel=0.15)


def test_180nm_anchor_is_classical_step_from_130():
    assert relative_energy_per_op(180) == pytest.approx(
        relative_energy_per_op(130) * (180 / 130) * (1.8 / 1.3) ** 2)


def test_below_7nm_follows_square_root():
    assert relative_energy_per_op(3.5) == pytest.approx(relative_energy_per_op(7) * math.sqrt(0.5))


def test_interpolation_is_a_power_law_between_anchors():
    # Geometric mean of two anchor nodes → geometric mean of their energies.
    mid = math.sqrt(45 * 65)
    assert relative_energy_per_op(mid) == pytest.approx(
        math.sqrt(relative_energy_per_op(45) * relative_energy_per_op(65)))


@given(st.floats(3, 180), st.floats(3, 180))
def test_monotonic_in_node(a, b):
    lo, hi = min(a, b), max(a, b)
    assert relative_energy_per_op(lo) <= relative_energy_per_op(hi)


@given(st.floats(3, 180), st.floats(3, 180), st.floats(3, 180))
def test_factors_compose(a, b, c):
    assert energy_scale_factor(a, b) * energy_scale_factor(b, c) == pytest.approx(energy_scale_factor(a, c))


@pytest.mark.parametrize("node", [2.0, 200.0])
def test_out_of_range_node_is_a_user_error(node):
    with pytest.raises(CosimError, match="outside the scaling model"):
        relative_energy_per_op(node)
