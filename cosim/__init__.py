"""cosim — hardware–accelerator co-design simulator for pruned neural networks.

    >>> import cosim
    >>> report = cosim.simulate(cosim.load_workload("resnet50"), cosim.load_accelerator("scalesim-32x32-ws"))
    >>> report.total.total_cycles
"""

__version__ = "0.1.0"

from cosim.errors import CosimError  # noqa: E402
from cosim.graph import Layer, LayerGraph  # noqa: E402
from cosim.sparsity import Sparsity  # noqa: E402


# Imported eagerly so that a later ``import cosim.simulate`` (the module) cannot shadow the function.
from cosim.simulate import simulate  # noqa: E402


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
