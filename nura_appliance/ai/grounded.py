"""The grounded answer tier (``ctx.pipeline.retrieval``): retrieve, compress, ask the LLM with
numbered context and conversation memory, guard the answer, fall back to an extractive answer.

Returns None when nothing relevant was retrieved, so the pipeline answers with the scope message.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import apsw

from nura_appliance.ai.guard import check_answer, content_terms, extract_answer, pick_passage
from nura_appliance.ai.prompts import Passage, build_messages, compress, memory_messages
from nura_appliance.ai.service import LLMService
from nura_appliance.conversation.pipeline import Answer
from nura_appliance.knowledge.normalize import normalize

log = logging.getLogger(__name__)
_LINK_TIMEOUT = 30.0
_SYSTEM_OVERHEAD_TOKENS = 250
# Share of the question's content words a passage must contain. The retriever's score is rank-based
# (reciprocal rank fusion) and vector search always returns neighbours, so a high score alone does
# not mean the passage is about the question; this lexical floor is the "nothing relevant" decision.
_MIN_COVERAGE = 0.3


def passage_from_hit(hit: Any) -> Passage:
    """A retriever ``Hit`` (see the contracts: kind, ref, title, text, score, tier, doc) as a Passage."""
    return Passage(
        kind=str(getattr(hit, "kind", "chunk")),
        ref=str(getattr(hit, "ref", "")),
        title=str(getattr(hit, "title", "") or ""),
        text=str(getattr(hit, "text", "") or ""),
        score=float(getattr(hit, "score", 0.0) or 0.0),
        doc=getattr(hit, "doc", None),
        tier=getattr(hit, "tier", None),
    )


async def lexical_passages(db: Any, text: str, k: int) -> list[Passage]:
    """Fallback search over handbook chunks in ``kb_fts`` for when no retriever service is
    registered: score = share of the question's content words found in the chunk."""
    words = list(dict.fromkeys(content_terms(text)))
    if not words:
        return []
    query = " OR ".join(f'"{w}"' for w in words)

    def run(conn: apsw.Connection) -> list[dict[str, Any]]:
        return list(
            conn.execute(
                "SELECT f.ref, f.text AS norm, c.text, c.heading, d.path FROM kb_fts f"
                " JOIN handbook_chunks c ON c.id = CAST(f.ref AS INTEGER)"
                " JOIN handbook_docs d ON d.id = c.doc_id"
                " WHERE kb_fts MATCH ? AND f.kind = 'chunk' ORDER BY bm25(kb_fts) LIMIT ?",
                (query, k * 3),
            )
        )

    try:
        rows = await db.read(run)
    except Exception:  # noqa: BLE001 - a malformed FTS query is "nothing found", not an error
        log.exception("lexical handbook search failed")
        return []
    passages = []
    wanted = set(words)
    for row in rows:
        found = set(content_terms(row["norm"])) | set(normalize(row["norm"]).split())
        score = len(wanted & found) / len(wanted)
        passages.append(
            Passage(
                "chunk",
                str(row["ref"]),
                row["heading"] or "",
                row["text"],
                round(score, 3),
                doc=row["path"],
                tier="fts",
            )
        )
    passages.sort(key=lambda p: p.score, reverse=True)
    return passages[:k]


