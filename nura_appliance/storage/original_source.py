"""Reading an original NURA PostgreSQL database (its Alembic schema up to ``20260513_010``).

This is the one place that speaks to the *original* system's database: ``nura import-original``
(``original/importer.py``) reads through :class:`OriginalDatabase` and never sees SQL or a driver.
Everything is read inside **one read-only, repeatable-read transaction**, so the import sees one
consistent snapshot even if the original is still running; rows are streamed with a server-side
cursor in key order, never loaded whole. Tables and columns are discovered, not assumed: an
older original (only ``20260430_001``/``_002``) simply lacks the later tables, and a column added
later is read when it is there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from nura_appliance.errors import ConfigError

# Tables the original's migrations (and its start-up schema) create, in the order the import
# handles them. Anything else found in the database is reported as unknown and left alone.
KNOWN_TABLES = (
    "admin_users",
    "canned_replies",
    "sessions",
    "conversation_logs",
    "chat_turns",
    "session_outcomes",
    "message_insights",
    "knowledge_gap_reviews",
    "message_feedback",
    "llm_usage_logs",
    "tree_clicks",
    "widget_events",
    "security_logs",
    "admin_audit_logs",
    "ingestion_logs",
    "support_cases",
    "support_case_activity",
    "support_departments",
    "voice_calls",
    "daily_message_stats",
    "daily_cost_stats",
    "daily_handoff_stats",
)
# Alembic's own bookkeeping: read for the report, never imported.
VERSION_TABLE = "alembic_version"
# The primary key each table is read (and de-duplicated) by.
KEYS = {
    "sessions": ("session_id",),
    "support_departments": ("code",),
    "daily_message_stats": ("day",),
    "daily_cost_stats": ("day",),
    "daily_handoff_stats": ("day", "handoff_reason"),
}


class OriginalDatabase:
    """A read-only snapshot of an original NURA database."""

    BATCH = 500

    def __init__(self, url: str) -> None:
        try:
            import psycopg
            from psycopg.rows import dict_row
        except ImportError:
            raise ConfigError(
                "reading the original NURA database needs psycopg: pip install 'nura-appliance[scale]'"
            ) from None
        try:
            self.conn = psycopg.connect(url, row_factory=dict_row, connect_timeout=10)
        except psycopg.Error as exc:
            raise ConfigError(f"cannot connect to the original database: {str(exc).strip()}") from None
        self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        self._columns: dict[str, list[str]] = {}
        rows = self.conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            " AND table_type = 'BASE TABLE'"
        ).fetchall()
        self.tables: set[str] = {r["table_name"] for r in rows}
        self._cursors = 0

    def close(self) -> None:
        self.conn.rollback()
        self.conn.close()

    def __enter__(self) -> OriginalDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- shape -----------------------------------------------------------------------------------
    def has(self, table: str) -> bool:
        return table in self.tables

    def columns(self, table: str) -> list[str]:
        if table not in self._columns:
            rows = self.conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
                " AND table_name = %s ORDER BY ordinal_position",
                (table,),
            ).fetchall()
            self._columns[table] = [r["column_name"] for r in rows]
        return self._columns[table]

    def schema_version(self) -> str | None:
        """The Alembic revision the original was migrated to (None without Alembic)."""
        if VERSION_TABLE not in self.tables:
            return None
        rows = self.conn.execute(f'SELECT version_num FROM "{VERSION_TABLE}"').fetchall()
        return ", ".join(sorted(r["version_num"] for r in rows)) or None

    def unknown_tables(self) -> list[str]:
        return sorted(self.tables - set(KNOWN_TABLES) - {VERSION_TABLE})

    def count(self, table: str, where: str = "", params: tuple[Any, ...] = ()) -> int:
        if table not in self.tables:
            return 0
        sql = f'SELECT count(*) AS n FROM "{table}"' + (f" WHERE {where}" if where else "")
        return int(self.conn.execute(sql, params).fetchall()[0]["n"])

    # -- rows --------------------------------------------------------------------------------------
    def rows(self, table: str, where: str = "", params: tuple[Any, ...] = ()) -> Iterator[list[dict[str, Any]]]:
        """The table's rows in key order, in batches (a server-side cursor: memory stays flat)."""
        if table not in self.tables:
            return
        order = ", ".join(f'"{k}"' for k in KEYS.get(table, ("id",)) if k in self.columns(table)) or "1"
        self._cursors += 1
        sql = f'SELECT * FROM "{table}"' + (f" WHERE {where}" if where else "") + f" ORDER BY {order}"
        with self.conn.cursor(name=f"nura_import_{self._cursors}") as cursor:
            cursor.itersize = self.BATCH
            cursor.execute(sql, params)
            while True:
                batch = cursor.fetchmany(self.BATCH)
                if not batch:
                    return
                yield batch

    def rows_for_sessions(self, table: str, session_ids: list[str]) -> list[dict[str, Any]]:
        """Every row of ``table`` that belongs to one of ``session_ids``, in id order."""
        if table not in self.tables or not session_ids:
            return []
        return self.conn.execute(
            f'SELECT * FROM "{table}" WHERE session_id = ANY(%s) ORDER BY id', (session_ids,)
        ).fetchall()

    def session_ids_without_row(self) -> list[str]:
        """Sessions the logs name that have no ``sessions`` row (the original kept durable sessions
        only from ``20260430_002`` on; older conversations live in its logs alone)."""
        parts = [
            f'SELECT session_id FROM "{t}" WHERE session_id IS NOT NULL'
            for t in ("conversation_logs", "chat_turns", "session_outcomes", "message_insights")
            if t in self.tables
        ]
        if not parts:
            return []
        union = " UNION ".join(parts)
        if "sessions" in self.tables:
            sql = f"SELECT DISTINCT x.session_id FROM ({union}) x LEFT JOIN sessions s ON s.session_id = x.session_id"
            sql += " WHERE s.session_id IS NULL ORDER BY 1"
        else:
            sql = f"SELECT DISTINCT x.session_id FROM ({union}) x ORDER BY 1"
        return [r["session_id"] for r in self.conn.execute(sql).fetchall()]
