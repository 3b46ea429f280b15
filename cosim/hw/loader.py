"""Load accelerator specs from YAML files or preset names.

A spec file's ``kind`` picks the dataclass (``systolic``, ``sparse_tensor_core``, ``fpga``); every
other key maps onto that class's fields (see cosim/hw/schema.py for the error messages). Presets are
the YAML files of the repository's ``accelerators/`` folder; a wheel carries them as
``cosim/_presets/accelerators`` so names resolve after a normal install too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

from cosim import inputs
from cosim.errors import CosimError
from cosim.hw.schema import from_mapping
from cosim.hw.spec import SystolicSpec

# kind → callable(mapping) -> spec. The built-in kinds other than systolic are imported when first
# asked for (module, builder), so loading a systolic preset never imports the others.
_KINDS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "systolic": lambda d: from_mapping(SystolicSpec, d),
}
_BUILTIN = {"sparse_tensor_core": ("cosim.hw.stc_spec", "build_spec"),
            "fpga": ("cosim.hw.fpga_spec", "fpga_spec_from_mapping")}


def register_kind(kind: str, builder: Callable[[Mapping[str, Any]], Any]) -> None:
    """Add an accelerator kind (a plug-in datapath's spec builder: mapping -> spec)."""
    _KINDS[kind] = builder


def _builder(kind: str) -> Callable[[Mapping[str, Any]], Any]:
    if kind not in _KINDS and kind in _BUILTIN:
        import importlib

        module, name = _BUILTIN[kind]
        _KINDS[kind] = getattr(importlib.import_module(module), name)
    if kind not in _KINDS:
        known = ", ".join(sorted(set(_KINDS) | set(_BUILTIN)))
        raise CosimError(f"kind: '{str(kind)[:40]}' is not a known accelerator kind; use one of {known}")
    return _KINDS[kind]


def preset_dir(kind: str = "accelerators") -> Path:
    """Folder holding the preset YAML files (installed wheel or source checkout)."""
    installed = Path(__file__).resolve().parent.parent / "_presets" / kind
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[2] / kind


def preset_names() -> list[str]:
    d = preset_dir()
    return sorted(p.stem for p in d.glob("*.yaml")) if d.is_dir() else []


def read_yaml(path: Path, what: str) -> Any:
    """A YAML file read through the input boundary (size, encoding, depth and alias limits)."""
    return inputs.read_yaml(path, what)


def spec_from_mapping(data: Mapping[str, Any], default_name: str = "accelerator") -> Any:
    if not isinstance(data, Mapping):
        raise CosimError(f"accelerator spec '{default_name}' must be a YAML mapping of fields, got {type(data).__name__}")
    data = dict(data)
    data.setdefault("name", default_name)
    kind = data.get("kind", "systolic")
    if not isinstance(kind, str):
        raise CosimError(f"kind: must be a name (systolic, sparse_tensor_core, fpga), got {type(kind).__name__}")
    return _builder(kind)(data)


def load_accelerator(name_or_path: str | Path) -> Any:
    """A spec from a preset name (see ``preset_names()``), a YAML file path or a SCALE-Sim ``.cfg``."""
    p = Path(name_or_path)
    if p.suffix == ".cfg":  # a SCALE-Sim architecture config
        if not p.is_file():
            raise CosimError(f"--accelerator: file '{p}' does not exist; give a preset name, a YAML or a .cfg path")
        from cosim.hw.scalesim_cfg import mapping_from_cfg

        return spec_from_mapping(mapping_from_cfg(p), default_name=p.stem)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise CosimError(f"--accelerator: file '{p}' does not exist; give a preset name or a YAML path")
        return spec_from_mapping(read_yaml(p, "accelerator"), default_name=p.stem)
    candidate = preset_dir() / f"{name_or_path}.yaml"
    if candidate.is_file():
        return spec_from_mapping(read_yaml(candidate, "accelerator"), default_name=candidate.stem)
    raise CosimError(f"--accelerator: '{name_or_path}' is neither a preset nor a file; "
                     f"presets: {', '.join(preset_names()) or '(none found)'}")
