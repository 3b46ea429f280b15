"""One sweep per output folder: an advisory lock held for the whole sweep.

The lock is ``fcntl.flock`` on ``<out>/.sweep.lock``, so the kernel releases it when the holder exits
however it exits (SIGKILL included): a killed sweep never leaves a stale lock, and ``--resume`` after
it just works. The file records who holds it (pid, host, start time) so a second sweep on the same
``--out`` is refused with a one-line error that names the holder, instead of both writing one store
(two sweeps sharing a store collide on point ids and mix their spaces).
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

from cosim.errors import CosimError

LOCK_FILENAME = ".sweep.lock"


class StoreLock:
    """Hold the sweep lock of folder ``out`` (a context manager); raises CosimError when it is held."""

    def __init__(self, out: str | Path):
        self.path = Path(out) / LOCK_FILENAME
        self.fd: int | None = None

    def __enter__(self) -> "StoreLock":
        import fcntl

        try:  # O_NOFOLLOW: a planted link is refused, never followed to its target
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError as e:
            raise CosimError(f"sweep lock '{self.path}' cannot be opened ({e.strerror}); remove it if it is "
                             "not a regular file, or choose another --out") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise CosimError(f"another sweep is writing '{self.path.parent}' ({holder[:160]}); wait for it, or "
                             "choose another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()[:60]}, started "
                      f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime())}\n".encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the flock; the file stays (harmless, reused next time)
            self.fd = None
