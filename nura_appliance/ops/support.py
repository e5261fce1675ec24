"""``nura support-bundle``: one archive of diagnostics to send to whoever supports the install.

Holds versions, the platform, the effective settings with every secret masked, the
``nura doctor`` checks, table sizes, applied migrations, recent job failures and ingestion
errors. It never holds customer text, password or token hashes, or secret setting values (a
test searches the bundle for them).
"""

from __future__ import annotations

import asyncio
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

from nura_appliance import __version__
from nura_appliance.ops.doctor import diagnose
from nura_appliance.paths import DataPaths, is_frozen
from nura_appliance.settings import SETTINGS, Settings
from nura_appliance.storage.stores import connect_main_database, database_location, stores_for

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


def _database_facts(settings: Settings, paths: DataPaths) -> dict[str, Any]:
    """The configured database's facts (its backend's :class:`SupportStore`), not migrating it."""
    if not settings.nura_database_url and not paths.database.is_file():
        return {"present": False}
    db = connect_main_database(settings)
    try:
        facts = asyncio.run(stores_for(db).support.facts())
    finally:
        db.close()
    if settings.nura_database_url:
        facts["location"] = database_location(settings)
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
        database = _database_facts(settings, paths)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        database = {"present": bool(settings.nura_database_url) or paths.database.is_file(), "error": str(exc)}
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
