"""Scale-out commands: ``nura serve --workers N`` (API worker processes under our supervisor, see
:mod:`nura_appliance.cli.supervisor`) and ``nura migrate-data`` (SQLite ↔ PostgreSQL, see
:mod:`nura_appliance.cli.migrate_data`, the copy itself :mod:`nura_appliance.storage.migrate_data`)."""

from __future__ import annotations

import logging

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


def serve_workers(settings: Settings, workers: int) -> None:
    """Run ``workers`` API processes on one port under our supervisor (``cli/supervisor.py``:
    restarts, SO_REUSEPORT, a failure status when they cannot be kept serving)."""
    from nura_appliance.cli.supervisor import Supervisor

    check_workers(settings, workers)
    settings = api_worker_settings(settings)
    status = Supervisor(settings, workers).run()
    if status:
        raise SystemExit(status)


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
