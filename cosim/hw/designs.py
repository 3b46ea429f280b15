"""Many designs of one accelerator at once, column-wise: the input of every datapath's batch entry point.

A sweep varies a few dotted spec fields (``pe_array.rows``, ``sram.ifmap.size_kib``, ``clock_mhz``)
of one base spec. :class:`Designs` holds the base spec and, per varied field, a column of values; a
datapath reads the columns it needs (:meth:`Designs.value`) and builds a spec object only where it
must (:meth:`Designs.spec`, e.g. for a one-line error message). ``Designs.of(specs)`` wraps spec
objects that exist already (``cosim.simulate`` passes one).

:func:`check_designs` validates designs column-wise, with the spec classes' own rules: every nested
spec (a buffer, the PE array) is built once per distinct combination of its varied fields, so its
range and cross-field checks run as written; the root spec's cross-field rules run vectorised where
its class offers them (``batch_violations``), and otherwise on each design. A design that fails gets
the message building it gives.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from cosim.errors import CosimError


def read_path(obj: Any, path: str) -> Any:
    """``obj.a.b.c`` for path ``a.b.c`` (dict members by key)."""
    for part in path.split("."):
        obj = obj[part] if isinstance(obj, dict) else getattr(obj, part)
    return obj


def _column(values: Sequence[Any]) -> np.ndarray:
    if values and all(isinstance(v, (bool, np.bool_)) for v in values):
        return np.asarray(values, dtype=bool)
    if values and all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                      for v in values):
        return np.asarray(values)
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


class Designs:
    """``n`` designs: a base spec plus columns of varied dotted fields (see the module docstring)."""

    def __init__(self, base: Any, columns: Mapping[str, np.ndarray], n: int,
                 build: Callable[[Mapping[str, Any]], Any] | None = None, specs: Sequence[Any] | None = None):
        self.base = base
        self.columns = dict(columns)
        self.n = n
        self._build = build
        self._specs: dict[int, Any] = {} if specs is None else dict(enumerate(specs))
        self._explicit = specs is not None

    @classmethod
    def of(cls, specs: Sequence[Any]) -> "Designs":
        """Designs that are spec objects already."""
        specs = list(specs)
        return cls(specs[0], {}, len(specs), specs=specs)

    def __len__(self) -> int:
        return self.n

    @property
    def base_key(self) -> str:
        """The base spec's value as a string key (for caches keyed by base + varied values)."""
        key = getattr(self, "_base_key", None)
        if key is None:
            import json

            from cosim.hw.schema import to_mapping

            key = self._base_key = json.dumps(to_mapping(self.base), sort_keys=True, default=repr)
        return key

    def varied_under(self, prefixes: Sequence[str]) -> list[str]:
        """The varied paths under any of ``prefixes``."""
        return [p for p in self.columns if any(p == q or p.startswith(q + ".") for q in prefixes)]

    def values_at(self, paths: Sequence[str], j: int) -> tuple:
        return tuple(_plain(self.columns[p][j]) for p in paths)

    @property
    def kind(self) -> str:
        return self.base.kind

    def overrides(self, j: int) -> dict[str, Any]:
        return {p: _plain(c[j]) for p, c in self.columns.items()}

    def spec(self, j: int) -> Any:
        """Design ``j`` as a spec object (built and validated on first use; CosimError if invalid)."""
        hit = self._specs.get(j)
        if hit is None:
            hit = self._build(self.overrides(j)) if self._build is not None else self.base
            self._specs[j] = hit
        if isinstance(hit, str):
            raise CosimError(hit)
        return hit

    def specs(self) -> list[Any]:
        return [self.spec(j) for j in range(self.n)]

    def value(self, path: str) -> np.ndarray:
        """The values of field ``path`` for every design (its column, or the base value repeated)."""
        if self._explicit:
            return _column([read_path(s, path) for s in (self._specs[j] for j in range(self.n))])
        col = self.columns.get(path)
        if col is not None:
            return col
        v = read_path(self.base, path)
        if isinstance(v, (bool, int, float)):
            return np.full(self.n, v)
        return _column([v] * self.n)

    def select(self, index: Sequence[int] | np.ndarray) -> "Designs":
        """The designs at ``index``, in that order."""
        index = np.asarray(index, dtype=np.int64)
        if self._explicit:
            return Designs.of([self._specs[int(j)] for j in index])
        out = Designs(self.base, {p: c[index] for p, c in self.columns.items()}, len(index), self._build)
        out._specs = {k: self._specs[int(j)] for k, j in enumerate(index) if int(j) in self._specs}
        return out

    def group(self, prefixes: Sequence[str], key: Callable[[Any], Any]) -> tuple[np.ndarray, np.ndarray]:
        """(one design of each group, each design's group): designs that agree on every varied field
        under ``prefixes`` share a group. Spec objects that exist already are grouped by ``key(spec)``
        (the same fields, read from the spec)."""
        if self._explicit:
            seen: dict[Any, int] = {}
            inverse = np.empty(self.n, dtype=np.int64)
            firsts: list[int] = []
            for j in range(self.n):
                k = key(self._specs[j])
                at = seen.get(k)
                if at is None:
                    at = seen[k] = len(firsts)
                    firsts.append(j)
                inverse[j] = at
            return np.asarray(firsts, dtype=np.int64), inverse
        return unique_rows([self.columns[p] for p in self.varied_under(prefixes)], self.n)


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def unique_rows(columns: Sequence[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """(first index of each distinct row, each row's distinct-row number) of ``columns`` read as rows,
    numbered in order of first occurrence."""
    if not columns:
        return np.zeros(1 if n else 0, dtype=np.int64), np.zeros(n, dtype=np.int64)
    combined = np.zeros(n, dtype=np.int64)
    for c in columns:
        if c.dtype == object:
            _, rank = np.unique(np.array([repr(v) for v in c]), return_inverse=True)
        else:
            _, rank = np.unique(c, return_inverse=True)
        # ranks stay below n, so the mixed radix of two ranks never exceeds n²: renumber after each step
        _, combined = np.unique(combined * (int(rank.max()) + 1) + rank.reshape(-1), return_inverse=True)
    _, first = np.unique(combined, return_index=True)
    order = np.argsort(first, kind="stable")
    renumber = np.empty_like(order)
    renumber[order] = np.arange(len(order))
    return first[order], renumber[combined.reshape(-1)]


# ---- validation --------------------------------------------------------------------------------------
def _dataclass_nodes(base: Any, paths: Sequence[str]) -> dict[str, list[str]]:
    """Nested spec nodes (dotted prefixes naming a dataclass below the root) → the varied paths in
    their subtree."""
    nodes: dict[str, list[str]] = {}
    for path in paths:
        parts = path.split(".")
        obj = base
        for i, part in enumerate(parts[:-1]):
            obj = obj[part] if isinstance(obj, Mapping) else getattr(obj, part)
            if dataclasses.is_dataclass(obj):
                nodes.setdefault(".".join(parts[:i + 1]), []).append(path)
    return nodes


def check_designs(d: Designs, replace: Callable[[Any, Mapping[str, Any], str], Any]) -> tuple[np.ndarray, list[str]]:
    """(valid mask, reasons) of ``d``'s designs. ``replace(node, overrides, prefix)`` rebuilds a spec
    node with dotted overrides relative to it (cosim.search.specs.replace_fields), raising CosimError."""
    n = len(d)
    ok = np.ones(n, dtype=bool)
    reasons = [""] * n
    if d._explicit or n == 0:
        return ok, reasons
    suspect = np.zeros(n, dtype=bool)
    for node, paths in _dataclass_nodes(d.base, list(d.columns)).items():
        base_node = read_path(d.base, node)
        firsts, inverse = unique_rows([d.columns[p] for p in paths], n)
        bad = np.zeros(len(firsts), dtype=bool)
        for g, j in enumerate(firsts):
            try:
                replace(base_node, {p[len(node) + 1:]: _plain(d.columns[p][j]) for p in paths}, node + ".")
            except CosimError:
                bad[g] = True
        suspect |= bad[inverse]
    rule = getattr(type(d.base), "batch_violations", None)
    suspect |= rule(d) if rule is not None else np.ones(n, dtype=bool)
    for j in np.flatnonzero(suspect):
        try:
            d.spec(int(j))  # the design as the loader would build it: the exact message
        except CosimError as e:
            ok[j], reasons[j] = False, str(e)
    return ok, reasons
