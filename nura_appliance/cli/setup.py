"""What ``nura init``, ``serve``, ``doctor`` and ``db stats`` do, kept apart from the typer layer."""

from __future__ import annotations

import asyncio
import gc
import signal
import time
from functools import partial
from typing import Any

import apsw
import sqlite_vec

from nura_appliance.auth.passwords import generate_password, hash_password, password_problem
from nura_appliance.context import build_context, load_default_knowledge, open_database
from nura_appliance.errors import ConfigError
from nura_appliance.paths import admin_static_dir, default_pack_path, widget_dir
from nura_appliance.settings import Settings
from nura_appliance.storage.sqlite import migrations
from nura_appliance.storage.sqlite.db import Database


def create_first_admin(settings: Settings, db: Database) -> dict[str, Any] | None:
    """Create the first admin when there is no user yet; returns its name and any generated password."""
    if db.read_sync(lambda c: c.execute("SELECT count(*) AS n FROM users").fetchall()[0]["n"]):
        return None
    username = settings.admin_username
    password = settings.admin_password
    generated = not password
    if generated:
        password = generate_password()
    problem = password_problem(password, username, strict=settings.is_production)
    if problem:
        raise ConfigError(f"ADMIN_PASSWORD: {problem}")
    now = time.time()
    db.write_sync(
        lambda c: c.execute(
            "INSERT INTO users (username, password_hash, role, display_name, created_at, updated_at)"
            " VALUES (?, ?, 'admin', ?, ?, ?)",
            # The display name is what customers read ("Layla joined the conversation"); without one
            # they see a generic "customer service" rather than the login name.
            (username, hash_password(password), settings.admin_display_name or None, now, now),
        )
    )
    return {
        "username": username,
        "password": password if generated else None,
        "display_name": settings.admin_display_name or None,
    }


def initialise(settings: Settings) -> dict[str, Any]:
    paths, db = open_database(settings)
    try:
        applied = migrations.applied(db)
        admin = create_first_admin(settings, db)
    finally:
        db.close()
    ctx = build_context(settings)
    try:
        loaded = asyncio.run(load_default_knowledge(ctx))
    finally:
        ctx.close()
    return {"database": str(paths.database), "migrations": applied, "knowledge_loaded": loaded, "admin": admin}


async def freeze_startup_heap(_app: Any) -> None:
    """Everything alive once the server is up (modules, routes, the knowledge snapshot) lives as
    long as the process: move it out of the garbage collector's sight, so that full collections
    only walk what requests create (with ~110k start-up objects in view they paused the server
    for 50–180 ms under load; docs/PERFORMANCE.md). Only for a serving process: tests create many
    apps in one process and must not pin the earlier ones."""
    gc.freeze()


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def record_stop_signals() -> list[int]:
    """From now until the server installs its own handlers, a SIGINT/SIGTERM is only recorded in
    the returned list (rather than killing the process half-started); the caller carries it out
    once start-up is over."""
    requested: list[int] = []

    def record(signum: int, _frame: Any) -> None:
        requested.append(signum)

    for sig in STOP_SIGNALS:
        signal.signal(sig, record)
    return requested


def honour_stop_during_startup(app: Any, requested: list[int] | None = None) -> None:
    """Carry out a SIGTERM or SIGINT that arrives while ``nura serve`` starts, once it has started.

    Sanic starts answering requests (``/v1/health`` included) before its start-up is over, and a
    stop signal then was either lost or abrupt: in the ``after_server_start`` listeners Sanic's
    handler calls ``loop.stop()`` inside ``run_until_complete``, which is swallowed, and the
    server ran on until SIGKILL (20 s per start in bench_startup); a moment earlier, before Sanic
    installs its handlers, the default action killed the process without its shut-down (no
    closing of the database, no job hand-back). Here the signal is only recorded until start-up
    is over, then the server stops the ordinary way. Call before ``app.run``; ``requested`` is the
    list of a :func:`record_stop_signals` made earlier (an API worker records from its first line)."""
    if requested is None:
        requested = record_stop_signals()  # until Sanic installs its own (just before serving)

    async def hold(_app: Any) -> None:
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, requested.append, sig)

    def settle(app: Any) -> None:
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, partial(app.stop, terminate=False))
        if requested:
            from sanic.log import logger  # Sanic's own lines ("Starting worker" …) go there too

            logger.info("a stop signal came during start-up: stopping now")
            app.stop(terminate=False)

    async def release(app: Any) -> None:
        # Not from inside the listeners: a stop there is the very thing that got lost (and a
        # signal that is delivered now is only handled after this listener returns). A moment
        # later the loop runs the server: restore Sanic's handlers and stop if it was asked to.
        asyncio.get_running_loop().call_later(0.05, settle, app)

    app.after_server_start(hold, priority=1_000_000)
    app.after_server_start(release, priority=-1_000_000)


def service_addresses(settings: Settings) -> dict[str, str]:
    """Where people open the appliance: the widget demo page, the admin and the API docs. A
    wildcard listen address is shown as loopback (a browser cannot open ``0.0.0.0``)."""
    host = settings.nura_host or "127.0.0.1"
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1" if host == "0.0.0.0" else "::1"
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{settings.nura_port}"
    return {"widget demo": f"{base}/widget.html", "admin": f"{base}/admin/", "API docs": f"{base}/docs"}


