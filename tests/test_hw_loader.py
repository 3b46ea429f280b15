"""Accelerator specs: YAML → frozen dataclasses, self-checking, one-line errors naming the field."""

import dataclasses

import pytest
import yaml

from cosim.errors import CosimError
from cosim.hw.loader import load_accelerator, preset_names, spec_from_mapping
from cosim.hw.schema import to_mapping
from cosim.hw.spec import SystolicSpec

BASE = {
    "name": "t", "kind": "systolic", "clock_mhz": 500,
    "pe_array": {"rows": 4, "cols": 4, "dataflow": "os"},
    "sram": {"ifmap": {"size_kib": 1}, "filter": {"size_kib": 1}, "ofmap": {"size_kib": 1}},
    "dram": {"technology": "lpddr4", "bandwidth_gb_per_s": 4},
}


def with_(path, value):
    d = yaml.safe_load(yaml.safe_dump(BASE))
    cur = d
    keys = path.split(".")
    for k in keys[:-1]:
        cur = cur[k]
    cur[keys[-1]] = value
    return d


def test_builds_frozen_spec_with_derived_units():
    s = spec_from_mapping(BASE)
    assert isinstance(s, SystolicSpec)
    assert s.peak_macs_per_cycle == 16
    assert s.dram_bytes_per_cycle == pytest.approx(8.0)  # 4 GB/s at 500 MHz
    assert s.sram.ifmap.size_bytes == 1024
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.clock_mhz = 1  # type: ignore[misc]


def test_round_trip_through_mapping():
    s = spec_from_mapping(BASE)
    assert spec_from_mapping(to_mapping(s)) == s


@pytest.mark.parametrize("path, value, expect", [
    ("pe_array.rows", -4, "pe_array.rows"),
    ("pe_array.dataflow", "rs", "dataflow"),
    ("pe_array.colz", 4, "pe_array.colz: unknown field"),
    ("clock_mhz", "fast", "clock_mhz: expected a number"),
    ("dram.bandwidth_gb_per_s", 0, "bandwidth_gb_per_s"),
    ("dram.technology", "sdram", "dram.technology"),
    ("sram.ifmap.size_kib", 0.001, "sram.ifmap.size_kib"),
    ("sparsity", {"skipping": "nm"}, "nm_patterns"),
    ("kind", "quantum", "kind"),
])
def test_bad_fields_name_the_field(path, value, expect):
    with pytest.raises(CosimError) as e:
        spec_from_mapping(with_(path, value))
    assert expect in str(e.value) and "\n" not in str(e.value)


def test_missing_required_field():
    d = yaml.safe_load(yaml.safe_dump(BASE))
    del d["pe_array"]
    with pytest.raises(CosimError, match="pe_array: missing required field"):
        spec_from_mapping(d)


def test_buffer_smaller_than_one_tile_edge_is_rejected():
    # 32 rows need 32 ifmap words per buffer half; 0.03 KiB double-buffered holds 15.
    d = with_("pe_array.rows", 32)
    d["sram"]["ifmap"]["size_kib"] = 0.03
    with pytest.raises(CosimError, match="sram.ifmap.size_kib"):
        spec_from_mapping(d)


def test_presets_load_by_name():
    names = preset_names()
    assert "scalesim-32x32-ws" in names
    for n in names:
        s = load_accelerator(n)
        assert s.name == n


def test_bad_yaml_file_and_unknown_name(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("kind: systolic\npe_array: {rows: 4, cols: [\n")
    with pytest.raises(CosimError, match="not valid YAML at line"):
        load_accelerator(p)
    with pytest.raises(CosimError, match="neither a preset nor a file"):
        load_accelerator("no-such-accelerator")
    with pytest.raises(CosimError, match="does not exist"):
        load_accelerator(tmp_path / "missing.yaml")
