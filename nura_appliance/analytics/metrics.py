"""Every analytics figure, defined once (docs/ANALYTICS.md explains the same definitions).

Reports are built from additive *counters*, keyed by UTC day, channel, language and a
counter-specific key. Each source table is scanned once per read (one SQL group-by, see
:class:`Source`) and its groups are turned into counter contributions. The same code fills the
daily aggregate table (``analytics_daily``) and answers raw reads, so a report computed from
aggregates for past days plus raw rows for today equals a raw-only computation by construction;
rates and averages are derived from the summed counters at the very end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

# What each source is grouped by (its SQL side) lives with the schema in storage; the answer
# sources and confidence thresholds are defined there once and used here too.
from nura_appliance.storage.analytics_sources import (
    ANSWER_SOURCES,  # noqa: F401 - re-exported (admin i18n, docs)
    HIGH_CONFIDENCE,
    MEDIUM_CONFIDENCE,
    SOURCE_BY_NAME,
)

# An outcome counts as *resolved* when the agent recorded one of these statuses.
RESOLVED_STATUSES = ("solved", "resolved")
# A rating (1..5) counts as *satisfied* at this score or above.
SATISFIED_MIN_RATING = 4
# Answer kinds that flag a knowledge gap whatever the confidence.
GAP_KINDS = ("ambiguous", "out_of_scope", "fallback")
SEP = "\x1f"  # joins the parts of composite counter keys


def confidence_bucket(confidence: float | None) -> str:
    """``high`` (≥ 0.75), ``medium`` (≥ 0.5) or ``low``."""
    value = float(confidence or 0.0)
    if value >= HIGH_CONFIDENCE:
        return "high"
    if value >= MEDIUM_CONFIDENCE:
        return "medium"
    return "low"


def is_knowledge_gap(kind: str | None, confidence: float | None) -> str | None:
    """The gap reason for one answered message, or None: ``out_of_scope`` when the bot had no
    answer, ``low_confidence`` when it was unsure (ambiguous, or a low-confidence answer)."""
    if kind in ("out_of_scope", "fallback"):
        return "out_of_scope"
    if kind == "ambiguous":
        return "low_confidence"
    if kind in ("article", "rag") and confidence_bucket(confidence) == "low":
        return "low_confidence"
    return None


Emitted = Iterable[tuple[str, str, float]]  # (counter name, key, value)


@dataclass(frozen=True)
class Source:
    """One source table (``storage/analytics_sources.py`` says how its rows are grouped by day,
    channel, language and dimensions); ``emit`` turns each group into contributions to named
    counters. A source without a language of its own (LLM usage) is not narrowed by the
    language filter."""

    name: str
    emit: Callable[[dict[str, Any]], Emitted]
    counters: tuple[str, ...]

    @property
    def langless(self) -> bool:
        return SOURCE_BY_NAME[self.name].lang is None


def _num(value: Any) -> float:
    return float(value or 0)


def _logs(r: dict[str, Any]) -> Emitted:
    n = _num(r["n"])
    yield "messages", "", n
    yield "messages_by_source", r["source"], n
    if r["escalated"]:
        yield "messages_escalated", "", n
    if r["answered"]:
        yield "messages_answered", "", n
    yield "messages_confidence", r["bucket"], n
    yield "latency_ms", "", _num(r["latency"])


def _sessions(r: dict[str, Any]) -> Emitted:
    n = _num(r["n"])
    yield "sessions_started", "", n
    if r["engaged"]:
        yield "sessions_engaged", "", n
    if r["handed_off"]:
        yield "sessions_handed_off", r["reason"], n
    elif r["engaged"]:
        yield "sessions_deflected", "", n
    if r["rating"] != "":
        yield "sessions_rated", r["rating"], n


def _feedback(r: dict[str, Any]) -> Emitted:
    yield "feedback", r["value"], _num(r["n"])


def _insights(r: dict[str, Any]) -> Emitted:
    n = _num(r["n"])
    yield "insights_intent", r["intent"], n
    yield "insights_sentiment", r["sentiment"], n
    yield "insights_confidence", r["bucket"], n
    if r["gap"]:
        yield "insights_gap", "", n


def _gaps(r: dict[str, Any]) -> Emitted:
    yield "gaps", r["reason"], _num(r["n"])


def _outcomes(r: dict[str, Any]) -> Emitted:
    n = _num(r["n"])
    yield "outcomes", SEP.join((r["status"], r["category"], r["agent"])), n
    yield "outcomes_root_cause", r["root_cause"], n
    yield "outcomes_handoff_reason", r["reason"], n
    if r["has_accept"]:
        yield "accept_seconds", "", _num(r["accept"])
        yield "accept_count", "", n
    if r["has_resolve"]:
        yield "resolve_seconds", "", _num(r["resolve"])
        yield "resolve_count", "", n


def _usage(r: dict[str, Any]) -> Emitted:
    n, key = _num(r["n"]), SEP.join((r["provider"], r["model"]))
    yield "llm_calls", key, n
    yield "llm_prompt_tokens", key, _num(r["prompt"])
    yield "llm_completion_tokens", key, _num(r["completion"])
    yield "llm_total_tokens", key, _num(r["total"])
    yield "llm_cost_usd", key, _num(r["cost"])
    if not r["ok"]:
        yield "llm_errors", key, n
    yield "llm_purpose", r["purpose"], n


def _widget(r: dict[str, Any]) -> Emitted:
    yield "widget_events", r["event_type"], _num(r["n"])


def _tree(r: dict[str, Any]) -> Emitted:
    yield "tree_clicks", r["topic"], _num(r["n"])


SOURCES: tuple[Source, ...] = (
    # Messages: one conversation_logs row per customer message the pipeline answered.
    Source(
        "messages",
        _logs,
        (
            "messages",
            "messages_by_source",
            "messages_escalated",
            "messages_answered",
            "messages_confidence",
            "latency_ms",
        ),
    ),
    # Sessions, counted on the day they started (their later state included).
    Source(
        "sessions",
        _sessions,
        (
            "sessions_started",
            "sessions_engaged",
            "sessions_handed_off",
            "sessions_deflected",
            "sessions_rated",
        ),
    ),
    # Thumbs up/down on bot messages; channel and language of the message they rate.
    Source("feedback", _feedback, ("feedback",)),
    # Intent classification.
    Source("insights", _insights, ("insights_intent", "insights_sentiment", "insights_confidence", "insights_gap")),
    # Knowledge gaps, by the signal that raised them.
    Source("gaps", _gaps, ("gaps",)),
    # Outcomes recorded by agents when resolving a hand-off.
    Source(
        "outcomes",
        _outcomes,
        (
            "outcomes",
            "outcomes_root_cause",
            "outcomes_handoff_reason",
            "accept_seconds",
            "accept_count",
            "resolve_seconds",
            "resolve_count",
        ),
    ),
    # LLM usage and estimated cost (no language of its own).
    Source(
        "llm_usage",
        _usage,
        (
            "llm_calls",
            "llm_prompt_tokens",
            "llm_completion_tokens",
            "llm_total_tokens",
            "llm_cost_usd",
            "llm_errors",
            "llm_purpose",
        ),
    ),
    # Widget telemetry and guided-tree clicks.
    Source("widget_events", _widget, ("widget_events",)),
    Source("tree_clicks", _tree, ("tree_clicks",)),
)
COUNTER_NAMES = tuple(name for source in SOURCES for name in source.counters)
LANGLESS_COUNTERS = tuple(name for source in SOURCES if source.langless for name in source.counters)


def rate(part: float, whole: float) -> float | None:
    """``part / whole`` rounded to 4 places; None when there is nothing to divide by."""
    return round(part / whole, 4) if whole else None


def average(total: float, count: float, places: int = 2) -> float | None:
    return round(total / count, places) if count else None


def as_number(value: float) -> int | float:
    """Counters are sums of integers except costs and durations; show integers as integers."""
    rounded = round(float(value), 6)
    return int(rounded) if rounded.is_integer() else rounded


def split_key(key: str, parts: int) -> list[str]:
    values = key.split(SEP)
    return (values + [""] * parts)[:parts]


Totals = dict[str, dict[str, float]]  # counter name -> key -> summed value


def total(totals: Totals, name: str, key: str | None = None) -> float:
    values = totals.get(name, {})
    return float(values.get(key, 0.0)) if key is not None else float(sum(values.values()))


def derived(totals: Totals) -> dict[str, Any]:
    """The headline figures every view shares, from summed counters."""
    engaged = total(totals, "sessions_engaged")
    deflected = total(totals, "sessions_deflected")
    ratings = totals.get("sessions_rated", {})
    rated = sum(ratings.values())
    rating_sum = sum(int(k) * v for k, v in ratings.items() if k.isdigit())
    satisfied = sum(v for k, v in ratings.items() if k.isdigit() and int(k) >= SATISFIED_MIN_RATING)
    outcomes = totals.get("outcomes", {})
    outcome_count = sum(outcomes.values())
    resolved = sum(v for k, v in outcomes.items() if split_key(k, 3)[0] in RESOLVED_STATUSES)
    up, down = total(totals, "feedback", "up"), total(totals, "feedback", "down")
    messages = total(totals, "messages")
    return {
        "messages": as_number(messages),
        "answered_messages": as_number(total(totals, "messages_answered")),
        "answer_rate": rate(total(totals, "messages_answered"), messages),
        "escalated_messages": as_number(total(totals, "messages_escalated")),
        "avg_latency_ms": average(total(totals, "latency_ms"), messages),
        "sessions": as_number(total(totals, "sessions_started")),
        "engaged_sessions": as_number(engaged),
        "handed_off_sessions": as_number(total(totals, "sessions_handed_off")),
        "handoff_rate": rate(total(totals, "sessions_handed_off"), engaged),
        "deflected_sessions": as_number(deflected),
        "deflection_rate": rate(deflected, engaged),
        "rated_sessions": as_number(rated),
        "average_rating": average(rating_sum, rated),
        "satisfied_sessions": as_number(satisfied),
        "satisfaction_rate": rate(satisfied, rated),
        "thumbs_up": as_number(up),
        "thumbs_down": as_number(down),
        "thumbs_up_rate": rate(up, up + down),
        "outcomes": as_number(outcome_count),
        "resolved_outcomes": as_number(resolved),
        "resolution_rate": rate(resolved, outcome_count),
        "avg_time_to_accept_s": average(total(totals, "accept_seconds"), total(totals, "accept_count")),
        "avg_time_to_resolve_s": average(total(totals, "resolve_seconds"), total(totals, "resolve_count")),
        "knowledge_gaps": as_number(total(totals, "gaps")),
        "llm_calls": as_number(total(totals, "llm_calls")),
        "llm_total_tokens": as_number(total(totals, "llm_total_tokens")),
        "llm_cost_usd": round(total(totals, "llm_cost_usd"), 6),
    }
