"""Generators of bad inputs for every input kind, shared by tests/test_fuzz_inputs.py and
scripts/fuzz_inputs.py. Each case is (files: name -> bytes, argv); every mutation is chosen so that
the result is invalid whatever field it hits (non-finite, out-of-range, non-UTF-8, over-deep, ...)."""

from __future__ import annotations

import io
import random
import re
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = [".inf", "-.inf", ".nan", "1.0e+300", "1.0e-300", "17592186044416000", "1152921504606846976",
           "'" + "A" * 5000 + "'", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]"
           "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"]
LAUGHS = ("lol: &a ['x','x','x','x','x','x','x','x','x']\n" + "".join(
    f"l{i}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)))
NUMBER = re.compile(r"(?<=[:\[,] )-?\d+(\.\d+)?(?=[\s,\]}])")
FLAGS = [["simulate", "-a", "edge-16x16", "-w", "lenet5", "-b", v] for v in ("0", "-1", "17592186044416", "x", "1e3")]
FLAGS += [["sweep", "systolic-grid", "--seed", v, "--out", "OUT"] for v in ("-1", "99999999999", "nan")]
FLAGS += [["sweep", "systolic-grid", "--points", "0", "--out", "OUT"], ["sweep", "systolic-grid", "--workers", "0"],
          ["simulate", "-a", "edge-16x16", "-w", "lenet5", "--max-rows", "-5"],
          ["prune", "-w", "lenet5", "--initial-sparsity", "nan", "--out", "OUT/p.npz"],
          ["prune", "-w", "lenet5", "--tolerance", "inf", "--out", "OUT/p.npz"],
          ["simulate", "--no-such-flag"], ["sweep", "systolic-grid", "--chunk-size", "-1", "--out", "OUT"]]


def _mutate_text(text: str, rng: random.Random) -> bytes:
    how = rng.choice(["number", "number", "number", "utf8", "laughs", "nul", "deep"])
    if how == "number":
        spots = [m for m in NUMBER.finditer(text)
                 if not re.search(r"(#|description:|^\s*- ?\w+:.*#)", text[text.rfind("\n", 0, m.start()) + 1:m.start()])]
        if spots:
            m = rng.choice(spots)
            return (text[:m.start()] + rng.choice(HOSTILE) + text[m.end():]).encode()
        how = "utf8"
    raw = text.encode()
    if how == "utf8":
        i = rng.randrange(len(raw))
        return raw[:i] + bytes([rng.choice([0xff, 0xfe, 0xc3, 0x80])]) + raw[i:]
    if how == "nul":
        i = rng.randrange(len(raw))
        return raw[:i] + b"\x00" + raw[i:]
    if how == "deep":
        return ("a: " + "[" * 500 + "]" * 500 + "\n").encode() + raw
    return (LAUGHS + text).encode()


def _seed_text(rel: str) -> str:
    return (ROOT / rel).read_text()


def _npz(doc_text: str | None, extra: dict | None = None) -> bytes:
    buf = io.BytesIO()
    arrays = {} if doc_text is None else {"graph.json": np.array(doc_text)}
    arrays.update(extra or {})
    np.savez(buf, **arrays)
    return buf.getvalue()


def _lying_npz() -> bytes:
    """A member whose .npy header declares 10^12 floats but holds none."""
    buf = io.BytesIO()
    hdr = io.BytesIO()
    np.lib.format.write_array_header_1_0(hdr, {"descr": "<f4", "fortran_order": False, "shape": (10**12,)})
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("graph.json.npy", b"\x93NUMPY\x01\x00" + hdr.getvalue()[8:])
    return buf.getvalue()


def case(kind: str, rng: random.Random, pruned_seed: bytes | None = None) -> tuple[dict[str, bytes], list[str]]:
    """One bad-input case of ``kind``: files to write into the case folder and the cosim argv."""
    if kind == "accelerator":
        src = rng.choice(["accelerators/edge-16x16.yaml", "accelerators/scalesim-32x32-ws.yaml",
                          "accelerators/edge-nm.yaml", "accelerators/a100.yaml"])
        return {"acc.yaml": _mutate_text(_seed_text(src), rng)}, ["simulate", "-a", "acc.yaml", "-w", "lenet5", "-q"]
    if kind == "workload":
        src = rng.choice(["workloads/lenet5.yaml", "workloads/tiny_transformer.yaml", "workloads/ds_cnn_kws.yaml"])
        text = _seed_text(src)
        if rng.random() < 0.3:
            expr = rng.choice(["9**9**9", "batch*" + "(" * 300 + "1" + ")" * 300, "1/0", "__import__('os')",
                               "10**400", "batch ** 70", "-(2**60)"])
            changed = re.sub(r"out: \d+", f"out: \"{expr}\"", text, count=1)
            data = changed.encode() if changed != text else _mutate_text(text, rng)
        else:
            data = _mutate_text(text, rng)
        return {"w.yaml": data}, ["simulate", "-a", "edge-16x16", "-w", "w.yaml", "-q"]
    if kind == "space":
        src = rng.choice(["workloads/spaces/systolic-grid.yaml", "workloads/spaces/fpga-dpu.yaml"])
        text = _seed_text(src)
        if rng.random() < 0.3:
            changed = re.sub(r"num: \d+", rng.choice(["num: 1000000000", "num: .inf", "num: -3"]), text, count=1)
            changed = re.sub(r"step: \d+", rng.choice(["step: 1.0e-9", "step: .nan", "step: -1"]), changed, count=1)
            if changed == text:
                changed = re.sub(r"^seed: \d+", rng.choice(["seed: -1", "seed: 1.0e+300", "seed: .inf"]), text,
                                 count=1, flags=re.M)
            data = changed.encode() if changed != text else _mutate_text(text, rng)
        else:
            data = _mutate_text(text, rng)
        return {"s.yaml": data}, ["sweep", "s.yaml", "--out", "OUT", "--executor", "serial", "-n", "1"]
    if kind == "csv":
        src = rng.choice(["tests/data/workloads/gemm6.csv", "tests/data/workloads/Resnet50_v3clean.csv"])
        text = _seed_text(src)
        width = 4 if "gemm" in src else 8  # columns the form reads; later ones are ignored by design
        cells = [m for m in re.finditer(r"(?<=[,\n])\s*\d+(?=\s*,|\s*\n)", text)
                 if 0 < text[text.rfind("\n", 0, m.start()) + 1:m.start()].count(",") < width]
        how = rng.choice(["cell", "cell", "utf8"])
        if how == "cell" and cells:
            m = rng.choice(cells)
            data = (text[:m.start()] + rng.choice(["inf", "nan", "-1", "0", "1e300", "17592186044416000", "x" * 300])
                    + text[m.end():]).encode()
        else:
            raw = text.encode()
            i = rng.randrange(len(raw))
            data = raw[:i] + b"\xff" + raw[i:]
        return {"t.csv": data}, ["simulate", "-a", "edge-16x16", "-w", "t.csv", "-q"]
    if kind == "onnx":
        n = rng.randrange(1, 4096)
        data = bytes(rng.randrange(256) for _ in range(n))
        return {"m.onnx": data}, ["simulate", "-a", "edge-16x16", "-w", "m.onnx", "-q"]
    if kind == "npz":
        how = rng.choice(["empty", "garbage", "lying", "json", "json", "nograph"])
        if how == "empty":
            data = b""
        elif how == "garbage":
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 2048)))
        elif how == "lying":
            data = _lying_npz()
        elif how == "nograph":
            data = _npz(None, {"x": np.zeros(3)})
        else:
            doc = rng.choice(['{"format": 1', '[' * 200 + ']' * 200, '"str"', '{"format": "cosim-pruned", "layers": 5}',
                              '{"format": "cosim-pruned", "format_version": 1, "layers": [{"name": "a"}]}',
                              '{"format": "cosim-pruned", "format_version": 1, "layers": [[1, 2]]}', "\udcff"[:0] + "nan"])
            data = _npz(doc)
        return {"p.npz": data}, ["simulate", "-a", "edge-16x16", "--pruned", "p.npz", "-q"]
    argv = list(rng.choice(FLAGS))
    return {}, argv


KINDS = ("accelerator", "workload", "space", "csv", "onnx", "npz", "flags")
