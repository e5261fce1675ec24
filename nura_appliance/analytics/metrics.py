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

# A message counts as *answered* when the bot gave knowledge (not a fallback) and did not
# escalate it.
ANSWER_SOURCES = ("tree", "rules", "article", "rag", "openai", "local_llm")
# An outcome counts as *resolved* when the agent recorded one of these statuses.
RESOLVED_STATUSES = ("solved", "resolved")
# A rating (1..5) counts as *satisfied* at this score or above.
SATISFIED_MIN_RATING = 4
# Confidence buckets of an answer.
HIGH_CONFIDENCE = 0.75
MEDIUM_CONFIDENCE = 0.5
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


_BUCKET_SQL = (
    f"CASE WHEN coalesce(t.confidence, 0) >= {HIGH_CONFIDENCE} THEN 'high'"
    f" WHEN coalesce(t.confidence, 0) >= {MEDIUM_CONFIDENCE} THEN 'medium' ELSE 'low' END"
)
_ANSWERED_SQL = "t.escalated = 0 AND t.source IN ({})".format(", ".join(f"'{s}'" for s in ANSWER_SOURCES))

Emitted = Iterable[tuple[str, str, float]]  # (counter name, key, value)


@dataclass(frozen=True)
class Source:
    """One source table, scanned once per read: rows grouped by day, channel, language and the
    ``dims``; ``emit`` turns each group into contributions to named counters.

    ``lang`` is None when the source has no language of its own (LLM usage): the language
    filter then does not narrow its counters.
    """

    name: str
    table: str
    time: str
    channel: str
    lang: str | None
    session: str
    dims: tuple[tuple[str, str], ...]
    values: tuple[tuple[str, str], ...]
    emit: Callable[[dict[str, Any]], Emitted]
    counters: tuple[str, ...]

    def select(self, extra_where: str = "") -> str:
        lang = f"coalesce({self.lang}, '')" if self.lang else "''"
        conditions = [f"{self.time} >= :start", f"{self.time} < :end"]
        if extra_where:
            conditions.append(extra_where)
        dims = "".join(f", coalesce({expr}, '') AS {alias}" for alias, expr in self.dims)
        values = "".join(f", {expr} AS {alias}" for alias, expr in self.values)
        group = ", ".join(str(i) for i in range(1, 4 + len(self.dims)))
        return (
            f"SELECT date({self.time}, 'unixepoch') AS day, coalesce({self.channel}, '') AS channel,"
            f" {lang} AS lang{dims}{values} FROM {self.table} WHERE {' AND '.join(conditions)} GROUP BY {group}"
        )


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


_COUNT = (("n", "count(*)"),)

SOURCES: tuple[Source, ...] = (
    # Messages: one conversation_logs row per customer message the pipeline answered.
    Source(
        "messages",
        "conversation_logs t",
        "t.created_at",
        "t.channel",
        "t.lang",
        "t.session_id",
        dims=(
            ("source", "t.source"),
            ("bucket", _BUCKET_SQL),
            ("escalated", "t.escalated = 1"),
            ("answered", _ANSWERED_SQL),
        ),
        values=(*_COUNT, ("latency", "sum(coalesce(t.latency_ms, 0))")),
        emit=_logs,
        counters=(
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
        "sessions t",
        "t.created_at",
        "t.channel",
        "t.lang",
        "t.id",
        dims=(
            ("engaged", "t.message_count > 0"),
            ("handed_off", "t.handoff_at IS NOT NULL"),
            ("reason", "CASE WHEN t.handoff_at IS NOT NULL THEN t.handoff_reason END"),
            ("rating", "CAST(t.rating AS TEXT)"),
        ),
        values=_COUNT,
        emit=_sessions,
        counters=(
            "sessions_started",
            "sessions_engaged",
            "sessions_handed_off",
            "sessions_deflected",
            "sessions_rated",
        ),
    ),
    # Thumbs up/down on bot messages; channel and language of the message they rate.
    Source(
        "feedback",
        "message_feedback t LEFT JOIN conversation_logs c ON c.bot_turn_id = t.message_id",
        "t.created_at",
        "c.channel",
        "c.lang",
        "t.session_id",
        dims=(("value", "t.value"),),
        values=_COUNT,
        emit=_feedback,
        counters=("feedback",),
    ),
    # Intent classification.
    Source(
        "insights",
        "message_insights t LEFT JOIN sessions s ON s.id = t.session_id",
        "t.created_at",
        "s.channel",
        "t.lang",
        "t.session_id",
        dims=(
            ("intent", "t.intent"),
            ("sentiment", "t.sentiment"),
            ("bucket", "t.confidence_bucket"),
            ("gap", "t.knowledge_gap = 1"),
        ),
        values=_COUNT,
        emit=_insights,
        counters=("insights_intent", "insights_sentiment", "insights_confidence", "insights_gap"),
    ),
    # Knowledge gaps, by the signal that raised them.
    Source(
        "gaps",
        "knowledge_gaps t LEFT JOIN sessions s ON s.id = t.session_id",
        "t.created_at",
        "s.channel",
        "t.lang",
        "t.session_id",
        dims=(("reason", "t.reason"),),
        values=_COUNT,
        emit=_gaps,
        counters=("gaps",),
    ),
    # Outcomes recorded by agents when resolving a hand-off.
    Source(
        "outcomes",
        "session_outcomes t",
        "t.created_at",
        "t.channel",
        "t.lang",
        "t.session_id",
        dims=(
            ("status", "t.status"),
            ("category", "t.issue_category"),
            ("agent", "t.resolved_by"),
            ("root_cause", "t.root_cause"),
            ("reason", "t.handoff_reason"),
            ("has_accept", "t.time_to_accept_s IS NOT NULL"),
            ("has_resolve", "t.time_to_resolve_s IS NOT NULL"),
        ),
        values=(*_COUNT, ("accept", "sum(t.time_to_accept_s)"), ("resolve", "sum(t.time_to_resolve_s)")),
        emit=_outcomes,
        counters=(
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
        "llm_usage_logs t LEFT JOIN sessions s ON s.id = t.session_id",
        "t.created_at",
        "s.channel",
        None,
        "t.session_id",
        dims=(("provider", "t.provider"), ("model", "t.model"), ("purpose", "t.purpose"), ("ok", "t.ok != 0")),
        values=(
            *_COUNT,
            ("prompt", "sum(t.prompt_tokens)"),
            ("completion", "sum(t.completion_tokens)"),
            ("total", "sum(t.total_tokens)"),
            ("cost", "sum(t.cost_usd)"),
        ),
        emit=_usage,
        counters=(
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
    Source(
        "widget_events",
        "widget_events t",
        "t.created_at",
        "t.channel",
        "t.lang",
        "t.session_id",
        dims=(("event_type", "t.event_type"),),
        values=_COUNT,
        emit=_widget,
        counters=("widget_events",),
    ),
    Source(
        "tree_clicks",
        "tree_clicks t",
        "t.created_at",
        "t.channel",
        "t.lang",
        "t.session_id",
        dims=(("topic", "t.topic_id"),),
        values=_COUNT,
        emit=_tree,
        counters=("tree_clicks",),
    ),
)
COUNTER_NAMES = tuple(name for source in SOURCES for name in source.counters)
LANGLESS_COUNTERS = tuple(name for source in SOURCES if source.lang is None for name in source.counters)


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
