"""Load accelerator specs from YAML files or preset names.

A spec file's ``kind`` picks the dataclass (``systolic``, ``sparse_tensor_core``, ``fpga``); every
other key maps onto that class's fields (see cosim/hw/schema.py for the error messages). Presets are
the YAML files of the repository's ``accelerators/`` folder; a wheel carries them as
``cosim/_presets/accelerators`` so names resolve after a normal install too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

import yaml

from cosim.errors import CosimError
from cosim.hw.schema import from_mapping
from cosim.hw.spec import SystolicSpec

# kind → callable(mapping) -> spec. Datapath modules register their spec classes here.
_KINDS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "systolic": lambda d: from_mapping(SystolicSpec, d),
}


def register_kind(kind: str, builder: Callable[[Mapping[str, Any]], Any]) -> None:
    _KINDS[kind] = builder


def _ensure_kinds_registered() -> None:
    # Importing the datapath spec modules registers their kinds; a module missing from the install is
    # skipped (its kind then stays unknown), any other import error is raised.
    import importlib

    for mod in ("cosim.hw.stc_spec", "cosim.hw.fpga_spec"):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name != mod:
                raise


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
    try:
        text = path.read_text()
    except OSError as e:
        raise CosimError(f"{what} file '{path}' cannot be read: {e.strerror}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or "invalid YAML"
        raise CosimError(f"{what} file '{path}' is not valid YAML{where}: {problem}; fix the syntax") from None


def spec_from_mapping(data: Mapping[str, Any], default_name: str = "accelerator") -> Any:
    _ensure_kinds_registered()
    if not isinstance(data, Mapping):
        raise CosimError(f"accelerator spec '{default_name}' must be a YAML mapping of fields, got {type(data).__name__}")
    data = dict(data)
    data.setdefault("name", default_name)
    kind = data.get("kind", "systolic")
    if kind not in _KINDS:
        raise CosimError(f"kind: '{kind}' is not a known accelerator kind; use one of {', '.join(sorted(_KINDS))}")
    return _KINDS[kind](data)


def load_accelerator(name_or_path: str | Path) -> Any:
    """A spec from a preset name (see ``preset_names()``) or a YAML file path."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise CosimError(f"--accelerator: file '{p}' does not exist; give a preset name or a YAML path")
        return spec_from_mapping(read_yaml(p, "accelerator"), default_name=p.stem)
    candidate = preset_dir() / f"{name_or_path}.yaml"
    if candidate.is_file():
        return spec_from_mapping(read_yaml(candidate, "accelerator"), default_name=candidate.stem)
    raise CosimError(f"--accelerator: '{name_or_path}' is neither a preset nor a file; "
                     f"presets: {', '.join(preset_names()) or '(none found)'}")
