"""The rows ``nura import-original`` writes, shared by both backends' ``OriginalImportStore``
(``storage/sqlite/original.py``, ``storage/postgres/original.py``): the ledger entry, one converted
row, the columns each target table may receive (never taken from the source) and the tables the
dashboard's daily figures come from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Tables this store inserts into, and the columns it may name (never taken from the source).
COLUMNS: dict[str, tuple[str, ...]] = {
    "conversation_logs": (
        "session_id",
        "customer_id",
        "channel",
        "lang",
        "customer_message",
        "response",
        "source",
        "confidence",
        "escalated",
        "article_id",
        "customer_turn_id",
        "bot_turn_id",
        "latency_ms",
        "created_at",
    ),
    "message_insights": (
        "session_id",
        "message_id",
        "intent",
        "sentiment",
        "confidence_bucket",
        "knowledge_gap",
        "classifier",
        "lang",
        "created_at",
    ),
    "session_outcomes": (
        "session_id",
        "status",
        "issue_category",
        "root_cause",
        "resolution_notes",
        "resolved_by",
        "handoff_reason",
        "handoff_at",
        "accepted_at",
        "resolved_at",
        "time_to_accept_s",
        "time_to_resolve_s",
        "channel",
        "lang",
        "assigned_agent",
        "created_at",
    ),
    "users": (
        "username",
        "password_hash",
        "role",
        "display_name",
        "active",
        "token_version",
        "created_at",
        "updated_at",
        "last_login_at",
    ),
    "canned_replies": ("id", "lang", "title", "text", "created_at", "updated_at"),
    "suggestions": (
        "session_id",
        "kind",
        "text",
        "contact",
        "lang",
        "status",
        "note",
        "handled_by",
        "created_at",
        "updated_at",
    ),
    "message_feedback": ("session_id", "message_id", "value", "comment", "created_at"),
    "llm_usage_logs": (
        "session_id",
        "provider",
        "model",
        "purpose",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "cost_usd",
        "ok",
        "created_at",
    ),
    "tree_clicks": ("session_id", "customer_id", "topic_id", "article_id", "label", "lang", "channel", "created_at"),
    "widget_events": (
        "session_id",
        "customer_id",
        "event_type",
        "label",
        "meta",
        "topic_id",
        "article_id",
        "lang",
        "channel",
        "created_at",
    ),
    "security_logs": ("event", "ip", "username", "path", "detail", "created_at"),
    "audit_log": ("actor", "action", "target", "detail", "created_at"),
    "ingestion_logs": (
        "source",
        "status",
        "files",
        "skipped",
        "chunks",
        "error",
        "detail",
        "started_at",
        "finished_at",
    ),
}
# Tables the dashboard's daily figures come from (analytics/metrics.py SOURCES).
DASHBOARD_TABLES = (
    "sessions",
    "conversation_logs",
    "message_feedback",
    "message_insights",
    "knowledge_gaps",
    "session_outcomes",
    "llm_usage_logs",
    "widget_events",
    "tree_clicks",
)


@dataclass(frozen=True)
class LedgerEntry:
    """What became of one source row."""

    source_table: str
    source_key: str
    outcome: str  # imported | merged | archived | skipped
    target_table: str | None = None
    target_key: str | None = None
    data: str | None = None  # the archived row (JSON), or the reason a row was skipped


@dataclass
class Insert:
    """One row for one of our tables, and the source row it comes from."""

    table: str
    row: dict[str, Any]
    source_table: str
    source_key: str


def insert_columns(table: str, row: dict[str, Any]) -> list[str]:
    """The columns of ``row`` an import may write into ``table``; a table the import never writes
    is a ``ValueError`` (before anything is written)."""
    allowed = COLUMNS.get(table)
    if allowed is None:
        raise ValueError(f"the original-NURA import does not write table {table!r}")
    columns = [c for c in allowed if c in row]
    if not columns:
        raise ValueError(f"a row for {table!r} holds none of its columns")
    return columns
