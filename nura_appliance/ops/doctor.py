"""``nura doctor``: is this installation able to run? The data dir, SQLite with sqlite-vec, the
configured database (SQLite or PostgreSQL) and Redis, the bundled widget, admin and knowledge, and
which LLM would answer. Used by the command and by the support bundle (``ops/support.py``)."""

from __future__ import annotations

import asyncio
from typing import Any

from nura_appliance.ai.doctor import describe_llm
from nura_appliance.auth.secrets import secret_problem
from nura_appliance.errors import StorageError
from nura_appliance.paths import admin_static_dir, default_pack_path, widget_dir
from nura_appliance.private import exposed_entries
from nura_appliance.settings import SECRETS_FILE, Settings
from nura_appliance.storage.base import Database
from nura_appliance.storage.stores import (
    applied_migrations,
    connect_pg_database,
    describe_url,
    open_database,
    pending_migrations,
    sqlite_engine_versions,
    stores_for,
)


def _location(url: str) -> str:
    where = describe_url(url)
    user = f"{where['user']}@" if where.get("user") else ""
    return f"{user}{where['host']}:{where['port']}/{where['database']}"


def _postgres_check(url: str) -> dict[str, Any]:
    """PostgreSQL mode: reachable, migrated, how many articles (no password in the detail)."""
    where = f"PostgreSQL {_location(url)}"
    try:
        db = connect_pg_database(url)  # psycopg (the `scale` extra) is imported only here
    except Exception as exc:  # noqa: BLE001 - reported to the admin
        return {"ok": False, "detail": f"{where}: {exc}"}
    try:
        pending = pending_migrations(db)
        count = _article_count(db) if applied_migrations(db) else 0
    except Exception as exc:  # noqa: BLE001 - reported to the admin
        return {"ok": False, "detail": f"{where}: {exc}"}
    finally:
        db.close()
    detail = f"{where}, {count} articles" + (f", migrations pending: {', '.join(pending)}" if pending else "")
    return {"ok": not pending, "detail": detail}


def _article_count(db: Database) -> int:
    """How many articles ``db`` holds (its backend's :class:`HealthStore`); ``diagnose`` is sync."""
    return asyncio.run(stores_for(db).health.article_count())


def _redis_check(url: str) -> dict[str, Any]:
    import redis  # the optional `scale` extra: imported only when Redis is configured

    where = f"Redis {_location(url)}"
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        return {"ok": False, "detail": f"{where}: {exc}"}
    finally:
        client.close()
    return {"ok": True, "detail": where}


def _whatsapp_check(settings: Settings) -> dict[str, Any] | None:
    """Whether the WhatsApp settings are complete (None when none is set); never the secrets."""
    names = ("WHATSAPP_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN")
    values = {name: str(getattr(settings, name.lower()) or "") for name in names}
    if not any(values.values()):
        return None
    missing = [name for name, value in values.items() if not value]
    if missing:
        # Without the verify token the channel runs, but Meta cannot check the webhook address.
        effect = "the channel stays off" if missing != ["WHATSAPP_VERIFY_TOKEN"] else "Meta cannot verify the webhook"
        return {"ok": False, "detail": f"incomplete: {', '.join(missing)} not set ({effect})"}
    template = settings.whatsapp_template_name or "none (agents cannot write after the 24-hour window)"
    return {
        "ok": True,
        "detail": f"phone number id …{values['WHATSAPP_PHONE_NUMBER_ID'][-4:]}, webhook /v1/whatsapp/webhook,"
        f" Graph API {settings.whatsapp_api_base}, template {template}",
    }


def _secrets_check(settings: Settings) -> dict[str, Any]:
    """Weak or published secrets, in every mode (production refuses to start with them)."""
    problems: list[str] = []
    notes: list[str] = []
    for name in ("API_KEY", "ADMIN_SECRET_KEY", "CUSTOMER_HMAC_SECRET"):
        value = str(settings.get(name) or "")
        if name == "API_KEY" and not settings.api_key_enabled:
            continue
        if not value:
            if name != "CUSTOMER_HMAC_SECRET":
                notes.append(f"{name} is generated into {SECRETS_FILE} at the first start")
            continue
        problem = secret_problem(value, name)
        if problem:
            problems.append(problem)
    detail = "; ".join(problems) or "; ".join(notes) or "API key and signing key are strong"
    return {"ok": not problems, "detail": detail}


def diagnose(settings: Settings) -> dict[str, Any]:
    """``nura doctor`` (and the support bundle): each check with ``ok`` and a detail for people,
    plus the effective settings (secrets masked) and where each came from."""
    checks: dict[str, dict[str, Any]] = {}
    data_dir = settings.data_dir
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe = data_dir / ".write-probe"
        probe.write_text("ok")
        probe.unlink()
        checks["data_dir"] = {"ok": True, "detail": str(data_dir)}
    except OSError as exc:
        checks["data_dir"] = {"ok": False, "detail": f"{data_dir}: {exc.strerror or exc}"}
    try:
        checks["sqlite_vec"] = {"ok": True, "detail": sqlite_engine_versions()}
    except StorageError as exc:
        checks["sqlite_vec"] = {"ok": False, "detail": exc.message}
    if settings.nura_database_url:
        checks["database"] = _postgres_check(settings.nura_database_url)
    elif checks["data_dir"]["ok"]:
        try:
            _, db = open_database(settings)
            try:
                pending = pending_migrations(db)
                count = _article_count(db)
            finally:
                db.close()
            checks["database"] = {"ok": not pending, "detail": f"{settings.data_dir / 'nura.db'}, {count} articles"}
        except Exception as exc:  # noqa: BLE001 - reported to the admin
            checks["database"] = {"ok": False, "detail": str(exc)}
    if settings.nura_redis_url:
        checks["redis"] = _redis_check(settings.nura_redis_url)
    for name, folder in (("widget", widget_dir()), ("admin_static", admin_static_dir())):
        checks[name] = {"ok": folder.is_dir(), "detail": str(folder)}
    checks["default_knowledge"] = {"ok": default_pack_path().is_file(), "detail": str(default_pack_path())}
    checks["secrets"] = _secrets_check(settings)
    exposed = exposed_entries(data_dir) if data_dir.is_dir() else []
    checks["data_dir_private"] = {
        "ok": not exposed,
        "detail": "folders 0700, files 0600"
        if not exposed
        else "others can read: " + ", ".join(exposed) + " (run `nura serve` or `nura init` once, or chmod -R go-rwx)",
    }
    if checks["data_dir"]["ok"]:
        checks["llm"] = describe_llm(settings)  # which provider would answer, and why
    whatsapp = _whatsapp_check(settings)
    if whatsapp is not None:
        checks["whatsapp"] = whatsapp
    return {"checks": checks, "settings": settings.masked(), "origins": settings.origins}
