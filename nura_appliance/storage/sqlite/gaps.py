"""Knowledge gaps and message insights on SQLite (see :class:`~nura_appliance.storage.base.GapStore`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from nura_appliance.storage.base import GapQuery, GapRecord, InsightRecord, ReportFilters, Transaction
from nura_appliance.storage.sqlite.db import Connection, Database, own

T = TypeVar("T")

_INSERT_GAP = (
    "INSERT INTO knowledge_gaps (question, normalized, lang, reason, session_id, message_id, group_key, status,"
    " created_at) VALUES (?,?,?,?,?,?,?, 'open', ?)"
)
_INSIGHT = (
    "INSERT INTO message_insights (session_id, message_id, intent, sentiment, confidence_bucket,"
    " knowledge_gap, classifier, lang, created_at) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (message_id)"
    " DO UPDATE SET intent = excluded.intent, sentiment = excluded.sentiment,"
    " confidence_bucket = excluded.confidence_bucket, knowledge_gap = excluded.knowledge_gap,"
    " classifier = excluded.classifier, lang = excluded.lang"
)
_FEEDBACK = (
    "SELECT f.id, f.value, f.session_id, f.message_id, c.customer_message, c.lang FROM message_feedback f"
    " LEFT JOIN conversation_logs c ON c.bot_turn_id = f.message_id"
    " WHERE f.id > coalesce((SELECT CAST(value AS INTEGER) FROM analytics_state"
    " WHERE key = 'feedback_scanned_id'), 0) ORDER BY f.id LIMIT ?"
)


def session_filter(column: str, filters: ReportFilters) -> tuple[list[str], dict[str, Any]]:
    """Conditions that keep rows whose session ``column`` the agent handled or whose outcome has
    the issue category (``:agent``, ``:category``)."""
    parts: list[str] = []
    params: dict[str, Any] = {}
    if filters.agent:
        parts.append(
            f"{column} IN (SELECT id FROM sessions WHERE assigned_agent = :agent"
            " UNION SELECT session_id FROM session_outcomes WHERE resolved_by = :agent)"
        )
        params["agent"] = filters.agent
    if filters.issue_category:
        parts.append(f"{column} IN (SELECT session_id FROM session_outcomes WHERE issue_category = :category)")
        params["category"] = filters.issue_category
    return parts, params


def groups_sql(query: GapQuery) -> tuple[str, dict[str, Any]]:
    where = ["1 = 1"]
    params: dict[str, Any] = {}
    if query.start is not None:
        where.append("g.created_at >= :start")
        params["start"] = query.start
    if query.end is not None:
        where.append("g.created_at < :end")
        params["end"] = query.end
    filters = query.filters
    if filters.lang:
        where.append("g.lang = :lang")
        params["lang"] = filters.lang
    if filters.channel:
        where.append("g.session_id IN (SELECT id FROM sessions WHERE channel = :channel)")
        params["channel"] = filters.channel
    parts, extra = session_filter("g.session_id", filters)
    where += parts
    params.update(extra)
    grouped = (
        "SELECT g.group_key, min(g.id) AS first_id, max(g.id) AS last_id, count(*) AS count,"
        " group_concat(DISTINCT g.reason) AS reasons, sum(g.status = 'open') AS open_count,"
        " max(CASE WHEN g.reason = 'agent_resolved' AND g.status = 'open' THEN g.article_id END)"
        " AS proposed_article, min(g.created_at) AS first_seen, max(g.created_at) AS last_seen"
        f" FROM knowledge_gaps g WHERE {' AND '.join(where)} GROUP BY g.group_key"
    )
    # A group is open while any of its gaps is open; else it has its newest gap's status.
    sql = (
        "SELECT x.*, f.question, f.lang, CASE WHEN x.open_count > 0 THEN 'open' ELSE l.status END AS status"
        f" FROM ({grouped}) x JOIN knowledge_gaps f ON f.id = x.first_id JOIN knowledge_gaps l ON l.id = x.last_id"
    )
    if query.status:
        sql = f"SELECT * FROM ({sql}) WHERE status = :status"
        params["status"] = query.status
    return sql, params


class SqliteGapStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def write(self, fn: Callable[[Any], T]) -> T:
        return await self.db.write(fn)

    # -- inside the caller's write ---------------------------------------------------------------
    @staticmethod
    def open_groups_in(conn: Transaction, limit: int = 5000) -> list[tuple[str, str]]:
        conn = own(conn)
        rows = conn.execute(
            "SELECT group_key, normalized FROM knowledge_gaps WHERE id IN"
            " (SELECT min(id) FROM knowledge_gaps WHERE status = 'open' GROUP BY group_key) ORDER BY id LIMIT ?",
            (limit,),
        )
        return [(row["group_key"], row["normalized"]) for row in rows]

    @staticmethod
    def recorded_in(conn: Transaction, message_id: int, reason: str) -> bool:
        conn = own(conn)
        return bool(
            conn.execute(
                "SELECT 1 FROM knowledge_gaps WHERE message_id = ? AND reason = ?", (message_id, reason)
            ).fetchall()
        )

    @staticmethod
    def insert_in(conn: Transaction, gap: GapRecord) -> int:
        conn = own(conn)
        conn.execute(_INSERT_GAP, gap.row_values())
        return int(conn.last_insert_rowid())

    @staticmethod
    def propose_article_in(conn: Transaction, gap_id: int, article_id: str | None) -> None:
        conn = own(conn)
        conn.execute("UPDATE knowledge_gaps SET article_id = ? WHERE id = ?", (article_id, gap_id))

    @staticmethod
    def feedback_after_in(conn: Transaction, limit: int) -> list[dict[str, Any]]:
        conn = own(conn)
        return list(conn.execute(_FEEDBACK, (limit,)))

    @staticmethod
    def set_feedback_scanned_in(conn: Transaction, feedback_id: int) -> None:
        conn = own(conn)
        conn.execute(
            "INSERT INTO analytics_state (key, value) VALUES ('feedback_scanned_id', ?) ON CONFLICT (key)"
            " DO UPDATE SET value = excluded.value",
            (str(feedback_id),),
        )

    @staticmethod
    def last_exchange_in(conn: Transaction, session_id: str, before_turn: int | None) -> dict[str, Any] | None:
        conn = own(conn)
        params: list[Any] = [session_id]
        clause = ""
        if before_turn is not None:
            clause = " AND coalesce(customer_turn_id, 0) < ?"
            params.append(before_turn)
        rows = conn.execute(
            "SELECT customer_message, lang, source, escalated, bot_turn_id, created_at FROM conversation_logs"
            f" WHERE session_id = ?{clause} ORDER BY id DESC LIMIT 1",
            params,
        ).fetchall()
        return dict(rows[0]) if rows else None

    @staticmethod
    def last_question_in(conn: Transaction, session_id: str, before: float) -> dict[str, Any] | None:
        conn = own(conn)
        rows = conn.execute(
            "SELECT customer_message, lang, bot_turn_id FROM conversation_logs WHERE session_id = ?"
            " AND created_at <= ? AND escalated = 0 AND coalesce(source, '') <> 'rules' ORDER BY id DESC LIMIT 1",
            (session_id, before),
        ).fetchall()
        return dict(rows[0]) if rows else None

    @staticmethod
    def turn_time_in(conn: Transaction, turn_id: int) -> float | None:
        conn = own(conn)
        rows = conn.execute("SELECT created_at FROM chat_turns WHERE id = ?", (turn_id,)).fetchall()
        return float(rows[0]["created_at"]) if rows else None

    @staticmethod
    def write_insight_in(conn: Transaction, insight: InsightRecord) -> None:
        conn = own(conn)
        conn.execute(_INSIGHT, insight.row_values())

    # -- on their own ----------------------------------------------------------------------------
    async def groups(self, query: GapQuery) -> tuple[list[dict[str, Any]], int]:
        sql, params = groups_sql(query)

        def run(conn: Connection) -> tuple[list[dict[str, Any]], int]:
            total = conn.execute(f"SELECT count(*) AS n FROM ({sql})", params).fetchall()[0]["n"]
            rows = conn.execute(
                f"{sql} ORDER BY count DESC, last_seen DESC, first_id LIMIT :limit OFFSET :offset",
                {**params, "limit": query.limit, "offset": query.offset},
            ).fetchall()
            return [dict(row) for row in rows], int(total)

        return await self.db.read(run)

    async def members(self, gap_id: int) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        def run(conn: Connection) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
            rows = conn.execute("SELECT * FROM knowledge_gaps WHERE id = ?", (gap_id,)).fetchall()
            if not rows:
                return None, []
            members = conn.execute(
                "SELECT * FROM knowledge_gaps WHERE group_key = ? AND status = 'open' ORDER BY id",
                (rows[0]["group_key"],),
            ).fetchall()
            return dict(rows[0]), [dict(m) for m in members]

        return await self.db.read(run)

    async def close(
        self,
        gap_ids: Sequence[int],
        status: str,
        reviewer: str,
        at: float,
        *,
        answer: str | None = None,
        article_id: str | None = None,
    ) -> int:
        ids = list(gap_ids)
        if not ids:
            return 0

        def run(conn: Connection) -> int:
            marks = ", ".join("?" for _ in ids)
            conn.execute(
                "UPDATE knowledge_gaps SET status = ?, answer = coalesce(?, answer),"
                " article_id = coalesce(?, article_id), reviewed_by = ?, reviewed_at = ?"
                f" WHERE status = 'open' AND id IN ({marks})",
                (status, answer, article_id, reviewer, at, *ids),
            )
            return int(conn.changes())

        return await self.db.write(run)

    async def top_intent(self, message_ids: Sequence[int], excluded: Sequence[str]) -> str | None:
        ids = list(message_ids)
        if not ids:
            return None
        id_marks = ", ".join("?" for _ in ids)
        not_in = f" AND intent NOT IN ({', '.join('?' for _ in excluded)})" if excluded else ""
        rows = await self.db.fetchall(
            f"SELECT intent, count(*) AS n FROM message_insights WHERE message_id IN ({id_marks})"
            f" AND intent IS NOT NULL{not_in} GROUP BY intent ORDER BY n DESC, intent LIMIT 1",
            [*ids, *excluded],
        )
        return str(rows[0]["intent"]) if rows else None

    async def count(self, reason: str) -> int:
        row = await self.db.fetchone("SELECT count(*) AS n FROM knowledge_gaps WHERE reason = ?", (reason,))
        return int(row["n"]) if row else 0

    async def intent_categories(self) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT DISTINCT category FROM articles WHERE category IS NOT NULL ORDER BY category"
        )
        return [str(r["category"]) for r in rows]
