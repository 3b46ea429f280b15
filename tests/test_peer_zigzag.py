"""ZigZag's stored outputs (tests/data/peers/zigzag/, scripts/peer_zigzag.py) load and describe the
layers they claim to: MAC counts equal cosim's for the same layers, every operand crosses DRAM at
least once in full, and the energies add up. No ZigZag installation is needed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from cosim.graph import Layer

DATA = Path(__file__).resolve().parent / "data" / "peers" / "zigzag"
RESULTS = json.loads((DATA / "results.json").read_text())
LAYERS = {l["layer"]["name"]: l for l in RESULTS["layers"]}
DRAM_ACCESS_BYTES = 10  # the architecture's 80-bit DRAM port


def cosim_layer(spec: dict) -> Layer:
    if spec["op"] == "Gemm":
        return Layer.linear(spec["name"], spec["C"], spec["K"], tokens=spec["B"])
    size = (spec["OY"] - 1) * spec["stride"] + spec["FY"] - 2 * spec["pad"]
    return Layer.conv2d(spec["name"], spec["C"], spec["K"], size, spec["FY"], stride=spec["stride"],
                        padding=spec["pad"])


def test_provenance_is_recorded():
    assert RESULTS["tool"] == "zigzag-dse" and RESULTS["version"] == "3.9.1"
    assert set(LAYERS) == {"res2a_branch2b", "res3a_branch2a", "fc1000"}
    arch = yaml.safe_load((DATA / "architecture.yaml").read_text())
    assert arch["operational_array"]["sizes"] == [32, 32]
    assert arch["memories"]["dram"]["ports"][0]["bandwidth_max"] == 8 * DRAM_ACCESS_BYTES
    assert len(yaml.safe_load((DATA / "workload.yaml").read_text())) == len(LAYERS)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_matches_what_it_describes(name):
    rec = LAYERS[name]
    layer = cosim_layer(rec["layer"])
    assert rec["macs"] == layer.macs
    ops = rec["operands"]
    assert {k: v["levels"][-1] for k, v in ops.items()} == {"W": "dram", "I": "dram", "O": "dram"}
    # Compulsory traffic: weights and inputs read, outputs written, each at least once (8-bit, whole
    # 10-byte accesses), never more than once per MAC.
    slack = DRAM_ACCESS_BYTES * rec["latency_cycles"]  # rounding per transfer is bounded by the transfers
    assert layer.weight_elems <= ops["W"]["dram_read_bytes"] <= layer.macs + slack
    assert layer.input_elems <= ops["I"]["dram_read_bytes"] <= layer.macs + slack
    assert layer.output_elems <= ops["O"]["dram_write_bytes"] <= layer.macs + slack
    assert ops["W"]["dram_write_bytes"] == ops["I"]["dram_write_bytes"] == 0
    # Energy: MACs at 0.25 pJ, memories as the per-level sums.
    assert rec["mac_energy_pj"] == pytest.approx(0.25 * layer.macs)
    memory = sum(sum(v["energy_pj_per_level"]) for v in ops.values())
    assert rec["memory_energy_pj"] == pytest.approx(memory)
    assert rec["energy_total_pj"] == pytest.approx(rec["mac_energy_pj"] + rec["memory_energy_pj"])
    dram_pj = sum(v["energy_pj_per_level"][-1] for v in ops.values())
    dram_bits = 8 * sum(v["dram_read_bytes"] + v["dram_write_bytes"] for v in ops.values())
    assert dram_pj == pytest.approx(8.0 * dram_bits)  # 8 pJ/bit LPDDR4, as described
