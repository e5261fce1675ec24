"""The AI feature: ``/v1/ai/*`` (status, the AI switch, usage) and its start-up hook, which
builds the LLM service (``ctx.llm``) and installs the grounded answer tier as
``ctx.pipeline.retrieval``."""

from __future__ import annotations

import logging
import time
from typing import Any

from sanic import Blueprint, Request, Sanic
from sanic import json as json_response
from sanic.response import HTTPResponse

from nura_appliance.ai.grounded import GroundedAnswerTier
from nura_appliance.ai.service import LLMService
from nura_appliance.auth.access import ADMIN, VIEWER, access
from nura_appliance.http import int_arg, on_context

log = logging.getLogger(__name__)
bp = Blueprint("ai", url_prefix="/v1/ai")


def _llm(request: Request) -> LLMService:
    return request.app.ctx.nura.llm


def _actor(request: Request) -> str:
    principal = getattr(request.ctx, "principal", None)
    return getattr(principal, "username", None) or "api"


async def _audit(request: Request, action: str, detail: dict[str, Any]) -> None:
    audit = request.app.ctx.nura.audit
    if audit is not None:
        await audit.record(_actor(request), action, "ai", detail)


@bp.get("/status")
@access(VIEWER)
async def ai_status(request: Request) -> HTTPResponse:
    """Whether the AI switch is on, which provider would answer now and why, and each provider's
    health and circuit-breaker state."""
    return json_response(await _llm(request).status())


@bp.post("/enable")
@access(ADMIN)
async def ai_enable(request: Request) -> HTTPResponse:
    """Turn generated answers on (persisted; survives restarts)."""
    llm = _llm(request)
    await llm.set_enabled(True, _actor(request))
    await _audit(request, "ai.enable", {})
    return json_response({"ok": True, "enabled": True, **_brief(llm)})


@bp.post("/disable")
@access(ADMIN)
async def ai_disable(request: Request) -> HTTPResponse:
    """Turn generated answers off: extractive answers only, no customer text leaves the machine."""
    llm = _llm(request)
    await llm.set_enabled(False, _actor(request))
    await _audit(request, "ai.disable", {})
    return json_response({"ok": True, "enabled": False, **_brief(llm)})


@bp.get("/usage")
@access(VIEWER)
async def ai_usage(request: Request) -> HTTPResponse:
    """Token and cost ledger summary for the last ``days`` (default 30): totals, cost per session
    and per resolved session, by provider, purpose and outcome."""
    days = int_arg(request, "days", 30, 1, 3660)
    return json_response(await _llm(request).ledger.summary(time.time() - days * 86400))


def _brief(llm: LLMService) -> dict[str, Any]:
    active, reason = llm.decision()
    return {"active_provider": active, "reason": reason}


async def _attach(app: Sanic, ctx: Any) -> None:
    llm = LLMService(ctx.settings, ctx.stores.ai)
    ctx.llm = llm
    ctx.pipeline.retrieval = GroundedAnswerTier(ctx, llm)
    await llm.start()


async def _health(ctx: Any) -> dict[str, Any]:
    llm: LLMService | None = ctx.llm
    if llm is None:
        return {"ok": True, "detail": "AI feature not started"}
    active, reason = llm.decision()
    # Extractive answers keep working without an LLM, so a missing provider is not a failure.
    return {"ok": True, "enabled": llm.enabled, "active_provider": active, "reason": reason}


def setup(app: Sanic) -> None:
    app.blueprint(bp)
    on_context(app, _attach)
    checks = getattr(app.ctx, "health_checks", None)
    if checks is not None:
        checks["ai"] = _health

    @app.after_server_stop
    async def close_ai(app: Sanic) -> None:
        ctx = getattr(app.ctx, "nura", None)
        llm = ctx.llm if ctx is not None else None
        if llm is not None:
            await llm.aclose()
