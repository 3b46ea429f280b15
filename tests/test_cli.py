"""The `cosim` command line: contract flags, JSON fields, one-line errors with exit code 2."""

import json
import subprocess
import sys

import click
import pytest

from cosim.cli import cli, main


# What the installed `cosim` script runs (not `python -m cosim`, whose runpy imports modules the
# console script does not: a missing import once passed every test and broke the real command).
ENTRY = "import sys; from cosim.cli import main; sys.exit(main())"


def run_cli(*args):
    """Run the `cosim` entry point with ARGS in a subprocess: what a user sees, exit code included."""
    p = subprocess.run([sys.executable, "-c", ENTRY, *args], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def test_simulate_writes_json_and_csv(tmp_path):
    j, c = tmp_path / "r.json", tmp_path / "r.csv"
    code, out, err = run_cli("simulate", "--accelerator", "scalesim-32x32-ws", "--workload", "small-cnn",
                             "--batch", "2", "--json", str(j), "--csv", str(c))
    assert code == 0, err
    assert "total:" in out
    d = json.loads(j.read_text())
    assert d["batch"] == 2 and d["cosim_version"] and d["workload"]
    layer = next(l for l in d["layers"] if l["op"] == "conv2d")
    for f in ("name", "op", "M", "N", "K", "macs", "effectual_macs", "compute_cycles", "stall_cycles",
              "total_cycles", "utilization", "sram_read_bytes", "sram_write_bytes", "dram_read_bytes",
              "dram_write_bytes", "energy_pj"):
        assert f in layer
    assert isinstance(layer["energy_pj"], dict) and layer["energy_pj"]["mac"] > 0
    assert {"total_cycles", "latency_s", "energy_pj", "macs"} <= set(d["total"])
    assert d["total"]["total_cycles"] == sum(l["total_cycles"] for l in d["layers"])
    assert c.read_text().splitlines()[0].startswith("name,op,")


@pytest.mark.parametrize("args, words", [
    (["simulate", "-a", "no-such-chip", "-w", "resnet50"], ["--accelerator", "no-such-chip"]),
    (["simulate", "-a", "scalesim-32x32-ws", "-w", "resnet51"], ["--workload", "resnet51"]),
    (["simulate", "-a", "scalesim-32x32-ws", "-w", "resnet50", "--sparsity", "5:4"], ["N > M"]),
    (["simulate", "-a", "scalesim-32x32-ws", "-w", "resnet50", "--sparsity", "unstructured:1.5"], ["[0, 1)"]),
    (["simulate", "-a", "scalesim-32x32-ws", "-w", "resnet50", "--batch", "0"], ["--batch"]),
    (["simulate", "-a", "scalesim-32x32-ws"], ["--workload", "--pruned"]),
])
def test_bad_input_one_line_exit_2_no_partial_file(tmp_path, args, words):
    out_json = tmp_path / "r.json"
    code, out, err = run_cli(*args, "--json", str(out_json))
    assert code == 2
    lines = [l for l in err.strip().splitlines() if l]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    for w in words:
        assert w in lines[0]
    assert not out_json.exists() and list(tmp_path.iterdir()) == []


def test_malformed_accelerator_yaml(tmp_path):
    bad = tmp_path / "acc.yaml"
    bad.write_text("name: x\nkind: systolic\npe_array: {rows: 8, cols: 8, dataflow: rs}\n"
                   "sram: {ifmap: {size_kib: 8}, filter: {size_kib: 8}, ofmap: {size_kib: 8}}\n")
    code, _, err = run_cli("simulate", "-a", str(bad), "-w", "mlp")
    assert code == 2 and "dataflow" in err and len(err.strip().splitlines()) == 1


def test_main_in_process_exit_code(capsys):
    with pytest.raises(SystemExit) as e:
        main(["simulate", "-a", "nope", "-w", "mlp"])
    assert e.value.code == 2
    assert capsys.readouterr().err.startswith("error: --accelerator")


def test_every_registered_subcommand_has_help():
    for name in cli.list_commands(None):
        assert cli.get_command(None, name).get_help(click.Context(cli))


def test_no_help_text_shows_rst_double_backticks():
    from click.testing import CliRunner

    from cosim.cli import cli

    for args in (["--help"], ["simulate", "--help"], ["prune", "--help"], ["sweep", "--help"], ["pareto", "--help"],
                 ["plot", "--help"], ["plot", "front", "--help"], ["presets", "--help"]):
        r = CliRunner().invoke(cli, args)
        assert r.exit_code == 0 and "``" not in r.output, (args, r.output)
