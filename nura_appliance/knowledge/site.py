"""What the knowledge feature uses of the app context, as seam Protocols (docs/DEVELOPING.md,
"Layers"): the feature names these instead of ``context.AppContext``, which sits above it; mypy
checks in ``context.py`` that the AppContext satisfies them.

The pipeline belongs to the conversation feature, above this one, so the knowledge routes see it
as :class:`AnswerPipeline` (``refresh``, ``answer`` and its matcher) and its answers as
:class:`TriedAnswer`."""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Any, Protocol

from sanic import Request

from nura_appliance.errors import ValidationFailed
from nura_appliance.knowledge.hybrid import HybridRetriever
from nura_appliance.knowledge.language import detect_with_hint
from nura_appliance.knowledge.retrieval import ArticleMatcher
from nura_appliance.languages import LANG_LIST, LANGS
from nura_appliance.paths import DataPaths
from nura_appliance.settings import Settings
from nura_appliance.storage.base import Database, KnowledgeStore
from nura_appliance.storage.stores import Stores

if TYPE_CHECKING:  # annotations only (both features are below this one or beside it)
    from nura_appliance.auth.audit import AuditService
    from nura_appliance.jobs.service import JobService

__all__ = [
    "AnswerPipeline",
    "IndexSite",
    "KnowledgeSite",
    "KnowledgeTasks",
    "ReindexTask",
    "TriedAnswer",
    "knowledge_site",
    "tried_text",
]


class TriedAnswer(Protocol):
    """What the routes read of the pipeline's answer (``conversation.pipeline.Answer``)."""

    @property
    def kind(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def response(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def article_id(self) -> str | None: ...
    @property
    def rule_id(self) -> str | None: ...
    @property
    def sources(self) -> list[dict[str, Any]]: ...
    @property
    def handoff_reason(self) -> str | None: ...


class AnswerPipeline(Protocol):
    """What the routes use of ``ctx.pipeline`` (``conversation.pipeline.Pipeline``): answer a try
    message, show the article tier's decision, take a knowledge change at once."""

    @property
    def matcher(self) -> ArticleMatcher: ...

    async def answer(self, text: str, lang: str, context: dict[str, Any] | None = None) -> TriedAnswer: ...

    async def refresh(self, force: bool = False) -> None: ...


class KnowledgeTasks:
    """Holds in-process ingestion tasks so they are not garbage-collected; cancelled at close."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()

    def add(self, task: asyncio.Task[Any]) -> None:
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()


class ReindexTask:
    """Keeps a background re-index task referenced; ``close`` cancels it at shut-down."""

    def __init__(self, task: asyncio.Task[Any]) -> None:
        self.task = task

    def close(self) -> None:
        if not self.task.done():
            self.task.cancel()


class IndexSite(Protocol):
    """What installing, re-indexing and ingesting knowledge use of the app context
    (``knowledge.service``, ``knowledge.ingest``; the CLI passes its context too): read-only
    members as properties, the fields they set as attributes."""

    @property
    def settings(self) -> Settings: ...
    @property
    def db(self) -> Database: ...
    @property
    def knowledge(self) -> KnowledgeStore: ...
    @property
    def stores(self) -> Stores: ...
    @property
    def matcher(self) -> ArticleMatcher: ...
    @property
    def ingest_stop(self) -> threading.Event: ...

    retriever: HybridRetriever | None
    knowledge_reindex: ReindexTask | None


class KnowledgeSite(IndexSite, Protocol):
    """What the knowledge routes, rules routes, ingestion job and start-up hook use of the app
    context besides :class:`IndexSite`."""

    @property
    def paths(self) -> DataPaths: ...
    @property
    def pipeline(self) -> AnswerPipeline: ...
    @property
    def jobs(self) -> JobService | None: ...
    @property
    def audit(self) -> AuditService | None: ...

    knowledge_tasks: KnowledgeTasks | None


def knowledge_site(request: Request) -> KnowledgeSite:
    site: KnowledgeSite = request.app.ctx.nura  # Sanic's ctx is untyped; the app keeps its context here
    return site


def tried_text(body: dict[str, Any], settings: Settings) -> tuple[str, str]:
    """The ``text`` of a try request (``POST /v1/knowledge/try``, ``/v1/knowledge/rules/test``)
    and the language it is answered in (its ``lang`` hint, checked, or the detected one)."""
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed("'text' is required", code="invalid_field", details={"field": "text"})
    if len(text) > settings.message_max_chars:
        raise ValidationFailed("'text' is too long", code="invalid_field", details={"field": "text"})
    hint = body.get("lang")
    if hint is not None and hint not in LANGS:
        raise ValidationFailed(f"'lang' must be one of {LANG_LIST}", code="invalid_field", details={"field": "lang"})
    return text, detect_with_hint(text, hint, settings.default_lang)
