"""Knowledge gaps: questions the bot could not answer well, grouped by similar wording.

Signals: low confidence and out-of-scope answers (from intent classification), thumbs down on
a bot answer, and a hand-off requested right after a bot answer. A new gap joins the open group
whose representative question is most similar (normalised text: token overlap or character
similarity), else starts a group. Every recorder is idempotent per (message, reason), so a job
that runs twice records one gap.

The recorders run on a connection inside the caller's write transaction (a session command, a
job's write, the hand-off's resolve) and reach the rows through a :class:`GapStore`; the grouping
decision is made here, the same on both backends.
"""

from __future__ import annotations

import difflib
import time
import uuid
from collections.abc import Iterable
from typing import Any

from nura_appliance.analytics.metrics import ANSWER_SOURCES
from nura_appliance.knowledge.normalize import STOPWORDS, normalize
from nura_appliance.storage.base import GapQuery, GapRecord, GapStore, ReportFilters, Transaction

GAP_REASONS = ("low_confidence", "out_of_scope", "thumbs_down", "handoff_after_answer", "agent_resolved")
TOKEN_OVERLAP_MIN = 0.5
CHAR_SIMILARITY_MIN = 0.8
# A hand-off counts as "right after a bot answer" when it comes within this many seconds of it.
HANDOFF_AFTER_ANSWER_SECONDS = 600


def question_tokens(text: str) -> set[str]:
    return {w for w in normalize(text).split() if w not in STOPWORDS}


def similarity(a: str, b: str) -> float:
    """Similarity of two normalised questions in [0, 1]: the better of token overlap (Jaccard,
    stop words dropped) and character similarity (catches typos and inflections)."""
    ta, tb = question_tokens(a), question_tokens(b)
    jaccard = len(ta & tb) / len(ta | tb) if ta and tb else 0.0
    chars = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() if a and b else 0.0
    return max(jaccard, chars)


def similar_enough(a: str, b: str) -> bool:
    ta, tb = question_tokens(a), question_tokens(b)
    jaccard = len(ta & tb) / len(ta | tb) if ta and tb else 0.0
    if jaccard >= TOKEN_OVERLAP_MIN:
        return True
    return bool(a and b) and difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= CHAR_SIMILARITY_MIN


class GroupIndex:
    """The open groups' first questions, loaded once per write so that recording many gaps does
    not re-read them; cheap upper bounds skip most character comparisons."""

    def __init__(self, groups: Iterable[tuple[str, str]]) -> None:
        self.groups: list[tuple[str, str, set[str]]] = [(key, text, question_tokens(text)) for key, text in groups]

    @classmethod
    def load(cls, store: GapStore, conn: Transaction) -> GroupIndex:
        """The open groups as they are in the caller's write transaction."""
        return cls(store.open_groups_in(conn))

    def find(self, normalized: str) -> str | None:
        """The most similar open group, or None."""
        tokens = question_tokens(normalized)
        best, best_score = None, 0.0
        for key, text, group_tokens in self.groups:
            union = tokens | group_tokens
            jaccard = len(tokens & group_tokens) / len(union) if tokens and group_tokens else 0.0
            score = jaccard
            matcher = difflib.SequenceMatcher(None, normalized, text, autojunk=False)
            # real_quick_ratio and quick_ratio are upper bounds of ratio: compute it only if useful.
            if (
                normalized
                and text
                and matcher.real_quick_ratio() > max(best_score, CHAR_SIMILARITY_MIN - 1e-9)
                and matcher.quick_ratio() > max(best_score, CHAR_SIMILARITY_MIN - 1e-9)
            ):
                chars = matcher.ratio()
                if chars >= CHAR_SIMILARITY_MIN:
                    score = max(score, chars)
            if (jaccard >= TOKEN_OVERLAP_MIN or score >= CHAR_SIMILARITY_MIN) and score > best_score:
                best, best_score = key, score
        return best

    def add(self, group_key: str, normalized: str) -> None:
        self.groups.append((group_key, normalized, question_tokens(normalized)))


def find_group(store: GapStore, conn: Transaction, normalized: str) -> str | None:
    """The open group whose first question is most similar to ``normalized``."""
    return GroupIndex.load(store, conn).find(normalized)


