"""Run ZigZag (PyPI ``zigzag-dse``, KU Leuven's mapping-search cost model) on a few layers of a small
systolic-like architecture described to it as cosim describes ``scalesim-32x32-ws``, and store what it
reports — DRAM accesses per operand, energy per memory level and operand, latency, the mapping it
chose — as test data under tests/data/peers/zigzag/ (tests/test_peer_zigzag.py reads it; CI needs no
ZigZag). Not run in CI.

ZigZag lives in its own virtual environment (it pins its own numpy and onnx):

    python3 -m venv /tmp/zz && /tmp/zz/bin/pip install zigzag-dse six
    /tmp/zz/bin/python scripts/peer_zigzag.py            # writes tests/data/peers/zigzag/*.json

The architecture (the same in ZigZag's terms as cosim's preset accelerators/scalesim-32x32-ws.yaml):

* 32 × 32 int8 MACs, weight stationary (TPU-like spatial mapping: output channels K over D1, input
  channels C over D2), 0.25 pJ per MAC;
* per PE a 1-byte weight register and a 4-byte partial-sum register at cosim's ``register:access``;
* three 64 KiB SRAMs (ifmap, filter, ofmap), each 32 bytes wide, at cosim's SRAM read/write energy per
  byte × 32 per access;
* LPDDR4 DRAM, 10 bytes per cycle (10 GB/s at 1 GHz), 8 pJ/bit (80-bit accesses: 640 pJ each).

The energies are cosim's table for that preset (horowitz45 at 45 nm: cosim/hw/energy_tables.py, which
cites Horowitz ISSCC 2014 for MACs and SRAM and Accelergy's DRAM figures); ``--print-table`` shows the
values cosim computes so they can be checked against the constants below.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import yaml

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "peers" / "zigzag"

# cosim's horowitz45 table for scalesim-32x32-ws (45 nm), pJ
MAC_PJ = 0.25  # mac:int8
REGISTER_PJ = 0.08955334368982655  # register:access (4-byte PE register file)
SRAM_PJ_PER_BYTE = 3.4493241536530372  # sram_{ifmap,filter,ofmap}:{read,write}_byte, 64 KiB
DRAM_PJ_PER_BIT = 8.0  # dram:read_bit / dram:write_bit, LPDDR4
SRAM_WIDTH_BITS = 256  # 32 bytes per access
DRAM_WIDTH_BITS = 80  # 10 bytes per cycle

# Layers: (name, operator, loop sizes, stride, padding). ResNet-50's res2a_branch2b (3×3, 64 → 64,
# 56×56, pad 1) and res3a_branch2a (1×1, 256 → 128, 56×56 in, stride 1 as in torchvision's v1.5 for the
# first 1×1 of a stage), and its final fully connected layer (2048 → 1000, batch 1).
LAYERS = [
    {"name": "res2a_branch2b", "op": "Conv", "K": 64, "C": 64, "OY": 56, "OX": 56, "FY": 3, "FX": 3,
     "stride": 1, "pad": 1},
    {"name": "res3a_branch2a", "op": "Conv", "K": 128, "C": 256, "OY": 56, "OX": 56, "FY": 1, "FX": 1,
     "stride": 1, "pad": 0},
    {"name": "fc1000", "op": "Gemm", "K": 1000, "C": 2048, "B": 1},
]


def _memory(size_bytes: int, operands: list[str], width_bits: int, cost_pj: float, served: list[str],
            rw: bool = False) -> dict:
    alloc_r = [f"{o}, tl" for o in operands] + (["O, th"] if "O" in operands else [])
    alloc_w = [f"{o}, fh" for o in operands] + (["O, fl"] if "O" in operands else [])
    if rw:
        ports = [{"name": "rw_port_1", "type": "read_write", "bandwidth_min": width_bits,
                  "bandwidth_max": width_bits, "allocation": alloc_r + alloc_w}]
    else:
        ports = [{"name": "r_port_1", "type": "read", "bandwidth_min": width_bits, "bandwidth_max": width_bits,
                  "allocation": alloc_r},
                 {"name": "w_port_1", "type": "write", "bandwidth_min": width_bits, "bandwidth_max": width_bits,
                  "allocation": alloc_w}]
    return {"size": size_bytes * 8, "r_cost": cost_pj, "w_cost": cost_pj, "area": 0, "latency": 1,
            "operands": operands, "ports": ports, "served_dimensions": served}


def accelerator() -> dict:
    sram = SRAM_PJ_PER_BYTE * SRAM_WIDTH_BITS / 8
    return {
        "name": "cosim_scalesim_32x32_ws",
        "memories": {
            "reg_w": _memory(1, ["I2"], 8, REGISTER_PJ, []),
            "reg_o": _memory(4, ["O"], 32, REGISTER_PJ, []),
            "sram_filter": _memory(64 * 1024, ["I2"], SRAM_WIDTH_BITS, sram, ["D1", "D2"]),
            "sram_ifmap": _memory(64 * 1024, ["I1"], SRAM_WIDTH_BITS, sram, ["D1", "D2"]),
            "sram_ofmap": _memory(64 * 1024, ["O"], SRAM_WIDTH_BITS, sram, ["D1", "D2"]),
            "dram": _memory(10**10, ["I1", "I2", "O"], DRAM_WIDTH_BITS, DRAM_PJ_PER_BIT * DRAM_WIDTH_BITS,
                            ["D1", "D2"], rw=True),
        },
        "operational_array": {"unit_energy": MAC_PJ, "unit_area": 1, "dimensions": ["D1", "D2"],
                               "sizes": [32, 32]},
    }


def workload() -> list[dict]:
    out = []
    for i, l in enumerate(LAYERS):
        prec = {"W": 8, "I": 8, "O": 32, "O_final": 8}
        if l["op"] == "Gemm":
            out.append({"id": i, "name": l["name"], "operator_type": "Gemm",
                        "equation": "O[b][k]+=W[k][c]*I[b][c]", "loop_dims": ["B", "K", "C"],
                        "loop_sizes": [l["B"], l["K"], l["C"]], "operand_precision": prec,
                        "operand_source": {"I": i}})
            continue
        s, p = l["stride"], l["pad"]
        iy = (l["OY"] - 1) * s + l["FY"]
        out.append({"id": i, "name": l["name"], "operator_type": "Conv",
                    "equation": "O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]",
                    "dimension_relations": [f"ix={s}*ox+1*fx", f"iy={s}*oy+1*fy"],
                    "loop_dims": ["B", "K", "C", "OY", "OX", "FY", "FX"],
                    "loop_sizes": [1, l["K"], l["C"], l["OY"], l["OX"], l["FY"], l["FX"]],
                    "operand_precision": prec, "operand_source": {"I": i},
                    "pr_loop_dims": ["IX", "IY"], "pr_loop_sizes": [iy, iy], "padding": [[p, p], [p, p]]})
    return out


def mapping() -> list[dict]:
    return [{"name": "default", "spatial_mapping": {"D1": ["K, 32"], "D2": ["C, 32"]},
             "memory_operand_links": {"O": "O", "W": "I2", "I": "I1"}}]


def _directions(acc) -> dict[str, float]:
    return {str(k): float(v) for k, v in acc.data.items()}


def summarise(cme, layer: dict) -> dict:
    """What the data file keeps of one ZigZag cost-model evaluation."""
    from zigzag.hardware.architecture.memory_port import DataDirection

    ops = {}
    for layer_op, levels in cme.memory_word_access.items():
        mem_op = cme.memory_operand_links.layer_to_mem_op(layer_op)
        mem_levels = cme.accelerator.memory_hierarchy.get_memory_levels(mem_op=mem_op)
        names = [m.name for m in mem_levels]
        dram = levels[names.index("dram")]
        width = DRAM_WIDTH_BITS  # one access moves the port width
        reads = dram.get(DataDirection.RD_OUT_TO_LOW)
        writes = dram.get(DataDirection.WR_IN_BY_LOW)
        ops[str(layer_op)] = {
            "levels": names,
            "word_accesses": [_directions(a) for a in levels],
            "energy_pj_per_level": [float(e) for e in cme.mem_energy_breakdown[layer_op]],
            "dram_read_accesses": float(reads),
            "dram_write_accesses": float(writes),
            "dram_read_bytes": float(reads) * width / 8,
            "dram_write_bytes": float(writes) * width / 8,
        }
    return {
        "layer": layer,
        "macs": int(cme.layer.total_mac_count),
        "energy_total_pj": float(cme.energy_total),
        "mac_energy_pj": float(cme.mac_energy),
        "memory_energy_pj": float(cme.mem_energy),
        "latency_cycles": float(cme.latency_total2),
        "spatial_mapping": str(cme.mapping.spatial_mapping),
        "temporal_mapping": str(cme.temporal_mapping),
        "operands": ops,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--opt", default="energy", choices=["energy", "latency", "EDP"])
    ap.add_argument("--print-table", action="store_true", help="print cosim's energy table for the preset")
    args = ap.parse_args(argv)
    if args.print_table:
        from cosim.hw.energy_tables import table_for
        from cosim.hw.loader import load_accelerator

        for k, v in sorted(table_for(load_accelerator("scalesim-32x32-ws")).items()):
            print(k, v)
        return 0
    from importlib.metadata import version

    from zigzag.api import get_hardware_performance_zigzag

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="zigzag_") as tmp:
        t = Path(tmp)
        acc, wl, mp = t / "accelerator.yaml", t / "workload.yaml", t / "mapping.yaml"
        acc.write_text(yaml.safe_dump(accelerator(), sort_keys=False))
        wl.write_text(yaml.safe_dump(workload(), sort_keys=False))
        mp.write_text(yaml.safe_dump(mapping(), sort_keys=False))
        _, _, cmes = get_hardware_performance_zigzag(str(wl), str(acc), str(mp), opt=args.opt,
                                                     dump_folder=str(t / "out"), loma_show_progress_bar=False)
        layers = [summarise(cme, layer) for (cme, _), layer in zip(cmes[0][1], LAYERS)]
        (args.out / "architecture.yaml").write_text(acc.read_text())
        (args.out / "workload.yaml").write_text(wl.read_text())
        (args.out / "mapping.yaml").write_text(mp.read_text())
    result = {"tool": "zigzag-dse", "version": version("zigzag-dse"), "objective": args.opt,
              "temporal_mapping_search": "loma", "layers": layers}
    (args.out / "results.json").write_text(json.dumps(result, indent=1, sort_keys=False) + "\n")
    for l in layers:
        dram = {op: (round(v["dram_read_bytes"]), round(v["dram_write_bytes"])) for op, v in l["operands"].items()}
        print(f"{l['layer']['name']:16s} {l['energy_total_pj'] / 1e6:9.3f} uJ  {l['latency_cycles']:12.0f} cycles  "
              f"DRAM (read, write) bytes {dram}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
