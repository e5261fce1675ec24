"""Knowledge gaps and message insights on PostgreSQL, in its own SQL (see
:class:`~nura_appliance.storage.base.GapStore`): ``string_agg`` and ``FILTER`` for the groups, a
page and its total in one snapshot pipeline, ``RETURNING`` instead of a re-read, ``ANY`` for id
lists, the C collation where SQLite orders by code point."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from nura_appliance.storage.base import GapQuery, GapRecord, InsightRecord, ReportFilters, Transaction
from nura_appliance.storage.postgres.db import PgConnection, PgDatabase, own

T = TypeVar("T")

_INSERT_GAP = (
    "INSERT INTO knowledge_gaps (question, normalized, lang, reason, session_id, message_id, group_key, status,"
    " created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, 'open', %s) RETURNING id"
)
_INSIGHT = (
    "INSERT INTO message_insights (session_id, message_id, intent, sentiment, confidence_bucket,"
    " knowledge_gap, classifier, lang, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (message_id) DO UPDATE SET intent = EXCLUDED.intent, sentiment = EXCLUDED.sentiment,"
    " confidence_bucket = EXCLUDED.confidence_bucket, knowledge_gap = EXCLUDED.knowledge_gap,"
    " classifier = EXCLUDED.classifier, lang = EXCLUDED.lang"
)
_FEEDBACK = (
    "SELECT f.id, f.value, f.session_id, f.message_id, c.customer_message, c.lang FROM message_feedback f"
    " LEFT JOIN conversation_logs c ON c.bot_turn_id = f.message_id"
    " WHERE f.id > coalesce((SELECT value::bigint FROM analytics_state WHERE key = 'feedback_scanned_id'), 0)"
    " ORDER BY f.id LIMIT %s"
)


def session_filter(column: str, filters: ReportFilters) -> tuple[list[str], dict[str, Any]]:
    """Conditions that keep rows whose session ``column`` the agent handled or whose outcome has
    the issue category."""
    parts: list[str] = []
    params: dict[str, Any] = {}
    if filters.agent:
        parts.append(
            f"{column} IN (SELECT id FROM sessions WHERE assigned_agent = %(agent)s"
            " UNION SELECT session_id FROM session_outcomes WHERE resolved_by = %(agent)s)"
        )
        params["agent"] = filters.agent
    if filters.issue_category:
        parts.append(f"{column} IN (SELECT session_id FROM session_outcomes WHERE issue_category = %(category)s)")
        params["category"] = filters.issue_category
    return parts, params


def groups_sql(query: GapQuery) -> tuple[str, dict[str, Any]]:
    """The matching groups as a ``WITH … shaped`` prefix (select from ``shaped``) and its parameters."""
    where = ["true"]
    params: dict[str, Any] = {}
    if query.start is not None:
        where.append("g.created_at >= %(start)s")
        params["start"] = query.start
    if query.end is not None:
        where.append("g.created_at < %(end)s")
        params["end"] = query.end
    filters = query.filters
    if filters.lang:
        where.append("g.lang = %(lang)s")
        params["lang"] = filters.lang
    if filters.channel:
        where.append("g.session_id IN (SELECT id FROM sessions WHERE channel = %(channel)s)")
        params["channel"] = filters.channel
    parts, extra = session_filter("g.session_id", filters)
    where += parts
    params.update(extra)
    status = ""
    if query.status:
        status = " WHERE status = %(status)s"
        params["status"] = query.status
    sql = (
        "WITH grouped AS (SELECT g.group_key, min(g.id) AS first_id, max(g.id) AS last_id, count(*) AS count,"
        " string_agg(DISTINCT g.reason, ',') AS reasons, count(*) FILTER (WHERE g.status = 'open') AS open_count,"
        " max(g.article_id) FILTER (WHERE g.reason = 'agent_resolved' AND g.status = 'open') AS proposed_article,"
        " min(g.created_at) AS first_seen, max(g.created_at) AS last_seen"
        f" FROM knowledge_gaps g WHERE {' AND '.join(where)} GROUP BY g.group_key),"
        # A group is open while any of its gaps is open; else it has its newest gap's status.
        " shaped AS (SELECT * FROM (SELECT x.*, f.question, f.lang,"
        " CASE WHEN x.open_count > 0 THEN 'open' ELSE l.status END AS status FROM grouped x"
        " JOIN knowledge_gaps f ON f.id = x.first_id JOIN knowledge_gaps l ON l.id = x.last_id) y"
        f"{status}) "
    )
    return sql, params


class PgGapStore:
    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def write(self, fn: Callable[[Any], T]) -> T:
        return await self.db.write(fn)

    # -- inside the caller's write ---------------------------------------------------------------
    @staticmethod
    def open_groups_in(conn: Transaction, limit: int = 5000) -> list[tuple[str, str]]:
        conn = own(conn)
        rows = conn.sql(
            "SELECT group_key, normalized FROM knowledge_gaps WHERE id IN"
            " (SELECT min(id) FROM knowledge_gaps WHERE status = 'open' GROUP BY group_key) ORDER BY id LIMIT %s",
            (limit,),
        )
        return [(row["group_key"], row["normalized"]) for row in rows]

    @staticmethod
    def recorded_in(conn: Transaction, message_id: int, reason: str) -> bool:
        conn = own(conn)
        found = conn.sql(
            "SELECT 1 FROM knowledge_gaps WHERE message_id = %s AND reason = %s LIMIT 1", (message_id, reason)
        ).fetchone()
        return found is not None

    @staticmethod
    def insert_in(conn: Transaction, gap: GapRecord) -> int:
        conn = own(conn)
        row = conn.sql(_INSERT_GAP, gap.row_values()).fetchone()
        assert row is not None
        return int(row["id"])

    @staticmethod
    def propose_article_in(conn: Transaction, gap_id: int, article_id: str | None) -> None:
        conn = own(conn)
        conn.sql("UPDATE knowledge_gaps SET article_id = %s WHERE id = %s", (article_id, gap_id))

    @staticmethod
    def feedback_after_in(conn: Transaction, limit: int) -> list[dict[str, Any]]:
        conn = own(conn)
        return conn.sql(_FEEDBACK, (limit,)).fetchall()

    @staticmethod
    def set_feedback_scanned_in(conn: Transaction, feedback_id: int) -> None:
        conn = own(conn)
        conn.sql(
            "INSERT INTO analytics_state (key, value) VALUES ('feedback_scanned_id', %s)"
            " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            (str(feedback_id),),
        )

    @staticmethod
    def last_exchange_in(conn: Transaction, session_id: str, before_turn: int | None) -> dict[str, Any] | None:
        conn = own(conn)
        params: list[Any] = [session_id]
        clause = ""
        if before_turn is not None:
            clause = " AND coalesce(customer_turn_id, 0) < %s"
            params.append(before_turn)
        return conn.sql(
            "SELECT customer_message, lang, source, escalated, bot_turn_id, created_at FROM conversation_logs"
            f" WHERE session_id = %s{clause} ORDER BY id DESC LIMIT 1",
            params,
        ).fetchone()

    @staticmethod
    def last_question_in(conn: Transaction, session_id: str, before: float) -> dict[str, Any] | None:
        conn = own(conn)
        return conn.sql(
            "SELECT customer_message, lang, bot_turn_id FROM conversation_logs WHERE session_id = %s"
            " AND created_at <= %s AND escalated = 0 AND source IS DISTINCT FROM 'rules'"
            " ORDER BY id DESC LIMIT 1",
            (session_id, before),
        ).fetchone()

    @staticmethod
    def turn_time_in(conn: Transaction, turn_id: int) -> float | None:
        conn = own(conn)
        row = conn.sql("SELECT created_at FROM chat_turns WHERE id = %s", (turn_id,)).fetchone()
        return float(row["created_at"]) if row else None

    @staticmethod
    def write_insight_in(conn: Transaction, insight: InsightRecord) -> None:
        conn = own(conn)
        # No result is read: in the writer it goes with the write's COMMIT or savepoint commands.
        conn.sql_deferred(_INSIGHT, insight.row_values())

    # -- on their own ----------------------------------------------------------------------------
    async def groups(self, query: GapQuery) -> tuple[list[dict[str, Any]], int]:
        prefix, params = groups_sql(query)
        page = {**params, "limit": query.limit, "offset": query.offset}
        statements: list[tuple[str, Any]] = [
            (f"{prefix}SELECT count(*) AS n FROM shaped", params),
            (
                f"{prefix}SELECT * FROM shaped ORDER BY count DESC, last_seen DESC, first_id"
                " LIMIT %(limit)s OFFSET %(offset)s",
                page,
            ),
        ]

        def run(conn: PgConnection) -> tuple[list[dict[str, Any]], int]:
            total, rows = conn.sql_pipeline(statements, snapshot=True)
            return rows, int(total[0]["n"])

        return await self.db.read(run)

    async def members(self, gap_id: int) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        statements: list[tuple[str, Any]] = [
            ("SELECT * FROM knowledge_gaps WHERE id = %s", (gap_id,)),
            (
                "SELECT m.* FROM knowledge_gaps m JOIN knowledge_gaps g ON m.group_key = g.group_key"
                " WHERE g.id = %s AND m.status = 'open' ORDER BY m.id",
                (gap_id,),
            ),
        ]

        def run(conn: PgConnection) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
            gap, members = conn.sql_pipeline(statements, snapshot=True)
            return (gap[0], members) if gap else (None, [])

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

        def run(conn: PgConnection) -> int:
            return len(
                conn.sql(
                    "UPDATE knowledge_gaps SET status = %s, answer = coalesce(%s::text, answer),"
                    " article_id = coalesce(%s::text, article_id), reviewed_by = %s, reviewed_at = %s"
                    " WHERE status = 'open' AND id = ANY(%s::bigint[]) RETURNING id",
                    (status, answer, article_id, reviewer, at, ids),
                ).fetchall()
            )

        return await self.db.write(run)

    async def top_intent(self, message_ids: Sequence[int], excluded: Sequence[str]) -> str | None:
        ids = list(message_ids)
        if not ids:
            return None

        def run(conn: PgConnection) -> str | None:
            row = conn.sql(
                "SELECT intent, count(*) AS n FROM message_insights WHERE message_id = ANY(%s::bigint[])"
                " AND intent IS NOT NULL AND NOT (intent = ANY(%s::text[]))"
                ' GROUP BY intent ORDER BY n DESC, intent COLLATE "C" LIMIT 1',
                (ids, list(excluded)),
            ).fetchone()
            return str(row["intent"]) if row else None

        return await self.db.read(run)

    async def count(self, reason: str) -> int:
        def run(conn: PgConnection) -> int:
            row = conn.sql("SELECT count(*) AS n FROM knowledge_gaps WHERE reason = %s", (reason,)).fetchone()
            return int(row["n"]) if row else 0

        return await self.db.read(run)

    async def intent_categories(self) -> list[str]:
        def run(conn: PgConnection) -> list[str]:
            rows = conn.sql(
                'SELECT DISTINCT category COLLATE "C" AS category FROM articles WHERE category IS NOT NULL ORDER BY 1'
            )
            return [str(r["category"]) for r in rows]

        return await self.db.read(run)
