"""Server-Sent Events: the customer's session stream and the agents' stream.

Wire format (shared contract): ``id: <int>\\nevent: <type>\\ndata: <json>\\n\\n`` for bus events,
a ``: ping`` comment every ``SSE_PING_SECONDS`` (15 s) so proxies keep the connection open.
Snapshot events sent on connect (the current status) carry no ``id`` so they never move the
client's ``Last-Event-ID``. A client that reconnects with ``Last-Event-ID`` (header, or the
``last_event_id`` query for clients that cannot set headers) receives exactly the events it
missed, from the bus's replay buffer. When that is no longer possible (the buffer moved on, or
the id is from before a restart) the stream starts with a ``reset`` event and the client
refetches the transcript (``GET /v1/session/{id}/messages?after=<last message id>``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator
from typing import TYPE_CHECKING, Any, Protocol

from sanic import Blueprint, Request, Sanic
from sanic.response import HTTPResponse

from nura_appliance.auth.access import AGENT, SESSION, access
from nura_appliance.conversation.sessions import SessionService
from nura_appliance.errors import BadRequest
from nura_appliance.http import bounded_int, session_token
from nura_appliance.settings import Settings
from nura_appliance.storage.bus import Event, EventBus

if TYPE_CHECKING:  # annotations only (a feature below this one)
    from nura_appliance.auth.service import UserService

bp = Blueprint("realtime", url_prefix="/v1")
AGENTS_CHANNEL = "agents"
SSE_HEADERS = {"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no", "Connection": "keep-alive"}
# Query names a browser might use to smuggle a staff token into a URL (and so into logs).
_URL_TOKEN_PARAMS = ("token", "access_token", "auth", "authorization", "api_key")


def format_event(type_: str, data: dict[str, Any], event_id: int | None = None) -> str:
    """One SSE frame; ``data`` is compact JSON on one line (JSON never contains a raw newline)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {type_}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def last_event_id(request: Request) -> int | None:
    """The resume point from ``Last-Event-ID`` or ``?last_event_id=``; 422 when it is not an id."""
    raw = request.headers.get("last-event-id") or request.args.get("last_event_id")
    if raw is None or raw.strip() == "":
        return None
    return bounded_int(raw, "last_event_id", 0)


async def _events_with_pings(events: AsyncGenerator[Event, None], ping_seconds: float) -> AsyncIterator[Event | None]:
    """Yield events as they come and ``None`` whenever ``ping_seconds`` pass without one.

    The pending ``__anext__`` is kept across pings rather than cancelled: cancelling it would
    close the subscription generator.
    """
    pending: asyncio.Future[Event] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(events.__anext__())
            done, _ = await asyncio.wait({pending}, timeout=ping_seconds)
            if not done:
                yield None
                continue
            try:
                event = pending.result()
            except StopAsyncIteration:
                return
            pending = None
            yield event
    finally:
        if pending is not None and not pending.done():
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await pending
        await events.aclose()


async def stream_channel(
    request: Request,
    bus: EventBus,
    channel: str,
    *,
    after_id: int | None,
    snapshot: list[tuple[str, dict[str, Any]]],
    ping_seconds: float,
) -> HTTPResponse:
    """Send ``snapshot`` (no ids), then the channel's events from ``after_id`` on, until the client leaves."""
    response = await request.respond(content_type="text/event-stream; charset=utf-8", headers=SSE_HEADERS)
    assert response is not None
    resumable = after_id is not None and bus.can_resume(channel, after_id)
    subscription = bus.subscribe(channel, after_id if resumable else None)
    await response.send(f"retry: 3000\n: connected to {channel.split(':')[0]}\n\n")
    if after_id is not None and not resumable:
        await response.send(format_event("reset", {"reason": "replay_unavailable", "last_event_id": after_id}))
    for type_, data in snapshot:
        await response.send(format_event(type_, data))
    # Sanic cancels this handler when the client disconnects; the finally blocks unsubscribe.
    async for event in _events_with_pings(subscription, ping_seconds):
        if event is None:
            await response.send(": ping\n\n")
        else:
            await response.send(format_event(event.type, event.data, event.id))
    await response.eof()
    return response


