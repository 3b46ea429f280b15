"""Pruned-model files (.npz): the layer graph, its masks, bit widths, codebooks and how it was made.

Layout (``numpy.savez_compressed``, readable with ``allow_pickle=False``):

* ``graph.json``   — UTF-8 JSON: format name and version, cosim version, network name, and every
  layer in topological order with all its Layer fields, its inputs, and its weight sparsity
  (kind, density, n, m, block_h, block_w, mask shape or null);
* ``mask/<layer>`` — the layer's (groups, N, K) boolean mask, bit-packed (``numpy.packbits``, C order);
* ``weight/<layer>`` — optional float32 weights in the GEMM view (trained or imported models);
* ``codebook/<layer>`` — optional weight-sharing codebook (float32), its size and entry bits also in
  the graph JSON under the layer's ``codebook``;
* ``metadata.json`` — UTF-8 JSON: how the model was pruned (pattern, schedule, metrics, accuracy and
  whether it was measured or a proxy), plus the cosim version.

Files are written atomically (a temporary file in the same folder, then a rename), so an error never
leaves a half-written file. ``load_pruned(path) -> LayerGraph`` is what ``cosim simulate --pruned``
reads.
"""

from __future__ import annotations

import dataclasses
import json
import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from cosim import __version__
from cosim.outputs import write_atomic
from cosim import inputs
from cosim.errors import CosimError
from cosim.graph import Layer, LayerGraph
from cosim.sparsity import Sparsity
from cosim.prune.weight_sharing import CODEBOOK_ATTR

FORMAT = "cosim-pruned"
FORMAT_VERSION = 1
_LAYER_FIELDS = [f.name for f in dataclasses.fields(Layer) if f.name != "weight_sparsity"]


def _json_default(o: Any):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"{type(o).__name__} is not JSON serialisable")


def graph_to_json(graph: LayerGraph) -> tuple[dict, dict[str, np.ndarray]]:
    """(JSON-able dict, arrays to store) for ``graph``."""
    layers, arrays = [], {}
    for layer in graph.layers():
        entry = {f: getattr(layer, f) for f in _LAYER_FIELDS}
        entry["inputs"] = graph.predecessors(layer.name)
        sp = layer.weight_sparsity
        entry["weight_sparsity"] = {"kind": sp.kind, "density": sp.density, "n": sp.n, "m": sp.m,
                                    "block_h": sp.block_h, "block_w": sp.block_w,
                                    "mask_shape": list(sp.mask.shape) if sp.mask is not None else None}
        if sp.mask is not None:
            arrays[f"mask/{layer.name}"] = np.packbits(np.ascontiguousarray(sp.mask, dtype=bool).ravel())
        cb = graph.nx.nodes[layer.name].get(CODEBOOK_ATTR)
        if cb is not None:
            entry["codebook"] = {"size": cb["size"], "entry_bits": cb["entry_bits"], "shared": bool(cb.get("shared"))}
            arrays[f"codebook/{layer.name}"] = np.asarray(cb["values"], dtype=np.float32)
        layers.append(entry)
    doc = {"format": FORMAT, "format_version": FORMAT_VERSION, "cosim_version": __version__,
           "name": graph.name, "layers": layers}
    return doc, arrays


def save_pruned(path: str | Path, graph: LayerGraph, metadata: dict | None = None,
                weights: dict[str, np.ndarray] | None = None) -> Path:
    """Write ``graph`` (with masks and codebooks), optional weights and metadata to ``path`` atomically."""
    path = Path(path)
    doc, arrays = graph_to_json(graph)
    meta = {"cosim_version": __version__, **(metadata or {})}
    for name, w in (weights or {}).items():
        if name in graph:
            arrays[f"weight/{name}"] = np.asarray(w, dtype=np.float32)
    arrays["graph.json"] = np.array(json.dumps(doc, default=_json_default))
    arrays["metadata.json"] = np.array(json.dumps(meta, default=_json_default))
    return write_atomic(path, lambda f: np.savez_compressed(f, **arrays), what="--out")


