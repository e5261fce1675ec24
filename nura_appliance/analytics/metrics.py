"""Every analytics figure, defined once (docs/ANALYTICS.md explains the same definitions).

Reports are built from additive *counters*: one SQL group-by per counter over one source
table, keyed by UTC day, channel, language and a counter-specific key. The same query fills
the daily aggregate table (``analytics_daily``) and answers raw reads, so a report computed
from aggregates for past days plus raw rows for today equals a raw-only computation by
construction; rates and averages are derived from the summed counters at the very end.
"""

from __future__ import annotations

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


_BUCKET_SQL = (f"CASE WHEN coalesce(t.confidence, 0) >= {HIGH_CONFIDENCE} THEN 'high'"
               f" WHEN coalesce(t.confidence, 0) >= {MEDIUM_CONFIDENCE} THEN 'medium' ELSE 'low' END")
_ANSWERED_SQL = "t.escalated = 0 AND t.source IN ({})".format(", ".join(f"'{s}'" for s in ANSWER_SOURCES))


@dataclass(frozen=True)
class Counter:
    """One additive counter: ``value`` aggregated over rows of ``table`` grouped by ``key``.

    ``lang`` is None when the source has no language of its own (LLM usage): the language
    filter then does not narrow that counter.
    """

    name: str
    table: str
    time: str
    channel: str
    lang: str | None
    session: str
    key: str = "''"
    value: str = "count(*)"
    where: str = ""

    def select(self, extra_where: str = "") -> str:
        lang = f"coalesce({self.lang}, '')" if self.lang else "''"
        conditions = [f"{self.time} >= :start", f"{self.time} < :end"]
        if self.where:
            conditions.append(f"({self.where})")
        if extra_where:
            conditions.append(extra_where)
        return (
            f"SELECT date({self.time}, 'unixepoch') AS day, coalesce({self.channel}, '') AS channel,"
            f" {lang} AS lang, coalesce({self.key}, '') AS key, {self.value} AS value"
            f" FROM {self.table} WHERE {' AND '.join(conditions)} GROUP BY 1, 2, 3, 4"
        )


_LOGS = dict(table="conversation_logs t", time="t.created_at", channel="t.channel", lang="t.lang",
             session="t.session_id")
_SESSIONS = dict(table="sessions t", time="t.created_at", channel="t.channel", lang="t.lang", session="t.id")
_FEEDBACK = dict(table="message_feedback t LEFT JOIN conversation_logs c ON c.bot_turn_id = t.message_id",
                 time="t.created_at", channel="c.channel", lang="c.lang", session="t.session_id")
_INSIGHTS = dict(table="message_insights t LEFT JOIN sessions s ON s.id = t.session_id", time="t.created_at",
                 channel="s.channel", lang="t.lang", session="t.session_id")
_GAPS = dict(table="knowledge_gaps t LEFT JOIN sessions s ON s.id = t.session_id", time="t.created_at",
             channel="s.channel", lang="t.lang", session="t.session_id")
_OUTCOMES = dict(table="session_outcomes t", time="t.created_at", channel="t.channel", lang="t.lang",
                 session="t.session_id")
_USAGE = dict(table="llm_usage_logs t LEFT JOIN sessions s ON s.id = t.session_id", time="t.created_at",
              channel="s.channel", lang=None, session="t.session_id")
_WIDGET = dict(table="widget_events t", time="t.created_at", channel="t.channel", lang="t.lang",
               session="t.session_id")
_TREE = dict(table="tree_clicks t", time="t.created_at", channel="t.channel", lang="t.lang", session="t.session_id")
_MODEL_KEY = f"coalesce(t.provider, '') || '{SEP}' || coalesce(t.model, '')"

COUNTERS: tuple[Counter, ...] = (
    # Messages: one conversation_logs row per customer message the pipeline answered.
    Counter("messages", **_LOGS),
    Counter("messages_by_source", key="t.source", **_LOGS),
    Counter("messages_escalated", where="t.escalated = 1", **_LOGS),
    Counter("messages_answered", where=_ANSWERED_SQL, **_LOGS),
    Counter("messages_confidence", key=_BUCKET_SQL, **_LOGS),
    Counter("latency_ms", value="coalesce(sum(t.latency_ms), 0)", **_LOGS),
    # Sessions, counted on the day they started (their later state included).
    Counter("sessions_started", **_SESSIONS),
    Counter("sessions_engaged", where="t.message_count > 0", **_SESSIONS),
    Counter("sessions_handed_off", key="t.handoff_reason", where="t.handoff_at IS NOT NULL", **_SESSIONS),
    Counter("sessions_deflected", where="t.message_count > 0 AND t.handoff_at IS NULL", **_SESSIONS),
    Counter("sessions_rated", key="CAST(t.rating AS TEXT)", where="t.rating IS NOT NULL", **_SESSIONS),
    # Thumbs up/down on bot messages.
    Counter("feedback", key="t.value", **_FEEDBACK),
    # Intent classification.
    Counter("insights_intent", key="t.intent", **_INSIGHTS),
    Counter("insights_sentiment", key="t.sentiment", **_INSIGHTS),
    Counter("insights_confidence", key="t.confidence_bucket", **_INSIGHTS),
    Counter("insights_gap", where="t.knowledge_gap = 1", **_INSIGHTS),
    # Knowledge gaps, by the signal that raised them.
    Counter("gaps", key="t.reason", **_GAPS),
    # Outcomes recorded by agents when resolving a hand-off.
    Counter("outcomes", key=f"coalesce(t.status, '') || '{SEP}' || coalesce(t.issue_category, '') || '{SEP}'"
                            f" || coalesce(t.resolved_by, '')", **_OUTCOMES),
    Counter("outcomes_root_cause", key="t.root_cause", **_OUTCOMES),
    Counter("outcomes_handoff_reason", key="t.handoff_reason", **_OUTCOMES),
    Counter("accept_seconds", value="sum(t.time_to_accept_s)", where="t.time_to_accept_s IS NOT NULL", **_OUTCOMES),
    Counter("accept_count", where="t.time_to_accept_s IS NOT NULL", **_OUTCOMES),
    Counter("resolve_seconds", value="sum(t.time_to_resolve_s)", where="t.time_to_resolve_s IS NOT NULL",
            **_OUTCOMES),
    Counter("resolve_count", where="t.time_to_resolve_s IS NOT NULL", **_OUTCOMES),
    # LLM usage and estimated cost.
    Counter("llm_calls", key=_MODEL_KEY, **_USAGE),
    Counter("llm_prompt_tokens", key=_MODEL_KEY, value="sum(t.prompt_tokens)", **_USAGE),
    Counter("llm_completion_tokens", key=_MODEL_KEY, value="sum(t.completion_tokens)", **_USAGE),
    Counter("llm_total_tokens", key=_MODEL_KEY, value="sum(t.total_tokens)", **_USAGE),
    Counter("llm_cost_usd", key=_MODEL_KEY, value="sum(t.cost_usd)", **_USAGE),
    Counter("llm_errors", key=_MODEL_KEY, where="t.ok = 0", **_USAGE),
    Counter("llm_purpose", key="t.purpose", **_USAGE),
    # Widget telemetry and guided-tree clicks.
    Counter("widget_events", key="t.event_type", **_WIDGET),
    Counter("tree_clicks", key="t.topic_id", **_TREE),
)
COUNTER_BY_NAME = {c.name: c for c in COUNTERS}
LANGLESS_COUNTERS = tuple(c.name for c in COUNTERS if c.lang is None)


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
