"""Energy tables (cosim/hw/energy_tables.py, cosim/hw/data/horowitz45.yaml)."""

import math

import pytest
import yaml

from cosim.errors import CosimError
from cosim.graph import Layer
from cosim.hw.energy_tables import (MAC_PRECISIONS, DATA_DIR, available_tables, load_table, table_for)
from cosim.hw.scaling import energy_scale_factor
from cosim.hw.schema import from_mapping
from cosim.hw.spec import DRAM_TECHNOLOGIES, SystolicSpec


def spec(**over):
    d = {
        "name": "t", "pe_array": {"rows": 8, "cols": 8, "mac_bits": 8, "register_bytes_per_pe": 4},
        "sram": {"ifmap": {"size_kib": 8}, "filter": {"size_kib": 32}, "ofmap": {"size_kib": 1024}},
        "dram": {"technology": "lpddr4"},
        "energy": {"table": "horowitz45", "technology_nm": 45},
    }
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(d.get(k), dict):
            d[k] = {**d[k], **v}
        else:
            d[k] = v
    return from_mapping(SystolicSpec, d)


# ---- Horowitz figures, by hand --------------------------------------------------------------------
def test_mac_energies_match_horowitz_by_hand():
    t = table_for(spec())
    assert t["mac:int8"] == pytest.approx(0.2 + 0.05)  # 8b mult + 16b accumulate
    assert t["mac:fp16"] == pytest.approx(1.1 + 0.9)  # fp16 mult + fp32 accumulate
    assert t["mac:fp32"] == pytest.approx(3.7 + 0.9)
    assert t["mac:int32"] == pytest.approx(3.1 + 0.1)


def int_mult(b):  # power law through Horowitz's 8b 0.2 pJ and 32b 3.1 pJ
    return 0.2 * (b / 8) ** (math.log(3.1 / 0.2) / math.log(4))


def fp_mult(sig):  # power law in significand width through fp16 (11) 1.1 pJ and fp32 (24) 3.7 pJ
    return 1.1 * (sig / 11) ** (math.log(3.7 / 1.1) / math.log(24 / 11))


def int_add(b):  # Horowitz 8b 0.03, 16b 0.05, 32b 0.1; ∝ bits below 8
    return {16: 0.05, 32: 0.1}.get(b, 0.03 * b / 8)


@pytest.mark.parametrize("prec,expect", [
    ("int1", int_mult(1) + int_add(2)), ("int2", int_mult(2) + int_add(4)),
    ("int4", int_mult(4) + int_add(8)), ("int16", int_mult(16) + int_add(32)),
    ("fp8", fp_mult(4) + 0.4), ("bf16", fp_mult(8) + 0.9),
])
def test_derived_precisions_follow_the_stated_rules(prec, expect):
    assert table_for(spec())[f"mac:{prec}"] == pytest.approx(expect, rel=2e-3)


def test_mac_energy_grows_with_precision():
    t = table_for(spec())
    ints = [t[f"mac:int{b}"] for b in (1, 2, 4, 8, 16, 32)]
    assert ints == sorted(ints)
    assert t["mac:fp8"] < t["mac:bf16"] < t["mac:fp16"] < t["mac:fp32"]


def test_sram_price_per_byte_by_size():
    t = table_for(spec())
    # Horowitz 64-bit accesses: 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ → per byte /8.
    assert t["sram_ifmap:read_byte"] == pytest.approx(10 / 8)
    assert t["sram_filter:read_byte"] == pytest.approx(20 / 8)
    assert t["sram_ofmap:read_byte"] == pytest.approx(100 / 8)
    assert t["sram_ofmap:write_byte"] == t["sram_ofmap:read_byte"]


def test_sram_interpolates_in_log_size():
    tab = load_table("horowitz45")
    # 16 KiB sits halfway (in log) between 8 and 32 KiB → geometric mean of 1.25 and 2.5 pJ/B.
    assert tab.sram_pj_per_byte(16) == pytest.approx(math.sqrt(1.25 * 2.5))
    # Below 8 KiB the 8→32 KiB slope (√size) continues: 2 KiB → 1.25 / 2.
    assert tab.sram_pj_per_byte(2) == pytest.approx(1.25 / 2)
    sizes = [0.5, 1, 4, 8, 20, 64, 256, 1024, 4096]
    prices = [tab.sram_pj_per_byte(s) for s in sizes]
    assert prices == sorted(prices)


def test_banked_buffer_is_priced_by_bank_size():
    one = table_for(spec(sram={"ifmap": {"size_kib": 32, "banks": 1}}))
    four = table_for(spec(sram={"ifmap": {"size_kib": 32, "banks": 4}}))
    # 8 KiB banks (Horowitz: 10 pJ per 64-bit access) + the H-tree wire to one of the four banks:
    # the buffer's cells (the CACTI fit's cell term, two ports, cosim/hw/sram_fit.py) make a square of
    # side S; centre to bank S·(1 − 1/2), 8 bits × 26/256 pJ/bit/mm (Keckler et al. 2011).
    from cosim.hw.area import sram_cells_um2

    side_mm = math.sqrt(sram_cells_um2(32 * 1024 * 8, ports=2)) / 1000
    assert 0.3 < side_mm < 0.8  # 32 KiB at 45 nm: a few tenths of a mm
    assert four["sram_ifmap:read_byte"] == pytest.approx(10 / 8 + 8 * 26 / 256 * side_mm / 2)
    assert one["sram_ifmap:read_byte"] == pytest.approx(2.5)  # one bank: no tree
    assert four["sram_ifmap:read_byte"] < one["sram_ifmap:read_byte"]


