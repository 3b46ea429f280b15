"""Design spaces: which accelerators, workloads and pruning choices a sweep explores (YAML).

A space lists one or more *candidates*, each a base accelerator (preset name or YAML path) with the
spec fields it varies, by dotted path, and the workloads and pruning choices it runs::

    name: my-space
    workloads: [resnet50]
    pruning:
      sparsity: [dense, "2:4", "unstructured:0.5"]   # texts of cosim.sparsity_spec.parse_sparsity
      allocation: [uniform]                           # per-layer allocation policy
      bits: [8]                                       # weight and activation bit width
      recipe: [default, "poly:steps=5:ft=3"]          # how measurable models are trained (recipes.py)
    candidates:
      - name: systolic
        base: scalesim-32x32-ws
        vary:
          pe_array.rows: [16, 32, 64]
          pe_array.dataflow: [os, ws, is]
          sram.ifmap.size_kib: {range: [32, 512], num: 5, log: true}
          clock_mhz: {range: [500, 1500], step: 250}
    constraints:
      sram_kib: {max: 1024}
      latency_s: {max: 0.05}
    objectives: [latency_s, energy_j]

Every dimension is a finite list, so each candidate's points form a mixed-radix grid; the whole space
is the concatenation of the candidates' grids and a point is named by its index in it. Grid, random
and evolutionary samplers all produce such indices, which is what makes a sweep resumable: the same
space and seed give the same indices, and the store keeps each index once.

Per dimension order: workload, pruning.sparsity, pruning.allocation, pruning.bits, pruning.recipe
(training recipes, cosim/search/recipes.py; default ``default``), then the hardware
fields; the last varies fastest, so consecutive grid points share their pruned workload and differ in
hardware only, the case batch evaluation vectorizes.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from cosim.errors import CosimError, require
from cosim.inputs import check_number, parse_yaml, read_text, shown
from cosim.metrics import MAXIMISED, METRICS, SPEC_METRICS
from cosim.search.specs import (build_spec, check_value_type, is_number, probe_choices, replace_agrees_with_loader,
                                spec_field_type, spec_metrics)

MAX_VALUES_PER_DIMENSION = 100_000  # values one dimension may list or a range may produce
PRUNING_KEYS = ("sparsity", "allocation", "bits", "recipe")
PRUNING_DEFAULTS = {"sparsity": ("dense",), "allocation": ("uniform",), "bits": (8,), "recipe": ("default",)}


@dataclass(frozen=True)
class Dimension:
    path: str  # "workload", "pruning.<key>" or a dotted spec field ("pe_array.rows")
    values: tuple

    @property
    def is_hardware(self) -> bool:
        return self.path != "workload" and not self.path.startswith("pruning.")


@dataclass(frozen=True)
class Candidate:
    """One base accelerator and the grid of (workload, pruning, hardware) choices run on it."""

    name: str
    base: str
    kind: str
    base_mapping: Mapping[str, Any] = field(compare=False, repr=False)
    dims: tuple[Dimension, ...]
    base_spec: Any = field(default=None, compare=False, repr=False)
    # True when building a point by replacing fields of base_spec was checked to give the loader's spec.
    replace_ok: bool = field(default=False, compare=False, repr=False)

    # Derived once (cached_property writes the instance dict, which a frozen dataclass allows).
    @functools.cached_property
    def size(self) -> int:
        return math.prod(len(d.values) for d in self.dims)

    @functools.cached_property
    def hw_dims(self) -> tuple[Dimension, ...]:
        return tuple(d for d in self.dims if d.is_hardware)


@dataclass(frozen=True)
class DesignPoint:
    id: int
    candidate: str
    kind: str
    workload: str
    sparsity: str
    allocation: str
    bits: int
    hw: Mapping[str, Any]  # dotted spec path → value
    recipe: str = "default"  # training recipe (cosim/search/recipes.py)

    @property
    def pruning_key(self) -> tuple:
        return (self.workload, self.sparsity, self.allocation, self.bits, self.recipe)

    def as_dict(self) -> dict[str, Any]:
        return {"candidate": self.candidate, "kind": self.kind, "workload": self.workload,
                "sparsity": self.sparsity, "allocation": self.allocation, "bits": self.bits,
                "recipe": self.recipe, "hw": dict(self.hw)}


@dataclass(frozen=True)
class Constraint:
    metric: str
    min: float | None = None
    max: float | None = None

    def violation(self, value: float) -> str | None:
        """None when ``value`` meets the constraint, else a one-line reason."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return f"{self.metric} is not reported by this accelerator kind"
        if self.max is not None and value > self.max:
            return f"{self.metric} {value:.4g} > max {self.max:.4g}"
        if self.min is not None and value < self.min:
            return f"{self.metric} {value:.4g} < min {self.min:.4g}"
        return None


