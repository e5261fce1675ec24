"""Analytics feature wiring: ``ctx.analytics``, the insight writer the conversation service calls
for each customer message, the classification and gap jobs, and the dashboard and gap routes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from sanic import Sanic

from nura_appliance.analytics.jobs import InlineInsight, classify_message, handoff_gap
from nura_appliance.analytics.review import ReviewSite
from nura_appliance.analytics.routes import bp, gaps_bp
from nura_appliance.analytics.service import AnalyticsService
from nura_appliance.conversation.parts import CoreParts
from nura_appliance.http import before_core
from nura_appliance.settings import Settings
from nura_appliance.storage.stores import Stores

if TYPE_CHECKING:  # annotations only (features below this one)
    from nura_appliance.ai.service import LLMService
    from nura_appliance.jobs.service import JobService


class AnalyticsSite(ReviewSite, Protocol):
    """What this feature's hook names of the app context (``context.AppContext`` satisfies it,
    checked by mypy in ``context.py``): read-only members as properties, ``analytics`` set here.
    ``AnalyticsService`` takes it as its gap review's ``ReviewSite``."""

    @property
    def settings(self) -> Settings: ...
    @property
    def stores(self) -> Stores: ...
    @property
    def jobs(self) -> JobService | None: ...
    @property
    def llm(self) -> LLMService | None: ...

    analytics: AnalyticsService | None


async def create_analytics(app: Sanic, ctx: AnalyticsSite, parts: CoreParts) -> None:
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
