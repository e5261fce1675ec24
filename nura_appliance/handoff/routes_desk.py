"""The support desk around live chat: canned replies, suggestions and complaints, the offline
queue, per-agent capacity and the widget's public configuration."""

from __future__ import annotations

import re
from typing import Any

from sanic import Blueprint, Request
from sanic import json as json_response
from sanic.response import HTTPResponse

from nura_appliance.auth.access import ADMIN, AGENT, PUBLIC, access
from nura_appliance.auth.audit import client_ip
from nura_appliance.conversation.messages import message
from nura_appliance.errors import NotFound, ValidationFailed
from nura_appliance.handoff import canned, inbox
from nura_appliance.handoff.customer import rate_limit
from nura_appliance.handoff.routes import service_of
from nura_appliance.handoff.site import handoff_site
from nura_appliance.http import int_arg, json_object, session_token
from nura_appliance.languages import LANG_LIST, LANGS
from nura_appliance.realtime.sse import AGENTS_CHANNEL

bp = Blueprint("handoff_desk", url_prefix="/v1")
INBOX_POSTS_PER_HOUR = 20
_USERNAME = re.compile(r"^[\w.@:+-]{1,128}$")


def _staff_name(request: Request) -> str:
    return str(getattr(request.ctx.principal, "username", "") or "admin")


async def _linked_session(request: Request, body: dict[str, Any]) -> str | None:
    """The session a suggestion or offline request belongs to: linked only with that session's
    token; without it (or with another's, or for an unknown id) the request is stored unlinked
    and answered the same, so nobody learns whether a session exists or attaches to another's."""
    ctx = handoff_site(request)
    session_id = body.get("session_id")
    if session_id is None or session_id == "":
        return None
    if not isinstance(session_id, str) or not _USERNAME.match(session_id):
        raise ValidationFailed("'session_id' is malformed", code="invalid_field", details={"field": "session_id"})
    token = body.get("session_token") if isinstance(body.get("session_token"), str) else session_token(request)
    return await ctx.sessions.linked(session_id, token)


# -- canned replies ---------------------------------------------------------------------------------
@bp.get("/canned-replies")
@access(AGENT)
async def list_canned(request: Request) -> HTTPResponse:
    """Canned replies `?lang=&q=`; with `?session_id=` each carries `rendered` with the placeholders
    ({customer_name}, {agent_name}, {company_name}, {session_id}) filled in for that session."""
    ctx = handoff_site(request)
    lang = request.args.get("lang") or None
    if lang is not None and lang not in LANGS:
        raise ValidationFailed(f"'lang' must be one of {LANG_LIST}", code="invalid_field", details={"field": "lang"})
    replies = await canned.CannedReplies(ctx.stores.canned).list(
        lang=lang, query=(request.args.get("q") or "").strip() or None
    )
    session_id = request.args.get("session_id")
    if session_id:
        session = await ctx.sessions.require(session_id)
        principal = request.ctx.principal
        identities = ctx.identities
        identity = await identities.store.get(session.id) if identities is not None else None
        values = {
            # The host site's name for the customer (widget identity), else what the session knows.
            "customer_name": (identity.name if identity else None)
            or session.meta.get("customer_name")
            or session.customer_id,
            # What the customer will read: the display name, never the username.
            "agent_name": getattr(principal, "display_name", None) or message("agent_title", session.lang),
            "company_name": ctx.settings.company_name,
            "session_id": session.id,
        }
        for reply in replies:
            reply["rendered"] = canned.render(reply["text"], values)
    return json_response({"canned_replies": replies})


@bp.post("/canned-replies")
@access(ADMIN)
async def create_canned(request: Request) -> HTTPResponse:
    """Add a canned reply `{id?, lang, title, text}`."""
    reply = await canned.CannedReplies(handoff_site(request).stores.canned).create(
        canned.parse_reply(json_object(request), partial=False)
    )
    return json_response(reply, status=201)


@bp.patch("/canned-replies/<reply_id:str>")
@access(ADMIN)
async def update_canned(request: Request, reply_id: str) -> HTTPResponse:
    """Change a canned reply's `lang`, `title` and/or `text`."""
    return json_response(
        await canned.CannedReplies(handoff_site(request).stores.canned).update(
            reply_id, canned.parse_reply(json_object(request), partial=True)
        )
    )


@bp.delete("/canned-replies/<reply_id:str>")
@access(ADMIN)
async def delete_canned(request: Request, reply_id: str) -> HTTPResponse:
    """Delete one canned reply."""
    await canned.CannedReplies(handoff_site(request).stores.canned).delete(reply_id)
    return json_response({"ok": True, "id": reply_id})


# -- suggestions and offline requests ----------------------------------------------------------------
async def _inbox_post(
    request: Request, kind: inbox.InboxKind, parse: Any, event: str, answer: Any = None
) -> HTTPResponse:
    ctx = handoff_site(request)
    body = json_object(request)
    fields = parse(body)
    await rate_limit(request, kind.table, client_ip(request), INBOX_POSTS_PER_HOUR, 3600)
    row = await inbox.InboxStore(ctx.stores.inbox, kind).create(fields, await _linked_session(request, body))
    ctx.bus.publish(AGENTS_CHANNEL, event, row)
    return json_response(answer(row) if answer else {"ok": True, **row}, status=201)


