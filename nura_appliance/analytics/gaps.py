"""Knowledge gaps: questions the bot could not answer well, grouped by similar wording.

Signals: low confidence and out-of-scope answers (from intent classification), thumbs down on
a bot answer, and a hand-off requested right after a bot answer. A new gap joins the open group
whose representative question is most similar (normalised text: token overlap or character
similarity), else starts a group. Every recorder is idempotent per (message, reason), so a job
that runs twice records one gap.
"""

from __future__ import annotations

import difflib
import time
import uuid
from typing import Any

import apsw

from nura_appliance.analytics.metrics import ANSWER_SOURCES
from nura_appliance.knowledge.normalize import STOPWORDS, normalize

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

    def __init__(self, conn: apsw.Connection) -> None:
        self.groups: list[tuple[str, str, set[str]]] = [
            (row["group_key"], row["normalized"], question_tokens(row["normalized"]))
            for row in conn.execute(
                "SELECT group_key, normalized FROM knowledge_gaps WHERE id IN"
                " (SELECT min(id) FROM knowledge_gaps WHERE status = 'open' GROUP BY group_key) LIMIT 5000"
            )
        ]

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


def find_group(conn: apsw.Connection, normalized: str) -> str | None:
    """The open group whose first question is most similar to ``normalized``."""
    return GroupIndex(conn).find(normalized)


