"""Validate cosim's systolic model (timing: scalesim) against SCALE-Sim 3.0.0, layer by layer.

For every reference case of tests/data/scalesim/cases.yaml (array, dataflow, SRAM sizes, CALC or USER
bandwidth mode, topology) it prints cosim vs SCALE-Sim per layer: compute cycles, stall cycles, SRAM
reads/writes and DRAM reads/writes, with relative errors, and a summary of the worst errors.

SCALE-Sim itself is re-run when its virtual environment exists (``--scalesim-python``, default
/tmp/ss/bin/python; cases marked ``rerun: false`` are too expensive and always use the stored reports);
otherwise, or with ``--stored``, the reports stored under tests/data/scalesim/cases/ are used.
SCALE-Sim is never imported here: it runs as a child process from a scratch folder that holds the
``layouts/conv_nets/test.csv`` file its config parser expects, through its Python API with
``save_disk_space=True`` so that no per-cycle traces are written, one case at a time.

    python scripts/validate_scalesim.py                    # compare (re-running SCALE-Sim if installed)
    python scripts/validate_scalesim.py --stored --cases user_16x16_os_bw4_gemm_user
    python scripts/validate_scalesim.py --regenerate --cases NAME ...   # refresh stored reports
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "scalesim"
REPORTS = ("COMPUTE_REPORT.csv", "DETAILED_ACCESS_REPORT.csv", "BANDWIDTH_REPORT.csv")
DEFAULT_PYTHON = "/tmp/ss/bin/python"

_CHILD = """
import sys
from scalesim.scale_sim import scalesim
cfg, topo, layout, out, gemm = sys.argv[1:6]
sim = scalesim(save_disk_space=True, verbose=False, config=cfg, topology=topo, layout=layout,
               input_type_gemm=gemm == '1')
sim.run_scale(top_path=out)
"""

# A layout CSV SCALE-Sim reads even with custom layouts off (any valid one will do).
_LAYOUT = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
           "L0, 7, 7, 3, 3, 8, 8, 1,\n")


def load_cases() -> list[dict]:
    return yaml.safe_load((DATA / "cases.yaml").read_text())["cases"]


def config_text(case: dict) -> str:
    """SCALE-Sim config for one case. USER mode reads the ifmap/filter DRAM bandwidth from the
    [layout] *SRAMBankBandwidth fields and the ofmap one from Bandwidth: all three are set equal."""
    bw = int(case["bandwidth_words_per_cycle"])
    i_kb, f_kb, o_kb = case["sram_kib"]
    return f"""[general]
run_name = {case['name']}

[architecture_presets]
ArrayHeight:    {case['rows']}
ArrayWidth:     {case['cols']}
IfmapSramSzkB:   {i_kb}
FilterSramSzkB:  {f_kb}
OfmapSramSzkB:   {o_kb}
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Bandwidth : {bw}
Dataflow : {case['dataflow']}
MemoryBanks:   1
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: {bw}
IfmapSRAMBankNum: 1
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: {bw}
FilterSRAMBankNum: 1
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport : false
SparseRep : ellpack_block
OptimizedMapping : false
BlockSize : 8
RandomNumberGeneratorSeed : 40

[run_presets]
InterfaceBandwidth: {case['mode']}
UseRamulatorTrace: False
"""


def run_case(case: dict, python: str, dest: Path) -> float:
    """Run one case; copy its scale.cfg and the three reports into ``dest``. Returns seconds taken."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="scalesim_run_") as tmp:
        work = Path(tmp)
        (work / "layouts" / "conv_nets").mkdir(parents=True)
        (work / "layouts" / "conv_nets" / "test.csv").write_text(_LAYOUT)
        cfg = work / "scale.cfg"
        cfg.write_text(config_text(case))
        topo = work / case["topology"]
        shutil.copy(DATA / "topologies" / case["topology"], topo)
        t0 = time.perf_counter()
        layout = work / "layouts" / "conv_nets" / "test.csv"
        proc = subprocess.run([python, "-c", _CHILD, str(cfg), str(topo), str(layout), str(work / "out"),
                               "1" if case["gemm"] else "0"], cwd=work, capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"SCALE-Sim failed on case {case['name']}:\n{proc.stderr[-2000:]}")
        out = work / "out" / case["name"]
        for name in REPORTS:
            shutil.copy(out / name, dest / name)
        shutil.copy(cfg, dest / "scale.cfg")
    return seconds


