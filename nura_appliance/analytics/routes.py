"""Analytics feature entry point: click events, dashboard, reports (JSON and CSV), ratings,
aggregate refresh and knowledge-gap review (the wiring and jobs are in ``analytics/setup.py``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from sanic import Blueprint, HTTPResponse, Request
from sanic import json as json_response
from sanic.response import text as text_response

from nura_appliance.analytics.events import parse_click
from nura_appliance.analytics.review import parse_approval
from nura_appliance.analytics.service import REPORT_TABS, AnalyticsService, parse_query
from nura_appliance.auth.access import ADMIN, AGENT, PUBLIC, VIEWER, access, sees_transcripts
from nura_appliance.auth.audit import client_ip
from nura_appliance.auth.limits import RateLimiter
from nura_appliance.conversation.sessions import SessionService
from nura_appliance.errors import NotFound, ValidationFailed
from nura_appliance.http import int_arg, json_body, json_object
from nura_appliance.languages import LANG_LIST, LANGS
from nura_appliance.settings import Settings


class ClickSite(Protocol):
    """What the widget-event route uses of the app context (``context.py`` checks the AppContext)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def limits(self) -> RateLimiter | None: ...
    @property
    def sessions(self) -> SessionService: ...


bp = Blueprint("analytics", url_prefix="/v1/analytics")
gaps_bp = Blueprint("knowledge_gaps", url_prefix="/v1/knowledge-gaps")


def _service(request: Request) -> AnalyticsService:
    return request.app.ctx.nura.analytics


def _actor(request: Request) -> str:
    return getattr(getattr(request.ctx, "principal", None), "username", None) or "admin"


@bp.post("/click")
@access(PUBLIC)
async def click(request: Request) -> HTTPResponse:
    """Record one widget event (``tree_click`` also lands in tree_clicks)."""
    ctx: ClickSite = request.app.ctx.nura  # Sanic's ctx is untyped; the app keeps its context here
    limits = ctx.limits
    if limits is not None:
        ip = client_ip(request)
        await limits.hit(request, "analytics_click", ip, ctx.settings.rate_limit_ip_per_minute, 60)
    body = json_body(request)
    event = parse_click(body)
    if event.session_id is not None:
        # Linked to a session only with its token; otherwise kept unlinked (same answer either way).
        token = body.get("session_token") if isinstance(body, dict) else None
        token = token if isinstance(token, str) else request.headers.get("x-session-token")
        event = replace(event, session_id=await ctx.sessions.linked(event.session_id, token))
    await _service(request).record_click(event)
    return json_response({"ok": True})


@bp.get("/dashboard")
@access(VIEWER)
async def dashboard(request: Request) -> HTTPResponse:
    """The dashboard figures for `?days=&since=&until=&channel=&lang=&agent=&issue_category=` (aggregates only)."""
    return json_response(await _service(request).dashboard(parse_query(request.args)))


@bp.get("/reports")
@access(VIEWER)
async def reports(request: Request) -> HTTPResponse:
    """The report tabs (knowledge gaps, intents, hand-offs, outcomes, cost) for `?days=&since=&until=&channel=&lang=&agent=&issue_category=`; viewers get no question text."""
    return json_response(
        await _service(request).reports(parse_query(request.args), with_text=sees_transcripts(request))
    )


@bp.get("/reports/<name:str>")
@access(VIEWER)
async def report_csv(request: Request, name: str) -> HTTPResponse:
    """``/v1/analytics/reports/<tab>.csv``: one tab's rows, the same values as the JSON report."""
    tab = name.removesuffix(".csv")
    if not name.endswith(".csv") or tab not in REPORT_TABS:
        raise NotFound(
            f"no report {name!r}; use one of {', '.join(t + '.csv' for t in REPORT_TABS)}", code="report_not_found"
        )
    body = await _service(request).report_csv(tab, parse_query(request.args), with_text=sees_transcripts(request))
    return text_response(
        body,
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="nura-{tab}.csv"'},
    )


@bp.get("/ratings")
@access(VIEWER)
async def ratings(request: Request) -> HTTPResponse:
    """Customer ratings: the 1-5 distribution and rated sessions for `?days=&since=&until=&channel=&lang=`."""
    return json_response(await _service(request).ratings(parse_query(request.args)))


@bp.post("/refresh")
@access(ADMIN)
async def refresh(request: Request) -> HTTPResponse:
    """Recompute daily aggregates now (the periodic job does this every few minutes)."""
    return json_response({"ok": True, **await _service(request).refresh()})


@gaps_bp.get("")
@access(AGENT)
async def list_gaps(request: Request) -> HTTPResponse:
    """Knowledge gaps grouped by similar question: ``{groups, total}`` (``?status=open`` default)."""
    lang = request.args.get("lang") or None
    if lang is not None and lang not in LANGS:
        raise ValidationFailed(f"'lang' must be one of {LANG_LIST}", code="invalid_query", details={"field": "lang"})
    status = request.args.get("status", "open")
    service = _service(request)
    # Thumbs-down feedback becomes gaps on the periodic refresh; listing collects the newest
    # batch first so that reviewers see it at once.
    await service.collect_feedback()
    result = await service.gaps.list(
        status=None if status == "all" else status,
        lang=lang,
        limit=int_arg(request, "limit", 50, 0, 500),
        offset=int_arg(request, "offset", 0, 0, 10_000_000),
    )
    return json_response(result)


@gaps_bp.post("/<gap_id:int>/approve")
@access(ADMIN)
async def approve_gap(request: Request, gap_id: int) -> HTTPResponse:
    """Answer a knowledge gap `{mode: article|rule|faq, answer?, article_id?}`: it becomes knowledge and is closed."""
    mode, answer, article_id = parse_approval(json_object(request))
    return json_response(await _service(request).gaps.approve(gap_id, mode, answer, article_id, _actor(request)))


@gaps_bp.post("/<gap_id:int>/reject")
@access(ADMIN)
async def reject_gap(request: Request, gap_id: int) -> HTTPResponse:
    """Close a knowledge gap as not worth an answer."""
    return json_response(await _service(request).gaps.close(gap_id, "rejected", _actor(request)))


@gaps_bp.post("/<gap_id:int>/resolve")
@access(ADMIN)
async def resolve_gap(request: Request, gap_id: int) -> HTTPResponse:
    """Close a knowledge gap as already answered."""
    return json_response(await _service(request).gaps.close(gap_id, "resolved", _actor(request)))
