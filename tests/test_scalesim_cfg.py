"""SCALE-Sim .cfg files as accelerators: every stored SCALE-Sim run's own scale.cfg, read by cosim,
gives the cycles the validation's hand-built spec gives (and so SCALE-Sim's, tests/test_scalesim_reference.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from cosim.errors import CosimError
from cosim.hw.loader import load_accelerator
from cosim.simulate import simulate_layer

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("validate_scalesim", ROOT / "scripts" / "validate_scalesim.py")
validate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(validate)
CASES = [c for c in validate.load_cases() if (validate.DATA / "cases" / c["name"] / "scale.cfg").is_file()]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_a_scalesim_cfg_reads_as_the_validated_spec(case):
    spec = load_accelerator(validate.DATA / "cases" / case["name"] / "scale.cfg")
    ref = validate.case_spec(case)
    assert (spec.pe_array.rows, spec.pe_array.cols, spec.pe_array.dataflow) == \
        (ref.pe_array.rows, ref.pe_array.cols, ref.pe_array.dataflow)
    for layer in validate.scalesim_layers(validate.DATA / "topologies" / case["topology"], case["gemm"])[:4]:
        ours, theirs = simulate_layer(layer, spec), simulate_layer(layer, ref)
        assert (ours.compute_cycles, ours.stall_cycles) == (theirs.compute_cycles, theirs.stall_cycles)


def test_malformed_configs_are_one_line_errors(tmp_path):
    bad = tmp_path / "bad.cfg"
    bad.write_text("[architecture_presets]\nArrayHeight: 32\nArrayWidth: 32\nDataflow: rs\n")
    with pytest.raises(CosimError, match="Dataflow must be os, ws or is"):
        load_accelerator(bad)
    bad.write_text("ArrayHeight = 32\n")
    with pytest.raises(CosimError, match="not a valid .cfg"):
        load_accelerator(bad)
    bad.write_text("[architecture_presets]\nArrayHeight: 32\nArrayWidth: 32\nDataflow: ws\nBandwidth: 10\n")
    with pytest.raises(CosimError, match="lacks IfmapSramSzkB"):
        load_accelerator(bad)


def test_a_cfg_array_is_charged_static_power_as_the_scalesim_preset_is(tmp_path):
    import cosim

    cfg = tmp_path / "ws32.cfg"
    cfg.write_text("[general]\nrun_name = ws32\n[architecture_presets]\nArrayHeight: 32\nArrayWidth: 32\n"
                   "IfmapSramSzkB: 64\nFilterSramSzkB: 64\nOfmapSramSzkB: 64\nBandwidth : 10\nDataflow : ws\n"
                   "[run_presets]\nInterfaceBandwidth: USER\n")
    graph = cosim.load_workload("small-cnn")
    ours = cosim.simulate(graph, load_accelerator(str(cfg))).total
    preset = cosim.simulate(graph, load_accelerator("scalesim-32x32-ws")).total
    assert ours.static_power_mw > 0 and "leakage" in ours.energy_pj_by_component
    assert ours.static_power_mw == pytest.approx(preset.static_power_mw, rel=0.01)
    assert ours.total_cycles == preset.total_cycles
