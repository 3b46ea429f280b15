"""Area model (cosim/hw/area.py): hand-checked components and monotonic properties."""


import pytest
from hypothesis import given, settings, strategies as st

from cosim.errors import CosimError
from cosim.hw.area import (board_fraction, fpga_area_mm2, mac_area_um2, node_area_factor, sram_area_um2,
                           sram_cells_um2, systolic_area_mm2, tensor_core_area_mm2)
from cosim.hw.area_scaling import sram_cell_um2
from cosim.hw.spec import PEArraySpec, SramHierarchy, SramSpec, SystolicSpec


def _spec(rows=4, cols=4, kib=64.0, banks=1):
    buf = SramSpec(size_kib=kib, banks=banks)
    return SystolicSpec(name="t", pe_array=PEArraySpec(rows=rows, cols=cols), sram=SramHierarchy(buf, buf, buf))


def test_mac_is_horowitz_multiplier_plus_adder():
    assert mac_area_um2(8) == 282.0 + 137.0
    assert mac_area_um2(16) == 4 * 282.0 + 137.0


def test_node_factor_is_one_at_45nm_and_stillmaker_baas_at_tabulated_nodes():
    assert node_area_factor(45.0) == 1.0
    assert node_area_factor(65.0) == pytest.approx(1.5) and node_area_factor(7.0) == pytest.approx(0.059)
    assert node_area_factor(90.0) == pytest.approx(2.8)  # classical (90/45)^2 would say 4


def test_sram_cells_take_the_published_cell_of_the_node():
    assert sram_cell_um2(45.0) == pytest.approx(0.346) and sram_cell_um2(28.0) == pytest.approx(0.127)
    # Below CACTI's nodes the 22 nm fit's cells scale by the published cell: 14 nm / 22 nm = 0.0588 / 0.092
    assert sram_cells_um2(262144, node_nm=14.0) == pytest.approx(sram_cells_um2(262144, node_nm=22.0) * 0.0588 / 0.092)


@settings(max_examples=60, deadline=None)
@given(st.floats(3.0, 180.0), st.floats(1.0, 1.5))
def test_area_scaling_is_monotone_in_the_node(node, grow):
    bigger = min(180.0, node * grow)
    assert node_area_factor(bigger) >= node_area_factor(node) > 0
    assert sram_cell_um2(bigger) >= sram_cell_um2(node) > 0


def test_every_component_positive():
    parts = systolic_area_mm2(_spec())
    assert set(parts) == {"mac", "registers", "sram_ifmap", "sram_filter", "sram_ofmap", "uncore", "uncore_placement"}
    assert all(v > 0 for v in parts.values())


def test_uncore_is_clock_tree_control_and_filler_as_cited():
    parts = systolic_area_mm2(_spec())
    logic = parts["mac"] + parts["registers"]
    clock = logic * 2.27 / (20.14 + 12.43)  # DianNao Table 6
    filler = (logic + clock) * 26.85 / (20.14 + 12.43 + 2.27)
    assert parts["uncore_placement"] == pytest.approx(filler)
    total = sum(parts.values())
    assert parts["uncore"] - clock == pytest.approx(0.02 * total)  # control: 2 % of the core (TPU v1)


def test_node_outside_the_model_is_an_input_error():
    with pytest.raises(CosimError, match="technology node"):
        node_area_factor(1.0)


def test_more_banks_cost_area():
    assert sram_area_um2(SramSpec(size_kib=1024, banks=1024)) > sram_area_um2(SramSpec(size_kib=1024, banks=1))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 64), st.integers(1, 64), st.integers(1, 64), st.floats(1, 4096), st.floats(0, 4096))
def test_more_pes_or_sram_never_lowers_area(rows, cols, extra, kib, more_kib):
    base = sum(systolic_area_mm2(_spec(rows, cols, kib)).values())
    assert sum(systolic_area_mm2(_spec(rows + extra, cols, kib)).values()) >= base
    assert sum(systolic_area_mm2(_spec(rows, cols, kib + more_kib)).values()) >= base


def test_spec_metrics_carry_positive_area_for_systolic_designs():
    from cosim.search.specs import spec_metrics

    spec = _spec()
    assert spec_metrics(spec)["area_mm2"] == sum(systolic_area_mm2(spec).values()) > 0


def test_adding_a_sparse_feature_never_lowers_area():
    from dataclasses import replace
    from cosim.hw.spec import SparseFeatures

    dense = _spec()
    total = lambda s: sum(systolic_area_mm2(s).values())  # noqa: E731
    nm = replace(dense, sparsity=SparseFeatures(skipping="nm", nm_patterns=("2:4",)))
    rigid = replace(dense, sparsity=SparseFeatures(skipping="unstructured"))
    un = replace(dense, sparsity=SparseFeatures(skipping="unstructured", lane_decoupling=True))
    gated = replace(dense, sparsity=SparseFeatures(zero_gating=True))
    assert total(gated) >= total(dense) and total(rigid) >= total(dense)
    assert total(un) > total(nm) > total(dense)
    pe = systolic_area_mm2(dense)["mac"] + systolic_area_mm2(dense)["registers"]
    assert abs(systolic_area_mm2(un)["sparse_lanes"] - 0.38 * pe) < 1e-12
    assert abs(systolic_area_mm2(nm)["sparse_nm"] - 0.1293 * pe) < 1e-12


