"""What a customer (or an agent) sends besides messages: typing indicators, ratings and
per-message feedback, plus the small rate limiter used when the auth feature's is absent."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from sanic import Request

from nura_appliance.auth.limits import MESSAGES as LIMIT_MESSAGES
from nura_appliance.auth.limits import LocalWindows, RateLimiter, SlidingWindow, request_lang
from nura_appliance.conversation.sessions import SessionService
from nura_appliance.errors import NotFound, RateLimited, ValidationFailed
from nura_appliance.handoff.service import HandoffService
from nura_appliance.http import bounded_int
from nura_appliance.realtime.sse import AGENTS_CHANNEL
from nura_appliance.settings import Settings
from nura_appliance.storage.base import Cache, SessionRecord
from nura_appliance.storage.bus import EventBus
from nura_appliance.storage.stores import Stores

TYPING_PREVIEW_CHARS = 200


class LimiterSite(Protocol):
    """What :func:`rate_limit` uses of the app context: the auth feature's limiter, else this
    module's in-process one."""

    @property
    def limits(self) -> RateLimiter | None: ...

    handoff_limiter: WindowLimiter | None


class PendingSite(Protocol):
    """What the pending-hand-off budget uses of the app context (``handoff.site.HandoffSite`` extends
    it; it lives here, not in ``site.py``, which imports :class:`WindowLimiter` from this module)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def cache(self) -> Cache: ...
    @property
    def sessions(self) -> SessionService: ...


class RatingSite(Protocol):
    """What :func:`record_rating` uses of the app context."""

    @property
    def sessions(self) -> SessionService: ...
    @property
    def bus(self) -> EventBus: ...


class FeedbackSite(Protocol):
    """What :func:`record_feedback` uses of the app context."""

    @property
    def settings(self) -> Settings: ...
    @property
    def stores(self) -> Stores: ...


class WindowLimiter:
    """Sliding-window counters in process memory: the fallback when ``ctx.limits`` is absent.

    The same counting as the auth feature's limiter (:class:`~nura_appliance.auth.limits.SlidingWindow`
    over :class:`~nura_appliance.auth.limits.LocalWindows`): a limit of N holds over any window, not
    only a clock window (fixed windows let N calls at a window's end and N more at the next one's
    start through), and Retry-After says when one more call would pass. At most ``max_keys``
    counters are held. ``clock`` gives epoch seconds (a test sets its own)."""

    def __init__(self, max_keys: int = 10_000, clock: Callable[[], float] = time.time) -> None:
        self._windows = LocalWindows(max_keys)
        self.clock = clock

    def hit(self, key: str, limit: int, window_seconds: float) -> None:
        """Count one event for ``key``; raises RateLimited past ``limit`` per sliding window."""
        sliding = SlidingWindow.at(self.clock(), window_seconds)
        counters = [sliding.counter(f"rl:{key}", limit)]
        ((count, previous),) = self._windows.incr_until(counters, sliding.ttl, sliding.now)
        if sliding.used(count, previous) > limit:
            retry_after = sliding.retry_after(count, previous, limit)
            raise RateLimited("too many requests; slow down", retry_after=retry_after)

    def keys(self) -> set[str]:
        """The counters held now (for the memory bound's test)."""
        return self._windows.keys()


async def rate_limit(request: Request, bucket: str, key: str, limit: int, window_seconds: int) -> None:
    """Use the auth feature's limiter when present (shared across workers), else the in-process one."""
    ctx: LimiterSite = request.app.ctx.nura  # Sanic's ctx is untyped; the app keeps its context here
    limits = ctx.limits
    if limits is not None:
        await limits.hit(request, bucket, key, limit, window_seconds)
        return
    local = ctx.handoff_limiter
    if local is None:  # the hand-off feature's hook sets it before any route runs
        raise RuntimeError("the hand-off feature is not set up (ctx.handoff_limiter)")
    local.hit(f"{bucket}:{key}", limit, window_seconds)


def _pending_key(ip: str) -> str:
    return f"handoff:pending-by-ip:{ip}"


async def pending_handoffs_of(ctx: PendingSite, request: Request, ip: str) -> list[str]:
    """The sessions this IP handed to people that still wait in the queue; 429 when there are
    ``HANDOFF_PENDING_PER_IP`` already (one address filled the agents' queue with 22 before).
    Accepted, resolved and closed ones no longer count."""
    limit = int(ctx.settings.handoff_pending_per_ip)
    known = await ctx.cache.get(_pending_key(ip)) or []
    waiting = []
    for session_id in known[-2 * limit :]:
        session = await ctx.sessions.get(session_id)
        if session is not None and session.status == "pending_handoff":
            waiting.append(session_id)
    if len(waiting) >= limit:
        lang = request_lang(request, None, ctx.settings.default_lang)
        exc = RateLimited(LIMIT_MESSAGES["rate_limited"][lang], retry_after=60)
        exc.details = {"bucket": "handoff_pending", "retry_after": 60, "lang": lang}
        raise exc
    return waiting


async def remember_pending_handoff(ctx: PendingSite, ip: str, waiting: list[str]) -> None:
    await ctx.cache.set(_pending_key(ip), waiting, ttl=86_400)


def parse_typing(body: dict[str, Any]) -> tuple[str, str]:
    sender = body.get("sender")
    if sender not in ("customer", "agent"):
        raise ValidationFailed(
            "'sender' must be 'customer' or 'agent'", code="invalid_field", details={"field": "sender"}
        )
    text = body.get("text", "")
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise ValidationFailed("'text' must be a string", code="invalid_field", details={"field": "text"})
    return sender, text[:TYPING_PREVIEW_CHARS]


def publish_typing(bus: Any, session_id: str, sender: str, text: str) -> None:
    """Typing is ephemeral: delivered live, never replayed. Agents see a preview of the
    customer's draft; the customer sees only that the agent is typing (never their own echo)."""
    active = bool(text.strip())
    if sender == "agent":
        bus.publish(
            f"session:{session_id}",
            "typing",
            {"session_id": session_id, "sender": sender, "active": active},
            buffered=False,
        )
    data: dict[str, Any] = {"session_id": session_id, "sender": sender, "active": active}
    if sender == "customer":
        data["text"] = text
    bus.publish(AGENTS_CHANNEL, "typing", data, buffered=False)


def parse_score(body: dict[str, Any]) -> int:
    score = body.get("score")
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationFailed(
            "'score' must be a whole number from 1 to 5", code="invalid_field", details={"field": "score"}
        )
    return score


async def record_rating(ctx: RatingSite, session: SessionRecord, score: int) -> dict[str, Any]:
    """The rating route owns the ``rating`` column: one command on the committed row."""
    await ctx.sessions.set_rating(session.id, score)
    ctx.bus.publish(AGENTS_CHANNEL, "rating", {"session_id": session.id, "score": score})
    return {"ok": True, "session_id": session.id, "score": score}


def parse_feedback(body: dict[str, Any]) -> tuple[int, str, str | None]:
    message_id = bounded_int(body.get("message_id"), "message_id")
    value = body.get("value")
    if value not in ("up", "down"):
        raise ValidationFailed("'value' must be 'up' or 'down'", code="invalid_field", details={"field": "value"})
    comment = body.get("comment")
    if comment is not None:
        if not isinstance(comment, str):
            raise ValidationFailed("'comment' must be a string", code="invalid_field", details={"field": "comment"})
        comment = comment.strip()[:1000] or None
    return message_id, value, comment


async def record_feedback(
    ctx: FeedbackSite, handoff: HandoffService, session: SessionRecord, message_id: int, value: str, comment: str | None
) -> dict[str, Any]:
    """Store thumbs up/down for one answer (a second vote replaces the first). Thumbs-down votes in
    the current conversation count toward ``HANDOFF_BAD_FEEDBACK_COUNT``."""
    now = time.time()
    since = session.resolved_at or 0.0

    role, downs = await ctx.stores.handoff.record_feedback(session.id, message_id, value, comment, now, since)
    if role is None:
        raise NotFound("no message with this id in this session", code="message_not_found")
    if role not in ("bot", "agent"):
        raise ValidationFailed("only answers can be rated", code="invalid_field", details={"field": "message_id"})
    result: dict[str, Any] = {
        "ok": True,
        "session_id": session.id,
        "message_id": message_id,
        "value": value,
        "escalated": session.status in ("pending_handoff", "human_active"),
        "status": session.status,
        "response": None,
    }
    if (
        value == "down"
        and session.status in ("bot", "resolved", "closed")
        and downs >= ctx.settings.handoff_bad_feedback_count
        and handoff.trigger_enabled("bad_feedback")
    ):
        committed, turn, text = await handoff.escalate(session.id, "bad_feedback", session.lang)
        if turn is not None:  # None: a hand-off began meanwhile (the agent button); nothing more to do
            result.update(
                escalated=True,
                status=committed.status,
                response=text,
                handoff_reason="bad_feedback",
                offline=committed.status == "bot",
            )
        else:
            result.update(escalated=committed.status in ("pending_handoff", "human_active"), status=committed.status)
    return result
