"""Time cosim's Numba mask kernels against their numpy references (tests/test_kernels.py).

Prints, per kernel and mask set: best-of-N wall time of the kernel and of the numpy reference (caches
swept before each call, so masks stream from DRAM), the speed-up (target: >= 20x for the tile/lane-count
kernels on ResNet-50-sized masks), the kernel's achieved mask bytes/s against this machine's memory
bandwidth, measured in the same run as a large numpy copy (bytes read + bytes written per second), and
the bandwidth bound: the speed-up a kernel would reach if it only read its masks once at the measured
one-core read bandwidth (a streaming kernel cannot beat it while the masks come from DRAM).

The ResNet-50 line of the counting kernels times the batch entry points (the 54 masks in one kernel
call, ``*_batch``); "R50 loop" times one call per layer, for comparison.

    python scripts/bench_kernels.py            # 2048x4608 mask + all ResNet-50 weight masks
    python scripts/bench_kernels.py --quick    # smaller repeat counts
    python scripts/bench_kernels.py --warm     # masks cache-resident (no sweep between calls)
    python scripts/bench_kernels.py --parallel    # the opt-in parallel drivers, all numba threads
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numba
import numpy as np
from numba import njit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from cosim import kernels as K  # noqa: E402
from cosim.graph import Layer  # noqa: E402
from cosim.sparsity import Sparsity, synthesize_mask  # noqa: E402
import test_kernels as ref  # noqa: E402  (the numpy references)


_EVICT = np.ones(128 * 2**20 // 8, np.uint64)  # 128 MiB, larger than the last-level cache


COLD = True  # sweep the caches before each timed call (--warm turns it off)


def best_time(fn, repeat: int, cold: bool | None = None) -> float:
    """Best of ``repeat`` timed calls after one warm-up (compilation, page-in). ``cold``: read a
    128 MiB buffer before each call, so the masks come from DRAM rather than the last-level cache."""
    cold = COLD if cold is None else cold
    fn()
    times = []
    for _ in range(repeat):
        if cold:
            _EVICT.sum()  # a read-only sweep: the cache is left holding clean lines, so a timed call
            # pays for reading its masks from DRAM but not for writing back the sweep's own dirty lines
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def copy_bandwidth(repeat: int, mib: int = 512) -> float:
    """Bytes read + written per second by one large numpy copy (the machine's streaming bandwidth)."""
    src = np.ones(mib * 2**20, np.uint8)
    dst = np.empty_like(src)
    t = best_time(lambda: np.copyto(dst, src), repeat, cold=False)
    return 2 * src.nbytes / t


@njit(cache=True)
def _word_sum(words):
    s = np.uint64(0)
    for i in range(words.size):
        s += words[i]
    return s


def read_bandwidth(repeat: int, mib: int = 256) -> float:
    """Bytes per second one core reads streaming a large array (a plain uint64 sum, no writes)."""
    words = np.ones(mib * 2**20 // 8, np.uint64)
    return words.nbytes / best_time(lambda: _word_sum(words), repeat, cold=False)


def resnet50_weight_shapes() -> list[tuple[str, tuple[int, int, int]]]:
    """(groups, N, K) of every conv/linear weight of ResNet-50 (torchvision layout, 25.5 M weights)."""
    try:
        from cosim.workloads.zoo import resnet50

        return [(l.name, (l.groups, l.gemm_n, l.gemm_k)) for l in resnet50().layers() if l.has_weights]
    except ImportError:  # the zoo is optional for this script: rebuild the shapes from the architecture
        shapes = [("conv1", (1, 64, 3 * 49))]
        cin = 64
        for stage, (blocks, width) in enumerate(zip((3, 4, 6, 3), (64, 128, 256, 512))):
            for b in range(blocks):
                p = f"layer{stage + 1}.{b}"
                shapes += [(f"{p}.conv1", (1, width, cin)), (f"{p}.conv2", (1, width, width * 9)),
                           (f"{p}.conv3", (1, 4 * width, width))]
                if b == 0:
                    shapes.append((f"{p}.downsample", (1, 4 * width, cin)))
                cin = 4 * width
        return shapes + [("fc", (1, 1000, 2048))]


def masks_for(shapes, sparsity: Sparsity, seed: int = 0) -> list[np.ndarray]:
    out = []
    for name, (g, n, k) in shapes:
        layer = Layer.linear(name, k * g, n * g, groups=g) if g > 1 else Layer.linear(name, k, n)
        out.append(synthesize_mask(layer, sparsity, seed))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--tile", type=int, default=32, help="array rows = cols (tile_n = tile_k), default 32")
    ap.add_argument("--parallel", action="store_true", help="use the parallel drivers (kernels.PARALLEL)")
    ap.add_argument("--warm", action="store_true", help="no cache sweep between timed calls")
    ap.add_argument("--threads", type=int, default=0, help="numba threads for --parallel (default: all)")
    args = ap.parse_args()
    global COLD
    COLD = not args.warm
    K.PARALLEL = args.parallel
    if args.threads:
        numba.set_num_threads(args.threads)
    repeat = 3 if args.quick else 7
    tile = args.tile

    bw = copy_bandwidth(repeat)
    read_bw = read_bandwidth(repeat)
    mode = f"parallel drivers, {numba.get_num_threads()} threads" if K.PARALLEL else "serial kernels"
    print(f"numba {numba.__version__} ({mode}); numpy {np.__version__}; "
          f"{'masks cache-resident (--warm)' if args.warm else 'caches swept before every call'}")
    print(f"memory bandwidth (numpy copy, read+write): {bw / 1e9:.1f} GB/s; one-core read: {read_bw / 1e9:.1f} GB/s")

    rng = np.random.default_rng(0)
    big = rng.random((1, 2048, 4608)) < 0.3
    big_nm = ref.random_nm_mask(rng, (1, 2048, 4608), 2, 4)
    shapes = resnet50_weight_shapes()
    r50 = masks_for(shapes, Sparsity("unstructured", 0.3))
    r50_nm = masks_for(shapes, Sparsity.nm_pattern(2, 4))
    n_r50 = sum(m.size for m in r50)
    print(f"masks: 2048x4608 ({big.size / 1e6:.1f} M elements), ResNet-50 weights "
          f"({len(r50)} layers, {n_r50 / 1e6:.1f} M elements); tiles {tile}x{tile}; 1 byte per mask element")

    # (name, one mask -> result, numpy reference, N:M masks?, batch form: list of masks -> list of results)
    cases = [
        ("row_lane_counts", lambda m: K.row_lane_counts(m, tile), lambda m: ref.ref_row_lane_counts(m, tile), False,
         lambda ms: K.row_lane_counts_batch(ms, tile)),
        ("col_lane_counts", lambda m: K.col_lane_counts(m, tile), lambda m: ref.ref_col_lane_counts(m, tile), False,
         lambda ms: K.col_lane_counts_batch(ms, tile)),
        ("tile_nonzero_counts", lambda m: K.tile_nonzero_counts(m, tile, tile),
         lambda m: ref.ref_tile_nonzero_counts(m, tile, tile), False,
         lambda ms: K.tile_nonzero_counts_batch(ms, tile, tile)),
        ("fold_lane_stats n", lambda m: K.fold_lane_stats(m, tile, tile, "n")[:2],
         lambda m: ref.ref_fold_lane_stats(m, tile, tile, "n")[:2], False, None),
        ("fold_lane_stats k", lambda m: K.fold_lane_stats(m, tile, tile, "k")[:2],
         lambda m: ref.ref_fold_lane_stats(m, tile, tile, "k")[:2], False, None),
        ("first_nm_violation 2:4", lambda m: K.first_nm_violation(m, 2, 4),
         lambda m: ref.ref_first_nm_violation(m, 2, 4), True, None),
        ("compressed_sizes", lambda m: {f: tuple(v) for f, v in K.compressed_sizes(m, 8, run_bits=4).items()},
         lambda m: ref.ref_compressed_sizes(m, 8, 4), False, None),
    ]

    def same(a, b) -> bool:
        if isinstance(a, tuple):
            return all(np.array_equal(x, y) for x, y in zip(a, b))
        if isinstance(a, np.ndarray):
            return np.array_equal(a, b)
        return a == b

    print(f"\n{'kernel':<24}{'masks':<12}{'numba ms':>10}{'numpy ms':>10}{'speed-up':>10}{'GB/s':>8}{'of BW':>8}"
          f"{'BW bound':>10}")
    for name, fast, slow, nm, batch in cases:
        sets = [("2048x4608", [big_nm if nm else big], None), ("ResNet-50", r50_nm if nm else r50, batch)]
        if batch is not None:
            sets.append(("R50 loop", r50, None))
        for label, ms, many in sets:
            want = [slow(m) for m in ms]  # same answers
            got = many(ms) if many is not None else [fast(m) for m in ms]
            assert all(same(a, b) for a, b in zip(got, want)), (name, label)
            run = (lambda: many(ms)) if many is not None else (lambda: [fast(m) for m in ms])
            t_fast = best_time(run, repeat)
            t_slow = best_time(lambda: [slow(m) for m in ms], max(1, repeat // 2))
            nbytes = sum(m.nbytes for m in ms)
            gbs = nbytes / t_fast / 1e9
            bound = t_slow / (nbytes / read_bw)
            print(f"{name:<24}{label:<12}{t_fast * 1e3:>10.2f}{t_slow * 1e3:>10.2f}{t_slow / t_fast:>9.1f}x"
                  f"{gbs:>8.1f}{gbs * 1e9 / bw:>8.0%}{bound:>9.1f}x")

if __name__ == "__main__":
    main()
