"""Design spaces: parsing, dotted-field validation, point indexing, spec building."""

from __future__ import annotations

import functools
import subprocess
import sys

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from cosim.errors import CosimError
from cosim.search.space import load_space, parse_space
from cosim.search.specs import build_spec

SYSTOLIC = {"name": "s", "workloads": ["mlp"],
            "candidates": [{"name": "sys", "base": "scalesim-32x32-ws",
                            "vary": {"pe_array.rows": [8, 16], "pe_array.dataflow": ["os", "ws", "is"],
                                     "sram.ifmap.size_kib": {"range": [32, 512], "num": 5, "log": True},
                                     "clock_mhz": {"range": [500, 1500], "step": 250}}}]}


def space_with(**changes):
    data = yaml.safe_load(yaml.safe_dump(SYSTOLIC))
    for path, value in changes.items():
        node = data
        *head, last = path.split("/")
        for p in head:
            node = node[int(p)] if isinstance(node, list) else node[p]
        node[last] = value
    return data


def test_grid_size_and_ranges():
    space = parse_space(SYSTOLIC)
    dims = {d.path: d.values for d in space.candidates[0].dims}
    assert dims["sram.ifmap.size_kib"] == (32, 64, 128, 256, 512)  # log range of integers
    assert dims["clock_mhz"] == (500, 750, 1000, 1250, 1500)
    assert dims["pruning.sparsity"] == ("dense",)
    assert space.size == 1 * 1 * 1 * 1 * 2 * 3 * 5 * 5


def test_point_fields_and_spec():
    space = parse_space(SYSTOLIC)
    p = space.point(space.size - 1)  # last point: the last value of every dimension
    assert p.hw == {"pe_array.rows": 16, "pe_array.dataflow": "is", "sram.ifmap.size_kib": 512, "clock_mhz": 1500}
    spec = build_spec(space.candidates[0], p.hw)
    assert spec.pe_array.rows == 16 and spec.pe_array.dataflow == "is"
    assert spec.sram.ifmap.size_kib == 512 and spec.clock_mhz == 1500
    assert spec.pe_array.cols == 32  # untouched fields keep the base's values


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=0, max_value=149))
def test_locate_and_index_of_are_inverse(i):
    space = _systolic_space()
    assert space.index_of(*space.locate(i)) == i


@functools.lru_cache(maxsize=1)
def _systolic_space():
    return parse_space(SYSTOLIC)


def test_default_cosearch_space_covers_every_datapath_kind():
    from cosim.search.space import default_space_path

    space = load_space(default_space_path())
    kinds = {c.kind for c in space.candidates}
    assert kinds == {"systolic", "sparse_tensor_core", "fpga"}
    workloads = {w for c in space.candidates for d in c.dims if d.path == "workload" for w in d.values}
    assert {"resnet50", "bert-base", "digits-cnn"} <= workloads
    patterns = {v for c in space.candidates for d in c.dims if d.path == "pruning.sparsity" for v in d.values}
    assert {"dense", "2:4"} <= patterns and any(p.startswith(k) for p in patterns for k in ("block", "channel"))
    # the default fronts rank measured accuracy (a named proxy where nothing can be measured) against
    # latency and energy; area is recorded for every point (tests/test_cost.py ranks the tour space by it)
    assert space.objectives == ("latency_s", "energy_j", "accuracy_measured_or_proxy")


@pytest.mark.parametrize("change, message", [
    ({"candidates/0/vary/pe_array.rowz": [8]}, "unknown field 'rowz' of pe_array"),
    ({"candidates/0/vary/pe_array": [8]}, "group of fields"),
    ({"candidates/0/vary/pe_array.rows": []}, "empty list"),
    ({"candidates/0/vary/clock_mhz": {"range": [900, 500], "step": 100}}, "is empty"),
    ({"candidates/0/vary/pe_array.dataflow": ["diagonal"]}, "'diagonal' is not allowed"),
    ({"candidates/0/vary/pe_array.rows": ["many"]}, "is not an integer"),
    ({"constraints": {"sram_kib": {"max": 1}}}, "no design in the space meets sram_kib <= 1"),
    ({"constraints": {"latency_s": {"min": 2, "max": 1}}}, "can never be met"),
    ({"constraints": {"speed": {"max": 1}}}, "unknown metric"),
    ({"objectives": ["latency_s"]}, "2 or 3 objectives"),
    ({"pruning": {"sparsity": ["3:2"]}}, "pruning.sparsity"),
    ({"candidates/0/base": "no-such-preset"}, "neither a preset nor a file"),
    ({"candidatez": []}, "unknown key"),
    ({"workloads": ["resnet5000"]}, "workloads: --workload: 'resnet5000' is neither a zoo name nor a file"),
])
def test_bad_spaces_are_one_line_errors(change, message):
    with pytest.raises(CosimError) as e:
        parse_space(space_with(**change))
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def test_cli_bad_space_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(space_with(**{"candidates/0/vary/pe_array.rowz": [8]})))
    r = subprocess.run([sys.executable, "-m", "cosim", "sweep", str(bad), "--out", str(tmp_path / "o")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip().startswith("error: ") and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()  # nothing half-written