def log_addresses(settings: Settings) -> None:
    """Print the addresses in the server's log (Sanic's logger, next to its own start-up lines)."""
    from sanic.log import logger

    logger.info("NURA is serving:")
    for name, url in service_addresses(settings).items():
        logger.info("  - %-12s %s", name, url)


def serve_app(settings: Settings, *, workers: int = 1) -> None:
    from nura_appliance.app import create_app
    from nura_appliance.auth.production import check_production
    from nura_appliance.ops.logs import configure_logging

    # Before anything logs: every line with its time and level (or JSON), in this process; the
    # supervisor of --workers is "main", its workers "api-N".
    configure_logging(json_lines=bool(settings.log_json), process="main" if workers > 1 else "serve")
    check_production(settings)  # before touching the data dir: refuse weak production set-ups first
    from nura_appliance.cli.scale import check_workers, serve_workers

    check_workers(settings, workers)
    if settings.nura_database_url:
        from nura_appliance.storage.stores import open_pg_database

        db: Any = open_pg_database(settings.nura_database_url)  # migrated once, before the workers start
    else:
        _, db = open_database(settings)
    try:
        create_first_admin(settings, db) if settings.admin_password else None
    finally:
        db.close()
    if workers > 1:
        serve_workers(settings, workers)
        return
    app = create_app(settings)
    app.after_server_start(freeze_startup_heap)

    async def announce(_app: Any) -> None:
        log_addresses(settings)

    app.after_server_start(announce)
    honour_stop_during_startup(app)
    # Sanic's default listen backlog (100) overflows when a few hundred widgets connect at once:
    # the kernel drops the extra SYNs and those browsers retry after 1, 3, 7 … seconds.
    app.run(
        host=settings.nura_host,
        port=settings.nura_port,
        single_process=True,
        access_log=False,
        motd=False,
        backlog=1024,
    )


def _location(url: str) -> str:
    from nura_appliance.storage.stores import describe_url

    where = describe_url(url)
    user = f"{where['user']}@" if where.get("user") else ""
    return f"{user}{where['host']}:{where['port']}/{where['database']}"


def _postgres_check(url: str) -> dict[str, Any]:
    """PostgreSQL mode: reachable, migrated, how many articles (no password in the detail)."""
    from nura_appliance.storage.postgres import migrations as pg_migrations
    from nura_appliance.storage.postgres.db import PgDatabase

    where = f"PostgreSQL {_location(url)}"
    try:
        db = PgDatabase(url, min_size=1, max_size=2)
    except Exception as exc:  # noqa: BLE001 - reported to the admin
        return {"ok": False, "detail": f"{where}: {exc}"}
    try:
        applied = set(pg_migrations.applied(db))
        pending = [m.name for m in pg_migrations.available() if m.name not in applied]
        count = (
            db.read_sync(lambda c: c.execute("SELECT count(*) AS n FROM articles").fetchall()[0]["n"]) if applied else 0
        )
    except Exception as exc:  # noqa: BLE001 - reported to the admin
        return {"ok": False, "detail": f"{where}: {exc}"}
    finally:
        db.close()
    detail = f"{where}, {count} articles" + (f", migrations pending: {', '.join(pending)}" if pending else "")
    return {"ok": not pending, "detail": detail}


def _redis_check(url: str) -> dict[str, Any]:
    import redis

    where = f"Redis {_location(url)}"
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        return {"ok": False, "detail": f"{where}: {exc}"}
    finally:
        client.close()
    return {"ok": True, "detail": where}


def diagnose(settings: Settings) -> dict[str, Any]:
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
        conn = apsw.Connection(":memory:")
        conn.enable_load_extension(True)
        conn.load_extension(sqlite_vec.loadable_path())
        version = conn.execute("SELECT vec_version()").fetchall()[0][0]
        checks["sqlite_vec"] = {"ok": True, "detail": f"sqlite {apsw.sqlite_lib_version()}, sqlite-vec {version}"}
    except apsw.Error as exc:
        checks["sqlite_vec"] = {"ok": False, "detail": str(exc)}
    if settings.nura_database_url:
        checks["database"] = _postgres_check(settings.nura_database_url)
    elif checks["data_dir"]["ok"]:
        try:
            _, db = open_database(settings)
            try:
                pending = migrations.pending(db)
                count = db.read_sync(lambda c: c.execute("SELECT count(*) AS n FROM articles").fetchall()[0]["n"])
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
    if checks["data_dir"]["ok"]:
        from nura_appliance.ai.doctor import describe_llm

        checks["llm"] = describe_llm(settings)  # which provider would answer, and why
    return {"checks": checks, "settings": settings.masked(), "origins": settings.origins}


def database_stats(settings: Settings) -> dict[str, Any]:
    paths, db = open_database(settings)
    try:

        def run(conn: apsw.Connection) -> dict[str, int]:
            names = [
                r["name"]
                for r in conn.execute(
                    "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'virtual')"
                    " AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
            return {n: conn.execute(f'SELECT count(*) AS n FROM "{n}"').fetchall()[0]["n"] for n in names}

        tables = db.read_sync(run)
    finally:
        db.close()
    return {"tables": tables, "bytes": paths.database.stat().st_size}
