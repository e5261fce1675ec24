"""What each analytics source table is grouped by: the schema side of the counters in
``analytics/metrics.py`` (which turns each group into counter contributions).

Each backend renders these into its own SQL (``storage/sqlite/analytics.py``,
``storage/postgres/analytics.py``): the day of a timestamp, blanks for missing values and truth
values are written differently, the expressions below are plain SQL both understand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# A message counts as *answered* when the bot gave knowledge (not a fallback) and did not
# escalate it.
ANSWER_SOURCES = ("tree", "rules", "article", "rag", "openai", "local_llm")
# Confidence buckets of an answer.
HIGH_CONFIDENCE = 0.75
MEDIUM_CONFIDENCE = 0.5

_BUCKET = (
    f"CASE WHEN coalesce(t.confidence, 0) >= {HIGH_CONFIDENCE} THEN 'high'"
    f" WHEN coalesce(t.confidence, 0) >= {MEDIUM_CONFIDENCE} THEN 'medium' ELSE 'low' END"
)
_ANSWERED = "t.escalated = 0 AND t.source IN ({})".format(", ".join(f"'{s}'" for s in ANSWER_SOURCES))

Kind = Literal["text", "flag"]


@dataclass(frozen=True)
class SourceTable:
    """One source: rows of ``table`` stamped by ``time``, grouped by UTC day, channel, language
    and ``dims`` (alias, expression, text or flag; a missing value groups as '' or false), with
    ``values`` aggregated per group. ``lang`` None: the source has no language of its own."""

    name: str
    table: str
    time: str
    channel: str
    lang: str | None
    session: str
    dims: tuple[tuple[str, str, Kind], ...]
    values: tuple[tuple[str, str], ...]


_COUNT = (("n", "count(*)"),)

SOURCE_TABLES: tuple[SourceTable, ...] = (
    SourceTable(
        "messages",
        "conversation_logs t",
        "t.created_at",
        "t.channel",
        "t.lang",
        "t.session_id",
        dims=(
            ("source", "t.source", "text"),
            ("bucket", _BUCKET, "text"),
            ("escalated", "t.escalated = 1", "flag"),
            ("answered", _ANSWERED, "flag"),
        ),
        values=(*_COUNT, ("latency", "sum(coalesce(t.latency_ms, 0))")),
    ),
    SourceTable(
        "sessions",
        "sessions t",
        "t.created_at",
        "t.channel",
        "t.lang",
        "t.id",
        dims=(
            ("engaged", "t.message_count > 0", "flag"),
            ("handed_off", "t.handoff_at IS NOT NULL", "flag"),
            ("reason", "CASE WHEN t.handoff_at IS NOT NULL THEN t.handoff_reason END", "text"),
            ("rating", "CAST(t.rating AS TEXT)", "text"),
        ),
        values=_COUNT,
    ),
    SourceTable(
        "feedback",
        "message_feedback t LEFT JOIN conversation_logs c ON c.bot_turn_id = t.message_id",
        "t.created_at",
        "c.channel",
        "c.lang",
        "t.session_id",
        dims=(("value", "t.value", "text"),),
        values=_COUNT,
    ),
    SourceTable(
        "insights",
        "message_insights t LEFT JOIN sessions s ON s.id = t.session_id",
        "t.created_at",
        "s.channel",
        "t.lang",
        "t.session_id",
        dims=(
            ("intent", "t.intent", "text"),
            ("sentiment", "t.sentiment", "text"),
            ("bucket", "t.confidence_bucket", "text"),
            ("gap", "t.knowledge_gap = 1", "flag"),
        ),
        values=_COUNT,
    ),
    SourceTable(
        "gaps",
        "knowledge_gaps t LEFT JOIN sessions s ON s.id = t.session_id",
        "t.created_at",
        "s.channel",
        "t.lang",
        "t.session_id",
        dims=(("reason", "t.reason", "text"),),
        values=_COUNT,
    ),
    SourceTable(
        "outcomes",
        "session_outcomes t",
        "t.created_at",
        "t.channel",
        "t.lang",
        "t.session_id",
        dims=(
            ("status", "t.status", "text"),
            ("category", "t.issue_category", "text"),
            ("agent", "t.resolved_by", "text"),
            ("root_cause", "t.root_cause", "text"),
            ("reason", "t.handoff_reason", "text"),
            ("has_accept", "t.time_to_accept_s IS NOT NULL", "flag"),
            ("has_resolve", "t.time_to_resolve_s IS NOT NULL", "flag"),
        ),
        values=(*_COUNT, ("accept", "sum(t.time_to_accept_s)"), ("resolve", "sum(t.time_to_resolve_s)")),
    ),
    SourceTable(
        "llm_usage",
        "llm_usage_logs t LEFT JOIN sessions s ON s.id = t.session_id",
        "t.created_at",
        "s.channel",
        None,
        "t.session_id",
        dims=(
            ("provider", "t.provider", "text"),
            ("model", "t.model", "text"),
            ("purpose", "t.purpose", "text"),
            ("ok", "t.ok != 0", "flag"),
        ),
        values=(
            *_COUNT,
            ("prompt", "sum(t.prompt_tokens)"),
            ("completion", "sum(t.completion_tokens)"),
            ("total", "sum(t.total_tokens)"),
            ("cost", "sum(t.cost_usd)"),
        ),
    ),
    SourceTable(
        "widget_events",
        "widget_events t",
        "t.created_at",
        "t.channel",
        "t.lang",
        "t.session_id",
        dims=(("event_type", "t.event_type", "text"),),
        values=_COUNT,
    ),
    SourceTable(
        "tree_clicks",
        "tree_clicks t",
        "t.created_at",
        "t.channel",
        "t.lang",
        "t.session_id",
        dims=(("topic", "t.topic_id", "text"),),
        values=_COUNT,
    ),
)
SOURCE_BY_NAME = {source.name: source for source in SOURCE_TABLES}

# Tables whose oldest row bounds the days a refresh may need.
EARLIEST_TABLES = (
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
