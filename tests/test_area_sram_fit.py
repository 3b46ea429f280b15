"""SRAM macros fitted to CACTI (cosim/hw/sram_fit.py): the stored CACTI points within the fit's
stated error, monotone in capacity, banks, access width and ports, continuous where CACTI's nodes end."""

import csv

import pytest
from hypothesis import given, settings, strategies as st

from cosim.errors import CosimError
from cosim.hw import sram_fit
from cosim.hw.area import sram_area_um2
from cosim.hw.area_scaling import logic_area_factor, sram_cell_um2
from cosim.hw.spec import SramSpec

CSV = sram_fit.FIT_PATH.parent / "cacti_sram.csv"


def _rows():
    with CSV.open() as f:
        return [{k: float(v) for k, v in r.items()} for r in csv.DictReader(f)]


def test_every_stored_cacti_point_is_within_the_stated_fit_error():
    fit = sram_fit.load_fit()
    rows = [r for r in _rows() if r["node_nm"] in fit]
    assert len(rows) >= 100
    for r in rows:
        c = fit[r["node_nm"]]
        got = sram_fit.macro_um2(r["size_bytes"] * 8, int(r["banks"]), int(r["word_bytes"] * 8), int(r["ports"]),
                                 r["node_nm"])
        assert abs(got / (r["area_mm2"] * 1e6) - 1.0) <= c["area_max_rel_err"], r


def test_stated_rms_error_is_what_the_points_give():
    fit = sram_fit.load_fit()
    for node, c in fit.items():
        errs = [sram_fit.macro_um2(r["size_bytes"] * 8, int(r["banks"]), int(r["word_bytes"] * 8), int(r["ports"]), node)
                / (r["area_mm2"] * 1e6) - 1.0 for r in _rows() if r["node_nm"] == node]
        assert len(errs) == c["points"]
        rms = (sum(e * e for e in errs) / len(errs)) ** 0.5
        assert rms <= c["area_rms_rel_err"] <= rms + 0.002


def test_hand_checked_macro_at_45nm():
    """64 KiB, 4 banks of 8-byte words, one port: a·bits + b·√(bits·banks) + c·banks + d·banks·64 + g·banks·64²."""
    c = sram_fit.load_fit()[45.0]
    bits = 65536 * 8
    want = (c["cell_um2_per_bit"] * bits + c["edge_um2_per_sqrt_bit"] * (bits * 4) ** 0.5 + c["bank_um2"] * 4
            + c["bank_um2_per_access_bit"] * 4 * 64 + c["bank_um2_per_access_bit_sq"] * 4 * 64 * 64)
    assert sram_fit.macro_um2(bits, 4, 64, 1, 45.0) == pytest.approx(want)
    assert sram_fit.macro_um2(bits, 4, 64, 2, 45.0) == pytest.approx(want * c["two_port_ratio"])
    assert sram_area_um2(SramSpec(size_kib=64, word_bytes=8, banks=4, ports=1), 45.0) == pytest.approx(want)


def test_cells_are_a_fraction_of_the_macro():
    for node in (14.0, 22.0, 45.0, 90.0, 130.0):
        cells = sram_fit.cells_um2(2 ** 20, 1, node)
        assert 0 < cells < sram_fit.macro_um2(2 ** 20, 1, 8, 1, node)


def test_outside_cactis_nodes_cells_scale_by_the_published_cell_and_periphery_as_logic():
    fit = sram_fit.load_fit()
    hi = max(fit)
    c = sram_fit.coefficients(130.0)
    assert c["cell_um2_per_bit"] == pytest.approx(fit[hi]["cell_um2_per_bit"] * sram_cell_um2(130.0) / sram_cell_um2(hi))
    assert c["bank_um2_per_access_bit"] == pytest.approx(
        fit[hi]["bank_um2_per_access_bit"] * logic_area_factor(130.0) / logic_area_factor(hi))


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(sorted(sram_fit.load_fit())))
def test_continuous_at_the_fitted_nodes(node):
    a = sram_fit.macro_um2(2 ** 18, 4, 64, 2, node)
    assert sram_fit.macro_um2(2 ** 18, 4, 64, 2, node * (1 + 1e-9)) == pytest.approx(a, rel=1e-6)
    assert sram_fit.macro_um2(2 ** 18, 4, 64, 2, node * (1 - 1e-9)) == pytest.approx(a, rel=1e-6)


@settings(max_examples=80, deadline=None)
@given(st.floats(4096, 2 ** 28), st.integers(0, 8), st.integers(1, 512), st.integers(1, 4),
       st.floats(3.0, 180.0), st.floats(1.0, 4.0), st.integers(1, 3))
def test_area_is_monotone_in_capacity_banks_width_and_ports(bits, log_banks, width, ports, node, grow, more):
    banks = 2 ** log_banks
    base = sram_fit.macro_um2(bits, banks, width, ports, node)
    assert base > 0
    assert sram_fit.macro_um2(bits * grow, banks, width, ports, node) >= base
    assert sram_fit.macro_um2(bits, banks * 2, width, ports, node) > base
    assert sram_fit.macro_um2(bits, banks, width + more, ports, node) >= base
    assert sram_fit.macro_um2(bits, banks, width, ports + more, node) >= base


def test_bad_input_names_the_field():
    with pytest.raises(CosimError, match="banks"):
        sram_fit.macro_um2(1024, 0, 8, 1, 45.0)
    with pytest.raises(CosimError, match="ports"):
        sram_fit.macro_um2(1024, 1, 8, 0, 45.0)
    with pytest.raises(CosimError, match="technology node"):
        sram_fit.macro_um2(1024, 1, 8, 1, 500.0)


def test_read_energy_fit_is_within_its_stated_error():
    fit = sram_fit.load_fit()
    for r in _rows():
        c = fit[r["node_nm"]]
        got = sram_fit.read_pj(r["size_bytes"] * 8, int(r["banks"]), int(r["word_bytes"] * 8), int(r["ports"]), r["node_nm"])
        assert abs(got / (r["read_nj"] * 1000.0) - 1.0) <= c["read_max_rel_err"], r
