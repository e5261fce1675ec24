"""Jobs routes: the failed-jobs list and retry (the wiring is in ``jobs/setup.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from sanic import Blueprint, HTTPResponse, Request
from sanic import json as json_response

from nura_appliance.auth.access import ADMIN, access
from nura_appliance.http import int_arg
from nura_appliance.jobs.service import JobService

if TYPE_CHECKING:  # annotations only (a feature below this one)
    from nura_appliance.auth.audit import AuditService


class RetrySite(Protocol):
    """What the retry route uses of the app context (``context.py`` checks the AppContext)."""

    @property
    def jobs(self) -> JobService | None: ...
    @property
    def audit(self) -> AuditService | None: ...


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
    ctx: RetrySite = request.app.ctx.nura  # Sanic's ctx is untyped; the app keeps its context here
    jobs = ctx.jobs
    if jobs is None:  # this blueprint is the jobs feature's, registered with it
        raise RuntimeError("the jobs feature is not set up (ctx.jobs)")
    result = await jobs.retry(job_id)
    audit = ctx.audit
    principal = getattr(request.ctx, "principal", None)
    if audit is not None:
        await audit.record(getattr(principal, "username", "admin"), "job.retry", str(job_id), {"kind": result["kind"]})
    return json_response({"ok": True, **result})
