"""SCALE-Sim topology CSV: SCALE-Sim's own files, both forms, errors, and round trips.

tests/data/workloads/Resnet50_v3clean.csv, gemm6.csv and gemm6_sparse_2of4.csv are copies of the
topologies SCALE-Sim 3.0.0 was run on for cosim's reference data (SCALE-Sim's public repository;
Resnet50_v3clean.csv is its ResNet-50 with the blank row and extra columns removed).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.errors import CosimError
from cosim.graph import Layer, LayerGraph
from cosim.sparsity import Sparsity
from cosim.workloads import load_workload
from cosim.workloads.scalesim_csv import read_topology, write_topology
from cosim.workloads.zoo import ZOO

DATA = Path(__file__).parent / "data" / "workloads"


def scalesim_conv_macs(h, w, r, s, c, m, stride):
    """SCALE-Sim 3.0.0's own arithmetic (topology_utils.py): ofmap = ceil((ifmap − filter + stride) / stride),
    no padding."""
    return -(-(h - r + stride) // stride) * -(-(w - s + stride) // stride) * r * s * c * m


def test_reads_scalesim_resnet50():
    g = read_topology(DATA / "Resnet50_v3clean.csv")
    rows = [line.split(",") for line in (DATA / "Resnet50_v3clean.csv").read_text().splitlines()[1:]]
    assert len(g) == len(rows) == 54
    assert g.macs == sum(scalesim_conv_macs(*(int(v) for v in r[1:8])) for r in rows)
    conv1 = g["Conv1"]
    # SCALE-Sim computes 110x110 outputs for 224 / 7 / stride 2 (its reports write 110·110·64 ofmap words).
    assert (conv1.in_h, conv1.kernel_h, conv1.stride_h, conv1.pad_h, conv1.out_h) == (225, 7, 2, 0, 110)
    assert g["FC6"].gemm == (1, 1, 1000, 2048)
    # Same weights as torchvision's ResNet-50 without biases and batch-norm parameters
    # (25,557,032 − 1,000 fc biases − 2·26,560 batch-norm scale/shift).
    assert g.params == sum(l.params for l in ZOO["resnet50"]().layers()) == 25_502_912
    # No connectivity in a topology: layers are chained in file order.
    names = [l.name for l in g.layers()]
    assert names[:3] == ["Conv1", "CB2a_1", "CB2a_2"] and g.predecessors("CB2a_1") == ["Conv1"]


def test_reads_gemm_form_and_sparsity_column():
    g = read_topology(DATA / "gemm6.csv")
    assert [l.gemm for l in g.layers()] == [(1, 512, 768, 768), (1, 512, 3072, 768), (1, 512, 768, 3072),
                                            (1, 128, 4096, 4096), (1, 2048, 1024, 1024), (1, 64, 64, 4096)]
    assert g.macs == 7_029_653_504
    s = read_topology(DATA / "gemm6_sparse_2of4.csv")
    assert {l.weight_sparsity for l in s.layers()} == {Sparsity.nm_pattern(2, 4)}
    assert load_workload(str(DATA / "gemm6.csv"), batch=2).macs == 2 * g.macs


def test_tolerates_missing_commas_spaces_and_blank_lines(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("Layer,M,N,K\n\nA,100,50,70\n  B , 7 ,300, 33,,\n\n,,,,\n")
    g = read_topology(p)
    assert [l.gemm for l in g.layers()] == [(1, 100, 50, 70), (1, 7, 300, 33)]


@pytest.mark.parametrize("text, message", [
    ("Layer, M, N, K,\nA, 10, x, 3,\n", "row 2 \\(layer 'A'\\), column 'N': 'x' is not a positive integer"),
    ("Layer, M, N, K,\nA, 10, 3,\n", "row 2 \\(layer 'A'\\): has 3 columns, the gemm form needs 4"),
    ("Layer, M, N, K,\n, 10, 3, 3,\n", "row 2, column 'Layer': the layer name is empty"),
    ("Layer, M, N, K,\nA, 10, -3, 3,\n", "column 'N': '-3' is not a positive integer"),
    ("Name, Rows, Cols,\nA, 1, 2,\n", "row 1: header 'Name, Rows, Cols' is neither the conv form"),
    ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
     "C, 5, 5, 7, 7, 3, 8, 1,\n", "row 2: layer 'C': kernel 7x7 does not fit"),
    ("Layer, M, N, K, Sparsity,\nA, 4, 4, 4, 5:4,\n", "column 'Sparsity': N:M sparsity 5:4"),
    ("", "is empty"),
    ("Layer, M, N, K,\n", "no layer rows"),
])
def test_errors_name_row_and_column(tmp_path, text, message):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(CosimError, match=message) as e:
        read_topology(p)
    assert "\n" not in str(e.value)


def test_unknown_parameter_is_rejected():
    with pytest.raises(CosimError, match="unknown parameter 'seq'"):
        read_topology(DATA / "gemm6.csv", seq=3)


def test_repeated_names_get_suffixes(tmp_path):
    p = tmp_path / "dup.csv"
    p.write_text("Layer, M, N, K,\nA, 1, 2, 3,\nA, 4, 5, 6,\n")
    assert [l.name for l in read_topology(p).layers()] == ["A", "A_2"]


# ---- writing ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["resnet50", "mobilenetv2", "bert-base", "small-cnn"])
@pytest.mark.parametrize("form", ["conv", "gemm"])
def test_zoo_graph_written_and_read_back_keeps_every_mac(tmp_path, name, form):
    g = ZOO[name]()
    write_topology(g, tmp_path / "t.csv", form)
    back = read_topology(tmp_path / "t.csv")
    assert back.macs == g.macs
    # per layer: each compute layer becomes `groups` rows of its per-group GEMM
    want = [(l.gemm_m, l.gemm_n, l.gemm_k) for l in g.compute_layers() for _ in range(l.groups)]
    assert [(l.gemm_m, l.gemm_n, l.gemm_k) for l in back.layers()] == want


def test_conv_rows_list_the_padded_input_and_split_groups(tmp_path):
    g = LayerGraph("n")
    g.add(Layer.conv2d("c 1", 4, 8, 14, 3, stride=2, padding=1, groups=2))
    g.add(Layer.vector("relu", "act", 8, 7, kind="relu"), "c 1")
    g.add(Layer.matmul("qk", 16, 16, 8, heads=2), "relu")
    write_topology(g, tmp_path / "c.csv", "conv")
    lines = (tmp_path / "c.csv").read_text().splitlines()
    assert lines[0].startswith("Layer name, IFMAP Height") and all(line.endswith(",") for line in lines)
    # 7 outputs at stride 2 with a 3x3 kernel use (7 − 1)·2 + 3 = 15 rows of the 16-row padded input.
    assert lines[1:] == ["c_1_g0, 15, 15, 3, 3, 2, 4, 2,", "c_1_g1, 15, 15, 3, 3, 2, 4, 2,",
                         "qk_g0, 1, 16, 1, 1, 8, 16, 1,", "qk_g1, 1, 16, 1, 1, 8, 16, 1,"]
    write_topology(g, tmp_path / "g.csv", "gemm")
    assert (tmp_path / "g.csv").read_text().splitlines()[1:] == [
        "c_1_g0, 49, 4, 18,", "c_1_g1, 49, 4, 18,", "qk_g0, 16, 16, 8,", "qk_g1, 16, 16, 8,"]


def test_conv_form_splits_batches_and_rejects_what_scalesim_cannot_express(tmp_path):
    g = ZOO["small-cnn"](batch=3)
    write_topology(g, tmp_path / "b.csv", "conv")
    back = read_topology(tmp_path / "b.csv")
    assert back.macs == g.macs and "conv1_b2" in back
    d = LayerGraph("d")
    d.add(Layer.conv2d("dil", 4, 4, 16, 3, dilation=2))
    with pytest.raises(CosimError, match="layer 'dil': dilation 2x2"):
        write_topology(d, tmp_path / "d.csv", "conv")
    assert not (tmp_path / "d.csv").exists()
    write_topology(d, tmp_path / "d.csv", "gemm")  # the GEMM view is exact for dilated convolutions
    assert read_topology(tmp_path / "d.csv").macs == d.macs
    with pytest.raises(CosimError, match="form must be 'conv' or 'gemm'"):
        write_topology(d, tmp_path / "x.csv", "csv")


def test_nm_sparsity_is_written_as_a_sparsity_column(tmp_path):
    g = read_topology(DATA / "gemm6_sparse_2of4.csv")
    write_topology(g, tmp_path / "s.csv", "gemm")
    text = (tmp_path / "s.csv").read_text()
    assert text.splitlines()[0] == "Layer, M, N, K, Sparsity," and "G1_512x768x768, 512, 768, 768, 2:4," in text
    assert [l.weight_sparsity for l in read_topology(tmp_path / "s.csv").layers()] == \
        [l.weight_sparsity for l in g.layers()]


def test_gemm6_round_trips_exactly(tmp_path):
    write_topology(read_topology(DATA / "gemm6.csv"), tmp_path / "g.csv", "gemm")
    assert (tmp_path / "g.csv").read_text() == (DATA / "gemm6.csv").read_text().replace("\r", "")


@settings(max_examples=30, deadline=None)
@given(h=st.integers(1, 40), w=st.integers(1, 40), r=st.integers(1, 7), s=st.integers(1, 7),
       c=st.integers(1, 64), m=st.integers(1, 64), stride=st.integers(1, 4))
def test_conv_rows_follow_scalesim_arithmetic(tmp_path_factory, h, w, r, s, c, m, stride):
    if r > h or s > w:
        return
    p = tmp_path_factory.mktemp("t") / "t.csv"
    p.write_text("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
                 f"Strides,\nL, {h}, {w}, {r}, {s}, {c}, {m}, {stride},\n")
    g = read_topology(p)
    assert g.macs == scalesim_conv_macs(h, w, r, s, c, m, stride)
    write_topology(g, p, "conv")
    assert read_topology(p)["L"].gemm == g["L"].gemm


def test_scalesims_own_loosely_headed_file_is_read_by_position_with_a_note():
    """SCALE-Sim's DeepSpeech2.csv names its columns 'Layer, IFMAP Width, IFMAP Width, ...'; SCALE-Sim
    reads by position, and so does cosim (a note says so). MACs by hand with SCALE-Sim's ceiling output:
    Conv1 331·76 outputs × 41·11·1 × 32, Conv2 161·35 × 21·11·32 × 32, BatchRNN1 672 × 2560 × 4,
    BatchRNN2/3 2560 × 2560 × 4, FC 2560 × 29."""
    path = Path(__file__).parent / "data" / "scalesim" / "topologies" / "DeepSpeech2.csv"
    g = read_topology(path)
    assert g.macs == (331 * 76 * 41 * 11 * 32 + 161 * 35 * 21 * 11 * 32 * 32 + 672 * 2560 * 4
                      + 2 * 2560 * 2560 * 4 + 2560 * 29) == 1_755_361_152
    assert len(g.import_notes) == 1 and "by position" in g.import_notes[0]


def test_a_header_of_neither_form_with_unreadable_rows_is_refused(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("a, b, c, d, e\nL1, 3, 4, x, 5\n")
    with pytest.raises(CosimError, match="first layer row has 2 numbers"):
        read_topology(p)
