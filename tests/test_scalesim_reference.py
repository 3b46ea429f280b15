"""cosim (timing: scalesim) against SCALE-Sim 3.0.0's own reports, stored in tests/data/scalesim/.

Every stored case (cases.yaml: ResNet-50 on 32×32 os/ws/is, non-square arrays, GEMM and small conv
topologies, CALC and USER bandwidth modes) is simulated layer by layer and held to its ``checks``:
compute cycles and array-side SRAM counts exactly; DRAM reads/writes and stall cycles within 5%.
No SCALE-Sim installation is needed (scripts/validate_scalesim.py re-runs it when one exists).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st_

from cosim.datapaths.systolic import scalesim_timing as st

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("validate_scalesim", ROOT / "scripts" / "validate_scalesim.py")
validate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(validate)

CASES = validate.load_cases()
GROUPS = {
    "compute": ("compute_cycles",),
    "sram": ("sram_ifmap_reads", "sram_filter_reads", "sram_ofmap_writes"),
    "dram": ("dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes"),
    "stall": ("stall_cycles",),
}
EXACT = {"compute", "sram"}
TOLERANCE = 0.05


@pytest.fixture(scope="module")
def compared():
    return {c["name"]: validate.compare_case(c, validate.DATA / "cases" / c["name"]) for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case_within_bars(case, compared):
    rows = compared[case["name"]]
    assert rows, "no layers compared"
    failures = []
    for group in case["checks"]:
        for r in (r for r in rows if r["metric"] in GROUPS[group]):
            ok = r["cosim"] == r["scalesim"] if group in EXACT else abs(r["error"]) <= TOLERANCE
            if not ok:
                failures.append(f"{r['layer']} {r['metric']}: cosim {r['cosim']:.0f} vs SCALE-Sim "
                                f"{r['scalesim']:.0f} ({100 * r['error']:+.2f}%)")
    assert not failures, "\n".join(failures)


def test_resnet50_compute_cycles_all_dataflows(compared):
    """The headline bar: all 54 ResNet-50 layers × 3 dataflows, cycle for cycle."""
    n = 0
    for df in ("os", "ws", "is"):
        for r in compared[f"resnet50_32x32_{df}"]:
            if r["metric"] == "compute_cycles":
                assert r["cosim"] == r["scalesim"], r
                n += 1
    assert n == 3 * 54


def test_user_mode_read_buffer_refetches_more_than_cosim(compared):
    """Where operands exceed SCALE-Sim's USER-mode read buffer, it refetches (README.md: its window only
    moves forward around a ring of prefetch lines); cosim reads each byte its tiling needs, so never more."""
    for case in CASES:
        if case["mode"] != "USER" or "dram" in case["checks"]:
            continue
        for r in compared[case["name"]]:
            if r["metric"] in ("dram_ifmap_reads", "dram_filter_reads"):
                assert r["cosim"] <= r["scalesim"], (case["name"], r)


def test_topology_reader_matches_scalesim_output_size():
    """SCALE-Sim sizes outputs ⌈(H − R + S)/S⌉ (no padding): 224×224, 7×7, stride 2 → 110×110."""
    layers = validate.scalesim_layers(validate.DATA / "topologies" / "resnet50_v3clean.csv", gemm=False)
    assert (layers[0].out_h, layers[0].out_w) == (110, 110)
    assert layers[0].gemm == (1, 12100, 64, 147)


def test_calc_mode_dram_reads_are_scalesims_own(compared):
    """In CALC mode the ifmap and filter DRAM reads equal SCALE-Sim's on every stored layer, unseen
    shapes included (its estimate buffer's ifmap epochs are replayed for overlapping convolutions,
    scalesim_timing.replayed_ifmap_reads); ofmap writes stay within 0.4 % (partial-line padding)."""
    n = 0
    for case in CASES:
        if case["mode"] != "CALC":
            continue
        for r in compared[case["name"]]:
            if r["metric"] in ("dram_ifmap_reads", "dram_filter_reads"):
                assert r["cosim"] == r["scalesim"], (case["name"], r)
                n += 1
            elif r["metric"] == "dram_ofmap_writes":
                assert abs(r["error"]) <= 0.004, (case["name"], r)
    assert n >= 2 * 250


def _geometry(ch, k, h, stride=1):
    """tiling.gemm_problem's geometry tuple of an unpadded k × k convolution on an h × h input."""
    o = (h - k) // stride + 1
    return (ch, k, k, stride, stride, 1, 1, 0, 0, h, h, o, o, 1)


def test_epoch_replay_by_hand():
    # 3×3 input, one channel, 2×2 windows: 4 output positions × 4 taps; a 1×1 os array streams them
    # position by position. Epoch of 5 words: positions bring 4, then 1 hit + 3 (the epoch ends after
    # the 2nd new word), 1 hit + 3 (ends after the 3rd), 4 in a fresh epoch: 4 + 3 + 3 + 4 = 14.
    g = _geometry(1, 2, 3)
    assert st.replayed_ifmap_reads(g, 1, 1, 1, 0, 5) == 14
    assert st.replayed_ifmap_reads(g, 1, 1, 1, 0, 4) == 16  # every epoch ends with its position: all 16 taps
    assert st.replayed_ifmap_reads(g, 1, 1, 1, 0, 9) == 9  # everything fits: each word once
    assert st.replayed_ifmap_reads(g, 1, 1, 1, 0, 5) == st.replayed_ifmap_reads(g, 1, 1, 1, 0, 5)