@dataclass(frozen=True)
class DesignSpace:
    name: str
    candidates: tuple[Candidate, ...]
    constraints: tuple[Constraint, ...] = ()
    objectives: tuple[str, ...] = ("latency_s", "energy_j")
    seed: int = 0
    source: str = field(default="", compare=False, repr=False)  # the YAML text, stored with results
    base_dir: Path | None = field(default=None, compare=False, repr=False)  # folder relative paths start from
    memo_path: str = field(default="", compare=False, repr=False)  # the sweep store holding trained recipes

    @functools.cached_property
    def size(self) -> int:
        return sum(c.size for c in self.candidates)

    @property
    def digest(self) -> str:
        """Identity of the space's points: a store written for another space cannot be resumed with this."""
        desc = [(c.name, c.base, json.dumps(c.base_mapping, sort_keys=True, default=str),
                 [(d.path, list(map(repr, d.values))) for d in c.dims]) for c in self.candidates]
        return hashlib.sha256(json.dumps(desc).encode()).hexdigest()[:16]

    def locate(self, index: int) -> tuple[int, tuple[int, ...]]:
        """(candidate number, per-dimension choice indices) of a point index."""
        require(0 <= index < self.size, f"point index {index} is outside the space of {self.size} points")
        for ci, c in enumerate(self.candidates):
            if index < c.size:
                choice = []
                for d in reversed(c.dims):
                    index, r = divmod(index, len(d.values))
                    choice.append(r)
                return ci, tuple(reversed(choice))
            index -= c.size
        raise AssertionError("unreachable")

    def index_of(self, candidate: int, choice: tuple[int, ...]) -> int:
        offset = sum(c.size for c in self.candidates[:candidate])
        idx = 0
        for d, r in zip(self.candidates[candidate].dims, choice):
            idx = idx * len(d.values) + r
        return offset + idx

    def point(self, index: int) -> DesignPoint:
        ci, choice = self.locate(index)
        c = self.candidates[ci]
        v = [d.values[r] for d, r in zip(c.dims, choice)]  # workload, sparsity, allocation, bits, recipe, hardware...
        return DesignPoint(id=int(index), candidate=c.name, kind=c.kind, workload=v[0], sparsity=v[1],
                           allocation=v[2], bits=v[3], hw={d.path: x for d, x in zip(c.dims[5:], v[5:])},
                           recipe=v[4])

    def objective_signs(self) -> tuple[float, ...]:
        """+1 for a minimised objective, -1 for a maximised one."""
        return tuple(-1.0 if o in MAXIMISED else 1.0 for o in self.objectives)


# ---- loading and validation ----------------------------------------------------------------------

def load_space(source: str | Path | Mapping[str, Any]) -> DesignSpace:
    """A design space from a YAML file path, a mapping, or the name of a file in spaces/."""
    if isinstance(source, Mapping):
        return parse_space(source, text=yaml.safe_dump(dict(source), sort_keys=False))
    p = Path(source)
    if not p.is_file():
        alt = spaces_dir() / (p.name if p.suffix in (".yaml", ".yml") else f"{p.name}.yaml")
        require(alt.is_file(), f"space: file '{p}' does not exist; give a YAML path or one of: "
                               f"{', '.join(sorted(q.stem for q in spaces_dir().glob('*.yaml'))) or '(none)'}")
        p = alt
    text = read_text(p, "design space")
    data = parse_yaml(text, p, "design space")
    return parse_space(data, text=text, default_name=p.stem, base_dir=p.resolve().parent)


