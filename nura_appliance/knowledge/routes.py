"""Knowledge admin API (``/v1/knowledge/*``) and the feature's start-up hook.

Reads and search are for agents; every write is admin-only and recorded in the audit log.
Handbook uploads are checked (type from the bytes, size) and stored under generated names;
ingestion runs as a background job (``ctx.jobs``) or, without the jobs feature, as
an in-process task. The start-up hook installs ``ctx.retriever``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

from sanic import Blueprint, Request
from sanic import json as json_response
from sanic.response import HTTPResponse

from nura_appliance.auth.access import ADMIN, AGENT, access
from nura_appliance.auth.uploads import check_upload
from nura_appliance.errors import Conflict, NotFound, ValidationFailed
from nura_appliance.http import int_arg, json_object
from nura_appliance.knowledge.ingest import IngestStopped, finish_run, ingest_file
from nura_appliance.knowledge.pack import PackError, pick_text, validate_pack
from nura_appliance.knowledge.site import KnowledgeSite, KnowledgeTasks, knowledge_site, tried_text
from nura_appliance.languages import LANG_LIST, LANGS

log = logging.getLogger(__name__)
bp = Blueprint("knowledge", url_prefix="/v1/knowledge")
INGEST_JOB = "knowledge_ingest"
UPLOAD_KINDS = ("md", "txt", "html", "pdf", "docx")


def _ctx(request: Request) -> KnowledgeSite:
    return knowledge_site(request)


def _lang(request: Request, default: str = "ar") -> str:
    lang = request.args.get("lang") or default
    if lang not in LANGS:
        raise ValidationFailed(f"'lang' must be one of {LANG_LIST}", code="invalid_field", details={"field": "lang"})
    return lang


async def _audit(request: Request, action: str, target: str | None, detail: dict[str, Any] | None = None) -> None:
    audit = _ctx(request).audit
    if audit is not None:
        principal = getattr(request.ctx, "principal", None)
        await audit.record(getattr(principal, "username", "admin"), action, target, detail)


def _one_article(body: dict[str, Any], article_id: str | None = None) -> dict[str, Any]:
    """Validate one article with the pack rules (errors name the field)."""
    if article_id is not None:
        if body.get("id") not in (None, article_id):
            raise ValidationFailed(
                "the id in the body differs from the id in the path", code="invalid_field", details={"field": "id"}
            )
        body = {**body, "id": article_id}
    pack = validate_pack({"format": "nura-knowledge/1", "articles": [body]})
    article: dict[str, Any] = pack["articles"][0]
    return article


# -- articles --------------------------------------------------------------------------------------
@bp.get("/articles")
@access(AGENT)
async def list_articles(request: Request) -> HTTPResponse:
    """All articles (every language); ``?q=`` filters by id or title."""
    articles = await _ctx(request).knowledge.articles()
    query = (request.args.get("q") or "").strip().casefold()
    if query:
        articles = [a for a in articles if query in a["id"] or any(query in t.casefold() for t in a["title"].values())]
    return json_response({"articles": articles, "total": len(articles)})


@bp.get("/articles/<article_id:str>")
@access(AGENT)
async def get_article(request: Request, article_id: str) -> HTTPResponse:
    """One article, every language."""
    article = await _ctx(request).knowledge.article(article_id)
    if article is None:
        raise NotFound(f"no article {article_id!r}", code="article_not_found")
    return json_response(article)


@bp.post("/articles")
@access(ADMIN)
async def create_article(request: Request) -> HTTPResponse:
    """Create an article (``{id, category?, title, body, examples?, keywords?}``); 409 if it exists."""
    ctx = _ctx(request)
    article = _one_article(json_object(request))
    if await ctx.knowledge.article(article["id"]) is not None:
        raise Conflict(f"article {article['id']!r} already exists", code="article_exists")
    await ctx.knowledge.save_article(article)
    await _audit(request, "knowledge.article.create", article["id"])
    return json_response(await ctx.knowledge.article(article["id"]), status=201)


@bp.put("/articles/<article_id:str>")
@access(ADMIN)
async def replace_article(request: Request, article_id: str) -> HTTPResponse:
    """Create or replace an article; its index rows and vectors are rewritten at once."""
    ctx = _ctx(request)
    article = _one_article(json_object(request), article_id)
    await ctx.knowledge.save_article(article)
    await _audit(request, "knowledge.article.save", article_id)
    return json_response(await ctx.knowledge.article(article_id))


@bp.delete("/articles/<article_id:str>")
@access(ADMIN)
async def delete_article(request: Request, article_id: str) -> HTTPResponse:
    """Delete an article (tree leaves that named it are detached)."""
    if not await _ctx(request).knowledge.delete_article(article_id):
        raise NotFound(f"no article {article_id!r}", code="article_not_found")
    await _audit(request, "knowledge.article.delete", article_id)
    return json_response({"ok": True, "deleted": article_id})


# -- tree and packs --------------------------------------------------------------------------------
@bp.get("/tree")
@access(AGENT)
async def get_tree(request: Request) -> HTTPResponse:
    """The topic tree with every language's labels."""
    return json_response({"tree": await _ctx(request).knowledge.tree()})


