"""Running the WhatsApp channel: the webhook Meta calls, the admin's window/template routes and the
agent-reply delivery loop (``whatsapp_setup.py`` wires them and the ``whatsapp_send`` outbox job).

The channel is on when ``WHATSAPP_TOKEN``, ``WHATSAPP_PHONE_NUMBER_ID`` and
``WHATSAPP_APP_SECRET`` are set (``WHATSAPP_VERIFY_TOKEN`` too for Meta's address check).
"""

from __future__ import annotations

import asyncio
import hmac
import logging

from sanic import Blueprint, Request
from sanic import json as json_response
from sanic.response import HTTPResponse, text

from nura_appliance.auth.access import AGENT, PUBLIC, access
from nura_appliance.channels.whatsapp import WhatsAppChannel, signature_valid
from nura_appliance.channels.whatsapp_api import WhatsAppApi
from nura_appliance.errors import BadRequest, Forbidden, NotFound, Unauthorized
from nura_appliance.http import json_object
from nura_appliance.settings import Settings

log = logging.getLogger(__name__)
bp = Blueprint("whatsapp", url_prefix="/v1/whatsapp")
INBOUND_KEEP_SECONDS = 7 * 24 * 3600  # Meta redelivers for up to 7 days


def enabled(settings: Settings) -> bool:
    return bool(settings.whatsapp_token and settings.whatsapp_phone_number_id and settings.whatsapp_app_secret)


class WhatsAppRuntime:
    """The channel plus its delivery task, held in ``ctx.whatsapp``."""

    def __init__(self, channel: WhatsAppChannel) -> None:
        self.channel = channel
        self.tasks: list[asyncio.Task[None]] = []

    def start(self, *, delivery_interval: float = 2.0) -> None:
        self.tasks.append(asyncio.get_running_loop().create_task(self.channel.delivery_loop(delivery_interval)))

    def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        self.tasks.clear()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # the process is exiting and takes the connections with it
        self._closing = loop.create_task(self.channel.api.close())


def runtime_of(request: Request) -> WhatsAppRuntime:
    runtime = request.app.ctx.nura.whatsapp
    if runtime is None:
        raise NotFound("the WhatsApp channel is not enabled", code="whatsapp_disabled")
    return runtime


async def _limit_per_ip(request: Request) -> None:
    limits = request.app.ctx.nura.limits
    if limits is not None:
        await limits.check_public(request)


@bp.get("/webhook")
@access(PUBLIC)  # Meta's address check: answered only with the configured verify token
async def verify(request: Request) -> HTTPResponse:
    """Meta's webhook verification: `?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…` →
    the challenge as plain text; 403 for a wrong token.

    openapi:
    ---
    summary: WhatsApp webhook verification (hub.mode, hub.verify_token, hub.challenge)
    tags: [channels]
    """
    settings = request.app.ctx.nura.settings
    await _limit_per_ip(request)
    expected = str(settings.whatsapp_verify_token or "")
    if not expected or not enabled(settings):
        raise NotFound("the WhatsApp channel is not enabled", code="whatsapp_disabled")
    mode = request.args.get("hub.mode")
    token = request.args.get("hub.verify_token") or ""
    challenge = request.args.get("hub.challenge") or ""
    if mode != "subscribe" or not hmac.compare_digest(token.encode(), expected.encode()):
        raise Forbidden("wrong WhatsApp verify token", code="whatsapp_verify_token_invalid")
    if not challenge or len(challenge) > 200:
        raise BadRequest("'hub.challenge' is missing", code="missing_field", details={"field": "hub.challenge"})
    return text(challenge)


@bp.post("/webhook")
@access(PUBLIC)  # authenticated by X-Hub-Signature-256 over the raw body, checked below
async def webhook(request: Request) -> HTTPResponse:
    """WhatsApp Cloud API notifications (messages and delivery statuses), signed by Meta.

    openapi:
    ---
    summary: WhatsApp Cloud API webhook (X-Hub-Signature-256)
    tags: [channels]
    """
    runtime = runtime_of(request)
    settings = request.app.ctx.nura.settings
    signature = request.headers.get("x-hub-signature-256")
    if not signature_valid(str(settings.whatsapp_app_secret), request.body or b"", signature):
        # Signed calls are Meta's (limited per number); anyone else is limited per IP like the API.
        await _limit_per_ip(request)
        raise Unauthorized("missing or wrong X-Hub-Signature-256", code="whatsapp_signature_invalid")
    body = json_object(request)
    try:
        counts = await runtime.channel.handle_payload(body, request)
    except Exception:  # noqa: BLE001 - a 5xx makes Meta redeliver the whole batch for days
        log.exception("whatsapp webhook notification failed")
        counts = {}
    return json_response({"ok": True, **counts})


@bp.get("/sessions/<session_id:str>")
@access(AGENT)
async def session_window(request: Request, session_id: str) -> HTTPResponse:
    """A WhatsApp conversation for the agent: `{window: {open, closes_at, seconds_left,
    template_sent_at}, template, messages: [recent outbound with delivery status]}`."""
    channel = runtime_of(request).channel
    contact = await channel.store.contact_of_session(session_id)
    if contact is None:
        raise NotFound("this session is not a WhatsApp conversation", code="not_whatsapp")
    return json_response(
        {
            "session_id": session_id,
            "window": channel.window(contact),
            "template": channel.settings.whatsapp_template_name or None,
            "messages": await channel.store.messages(session_id=session_id, limit=20),
        }
    )


@bp.post("/sessions/<session_id:str>/template")
@access(AGENT)
async def send_template(request: Request, session_id: str) -> HTTPResponse:
    """Send the approved template (WHATSAPP_TEMPLATE_NAME) to a conversation whose 24-hour window
    has closed; `{agent_name?}` fills `{agent_name}` in WHATSAPP_TEMPLATE_PARAMS."""
    channel = runtime_of(request).channel
    body = json_object(request, required=False) if request.body else {}
    name = body.get("agent_name")
    if not isinstance(name, str) or not name.strip():
        principal = request.ctx.principal
        name = getattr(principal, "display_name", None) or getattr(principal, "username", None) or ""
    result = await channel.send_template(session_id, str(name).strip()[:80] or None)
    audit = request.app.ctx.nura.audit
    if audit is not None:
        principal = getattr(request.ctx, "principal", None)
        detail = {"template": channel.settings.whatsapp_template_name, "sent": result["sent"]}
        await audit.record(getattr(principal, "username", "admin"), "whatsapp.template", session_id, detail)
    return json_response({"ok": True, "session_id": session_id, **result})


def make_api(settings: Settings) -> WhatsAppApi:
    return WhatsAppApi(
        str(settings.whatsapp_token), str(settings.whatsapp_phone_number_id), str(settings.whatsapp_api_base)
    )