def spaces_dir() -> Path:
    """Design spaces shipped with cosim: workloads/spaces/ (inside the wheel's workload presets)."""
    from cosim.hw.loader import preset_dir

    return preset_dir("workloads") / "spaces"


def default_space_path() -> Path:
    return spaces_dir() / "cosearch-default.yaml"


def parse_space(data: Any, text: str = "", default_name: str = "space",
                base_dir: Path | None = None) -> DesignSpace:
    """A validated space from parsed YAML; accelerator paths are relative to ``base_dir`` (the file's folder)."""
    require(isinstance(data, Mapping), f"design space must be a YAML mapping, got {type(data).__name__}")
    known = {"name", "description", "seed", "workloads", "pruning", "candidates", "constraints", "objectives"}
    for k in data:
        require(k in known, f"space.{k}: unknown key; known keys are {', '.join(sorted(known))}")
    name = str(data.get("name", default_name))
    seed = data.get("seed", 0)
    require(isinstance(seed, int) and not isinstance(seed, bool), f"space.seed must be an integer, got {shown(seed)}")
    require(0 <= seed < 2**32, f"space.seed must be in [0, 2**32), got {shown(seed)}")
    cands_raw = data.get("candidates")
    require(isinstance(cands_raw, list) and cands_raw,
            "space.candidates: list at least one candidate (a mapping with 'base' and optional 'vary')")
    workloads = data.get("workloads", None)
    pruning = data.get("pruning", {}) or {}
    candidates = []
    for i, c in enumerate(cands_raw):
        candidates.append(_parse_candidate(c, i, workloads, pruning, base_dir))
    names = [c.name for c in candidates]
    dup = next((n for n in names if names.count(n) > 1), None)
    require(dup is None, f"space.candidates: name '{dup}' is used twice; give each candidate a unique 'name'")
    objectives = tuple(data.get("objectives", ("latency_s", "energy_j")))

    require(2 <= len(objectives) <= 3, f"space.objectives: give 2 or 3 objectives, got {len(objectives)}")
    for o in objectives:
        require(o in METRICS, f"space.objectives: '{o}' is not a metric; use one of {', '.join(METRICS)}")
    constraints = _parse_constraints(data.get("constraints", {}) or {})
    space = DesignSpace(name=name, candidates=tuple(candidates), constraints=constraints,
                        objectives=objectives, seed=seed, source=text, base_dir=base_dir)
    _check_constraints_reachable(space)
    return space


