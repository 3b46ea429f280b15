"""Pareto sets equal the brute-force definition, ties and duplicates included."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from cosim.search.pareto import crowding_distance, nondominated_ranks, pareto_mask


def brute_force_mask(f: np.ndarray, maximize=None) -> np.ndarray:
    """Not dominated by any other finite row: the definition, O(n²)."""
    f = np.asarray(f, dtype=float)
    if maximize is not None:
        f = f * np.where(np.asarray(maximize), -1.0, 1.0)
    finite = np.isfinite(f).all(axis=1)
    out = np.zeros(len(f), dtype=bool)
    for i in np.flatnonzero(finite):
        others = f[finite]
        dominated = (np.all(others <= f[i], axis=1) & np.any(others < f[i], axis=1)).any()
        out[i] = not dominated
    return out


# Small integer grids make ties and exact duplicates common.
points = st.integers(2, 3).flatmap(lambda k: hnp.arrays(
    np.float64, st.tuples(st.integers(0, 60), st.just(k)),
    elements=st.one_of(st.integers(0, 5).map(float), st.floats(0, 10, allow_nan=False)))
)


@settings(max_examples=200, deadline=None)
@given(points)
def test_front_equals_brute_force(f):
    assert np.array_equal(pareto_mask(f), brute_force_mask(f))


@settings(max_examples=100, deadline=None)
@given(points, st.data())
def test_front_with_maximised_objectives(f, data):
    maximize = data.draw(st.lists(st.booleans(), min_size=f.shape[1], max_size=f.shape[1]))
    assert np.array_equal(pareto_mask(f, maximize), brute_force_mask(f, maximize))


def test_hand_checked_front():
    f = np.array([[1, 5], [2, 2], [5, 1], [3, 3], [2, 2], [1, 6], [np.nan, 0]])
    # (3,3) is dominated by (2,2); (1,6) by (1,5); both copies of (2,2) stay; NaN rows never join.
    assert pareto_mask(f).tolist() == [True, True, True, False, True, False, False]


def test_maximised_accuracy():
    latency_accuracy = np.array([[1.0, 0.70], [2.0, 0.90], [3.0, 0.80]])
    assert pareto_mask(latency_accuracy, maximize=[False, True]).tolist() == [True, True, False]


@settings(max_examples=50, deadline=None)
@given(points)
def test_ranks_peel_fronts(f):
    ranks = nondominated_ranks(f)
    assert np.array_equal(ranks == 0, brute_force_mask(f))
    for r in range(1, ranks.max(initial=0) + 1):
        rest = ranks >= r
        assert np.array_equal(ranks[rest] == r, brute_force_mask(f[rest]))


def test_crowding_distance_ends_infinite():
    f = np.array([[0.0, 4.0], [1.0, 2.0], [2.0, 1.0], [4.0, 0.0]])
    d = crowding_distance(f)
    assert np.isinf(d[0]) and np.isinf(d[3])
    # interior: (2-0)/4 + (4-1)/4 = 1.25 for point 1, (4-1)/4 + (2-0)/4 = 1.25 for point 2
    assert np.allclose(d[1:3], [1.25, 1.25])
