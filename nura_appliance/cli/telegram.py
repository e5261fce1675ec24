"""``nura telegram``: the Telegram bot in a process of its own (long polling, or registering the
webhook), with the same services ``nura serve`` builds."""

from __future__ import annotations

import asyncio

from nura_appliance.app import create_app, start_context
from nura_appliance.channels.telegram import TelegramChannel
from nura_appliance.channels.telegram_routes import POLL_TIMEOUT, TelegramPoller, make_api, webhook_address
from nura_appliance.settings import Settings


async def _standalone(settings: Settings, *, once: bool, webhook_url: str | None) -> None:
    secret = str(settings.telegram_webhook_secret or "")
    # The same services `nura serve` builds (hand-off, retrieval, AI…), without an HTTP listener.
    # Jobs are left to the server's consumer; this process only enqueues them.
    settings = settings.replace(TELEGRAM_POLLER_ENABLED=False, TELEGRAM_WEBHOOK_SECRET="", JOB_WORKER_ENABLED=False)
    ctx = await start_context(create_app(settings), settings)
    try:
        api = make_api(settings)
        channel = TelegramChannel(ctx, api)
        if webhook_url:
            await api.set_webhook(webhook_address(webhook_url, secret), secret)
            return
        poller = TelegramPoller(channel, poll_timeout=0 if once else POLL_TIMEOUT)
        if once:
            await poller.poll_once()
            await channel.deliver_agent_replies()
            return
        delivery = asyncio.get_running_loop().create_task(channel.delivery_loop())
        try:
            await poller.run()
        finally:
            delivery.cancel()
    finally:
        ctx.close()


def run_standalone(settings: Settings, *, once: bool = False, webhook_url: str | None = None) -> None:
    """``nura telegram``: poll in this process until interrupted; with ``webhook_url`` (the
    server's public base URL) register the webhook with Telegram instead and return."""
    asyncio.run(_standalone(settings, once=once, webhook_url=webhook_url))
