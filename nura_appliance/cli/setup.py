"""What ``nura init``, ``serve`` and ``db stats`` do, kept apart from the typer layer (``nura doctor``
is :func:`nura_appliance.ops.doctor.diagnose`)."""

from __future__ import annotations

import asyncio
import gc
import signal
from functools import partial
from typing import Any

from nura_appliance.auth.secrets import ensure_secrets
from nura_appliance.auth.service import create_first_admin
from nura_appliance.context import build_context, load_default_knowledge
from nura_appliance.private import make_private
from nura_appliance.settings import Settings
from nura_appliance.storage.stores import (
    applied_migrations,
    database_location,
    open_main_database,
    open_stores,
    stores_for,
)


def initialise(settings: Settings) -> dict[str, Any]:
    """``nura init``: create (or migrate) the configured database — the data dir's SQLite file, or
    PostgreSQL when ``NURA_DATABASE_URL`` is set — create the first admin there and load the default
    knowledge into an empty knowledge base. The data dir is made private (0700/0600) and gets its
    own random API key and signing key (``secrets.toml``) unless they are configured."""
    make_private(settings.data_dir)
    settings = ensure_secrets(settings)
    ctx = build_context(settings)
    try:

        async def first_run() -> tuple[dict[str, Any] | None, bool]:
            admin = await create_first_admin(settings, ctx.stores.auth)
            return admin, await load_default_knowledge(ctx)

        admin, loaded = asyncio.run(first_run())
        applied = applied_migrations(ctx.db)
    finally:
        ctx.close()
    return {"database": database_location(settings), "migrations": applied, "knowledge_loaded": loaded, "admin": admin}


# Allocations (net of frees) between two young-generation collections; Python's default is 700.
# A request allocates a few hundred container objects and frees nearly all of them when it ends,
# but with tens of requests in flight a collection every 700 found most of them alive: it walked
# them, moved them to the older generations and walked them again there. At 5,000 most of them
# are gone before the next collection: 20x fewer collections and about 60 % less time collecting
# per message (measured in-process, docs/PERFORMANCE.md, issue 18), each under a millisecond.
YOUNG_GC_THRESHOLD = 5000


