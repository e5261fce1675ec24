"""Analytics reads and daily aggregates on SQLite (see
:class:`~nura_appliance.storage.base.AnalyticsStore`)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from nura_appliance.storage.analytics_sources import EARLIEST_TABLES, SOURCE_BY_NAME, SourceTable
from nura_appliance.storage.base import AggregateRow, ClickEvent, ReportFilters
from nura_appliance.storage.sqlite.db import Connection, Database
from nura_appliance.storage.sqlite.gaps import session_filter


@lru_cache(maxsize=64)
def grouped_sql(source: SourceTable, extra_where: str = "") -> str:
    lang = f"coalesce({source.lang}, '')" if source.lang else "''"
    conditions = [f"{source.time} >= :start", f"{source.time} < :end"]
    if extra_where:
        conditions.append(extra_where)
    dims = "".join(f", coalesce({expr}, '') AS {alias}" for alias, expr, _ in source.dims)
    values = "".join(f", {expr} AS {alias}" for alias, expr in source.values)
    group = ", ".join(str(i) for i in range(1, 4 + len(source.dims)))
    return (
        f"SELECT date({source.time}, 'unixepoch') AS day, coalesce({source.channel}, '') AS channel,"
        f" {lang} AS lang{dims}{values} FROM {source.table} WHERE {' AND '.join(conditions)} GROUP BY {group}"
    )


def filter_sql(source: SourceTable, filters: ReportFilters) -> tuple[str, dict[str, Any]]:
    parts: list[str] = []
    params: dict[str, Any] = {}
    if filters.channel:
        parts.append(f"coalesce({source.channel}, '') = :channel")
        params["channel"] = filters.channel
    if filters.lang and source.lang:
        parts.append(f"coalesce({source.lang}, '') = :lang")
        params["lang"] = filters.lang
    if filters.agent:
        parts.append(
            f"{source.session} IN (SELECT id FROM sessions WHERE assigned_agent = :agent"
            " UNION SELECT session_id FROM session_outcomes WHERE resolved_by = :agent)"
        )
        params["agent"] = filters.agent
    if filters.issue_category:
        parts.append(
            f"{source.session} IN (SELECT session_id FROM session_outcomes WHERE issue_category = :issue_category)"
        )
        params["issue_category"] = filters.issue_category
    return " AND ".join(parts), params


class SqliteAnalyticsSnapshot:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def state(self, key: str) -> str | None:
        rows = self.conn.execute("SELECT value FROM analytics_state WHERE key = ?", (key,)).fetchall()
        return rows[0]["value"] if rows else None

    def session_days_changed(self, changed_since: float, start: float, end: float) -> set[str]:
        return {
            r["day"]
            for r in self.conn.execute(
                "SELECT DISTINCT date(created_at, 'unixepoch') AS day FROM sessions"
                " WHERE updated_at >= ? AND created_at >= ? AND created_at < ?",
                (changed_since, start, end),
            )
        }

    def computed_days(self, first: str | None = None, before: str | None = None) -> set[str]:
        if first is None or before is None:
            return {r["day"] for r in self.conn.execute("SELECT day FROM analytics_days")}
        return {
            r["day"]
            for r in self.conn.execute("SELECT day FROM analytics_days WHERE day >= ? AND day < ?", (first, before))
        }

    def daily_sums(
        self, days: list[str], channel: str | None, lang: str | None, langless: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        if not days:
            return []
        params: list[Any] = [json.dumps(days)]
        where = ["day IN (SELECT value FROM json_each(?))"]
        if channel:
            where.append("channel = ?")
            params.append(channel)
        if lang:
            marks = ", ".join("?" for _ in langless)
            where.append(f"(lang = ? OR metric IN ({marks}))" if langless else "lang = ?")
            params.extend([lang, *langless])
        return list(
            self.conn.execute(
                f"SELECT day, metric, key, sum(value) AS value FROM analytics_daily WHERE {' AND '.join(where)}"
                " GROUP BY day, metric, key",
                params,
            )
        )

    def grouped(self, source: str, start: float, end: float, filters: ReportFilters) -> list[dict[str, Any]]:
        table = SOURCE_BY_NAME[source]
        extra, params = filter_sql(table, filters)
        return list(self.conn.execute(grouped_sql(table, extra), {"start": start, "end": end, **params}))

    def outcome_durations(self, start: float, end: float, filters: ReportFilters) -> list[dict[str, Any]]:
        extra, params = filter_sql(SOURCE_BY_NAME["outcomes"], filters)
        where = "t.created_at >= :start AND t.created_at < :end" + (f" AND {extra}" if extra else "")
        return list(
            self.conn.execute(
                "SELECT t.time_to_accept_s AS accept, t.time_to_resolve_s AS resolve"
                f" FROM session_outcomes t WHERE {where}",
                {"start": start, "end": end, **params},
            )
        )

    def earliest(self, floor: float) -> float | None:
        earliest = None
        for table in EARLIEST_TABLES:
            value = self.conn.execute(
                f"SELECT min(created_at) AS t FROM {table} WHERE created_at >= ?", (floor,)
            ).fetchall()[0]["t"]
            if value is not None and (earliest is None or value < earliest):
                earliest = value
        return earliest


_EVENT = (
    "INSERT INTO widget_events (session_id, customer_id, event_type, label, meta, topic_id, article_id, lang,"
    " channel, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)"
)
_TREE_CLICK = (
    "INSERT INTO tree_clicks (session_id, customer_id, topic_id, article_id, label, lang, channel, created_at)"
    " VALUES (?,?,?,?,?,?,?,?)"
)


class SqliteAnalyticsStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def snapshot(self, fn: Callable[[SqliteAnalyticsSnapshot], Any]) -> Any:
        def run(conn: Connection) -> Any:
            conn.execute("BEGIN")  # one read transaction: every query sees the same data
            try:
                return fn(SqliteAnalyticsSnapshot(conn))
            finally:
                conn.execute("COMMIT")

        return await self.db.read(run)

    async def store_days(self, days: list[str], rows: list[AggregateRow], watermark: float | None) -> None:
        now = time.time()

        def write(conn: Connection) -> None:
            for day in days:
                conn.execute("DELETE FROM analytics_daily WHERE day = ?", (day,))
                conn.execute(
                    "INSERT INTO analytics_days (day, computed_at) VALUES (?, ?) ON CONFLICT (day)"
                    " DO UPDATE SET computed_at = excluded.computed_at",
                    (day, now),
                )
            conn.executemany(
                "INSERT INTO analytics_daily (day, metric, channel, lang, key, value) VALUES (?,?,?,?,?,?)", rows
            )
            if watermark is not None:
                conn.execute(
                    "INSERT INTO analytics_state (key, value) VALUES ('refreshed_at', ?) ON CONFLICT (key)"
                    " DO UPDATE SET value = excluded.value",
                    (str(watermark),),
                )

        await self.db.write(write)

    async def record_click(self, event: ClickEvent, now: float) -> int:
        def run(conn: Connection) -> int:
            conn.execute(_EVENT, event.event_values(now))
            event_id = int(conn.last_insert_rowid())
            if event.event_type == "tree_click":
                conn.execute(_TREE_CLICK, event.click_values(now))
            return event_id

        return await self.db.write(run)

    async def latest_exchanges(
        self, start: float, end: float, filters: ReportFilters, limit: int = 10
    ) -> list[dict[str, Any]]:
        where = ["created_at >= :start", "created_at < :end"]
        params: dict[str, Any] = {"start": start, "end": end, "limit": limit}
        for column in ("channel", "lang"):
            value = getattr(filters, column)
            if value:
                where.append(f"{column} = :{column}")
                params[column] = value
        parts, extra = session_filter("session_id", filters)
        sql = (
            "SELECT id, session_id, customer_id, channel, lang, customer_message, response, source, confidence,"
            f" escalated, article_id, created_at FROM conversation_logs WHERE {' AND '.join(where + parts)}"
            " ORDER BY created_at DESC, id DESC LIMIT :limit"
        )
        return [dict(row) for row in await self.db.fetchall(sql, {**params, **extra})]

    async def recent_ratings(
        self, start: float, end: float, filters: ReportFilters, limit: int = 20
    ) -> list[dict[str, Any]]:
        where = ["rating IS NOT NULL", "created_at >= :start", "created_at < :end"]
        params: dict[str, Any] = {"start": start, "end": end, "limit": limit}
        for column in ("channel", "lang"):
            value = getattr(filters, column)
            if value:
                where.append(f"{column} = :{column}")
                params[column] = value
        parts, extra = session_filter("id", filters)
        sql = (
            "SELECT id AS session_id, customer_id, channel, lang, rating, status, assigned_agent, updated_at"
            f" FROM sessions WHERE {' AND '.join(where + parts)} ORDER BY updated_at DESC LIMIT :limit"
        )
        return [dict(row) for row in await self.db.fetchall(sql, {**params, **extra})]
