"""Hand-off feature wiring: its three blueprints, its service (which starts hand-offs for the
conversation service) and its jobs (the escalation webhook and the periodic lifecycle)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from sanic import Sanic

from nura_appliance.conversation.parts import CoreParts
from nura_appliance.handoff import customer, routes, routes_desk, transcript_routes
from nura_appliance.handoff.lifecycle import expire_sessions, flag_stale_pending, lifecycle_loop
from nura_appliance.handoff.service import HandoffService
from nura_appliance.handoff.site import HandoffSite
from nura_appliance.handoff.webhook import deliver_handoff_webhook
from nura_appliance.http import before_core

if TYPE_CHECKING:  # annotations only
    from types import SimpleNamespace

    from sanic.config import Config

    App = Sanic[Config, SimpleNamespace]  # what Sanic("nura") is: the default config and ctx


def _wire_jobs(ctx: HandoffSite) -> int | None:
    """Register the webhook handler and the periodic lifecycle jobs with the jobs service; returns
    the interval of the in-process lifecycle loop to run instead when no consumer in this process
    schedules them (no jobs feature, or ``JOB_WORKER_ENABLED=false``), else None.

    Runs once, in this feature's start-up hook: the jobs feature comes earlier in ``FEATURES``, so
    its service exists by then when it is set up at all."""
    interval = ctx.settings.lifecycle_interval_seconds
    if ctx.jobs is None:
        return interval
    ctx.jobs.register("handoff_started", deliver_handoff_webhook, name="handoff.escalation_webhook")
    minutes = max(1, interval // 60)
    ctx.jobs.every(minutes, "handoff.expire_sessions", expire_sessions)
    ctx.jobs.every(minutes, "handoff.flag_stale_pending", flag_stale_pending)
    return None if ctx.settings.job_worker_enabled else interval


async def _attach(app: App, ctx: HandoffSite, parts: CoreParts) -> None:
    """Before the core: the hand-off service is the conversation service's hand-off starter (in
    place of the core's basic one)."""
    service = HandoffService(
        ctx.settings,
        store=ctx.stores.handoff,
        gaps=ctx.stores.gaps,
        bus=ctx.bus,
        sessions=ctx.sessions,
        sessions_store=ctx.sessions_store,
        users=ctx.users,  # the auth feature (earlier in FEATURES) built it, or None
    )
    ctx.handoff = service
    ctx.handoff_limiter = customer.WindowLimiter()
    parts.handoff = service
    app.ctx.handoff_lifecycle_interval = _wire_jobs(ctx)


def setup(app: App) -> None:
    app.blueprint(routes.bp)
    app.blueprint(routes_desk.bp)  # the desk endpoints share this feature's service
    app.blueprint(transcript_routes.bp)  # transcript exports (CSV, JSON, printable HTML)
    before_core(app, _attach)

    @app.after_server_start
    async def start_lifecycle(app: App) -> None:
        ctx = getattr(app.ctx, "nura", None)
        if ctx is None or ctx.handoff is None:
            return
        interval = getattr(app.ctx, "handoff_lifecycle_interval", None)
        if interval:
            ctx.handoff.lifecycle_task = asyncio.get_running_loop().create_task(
                lifecycle_loop(ctx, interval), name="handoff_lifecycle"
            )
