"""Numba mask kernels (cosim/kernels/) against plain numpy references.

The ``ref_*`` functions are the numpy reference implementations; scripts/bench_kernels.py times the
kernels against them.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim import kernels as K
from cosim.errors import CosimError


# ---- numpy references ---------------------------------------------------------------------------------
def _pad_to(mask: np.ndarray, axis: int, tile: int) -> np.ndarray:
    size = mask.shape[axis]
    extra = -size % tile
    if not extra:
        return mask
    pad = [(0, 0)] * mask.ndim
    pad[axis] = (0, extra)
    return np.pad(mask, pad)


def ref_row_lane_counts(mask, tile_k):
    g, n, k = mask.shape
    p = _pad_to(mask, 2, tile_k)
    return p.reshape(g, n, p.shape[2] // tile_k, tile_k).sum(axis=3, dtype=np.int32)


def ref_col_lane_counts(mask, tile_n):
    g, n, k = mask.shape
    p = _pad_to(mask, 1, tile_n)
    return p.reshape(g, p.shape[1] // tile_n, tile_n, k).sum(axis=2, dtype=np.int32)


def ref_tile_nonzero_counts(mask, tile_n, tile_k):
    g = mask.shape[0]
    p = _pad_to(_pad_to(mask, 1, tile_n), 2, tile_k)
    return p.reshape(g, p.shape[1] // tile_n, tile_n, p.shape[2] // tile_k, tile_k).sum(axis=(2, 4), dtype=np.int64)


def ref_fold_lane_stats(mask, tile_n, tile_k, lanes):
    g, n, k = mask.shape
    if lanes == "n":
        c = _pad_to(ref_row_lane_counts(mask, tile_k), 1, tile_n)
        c = c.reshape(g, -1, tile_n, c.shape[2])
        mx, tot = c.max(axis=2), c.sum(axis=2)
        sizes = np.minimum(tile_n, n - np.arange(0, n, tile_n))[:, None]
    else:
        c = _pad_to(ref_col_lane_counts(mask, tile_n), 2, tile_k)
        c = c.reshape(g, c.shape[1], -1, tile_k)
        mx, tot = c.max(axis=3), c.sum(axis=3)
        sizes = np.minimum(tile_k, k - np.arange(0, k, tile_k))[None, :]
    return mx, tot, np.broadcast_to(sizes, tot.shape)


def ref_first_nm_violation(mask, n, m):
    g, rows, k = mask.shape
    counts = _pad_to(mask, 2, m).reshape(g, rows, -1, m).sum(axis=3)
    bad = np.argwhere(counts > n)
    if bad.size == 0:
        return None
    gg, r, j = bad[0]  # argwhere is in C order: (group, row, k) order
    return int(gg), int(r), int(j * m), int(counts[gg, r, j])


def ref_rle_entries(mask, run_bits):
    entries = 0
    for group in mask.reshape(mask.shape[0], -1):
        pos = np.flatnonzero(group)
        gaps = np.diff(np.concatenate([[-1], pos])) - 1
        entries += pos.size + int((gaps // 2**run_bits).sum())
    return entries


def ref_compressed_sizes(mask, value_bits, run_bits, nm=None):
    g, n, k = mask.shape
    nnz = int(mask.sum())
    ptr = max(1, math.ceil(math.log2(max(int(mask.reshape(g, -1).sum(axis=1).max()) + 1, 2))))
    ib_k = max(1, math.ceil(math.log2(max(k, 2))))
    ib_n = max(1, math.ceil(math.log2(max(n, 2))))
    b = lambda bits: -(-bits // 8)  # noqa: E731
    out = {
        "dense": (b(g * n * k * value_bits), 0),
        "bitmap": (b(nnz * value_bits), b(g * n * k)),
        "csr": (b(nnz * value_bits), b(nnz * ib_k + g * (n + 1) * ptr)),
        "csc": (b(nnz * value_bits), b(nnz * ib_n + g * (k + 1) * ptr)),
    }
    e = ref_rle_entries(mask, run_bits)
    out["rle"] = (b(e * value_bits), b(e * run_bits))
    if nm:
        nn, m = nm
        slots = g * n * -(-k // m) * nn
        out["nm"] = (b(slots * value_bits), b(slots * max(1, math.ceil(math.log2(m)))))
    return out


def random_nm_mask(rng, shape, n, m, fill=1.0):
    """Each M-group along K keeps N random positions (fewer with probability 1 - fill)."""
    g, rows, k = shape
    groups = -(-k // m)
    keys = rng.random((g, rows, groups, m))
    keep = np.argsort(keys, axis=3) < n
    keep &= rng.random(keep.shape) < fill
    return keep.reshape(g, rows, groups * m)[:, :, :k].copy()


# ---- strategies ----------------------------------------------------------------------------------------
@st.composite
def masks(draw, max_g=3, max_n=24, max_k=48):
    g = draw(st.integers(1, max_g))
    n = draw(st.integers(1, max_n))
    # Multiples of 8 exercise the word (SWAR) path, others the byte path.
    k = draw(st.one_of(st.integers(1, max_k), st.integers(1, max_k // 8).map(lambda j: 8 * j)))
    density = draw(st.floats(0.0, 1.0))
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).random((g, n, k)) < density


tiles = st.one_of(st.integers(1, 12), st.sampled_from([8, 16, 32, 64]))
FAST = settings(max_examples=60, deadline=None)


# ---- lane / tile counts --------------------------------------------------------------------------------
def test_counts_by_hand():
    mask = np.array([[[1, 0, 1, 1, 0],
                      [0, 0, 0, 1, 1],
                      [1, 1, 1, 1, 1]]], dtype=bool)
    assert K.row_lane_counts(mask, 2).tolist() == [[[1, 2, 0], [0, 1, 1], [2, 2, 1]]]
    assert K.col_lane_counts(mask, 2).tolist() == [[[1, 0, 1, 2, 1], [1, 1, 1, 1, 1]]]
    assert K.tile_nonzero_counts(mask, 2, 2).tolist() == [[[1, 3, 1], [2, 2, 1]]]
    st_n = K.fold_lane_stats(mask, 2, 5, "n")
    assert st_n.max_lane.tolist() == [[[3], [5]]] and st_n.total.tolist() == [[[5], [5]]]
    assert st_n.lanes.tolist() == [[[2], [1]]]
    assert st_n.imbalance[0, 0, 0] == pytest.approx(3 / 2.5)


def test_long_tiles_flush_the_byte_lanes():
    # 4096-wide rows in one tile: > 255 words per tile must not overflow the byte lanes.
    mask = np.ones((1, 3, 4096), bool)
    mask[0, 1, ::2] = False
    assert K.row_lane_counts(mask, 4096).ravel().tolist() == [4096, 2048, 4096]
    # 600 rows in one N-tile: > 255 rows must not overflow the column byte accumulators.
    tall = np.ones((1, 600, 16), bool)
    assert (K.col_lane_counts(tall, 600) == 600).all()


@pytest.mark.parametrize("tile_k", [8, 16, 32, 64, 24, 248, 256, 264, 2048])
def test_all_ones_rows_at_every_word_tile_width(tile_k):
    # All-ones rows are the worst case of the byte-lane sums: the multiply-shift total is exact up to
    # 31 words (248 ones) per tile; wider tiles are summed in 31-word chunks. K = 3000 + 8 leaves a
    # short last tile.
    mask = np.ones((2, 3, 3008), bool)
    mask[1, 2, 5::3] = False
    np.testing.assert_array_equal(K.row_lane_counts(mask, tile_k), ref_row_lane_counts(mask, tile_k))


@FAST
@given(masks(), tiles)
def test_row_lane_counts_match_numpy(mask, tile_k):
    np.testing.assert_array_equal(K.row_lane_counts(mask, tile_k), ref_row_lane_counts(mask, tile_k))


@FAST
@given(masks(), tiles)
def test_col_lane_counts_match_numpy(mask, tile_n):
    np.testing.assert_array_equal(K.col_lane_counts(mask, tile_n), ref_col_lane_counts(mask, tile_n))


@FAST
@given(masks(), tiles, tiles)
def test_tile_counts_match_numpy_and_sum_to_nnz(mask, tile_n, tile_k):
    got = K.tile_nonzero_counts(mask, tile_n, tile_k)
    np.testing.assert_array_equal(got, ref_tile_nonzero_counts(mask, tile_n, tile_k))
    assert got.sum() == mask.sum()


@FAST
@given(masks(), tiles, tiles, st.sampled_from(["n", "k"]))
def test_fold_lane_stats_match_numpy(mask, tile_n, tile_k, lanes):
    s = K.fold_lane_stats(mask, tile_n, tile_k, lanes)
    mx, tot, n_lanes = ref_fold_lane_stats(mask, tile_n, tile_k, lanes)
    np.testing.assert_array_equal(s.max_lane, mx)
    np.testing.assert_array_equal(s.total, tot)
    np.testing.assert_array_equal(s.lanes, n_lanes)
    # The busiest lane carries at least the mean: imbalance >= 1.
    assert (s.imbalance >= 1 - 1e-12).all()
    assert (s.max_lane * s.lanes >= s.total).all()


# ---- batches --------------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(st.lists(masks(max_n=40, max_k=80), min_size=1, max_size=5), tiles, tiles)
def test_batches_match_numpy_mask_by_mask(mask_list, tile_n, tile_k):
    # Ragged edges included: N and K need not be multiples of the tiles, nor K of 8.
    rows = K.row_lane_counts_batch(mask_list, tile_k)
    cols = K.col_lane_counts_batch(mask_list, tile_n)
    tiles_ = K.tile_nonzero_counts_batch(mask_list, tile_n, tile_k)
    assert len(rows) == len(cols) == len(tiles_) == len(mask_list)
    for mask, r, c, t in zip(mask_list, rows, cols, tiles_):
        assert (r.dtype, c.dtype, t.dtype) == (np.int32, np.int32, np.int64)
        np.testing.assert_array_equal(r, ref_row_lane_counts(mask, tile_k))
        np.testing.assert_array_equal(c, ref_col_lane_counts(mask, tile_n))
        np.testing.assert_array_equal(t, ref_tile_nonzero_counts(mask, tile_n, tile_k))


def test_batch_of_mixed_layouts_and_shapes():
    rng = np.random.default_rng(11)
    buf = rng.random(1 + 2 * 40 * 64) < 0.5
    mask_list = [
        rng.random((1, 70, 147)) < 0.3,  # ResNet-50 conv1: K = 3·7·7, not a multiple of 8
        buf[1:].reshape(2, 40, 64),  # misaligned start: byte path
        (rng.random((3, 33, 64)) < 0.5).astype(np.int8),  # not bool: normalised
        np.ones((1, 600, 16), bool),  # > 255 rows in one N-tile below: byte accumulators flush
        np.zeros((1, 0, 8), bool),  # empty
        np.asfortranarray(rng.random((1, 9, 40)) < 0.5),  # not C-contiguous
    ]
    for tile_n, tile_k in ((32, 32), (600, 8), (7, 3)):
        got = K.tile_nonzero_counts_batch(mask_list, tile_n, tile_k)
        for mask, t in zip(mask_list, got):
            want = ref_tile_nonzero_counts(np.asarray(mask, bool), tile_n, tile_k)
            np.testing.assert_array_equal(t, want)
        for mask, r in zip(mask_list, K.row_lane_counts_batch(mask_list, tile_k)):
            np.testing.assert_array_equal(r, ref_row_lane_counts(np.asarray(mask, bool), tile_k))
        for mask, c in zip(mask_list, K.col_lane_counts_batch(mask_list, tile_n)):
            np.testing.assert_array_equal(c, ref_col_lane_counts(np.asarray(mask, bool), tile_n))
    assert K.tile_nonzero_counts_batch([], 4, 4) == []


def test_batch_results_are_independent_arrays():
    a, b = np.ones((1, 4, 8), bool), np.zeros((1, 4, 8), bool)
    ra, rb = K.row_lane_counts_batch([a, b], 8)
    ra[...] = -1  # results share one buffer but never overlap
    assert (rb == 0).all() and (K.row_lane_counts(a, 8) == 1 * 8).all()


def test_batch_checks_tiles_and_shapes():
    with pytest.raises(CosimError, match="tile_n must be an integer >= 1"):
        K.col_lane_counts_batch([np.ones((1, 4, 4), bool)], 0)
    with pytest.raises(CosimError, match=r"\(groups, N, K\)"):
        K.row_lane_counts_batch([np.ones((1, 4, 4), bool), np.ones((4, 4), bool)], 2)


def test_bad_tiles_and_lanes_are_user_errors():
    mask = np.ones((1, 4, 4), bool)
    with pytest.raises(CosimError, match="tile_k must be an integer >= 1"):
        K.row_lane_counts(mask, 0)
    with pytest.raises(CosimError, match="lanes must be 'n'"):
        K.fold_lane_stats(mask, 2, 2, "x")
    with pytest.raises(CosimError, match=r"\(groups, N, K\)"):
        K.row_lane_counts(np.ones((4, 4), bool), 2)


# ---- N:M -----------------------------------------------------------------------------------------------
def test_nm_violation_by_hand():
    mask = np.zeros((2, 2, 8), bool)
    mask[:, :, [0, 5]] = True  # 1 per group of 4: 2:4 holds
    assert K.first_nm_violation(mask, 2, 4) is None
    mask[1, 0, 5:8] = True  # group 1 (columns 4..7) of row 0, group 1 now holds 3
    assert K.first_nm_violation(mask, 2, 4) == (1, 0, 4, 3)
    with pytest.raises(CosimError, match=r"not 2:4 sparse: group 1, row 0, columns 4\.\.7 hold 3"):
        K.check_nm(mask, 2, 4)


@FAST
@given(masks(), st.integers(1, 8), st.integers(0, 8))
def test_nm_violation_matches_numpy(mask, m, n_minus):
    n = max(1, m - n_minus)
    assert K.first_nm_violation(mask, n, m) == ref_first_nm_violation(mask, n, m)


@FAST
@given(st.integers(0, 2**32 - 1), st.sampled_from([(1, 2), (2, 4), (1, 4), (4, 8), (3, 3)]),
       st.integers(1, 3), st.integers(1, 12), st.integers(1, 40), st.floats(0.3, 1.0))
def test_nm_round_trip_and_product(seed, nm, g, rows, k, fill):
    n, m = nm
    rng = np.random.default_rng(seed)
    mask = random_nm_mask(rng, (g, rows, k), n, m, fill)
    w = rng.standard_normal((g, rows, k))
    enc = K.nm_compress(mask, n, m, w)
    assert enc.values.shape == (g, rows, -(-k // m) * n)
    np.testing.assert_array_equal(K.nm_decompress(enc), np.where(mask, w, 0.0))
    # Mask round trip (values = 1): nonzeros of the decompressed tensor are the mask.
    np.testing.assert_array_equal(K.nm_decompress(K.nm_compress(mask, n, m)) != 0, mask)
    x = rng.standard_normal((g, k, 5))
    np.testing.assert_allclose(K.nm_matmul(enc, x), np.where(mask, w, 0.0) @ x, atol=1e-10)
    # The packed metadata stream is exactly the size compressed_sizes reports, and unpacks to the indices.
    packed = K.pack_nm_metadata(enc)
    assert packed.size == K.compressed_sizes(mask, 8, nm=(n, m))["nm"].metadata_bytes
    bits = enc.index_bits
    planes = np.unpackbits(packed, bitorder="little")[: enc.indices.size * bits].reshape(-1, bits)
    np.testing.assert_array_equal((planes << np.arange(bits)).sum(axis=1), enc.indices.ravel())


def test_nm_compress_rejects_a_violating_mask():
    with pytest.raises(CosimError, match="not 2:4 sparse"):
        K.nm_compress(np.ones((1, 1, 4), bool), 2, 4)


def test_nm_metadata_is_two_bits_per_value_for_m4():
    mask = random_nm_mask(np.random.default_rng(0), (1, 64, 64), 2, 4)
    size = K.compressed_sizes(mask, value_bits=8, nm=(2, 4))["nm"]
    assert size.value_bytes == 64 * 32  # 2 of every 4 kept, 1 byte each
    assert size.metadata_bytes == 64 * 32 * 2 // 8


# ---- CSR ----------------------------------------------------------------------------------------------
@FAST
@given(masks(), st.integers(0, 2**32 - 1))
def test_csr_product_reproduces_the_dense_product(mask, seed):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(mask.shape)
    csr = K.csr_compress(mask, w)
    assert csr.indptr[-1] == mask.sum() == csr.data.size
    x = rng.standard_normal((mask.shape[0], mask.shape[2], 3))
    np.testing.assert_allclose(K.csr_matmul(csr, x), np.where(mask, w, 0.0) @ x, atol=1e-10)


def test_matmul_checks_the_dense_operand():
    csr = K.csr_compress(np.ones((1, 2, 3), bool))
    with pytest.raises(CosimError, match=r"\(groups, K, M\) = \(1, 3, M\)"):
        K.csr_matmul(csr, np.ones((1, 4, 2)))


# ---- compressed sizes -----------------------------------------------------------------------------------
def test_sizes_by_hand():
    # One group, 2 rows x 7 columns, run field 2 bits (runs up to 3 zeros per entry).
    mask = np.array([[[1, 0, 0, 0, 0, 0, 1],
                      [0, 0, 0, 0, 0, 0, 0]]], dtype=bool)
    s = K.compressed_sizes(mask, value_bits=8, run_bits=2)
    assert s["dense"] == (14, 0)
    assert s["bitmap"] == (2, 2)  # 2 values; 14 presence bits -> 2 bytes
    # CSR: 2 values x 3-bit column index + 3 row pointers x 2 bits (to count 0..2) = 12 bits.
    assert s["csr"] == (2, 2)
    # RLE: a 5-zero run needs one filler (covers 3 zeros + itself): 3 entries x (8 + 2) bits.
    assert s["rle"] == (3, 1)
    assert s["csr"].total_bytes == 4


def test_rle_runs_continue_across_rows():
    mask = np.zeros((1, 3, 4), bool)
    mask[0, 0, 0] = mask[0, 2, 3] = True  # 10 zeros between them
    assert K.compressed_sizes(mask, 8, run_bits=2)["rle"].value_bytes == 2 + 10 // 4


@FAST
@given(masks(), st.integers(1, 16), st.integers(1, 6))
def test_sizes_match_numpy(mask, value_bits, run_bits):
    got = K.compressed_sizes(mask, value_bits, run_bits=run_bits)
    want = ref_compressed_sizes(mask, value_bits, run_bits)
    assert {f: tuple(v) for f, v in got.items()} == want


@FAST
@given(masks())
def test_sparser_masks_never_grow_the_value_bytes(mask):
    sparser = mask.copy()
    sparser[..., ::2] = False
    for fmt in ("bitmap", "csr", "csc"):
        assert K.compressed_sizes(sparser, 8)[fmt].value_bytes <= K.compressed_sizes(mask, 8)[fmt].value_bytes


def test_index_bits_too_narrow_is_a_user_error():
    with pytest.raises(CosimError, match="index_bits 4 cannot address 100 positions in csr; use at least 7"):
        K.compressed_sizes(np.ones((1, 2, 100), bool), 8, index_bits=4)


@pytest.mark.parametrize("shape", [(2, 256, 2048), (1, 1000, 1051)])
def test_parallel_drivers_match_numpy(shape, monkeypatch):
    # With PARALLEL on, masks of >= PARALLEL_MIN_BYTES take the parallel drivers (words, then bytes).
    monkeypatch.setattr(K, "PARALLEL", True)
    mask = np.random.default_rng(5).random(shape) < 0.4
    assert mask.nbytes >= K.PARALLEL_MIN_BYTES
    np.testing.assert_array_equal(K.row_lane_counts(mask, 32), ref_row_lane_counts(mask, 32))
    np.testing.assert_array_equal(K.col_lane_counts(mask, 32), ref_col_lane_counts(mask, 32))


def test_misaligned_masks_take_the_byte_paths():
    rng = np.random.default_rng(3)
    buf = rng.random(1 + 4 * 16) < 0.5
    mask = buf[1:].reshape(1, 4, 16)  # C-contiguous but starting at an odd address
    assert mask.flags.c_contiguous and mask.ctypes.data % 8 != 0
    np.testing.assert_array_equal(K.row_lane_counts(mask, 8), ref_row_lane_counts(mask, 8))
    assert K.first_nm_violation(mask, 2, 4) == ref_first_nm_violation(mask, 2, 4)