@bp.put("/tree")
@access(ADMIN)
async def put_tree(request: Request) -> HTTPResponse:
    """Replace the topic tree (``{"tree": node}``); leaves must name existing articles."""
    ctx = _ctx(request)
    body = json_object(request)
    articles = await ctx.knowledge.articles()
    stubs = [{"id": a["id"], "title": a["title"], "body": a["body"]} for a in articles]
    pack = validate_pack({"format": "nura-knowledge/1", "articles": stubs, "topic_tree": body.get("tree")})
    if pack["topic_tree"] is None:
        raise ValidationFailed("'tree' is required", code="invalid_field", details={"field": "tree"})
    await ctx.knowledge.save_tree(pack["topic_tree"])
    await _audit(request, "knowledge.tree.save", pack["topic_tree"]["id"])
    return json_response({"tree": await ctx.knowledge.tree()})


@bp.get("/packs/export")
@access(ADMIN)
async def export_pack(request: Request) -> HTTPResponse:
    """The whole knowledge base as a ``nura-knowledge/1`` pack."""
    pack = await _ctx(request).knowledge.export_pack()
    return json_response(pack, headers={"Content-Disposition": 'attachment; filename="knowledge-pack.json"'})


@bp.post("/packs/import")
@access(ADMIN)
async def import_pack(request: Request) -> HTTPResponse:
    """Import a pack (JSON body); ``?merge=true`` merges. All or nothing; errors name the field."""
    ctx = _ctx(request)
    merge = (request.args.get("merge") or "").lower() in ("1", "true", "yes")
    try:
        pack = validate_pack(json_object(request))
    except PackError as exc:
        raise ValidationFailed(exc.message, code="invalid_pack") from None
    counts = await ctx.knowledge.load_pack(pack, merge=merge)
    await ctx.pipeline.refresh(force=True)
    await _audit(request, "knowledge.pack.import", pack["name"], {"merge": merge, **counts})
    return json_response({"ok": True, "merge": merge, **counts})


# -- handbook --------------------------------------------------------------------------------------
def _upload_dir(ctx: KnowledgeSite) -> Path:
    folder = ctx.paths.uploads / "handbook"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _check(filename: str, data: bytes, limit: int) -> tuple[str, str]:
    """(stored name, display name) after the shared upload checks."""
    checked = check_upload(filename, data, UPLOAD_KINDS, max_bytes=limit)
    return checked.stored_name, checked.original_name


@bp.post("/upload")
@access(ADMIN)
async def upload(request: Request) -> HTTPResponse:
    """Upload handbook files (multipart field ``file``, repeatable); they are checked, stored under
    generated names and ingested in the background. Returns the stored files and the run id."""
    ctx = _ctx(request)
    files = request.files.getlist("file") if request.files else None
    if not files:
        raise ValidationFailed("send the handbook as multipart form field 'file'", code="invalid_upload")
    # All or nothing: every part is checked before any is written, and what was written is removed
    # when a later step fails (a refused second file left the first in uploads/, where the next
    # POST /v1/knowledge/ingest picked it up).
    checked = [(*_check(item.name or "", item.body, ctx.settings.upload_max_bytes), item.body) for item in files]
    stored: list[dict[str, Any]] = []
    written: list[Path] = []
    try:
        for stored_name, name, data in checked:
            path = _upload_dir(ctx) / stored_name
            await asyncio.to_thread(path.write_bytes, data)
            written.append(path)
            stored.append({"stored_name": stored_name, "name": name, "bytes": len(data)})
        run_id = await start_ingest(ctx, stored, source="upload")
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    await _audit(request, "knowledge.upload", ",".join(s["name"] for s in stored), {"run_id": run_id})
    return json_response({"ok": True, "files": stored, "run_id": run_id}, status=202)


