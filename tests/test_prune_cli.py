"""`cosim prune` end to end: files written, accuracy labelled, bad input → one line, exit 2, no file."""

from __future__ import annotations

import json

import pytest

from cosim.cli import main
from cosim.prune.io import load_pruned, read_metadata


def run(argv, capsys):
    try:
        main(argv)
        code = 0
    except SystemExit as e:
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_digits_mlp_writes_a_pruned_model(tmp_path, capsys):
    out = tmp_path / "mlp.npz"
    rep = tmp_path / "mlp.json"
    code, text, err = run(["prune", "-w", "digits-mlp", "-p", "2:4", "--finetune-epochs", "2", "--out", str(out),
                           "--json", str(rep)], capsys)
    assert code == 0, err
    assert "test accuracy (measured)" in text and "PR 0.500" in text
    g = load_pruned(out)
    assert all(l.weight_sparsity.kind == "nm" for l in g.compute_layers())
    meta = read_metadata(out)
    assert meta["metrics"]["accuracy_kind"] == "measured" and meta["cosim_version"]
    assert json.loads(rep.read_text())["pattern"] == "2:4"


def test_zoo_workload_reports_a_proxy_and_bits(tmp_path, capsys):
    out = tmp_path / "mlp.npz"
    code, text, err = run(["prune", "-w", "mlp", "-p", "unstructured:0.8", "--quantize", "int8", "-q",
                           "--out", str(out)], capsys)
    assert code == 0, err
    assert "accuracy_proxy_weight_norm (proxy, not an accuracy)" in text and "synthetic" in text
    assert "test accuracy" not in text
    assert {l.weight_bits for l in load_pruned(out).compute_layers()} == {8}


@pytest.mark.parametrize("args, fragment", [
    (["-w", "digits-cnn", "-p", "unstructured:1.5"], "outside [0, 1)"),
    (["-w", "digits-cnn", "-p", "unstructured:-0.5"], "outside [0, 1)"),
    (["-w", "digits-cnn", "-p", "6:4"], "N > M"),
    (["-w", "digits-cnn", "-p", "block:4x4:0.5"], "layer 'conv1'"),
    (["-w", "digits-cnn", "-p", "layer:0.3"], "residual"),
    (["-w", "mlp", "-p", "2:4", "--criterion", "taylor"], "taylor"),
    (["-w", "digits-cnn", "-p", "2:4", "--scope", "global"], "global"),
    (["-w", "nosuchnet", "-p", "2:4"], "nosuchnet"),
    (["-w", "digits-cnn", "-p", "2:4", "--budget-latency-ms", "1"], "--accelerator"),
    (["-w", "digits-cnn", "-p", "2:4", "--quantize", "int99"], "--quantize"),
])
def test_bad_input_is_one_line_exit_2_and_no_file(tmp_path, capsys, args, fragment):
    out = tmp_path / "x.npz"
    code, text, err = run(["prune", *args, "--out", str(out)], capsys)
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1 and fragment in err
    assert not out.exists()


def test_unsupported_op_names_the_layer(tmp_path, capsys):
    wl = tmp_path / "rnn.yaml"
    wl.write_text("name: rnn\ninput: [1, 8, 8]\nlayers:\n  - name: cell\n    lstm: {hidden: 16}\n")
    code, _, err = run(["prune", "-w", str(wl), "-p", "2:4", "--out", str(tmp_path / "x.npz")], capsys)
    assert code == 2 and "cell" in err and err.count("\n") == 1


def test_missing_output_folder_fails_before_any_work(tmp_path, capsys):
    code, _, err = run(["prune", "-w", "mlp", "-p", "2:4", "--out", str(tmp_path / "x.npz"),
                        "--json", str(tmp_path / "nope" / "r.json")], capsys)
    assert code == 2 and "--json" in err and not (tmp_path / "x.npz").exists()
