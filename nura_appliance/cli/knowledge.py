"""``nura knowledge …``: import/export packs, ingest handbooks, search, stats, re-index."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from nura_appliance.cli.main import DataDir, fail, settings_for
from nura_appliance.errors import NuraError

if TYPE_CHECKING:  # annotations only (imported inside the commands at run time: `nura --help` stays fast)
    from nura_appliance.context import AppContext

knowledge_app = typer.Typer(help="Knowledge: packs, handbook ingestion, search.", no_args_is_help=True)
T = TypeVar("T")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True
    )


def _with_context(data_dir: Path | None, body: Callable[[AppContext], Awaitable[T]], *, install: bool = True) -> T:
    """Open the data dir's context (no server), run ``body(ctx)``, close it."""
    from nura_appliance.context import build_context
    from nura_appliance.knowledge.service import install_knowledge

    settings = settings_for(data_dir)

    async def run() -> T:
        ctx = build_context(settings)
        try:
            if install:
                await install_knowledge(ctx, background_reindex=False)
            return await body(ctx)
        finally:
            ctx.close()

    try:
        return asyncio.run(run())
    except NuraError as exc:
        raise fail(exc.message) from None  # fail() raises; ``raise`` tells the type checker


@knowledge_app.command("import")
def import_pack(
    pack_file: Annotated[Path, typer.Argument(help="A nura-knowledge/1 JSON pack.")],
    data_dir: DataDir = None,
    merge: Annotated[
        bool, typer.Option("--merge", help="Add to / update the current knowledge instead of replacing it.")
    ] = False,
) -> None:
    """Import a knowledge pack (validated first; a failed import changes nothing).

    Example: nura knowledge import knowledge/default-pack.json
    """
    from nura_appliance.knowledge.pack import read_pack_file

    try:
        pack = read_pack_file(pack_file)
    except NuraError as exc:
        fail(exc.message)
    counts = _with_context(data_dir, lambda ctx: ctx.knowledge.load_pack(pack, merge=merge))
    typer.echo(
        f"imported {pack_file.name} ({'merged' if merge else 'replaced'}): "
        + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items())
    )


@knowledge_app.command("import-legacy")
def import_legacy(
    articles_file: Annotated[Path, typer.Argument(help="The original NURA articals.json.")],
    tree_file: Annotated[Path | None, typer.Argument(help="The original topic_tree.json (optional).")] = None,
    data_dir: DataDir = None,
    merge: Annotated[bool, typer.Option("--merge", help="Merge instead of replacing.")] = False,
) -> None:
    """Import the original NURA's articals.json (+ topic_tree.json), article by list position.

    Example: nura knowledge import-legacy articals.json topic_tree.json
    """
    from nura_appliance.knowledge.pack import PackError, from_legacy

    def read(path: Path) -> Any:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            fail(f"{path}: {exc.strerror or exc}")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            fail(f"{path}: not valid UTF-8 JSON ({exc})")

    try:
        pack = from_legacy(read(articles_file), read(tree_file) if tree_file else None)
    except PackError as exc:
        fail(exc.message)
    counts = _with_context(data_dir, lambda ctx: ctx.knowledge.load_pack(pack, merge=merge))
    typer.echo(f"imported {counts['articles']} articles from {articles_file.name}")


@knowledge_app.command("export")
def export_pack(
    out: Annotated[Path | None, typer.Argument(help="Output file (default: print to stdout).")] = None,
    data_dir: DataDir = None,
) -> None:
    """Export the current knowledge as a nura-knowledge/1 pack.

    Example: nura knowledge export my-pack.json
    """
    pack = _with_context(data_dir, lambda ctx: ctx.knowledge.export_pack(), install=False)
    text = json.dumps(pack, ensure_ascii=False, indent=2)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"wrote {len(pack['articles'])} articles to {out}")