async def freeze_startup_heap(_app: Any) -> None:
    """Everything alive once the server is up (modules, routes, the knowledge snapshot) lives as
    long as the process: move it out of the garbage collector's sight, so that full collections
    only walk what requests create (with ~110k start-up objects in view they paused the server
    for 50–180 ms under load; docs/PERFORMANCE.md). Young collections run every
    ``YOUNG_GC_THRESHOLD`` allocations. Only for a serving process: tests create many apps in one
    process and must not pin the earlier ones."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GC_THRESHOLD, middle, old)


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


def keep_stop_signals_through_sanic_set_up() -> None:
    """Let no stop signal get lost between :func:`record_stop_signals` and our loop handlers.

    Sanic's ``_setup_system_signals`` (``sanic/server/runners.py``) sets SIGINT and SIGTERM to
    ``SIG_IGN`` and only then adds its event-loop handlers: a stop signal that comes in between is
    dropped by the kernel and the server runs on for good (an API worker once did, when the
    supervisor forwarded a stop in the same millisecond). ``register_sys_signals=False`` does not
    avoid that ``SIG_IGN``, so in a serving process it is skipped here for the stop signals: our
    recording handler stays until :func:`honour_stop_during_startup` replaces it with the loop's,
    in one ``sigaction`` with no gap. Sanic's other calls of ``signal_func`` go through unchanged.
    The servers run with ``register_sys_signals=False``: Sanic's own handler, installed just before
    the start-up listeners run, took a signal of that moment and stopped the loop inside them,
    where the stop is swallowed. tests/test_stop_signal_window.py sends a SIGTERM at both points."""
    from sanic.server import runners

    sanic_signal = runners.signal_func
    if sanic_signal.__name__ == "keep_stop_signals":  # done already in this process
        return

    def keep_stop_signals(signalnum: int, handler: Any) -> Any:
        if handler == signal.SIG_IGN and signalnum in STOP_SIGNALS:
            return signal.getsignal(signalnum)
        return sanic_signal(signalnum, handler)

    runners.signal_func = keep_stop_signals


def honour_stop_during_startup(app: Any, requested: list[int] | None = None) -> None:
    """Carry out a SIGTERM or SIGINT that arrives while ``nura serve`` starts, once it has started.

    Sanic starts answering requests (``/v1/health`` included) before its start-up is over, and a
    stop signal then was either lost or abrupt: in the ``after_server_start`` listeners Sanic's
    handler calls ``loop.stop()`` inside ``run_until_complete``, which is swallowed, and the
    server ran on until SIGKILL (20 s per start in bench_startup); a moment earlier, before Sanic
    installs its handlers, the default action killed the process without its shut-down (no
    closing of the database, no job hand-back). Here the signal is only recorded until start-up
    is over, then the server stops the ordinary way. Call before ``app.run``, and run the server with
    ``register_sys_signals=False`` (the handlers here are the only ones, see
    :func:`keep_stop_signals_through_sanic_set_up`); ``requested`` is the list of a
    :func:`record_stop_signals` made earlier (an API worker records from its first line).

    The recording handler is a plain Python one and stays until the loop serves for good. An
    event-loop handler during start-up lost a signal (CI, once): uvloop pauses its signal handling
    whenever ``run_until_complete`` returns, and a signal in the gap before ``run_forever`` is only
    noted in a set it reads when a later signal arrives (tests/test_stop_signal_window.py)."""
    if requested is None:
        requested = record_stop_signals()  # until `settle` hands the signals to the event loop
    keep_stop_signals_through_sanic_set_up()

    def settle(app: Any) -> None:
        loop = asyncio.get_running_loop()
        if not app.state.is_running:
            # Sanic marks the app as running between its last start-up step and ``run_forever``;
            # a busy machine can keep it there longer than the delay below.
            loop.call_later(0.05, settle, app)
            return
        # ``signal.signal`` (inside ``add_signal_handler``) first runs the recording handler for a
        # signal that is pending, so none falls between the two handlers.
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, partial(app.stop, terminate=False))
        if requested:
            from sanic.log import logger  # Sanic's own lines ("Starting worker" …) go there too

            logger.info("a stop signal came during start-up: stopping now")
            app.stop(terminate=False)

    async def release(app: Any) -> None:
        # Not from inside the listeners: a stop there is the very thing that got lost. A moment
        # later the loop runs the server: the stopping handlers (Sanic's own, which ``app.run`` no
        # longer installs) and the stop if one was asked for.
        asyncio.get_running_loop().call_later(0.05, settle, app)

    app.after_server_start(release, priority=-1_000_000)


def service_addresses(settings: Settings) -> dict[str, str]:
    """Where people open the appliance: the widget demo page, the admin and the API docs. A
    wildcard listen address is shown as loopback (a browser cannot open ``0.0.0.0``)."""
    host = settings.nura_host or "127.0.0.1"
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1" if host == "0.0.0.0" else "::1"
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{settings.nura_port}"
    shown_addresses = {"widget demo": f"{base}/widget.html", "admin": f"{base}/admin/"}
    if settings.api_docs_access != "off":  # API_DOCS: off by default in production
        shown_addresses["API docs"] = f"{base}/docs"
    return shown_addresses


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
    make_private(settings.data_dir)  # umask 077 from here on, and what exists already tightened
    settings = ensure_secrets(settings)  # generated once, before any worker starts
    from nura_appliance.cli.scale import check_workers, serve_workers

    check_workers(settings, workers)
    _, db = open_main_database(settings)  # migrated once, before the workers start
    try:
        if settings.admin_password:
            asyncio.run(create_first_admin(settings, stores_for(db).auth))
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
        register_sys_signals=False,  # our handlers only: honour_stop_during_startup
        access_log=False,
        motd=False,
        backlog=1024,
    )


def database_stats(settings: Settings) -> dict[str, Any]:
    """``nura db stats``: rows per table and the size of the configured database (the data dir's
    SQLite file, or PostgreSQL when ``NURA_DATABASE_URL`` is set), through ``SupportStore.stats``."""
    _paths, stores = open_stores(settings)
    try:
        return asyncio.run(stores.support.stats())
    finally:
        stores.db.close()
