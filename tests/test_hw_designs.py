"""Designs as columns: values, selection, grouping, and column-wise validation that agrees with
building every design one by one."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import cosim
from cosim.errors import CosimError
from cosim.hw.designs import Designs, check_designs, unique_rows
from cosim.hw.energy_tables import spec_table_key
from cosim.hw.spec import SystolicSpec
from cosim.search.evaluate import candidate_designs
from cosim.search.points import decode, hw_columns
from cosim.search.space import parse_space
from cosim.search.specs import build_spec, replace_fields

SPACE = {
    "name": "validation", "workloads": ["mlp"],
    "candidates": [{"name": "sys", "base": "scalesim-32x32-ws", "vary": {
        "pe_array.rows": [1, 8, 64, 512], "pe_array.cols": [4, 64, 256],
        "sram.ifmap.size_kib": [0.0625, 0.5, 64], "sram.ofmap.size_kib": [0.03125, 1, 64],
        "sram.ofmap.word_bytes": [1, 4], "sram.double_buffered": [True, False],
        "clock_mhz": [500, 20000], "sparsity.skipping": ["none", "nm"],
        "sparsity.nm_patterns": [[], ["2:4"]], "timing": ["physical", "scalesim"]}}],
}


def _designs(space, ids):
    cand = space.candidates[0]
    batch = decode(space, ids)
    return cand, candidate_designs(cand, hw_columns(cand, batch.choices), len(ids)), batch


def test_column_wise_validation_agrees_with_building_each_design():
    space = parse_space(SPACE)
    ids = np.arange(space.size)
    cand, d, batch = _designs(space, ids)
    ok, reasons = check_designs(d, replace_fields)
    seen = set()
    for j, i in enumerate(ids):
        p = space.point(int(i))
        spec = build_spec(cand, p.hw)
        if isinstance(spec, str):
            assert not ok[j] and reasons[j] == spec, (p.hw, reasons[j], spec)
            seen.add(spec.split(" ")[0])
        else:
            assert ok[j] and reasons[j] == ""
    assert ok.any() and not ok.all()
    assert len(seen) >= 3  # tile edges, clock range, N:M patterns missing: several rules met


def test_values_select_and_group():
    space = parse_space(SPACE)
    _, d, _ = _designs(space, [0, 1, 2, 3, 500, 501])
    assert d.value("pe_array.rows").tolist() == [space.point(i).hw["pe_array.rows"] for i in [0, 1, 2, 3, 500, 501]]
    assert set(d.value("dram.bandwidth_gb_per_s").tolist()) == {d.base.dram.bandwidth_gb_per_s}  # not varied
    sub = d.select([4, 0])
    assert sub.value("pe_array.rows").tolist() == [d.value("pe_array.rows")[4], d.value("pe_array.rows")[0]]
    firsts, inverse = d.group(("timing",), lambda s: s.timing)
    assert len(firsts) == len(set(d.value("timing").tolist())) and inverse.shape == (6,)


def test_explicit_specs_are_designs_too():
    a, b = cosim.load_accelerator("scalesim-32x32-ws"), cosim.load_accelerator("scalesim-32x32-os")
    d = Designs.of([a, b, a])
    assert d.value("pe_array.dataflow").tolist() == ["ws", "os", "ws"]
    firsts, inverse = d.group(("pe_array",), lambda s: s.pe_array.dataflow)
    assert firsts.tolist() == [0, 1] and inverse.tolist() == [0, 1, 0]
    assert d.spec(1) is b


def test_unique_rows_numbers_groups_in_order_of_first_occurrence():
    a = np.array([3, 1, 3, 2, 1])
    b = np.array(["x", "y", "x", "x", "y"], dtype=object)
    firsts, inverse = unique_rows([a, b], 5)
    assert firsts.tolist() == [0, 1, 3] and inverse.tolist() == [0, 1, 0, 2, 1]


def test_invalid_design_raises_its_message_when_built():
    space = parse_space(SPACE)
    cand, d, _ = _designs(space, np.arange(space.size))
    ok, reasons = check_designs(d, replace_fields)
    j = int(np.flatnonzero(~ok)[0])
    with pytest.raises(CosimError) as e:
        d.spec(j)
    assert str(e.value) == reasons[j]


systolic_fields = st.fixed_dictionaries({
    "pe_array.rows": st.sampled_from([8, 32]), "pe_array.cols": st.sampled_from([8, 64]),
    "pe_array.dataflow": st.sampled_from(["os", "ws", "is"]), "clock_mhz": st.sampled_from([400.0, 1500.0]),
    "timing": st.sampled_from(["physical", "scalesim"]), "dram.bandwidth_gb_per_s": st.sampled_from([5.0, 50.0]),
    "sparsity.zero_gating": st.booleans(), "dual_side_sparse": st.booleans(),
})


@settings(max_examples=40, deadline=None)
@given(systolic_fields)
def test_energy_table_depends_only_on_the_declared_fields(changes):
    """Changing fields outside SystolicSpec.ENERGY_FIELDS never changes the energy table key."""
    base = cosim.load_accelerator("scalesim-32x32-ws")
    other = replace_fields(base, changes)
    outside = {k: v for k, v in changes.items()
               if not any(k == p or k.startswith(p + ".") for p in SystolicSpec.ENERGY_FIELDS)}
    assert outside == changes  # the strategy only draws fields outside the table's
    assert spec_table_key(other) == spec_table_key(base)
