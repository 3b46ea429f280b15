"""scripts/validate_published.py's area rows: core to core, a die less its published I/O share."""

import importlib.util
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("validate_published", ROOT / "scripts" / "validate_published.py")
vp = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("validate_published", vp)  # its dataclasses look their module up by name
_spec.loader.exec_module(vp)


def test_a_die_is_compared_as_its_core_less_the_published_io_share():
    tpu = next(c for c in vp._chips() if c["name"] == "tpu-v1-die")
    assert vp._published_core_mm2(tpu) == pytest.approx(331 * 0.90)  # Jouppi et al. Fig. 2: I/O 10 %
    eyeriss = next(c for c in vp._chips() if c["name"] == "eyeriss-v1-core")
    assert vp._published_core_mm2(eyeriss) == 12.25


def test_every_area_row_says_it_compares_cores_and_carries_the_uncore():
    from cosim.hw.area import systolic_area_mm2

    rows = vp.area_rows()
    assert rows and all(" core" in r.name and r.cosim > 0 and r.source for r in rows)
    for c in vp._chips():
        assert {"uncore", "uncore_placement"} <= set(systolic_area_mm2(vp._spec(c)))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 64), st.integers(1, 64), st.integers(1, 64), st.sampled_from([7.0, 16.0, 28.0, 45.0, 65.0]))
def test_more_pes_never_lower_static_power(rows, cols, extra, node):
    from dataclasses import replace

    from cosim.hw.area import systolic_area_mm2
    from cosim.hw.spec import EnergySpec
    from cosim.hw.static_power import static_power_mw

    c = next(c for c in vp._chips() if c["name"] == "diannao")
    base = vp._spec(c)
    base = replace(base, energy=EnergySpec(technology_nm=node, leakage_model="area"),
                   pe_array=replace(base.pe_array, rows=rows, cols=cols))
    more = replace(base, pe_array=replace(base.pe_array, rows=rows + extra))
    assert static_power_mw(more, systolic_area_mm2(more)) >= static_power_mw(base, systolic_area_mm2(base)) > 0
