"""Sparsity specs as users write them, and their application to a network's weight layers.

Text forms (``parse_sparsity``; case and surrounding spaces ignored; S is the sparsity, the fraction of
weights removed, in [0, 1) — density = 1 − S):

    dense                 no pruning
    2:4                   N:M — at most N nonzeros in every group of M along the reduction (any 1 <= N <= M;
                          ``nm:2:4`` is accepted too)
    unstructured:0.8      80 % of the weights removed anywhere (density 0.2)
    block:4x4:0.75        whole 4×4 blocks over (filters N, reduction K) removed, 75 % of them
    channel:0.3           whole filters (output channels, rows of N) removed, 30 % of them

Per-layer specs (``load_sparsity_yaml``) are a YAML mapping from a layer name or an fnmatch glob to a
text spec, with an optional ``default`` entry::

    default: unstructured:0.5
    conv1: dense                  # exact name
    "layer4.*": "2:4"             # glob (quote it: YAML reads 2:4 unquoted as a base-60 number otherwise)
    fc: {mask: fc_mask.npy, pattern: unstructured}   # a real mask: (groups, N, K) or (N, K) bool .npy

A layer takes its exact-name entry, else the first glob (in file order) that matches it, else
``default``, else keeps what it has. Only layers with weights (conv2d, linear) are annotated; matmul
multiplies two activations and has none.
"""

from __future__ import annotations

import fnmatch
import math
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import yaml

from cosim.errors import CosimError, require
from cosim.graph import LayerGraph
from cosim.sparsity import Sparsity

ACCEPTED = ("dense, N:M (e.g. 2:4), unstructured:S (e.g. unstructured:0.8), block:HxW:S (e.g. block:4x4:0.75) "
            "or channel:S (e.g. channel:0.3), with sparsity S in [0, 1)")


def _bad(text: str, why: str) -> CosimError:
    return CosimError(f"sparsity spec '{text}' {why}; use {ACCEPTED}")


def _sparsity_value(text: str, raw: str) -> float:
    try:
        s = float(raw)
    except ValueError:
        raise _bad(text, f"has sparsity '{raw}', not a number") from None
    if not (math.isfinite(s) and 0.0 <= s < 1.0):
        raise _bad(text, f"has sparsity {raw} outside [0, 1) (1 would remove every weight)")
    return s


def _positive_int(text: str, raw: str, what: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise _bad(text, f"has {what} '{raw}', not an integer >= 1")
    return int(raw)


def parse_sparsity(text: Any) -> Sparsity:
    """The :class:`Sparsity` a text spec describes (a Sparsity is returned unchanged)."""
    if isinstance(text, Sparsity):
        return text
    if not isinstance(text, str):
        raise CosimError(f"sparsity spec {text!r} is not text; use {ACCEPTED}")
    t = text.strip().lower()
    if t == "dense":
        return Sparsity()
    parts = [p.strip() for p in t.split(":")]
    if parts[0] == "nm":
        parts = parts[1:]
    if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
        n = _positive_int(text, parts[0], "N")
        m = _positive_int(text, parts[1], "M")
        if n > m:
            raise _bad(text, f"has N > M ({n} > {m}); N nonzeros are kept out of every M")
        return Sparsity.nm_pattern(n, m)
    kind = parts[0]
    if kind in ("unstructured", "channel"):
        if len(parts) != 2:
            raise _bad(text, f"needs exactly one sparsity after '{kind}:'")
        return Sparsity(kind=kind, density=1.0 - _sparsity_value(text, parts[1]))
    if kind == "block":
        if len(parts) != 3:
            raise _bad(text, "is a malformed block spec; write block:HxW:S")
        shape = parts[1].split("x")
        if len(shape) != 2:
            raise _bad(text, f"has block shape '{parts[1]}', not HxW")
        bh = _positive_int(text, shape[0].strip(), "block height")
        bw = _positive_int(text, shape[1].strip(), "block width")
        return Sparsity(kind="block", density=1.0 - _sparsity_value(text, parts[2]), block_h=bh, block_w=bw)
    raise _bad(text, "is not a known sparsity form")


# ---- per-layer YAML files ------------------------------------------------------------------------------
def _load_mask(path: Path, where: str) -> np.ndarray:
    try:
        mask = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise CosimError(f"{where}: mask file '{path}' cannot be read as a .npy array ({e})") from None
    if mask.ndim == 2:
        mask = mask[None]
    require(mask.ndim == 3, f"{where}: mask file '{path}' holds shape {mask.shape}; a mask is (groups, N, K) or (N, K)")
    return mask != 0


def _entry(value: Any, where: str, base: Path) -> Sparsity:
    if isinstance(value, str):
        try:
            return parse_sparsity(value)
        except CosimError as e:
            raise CosimError(f"{where}: {e}") from None
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - {"mask", "pattern"})
        require(not unknown, f"{where}: unknown key '{unknown[0] if unknown else ''}'; use mask and pattern")
        require("mask" in value, f"{where}: a mapping entry needs mask: <file.npy> (and optionally pattern)")
        mask = _load_mask(base / str(value["mask"]), where)
        pattern = parse_sparsity(str(value.get("pattern", "unstructured:0")))
        kind = "unstructured" if pattern.kind == "dense" else pattern.kind
        require(mask.any(), f"{where}: mask keeps no weights at all; keep at least one")
        return Sparsity(kind=kind, density=float(mask.mean()), n=pattern.n, m=pattern.m,
                        block_h=pattern.block_h, block_w=pattern.block_w, mask=mask)
    raise CosimError(f"{where}: expected a sparsity text such as '2:4' or a mapping with mask:, got {value!r}")


