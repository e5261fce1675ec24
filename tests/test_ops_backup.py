"""`nura backup` / `nura restore`: online, consistent while serving, verified before restoring."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from nura_appliance.cli.main import app as cli
from nura_appliance.ops.backup import BackupError, create_backup, restore_backup, verify_archive
from nura_appliance.ops.live import ServeLock

runner = CliRunner()


def nura(*args: str) -> Any:
    return runner.invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `nura init` per module (it loads and indexes the default knowledge); tests copy it."""
    path = tmp_path_factory.mktemp("template") / "data"
    result = nura("init", "--data-dir", str(path))
    assert result.exit_code == 0, result.output
    return path


def init_dir(template: Path, path: Path) -> None:
    shutil.copytree(template, path)


def count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def rewrite_member(archive: Path, name: str, data: bytes, out: Path) -> None:
    """Copy ``archive`` to ``out`` with member ``name`` replaced by ``data`` (manifest unchanged)."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(out, "w:gz") as dst:
        for member in src:
            payload = src.extractfile(member).read() if member.isfile() else b""  # type: ignore[union-attr]
            if member.name == name:
                payload = data
                member.size = len(data)
            dst.addfile(member, io.BytesIO(payload))


@pytest.fixture
def lenient_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The chatter below opens sessions faster than a real customer; the server's limits allow it."""
    for name in ("RATE_LIMIT_NEW_SESSIONS_PER_MINUTE", "RATE_LIMIT_IP_PER_MINUTE", "RATE_LIMIT_MESSAGES_PER_MINUTE"):
        monkeypatch.setenv(name, "100000")


