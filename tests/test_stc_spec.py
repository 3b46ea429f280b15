"""The sparse-tensor-core spec: presets, datasheet rates, calibration merge, one-line errors, the GPU
energy table."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from cosim.errors import CosimError
from cosim.hw.energy_tables import table_for
from cosim.hw.loader import load_accelerator, spec_from_mapping
from cosim.hw.stc_spec import (
    GemmKernelSpec,
    SparseTensorCoreSpec,
    calibration_parameters,
    metadata_bits_per_kept,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "cosim" / "hw" / "data"


def minimal(**over):
    d = {"name": "t", "kind": "sparse_tensor_core", "sm_count": 4, "clock_mhz": 1000,
         "macs_per_cycle_per_sm": {"fp16": 256}, "feed_bytes_per_cycle_per_sm": 64,
         "dense_kernel": {"tiles": [[64, 64]]}, "sparse_kernel": {"tiles": [[64, 64]]},
         "energy": {"table": "horowitz45", "technology_nm": 16}}
    d.update(over)
    return d


@pytest.mark.parametrize("name", ["h100-sxm", "a100", "edge-nm"])
def test_presets_load_and_follow_the_spec_protocol(name):
    s = load_accelerator(name)
    assert isinstance(s, SparseTensorCoreSpec) and s.kind == "sparse_tensor_core"
    assert s.cycle_s == pytest.approx(1 / (s.clock_mhz * 1e6))
    assert s.peak_macs_per_cycle > 0 and s.dram.bandwidth_gb_per_s > 0
    assert "smem" in s.sram_buffers()
    table = table_for(s)  # every action the datapath emits is priced
    for action in ("dram:read_bit", "dram:write_bit", "vector:op", "sram_smem:read_byte"):
        assert action in table


def test_h100_preset_reproduces_the_datasheet_peaks():
    s = load_accelerator("h100-sxm")
    # NVIDIA H100 SXM5: 989.4 dense FP16 TFLOPS at the 1830 MHz boost clock; FP8 1979, TF32 494.7.
    assert 2 * s.peak_macs_per_cycle * 1830e6 / 1e12 == pytest.approx(989.4, rel=1e-3)
    assert 2 * s.sm_count * s.macs_per_cycle_per_sm["fp8"] * 1830e6 / 1e12 == pytest.approx(1979, rel=1e-3)
    assert 2 * s.sm_count * s.macs_per_cycle_per_sm["fp32"] * 1830e6 / 1e12 == pytest.approx(494.7, rel=1e-3)
    assert s.sm_count == 132 and s.dram.bandwidth_gb_per_s == 3350 and s.l2_kib * 1024 == 50 * 2**20
    assert s.supported_patterns() == [(2, 4)]


def test_a100_preset_reproduces_the_datasheet_peak():
    s = load_accelerator("a100")
    assert 2 * s.peak_macs_per_cycle * s.clock_mhz * 1e6 / 1e12 == pytest.approx(312, rel=2e-3)
    assert s.sm_count == 108 and s.dram.bandwidth_gb_per_s == 2039


def test_edge_preset_lists_2to4_and_1to4():
    s = load_accelerator("edge-nm")
    assert set(s.supported_patterns()) == {(2, 4), (1, 4)}
    assert s.power.cap_w == 0 and s.dense_kernel.split_k_min_k_steps == 0


def test_calibration_fills_fields_and_explicit_values_win():
    params = calibration_parameters("h100_calibration")
    s = load_accelerator("h100-sxm")
    assert s.sparse_kernel.overhead_us == pytest.approx(params["sparse_kernel"]["overhead_us"])
    assert s.feed_bytes_per_cycle_per_sm == pytest.approx(params["feed_bytes_per_cycle_per_sm"])
    data = yaml.safe_load((ROOT / "accelerators" / "h100-sxm.yaml").read_text())
    data["sparse_kernel"]["overhead_us"] = 1.25  # an explicit value beats the calibration file
    s2 = spec_from_mapping(data)
    assert s2.sparse_kernel.overhead_us == 1.25
    assert s2.sparse_kernel.mma_efficiency == pytest.approx(params["sparse_kernel"]["mma_efficiency"])
    assert s2.sparse_kernel.tiles == ((128, 256),)  # the preset's own fields survive the merge


def test_precision_follows_operand_bits():
    h100, a100 = load_accelerator("h100-sxm"), load_accelerator("a100")
    assert h100.precision_for_bits(16) == "fp16"
    assert h100.precision_for_bits(8) == "int8"
    assert h100.precision_for_bits(4) == "int8"  # no INT4 tensor path on Hopper
    assert a100.precision_for_bits(4) == "int4"
    assert h100.precision_for_bits(32) == "fp32"
    with pytest.raises(CosimError, match="no tensor-core precision for 64-bit"):
        h100.precision_for_bits(64)


def test_metadata_bits_per_kept_weight():
    assert metadata_bits_per_kept(4) == 2  # 2:4 and 1:4: which of 4 slots
    assert metadata_bits_per_kept(8) == 3
    assert metadata_bits_per_kept(2) == 1


@pytest.mark.parametrize("over, match", [
    ({"bogus": 1}, "bogus: unknown field"),
    ({"sm_count": 0}, "sm_count must be >= 1"),
    ({"macs_per_cycle_per_sm": {"fp12": 3}}, "macs_per_cycle_per_sm.fp12: unknown precision"),
    ({"reference_precision": "int8"}, "reference_precision 'int8' is not listed"),
    ({"sparsity": {"skipping": "unstructured"}}, "skips structured N:M patterns only"),
    ({"sparsity": {"skipping": "nm", "nm_patterns": ["5:4"]}}, "is not N:M"),
    ({"dense_kernel": {"tiles": [[64, 64]], "mma_efficiency": 1.5}}, r"mma_efficiency must be in \(0, 1\]"),
    ({"dense_kernel": {"tiles": [[4096, 4096]]}}, "needs 1024 KiB of shared memory"),
    ({"dense_kernel": {"tiles": []}}, "at least one"),
    ({"l2_kib": 1024}, "l2_bandwidth_gb_per_s must be > 0"),
    ({"dram_efficiency": 0}, "dram_efficiency must be in"),
    ({"power": {"cap_w": -1}}, "power.cap_w must be >= 0"),
    ({"calibration": "no_such_file"}, "calibration: file 'no_such_file' not found"),
])
def test_bad_specs_fail_with_one_line_errors(over, match):
    with pytest.raises(CosimError, match=match) as e:
        spec_from_mapping(minimal(**over))
    assert "\n" not in str(e.value)


def test_kernel_spec_checks_its_tiles():
    with pytest.raises(CosimError, match="two positive integers"):
        GemmKernelSpec(tiles=((0, 64),))
    with pytest.raises(CosimError, match="partial_tile_penalty must be >= 1"):
        GemmKernelSpec(partial_tile_penalty=0.5)


def test_gpu_energy_table_matches_its_power_derivation():
    """gpu_h100.yaml holds the energies solved from the measured power (h100_calibration.yaml)."""
    table = yaml.safe_load((DATA / "gpu_h100.yaml").read_text())
    solved = yaml.safe_load((DATA / "h100_calibration.yaml").read_text())["energy_from_power"]
    act = {k: v["pj"] for k, v in table["actions"].items()}
    assert act["mac:fp16"] == pytest.approx(solved["mac_fp16_pj"], rel=5e-3)
    assert act["sram_l2:read_byte"] == pytest.approx(solved["l2_feed_pj_per_byte"], rel=5e-3)
    # DRAM: HBM3's figure (dram.yaml, shared with every table) + the GPU's own interface energy per bit
    hbm3 = yaml.safe_load((DATA / "dram.yaml").read_text())["dram_pj_per_bit"]["hbm3"]["pj"]
    assert "dram_pj_per_bit" not in table
    assert hbm3 + table["dram_interface_pj_per_bit"]["pj"] == pytest.approx(solved["hbm3_pj_per_bit"], rel=5e-3)
    # iso-power datasheet scaling of the other precisions
    assert act["mac:fp8"] == pytest.approx(act["mac:fp16"] / 2, rel=1e-3)
    assert act["mac:int8"] == pytest.approx(act["mac:fp16"] / 2, rel=1e-3)
    assert act["mac:fp32"] == pytest.approx(act["mac:fp16"] * 2, rel=1e-3)
    # The dense 8192^3 GEMM's measured board power is recovered: idle + MACs + feed + DRAM (see yaml).
    assert solved["idle_w"] == 124.0
    assert 0 < solved["mac_fp16_pj"] < 5 and 0 < solved["l2_feed_pj_per_byte"] < 100


def test_a100_table_is_scaled_from_4_to_7_nm():
    from cosim.hw.scaling import energy_scale_factor

    h, a = table_for(load_accelerator("h100-sxm")), table_for(load_accelerator("a100"))
    assert a["mac:fp16"] == pytest.approx(h["mac:fp16"] * energy_scale_factor(4, 7))
    # HBM2 instead of HBM3 changes the DRAM part's energy (3.9 vs 3.28 pJ/bit), not the GPU's interface
    assert math.isclose(a["dram:read_bit"], h["dram:read_bit"] - 3.28 + 3.9, rel_tol=1e-9)
