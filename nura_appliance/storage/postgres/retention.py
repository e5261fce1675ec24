"""Retention's counts and batched deletes on PostgreSQL, in its own SQL (see
:class:`~nura_appliance.storage.base.RetentionStore`): the counts in one snapshot and one round
trip, each delete batch by ``ctid`` in its own short write transaction."""

from __future__ import annotations

from collections.abc import Sequence

from nura_appliance.storage.base import PurgeTable
from nura_appliance.storage.postgres.db import PgConnection, PgDatabase

_TABLES = "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()"


def _where(column: str, condition: str) -> str:
    return f'"{column}" < %s' + (f" AND {condition}" if condition else "")


class PgRetentionStore:
    """Retention on a :class:`PgDatabase`."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def tables(self) -> set[str]:
        rows = await self.db.read(lambda c: c.sql(_TABLES).fetchall())
        return {r["name"] for r in rows}

    async def count_older(self, tables: Sequence[PurgeTable], cutoff: float) -> dict[str, int]:
        present = await self.tables()
        chosen = [t for t in tables if t[0] in present]
        if not chosen:
            return {}
        statements = [
            (f'SELECT count(*) AS n FROM "{table}" WHERE {_where(column, cond)}', (cutoff,))
            for table, column, cond in chosen
        ]
        results = await self.db.read(lambda c: c.sql_pipeline(statements, snapshot=True))  # type: ignore[arg-type]
        return {t[0]: int(rows[0]["n"]) for t, rows in zip(chosen, results, strict=True)}

    async def delete_older(self, table: PurgeTable, cutoff: float, limit: int) -> int:
        name, column, cond = table
        statement = (
            f'DELETE FROM "{name}" WHERE ctid IN (SELECT ctid FROM "{name}" '
            f"WHERE {_where(column, cond)} LIMIT {int(limit)})"
        )

        def run(conn: PgConnection) -> int:
            conn.sql(statement, (cutoff,))
            return conn.changes()

        return await self.db.write(run)

    async def attachment_names(self) -> set[str]:
        if "attachments" not in await self.tables():
            return set()
        rows = await self.db.read(lambda c: c.sql("SELECT stored_name FROM attachments").fetchall())
        return {r["stored_name"] for r in rows}
