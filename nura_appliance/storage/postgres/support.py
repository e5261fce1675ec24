"""The support bundle's database facts on PostgreSQL, in its own SQL (see
:class:`~nura_appliance.storage.base.SupportStore`): every count in one snapshot and one round trip."""

from __future__ import annotations

from typing import Any

from nura_appliance.storage.postgres.db import PgConnection, PgDatabase

_TABLES = (
    "SELECT table_name AS name FROM information_schema.tables"
    " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
)
# Kinds, attempts and errors only: payloads carry customer text.
_FAILED = (
    "SELECT id, kind, attempts, substr(coalesce(last_error, ''), 1, 300) AS last_error, created_at,"
    " updated_at FROM outbox WHERE status = 'failed' ORDER BY id DESC LIMIT 50"
)
_INGESTION = (
    "SELECT id, status, files, skipped, chunks, substr(coalesce(error, ''), 1, 300) AS error, started_at,"
    " finished_at FROM ingestion_logs ORDER BY id DESC LIMIT 20"
)


class PgSupportStore:
    """Support facts on a :class:`PgDatabase`."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def facts(self) -> dict[str, Any]:
        def run(conn: PgConnection) -> dict[str, Any]:
            tables = [r["name"] for r in conn.sql(_TABLES).fetchall()]
            statements: list[tuple[str, Any]] = [(f'SELECT count(*) AS n FROM "{name}"', None) for name in tables]
            statements += [
                ("SELECT name FROM schema_migrations ORDER BY name", None),
                (_FAILED, None),
                (_INGESTION, None),
                ("SELECT status, count(*) AS n FROM sessions GROUP BY status", None),
                (
                    "SELECT current_setting('server_version') AS server_version,"
                    " pg_database_size(current_database()) AS database_bytes",
                    None,
                ),
            ]
            results = conn.sql_pipeline(statements, snapshot=True)
            counts, (migrations, failed, ingestion, statuses, engine) = results[: len(tables)], results[len(tables) :]
            return {
                "tables": {name: int(rows[0]["n"]) for name, rows in zip(tables, counts, strict=True)},
                "migrations": [r["name"] for r in migrations],
                "failed_jobs": failed,
                "ingestion_runs": ingestion,
                "sessions_by_status": {r["status"]: int(r["n"]) for r in statuses},
                "engine": engine[0],
            }

        return await self.db.read(run)

    async def stats(self) -> dict[str, Any]:
        def run(conn: PgConnection) -> dict[str, Any]:
            tables = sorted(r["name"] for r in conn.sql(_TABLES).fetchall())  # code-point order, as on SQLite
            statements: list[tuple[str, Any]] = [(f'SELECT count(*) AS n FROM "{name}"', None) for name in tables]
            statements.append(("SELECT pg_database_size(current_database()) AS n", None))
            results = conn.sql_pipeline(statements, snapshot=True)
            counts = {name: int(rows[0]["n"]) for name, rows in zip(tables, results, strict=False)}
            return {"tables": counts, "bytes": int(results[-1][0]["n"])}

        return await self.db.read(run)
