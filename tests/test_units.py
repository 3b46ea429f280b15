"""Engineering notation: SI prefix by powers of 1000, significant digits, no '0.000 ms'."""

import pytest

from cosim.units import eng


@pytest.mark.parametrize("value, unit, text", [
    (7.47e-6, "s", "7.47 us"), (3e-3, "s", "3 ms"), (1.5, "s", "1.5 s"), (0.0, "s", "0 s"),
    (7.0e-6, "J", "7 uJ"), (95_000, "B", "95 kB"), (999.96, "B", "1 kB"), (2.5e-10, "s", "250 ps"),
    (-4.2e-3, "J", "-4.2 mJ"),
])
def test_hand_checked_values(value, unit, text):
    assert eng(value, unit) == text


@pytest.mark.parametrize("value", [1e-9, 3.3e-7, 2e-4, 0.5, 42.0, 7e5])
def test_never_prints_zero_for_a_nonzero_value(value):
    assert not eng(value, "s").startswith("0")
