"""``ctx.analytics``: dashboard, reports, ratings, CSV export, aggregate refresh,
click events and knowledge-gap review. Every figure comes from the counters in metrics.py."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from nura_appliance.analytics import aggregates
from nura_appliance.analytics.aggregates import Filters, Window, collect, window_for
from nura_appliance.analytics.events import ClickEvent
from nura_appliance.analytics.gaps import collect_all_feedback_gaps, collect_feedback_gaps, gap_groups
from nura_appliance.analytics.metrics import (
    Totals,
    as_number,
    average,
    derived,
    rate,
    split_key,
    total,
)
from nura_appliance.analytics.review import GapReview, ReviewSite
from nura_appliance.errors import ValidationFailed
from nura_appliance.languages import LANG_LIST, LANGS
from nura_appliance.spreadsheet import csv_text
from nura_appliance.storage.base import AggregateRow, AnalyticsSnapshot, AnalyticsStore, GapStore

log = logging.getLogger(__name__)

REPORT_TABS = ("knowledge_gaps", "intents", "handoffs", "outcomes", "cost")
MAX_DAYS = 366
_CHANNEL = re.compile(r"^[a-z][a-z0-9_-]{0,19}$")
_NAME = re.compile(r"^[^\x00-\x1f]{1,128}$")


@dataclass(frozen=True)
class ReportQuery:
    days: int
    filters: Filters
    since: str | None = None
    until: str | None = None


def parse_query(args: Any) -> ReportQuery:
    """Validate ``days``, ``channel``, ``agent``, ``issue_category``, ``lang``, ``since``, ``until``."""

    def one(name: str) -> str | None:
        value = args.get(name)
        return value.strip() if isinstance(value, str) and value.strip() else None

    def bad(name: str, message: str) -> ValidationFailed:
        return ValidationFailed(message, code="invalid_query", details={"field": name})

    raw_days = one("days")
    try:
        days = int(raw_days) if raw_days else 30
    except ValueError:
        raise bad("days", "'days' must be an integer") from None
    if not 1 <= days <= MAX_DAYS:
        raise bad("days", f"'days' must be between 1 and {MAX_DAYS}")
    channel, lang = one("channel"), one("lang")
    if channel and not _CHANNEL.match(channel):
        raise bad("channel", "'channel' must be a short lower-case name like 'web'")
    if lang and lang not in LANGS:
        raise bad("lang", f"'lang' must be one of {LANG_LIST}")
    agent, category = one("agent"), one("issue_category")
    for name, value in (("agent", agent), ("issue_category", category)):
        if value and not _NAME.match(value):
            raise bad(name, f"'{name}' is malformed or too long")
    dates: dict[str, str | None] = {}
    for name in ("since", "until"):
        value = one(name)
        if value:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise bad(name, f"'{name}' must be a date like 2026-01-31") from None
        dates[name] = value
    if dates["since"] and dates["until"] and dates["since"] > dates["until"]:
        raise bad("since", "'since' must not be after 'until'")
    return ReportQuery(days, Filters(channel, lang, agent, category), dates["since"], dates["until"])


def _ranked(values: dict[str, float], label: str) -> list[dict[str, Any]]:
    whole = sum(values.values())
    rows = [{label: key, "count": as_number(v), "share": rate(v, whole)} for key, v in values.items() if v]
    return sorted(rows, key=lambda r: (-r["count"], str(r[label])))


def _plain(values: dict[str, float]) -> dict[str, int | float]:
    return {key: as_number(v) for key, v in sorted(values.items()) if v}


class AnalyticsService:
    def __init__(self, ctx: ReviewSite) -> None:
        self.ctx = ctx
        self.aggregates: AnalyticsStore = ctx.stores.analytics
        self.gap_store: GapStore = ctx.stores.gaps
        self.gaps = GapReview(ctx)

    # -- collection ------------------------------------------------------------------------------
    async def _collect(
        self, query: ReportQuery, *, use_aggregates: bool = True, now: float | None = None
    ) -> tuple[Window, aggregates.Collected]:
        now = now or time.time()
        window = window_for(query.days, now, query.since, query.until)
        collected = await self.aggregates.snapshot(
            lambda snap: collect(snap, window, query.filters, now=now, use_aggregates=use_aggregates)
        )
        return window, collected

    @staticmethod
    def _header(query: ReportQuery, window: Window, collected: aggregates.Collected) -> dict[str, Any]:
        days = window.days()
        return {
            "days": query.days,
            "since": days[0] if days else None,
            "until": days[-1] if days else None,
            "filters": query.filters.as_dict(),
            "read": {"aggregated_days": len(collected.aggregated_days), "raw_days": len(collected.raw_days)},
        }

    # -- dashboard ---------------------------------------------------------------------------------
    async def dashboard(
        self, query: ReportQuery, *, use_aggregates: bool = True, now: float | None = None
    ) -> dict[str, Any]:
        window, collected = await self._collect(query, use_aggregates=use_aggregates, now=now)
        t = collected.totals
        figures = {**derived(t), **collected.medians}
        latest = [
            {**row, "escalated": bool(row["escalated"])}
            for row in await self.aggregates.latest_exchanges(window.start, window.end, query.filters)
        ]
        top_gaps, gaps_open = await gap_groups(self.gap_store, status="open", filters=query.filters, limit=5)
        return {
            **self._header(query, window, collected),
            "totals": {
                "messages": figures["messages"],
                "sessions": figures["sessions"],
                "answered_messages": figures["answered_messages"],
                "escalated_messages": figures["escalated_messages"],
                "handoffs": figures["handed_off_sessions"],
                "widget_events": as_number(total(t, "widget_events")),
                "tree_clicks": as_number(total(t, "tree_clicks")),
                "answer_rate": figures["answer_rate"],
                "avg_latency_ms": figures["avg_latency_ms"],
            },
            "sources": _plain(t.get("messages_by_source", {})),
            "activity": aggregates.per_day_list(
                collected,
                window,
                {
                    "messages": "messages",
                    "sessions": "sessions_started",
                    "escalated": "messages_escalated",
                    "handoffs": "sessions_handed_off",
                },
            ),
            "latest_conversations": latest,
            "satisfaction": {
                k: figures[k]
                for k in (
                    "rated_sessions",
                    "average_rating",
                    "satisfied_sessions",
                    "satisfaction_rate",
                    "thumbs_up",
                    "thumbs_down",
                    "thumbs_up_rate",
                )
            },
            "deflection": {
                k: figures[k]
                for k in (
                    "engaged_sessions",
                    "deflected_sessions",
                    "deflection_rate",
                    "handed_off_sessions",
                    "handoff_rate",
                )
            },
            "resolution": {
                k: figures[k]
                for k in (
                    "outcomes",
                    "resolved_outcomes",
                    "resolution_rate",
                    "avg_time_to_accept_s",
                    "avg_time_to_resolve_s",
                    "median_time_to_accept_s",
                    "median_time_to_resolve_s",
                )
            },
            "knowledge_gaps": {
                "new": figures["knowledge_gaps"],
                "by_reason": _plain(t.get("gaps", {})),
                "open_groups": gaps_open,
                "top": top_gaps,
            },
            "ai_cost": {
                "calls": figures["llm_calls"],
                "prompt_tokens": as_number(total(t, "llm_prompt_tokens")),
                "completion_tokens": as_number(total(t, "llm_completion_tokens")),
                "total_tokens": figures["llm_total_tokens"],
                "cost_usd": figures["llm_cost_usd"],
                "errors": as_number(total(t, "llm_errors")),
            },
        }

    # -- reports -----------------------------------------------------------------------------------
    async def reports(
        self, query: ReportQuery, *, use_aggregates: bool = True, now: float | None = None, with_text: bool = True
    ) -> dict[str, Any]:
        """The report tabs; ``with_text=False`` (viewers) leaves out what customers wrote (the
        knowledge-gap questions), keeping the counts."""
        report = await self._reports(query, use_aggregates=use_aggregates, now=now)
        if not with_text:
            for row in report["knowledge_gaps"]["rows"]:
                row["question"] = ""
        return report

    async def _reports(self, query: ReportQuery, *, use_aggregates: bool, now: float | None) -> dict[str, Any]:
        window, collected = await self._collect(query, use_aggregates=use_aggregates, now=now)
        t = collected.totals
        figures = {**derived(t), **collected.medians}
        gap_rows, gap_total = await gap_groups(
            self.gap_store, start=window.start, end=window.end, filters=query.filters, limit=500
        )
        return {
            **self._header(query, window, collected),
            "knowledge_gaps": self._gaps_tab(t, gap_rows, gap_total),
            "intents": self._intents_tab(t),
            "handoffs": self._handoffs_tab(t, figures),
            "outcomes": self._outcomes_tab(t, figures),
            "cost": self._cost_tab(t),
        }

    @staticmethod
    def _gaps_tab(t: Totals, groups: list[dict[str, Any]], group_total: int) -> dict[str, Any]:
        rows = [
            {
                "group_id": g["group_id"],
                "question": g["question"],
                "lang": g["lang"] or "",
                "count": g["count"],
                "reasons": ";".join(g["reasons"]),
                "status": g["status"],
            }
            for g in groups
        ]
        return {
            "total": as_number(total(t, "gaps")),
            "by_reason": _plain(t.get("gaps", {})),
            "groups": group_total,
            "rows": rows,
        }

    @staticmethod
    def _intents_tab(t: Totals) -> dict[str, Any]:
        return {
            "classified": as_number(total(t, "insights_intent")),
            "flagged_gaps": as_number(total(t, "insights_gap")),
            "sentiments": _plain(t.get("insights_sentiment", {})),
            "confidence_buckets": _plain(t.get("insights_confidence", {})),
            "rows": _ranked(dict(t.get("insights_intent", {})), "intent"),
        }

    @staticmethod
    def _handoffs_tab(t: Totals, figures: dict[str, Any]) -> dict[str, Any]:
        return {
            "handed_off_sessions": figures["handed_off_sessions"],
            "engaged_sessions": figures["engaged_sessions"],
            "handoff_rate": figures["handoff_rate"],
            "avg_time_to_accept_s": figures["avg_time_to_accept_s"],
            "avg_time_to_resolve_s": figures["avg_time_to_resolve_s"],
            "median_time_to_accept_s": figures["median_time_to_accept_s"],
            "median_time_to_resolve_s": figures["median_time_to_resolve_s"],
            "resolved_by_reason": _plain(t.get("outcomes_handoff_reason", {})),
            "rows": _ranked(dict(t.get("sessions_handed_off", {})), "reason"),
        }

    @staticmethod
    def _outcomes_tab(t: Totals, figures: dict[str, Any]) -> dict[str, Any]:
        by_status: dict[str, float] = {}
        by_category: dict[str, float] = {}
        by_agent: dict[str, float] = {}
        rows: list[dict[str, Any]] = []
        for key, value in t.get("outcomes", {}).items():
            if not value:
                continue
            status, category, agent = split_key(key, 3)
            by_status[status] = by_status.get(status, 0) + value
            by_category[category] = by_category.get(category, 0) + value
            by_agent[agent] = by_agent.get(agent, 0) + value
            rows.append({"status": status, "issue_category": category, "resolved_by": agent, "count": as_number(value)})
        rows.sort(key=lambda r: (-r["count"], r["status"], r["issue_category"], r["resolved_by"]))
        return {
            "outcomes": figures["outcomes"],
            "resolved": figures["resolved_outcomes"],
            "resolution_rate": figures["resolution_rate"],
            "median_time_to_accept_s": figures["median_time_to_accept_s"],
            "median_time_to_resolve_s": figures["median_time_to_resolve_s"],
            "by_status": _plain(by_status),
            "by_category": _plain(by_category),
            "by_agent": _plain(by_agent),
            "by_root_cause": _plain(t.get("outcomes_root_cause", {})),
            "rows": rows,
        }

    @staticmethod
    def _cost_tab(t: Totals) -> dict[str, Any]:
        rows: list[dict[str, Any]] = []
        for key, calls in t.get("llm_calls", {}).items():
            if not calls:
                continue
            provider, model = split_key(key, 2)
            rows.append(
                {
                    "provider": provider,
                    "model": model,
                    "calls": as_number(calls),
                    "prompt_tokens": as_number(total(t, "llm_prompt_tokens", key)),
                    "completion_tokens": as_number(total(t, "llm_completion_tokens", key)),
                    "total_tokens": as_number(total(t, "llm_total_tokens", key)),
                    "cost_usd": round(total(t, "llm_cost_usd", key), 6),
                    "errors": as_number(total(t, "llm_errors", key)),
                }
            )
        rows.sort(key=lambda r: (-r["cost_usd"], -r["calls"], r["provider"], r["model"]))
        return {
            "calls": as_number(total(t, "llm_calls")),
            "prompt_tokens": as_number(total(t, "llm_prompt_tokens")),
            "completion_tokens": as_number(total(t, "llm_completion_tokens")),
            "total_tokens": as_number(total(t, "llm_total_tokens")),
            "cost_usd": round(total(t, "llm_cost_usd"), 6),
            "errors": as_number(total(t, "llm_errors")),
            "avg_cost_per_call_usd": average(total(t, "llm_cost_usd"), total(t, "llm_calls"), 6),
            "by_purpose": _plain(t.get("llm_purpose", {})),
            "rows": rows,
        }

    async def report_csv(self, tab: str, query: ReportQuery, *, with_text: bool = True) -> str:
        """One report tab's ``rows`` as CSV (header = the row keys, same values as the JSON)."""
        report = await self.reports(query, with_text=with_text)
        rows = report[tab]["rows"]
        columns = list(CSV_COLUMNS[tab])
        return csv_text(columns, ([row[c] for c in columns] for row in rows))

    # -- ratings -----------------------------------------------------------------------------------
    async def ratings(self, query: ReportQuery, *, now: float | None = None) -> dict[str, Any]:
        window, collected = await self._collect(query, now=now)
        figures = derived(collected.totals)
        distribution = {
            str(score): as_number(collected.totals.get("sessions_rated", {}).get(str(score), 0))
            for score in range(1, 6)
        }

        return {
            **self._header(query, window, collected),
            **{
                k: figures[k]
                for k in (
                    "rated_sessions",
                    "average_rating",
                    "satisfied_sessions",
                    "satisfaction_rate",
                    "thumbs_up",
                    "thumbs_down",
                    "thumbs_up_rate",
                )
            },
            "distribution": distribution,
            "recent": await self.aggregates.recent_ratings(window.start, window.end, query.filters),
        }

    # -- refresh -----------------------------------------------------------------------------------
    async def refresh(self, *, now: float | None = None) -> dict[str, Any]:
        """Recompute daily aggregates for past days that are missing or dirty, and turn new
        thumbs-down feedback into knowledge gaps."""
        now = now or time.time()
        watermark = now - aggregates.WATERMARK_SLACK_SECONDS
        started = time.perf_counter()

        def compute(snap: AnalyticsSnapshot) -> tuple[list[str], list[AggregateRow]]:
            days, _ = aggregates.days_to_refresh(snap, now)
            return days, aggregates.compute_days(snap, days)

        days, rows = await self.aggregates.snapshot(compute)
        if days:
            await self.aggregates.store_days(days, rows, watermark)
        before = await self.gap_store.count("thumbs_down")
        await collect_all_feedback_gaps(self.gap_store)
        after = await self.gap_store.count("thumbs_down")
        return {
            "days": days,
            "rows": len(rows),
            "feedback_gaps": after - before,
            "seconds": round(time.perf_counter() - started, 3),
        }

    async def collect_feedback(self) -> int:
        """One batch of new thumbs-down feedback into knowledge gaps; how many votes it scanned."""
        store = self.gap_store
        return await store.write(lambda conn: collect_feedback_gaps(store, conn))

    async def refresh_job(self, ctx: object) -> None:
        result = await self.refresh()
        if result["days"]:
            log.info("analytics aggregates refreshed for %s day(s) in %.2f s", len(result["days"]), result["seconds"])

    # -- events ------------------------------------------------------------------------------------
    async def record_click(self, event: ClickEvent) -> int:
        return await self.aggregates.record_click(event, time.time())


CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "knowledge_gaps": ("group_id", "question", "lang", "count", "reasons", "status"),
    "intents": ("intent", "count", "share"),
    "handoffs": ("reason", "count", "share"),
    "outcomes": ("status", "issue_category", "resolved_by", "count"),
    "cost": ("provider", "model", "calls", "prompt_tokens", "completion_tokens", "total_tokens", "cost_usd", "errors"),
}
