"""AI feature wiring: the LLM service (``ctx.llm``), the grounded answer tier as the pipeline's
retrieval tier (contributed before the core is built), the health check and the admin routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sanic import Sanic

from nura_appliance.ai.grounded import GroundedAnswerTier
from nura_appliance.ai.routes import bp
from nura_appliance.ai.service import LLMService
from nura_appliance.conversation.parts import CoreParts
from nura_appliance.http import before_core
from nura_appliance.knowledge.hybrid import HybridRetriever
from nura_appliance.settings import Settings
from nura_appliance.storage.base import SessionStore
from nura_appliance.storage.bus import EventBus
from nura_appliance.storage.stores import Stores


class AiSite(Protocol):
    """What this feature's hook and health check use of the app context: ``llm`` is set here."""

    @property
    def settings(self) -> Settings: ...
    @property
    def stores(self) -> Stores: ...
    @property
    def bus(self) -> EventBus: ...
    @property
    def sessions_store(self) -> SessionStore: ...
    @property
    def retriever(self) -> HybridRetriever | None: ...

    llm: LLMService | None


async def _attach(app: Sanic, ctx: AiSite, parts: CoreParts) -> None:
    llm = LLMService(ctx.settings, ctx.stores.ai)
    ctx.llm = llm
    retriever = ctx.retriever  # the knowledge feature (earlier in FEATURES) built it, or None

    def grounded_tier(scope_message: Callable[[str], str]) -> GroundedAnswerTier:
        """The pipeline's retrieval tier; the pipeline calls this once, in its constructor."""
        return GroundedAnswerTier(
            ctx.settings,
            llm,
            passages=ctx.stores.passages,
            bus=ctx.bus,
            sessions_store=ctx.sessions_store,
            retriever=retriever,
            scope_message=scope_message,
        )

    parts.retrieval = grounded_tier
    await llm.start()


async def _health(ctx: AiSite) -> dict[str, Any]:
    llm = ctx.llm
    if llm is None:
        return {"ok": True, "detail": "AI feature not started"}
    active, reason = llm.decision()
    # Extractive answers keep working without an LLM, so a missing provider is not a failure.
    return {"ok": True, "enabled": llm.enabled, "active_provider": active, "reason": reason}


def setup(app: Sanic) -> None:
    app.blueprint(bp)
    before_core(app, _attach)
    checks = getattr(app.ctx, "health_checks", None)
    if checks is not None:
        checks["ai"] = _health

    @app.after_server_stop
    async def close_ai(app: Sanic) -> None:
        ctx = getattr(app.ctx, "nura", None)
        llm = ctx.llm if ctx is not None else None
        if llm is not None:
            await llm.aclose()