def record_gap(
    store: GapStore,
    conn: Transaction,
    *,
    question: str,
    lang: str | None,
    reason: str,
    session_id: str | None,
    message_id: int | None,
    now: float | None = None,
    index: GroupIndex | None = None,
) -> int | None:
    """Insert one gap (in the caller's write transaction); None when it was already recorded."""
    if reason not in GAP_REASONS:
        raise ValueError(f"unknown gap reason {reason!r}")
    question = question.strip()
    if not question:
        return None
    if message_id is not None and store.recorded_in(conn, message_id, reason):
        return None
    normalized = normalize(question)
    index = index or GroupIndex.load(store, conn)
    group_key = index.find(normalized)
    if group_key is None:
        group_key = uuid.uuid4().hex[:16]
        index.add(group_key, normalized)
    gap = GapRecord(
        question[:2000], normalized[:2000], lang, reason, session_id, message_id, group_key, now or time.time()
    )
    return store.insert_in(conn, gap)


FEEDBACK_BATCH = 500


def collect_feedback_gaps(store: GapStore, conn: Transaction) -> int:
    """Turn new thumbs-down feedback into gaps (question = the customer message the answer was
    for), at most ``FEEDBACK_BATCH`` feedback rows per call so that one write transaction stays
    short. Remembers how far it scanned; returns how many feedback rows it scanned."""
    batch = store.feedback_after_in(conn, FEEDBACK_BATCH)
    if not batch:
        return 0
    index: GroupIndex | None = None
    for row in batch:
        if row["value"] != "down" or not row["customer_message"]:
            continue
        index = index or GroupIndex.load(store, conn)
        record_gap(
            store,
            conn,
            question=row["customer_message"],
            lang=row["lang"],
            reason="thumbs_down",
            session_id=row["session_id"],
            message_id=row["message_id"],
            index=index,
        )
    store.set_feedback_scanned_in(conn, int(batch[-1]["id"]))
    return len(batch)


async def collect_all_feedback_gaps(store: GapStore) -> None:
    """Collect thumbs-down gaps batch by batch until none is left; each batch is one short write,
    so that other writes interleave."""
    while await store.write(lambda conn: collect_feedback_gaps(store, conn)):
        pass


def record_handoff_gap(
    store: GapStore, conn: Transaction, session_id: str, message_id: int | None, at: float
) -> int | None:
    """A hand-off right after a bot answer: the question that answer was for is a gap."""
    last = store.last_exchange_in(conn, session_id, message_id)
    if last is None:
        return None
    if last["escalated"] or last["source"] not in ANSWER_SOURCES:
        return None
    if at - float(last["created_at"]) > HANDOFF_AFTER_ANSWER_SECONDS:
        return None
    return record_gap(
        store,
        conn,
        question=last["customer_message"],
        lang=last["lang"],
        reason="handoff_after_answer",
        session_id=session_id,
        message_id=last["bot_turn_id"],
    )


def propose_from_handoff(
    store: GapStore, conn: Transaction, session_id: str, article_id: str | None, before: float, now: float
) -> dict[str, Any] | None:
    """An agent resolved a hand-off and named the article that answers the customer (None: a new
    topic). The customer's last question before the hand-off that was not itself the request for a
    person becomes an open gap (reason ``agent_resolved``) proposing that article; an admin
    accepts it on the Knowledge gaps page, which adds it as an example question. Nothing is added
    to the knowledge here."""
    row = store.last_question_in(conn, session_id, before)
    if row is None or not (row["customer_message"] or "").strip():
        return None
    gap_id = record_gap(
        store,
        conn,
        question=row["customer_message"],
        lang=row["lang"],
        reason="agent_resolved",
        session_id=session_id,
        message_id=row["bot_turn_id"],
        now=now,
    )
    if gap_id is None:
        return None
    store.propose_article_in(conn, gap_id, article_id)
    return {"gap_id": gap_id, "question": row["customer_message"], "article_id": article_id}


async def gap_groups(
    store: GapStore,
    *,
    start: float | None = None,
    end: float | None = None,
    status: str | None = None,
    filters: ReportFilters | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Gaps grouped: one row per group with its first question, size, reasons and status."""
    query = GapQuery(start, end, status, filters or ReportFilters(), limit, offset)
    rows, total = await store.groups(query)
    groups = []
    for row in rows:
        reasons = sorted(set((row["reasons"] or "").split(","))) if row["reasons"] else []
        groups.append(
            {
                "group_id": row["first_id"],
                "question": row["question"],
                "lang": row["lang"],
                "count": row["count"],
                "reasons": reasons,
                "status": row["status"],
                # an agent named the article that answers this question (accept adds it as an example)
                "proposed_article": row["proposed_article"],
                "first_seen": row["first_seen"],
                "last_seen": row["last_seen"],
            }
        )
    return groups, total