@pytest.mark.system
def test_backup_while_serving_then_restore_round_trips(
    lenient_limits: None, live_server: dict[str, Any], tmp_path: Path
) -> None:
    base, data_dir = live_server["url"], live_server["data_dir"]
    uploads = data_dir / "uploads" / "handbook"
    uploads.mkdir(parents=True, exist_ok=True)
    (uploads / "policy.md").write_text("# سياسة\nنص", encoding="utf-8")
    (data_dir / "nura.toml").write_text('COMPANY_NAME = "Backup Test Co"\n', encoding="utf-8")

    sent: list[str] = []
    errors: list[str] = []
    stop = threading.Event()

    def chatter() -> None:
        with httpx.Client(base_url=base, timeout=10) as http:
            while not stop.is_set():
                try:
                    resp = http.post(
                        "/v1/message",
                        json={
                            "session_id": None,
                            "customer_id": "bk-1",
                            "channel": "web",
                            "message": "ما هي الباقات المتاحة؟",
                        },
                    )
                except httpx.HTTPError as exc:  # a dead thread must not leave the waits below spinning
                    errors.append(repr(exc))
                    return
                if resp.status_code == 200:
                    sent.append(resp.json()["session_id"])
                else:
                    errors.append(resp.text)

    def wait_for_answers(count: int) -> None:
        """Until ``count`` answers came back; fails on the first error or after 60 s (never hangs)."""
        deadline = time.monotonic() + 60
        while len(sent) < count:
            assert not errors, errors[:3]
            assert thread.is_alive(), "the chatter stopped"
            assert time.monotonic() < deadline, f"only {len(sent)} of {count} answers in 60 s"
            time.sleep(0.05)

    thread = threading.Thread(target=chatter)
    thread.start()
    try:
        wait_for_answers(5)  # the backup starts while messages are flowing
        archive = tmp_path / "live.tar.gz"
        result = nura("backup", str(archive), "--data-dir", str(data_dir), "--json")
        assert result.exit_code == 0, result.output
        during = len(sent)
        wait_for_answers(during + 5)  # and the server kept answering after it
    finally:
        stop.set()
        thread.join()
    assert not errors

    manifest = json.loads(result.output)["manifest"]
    names = {f["path"] for f in manifest["files"]}
    assert {"nura.db", "nura.toml", "uploads/handbook/policy.md"} <= names
    assert all(len(f["sha256"]) == 64 for f in manifest["files"])

    target = tmp_path / "restored"
    result = nura("restore", str(archive), "--data-dir", str(target))
    assert result.exit_code == 0, result.output
    restored_db = target / "nura.db"
    conn = sqlite3.connect(restored_db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    sessions = conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
    turns = conn.execute("SELECT count(*) FROM chat_turns").fetchone()[0]
    conn.close()
    # A consistent snapshot: at least the sessions answered before the backup, every one complete.
    assert 5 <= sessions <= len(sent)
    assert turns == 2 * sessions
    # The appliance opens the restored dir as its own: migrations recorded, the same rows.
    stats = nura("db", "stats", "--json", "--data-dir", str(target))
    assert stats.exit_code == 0, stats.output
    assert json.loads(stats.stdout)["tables"]["sessions"] == sessions
    assert (target / "uploads" / "handbook" / "policy.md").read_text(encoding="utf-8") == "# سياسة\nنص"
    assert "Backup Test Co" in (target / "nura.toml").read_text(encoding="utf-8")


def test_restore_refuses_live_and_non_empty_data_dirs(initialised: Path, tmp_path: Path) -> None:
    source = tmp_path / "src"
    init_dir(initialised, source)
    archive = create_backup(source, tmp_path / "b.tar.gz").path

    occupied = tmp_path / "occupied"
    init_dir(initialised, occupied)
    result = nura("restore", str(archive), "--data-dir", str(occupied))
    assert result.exit_code == 1
    assert "--force" in result.output

    lock = ServeLock(occupied)
    assert lock.acquire()
    try:
        result = nura("restore", str(archive), "--data-dir", str(occupied), "--force")
        assert result.exit_code == 1
        assert "running nura server" in result.output
    finally:
        lock.close()

    marker_before = count(occupied / "nura.db", "SELECT count(*) FROM users")
    result = nura("restore", str(archive), "--data-dir", str(occupied), "--force")
    assert result.exit_code == 0, result.output
    kept = list(occupied.glob("pre-restore-*"))
    assert len(kept) == 1 and (kept[0] / "nura.db").is_file()
    assert count(kept[0] / "nura.db", "SELECT count(*) FROM users") == marker_before


def test_damaged_or_altered_archives_are_refused_before_touching_anything(initialised: Path, tmp_path: Path) -> None:
    source = tmp_path / "src"
    init_dir(initialised, source)
    (source / "nura.toml").write_text('COMPANY_NAME = "A"\n', encoding="utf-8")
    archive = create_backup(source, tmp_path / "ok.tar.gz").path
    assert verify_archive(archive)["format"] == "nura-backup/1"

    altered = tmp_path / "altered.tar.gz"
    rewrite_member(archive, "nura.toml", b'COMPANY_NAME = "B"\n', altered)
    with pytest.raises(BackupError, match="checksum mismatch"):
        verify_archive(altered)
    target = tmp_path / "t"
    with pytest.raises(BackupError):
        restore_backup(altered, target)
    assert not (target / "nura.db").exists()

    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    result = nura("restore", str(truncated), "--data-dir", str(tmp_path / "t2"))
    assert result.exit_code == 1 and "error:" in result.output

    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        raw = json.dumps({"format": "nura-backup/1", "files": []}).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(raw))
        info = tarfile.TarInfo("../escape.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(BackupError, match="unsafe path"):
        verify_archive(evil)
    assert not (tmp_path / "escape.txt").exists()

    not_a_backup = tmp_path / "plain.tar.gz"
    with tarfile.open(not_a_backup, "w:gz") as tar:
        info = tarfile.TarInfo("nura.db")
        info.size = 0
        tar.addfile(info, io.BytesIO(b""))
    result = nura("restore", str(not_a_backup), "--verify-only")
    assert result.exit_code == 1 and "manifest.json" in result.output


def test_backup_of_missing_database_is_a_clean_error(tmp_path: Path) -> None:
    result = nura("backup", str(tmp_path / "x.tar.gz"), "--data-dir", str(tmp_path / "empty"))
    assert result.exit_code == 1
    assert "nothing to back up" in result.output


def test_backup_to_a_folder_creates_it_and_puts_the_archive_inside(initialised: Path, tmp_path: Path) -> None:
    """`nura backup DIR/` (issue 20): a trailing slash, an existing folder or a name without an
    archive suffix means "a folder to put the archive in" — created when missing — never a file
    named like the folder."""
    data = tmp_path / "data"
    init_dir(initialised, data)
    # A missing folder given with a trailing slash: created, the archive goes inside.
    missing = tmp_path / "some" / "missing" / "dir"
    result = nura("backup", f"{missing}/", "--data-dir", str(data), "--json")
    assert result.exit_code == 0, result.output
    archive = Path(json.loads(result.output)["archive"])
    assert missing.is_dir() and archive.parent == missing
    assert archive.name.startswith("nura-backup-") and archive.name.endswith(".tar.gz")
    assert verify_archive(archive)["files"]
    # An existing folder without the slash: inside as well.
    existing = tmp_path / "existing"
    existing.mkdir()
    result = nura("backup", str(existing), "--data-dir", str(data), "--json")
    assert result.exit_code == 0, result.output
    assert Path(json.loads(result.output)["archive"]).parent == existing
    # A missing path without an archive suffix is a folder too, not a file called "nightly".
    nightly = tmp_path / "nightly"
    result = nura("backup", str(nightly), "--data-dir", str(data), "--json")
    assert result.exit_code == 0, result.output
    assert nightly.is_dir() and Path(json.loads(result.output)["archive"]).parent == nightly
    # An explicit archive name is kept, its folder created.
    named = tmp_path / "deep" / "er" / "mine.tar.gz"
    result = nura("backup", str(named), "--data-dir", str(data), "--json")
    assert result.exit_code == 0, result.output
    assert Path(json.loads(result.output)["archive"]) == named and named.is_file()
    # A path that names an existing file that is not an archive is refused, and left alone.
    other = tmp_path / "notes"
    other.write_text("keep me")
    result = nura("backup", f"{other}/", "--data-dir", str(data))
    assert result.exit_code == 1 and "not a folder" in result.output
    assert other.read_text() == "keep me"


def test_the_online_copy_finishes_while_another_process_keeps_committing(tmp_path: Path) -> None:
    """SQLite's backup API restarts a copy taken in slices whenever another process commits between
    two slices: with a 40 MB database and a server writing all the time, `nura backup` used to spin
    for ever (seen: never done after 10 s and 12,000 slices; it hung a CI run). One slice does it."""
    from nura_appliance.storage.sqlite.db import snapshot_file

    source = tmp_path / "busy.db"
    with sqlite3.connect(source) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
        conn.executemany("INSERT INTO t (body) VALUES (?)", [("x" * 1000,) for _ in range(40_000)])
    before = count(source, "SELECT count(*) FROM t")
    marker = tmp_path / "writing"
    writer_code = (
        "import pathlib, sqlite3, sys\n"
        "conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)\n"
        "conn.execute(\"INSERT INTO t (body) VALUES ('y')\")\n"
        "pathlib.Path(sys.argv[2]).touch()\n"
        "while True:\n"
        "    conn.execute(\"INSERT INTO t (body) VALUES ('y')\")\n"
    )
    writer = subprocess.Popen([sys.executable, "-c", writer_code, str(source), str(marker)])
    copied = tmp_path / "copy.db"
    done = threading.Event()
    failure: list[BaseException] = []

    def copy() -> None:
        try:
            snapshot_file(source, copied)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failure.append(exc)
        finally:
            done.set()

    try:
        deadline = time.monotonic() + 30
        while not marker.exists():  # the copy starts while the other process commits
            assert writer.poll() is None and time.monotonic() < deadline, "the writer did not start"
            time.sleep(0.02)
        threading.Thread(target=copy, daemon=True).start()
        assert done.wait(20), "the online copy never finished while another process committed"
        assert writer.poll() is None, "the writer stopped, so the copy was not taken under writes"
    finally:
        writer.kill()
        writer.wait()
    assert not failure, failure
    with sqlite3.connect(copied) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] > before
