"""What ``nura export`` reads, on SQLite (:class:`~nura_appliance.storage.base.ExportStore`;
``storage/postgres/export.py`` is the PostgreSQL twin): a report's SQL or a table's rows, streamed
from one read transaction (WAL: a consistent snapshot while the server writes; never the writer)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import apsw

from nura_appliance.storage.base import ExportSink
from nura_appliance.storage.sqlite.db import Connection, Database

# The reports of ``ops/export.py`` (``REPORTS``), in SQLite's SQL.
REPORT_SQL: dict[str, str] = {
    "conversations": (
        "SELECT datetime(created_at, 'unixepoch') AS time, session_id, customer_id, channel, lang, "
        "customer_message, response, source, round(confidence, 3) AS confidence, escalated, article_id, "
        "round(latency_ms, 1) AS latency_ms FROM conversation_logs WHERE created_at >= :since ORDER BY id"
    ),
    "handoffs": (
        "SELECT datetime(resolved_at, 'unixepoch') AS resolved, session_id, channel, lang, handoff_reason, "
        "status, issue_category, root_cause, resolution_notes, resolved_by, "
        "round(time_to_accept_s, 1) AS time_to_accept_s, round(time_to_resolve_s, 1) AS time_to_resolve_s "
        "FROM session_outcomes WHERE created_at >= :since ORDER BY id"
    ),
    "llm-cost": (
        "SELECT date(created_at, 'unixepoch') AS day, provider, model, purpose, count(*) AS calls, "
        "sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens, "
        "sum(total_tokens) AS total_tokens, round(sum(cost_usd), 6) AS cost_usd, sum(1 - ok) AS failures "
        "FROM llm_usage_logs WHERE created_at >= :since GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
    ),
    "intents": (
        "SELECT date(created_at, 'unixepoch') AS day, coalesce(intent, 'unknown') AS intent, "
        "coalesce(sentiment, 'unknown') AS sentiment, count(*) AS messages, sum(knowledge_gap) AS gaps "
        "FROM message_insights WHERE created_at >= :since GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    ),
    "files": (
        "SELECT datetime(created_at, 'unixepoch') AS time, session_id, turn_id, uploader_role, uploader, channel, "
        "kind, original_name, size, width, height, sha256 FROM attachments WHERE created_at >= :since "
        "ORDER BY created_at"
    ),
    "tiers": (
        "SELECT date(created_at, 'unixepoch') AS day, coalesce(source, 'none') AS source, count(*) AS messages, "
        "sum(escalated) AS escalated, round(avg(confidence), 3) AS avg_confidence "
        "FROM conversation_logs WHERE created_at >= :since GROUP BY 1, 2 ORDER BY 1, 2"
    ),
}
_TIME_COLUMNS = ("created_at", "started_at", "updated_at")


def _tables(conn: Connection) -> list[str]:
    """Plain tables: not SQLite's own, not FTS/vector virtual tables nor their shadow tables."""
    rows = list(conn.execute("SELECT name, type FROM pragma_table_list WHERE schema = 'main'"))
    virtual = {r["name"] for r in rows if r["type"] == "virtual"}
    return sorted(
        r["name"]
        for r in rows
        if r["type"] == "table"
        and not r["name"].startswith("sqlite_")
        # FTS5 and vec0 keep their data in shadow tables named "<virtual table>_<suffix>".
        and not any(r["name"].startswith(v + "_") for v in virtual)
    )


class SqliteExportStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def tables(self) -> list[str]:
        return await self.db.read(_tables)

    async def stream(
        self, name: str, *, since: float, limit: int | None, hidden: frozenset[str], sink: ExportSink
    ) -> int:
        if limit is not None and limit < 0:
            raise ValueError("limit must not be negative")

        def run(conn: Connection) -> int:
            if name in REPORT_SQL:
                sql, params = REPORT_SQL[name], {"since": since}
            elif name in _tables(conn):
                columns = [r["name"] for r in conn.execute(f'PRAGMA table_info("{name}")') if r["name"] not in hidden]
                time_column = next((c for c in _TIME_COLUMNS if c in columns), None)
                where = f' WHERE "{time_column}" >= :since' if time_column and since else ""
                quoted = ", ".join(f'"{c}"' for c in columns)
                sql, params = f'SELECT {quoted} FROM "{name}"{where} ORDER BY rowid', {"since": since} if where else {}
            else:
                raise LookupError(name)
            if limit is not None:
                sql += f" LIMIT {int(limit)}"
            cursor = conn.execute(sql, params)
            try:
                columns = [d[0] for d in cursor.getdescription()]
            except apsw.ExecutionCompleteError:  # no row: apsw has no description then
                # One row of NULLs under the statement's own column names.
                empty = conn.execute(f"SELECT q.* FROM (SELECT 1) AS one LEFT JOIN ({sql}) AS q ON 1", params)
                columns = list(next(iter(empty)))
            rows: Iterator[dict[str, Any]] = iter(cursor)
            return sink(columns, rows)

        return await self.db.read(run)