def _open(path: str | Path):
    p = Path(path)
    if not p.is_file():
        raise CosimError(f"--pruned: file '{p}' does not exist; write one with `cosim prune --out {p.name}`")
    inputs.check_npz(p, "--pruned")
    try:
        data = np.load(p, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise CosimError(f"--pruned: {inputs.shown(str(p))} is not a readable .npz file ({inputs.shown(str(e))}); "
                         f"write one with `cosim prune`") from None
    if "graph.json" not in data.files:
        raise CosimError(f"--pruned: '{p}' has no graph.json; it is not a cosim pruned-model file")
    return p, data


def _doc(p: Path, data, key: str) -> dict:
    try:
        doc = inputs.parse_json(str(data[key][()]), f"--pruned: {inputs.shown(str(p))} {key}")
    except (ValueError, KeyError, IndexError, EOFError, zipfile.BadZipFile) as e:
        if isinstance(e, CosimError):
            raise
        raise CosimError(f"--pruned: {inputs.shown(str(p))} has an unreadable {key} ({inputs.shown(str(e))}); "
                         f"write the file again") from None
    if not isinstance(doc, dict):
        raise CosimError(f"--pruned: {inputs.shown(str(p))} {key} is not a JSON object; write the file again")
    return doc


def load_pruned(path: str | Path) -> LayerGraph:
    """The layer graph stored in a pruned-model file, masks and codebooks included."""
    p, data = _open(path)
    try:
        return _graph_from(p, data)
    except CosimError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError, EOFError,
            zipfile.BadZipFile) as e:
        # graph.json passed the JSON limits but its content does not describe layers cosim can build
        raise CosimError(f"--pruned: {inputs.shown(str(p))} graph.json is malformed ({type(e).__name__}: "
                         f"{inputs.shown(str(e), 60)}); write the file again with `cosim prune`") from None
    finally:
        data.close()


def _graph_from(p: Path, data) -> LayerGraph:
    doc = _doc(p, data, "graph.json")
    if doc.get("format") != FORMAT or doc.get("format_version", 0) > FORMAT_VERSION:
        raise CosimError(f"--pruned: '{p}' is format {doc.get('format')!r} version {doc.get('format_version')}; "
                         f"this cosim reads {FORMAT} up to version {FORMAT_VERSION}")
    g = LayerGraph(doc.get("name", p.stem))
    for entry in doc["layers"]:
        g.add(_layer_from(entry, data, p), entry.get("inputs", []))
        cb = entry.get("codebook")
        if cb is not None:
            g.nx.nodes[entry["name"]][CODEBOOK_ATTR] = {
                "size": int(cb["size"]), "entry_bits": int(cb["entry_bits"]),
                "values": np.asarray(data[f"codebook/{entry['name']}"], dtype=np.float32),
                "shared": bool(cb.get("shared", False))}
    return g


def _layer_from(entry: dict, data, p: Path) -> Layer:
    name = entry.get("name", "?")
    try:
        sp_doc = dict(entry["weight_sparsity"])
        shape = sp_doc.pop("mask_shape")
        mask = None
        if shape is not None:
            bits = np.asarray(data[f"mask/{name}"])
            if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)
                    and math.prod(shape) <= bits.size * 8):
                raise CosimError(f"--pruned: {inputs.shown(str(p))} layer {inputs.shown(name, 40)} mask_shape "
                                 f"{inputs.shown(shape, 40)} does not match its stored mask; write the file again")
            mask = np.unpackbits(bits, count=math.prod(shape)).astype(bool).reshape(shape)
        sp = Sparsity(mask=mask, **{k: sp_doc[k] for k in ("kind", "density", "n", "m", "block_h", "block_w")})
        fields = {f: entry[f] for f in _LAYER_FIELDS if f in entry}
        for f, v in fields.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                inputs.check_number(v, f"--pruned: layer {inputs.shown(name, 40)} field '{f}'")
        return Layer(weight_sparsity=sp, **fields)
    except KeyError as e:
        raise CosimError(f"--pruned: '{p}' layer '{name}' lacks {e}; the file is damaged, write it again") from None


def read_metadata(path: str | Path) -> dict:
    p, data = _open(path)
    with data:
        return _doc(p, data, "metadata.json") if "metadata.json" in data.files else {}


def read_weights(path: str | Path) -> dict[str, np.ndarray]:
    """The weights stored with a pruned model (empty when none were saved)."""
    p, data = _open(path)
    with data:
        return {k.split("/", 1)[1]: np.asarray(data[k]) for k in data.files if k.startswith("weight/")}
