"""The rules the admin edits (``rules`` table) on SQLite (:class:`~nura_appliance.storage.base.RuleStore`).

``storage/postgres/rules.py`` is the PostgreSQL twin. Every write bumps ``kb_meta.version`` in its
own transaction, so the pipeline reloads its rule matcher at once in this process and within a
couple of seconds in others (docs/DEVELOPING.md).
"""

from __future__ import annotations

import time
from typing import Any

from nura_appliance.storage.base import rule_from_row
from nura_appliance.storage.sqlite.db import Connection, Database
from nura_appliance.storage.sqlite.knowledge import bump_version, write_rule


class SqliteRuleStore:
    """Rules on the app's SQLite ``Database``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def list(self) -> list[dict[str, Any]]:
        rows = await self.db.fetchall("SELECT * FROM rules ORDER BY position, id")
        return [rule_from_row(r) for r in rows]

    async def get(self, rule_id: str) -> dict[str, Any] | None:
        row = await self.db.fetchone("SELECT * FROM rules WHERE id = ?", (rule_id,))
        return rule_from_row(row) if row else None

    async def save(self, rule: dict[str, Any]) -> dict[str, Any]:
        now = time.time()

        def run(conn: Connection) -> dict[str, Any]:
            found = conn.execute("SELECT position FROM rules WHERE id = ?", (rule["id"],)).fetchall()
            if found:
                position = found[0]["position"]
            else:
                position = conn.execute("SELECT coalesce(max(position), -1) + 1 AS p FROM rules").fetchall()[0]["p"]
            write_rule(conn, rule, position, now)
            bump_version(conn)
            return rule_from_row(conn.execute("SELECT * FROM rules WHERE id = ?", (rule["id"],)).fetchall()[0])

        return await self.db.write(run)

    async def delete(self, rule_id: str) -> bool:
        def run(conn: Connection) -> bool:
            conn.execute("DELETE FROM rules WHERE id = ?", (rule_id,))
            gone = conn.changes() > 0
            if gone:
                bump_version(conn)
            return gone

        return await self.db.write(run)
