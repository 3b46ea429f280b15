"""examples/torch_digits.py: a PyTorch model pruned by cosim and measured by the user's evaluator
(skipped where torch is not installed)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "torch_digits.py"


def test_the_example_prunes_a_torch_model_with_its_own_accuracy(tmp_path, capsys):
    from cosim.cli import main

    try:
        main(["prune", "--evaluator", f"{EXAMPLE}:evaluate", "-p", "2:4", "-q", "--out", str(tmp_path / "t.npz")])
    except SystemExit as e:
        assert e.code in (0, None)
    text = capsys.readouterr().out
    assert "test accuracy (measured)" in text and "PR 0.500" in text
    before, after = (float(v.split("%")[0]) for v in text.split("test accuracy (measured): ")[1].split(" -> "))
    assert before > 85 and after > 70
