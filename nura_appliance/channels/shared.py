"""What the messaging channels (Telegram, WhatsApp) share: the agent-reply delivery loop, the
remembered session looked up again, and the "talk to a person" request.

A channel delivers what agents wrote in the admin to its own customers: ``deliver`` runs one pass
over the conversations it owns. It runs every ``interval`` seconds (the timer covers replies made
in other processes) and at once when this process's event bus announces an agent message, a
status change or an assignment. One failed pass is logged and the loop goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from nura_appliance.conversation.sessions import SessionService
from nura_appliance.errors import Forbidden, NotFound, Unauthorized
from nura_appliance.storage.base import SessionRecord

log = logging.getLogger(__name__)

WAKE_EVENTS = frozenset({"agent_message", "status", "assignment"})

# ``await guard(session_id)``, bound to its channel: run by the hand-off and attachment routes for
# every guard in ``ctx.reply_guards`` before an agent's reply is stored; a channel that may refuse
# the reply (WhatsApp's 24-hour window: 409 ``whatsapp_window_closed``) raises.
ReplyGuard = Callable[[str], Awaitable[None]]


async def run_delivery_loop(bus: Any, deliver: Callable[[], Awaitable[Any]], interval: float, channel: str) -> None:
    """Call ``deliver`` forever: every ``interval`` seconds and whenever an agents' event arrives."""
    wake = asyncio.Event()

    async def listen() -> None:
        async for event in bus.subscribe("agents"):
            if event.type in WAKE_EVENTS:
                wake.set()

    listener = asyncio.get_running_loop().create_task(listen())
    try:
        while True:
            try:
                await deliver()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - one bad pass must not end delivery
                log.exception("%s agent-reply delivery failed", channel)
            try:
                await asyncio.wait_for(wake.wait(), timeout=interval)
            except TimeoutError:
                pass
            wake.clear()
    finally:
        listener.cancel()


async def authorized_or_none(
    sessions: SessionService, session_id: str | None, token: str | None
) -> SessionRecord | None:
    """The chat's remembered session when it still exists and its token holds; ``None`` when it is
    gone (restored backup, purged data) or the chat has none, so the caller starts a fresh one."""
    if not (session_id and token):
        return None
    try:
        return await sessions.authorize(session_id, token)
    except (NotFound, Forbidden, Unauthorized):
        return None


class HandoffRequests(Protocol):
    """``ctx.handoff`` (``handoff.service.HandoffService``, a feature above the channels) as a
    channel uses it: the agent button's hand-off."""

    async def request(
        self,
        session: SessionRecord | None,
        token: str,
        *,
        customer_id: str | None,
        channel: str,
        reason: str,
        lang: str | None,
    ) -> dict[str, Any]: ...


class PersonSite(Protocol):
    """What :func:`request_person` uses of the app context."""

    @property
    def sessions(self) -> SessionService: ...
    @property
    def handoff(self) -> HandoffRequests | None: ...


async def request_person(
    ctx: PersonSite, session_id: str | None, token: str | None, *, customer_id: str, channel: str, lang: str
) -> dict[str, Any] | None:
    """Hand the chat to a person through the hand-off service (the same queue as the web widget's
    agent button), in its live session or a new one. ``None`` when no hand-off service is installed:
    the channel then sends the request through the message pipeline instead."""
    handoff = ctx.handoff
    if handoff is None or not hasattr(handoff, "request"):
        return None
    session = await authorized_or_none(ctx.sessions, session_id, token)
    return await handoff.request(
        session,
        (token or "") if session is not None else "",  # a live session came with its token
        customer_id=customer_id,
        channel=channel,
        reason="button",
        lang=lang,
    )
