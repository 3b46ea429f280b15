"""Every silent fallback of `cosim simulate` the issue found: a note on stderr and exit 0, or with
--strict one `error:` line and exit 2 (the entry point run in process, as the console script runs it)."""

import pytest

from cosim.cli import main


def run(capsys, *args):
    try:
        code = main(list(args))
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


FALLBACKS = [
    # (accelerator, --sparsity, what the note says ran instead)
    ("s2ta-32x32-nm", "3:8", "3:8 weights run dense (the array skips only 1:4, 2:4)"),   # N:M array, 3:8 unlisted
    ("zcu102-dpu", "2:4", "2:4 weights run dense: the overlay has no sparse engine (sparsity.mode: none)"),  # DPU
    ("h100-sxm", "1:4", "1:4 weights run as 2:4 (2x math, not the 4x of 1:4)"),          # cuSPARSELt has 2:4 only
]


@pytest.mark.parametrize("accelerator, sparsity, words", FALLBACKS)
def test_fallback_prints_a_note_and_runs(capsys, accelerator, sparsity, words):
    code, out, err = run(capsys, "simulate", "-a", accelerator, "-w", "small-cnn", "--sparsity", sparsity, "-q")
    assert code in (0, None), err
    assert f"note: {words} on '{accelerator}'" in err
    assert out.startswith("total:")


@pytest.mark.parametrize("accelerator, sparsity, words", FALLBACKS)
def test_strict_turns_the_fallback_into_exit_2(capsys, accelerator, sparsity, words):
    code, out, err = run(capsys, "simulate", "-a", accelerator, "-w", "small-cnn", "--sparsity", sparsity,
                         "-q", "--strict")
    assert code == 2 and out == ""
    assert err.startswith(f"error: --strict: {words}") and err.count("\n") == 1


@pytest.mark.parametrize("accelerator, sparsity", [("s2ta-32x32-nm", "2:4"), ("s2ta-32x32-nm", "1:4"),
                                                   ("h100-sxm", "2:4"), ("zcu102-dpu", "dense")])
def test_a_pattern_the_hardware_runs_passes_strict(capsys, accelerator, sparsity):
    code, out, err = run(capsys, "simulate", "-a", accelerator, "-w", "small-cnn", "--sparsity", sparsity,
                         "-q", "--strict")
    assert code in (0, None) and "note:" not in err and out.startswith("total:")
