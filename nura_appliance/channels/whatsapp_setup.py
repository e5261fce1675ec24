"""WhatsApp channel wiring: the webhook and admin blueprint, and at start-up (when the channel is
configured, see ``whatsapp_routes.enabled``) ``ctx.whatsapp``, its agent-reply guard, the
``whatsapp_send`` outbox job, the inbound clean-up and the health check."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, Protocol

from sanic import Sanic

from nura_appliance.channels.shared import ReplyGuard
from nura_appliance.channels.site import WhatsAppChannelSite
from nura_appliance.channels.whatsapp import WhatsAppChannel
from nura_appliance.channels.whatsapp_outbound import SEND_JOB
from nura_appliance.channels.whatsapp_routes import INBOUND_KEEP_SECONDS, WhatsAppRuntime, bp, enabled, make_api
from nura_appliance.health import register_check
from nura_appliance.http import on_context
from nura_appliance.settings import Settings
from nura_appliance.storage.stores import Stores

if TYPE_CHECKING:  # annotations only (a feature below this one)
    from nura_appliance.jobs.service import JobService

log = logging.getLogger(__name__)


class WhatsAppSite(WhatsAppChannelSite, Protocol):
    """What this feature uses of the app context (``context.AppContext`` satisfies it, checked by
    mypy in ``context.py``): read-only members as properties, ``whatsapp`` set here."""

    @property
    def settings(self) -> Settings: ...
    @property
    def stores(self) -> Stores: ...
    @property
    def jobs(self) -> JobService | None: ...
    @property
    def reply_guards(self) -> list[ReplyGuard]: ...

    whatsapp: WhatsAppRuntime | None


async def send_job(ctx: WhatsAppSite, payload: dict[str, Any]) -> None:
    """Outbox handler for ``whatsapp_send``: the number's waiting messages, on the server's loop
    (the HTTP client and the breaker live there). Raising makes the outbox retry with back-off."""
    runtime = ctx.whatsapp
    if runtime is None:
        raise RuntimeError("the WhatsApp channel is not running in this process")
    jobs = ctx.jobs
    work = runtime.channel.deliver(str(payload["wa_id"]), int(payload["up_to"]), from_job=True)
    if jobs is not None:
        await jobs.on_server_loop(work)
    else:
        await work


async def forget_old_inbound(ctx: WhatsAppSite) -> None:
    runtime = ctx.whatsapp
    if runtime is not None:
        await runtime.channel.store.forget_inbound_before(time.time() - INBOUND_KEEP_SECONDS)


async def _start(app: Sanic, ctx: WhatsAppSite) -> None:
    settings = ctx.settings
    if not enabled(settings):
        return
    runtime = WhatsAppRuntime(WhatsAppChannel(ctx, make_api(settings), ctx.stores.whatsapp))
    ctx.whatsapp = runtime
    # The hand-off routes call it before storing an agent's reply (409 outside the 24-hour window).
    ctx.reply_guards.append(runtime.channel.check_reply)
    jobs = ctx.jobs
    if jobs is not None:
        jobs.register(SEND_JOB, send_job)
        jobs.every(60, "whatsapp.forget_old_inbound", forget_old_inbound)
    runtime.start()
    log.info("whatsapp channel on (phone number id …%s)", str(settings.whatsapp_phone_number_id)[-4:])


async def _health(ctx: WhatsAppSite) -> dict[str, Any]:
    """``whatsapp`` in the detailed /v1/health: the Graph API's breaker and the outbound queue."""
    runtime = ctx.whatsapp
    if runtime is None:
        return {"ok": False, "error": "not running"}
    snap = runtime.channel.breaker.snapshot()
    counts = await runtime.channel.store.counts()
    return {
        "ok": snap.state == "closed",
        "breaker": snap.state,
        "last_error": snap.last_error,
        "waiting": counts.get("queued", 0) + counts.get("sending", 0),
        "failed": counts.get("failed", 0),
    }


def setup(app: Sanic) -> None:
    on_context(app, _start)
    app.blueprint(bp)
    if enabled(app.ctx.settings):
        register_check(app, "whatsapp", _health)
