"""FPGA resource model: block memories by aspect ratio, DSP packing, LUT costs, the overlay engine."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.datapaths.fpga import resources as fr
from cosim.hw.fpga_spec import OverlaySpec


# ---- BRAM / URAM / LUTRAM (UG573, UG574) -----------------------------------------------------------
@pytest.mark.parametrize("width, depth, blocks", [
    (36, 1024, 1.0),    # one BRAM36 as 1K x 36
    (72, 512, 1.0),     # one BRAM36 as 512 x 72 (SDP)
    (1, 32768, 1.0),    # one BRAM36 as 32K x 1
    (18, 1024, 0.5),    # fits a BRAM18 (1K x 18)
    (73, 512, 1.5),     # 73 bits: three BRAM18 of 512 x 36
    (144, 2048, 8.0),   # 2K deep x 144 wide: 8 x (2K x 18)
    (8, 100000, 24.5),  # 100K x 8: 49 BRAM18 of 2K x 9 (25 BRAM36 of 4K x 9 would waste more)
])
def test_bram_blocks_take_the_cheapest_aspect_ratio(width, depth, blocks):
    assert fr.bram36_blocks(width, depth) == blocks


def test_uram_is_72_wide_and_4096_deep():
    assert fr.uram_blocks(72, 4096) == 1
    assert fr.uram_blocks(73, 4096) == 2
    assert fr.uram_blocks(72, 4097) == 2
    assert fr.uram_blocks(0, 10) == 0


def test_lutram_holds_64_bits_per_lut():
    assert fr.lutram_luts(16, 64) == 16
    assert fr.lutram_luts(16, 65) == 32


def test_memory_auto_policy():
    assert fr.memory(128, 1)[1] == "const"          # fully unrolled: weights are constants
    assert fr.memory(128, 100)[1] == "lutram"       # shallow: LUTRAM (FINN's 128-word rule)
    assert fr.memory(72, 512)[1] == "bram"          # no URAM on the part
    res, kind = fr.memory(72, 4096, has_uram=True)  # 8 BRAM36 or 1 URAM: equal capacity, URAM
    assert kind == "uram" and res.uram == 1
    res, kind = fr.memory(8, 4096, has_uram=True)   # narrow: 1 BRAM36 beats a mostly empty URAM
    assert kind == "bram" and res.bram36 == 1
    assert fr.memory(72, 4096, style="bram", has_uram=True)[1] == "bram"
    assert fr.memory(8, 4096, style="prefer_uram", has_uram=True)[1] == "uram"   # deep: URAM even if narrow
    assert fr.memory(8, 100, style="prefer_uram", has_uram=True)[1] == "lutram"  # shallow stays LUTRAM
    assert fr.memory(8, 4096, style="prefer_uram", has_uram=False)[1] == "bram"


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 4096), st.integers(1, 200000), st.integers(0, 64), st.integers(0, 5000))
def test_block_counts_never_shrink_as_a_memory_grows(width, depth, dw, dd):
    assert fr.bram36_blocks(width, depth) <= fr.bram36_blocks(width + dw, depth + dd)
    assert fr.uram_blocks(width, depth) <= fr.uram_blocks(width + dw, depth + dd)


# ---- arithmetic (WP486, WP521, UG579, FINN-R) -------------------------------------------------------
def test_mac_classes_by_operand_width():
    assert fr.mac_class(4, 4) == "int4"
    assert fr.mac_class(8, 4) == "int8"
    assert fr.mac_class(16, 16) == "int16"
    assert fr.mac_class(16, 16, "float") == "fp16"
    assert fr.mac_class(32, 32, "float") == "fp32"


def test_dsp_packing_needs_a_shared_operand():
    assert fr.dsp_slices(64, "int8", groups_sharing=8) == 32   # two int8 MACs per DSP48E2 (WP486)
    assert fr.dsp_slices(64, "int4", groups_sharing=8) == 16   # four int4 MACs (WP521)
    assert fr.dsp_slices(64, "int8", groups_sharing=1) == 64   # nothing shared: one MAC per DSP
    assert fr.dsp_slices(64, "int16", groups_sharing=8) == 64  # 27x18 multiplier: one per DSP
    assert fr.dsp_slices(64, "int32", groups_sharing=8) == 256  # 2x2 tiles of the 27x18 multiplier


def test_lut_multiplier_cost_is_the_finn_r_formula():
    assert fr.lut_multiplier_luts(4, 4) == (2 * 2 - 1) * 8   # (2*ceil((W+A)/6) - 1)*(W+A) = 24
    assert fr.lut_multiplier_luts(2, 2) == 4
    assert fr.lut_multiplier_luts(1, 1) == 1                 # XNOR
    assert fr.uses_lut_multipliers(2, 2, "auto", 3) and not fr.uses_lut_multipliers(4, 4, "auto", 3)
    assert fr.uses_lut_multipliers(8, 8, "lut", 3) and not fr.uses_lut_multipliers(2, 2, "dsp", 3)


def test_mvau_resources_count_dsps_memory_and_luts():
    shape = fr.EngineShape(pe=8, simd=16, multipliers=128, weight_width_bits=8 * 16 * 8, weight_depth=1024,
                           reduction=1024, share_activation=True)
    res, det = fr.mvau_resources(shape, 8, 8, 8, channels=64, activation=True, cls="int8", lut_mults=False,
                                 memory_style="auto", has_uram=False)
    # 128 int8 MACs packed 2 per DSP + one requantising DSP per PE
    assert res.dsp == 64 + 8
    assert det["weight_memory"] == "bram" and res.bram36 == fr.bram36_blocks(1024, 1024)
    adders = 8 * ((8 + 8) * (2 * 16 - 1) + det["accumulator_bits"])
    assert res.lut >= fr.FINNR_C0_LUTS + fr.FINNR_C1 * adders


def test_resources_add_and_check_budgets():
    a = fr.Resources(lut=10, dsp=2, bram36=1.5, uram=1)
    b = a + a
    assert b.as_dict() == {"lut": 20, "dsp": 4, "bram36": 3.0, "uram": 2}
    assert b.bram36_equivalent == 3.0 + 8 * 2
    assert b.fits({"lut": 20, "dsp": 4, "bram36": 3, "uram": 2})
    assert not b.fits({"lut": 19, "dsp": 4, "bram36": 3, "uram": 2})


# ---- overlay ----------------------------------------------------------------------------------------
def test_b4096_dsps_close_to_pg338():
    # PG338 v4.1: B4096 with ALU parallelism 4 uses 710 DSP48E2; cosim counts 512 (2048 MACs, 2 per DSP,
    # double-pumped) + 128 output lanes + 4 x 16 ALU lanes = 704.
    res, det = fr.overlay_resources(OverlaySpec())
    assert det["mac_array_dsp"] == 512
    assert res.dsp == 704
    assert abs(res.dsp - 710) / 710 < 0.02


def test_overlay_resources_scale_with_cores_and_parallelism():
    one, _ = fr.overlay_resources(OverlaySpec(cores=1))
    three, _ = fr.overlay_resources(OverlaySpec(cores=3))
    assert three.as_dict() == one.scaled(3).as_dict()
    small, _ = fr.overlay_resources(OverlaySpec(pixel_parallelism=4, input_channel_parallelism=8,
                                                output_channel_parallelism=8))
    assert small.dsp < one.dsp and small.lut < one.lut
