"""Sending to WhatsApp customers: the message shapes (text, reply buttons, lists), the ordered
outbound queue with retries through the outbox and a circuit breaker, the 24-hour window and its
template, and the delivery of agent replies. :class:`~nura_appliance.channels.whatsapp.WhatsAppChannel`
(the inbound side) builds on :class:`WhatsAppOutbound`."""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

from nura_appliance.ai.breaker import CircuitBreaker
from nura_appliance.ai.providers import ProviderError
from nura_appliance.channels.shared import run_delivery_loop
from nura_appliance.channels.site import WhatsAppChannelSite
from nura_appliance.channels.telegram import split_text
from nura_appliance.channels.whatsapp_api import WhatsAppApi, WhatsAppError
from nura_appliance.errors import Conflict, NotFound
from nura_appliance.storage.base import Transaction, WhatsAppStore

log = logging.getLogger(__name__)

WINDOW_SECONDS = 24 * 3600
_PLACEHOLDER = re.compile(r"^\((photos?|documents?|files)\)$")  # attachments/service.py placeholder()
LIST_ROWS = 10  # the Cloud API's limit per list message
BODY_LIMIT = 4096  # text message body
INTERACTIVE_BODY_LIMIT = 1024
SEND_LEASE_SECONDS = 60.0
STALE_AFTER_SECONDS = 6 * 3600  # a queued answer older than this is not worth sending any more
BREAKER_COOLDOWN_SECONDS = 30.0
SEND_JOB = "whatsapp_send"


def mask_number(wa_id: str) -> str:
    """A number as logs show it: only its last three digits."""
    return "*" * max(0, len(wa_id) - 3) + wa_id[-3:]


def _clip(value: str, limit: int) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def text_message(body: str) -> dict[str, Any]:
    return {"type": "text", "text": {"body": body, "preview_url": False}}


def buttons_message(body: str, buttons: list[tuple[str, str]]) -> dict[str, Any]:
    """Up to three quick-reply buttons under a body of at most 1024 characters."""
    return {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": body[:INTERACTIVE_BODY_LIMIT]},
            "action": {
                "buttons": [{"type": "reply", "reply": {"id": i, "title": _clip(t, 20)}} for i, t in buttons[:3]]
            },
        },
    }


def list_message(body: str, button: str, rows: list[tuple[str, str]]) -> dict[str, Any]:
    """A list of at most 10 rows ``(id, label)``; a label longer than a row title (24) is cut there
    and shown whole in the row's description (72)."""
    items = []
    for row_id, label in rows[:LIST_ROWS]:
        item = {"id": row_id[:200], "title": _clip(label, 24)}
        if len(" ".join(label.split())) > 24:
            item["description"] = _clip(label, 72)
        items.append(item)
    return {
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": body[:INTERACTIVE_BODY_LIMIT]},
            "action": {"button": _clip(button, 20), "sections": [{"title": _clip(button, 24), "rows": items}]},
        },
    }