@bp.post("/ingest")
@access(ADMIN)
async def ingest(request: Request) -> HTTPResponse:
    """Re-ingest uploaded handbooks in the background (``{"files": [stored_name, …]}``, default all)."""
    ctx = _ctx(request)
    body = json_object(request, required=False) or {}
    folder = _upload_dir(ctx)
    wanted = body.get("files")
    if wanted is None:
        names = await ctx.stores.ingestion_runs.uploads()
        for path in folder.iterdir():
            names.setdefault(path.name, path.name)
    elif isinstance(wanted, list) and all(isinstance(w, str) for w in wanted):
        names = {w: w for w in wanted}
    else:
        raise ValidationFailed(
            "'files' must be a list of stored file names", code="invalid_field", details={"field": "files"}
        )
    files = []
    for stored_name, name in names.items():
        if (
            "/" in stored_name
            or "\\" in stored_name
            or stored_name.startswith(".")
            or not (folder / stored_name).is_file()
        ):
            raise NotFound(f"no uploaded file {stored_name!r}", code="upload_not_found")
        files.append({"stored_name": stored_name, "name": name})
    run_id = await start_ingest(ctx, files, source="api")
    await _audit(request, "knowledge.ingest", None, {"run_id": run_id, "files": len(files)})
    return json_response({"ok": True, "run_id": run_id, "files": len(files)}, status=202)


@bp.get("/ingestions")
@access(AGENT)
async def ingestions(request: Request) -> HTTPResponse:
    """The latest ingestion runs with their per-file outcome."""
    import json

    rows = await _ctx(request).stores.ingestion_runs.runs(50)
    for row in rows:
        row["detail"] = json.loads(row["detail"]) if row.get("detail") else []
    return json_response({"runs": rows})


async def start_ingest(ctx: KnowledgeSite, files: list[dict[str, Any]], *, source: str) -> int:
    """Log a run and hand it to the jobs feature (durable) or to an in-process task."""
    run_id = await ctx.stores.ingestion_runs.start(source, "queued", time.time())
    payload = {"run_id": run_id, "files": files}
    jobs = ctx.jobs
    if jobs is not None and await jobs.enqueue(INGEST_JOB, payload) is not None:
        return run_id
    task = asyncio.get_running_loop().create_task(run_ingest_job(ctx, payload))
    if ctx.knowledge_tasks is None:
        ctx.knowledge_tasks = KnowledgeTasks()
    ctx.knowledge_tasks.add(task)
    return run_id


INGEST_MAX_STARTS = 2  # a run whose process died this often is not started again


async def _quarantined(ctx: KnowledgeSite, run_id: int) -> bool:
    """Mark the run as running (counting its starts); True when it must not run again.

    A run still ``running`` when its job starts again was cut short: the process died during it
    (a file that exhausted memory, ``kill -9``) or it raised. After ``INGEST_MAX_STARTS`` starts the
    run is ``quarantined`` instead of re-run on every restart (a decompression bomb was ingested
    again after each restart, with the same blow-up)."""
    import json

    runs = ctx.stores.ingestion_runs
    row = await runs.run(run_id)
    starts = 1
    if row is not None and row["status"] == "running":
        try:
            starts = int(json.loads(row["detail"] or "{}").get("starts", 1)) + 1
        except (ValueError, TypeError, AttributeError):
            starts = 2
    if starts > INGEST_MAX_STARTS:
        log.error("ingestion run %s stopped %d times before it finished: quarantined", run_id, starts - 1)
        await runs.quarantine(
            run_id,
            f"the server stopped {starts - 1} times while ingesting these files; not retried "
            "(check the files, then upload them again)",
            time.time(),
        )
        return True
    await runs.set_running(run_id, json.dumps({"starts": starts}))
    return False


