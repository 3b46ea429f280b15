"""Design-space search: spaces (YAML), samplers (grid, random, NSGA-II), batch evaluation, executors
(serial, processes, Dask), a resumable SQLite result store, Pareto fronts.

    >>> from cosim.search import load_space, run_sweep
    >>> result = run_sweep(load_space("cosearch-default"), "cosim-out/")   # workloads/spaces/*.yaml by name
"""

from cosim.search.pareto import pareto_mask  # noqa: F401
from cosim.search.space import DesignSpace, load_space  # noqa: F401
from cosim.search.store import ResultStore  # noqa: F401
from cosim.search.sweep import SweepResult, run_sweep  # noqa: F401

__all__ = ["DesignSpace", "load_space", "run_sweep", "SweepResult", "ResultStore", "pareto_mask"]
