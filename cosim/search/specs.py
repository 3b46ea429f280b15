"""Specs of design points: checking a space's dotted fields against the spec dataclasses, and building
the validated spec of one hardware choice (overrides on the base spec).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from typing import Any, Mapping

from cosim.errors import CosimError, require


def apply_overrides(mapping: Mapping[str, Any], hw: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a spec mapping with dotted-path values replaced (only the touched branches are copied)."""
    out = dict(mapping)
    for path, value in hw.items():
        node = out
        parts = path.split(".")
        for p in parts[:-1]:
            node[p] = dict(node.get(p) or {})
            node = node[p]
        node[parts[-1]] = value
    return out


def spec_field_type(spec: Any, path: str, where: str) -> Any:
    """The type hint of a dotted field of a spec dataclass; CosimError naming the known fields if unknown."""
    node_cls: Any = type(spec)
    parts = path.split(".")
    for i, p in enumerate(parts):
        node_cls = _unwrap_optional(node_cls)
        if node_cls is dict or typing.get_origin(node_cls) in (dict, Mapping, typing.Mapping):
            args = typing.get_args(node_cls)
            node_cls = args[1] if args else Any
            continue
        require(dataclasses.is_dataclass(node_cls),
                f"{where}: '{'.'.join(parts[:i])}' is a value, not a group of fields; vary it directly")
        hints = _hints(node_cls)
        fields = [f.name for f in dataclasses.fields(node_cls) if f.init]
        prefix = ".".join(parts[:i])
        require(p in fields, f"{where}: unknown field '{p}'"
                             f"{' of ' + prefix if prefix else ''} of a {getattr(spec, 'kind', '')} spec; "
                             f"known fields: {', '.join(fields)}")
        require(p not in ("name", "kind"), f"{where}: '{p}' cannot be varied; add another candidate instead")
        node_cls = hints[p]
    node_cls = _unwrap_optional(node_cls)
    require(not dataclasses.is_dataclass(node_cls),
            f"{where}: '{path}' is a group of fields; vary one of its fields (e.g. {path}.<field>)")
    return node_cls


def _unwrap_optional(tp: Any) -> Any:
    """``X | None`` → X (an optional section such as an FPGA spec's ``overlay``)."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def check_value_type(v: Any, tp: Any, where: str) -> None:
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        args = typing.get_args(tp)
        require(v in args, f"{where}: {v!r} is not allowed; use one of {', '.join(map(str, args))}")
    elif tp is bool:
        require(isinstance(v, bool), f"{where}: {v!r} is not true/false")
    elif tp is int:
        require(isinstance(v, int) and not isinstance(v, bool) or (isinstance(v, float) and v.is_integer()),
                f"{where}: {v!r} is not an integer")
    elif tp is float:
        require(is_number(v), f"{where}: {v!r} is not a number")
    elif tp is str:
        require(isinstance(v, str), f"{where}: {v!r} is not a string")


def is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def build_spec(candidate: Any, hw: Mapping[str, Any]) -> Any:  # candidate: cosim.search.space.Candidate
    """The spec of one hardware choice, validated; a one-line reason string when it is invalid.

    The reference path applies the overrides to the base spec's mapping and re-validates it with the
    loader (``spec_from_mapping``). That costs ~1 ms a point (type hints are re-read per dataclass), so
    where a candidate's probes show them equal (``replace_ok``), the point is built by replacing the
    varied fields of the base spec instead: each changed dataclass runs its own ``__post_init__``
    checks, the same range and cross-field rules, in ~20 µs.
    """
    if candidate.replace_ok:
        try:
            return replace_fields(candidate.base_spec, hw)
        except CosimError as e:
            return str(e)
    return build_spec_via_loader(candidate, hw)


def build_spec_via_loader(candidate: Any, hw: Mapping[str, Any]) -> Any:
    from cosim.hw.loader import spec_from_mapping

    mapping = apply_overrides(candidate.base_mapping, hw)
    try:
        return spec_from_mapping(mapping, default_name=candidate.name)
    except CosimError as e:
        return str(e)


@functools.lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _coerce(value: Any, tp: Any) -> Any:
    """The loader's conversions of a checked value: int → float fields, integral float → int, list → tuple."""
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return tuple(value)
    return value


_SUBSPECS: dict[tuple, Any] = {}


def replace_fields(obj: Any, hw: Mapping[str, Any], prefix: str = "") -> Any:
    """``obj`` with dotted fields replaced; every dataclass on a changed path is rebuilt (and checked)."""
    groups: dict[str, dict[str, Any]] = {}
    direct: dict[str, Any] = {}
    for path, v in hw.items():
        head, _, rest = path.partition(".")
        if rest:
            groups.setdefault(head, {})[rest] = v
        else:
            direct[head] = v
    hints = _hints(type(obj))
    changes = {k: _coerce(v, hints[k]) for k, v in direct.items()}
    where = prefix.rstrip(".")
    for head, sub in groups.items():
        child = getattr(obj, head)
        if isinstance(child, dict):
            changes[head] = {**child, **sub}
            continue
        # Sub-specs recur across points (the same SRAM buffer in thousands of designs): memoize them.
        # Keyed by the parent object's identity, which the candidate keeps alive.
        key = (id(child), tuple(sub.items()))
        hit = _SUBSPECS.get(key)
        if hit is None:
            try:
                hit = replace_fields(child, sub, f"{prefix}{head}.")
            except CosimError as e:
                hit = e
            if len(_SUBSPECS) > 50_000:
                _SUBSPECS.clear()
            _SUBSPECS[key] = hit
        if isinstance(hit, CosimError):
            raise hit
        changes[head] = hit
    try:
        return dataclasses.replace(obj, **changes)
    except CosimError as e:
        msg = str(e)
        raise CosimError(f"{where}: {msg}" if where and not msg.startswith(where) else msg) from None


def replace_agrees_with_loader(cand: Any, probes: int = 24) -> bool:
    """Do field replacement and the loader build the same spec (or both reject) on probe points?"""
    for hw in probe_choices(cand.hw_dims, probes):
        ref = build_spec_via_loader(cand, hw)
        try:
            fast = replace_fields(cand.base_spec, hw)
        except (CosimError, TypeError, AttributeError, KeyError):
            fast = "invalid"
        if isinstance(ref, str) != isinstance(fast, str) or (not isinstance(ref, str) and ref != fast):
            return False
    return True


def probe_choices(hw_dims, n: int):
    """Up to ``n`` hardware choices spread over the grid of ``hw_dims`` (a multiplicative hash of k)."""
    sizes = [len(d.values) for d in hw_dims]
    total = math.prod(sizes)
    for k in range(min(n, total)):
        j = (k * 2654435761 + 12345) % total
        hw = {}
        for d, size in zip(reversed(hw_dims), reversed(sizes)):
            j, r = divmod(j, size)
            hw[d.path] = d.values[r]
        yield hw


def spec_metrics(spec: Any) -> dict[str, float]:
    """Metrics of a design that need no workload: peak compute, on-chip storage and silicon area
    (cosim/hw/area.py; NaN for an FPGA design, whose area follows the resources its build uses)."""
    from cosim.hw.area import spec_area_mm2

    peak = float(getattr(spec, "peak_macs_per_cycle", float("nan")))
    parts = spec_area_mm2(spec)
    area = float(sum(parts.values())) if parts is not None else float("nan")
    return {"peak_macs_per_cycle": peak, "peak_macs_per_s": peak * spec.clock_mhz * 1e6,
            "sram_kib": float(sum(b.size_kib for b in spec.sram_buffers().values())), "area_mm2": area}
