"""Jobs the jobs feature itself provides: durable webhook delivery (session expiry and other
lifecycle jobs are the hand-off feature's, registered through ``jobs.every``)."""

from __future__ import annotations

import uuid
from typing import Any

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
