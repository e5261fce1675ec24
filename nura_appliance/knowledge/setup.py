"""Knowledge feature wiring: the embedder and ``ctx.retriever`` at start-up, the knowledge and rules
routes, and stopping a running ingest at shut-down."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sanic import Sanic

from nura_appliance.http import before_core
from nura_appliance.knowledge import rules_routes
from nura_appliance.knowledge.ingest import stop_event
from nura_appliance.knowledge.routes import INGEST_JOB, bp, run_ingest_job
from nura_appliance.knowledge.service import install_knowledge
from nura_appliance.knowledge.site import KnowledgeSite

if TYPE_CHECKING:  # annotations only
    from types import SimpleNamespace

    from sanic.config import Config

    App = Sanic[Config, SimpleNamespace]  # what Sanic("nura") is: the default config and ctx


async def _on_context(app: App, ctx: KnowledgeSite, parts: object) -> None:
    """Before the core: the embedder goes to the article matcher the pipeline is built with, and
    the AI feature builds its retrieval tier with ``ctx.retriever``. This feature contributes no
    core part (``parts`` is the root's ``CoreParts``, unused here)."""
    await install_knowledge(ctx)
    jobs = ctx.jobs
    if jobs is not None:
        jobs.register(INGEST_JOB, run_ingest_job)


def setup(app: App) -> None:
    app.blueprint(bp)
    app.blueprint(rules_routes.bp)  # /v1/knowledge/rules: the admin's rules editor
    before_core(app, _on_context)

    @app.before_server_stop
    async def stop_ingests(app: App) -> None:
        """SIGTERM: a running ingest stops at its next step instead of holding the process."""
        ctx = getattr(app.ctx, "nura", None)
        if ctx is not None:
            stop_event(ctx).set()
