"""Energy tables: the price in pJ of every action a datapath model counts, for one accelerator spec.

``table_for(spec)`` returns ``{action: pJ per action}`` for the action names of cosim/perf.py. It is
built from a table file, scaled to the spec's technology node, and completed from the spec:

1. the file named by ``spec.energy.table`` (``cosim/hw/data/<name>.yaml``, or a path to a YAML file);
2. its ``actions`` (and its ``sram`` / ``register`` curves) scaled from the file's ``technology_nm``
   to ``spec.energy.technology_nm`` by cosim/hw/scaling.py (DRAM is never scaled: its energy belongs
   to the DRAM part, not to the logic node);
3. ``mac_gated:<p>`` = ``mac_gated_fraction`` × ``mac:<p>`` for every MAC precision the file prices
   but whose gated energy it does not list;
4. ``sram_<buffer>:read_byte`` / ``write_byte`` for every buffer of ``spec.sram_buffers()``, priced by
   the size of ONE BANK (``size_kib / banks``): an access drives the word- and bit-lines of the bank it
   addresses only, which is why banking a buffer lowers its per-access energy in CACTI; a table whose
   ``sram`` says ``htree: true`` adds the wire from the port to that bank (cosim/hw/sram_wires.py),
   which grows with the buffer and its bank count;
5. ``register:access``: one ``pe_array.mac_bits``-wide word read or written in a PE's register file,
   priced per bit at the larger of the file's flip-flop floor and the SRAM curve at
   ``pe_array.register_bytes_per_pe`` (a bigger register file costs more per access); a datapath
   that moves wider words (32-bit partial sums) counts each as ``bits / mac_bits`` accesses;
6. ``dram:read_bit`` / ``dram:write_bit`` from ``spec.dram.energy_pj_per_bit``, or when that is 0 the
   figure for ``spec.dram.technology`` — one source per technology for every table
   (cosim/hw/data/dram.yaml), plus the file's ``dram_interface_pj_per_bit`` where its chip spends
   energy of its own per DRAM bit (the GPU's PHY, controller and L2 fills);
7. ``spec.energy.overrides_pj`` last: an override wins over everything above.

Table file format (every datapath's tables use it: ASIC, FPGA, GPU)::

    name: horowitz45                 # must equal the file name
    technology_nm: 45                # node the numbers were measured/derived at
    scalable: true                   # false: measured on a fixed device (FPGA, GPU); then the spec's
                                     #   energy.technology_nm must equal technology_nm
    sources: {key: "full citation", ...}
    actions:                         # action -> pJ per action at technology_nm, each with its source
      "mac:int8": {pj: 0.25, source: horowitz2014, note: "how it was derived"}
      "dsp:int8_mac": 0.5            # a bare number is accepted too (then cite it in a comment)
    mac_gated_fraction: {value: 0.032, source: ...}     # optional
    sram:                                               # optional: pJ per byte vs buffer size
      source: horowitz2014
      points_kib_pj_per_byte: [[8, 1.25], [32, 2.5], [1024, 12.5]]   # ascending sizes, >= 2 points
      write_factor: 1.0                                 # write energy / read energy
      htree: true                                       # optional: add the H-tree wire energy
    register: {pj_per_bit: 0.009, technology_nm: 40, source: aladdin2014}   # optional
    dram_pj_per_bit:                                    # optional: technology -> pJ per bit moved, over
      lpddr4: {pj: 8, source: accelergy}                #   the shared figures of cosim/hw/data/dram.yaml
    dram_interface_pj_per_bit: {pj: 13.4, source: ...}  # optional: the chip's own energy per DRAM bit
                                                        #   (PHY, controller), added to every technology

SRAM energy between the listed sizes is interpolated linearly in log(size)–log(energy) (a power law,
as CACTI's energy grows roughly with √capacity), and extrapolated with the end segments' slopes.

Tables are parsed once and ``table_for`` results are cached on a hashable key of the spec fields they
depend on (simulate() calls it once per layer); callers get a fresh dict each time.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import yaml

from cosim.errors import CosimError, require
from cosim.hw.area import sram_cells_um2
from cosim.hw.scaling import energy_scale_factor
from cosim.hw.sram_wires import htree_pj_per_byte

DATA_DIR = Path(__file__).resolve().parent / "data"

# MAC precisions the datapaths may emit as mac:<p> / mac_gated:<p>.
MAC_PRECISIONS = ("int1", "int2", "int4", "int8", "int16", "int32", "fp8", "fp16", "bf16", "fp32")


@dataclass(frozen=True)
class EnergyTable:
    """One parsed table file (energies at its own ``technology_nm``)."""

    name: str
    technology_nm: float
    scalable: bool
    actions: Mapping[str, float]
    mac_gated_fraction: float | None
    sram_points: tuple[tuple[float, float], ...]  # (size KiB, pJ per byte read), ascending
    sram_write_factor: float
    sram_htree: bool
    register_pj_per_bit: float | None  # at technology_nm
    dram_pj_per_bit: Mapping[str, float]
    path: str

    def sram_pj_per_byte(self, size_kib: float) -> float:
        """pJ per byte read from an SRAM (bank) of ``size_kib`` KiB at the table's node (power-law
        interpolation of ``sram.points_kib_pj_per_byte``)."""
        pts = self.sram_points
        require(len(pts) >= 2, f"energy table '{self.name}' has no sram curve; add sram.points_kib_pj_per_byte")
        require(size_kib > 0, f"SRAM size must be > 0 KiB, got {size_kib}")
        # Pick the segment holding size_kib, or the end segment for extrapolation.
        i = 0
        while i < len(pts) - 2 and size_kib > pts[i + 1][0]:
            i += 1
        (s0, e0), (s1, e1) = pts[i], pts[i + 1]
        slope = math.log(e1 / e0) / math.log(s1 / s0)
        return e0 * (size_kib / s0) ** slope


def available_tables() -> list[str]:
    """Names of the energy tables shipped in cosim/hw/data/ (YAML files with a top-level ``actions:``;
    the folder also holds other data, such as calibration results)."""
    return sorted(p.stem for p in DATA_DIR.glob("*.yaml") if re.search(r"^actions:", p.read_text(), re.M))


def _number(value: Any, where: str) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
    if not ok:
        raise CosimError(f"{where} must be a number >= 0, got {value!r}")
    return float(value)


def _priced(entry: Any, where: str, key: str = "pj") -> float:
    """A bare number, or a mapping {pj: number, source: ..., note: ...}."""
    if isinstance(entry, Mapping):
        require(key in entry, f"{where} needs a '{key}' value")
        return _number(entry[key], f"{where}.{key}")
    return _number(entry, where)


def _resolve_path(name: str) -> Path:
    if name.endswith((".yaml", ".yml")) or "/" in name:
        path = Path(name)
        require(path.is_file(), f"energy.table file '{name}' does not exist; give a table name "
                                f"({', '.join(available_tables())}) or the path of a table YAML file")
        return path
    path = DATA_DIR / f"{name}.yaml"
    if not path.is_file():
        raise CosimError(f"energy.table '{name}' is not a known energy table; use one of "
                         f"{', '.join(available_tables())} or the path of a table YAML file")
    return path


@lru_cache(maxsize=64)
def load_table(name: str) -> EnergyTable:
    """Parse and check one table file (by name in cosim/hw/data/ or by path)."""
    path = _resolve_path(name)
    where = f"energy table file '{path}'"
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise CosimError(f"{where} is not valid YAML: {getattr(e, 'problem', None) or e}; fix the syntax") from None
    require(isinstance(data, Mapping), f"{where} must be a YAML mapping with name, technology_nm and actions")
    for key in ("name", "technology_nm", "actions"):
        require(key in data, f"{where} has no '{key}'; see cosim/hw/energy_tables.py for the format")
    node = _number(data["technology_nm"], f"{where}: technology_nm")
    actions_in = data["actions"]
    require(isinstance(actions_in, Mapping) and actions_in, f"{where}: actions must be a non-empty mapping")
    actions = {str(a): _priced(v, f"{where}: actions.{a}") for a, v in actions_in.items()}
    for a in actions:
        require(":" in a, f"{where}: action '{a}' must be named component:action (e.g. mac:int8)")

    gated = None
    if "mac_gated_fraction" in data:
        gated = _priced(data["mac_gated_fraction"], f"{where}: mac_gated_fraction", key="value")
        require(gated <= 1.0, f"{where}: mac_gated_fraction must be in [0, 1], got {gated}")

    sram_points: tuple[tuple[float, float], ...] = ()
    write_factor = 1.0
    htree = False
    if "sram" in data:
        sram = data["sram"]
        require(isinstance(sram, Mapping) and "points_kib_pj_per_byte" in sram,
                f"{where}: sram needs points_kib_pj_per_byte: [[size_kib, pj_per_byte], ...]")
        pts = sram["points_kib_pj_per_byte"]
        require(isinstance(pts, list) and len(pts) >= 2 and all(isinstance(p, list) and len(p) == 2 for p in pts),
                f"{where}: sram.points_kib_pj_per_byte must list at least two [size_kib, pj_per_byte] pairs")
        sram_points = tuple((_number(s, f"{where}: sram size"), _number(e, f"{where}: sram pj")) for s, e in pts)
        require(all(s > 0 and e > 0 for s, e in sram_points), f"{where}: sram points must be > 0")
        require(all(a[0] < b[0] for a, b in zip(sram_points, sram_points[1:])),
                f"{where}: sram.points_kib_pj_per_byte sizes must be strictly ascending")
        write_factor = _number(sram.get("write_factor", 1.0), f"{where}: sram.write_factor")
        htree = sram.get("htree", False)
        require(isinstance(htree, bool), f"{where}: sram.htree must be true or false")

    reg = None
    if "register" in data:
        r = data["register"]
        require(isinstance(r, Mapping) and "pj_per_bit" in r, f"{where}: register needs pj_per_bit")
        reg = _number(r["pj_per_bit"], f"{where}: register.pj_per_bit")
        reg_node = _number(r.get("technology_nm", node), f"{where}: register.technology_nm")
        reg *= energy_scale_factor(reg_node, node)  # bring the register figure to the table's node

    # DRAM: the shared per-technology figures (dram.yaml), a file's own dram_pj_per_bit over them, and
    # its chip-side dram_interface_pj_per_bit added to each.
    dram = dict(shared_dram_pj_per_bit())
    if "dram_pj_per_bit" in data:
        d = data["dram_pj_per_bit"]
        require(isinstance(d, Mapping), f"{where}: dram_pj_per_bit must map technology -> pJ per bit")
        dram.update({str(t).lower(): _priced(v, f"{where}: dram_pj_per_bit.{t}") for t, v in d.items()})
    if "dram_interface_pj_per_bit" in data:
        extra = _priced(data["dram_interface_pj_per_bit"], f"{where}: dram_interface_pj_per_bit")
        dram = {t: pj + extra for t, pj in dram.items()}

    scalable = data.get("scalable", True)
    require(isinstance(scalable, bool), f"{where}: scalable must be true or false")
    require(str(data["name"]) == path.stem, f"{where}: name '{data['name']}' must equal the file name '{path.stem}'")
    return EnergyTable(name=str(data["name"]), technology_nm=node, scalable=scalable, actions=actions,
                       mac_gated_fraction=gated, sram_points=sram_points, sram_write_factor=write_factor, sram_htree=htree,
                       register_pj_per_bit=reg, dram_pj_per_bit=dram, path=str(path))


@lru_cache(maxsize=1)
def shared_dram_pj_per_bit() -> dict[str, float]:
    """DRAM technology -> pJ per bit moved, from cosim/hw/data/dram.yaml (the one source of every table)."""
    data = yaml.safe_load((DATA_DIR / "dram.yaml").read_text())
    return {str(t).lower(): _priced(v, f"dram.yaml: dram_pj_per_bit.{t}") for t, v in data["dram_pj_per_bit"].items()}


def spec_table_key(spec: Any) -> tuple:
    """The spec fields an energy table depends on, as a hashable key."""
    from cosim.hw.spec import EnergySpec

    energy = getattr(spec, "energy", None) or EnergySpec()
    buffers = spec.sram_buffers() if hasattr(spec, "sram_buffers") else {}
    sram = tuple(sorted((str(n), float(b.size_kib), int(getattr(b, "banks", 1))) for n, b in buffers.items()))
    pe = getattr(spec, "pe_array", None)
    reg_bytes = int(getattr(pe, "register_bytes_per_pe", 0) or 0)
    mac_bits = int(getattr(pe, "mac_bits", 8) or 8)
    dram = getattr(spec, "dram", None)
    dram_key = (str(dram.technology).lower(), float(dram.energy_pj_per_bit)) if dram is not None else None
    overrides = tuple(sorted((str(k), float(v)) for k, v in energy.overrides_pj.items()))
    return (energy.table, float(energy.technology_nm), sram, reg_bytes, mac_bits, dram_key, overrides)


def table_for(spec: Any) -> dict[str, float]:
    """Action → pJ per action for ``spec`` (see the module docstring for how it is assembled)."""
    return dict(_table_for_key(spec_table_key(spec)))


@lru_cache(maxsize=256)
def table_for_key(key: tuple) -> dict[str, float]:
    """The table of :func:`spec_table_key` ``key``, shared: read it, never change it."""
    return dict(_table_for_key(key))


@lru_cache(maxsize=256)
def _table_for_key(key: tuple) -> tuple[tuple[str, float], ...]:
    table_name, node, sram, reg_bytes, mac_bits, dram_key, overrides = key
    t = load_table(table_name)
    if t.scalable:
        scale = energy_scale_factor(t.technology_nm, node)
    else:
        require(node == t.technology_nm,
                f"energy table '{t.name}' was measured at {t.technology_nm:g} nm and cannot be scaled; "
                f"set energy.technology_nm: {t.technology_nm:g}")
        scale = 1.0

    out = {a: pj * scale for a, pj in t.actions.items()}
    if t.mac_gated_fraction is not None:
        for a, pj in list(out.items()):
            if a.startswith("mac:"):
                out.setdefault("mac_gated:" + a[4:], pj * t.mac_gated_fraction)

    if t.sram_points:
        for buf, size_kib, banks in sram:
            per_byte = t.sram_pj_per_byte(size_kib / banks) * scale
            if t.sram_htree:
                per_byte += htree_pj_per_byte(sram_cells_um2(size_kib * 8192, node_nm=node), banks)
            out[f"sram_{buf}:read_byte"] = per_byte
            out[f"sram_{buf}:write_byte"] = per_byte * t.sram_write_factor

    if t.register_pj_per_bit is not None:
        per_bit = t.register_pj_per_bit
        if reg_bytes > 0 and t.sram_points:
            per_bit = max(per_bit, t.sram_pj_per_byte(reg_bytes / 1024.0) / 8.0)
        out["register:access"] = per_bit * mac_bits * scale

    if dram_key is not None:
        tech, pj_per_bit = dram_key
        if pj_per_bit == 0.0 and tech in t.dram_pj_per_bit:
            pj_per_bit = t.dram_pj_per_bit[tech]
        if pj_per_bit > 0.0:
            out["dram:read_bit"] = pj_per_bit
            out["dram:write_bit"] = pj_per_bit
        else:  # a table may price DRAM among its actions; otherwise the user must
            require("dram:read_bit" in out and "dram:write_bit" in out,
                    f"energy table '{t.name}' has no DRAM energy for dram.technology '{tech}'; "
                    "set dram.energy_pj_per_bit")

    out.update(dict(overrides))
    return tuple(sorted(out.items()))