class GroundedAnswerTier:
    """Implements ``RetrievalTier.answer(text, lang, context) -> Answer | None``."""

    def __init__(self, ctx: Any, llm: LLMService) -> None:
        self.ctx = ctx
        self.llm = llm
        self.settings = ctx.settings

    async def retrieve(self, text: str, lang: str) -> list[Passage]:
        k = self.settings.rag_top_k
        retriever = self.ctx.services.get("retriever")
        if retriever is not None:
            hits = await retriever.search(text, lang, k=k)
            passages = [passage_from_hit(h) for h in hits]
        else:
            passages = await lexical_passages(self.ctx.db, text, k)
        wanted = set(content_terms(text))
        relevant = []
        for passage in passages:
            if passage.score < self.settings.rag_min_score or not passage.text.strip():
                continue
            if wanted:
                found = set(content_terms(f"{passage.title} {passage.text}"))
                if len(wanted & found) / len(wanted) < _MIN_COVERAGE:
                    continue
            relevant.append(passage)
        return relevant

    def _budget(self) -> int:
        budget = self.settings.llm_context_tokens
        for provider in self.llm.usable():
            n_ctx = getattr(provider, "n_ctx", None)
            if n_ctx:
                # The prompt must leave room for the instructions, memory and the answer.
                budget = min(budget, n_ctx - self.settings.llm_max_tokens - _SYSTEM_OVERHEAD_TOKENS - 400)
        return max(100, budget)

    async def answer(self, text: str, lang: str, context: dict[str, Any]) -> Answer | None:
        session = context.get("session")
        session_id = getattr(session, "id", None)
        try:
            found = await self.retrieve(text, lang)
        except Exception:  # noqa: BLE001 - a broken retriever must not cost a 500; the pipeline goes on
            log.exception("retrieval failed")
            return None
        if not any(p.kind == "chunk" for p in found):
            # Articles alone were already judged by the article tier (answer / ambiguous / none);
            # re-answering from them here would overrule its calibrated decision.
            return None
        passages = compress(found, self._budget())
        if not any(p.kind == "chunk" for p in passages):
            return None
        extractive = self._extractive(text, lang, passages)
        if not self.llm.usable():
            return extractive

        memory: list[dict[str, str]] = []
        if session_id and self.settings.llm_memory_turns:
            try:
                memory = memory_messages(
                    await self.ctx.sessions_store.recent_turns(session_id, self.settings.llm_memory_turns)
                )
            except Exception:  # noqa: BLE001 - memory is an aid, not a requirement
                log.exception("loading conversation memory failed")
        scope = self.ctx.pipeline.scope_message(lang)
        messages = build_messages(
            question=text,
            lang=lang,
            passages=passages,
            memory=memory,
            company=self.settings.company_name,
            agent=self.settings.agent_name,
            scope=scope,
        )
        stream = _TokenStream(self.ctx.bus, session_id) if session_id and self.settings.llm_stream else None
        try:
            outcome = await self.llm.chat(
                messages,
                purpose="chat",
                session_id=session_id,
                on_token=stream.push if stream else None,
                on_restart=stream.restart if stream else None,
            )
        except Exception:  # noqa: BLE001 - providers raise ProviderError; anything else is a bug, not a 500
            log.exception("the LLM call failed unexpectedly; answering extractively")
            outcome = None
        if outcome is None:
            if stream:
                stream.finish(accepted=False)
            return extractive
        result, row_id = outcome
        verdict = check_answer(
            result.text, result.finish_reason, lang, passages, scope, min_overlap=self.settings.llm_min_overlap
        )
        if stream:
            stream.finish(accepted=verdict.ok)
        label = "answered" if verdict.ok else "declined" if verdict.declined else f"rejected:{verdict.reason}"
        if row_id:
            await self._settle_ledger(row_id, label, session_id)
        if verdict.declined:
            return None
        if not verdict.ok:
            log.info("guard rejected the %s answer (%s); answering extractively", result.provider, verdict.reason)
            return extractive
        cited = [p for p in passages if p.n in verdict.cited] or passages[:1]
        provider = next((p for p in self.llm.providers if p.name == result.provider), None)
        confidence = min(0.95, 0.6 * max(p.score for p in cited) + 0.4 * verdict.overlap)
        return Answer(
            "rag",
            verdict.text,
            provider.source if provider else result.provider,
            round(confidence, 3),
            lang,
            sources=[p.source() for p in cited],
            source_doc=cited[0].doc or cited[0].title,
        )

    def _extractive(self, text: str, lang: str, passages: list[Passage]) -> Answer | None:
        best = pick_passage([p for p in passages if p.kind == "chunk"], lang)
        if best is None:
            return None
        body = extract_answer(text, best)
        if not body:
            return None
        return Answer(
            "rag",
            body,
            "rag",
            round(min(0.9, best.score), 3),
            lang,
            sources=[best.source()],
            source_doc=best.doc or best.title,
        )

    async def _settle_ledger(self, row_id: int, label: str, session_id: str | None) -> None:
        try:
            await self.llm.ledger.set_outcome(row_id, label)
        except Exception:  # noqa: BLE001 - bookkeeping only
            log.exception("updating the ledger outcome failed")
        if session_id:
            self._link_when_persisted(session_id, [row_id])

    def _link_when_persisted(self, session_id: str, row_ids: list[int]) -> None:
        """The bot message id exists only after the conversation service persists the turn, which
        it announces as a ``message`` event on the session channel: link the ledger rows then."""
        channel = f"session:{session_id}"
        try:
            buffered = self.ctx.bus.replay(channel, 0)
        except Exception:  # noqa: BLE001 - a bus without replay only loses the message link
            log.debug("event bus replay failed", exc_info=True)
            buffered = []
        after = buffered[-1].id if buffered else 0

        async def link() -> None:
            try:
                async with asyncio.timeout(_LINK_TIMEOUT):
                    async for event in self.ctx.bus.subscribe(channel, after_id=after):
                        message = event.data.get("message") if event.type == "message" else None
                        if message and message.get("role") == "bot" and message.get("id"):
                            await self.llm.ledger.link_message(row_ids, int(message["id"]))
                            return
            except TimeoutError:
                log.debug("no persisted answer for session %s within %.0f s", session_id, _LINK_TIMEOUT)
            except Exception:  # noqa: BLE001 - bookkeeping only
                log.exception("linking ledger rows to the message failed")

        self.llm._spawn(link())


class _TokenStream:
    """Publishes generated tokens as ``token`` events on the session's SSE channel.

    Tokens are provisional: the final ``done`` event says whether the streamed text was accepted
    by the guard; the persisted ``message`` event that follows is the answer of record. Tokens are
    sent in small batches: the channel's replay buffer (for ``Last-Event-ID`` resumes) holds a
    fixed number of events, and one event per token would push the messages out of it."""

    BATCH_TOKENS = 8

    def __init__(self, bus: Any, session_id: str) -> None:
        self.bus = bus
        self.session_id = session_id
        self.channel = f"session:{session_id}"
        self.stream_id = uuid.uuid4().hex[:12]
        self.index = 0
        self.pending: list[str] = []

    def push(self, delta: str) -> None:
        self.pending.append(delta)
        if len(self.pending) >= self.BATCH_TOKENS or "\n" in delta:
            self._flush()

    def _flush(self) -> None:
        if not self.pending:
            return
        self.bus.publish(
            self.channel,
            "token",
            {
                "session_id": self.session_id,
                "stream_id": self.stream_id,
                "index": self.index,
                "delta": "".join(self.pending),
            },
        )
        self.pending = []
        self.index += 1

    def restart(self) -> None:
        """A fallback provider takes over: the widget drops what it showed so far."""
        if self.index or self.pending:
            self.bus.publish(
                self.channel, "token", {"session_id": self.session_id, "stream_id": self.stream_id, "reset": True}
            )
        self.stream_id = uuid.uuid4().hex[:12]
        self.index = 0
        self.pending = []

    def finish(self, *, accepted: bool) -> None:
        self._flush()
        if self.index:
            self.bus.publish(
                self.channel,
                "token",
                {"session_id": self.session_id, "stream_id": self.stream_id, "done": True, "accepted": accepted},
            )
