"""The AI feature's routes: ``/v1/ai/*`` (status, the AI switch, usage); the wiring (the LLM
service and the grounded answer tier) is in ``ai/setup.py``."""

from __future__ import annotations

import logging
import time
from typing import Any

from sanic import Blueprint, Request
from sanic import json as json_response
from sanic.response import HTTPResponse

from nura_appliance.ai.service import LLMService
from nura_appliance.auth.access import ADMIN, VIEWER, access
from nura_appliance.http import int_arg

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
