"""Jobs routes: the failed-jobs list and retry (the wiring is in ``jobs/setup.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sanic import Blueprint, HTTPResponse, Request
from sanic import json as json_response

from nura_appliance.auth.access import ADMIN, access
from nura_appliance.http import int_arg
from nura_appliance.jobs.service import JobService

if TYPE_CHECKING:  # annotations only: the composition root sits above the features
    pass

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
