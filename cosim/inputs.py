"""The input boundary: every file cosim reads passes through here as bytes, with stated limits.

A file is read as bytes up to a size cap, decoded as UTF-8 with an error naming the byte offset, and
parsed with bounded nesting depth and bounded alias expansion (YAML) so that a hostile or careless
file is refused with one line (``CosimError``) instead of a traceback, a hang or a memory blow-up.
Numbers coming from files or flags are checked with :func:`check_number`; values echoed in errors go
through :func:`shown`, which truncates them.
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path
from typing import Any

import yaml

from cosim.errors import CosimError

MAX_TEXT_BYTES = 16 * 2**20          # YAML / CSV / JSON file
MAX_BINARY_BYTES = 2 * 2**30         # ONNX model (protobuf's own 2 GiB message limit)
MAX_NPZ_BYTES = 1 * 2**30            # total decompressed size of a pruned-model .npz
MAX_DEPTH = 64                       # nesting of YAML/JSON collections
MAX_NODES = 1_000_000                # YAML nodes after alias expansion (billion-laughs guard)
MAX_LAYER_DIM = 2**24              # one layer dimension (channels, tokens, M/N/K)
MAX_INT = 2**53                      # integers stay exact in float64 reports
MAX_FLOAT = 1e15                     # no spec quantity (bytes, MACs/cycle, pJ, MHz) comes near
MIN_FLOAT = 1e-12                    # smallest non-zero magnitude accepted for a physical quantity
ECHO_CHARS = 80

_CLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~5x faster


def shown(value: Any, limit: int = ECHO_CHARS) -> str:
    """``repr(value)`` cut to ``limit`` characters, for echoing user values in error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_bytes(path: str | Path, what: str, cap: int = MAX_TEXT_BYTES) -> bytes:
    """The file's bytes, refusing a file larger than ``cap`` or one that cannot be read."""
    p = Path(path)
    try:
        with open(p, "rb") as f:
            data = f.read(cap + 1)
    except OSError as e:
        raise CosimError(f"{what} file {shown(str(p))} cannot be read: {e.strerror or e}") from None
    if len(data) > cap:
        raise CosimError(f"{what} file {shown(str(p))} is larger than {cap // 2**20} MiB; "
                         f"cosim refuses files this large")
    return data


