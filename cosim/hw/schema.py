"""Build frozen spec dataclasses from plain mappings (parsed YAML), checking names and types.

One generic builder serves every spec class, so an unknown key, a missing field or a wrong type gets
the same one-line error everywhere, with the dotted path of the field (``sram.ifmap.size_kib``).
Range and cross-field rules live in each dataclass's ``__post_init__``; their messages are prefixed
with the path of the object that failed.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import Any, Mapping

from cosim.errors import CosimError
from cosim.inputs import check_number, shown

MAX_STRING_CHARS = 256  # names and labels in a spec

_MISSING = dataclasses.MISSING


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _convert(value: Any, tp: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _convert(value, a, path)
            except CosimError as e:
                errors.append(str(e))
        raise CosimError(errors[0] if errors else f"{path}: invalid value {shown(value)}")
    if origin is typing.Literal:
        if value not in args:
            raise CosimError(f"{path}: {shown(value)} is not allowed; use one of {', '.join(map(str, args))}")
        return value
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if not isinstance(value, Mapping):
            raise CosimError(f"{path}: expected a mapping of {_type_name(tp)} fields, got {shown(value)}")
        return from_mapping(tp, value, path)
    if origin in (tuple,):
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise CosimError(f"{path}: expected a list, got {shown(value)}")
        item_t = args[0] if args else Any
        return tuple(_convert(v, item_t, f"{path}[{i}]") for i, v in enumerate(value))
    if origin in (dict, Mapping, typing.Mapping) or tp is dict:
        if not isinstance(value, Mapping):
            raise CosimError(f"{path}: expected a mapping, got {shown(value)}")
        kt, vt = args if args else (Any, Any)
        return {str(k): _convert(v, vt, f"{path}.{k}") for k, v in value.items()}
    if tp is Any:
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise CosimError(f"{path}: expected true or false, got {shown(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return check_number(value, path, integer=True)
            raise CosimError(f"{path}: expected an integer, got {shown(value)}")
        return check_number(value, path, integer=True)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise CosimError(f"{path}: expected a number, got {shown(value)}")
        return float(check_number(value, path))
    if tp is str:
        if not isinstance(value, str):
            raise CosimError(f"{path}: expected a string, got {shown(value)}")
        if len(value) > MAX_STRING_CHARS:
            raise CosimError(f"{path}: string longer than {MAX_STRING_CHARS} characters; shorten it")
        return value
    return value


@functools.lru_cache(maxsize=None)
def _hints_and_fields(cls: type) -> tuple[dict[str, Any], dict[str, dataclasses.Field]]:
    """Type hints and init fields of a spec class, resolved once (sweeps build specs by the thousand)."""
    return typing.get_type_hints(cls), {f.name: f for f in dataclasses.fields(cls) if f.init}


def from_mapping(cls: type, data: Mapping[str, Any], path: str = "") -> Any:
    """Build dataclass ``cls`` from ``data``; errors name the dotted field path and the fix."""
    if not isinstance(data, Mapping):
        raise CosimError(f"{path or cls.__name__}: expected a mapping, got {type(data).__name__}")
    hints, fields = _hints_and_fields(cls)
    unknown = [k for k in data if k not in fields]
    if unknown:
        k = unknown[0]
        where = f"{path}.{k}" if path else k
        raise CosimError(f"{where}: unknown field; known fields here are {', '.join(sorted(fields))}")
    kwargs = {}
    for name, f in fields.items():
        where = f"{path}.{name}" if path else name
        if name in data:
            kwargs[name] = _convert(data[name], hints[name], where)
        elif f.default is _MISSING and f.default_factory is _MISSING:  # type: ignore[misc]
            raise CosimError(f"{where}: missing required field; add it to the spec")
    try:
        return cls(**kwargs)
    except CosimError as e:
        msg = str(e)
        raise CosimError(f"{path}: {msg}" if path and not msg.startswith(path) else msg) from None
    except TypeError as e:  # a field of the wrong shape that slipped through
        raise CosimError(f"{path or cls.__name__}: {e}") from None


def to_mapping(obj: Any) -> Any:
    """The inverse of :func:`from_mapping`: plain dicts/lists, ready for YAML or JSON."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_mapping(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.init}
    if isinstance(obj, (list, tuple)):
        return [to_mapping(v) for v in obj]
    if isinstance(obj, Mapping):
        return {k: to_mapping(v) for k, v in obj.items()}
    return obj
