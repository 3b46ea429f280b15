"""Building the spec of a design point: overrides on the base spec, validated like the loader does."""

from __future__ import annotations

import pytest

from cosim.errors import CosimError
from cosim.search.space import load_space, parse_space
from cosim.search.specs import apply_overrides, build_spec, build_spec_via_loader, replace_fields
from test_search_space import SYSTOLIC
from test_search_toy import install, write_toy_space


def test_apply_overrides_copies_only_touched_branches():
    base = {"a": {"b": 1, "c": 2}, "d": 3}
    out = apply_overrides(base, {"a.b": 5})
    assert out == {"a": {"b": 5, "c": 2}, "d": 3}
    assert base["a"]["b"] == 1


def test_invalid_combination_is_a_reason_not_a_crash(tmp_path):
    install()
    space = load_space(write_toy_space(tmp_path))
    cand = space.candidates[0]
    reason = build_spec(cand, {"macs_per_cycle": 1024, "buffer_kib": 1, "dram.bandwidth_gb_per_s": 1})
    assert isinstance(reason, str) and "cannot feed" in reason


def test_field_replacement_builds_the_loaders_spec(tmp_path):
    """The fast build path gives the same spec as re-validating the mapping, and rejects the same points."""
    install()
    toy = load_space(write_toy_space(tmp_path))
    for space in (parse_space(SYSTOLIC), toy):
        cand = space.candidates[0]
        assert cand.replace_ok
        rejected = 0
        for i in range(space.size):
            hw = space.point(i).hw
            ref = build_spec_via_loader(cand, hw)
            fast = build_spec(cand, hw)
            assert isinstance(ref, str) == isinstance(fast, str)
            if isinstance(ref, str):
                rejected += 1
                with pytest.raises(CosimError):
                    replace_fields(cand.base_spec, hw)
            else:
                assert fast == ref
        assert rejected == (0 if space is not toy else 16)  # buffer_kib·16 < macs_per_cycle: 4 of 12 (x2 x2)
