"""Test-wide settings.

Property tests are derandomized (the same examples on every run, so CI is reproducible — the brief's
determinism rule applies to tests too) and have no per-example deadline (CI machines are shared and
Numba compiles on first use); a developer can explore new examples with HYPOTHESIS_PROFILE=explore.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
