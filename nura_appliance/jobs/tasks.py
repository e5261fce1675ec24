"""Jobs the jobs feature itself provides: durable webhook delivery (session expiry and other
lifecycle jobs are the hand-off feature's, registered through ``jobs.every``)."""

from __future__ import annotations

import time
import uuid
from typing import Any, Protocol

from nura_appliance.errors import ValidationFailed
from nura_appliance.jobs.webhooks import deliver_webhook
from nura_appliance.settings import Settings
from nura_appliance.storage.stores import Stores

WEBHOOK_KIND = "webhook"
# Finished outbox rows are kept this long (to inspect recent work), then deleted.
KEEP_DONE_SECONDS = 7 * 86400
_PURGE_BATCH = 5000


class OutboxJobSite(Protocol):
    """What this module's job handlers use of the app context: the settings and the outbox."""

    @property
    def settings(self) -> Settings: ...
    @property
    def stores(self) -> Stores: ...


def webhook_payload(url: str, event: str, data: dict[str, Any]) -> dict[str, Any]:
    """Outbox payload for a durable webhook; the delivery id stays the same across retries so
    that receivers can drop duplicates."""
    if not url.startswith(("http://", "https://")):
        raise ValidationFailed("a webhook URL must start with http:// or https://", code="invalid_webhook_url")
    return {"url": url, "event": event, "data": data, "delivery_id": uuid.uuid4().hex}


async def run_webhook(ctx: OutboxJobSite, payload: dict[str, Any]) -> None:
    """Outbox handler for kind ``webhook``: signed with ``ESCALATION_WEBHOOK_SECRET``; a few quick
    retries here, then the outbox's exponential back-off between job attempts."""
    await deliver_webhook(
        payload["url"],
        ctx.settings.escalation_webhook_secret,
        payload["event"],
        payload.get("data") or {},
        outbox=ctx.stores.outbox,
        defer=getattr(ctx, "with_outcome", None),  # logged with the job's outcome (jobs.service)
        attempts=3,
        base_delay=1.0,
        delivery_id=payload.get("delivery_id"),
    )


async def purge_done_jobs(ctx: OutboxJobSite, *, now: float | None = None) -> int:
    """Delete outbox rows finished more than 7 days ago, in short batches (one message makes
    one row, so the table would otherwise grow with the logs). Failed rows stay until retried."""
    cutoff = (now or time.time()) - KEEP_DONE_SECONDS
    removed = 0
    while True:
        batch = await ctx.stores.outbox.purge_done(cutoff, _PURGE_BATCH)
        removed += batch
        if batch < _PURGE_BATCH:
            return removed