def _parse_candidate(raw: Any, i: int, workloads: Any, pruning: Any, base_dir: Path | None) -> Candidate:
    where = f"space.candidates[{i}]"
    require(isinstance(raw, Mapping), f"{where}: expected a mapping with 'base' and 'vary', got {raw!r}")
    for k in raw:
        require(k in ("name", "base", "vary", "workloads", "pruning"),
                f"{where}.{k}: unknown key; use name, base, vary, workloads, pruning")
    require("base" in raw, f"{where}: missing 'base' (a preset name or accelerator YAML path)")
    from cosim.hw.loader import load_accelerator
    from cosim.hw.schema import to_mapping

    base = str(raw["base"])
    if base_dir is not None and (base_dir / base).is_file():
        base = str(base_dir / base)  # a path relative to the space file
    try:
        spec = load_accelerator(base)
    except CosimError as e:
        raise CosimError(f"{where}.base: {e}") from None
    name = str(raw.get("name", raw["base"]))
    where = f"candidate '{name}'"
    wl = raw.get("workloads", workloads)
    require(wl is not None, f"{where}: no workloads; list them under space.workloads or the candidate's 'workloads'")
    wl_dim = Dimension("workload", _values(wl if isinstance(wl, list) else [wl], f"{where}.workloads"))
    from cosim.search.workload_variants import base_workload

    for w in wl_dim.values:
        require(isinstance(w, str), f"{where}.workloads: '{w!r}' is not a workload name; use a zoo name or a path")
        try:
            base_workload(w)
        except CosimError as e:
            raise CosimError(f"{where}.workloads: {e}") from None
    pr = raw.get("pruning", pruning) or {}
    require(isinstance(pr, Mapping), f"{where}.pruning: expected a mapping of {', '.join(PRUNING_KEYS)}")
    for k in pr:
        require(k in PRUNING_KEYS, f"{where}.pruning.{k}: unknown key; use {', '.join(PRUNING_KEYS)}")
    pr_dims = []
    for k in PRUNING_KEYS:
        vals = _values(pr[k], f"{where}.pruning.{k}") if k in pr else PRUNING_DEFAULTS[k]
        if k == "bits":
            for b in vals:
                require(isinstance(b, int) and 1 <= b <= 32, f"{where}.pruning.bits: {b!r} is not a bit width 1..32")
        else:
            vals = tuple(str(v) for v in vals)
        if k == "sparsity":
            for v in vals:
                _check_sparsity_text(v, f"{where}.pruning.sparsity")
        if k in ("recipe", "allocation"):
            from cosim.search.recipes import check_pruning_values

            check_pruning_values(k, vals, f"{where}.pruning.{k}")
        pr_dims.append(Dimension(f"pruning.{k}", tuple(vals)))
    vary = raw.get("vary", {}) or {}
    require(isinstance(vary, Mapping), f"{where}.vary: expected a mapping of dotted spec fields to value lists")
    hw_dims = []
    for path, spec_values in vary.items():
        path = str(path)
        field_type = spec_field_type(spec, path, f"{where}.vary.{path}")
        vals = _values(spec_values, f"{where}.vary.{path}")
        for v in vals:
            check_value_type(v, field_type, f"{where}.vary.{path}")
        hw_dims.append(Dimension(path, vals))
    cand = Candidate(name=name, base=base, kind=spec.kind, base_mapping=to_mapping(spec),
                     dims=(wl_dim, *pr_dims, *hw_dims), base_spec=spec)
    return dataclasses.replace(cand, replace_ok=replace_agrees_with_loader(cand))


def _require_few(n: int, where: str) -> None:
    require(n <= MAX_VALUES_PER_DIMENSION, f"{where}: the range has {n} values, more than the "
            f"{MAX_VALUES_PER_DIMENSION} one dimension may take; use a larger step or a smaller num")


def _values(raw: Any, where: str) -> tuple:
    """A dimension's finite list of values from a list, a scalar, or a {range:…} mapping."""
    if isinstance(raw, Mapping):
        for k in raw:
            require(k in ("range", "step", "num", "log", "values"),
                    f"{where}.{k}: unknown key; use values: [...] or range: [lo, hi] with step or num (and log)")
        if "values" in raw:
            return _values(list(raw["values"]), where)
        require("range" in raw, f"{where}: give 'values: [...]' or 'range: [lo, hi]'")
        rng = raw["range"]
        require(isinstance(rng, list) and len(rng) == 2 and all(is_number(x) for x in rng),
                f"{where}.range: expected [lo, hi] numbers, got {shown(rng)}")
        lo, hi = (check_number(x, f"{where}.range") for x in rng)
        require(lo <= hi, f"{where}.range: [{lo}, {hi}] is empty (lo > hi); swap the bounds")
        integral = isinstance(lo, int) and isinstance(hi, int)
        if "step" in raw:
            step = raw["step"]
            require(is_number(step) and step > 0, f"{where}.step: must be a number > 0, got {shown(step)}")
            check_number(step, f"{where}.step")
            n = int(math.floor((hi - lo) / step + 1e-9)) + 1
            _require_few(n, where)  # counted before any value is built
            vals = [lo + i * step for i in range(n)]
            integral = integral and isinstance(step, int)
        else:
            num = raw.get("num")
            require(isinstance(num, int) and num >= 1, f"{where}: a range needs 'step' or 'num' (an integer >= 1)")
            _require_few(num, where)
            if raw.get("log"):
                require(lo > 0, f"{where}.range: a log range needs lo > 0, got {lo}")
                vals = [lo * (hi / lo) ** (i / (num - 1)) if num > 1 else lo for i in range(num)]
            else:
                vals = [lo + (hi - lo) * i / (num - 1) if num > 1 else lo for i in range(num)]
        vals = [int(round(v)) if integral else float(round(v, 12)) for v in vals]
        vals = list(dict.fromkeys(vals))  # integer rounding of a log range can repeat values
        require(vals, f"{where}: the range is empty; widen it")
        return tuple(vals)
    if isinstance(raw, list):
        require(len(raw) > 0, f"{where}: empty list of values; give at least one")
        _require_few(len(raw), where)
        for v in raw:
            require(not isinstance(v, (list, Mapping)) or isinstance(v, list),
                    f"{where}: value {shown(v)} is not a scalar")
            if is_number(v):
                check_number(v, where, integer=isinstance(v, int))
        out = tuple(tuple(v) if isinstance(v, list) else v for v in raw)
        require(len(set(map(repr, out))) == len(out), f"{where}: a value is listed twice; list each once")
        return out
    require(raw is not None, f"{where}: no values; give a list, a scalar or a range")
    return (raw,)


