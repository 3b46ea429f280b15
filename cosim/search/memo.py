"""Memoize a function of a spec by what it actually reads from the spec.

A sweep varies some spec fields; much per-layer work reads none of them (a vector layer's cost may
depend on the array width and DRAM bandwidth, not on SRAM sizes or the dataflow). Rather than assume
which fields a model reads, :class:`SpecMemo` observes it: the first call runs the function on a
recording proxy of the spec that logs every attribute read and method call (with its result) down to
the leaves; later calls look up the cache under the current spec's values of exactly those reads.

Sound for a deterministic function that sees the spec only through attribute reads and method calls:
if every value it read is the same, it follows the same path and returns the same result. When two
calls read different sets (control flow that depends on a value), the key becomes the union of both
sets and the cache restarts, so a hit always means every read of the cached call would repeat.
"""

from __future__ import annotations

from typing import Any, Callable

_MISSING = object()


def _freeze(value: Any) -> Any:
    """A hashable stand-in for a read value: scalars as themselves, containers and objects by repr."""
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    if isinstance(value, tuple) and all(isinstance(v, (bool, int, float, str)) for v in value):
        return value
    return repr(value)


class _Recorder:
    """Forwards attribute reads to ``obj``, logging (path, call args) → value for every leaf."""

    __slots__ = ("_obj", "_path", "_log")

    def __init__(self, obj: Any, path: tuple, log: dict):
        object.__setattr__(self, "_obj", obj)
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_log", log)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._obj, name)
        path = self._path + (name,)
        if hasattr(type(value), "__dataclass_fields__") and not isinstance(value, type):
            return _Recorder(value, path, self._log)
        if callable(value):
            def call(*args, **kwargs):
                result = value(*args, **kwargs)
                self._log[(path, args, tuple(sorted(kwargs.items())))] = _freeze(result)
                return result

            return call
        self._log[(path, None, None)] = _freeze(value)
        return value

    def __setattr__(self, name, value):
        raise AttributeError("specs are frozen")


def _read(spec: Any, dep: tuple) -> Any:
    path, args, kwargs = dep
    obj = spec
    for name in path:
        obj = getattr(obj, name)
    if args is not None:
        obj = obj(*args, **dict(kwargs))
    return _freeze(obj)


class SpecMemo:
    """``memo(spec)`` = ``fn(spec)``, cached under the values ``fn`` read from the spec.

    ``min_hit_rate``: a miss costs about twice a plain call (the recording proxy), so when fewer than
    this fraction of the first ``trial`` calls hit, the memo steps aside and calls ``fn`` directly.
    """

    def __init__(self, fn: Callable[[Any], Any], maxsize: int = 65536, min_hit_rate: float = 0.0,
                 trial: int = 256):
        self.fn, self.maxsize = fn, maxsize
        self.min_hit_rate, self.trial = min_hit_rate, trial
        self.deps: tuple | None = None
        self.cache: dict[tuple, Any] = {}
        self.hits = self.misses = 0
        self.bypass = False

    def _key(self, spec: Any) -> tuple:
        return tuple(_read(spec, d) for d in self.deps)  # type: ignore[union-attr]

    def __call__(self, spec: Any) -> Any:
        if self.bypass:
            return self.fn(spec)
        if self.hits + self.misses == self.trial and self.hits < self.min_hit_rate * self.trial:
            self.bypass, self.cache = True, {}
            return self.fn(spec)
        if self.deps is not None:
            hit = self.cache.get(self._key(spec), _MISSING)
            if hit is not _MISSING:
                self.hits += 1
                return hit
        self.misses += 1
        log: dict = {}
        result = self.fn(_Recorder(spec, (), log))
        deps = tuple(log)
        if self.deps is None:
            self.deps = deps
        elif not set(deps) <= set(self.deps):
            self.deps = self.deps + tuple(d for d in deps if d not in set(self.deps))
            self.cache.clear()
        if len(self.cache) >= self.maxsize:
            self.cache.clear()
        self.cache[self._key(spec)] = result
        return result
