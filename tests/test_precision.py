"""Number formats (cosim/precision.py): a network's arithmetic, set once, run as itself or refused."""

import subprocess
import sys

import pytest

import cosim
from cosim.errors import CosimError
from cosim.graph import Layer, LayerGraph
from cosim.hw.loader import load_accelerator
from cosim.precision import layer_format, parse_precision, precision_summary, with_precision


def _gemm(tokens=4096, rows=4096, k=4096):
    g = LayerGraph("gemm")
    g.add(Layer("fc", "linear", in_channels=k, out_channels=rows, batch=tokens))
    return g


def test_with_precision_sets_widths_and_format_of_every_layer():
    g = with_precision(_gemm(), "bf16")
    (layer,) = list(g)
    assert (layer.weight_bits, layer.act_bits, layer.out_bits, layer.number_format) == (16, 16, 16, "bf16")
    assert layer_format(layer) == "bf16"
    assert layer_format(next(iter(_gemm()))) == "int8"  # undeclared: integers of its width


def test_a_declared_format_must_match_the_widths():
    with pytest.raises(CosimError, match="number_format fp16 needs 16-bit"):
        Layer("fc", "linear", in_channels=8, out_channels=8, number_format="fp16")
    with pytest.raises(CosimError, match="number_format 'fp9' is unknown"):
        Layer("fc", "linear", in_channels=8, out_channels=8, weight_bits=9, act_bits=9, number_format="fp9")


def test_unknown_precision_is_a_one_line_error():
    with pytest.raises(CosimError, match="precision 'fp9' is unknown; use one of"):
        parse_precision("fp9")


def test_h100_runs_a_large_gemm_at_the_rate_of_its_format():
    """A 4096³ GEMM is compute-bound on H100: fp16 (2048 MACs/cycle/SM) takes about twice the time of
    fp8 and int8 (4096), and bf16 the same as fp16 (the preset lists both at 2048)."""
    h100 = load_accelerator("h100-sxm")
    t = {p: cosim.simulate(with_precision(_gemm(), p), h100).total.latency_s for p in ("fp16", "bf16", "fp8", "int8")}
    assert t["fp16"] == pytest.approx(t["bf16"], rel=1e-9)
    assert 1.6 < t["fp16"] / t["fp8"] < 2.2
    assert t["fp8"] == pytest.approx(t["int8"], rel=0.05)
    r = cosim.simulate(with_precision(_gemm(), "fp16"), h100)
    assert r.layers[0].precision == "fp16" and r.layers[0].details.precision == "fp16"
    assert r.total.precision == "fp16 on 1 compute layers"
    assert r.layers[0].energy_pj["mac"] != cosim.simulate(with_precision(_gemm(), "fp8"), h100).layers[0].energy_pj["mac"]


def test_a_format_the_hardware_lacks_is_refused():
    with pytest.raises(CosimError, match="has no fp8 tensor-core precision"):
        cosim.simulate(with_precision(_gemm(), "fp8"), "a100")
    with pytest.raises(CosimError, match="integer MACs"):
        cosim.simulate(with_precision(_gemm(256, 256, 256), "fp16"), "scalesim-32x32-ws")
    # integer formats run on integer arrays
    assert cosim.simulate(with_precision(_gemm(256, 256, 256), "int8"), "scalesim-32x32-ws").total.total_cycles > 0


def test_precision_summary_counts_compute_layers_by_format():
    g = _gemm()
    g.add(Layer("fc2", "linear", in_channels=4096, out_channels=10, batch=4096, weight_bits=16, act_bits=16,
                out_bits=16, number_format="fp16"), inputs=["fc"])
    assert precision_summary(g) == "int8 on 1, fp16 on 1 compute layers"


def test_cli_precision_flag_and_refusal():
    ok = subprocess.run([sys.executable, "-m", "cosim", "simulate", "-a", "h100-sxm", "-w", "resnet50",
                         "--precision", "fp16", "-q"], capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert "precision: fp16 on 54 compute layers" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "cosim", "simulate", "-a", "a100", "-w", "resnet50",
                          "--precision", "fp8"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().count("\n") == 0 and "fp8" in bad.stderr


def test_every_workload_source_takes_a_precision_parameter(tmp_path):
    from cosim.workloads import load_workload

    zoo = load_workload("mlp", precision="fp16")
    csv = tmp_path / "g.csv"
    csv.write_text("Layer, M, N, K,\nfc1, 16, 32, 64,\n")
    topo = load_workload(csv, precision="bf16")
    assert {l.number_format for l in zoo.compute_layers()} == {"fp16"}
    assert {l.number_format for l in topo.compute_layers()} == {"bf16"}
    assert all(l.weight_bits == 16 for l in topo.compute_layers())
