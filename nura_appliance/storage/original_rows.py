"""The rows ``nura import-original`` writes, shared by both backends' ``OriginalImportStore``
(``storage/sqlite/original.py``, ``storage/postgres/original.py``): the ledger entry, one converted
row, the columns each target table may receive (never taken from the source) and the tables the
dashboard's daily figures come from."""

from __future__ import annotations

from collections.abc import Callable
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


def conversation_rows(
    item: Any,
    turn_ids: list[int],
    insert: Callable[[str, dict[str, Any]], str],
    record_gap: Callable[[dict[str, Any]], None] | None,
) -> list[LedgerEntry]:
    """Write what one imported conversation holds after its session and turns (its turns' ledger
    entries, logs, insights with their gaps, outcome) through the backend's ``insert(table, row)``
    (returns the new row's id); ``item`` is a ``WritablePlan`` and ``turn_ids`` the ids its turns
    got, in order. Returns the ledger entries, ``item.merged`` last."""
    plan = item.plan
    entries: list[LedgerEntry] = []
    for key, turn_id in zip(item.turn_keys, turn_ids, strict=True):
        if key is not None:  # a turn made from one of the original's chat_turns rows
            entries.append(LedgerEntry("chat_turns", key, "imported", "chat_turns", str(turn_id)))
    for (row, key), (_log, customer, bot) in zip(item.logs, plan.logs, strict=True):
        row = {
            **row,
            "customer_turn_id": turn_ids[customer] if customer is not None else None,
            "bot_turn_id": turn_ids[bot] if bot is not None else None,
        }
        entries.append(
            LedgerEntry("conversation_logs", key, "imported", "conversation_logs", insert("conversation_logs", row))
        )
    for (row, key, gap), (_insight, turn) in zip(item.insights, plan.insights, strict=True):
        message_id = turn_ids[turn] if turn is not None else None
        target = insert("message_insights", {**row, "message_id": message_id})
        entries.append(LedgerEntry("message_insights", key, "imported", "message_insights", target))
        if gap is not None and record_gap is not None:
            record_gap({**gap, "session_id": plan.record.id, "message_id": message_id})
    if item.outcome is not None:
        row, key = item.outcome
        entries.append(
            LedgerEntry("session_outcomes", key, "imported", "session_outcomes", insert("session_outcomes", row))
        )
    entries.extend(item.merged)
    return entries
