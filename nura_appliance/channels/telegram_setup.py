"""Telegram channel wiring: the webhook blueprint, and at start-up (when a bot token and polling
or a webhook secret are set) ``ctx.telegram`` with its polling and delivery tasks."""

from __future__ import annotations

import logging
from typing import Protocol

from sanic import Sanic

from nura_appliance.channels.site import ChannelSite
from nura_appliance.channels.telegram import TelegramChannel
from nura_appliance.channels.telegram_routes import TelegramRuntime, bp, make_api
from nura_appliance.http import on_context
from nura_appliance.settings import Settings

log = logging.getLogger(__name__)


class TelegramSite(ChannelSite, Protocol):
    """What this feature uses of the app context (``context.AppContext`` satisfies it, checked by
    mypy in ``context.py``): what the channel reads (``ChannelSite``), and ``telegram`` set here."""

    @property
    def settings(self) -> Settings: ...

    telegram: TelegramRuntime | None


async def _start(app: Sanic, ctx: TelegramSite) -> None:
    settings = ctx.settings
    if not settings.telegram_bot_token:
        return
    if not (settings.telegram_poller_enabled or settings.telegram_webhook_secret):
        return
    poll = bool(settings.telegram_poller_enabled)
    if poll and settings.nura_database_url:
        # Scale-out runs several workers; each would poll and Telegram answers all but one with
        # 409. Exactly one `nura telegram` process polls there instead.
        log.error("TELEGRAM_POLLER_ENABLED is ignored with NURA_DATABASE_URL: run `nura telegram` once instead")
        poll = False
    runtime = TelegramRuntime(TelegramChannel(ctx, make_api(settings)))
    ctx.telegram = runtime
    runtime.start(poll=poll)


def setup(app: Sanic) -> None:
    on_context(app, _start)
    app.blueprint(bp)
