"""`simulate --pruned FILE --sparsity S`: the reference it compares with is dense weights, as its line says."""

import json

from click.testing import CliRunner

from cosim.cli import cli


def test_pruned_file_with_sparsity_is_compared_with_dense_weights(tmp_path):
    npz = tmp_path / "mlp24.npz"
    r = CliRunner().invoke(cli, ["prune", "-w", "mlp", "-p", "2:4", "--out", str(npz)])
    assert r.exit_code == 0, r.output
    acc = ["-a", "s2ta-32x32-nm", "-q"]
    dense, pruned = tmp_path / "dense.json", tmp_path / "pruned.json"
    r = CliRunner().invoke(cli, ["simulate", "-w", "mlp", "--json", str(dense)] + acc)
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["simulate", "--pruned", str(npz), "--sparsity", "1:4", "--json", str(pruned)] + acc)
    assert r.exit_code == 0, r.output
    ref = json.loads(pruned.read_text())["dense_reference"]
    assert ref["latency_s"] == json.loads(dense.read_text())["total"]["latency_s"]
    assert "1:4 weights vs dense weights" in ref["versus"]