def decode_text(data: bytes, path: str | Path, what: str) -> str:
    """UTF-8 text of ``data``; a bad byte gives one line naming the file and the byte offset."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CosimError(f"{what} file {shown(str(path))} is not UTF-8 text (byte 0x{data[e.start]:02x} at "
                         f"offset {e.start}); save it as UTF-8") from None
    if "\x00" in text:
        raise CosimError(f"{what} file {shown(str(path))} contains a NUL byte at offset "
                         f"{text.index(chr(0))}; it is not a text file")
    return text.removeprefix("\ufeff")


def read_text(path: str | Path, what: str, cap: int = MAX_TEXT_BYTES) -> str:
    return decode_text(read_bytes(path, what, cap), path, what)


def _yaml_error(e: yaml.YAMLError, path, what: str) -> CosimError:
    mark = getattr(e, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(e, "problem", None) or "invalid YAML"
    return CosimError(f"{what} file {shown(str(path))} is not valid YAML{where}: {shown(problem)}; fix the syntax")


def check_yaml_shape(text: str, path, what: str) -> None:
    """Refuse YAML nested deeper than MAX_DEPTH or expanding (through aliases) past MAX_NODES nodes.

    Runs over libyaml's event stream, so it costs one fast scan and never builds the expansion.
    """
    sizes: dict[str, int] = {}
    stack: list[list] = [[0, None]]  # [expanded node count, anchor] per open collection
    for ev in yaml.parse(text, Loader=_CLoader):
        if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            stack.append([1, ev.anchor])
            if len(stack) - 1 > MAX_DEPTH:
                raise CosimError(f"{what} file {shown(str(path))} nests deeper than {MAX_DEPTH} levels "
                                 f"(line {ev.start_mark.line + 1}); flatten it")
        elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            n, anchor = stack.pop()
            if anchor is not None:
                sizes[anchor] = n
            stack[-1][0] += n
        elif isinstance(ev, yaml.ScalarEvent):
            if ev.anchor is not None:
                sizes[ev.anchor] = 1
            stack[-1][0] += 1
        elif isinstance(ev, yaml.AliasEvent):
            stack[-1][0] += sizes.get(ev.anchor, 1)
        else:
            continue
        if stack[-1][0] > MAX_NODES:
            raise CosimError(f"{what} file {shown(str(path))} expands to more than {MAX_NODES} values through "
                             f"aliases (line {ev.start_mark.line + 1}); remove the alias chain")


def parse_yaml(text: str, path, what: str, loader: type = _CLoader) -> Any:
    """Parsed YAML with the shape limits above; every failure is one CosimError line."""
    try:
        check_yaml_shape(text, path, what)
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as e:
        raise _yaml_error(e, path, what) from None
    except RecursionError:
        raise CosimError(f"{what} file {shown(str(path))} nests too deeply; flatten it") from None


def read_yaml(path: str | Path, what: str, loader: type = _CLoader) -> Any:
    """Read, decode and parse a YAML file with the limits of this module."""
    return parse_yaml(read_text(path, what), path, what, loader)


def _depth(obj: Any) -> int:
    depth, frontier = 0, [obj]
    while frontier:
        frontier = [v for o in frontier if isinstance(o, (dict, list))
                    for v in (o.values() if isinstance(o, dict) else o)]
        depth += 1
        if depth > MAX_DEPTH + 1:
            break
    return depth - 1


def parse_json(text: str, where: str) -> Any:
    """Parsed JSON (bounded size and depth); failures are one CosimError line."""
    if len(text) > MAX_TEXT_BYTES:
        raise CosimError(f"{where} is larger than {MAX_TEXT_BYTES // 2**20} MiB; cosim refuses it")

    try:
        doc = json.loads(text)
    except RecursionError:
        raise CosimError(f"{where} nests too deeply") from None
    except ValueError as e:
        raise CosimError(f"{where} is not valid JSON ({shown(str(e))})") from None
    if _depth(doc) > MAX_DEPTH:
        raise CosimError(f"{where} nests deeper than {MAX_DEPTH} levels")
    return doc


def check_number(value: Any, where: str, *, integer: bool = False, minimum: float | None = None,
                 maximum: float | None = None) -> int | float:
    """``value`` as a finite number within [minimum, maximum] (default: |value| <= MAX_INT/MAX_FLOAT)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CosimError(f"{where}: expected a number, got {shown(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise CosimError(f"{where}: {value} is not a finite number; give a finite value")
    if integer:
        if isinstance(value, float):
            if not value.is_integer():
                raise CosimError(f"{where}: expected an integer, got {shown(value)}")
            value = int(value)
        top = MAX_INT if maximum is None else maximum
    else:
        top = MAX_FLOAT if maximum is None else maximum
    if minimum is not None and value < minimum:
        raise CosimError(f"{where}: must be >= {minimum}, got {shown(value)}")
    if abs(value) > top:
        raise CosimError(f"{where}: {shown(value)} is beyond the largest accepted value {top:g}; give a smaller one")
    if not integer and value != 0 and abs(value) < MIN_FLOAT:
        raise CosimError(f"{where}: {shown(value)} is smaller in magnitude than {MIN_FLOAT:g}; "
                         f"give a physically meaningful value or 0")
    return value


def check_npz(path: str | Path, what: str = "--pruned", cap: int = MAX_NPZ_BYTES) -> None:
    """Refuse a .npz whose members declare more than ``cap`` bytes in total, or whose array headers
    declare more data than the member holds (a zip bomb or a damaged file), before numpy reads it."""
    import numpy as np

    p = shown(str(path))
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            total = sum(i.file_size for i in infos)
            if total > cap:
                raise CosimError(f"{what}: {p} unpacks to {total} bytes, more than the {cap // 2**20} MiB "
                                 f"cosim accepts; it is not a cosim pruned-model file")
            for info in infos:
                if not info.filename.endswith(".npy"):
                    continue
                with z.open(info) as f:
                    version = np.lib.format.read_magic(f)
                    if version == (1, 0):
                        shape, _, dtype = np.lib.format.read_array_header_1_0(f, max_header_size=10_000)
                    else:
                        shape, _, dtype = np.lib.format.read_array_header_2_0(f, max_header_size=10_000)
                nbytes = math.prod(shape) * dtype.itemsize
                if nbytes > info.file_size:
                    raise CosimError(f"{what}: {p} member {shown(info.filename)} declares {nbytes} bytes but "
                                     f"holds {info.file_size}; the file is damaged, write it again")
    except CosimError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, TypeError, SyntaxError) as e:
        raise CosimError(f"{what}: {p} is not a readable .npz file ({shown(str(e))}); "
                         f"write one with `cosim prune`") from None