def load_sparsity_yaml(path: str | Path) -> dict[str, Sparsity]:
    """Layer name or glob (and ``default``) → Sparsity, in file order, from a per-layer spec file."""
    path = Path(path)
    where = f"sparsity file '{path}'"
    try:
        text = path.read_text()
    except OSError as e:
        raise CosimError(f"{where} cannot be read: {e.strerror}") from None
    try:
        # BaseLoader keeps every scalar a string: an unquoted 2:4 stays "2:4" (YAML 1.1 would read 124).
        data = yaml.load(text, Loader=yaml.BaseLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        raise CosimError(f"{where} is not valid YAML{at}: {getattr(e, 'problem', None) or e}; fix the syntax") from None
    require(isinstance(data, Mapping) and data,
            f"{where} must map layer names or globs (and optionally 'default') to sparsity specs such as '2:4'")
    return {str(k): _entry(v, f"{where}: entry '{k}'", path.parent) for k, v in data.items()}


# ---- application to a graph ---------------------------------------------------------------------------
def _is_glob(key: str) -> bool:
    return any(c in key for c in "*?[")


def _check_fits(layer, sp: Sparsity) -> None:
    where = f"layer '{layer.name}'"
    n, k = layer.gemm_n, layer.gemm_k
    if sp.kind == "block" and sp.mask is None:
        require(n % sp.block_h == 0 and k % sp.block_w == 0,
                f"{where}: block {sp.block_h}x{sp.block_w} does not divide its (N, K) = ({n}, {k}); "
                "choose a block that divides both or give this layer its own spec")
    if sp.kind == "nm" and sp.mask is not None:
        from cosim.kernels import check_nm

        check_nm(sp.mask, sp.n, sp.m, where=f"{where}: weight mask")


def apply_sparsity(graph: LayerGraph, spec: Any) -> LayerGraph:
    """A copy of ``graph`` whose weight layers carry the sparsity of ``spec``: one Sparsity or text for
    every weight layer, or a mapping of layer names / globs / ``default`` to Sparsity or text.

    A layer named explicitly (by name or glob) must fit its pattern, or the call fails naming it. The
    network-wide ``default`` is applied where it fits; a layer it does not fit (a block that does not
    divide ResNet's 7×7×3 stem, say) stays dense, and the returned graph lists it with the reason in
    its ``sparsity_left_dense`` attribute (name → reason) so reports can say so.
    """
    if isinstance(spec, (str, Sparsity)):
        spec = {"default": spec}
    require(isinstance(spec, Mapping), f"sparsity spec must be text, a Sparsity or a mapping, got {type(spec).__name__}")
    entries = {}
    for k, v in spec.items():
        try:
            entries[str(k)] = parse_sparsity(v)
        except CosimError as e:
            raise CosimError(f"sparsity spec entry '{k}': {e}") from None
    layers = graph.layers()
    names = {l.name: l for l in layers}

    for key in entries:
        if key == "default":
            continue
        if _is_glob(key):
            require(any(fnmatch.fnmatchcase(l.name, key) for l in layers),
                    f"sparsity spec entry '{key}' matches no layer of network '{graph.name}'; "
                    f"layer names look like {', '.join(repr(l.name) for l in layers[:3])}")
        else:
            require(key in names, f"sparsity spec entry '{key}' names no layer of network '{graph.name}'; "
                                  f"layer names look like {', '.join(repr(l.name) for l in layers[:3])}")
            require(names[key].has_weights,
                    f"layer '{key}' ({names[key].op}) has no weights to prune; remove it from the sparsity spec")
    globs = [(k, v) for k, v in entries.items() if k != "default" and _is_glob(k)]

    def choose(layer) -> Sparsity | None:
        if layer.name in entries:
            return entries[layer.name]
        for key, sp in globs:
            if fnmatch.fnmatchcase(layer.name, key):
                return sp
        return entries.get("default")

    left_dense: dict[str, str] = {}

    def annotate(layer):
        if not layer.has_weights:
            return layer
        sp = choose(layer)
        if sp is None:
            return layer
        try:
            _check_fits(layer, sp)
        except CosimError as e:
            if sp is not entries.get("default") or layer.name in entries:
                raise
            left_dense[layer.name] = str(e)
            return layer
        return layer.replace(weight_sparsity=sp)

    out = graph.map_layers(annotate)
    out.sparsity_left_dense = left_dense
    return out
