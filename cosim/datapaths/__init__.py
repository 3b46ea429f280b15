"""Datapath models: each simulates one layer on one accelerator spec and returns a LayerPerf.

systolic.py (SCALE-Sim-style arrays; formulas in systolic_batch.py, mapping in cosim/datapaths/systolic/tiling.py),
vector.py (vector layers on a systolic accelerator's SIMD unit), sparse_tensor_core.py, fpga.py.
"""
