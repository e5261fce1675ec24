"""The rules the admin edits (``rules`` table) on PostgreSQL, in its own SQL (see
:class:`~nura_appliance.storage.base.RuleStore`). Each write and its ``kb_meta.version`` bump go in
one round trip inside the writer's transaction."""

from __future__ import annotations

import time
from typing import Any

from nura_appliance.storage.base import rule_from_row, rule_row_values
from nura_appliance.storage.postgres.db import PgConnection, PgDatabase

# Replacing keeps the rule's place; a new rule goes after the last one. The writer is serialised,
# so reading max(position) inside the statement is safe.
_UPSERT = (
    "INSERT INTO rules (id, position, patterns, response, match_mode, enabled, updated_at)"
    " VALUES (%s, coalesce((SELECT position FROM rules WHERE id = %s),"
    " (SELECT coalesce(max(position), -1) + 1 FROM rules)), %s, %s, %s, %s, %s)"
    " ON CONFLICT (id) DO UPDATE SET patterns = EXCLUDED.patterns, response = EXCLUDED.response,"
    " match_mode = EXCLUDED.match_mode, enabled = EXCLUDED.enabled, updated_at = EXCLUDED.updated_at"
    " RETURNING *"
)
_BUMP = "INSERT INTO kb_meta (key, value) VALUES ('version', %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"


class PgRuleStore:
    """Rules on a :class:`PgDatabase`."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def list(self) -> list[dict[str, Any]]:
        rows = await self.db.read(lambda c: c.sql("SELECT * FROM rules ORDER BY position, id").fetchall())
        return [rule_from_row(r) for r in rows]

    async def get(self, rule_id: str) -> dict[str, Any] | None:
        row = await self.db.read(lambda c: c.sql("SELECT * FROM rules WHERE id = %s", (rule_id,)).fetchone())
        return rule_from_row(row) if row else None

    async def save(self, rule: dict[str, Any]) -> dict[str, Any]:
        now = time.time()
        rule_id, _, *rest = rule_row_values(rule, 0, now)
        params = (rule_id, rule_id, *rest)

        def run(conn: PgConnection) -> dict[str, Any]:
            saved, _ = conn.sql_pipeline([(_UPSERT, params), (_BUMP, (str(now),))])
            return rule_from_row(saved[0])

        return await self.db.write(run)

    async def delete(self, rule_id: str) -> bool:
        def run(conn: PgConnection) -> bool:
            gone = conn.sql("DELETE FROM rules WHERE id = %s RETURNING id", (rule_id,)).fetchall()
            if gone:
                conn.sql(_BUMP, (str(time.time()),))
            return bool(gone)

        return await self.db.write(run)