async def _inbox_list(request: Request, kind: inbox.InboxKind) -> HTTPResponse:
    rows, total = await inbox.InboxStore(handoff_site(request).stores.inbox, kind).list(
        status=request.args.get("status") or None,
        limit=int_arg(request, "limit", 50, 1, 200),
        offset=int_arg(request, "offset", 0, 0, 10_000_000),
    )
    return json_response({"items": rows, "total": total})


async def _inbox_patch(request: Request, kind: inbox.InboxKind, item_id: int) -> HTTPResponse:
    changes = inbox.parse_update(json_object(request), kind)
    return json_response(
        await inbox.InboxStore(handoff_site(request).stores.inbox, kind).update(item_id, changes, _staff_name(request))
    )


@bp.post("/suggestions")
@access(PUBLIC)
async def post_suggestion(request: Request) -> HTTPResponse:
    """A suggestion, complaint or compliment `{session_id?, session_token?, kind, text, contact?, lang?}`.

    The original NURA widget's body (`message` instead of `text`) is answered in its shape, with a
    `case_number` (docs/WIDGET.md, "Original NURA embeds")."""
    original = handoff_site(request).original
    if original is not None and original.wants_suggestion(request):
        return await _inbox_post(
            request, inbox.SUGGESTIONS, original.suggestion_fields, "suggestion", original.suggestion_answer
        )
    return await _inbox_post(request, inbox.SUGGESTIONS, inbox.parse_suggestion, "suggestion")


@bp.get("/suggestions")
@access(AGENT)
async def list_suggestions(request: Request) -> HTTPResponse:
    """`?status=new|reviewed|closed&limit=&offset=` → `{items, total}`."""
    return await _inbox_list(request, inbox.SUGGESTIONS)


@bp.patch("/suggestions/<item_id:int>")
@access(AGENT)
async def patch_suggestion(request: Request, item_id: int) -> HTTPResponse:
    """`{status?, note?}`."""
    return await _inbox_patch(request, inbox.SUGGESTIONS, item_id)


@bp.post("/offline-requests")
@access(PUBLIC)
async def post_offline_request(request: Request) -> HTTPResponse:
    """Contact details left when no agent is available `{session_id?, name, phone, description, lang?}`."""
    return await _inbox_post(request, inbox.OFFLINE_REQUESTS, inbox.parse_offline_request, "offline_request")


@bp.get("/offline-requests")
@access(AGENT)
async def list_offline_requests(request: Request) -> HTTPResponse:
    """`?status=open|contacted|closed&limit=&offset=` → `{items, total}`."""
    return await _inbox_list(request, inbox.OFFLINE_REQUESTS)


@bp.patch("/offline-requests/<item_id:int>")
@access(AGENT)
async def patch_offline_request(request: Request, item_id: int) -> HTTPResponse:
    """`{status?, note?}`."""
    return await _inbox_patch(request, inbox.OFFLINE_REQUESTS, item_id)


# -- capacity and widget configuration -------------------------------------------------------------
@bp.put("/agents/<username:str>/capacity")
@access(ADMIN)
async def put_capacity(request: Request, username: str) -> HTTPResponse:
    """Set one agent's capacity `{capacity: N}` (`null` returns to AGENT_CAPACITY)."""
    if not _USERNAME.match(username):
        raise NotFound("no such agent", code="not_found")
    capacity = json_object(request).get("capacity")
    if capacity is not None and (
        isinstance(capacity, bool) or not isinstance(capacity, int) or not 0 <= capacity <= 1000
    ):
        raise ValidationFailed(
            "'capacity' must be a whole number from 0 to 1000, or null",
            code="invalid_field",
            details={"field": "capacity"},
        )
    effective = await service_of(request).set_capacity(username, capacity)
    return json_response({"agent": username, "capacity": effective})


@bp.get("/widget/config")
@access(PUBLIC)
async def widget_config(request: Request) -> HTTPResponse:
    """What the widget needs before the first message: names, languages, hand-off availability."""
    ctx = handoff_site(request)
    service = service_of(request)
    next_open = service.hours.next_open()
    hours = {**service.hours.describe(), "next_open": next_open.isoformat() if next_open else None}
    attachments = ctx.attachments
    return json_response(
        {
            "company_name": ctx.settings.company_name,
            "agent_name": ctx.settings.agent_name,
            "handoff_enabled": bool(ctx.settings.handoff_enabled),
            "business_open": service.is_open(),
            "languages": LANGS,
            "default_lang": ctx.settings.default_lang,
            "business_hours": hours,
            "agents_online": ctx.bus.subscriber_count(AGENTS_CHANNEL),
            # Issue 20: what the widget may attach, and whether customer ids must be signed (the
            # widget then sends no anonymous id, only a host-given identity).
            "attachments": attachments.config() if attachments is not None else {"enabled": False},
            "identity_verification": bool(ctx.settings.customer_hmac_secret),
        },
        headers={"Cache-Control": "no-cache"},
    )
