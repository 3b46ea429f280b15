"""The evaluation cache: work that depends only on values (a layer, the fields of a spec a model reads),
kept so that sweeps and repeated simulations do it once.

Every key is a value, never an object's identity: a layer is keyed by :func:`cosim.walk.layer_key`
(all its fields, its mask by content digest), a spec by the fields the model reads. So a hit always
means the same inputs, and two processes with the same inputs compute the same numbers whether or not
their caches were warm.

One object, passed explicitly: ``cosim.simulate(..., cache=...)`` and the search's evaluators take one;
:data:`DEFAULT` serves callers that do not care. Each namespace is a bounded LRU; masks (large
arrays) are bounded by bytes as well.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Hashable

import numpy as np

_MISSING = object()


class EvalCache:
    """Bounded LRU memo per namespace: ``cache.get("lane_profile", key, compute)``."""

    def __init__(self, max_entries: int = 65536, max_array_bytes: int = 256 << 20):
        self.max_entries = max_entries
        self.max_array_bytes = max_array_bytes
        self._spaces: dict[str, OrderedDict] = {}
        self._array_bytes: dict[str, int] = {}
        self.hits = 0
        self.misses = 0

    def get(self, namespace: str, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The value stored under ``key`` in ``namespace``, computing and storing it on a miss."""
        space = self._spaces.get(namespace)
        if space is None:
            space = self._spaces[namespace] = OrderedDict()
            self._array_bytes[namespace] = 0
        hit = space.get(key, _MISSING)
        if hit is not _MISSING:
            space.move_to_end(key)
            self.hits += 1
            return hit
        self.misses += 1
        value = compute()
        space[key] = value
        if isinstance(value, np.ndarray):
            self._array_bytes[namespace] += value.nbytes
        self._trim(namespace)
        return value

    def peek(self, namespace: str, key: Hashable, default: Any = None) -> Any:
        space = self._spaces.get(namespace)
        return default if space is None else space.get(key, default)

    def _trim(self, namespace: str) -> None:
        space = self._spaces[namespace]
        while len(space) > 1 and (len(space) > self.max_entries
                                  or self._array_bytes[namespace] > self.max_array_bytes):
            _, old = space.popitem(last=False)
            if isinstance(old, np.ndarray):
                self._array_bytes[namespace] -= old.nbytes

    def clear(self) -> None:
        self._spaces.clear()
        self._array_bytes.clear()
        self.hits = self.misses = 0

    def sizes(self) -> dict[str, int]:
        """Entries per namespace (for benchmarks and tests)."""
        return {k: len(v) for k, v in self._spaces.items()}


DEFAULT = EvalCache()
