"""Energy = action counts × table + leakage × time (cosim/energy.py)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cosim.energy import component_of, dynamic_energy_pj, layer_energy_pj, leakage_energy_pj
from cosim.errors import CosimError
from cosim.hw.energy_tables import table_for
from cosim.hw.schema import from_mapping
from cosim.hw.spec import SystolicSpec


def spec(leakage_mw=0.0, **energy):
    return from_mapping(SystolicSpec, {
        "name": "t", "pe_array": {"rows": 4, "cols": 4},
        "sram": {"ifmap": {"size_kib": 8}, "filter": {"size_kib": 8}, "ofmap": {"size_kib": 8}},
        "energy": {"leakage_mw": leakage_mw, **energy},
    })


def test_component_is_the_part_before_the_colon():
    assert component_of("sram_ifmap:read_byte") == "sram_ifmap"
    assert component_of("mac:int8") == "mac"


def test_dynamic_energy_by_hand():
    table = {"mac:int8": 0.25, "mac_gated:int8": 0.008, "dram:read_bit": 8.0, "sram_ifmap:read_byte": 1.25}
    actions = {"mac:int8": 1000, "mac_gated:int8": 500, "dram:read_bit": 64, "sram_ifmap:read_byte": 10}
    e = dynamic_energy_pj(actions, table)
    assert e == pytest.approx({"mac": 250.0, "mac_gated": 4.0, "dram": 512.0, "sram_ifmap": 12.5})


def test_zero_counts_need_no_price():
    assert dynamic_energy_pj({"lut:op": 0}, {}) == {}


def test_unpriced_action_names_it_and_the_fix():
    with pytest.raises(CosimError, match="no entry for action 'lut:op'.*energy.overrides_pj"):
        dynamic_energy_pj({"lut:op": 3}, {"mac:int8": 0.25})


def test_leakage_by_hand():
    # 10 mW for 1 ms = 10 µJ = 1e7 pJ.
    assert leakage_energy_pj(10.0, 1e-3) == pytest.approx(1e7)


def test_layer_energy_uses_the_spec_table_and_leakage():
    s = spec(leakage_mw=5.0)
    e = layer_energy_pj({"mac:int8": 100, "dram:write_bit": 8}, s, latency_s=2e-6)
    assert e["mac"] == pytest.approx(100 * 0.25)
    assert e["dram"] == pytest.approx(8 * 8.0)
    assert e["leakage"] == pytest.approx(5.0 * 1e-3 * 2e-6 * 1e12)


def test_no_leakage_entry_without_leakage():
    assert "leakage" not in layer_energy_pj({"mac:int8": 1}, spec(), latency_s=1.0)


@given(st.integers(0, 10**9), st.integers(0, 10**9), st.integers(0, 10**6))
def test_energy_at_least_macs_times_mac_energy(macs, gated, dram_bits):
    s = spec()
    e = layer_energy_pj({"mac:int8": macs, "mac_gated:int8": gated, "dram:read_bit": dram_bits}, s, 0.0)
    assert sum(e.values()) >= macs * table_for(s)["mac:int8"] * (1 - 1e-12)


def test_overrides_reach_the_energy():
    e = layer_energy_pj({"mac:int8": 10}, spec(overrides_pj={"mac:int8": 1.0}), 0.0)
    assert e["mac"] == pytest.approx(10.0)
