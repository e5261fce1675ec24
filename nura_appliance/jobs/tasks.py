"""Jobs the jobs feature itself provides: durable webhook delivery and session expiry."""

from __future__ import annotations

import time
import uuid
from typing import Any

import apsw

from nura_appliance.errors import ValidationFailed
from nura_appliance.jobs.webhooks import deliver_webhook

WEBHOOK_KIND = "webhook"


def webhook_payload(url: str, event: str, data: dict[str, Any]) -> dict[str, Any]:
    """Outbox payload for a durable webhook; the delivery id stays the same across retries so
    that receivers can drop duplicates."""
    if not url.startswith(("http://", "https://")):
        raise ValidationFailed("a webhook URL must start with http:// or https://", code="invalid_webhook_url")
    return {"url": url, "event": event, "data": data, "delivery_id": uuid.uuid4().hex}


async def run_webhook(ctx: Any, payload: dict[str, Any]) -> None:
    """Outbox handler for kind ``webhook``: signed with ``ESCALATION_WEBHOOK_SECRET``; a few quick
    retries here, then the outbox's exponential back-off between job attempts."""
    await deliver_webhook(payload["url"], ctx.settings.escalation_webhook_secret, payload["event"],
                          payload.get("data") or {}, db=ctx.db, attempts=3, base_delay=1.0,
                          delivery_id=payload.get("delivery_id"))


async def expire_idle_sessions(ctx: Any) -> int:
    """Close bot-only sessions idle longer than ``SESSION_IDLE_CLOSE_SECONDS`` and drop them from
    the live cache (sessions with a person involved are left to the agents)."""
    now = time.time()
    cutoff = now - float(ctx.settings.session_idle_close_seconds)

    def run(conn: apsw.Connection) -> list[str]:
        return [r["id"] for r in conn.execute(
            "UPDATE sessions SET status = 'closed', closed_at = ?, updated_at = ?"
            " WHERE status = 'bot' AND updated_at < ? RETURNING id", (now, now, cutoff))]

    closed = await ctx.db.write(run)
    for session_id in closed:
        await ctx.sessions.forget(session_id)
    return len(closed)
