"""Bring your own model and data: ``--evaluator module:function`` (or ``path/to/file.py:function``).

cosim prunes the weights and hands them to the user's function, which measures an accuracy on the
user's data and returns it::

    def evaluate(weights: dict[str, numpy.ndarray]) -> float:
        ...  # weights: layer name -> the pruned (and quantized) weights in cosim's GEMM view
             # (groups, N, K) = (1, out, in·kh·kw) for a plain conv, zero wherever pruning removed
             # one; reshape to the framework's layout (PyTorch OIHW / (out, in)) and run the test set

The module may also define ``graph()`` returning the cosim LayerGraph of the model with its weights
in ``graph.weights`` (layer → array); ``cosim prune --evaluator M:F`` without ``-w`` prunes that
graph (examples/torch_digits.py builds one from a PyTorch model with cosim.prune.torch_import).
From Python, pass the function itself: ``prune_workload(graph, pattern, evaluate=fn)``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Callable

from cosim.errors import CosimError, require


def _module(name: str):
    if name.endswith(".py"):
        p = Path(name)
        require(p.is_file(), f"--evaluator: file '{name}' does not exist; give module:function or path.py:function")
        spec = importlib.util.spec_from_file_location(f"cosim_evaluator_{p.stem}", p)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod
        try:
            spec.loader.exec_module(mod)
        except Exception as e:  # noqa: BLE001 — the user's code: one line saying what failed
            raise CosimError(f"--evaluator: importing '{name}' failed: {type(e).__name__}: {str(e)[:200]}") from None
        return mod
    try:
        return importlib.import_module(name)
    except ImportError as e:
        raise CosimError(f"--evaluator: module '{name}' cannot be imported ({str(e)[:200]}); "
                         "check the name or give path/to/file.py:function") from None


def load_evaluator(text: str) -> Callable[[dict], float]:
    """The function named by 'module:function' or 'path.py:function', checked to be callable; its
    return value is checked (a number in [0, 1]) on every call."""
    mod_name, sep, fn_name = str(text).rpartition(":")
    require(sep == ":" and mod_name and fn_name, f"--evaluator '{text}': write module:function or path.py:function")
    fn = getattr(_module(mod_name), fn_name, None)
    require(callable(fn), f"--evaluator '{text}': '{fn_name}' is not a function of '{mod_name}'")

    def call(weights: dict) -> float:
        try:
            acc = fn(weights)
        except Exception as e:  # noqa: BLE001
            raise CosimError(f"--evaluator '{text}' failed: {type(e).__name__}: {str(e)[:200]}") from None
        try:
            acc = float(acc)
        except (TypeError, ValueError):
            raise CosimError(f"--evaluator '{text}' returned {acc!r}; it must return an accuracy in [0, 1]") from None
        require(0.0 <= acc <= 1.0, f"--evaluator '{text}' returned {acc}; it must return an accuracy in [0, 1]")
        return acc

    return call


def evaluator_graph(text: str):
    """The LayerGraph with weights that the evaluator's module builds (its ``graph()``)."""
    mod_name = str(text).rpartition(":")[0]
    build = getattr(_module(mod_name), "graph", None)
    require(callable(build), f"--evaluator '{text}': its module has no graph() giving the model; pass -w too")
    g = build()
    require(getattr(g, "weights", None) is not None,
            f"--evaluator '{text}': graph() must return a LayerGraph with .weights (layer -> array)")
    return g
