"""Counters from raw rows or from daily aggregates, and the refresh that fills the aggregates.

Days are UTC calendar days. A report window is whole days ``[first day 00:00, min(last day
24:00, now))``. Past days are read from ``analytics_daily`` when they were aggregated and are
still *clean*; today, days never aggregated and *dirty* days are read raw. A day is dirty when a
session that started on it changed after the last refresh (sessions are the one mutable source:
status, hand-off, rating); every other source is append-only and stamped at insert time, so a
finished day never changes.

Agent and issue-category filters are answered raw: they need a join to the session's outcome
that the aggregates do not carry (documented in docs/ANALYTICS.md).
"""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import apsw

from nura_appliance.analytics.metrics import LANGLESS_COUNTERS, SOURCES, Source, Totals

DAY = 86400
MAX_REFRESH_DAYS = 400
# Refresh treats sessions changed up to this long before it started as possibly missed (a write
# stamped before the refresh may commit after its snapshot), so their days become dirty again.
WATERMARK_SLACK_SECONDS = 60
# Right after midnight, yesterday may still receive rows stamped before midnight: wait this long.
SEAL_DELAY_SECONDS = 120


@dataclass(frozen=True)
class Filters:
    channel: str | None = None
    lang: str | None = None
    agent: str | None = None
    issue_category: str | None = None

    @property
    def needs_raw(self) -> bool:
        return bool(self.agent or self.issue_category)

    def as_dict(self) -> dict[str, str]:
        return {
            k: v
            for k, v in (
                ("channel", self.channel),
                ("lang", self.lang),
                ("agent", self.agent),
                ("issue_category", self.issue_category),
            )
            if v
        }


@dataclass(frozen=True)
class Window:
    start: float
    end: float

    @property
    def first_day(self) -> str:
        return day_of(self.start)

    def days(self) -> list[str]:
        out, current = [], self.start
        while current < self.end:
            out.append(day_of(current))
            current += DAY
        return out


def day_of(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).date().isoformat()


def day_start(day: str) -> float:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC).timestamp()


