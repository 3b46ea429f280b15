"""Datapath models, one package each: systolic/ (SCALE-Sim-style arrays), tensor_core/ (GPU-like sparse
tensor cores), fpga/ (overlay engines and dataflow pipelines).

Each exposes ``datapath.evaluate(walk, specs, cache) -> cosim.perf.BatchPerf`` over a network's sites ×
many designs, and ``datapath.site_policy(specs)``; ``cosim.simulate.DATAPATHS`` maps a spec's kind to it.
"""