_FEATURES = [dict(zero_gating=True), dict(skipping="nm", nm_patterns=("2:4",)), dict(skipping="unstructured"),
             dict(lane_decoupling=True), dict(compressed_format="bitmap")]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, len(_FEATURES) - 1), max_size=4), st.integers(0, len(_FEATURES) - 1))
def test_each_added_sparse_feature_never_lowers_area(have, extra):
    """Adding any feature to any set of features keeps or grows the area."""
    from dataclasses import replace
    from cosim.hw.spec import SparseFeatures

    def feats(idx):
        kw: dict = {}
        for i in idx:
            f = dict(_FEATURES[i])
            if kw.get("skipping") not in (None, "none") and "skipping" in f:
                continue  # one skipping mode per array: a second one replaces, not adds
            kw.update(f)
        return SparseFeatures(**kw)

    base = feats(have)
    more = feats([*have, extra])
    total = lambda f: sum(systolic_area_mm2(replace(_spec(), sparsity=f)).values())  # noqa: E731
    assert total(more) >= total(base)


@settings(max_examples=40, deadline=None)
@given(st.floats(1, 4096), st.integers(0, 10), st.integers(0, 4), st.sampled_from([0, 4, 16]))
def test_more_banks_or_ports_never_lower_sram_area(kib, log_banks, extra, width):
    """Every bank adds periphery (CACTI fit, cosim/hw/sram_fit.py), every port widens the cells."""
    base = SramSpec(size_kib=kib, banks=2 ** log_banks, bank_width_bytes=width)
    more_banks = SramSpec(size_kib=kib, banks=2 ** (log_banks + 1), bank_width_bytes=width)
    more_ports = SramSpec(size_kib=kib, banks=2 ** log_banks, bank_width_bytes=width, ports=2 + extra)
    assert sram_area_um2(more_banks) > sram_area_um2(base)
    assert sram_area_um2(more_ports) >= sram_area_um2(base)


def test_tensor_core_area_is_the_published_die_or_its_components():
    from dataclasses import replace

    import cosim

    edge = cosim.load_accelerator("edge-nm")
    parts = tensor_core_area_mm2(edge)
    assert {"mac", "sparse_nm", "sram_smem", "sram_l2"} <= set(parts) and all(v > 0 for v in parts.values())
    bigger = replace(edge, sm_count=2 * edge.sm_count)
    assert sum(tensor_core_area_mm2(bigger).values()) > sum(parts.values())
    assert tensor_core_area_mm2(replace(edge, die_area_mm2=100.0)) == {"die": 100.0}


def test_fpga_area_follows_the_resources_used():
    import cosim

    spec = cosim.load_accelerator("zcu102-dpu")
    few = fpga_area_mm2(spec, {"lut": 1000, "dsp": 10, "bram36": 4})
    more = fpga_area_mm2(spec, {"lut": 2000, "dsp": 10, "bram36": 4})
    assert sum(more.values()) > sum(few.values()) > 0
    assert board_fraction(spec, {"dsp": spec.device.dsp / 2, "lut": 10}) == 0.5


@pytest.mark.parametrize("fmt, adders, flops", [("bitmap", 80, 64), ("csr", 16, 32), ("rle", 21, 21), ("nm", 0, 2)])
def test_compressed_format_decoders_at_each_weight_port(fmt, adders, flops):
    from dataclasses import replace
    from cosim.hw.spec import SparseFeatures

    spec = replace(_spec(rows=4, cols=8), sparsity=SparseFeatures(compressed_format=fmt))
    per_port_um2 = adders * 137.0 / 32 + flops * 4.522  # Horowitz adder bit, FreePDK45 DFF bit, 45 nm
    assert systolic_area_mm2(spec)["sparse_decoder"] == pytest.approx(8 * per_port_um2 / 1e6)  # ws: 8 columns
    is_spec = replace(spec, pe_array=replace(spec.pe_array, dataflow="is"))
    assert systolic_area_mm2(is_spec)["sparse_decoder"] == pytest.approx(4 * per_port_um2 / 1e6)  # is: 4 rows
    assert "sparse_decoder" not in systolic_area_mm2(_spec())


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 128), st.integers(1, 128), st.sampled_from(["bitmap", "csr", "rle", "nm"]),
       st.sampled_from(["os", "ws", "is"]))
def test_a_compressed_format_never_lowers_area(rows, cols, fmt, dataflow):
    from dataclasses import replace
    from cosim.hw.spec import SparseFeatures

    base = _spec(rows, cols)
    base = replace(base, pe_array=replace(base.pe_array, dataflow=dataflow))
    more = replace(base, sparsity=SparseFeatures(compressed_format=fmt))
    assert sum(systolic_area_mm2(more).values()) > sum(systolic_area_mm2(base).values())