async def run_ingest_job(ctx: KnowledgeSite, payload: dict[str, Any]) -> None:
    """Job handler: ingest stored uploads and close the run's log row."""
    if await _quarantined(ctx, payload["run_id"]):
        return
    folder = _upload_dir(ctx)
    rows = []
    for item in payload["files"]:
        path = folder / item["stored_name"]
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            rows.append(
                {
                    "name": item["name"],
                    "status": "failed",
                    "chunks": 0,
                    "error": f"{item['name']}: {exc.strerror or exc}",
                }
            )
            continue
        # The display name carries the type for extraction; the stored name is the identity.
        display = item["name"] if Path(item["name"]).suffix.lower() == path.suffix.lower() else path.name
        try:
            rows.append(await ingest_file(ctx, display, data, f"upload:{item['stored_name']}"))
        except IngestStopped:
            # A clean stop is not a crash: queued again (not counted towards the quarantine), and
            # the job fails so that the queue runs it again after the restart.
            await ctx.stores.ingestion_runs.requeue(payload["run_id"])
            log.info("ingestion run %s stopped with the server; it runs again after the restart", payload["run_id"])
            raise
    await finish_run(ctx, payload["run_id"], rows)
    await asyncio.to_thread(release_memory)


def release_memory() -> None:
    """Give the memory an ingest used back to the system: collect the parsed documents, then ask
    glibc to return its free heap pages (without it RSS stayed at its peak after an ingest)."""
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    name = ctypes.util.find_library("c")
    if name:
        try:
            ctypes.CDLL(name).malloc_trim(0)
        except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
            pass


# -- search and try --------------------------------------------------------------------------------
@bp.get("/search")
@access(AGENT)
async def search(request: Request) -> HTTPResponse:
    """Hybrid search: ``?q=&lang=&k=`` → ranked hits with score and tier (fts, vector, hybrid)."""
    ctx = _ctx(request)
    query = (request.args.get("q") or "").strip()
    if not query:
        raise ValidationFailed("'q' is required", code="invalid_field", details={"field": "q"})
    if len(query) > ctx.settings.message_max_chars:
        raise ValidationFailed("'q' is too long", code="invalid_field", details={"field": "q"})
    k = int_arg(request, "k", 5, 1, 50)
    if ctx.retriever is None:  # installed by this feature's start-up hook, before any request
        raise RuntimeError("the knowledge feature is not set up")
    hits = await ctx.retriever.search(query, _lang(request), k)
    return json_response({"query": query, "hits": [h.as_dict() for h in hits]})


@bp.post("/try")
@access(AGENT)
async def try_message(request: Request) -> HTTPResponse:
    """What the pipeline would answer to ``{text, lang?}`` and why (tier, article, confidence,
    candidates, sources) — without creating a session or logging anything."""
    ctx = _ctx(request)
    body = json_object(request)
    text, lang = tried_text(body, ctx.settings)
    answer = await ctx.pipeline.answer(text, lang, {"try": True})
    decision = await ctx.pipeline.matcher.decide(text, lang)
    titles = {a["id"]: pick_text(a["title"], lang)[0] for a in await ctx.knowledge.articles()}
    return json_response(
        {
            "lang": lang,
            "kind": answer.kind,
            "tier": answer.source,
            "response": answer.response,
            "article_id": answer.article_id,
            "confidence": answer.confidence,
            "sources": answer.sources,
            "candidates": [
                {"article_id": c.article_id, "title": titles.get(c.article_id, ""), "score": c.score}
                for c in decision.candidates
            ],
            "article_tier": {
                "decision": decision.kind,
                "confidence": decision.confidence,
                "signals": decision.signals,
                "answer_threshold": ctx.pipeline.matcher.answer_threshold,
                "ambiguous_threshold": ctx.pipeline.matcher.ambiguous_threshold,
            },
            "handoff_reason": answer.handoff_reason,
        }
    )


@bp.get("/stats")
@access(AGENT)
async def stats(request: Request) -> HTTPResponse:
    """Counts, embedding space and the latest ingestion runs."""
    return json_response(await _ctx(request).knowledge.stats())


# -- setup -----------------------------------------------------------------------------------------
