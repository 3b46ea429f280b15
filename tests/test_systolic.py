"""Systolic datapath (cosim/datapaths/systolic/): one layer, and layers × designs in one call."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from cosim.simulate import simulate_layer
from cosim.datapaths.systolic.model import design_arrays, evaluate_batch
from cosim.errors import CosimError
from cosim.graph import Layer
from cosim.hw.spec import DramSpec, PEArraySpec, SramHierarchy, SramSpec, SystolicSpec


def make_spec(rows=4, cols=4, dataflow="ws", kib=(64, 64, 64), bw=10.0, timing="physical", bank_width=0,
              banks=1, clock=1000.0, mapper="latency"):
    bufs = [SramSpec(size_kib=k, banks=banks, bank_width_bytes=bank_width) for k in kib]
    return SystolicSpec(name="t", pe_array=PEArraySpec(rows=rows, cols=cols, dataflow=dataflow),
                        sram=SramHierarchy(*bufs), dram=DramSpec(bandwidth_gb_per_s=bw), clock_mhz=clock,
                        timing=timing, mapper=mapper)


# ---- hand-checkable cases ------------------------------------------------------------------------

def test_4x4_ws_fold_cycles_by_hand():
    """8 × 8 × 8 GEMM on a 4 × 4 ws array: K and N fold twice each → 4 folds of
    2R + C + T − 2 = 8 + 4 + 8 − 2 = 18 cycles (SCALE-Sim: 4 · 18 − 1 = 71)."""
    layer = Layer.linear("g", 8, 8, tokens=8)
    perf = simulate_layer(layer, make_spec(bw=1e6))
    assert perf.compute_cycles == 72
    assert simulate_layer(layer, make_spec(bw=1e6, timing="scalesim")).compute_cycles == 71
    assert perf.details.folds == 4
    assert perf.mapping_efficiency == 1.0
    # ws: every weight read once, the input once per column fold, partial sums once per row fold
    assert perf.details.sram_filter_reads == 64
    assert perf.details.sram_ifmap_reads == 128
    assert perf.details.sram_ofmap_writes == 128
    assert perf.details.sram_ofmap_psum_reads == 64  # read back to add the second row fold


def test_4x4_os_and_is_by_hand():
    layer = Layer.linear("g", 6, 5, tokens=9)  # M = 9, N = 5, K = 6
    os_ = simulate_layer(layer, make_spec(dataflow="os", bw=1e6))
    assert os_.details.folds == 3 * 2 and os_.compute_cycles == 6 * (8 + 4 + 6 - 2)
    is_ = simulate_layer(layer, make_spec(dataflow="is", bw=1e6))
    assert is_.details.folds == 2 * 3 and is_.compute_cycles == 6 * (8 + 4 + 5 - 2)
    assert os_.mapping_efficiency == pytest.approx(9 * 5 / (6 * 16))


def test_groups_run_one_after_another():
    dw = Layer.conv2d("dw", 16, 16, 10, 3, groups=16)
    one = Layer.conv2d("one", 1, 1, 10, 3)
    spec = make_spec(bw=1e6)
    a, b = simulate_layer(dw, spec), simulate_layer(one, spec)
    assert a.compute_cycles == 16 * b.compute_cycles
    assert a.macs == 16 * b.macs
    assert a.details.dram_filter_reads == 16 * b.details.dram_filter_reads


def test_matmul_second_operand_takes_the_filter_path():
    """Attention QKᵀ: no weights; per head and batch element a (K × N) activation is read into the filter
    buffer at the activation precision."""
    mm = Layer.matmul("qk", m=16, n=16, k=8, heads=2, batch=3, act_bits=16, weight_bits=4)
    perf = simulate_layer(mm, make_spec(kib=(64, 64, 64), bw=1e6))
    assert perf.details.gemm == (6, 16, 16, 8)
    assert perf.details.dram_filter_reads == 6 * 8 * 16
    ifmap_b = perf.details.dram_ifmap_reads * 2
    filt_b = perf.details.dram_filter_reads * 2  # 16-bit, not the (unused) 4-bit weight width
    assert perf.dram_read_bytes == ifmap_b + filt_b


def test_vector_layer_on_simd_lanes():
    relu = Layer.vector("relu", "act", 64, 8)  # 4096 outputs, one op each
    perf = simulate_layer(relu, make_spec(cols=16, bw=1e6))
    assert perf.compute_cycles == 4096 // 16
    assert perf.vector_ops == 4096 and perf.macs == 0
    assert perf.actions["vector:op"] == 4096
    slow = simulate_layer(relu, make_spec(cols=16, bw=0.001))  # 1 byte per µs: DRAM-bound
    assert slow.compute_cycles + slow.stall_cycles >= 8192 / (0.001 * 1e9 / 1e9)


def test_embedding_reads_one_table_row_per_token():
    emb = Layer.embedding("tok", vocab=30000, width=64, tokens=10, weight_bits=16)
    perf = simulate_layer(emb, make_spec(cols=16, bw=1e6))
    assert perf.dram_read_bytes == 10 * 64 * 2  # the rows looked up, not the 30000-row table
    assert perf.dram_write_bytes == 10 * 64
    assert perf.compute_cycles == 10 * 64 // 16


def test_layer_perf_fields():
    layer = Layer.conv2d("c", 32, 64, 14, 3)
    perf = simulate_layer(layer, make_spec())
    assert perf.effectual_macs == perf.macs == layer.macs
    assert perf.sparsity_source == "dense"
    assert 0 < perf.utilization <= 1
    assert perf.utilization == pytest.approx(layer.macs / (16 * (perf.compute_cycles + perf.stall_cycles)))
    assert set(perf.actions) == {"mac:int8", "register:access", "dram:read_bit", "dram:write_bit",
                                 *(f"sram_{b}:{a}" for b in ("ifmap", "filter", "ofmap")
                                   for a in ("read_byte", "write_byte"))}
    assert perf.actions["dram:read_bit"] == 8 * perf.dram_read_bytes
    assert perf.actions["mac:int8"] == layer.macs
    # fills from DRAM are SRAM writes too
    assert perf.sram_write_bytes["ifmap"] == perf.details.dram_ifmap_reads


def test_physical_psums_chunk_the_stream_when_the_tile_does_not_fit():
    """ws keeps a column fold's M × C partial sums (32-bit) in the ofmap half; with less room the M rows
    are streamed in chunks that fit, one fold per chunk, and each output still goes to DRAM once (the
    fixed tiling, mapper: off; the mapper would run the 8 KiB buffer whole, serialised)."""
    layer = Layer.linear("g", 64, 8, tokens=512)  # tile 512 × 4 × 4 B = 8 KiB; 16 row folds, 2 column folds
    fits = simulate_layer(layer, make_spec(kib=(64, 64, 32), bw=1e6, mapper="off"))
    chunked = simulate_layer(layer, make_spec(kib=(64, 64, 8), bw=1e6, mapper="off"))  # 4 KiB halves: 256 rows
    assert fits.details.chunks == 1 and chunked.details.chunks == 2
    assert chunked.details.folds == 2 * fits.details.folds == 64
    assert chunked.compute_cycles - fits.compute_cycles == 32 * (2 * 4 + 4 - 2)  # 32 more fill/drain overheads
    assert fits.dram_write_bytes == chunked.dram_write_bytes == 512 * 8
    assert chunked.details.sram_filter_reads == 2 * fits.details.sram_filter_reads


def test_sram_ports_limit_the_array():
    layer = Layer.linear("g", 64, 64, tokens=256)
    free = simulate_layer(layer, make_spec(bw=1e6))
    narrow = simulate_layer(layer, make_spec(bw=1e6, bank_width=1, banks=1))  # 2 ports × 1 byte per cycle
    assert free.details.sram_stall_cycles == 0
    assert narrow.details.sram_stall_cycles > 0
    ifmap_bytes = narrow.details.sram_ifmap_reads
    assert narrow.compute_cycles + narrow.stall_cycles >= ifmap_bytes / 2


def test_buffer_smaller_than_one_tile_is_an_error():
    with pytest.raises(CosimError, match="sram.ifmap.size_kib"):
        # 64 rows of 32-bit inputs need 256 bytes per half; 0.25 KiB gives 128
        simulate_layer(Layer.linear("g", 8, 8, tokens=8, act_bits=32),
                       make_spec(rows=64, cols=4, kib=(0.25, 64, 64)))
    with pytest.raises(CosimError, match="sram.ofmap.size_kib"):
        # an os fold drains 32 × 32 outputs = 1 KiB; a 1 KiB buffer has 512-byte halves
        simulate_layer(Layer.linear("g", 8, 8, tokens=8), make_spec(rows=32, cols=32, dataflow="os", kib=(64, 64, 1)))


def test_energy_at_least_macs_times_mac_energy():
    from cosim.graph import LayerGraph
    from cosim.hw.energy_tables import table_for
    from cosim.simulate import simulate

    g = LayerGraph("net")
    g.add(Layer.conv2d("c1", 3, 16, 16, 3))
    g.add(Layer.vector("r1", "act", 16, 16), "c1")
    g.add(Layer.conv2d("c2", 16, 32, 16, 3, stride=2), "r1")
    spec = make_spec(rows=8, cols=8)
    rep = simulate(g, spec)
    assert rep.total.energy_pj >= rep.total.macs * table_for(spec)["mac:int8"]


# ---- invariants ----------------------------------------------------------------------------------

layers = st.one_of(
    st.builds(lambda m, n, k: Layer.linear("l", k, n, tokens=m), st.integers(1, 200), st.integers(1, 200),
              st.integers(1, 200)),
    st.builds(lambda c, o, hw, k, s, g: Layer.conv2d("c", c * g, o * g, hw, k, stride=s, groups=g),
              st.integers(1, 24), st.integers(1, 24), st.integers(4, 20), st.sampled_from([1, 3, 5]),
              st.integers(1, 2), st.sampled_from([1, 2])),
    st.builds(lambda m, n, k, h: Layer.matmul("mm", m=m, n=n, k=k, heads=h), st.integers(1, 64),
              st.integers(1, 64), st.integers(1, 64), st.integers(1, 4)),
)
designs = st.builds(
    lambda r, c, df, kib, bw, timing: make_spec(rows=r, cols=c, dataflow=df, kib=(kib, kib, kib), bw=bw,
                                                timing=timing),
    st.sampled_from([2, 4, 8, 16]), st.sampled_from([2, 4, 8, 16]), st.sampled_from(["os", "ws", "is"]),
    st.sampled_from([2, 8, 32]), st.sampled_from([0.5, 4.0, 64.0]), st.sampled_from(["physical", "scalesim"]))


@settings(max_examples=60, deadline=None)
@given(layer=layers, spec=designs)
def test_cycles_bounded_by_peak_compute_and_dram(layer, spec):
    perf = simulate_layer(layer, spec)
    total = perf.compute_cycles + perf.stall_cycles
    assert total >= perf.macs / spec.peak_macs_per_cycle
    if spec.timing == "physical":  # one shared DRAM channel
        assert total >= (perf.dram_read_bytes + perf.dram_write_bytes) / spec.dram_bytes_per_cycle - 1
    else:  # SCALE-Sim: a port per operand; reads fill before cycle 0, and the array may end with a full
        # write buffer (S) and a drain of S/2 in flight (its buffer frees the space when a drain starts)
        assert total >= (perf.dram_write_bytes - 1.5 * spec.sram.ofmap.size_bytes) / spec.dram_bytes_per_cycle


@settings(max_examples=60, deadline=None)
@given(layer=layers, spec=designs, factor=st.sampled_from([2.0, 8.0]))
def test_more_bandwidth_never_costs_cycles(layer, spec, factor):
    fast = dataclasses.replace(spec, dram=DramSpec(bandwidth_gb_per_s=spec.dram.bandwidth_gb_per_s * factor))
    a, b = simulate_layer(layer, spec), simulate_layer(layer, fast)
    assert b.compute_cycles + b.stall_cycles <= a.compute_cycles + a.stall_cycles


@settings(max_examples=60, deadline=None)
@given(layer=layers, spec=designs, buf=st.sampled_from(["ifmap", "filter", "ofmap"]))
def test_bigger_sram_never_costs_cycles_or_traffic(layer, spec, buf):
    """A bigger buffer only adds mappings: it never costs the objective the mapper minimises — cycles under
    ``mapper: latency`` (which may buy them with DRAM bytes), DRAM traffic under ``mapper: energy``."""
    spec = dataclasses.replace(spec, timing="physical")
    sram = spec.sram
    old = getattr(sram, buf)
    grown = dataclasses.replace(sram, **{buf: dataclasses.replace(old, size_kib=old.size_kib * 4)})
    fast = dataclasses.replace(spec, mapper="latency")
    a = simulate_layer(layer, fast)
    b = simulate_layer(layer, dataclasses.replace(fast, sram=grown))
    assert b.compute_cycles + b.stall_cycles <= a.compute_cycles + a.stall_cycles
    frugal = dataclasses.replace(spec, mapper="energy")
    a = simulate_layer(layer, frugal)
    b = simulate_layer(layer, dataclasses.replace(frugal, sram=grown))
    assert b.dram_read_bytes + b.dram_write_bytes <= a.dram_read_bytes + a.dram_write_bytes


# ---- many designs at once agree with the brute-force reference ----------------------------------------

def _ref_spec(rows, cols, dataflow):
    big = SramSpec(size_kib=1024)  # everything fits: no capacity effects, as in tests/test_systolic_refsim.py
    return SystolicSpec(name=f"{rows}x{cols}-{dataflow}", pe_array=PEArraySpec(rows=rows, cols=cols, dataflow=dataflow),
                        sram=SramHierarchy(big, big, big), dram=DramSpec(bandwidth_gb_per_s=1e9))


@settings(max_examples=20, deadline=None)
@given(gemms=st.lists(st.tuples(st.integers(1, 9), st.integers(1, 9), st.integers(1, 9)), min_size=1, max_size=3),
       arrays=st.lists(st.tuples(st.integers(1, 4), st.integers(1, 4), st.sampled_from(["os", "ws", "is"])),
                       min_size=1, max_size=5, unique=True))
def test_a_batch_of_designs_matches_the_register_level_reference(gemms, arrays):
    """Layers × designs in one datapath call give, pair by pair, the cycles, folds and array-side SRAM
    accesses of tests/refsim.py's cycle-by-cycle simulation of that pair."""
    import refsim
    from cosim.datapaths.systolic.datapath import evaluate
    from cosim.graph import LayerGraph
    from cosim.walk import walk

    g = LayerGraph("gemms")
    for i, (m, n, k) in enumerate(gemms):
        g.add(Layer.linear(f"g{i}", k, n, tokens=m))  # separate inputs: each its own site
    specs = [_ref_spec(*a) for a in arrays]
    w = walk(g, distinct=False)
    perf = evaluate(w, specs)
    assert perf.feasible.all()
    rng = np.random.default_rng(0)
    for i, (m, n, k) in enumerate(gemms):
        a, b = rng.integers(-3, 4, size=(m, k)), rng.integers(-3, 4, size=(k, n))
        for j, (rows, cols, df) in enumerate(arrays):
            ref = refsim.simulate(a, b, rows, cols, df)
            d = perf.details(i, j)
            assert perf.compute_cycles[i, j] == ref.cycles
            assert d.folds == len(ref.fold_cycles)
            assert d.sram_ifmap_reads == ref.sram_reads["ifmap"] and d.sram_filter_reads == ref.sram_reads["filter"]
            assert d.sram_ofmap_writes == ref.ofmap_writes and d.sram_ofmap_psum_reads == ref.psum_reads
            assert perf.macs[i, j] == ref.macs


