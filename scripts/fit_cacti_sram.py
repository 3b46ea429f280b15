"""Run CACTI over SRAM scratchpads and fit cosim's SRAM area and energy closed form to it (not run in CI).

    python scripts/fit_cacti_sram.py --cacti DIR [--sweep] [--fit]

``DIR`` is a built CACTI 7 source tree (``make opt`` there; it reads ``tech_params/`` and
``cache.cfg`` from it). ``--sweep`` runs CACTI on every point of the grid below and writes
cosim/hw/data/cacti_sram.csv; ``--fit`` fits cosim/hw/data/cacti_sram_fit.yaml from that CSV
(cosim/hw/sram_fit.py holds the closed form and reads the coefficients back).

Each point is CACTI's own ``cache.cfg`` with: ``cache type "ram"`` (a scratchpad: no tag array),
direct mapped, ``block size`` = the word, ``output/input bus width`` = 8 × the word, the read-write
ports and ``UCA bank count`` of the point, ``technology`` the node, design objective
``0:100:0:0:100`` (dynamic energy and area weighted equally, delay and leakage free; deviate
100000 on all: take the best of that objective). Everything else (itrs-hp cells and periphery,
360 K, ``access mode normal``) is cache.cfg's. A point CACTI finds no organisation for is skipped.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import math
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CSV_PATH = ROOT / "cosim" / "hw" / "data" / "cacti_sram.csv"
FIT_PATH = ROOT / "cosim" / "hw" / "data" / "cacti_sram_fit.yaml"

NODES_NM = (45, 22, 90, 65, 32)  # the reference node first; CACTI 7 takes 22-90 nm ("Feature size must be <= 90 nm")
SIZES_BYTES = tuple(512 * 4 ** i for i in range(9))  # 0.5 KiB .. 32 MiB, log-spaced (×4)
WORDS_BYTES = (1, 8, 64)
BANKS = (1, 4, 16, 64)
PORTS = (1, 2)
FIELDS = ("node_nm", "size_bytes", "word_bytes", "banks", "ports", "area_mm2", "read_nj", "write_nj",
          "leakage_bank_mw", "area_efficiency_pct")

OVERRIDES = {
    "-size (bytes)": "{size}",
    "-block size (bytes)": "{word}",
    "-associativity": "1",
    "-read-write port": "{ports}",
    "-exclusive read port": "0",
    "-exclusive write port": "0",
    "-UCA bank count": "{banks}",
    "-technology (u)": "{tech_um}",
    "-output/input bus width": "{bus_bits}",
    "-cache type": '"ram"',
    "-design objective (weight delay, dynamic power, leakage power, cycle time, area)": "0:100:0:0:100",
    "-deviate (delay, dynamic power, leakage power, cycle time, area)": "100000:100000:100000:100000:100000",
}

PATTERNS = {
    "area_mm2": r"Data array: Area \(mm2\):\s*([0-9.eE+-]+)",
    "read_nj": r"Total dynamic read energy per access \(nJ\):\s*([0-9.eE+-]+)",
    "write_nj": r"Total dynamic write energy per access \(nJ\):\s*([0-9.eE+-]+)",
    "leakage_bank_mw": r"Total leakage power of a bank \(mW\):\s*([0-9.eE+-]+)",
    "area_efficiency_pct": r"Area efficiency \(Memory cell area/Total area\) -\s*([0-9.eE+-]+)",
}


def config(template: str, **point: float) -> str:
    """cache.cfg with the point's lines replaced (module docstring)."""
    out = []
    for line in template.splitlines():
        for key, value in OVERRIDES.items():
            if line.startswith(key + " ") or line.startswith(key + "\t"):
                line = f"{key} {value.format(**point)}"
        out.append(line)
    return "\n".join(out) + "\n"


def run_point(cacti: Path, template: str, node: int, size: int, word: int, banks: int, ports: int) -> dict | None:
    cfg = cacti / f"_cosim_{node}_{size}_{word}_{banks}_{ports}.cfg"
    cfg.write_text(config(template, size=size, word=word, ports=ports, banks=banks, tech_um=node / 1000.0,
                          bus_bits=8 * word))
    try:
        res = subprocess.run(["./cacti", "-infile", cfg.name], cwd=cacti, capture_output=True, text=True, timeout=600)
    finally:
        cfg.unlink()
    row: dict = {"node_nm": node, "size_bytes": size, "word_bytes": word, "banks": banks, "ports": ports}
    for field, pat in PATTERNS.items():
        m = re.search(pat, res.stdout)
        if m is None or res.returncode != 0:
            return None
        row[field] = float(m.group(1))
    if not all(row[f] > 0 and row[f] != float("inf") for f in PATTERNS):
        return None
    return row


def sweep(cacti: Path, nodes: tuple[int, ...] = NODES_NM) -> None:
    """Run the grid, appending each point to the CSV as it comes (a rerun keeps the points already
    there and runs the rest)."""
    template = (cacti / "cache.cfg").read_text()
    done = set()
    if CSV_PATH.exists():
        done = {tuple(int(float(r[k])) for k in FIELDS[:5]) for r in _read_rows(CSV_PATH)}
    else:
        CSV_PATH.write_text(",".join(FIELDS) + "\n")
    skipped = 0
    for node, size, word, banks, ports in itertools.product(nodes, SIZES_BYTES, WORDS_BYTES, BANKS, PORTS):
        if size // banks < 64 * word or (node, size, word, banks, ports) in done:
            continue  # fewer than 64 words a bank: not a macro CACTI organises
        row = run_point(cacti, template, node, size, word, banks, ports)
        if row is None:
            skipped += 1
            continue
        with CSV_PATH.open("a") as f:
            f.write(",".join(f"{row[k]:.6g}" if isinstance(row[k], float) else str(row[k]) for k in FIELDS) + "\n")
        print(row, file=sys.stderr, flush=True)
    print(f"{CSV_PATH}: done, {skipped} points without an organisation", file=sys.stderr)


