"""The escalation webhook: on every hand-off, ``ESCALATION_WEBHOOK_URL`` receives a signed JSON
event ``handoff.started``. Delivery is the job-queue handler of outbox kind ``handoff_started``
(the row is written in the same transaction as the hand-off); a network error or non-2xx answer
raises, and the job queue retries with back-off until ``JOB_MAX_ATTEMPTS``.

Signing and the envelope are the jobs feature's (``nura_appliance.jobs.webhooks``), shared by
every webhook the appliance sends: body ``{"event", "delivery_id", "data", "sent_at"}``, headers
``X-Nura-Event``, ``X-Nura-Delivery`` (stable across retries: receivers dedupe on it),
``X-Nura-Timestamp`` and ``X-Nura-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>"
with ESCALATION_WEBHOOK_SECRET>``. See docs/HANDOFF.md for a receiver.
"""

from __future__ import annotations

from typing import Any, Protocol

from nura_appliance.conversation.service import session_summary
from nura_appliance.jobs.webhooks import deliver_webhook
from nura_appliance.settings import Settings
from nura_appliance.storage.base import SessionStore
from nura_appliance.storage.stores import Stores

EVENT = "handoff.started"


class EscalationSite(Protocol):
    """What the escalation webhook's job handler uses of the app context."""

    @property
    def settings(self) -> Settings: ...
    @property
    def stores(self) -> Stores: ...
    @property
    def sessions_store(self) -> SessionStore: ...


async def handoff_event(ctx: EscalationSite, payload: dict[str, Any]) -> dict[str, Any] | None:
    """The event data for one ``handoff_started`` outbox payload (None if the session is gone)."""
    session = await ctx.sessions_store.get(payload["session_id"])
    if session is None:
        return None
    summary = session_summary(session)
    summary.pop("meta", None)
    return {
        "session_id": session.id,
        "reason": payload.get("reason") or session.handoff_reason,
        "message_id": payload.get("message_id"),
        "offline": session.status == "bot",
        "session": summary,
    }


def delivery_id(payload: dict[str, Any]) -> str:
    return f"handoff-{payload['session_id']}-{payload.get('message_id') or payload.get('reason') or 'x'}"


async def deliver_handoff_webhook(ctx: EscalationSite, payload: dict[str, Any]) -> None:
    """Job handler for outbox kind ``handoff_started``; raises on failure so that it is retried."""
    url = ctx.settings.escalation_webhook_url
    if not url:
        return
    data = await handoff_event(ctx, payload)
    if data is None:
        return
    # One attempt per job run: the outbox's own back-off spaces the retries.
    await deliver_webhook(
        url,
        ctx.settings.escalation_webhook_secret,
        EVENT,
        data,
        outbox=ctx.stores.outbox,
        defer=getattr(ctx, "with_outcome", None),  # logged with the job's outcome (jobs.service)
        attempts=1,
        delivery_id=delivery_id(payload),
    )
