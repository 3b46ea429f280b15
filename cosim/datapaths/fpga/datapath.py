"""FPGA datapath: ``evaluate(walk, specs, cache) -> BatchPerf``.

An overlay engine reused layer by layer (DPU-like) or a dataflow pipeline of one engine per layer
(FINN/hls4ml-like): cosim/datapaths/fpga/model.py. A pipeline folds every engine against one device
budget, so a layer's numbers depend on the whole network: sites are layers (``distinct=False``) and
network totals (pipeline latency, the slowest stage's throughput) come with the result. Designs are
evaluated one after another; a design that does not fit its board is infeasible with the resource,
amount and layer in its reason.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from cosim.cache import DEFAULT, EvalCache
from cosim.datapaths.fpga.dataflow import dataflow_graph, design_pipeline
from cosim.datapaths.fpga.feasibility import Violation, find_violations, pipeline_violations
from cosim.datapaths.fpga.model import PipelineTotals
from cosim.datapaths.fpga.overlay import overlay_graph
from cosim.datapaths.fpga.resources import overlay_resources
from cosim.errors import CosimError
from cosim.hw.designs import Designs
from cosim.graph import LayerGraph
from cosim.perf import BatchPerf, LayerPerf, NetworkPerf, NoDetails, pack
from cosim.walk import Walk


def simulate_graph(graph: LayerGraph, spec) -> tuple[list[LayerPerf], PipelineTotals]:
    """Every layer of ``graph`` on ``spec`` (layers in topological order) and the network totals.
    Raises CosimError when the design does not fit the board."""
    if spec.style == "overlay":
        return overlay_graph(graph, spec)
    return dataflow_graph(graph, spec)


def check_feasibility(graph: LayerGraph, spec: Any) -> list[Violation]:
    """Violations of ``spec``'s budget by the design cosim builds for ``graph`` (empty: it fits).

    Overlay: the engine's resources (``layer`` = '(overlay engine)'). Dataflow: the pipeline the
    automatic/user folding chooses — when nothing fits, the most folded one, so each violation names
    the layer that needs the most of the resource even at its cheapest.
    """
    if spec.style == "overlay":
        res, _ = overlay_resources(spec.overlay)
        return find_violations({"(overlay engine)": res.as_dict()}, spec.device.budget())
    _, _, designs, fixed, _ = design_pipeline(graph, spec)
    return pipeline_violations(designs, fixed, spec)


def site_policy(designs: Designs) -> tuple[bool, bool]:
    """One site per layer: a pipeline's folding of one engine depends on all the others."""
    return False, False


def evaluate(w: Walk, designs: Designs | Sequence[Any], cache: EvalCache = DEFAULT) -> BatchPerf:
    """Every layer of ``w`` on every FPGA design."""
    d = designs if isinstance(designs, Designs) else Designs.of(designs)
    graph = w.graph
    if graph is None:  # a layer on its own: an overlay core, or a one-engine pipeline
        graph = LayerGraph(w.name)
        graph.add(w.layers[0])
    perfs: list[list[LayerPerf] | None] = []
    reasons: list[str] = []
    totals = []
    specs: list[Any] = []
    for j in range(len(d)):
        try:
            spec = d.spec(j)
            specs.append(spec)
            p, t = simulate_graph(graph, spec)
        except CosimError as e:
            specs += [None] * (j + 1 - len(specs))
            perfs.append(None)
            reasons.append(str(e))
            totals.append(None)
            continue
        perfs.append(p)
        reasons.append("")
        totals.append(t)

    def arr(name, dtype):
        return np.array([getattr(t, name) if t is not None else 0 for t in totals], dtype=dtype)

    network = NetworkPerf(total_cycles=arr("total_cycles", np.int64), latency_cycles=arr("latency_cycles", np.int64),
                          throughput_inferences_per_s=arr("throughput_inferences_per_s", np.float64),
                          details=lambda j: totals[j].details if totals[j] is not None else NoDetails())
    return pack(len(w.sites), perfs, reasons, specs, network)
