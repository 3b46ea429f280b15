"""Workloads: the zoo built in code, and importers (YAML, ONNX, SCALE-Sim topology CSV).

``load_workload(name_or_path, **params)`` resolves a zoo name (see ``zoo_names()``) or a file path by
its suffix: ``.yaml``/``.yml`` (cosim workload YAML), ``.onnx`` (ONNX, optional extra), ``.csv``
(SCALE-Sim topology, conv or GEMM form). Every source takes a ``precision`` parameter too.
"""

from __future__ import annotations

from pathlib import Path

from cosim.errors import CosimError
from cosim.graph import LayerGraph


def zoo_names() -> list[str]:
    """One name per zoo network (aliases such as ``bert`` or ``resnet-50`` also resolve)."""
    from cosim.workloads.zoo import canonical_names

    return list(canonical_names())


def load_workload(name_or_path: str | Path, **params) -> LayerGraph:
    """``params`` go to the zoo builder or importer, except ``precision`` (int8, fp16, bf16, fp8, ...,
    cosim/precision.py), which every source accepts: the compute layers then run in that number format."""
    precision = params.pop("precision", None)
    graph = _load(name_or_path, **params)
    if precision is not None:
        from cosim.precision import with_precision

        graph = with_precision(graph, str(precision))
        graph.stored_format = ""  # the precision was chosen: nothing to note
    return graph


def _load(name_or_path: str | Path, **params) -> LayerGraph:
    from cosim.workloads.zoo import ZOO

    key = str(name_or_path)
    if key.lower() in ZOO:
        return ZOO[key.lower()](**params)
    p = Path(key)
    suffix = p.suffix.lower()
    if suffix in (".yaml", ".yml", ".onnx", ".csv"):
        if not p.is_file():
            # A bare name of a YAML file in the workloads/ folder also resolves.
            from cosim.hw.loader import preset_dir

            alt = preset_dir("workloads") / p.name
            if not alt.is_file():
                raise CosimError(f"--workload: file '{p}' does not exist; give a zoo name or a file path")
            p = alt
        if suffix in (".yaml", ".yml"):
            from cosim.workloads.yaml_io import load_yaml_workload

            return load_yaml_workload(p, **params)
        if suffix == ".onnx":
            from cosim.workloads.onnx_import import load_onnx

            return load_onnx(p, **params)
        from cosim.workloads.scalesim_csv import read_topology

        return read_topology(p, **params)
    from cosim.hw.loader import preset_dir

    alt = preset_dir("workloads") / f"{key}.yaml"
    if alt.is_file():
        from cosim.workloads.yaml_io import load_yaml_workload

        return load_yaml_workload(alt, **params)
    if p.is_file():
        raise CosimError(f"--workload: file '{p}' has suffix '{p.suffix}', which cosim does not read; give a "
                         f".yaml/.yml, .onnx or SCALE-Sim .csv file, or a zoo name")
    shipped = sorted(f.stem for f in preset_dir("workloads").glob("*.yaml"))
    import difflib

    close = difflib.get_close_matches(key.lower(), list(zoo_names()) + shipped, n=1)
    raise CosimError(f"--workload: '{key[:60]}' is neither a zoo name nor a file"
                     + (f" (did you mean '{close[0]}'?)" if close else "")
                     + f"; zoo: {', '.join(zoo_names())}; shipped YAML: {', '.join(shipped)}; "
                     "`cosim presets` lists every name, the embedded models included")
