"""Hand-off API: the customer's request for a person, and the agent workflow (queue, accept,
transfer, release, chat, resolve), with bodies compatible with the original NURA."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sanic import Blueprint, Request
from sanic import json as json_response
from sanic.response import HTTPResponse

from nura_appliance.auth.access import AGENT, PUBLIC, SESSION, VIEWER, access, require_role, sees_transcripts
from nura_appliance.auth.audit import client_ip
from nura_appliance.channels.identity import parse_identity
from nura_appliance.conversation.service import session_summary, turn_payload
from nura_appliance.errors import Forbidden, ValidationFailed
from nura_appliance.handoff import customer
from nura_appliance.handoff.service import Actor, HandoffService, parse_outcome, parse_reason
from nura_appliance.handoff.site import GuardSite, handoff_site
from nura_appliance.http import int_arg, json_object, session_token
from nura_appliance.languages import LANG_LIST, LANGS
from nura_appliance.storage.base import SESSION_STATUSES
from nura_appliance.text_policy import describe, forbidden_character

bp = Blueprint("handoff", url_prefix="/v1")
_ID = re.compile(r"^[\w.@:+-]{1,128}$")
_CHANNEL = re.compile(r"^[a-z][a-z0-9_-]{0,19}$")


def service_of(request: Request) -> HandoffService:
    service = handoff_site(request).handoff
    if service is None:  # these routes are registered only by the hand-off feature's setup
        raise RuntimeError("the hand-off feature is not set up")
    return service


async def check_reply_guards(ctx: GuardSite, session_id: str) -> None:
    """Channels that cannot always deliver an agent's reply refuse it first, loudly (WhatsApp after
    its 24-hour window: 409 ``whatsapp_window_closed``); they add ``async guard(session_id)``,
    bound to their channel, to ``ctx.reply_guards`` (``channels.shared.ReplyGuard``)."""
    for guard in ctx.reply_guards:
        await guard(session_id)


def actor_of(request: Request) -> Actor:
    """The acting agent. ``?agent_id=`` (the original NURA's parameter) lets an admin or the API
    key act as a named agent, with that agent's rights; agents can only act as themselves."""
    principal = request.ctx.principal
    name = str(getattr(principal, "username", "") or "admin")
    is_admin = getattr(principal, "role", None) == "admin"
    override = request.args.get("agent_id")
    if override:
        if not _ID.match(override):
            raise ValidationFailed("'agent_id' is malformed", code="invalid_field", details={"field": "agent_id"})
        if override.lower() != name.lower():
            if not is_admin:
                raise Forbidden("agents act only as themselves", code="not_yourself")
            return Actor(override, is_admin=False)
    # The legacy API key's "API key" label is for staff screens; customers see "an agent" instead.
    display = None if getattr(principal, "kind", "user") == "api_key" else getattr(principal, "display_name", None)
    return Actor(name, is_admin=is_admin, display=display)


def _opt(body: dict[str, Any], key: str, pattern: re.Pattern[str], what: str) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not pattern.match(value):
        raise ValidationFailed(f"'{key}' must be {what}", code="invalid_field", details={"field": key})
    return value


def _lang(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in LANGS:
        raise ValidationFailed(f"'lang' must be one of {LANG_LIST}", code="invalid_field", details={"field": "lang"})
    return value


async def _request_handoff(request: Request, session_id: str | None, body: dict[str, Any]) -> HTTPResponse:
    ctx = handoff_site(request)
    token = body.get("session_token") if isinstance(body.get("session_token"), str) else None
    token = token or session_token(request)
    customer_id = _opt(body, "customer_id", _ID, "1-128 letters, digits or . _ - @ : +")
    channel = _opt(body, "channel", _CHANNEL, "a short lower-case name like 'web'") or "web"
    reason = parse_reason(body.get("reason"))
    lang = _lang(body.get("lang"))
    ip = client_ip(request)
    if session_id is None:  # starts a session: the same per-IP budget as /v1/message and uploads
        await customer.rate_limit(request, "new_session", ip, ctx.settings.rate_limit_new_sessions_per_minute, 60)
    session = await ctx.sessions.authorize(session_id, token) if session_id else None
    if session is not None:
        await customer.rate_limit(request, "handoff", session.id, ctx.settings.rate_limit_messages_per_minute, 60)
    waiting = await customer.pending_handoffs_of(ctx, request, ip)
    identities = ctx.identities
    identity = parse_identity(ctx.settings, body) if identities is not None else None
    if identity is not None and not identity.verified and ctx.settings.customer_hmac_secret:
        customer_id = None  # as on /v1/message: only a signed id is trusted as the session's customer
    result = await service_of(request).request(
        session, token or "", customer_id=customer_id, channel=channel, reason=reason, lang=lang
    )
    if result.get("status") == "pending_handoff" and result["session_id"] not in waiting:
        await customer.remember_pending_handoff(ctx, ip, [*waiting, result["session_id"]])
    if identities is not None:
        await identities.remember_from_body(result["session_id"], body, new_session=result["new_session"])
    return json_response(result)


@bp.post("/handoff/direct")
@access(PUBLIC)
async def handoff_direct(request: Request) -> HTTPResponse:
    """The widget's "talk to a person" button: `{session_id|null, session_token?, customer_id, channel,
    reason?, lang?}` → `{ok, escalated, session_id, session_token, status, response, offline}`."""
    body = json_object(request)
    session_id = _opt(body, "session_id", _ID, "a session id")
    return await _request_handoff(request, session_id, body)


@bp.post("/handoff/<session_id:str>")
@access(SESSION)
async def handoff_session(request: Request, session_id: str) -> HTTPResponse:
    """Hand an existing session to a person (session token required)."""
    return await _request_handoff(request, session_id, json_object(request, required=False))


@bp.post("/handoff/<session_id:str>/accept")
@access(AGENT)
async def accept(request: Request, session_id: str) -> HTTPResponse:
    """Take a waiting session (`?agent_id=` or the signed-in agent); 409 if not pending or taken."""
    session = await service_of(request).accept(session_id, actor_of(request))
    return json_response({"ok": True, "session": session_summary(session)})


@bp.post("/handoff/<session_id:str>/transfer")
@access(AGENT)
async def transfer(request: Request, session_id: str) -> HTTPResponse:
    """Give an active session to another agent: `{agent}`."""
    body = json_object(request)
    target = _opt(body, "agent", _ID, "an agent's username")
    if target is None:
        raise ValidationFailed("'agent' is required", code="missing_field", details={"field": "agent"})
    session = await service_of(request).transfer(session_id, target, actor_of(request))
    return json_response({"ok": True, "session": session_summary(session)})


@bp.post("/handoff/<session_id:str>/release")
@access(AGENT)
async def release(request: Request, session_id: str) -> HTTPResponse:
    """Put an active session back in the queue."""
    session = await service_of(request).release(session_id, actor_of(request))
    return json_response({"ok": True, "session": session_summary(session)})


async def _resolve(request: Request, session_id: str) -> HTTPResponse:
    outcome = parse_outcome(json_object(request, required=False))
    actor = actor_of(request)
    if outcome.resolved_by is None:
        outcome.resolved_by = actor.shown_as
    return json_response(await service_of(request).resolve(session_id, outcome, actor))


@bp.post("/handoff/<session_id:str>/resolve")
@access(AGENT)
async def resolve_handoff(request: Request, session_id: str) -> HTTPResponse:
    """Resolve with outcome fields `{status, issue_category, root_cause, resolution_notes, resolved_by}`."""
    return await _resolve(request, session_id)


@bp.post("/session/<session_id:str>/resolve")
@access(AGENT)
async def resolve_session(request: Request, session_id: str) -> HTTPResponse:
    """The original NURA's resolve path; same body and answer as `/v1/handoff/{id}/resolve`."""
    return await _resolve(request, session_id)


@bp.post("/session/<session_id:str>/agent-message")
@access(AGENT)
async def agent_message(request: Request, session_id: str) -> HTTPResponse:
    """An agent's reply `{message, agent_name}`; 409 for a session that is not active."""
    ctx = handoff_site(request)
    body = json_object(request)
    text = body.get("message")
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed(
            "'message' must be a non-empty string", code="missing_field", details={"field": "message"}
        )
    bad = forbidden_character(text)
    if bad is not None:
        raise ValidationFailed(
            f"'message' contains a character that cannot be stored or shown ({describe(bad)})",
            code="invalid_characters",
            details={"field": "message", "character": describe(bad)},
        )
    if len(text) > ctx.settings.message_max_chars:
        raise ValidationFailed(
            f"'message' is longer than {ctx.settings.message_max_chars} characters",
            code="message_too_long",
            details={"field": "message"},
        )
    actor = actor_of(request)
    name = body.get("agent_name")
    if name is not None and (
        not isinstance(name, str) or len(name) > 80 or forbidden_character(name, single_line=True)
    ):
        raise ValidationFailed(
            "'agent_name' must be a short name", code="invalid_field", details={"field": "agent_name"}
        )
    sender = (name or "").strip() or actor.customer_name  # never the username (None: "an agent")
    await check_reply_guards(ctx, session_id)
    turn = await service_of(request).agent_message(session_id, text.strip(), sender, actor)
    return json_response({"ok": True, "session_id": session_id, "message": turn_payload(turn)})


@bp.post("/session/<session_id:str>/typing")
@access(SESSION)
async def typing(request: Request, session_id: str) -> HTTPResponse:
    """Typing indicator `{sender: customer|agent, text}`: customers with the session token, agents
    signed in. Rate-limited per session and sender (429 with Retry-After)."""
    ctx = handoff_site(request)
    sender, text = customer.parse_typing(json_object(request))
    if sender == "agent":
        require_role(request, AGENT)
        session = await ctx.sessions.require(session_id)
    else:
        session = await ctx.sessions.authorize(session_id, session_token(request))
    await customer.rate_limit(
        request, "typing", f"{session.id}:{sender}", ctx.settings.rate_limit_typing_per_minute, 60
    )
    customer.publish_typing(ctx.bus, session.id, sender, text)
    return json_response({"ok": True})


@bp.post("/session/<session_id:str>/rating")
@access(SESSION)
async def rating(request: Request, session_id: str) -> HTTPResponse:
    """The customer's satisfaction score `{score: 1..5}`."""
    ctx = handoff_site(request)
    session = await ctx.sessions.authorize(session_id, session_token(request))
    return json_response(await customer.record_rating(ctx, session, customer.parse_score(json_object(request))))


@bp.post("/session/<session_id:str>/feedback")
@access(SESSION)
async def feedback(request: Request, session_id: str) -> HTTPResponse:
    """Thumbs up/down on one answer `{message_id, value: up|down, comment?}`; thumbs-down votes
    count toward the bad-feedback hand-off trigger."""
    ctx = handoff_site(request)
    session = await ctx.sessions.authorize(session_id, session_token(request))
    message_id, value, comment = customer.parse_feedback(json_object(request))
    return json_response(await customer.record_feedback(ctx, service_of(request), session, message_id, value, comment))


@bp.get("/queue")
@access(AGENT)
async def queue(request: Request) -> HTTPResponse:
    """`{pending: [...], active: [...]}`: waiting sessions oldest first, with waiting time; each
    with `customer` (the host site's identity of the customer, or null)."""
    result = await service_of(request).queue()
    await _with_identity(request, result["pending"] + result["active"])
    return json_response(result)


async def _with_identity(request: Request, summaries: list[dict[str, Any]]) -> None:
    identities = handoff_site(request).identities
    if identities is not None:
        role = getattr(request.ctx.principal, "role", None)
        await identities.decorate(summaries, "admin" if role is None else role)


def _time_arg(request: Request, key: str) -> float | None:
    raw = request.args.get(key)
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(
            f"'{key}' must be a UNIX time or an ISO 8601 date", code="invalid_field", details={"field": key}
        ) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


@bp.get("/sessions/list")
@access(VIEWER)
async def list_sessions(request: Request) -> HTTPResponse:
    """Sessions, newest activity first: `?status=&q=&customer_id=&since=&until=&limit=&offset=`.
    `q` matches session and customer ids, and message text for agents and admins only."""
    ctx = handoff_site(request)
    status = request.args.get("status") or None
    if status is not None and status not in SESSION_STATUSES:
        raise ValidationFailed(
            f"'status' must be one of {', '.join(SESSION_STATUSES)}", code="invalid_field", details={"field": "status"}
        )
    query = (request.args.get("q") or "").strip()[:200] or None
    sessions, total = await ctx.sessions_store.list(
        status=status,
        customer_id=request.args.get("customer_id") or None,
        text=query,
        search_messages=sees_transcripts(request),  # a viewer's q matches ids, never message text
        since=_time_arg(request, "since"),
        until=_time_arg(request, "until"),
        limit=int_arg(request, "limit", 50, 1, 200),
        offset=int_arg(request, "offset", 0, 0, 10_000_000),
    )
    summaries = [session_summary(s) for s in sessions]
    await _with_identity(request, summaries)
    return json_response({"sessions": summaries, "total": total})


@bp.get("/sessions/<session_id:str>")
@access(AGENT)
async def session_detail(request: Request, session_id: str) -> HTTPResponse:
    """One session for agents: `{session, messages, outcome, handoff_events, linked_sessions}`
    (`linked_sessions`: the other sessions of the same verified customer)."""
    detail = await service_of(request).session_detail(session_id)
    await _with_identity(request, [detail["session"]])
    identities = handoff_site(request).identities
    customer = detail["session"].get("customer")
    detail["linked_sessions"] = await identities.linked_sessions(session_id, customer) if identities else []
    return json_response(detail)
