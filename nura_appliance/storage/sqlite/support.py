"""The support bundle's database facts on SQLite (:class:`~nura_appliance.storage.base.SupportStore`);
``storage/postgres/support.py`` is the PostgreSQL twin."""

from __future__ import annotations

from typing import Any

import apsw

from nura_appliance.storage.sqlite.db import Connection, Database

# Kinds, attempts and errors only: payloads carry customer text.
_FAILED = (
    "SELECT id, kind, attempts, substr(coalesce(last_error, ''), 1, 300) AS last_error, created_at,"
    " updated_at FROM outbox WHERE status = 'failed' ORDER BY id DESC LIMIT 50"
)
_INGESTION = (
    "SELECT id, status, files, skipped, chunks, substr(coalesce(error, ''), 1, 300) AS error, started_at,"
    " finished_at FROM ingestion_logs ORDER BY id DESC LIMIT 20"
)


class SqliteSupportStore:
    """Support facts on the app's SQLite ``Database``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def facts(self) -> dict[str, Any]:
        def run(conn: Connection) -> dict[str, Any]:  # rows are dicts (the Database row trace)
            tables = [
                r["name"]
                for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
            counts: dict[str, Any] = {}
            for name in tables:
                try:
                    counts[name] = conn.execute(f'SELECT count(*) AS n FROM "{name}"').fetchall()[0]["n"]
                except apsw.Error as exc:  # e.g. a vector table whose extension version differs
                    counts[name] = f"unreadable: {exc}"
            statuses = "SELECT status, count(*) AS n FROM sessions GROUP BY status"
            return {
                "tables": counts,
                "migrations": [r["name"] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY name")],
                "failed_jobs": list(conn.execute(_FAILED)),
                "ingestion_runs": list(conn.execute(_INGESTION)),
                "sessions_by_status": {r["status"]: r["n"] for r in conn.execute(statuses)},
                "engine": {
                    name: next(iter(conn.execute(f"PRAGMA {name}").fetchall()[0].values()))
                    for name in ("journal_mode", "page_size", "page_count", "freelist_count")
                },
            }

        return await self.db.read(run)

    async def stats(self) -> dict[str, Any]:
        def run(conn: Connection) -> dict[str, int]:
            names = [
                r["name"]
                for r in conn.execute(
                    "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'virtual')"
                    " AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
            return {n: conn.execute(f'SELECT count(*) AS n FROM "{n}"').fetchall()[0]["n"] for n in names}

        tables = await self.db.read(run)
        return {"tables": tables, "bytes": self.db.path.stat().st_size}