class UsersSite(Protocol):
    """What :func:`_display_name` uses of the app context: auth's user service, when set up."""

    @property
    def users(self) -> UserService | None: ...


async def _display_name(ctx: UsersSite, username: str | None) -> str | None:
    """The assigned agent's display name for the customer's banner (auth's UserService)."""
    users = ctx.users
    return await users.display_name(username) if users is not None else None


class OriginalStreams(Protocol):
    """``ctx.original`` (``original.wire.OriginalWire``, a feature above this one) as the session
    stream uses it: the original widget's stream, asked for with ``?stream_token=``."""

    def wants_stream(self, request: Request) -> bool: ...
    async def session_stream(self, request: Request, session_id: str) -> HTTPResponse: ...


class StreamSite(UsersSite, Protocol):
    """What the stream routes use of the app context (all read-only): the bus they subscribe to,
    the settings (the ping interval), the sessions (the token check), the original wire and the
    user service (``UsersSite``) when those features are set up."""

    @property
    def settings(self) -> Settings: ...
    @property
    def bus(self) -> EventBus: ...
    @property
    def sessions(self) -> SessionService: ...
    @property
    def original(self) -> OriginalStreams | None: ...


def stream_site(request: Request) -> StreamSite:
    site: StreamSite = request.app.ctx.nura  # Sanic's ctx is untyped; the app keeps its context here
    return site


@bp.get("/session/<session_id:str>/stream")
@access(SESSION)
async def session_stream(request: Request, session_id: str) -> HTTPResponse:
    """Live events of one customer session: ``message``, ``typing``, ``status`` (session token required).

    openapi:
    ---
    summary: Customer event stream (SSE)
    description: >
      With `?session_token=` (or the `X-Session-Token` header): named, replayable events. With
      `?stream_token=` from `POST /v1/session/{id}/stream-token` (the original NURA widget):
      unnamed `turn`/`typing`/`status` frames in its shapes (docs/WIDGET.md, "Original NURA embeds").
    tags: [realtime]
    """
    ctx = stream_site(request)
    original = ctx.original
    if original is not None and original.wants_stream(request):
        return await original.session_stream(request, session_id)
    session = await ctx.sessions.authorize(session_id, session_token(request))
    after = last_event_id(request)
    status = {
        "session_id": session.id,
        "status": session.status,
        "handoff_reason": session.handoff_reason,
        "assigned_agent": session.assigned_agent,
        "display_name": await _display_name(ctx, session.assigned_agent),
    }
    return await stream_channel(
        request,
        ctx.bus,
        f"session:{session.id}",
        after_id=after,
        snapshot=[("status", status)],
        ping_seconds=ctx.settings.sse_ping_seconds,
    )


@bp.get("/agents/stream")
@access(AGENT)
async def agents_stream(request: Request) -> HTTPResponse:
    """Live events for agents: ``handoff``, ``customer_message``, ``status``, ``assignment``, ``typing``,
    ``agent_message``, ``offline_request``, ``suggestion``, ``stale_pending``.

    Staff credentials go in the ``Authorization`` header (read the stream with ``fetch``), never in
    the URL, where they would end up in logs and browser history.

    openapi:
    ---
    summary: Agent event stream (SSE)
    tags: [realtime]
    """
    if any(name in request.args for name in _URL_TOKEN_PARAMS):
        raise BadRequest("send staff credentials in the Authorization header, not in the URL", code="token_in_url")
    ctx = stream_site(request)
    principal = request.ctx.principal
    hello = {"agent": getattr(principal, "username", None), "agents_online": ctx.bus.subscriber_count(AGENTS_CHANNEL)}
    return await stream_channel(
        request,
        ctx.bus,
        AGENTS_CHANNEL,
        after_id=last_event_id(request),
        snapshot=[("hello", hello)],
        ping_seconds=ctx.settings.sse_ping_seconds,
    )


def setup(app: Sanic) -> None:
    app.blueprint(bp)

    @app.before_server_stop
    async def end_streams(app: Sanic) -> None:
        ctx = getattr(app.ctx, "nura", None)
        if ctx is not None:
            ctx.bus.end_streams()