@settings(max_examples=40, deadline=None)
@given(ch=st_.integers(1, 8), k=st_.integers(1, 3), h=st_.integers(3, 9), stride=st_.integers(1, 3),
       rows=st_.sampled_from([1, 2, 4, 8]), cols=st_.sampled_from([1, 4, 8]), df=st_.integers(0, 2),
       n=st_.integers(1, 9), epoch=st_.integers(1, 400))
def test_epoch_replay_bounds(ch, k, h, stride, rows, cols, df, n, epoch):
    """Between the distinct words touched and every word demanded; each distinct word once when they
    all fit in one epoch."""
    g = _geometry(ch, k, h, stride)
    o = g[-2]
    taps = [(y * stride + i) for y in range(o) for i in range(k)]
    touched = len(set(taps)) ** 2 * ch  # rows touched × columns touched × channels
    demanded = (1 if df == 2 else -(-n // cols)) * o * o * k * k * ch
    reads = st.replayed_ifmap_reads(g, n, rows, cols, df, epoch)
    assert touched <= reads <= demanded
    assert st.replayed_ifmap_reads(g, n, rows, cols, df, touched + 1) == touched  # never a full epoch


def _reference_reads(ch, k, h, stride, rows, cols, df, n, epoch):
    """A slow, independent replay: SCALE-Sim's ifmap operand matrix and demand matrices built as its
    code builds them (operand_matrix.calc_ifmap_elem_addr, systolic_compute_*.create_ifmap_demand_mat
    with skew_matrix), read row by row through the epoch rule of read_buffer_estimate_bw.py."""
    import numpy as np

    o = (h - k) // stride + 1
    i, j = np.meshgrid(np.arange(o * o), np.arange(k * k * ch), indexing="ij")
    orow, ocol = np.divmod(i, o)
    crow, rest = np.divmod(j, k * ch)
    ccol, cch = np.divmod(rest, ch)
    r, c = orow * stride + crow, ocol * stride + ccol
    a = np.where((r < h) & (c < h), (r * h + c) * ch + cch, -1)  # M × K
    m, kk = a.shape

    def skew(x):
        out = np.full((x.shape[0] + x.shape[1] - 1, x.shape[1]), -1)
        for col in range(x.shape[1]):
            out[col:col + x.shape[0], col] = x[:, col]
        return out

    def pad(x, width):
        return np.concatenate([x, np.full((x.shape[0], width - x.shape[1]), -1)], axis=1)

    demand = []
    if df == 0:
        for _ in range(-(-n // cols)):
            for p0 in range(0, m, rows):
                demand.append(skew(pad(a[p0:p0 + rows].T, rows)))
    elif df == 1:
        for _ in range(-(-n // cols)):
            for k0 in range(0, kk, rows):
                demand.append(skew(pad(a[:, k0:k0 + rows], rows)))
    else:
        for p0 in range(0, m, cols):
            for k0 in range(0, kk, rows):
                block = pad(a.T[k0:k0 + rows, p0:p0 + cols], cols)
                block = np.concatenate([block, np.full((rows - block.shape[0], cols), -1)])
                demand.append(np.flip(block, 0))
    seen, count, total = set(), 0, 0
    for line in np.concatenate(demand):
        for addr in line:
            if addr >= 0 and addr not in seen:
                seen.add(addr)
                total += 1
                count += 1
                if count == epoch:
                    seen, count = set(), 0
    return total


@settings(max_examples=30, deadline=None)
@given(ch=st_.integers(1, 6), k=st_.integers(1, 3), h=st_.integers(3, 8), stride=st_.integers(1, 2),
       rows=st_.sampled_from([1, 2, 4]), cols=st_.sampled_from([1, 2, 4]), df=st_.integers(0, 2),
       n=st_.integers(1, 12), epoch=st_.integers(1, 120))
def test_epoch_replay_equals_a_literal_replay_of_scalesims_demand(ch, k, h, stride, rows, cols, df, n, epoch):
    """The compiled replays, fast (the default) and literal (its oracle, tests/test_scalesim_replay.py),
    count what a row-by-row walk of SCALE-Sim's demand matrices counts."""
    ref = _reference_reads(ch, k, h, stride, rows, cols, df, n, epoch)
    assert st.replayed_ifmap_reads(_geometry(ch, k, h, stride), n, rows, cols, df, epoch) == ref
    assert st.literal_ifmap_reads(_geometry(ch, k, h, stride), n, rows, cols, df, epoch) == ref


def test_strips_are_the_fast_approximation_and_replay_the_default():
    """``scalesim_ifmap: strips`` keeps the closed-form strip model (for sweeps): 22 % high on the
    unseen 9×9×512 3×3 os layer on 16×64 whose SCALE-Sim reads the default replay matches."""
    import dataclasses

    from cosim.errors import CosimError
    from cosim.simulate import simulate_layer

    case = next(c for c in CASES if c["name"] == "unseen_16x64_os_32k_conv")
    layer = validate.scalesim_layers(validate.DATA / "topologies" / case["topology"], gemm=False)[2]
    ref = validate.read_reports(validate.DATA / "cases" / case["name"])[2]["DRAM IFMAP Reads"]
    spec = validate.case_spec(case)
    assert spec.scalesim_ifmap == "replay"
    assert simulate_layer(layer, spec).details.dram_ifmap_reads == ref == 64403
    strips = simulate_layer(layer, dataclasses.replace(spec, scalesim_ifmap="strips")).details.dram_ifmap_reads
    assert strips == 78336
    with pytest.raises(CosimError, match="scalesim_ifmap 'exact' is unknown; use replay or strips"):
        dataclasses.replace(spec, scalesim_ifmap="exact")