def test_more_banks_trade_wire_energy_and_area_for_bank_energy():
    """1 MiB in 1024 banks: far cheaper per access than one bank, but the tree's wire energy is a
    real share of the access and the banks' periphery costs area (CACTI: 32 KiB in 64 banks of 512 B
    is 1.31x one bank at 45 nm, 1-byte words, one port, cosim/hw/data/cacti_sram.csv)."""
    from cosim.hw.area import sram_area_um2
    from cosim.hw.spec import SramSpec
    from cosim.hw.sram_wires import htree_pj_per_byte

    one = table_for(spec(sram={"ifmap": {"size_kib": 1024, "banks": 1}}))["sram_ifmap:read_byte"]
    many = table_for(spec(sram={"ifmap": {"size_kib": 1024, "banks": 1024}}))["sram_ifmap:read_byte"]
    from cosim.hw.area import sram_cells_um2

    wire = htree_pj_per_byte(sram_cells_um2(1024 * 8192), 1024)
    assert many < one and wire > 0.5 * (many - wire)  # the wire at least a third of the access
    assert sram_area_um2(SramSpec(size_kib=1024, banks=1024)) > 1.15 * sram_area_um2(SramSpec(size_kib=1024))


def test_register_access_is_one_mac_word():
    t8 = table_for(spec())
    t16 = table_for(spec(pe_array={"mac_bits": 16}))
    assert t16["register:access"] == pytest.approx(2 * t8["register:access"])
    # Aladdin 0.009 pJ/bit at 40 nm brought to 45 nm, × 8 bits.
    assert t8["register:access"] == pytest.approx(0.009 * 8 * energy_scale_factor(40, 45))


def test_large_register_file_follows_the_sram_curve():
    small = table_for(spec(pe_array={"register_bytes_per_pe": 4}))["register:access"]
    big = table_for(spec(pe_array={"register_bytes_per_pe": 512}))["register:access"]
    # 512 B = 1/16 of 8 KiB → 1.25 pJ/B / 4 = 0.3125 pJ/B → × 1 byte word.
    assert big == pytest.approx(0.3125)
    assert big > small


def test_gated_mac_is_the_stated_fraction():
    t = table_for(spec())
    for p in MAC_PRECISIONS:
        assert t[f"mac_gated:{p}"] == pytest.approx(0.032 * t[f"mac:{p}"])


# ---- DRAM -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("tech,pj", [("lpddr4", 8.0), ("hbm2", 3.9), ("ddr3", 70.0), ("gddr5", 14.0)])
def test_dram_defaults_are_accelergys(tech, pj):
    t = table_for(spec(dram={"technology": tech}))
    assert t["dram:read_bit"] == pj and t["dram:write_bit"] == pj


def test_every_dram_technology_has_a_default():
    for tech in DRAM_TECHNOLOGIES:
        assert table_for(spec(dram={"technology": tech}))["dram:read_bit"] > 0


def test_derived_dram_figures_follow_supply_voltage_squared():
    assert table_for(spec(dram={"technology": "ddr4"}))["dram:read_bit"] == pytest.approx(70 * (1.2 / 1.5) ** 2, rel=1e-3)
    assert table_for(spec(dram={"technology": "hbm3"}))["dram:read_bit"] == pytest.approx(3.9 * (1.1 / 1.2) ** 2, rel=1e-3)


def test_one_dram_figure_per_technology_across_tables():
    """ASIC and FPGA tables price a DRAM technology alike (cosim/hw/data/dram.yaml); the GPU table adds
    only its stated interface energy per bit, the same for every technology."""
    from cosim.hw.energy_tables import load_table, shared_dram_pj_per_bit

    shared = shared_dram_pj_per_bit()
    assert shared["hbm3"] == 3.28 and shared["hbm2"] == 3.9
    for name in ("horowitz45", "fpga_ultrascale"):
        assert dict(load_table(name).dram_pj_per_bit) == shared
    gpu = load_table("gpu_h100").dram_pj_per_bit
    extra = {t: gpu[t] - shared[t] for t in shared}
    assert len({round(v, 9) for v in extra.values()}) == 1 and 13 < extra["hbm3"] < 14


def test_spec_dram_energy_wins_over_the_default():
    assert table_for(spec(dram={"technology": "hbm2", "energy_pj_per_bit": 5.5}))["dram:read_bit"] == 5.5


def test_dram_is_not_scaled_with_the_node():
    assert table_for(spec(energy={"technology_nm": 7}))["dram:read_bit"] == 8.0


