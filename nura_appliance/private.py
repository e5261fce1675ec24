"""The data dir is private: folders 0700, files 0600, whatever the umask.

The data dir holds transcripts, customers' phone numbers, uploads, backups and the generated
secrets. Under the usual umask (022) SQLite, diskcache and uploads created them 0644 in 0755
folders, readable by every account on the machine (the systemd unit's ``UMask=0027`` covered only
installs that used it). ``nura init``, ``nura serve`` and ``nura worker`` call :func:`make_private`
(umask 077 for the process, then existing entries tightened); ``nura doctor`` reports any entry
others can read (:func:`exposed_entries`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

PRIVATE_UMASK = 0o077


def private_dir(path: Path) -> Path:
    """``path`` created if missing and set to 0700; returns it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o700)
    return path


def _shared_entries(root: Path) -> Iterator[tuple[Path, int]]:
    """Every entry under ``root`` (symlinks not followed) that group or others may use, with its mode."""
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            entry = Path(folder) / name
            try:
                info = entry.lstat()
            except FileNotFoundError:
                continue
            mode = stat.S_IMODE(info.st_mode)
            if not stat.S_ISLNK(info.st_mode) and mode & 0o077:
                yield entry, mode


def make_private(root: Path) -> int:
    """Set this process's umask to 077 and take group/other access away from everything under
    ``root`` (0700 folders, 0600 files, executables keep their owner's x bit). Returns how many
    entries changed. Symlinks are not followed."""
    os.umask(PRIVATE_UMASK)
    private_dir(root)
    changed = 0
    for entry, mode in _shared_entries(root):
        entry.chmod(mode & 0o700)
        changed += 1
    return changed


def exposed_entries(root: Path, limit: int = 5) -> list[str]:
    """Up to ``limit`` entries under ``root`` (``root`` included) that others may read or enter."""
    found: list[str] = []
    if root.is_dir() and stat.S_IMODE(root.stat().st_mode) & 0o077:
        found.append(f"{root} ({stat.S_IMODE(root.stat().st_mode):o})")
    for entry, mode in _shared_entries(root):
        if len(found) >= limit:
            break
        found.append(f"{entry} ({mode:o})")
    return found
