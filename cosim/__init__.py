"""cosim — hardware–accelerator co-design simulator for pruned neural networks.

    >>> import cosim
    >>> report = cosim.simulate(cosim.load_workload("resnet50"), cosim.load_accelerator("scalesim-32x32-ws"))
    >>> report.total.total_cycles

The names below load their modules on first use, so ``import cosim`` (and ``cosim --version``) stays
fast: numpy, networkx and numba are imported by the code that uses them.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name → (module, attribute)
_LAZY = {
    "CosimError": ("cosim.errors", "CosimError"),
    "Layer": ("cosim.graph", "Layer"),
    "LayerGraph": ("cosim.graph", "LayerGraph"),
    "Sparsity": ("cosim.sparsity", "Sparsity"),
    "simulate": ("cosim.simulate", "simulate"),
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'cosim' has no attribute '{name}'")
    value = getattr(importlib.import_module(target[0]), target[1])
    globals()[name] = value
    return value


def load_accelerator(name_or_path):
    """An accelerator spec from a preset name or a YAML file."""
    from cosim.hw.loader import load_accelerator as _load

    return _load(name_or_path)


def load_workload(name_or_path, **params):
    """A LayerGraph from a zoo name (``resnet50``, ``bert-base``...) or a file (YAML, ONNX, SCALE-Sim CSV)."""
    from cosim.workloads import load_workload as _load

    return _load(name_or_path, **params)


__all__ = ["CosimError", "Layer", "LayerGraph", "Sparsity", "simulate", "load_accelerator", "load_workload",
           "__version__"]
