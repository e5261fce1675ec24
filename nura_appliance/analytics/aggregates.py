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

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from nura_appliance.analytics.metrics import LANGLESS_COUNTERS, SOURCES, Totals
from nura_appliance.storage.base import AggregateRow, AnalyticsSnapshot, ReportFilters

DAY = 86400
MAX_REFRESH_DAYS = 400
# Refresh treats sessions changed up to this long before it started as possibly missed (a write
# stamped before the refresh may commit after its snapshot), so their days become dirty again.
WATERMARK_SLACK_SECONDS = 60
# Right after midnight, yesterday may still receive rows stamped before midnight: wait this long.
SEAL_DELAY_SECONDS = 120


Filters = ReportFilters  # channel, lang, agent, issue_category


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
def raw_rows(snap: AnalyticsSnapshot, start: float, end: float, filters: Filters = Filters()) -> list[AggregateRow]:
    """``(day, counter, channel, lang, key, value)`` computed from the source tables."""
    sums: dict[tuple[str, str, str, str, str], float] = defaultdict(float)
    if end <= start:
        return []
    for source in SOURCES:
        for row in snap.grouped(source.name, start, end, filters):
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


def dirty_days(snap: AnalyticsSnapshot, start: float, end: float) -> set[str]:
    watermark = float(snap.state("refreshed_at") or 0.0)
    return snap.session_days_changed(watermark, start, end)


def collect(
    snap: AnalyticsSnapshot, window: Window, filters: Filters, *, now: float, use_aggregates: bool = True
) -> Collected:
    """Summed counters over the window, per day and in total (run inside one read snapshot)."""
    collected = Collected({}, {}, [], [])
    boundary = min(today_start(now), window.end)
    agg_days: list[str] = []
    if use_aggregates and not filters.needs_raw and window.start < boundary:
        computed = snap.computed_days(day_of(window.start), day_of(boundary))
        clean = computed - dirty_days(snap, window.start, boundary)
        agg_days = sorted(d for d in clean if window.start <= day_start(d) and day_start(d) + DAY <= boundary)
    for row in snap.daily_sums(agg_days, filters.channel, filters.lang, LANGLESS_COUNTERS):
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
        for day, name, _channel, _lang, key, value in raw_rows(snap, start, end, filters):
            _add(collected, day, name, key, value)
    collected.aggregated_days = agg_days
    collected.medians = outcome_medians(snap, window, filters)
    return collected


def outcome_medians(snap: AnalyticsSnapshot, window: Window, filters: Filters) -> dict[str, float | None]:
    """Median time to accept and to resolve over the window's outcomes (seconds, None without any).

    A median cannot be built from daily sums, so it is always read from the outcome rows, by the
    aggregate and the raw path alike (one duration pair per resolved hand-off: small tables)."""
    accepts: list[float] = []
    resolves: list[float] = []
    for row in snap.outcome_durations(window.start, window.end, filters):
        if row["accept"] is not None:
            accepts.append(float(row["accept"]))
        if row["resolve"] is not None:
            resolves.append(float(row["resolve"]))
    return {
        "median_time_to_accept_s": round(statistics.median(accepts), 2) if accepts else None,
        "median_time_to_resolve_s": round(statistics.median(resolves), 2) if resolves else None,
    }


# -- refresh ---------------------------------------------------------------------------------------
def days_to_refresh(snap: AnalyticsSnapshot, now: float) -> tuple[list[str], float]:
    """Past days that have no aggregates yet or became dirty, and the sealed boundary."""
    boundary = today_start(now - SEAL_DELAY_SECONDS)
    earliest = snap.earliest(boundary - MAX_REFRESH_DAYS * DAY)
    if earliest is None or earliest >= boundary:
        return [], boundary
    computed = snap.computed_days()
    wanted: set[str] = set()
    current = today_start(earliest)
    while current < boundary:
        day = day_of(current)
        if day not in computed:
            wanted.add(day)
        current += DAY
    wanted |= dirty_days(snap, today_start(earliest), boundary)
    return sorted(wanted), boundary


def compute_days(snap: AnalyticsSnapshot, days: list[str]) -> list[AggregateRow]:
    rows: list[AggregateRow] = []
    for day in days:
        start = day_start(day)
        rows.extend(raw_rows(snap, start, start + DAY))
    return rows


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
