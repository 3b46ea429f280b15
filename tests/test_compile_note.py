"""The 'compiling kernels (once)' note: shown while no cached cosim kernel exists, not after."""

from pathlib import Path

from cosim.kernels import compile_note


def test_cold_then_warm(tmp_path, monkeypatch):
    fake_pkg = tmp_path / "cosim"
    (fake_pkg / "kernels").mkdir(parents=True)
    monkeypatch.setattr(compile_note, "__file__", str(fake_pkg / "kernels" / "compile_note.py"))
    monkeypatch.setattr(Path, "home", lambda: tmp_path / "home")
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    assert compile_note.kernel_cache_is_cold()
    cache = fake_pkg / "kernels" / "__pycache__"
    cache.mkdir()
    (cache / "nm._nm_first_bad_word-35.py311.nbi").write_bytes(b"")
    assert not compile_note.kernel_cache_is_cold()


def test_numba_cache_dir_counts(tmp_path, monkeypatch):
    monkeypatch.setattr(compile_note, "__file__", str(tmp_path / "pkg" / "kernels" / "compile_note.py"))
    monkeypatch.setattr(Path, "home", lambda: tmp_path / "home")
    d = tmp_path / "numba_cache" / "work_cosim_kernels"
    d.mkdir(parents=True)
    (d / "counts._rows_batch-258.py311.nbi").write_bytes(b"")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba_cache"))
    assert not compile_note.kernel_cache_is_cold()