# ---- scaling, overrides, errors -----------------------------------------------------------------
def test_on_chip_energies_scale_with_the_node():
    t45 = table_for(spec())
    t7 = table_for(spec(energy={"technology_nm": 7}))
    f = energy_scale_factor(45, 7)
    for a in ("mac:int8", "mac_gated:fp16", "sram_ofmap:read_byte", "register:access", "vector:op"):
        assert t7[a] == pytest.approx(t45[a] * f)
    assert f < 0.1


def test_scaling_is_monotonic_in_node():
    prices = [table_for(spec(energy={"technology_nm": n}))["mac:int8"] for n in (5, 7, 14, 22, 28, 45, 65, 90, 180)]
    assert prices == sorted(prices)


def test_overrides_win():
    t = table_for(spec(energy={"overrides_pj": {"mac:int8": 0.123, "dram:read_bit": 1.0, "lut:op": 0.7}}))
    assert t["mac:int8"] == 0.123 and t["dram:read_bit"] == 1.0 and t["lut:op"] == 0.7
    # ... after scaling: an override is taken as given at the target node.
    t7 = table_for(spec(energy={"technology_nm": 7, "overrides_pj": {"mac:int8": 0.123}}))
    assert t7["mac:int8"] == 0.123


def test_unknown_table_names_the_field_and_the_choices():
    with pytest.raises(CosimError, match=r"energy\.table 'nope'.*horowitz45"):
        table_for(spec(energy={"table": "nope"}))
    assert "horowitz45" in available_tables()


def test_results_are_cached_but_callers_get_their_own_dict():
    s = spec()
    a = table_for(s)
    a["mac:int8"] = -1
    assert table_for(s)["mac:int8"] == 0.25


def test_every_action_of_perf_docstring_is_priced():
    t = table_for(spec())
    needed = [f"mac:{p}" for p in MAC_PRECISIONS] + [f"mac_gated:{p}" for p in MAC_PRECISIONS]
    needed += ["register:access", "dram:read_bit", "dram:write_bit", "vector:op"]
    needed += [f"sram_{b}:{a}" for b in ("ifmap", "filter", "ofmap") for a in ("read_byte", "write_byte")]
    assert not [a for a in needed if a not in t]


def test_every_action_the_systolic_model_emits_is_priced():
    systolic = pytest.importorskip("cosim.simulate")
    for bits in (4, 8, 16):
        s = spec(pe_array={"mac_bits": bits})
        t = table_for(s)
        for layer in (Layer.conv2d("c", 16, 32, 14, 3, weight_bits=bits, act_bits=bits),
                      Layer.linear("fc", 64, 10, weight_bits=bits, act_bits=bits)):
            perf = systolic.simulate_layer(layer, s)
            missing = [a for a, n in perf.actions.items() if n and a not in t]
            assert not missing, f"{bits}-bit: unpriced actions {missing}"


# ---- table files -------------------------------------------------------------------------------
def test_shipped_tables_parse_and_cite_their_sources():
    for name in available_tables():
        tab = load_table(name)
        assert tab.actions
        raw = yaml.safe_load((DATA_DIR / f"{name}.yaml").read_text())
        sources = raw.get("sources", {})
        for action, entry in raw["actions"].items():
            if isinstance(entry, dict):
                cited = [c.strip() for c in str(entry.get("source", "")).split(",")]
                assert all(c in sources for c in cited), f"{name}: {action} cites an unknown source {cited}"


def test_user_table_file_by_path(tmp_path):
    p = tmp_path / "mine.yaml"
    p.write_text("name: mine\ntechnology_nm: 16\nscalable: false\nactions:\n  'mac:int8': 0.1\n")
    # DRAM is priced from the shared per-technology figures (cosim/hw/data/dram.yaml) unless the spec says
    assert table_for(spec(energy={"table": str(p), "technology_nm": 16}))["dram:read_bit"] == 8.0
    t = table_for(spec(energy={"table": str(p), "technology_nm": 16}, dram={"energy_pj_per_bit": 6.0}))
    assert t["mac:int8"] == 0.1 and t["dram:read_bit"] == 6.0 and "sram_ifmap:read_byte" not in t
    with pytest.raises(CosimError, match="cannot be scaled; set energy.technology_nm: 16"):
        table_for(spec(energy={"table": str(p), "technology_nm": 45}))


@pytest.mark.parametrize("body,msg", [
    ("name: bad\ntechnology_nm: 45\n", "has no 'actions'"),
    ("name: bad\ntechnology_nm: 45\nactions: {'mac:int8': -1}\n", r"actions\.mac:int8 must be a number >= 0"),
    ("name: bad\ntechnology_nm: 45\nactions: {'mac': 1}\n", "component:action"),
    ("name: other\ntechnology_nm: 45\nactions: {'mac:int8': 1}\n", "must equal the file name"),
    ("name: bad\ntechnology_nm: 45\nactions: {'mac:int8': 1}\nsram: {points_kib_pj_per_byte: [[32, 1], [8, 2]]}\n",
     "strictly ascending"),
])
def test_bad_table_files_are_one_line_errors(tmp_path, body, msg):
    p = tmp_path / "bad.yaml"
    p.write_text(body)
    with pytest.raises(CosimError, match=msg):
        load_table(str(p))