def today_start(now: float) -> float:
    return float(int(now // DAY) * DAY)


def window_for(days: int, now: float, since: str | None = None, until: str | None = None) -> Window:
    """``days`` whole days ending today, or the inclusive ``since``..``until`` dates (ISO)."""
    if since or until:
        first = day_start(since) if since else today_start(now) - (days - 1) * DAY
        last = day_start(until) + DAY if until else now
        return Window(first, min(last, now))
    return Window(today_start(now) - (days - 1) * DAY, now)


# -- raw -------------------------------------------------------------------------------------------
def _filter_sql(counter: Source, filters: Filters) -> tuple[str, dict[str, Any]]:
    parts: list[str] = []
    params: dict[str, Any] = {}
    if filters.channel:
        parts.append(f"coalesce({counter.channel}, '') = :channel")
        params["channel"] = filters.channel
    if filters.lang and counter.lang:
        parts.append(f"coalesce({counter.lang}, '') = :lang")
        params["lang"] = filters.lang
    if filters.agent:
        parts.append(
            f"{counter.session} IN (SELECT id FROM sessions WHERE assigned_agent = :agent"
            " UNION SELECT session_id FROM session_outcomes WHERE resolved_by = :agent)"
        )
        params["agent"] = filters.agent
    if filters.issue_category:
        parts.append(
            f"{counter.session} IN (SELECT session_id FROM session_outcomes WHERE issue_category = :issue_category)"
        )
        params["issue_category"] = filters.issue_category
    return " AND ".join(parts), params


def raw_rows(
    conn: apsw.Connection, start: float, end: float, filters: Filters = Filters()
) -> list[tuple[str, str, str, str, str, float]]:
    """``(day, counter, channel, lang, key, value)`` computed from the source tables."""
    sums: dict[tuple[str, str, str, str, str], float] = defaultdict(float)
    if end <= start:
        return []
    for source in SOURCES:
        extra, params = _filter_sql(source, filters)
        for row in conn.execute(source.select(extra), {"start": start, "end": end, **params}):
            for name, key, value in source.emit(row):
                sums[(row["day"], name, row["channel"], row["lang"], str(key))] += value
    return [(*group, value) for group, value in sums.items()]


# -- reading ---------------------------------------------------------------------------------------
@dataclass
class Collected:
    totals: Totals
    per_day: dict[str, Totals]
    aggregated_days: list[str]
    raw_days: list[str]
    medians: dict[str, float | None] = field(default_factory=dict)


def _add(collected: Collected, day: str, name: str, key: str, value: float) -> None:
    collected.totals.setdefault(name, defaultdict(float))[key] += value
    collected.per_day.setdefault(day, {}).setdefault(name, defaultdict(float))[key] += value


def state(conn: apsw.Connection, key: str) -> str | None:
    rows = conn.execute("SELECT value FROM analytics_state WHERE key = ?", (key,)).fetchall()
    return rows[0]["value"] if rows else None


def dirty_days(conn: apsw.Connection, start: float, end: float) -> set[str]:
    watermark = float(state(conn, "refreshed_at") or 0.0)
    return {
        r["day"]
        for r in conn.execute(
            "SELECT DISTINCT date(created_at, 'unixepoch') AS day FROM sessions"
            " WHERE updated_at >= ? AND created_at >= ? AND created_at < ?",
            (watermark, start, end),
        )
    }


def collect(
    conn: apsw.Connection, window: Window, filters: Filters, *, now: float, use_aggregates: bool = True
) -> Collected:
    """Summed counters over the window, per day and in total (run inside one read snapshot)."""
    collected = Collected({}, {}, [], [])
    boundary = min(today_start(now), window.end)
    agg_days: list[str] = []
    if use_aggregates and not filters.needs_raw and window.start < boundary:
        computed = {
            r["day"]
            for r in conn.execute(
                "SELECT day FROM analytics_days WHERE day >= ? AND day < ?", (day_of(window.start), day_of(boundary))
            )
        }
        clean = computed - dirty_days(conn, window.start, boundary)
        agg_days = sorted(d for d in clean if window.start <= day_start(d) and day_start(d) + DAY <= boundary)
    if agg_days:
        params: list[Any] = [json.dumps(agg_days)]
        where = ["day IN (SELECT value FROM json_each(?))"]
        if filters.channel:
            where.append("channel = ?")
            params.append(filters.channel)
        if filters.lang:
            marks = ", ".join("?" for _ in LANGLESS_COUNTERS)
            where.append(f"(lang = ? OR metric IN ({marks}))")
            params.extend([filters.lang, *LANGLESS_COUNTERS])
        for row in conn.execute(
            f"SELECT day, metric, key, sum(value) AS value FROM analytics_daily WHERE {' AND '.join(where)}"
            " GROUP BY day, metric, key",
            params,
        ):
            _add(collected, row["day"], row["metric"], row["key"], float(row["value"]))
    # Everything not covered by aggregates is read raw, in contiguous ranges.
    covered = set(agg_days)
    ranges: list[list[float]] = []
    current = window.start
    while current < window.end:
        day = day_of(current)
        stop = min(day_start(day) + DAY, window.end)
        if day not in covered:
            collected.raw_days.append(day)
            if ranges and ranges[-1][1] == current:
                ranges[-1][1] = stop
            else:
                ranges.append([current, stop])
        current = stop
    for start, end in ranges:
        for day, name, _channel, _lang, key, value in raw_rows(conn, start, end, filters):
            _add(collected, day, name, key, value)
    collected.aggregated_days = agg_days
    collected.medians = outcome_medians(conn, window, filters)
    return collected


def outcome_medians(conn: apsw.Connection, window: Window, filters: Filters) -> dict[str, float | None]:
    """Median time to accept and to resolve over the window's outcomes (seconds, None without any).

    A median cannot be built from daily sums, so it is always read from the outcome rows, by the
    aggregate and the raw path alike (one duration pair per resolved hand-off: small tables)."""
    source = next(s for s in SOURCES if s.name == "outcomes")
    extra, params = _filter_sql(source, filters)
    where = "t.created_at >= :start AND t.created_at < :end" + (f" AND {extra}" if extra else "")
    accepts: list[float] = []
    resolves: list[float] = []
    for row in conn.execute(
        f"SELECT t.time_to_accept_s AS accept, t.time_to_resolve_s AS resolve FROM session_outcomes t WHERE {where}",
        {"start": window.start, "end": window.end, **params},
    ):
        if row["accept"] is not None:
            accepts.append(float(row["accept"]))
        if row["resolve"] is not None:
            resolves.append(float(row["resolve"]))
    return {
        "median_time_to_accept_s": round(statistics.median(accepts), 2) if accepts else None,
        "median_time_to_resolve_s": round(statistics.median(resolves), 2) if resolves else None,
    }


def in_snapshot(conn: apsw.Connection, fn: Any) -> Any:
    """Run ``fn(conn)`` inside one read transaction so that every query sees the same data."""
    conn.execute("BEGIN")
    try:
        return fn(conn)
    finally:
        conn.execute("COMMIT")


# -- refresh ---------------------------------------------------------------------------------------
_EARLIEST_SOURCES = (
    "conversation_logs",
    "sessions",
    "message_feedback",
    "message_insights",
    "knowledge_gaps",
    "session_outcomes",
    "llm_usage_logs",
    "widget_events",
    "tree_clicks",
)


def days_to_refresh(conn: apsw.Connection, now: float) -> tuple[list[str], float]:
    """Past days that have no aggregates yet or became dirty, and the sealed boundary."""
    boundary = today_start(now - SEAL_DELAY_SECONDS)
    floor = boundary - MAX_REFRESH_DAYS * DAY
    earliest = None
    for table in _EARLIEST_SOURCES:
        value = conn.execute(f"SELECT min(created_at) AS t FROM {table} WHERE created_at >= ?", (floor,)).fetchall()[0][
            "t"
        ]
        if value is not None and (earliest is None or value < earliest):
            earliest = value
    if earliest is None or earliest >= boundary:
        return [], boundary
    computed = {r["day"] for r in conn.execute("SELECT day FROM analytics_days")}
    wanted: set[str] = set()
    current = today_start(earliest)
    while current < boundary:
        day = day_of(current)
        if day not in computed:
            wanted.add(day)
        current += DAY
    wanted |= dirty_days(conn, today_start(earliest), boundary)
    return sorted(wanted), boundary


def compute_days(conn: apsw.Connection, days: list[str]) -> list[tuple[str, str, str, str, str, float]]:
    rows: list[tuple[str, str, str, str, str, float]] = []
    for day in days:
        start = day_start(day)
        rows.extend(raw_rows(conn, start, start + DAY))
    return rows


def store_days(
    conn: apsw.Connection, days: list[str], rows: list[tuple[str, str, str, str, str, float]], watermark: float
) -> None:
    """Replace the aggregates of ``days`` (in the caller's write transaction)."""
    now = time.time()
    for day in days:
        conn.execute("DELETE FROM analytics_daily WHERE day = ?", (day,))
        conn.execute(
            "INSERT INTO analytics_days (day, computed_at) VALUES (?, ?) ON CONFLICT (day)"
            " DO UPDATE SET computed_at = excluded.computed_at",
            (day, now),
        )
    conn.executemany("INSERT INTO analytics_daily (day, metric, channel, lang, key, value) VALUES (?,?,?,?,?,?)", rows)
    conn.execute(
        "INSERT INTO analytics_state (key, value) VALUES ('refreshed_at', ?) ON CONFLICT (key)"
        " DO UPDATE SET value = excluded.value",
        (str(watermark),),
    )


def per_day_list(collected: Collected, window: Window, names: dict[str, str]) -> list[dict[str, Any]]:
    """``[{day, <label>: total, …}]`` for every day of the window (zero-filled)."""
    out = []
    for day in window.days():
        totals = collected.per_day.get(day, {})
        entry: dict[str, Any] = {"day": day}
        for label, name in names.items():
            value = sum(totals.get(name, {}).values())
            entry[label] = int(value) if float(value).is_integer() else round(value, 6)
        out.append(entry)
    return out


def yesterday(now: float) -> str:
    return (datetime.fromtimestamp(now, UTC).date() - timedelta(days=1)).isoformat()
