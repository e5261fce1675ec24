"""``nura support-bundle``: one archive of diagnostics to send to whoever supports the install.

Holds versions, the platform, the effective settings with every secret masked, the
``nura doctor`` checks, table sizes, applied migrations, recent job failures and ingestion
errors. It never holds customer text, password or token hashes, or secret setting values (a
test searches the bundle for them).
"""

from __future__ import annotations

import io
import json
import platform
import shutil
import sys
import tarfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import apsw

from nura_appliance import __version__
from nura_appliance.ops.doctor import diagnose
from nura_appliance.paths import DataPaths, is_frozen
from nura_appliance.settings import SETTINGS, Settings
from nura_appliance.storage.sqlite.db import Database

PACKAGES = (
    "sanic",
    "sanic-ext",
    "apsw",
    "sqlite-vec",
    "sqlite-utils",
    "diskcache",
    "huey",
    "openai",
    "typer",
    "llama-cpp-python",
    "prometheus-client",
    "httpx",
    "psycopg",
    "redis",
)


def _versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def _database_facts(paths: DataPaths) -> dict[str, Any]:
    if not paths.database.is_file():
        return {"present": False}
    db = Database(paths.database, readers=1)
    try:

        def run(conn: apsw.Connection) -> dict[str, Any]:
            tables = [
                r["name"]
                for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
            counts = {}
            for name in tables:
                try:
                    counts[name] = conn.execute(f'SELECT count(*) AS n FROM "{name}"').fetchall()[0]["n"]
                except apsw.Error as exc:  # e.g. a vector table whose extension version differs
                    counts[name] = f"unreadable: {exc}"
            migrations = [r["name"] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY name")]
            # Kinds, attempts and errors only: payloads carry customer text.
            failed = list(
                conn.execute(
                    "SELECT id, kind, attempts, substr(coalesce(last_error, ''), 1, 300) AS last_error, created_at,"
                    " updated_at FROM outbox WHERE status = 'failed' ORDER BY id DESC LIMIT 50"
                )
            )
            ingestion = list(
                conn.execute(
                    "SELECT id, status, files, skipped, chunks, substr(coalesce(error, ''), 1, 300) AS error, started_at,"
                    " finished_at FROM ingestion_logs ORDER BY id DESC LIMIT 20"
                )
            )
            statuses = {
                r["status"]: r["n"] for r in conn.execute("SELECT status, count(*) AS n FROM sessions GROUP BY status")
            }
            pragmas = {
                name: conn.execute(f"PRAGMA {name}").fetchall()[0]
                for name in ("journal_mode", "page_size", "page_count", "freelist_count")
            }
            return {
                "tables": counts,
                "migrations": migrations,
                "failed_jobs": failed,
                "ingestion_runs": ingestion,
                "sessions_by_status": statuses,
                "pragmas": pragmas,
            }

        facts = db.read_sync(run)
    finally:
        db.close()
    facts["present"] = True
    facts["bytes"] = {
        name: (paths.root / name).stat().st_size
        for name in ("nura.db", "nura.db-wal", "jobs.db")
        if (paths.root / name).is_file()
    }
    return facts


def collect(settings: Settings) -> dict[str, Any]:
    """The diagnostics as one JSON-able dict (secrets masked)."""
    paths = DataPaths(settings.data_dir)
    try:
        doctor = diagnose(settings)
        checks = doctor["checks"]
    except Exception as exc:  # noqa: BLE001 - a broken install is exactly when a bundle is needed
        checks = {"doctor": {"ok": False, "detail": str(exc)}}
    try:
        database = _database_facts(paths)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        database = {"present": paths.database.is_file(), "error": str(exc)}
    usage = shutil.disk_usage(paths.root if paths.root.exists() else Path.cwd())
    return {
        "generated_at": time.time(),
        "nura_version": __version__,
        "frozen": is_frozen(),
        "python": sys.version,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": _versions(),
        "data_dir": str(paths.root),
        "disk": {"total": usage.total, "free": usage.free},
        "checks": checks,
        "settings": settings.masked(),
        "setting_origins": settings.origins,
        "database": database,
    }


def secret_values(settings: Settings) -> list[str]:
    """The secret setting values that must never appear in a bundle (for the caller's check)."""
    return [str(settings.get(s.name)) for s in SETTINGS if s.secret and settings.get(s.name)]


def write_bundle(settings: Settings, destination: Path) -> Path:
    """Write ``support-<time>.tar.gz`` (or ``destination`` when it names a file)."""
    report = collect(settings)
    if destination.is_dir():
        destination = destination / time.strftime("nura-support-%Y%m%d-%H%M%S.tar.gz")
    destination.parent.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(report, ensure_ascii=False, indent=2, default=str)
    for secret in secret_values(settings):
        # Belt and braces: a secret that slipped into an error text is cut out.
        if len(secret) >= 4:
            raw = raw.replace(secret, "****")
    with tarfile.open(destination, "w:gz") as archive:
        for name, text in (("report.json", raw), ("README.txt", _readme())):
            data = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
            archive.addfile(info, io.BytesIO(data))
    destination.chmod(0o600)
    return destination


def _readme() -> str:
    return (
        "NURA Appliance support bundle.\n\nreport.json holds versions, platform, the effective settings with "
        "secrets masked, health checks, table sizes, migrations, recent job failures and ingestion runs.\n"
        "It holds no customer messages, no passwords and no tokens.\n"
    )
