"""Lifecycle jobs: close abandoned bot sessions, flag hand-offs that wait too long.

Hand-off sessions (``pending_handoff``, ``human_active``) are never closed here: they stay open
until an agent resolves them. Both jobs are idempotent and safe to run from several processes.
They run as periodic jobs of the jobs feature when it offers periodic scheduling, else on a small
loop inside ``nura serve`` (``LIFECYCLE_INTERVAL_SECONDS``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

from nura_appliance.conversation.sessions import SessionService
from nura_appliance.jobs.service import JobBus
from nura_appliance.realtime.sse import AGENTS_CHANNEL
from nura_appliance.settings import Settings
from nura_appliance.storage.stores import Stores

log = logging.getLogger(__name__)


class LifecycleSite(Protocol):
    """What the lifecycle jobs use of the app context (as a job handler's ``ctx``, its bus may be
    the jobs feature's thread-safe one: a :class:`JobBus`)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def stores(self) -> Stores: ...
    @property
    def sessions(self) -> SessionService: ...
    @property
    def bus(self) -> JobBus: ...


async def expire_sessions(ctx: LifecycleSite, now: float | None = None) -> list[str]:
    """Close bot-only sessions idle longer than ``SESSION_IDLE_CLOSE_SECONDS``; returns their ids."""
    now = time.time() if now is None else now
    cutoff = now - ctx.settings.session_idle_close_seconds

    closed = await ctx.stores.handoff.close_idle(cutoff, now)
    for session in closed:
        # Re-cache rather than forget: a reader then sees 'closed' at once, with no store round trip
        # (the newer version replaces the cached one; a message committed meanwhile is newer still).
        await ctx.sessions.warm(session)
        ctx.bus.publish(
            f"session:{session.id}",
            "status",
            {
                "session_id": session.id,
                "status": "closed",
                "handoff_reason": session.handoff_reason,
                "assigned_agent": None,
            },
        )
    if closed:
        log.info("closed %d idle bot sessions", len(closed))
    return [s.id for s in closed]


async def flag_stale_pending(ctx: LifecycleSite, now: float | None = None) -> list[str]:
    """Flag sessions waiting for an agent longer than ``HANDOFF_PENDING_ALERT_SECONDS`` (once per
    hand-off); agents get a ``stale_pending`` event. Returns the flagged ids."""
    now = time.time() if now is None else now
    cutoff = now - ctx.settings.handoff_pending_alert_seconds

    rows = await ctx.stores.handoff.flag_stale(cutoff, now)
    for row in rows:
        ctx.bus.publish(
            AGENTS_CHANNEL,
            "stale_pending",
            {
                "session_id": row["id"],
                "handoff_reason": row["handoff_reason"],
                "waiting_s": round(now - row["handoff_at"], 1),
            },
        )
    return [r["id"] for r in rows]


async def run_lifecycle(ctx: LifecycleSite) -> None:
    await expire_sessions(ctx)
    await flag_stale_pending(ctx)


async def lifecycle_loop(ctx: LifecycleSite, interval: float) -> None:
    """The in-process scheduler used when no jobs service schedules the two jobs."""
    while True:
        await asyncio.sleep(interval)
        try:
            await run_lifecycle(ctx)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a failed round must not stop the next ones
            log.exception("session lifecycle jobs failed")
