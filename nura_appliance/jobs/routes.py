"""Jobs feature entry point: creates ``ctx.jobs``, starts the in-process consumer
after start-up (unless ``JOB_WORKER_ENABLED=false``), and serves the failed-jobs list."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from sanic import Blueprint, HTTPResponse, Request, Sanic
from sanic import json as json_response

from nura_appliance.auth.access import ADMIN, access
from nura_appliance.http import int_arg, on_context
from nura_appliance.jobs.service import JobService
from nura_appliance.jobs.tasks import WEBHOOK_KIND, purge_done_jobs, run_webhook

if TYPE_CHECKING:  # annotations only: the composition root sits above the features
    from nura_appliance.context import AppContext

bp = Blueprint("jobs", url_prefix="/v1/jobs")


@bp.get("/failed")
@access(ADMIN)
async def failed_jobs(request: Request) -> HTTPResponse:
    """Jobs that failed their last attempt: ``{jobs: [...], total}``."""
    jobs: JobService = request.app.ctx.nura.jobs
    limit = int_arg(request, "limit", 100, 0, 1000)
    offset = int_arg(request, "offset", 0, 0, 10_000_000)
    return json_response(await jobs.failed(limit=limit, offset=offset))


@bp.post("/<job_id:int>/retry")
@access(ADMIN)
async def retry_job(request: Request, job_id: int) -> HTTPResponse:
    """Put a failed job back in the queue with fresh attempts."""
    ctx = request.app.ctx.nura
    result = await ctx.jobs.retry(job_id)
    audit = ctx.audit
    principal = getattr(request.ctx, "principal", None)
    if audit is not None:
        await audit.record(getattr(principal, "username", "admin"), "job.retry", str(job_id), {"kind": result["kind"]})
    return json_response({"ok": True, **result})


async def create_jobs(app: Sanic, ctx: AppContext) -> None:
    jobs = JobService(ctx)
    jobs.bind_loop(asyncio.get_running_loop())
    jobs.register(WEBHOOK_KIND, run_webhook)
    jobs.every(60, "nura.purge_done_jobs", purge_done_jobs)
    ctx.jobs = jobs


def setup(app: Sanic) -> None:
    app.blueprint(bp)
    on_context(app, create_jobs)

    @app.after_server_start
    async def start_consumer(app: Sanic) -> None:
        # After every feature's hook ran, so all handlers and periodic jobs are registered.
        ctx: AppContext = app.ctx.nura
        wanted = getattr(app.ctx, "start_job_consumer", ctx.settings.job_worker_enabled)
        if wanted:
            ctx.jobs.start_consumer(asyncio.get_running_loop())
