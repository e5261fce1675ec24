"""Signed webhook delivery with retries and a delivery log.

Each request carries::

    X-Nura-Event: <event name>
    X-Nura-Delivery: <id, the same for every retry of one delivery — receivers dedupe on it>
    X-Nura-Timestamp: <UNIX seconds when this attempt was signed>
    X-Nura-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>

The body is ``{"event", "delivery_id", "data", "sent_at"}`` as UTF-8 JSON. A receiver checks
the signature over the raw body and rejects timestamps older than a few minutes (replay).

Delivery is at least once: a job whose outcome could not be recorded (its process died between
the HTTP answer and the commit, or the database stayed away longer than the job runner waits)
runs again and sends the same ``delivery_id`` again. Receivers dedupe on ``X-Nura-Delivery``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from nura_appliance.storage.base import DeliveryAttempt, OutboxStore, OutcomeWrite

log = logging.getLogger(__name__)

USER_AGENT = "nura-appliance-webhook/1"


class WebhookFailed(Exception):
    """Every attempt of one delivery failed (the outbox job that called us retries later)."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` over ``"<timestamp>.<body>"``."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, *, max_age_seconds: float = 300, now: float | None = None
) -> bool:
    """Receiver-side check: a valid signature over a recent timestamp."""
    try:
        age = abs((now or time.time()) - float(timestamp))
    except ValueError:
        return False
    return age <= max_age_seconds and hmac.compare_digest(sign(secret, timestamp, body), signature)


async def _log_now(outbox: OutboxStore, attempt: DeliveryAttempt) -> None:
    try:
        await outbox.log_deliveries([attempt])
    except Exception:  # noqa: BLE001 - the log must not break a delivery made outside a job
        log.exception("could not log a webhook attempt")


async def deliver_webhook(
    url: str,
    secret: str,
    event: str,
    payload: dict[str, Any],
    *,
    outbox: OutboxStore | None = None,
    defer: Callable[[OutcomeWrite], None] | None = None,
    attempts: int = 3,
    base_delay: float = 1.0,
    timeout: float = 10.0,
    delivery_id: str | None = None,
) -> dict[str, Any]:
    """POST a signed event to ``url``; retry with exponential back-off (``base_delay``, 2×, 4×…)
    on network errors and non-2xx answers; log every attempt in ``webhook_deliveries``.

    Inside a job pass ``defer=ctx.with_outcome``: the attempts are then logged in the same
    transaction that records the job's outcome (done, or failed and retried later), so the log
    and the outbox never disagree. Outside a job, each attempt is logged at once (best effort).
    Either way the log is ``outbox``'s (``ctx.stores.outbox``); without it nothing is logged.

    Returns ``{"delivery_id", "attempts", "status_code"}`` on success; raises
    :class:`WebhookFailed` after the last attempt. For durable delivery call it from an outbox
    job (``jobs.enqueue("webhook", {...})``), whose own back-off takes over from there.
    """
    delivery = delivery_id or uuid.uuid4().hex
    body = json.dumps(
        {"event": event, "delivery_id": delivery, "data": payload, "sent_at": time.time()},
        ensure_ascii=False,
        default=str,
    ).encode("utf-8")
    last_error = "not attempted"
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        for attempt in range(1, max(1, attempts) + 1):
            stamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "X-Nura-Event": event,
                "X-Nura-Delivery": delivery,
                "X-Nura-Timestamp": stamp,
            }
            if secret:
                headers["X-Nura-Signature"] = sign(secret, stamp, body)
            started = time.perf_counter()
            status: int | None = None
            try:
                response = await client.post(url, content=body, headers=headers)
                status = response.status_code
                ok = 200 <= status < 300
                last_error = "" if ok else f"HTTP {status}"
            except httpx.HTTPError as exc:
                ok = False
                last_error = f"{type(exc).__name__}: {exc}"[:500]
            elapsed = round((time.perf_counter() - started) * 1000, 2)
            record = DeliveryAttempt(
                delivery, url, event, attempt, status, ok, last_error or None, elapsed, time.time()
            )
            if outbox is not None and defer is not None:
                defer(outbox.delivery_write(record))
            elif outbox is not None:
                await _log_now(outbox, record)
            if ok:
                return {"delivery_id": delivery, "attempts": attempt, "status_code": status}
            if attempt < attempts:
                await asyncio.sleep(base_delay * (2 ** (attempt - 1)))
    raise WebhookFailed(f"webhook {event} to {url} failed after {attempts} attempt(s): {last_error}")
