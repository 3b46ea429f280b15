"""Report forms: JSON fields of the contract, CSV columns with units, atomic writes."""

import json

import pytest

from cosim.errors import CosimError
from cosim.outputs import write_atomic
from cosim.report import LayerResult, Report, Total

CONTRACT_LAYER_FIELDS = ["name", "op", "M", "N", "K", "macs", "effectual_macs", "compute_cycles", "stall_cycles",
                         "total_cycles", "utilization", "sram_read_bytes", "sram_write_bytes", "dram_read_bytes",
                         "dram_write_bytes", "energy_pj"]
CONTRACT_TOTAL_FIELDS = ["total_cycles", "latency_s", "energy_pj", "macs"]


def _report():
    layer = LayerResult(
        name="fc", op="linear", groups=1, M=4, N=8, K=16, macs=512, effectual_macs=256, skipped_macs=256,
        gated_macs=0, vector_ops=0, compute_cycles=100, stall_cycles=20, total_cycles=120, latency_s=1.2e-7,
        utilization=0.5, mapping_efficiency=1.0, sram_read_bytes=300, sram_write_bytes=32, dram_read_bytes=200,
        dram_write_bytes=32, metadata_bytes=16, energy_pj={"mac": 60.0, "dram": 1000.0}, sparsity_source="mask")
    total = Total(total_cycles=120, latency_s=1.2e-7, energy_pj=1060.0, macs=512, effectual_macs=256,
                  compute_cycles=100, stall_cycles=20, dram_read_bytes=200, dram_write_bytes=32,
                  sram_read_bytes=300, sram_write_bytes=32, utilization=0.5,
                  energy_pj_by_component={"mac": 60.0, "dram": 1000.0}, throughput_inferences_per_s=1 / 1.2e-7,
                  edp_pj_s=1060.0 * 1.2e-7)
    return Report(cosim_version="0.1.0", accelerator="acc", accelerator_kind="systolic", workload="w", batch=1,
                  layers=(layer,), total=total, inputs={"accelerator": {"name": "acc"}})


def test_json_has_contract_fields_and_version():
    d = json.loads(_report().to_json())
    assert d["cosim_version"] == "0.1.0" and d["inputs"]["accelerator"]["name"] == "acc"
    for f in CONTRACT_LAYER_FIELDS:
        assert f in d["layers"][0], f
    assert d["layers"][0]["energy_pj"] == {"mac": 60.0, "dram": 1000.0}
    for f in CONTRACT_TOTAL_FIELDS:
        assert f in d["total"], f


def test_csv_columns_carry_units():
    text = _report().to_csv()
    header = text.splitlines()[0].split(",")
    assert "energy_mac_pj" in header and "energy_dram_pj" in header and "total_cycles" in header
    unitless = {"name", "op", "groups", "M", "N", "K", "utilization", "mapping_efficiency", "sparsity_source",
                "latency_s", "macs", "effectual_macs", "skipped_macs", "gated_macs", "vector_ops", "bound",
                "precision", "note"}
    for col in header:
        assert col in unitless or col.endswith(("_cycles", "_bytes", "_pj")), col


def test_table_mentions_totals():
    t = _report().to_table()
    assert "total: 120 cycles" in t and "energy by component" in t


def test_table_says_static_power_not_modelled_rather_than_0_w():
    import dataclasses

    r = _report()
    assert "static power not modelled" in r.to_table() and "static power 0 W" not in r.to_table()
    powered = dataclasses.replace(r, total=dataclasses.replace(r.total, static_power_mw=15.1))
    assert "static power 15.1 mW" in powered.to_table()


def test_atomic_write_leaves_nothing_on_error(tmp_path):
    with pytest.raises(CosimError, match="does not exist"):
        write_atomic(tmp_path / "nope" / "r.json", "x")
    p = tmp_path / "r.json"
    write_atomic(p, "hello")
    assert p.read_text() == "hello"
    assert [q.name for q in tmp_path.iterdir()] == ["r.json"]