# ---- cosim side ------------------------------------------------------------------------------------

def scalesim_layers(topology: Path, gemm: bool) -> list:
    """cosim layers with SCALE-Sim 3.0.0's GEMM dimensions. GEMM rows (M, N, K) become linear layers of
    M tokens; conv rows become convolutions whose output size is SCALE-Sim's ⌈(H − R + S) / S⌉
    (topology_utils.py), obtained with the smallest padding that gives it."""
    from cosim.graph import Layer

    layers = []
    for line in topology.read_text().splitlines()[1:]:
        cells = [c.strip() for c in line.split(",")]
        cells = [c for c in cells if c]
        if not cells:
            continue
        name = cells[0]
        if gemm:
            m, n, k = (int(x) for x in cells[1:4])
            layers.append(Layer.linear(name, k, n, tokens=m))
            continue
        h, w, r, s_, c, nf, stride = (int(x) for x in cells[1:8])
        pads = []
        for size, ker in ((h, r), (w, s_)):
            rem = (size - ker) % stride
            pads.append(0 if rem == 0 else -(-(stride - rem) // 2))
        layers.append(Layer(name=name, op="conv2d", in_channels=c, out_channels=nf, in_h=h, in_w=w, kernel_h=r,
                            kernel_w=s_, stride_h=stride, stride_w=stride, pad_h=pads[0], pad_w=pads[1]))
    return layers


def case_spec(case: dict):
    """The SystolicSpec (timing: scalesim) of a case; CALC mode = unlimited DRAM bandwidth, USER mode =
    bandwidth words/cycle at 1 GHz with 1-byte words."""
    from cosim.hw.spec import DramSpec, PEArraySpec, SramHierarchy, SramSpec, SystolicSpec

    i_kb, f_kb, o_kb = case["sram_kib"]
    bw = float(case["bandwidth_words_per_cycle"]) if case["mode"] == "USER" else 1e9
    return SystolicSpec(
        name=case["name"], pe_array=PEArraySpec(rows=case["rows"], cols=case["cols"], dataflow=case["dataflow"]),
        sram=SramHierarchy(SramSpec(i_kb), SramSpec(f_kb), SramSpec(o_kb)),
        dram=DramSpec(technology="ddr4", bandwidth_gb_per_s=bw), clock_mhz=1000.0, timing="scalesim")


# Compared quantities: (label, SCALE-Sim report column, cosim LayerPerf accessor).
METRICS = (
    ("compute_cycles", "compute", lambda p: p.compute_cycles),
    ("stall_cycles", "stall", lambda p: p.stall_cycles),
    ("sram_ifmap_reads", "SRAM IFMAP Reads", lambda p: p.details.sram_ifmap_reads),
    ("sram_filter_reads", "SRAM Filter Reads", lambda p: p.details.sram_filter_reads),
    ("sram_ofmap_writes", "SRAM OFMAP Writes", lambda p: p.details.sram_ofmap_writes),
    ("dram_ifmap_reads", "DRAM IFMAP Reads", lambda p: p.details.dram_ifmap_reads),
    ("dram_filter_reads", "DRAM Filter Reads", lambda p: p.details.dram_filter_reads),
    ("dram_ofmap_writes", "DRAM OFMAP Writes", lambda p: p.details.dram_ofmap_writes),
)


def read_reports(folder: Path) -> list[dict[str, float]]:
    """Per layer: compute (= Total Cycles − Stall Cycles), stall and the detailed access counts."""
    def table(name):
        lines = [l for l in (folder / name).read_text().splitlines() if l.strip()]
        head = [h.strip() for h in lines[0].split(",")]
        return [dict(zip(head, (float(x) for x in l.split(",") if x.strip()))) for l in lines[1:]]

    out = []
    for comp, det in zip(table("COMPUTE_REPORT.csv"), table("DETAILED_ACCESS_REPORT.csv")):
        row = {"compute": comp["Total Cycles"] - comp["Stall Cycles"], "stall": comp["Stall Cycles"]}
        row.update({k: v for k, v in det.items() if k.endswith(("Reads", "Writes"))})
        out.append(row)
    return out


def rel_error(ours: float, ref: float) -> float:
    return (ours - ref) / ref if ref else (0.0 if ours == ref else float("inf"))


def compare_case(case: dict, report_dir: Path) -> list[dict]:
    """One row per layer and metric: cosim value, SCALE-Sim value, relative error."""
    from cosim.simulate import simulate_layer

    spec = case_spec(case)
    layers = scalesim_layers(DATA / "topologies" / case["topology"], case["gemm"])
    refs = read_reports(report_dir)
    if len(refs) != len(layers):
        raise RuntimeError(f"case {case['name']}: {len(layers)} layers in the topology, {len(refs)} in the reports")
    rows = []
    for layer, ref in zip(layers, refs):
        perf = simulate_layer(layer, spec)
        for label, column, get in METRICS:
            ours, theirs = float(get(perf)), float(ref[column])
            rows.append({"case": case["name"], "layer": layer.name, "metric": label, "cosim": ours,
                         "scalesim": theirs, "error": rel_error(ours, theirs)})
    return rows


def print_case(rows: list[dict], verbose: bool) -> None:
    if verbose:
        print(f"{'layer':24s} {'metric':18s} {'cosim':>12s} {'scalesim':>12s} {'error':>8s}")
        for r in rows:
            print(f"{r['layer'][:24]:24s} {r['metric']:18s} {r['cosim']:12.0f} {r['scalesim']:12.0f} "
                  f"{100 * r['error']:7.2f}%")
    worst: dict[str, float] = {}
    for r in rows:
        worst[r["metric"]] = max(worst.get(r["metric"], 0.0), abs(r["error"]))
    print("  worst |error|: " + ", ".join(f"{m} {100 * e:.2f}%" for m, e in worst.items()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scalesim-python", default=DEFAULT_PYTHON, help="python of the SCALE-Sim venv")
    ap.add_argument("--cases", nargs="*", help="case names (default: all in cases.yaml)")
    ap.add_argument("--stored", action="store_true", help="compare with the stored reports, never re-run")
    ap.add_argument("--regenerate", action="store_true",
                    help="re-run SCALE-Sim and write its reports into tests/data/scalesim/cases/")
    ap.add_argument("--quiet", action="store_true", help="print only the per-case summary")
    args = ap.parse_args(argv)
    cases = load_cases()
    if args.cases:
        unknown = set(args.cases) - {c["name"] for c in cases}
        if unknown:
            print(f"error: unknown case(s) {', '.join(sorted(unknown))}; see tests/data/scalesim/cases.yaml")
            return 2
        cases = [c for c in cases if c["name"] in set(args.cases)]
    have_scalesim = Path(args.scalesim_python).exists()
    if (args.regenerate or not args.stored) and not have_scalesim:
        print(f"SCALE-Sim not found at '{args.scalesim_python}' (install: python3 -m venv /tmp/ss && "
              "/tmp/ss/bin/pip install scalesim numpy==2.3.5); comparing with the stored reports instead")
        if args.regenerate:
            return 2
    fresh_root = Path(tempfile.mkdtemp(prefix="scalesim_ref_"))
    for case in cases:
        rerun = have_scalesim and not args.stored and case.get("rerun", True)
        if rerun:
            dest = DATA / "cases" / case["name"] if args.regenerate else fresh_root / case["name"]
            seconds = run_case(case, args.scalesim_python, dest)
            source = f"SCALE-Sim re-run ({seconds:.1f} s)"
        else:
            dest, source = DATA / "cases" / case["name"], "stored reports"
        print(f"== {case['name']}: {case['rows']}x{case['cols']} {case['dataflow']} {case['mode']} "
              f"sram {case['sram_kib']} KiB, {case['topology']} — {source}")
        print_case(compare_case(case, dest), verbose=not args.quiet)
    shutil.rmtree(fresh_root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