def _read_rows(path: Path) -> list[dict]:
    with path.open() as f:
        return [{k: float(v) for k, v in r.items()} for r in csv.DictReader(f)]



def fit_area(rows: list[dict]) -> dict:
    """One node's area coefficients (cosim/hw/sram_fit.py's form): non-negative least squares on the
    relative error over the one-port points, then the two-port ratio as the geometric mean of the
    matched pairs' area ratios."""
    import numpy as np
    from scipy.optimize import nnls

    one = [r for r in rows if r["ports"] == 1]
    cols = np.array([term_row(r["size_bytes"] * 8, r["banks"], r["word_bytes"] * 8) for r in one])
    y = np.array([r["area_mm2"] * 1e6 for r in one])
    coef, _ = nnls(cols / y[:, None], np.ones_like(y))
    key = lambda r: (r["size_bytes"], r["word_bytes"], r["banks"])  # noqa: E731
    by_key = {key(r): r["area_mm2"] for r in one}
    ratios = [r["area_mm2"] / by_key[key(r)] for r in rows if r["ports"] == 2 and key(r) in by_key]
    rho = float(np.exp(np.mean(np.log(ratios)))) if ratios else 1.0
    return {"cell_um2_per_bit": float(coef[0]), "edge_um2_per_sqrt_bit": float(coef[1]),
            "bank_um2": float(coef[2]), "bank_um2_per_access_bit": float(coef[3]),
            "bank_um2_per_access_bit_sq": float(coef[4]),
            "two_port_ratio": max(rho, 1.0)}


def fit_energy(rows: list[dict]) -> dict:
    """One node's read and write energy per access: a power law in the bank's bits, the access width
    and the bank count (CACTI's H-tree over the banks), × a factor for the second port; least
    squares in log space."""
    import numpy as np

    x = np.array([[1.0, math.log(r["size_bytes"] * 8 / r["banks"]), math.log(r["word_bytes"] * 8),
                   1.0 if r["ports"] == 2 else 0.0, math.log(r["banks"])] for r in rows])
    out = {}
    for field in ("read_nj", "write_nj"):
        y = np.log([r[field] * 1000.0 for r in rows])
        c, *_ = np.linalg.lstsq(x, y, rcond=None)
        name = field.split("_")[0]
        out[f"{name}_pj_at_one_bit"] = float(math.exp(c[0]))
        out[f"{name}_exponent_bank_bits"] = float(c[1])
        out[f"{name}_exponent_access_bits"] = float(c[2])
        out[f"{name}_two_port_factor"] = float(math.exp(c[3]))
        out[f"{name}_exponent_banks"] = float(c[4])
    return out


def fit_and_write(csv_path: Path, fit_path: Path) -> None:
    import yaml

    sys.path.insert(0, str(ROOT))
    from cosim.hw import sram_fit

    rows = _read_rows(csv_path)
    nodes = {}
    for node in sorted({int(r["node_nm"]) for r in rows}):
        sub = [r for r in rows if int(r["node_nm"]) == node]
        coef = fit_area(sub)
        coef.update(fit_energy(sub))
        nodes[node] = coef
    doc = {"source": "CACTI 7.0 (hwcomponents-cacti 1.0.40 sources), cosim/hw/data/cacti_sram.csv; "
                     "scripts/fit_cacti_sram.py --fit", "nodes_nm": nodes}
    fit_path.write_text(yaml.safe_dump(doc, sort_keys=False))
    sram_fit.load_fit.cache_clear()
    for node, coef in nodes.items():
        sub = [r for r in rows if int(r["node_nm"]) == node]
        err = [sram_fit.macro_um2(r["size_bytes"] * 8, int(r["banks"]), int(r["word_bytes"] * 8), int(r["ports"]), node)
               / (r["area_mm2"] * 1e6) - 1.0 for r in sub]
        rd = [sram_fit.read_pj(r["size_bytes"] * 8, int(r["banks"]), int(r["word_bytes"] * 8), int(r["ports"]), node)
              / (r["read_nj"] * 1000.0) - 1.0 for r in sub]
        coef["area_max_rel_err"] = round(max(abs(e) for e in err) + 5e-4, 3)
        coef["area_rms_rel_err"] = round(math.sqrt(sum(e * e for e in err) / len(err)) + 5e-4, 3)
        coef["read_max_rel_err"] = round(max(abs(e) for e in rd) + 5e-4, 3)
        coef["read_rms_rel_err"] = round(math.sqrt(sum(e * e for e in rd) / len(rd)) + 5e-4, 3)
        coef["points"] = len(sub)
    fit_path.write_text(yaml.safe_dump(doc, sort_keys=False))
    print(yaml.safe_dump(doc, sort_keys=False))


def term_row(bits: float, banks: float, access_bits: float) -> list[float]:
    from cosim.hw.sram_fit import area_terms

    return list(area_terms(bits, banks, access_bits))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cacti", type=Path, help="built CACTI source tree")
    ap.add_argument("--sweep", action="store_true")
    ap.add_argument("--fit", action="store_true")
    ap.add_argument("--nodes", type=int, nargs="+", default=list(NODES_NM), help="CACTI nodes to sweep, nm")
    args = ap.parse_args()
    if args.sweep:
        if args.cacti is None or not (args.cacti / "cacti").is_file():
            sys.exit("--sweep needs --cacti DIR holding a built cacti binary; build it with `make opt` there")
        sweep(args.cacti, tuple(args.nodes))
    if args.fit:
        fit_and_write(CSV_PATH, FIT_PATH)


if __name__ == "__main__":
    main()
