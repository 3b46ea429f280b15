"""Pruning schedules: how sparsity grows from dense to its target, and when fine-tuning happens.

* ``one-shot``  — prune to the target at once, then fine-tune ``finetune_epochs`` (0: none).
* ``iterative`` — ``steps`` equal increments s_f·t/n, fine-tuning after each (Han et al. 2015,
  "Learning both Weights and Connections", iterative pruning and retraining).
* ``poly``      — the gradual ramp of Zhu & Gupta 2017 ("To prune, or not to prune", eq. 1):
  s_t = s_f + (s_i − s_f)·(1 − t/n)³ for t = 1..n, fine-tuning after each step: fast at first, while
  redundant weights abound, slow near the target.
* ``adaptive``  — the poly ramp, but after each step the model is evaluated on validation data; the
  schedule stops at the last step whose accuracy stayed within ``tolerance`` (absolute, in [0, 1])
  of the dense accuracy, and restores that state.

A schedule drives three callables so it works for any model: ``prune_to(sparsity)``,
``fine_tune(epochs)`` and ``evaluate() -> accuracy``; ``snapshot()`` / ``restore(state)`` serve the
adaptive schedule. N:M patterns have one sparsity (1 − N/M); their steps repeat it, which is how
iterative N:M fine-tuning is done in practice (prune once, fine-tune).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from cosim.errors import require

SCHEDULES = ("one-shot", "iterative", "poly", "adaptive")


@dataclass(frozen=True)
class Schedule:
    kind: str = "one-shot"
    steps: int = 1
    finetune_epochs: int = 0  # after every step (one-shot: after the single step)
    initial_sparsity: float = 0.0  # poly/adaptive s_i
    tolerance: float = 0.01  # adaptive: largest accuracy drop accepted (absolute, 0.01 = 1 point)

    def __post_init__(self) -> None:
        require(self.kind in SCHEDULES, f"--schedule '{self.kind}' is unknown; use one of {', '.join(SCHEDULES)}")
        require(isinstance(self.steps, int) and self.steps >= 1, f"--steps must be >= 1, got {self.steps}")
        require(self.finetune_epochs >= 0, f"--finetune-epochs must be >= 0, got {self.finetune_epochs}")
        require(0.0 <= self.initial_sparsity < 1.0,
                f"--initial-sparsity must be in [0, 1), got {self.initial_sparsity}")
        require(0.0 <= self.tolerance < 1.0, f"--tolerance must be in [0, 1), got {self.tolerance}")


def polynomial_sparsity(t: int, n: int, initial: float, final: float, power: int = 3) -> float:
    """Zhu & Gupta 2017 eq. 1: s_t = s_f + (s_i − s_f)(1 − t/n)^3, t = 0..n (s_0 = s_i, s_n = s_f)."""
    require(n >= 1 and 0 <= t <= n, f"poly schedule step {t} is outside 0..{n}")
    return final + (initial - final) * (1.0 - t / n) ** power


def sparsity_steps(schedule: Schedule, final: float) -> list[float]:
    """The target sparsity after each pruning step."""
    n = 1 if schedule.kind == "one-shot" else schedule.steps
    if schedule.kind == "iterative":
        return [final * t / n for t in range(1, n + 1)]
    if schedule.kind in ("poly", "adaptive"):
        return [polynomial_sparsity(t, n, min(schedule.initial_sparsity, final), final) for t in range(1, n + 1)]
    return [final]


@dataclass(frozen=True)
class StepRecord:
    step: int
    sparsity: float
    accuracy: float | None  # after this step's fine-tuning (validation data for adaptive)
    accepted: bool = True


def run_schedule(schedule: Schedule, final: float, prune_to: Callable[[float], None],
                 fine_tune: Callable[[int], None] | None = None, evaluate: Callable[[], float] | None = None,
                 snapshot: Callable[[], Any] | None = None, restore: Callable[[Any], None] | None = None,
                 baseline_accuracy: float | None = None) -> list[StepRecord]:
    """Run the schedule; returns one record per step taken."""
    if schedule.kind == "adaptive":
        require(evaluate is not None and snapshot is not None and restore is not None
                and baseline_accuracy is not None,
                "--schedule adaptive needs an accuracy to watch; this workload has none (use one-shot)")
    records: list[StepRecord] = []
    good_state = snapshot() if schedule.kind == "adaptive" else None
    for i, s in enumerate(sparsity_steps(schedule, final), 1):
        prune_to(s)
        if fine_tune is not None and schedule.finetune_epochs:
            fine_tune(schedule.finetune_epochs)
        acc = evaluate() if evaluate is not None else None
        if schedule.kind == "adaptive":
            ok = acc >= baseline_accuracy - schedule.tolerance
            records.append(StepRecord(i, s, acc, ok))
            if not ok:
                restore(good_state)
                break
            good_state = snapshot()
        else:
            records.append(StepRecord(i, s, acc))
    return records