def record_gap(
    conn: apsw.Connection,
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
    if (
        message_id is not None
        and conn.execute(
            "SELECT 1 FROM knowledge_gaps WHERE message_id = ? AND reason = ?", (message_id, reason)
        ).fetchall()
    ):
        return None
    normalized = normalize(question)
    index = index or GroupIndex(conn)
    group_key = index.find(normalized)
    if group_key is None:
        group_key = uuid.uuid4().hex[:16]
        index.add(group_key, normalized)
    conn.execute(
        "INSERT INTO knowledge_gaps (question, normalized, lang, reason, session_id, message_id, group_key, status,"
        " created_at) VALUES (?,?,?,?,?,?,?, 'open', ?)",
        (question[:2000], normalized[:2000], lang, reason, session_id, message_id, group_key, now or time.time()),
    )
    return conn.last_insert_rowid()


FEEDBACK_BATCH = 500


def collect_feedback_gaps(conn: apsw.Connection) -> int:
    """Turn new thumbs-down feedback into gaps (question = the customer message the answer was
    for), at most ``FEEDBACK_BATCH`` feedback rows per call so that one write transaction stays
    short. Remembers how far it scanned; returns how many feedback rows it scanned."""
    rows = conn.execute("SELECT value FROM analytics_state WHERE key = 'feedback_scanned_id'").fetchall()
    scanned = int(rows[0]["value"]) if rows else 0
    batch = conn.execute(
        "SELECT f.id, f.value, f.session_id, f.message_id, c.customer_message, c.lang FROM message_feedback f"
        " LEFT JOIN conversation_logs c ON c.bot_turn_id = f.message_id WHERE f.id > ? ORDER BY f.id LIMIT ?",
        (scanned, FEEDBACK_BATCH),
    ).fetchall()
    if not batch:
        return 0
    index: GroupIndex | None = None
    for row in batch:
        if row["value"] != "down" or not row["customer_message"]:
            continue
        index = index or GroupIndex(conn)
        record_gap(
            conn,
            question=row["customer_message"],
            lang=row["lang"],
            reason="thumbs_down",
            session_id=row["session_id"],
            message_id=row["message_id"],
            index=index,
        )
    conn.execute(
        "INSERT INTO analytics_state (key, value) VALUES ('feedback_scanned_id', ?) ON CONFLICT (key)"
        " DO UPDATE SET value = excluded.value",
        (str(batch[-1]["id"]),),
    )
    return len(batch)


def record_handoff_gap(conn: apsw.Connection, session_id: str, message_id: int | None, at: float) -> int | None:
    """A hand-off right after a bot answer: the question that answer was for is a gap."""
    params: list[Any] = [session_id]
    clause = ""
    if message_id is not None:
        clause = " AND coalesce(customer_turn_id, 0) < ?"
        params.append(message_id)
    rows = conn.execute(
        "SELECT customer_message, lang, source, escalated, bot_turn_id, created_at FROM conversation_logs"
        f" WHERE session_id = ?{clause} ORDER BY id DESC LIMIT 1",
        params,
    ).fetchall()
    if not rows:
        return None
    last = rows[0]
    if last["escalated"] or last["source"] not in ANSWER_SOURCES:
        return None
    if at - float(last["created_at"]) > HANDOFF_AFTER_ANSWER_SECONDS:
        return None
    return record_gap(
        conn,
        question=last["customer_message"],
        lang=last["lang"],
        reason="handoff_after_answer",
        session_id=session_id,
        message_id=last["bot_turn_id"],
    )


def propose_from_handoff(
    conn: apsw.Connection, session_id: str, article_id: str | None, before: float, now: float
) -> dict[str, Any] | None:
    """An agent resolved a hand-off and named the article that answers the customer (None: a new
    topic). The customer's last question before the hand-off that was not itself the request for a
    person becomes an open gap (reason ``agent_resolved``) proposing that article; an admin
    accepts it on the Knowledge gaps page, which adds it as an example question. Nothing is added
    to the knowledge here."""
    rows = conn.execute(
        "SELECT customer_message, lang, bot_turn_id FROM conversation_logs WHERE session_id = ? AND created_at <= ?"
        " AND escalated = 0 AND coalesce(source, '') <> 'rules' ORDER BY id DESC LIMIT 1",
        (session_id, before),
    ).fetchall()
    if not rows or not (rows[0]["customer_message"] or "").strip():
        return None
    row = rows[0]
    gap_id = record_gap(
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
    conn.execute("UPDATE knowledge_gaps SET article_id = ? WHERE id = ?", (article_id, gap_id))
    return {"gap_id": gap_id, "question": row["customer_message"], "article_id": article_id}


def gap_groups(
    conn: apsw.Connection,
    *,
    start: float | None = None,
    end: float | None = None,
    status: str | None = None,
    lang: str | None = None,
    channel: str | None = None,
    session_filter: tuple[str, dict[str, Any]] | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Gaps grouped: one row per group with its first question, size, reasons and status."""
    where = ["1 = 1"]
    params: dict[str, Any] = {}
    if start is not None:
        where.append("g.created_at >= :start")
        params["start"] = start
    if end is not None:
        where.append("g.created_at < :end")
        params["end"] = end
    if lang:
        where.append("g.lang = :lang")
        params["lang"] = lang
    if channel:
        where.append("g.session_id IN (SELECT id FROM sessions WHERE channel = :channel)")
        params["channel"] = channel
    if session_filter:
        where.append(session_filter[0].replace("{session}", "g.session_id"))
        params.update(session_filter[1])
    grouped = (
        "SELECT g.group_key, min(g.id) AS first_id, max(g.id) AS last_id, count(*) AS count,"
        " group_concat(DISTINCT g.reason) AS reasons, sum(g.status = 'open') AS open_count,"
        " max(CASE WHEN g.reason = 'agent_resolved' AND g.status = 'open' THEN g.article_id END)"
        " AS proposed_article,"
        " min(g.created_at) AS first_seen, max(g.created_at) AS last_seen"
        f" FROM knowledge_gaps g WHERE {' AND '.join(where)} GROUP BY g.group_key"
    )
    # A group is open while any of its gaps is open; else it has its newest gap's status.
    sql = (
        "SELECT x.*, f.question, f.lang, CASE WHEN x.open_count > 0 THEN 'open' ELSE l.status END AS status"
        f" FROM ({grouped}) x JOIN knowledge_gaps f ON f.id = x.first_id JOIN knowledge_gaps l ON l.id = x.last_id"
    )
    if status:
        sql = f"SELECT * FROM ({sql}) WHERE status = :status"
        params["status"] = status
    total = conn.execute(f"SELECT count(*) AS n FROM ({sql})", params).fetchall()[0]["n"]
    rows = conn.execute(
        f"{sql} ORDER BY count DESC, last_seen DESC, first_id LIMIT :limit OFFSET :offset",
        {**params, "limit": limit, "offset": offset},
    ).fetchall()
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


def group_members(conn: apsw.Connection, gap_id: int) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The gap ``gap_id`` and the open gaps of its group (including itself when open)."""
    rows = conn.execute("SELECT * FROM knowledge_gaps WHERE id = ?", (gap_id,)).fetchall()
    if not rows:
        return None, []
    gap = rows[0]
    members = conn.execute(
        "SELECT * FROM knowledge_gaps WHERE group_key = ? AND status = 'open' ORDER BY id", (gap["group_key"],)
    ).fetchall()
    return gap, members
