"""A toy accelerator kind for the search tests: one compute array, one buffer, DRAM.

The search machinery (spaces, samplers, store, resume, executors) is tested on this model so its
tests do not move when a real datapath model is recalibrated; search only sees the public
``simulate`` interface either way. Other search tests import ``install``/``write_toy_space`` from here.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from cosim.errors import require
from cosim.hw.spec import DramSpec, EnergySpec, SramSpec
from cosim.perf import LayerPerf

TOY_MODULE = __name__


@dataclass(frozen=True)
class ToySpec:
    name: str
    macs_per_cycle: int = 64
    buffer_kib: float = 64.0
    clock_mhz: float = 1000.0
    dram: DramSpec = field(default_factory=DramSpec)
    energy: EnergySpec = field(default_factory=EnergySpec)
    kind: str = "toy"

    def __post_init__(self) -> None:
        require(self.macs_per_cycle >= 1, f"macs_per_cycle must be >= 1, got {self.macs_per_cycle}")
        # A cross-field rule, so some combinations of valid values are invalid (an infeasible point).
        require(self.buffer_kib * 16 >= self.macs_per_cycle,
                f"buffer_kib {self.buffer_kib} cannot feed {self.macs_per_cycle} MACs/cycle; enlarge it")

    @property
    def peak_macs_per_cycle(self) -> int:
        return self.macs_per_cycle

    @property
    def cycle_s(self) -> float:
        return 1.0 / (self.clock_mhz * 1e6)

    def sram_buffers(self) -> dict[str, SramSpec]:
        return {"buf": SramSpec(size_kib=self.buffer_kib)}


def simulate_layer(layer, spec: ToySpec) -> LayerPerf:
    """Cycles = effectual MACs / peak, plus DRAM cycles beyond that; energy actions MACs and DRAM bits.

    TOY_SLEEP_S (environment) slows each layer down, so a test can kill a sweep in the middle.
    """
    if os.environ.get("TOY_SLEEP_S"):
        time.sleep(float(os.environ["TOY_SLEEP_S"]))
    eff = int(round(layer.macs * layer.weight_density))
    compute = max(1, math.ceil(eff / spec.macs_per_cycle)) if layer.is_compute else max(1, layer.vector_ops // 64)
    dram = layer.input_elems + layer.weight_elems * layer.weight_density + layer.output_elems
    dram_cycles = math.ceil(dram / (spec.dram.bandwidth_gb_per_s * 1e9 / (spec.clock_mhz * 1e6)))
    stall = max(0, dram_cycles - compute)
    return LayerPerf(compute_cycles=compute, stall_cycles=stall, macs=layer.macs, effectual_macs=eff,
                     utilization=eff / (spec.macs_per_cycle * (compute + stall)), mapping_efficiency=1.0,
                     sram_read_bytes={"buf": int(dram)}, sram_write_bytes={}, dram_read_bytes=int(dram),
                     dram_write_bytes=0, vector_ops=layer.vector_ops,
                     actions={"mac:int8": eff, "dram:read_bit": 8 * int(dram), "vector:op": layer.vector_ops})


def site_policy(designs):
    return True, False


def evaluate(walk, designs, cache=None):
    """The toy's batch entry point: a loop over designs and sites (the shape looping datapaths take)."""
    from cosim.hw.designs import Designs
    from cosim.perf import pack

    d = designs if isinstance(designs, Designs) else Designs.of(designs)
    specs = d.specs()
    return pack(len(walk.sites), [[simulate_layer(s.layer, spec) for s in walk.sites] for spec in specs],
                [""] * len(specs), specs)


def install() -> None:
    """Register the toy kind with the loader and the simulator (idempotent)."""
    from cosim.hw.loader import register_kind
    from cosim.hw.schema import from_mapping
    from cosim.simulate import DATAPATHS

    register_kind("toy", lambda d: from_mapping(ToySpec, d))
    DATAPATHS["toy"] = TOY_MODULE


def write_toy_space(folder: Path, **overrides) -> Path:
    """A toy base accelerator and a small space over it (4·3·2·2 = 48 points per workload choice)."""
    base = folder / "toy-base.yaml"
    base.write_text(yaml.safe_dump({"name": "toy-base", "kind": "toy", "macs_per_cycle": 64, "buffer_kib": 64}))
    space = {
        "name": "toy-space",
        "workloads": ["mlp"],
        "pruning": {"sparsity": ["dense", "unstructured:0.5"]},
        "candidates": [{"name": "toy", "base": str(base),
                        "vary": {"macs_per_cycle": [16, 64, 256, 1024], "buffer_kib": [1, 16, 64],
                                 "dram.bandwidth_gb_per_s": [1, 10]}}],
        "objectives": ["latency_s", "energy_j"],
    }
    space.update(overrides)
    path = folder / "space.yaml"
    path.write_text(yaml.safe_dump(space, sort_keys=False))
    return path


def test_toy_model_is_bounded_by_peak_compute():
    from cosim.graph import Layer

    install()
    layer = Layer.linear("fc", 256, 128, tokens=4)
    spec = ToySpec(name="t", macs_per_cycle=64, dram=DramSpec(bandwidth_gb_per_s=1000.0))
    perf = simulate_layer(layer, spec)
    assert perf.total_cycles == layer.macs // 64
