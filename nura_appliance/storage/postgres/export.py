"""What ``nura export`` reads, on PostgreSQL (:class:`~nura_appliance.storage.base.ExportStore`;
SQLite's twin is ``storage/sqlite/export.py``): the same reports in PostgreSQL's SQL (``to_char``
of UTC times, ``round(x::numeric, n)::float8``), tables ordered by their primary key, rows
streamed from the server (psycopg ``Cursor.stream``), values as SQLite gives them (integers for
integral sums, floats for rounded figures, ``bytes``, 0/1 for booleans)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from psycopg import sql as pgsql

from nura_appliance.storage.base import ExportSink
from nura_appliance.storage.postgres.db import PgConnection, PgDatabase

_TIME = "to_char(to_timestamp({c}) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
_DAY = "to_char(to_timestamp(created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"

# The reports of ``ops/export.py`` (``REPORTS``), in PostgreSQL's SQL.
REPORT_SQL: dict[str, str] = {
    "conversations": (
        f"SELECT {_TIME.format(c='created_at')} AS time, session_id, customer_id, channel, lang, "
        "customer_message, response, source, round(confidence::numeric, 3)::float8 AS confidence, escalated, "
        "article_id, round(latency_ms::numeric, 1)::float8 AS latency_ms FROM conversation_logs "
        "WHERE created_at >= %(since)s ORDER BY id"
    ),
    "handoffs": (
        f"SELECT {_TIME.format(c='resolved_at')} AS resolved, session_id, channel, lang, handoff_reason, "
        "status, issue_category, root_cause, resolution_notes, resolved_by, "
        "round(time_to_accept_s::numeric, 1)::float8 AS time_to_accept_s, "
        "round(time_to_resolve_s::numeric, 1)::float8 AS time_to_resolve_s "
        "FROM session_outcomes WHERE created_at >= %(since)s ORDER BY id"
    ),
    "llm-cost": (
        f"SELECT {_DAY} AS day, provider, model, purpose, count(*) AS calls, "
        "sum(prompt_tokens)::int8 AS prompt_tokens, sum(completion_tokens)::int8 AS completion_tokens, "
        "sum(total_tokens)::int8 AS total_tokens, round(sum(cost_usd)::numeric, 6)::float8 AS cost_usd, "
        "sum(1 - ok)::int8 AS failures FROM llm_usage_logs WHERE created_at >= %(since)s "
        "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
    ),
    "intents": (
        f"SELECT {_DAY} AS day, coalesce(intent, 'unknown') AS intent, "
        "coalesce(sentiment, 'unknown') AS sentiment, count(*) AS messages, sum(knowledge_gap)::int8 AS gaps "
        "FROM message_insights WHERE created_at >= %(since)s GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    ),
    "files": (
        f"SELECT {_TIME.format(c='created_at')} AS time, session_id, turn_id, uploader_role, uploader, channel, "
        "kind, original_name, size, width, height, sha256 FROM attachments WHERE created_at >= %(since)s "
        "ORDER BY created_at"
    ),
    "tiers": (
        f"SELECT {_DAY} AS day, coalesce(source, 'none') AS source, count(*) AS messages, "
        "sum(escalated)::int8 AS escalated, round(avg(confidence)::numeric, 3)::float8 AS avg_confidence "
        "FROM conversation_logs WHERE created_at >= %(since)s GROUP BY 1, 2 ORDER BY 1, 2"
    ),
}
# Base tables with their columns and primary key; the lexical index tables (a tsvector column:
# kb_fts, chunk_fts) are FTS5 virtual tables on SQLite and are not exported there either.
_TABLES = (
    "SELECT c.table_name AS t, array_agg(c.column_name::text ORDER BY c.ordinal_position) AS columns,"
    " bool_or(c.data_type = 'tsvector') AS lexical,"
    " (SELECT array_agg(k.column_name::text ORDER BY k.ordinal_position) FROM information_schema.table_constraints tc"
    " JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name"
    " AND k.table_schema = tc.table_schema AND k.table_name = tc.table_name"
    " WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = current_schema()"
    " AND tc.table_name = c.table_name) AS keys"
    " FROM information_schema.columns c JOIN information_schema.tables t ON t.table_name = c.table_name"
    " AND t.table_schema = c.table_schema AND t.table_type = 'BASE TABLE'"
    " WHERE c.table_schema = current_schema() GROUP BY c.table_name"
)
_TIME_COLUMNS = ("created_at", "started_at", "updated_at")


def _tables(conn: PgConnection) -> dict[str, dict[str, Any]]:
    return {r["t"]: r for r in conn.sql(_TABLES).fetchall() if not r["lexical"]}


def _value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, bool):
        return int(value)
    return value


class PgExportStore:
    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def tables(self) -> list[str]:
        return sorted(await self.db.read(_tables))

    async def stream(
        self, name: str, *, since: float, limit: int | None, hidden: frozenset[str], sink: ExportSink
    ) -> int:
        if limit is not None and limit < 0:
            raise ValueError("limit must not be negative")

        def run(conn: PgConnection) -> int:
            params: dict[str, Any] = {"since": since}
            if name in REPORT_SQL:
                statement: Any = pgsql.SQL(REPORT_SQL[name])
            else:
                table = _tables(conn).get(name)
                if table is None:
                    raise LookupError(name)
                columns = [c for c in table["columns"] if c not in hidden]
                time_column = next((c for c in _TIME_COLUMNS if c in columns), None)
                statement = pgsql.SQL("SELECT {} FROM {}").format(
                    pgsql.SQL(", ").join(pgsql.Identifier(c) for c in columns), pgsql.Identifier(name)
                )
                if time_column and since:
                    statement += pgsql.SQL(" WHERE {} >= %(since)s").format(pgsql.Identifier(time_column))
                if table["keys"]:
                    statement += pgsql.SQL(" ORDER BY {}").format(
                        pgsql.SQL(", ").join(pgsql.Identifier(k) for k in table["keys"])
                    )
            if limit is not None:
                statement += pgsql.SQL(" LIMIT {}").format(pgsql.Literal(int(limit)))
            with conn.raw.cursor() as cur:
                # Single-row mode: rows arrive as the sink writes them, never all in memory.
                stream = cur.stream(statement, params)
                first = next(stream, None)
                if first is None:  # no row came, so no description either: ask for the columns alone
                    cur.execute(pgsql.SQL("SELECT * FROM ({}) AS q LIMIT 0").format(statement), params)
                columns = [d.name for d in cur.description or ()]

                def rows() -> Iterator[dict[str, Any]]:
                    if first is None:
                        return
                    yield {k: _value(v) for k, v in first.items()}
                    for row in stream:
                        yield {k: _value(v) for k, v in row.items()}

                return sink(columns, rows())

        return await self.db.read(run)
