"""Files cosim writes: every one atomically, so an error never leaves a half-written file.

A temporary file is created beside the target (same folder, so the final rename is atomic), written,
and renamed onto the target on success; on any error it is removed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from cosim.errors import CosimError


@contextlib.contextmanager
def atomic_output(path: str | Path, what: str = "output") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path``, on any error
    removed — so an error never leaves a half-written file (streamed CSV/Parquet writers use this)."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise CosimError(f"{what} folder '{parent}' does not exist; create it or choose another path")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual permissions
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: str | Path, content: str | bytes | Callable[[BinaryIO], None], what: str = "output") -> Path:
    """Write ``content`` (text, bytes, or a function writing to a binary file) to ``path`` atomically."""
    with atomic_output(path, what) as tmp, open(tmp, "wb") as f:
        if callable(content):
            content(f)
        else:
            f.write(content.encode() if isinstance(content, str) else content)
    return Path(path)