@knowledge_app.command("ingest")
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (md, txt, html, pdf, docx).")],
    data_dir: DataDir = None,
) -> None:
    """Chunk, embed and index handbook files; unchanged files are skipped, changed ones replaced.

    Example: nura knowledge ingest knowledge/handbook/
    """
    from nura_appliance.knowledge.ingest import ingest_paths

    async def body(ctx: AppContext) -> dict[str, Any]:
        with _progress() as bar:
            task = bar.add_task("ingesting", total=None)

            def step(done: int, total: int, name: str = "") -> None:
                bar.update(task, completed=done, total=total, description=f"ingesting {name}"[:60])

            return await ingest_paths(ctx, paths, progress=step, source="cli")

    report = _with_context(data_dir, body)
    for row in report["files"]:
        if row.get("error"):
            detail = row["error"]
        elif row["status"] == "ingested":
            rows = f" ({row['rows']} of them table rows)" if row.get("rows") else ""
            detail = f"{row['chunks']} chunks{rows}, language {row.get('lang') or '?'}"
        else:
            detail = f"{row['chunks']} chunks"
        typer.echo(f"{row['status']:9} {row['name']}: {detail}")
        for warning in row.get("warnings", []):
            typer.echo(f"  warning: {warning}")
    unchanged = report["skipped"] - report.get("duplicates", 0)
    typer.echo(
        f"done: {report['ingested']} ingested, {unchanged} unchanged, {report.get('duplicates', 0)} duplicate,"
        f" {report['failed']} failed, {report['chunks']} chunks"
    )
    if report["failed"]:
        raise typer.Exit(1)


@knowledge_app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="What to search for.")],
    data_dir: DataDir = None,
    lang: Annotated[str, typer.Option(help="Language of the article texts shown.")] = "ar",
    k: Annotated[int, typer.Option(help="How many hits.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Hybrid search (BM25 + vectors) over articles and handbook chunks.

    Example: nura knowledge search "النت بطيء" --json
    """

    async def body(ctx: AppContext) -> dict[str, Any]:
        retriever = ctx.retriever
        if retriever is None:  # install_knowledge (run by _with_context) builds it
            raise RuntimeError("the knowledge base was not installed (ctx.retriever)")
        hits = await retriever.search(query, lang, k)
        decision = await ctx.pipeline.matcher.decide(query, lang)
        return {
            "hits": [h.as_dict() for h in hits],
            "decision": {
                "kind": decision.kind,
                "article": decision.article_id,
                "confidence": decision.confidence,
                "candidates": [c.article_id for c in decision.candidates],
            },
        }

    result = _with_context(data_dir, body)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    d = result["decision"]
    typer.echo(f"article tier: {d['kind']} {d['article'] or ''} (confidence {d['confidence']:.2f})")
    for i, hit in enumerate(result["hits"], 1):
        snippet = " ".join(hit["text"].split())[:100]
        typer.echo(f"{i}. [{hit['kind']}/{hit['tier']}] {hit['score']:.3f} {hit['title']} — {hit['doc']}\n   {snippet}")


@knowledge_app.command("stats")
def stats(
    data_dir: DataDir = None, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """Articles, chunks, vectors, embedding space, last ingestion runs.

    Example: nura knowledge stats
    """
    result = _with_context(data_dir, lambda ctx: ctx.knowledge.stats())
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    for key, value in result.items():
        if key != "ingestions":
            typer.echo(f"{key:18} {value}")
    for run in result.get("ingestions", []):
        typer.echo(
            f"  run {run['id']}: {run['status']} files={run['files']} skipped={run['skipped']}"
            f" chunks={run['chunks']} {run.get('error') or ''}"
        )


@knowledge_app.command("reindex")
def reindex_command(data_dir: DataDir = None) -> None:
    """Re-embed everything with the configured EMBEDDING_PROVIDER (progress bar).

    Example: EMBEDDING_PROVIDER=openai nura knowledge reindex
    """
    from nura_appliance.knowledge.service import reindex

    async def body(ctx: AppContext) -> int:
        with _progress() as bar:
            task = bar.add_task("re-indexing", total=None)
            return await reindex(ctx, progress=lambda done, total: bar.update(task, completed=done, total=total))

    count = _with_context(data_dir, body)
    typer.echo(f"re-indexed {count} texts")


def register(app: typer.Typer) -> None:
    """Add ``nura knowledge`` and ``nura eval`` to the main CLI."""
    from nura_appliance.cli.eval import eval_command

    app.add_typer(knowledge_app, name="knowledge")
    app.command("eval")(eval_command)
