"""``GET /v1/health``: status for everyone; per-component checks for admins (cached briefly so
frequent probes stay cheap). Features add checks with :func:`register_check`.

The components say where each store really is, in both modes: the database (SQLite file, or
PostgreSQL host, port, database and user — never a password), the cache (diskcache folder or
Redis) and the job queue (``jobs.db`` or Redis)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from sanic import Blueprint, Request, Sanic
from sanic import json as json_response
from sanic.response import HTTPResponse

from nura_appliance import __version__
from nura_appliance.auth.access import PUBLIC, ROLE_RANK, access
from nura_appliance.paths import DataPaths
from nura_appliance.settings import Settings
from nura_appliance.storage.base import Cache
from nura_appliance.storage.stores import Stores, describe_url, redis_prefix

__all__ = ["bp", "components", "describe_url", "register_check", "setup"]

bp = Blueprint("health", url_prefix="/v1")
# A check types its ``ctx`` as a seam Protocol of its own (the features' checks name their own
# services); the app context is handed to each.
Check = Callable[[Any], Awaitable[dict[str, Any]]]
_CACHE_SECONDS = 10.0


class QueueProbe(Protocol):
    """``ctx.jobs`` (``jobs.service.JobService``) as the queue check uses it."""

    def queue_description(self) -> dict[str, Any]: ...
    def queue_reachable(self) -> tuple[bool, str | None]: ...


class HealthSite(Protocol):
    """What the built-in checks use of the app context (``context.py`` checks the AppContext)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def stores(self) -> Stores: ...
    @property
    def paths(self) -> DataPaths: ...
    @property
    def cache(self) -> Cache: ...
    @property
    def jobs(self) -> QueueProbe | None: ...


def _where(url: str | None, local: dict[str, Any]) -> dict[str, Any]:
    """Where a store lives: kind, host, port, database (and user) for a URL, never its password;
    ``local`` for the built-in file-based store."""
    return describe_url(url) if url else local


async def _database(ctx: HealthSite) -> dict[str, Any]:
    migrations = await ctx.stores.health.migration_count()
    where = _where(ctx.settings.nura_database_url, {"kind": "sqlite", "path": str(ctx.paths.database)})
    return {"ok": True, **where, "migrations": migrations}


async def _cache(ctx: HealthSite) -> dict[str, Any]:
    await ctx.cache.set("health:probe", time.time(), ttl=60)
    url = ctx.settings.nura_redis_url
    where = _where(url, {"kind": "diskcache", "path": str(ctx.paths.cache)})
    if url:
        where["prefix"] = redis_prefix(ctx.settings)
    return {"ok": (await ctx.cache.get("health:probe")) is not None, **where}


async def _queue(ctx: HealthSite) -> dict[str, Any]:
    """The job queue this process hands work to, and whether it answers."""
    jobs = ctx.jobs
    if jobs is None:
        return {"ok": True, "backend": "none"}
    where = jobs.queue_description()
    ok, error = await asyncio.to_thread(jobs.queue_reachable)
    out = {"ok": ok, **where}
    if error:
        out["error"] = error
    return out


async def _knowledge(ctx: HealthSite) -> dict[str, Any]:
    count = await ctx.stores.health.article_count()
    return {"ok": count > 0, "articles": count}


def register_check(app: Sanic, name: str, check: Check) -> None:
    app.ctx.health_checks[name] = check


async def components(app: Sanic) -> dict[str, Any]:
    cached = getattr(app.ctx, "health_cached", None)
    if cached and time.monotonic() - cached[0] < _CACHE_SECONDS:
        return cached[1]
    ctx: object = app.ctx.nura  # handed to every check, each typed as its own site
    result: dict[str, Any] = {}
    for name, check in app.ctx.health_checks.items():
        try:
            result[name] = await check(ctx)
        except Exception as exc:  # noqa: BLE001 - a failing component is reported, not raised
            result[name] = {"ok": False, "error": str(exc)[:200]}
    app.ctx.health_cached = (time.monotonic(), result)
    return result


@bp.get("/health")
@access(PUBLIC)
async def health(request: Request) -> HTTPResponse:
    """Liveness for everyone; component checks with admin credentials."""
    principal = request.ctx.principal
    body: dict[str, Any] = {"status": "ok", "version": __version__}
    if principal is not None and ROLE_RANK.get(principal.role, 0) >= ROLE_RANK["admin"]:
        checks = await components(request.app)
        body["components"] = checks
        if not all(c.get("ok") for c in checks.values()):
            body["status"] = "degraded"
    return json_response(body)


def setup(app: Sanic) -> None:
    app.ctx.health_checks = {"database": _database, "cache": _cache, "queue": _queue, "knowledge": _knowledge}
    app.blueprint(bp)