class WhatsAppOutbound:
    """Everything that sends to one business number's customers."""

    def __init__(self, ctx: WhatsAppChannelSite, api: WhatsAppApi, store: WhatsAppStore) -> None:
        self.ctx = ctx
        self.api = api
        self.store = store
        self.settings = ctx.settings
        self.breaker = CircuitBreaker(BREAKER_COOLDOWN_SECONDS)

    # -- sending --------------------------------------------------------------------------------------
    async def send(self, wa_id: str, session_id: str | None, messages: list[tuple[str, dict[str, Any]]]) -> bool:
        """Queue ``messages`` for the number and send them now, in order, after any still waiting.
        Returns whether all went out; what did not is retried through the outbox."""
        if not messages:
            return True
        ids = await self.store.queue(wa_id, session_id, messages)
        return await self.deliver(wa_id, ids[-1])

    async def deliver(self, wa_id: str, up_to: int, *, from_job: bool = False) -> bool:
        """Send the number's waiting messages, oldest first, until none is left.

        Order across processes: a message is claimed only while no older message of the number is
        being sent; a sender that cannot claim stops, and the one holding the older message goes on
        with the newer ones after it (it looks again once its own are out). ``up_to`` (the newest
        message the caller queued) only names the work in the retry job.

        A retryable failure (network, 5xx, throttling) leaves the message queued: from a request
        it queues a ``whatsapp_send`` outbox job and returns False; inside that job it raises, and
        the outbox retries with back-off. A refused message (bad request, closed window) is failed
        for good and the next one is tried. While the breaker is open nothing is called; once it
        has cooled down one job's send is the probe. Returns False only when messages wait for a
        retry."""
        probe = False
        if not self.breaker.allows_traffic():
            if from_job and self.breaker.probe_due():
                self.breaker.probing = probe = True
            elif from_job:
                raise WhatsAppError("send", 503, None, "circuit breaker open: the Graph API failed recently")
            else:
                await self._retry_later(wa_id, up_to)
                return False
        try:
            while ids := await self.store.waiting(wa_id):
                for row_id in ids:
                    row = await self.store.claim(row_id, SEND_LEASE_SECONDS)
                    if row is None:
                        return True  # another sender holds an older message and goes on after it
                    if not await self._send_row(wa_id, row, from_job=from_job):
                        await self._retry_later(wa_id, up_to)
                        return False
            return True
        finally:
            if probe:
                self.breaker.probing = False

    async def _send_row(self, wa_id: str, row: dict[str, Any], *, from_job: bool) -> bool:
        """Send one claimed message; False when it must wait for a retry (raised inside a job)."""
        row_id = int(row["id"])
        if row["created_at"] < time.time() - STALE_AFTER_SECONDS:
            await self.store.unsent(row_id, "expired before it could be sent", final=True)
            return True
        try:
            message = await self._with_media(row)
            if message is None:
                await self.store.unsent(row_id, "the attachment was deleted before it was sent", final=True)
                return True
            wamid = await self.api.send(wa_id, message)
        except WhatsAppError as exc:
            if exc.outage:
                kind = "unavailable" if exc.status == 0 else "server_error"
                self.breaker.record_failure(ProviderError(str(exc), kind=kind))
            if not exc.retryable:
                log.warning("whatsapp message to %s refused: %s", mask_number(wa_id), exc)
                await self.store.unsent(row_id, str(exc), final=True)
                return True
            await self.store.unsent(row_id, str(exc), final=False)
            log.warning("whatsapp message to %s not sent, retrying later: %s", mask_number(wa_id), exc)
            if from_job:
                raise
            return False
        self.breaker.record_success()
        await self.store.sent(row_id, wamid)
        return True

    async def _with_media(self, row: dict[str, Any]) -> dict[str, Any] | None:
        """The message to send; an agent's file (queued as ``{"attachment": {session_id, id}}``) is
        uploaded first, at send time, so that a failed upload is retried like a failed send. None
        when the file is gone (purged meanwhile)."""
        message = json.loads(row["payload"])
        kind = message.get("type")
        media = message.get(kind) if kind in ("image", "document") else None
        if not isinstance(media, dict) or "attachment" not in media:
            return message
        ref = media.pop("attachment")
        service = self.ctx.attachments
        record = await service.store.get(ref["session_id"], ref["id"]) if service is not None else None
        if service is None or record is None:
            return None
        try:
            data = await service.read_bytes(record)
        except OSError:
            return None
        media["id"] = await self.api.upload(data, record.original_name, record.content_type)
        if kind == "document":
            media["filename"] = record.original_name
        return message

    async def _retry_later(self, wa_id: str, up_to: int) -> None:
        jobs = self.ctx.jobs
        if jobs is None or not jobs.enabled:
            log.error("whatsapp messages to %s wait: background jobs are off, nothing retries them", mask_number(wa_id))
            return

        def enqueue(conn: Transaction) -> None:
            jobs.enqueue_in(conn, SEND_JOB, {"wa_id": wa_id, "up_to": up_to})

        await self.store.enqueue_later(enqueue)

    # -- the 24-hour window and templates ----------------------------------------------------------------
    @staticmethod
    def window(contact: dict[str, Any] | None, now: float | None = None) -> dict[str, Any]:
        now = time.time() if now is None else now
        last = (contact or {}).get("last_inbound_at")
        closes = float(last) + WINDOW_SECONDS if last else None
        return {
            "open": bool(closes and closes > now),
            "last_customer_message_at": last,
            "closes_at": closes,
            "seconds_left": max(0, int(closes - now)) if closes else 0,
            "template_sent_at": (contact or {}).get("template_sent_at"),
        }

    async def check_reply(self, session_id: str) -> None:
        """Before an agent's reply: 409 ``whatsapp_window_closed`` when the session is a WhatsApp
        conversation whose 24-hour window has closed (the admin offers the template then)."""
        contact = await self.store.contact_of_session(session_id)
        if contact is None:
            return
        window = self.window(contact)
        if window["open"]:
            return
        raise Conflict(
            "the customer's 24-hour WhatsApp window has closed: only an approved template can be sent",
            code="whatsapp_window_closed",
            details={"window": window, "template": self.settings.whatsapp_template_name or None},
        )

    def template_message(self, agent_name: str | None) -> dict[str, Any]:
        values = {"agent_name": agent_name or "", "company_name": str(self.settings.company_name)}
        params = [
            str(p).replace("{agent_name}", values["agent_name"]).replace("{company_name}", values["company_name"])
            for p in self.settings.whatsapp_template_params or []
        ]
        template: dict[str, Any] = {
            "name": self.settings.whatsapp_template_name,
            "language": {"code": self.settings.whatsapp_template_lang},
        }
        if params:
            template["components"] = [{"type": "body", "parameters": [{"type": "text", "text": p} for p in params]}]
        return {"type": "template", "template": template}

    async def send_template(self, session_id: str, agent_name: str | None) -> dict[str, Any]:
        """Send the configured template to the session's number (to reopen the conversation)."""
        if not self.settings.whatsapp_template_name:
            raise Conflict("no WhatsApp template is configured (WHATSAPP_TEMPLATE_NAME)", code="whatsapp_no_template")
        contact = await self.store.contact_of_session(session_id)
        if contact is None:
            raise NotFound("this session is not a WhatsApp conversation", code="not_whatsapp")
        wa_id = str(contact["wa_id"])
        ids = await self.store.queue(wa_id, session_id, [("template", self.template_message(agent_name))])
        sent = await self.deliver(wa_id, ids[-1])
        await self.store.template_sent(wa_id, time.time())
        [row] = [m for m in await self.store.messages(session_id=session_id, limit=5) if m["id"] == ids[-1]]
        return {"sent": sent, "message": row}

    # -- agent replies --------------------------------------------------------------------------------
    async def deliver_agent_replies(self, *, recent_seconds: float = 900.0) -> int:
        """Send agent replies and hand-off notices not yet delivered; returns how many were sent."""
        sent = 0
        for row in await self.store.pending_turns(time.time() - recent_seconds):
            if not await self.store.claim_turn(row["wa_id"], row["id"]):
                continue
            if not self.window(row)["open"]:
                log.warning("whatsapp reply to %s not sent: the 24-hour window is closed", mask_number(row["wa_id"]))
                continue
            body = row["text"]
            files = (json.loads(row["meta"] or "{}") or {}).get("attachments") or []
            if files and _PLACEHOLDER.match(body):
                body = ""  # "(photo)": the photo itself says it
            if row["role"] == "agent" and row["sender_name"]:
                body = f"👤 {row['sender_name']}: {body}" if body else f"👤 {row['sender_name']}"
            if files:
                # Photos inline and PDFs as documents, the text as the first one's caption.
                messages = [
                    self._file_message(row["session_id"], item, body if index == 0 else "")
                    for index, item in enumerate(files)
                ]
            else:
                messages = [("text", text_message(p)) for p in split_text(body, BODY_LIMIT)]
            await self.send(row["wa_id"], row["session_id"], messages)
            sent += 1
        return sent

    @staticmethod
    def _file_message(session_id: str, item: dict[str, Any], caption: str) -> tuple[str, dict[str, Any]]:
        kind = "document" if item.get("kind") == "pdf" else "image"
        media: dict[str, Any] = {"attachment": {"session_id": session_id, "id": item["id"]}}
        if caption:
            media["caption"] = caption[:1024]
        return kind, {"type": kind, kind: media}

    async def delivery_loop(self, interval: float = 2.0) -> None:
        """Deliver agent replies every ``interval`` seconds, and at once when this process's event
        bus announces an agent message or a status change."""
        await run_delivery_loop(self.ctx.bus, self.deliver_agent_replies, interval, "whatsapp")
