"""Jobs feature wiring: creates ``ctx.jobs`` (first in ``FEATURES``, so every later feature
registers its handlers in its own start-up hook), starts the in-process consumer after start-up
(unless ``JOB_WORKER_ENABLED=false``) and registers the failed-jobs route."""

from __future__ import annotations

import asyncio
from typing import Protocol

from sanic import Sanic

from nura_appliance.http import before_core
from nura_appliance.jobs.routes import bp
from nura_appliance.jobs.service import JobService, JobServiceSite
from nura_appliance.jobs.tasks import WEBHOOK_KIND, purge_done_jobs, run_webhook


class JobsSite(JobServiceSite, Protocol):
    """What this feature names of the app context (``context.AppContext`` satisfies it, checked by
    mypy in ``context.py``): what ``JobService`` uses (``JobServiceSite``), and ``jobs`` set here.
    Job handlers get the app context (with a thread-safe bus) as their ``ctx``, each typed as its
    own seam Protocol."""

    jobs: JobService | None


async def create_jobs(app: Sanic, ctx: JobsSite, parts: object) -> None:
    """Before the core (every feature that registers jobs may run before it); no core part here."""
    jobs = JobService(ctx)
    jobs.bind_loop(asyncio.get_running_loop())
    jobs.register(WEBHOOK_KIND, run_webhook)
    jobs.every(60, "nura.purge_done_jobs", purge_done_jobs)
    ctx.jobs = jobs


def setup(app: Sanic) -> None:
    app.blueprint(bp)
    before_core(app, create_jobs)  # every feature that registers jobs may run before the core

    @app.after_server_start
    async def start_consumer(app: Sanic) -> None:
        # After every feature's hook ran, so all handlers and periodic jobs are registered.
        ctx: JobsSite = app.ctx.nura
        wanted = getattr(app.ctx, "start_job_consumer", ctx.settings.job_worker_enabled)
        if wanted and ctx.jobs is not None:
            ctx.jobs.start_consumer(asyncio.get_running_loop())
