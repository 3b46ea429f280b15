"""Area model (cosim/hw/area.py): hand-checked components and monotonic properties."""


from hypothesis import given, settings, strategies as st

from cosim.hw.area import mac_area_um2, node_area_factor, sram_area_um2, systolic_area_mm2
from cosim.hw.spec import PEArraySpec, SramHierarchy, SramSpec, SystolicSpec


def _spec(rows=4, cols=4, kib=64.0, banks=1):
    buf = SramSpec(size_kib=kib, banks=banks)
    return SystolicSpec(name="t", pe_array=PEArraySpec(rows=rows, cols=cols), sram=SramHierarchy(buf, buf, buf))


def test_mac_is_horowitz_multiplier_plus_adder():
    assert mac_area_um2(8) == 282.0 + 137.0
    assert mac_area_um2(16) == 4 * 282.0 + 137.0


def test_node_factor_is_one_at_45nm_and_quadratic():
    assert node_area_factor(45.0) == 1.0
    assert abs(node_area_factor(90.0) - 4.0) < 1e-12


def test_every_component_positive():
    parts = systolic_area_mm2(_spec())
    assert set(parts) == {"mac", "registers", "sram_ifmap", "sram_filter", "sram_ofmap"}
    assert all(v > 0 for v in parts.values())


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
