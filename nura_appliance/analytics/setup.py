"""Analytics feature wiring: ``ctx.analytics``, the insight writer the conversation service calls
for each customer message, the classification and gap jobs, and the dashboard and gap routes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sanic import Sanic

from nura_appliance.analytics.jobs import InlineInsight, classify_message, handoff_gap
from nura_appliance.analytics.routes import bp, gaps_bp
from nura_appliance.analytics.service import AnalyticsService
from nura_appliance.http import before_core

if TYPE_CHECKING:  # annotations only: the composition root sits above the features
    from nura_appliance.context import AppContext, CoreParts


async def create_analytics(app: Sanic, ctx: AppContext, parts: CoreParts) -> None:
    """Before the core: the insight writer is a constructor argument of the conversation service."""
    service = AnalyticsService(ctx)
    ctx.analytics = service
    jobs = ctx.jobs
    if jobs is not None:
        jobs.register("classify_message", classify_message)
        # Local classification is written with the message itself; only LLM classification waits
        # for a job.
        llm, gaps = ctx.llm, ctx.stores.gaps  # the AI feature (earlier in FEATURES) built llm, or None
        parts.insight = lambda pipeline: InlineInsight(ctx.settings, pipeline, llm, gaps)
        jobs.register("handoff_started", handoff_gap)
        jobs.every(5, "nura.analytics_refresh", service.refresh_job)


def setup(app: Sanic) -> None:
    app.blueprint(bp)
    app.blueprint(gaps_bp)
    before_core(app, create_analytics)
