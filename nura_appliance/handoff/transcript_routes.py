"""Transcript export routes (issue 20): one conversation or a filtered list, as CSV, JSON or
printable HTML, for agents and admins (viewers never see transcripts). Downloads are fetched by
the admin with the token in the header and saved from a blob; every export is audited
(``sessions.export``) because it takes customer conversations off the appliance."""

from __future__ import annotations

import functools
import json
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse
from sanic.response import text as text_response

from nura_appliance.auth.access import AGENT, access
from nura_appliance.errors import ValidationFailed
from nura_appliance.handoff import transcripts
from nura_appliance.handoff.routes import _time_arg, _with_identity, service_of
from nura_appliance.handoff.site import handoff_site
from nura_appliance.http import int_arg
from nura_appliance.languages import LANG_LIST, LANGS
from nura_appliance.paths import admin_static_dir
from nura_appliance.storage.base import SESSION_STATUSES

bp = Blueprint("transcripts", url_prefix="/v1")
MAX_SESSIONS = 2000  # one export; narrow the dates or the search for more
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
# The printable page runs nothing and loads nothing: its own inline styles only.
HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


@functools.lru_cache(maxsize=1)
def _code_table() -> dict[str, dict[str, dict[str, str]]]:
    """The admin's translation table of server codes (admin_static/js/i18n/codes.json): one table
    for the admin pages and the printable transcripts."""
    try:
        table: dict[str, dict[str, dict[str, str]]] = json.loads(
            (admin_static_dir() / "js" / "i18n" / "codes.json").read_text(encoding="utf-8")
        )
        return table
    except (OSError, ValueError):
        return {}


def code_names(lang: str) -> dict[str, str]:
    names: dict[str, str] = {}
    table = _code_table()
    for group in ("source", "outcome_status", "handoff_reason", "session_status"):
        for code, texts in table.get(group, {}).items():
            names[code] = texts.get(lang) or texts.get("en") or code
    return names


def _format(request: Request) -> str:
    fmt = request.args.get("format") or "json"
    if fmt not in transcripts.FORMATS:
        raise ValidationFailed("'format' must be csv, json or html", code="invalid_format", details={"field": "format"})
    return fmt


def _ui_lang(request: Request) -> str:
    lang = request.args.get("lang") or "ar"
    if lang not in LANGS:
        raise ValidationFailed(f"'lang' must be one of {LANG_LIST}", code="invalid_field", details={"field": "lang"})
    return lang


async def _one(request: Request, session_id: str) -> dict[str, Any]:
    detail = await service_of(request).session_detail(session_id)
    await _with_identity(request, [detail["session"]])
    return {"session": detail["session"], "outcome": detail["outcome"], "messages": detail["messages"]}


def _respond(request: Request, fmt: str, items: list[dict[str, Any]], filename: str, lang: str) -> HTTPResponse:
    if fmt == "csv":
        body = transcripts.csv_document(items)
    elif fmt == "json":
        body = transcripts.json_document(items)
    else:
        body = transcripts.html_document(items, lang, code_names(lang))
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}.{fmt}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    if fmt == "html":
        headers["Content-Security-Policy"] = HTML_CSP
    return text_response(body, content_type=CONTENT_TYPES[fmt], headers=headers)


async def _audit(request: Request, target: str, detail: dict[str, Any]) -> None:
    audit = handoff_site(request).audit
    if audit is not None:
        await audit.record(getattr(request.ctx.principal, "username", "admin"), "sessions.export", target, detail)


@bp.get("/sessions/<session_id:str>/transcript")
@access(AGENT)
async def export_one(request: Request, session_id: str) -> HTTPResponse:
    """One conversation's transcript: `?format=csv|json|html` (`?lang=` sets the printable page's
    headings: ar, ckb, ku, en). CSV is UTF-8 with a BOM, one row per message."""
    fmt = _format(request)
    lang = _ui_lang(request)
    item = await _one(request, session_id)
    await _audit(request, session_id, {"format": fmt, "sessions": 1})
    return _respond(request, fmt, [item], f"transcript-{session_id}", lang)


@bp.get("/sessions/export")
@access(AGENT)
async def export_many(request: Request) -> HTTPResponse:
    """The transcripts of the sessions `/v1/sessions/list` would show for the same filters
    (`?status=&q=&customer_id=&since=&until=`), newest first, up to 2000 (422 when more: narrow the
    filters), as `?format=csv|json|html`. `?lang=` sets the printable page's headings."""
    fmt = _format(request)
    lang = _ui_lang(request)
    ctx = handoff_site(request)
    status = request.args.get("status") or None
    if status is not None and status not in SESSION_STATUSES:
        raise ValidationFailed(
            f"'status' must be one of {', '.join(SESSION_STATUSES)}", code="invalid_field", details={"field": "status"}
        )
    limit = int_arg(request, "limit", MAX_SESSIONS, 1, MAX_SESSIONS)
    sessions, total = await ctx.sessions_store.list(
        status=status,
        customer_id=request.args.get("customer_id") or None,
        text=(request.args.get("q") or "").strip()[:200] or None,
        since=_time_arg(request, "since"),
        until=_time_arg(request, "until"),
        limit=limit,
        offset=0,
    )
    if total > limit:
        raise ValidationFailed(
            f"{total} conversations match; an export holds at most {limit}: narrow the dates or the search",
            code="too_many_sessions",
            details={"total": total, "limit": limit},
        )
    items = [await _one(request, s.id) for s in sessions]
    await _audit(request, "filtered", {"format": fmt, "sessions": len(items), "filters": dict(request.args)})
    return _respond(request, fmt, items, "transcripts", lang)
