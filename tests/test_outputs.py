"""Files cosim writes: atomic, exclusive temporary files, only regular files replaced."""

from __future__ import annotations

import os

import pytest
from cosim.errors import CosimError
from cosim.outputs import write_atomic


def test_write_atomic_writes_and_replaces_a_regular_file(tmp_path):
    p = tmp_path / "r.json"
    write_atomic(p, "one")
    write_atomic(p, b"two")
    assert p.read_text() == "two" and os.listdir(tmp_path) == ["r.json"]  # no temporary left


@pytest.mark.parametrize("make, word", [(lambda p, t: p.symlink_to(t), "symbolic link"),
                                        (lambda p, t: os.mkfifo(p), "pipe"),
                                        (lambda p, t: p.mkdir(), "folder")])
def test_anything_but_a_regular_file_is_refused_untouched(tmp_path, make, word):
    target = tmp_path / "target.txt"
    target.write_text("keep")
    p = tmp_path / "out.json"
    make(p, target)
    with pytest.raises(CosimError, match=word):
        write_atomic(p, "new")
    assert target.read_text() == "keep" and sorted(os.listdir(tmp_path)) == ["out.json", "target.txt"]


def test_a_failed_writer_leaves_nothing(tmp_path):
    def boom(f):
        f.write(b"half")
        raise RuntimeError("writer failed")

    with pytest.raises(RuntimeError):
        write_atomic(tmp_path / "x.npz", boom)
    assert os.listdir(tmp_path) == []


def test_a_planted_link_at_the_old_fixed_plot_temp_name_is_not_followed(tmp_path):
    from cosim.plot import _plt, save_figure

    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    (tmp_path / ".pareto.tmp.png").symlink_to(victim)
    fig = _plt().figure()
    save_figure(fig, tmp_path / "pareto.png")
    assert victim.read_text() == "keep" and (tmp_path / "pareto.png").stat().st_size > 0


def test_cli_refuses_to_replace_a_device_node():
    from test_cli import run_cli

    code, out, err = run_cli("simulate", "-a", "scalesim-32x32-ws", "-w", "mlp", "--json", "/dev/null")
    assert code == 2 and "not a regular file" in err and len(err.strip().splitlines()) == 1 and not out
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")
