"""``nura export``: a table or a report to CSV or JSON.

Runs on its own read-only stdlib ``sqlite3`` connection through sqlite-utils (sqlite-utils
does not work on apsw connections, and an export must never queue behind the server's writer).
WAL lets it read a consistent snapshot while the server writes.

Columns that hold secrets (password hashes, session-token hashes, Telegram session tokens) are
never exported, whatever is asked.
"""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlite_utils

from nura_appliance.errors import NotFound, ValidationFailed
from nura_appliance.ops.masking import mask_value
from nura_appliance.spreadsheet import write_csv

FORMATS = ("csv", "json")
# Never leave the database, even with --no-mask: they are credentials, not data.
SECRET_COLUMNS = {"password_hash", "token_hash", "session_token"}

# Reports: joined, human-oriented views. Names differ from every table name on purpose.
REPORTS: dict[str, tuple[str, str]] = {
    "conversations": (
        "Every customer message with the answer, its source tier and confidence.",
        "SELECT datetime(created_at, 'unixepoch') AS time, session_id, customer_id, channel, lang, "
        "customer_message, response, source, round(confidence, 3) AS confidence, escalated, article_id, "
        "round(latency_ms, 1) AS latency_ms FROM conversation_logs WHERE created_at >= :since ORDER BY id",
    ),
    "handoffs": (
        "Resolved hand-offs with outcome, agent and time to accept / resolve.",
        "SELECT datetime(resolved_at, 'unixepoch') AS resolved, session_id, channel, lang, handoff_reason, "
        "status, issue_category, root_cause, resolution_notes, resolved_by, "
        "round(time_to_accept_s, 1) AS time_to_accept_s, round(time_to_resolve_s, 1) AS time_to_resolve_s "
        "FROM session_outcomes WHERE created_at >= :since ORDER BY id",
    ),
    "llm-cost": (
        "LLM calls, tokens and cost per day, provider, model and purpose.",
        "SELECT date(created_at, 'unixepoch') AS day, provider, model, purpose, count(*) AS calls, "
        "sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens, "
        "sum(total_tokens) AS total_tokens, round(sum(cost_usd), 6) AS cost_usd, sum(1 - ok) AS failures "
        "FROM llm_usage_logs WHERE created_at >= :since GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
    ),
    "intents": (
        "Classified intents and sentiment per day.",
        "SELECT date(created_at, 'unixepoch') AS day, coalesce(intent, 'unknown') AS intent, "
        "coalesce(sentiment, 'unknown') AS sentiment, count(*) AS messages, sum(knowledge_gap) AS gaps "
        "FROM message_insights WHERE created_at >= :since GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    ),
    "files": (
        "Photos and PDFs attached to conversations: who sent them, type and size (files stay in uploads/).",
        "SELECT datetime(created_at, 'unixepoch') AS time, session_id, turn_id, uploader_role, uploader, channel, "
        "kind, original_name, size, width, height, sha256 FROM attachments WHERE created_at >= :since "
        "ORDER BY created_at",
    ),
    "tiers": (
        "Answers per day by source tier (rules, tree, article, rag, LLM, fallback, agent).",
        "SELECT date(created_at, 'unixepoch') AS day, coalesce(source, 'none') AS source, count(*) AS messages, "
        "sum(escalated) AS escalated, round(avg(confidence), 3) AS avg_confidence "
        "FROM conversation_logs WHERE created_at >= :since GROUP BY 1, 2 ORDER BY 1, 2",
    ),
}


def open_readonly(path: Path) -> sqlite_utils.Database:
    if not path.is_file():
        raise NotFound(f"{path} does not exist; run `nura init` first", code="no_database")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    return sqlite_utils.Database(conn)


def exportable_tables(db: sqlite_utils.Database) -> list[str]:
    """Plain tables (not FTS/vector shadow tables, not SQLite's own)."""
    virtual = {t.name for t in db.tables if (t.schema or "").upper().startswith("CREATE VIRTUAL")}
    names = []
    for table in db.tables:
        name = table.name
        if name.startswith("sqlite_") or name in virtual:
            continue
        # FTS5 and vec0 keep their data in shadow tables named "<virtual table>_<suffix>".
        if any(name.startswith(v + "_") for v in virtual):
            continue
        names.append(name)
    return sorted(names)


def _rows(db: sqlite_utils.Database, name: str, since: float, limit: int | None) -> tuple[list[str], Iterator[dict]]:
    if name in REPORTS:
        sql = REPORTS[name][1]
        params: dict[str, Any] = {"since": since}
    elif name in exportable_tables(db):
        table = db.table(name)
        columns = [c.name for c in table.columns if c.name not in SECRET_COLUMNS]
        time_column = next((c for c in ("created_at", "started_at", "updated_at") if c in columns), None)
        quoted = ", ".join(f'"{c}"' for c in columns)
        where = f' WHERE "{time_column}" >= :since' if time_column and since else ""
        sql = f'SELECT {quoted} FROM "{name}"{where} ORDER BY rowid'
        params = {"since": since} if where else {}
    else:
        choices = ", ".join(sorted(REPORTS)) + "; tables: " + ", ".join(exportable_tables(db))
        raise NotFound(f"no table or report named {name!r} (reports: {choices})", code="unknown_export")
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    cursor = db.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    return columns, (dict(zip(columns, row, strict=True)) for row in cursor)


def export(
    database: Path,
    name: str,
    fmt: str,
    out: io.TextIOBase | Any,
    *,
    mask: bool = False,
    since: float = 0.0,
    limit: int | None = None,
    bom: bool = True,
) -> int:
    """Write table or report ``name`` to ``out`` as CSV or JSON; returns the number of rows.

    CSV starts with a UTF-8 byte-order mark (``bom=False`` leaves it out) and text cells that a
    spreadsheet would run as a formula are prefixed with ``'``.
    """
    if fmt not in FORMATS:
        raise ValidationFailed(f"--format must be one of {', '.join(FORMATS)}", code="invalid_format")
    db = open_readonly(database)
    try:
        columns, rows = _rows(db, name, since, limit)
        count = 0
        if fmt == "csv":
            # UTF-8 BOM and the formula guard, as every CSV the appliance writes (spreadsheet.py).
            count = write_csv(
                out, columns, ([mask_value(row[c]) if mask else row[c] for c in columns] for row in rows), bom=bom
            )
        else:
            out.write("[")
            for row in rows:
                cleaned = {k: mask_value(v) if mask else v for k, v in row.items()}
                out.write(("," if count else "") + "\n  " + json.dumps(cleaned, ensure_ascii=False, default=str))
                count += 1
            out.write("\n]\n" if count else "]\n")
        return count
    finally:
        db.close()
