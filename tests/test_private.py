"""The data dir's privacy helpers: what others can read is found, then taken away; symlinks are left alone."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from nura_appliance.private import exposed_entries, make_private


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_shared_entries_are_reported_then_made_private_and_symlinks_are_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "data"
    (root / "uploads").mkdir(parents=True)
    os.chmod(root, 0o755)
    os.chmod(root / "uploads", 0o755)
    (root / "nura.db").write_bytes(b"x")
    os.chmod(root / "nura.db", 0o644)
    (root / "tool").write_bytes(b"#!/bin/sh\n")
    os.chmod(root / "tool", 0o755)
    outside = tmp_path / "outside.txt"
    outside.write_text("not ours")
    os.chmod(outside, 0o644)
    (root / "uploads" / "link").symlink_to(outside)

    before = exposed_entries(root, limit=10)
    assert before[0].startswith(f"{root} (755)")
    assert sorted(line.split(" ")[0] for line in before[1:]) == sorted(
        str(p) for p in (root / "uploads", root / "nura.db", root / "tool")
    )
    assert len(exposed_entries(root, limit=2)) == 2

    old_umask = os.umask(0o022)
    try:
        assert make_private(root) == 3  # the root itself is set by private_dir, not counted
        assert os.umask(0o022) == 0o077
    finally:
        os.umask(old_umask)
    assert exposed_entries(root) == []
    assert _mode(root) == 0o700 and _mode(root / "uploads") == 0o700
    assert _mode(root / "nura.db") == 0o600 and _mode(root / "tool") == 0o700
    assert _mode(outside) == 0o644  # reached only through a symlink: untouched