def _check_sparsity_text(text: str, where: str) -> None:
    from cosim.search.workload_variants import parse_sparsity_text

    try:
        parse_sparsity_text(text)
    except CosimError as e:
        raise CosimError(f"{where}: {e}") from None


def _parse_constraints(raw: Any) -> tuple[Constraint, ...]:

    require(isinstance(raw, Mapping), "space.constraints: expected a mapping metric: {max: x} or {min: x}")
    out = []
    for metric, bound in raw.items():
        where = f"space.constraints.{metric}"
        require(metric in METRICS, f"{where}: unknown metric; use one of {', '.join(METRICS)}")
        require(isinstance(bound, Mapping) and bound and set(bound) <= {"min", "max"},
                f"{where}: expected {{max: x}} and/or {{min: x}}, got {shown(bound)}")
        lo, hi = bound.get("min"), bound.get("max")
        for k, v in (("min", lo), ("max", hi)):
            require(v is None or is_number(v), f"{where}.{k}: expected a number, got {shown(v)}")
            if v is not None:
                check_number(v, f"{where}.{k}")  # finite: leave the bound out for no constraint
        require(lo is None or hi is None or lo <= hi,
                f"{where}: min {lo} > max {hi} can never be met; fix the bounds")
        require(hi is None or hi >= 0 or metric in MAXIMISED,
                f"{where}: max {hi} < 0 can never be met by a non-negative metric; fix the bound")
        out.append(Constraint(metric, None if lo is None else float(lo), None if hi is None else float(hi)))
    return tuple(out)


def _check_constraints_reachable(space: DesignSpace) -> None:
    """Constraints on spec-only metrics (sizes, peak compute, area) must be met by some design.

    Checked on each candidate's corner designs (every numeric field at its smallest, or largest,
    value) plus a few grid points: budgets are monotone in sizes, so a budget the smallest corner
    misses is missed everywhere. Workload-dependent constraints (latency) are checked per point.
    """
    static = [c for c in space.constraints if c.metric in SPEC_METRICS]
    if not static:
        return
    best: dict[str, list[float]] = {c.metric: [] for c in static}
    for cand in space.candidates:
        hw_dims = cand.hw_dims
        probes = [{}] if not hw_dims else [
            {d.path: (pick(d.values) if all(is_number(v) for v in d.values) else d.values[0]) for d in hw_dims}
            for pick in (min, max)] + list(probe_choices(hw_dims, 16))
        for hw in probes:
            spec = build_spec(cand, hw)
            if isinstance(spec, str):
                continue
            m = spec_metrics(spec)
            if all(c.violation(m.get(c.metric, float("nan"))) is None for c in static):
                return
            for c in static:
                v = m.get(c.metric)
                if v is not None:
                    best[c.metric].append(v)
    parts = []
    for c in static:
        vals = best[c.metric]
        if not vals:
            parts.append(f"{c.metric} (no candidate reports it)")
        elif c.max is not None:
            parts.append(f"{c.metric} <= {c.max:g} (smallest probed: {min(vals):g})")
        else:
            parts.append(f"{c.metric} >= {c.min:g} (largest probed: {max(vals):g})")
    raise CosimError(f"space.constraints: no design in the space meets {'; '.join(parts)}; "
                     "relax the constraint or widen the ranges")


__all__ = ["Dimension", "Candidate", "DesignPoint", "Constraint", "DesignSpace", "load_space", "parse_space",
           "default_space_path"]
