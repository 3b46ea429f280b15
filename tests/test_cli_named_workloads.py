"""Embedded models (digits-mlp, digits-cnn) are simulate workloads and are listed by presets."""

from click.testing import CliRunner

from cosim.cli import cli
from cosim.cli.named_workloads import EMBEDDED, embedded_graph


def test_digits_mlp_graph_has_the_hand_counted_macs():
    g = embedded_graph("digits-mlp")
    # fc1 64->128, fc2 128->64, fc3 64->10 at batch 1
    assert g.macs == 64 * 128 + 128 * 64 + 64 * 10


def test_unknown_name_is_not_embedded():
    assert embedded_graph("resnet50") is None


def test_presets_lists_and_simulate_accepts_embedded_models():
    r = CliRunner().invoke(cli, ["presets"])
    assert r.exit_code == 0
    for name in EMBEDDED:
        assert name in r.output
    r = CliRunner().invoke(cli, ["simulate", "-a", "scalesim-32x32-ws", "-w", "digits-cnn"])
    assert r.exit_code == 0, r.output
    assert "conv1" in r.output and "total:" in r.output


def test_param_sets_a_zoo_parameter_and_unknown_ones_exit_2():
    from cosim.workloads import load_workload

    r = CliRunner().invoke(cli, ["simulate", "-a", "scalesim-32x32-ws", "-w", "mlp", "--param", "input_size=100", "-q"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["simulate", "-a", "scalesim-32x32-ws", "-w", "mlp", "--param", "bogus=1", "-q"])
    assert r.exit_code != 0 and "input_size" in str(r.exception)  # lists the known parameters
    assert load_workload("mlp", input_size="100").macs == 100 * 128 + 128 * 64 + 64 * 10


def test_param_must_be_key_value():
    from cosim.cli.simulate_cmd import parse_params
    from cosim.errors import CosimError
    import pytest

    assert parse_params(["seq_len=512", " batch = 4"]) == {"seq_len": "512", "batch": "4"}
    with pytest.raises(CosimError, match="KEY=VALUE"):
        parse_params(["seq_len"])


def test_presets_lists_parameters_with_defaults():
    r = CliRunner().invoke(cli, ["presets"])
    assert "seq_len=128" in r.output


def test_param_on_an_embedded_model_says_it_takes_none_and_batch_still_works():
    r = CliRunner().invoke(cli, ["simulate", "-a", "scalesim-32x32-ws", "-w", "digits-cnn", "--param", "batch=4"])
    msg = str(r.exception)
    assert r.exit_code != 0 and "embedded model" in msg and "--batch" in msg and "neither" not in msg
    r1 = CliRunner().invoke(cli, ["simulate", "-a", "scalesim-32x32-ws", "-w", "digits-cnn", "-q"])
    r4 = CliRunner().invoke(cli, ["simulate", "-a", "scalesim-32x32-ws", "-w", "digits-cnn", "--batch", "4", "-q"])
    assert r1.exit_code == 0 and r4.exit_code == 0, r4.output
    assert r1.output != r4.output


def test_an_existing_file_of_an_unread_suffix_is_named_as_such(tmp_path):
    import pytest

    from cosim.errors import CosimError
    from cosim.workloads import load_workload

    f = tmp_path / "net.md"
    f.write_text("# not a workload\n")
    with pytest.raises(CosimError, match=r"suffix '\.md', which cosim does not read; give a \.yaml"):
        load_workload(str(f))


def test_batch_given_twice_with_different_values_exits_2():
    args = ["simulate", "-a", "scalesim-32x32-ws", "-w", "mlp", "-q"]
    r = CliRunner().invoke(cli, args + ["--param", "batch=2", "--batch", "4"])
    assert r.exit_code != 0 and "--batch 4 and --param batch=2 disagree" in str(r.exception)
    r = CliRunner().invoke(cli, args + ["--param", "batch=4", "--batch", "4"])
    assert r.exit_code == 0, r.output


def test_presets_lists_the_shipped_yaml_workloads_and_simulate_takes_them_by_name():
    r = CliRunner().invoke(cli, ["presets"])
    assert r.exit_code == 0 and "lenet5" in r.output and "workloads/lenet5.yaml" in r.output
    r = CliRunner().invoke(cli, ["simulate", "-a", "edge-16x16", "-w", "lenet5", "-q"])
    assert r.exit_code == 0 and "total:" in r.output, r.output
