"""Analytics reads and daily aggregates on PostgreSQL, in its own SQL (see
:class:`~nura_appliance.storage.base.AnalyticsStore`). A snapshot is one REPEATABLE READ READ ONLY
transaction; storing days sends the deletes, upserts and inserts in one pipeline."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from nura_appliance.storage.analytics_sources import EARLIEST_TABLES, SOURCE_BY_NAME, SourceTable
from nura_appliance.storage.base import AggregateRow, ClickEvent, ReportFilters
from nura_appliance.storage.postgres.db import PgConnection, PgDatabase
from nura_appliance.storage.postgres.gaps import session_filter


def day_of(column: str) -> str:
    """The UTC calendar day of an epoch-seconds column, as ``YYYY-MM-DD`` text."""
    return f"to_char(to_timestamp({column}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


@lru_cache(maxsize=64)
def grouped_sql(source: SourceTable, extra_where: str = "") -> str:
    lang = f"coalesce({source.lang}, '')" if source.lang else "''"
    conditions = [f"{source.time} >= %(start)s", f"{source.time} < %(end)s"]
    if extra_where:
        conditions.append(extra_where)
    dims = "".join(
        f", coalesce({expr}, {'false' if kind == 'flag' else chr(39) * 2}) AS {alias}"
        for alias, expr, kind in source.dims
    )
    values = "".join(f", {expr} AS {alias}" for alias, expr in source.values)
    group = ", ".join(str(i) for i in range(1, 4 + len(source.dims)))
    return (
        f"SELECT {day_of(source.time)} AS day, coalesce({source.channel}, '') AS channel,"
        f" {lang} AS lang{dims}{values} FROM {source.table} WHERE {' AND '.join(conditions)} GROUP BY {group}"
    )


def filter_sql(source: SourceTable, filters: ReportFilters) -> tuple[str, dict[str, Any]]:
    parts: list[str] = []
    params: dict[str, Any] = {}
    if filters.channel:
        parts.append(f"coalesce({source.channel}, '') = %(channel)s")
        params["channel"] = filters.channel
    if filters.lang and source.lang:
        parts.append(f"coalesce({source.lang}, '') = %(lang)s")
        params["lang"] = filters.lang
    if filters.agent:
        parts.append(
            f"{source.session} IN (SELECT id FROM sessions WHERE assigned_agent = %(agent)s"
            " UNION SELECT session_id FROM session_outcomes WHERE resolved_by = %(agent)s)"
        )
        params["agent"] = filters.agent
    if filters.issue_category:
        parts.append(
            f"{source.session} IN (SELECT session_id FROM session_outcomes WHERE issue_category = %(issue_category)s)"
        )
        params["issue_category"] = filters.issue_category
    return " AND ".join(parts), params


_EARLIEST = "SELECT least({}) AS t".format(
    ", ".join(f"(SELECT min(created_at) FROM {table} WHERE created_at >= %(floor)s)" for table in EARLIEST_TABLES)
)


class PgAnalyticsSnapshot:
    def __init__(self, conn: PgConnection) -> None:
        self.conn = conn

    def state(self, key: str) -> str | None:
        row = self.conn.sql("SELECT value FROM analytics_state WHERE key = %s", (key,)).fetchone()
        return row["value"] if row else None

    def session_days_changed(self, changed_since: float, start: float, end: float) -> set[str]:
        return {
            r["day"]
            for r in self.conn.sql(
                f"SELECT DISTINCT {day_of('created_at')} AS day FROM sessions"
                " WHERE updated_at >= %s AND created_at >= %s AND created_at < %s",
                (changed_since, start, end),
            )
        }

    def computed_days(self, first: str | None = None, before: str | None = None) -> set[str]:
        if first is None or before is None:
            return {r["day"] for r in self.conn.sql("SELECT day FROM analytics_days")}
        return {
            r["day"]
            for r in self.conn.sql("SELECT day FROM analytics_days WHERE day >= %s AND day < %s", (first, before))
        }

    def daily_sums(
        self, days: list[str], channel: str | None, lang: str | None, langless: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        if not days:
            return []
        params: dict[str, Any] = {"days": list(days)}
        where = ["day = ANY(%(days)s)"]
        if channel:
            where.append("channel = %(channel)s")
            params["channel"] = channel
        if lang:
            where.append("(lang = %(lang)s OR metric = ANY(%(langless)s))")
            params.update(lang=lang, langless=list(langless))
        return self.conn.sql(
            f"SELECT day, metric, key, sum(value) AS value FROM analytics_daily WHERE {' AND '.join(where)}"
            " GROUP BY day, metric, key",
            params,
        ).fetchall()

    def grouped(self, source: str, start: float, end: float, filters: ReportFilters) -> list[dict[str, Any]]:
        table = SOURCE_BY_NAME[source]
        extra, params = filter_sql(table, filters)
        return self.conn.sql(grouped_sql(table, extra), {"start": start, "end": end, **params}).fetchall()

    def outcome_durations(self, start: float, end: float, filters: ReportFilters) -> list[dict[str, Any]]:
        extra, params = filter_sql(SOURCE_BY_NAME["outcomes"], filters)
        where = "t.created_at >= %(start)s AND t.created_at < %(end)s" + (f" AND {extra}" if extra else "")
        return self.conn.sql(
            f"SELECT t.time_to_accept_s AS accept, t.time_to_resolve_s AS resolve FROM session_outcomes t WHERE {where}",
            {"start": start, "end": end, **params},
        ).fetchall()

    def earliest(self, floor: float) -> float | None:
        row = self.conn.sql(_EARLIEST, {"floor": floor}).fetchone()
        return None if row is None or row["t"] is None else float(row["t"])


_EVENT = (
    "INSERT INTO widget_events (session_id, customer_id, event_type, label, meta, topic_id, article_id, lang,"
    " channel, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id"
)
_TREE_CLICK = (
    "INSERT INTO tree_clicks (session_id, customer_id, topic_id, article_id, label, lang, channel, created_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)


class PgAnalyticsStore:
    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def snapshot(self, fn: Callable[[PgAnalyticsSnapshot], Any]) -> Any:
        def run(conn: PgConnection) -> Any:
            with conn.raw.transaction():  # the reader's connection is in autocommit: BEGIN … COMMIT
                conn.raw.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                return fn(PgAnalyticsSnapshot(conn))

        return await self.db.read(run)

    async def store_days(self, days: list[str], rows: list[AggregateRow], watermark: float | None) -> None:
        now = time.time()
        statements: list[tuple[str, Any]] = [
            ("DELETE FROM analytics_daily WHERE day = ANY(%s)", (list(days),)),
            (
                "INSERT INTO analytics_days (day, computed_at) SELECT unnest(%s::text[]), %s"
                " ON CONFLICT (day) DO UPDATE SET computed_at = EXCLUDED.computed_at",
                (list(days), now),
            ),
        ]
        if rows:
            columns = list(zip(*rows, strict=True))
            statements.append(
                (
                    "INSERT INTO analytics_daily (day, metric, channel, lang, key, value)"
                    " SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[],"
                    " %s::double precision[])",
                    tuple(list(column) for column in columns),
                )
            )
        if watermark is not None:
            statements.append(
                (
                    "INSERT INTO analytics_state (key, value) VALUES ('refreshed_at', %s)"
                    " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                    (str(watermark),),
                )
            )

        def write(conn: PgConnection) -> None:
            conn.sql_pipeline(statements)

        await self.db.write(write)

    async def record_click(self, event: ClickEvent, now: float) -> int:
        statements: list[tuple[str, Any]] = [(_EVENT, event.event_values(now))]
        if event.event_type == "tree_click":
            statements.append((_TREE_CLICK, event.click_values(now)))

        def run(conn: PgConnection) -> int:
            return int(conn.sql_pipeline(statements)[0][0]["id"])

        return await self.db.write(run)

    async def _rows(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return await self.db.read(lambda conn: conn.sql(sql, params).fetchall())

    async def latest_exchanges(
        self, start: float, end: float, filters: ReportFilters, limit: int = 10
    ) -> list[dict[str, Any]]:
        where = ["created_at >= %(start)s", "created_at < %(end)s"]
        params: dict[str, Any] = {"start": start, "end": end, "limit": limit}
        for column in ("channel", "lang"):
            value = getattr(filters, column)
            if value:
                where.append(f"{column} = %({column})s")
                params[column] = value
        parts, extra = session_filter("session_id", filters)
        sql = (
            "SELECT id, session_id, customer_id, channel, lang, customer_message, response, source, confidence,"
            f" escalated, article_id, created_at FROM conversation_logs WHERE {' AND '.join(where + parts)}"
            " ORDER BY created_at DESC, id DESC LIMIT %(limit)s"
        )
        return await self._rows(sql, {**params, **extra})

    async def recent_ratings(
        self, start: float, end: float, filters: ReportFilters, limit: int = 20
    ) -> list[dict[str, Any]]:
        where = ["rating IS NOT NULL", "created_at >= %(start)s", "created_at < %(end)s"]
        params: dict[str, Any] = {"start": start, "end": end, "limit": limit}
        for column in ("channel", "lang"):
            value = getattr(filters, column)
            if value:
                where.append(f"{column} = %({column})s")
                params[column] = value
        parts, extra = session_filter("id", filters)
        sql = (
            "SELECT id AS session_id, customer_id, channel, lang, rating, status, assigned_agent, updated_at"
            f" FROM sessions WHERE {' AND '.join(where + parts)} ORDER BY updated_at DESC LIMIT %(limit)s"
        )
        return await self._rows(sql, {**params, **extra})
