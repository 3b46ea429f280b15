"""A sweep's time left (cosim/search/eta.py): by candidate, so the expensive points starting late do not
make it jump (the issue: '11 s left' at 22 %, then 1:47), and it says while it is still guessing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from cosim.search.eta import PRIOR_WEIGHT, SweepEta, planned_by_candidate


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


KINDS = {"sys": "systolic", "sys-nm": "systolic", "edge": "sparse_tensor_core", "dpu": "fpga"}


def test_unmeasured_candidates_priced_by_kind_then_by_prior_by_hand():
    clock = Clock()
    eta = SweepEta({"sys": 100, "sys-nm": 100, "dpu": 10}, KINDS, clock)
    assert eta.seconds_left() is None and eta.text() == "ETA measuring"
    clock.t = 0.5
    eta.update(["sys"] * 10)  # the first chunk carries the start-up: not charged
    assert eta.seconds_left() is None
    clock.t = 1.0
    eta.update(["sys"] * 50)  # 0.01 s a point; sys-nm (same kind) alike; a DPU point PRIOR_WEIGHT of them
    want = 40 * 0.01 + 100 * 0.01 + 10 * 0.01 * PRIOR_WEIGHT["fpga"]
    assert eta.seconds_left() == pytest.approx(want)
    assert eta.text() == f"ETA ~0:{round(want):02d}, 2 candidates not measured yet"
    clock.t = 5.0
    eta.update(["dpu"] * 2)   # measured: 2 s a point
    assert eta.seconds_left() == pytest.approx(40 * 0.01 + 100 * 0.01 + 8 * 2.0)
    assert eta.text().endswith("1 candidate not measured yet")
    clock.t = 6.0
    eta.update(["dpu"] * 2)   # 0.5 s a point now: the average over its 4 points, 1.25 s
    assert eta.sec_per_point["dpu"] == pytest.approx(1.25)


def test_skipped_points_shrink_the_plan_in_proportion():
    eta = SweepEta({"sys": 30, "dpu": 10}, KINDS, Clock())
    eta.skipped(20)
    assert eta.planned == {"sys": pytest.approx(15), "dpu": pytest.approx(5)}


def _run(costs, order, chunk, probe=0):
    """(predicted end after every chunk, true end) of a serial sweep over ``order`` (candidates), the
    first ``probe`` points of each candidate first, each candidate's in its own chunk (as run_sweep)."""
    clock = Clock()
    eta = SweepEta({c: order.count(c) for c in costs}, KINDS, clock)
    first = {c: [c] * min(probe, order.count(c)) for c in costs}
    rest = list(order)
    for c, p in first.items():
        for _ in p:
            rest.remove(c)
    chunks = [p for p in first.values() if p] + [rest[s:s + chunk] for s in range(0, len(rest), chunk)]
    ends = []
    for names in chunks:
        clock.t += sum(costs[c] for c in names)
        eta.update(names)
        if eta.seconds_left() is not None:  # from the second chunk on (the first carries the start-up)
            ends.append(clock.t + eta.seconds_left())
    return ends, clock.t


# The default co-search: points per candidate, and seconds per point as measured (PRIOR_WEIGHT's comment).
DEFAULT = {"sys": (6912, 2.24e-3), "sys-nm": (3456, 1.36e-3), "lanes": (6912, 3.93e-3), "edge": (972, 3.1e-3),
           "h100": (18, 0.54), "dpu": (144, 24.8e-3), "finn": (18, 58.6e-3)}
KINDS.update(lanes="systolic", h100="sparse_tensor_core", finn="fpga")


def test_the_default_cosearch_does_not_jump():
    """At the measured costs a points/s estimate at 22 % is 35 % short (cheap points first, H100 and
    FPGA last); probing every candidate first, the estimate is within 5 % from the end of the probes on
    (seconds into a minute's sweep) and within a factor of 2 during them."""
    costs = {c: t for c, (_, t) in DEFAULT.items()}
    order = [c for c, (n, _) in DEFAULT.items() for _ in range(n)]
    true_end = sum(n * t for n, t in DEFAULT.values())
    at_22 = int(0.22 * len(order))
    naive = sum(costs[c] for c in order[:at_22]) / at_22 * len(order)
    assert naive < 0.7 * true_end
    ends, end = _run(costs, order, 2048, probe=4)
    assert end == pytest.approx(true_end)
    after = ends[len(DEFAULT) - 1:]  # every candidate measured (chunks mixing candidates are split by weight)
    assert all(e == pytest.approx(true_end, rel=0.05) for e in after)
    assert all(true_end / 2 <= e <= 2 * true_end for e in ends)


@settings(max_examples=40, deadline=None)
@given(st.floats(1e-5, 1e-2), st.integers(1, 50), st.integers(1, 50), st.integers(1, 20))
def test_costs_as_the_priors_say_predict_the_end_from_the_first_chunk(cheap, n_cheap, n_dear, chunk):
    costs = {"sys": cheap, "dpu": cheap * PRIOR_WEIGHT["fpga"]}
    order = ["sys"] * (n_cheap * chunk) + ["dpu"] * (n_dear * chunk)
    ends, true_end = _run(costs, order, chunk)
    assert all(e == pytest.approx(true_end, rel=1e-6) for e in ends)


def test_probing_changes_the_order_not_the_points():
    from cosim.search.sweep import PROBE_POINTS, _probe_first

    class C:
        def __init__(self, size):
            self.size = size

    class S:
        candidates = [C(10), C(5), C(3)]

    probes, rest = _probe_first(S, iter(range(18)))
    rest = list(rest)
    assert probes == [[0, 1, 2, 3], [10, 11, 12, 13], [15, 16, 17]][:len(probes)] and PROBE_POINTS == 4
    assert sorted(sum(probes, []) + rest) == list(range(18)) and rest == [4, 5, 6, 7, 8, 9, 14]


def test_a_sweep_with_progress_stores_what_one_without_does(tmp_path):
    from cosim.search.space import load_space
    from cosim.search.store import ResultStore
    from cosim.search.sweep import run_sweep
    from test_search_toy import install, write_toy_space

    install()
    space = load_space(write_toy_space(tmp_path))
    stores = [run_sweep(space, tmp_path / f"o{p}", executor="serial", progress=p).store_path for p in (False, True)]
    rows = []
    for path in stores:
        with ResultStore(path) as st:
            rows.append(sorted((r["id"], r["status"], r["latency_s"]) for r in st.iter_rows()))
    assert rows[0] == rows[1] and rows[0]


def test_planned_is_the_candidates_share_of_the_space():
    class C:
        def __init__(self, name, size):
            self.name, self.size = name, size

    class S:
        candidates = [C("sys", 90), C("dpu", 10)]

    assert planned_by_candidate(S, 50) == {"sys": pytest.approx(45), "dpu": pytest.approx(5)}
