"""Operations commands: ``backup``, ``restore``, ``export``, ``purge``, ``support-bundle``.

Registered on the main typer app by :func:`register`. Each command is a thin layer over
``nura_appliance.ops``; domain errors become one ``error: …`` line and a non-zero exit code.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

from nura_appliance.cli.main import DataDir, fail, settings_for
from nura_appliance.errors import NuraError
from nura_appliance.settings import Settings


def _spinner() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        transient=True,
        disable=not sys.stderr.isatty(),
        console=None,
    )


def backup(
    output: Annotated[
        str | None,
        typer.Argument(
            help="A folder to put the archive in (created when missing; a trailing slash, an existing folder or a"
            " name without .tar.gz means a folder) or the archive's own name (*.tar.gz). Default: DATA_DIR/backups/.",
            show_default=False,
        ),
    ] = None,
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
) -> None:
    """Back up the database, job queue, uploads and nura.toml into one archive, while serving.

    SQLite's online backup API copies consistent snapshots while the server keeps answering; in
    PostgreSQL mode (NURA_DATABASE_URL) pg_dump writes the database in its custom format. The
    archive holds a manifest.json with the SHA-256 of every file.

    Example: nura backup /mnt/backups/ --data-dir /var/lib/nura
    """
    from nura_appliance.ops.backup import backup_destination, create_backup
    from nura_appliance.paths import DataPaths

    settings = settings_for(data_dir)
    try:
        target = backup_destination(output if output is not None else f"{DataPaths(settings.data_dir).backups}/")
    except NuraError as exc:
        fail(exc.message)
    with _spinner() as progress:
        task = progress.add_task("backing up", total=None)
        try:
            result = create_backup(
                settings.data_dir,
                target,
                database_url=settings.nura_database_url or None,
                progress=lambda msg: progress.update(task, description=msg),
            )
        except NuraError as exc:
            fail(exc.message)
    if as_json:
        typer.echo(
            json.dumps(
                {"archive": str(result.path), "bytes": result.bytes, "manifest": result.manifest},
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    typer.echo(f"backup written: {result.path} ({result.bytes} bytes, {len(result.manifest['files'])} files)")


def restore(
    archive: Annotated[Path, typer.Argument(help="A backup archive made by `nura backup`.", show_default=False)],
    data_dir: DataDir = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace a data dir that already holds data (its files are moved to pre-restore-<time>/)."
        ),
    ] = False,
    verify_only: Annotated[bool, typer.Option("--verify-only", help="Check the archive and stop.")] = False,
) -> None:
    """Restore a backup archive into the data dir, after verifying every checksum.

    Refuses a data dir that a running server uses, and one that holds data unless --force. An
    archive made in PostgreSQL mode is restored into NURA_DATABASE_URL in one transaction (the
    database it replaces is dumped into pre-restore-<time>/ first); stop every worker first.

    Example: nura restore nura-backup-20250101-020000.tar.gz --data-dir /var/lib/nura --force
    """
    from nura_appliance.ops.backup import restore_backup, verify_archive

    settings = settings_for(data_dir)
    try:
        if verify_only:
            manifest = verify_archive(archive)
            typer.echo(f"archive OK: {len(manifest['files'])} files, made by nura {manifest.get('nura_version')}")
            return
        with _spinner() as progress:
            task = progress.add_task("restoring", total=None)
            report = restore_backup(
                archive,
                settings.data_dir,
                force=force,
                database_url=settings.nura_database_url or None,
                progress=lambda msg: progress.update(task, description=msg),
            )
        if settings.nura_redis_url:
            _forget_cached_state(settings)
    except NuraError as exc:
        fail(exc.message)
    typer.echo(f"restored {report['files']} files into {report['data_dir']}")
    if report["moved_aside"]:
        typer.echo(f"previous files kept in {report['moved_aside']}")
    typer.echo(f"next: nura serve --data-dir {report['data_dir']}")


def _forget_cached_state(settings: Settings) -> None:
    """After a restore the live cache in Redis holds sessions newer than the database: drop this
    appliance's keys (its prefix only, never FLUSHDB)."""
    import asyncio

    from nura_appliance.storage.redis_cache import RedisCache
    from nura_appliance.storage.stores import redis_prefix

    cache = RedisCache(settings.nura_redis_url, prefix=redis_prefix(settings) + "c:")
    try:
        asyncio.run(cache.clear())
    finally:
        cache.close()


