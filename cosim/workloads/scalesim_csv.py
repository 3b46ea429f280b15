"""SCALE-Sim topology CSV files, read and written.

Two forms, told apart by the header (SCALE-Sim's own ``-i conv`` / ``-i gemm`` inputs). SCALE-Sim itself
skips the first row and reads columns by position, so its own files carry headers that name columns
loosely (``DeepSpeech2.csv``: ``Layer, IFMAP Width, IFMAP Width, ...``): a header that is neither form
is read the same way, by position, the form told by the number of numbers in the first layer row (seven
or more: conv; three: GEMM), with a note saying so.

* conv form: ``Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter,
  Strides,`` — SCALE-Sim convolutions have no padding: the IFMAP size is the already-padded input, and
  the output is ⌈(IFMAP − Filter + Stride) / Stride⌉ (SCALE-Sim 3.0.0, topology_utils.py): when the
  stride does not divide IFMAP − Filter, SCALE-Sim computes one more output row/column than a floor
  convolution would. Read as ``conv2d`` layers with padding 0 whose input is extended by the rows
  SCALE-Sim implicitly adds, so cosim's output size and MACs equal SCALE-Sim's.
* GEMM form: ``Layer, M, N, K,`` — M output rows, N output columns (filters), K the reduction. Read as
  ``linear`` layers with M tokens (in = K, out = N), whose GEMM view is exactly M × N × K.

Either form may carry a SCALE-Sim v3 ``Sparsity`` column of ``N:M`` ratios (N nonzeros in every M
weights), read as N:M weight sparsity. Rows end with a trailing comma in SCALE-Sim's files; missing
trailing commas, spaces and blank rows are tolerated, extra unnamed columns ignored. A topology has no
connectivity: cosim chains the layers in file order (each row feeds the next), the order in which
SCALE-Sim runs them. A repeated layer name gets a ``_2``, ``_3``... suffix.

Writing: every compute layer becomes one or more rows, vector layers are omitted.

* conv form: a convolution's row lists the padded input extent the outputs actually use,
  (out − 1)·stride + kernel (≤ in + 2·pad), so SCALE-Sim's ceiling output size and MACs equal cosim's; linear layers and matmuls become 1×1 convolutions over a 1 × (batch·tokens) IFMAP.
  SCALE-Sim has no groups and no batch: a grouped convolution (or a matmul's heads) is split into one
  row per group (``<name>_g<i>``, Channels = in/groups, Num Filter = out/groups), and a convolution with
  batch > 1 into one row per image (``<name>_b<i>``). Dilated or unequally strided convolutions have no
  SCALE-Sim equivalent and are rejected.
* GEMM form: one ``M, N, K`` row per group (the layer's GEMM view: ``Layer.gemm``).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from cosim import inputs
from cosim.errors import CosimError, require
from cosim.outputs import write_atomic
from cosim.graph import Layer, LayerGraph
from cosim.sparsity import Sparsity

CONV_COLUMNS = ("Layer name", "IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width", "Channels",
                "Num Filter", "Strides")
GEMM_COLUMNS = ("Layer", "M", "N", "K")
_PARAMS = {"batch": 1, "weight_bits": 8, "act_bits": 8}


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    text = inputs.read_text(path, "topology")
    rows = []
    for lineno, cells in enumerate(csv.reader(io.StringIO(text), skipinitialspace=True), start=1):
        cells = [c.strip() for c in cells]
        while cells and cells[-1] == "":
            cells.pop()
        if cells and any(cells):
            rows.append((lineno, cells))
    return rows


def _form(path: Path, header: list[str], first: list[str] | None) -> tuple[str, str]:
    """(form, note): the form named by the header, else the one SCALE-Sim's by-position reading of the
    first layer row implies (note says so)."""
    low = [c.lower() for c in header]
    if tuple(low[:8]) == tuple(c.lower() for c in CONV_COLUMNS):
        return "conv", ""
    if tuple(low[:4]) == tuple(c.lower() for c in GEMM_COLUMNS):
        return "gemm", ""
    numbers = 0
    for cell in (first or [])[1:]:
        if not cell.strip().isdigit():
            break
        numbers += 1
    form = "conv" if numbers >= 7 else "gemm" if numbers == 3 else ""
    if not form:
        raise CosimError(f"topology '{path}' row 1: header '{', '.join(header)[:120]}' is neither the "
                         f"conv form ({', '.join(CONV_COLUMNS)}) nor the GEMM form ({', '.join(GEMM_COLUMNS)}), and "
                         f"the first layer row has {numbers} numbers (conv needs 7, GEMM 3)")
    columns = CONV_COLUMNS if form == "conv" else GEMM_COLUMNS
    return form, (f"topology '{path.name}': header not in cosim's spelling; read by position as SCALE-Sim does, "
                  f"as the {form} form ({', '.join(columns)})")


def read_topology(path: str | Path, **params) -> LayerGraph:
    """A LayerGraph from a SCALE-Sim topology CSV (conv or GEMM form, detected from the header).

    ``params``: ``batch`` (default 1; SCALE-Sim has none), ``weight_bits``, ``act_bits`` (default 8).
    """
    path = Path(path)
    for k, v in params.items():
        require(k in _PARAMS, f"topology '{path}': unknown parameter '{k}'; known: {', '.join(_PARAMS)}")
        try:
            params[k] = int(v)
        except (TypeError, ValueError):
            raise CosimError(f"topology '{path}': parameter '{k}' must be a positive integer, got {v!r}") from None
        require(params[k] >= 1, f"topology '{path}': parameter '{k}' must be a positive integer, got {v!r}")
    common = {**_PARAMS, **params}
    common["out_bits"] = common["act_bits"]
    rows = _rows(path)
    require(bool(rows), f"topology '{path}' is empty; expected a header row and one row per layer")
    (_, header), body = rows[0], rows[1:]
    form, note = _form(path, header, body[0][1] if body else None)
    columns = CONV_COLUMNS if form == "conv" else GEMM_COLUMNS
    low = [c.lower() for c in header]
    sparsity_col = low.index("sparsity") if "sparsity" in low else None
    require(bool(body), f"topology '{path}' has a header but no layer rows")
    graph = LayerGraph(path.stem)
    if note:
        graph.import_notes.append(note)
    previous, seen = None, {}
    for lineno, cells in body:
        where = f"topology '{path}' row {lineno}"
        require(cells[0] != "", f"{where}, column '{columns[0]}': the layer name is empty")
        require(len(cells) >= len(columns),
                f"{where} (layer '{cells[0]}'): has {len(cells)} columns, the {form} form needs "
                f"{len(columns)} ({', '.join(columns)})")
        base = cells[0]
        seen[base] = seen.get(base, 0) + 1
        name = base if seen[base] == 1 else f"{base}_{seen[base]}"
        vals = []
        for col, cell in zip(columns[1:], cells[1:len(columns)]):
            try:
                v = int(cell)
            except ValueError:
                v = 0
            require(v >= 1, f"{where} (layer '{base}'), column '{col}': {inputs.shown(cell)} is not a positive integer")
            require(v <= inputs.MAX_LAYER_DIM, f"{where} (layer '{base}'), column '{col}': {v} is beyond the "
                                               f"largest layer dimension {inputs.MAX_LAYER_DIM}; give a smaller one")
            vals.append(v)
        sp = Sparsity()
        if sparsity_col is not None and sparsity_col < len(cells) and cells[sparsity_col]:
            sp = _ratio(f"{where} (layer '{base}'), column 'Sparsity'", cells[sparsity_col])
        try:
            if form == "conv":
                h, w, r, s, c, m, stride = vals
                # SCALE-Sim's ceiling output size = a floor convolution over an input extended by the
                # rows/columns needed to complete the last stride step.
                if h >= r:
                    h += (-(h - r)) % stride
                if w >= s:
                    w += (-(w - s)) % stride
                layer = Layer(name=name, op="conv2d", in_channels=c, out_channels=m, in_h=h, in_w=w,
                              kernel_h=r, kernel_w=s, stride_h=stride, stride_w=stride, weight_sparsity=sp,
                              kind="conv", **common)
            else:
                m, n, k = vals
                layer = Layer.linear(name, k, n, tokens=m, weight_sparsity=sp, kind="gemm", **common)
        except CosimError as e:
            raise CosimError(f"{where}: {e}") from None
        graph.add(layer, [previous] if previous else [])
        previous = name
    return graph


def _ratio(where: str, text: str) -> Sparsity:
    try:
        n, m = (int(v) for v in text.split(":"))
    except ValueError:
        raise CosimError(f"{where}: '{text}' is not an N:M ratio such as 2:4") from None
    try:
        return Sparsity() if n == m else Sparsity.nm_pattern(n, m)
    except CosimError as e:
        raise CosimError(f"{where}: {e}") from None


# ---- writing ------------------------------------------------------------------------------------
def _safe(name: str) -> str:
    return "_".join(name.replace(",", "_").split())


def _conv_rows(layer: Layer) -> list[tuple]:
    l, base = layer, _safe(layer.name)
    if l.op == "conv2d":
        require(l.stride_h == l.stride_w, f"layer '{l.name}': stride {l.stride_h}x{l.stride_w} differs by axis; "
                                          "SCALE-Sim's conv form has one stride — write form='gemm'")
        require(l.dilation_h == 1 and l.dilation_w == 1,
                f"layer '{l.name}': dilation {l.dilation_h}x{l.dilation_w} has no SCALE-Sim conv equivalent; "
                "write form='gemm'")
        row = ((l.out_h - 1) * l.stride_h + l.kernel_h, (l.out_w - 1) * l.stride_w + l.kernel_w, l.kernel_h, l.kernel_w, l.in_channels // l.groups,
               l.out_channels // l.groups, l.stride_h)
        images = l.batch
    else:  # linear / matmul: a 1×1 convolution whose output positions are the GEMM rows
        row = (1, l.gemm_m, 1, 1, l.gemm_k, l.gemm_n, 1)
        images = 1
    rows = []
    for b in range(images):
        for g in range(l.groups):
            name = base + (f"_b{b}" if images > 1 else "") + (f"_g{g}" if l.groups > 1 else "")
            rows.append((name, *row))
    return rows


def _gemm_rows(layer: Layer) -> list[tuple]:
    base = _safe(layer.name)
    _, m, n, k = layer.gemm
    return [(base + (f"_g{g}" if layer.groups > 1 else ""), m, n, k) for g in range(layer.groups)]


def write_topology(graph: LayerGraph, path: str | Path, form: str = "conv") -> None:
    """Write the compute layers of ``graph`` as a SCALE-Sim topology (see the module docstring)."""
    require(form in ("conv", "gemm"), f"form must be 'conv' or 'gemm', got {form!r}")
    layers = graph.compute_layers()
    require(bool(layers), f"network '{graph.name}' has no compute layers to write as a SCALE-Sim topology")
    nm = [l.weight_sparsity for l in layers if l.weight_sparsity.kind == "nm"]
    header = list(CONV_COLUMNS if form == "conv" else GEMM_COLUMNS) + (["Sparsity"] if nm else [])
    lines = [", ".join(header) + ","]
    for l in layers:
        rows = _conv_rows(l) if form == "conv" else _gemm_rows(l)
        if nm:  # dense layers as M:M with the file's block size
            s = l.weight_sparsity
            ratio = f"{s.n}:{s.m}" if s.kind == "nm" else f"{nm[0].m}:{nm[0].m}"
            rows = [r + (ratio,) for r in rows]
        lines.extend(", ".join(str(v) for v in r) + "," for r in rows)
    write_atomic(path, "\n".join(lines) + "\n")
