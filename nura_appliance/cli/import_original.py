"""``nura import-original POSTGRES_URL``: bring an original NURA's history and knowledge over
(see :mod:`nura_appliance.original.importer` and docs/MIGRATING.md)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from nura_appliance.cli.main import DataDir, fail, settings_for
from nura_appliance.errors import NuraError

_COLUMNS = ("imported", "merged", "archived", "skipped", "already")


def _print_report(report: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    title = "dry run: nothing written" if report.dry_run else "import-original"
    table = Table(title=title, title_justify="left")
    table.add_column("original table")
    table.add_column("rows", justify="right")
    for name in (*_COLUMNS[:4], "already imported"):
        table.add_column(name, justify="right")
    for item in report.tables.values():
        if item.source_rows or item.accounted:
            table.add_row(
                item.table,
                str(item.source_rows),
                *(str(getattr(item, c)) or "" for c in _COLUMNS),
            )
    console.print(table)
    if report.schema_version:
        console.print(f"original schema: Alembic revision {report.schema_version}")
    reasons = [(t, reason, n) for t in report.tables.values() for reason, n in t.reasons.items()]
    if reasons:
        console.print("[bold]skipped, and why[/bold] (the keys of a few; all are in original_import_rows):")
        for item, reason, n in reasons:
            keys = ", ".join(item.examples.get(reason, []))
            console.print(f"  {item.table}: {n} × {reason}  (e.g. {keys})", highlight=False)
    for name, rows in report.unknown_tables.items():
        console.print(
            f"[yellow]not imported: table {name} ({rows} row{'s' if rows != 1 else ''})"
            " is not part of the original NURA schema[/yellow]"
        )
    if report.knowledge:
        knowledge = report.knowledge
        state = (
            "already imported, left as it is"
            if knowledge.get("already_imported")
            else ("replaced the knowledge" if knowledge["replace"] else "merged into the knowledge")
        )
        console.print(f"knowledge: {knowledge['articles']} articles, {knowledge['tree_nodes']} tree nodes ({state})")
    if report.password_resets:
        console.print(
            "[yellow]these users need a new password (their original hash is not bcrypt):[/yellow] "
            + ", ".join(report.password_resets)
            + "  →  nura user passwd NAME"
        )
    if report.open_handoffs:
        console.print(
            f"[yellow]{report.open_handoffs} conversation(s) were waiting for or held by an agent;"
            " they are in the live queue now[/yellow]"
        )
    if not report.dry_run:
        console.print(f"dashboard: daily figures recomputed for {report.aggregated_days} day(s)")
    console.print(
        ("every row accounted for" if report.complete else "[red]some rows are not accounted for[/red]")
        + f" ({report.seconds:.1f} s)"
    )


def import_original(
    postgres_url: Annotated[str, typer.Argument(help="The original NURA's database, postgresql://user@host/db.")],
    articles: Annotated[
        Path | None, typer.Option("--articles", help="The original's articals.json (its .manafest folder).")
    ] = None,
    tree: Annotated[Path | None, typer.Option("--tree", help="The original's topic_tree.json.")] = None,
    replace_knowledge: Annotated[
        bool,
        typer.Option("--replace-knowledge", help="Replace the current knowledge with the original's (else merge)."),
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Decide and count everything, write nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Import an original NURA: its PostgreSQL database (conversations, outcomes, analytics,
    users, canned replies, cases) and, with --articles/--tree, its knowledge files. Run it again
    at any time: nothing is imported twice.

    Example: nura import-original postgresql://nura_user@old-server/nura_db --articles articals.json --tree topic_tree.json --replace-knowledge
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from nura_appliance.original.importer import OriginalImporter, read_knowledge
    from nura_appliance.storage.original_source import OriginalDatabase

    if not postgres_url.startswith(("postgresql://", "postgres://")):
        fail("the original NURA's database is a postgresql:// URL")
    settings = settings_for(data_dir)

    async def run(progress: Any) -> Any:
        from nura_appliance.context import build_context
        from nura_appliance.knowledge.service import install_knowledge

        pack = read_knowledge(articles, tree)
        # The original first: a wrong URL must not leave a new, empty data dir behind.
        with OriginalDatabase(postgres_url) as source:
            target_exists = bool(settings.nura_database_url) or (Path(settings.data_dir) / "nura.db").exists()
            # A dry run against a target that does not exist yet creates nothing.
            ctx = build_context(settings) if (target_exists or not dry_run) else None
            try:
                if ctx is not None and pack is not None and not dry_run:
                    await install_knowledge(ctx, background_reindex=False)
                importer = OriginalImporter(source, ctx, dry_run=dry_run, progress=progress)
                return await importer.run(pack, replace_knowledge=replace_knowledge)
            finally:
                if ctx is not None:
                    ctx.close()

    try:
        if as_json:
            report = asyncio.run(run(None))
        else:
            with Progress(
                TextColumn("{task.description:<24}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                transient=True,
            ) as progress:
                report = asyncio.run(run(progress))
    except NuraError as exc:
        fail(exc.message)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        _print_report(report)
    if not report.complete:
        raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    """Add ``nura import-original`` to the ``nura`` app."""
    app.command("import-original")(import_original)
