"""GEMM view, input footprints and operand tiling (cosim/datapaths/systolic/tiling.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from cosim.datapaths.systolic import tiling as mp
from cosim.errors import CosimError
from cosim.graph import Layer


def im2col_addresses(layer: Layer) -> np.ndarray:
    """Brute force: the (M × K) matrix of input addresses one group reads, −1 for padding taps."""
    ch = layer.in_channels // layer.groups
    rows = []
    for b in range(layer.batch):
        for oh in range(layer.out_h):
            for ow in range(layer.out_w):
                row = []
                for kr in range(layer.kernel_h):
                    for kc in range(layer.kernel_w):
                        r = oh * layer.stride_h + kr * layer.dilation_h - layer.pad_h
                        c = ow * layer.stride_w + kc * layer.dilation_w - layer.pad_w
                        for k in range(ch):
                            ok = 0 <= r < layer.in_h and 0 <= c < layer.in_w
                            row.append(((b * layer.in_h + r) * layer.in_w + c) * ch + k if ok else -1)
                rows.append(row)
    return np.asarray(rows)


convs = st.builds(
    lambda ch, hw, k, s, p, d, b: Layer(name="c", op="conv2d", in_channels=ch, out_channels=4, in_h=hw, in_w=hw + 1,
                                        kernel_h=k, kernel_w=k, stride_h=s, stride_w=s, pad_h=p, pad_w=p,
                                        dilation_h=d, dilation_w=d, batch=b),
    ch=st.integers(1, 4), hw=st.integers(5, 9), k=st.integers(1, 3), s=st.integers(1, 3), p=st.integers(0, 1),
    d=st.integers(1, 2), b=st.integers(1, 2))


def test_gemm_view_of_conv_linear_matmul():
    conv = Layer.conv2d("c", 64, 128, 56, 3, stride=2)
    p = mp.gemm_problem(conv)
    assert (p.groups, p.m, p.n, p.k) == (1, 28 * 28, 128, 576)
    dw = mp.gemm_problem(Layer.conv2d("dw", 32, 32, 14, 3, groups=32))  # depthwise: 32 GEMMs of N = 1
    assert (dw.groups, dw.m, dw.n, dw.k) == (32, 14 * 14, 1, 9)
    lin = Layer.linear("fc", 2048, 1000, tokens=1)
    assert (mp.gemm_problem(lin).m, mp.gemm_problem(lin).n, mp.gemm_problem(lin).k) == (1, 1000, 2048)
    # matmul: each batch element has its own second operand, so batch joins the heads as groups
    mm = Layer.matmul("qk", m=128, n=128, k=64, heads=12, batch=2)
    q = mp.gemm_problem(mm)
    assert (q.groups, q.m, q.n, q.k) == (24, 128, 128, 64)
    assert q.macs == mm.macs


def test_vector_layer_has_no_gemm_view():
    with pytest.raises(CosimError, match="vector unit"):
        mp.gemm_problem(Layer.vector("relu", "act", 64, 8))


@settings(max_examples=40, deadline=None)
@given(layer=convs)
def test_footprint_matches_brute_force(layer):
    addr = im2col_addresses(layer)
    p = mp.gemm_problem(layer)
    assert addr.shape == (p.m, p.k)
    assert p.ifmap_valid == int((addr >= 0).sum())
    assert p.ifmap_unique == np.unique(addr[addr >= 0]).size


@settings(max_examples=25, deadline=None)
@given(layer=convs, rows=st.integers(1, 12))
def test_ws_block_unique_matches_brute_force(layer, rows):
    addr = im2col_addresses(layer)
    expect = sum(np.unique(blk[blk >= 0]).size for blk in
                 (addr[:, j:j + rows] for j in range(0, addr.shape[1], rows)))
    assert mp.ws_block_unique(mp.gemm_problem(layer).geometry, rows) == expect


def test_spatial_temporal_table():
    m, n, k = 10, 20, 30
    assert [tuple(int(x) for x in mp.spatial_temporal(m, n, k, d)) for d in (0, 1, 2)] == \
        [(10, 20, 30), (30, 20, 10), (30, 10, 20)]


def test_mapping_efficiency_partial_folds():
    # 5 × 3 on a 4 × 2 array: folds 2 × 2, used PEs 15 of 4·8 = 32
    assert mp.mapping_efficiency(5, 3, 4, 2) == pytest.approx(15 / 32)


def test_strip_sweep_without_halo_is_the_footprint():
    assert mp.strip_sweep_elems(1000, 0, 5000, 300, 3, False) == 3000
    assert mp.strip_sweep_elems(1000, 0, 5000, 300, 3, True) == 3000


def test_strip_sweep_halo_refetch():
    # U = 1000, cap 400, halo 100: strips bring 400, 300, 300 → 2 later strips, 200 extra per sweep
    assert mp.strip_sweep_elems(1000, 100, 5000, 400, 1, False) == 1200
    # no room beyond the halo: every im2col entry is read
    assert mp.strip_sweep_elems(1000, 400, 5000, 400, 2, False) == 10000


def test_ifmap_traffic_by_dataflow():
    args = dict(cols=4, m=64, n=16, k=32, unique=2048, halo=0, valid=2048, ws_blocks=2048, continuous=False,
                ws_columns=True)
    # fits: read once whatever the dataflow
    for df in (0, 1, 2):
        assert mp.ifmap_dram_elems(df, capacity=4096, **args) == 2048
    # does not fit: os and ws re-read per column fold (N/C = 4), is reads once
    assert mp.ifmap_dram_elems(0, capacity=1024, **args) == 4 * 2048
    assert mp.ifmap_dram_elems(1, capacity=1024, **args) == 4 * 2048
    assert mp.ifmap_dram_elems(2, capacity=1024, **args) == 2048


def test_filter_traffic_by_dataflow():
    # K = 32, N = 16 on 4 × 4: os keeps a 32 × 4 block per column fold if it fits
    kw = dict(rows=4, cols=4, m=64, n=16, k=32)
    assert mp.filter_dram_elems(0, capacity=128, **kw) == 512
    assert mp.filter_dram_elems(0, capacity=127, **kw) == 512 * 16  # re-read by each of 16 row folds
    assert mp.filter_dram_elems(1, capacity=1, **kw) == 512  # ws: every weight once
    assert mp.filter_dram_elems(2, capacity=511, **kw) == 512 * 16  # is: per column fold (M/C = 16)
    assert mp.filter_dram_elems(2, capacity=512, **kw) == 512


def epoch_loop(block, n_blocks, last, row_folds, epoch):
    """Direct emulation of SCALE-Sim's epoch rule for a reused operand: the words of a block fetched
    before an epoch boundary are fetched again by the next fold that uses the block."""
    if row_folds <= 1 or block > epoch:
        return 0
    pos = extra = 0
    for i in range(n_blocks):
        b = block if i < n_blocks - 1 else last
        if i > 0 and pos + b >= epoch:
            extra += epoch - pos
            pos = b
        else:
            pos += b
    return extra


@settings(max_examples=200, deadline=None)
@given(block=st.integers(1, 500), n=st.integers(1, 30), frac=st.integers(1, 100), rf=st.integers(1, 3),
       epoch=st.integers(1, 1200))
def test_epoch_refetch_closed_form_matches_loop(block, n, frac, rf, epoch):
    last = max(1, block * frac // 100)
    assert mp.epoch_refetch_elems(block, n, last, rf, epoch) == epoch_loop(block, n, last, rf, epoch)


def test_epoch_refetch_resnet_example():
    """ResNet-50 CB2a_2 on SCALE-Sim's 32 × 32 os array: two 576 × 32 filter blocks, 64 KiB buffer
    (epoch 32750 words): the second block crosses the epoch and 14318 words are fetched again
    (SCALE-Sim reports 51182 filter words for the 36864-word filter)."""
    assert mp.epoch_refetch_elems(18432, 2, 18432, 92, 32750) == 51182 - 36864
