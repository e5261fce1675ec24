"""Online backups and verified restores of one data directory.

A backup is one ``.tar.gz`` holding ``manifest.json`` (format, version, time, storage mode, and
the size and SHA-256 of every other member), the ``uploads/`` folder, ``nura.toml`` and the
database: in SQLite mode ``nura.db`` and ``jobs.db`` copied with SQLite's online backup API
(consistent snapshots while the server keeps writing: WAL lets the copy read a fixed snapshot
while writers go on); in PostgreSQL mode ``postgres.dump``, a ``pg_dump`` custom-format dump
(``ops/pgdump.py``).

A restore first verifies the whole archive — the manifest, every checksum, no member outside
the data dir, no links, the databases' integrity (``pg_restore --list`` for a dump) — and only
then replaces files. Files it replaces are moved aside into ``DATA_DIR/pre-restore-<time>/``
rather than deleted; in PostgreSQL mode the database it replaces is dumped there first.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from nura_appliance import __version__
from nura_appliance.errors import Conflict, NuraError
from nura_appliance.ops import pgdump
from nura_appliance.ops.live import is_live
from nura_appliance.paths import DataPaths
from nura_appliance.storage.stores import snapshot_sqlite_file

FORMAT = "nura-backup/1"
MANIFEST = "manifest.json"
DATABASES = ("nura.db", "jobs.db")
# What a data dir holds that a restore replaces; the cache is rebuilt from the database.
REPLACED = (
    "nura.db",
    "nura.db-wal",
    "nura.db-shm",
    "jobs.db",
    "jobs.db-wal",
    "jobs.db-shm",
    "nura.toml",
    "uploads",
    "cache",
)
Progress = Callable[[str], None]


class BackupError(NuraError):
    """An archive that cannot be restored (bad checksum, unknown format, unsafe member)."""

    status = 400
    code = "backup_invalid"


@dataclass
class BackupResult:
    path: Path
    manifest: dict[str, Any]

    @property
    def bytes(self) -> int:
        return self.path.stat().st_size


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _integrity(path: Path) -> str:
    """``ok`` or SQLite's first complaint about a database file (stdlib sqlite3, read-only)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return str(conn.execute("PRAGMA quick_check").fetchone()[0])
    finally:
        conn.close()


def _uploads(paths: DataPaths) -> Iterator[Path]:
    if paths.uploads.is_dir():
        for path in sorted(paths.uploads.rglob("*")):
            if path.is_file() and not path.is_symlink():
                yield path


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """Archive members readable by their owner only, with no user names from this machine."""
    info.mode = 0o600
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def default_archive_name(now: float | None = None) -> str:
    return time.strftime("nura-backup-%Y%m%d-%H%M%S.tar.gz", time.localtime(now or time.time()))


ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")


def backup_destination(raw: str) -> Path:
    """Where ``nura backup RAW`` writes, creating the folder it names.

    ``RAW`` is a folder to put a dated archive in when it ends with a slash, is an existing
    folder, or (missing) does not end in ``.tar.gz``/``.tgz``; otherwise it is the archive's own
    name. The folder, or the archive's parent folder, is created when missing. Checked on the
    raw text because ``Path`` drops a trailing slash (``nura backup /mnt/missing/`` once wrote a
    file called ``missing``).

    Raises:
        NuraError: when a folder is meant but the path is an existing file.
    """
    path = Path(raw).expanduser()
    folder = raw.endswith(("/", "\\")) or path.is_dir() or not path.name.endswith(ARCHIVE_SUFFIXES)
    target = path if folder else path.parent
    if target.exists() and not target.is_dir():
        raise NuraError(f"{target} is a file, not a folder to put the backup in", code="backup_target", status=400)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NuraError(f"cannot create {target}: {exc.strerror or exc}", code="backup_target", status=400) from exc
    return path / default_archive_name() if folder else path


