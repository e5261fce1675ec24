"""Telling whether a data directory is in use by a running ``nura serve``.

The server holds an OS-level lock on ``DATA_DIR/nura.lock`` while it runs (taken at start-up by
the ops feature, released when the process exits — also when it is killed, since the OS drops
the lock with the process). ``nura restore`` refuses to touch a directory whose lock is held.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

LOCK_NAME = "nura.lock"

try:  # POSIX
    import fcntl

    def _try_lock(handle: IO[str]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def _unlock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

except ImportError:  # Windows
    import msvcrt

    def _try_lock(handle: IO[str]) -> bool:
        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True

    def _unlock(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]


class ServeLock:
    """The lock a running server holds on its data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / LOCK_NAME
        self._handle: IO[str] | None = None

    def acquire(self) -> bool:
        """Take the lock; False when another process holds it (the handle is then closed)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the process lifetime
        if not _try_lock(handle):
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle
        return True

    def close(self) -> None:
        if self._handle is not None:
            try:
                _unlock(self._handle)
            finally:
                self._handle.close()
                self._handle = None


def is_live(data_dir: Path) -> bool:
    """Whether a running server holds ``data_dir``'s lock (probing briefly takes and drops it)."""
    probe = ServeLock(data_dir)
    if not probe.path.exists():
        return False
    if probe.acquire():
        probe.close()
        return False
    return True
