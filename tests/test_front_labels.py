"""Design labels (cosim.search.front.design_label): every varied field of a point, named so it reads."""

import json

from cosim.search.front import design_label, hw_part, varied_fields


def row(**kw):
    base = {"candidate": "stc-edge", "sparsity": "2:4", "allocation": "uniform", "bits": 8, "hw": "{}"}
    base.update(kw)
    return base


def test_hardware_fields_keep_what_they_are():
    hw = {"sm_count": 4, "macs_per_cycle_per_sm.int8": 256, "clock_mhz": 1000.0, "dram.bandwidth_gb_per_s": 25.6,
          "energy.technology_nm": 45, "sram.ifmap.size_kib": 64}
    label = design_label(row(hw=json.dumps(hw)))
    assert label == "stc-edge 2:4 sm_count=4 macs_per_cycle_per_sm.int8=256 1000MHz 25.6GB/s 45nm ifmap=64KiB"
    assert hw_part("pe_array.dataflow", "ws") == "WS" and hw_part("overlay.cores", 3) == "cores=3"


def test_array_shape_first():
    hw = {"pe_array.rows": 16, "pe_array.cols": 64, "pe_array.dataflow": "os"}
    assert design_label(row(candidate="systolic", sparsity="dense", hw=hw)) == "systolic dense 16x64 OS"


def test_swept_allocation_and_bits_show_only_where_they_vary():
    rows = [row(allocation="uniform"), row(allocation="keep-ends", bits=4)]
    varied = varied_fields(rows)
    assert {"allocation", "bits"} <= varied and "candidate" not in varied
    assert design_label(rows[0], varied) == "stc-edge 2:4 8b uniform"
    assert design_label(rows[1], varied) == "stc-edge 2:4 4b keep-ends"
    same = [row(allocation="keep-ends"), row(allocation="keep-ends", sparsity="dense")]
    assert design_label(same[0], varied_fields(same)) == "stc-edge 2:4"   # not varied: not repeated
    assert design_label(same[0]) == "stc-edge 2:4 keep-ends"              # no context: not the default


def test_labels_tell_apart_points_that_differ():
    rows = [row(hw=json.dumps({"macs_per_cycle_per_sm.int8": v, "sm_count": s})) for v in (256, 512) for s in (2, 4)]
    varied = varied_fields(rows)
    assert len({design_label(r, varied) for r in rows}) == len(rows)