def create_backup(
    data_dir: Path, destination: Path, *, database_url: str | None = None, progress: Progress | None = None
) -> BackupResult:
    """Write a backup of ``data_dir`` to ``destination`` (a file path, or a folder to put it in).

    With ``database_url`` (PostgreSQL mode) the database is that PostgreSQL database, dumped with
    ``pg_dump``; ``nura.db`` is not used in that mode."""
    say = progress or (lambda _msg: None)
    paths = DataPaths(data_dir)
    if not database_url and not paths.database.is_file():
        raise NuraError(f"{paths.database} does not exist: nothing to back up", code="no_database", status=400)
    if destination.is_dir():
        destination = destination / default_archive_name()
    destination.parent.mkdir(parents=True, exist_ok=True)
    files: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="nura-backup-", dir=destination.parent) as work:
        staging = Path(work)
        members: list[tuple[Path, str]] = []
        extra: dict[str, Any] = {"database": "sqlite"}
        if database_url:
            say("dumping the PostgreSQL database (pg_dump)")
            dumped = staging / pgdump.DUMP_NAME
            pgdump.dump(database_url, dumped)
            members.append((dumped, pgdump.DUMP_NAME))
            extra = {"database": "postgresql", "pg_dump_version": pgdump.client_version()}
        for name in () if database_url else DATABASES:
            source = paths.root / name
            if not source.is_file():
                continue
            say(f"copying {name} (online backup)")
            copy = staging / name
            snapshot_sqlite_file(source, copy)
            members.append((copy, name))
        if paths.settings_file.is_file():
            members.append((paths.settings_file, "nura.toml"))
        for upload in _uploads(paths):
            members.append((upload, PurePosixPath("uploads", *upload.relative_to(paths.uploads).parts).as_posix()))
        for path, name in members:
            files.append({"path": name, "bytes": path.stat().st_size, "sha256": sha256_file(path)})
        manifest = {
            "format": FORMAT,
            "nura_version": __version__,
            "created_at": time.time(),
            "source_data_dir": str(paths.root),
            **extra,
            "files": files,
        }
        say(f"writing {destination.name}")
        partial = destination.with_name(destination.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            raw = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(raw), int(time.time()), 0o600
            archive.addfile(info, io.BytesIO(raw))
            for path, name in members:
                archive.add(path, arcname=name, recursive=False, filter=_private)
        # Renamed only when complete, so a half-written archive never looks like a backup.
        partial.replace(destination)
    destination.chmod(0o600)
    return BackupResult(destination, manifest)


def _safe_name(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or name.startswith("/"):
        raise BackupError(f"unsafe path in archive: {name!r}")
    if path.parts[0] not in (MANIFEST, "nura.db", "jobs.db", "nura.toml", "uploads", pgdump.DUMP_NAME):
        raise BackupError(f"unexpected member in archive: {name!r}")
    return path.as_posix()


def verify_archive(archive_path: Path, extract_to: Path | None = None) -> dict[str, Any]:
    """Check the archive completely; with ``extract_to``, also unpack the verified files there.

    Raises:
        BackupError: when the archive is unreadable, of an unknown format, has a member that
            is not a regular file inside the data dir, a file missing from it or not listed in
            the manifest, a size or checksum that differs, or a database that fails its check.
    """
    if not archive_path.is_file():
        raise BackupError(f"{archive_path} does not exist", code="backup_missing")
    try:
        archive = tarfile.open(archive_path, "r:gz")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"{archive_path} is not a NURA backup archive: {exc}") from None
    with archive, tempfile.TemporaryDirectory(prefix="nura-verify-") as work:
        target = extract_to or Path(work)
        try:
            manifest_member = archive.getmember(MANIFEST)
            manifest = json.loads(archive.extractfile(manifest_member).read().decode("utf-8"))  # type: ignore[union-attr]
        except (KeyError, ValueError, AttributeError, tarfile.TarError, EOFError) as exc:
            raise BackupError(f"the archive has no readable {MANIFEST}: {exc}") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise BackupError(
                f"unknown backup format {manifest.get('format') if isinstance(manifest, dict) else None!r}"
            )
        listed = {entry["path"]: entry for entry in manifest.get("files", []) if isinstance(entry, dict)}
        seen: set[str] = set()
        try:
            for member in archive:
                name = _safe_name(member.name)
                if name == MANIFEST:
                    continue
                if not member.isfile():
                    raise BackupError(f"archive member {name!r} is not a regular file")
                entry = listed.get(name)
                if entry is None:
                    raise BackupError(f"archive member {name!r} is not listed in the manifest")
                out = target / name
                out.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                size = 0
                with archive.extractfile(member) as source, open(out, "wb") as sink:  # type: ignore[union-attr]
                    for block in iter(lambda: source.read(1 << 20), b""):
                        digest.update(block)
                        size += len(block)
                        sink.write(block)
                if size != entry.get("bytes") or digest.hexdigest() != entry.get("sha256"):
                    raise BackupError(
                        f"checksum mismatch for {name}: the archive is damaged or was altered", code="backup_checksum"
                    )
                seen.add(name)
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BackupError(f"the archive is truncated or unreadable: {exc}") from None
        missing = sorted(set(listed) - seen)
        if missing:
            raise BackupError(f"files listed in the manifest are missing from the archive: {', '.join(missing)}")
        if "nura.db" not in seen and pgdump.DUMP_NAME not in seen:
            raise BackupError("the archive holds no database (nura.db or postgres.dump)")
        for name in DATABASES:
            if name in seen:
                verdict = _integrity(target / name)
                if verdict != "ok":
                    raise BackupError(f"{name} in the archive fails its integrity check: {verdict}")
        if pgdump.DUMP_NAME in seen:
            try:
                pgdump.check_dump(target / pgdump.DUMP_NAME)
            except pgdump.PgToolError as exc:
                if exc.code == "pg_tool_missing":
                    raise
                raise BackupError(f"{pgdump.DUMP_NAME} in the archive is not a readable dump: {exc.message}") from None
    return manifest


def archive_mode(manifest: dict[str, Any]) -> str:
    """``sqlite`` or ``postgresql``: which storage mode made the archive."""
    names = {entry.get("path") for entry in manifest.get("files", []) if isinstance(entry, dict)}
    return "postgresql" if pgdump.DUMP_NAME in names else "sqlite"


def _has_data(data_dir: Path) -> bool:
    """Whether ``data_dir`` holds anything a restore would replace (an empty cache does not count)."""
    paths = DataPaths(data_dir)
    if any((data_dir / name).exists() for name in ("nura.db", "jobs.db", "nura.toml")):
        return True
    return paths.uploads.is_dir() and any(paths.uploads.iterdir())


def restore_backup(
    archive_path: Path,
    data_dir: Path,
    *,
    force: bool = False,
    database_url: str | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Verify ``archive_path`` and restore it into ``data_dir`` (and, for an archive made in
    PostgreSQL mode, into the database at ``database_url``).

    Raises:
        BackupError: the archive fails verification, or was made in the other storage mode
            (nothing is touched).
        Conflict: the data dir is in use by a running server (always refused: replacing a
            database under a live process corrupts it), or holds data and ``force`` is False.
    """
    say = progress or (lambda _msg: None)
    data_dir = data_dir.resolve()
    if is_live(data_dir):
        raise Conflict(f"{data_dir} is in use by a running nura server; stop it first", code="data_dir_live")
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=data_dir) as work:
        staging = Path(work)
        say(f"verifying {archive_path.name}")
        manifest = verify_archive(archive_path, extract_to=staging)
        mode = archive_mode(manifest)
        if mode == "postgresql" and not database_url:
            raise BackupError(
                "this archive was made in PostgreSQL mode: set NURA_DATABASE_URL to the database to restore into",
                code="backup_mode",
            )
        if mode == "sqlite" and database_url:
            raise BackupError(
                "this archive was made in SQLite mode: restore it without NURA_DATABASE_URL, then copy it into"
                " PostgreSQL with `nura migrate-data`",
                code="backup_mode",
            )
        holds_data = _has_data(data_dir) or bool(database_url and pgdump.has_data(database_url))
        if holds_data and not force:
            raise Conflict(
                f"{data_dir if not database_url else 'the database'} already holds data; pass --force to replace it"
                " (what it replaces is kept in a pre-restore-<time> folder)",
                code="data_dir_not_empty",
            )
        aside = data_dir / time.strftime("pre-restore-%Y%m%d-%H%M%S")
        moved: list[str] = []
        if database_url:
            if pgdump.has_data(database_url):
                say("dumping the current database aside")
                aside.mkdir(exist_ok=True)
                pgdump.dump(database_url, aside / pgdump.DUMP_NAME)
                moved.append(pgdump.DUMP_NAME)
            say("restoring the PostgreSQL database (one transaction)")
            pgdump.restore(database_url, staging / pgdump.DUMP_NAME)
            (staging / pgdump.DUMP_NAME).unlink()
        for name in REPLACED:
            current = data_dir / name
            if current.exists() and (name in ("nura.toml", "uploads", "cache") or not database_url):
                aside.mkdir(exist_ok=True)
                shutil.move(str(current), str(aside / name))
                moved.append(name)
        say("moving restored files into place")
        for entry in sorted(staging.iterdir()):
            shutil.move(str(entry), str(data_dir / entry.name))
    for folder in ("uploads", "cache"):
        (data_dir / folder).mkdir(exist_ok=True)
    if not moved and aside.exists():
        aside.rmdir()
    return {
        "data_dir": str(data_dir),
        "database": mode,
        "manifest": manifest,
        "moved_aside": str(aside) if moved else None,
        "files": len(manifest.get("files", [])),
    }
