"""Running the Telegram channel (wired by ``telegram_setup.py``): the webhook route, the long-polling loop (inside ``nura serve``
with ``TELEGRAM_POLLER_ENABLED``, or standalone as ``nura telegram``) and agent-reply delivery.

Only one of polling and webhook may be active for a bot (Telegram answers getUpdates with 409
while a webhook is set), and only one process should poll.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Protocol

from sanic import Blueprint, Request
from sanic import json as json_response
from sanic.response import HTTPResponse

from nura_appliance.auth.access import PUBLIC, access
from nura_appliance.channels.telegram import TelegramChannel
from nura_appliance.channels.telegram_api import TelegramApi, TelegramError
from nura_appliance.errors import NotFound, Unauthorized
from nura_appliance.http import json_object
from nura_appliance.settings import Settings

log = logging.getLogger(__name__)
bp = Blueprint("telegram", url_prefix="/v1/telegram")
POLL_TIMEOUT = 25


class TelegramPoller:
    """``getUpdates`` long polling; the next offset is stored so a restart neither skips nor
    repeats updates (repeats are also caught by the channel's update-id check)."""

    def __init__(self, channel: TelegramChannel, *, poll_timeout: int = POLL_TIMEOUT, idle_wait: float = 5.0) -> None:
        self.channel = channel
        self.poll_timeout = poll_timeout
        self.idle_wait = idle_wait

    async def _offset(self) -> int | None:
        return await self.channel.store.offset()

    async def _save_offset(self, offset: int) -> None:
        await self.channel.store.save_offset(offset)

    async def poll_once(self) -> int:
        """Fetch one batch and answer it; returns the number of updates handled."""
        offset = await self._offset()
        updates = await self.channel.api.get_updates(offset, self.poll_timeout)
        for update in updates:
            try:
                await self.channel.handle_update(update)
            except Exception:  # noqa: BLE001 - one bad update must not stop the bot
                log.exception("telegram update %s failed", update.get("update_id"))
            if isinstance(update.get("update_id"), int):
                await self._save_offset(update["update_id"] + 1)
        return len(updates)

    async def run(self) -> None:
        while True:
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except TelegramError as exc:
                if exc.code == 401 or exc.code == 404:
                    log.error("telegram poller stopped: the bot token was refused (%s)", exc.description)
                    return
                if exc.code == 409:
                    log.error(
                        "telegram getUpdates conflict (a webhook is set or another poller runs): %s", exc.description
                    )
                    await asyncio.sleep(max(self.idle_wait, 30.0))
                else:
                    log.warning("telegram poll failed: %s", exc)
                    await asyncio.sleep(self.idle_wait)
            except Exception:  # noqa: BLE001 - keep polling after unexpected failures
                log.exception("telegram poll failed")
                await asyncio.sleep(self.idle_wait)


class TelegramRuntime:
    """The channel plus its background tasks, held in ``ctx.telegram``."""

    def __init__(self, channel: TelegramChannel) -> None:
        self.channel = channel
        self.tasks: list[asyncio.Task[None]] = []

    def start(self, *, poll: bool, poll_timeout: int = POLL_TIMEOUT, delivery_interval: float = 2.0) -> None:
        loop = asyncio.get_running_loop()
        if poll:
            self.tasks.append(loop.create_task(TelegramPoller(self.channel, poll_timeout=poll_timeout).run()))
        self.tasks.append(loop.create_task(self.channel.delivery_loop(delivery_interval)))

    def stop_tasks(self) -> list[asyncio.Task[None]]:
        """Cancel polling and delivery (the channel itself stays usable); returns the cancelled
        tasks, which may still be finishing an await (see ``stop``)."""
        tasks, self.tasks = self.tasks, []
        for task in tasks:
            task.cancel()
        return tasks

    async def stop(self) -> None:
        """Cancel polling and delivery and wait until they have ended, so no request of theirs
        is still in flight (a long poll would otherwise take updates meant for another poller)."""
        await asyncio.gather(*self.stop_tasks(), return_exceptions=True)

    def close(self) -> None:
        self.stop_tasks()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop left: the process is exiting and takes the connections with it
        self._closing = loop.create_task(self.channel.api.close())


def make_api(settings: Settings) -> TelegramApi:
    return TelegramApi(settings.telegram_bot_token, settings.telegram_api_base)


class TelegramWebhookSite(Protocol):
    """What the webhook route reads of the app context: the settings (the secret) and the runtime
    this feature's hook sets (``telegram_setup.TelegramSite``, which imports this module)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def telegram(self) -> TelegramRuntime | None: ...


@bp.post("/webhook/<secret:str>")
@access(PUBLIC)  # authenticated by the secret path and Telegram's secret-token header, checked below
async def webhook(request: Request, secret: str) -> HTTPResponse:
    """Telegram webhook: one update per call.

    openapi:
    ---
    summary: Telegram Bot API webhook (secret path and X-Telegram-Bot-Api-Secret-Token header)
    tags: [channels]
    """
    ctx: TelegramWebhookSite = request.app.ctx.nura  # Sanic's ctx is untyped; the app keeps its context here
    runtime = ctx.telegram
    expected = str(ctx.settings.telegram_webhook_secret or "")
    if runtime is None or not expected:
        raise NotFound("the Telegram webhook is not enabled", code="telegram_disabled")
    header = request.headers.get("x-telegram-bot-api-secret-token", "")
    # Both must match: the path keeps the route unguessable, the header proves it is Telegram.
    path_ok = hmac.compare_digest(secret.encode(), expected.encode())
    header_ok = hmac.compare_digest(header.encode(), expected.encode())
    if not (path_ok and header_ok):
        raise Unauthorized("wrong Telegram webhook secret", code="telegram_secret_invalid")
    update = json_object(request)
    try:
        await runtime.channel.handle_update(update)
    except Exception:  # noqa: BLE001 - a 5xx would make Telegram redeliver the same update forever
        log.exception("telegram webhook update %s failed", update.get("update_id"))
    return json_response({"ok": True})


def webhook_address(public_base_url: str, secret: str) -> str:
    """The URL Telegram posts updates to: the public base URL plus the secret path."""
    return f"{public_base_url.rstrip('/')}/v1/telegram/webhook/{secret}"
