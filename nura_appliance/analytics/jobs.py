"""Analytics job handlers: intent classification of each customer message, the knowledge-gap
signal of a hand-off right after a bot answer, and the periodic aggregate refresh."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from nura_appliance.analytics.gaps import record_gap, record_handoff_gap
from nura_appliance.analytics.metrics import confidence_bucket, is_knowledge_gap
from nura_appliance.conversation.signals import sentiment as word_sentiment
from nura_appliance.settings import Settings
from nura_appliance.storage.base import GapStore, InsightRecord, Transaction
from nura_appliance.storage.stores import Stores

if TYPE_CHECKING:  # annotations only: the composition root hands these in
    from nura_appliance.ai.service import LLMService
    from nura_appliance.conversation.pipeline import Pipeline
    from nura_appliance.jobs.service import JobService

log = logging.getLogger(__name__)

SENTIMENTS = ("positive", "neutral", "negative")
EXTRA_INTENTS = ("human_request", "smalltalk", "out_of_scope")


class GapJobSite(Protocol):
    """What :func:`handoff_gap` uses of the app context: the gap store."""

    @property
    def stores(self) -> Stores: ...


class ClassifySite(GapJobSite, Protocol):
    """What :func:`classify_message` uses of the app context: the LLM when there is one (called on
    the server's loop through ``jobs``), else the pipeline's article match."""

    @property
    def settings(self) -> Settings: ...
    @property
    def llm(self) -> LLMService | None: ...
    @property
    def jobs(self) -> JobService | None: ...
    @property
    def pipeline(self) -> Pipeline: ...


async def intent_labels(store: GapStore) -> list[str]:
    return await store.intent_categories() + list(EXTRA_INTENTS)


async def local_intent(pipeline: Pipeline, text: str, lang: str, kind: str | None) -> str:
    """Intent without an LLM: the category of the best-matching article in the knowledge pack."""
    if kind == "handoff":
        return "human_request"
    if kind == "rule":
        return "smalltalk"
    try:
        decision = await pipeline.decide(text, lang)
    except Exception:  # noqa: BLE001 - the matcher belongs to another feature; classify anyway
        log.exception("article matcher failed while classifying")
        return "out_of_scope"
    candidates = getattr(decision, "candidates", None) or []
    article_id = getattr(decision, "article_id", None) or (candidates[0].article_id if candidates else None)
    if not article_id or getattr(decision, "kind", "none") == "none":
        return "out_of_scope"
    article = await pipeline.article(article_id, getattr(decision, "version", None))
    return (article or {}).get("category") or "general"


def write_insight(
    store: GapStore,
    conn: Transaction,
    payload: dict[str, Any],
    *,
    intent: str,
    mood: str | None,
    classifier: str,
    message_id: int | None,
    now: float,
) -> None:
    """The ``message_insights`` row of one customer message (upserted, so a re-run changes
    nothing) plus a knowledge gap when the answer was weak."""
    text = str(payload.get("text") or "")
    lang = str(payload.get("lang") or "")
    confidence = payload.get("confidence")
    session_id = payload.get("session_id") or ""
    mood = mood or payload.get("sentiment") or word_sentiment(text)
    gap_reason = is_knowledge_gap(payload.get("kind"), confidence)
    store.write_insight_in(
        conn,
        InsightRecord(
            session_id=session_id,
            message_id=message_id,
            intent=intent,
            sentiment=mood,
            confidence_bucket=confidence_bucket(confidence),
            knowledge_gap=gap_reason is not None,
            classifier=classifier,
            lang=lang,
            created_at=now,
        ),
    )
    if gap_reason:
        record_gap(
            store,
            conn,
            question=text,
            lang=lang,
            reason=gap_reason,
            session_id=session_id or None,
            message_id=message_id,
            now=now,
        )


class InlineInsight:
    """The conversation service's insight writer: ``await insight(payload)`` gives the local
    classification of a customer message, to be written in the same transaction as the message
    itself; None when an LLM could classify it (the ``classify_message`` job does).

    The local method needs nothing the request has not already computed (the article tier's
    decision is remembered, the article is in memory), while the job cost as much database work
    as the message (outbox row, dispatch, claim, done): doing it inline halved the CPU per message
    (docs/PERFORMANCE.md)."""

    def __init__(self, settings: Settings, pipeline: Pipeline, llm: LLMService | None, store: GapStore) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.llm = llm  # the AI feature's service; None without the AI feature
        self.store = store

    async def __call__(self, payload: dict[str, Any]) -> Callable[[Any, int | None], None] | None:
        llm = self.llm
        if llm is not None and getattr(llm, "may_answer", lambda: True)():
            return None
        text = str(payload.get("text") or "")
        lang = str(payload.get("lang") or self.settings.default_lang)
        intent = await local_intent(self.pipeline, text, lang, payload.get("kind"))
        now = time.time()
        store = self.store

        def write(conn: Transaction, message_id: int | None) -> None:
            write_insight(
                store, conn, payload, intent=intent, mood=None, classifier="local", message_id=message_id, now=now
            )

        return write


async def classify_message(ctx: ClassifySite, payload: dict[str, Any]) -> None:
    """Outbox handler for ``classify_message``: the LLM's classification when one is available,
    else the local one (see :class:`InlineInsight`, which handles that case without a job)."""
    text = str(payload.get("text") or "")
    lang = str(payload.get("lang") or ctx.settings.default_lang)
    kind = payload.get("kind")
    message_id = payload.get("message_id")
    session_id = payload.get("session_id") or ""
    intent, mood, classifier = None, None, "local"
    llm = ctx.llm
    if llm is not None and text and getattr(llm, "may_answer", lambda: True)():
        try:
            labels = await intent_labels(ctx.stores.gaps)
            jobs = ctx.jobs
            # The LLM client lives on the server's loop; this handler may run in a consumer thread.
            call = llm.classify(text, lang, labels, session_id=session_id or None, message_id=message_id)
            result = await (jobs.on_server_loop(call) if jobs is not None else call)
        except Exception:  # noqa: BLE001 - an LLM outage falls back to the local classifier
            log.warning("LLM classification failed; using the local classifier", exc_info=True)
            result = None
        if isinstance(result, dict) and result.get("intent"):
            intent = str(result["intent"])[:80]
            mood = result.get("sentiment") if result.get("sentiment") in SENTIMENTS else None
            classifier = "llm"
    if intent is None:
        intent = await local_intent(ctx.pipeline, text, lang, kind)
    now = time.time()
    store: GapStore = ctx.stores.gaps
    await store.write(
        lambda conn: write_insight(
            store, conn, payload, intent=intent, mood=mood, classifier=classifier, message_id=message_id, now=now
        )
    )


async def handoff_gap(ctx: GapJobSite, payload: dict[str, Any]) -> None:
    """Outbox handler for ``handoff_started``: a hand-off right after a bot answer marks the
    question that answer was for as a knowledge gap."""
    session_id = payload.get("session_id")
    if not session_id:
        return
    message_id = payload.get("message_id")
    store: GapStore = ctx.stores.gaps

    def write(conn: Transaction) -> int | None:
        at = payload.get("at")
        if at is None and message_id is not None:
            # When the hand-off happened, not when this job runs.
            at = store.turn_time_in(conn, message_id)
        return record_handoff_gap(store, conn, session_id, message_id, float(at or time.time()))

    await store.write(write)
