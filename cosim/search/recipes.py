"""Training recipes of the co-search, and their memo in the sweep store: each distinct recipe is
trained once, whatever the number of hardware points that share it.

A point's pruning is (workload, sparsity, allocation, bits, recipe): the pattern, the per-layer
allocation and the quantization are the other dimensions; the recipe says how the pruned model is
made — schedule, pruning steps, fine-tuning epochs, distillation, scope and criterion::

    default                                    one-shot + DEFAULT_FINETUNE_EPOCHS of fine-tuning
    one-shot:ft=0                              prune, no fine-tuning
    poly:steps=5:ft=3:scope=global             Zhu & Gupta's ramp, 3 epochs after each of 5 steps
    poly:steps=5:ft=3:distill=4,0.7            the same, fine-tuned with distillation (T=4, α=0.7)

Accuracy is a property of the recipe, not of the hardware: for a measurable workload (an embedded
model with its data: digits-*, mnist-*) the sweep's parent process trains each distinct
(workload, sparsity, allocation, bits, recipe) before the chunks that use it go out, and keeps the
pruned graph (masks, bit widths) and its measured accuracy in the store's ``recipes`` table
(:class:`RecipeMemo`). Workers read it from there; a resumed sweep finds it there and trains nothing
again. Workloads without data ignore the training parts of a recipe (their accuracy is a proxy).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cosim.errors import require
from cosim.prune.distill import Distill, parse_distill
from cosim.prune.schedules import SCHEDULES

DEFAULT = "default"
DEFAULT_FINETUNE_EPOCHS = 5  # cosim prune's default on the embedded models (cosim/cli/prune_cmd.py)
_KEYS = ("steps", "ft", "distill", "scope", "criterion")


@dataclass(frozen=True)
class Recipe:
    schedule: str = "one-shot"
    steps: int = 1
    finetune_epochs: int = DEFAULT_FINETUNE_EPOCHS
    distill: Distill | None = None
    scope: str = "layer"
    criterion: str = "magnitude"

    def schedule_obj(self):
        from cosim.prune.schedules import Schedule

        return Schedule(self.schedule, self.steps if self.schedule != "one-shot" else 1, self.finetune_epochs)


def parse_recipe(text: str) -> Recipe:
    """``SCHEDULE[:steps=N][:ft=E][:distill=T,ALPHA][:scope=layer|global][:criterion=C]`` or 'default'."""
    t = str(text).strip()
    if t.lower() == DEFAULT:
        return Recipe()
    head, *rest = t.split(":")
    require(head in SCHEDULES, f"pruning.recipe '{t}': schedule '{head}' is unknown; start with one of "
                               f"{', '.join(SCHEDULES)} or write 'default'")
    kw: dict = {"schedule": head}
    for part in rest:
        k, sep, v = part.partition("=")
        require(sep == "=" and k in _KEYS, f"pruning.recipe '{t}': '{part}' is not KEY=VALUE with KEY one of "
                                           f"{', '.join(_KEYS)}")
        if k in ("steps", "ft"):
            require(v.strip().lstrip("-").isdigit(), f"pruning.recipe '{t}': {k}={v} is not an integer")
            n, low = int(v), (1 if k == "steps" else 0)
            require(n >= low, f"pruning.recipe '{t}': {k} must be an integer >= {low}, got {v}")
            kw["steps" if k == "steps" else "finetune_epochs"] = n
        elif k == "distill":
            kw["distill"] = parse_distill(v)
        else:
            kw[k] = v
    r = Recipe(**kw)
    require(r.scope in ("layer", "global"), f"pruning.recipe '{t}': scope must be layer or global, got {r.scope}")
    from cosim.prune.criteria import CRITERIA

    require(r.criterion in CRITERIA, f"pruning.recipe '{t}': criterion '{r.criterion}' is unknown; use one of "
                                     f"{', '.join(CRITERIA)}")
    r.schedule_obj()  # the schedule's own checks
    return r


def check_pruning_values(key: str, values, where: str) -> None:
    """A space's pruning.recipe / pruning.allocation values, checked when the space is loaded."""
    from cosim.search.hw_allocation import STATIC_ALLOCATIONS, parse_hw_allocation

    for v in values:
        if key == "recipe":
            parse_recipe(v)
        else:
            require(v in STATIC_ALLOCATIONS or parse_hw_allocation(v) is not None,
                    f"{where}: '{v}' is unknown; use {', '.join(STATIC_ALLOCATIONS)}, hw-latency:F or hw-energy:F")


def recipe_key(workload: str, sparsity: str, allocation: str, bits: int, recipe: str, accelerator: str = "") -> str:
    """The memo key of one trained model (the recipe text normalised through its parse); a
    hardware-aware allocation adds the accelerator it was made for."""
    r = parse_recipe(recipe)
    return "|".join(map(str, (workload.lower(), sparsity, allocation, bits, r) + ((accelerator,) if accelerator else ())))


class RecipeMemo:
    """The ``recipes`` table of a sweep store: key → pruned-model file bytes (cosim/prune/io.py) and
    the measured accuracy. Writers are the sweep's parent process only; workers read."""

    def __init__(self, store_path: str | Path):
        self.path = Path(store_path)
        self.conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=30.0)
        self.conn.execute("CREATE TABLE IF NOT EXISTS recipes (key TEXT PRIMARY KEY, accuracy REAL, "
                          "train_s REAL, model BLOB)")

    def close(self) -> None:
        self.conn.close()

    def keys(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT key FROM recipes")}

    def get(self, key: str):
        """(pruned LayerGraph, accuracy) or None."""
        row = self.conn.execute("SELECT accuracy, model FROM recipes WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        from cosim.prune.io import load_pruned

        fd, tmp = tempfile.mkstemp(suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(row[1])
            return load_pruned(tmp), row[0]
        finally:
            os.unlink(tmp)

    def put(self, key: str, graph, accuracy: float, train_s: float) -> None:
        from cosim.prune.io import save_pruned

        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / "m.npz"
            save_pruned(p, graph, {"recipe_key": key, "accuracy": accuracy})
            blob = p.read_bytes()
        self.conn.execute("INSERT OR REPLACE INTO recipes (key, accuracy, train_s, model) VALUES (?, ?, ?, ?)",
                          (key, accuracy, train_s, blob))


def measurable(workload: str) -> bool:
    """Whether cosim can measure the workload's accuracy (an embedded model with its data)."""
    from cosim.prune import digits

    return str(workload).lower() in digits.ARCHS