def export(
    name: Annotated[
        str,
        typer.Argument(
            help="A table (e.g. conversation_logs, sessions) or a report: conversations, handoffs, llm-cost, "
            "intents, tiers.",
            show_default=False,
        ),
    ],
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv or json.")] = "csv",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
    mask: Annotated[
        bool | None,
        typer.Option(
            "--mask/--no-mask", help="Mask phone and ID numbers (default: MASK_PERSONAL_DATA).", show_default=False
        ),
    ] = None,
    days: Annotated[int | None, typer.Option(help="Only rows from the last N days.", min=1)] = None,
    limit: Annotated[int | None, typer.Option(help="At most N rows.", min=1)] = None,
    bom: Annotated[
        bool, typer.Option("--bom/--no-bom", help="Start CSV with a UTF-8 byte-order mark (Excel needs it for Arabic).")
    ] = True,
    data_dir: DataDir = None,
) -> None:
    """Export a table or a report to CSV or JSON (read-only; safe while serving).

    Password and token hashes are never exported. CSV is UTF-8 with a byte-order mark (so Excel
    shows Arabic and Kurdish correctly) and cells that would run as spreadsheet formulas
    (starting with = + - @) get a leading apostrophe.

    Example: nura export conversations --format csv --mask --days 30 -o conversations.csv
    """
    import time

    from nura_appliance.errors import NotFound
    from nura_appliance.ops.export import export as run_export
    from nura_appliance.paths import DataPaths
    from nura_appliance.storage.stores import connect_main_database, stores_for

    settings = settings_for(data_dir)
    masked = settings.mask_personal_data if mask is None else mask
    since = time.time() - days * 86400 if days else 0.0
    try:
        database = DataPaths(settings.data_dir).database
        if not settings.nura_database_url and not database.is_file():
            raise NotFound(f"{database} does not exist; run `nura init` first", code="no_database")
        db = connect_main_database(settings)  # read only: never migrates
        try:
            store = stores_for(db).export
            options: dict[str, Any] = {"mask": masked, "since": since, "limit": limit, "bom": bom}
            if output is None:
                rows = run_export(store, name, fmt, sys.stdout, **options)
            else:
                with open(output, "w", encoding="utf-8", newline="") as handle:
                    rows = run_export(store, name, fmt, handle, **options)
        finally:
            db.close()
    except NuraError as exc:
        if output is not None:
            output.unlink(missing_ok=True)
        fail(exc.message)
    if output is not None:
        typer.echo(f"{rows} rows written to {output}", err=True)


