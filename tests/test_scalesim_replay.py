"""The fast ifmap replay (cosim.datapaths.systolic.scalesim_replay) counts exactly what the literal
replay of SCALE-Sim's demand counts (scalesim_timing.literal_ifmap_reads, itself checked against a
row-by-row walk of SCALE-Sim's demand matrices in tests/test_scalesim_reference.py)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st_

from cosim.datapaths.systolic import scalesim_replay as sr
from cosim.datapaths.systolic import scalesim_timing as st


def _geometry(ch, kh, kw, sh, sw, h, w, over_h=0, over_w=0):
    """An unpadded convolution's geometry tuple; ``over_*`` extra output positions whose windows run
    past the input's edge (as padded layers' do in cosim's geometry, where those taps are dropped)."""
    oh, ow = (h - kh) // sh + 1 + over_h, (w - kw) // sw + 1 + over_w
    return (ch, kh, kw, sh, sw, 1, 1, 0, 0, h, w, oh, ow, 1)


layers = st_.tuples(st_.integers(1, 6), st_.integers(1, 4), st_.integers(1, 4), st_.integers(1, 3), st_.integers(1, 3),
                    st_.integers(4, 10), st_.integers(4, 10), st_.integers(0, 2), st_.integers(0, 2))


@settings(max_examples=400, deadline=None)
@given(layer=layers, rows=st_.integers(1, 12), cols=st_.integers(1, 12), df=st_.integers(0, 2),
       n=st_.integers(1, 40), epoch=st_.integers(1, 300))
def test_fast_replay_equals_the_literal_replay(layer, rows, cols, df, n, epoch):
    ch, kh, kw, sh, sw, h, w, oh_, ow_ = layer
    g = _geometry(ch, min(kh, h), min(kw, w), sh, sw, h, w, oh_, ow_)
    assert sr.replayed_ifmap_reads(g, n, rows, cols, df, epoch) == st.literal_ifmap_reads(g, n, rows, cols, df, epoch)


def test_by_hand():
    # 3×3 input, one channel, 2×2 windows, 1×1 os array: 4 + 3 + 3 + 4 = 14 words for an epoch of 5
    # (tests/test_scalesim_reference.py test_epoch_replay_by_hand walks it); 16 for 4, 9 for 9.
    g = _geometry(1, 2, 2, 1, 1, 3, 3)
    assert [sr.replayed_ifmap_reads(g, 1, 1, 1, 0, e) for e in (5, 4, 9)] == [14, 16, 9]
    # Two column folds re-stream the same 16 demands: an epoch of 10 keeps all 9 words, fetched once;
    # one of 9 ends with the 9th fetch and forgets them, so the second fold fetches all 9 again.
    assert sr.replayed_ifmap_reads(g, 2, 1, 1, 0, 10) == 9
    assert sr.replayed_ifmap_reads(g, 2, 1, 1, 0, 9) == 18
    assert sr.replayed_ifmap_reads(g, 1, 1, 1, 0, 0) == -1  # no buffer: no replay
    assert sr.replayed_ifmap_reads(g[:5] + (2,) + g[6:], 1, 1, 1, 0, 5) == -1  # dilation: no replay


def test_fold_counts_from_one_table_in_any_order():
    """A table built for few column folds extends when more are asked for; the answers do not depend
    on the order of the questions (the memo holds nothing a later question could disagree with)."""
    g = _geometry(3, 3, 3, 1, 1, 9, 9)
    sr._TABLES.clear()
    small = [sr.replayed_ifmap_reads(g, n, 4, 2, 1, 70) for n in range(1, 60, 7)]
    sr._TABLES.clear()
    big = sr.replayed_ifmap_reads(g, 57, 4, 2, 1, 70)
    again = [sr.replayed_ifmap_reads(g, n, 4, 2, 1, 70) for n in range(1, 60, 7)]
    assert small == again and big == small[-1]
    assert small == [st.literal_ifmap_reads(g, n, 4, 2, 1, 70) for n in range(1, 60, 7)]


@settings(max_examples=40, deadline=None)
@given(layer=layers, seed=st_.integers(0, 2**31 - 1))
def test_batch_lookup_equals_one_by_one(layer, seed):
    """The sweep path (distinct keys computed once, then scattered) answers what single calls do."""
    ch, kh, kw, sh, sw, h, w, oh_, ow_ = layer
    geos = [_geometry(ch, min(kh, h), min(kw, w), sh, sw, h, w, oh_, ow_), _geometry(2, 2, 2, 1, 1, 5, 6)]
    rng = np.random.default_rng(seed)
    size = 30
    gid, n = rng.integers(0, 2, size), rng.integers(1, 20, size)
    rows, cols, df, ep = rng.integers(1, 9, size), rng.integers(1, 9, size), rng.integers(0, 3, size), rng.integers(1, 200, size)
    got = sr.batch_ifmap_reads(geos, gid, n, rows, cols, df, ep)
    want = [st.literal_ifmap_reads(geos[g], int(a), int(r), int(c), int(d), int(e))
            for g, a, r, c, d, e in zip(gid, n, rows, cols, df, ep)]
    assert got.tolist() == want
