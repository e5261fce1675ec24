"""``GET /v1/health``: status for everyone; per-component checks for admins (cached briefly so
frequent probes stay cheap). Features add checks with :func:`register_check`."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from sanic import Blueprint, Request, Sanic
from sanic import json as json_response
from sanic.response import HTTPResponse

from nura_appliance import __version__
from nura_appliance.auth.access import PUBLIC, ROLE_RANK, access

bp = Blueprint("health", url_prefix="/v1")
Check = Callable[[Any], Awaitable[dict[str, Any]]]
_CACHE_SECONDS = 10.0


async def _database(ctx: Any) -> dict[str, Any]:
    row = await ctx.db.fetchone("SELECT count(*) AS n FROM schema_migrations")
    return {"ok": True, "migrations": row["n"] if row else 0, "path": str(ctx.paths.database)}


async def _cache(ctx: Any) -> dict[str, Any]:
    await ctx.cache.set("health:probe", time.time(), ttl=60)
    return {"ok": (await ctx.cache.get("health:probe")) is not None}


async def _knowledge(ctx: Any) -> dict[str, Any]:
    row = await ctx.db.fetchone("SELECT count(*) AS n FROM articles")
    count = row["n"] if row else 0
    return {"ok": count > 0, "articles": count}


def register_check(app: Sanic, name: str, check: Check) -> None:
    app.ctx.health_checks[name] = check


async def components(app: Sanic) -> dict[str, Any]:
    cached = getattr(app.ctx, "health_cached", None)
    if cached and time.monotonic() - cached[0] < _CACHE_SECONDS:
        return cached[1]
    ctx = app.ctx.nura
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
    app.ctx.health_checks = {"database": _database, "cache": _cache, "knowledge": _knowledge}
    app.blueprint(bp)
