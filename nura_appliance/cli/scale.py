"""Scale-out commands: ``nura serve --workers N`` (through Sanic's worker manager) and
``nura migrate-data`` (SQLite ↔ PostgreSQL, see :mod:`nura_appliance.cli.migrate_data`)."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import typer

from nura_appliance.errors import ConfigError
from nura_appliance.settings import Settings

log = logging.getLogger(__name__)

APP_NAME = "nura"


def api_worker_settings(settings: Settings) -> Settings:
    """API worker processes never run the job consumer or the Telegram poller: with several
    workers each would run its own (N consumers sweeping, N pollers fighting over one bot).
    ``nura worker`` and ``nura telegram`` run them once, as separate services."""
    if settings.job_worker_enabled or settings.telegram_poller_enabled:
        log.warning(
            "several API workers: job consumer and Telegram poller are off in them;"
            " run `nura worker` (and `nura telegram`) as their own services"
        )
    return settings.replace(JOB_WORKER_ENABLED=False, TELEGRAM_POLLER_ENABLED=False)


def check_workers(settings: Settings, workers: int) -> None:
    if workers < 1:
        raise ConfigError("--workers must be at least 1")
    if workers > 1 and not (settings.nura_database_url and settings.nura_redis_url):
        raise ConfigError(
            "--workers above 1 needs NURA_DATABASE_URL (PostgreSQL) and NURA_REDIS_URL (Redis):"
            " SQLite, diskcache and the in-process event bus belong to one process"
        )


def worker_app(values: dict[str, Any], origins: dict[str, str]) -> Any:
    """The app factory Sanic's worker manager calls in each worker process (spawned, so it gets
    plain values rather than objects)."""
    from nura_appliance.app import create_app
    from nura_appliance.cli.setup import freeze_startup_heap

    app = create_app(Settings(dict(values), dict(origins)), name=APP_NAME)
    app.after_server_start(freeze_startup_heap)
    return app


def hold_stop_signals() -> Callable[[Any], None]:
    """Record SIGTERM/SIGINT from now on; returns the ``main_process_ready`` listener that carries
    a recorded (or later) stop out once every worker has acknowledged its start.

    Sanic's manager (25.12) handles a stop signal that comes while the workers start by
    terminating them, then keeps waiting for their start-up acknowledgements, which never come:
    ``nura serve --workers N`` hung for its 30-s threshold and then SIGKILLed everything
    (sanic-org/sanic#2997, open). A signal before the manager existed killed the main process and
    orphaned Sanic's multiprocessing manager. Here the signal waits until the workers are up and
    then goes to Sanic's own handler, whose ordinary shut-down works once the workers run.
    """
    from nura_appliance.cli.setup import STOP_SIGNALS, record_stop_signals

    requested = record_stop_signals()  # until the manager installs its own

    def ready(app: Any) -> None:  # the manager exists (with its handlers); the workers do not yet
        manager = app.manager
        if not hasattr(manager, "transient_processes"):  # another Sanic: keep its own handling
            return

        def serving() -> bool:
            # The main process marks its server processes ACKED in its monitor loop, after it has
            # stopped waiting for the acknowledgements: a stop handed over before that would land
            # in the very wait that cannot end (the shared worker state says ACKED earlier).
            servers = list(manager.transient_processes)
            return bool(servers) and all(p.state.name == "ACKED" for p in servers)

        sanic_handlers = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
        started = threading.Event()
        # Whether a signal is recorded or passed on, and the watcher's last look at the record,
        # must not interleave (a signal recorded just after that look would be lost). Re-entrant:
        # a second signal may interrupt the handler in the main thread.
        switch = threading.RLock()

        def handle(signum: int, frame: Any) -> None:
            with switch:
                if not started.is_set():
                    requested.append(signum)
                    return
            handler = sanic_handlers[signal.Signals(signum)]
            if callable(handler):
                handler(signum, frame)

        for sig in STOP_SIGNALS:
            signal.signal(sig, handle)

        def watch() -> None:
            # Only the main thread may set signal handlers, so this thread re-sends the recorded
            # signal once the workers are up; ``handle`` then passes it to Sanic.
            while not serving():  # if they never start, Sanic's own threshold ends the process
                time.sleep(0.05)
            with switch:
                started.set()
                pending = bool(requested)
            if pending:
                from sanic.log import logger  # Sanic's own lines ("Worker ready" …) go there too

                logger.info("a stop signal came while the workers started: stopping now")
                os.kill(os.getpid(), requested[0])

        threading.Thread(target=watch, name="nura-start-watch", daemon=True).start()

    return ready


def serve_workers(settings: Settings, workers: int) -> None:
    """Run ``workers`` API processes on one port (Sanic's manager restarts a worker that dies)."""
    from sanic import Sanic
    from sanic.log import logger
    from sanic.worker.loader import AppLoader

    check_workers(settings, workers)
    carry_out_stop = hold_stop_signals()
    settings = api_worker_settings(settings)
    loader = AppLoader(factory=partial(worker_app, dict(settings.values), dict(settings.origins)))
    app = loader.load()
    app.prepare(
        host=settings.nura_host, port=settings.nura_port, workers=workers, access_log=False, motd=False, backlog=1024
    )
    app.main_process_ready(carry_out_stop)
    logger.info("starting %d API workers on %s:%s", workers, settings.nura_host, settings.nura_port)
    from nura_appliance.cli.setup import log_addresses

    log_addresses(settings)
    Sanic.serve(primary=app, app_loader=loader)


def migrate_data_command(
    source: str = typer.Option(..., "--from", help="Source: an appliance data dir or a postgresql:// URL."),
    target: str = typer.Option(..., "--to", help="Target: a postgresql:// URL or a data dir (small installs)."),
    batch: int = typer.Option(1000, min=1, help="Rows per batch (one target transaction each)."),
) -> None:
    """Copy every table between SQLite and PostgreSQL in batches, resumably, then verify counts
    and checksums per table. Stop the appliance first.

    Example: nura migrate-data --from /var/lib/nura --to postgresql://nura@127.0.0.1/nura
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    from rich.table import Table

    from nura_appliance.cli.migrate_data import migrate_data
    from nura_appliance.errors import NuraError
    from nura_appliance.settings import load_settings

    console = Console()
    try:
        with Progress(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            report = migrate_data(source, target, load_settings(), batch=batch, progress=progress)
    except NuraError as exc:
        console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from None
    table = Table("table", "rows", "copied now", "checksum", "verified")
    for item in report.tables:
        table.add_row(
            item.name,
            str(item.target_rows),
            str(item.copied),
            item.target_checksum[:12],
            "[green]ok[/green]" if item.ok else f"[red]MISMATCH[/red] (source {item.source_rows} rows)",
        )
    console.print(table)
    if not report.ok:
        console.print("[red]verification failed[/red]: the target differs from the source (see above)")
        raise typer.Exit(2)
    console.print(
        f"[green]done[/green]: {len(report.tables)} tables, {sum(t.target_rows for t in report.tables)} rows verified"
    )


def register(app: typer.Typer) -> None:
    """Add ``nura migrate-data`` to the ``nura`` app."""
    app.command("migrate-data")(migrate_data_command)
