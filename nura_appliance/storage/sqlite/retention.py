"""Retention's counts and batched deletes on SQLite (:class:`~nura_appliance.storage.base.RetentionStore`);
``storage/postgres/retention.py`` is the PostgreSQL twin."""

from __future__ import annotations

from collections.abc import Sequence

from nura_appliance.storage.base import PurgeTable
from nura_appliance.storage.sqlite.db import Connection, Database


def _where(column: str, condition: str) -> str:
    return f'"{column}" < ?' + (f" AND {condition}" if condition else "")


class SqliteRetentionStore:
    """Retention on the app's SQLite ``Database``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def tables(self) -> set[str]:
        rows = await self.db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {r["name"] for r in rows}

    async def count_older(self, tables: Sequence[PurgeTable], cutoff: float) -> dict[str, int]:
        def run(conn: Connection) -> dict[str, int]:
            present = {r["name"] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            return {
                table: conn.execute(
                    f'SELECT count(*) AS n FROM "{table}" WHERE {_where(column, cond)}', (cutoff,)
                ).fetchall()[0]["n"]
                for table, column, cond in tables
                if table in present
            }

        return await self.db.read(run)

    async def delete_older(self, table: PurgeTable, cutoff: float, limit: int) -> int:
        name, column, cond = table
        statement = (
            f'DELETE FROM "{name}" WHERE rowid IN (SELECT rowid FROM "{name}" '
            f"WHERE {_where(column, cond)} LIMIT {int(limit)})"
        )

        def run(conn: Connection) -> int:
            conn.execute(statement, (cutoff,))
            return int(conn.changes())

        return await self.db.write(run)

    async def attachment_names(self) -> set[str]:
        if "attachments" not in await self.tables():
            return set()
        return {r["stored_name"] for r in await self.db.fetchall("SELECT stored_name FROM attachments")}
