"""The ``nura`` command line (typer). Every command takes ``--data-dir``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from nura_appliance import __version__
from nura_appliance.errors import NuraError
from nura_appliance.private import PRIVATE_UMASK
from nura_appliance.settings import Settings, load_settings

app = typer.Typer(
    name="nura",
    help="NURA Appliance: a self-hosted, Arabic-first AI customer-support desk in one process.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory (default: $NURA_DATA_DIR, else ./data).", show_default=False),
]


def settings_for(data_dir: Path | None, **overrides: Any) -> Settings:
    # Whatever a command writes (a data dir `nura doctor` or `nura db migrate` creates, exports,
    # backups) holds customer data: private whatever the shell's umask (private.py).
    os.umask(PRIVATE_UMASK)
    try:
        return load_settings(overrides=overrides, data_dir=data_dir)
    except NuraError as exc:
        fail(exc.message)


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@app.command()
def version() -> None:
    """Print the version.

    Example: nura version
    """
    typer.echo(f"nura-appliance {__version__}")


@app.command()
def init(
    data_dir: DataDir = None,
    admin_name: Annotated[
        str | None,
        typer.Option(
            "--admin-name",
            help="Display name of the first admin, shown to customers (default: ADMIN_DISPLAY_NAME).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Create the data dir and database, load the default knowledge, create the first admin.

    Prints a generated one-time admin password unless ADMIN_PASSWORD is set.

    Example: nura init --data-dir /var/lib/nura --admin-name "Layla"
    """
    from nura_appliance.cli.setup import initialise

    settings = settings_for(data_dir, ADMIN_DISPLAY_NAME=admin_name)
    try:
        report = initialise(settings)
    except NuraError as exc:
        fail(exc.message)
    typer.echo(f"data directory: {settings.data_dir}")
    typer.echo(f"database: {report['database']} (migrations applied: {len(report['migrations'])})")
    typer.echo(f"knowledge: {'default pack loaded' if report['knowledge_loaded'] else 'kept as it was'}")
    admin = report.get("admin")
    if admin:
        typer.echo(f"admin user: {admin['username']}")
        if admin.get("display_name"):
            typer.echo(f"shown to customers as: {admin['display_name']}")
        else:
            typer.echo('no display name: customers see "customer service" (set one with --admin-name or on Users)')
        if admin.get("password"):
            typer.secho(f"one-time admin password: {admin['password']}", fg=typer.colors.YELLOW)
            typer.echo("(shown once; change it after the first login)")
    typer.echo(f"next: nura serve --data-dir {settings.data_dir}")


@app.command()
def serve(
    data_dir: DataDir = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default 8080).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes (more than 1 needs PostgreSQL + Redis).")] = 1,
) -> None:
    """Run the appliance: API, widget, admin and background jobs in one process.

    Listens on 127.0.0.1 unless told otherwise; put a reverse proxy (TLS) in front to serve others.

    Example: nura serve --host 127.0.0.1 --port 8080
    """
    from nura_appliance.cli.setup import serve_app

    settings = settings_for(data_dir, NURA_HOST=host, NURA_PORT=port)
    try:
        serve_app(settings, workers=workers)
    except NuraError as exc:
        fail(exc.message)


@app.command()
def worker(
    data_dir: DataDir = None,
    module: Annotated[
        list[str] | None, typer.Option("--module", help="Extra module(s) whose register_jobs(jobs) adds job kinds.")
    ] = None,
) -> None:
    """Run background jobs in this process (pair with JOB_WORKER_ENABLED=false on `nura serve`).

    Example: nura worker --data-dir /var/lib/nura
    """
    from nura_appliance.cli.worker import run_worker

    settings = settings_for(data_dir)
    try:
        run_worker(settings, module or [])
    except NuraError as exc:
        fail(exc.message)


@app.command()
def doctor(
    data_dir: DataDir = None, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """Print effective settings (secrets masked) and check the data dir, database and extensions.

    Example: nura doctor --json
    """
    from nura_appliance.ops.doctor import diagnose

    settings = settings_for(data_dir)
    report = diagnose(settings)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    else:
        typer.echo(f"nura-appliance {__version__} — Python {sys.version.split()[0]}")
        for name, check in report["checks"].items():
            mark = "ok " if check["ok"] else "FAIL"
            typer.echo(f"[{mark}] {name}: {check.get('detail', '')}")
        typer.echo("\nsettings (origin):")
        for name, value in report["settings"].items():
            typer.echo(f"  {name} = {value!r}  ({report['origins'][name]})")
    if not all(c["ok"] for c in report["checks"].values()):
        raise typer.Exit(1)


@db_app.command("migrate")
def db_migrate(data_dir: DataDir = None) -> None:
    """Apply pending database migrations.

    Example: nura db migrate --data-dir ./data
    """
    from nura_appliance.context import open_database
    from nura_appliance.storage.sqlite import migrations

    settings = settings_for(data_dir)
    _, db = open_database(settings)  # opening applies pending migrations
    try:
        done = migrations.applied(db)
    finally:
        db.close()
    typer.echo(f"schema up to date: {len(done)} migrations applied ({done[-1] if done else 'none'})")


@db_app.command("stats")
def db_stats(
    data_dir: DataDir = None, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """Row counts per table and file sizes.

    Example: nura db stats
    """
    from nura_appliance.cli.setup import database_stats

    stats = database_stats(settings_for(data_dir))
    if as_json:
        typer.echo(json.dumps(stats, indent=2))
        return
    for table, count in stats["tables"].items():
        typer.echo(f"{table:28} {count:>10}")
    typer.echo(f"database size: {stats['bytes']} bytes")


# Operations commands (backup, restore, export, purge, support-bundle, telegram) live in their
# own module; imported here, after the shared helpers above exist, so they can use them.
from nura_appliance.cli import ops as _ops  # noqa: E402

_ops.register(app)
from nura_appliance.cli.users import users_app  # noqa: E402

app.add_typer(users_app, name="user")

# Knowledge commands (`nura knowledge …`) and `nura eval`.
from nura_appliance.cli import knowledge as _knowledge  # noqa: E402

_knowledge.register(app)

# `nura models list|add` (GGUF models of the local LLM provider).
from nura_appliance.cli.models import models_app  # noqa: E402

app.add_typer(models_app, name="models")

# `nura migrate-data` (SQLite <-> PostgreSQL, scale-out).
from nura_appliance.cli import scale as _scale  # noqa: E402

_scale.register(app)

# `nura import-original` (switching from the original NURA).
from nura_appliance.cli import import_original as _import_original  # noqa: E402

_import_original.register(app)


def run() -> None:
    """Console-script entry point."""
    import multiprocessing

    # A frozen (PyInstaller) nura started as a worker process by `nura serve --workers` runs that
    # worker here instead of the command line; a no-op otherwise.
    multiprocessing.freeze_support()
    app()