def test_bare_gemms_are_eight_bit_linear_layers():
    """A plain {G, M, N, K} dict (systolic.model.evaluate_batch) is a set of 8-bit GEMMs: hand-checked
    on a 4×4 os array, one fold of 2R + C + T − 2 cycles for a 4×4×4 product (tests/refsim.py's
    test_hand_count_4x4_os), two groups of it run one after another."""
    spec = make_spec(dataflow="os")
    gemms = {"G": np.array([1, 2]), "M": np.array([4, 4]), "N": np.array([4, 4]), "K": np.array([4, 4])}
    out = evaluate_batch(gemms, design_arrays([spec]))
    assert out["compute_cycles"][:, 0].tolist() == [14, 28]
    assert out["macs"][:, 0].tolist() == [64, 128]


def test_single_buffering_serialises_transfers_with_compute():
    """Everything fits in half a buffer, so both layouts move the same bytes: double-buffered, the
    transfers beyond the first load and the last store hide behind the 72 compute cycles of the 8×8×8
    GEMM on a 4×4 ws array; single-buffered (one tile per buffer) they add to them, byte for byte."""
    import dataclasses

    layer = Layer.linear("g", 8, 8, tokens=8)
    double = make_spec(bw=1.0)  # 1 byte/cycle at 1 GHz
    single = dataclasses.replace(double, sram=dataclasses.replace(double.sram, double_buffered=False))
    d, s = simulate_layer(layer, double), simulate_layer(layer, single)
    moved = d.dram_read_bytes + d.dram_write_bytes
    assert moved == s.dram_read_bytes + s.dram_write_bytes == 64 + 64 + 64  # input, weights, outputs
    assert d.compute_cycles == s.compute_cycles == 72
    assert s.total_cycles == 72 + moved  # nothing overlaps: every byte at 1 byte/cycle
    assert d.total_cycles < s.total_cycles
