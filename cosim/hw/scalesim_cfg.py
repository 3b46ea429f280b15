"""SCALE-Sim ``.cfg`` architecture files as cosim systolic specs (``cosim simulate -a scale.cfg``).

SCALE-Sim's config is an INI file (configs/scale.cfg of its repository): ``[architecture_presets]``
ArrayHeight, ArrayWidth, IfmapSramSzkB, FilterSramSzkB, OfmapSramSzkB, Dataflow (os/ws/is), Bandwidth
(words per cycle), and ``[run_presets] InterfaceBandwidth`` (USER: that bandwidth stalls the array;
CALC: SCALE-Sim computes the bandwidth that never stalls). It maps onto the same spec as the
``scalesim-32x32-*`` presets (accelerators/scalesim-32x32-ws.yaml documents each choice): 1-byte words,
``timing: scalesim``, 1 GHz so that words/cycle read as GB/s, CALC as a bandwidth too large to stall.
Keys cosim does not model (offsets, request buffers, custom layouts, Ramulator) are ignored; SCALE-Sim's
own sparsity support is refused rather than silently ignored.
"""

from __future__ import annotations

import configparser
from pathlib import Path
from typing import Any

from cosim import inputs
from cosim.errors import CosimError, require

CALC_BANDWIDTH_GB_PER_S = 1e6  # "never stalls": far above any layer's need at 1 GHz


def _number(section: configparser.SectionProxy, key: str, where: str) -> float:
    require(key in section, f"{where}: [architecture_presets] lacks {key}; add it as in SCALE-Sim's scale.cfg")
    text = section[key].strip()
    try:
        value = float(text)
    except ValueError:
        raise CosimError(f"{where}: {key} = {inputs.shown(text)} is not a number") from None
    require(value > 0, f"{where}: {key} must be > 0, got {inputs.shown(text)}")
    return value


def mapping_from_cfg(path: str | Path) -> dict[str, Any]:
    """The cosim spec mapping of a SCALE-Sim config file."""
    path = Path(path)
    where = f"SCALE-Sim config '{path}'"
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    try:
        parser.read_string(inputs.read_text(path, "SCALE-Sim config"), source=str(path))
    except configparser.Error as e:
        raise CosimError(f"{where} is not a valid .cfg (INI) file: {' '.join(str(e).split())[:160]}") from None
    require(parser.has_section("architecture_presets"),
            f"{where} has no [architecture_presets] section; it is not a SCALE-Sim config")
    arch = parser["architecture_presets"]
    dataflow = arch.get("Dataflow", "").strip().lower()
    require(dataflow in ("os", "ws", "is"), f"{where}: Dataflow must be os, ws or is, got {inputs.shown(dataflow)}")
    if parser.has_section("sparsity"):
        support = parser["sparsity"].get("SparsitySupport", "false").strip().lower()
        require(support in ("false", "0", "no"),
                f"{where}: SparsitySupport = true is SCALE-Sim's own sparse model, which cosim does not read; "
                "set it false and pass --sparsity, or use a cosim sparse preset (s2ta-32x32-nm)")
    mode = parser.get("run_presets", "InterfaceBandwidth", fallback="USER").strip().upper()
    require(mode in ("USER", "CALC"), f"{where}: InterfaceBandwidth must be USER or CALC, got {inputs.shown(mode)}")
    bandwidth = _number(arch, "Bandwidth", where) if mode == "USER" else CALC_BANDWIDTH_GB_PER_S
    rows, cols = (_number(arch, k, where) for k in ("ArrayHeight", "ArrayWidth"))
    require(rows.is_integer() and cols.is_integer(), f"{where}: ArrayHeight and ArrayWidth must be integers")
    name = parser.get("general", "run_name", fallback=path.stem).strip() or path.stem
    sram = {b: {"size_kib": _number(arch, f"{key}SramSzkB", where), "word_bytes": 1, "banks": 1, "ports": 2}
            for b, key in (("ifmap", "Ifmap"), ("filter", "Filter"), ("ofmap", "Ofmap"))}
    return {"name": name[:80], "kind": "systolic", "description": f"from SCALE-Sim config {path.name}",
            "clock_mhz": 1000, "timing": "scalesim",
            "pe_array": {"rows": int(rows), "cols": int(cols), "dataflow": dataflow, "mac_bits": 8,
                         "register_bytes_per_pe": 4},
            "sram": {**sram, "double_buffered": True},
            "dram": {"technology": "lpddr4", "bandwidth_gb_per_s": bandwidth},
            "energy": {"table": "horowitz45", "technology_nm": 45, "leakage_mw": 0,  # as the SCALE-Sim presets:
                       "leakage_model": "area"}}  # static power = area x leakage density (leakage.yaml)