def purge(
    older_than: Annotated[str, typer.Option("--older-than", help="Age like 90d, 12h or 4w.", show_default=False)],
    sessions: Annotated[
        bool, typer.Option("--sessions", help="Also delete resolved/closed conversations and their transcripts.")
    ] = False,
    audit: Annotated[bool, typer.Option("--audit", help="Also delete audit-log entries.")] = False,
    attachments: Annotated[
        bool, typer.Option("--attachments", help="Also delete photos and PDFs attached to conversations.")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count what would go.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print counts as JSON.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Delete log rows older than an age (retention); safe while serving.

    Logs: conversation logs, widget events, tree clicks, feedback, insights, LLM usage, security
    and ingestion logs, finished jobs. Pending and failed jobs are kept. Attachment files whose
    conversation (or, with --attachments, whose own row) went are removed too.

    Example: nura purge --older-than 90d --yes
    """
    from nura_appliance.ops import retention
    from nura_appliance.paths import DataPaths
    from nura_appliance.storage.stores import open_stores

    settings = settings_for(data_dir)
    try:
        purge_plan = retention.plan(older_than, sessions=sessions, audit=audit, attachments=attachments)
    except NuraError as exc:
        fail(exc.message)
    database = DataPaths(settings.data_dir).database
    if not settings.nura_database_url and not database.is_file():
        fail(f"{database} does not exist; run `nura init` first")
    paths, stores = open_stores(settings)  # PostgreSQL when NURA_DATABASE_URL is set
    store = stores.retention
    try:
        counts = asyncio.run(retention.count(store, purge_plan))
        total: int = sum(counts.values())
        if not dry_run and total and not yes:
            typer.confirm(f"delete {total} rows older than {older_than}?", abort=True)
        done = counts if dry_run else asyncio.run(retention.purge(store, purge_plan))
        if not dry_run:
            # Files of attachments whose rows went (with their sessions, or --attachments).
            files = asyncio.run(retention.sweep_attachments(store, paths.uploads))
            if files:
                done = {**done, "attachment files": files}
    finally:
        stores.db.close()
    if as_json:
        typer.echo(json.dumps({"dry_run": dry_run, "cutoff": purge_plan.cutoff, "rows": done}, indent=2))
        return
    verb = "would delete" if dry_run else "deleted"
    for table, rows in done.items():
        typer.echo(f"{table:24} {verb} {rows}")
    typer.echo(f"total: {sum(done.values())}")


def support_bundle(
    output: Annotated[
        Path | None, typer.Argument(help="Archive file or folder (default: current folder).", show_default=False)
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Write a diagnostics archive (versions, checks, table sizes, job failures) without secrets.

    Example: nura support-bundle /tmp/
    """
    from nura_appliance.ops.support import write_bundle

    settings = settings_for(data_dir)
    path = write_bundle(settings, output or Path.cwd())
    typer.echo(f"support bundle written: {path}")


def telegram(
    data_dir: DataDir = None,
    once: Annotated[bool, typer.Option("--once", help="Fetch and answer one batch of updates, then stop.")] = False,
    set_webhook: Annotated[
        str | None,
        typer.Option(
            "--set-webhook",
            help="Instead of polling, register webhook mode with Telegram: give the server's public "
            "https base URL (needs TELEGRAM_WEBHOOK_SECRET).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the Telegram bot with long polling, outside `nura serve` (needs TELEGRAM_BOT_TOKEN).

    Use this, or TELEGRAM_POLLER_ENABLED inside `nura serve`, or webhook mode — in one process only.

    Example: TELEGRAM_BOT_TOKEN=123:abc nura telegram --data-dir /var/lib/nura
    """
    from nura_appliance.channels.telegram_api import TelegramError
    from nura_appliance.channels.telegram_routes import webhook_address
    from nura_appliance.cli.telegram import run_standalone

    settings = settings_for(data_dir)
    if not settings.telegram_bot_token:
        fail("TELEGRAM_BOT_TOKEN is not set")
    if set_webhook and not settings.telegram_webhook_secret:
        fail("--set-webhook needs TELEGRAM_WEBHOOK_SECRET (it becomes the secret path and header)")
    if not set_webhook:
        from nura_appliance.ops.logs import configure_logging

        configure_logging(json_lines=bool(settings.log_json), process="telegram")
    try:
        run_standalone(settings, once=once, webhook_url=set_webhook)
    except NuraError as exc:
        fail(exc.message)
    except TelegramError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        typer.echo("stopped")
        return
    if set_webhook:
        typer.echo(f"webhook set: {webhook_address(set_webhook, '<TELEGRAM_WEBHOOK_SECRET>')}")


def register(app: typer.Typer) -> None:
    """Add the operations commands to the ``nura`` app."""
    app.command()(backup)
    app.command()(restore)
    app.command()(export)
    app.command()(purge)
    app.command("support-bundle")(support_bundle)
    app.command()(telegram)
