"""Bounded option types for the command line: every number a flag takes has a stated range.

Without bounds a flag like ``-b 17592186044416`` or ``--seed -1`` reaches the models and fails deep
inside with an overflow; here it is refused with one line naming the flag and the accepted range.
"""

from __future__ import annotations

import math

import click

BATCH = click.IntRange(1, 2**20)          # a batch of a million samples is beyond any accelerator model here
SEED = click.IntRange(0, 2**32 - 1)       # numpy's SeedSequence-compatible 32-bit seeds
COUNT = click.IntRange(1, 10**9)          # points, steps, epochs, workers, rows, chunk sizes
ROWS = click.IntRange(0, 10**6)
BITS = click.IntRange(1, 64)


class FiniteFloat(click.ParamType):
    """A finite float within [minimum, maximum] (click's FloatRange lets NaN through)."""

    name = "number"

    def __init__(self, minimum: float, maximum: float):
        self.minimum, self.maximum = minimum, maximum

    def convert(self, value, param, ctx):
        try:
            v = float(value)
        except (TypeError, ValueError):
            self.fail(f"{str(value)[:40]!r} is not a number", param, ctx)
        if not (math.isfinite(v) and self.minimum <= v <= self.maximum):
            self.fail(f"{v} is not a finite number in [{self.minimum:g}, {self.maximum:g}]", param, ctx)
        return v


FRACTION = FiniteFloat(0.0, 1.0)
POSITIVE = FiniteFloat(0.0, 1e18)
