"""The agent-reply delivery loop the messaging channels (Telegram, WhatsApp) share.

A channel delivers what agents wrote in the admin to its own customers: ``deliver`` runs one pass
over the conversations it owns. It runs every ``interval`` seconds (the timer covers replies made
in other processes) and at once when this process's event bus announces an agent message, a
status change or an assignment. One failed pass is logged and the loop goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

WAKE_EVENTS = frozenset({"agent_message", "status", "assignment"})


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
