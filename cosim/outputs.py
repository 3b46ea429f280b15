"""Files cosim writes: every one atomically, so an error never leaves a half-written file.

A temporary file is created exclusively beside the target (``mkstemp``: O_EXCL, a fresh random name,
so no planted file or link is ever opened; same folder, so the final rename is atomic), written, and
renamed onto the target on success; on any error it is removed. Only a regular file is ever replaced:
a symlink, a device node, a FIFO or a folder at the target is refused before anything is written
(renaming over a link would silently redirect where a later reader looks; over ``/dev/null`` as root
it would replace the device).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from cosim.errors import CosimError


_NOT_REGULAR = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a device"),
                (stat.S_ISBLK, "a device"), (stat.S_ISFIFO, "a pipe"), (stat.S_ISSOCK, "a socket"))


def check_replaceable(path: str | Path, what: str = "output") -> None:
    """Raise CosimError unless ``path`` is absent or a regular file (never follows a link)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as e:
        raise CosimError(f"{what} '{str(path)[:120]}' cannot be checked: {e.strerror}") from None
    for test, name in _NOT_REGULAR:
        if test(mode):
            raise CosimError(f"{what} '{str(path)[:120]}' is {name}, not a regular file; cosim replaces only "
                             "regular files: remove it or choose another path")


@contextlib.contextmanager
def atomic_output(path: str | Path, what: str = "output", suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path``, on any error
    removed — so an error never leaves a half-written file (streamed CSV/Parquet writers use this).
    ``suffix`` ends the temporary name (writers that pick a format from it, e.g. matplotlib)."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise CosimError(f"{what} folder '{parent}' does not exist; create it or choose another path")
    check_replaceable(path, what)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=parent)
    except OSError as e:
        raise CosimError(f"{what} folder '{parent}' is not writable: {e.strerror}; choose another path") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual permissions
        check_replaceable(path, what)  # nothing planted at the target while we wrote
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: str | Path, content: str | bytes | Callable[[BinaryIO], None], what: str = "output") -> Path:
    """Write ``content`` (text, bytes, or a function writing to a binary file) to ``path`` atomically."""
    try:
        with atomic_output(path, what) as tmp, open(tmp, "wb") as f:
            if callable(content):
                content(f)
            else:
                f.write(content.encode() if isinstance(content, str) else content)
    except OSError as e:  # a full disk, a quota: the temporary file is gone, the target untouched
        raise CosimError(f"{what} '{str(path)[:120]}' could not be written: {e.strerror}; free space or "
                         "choose another path") from None
    return Path(path)
