"""The admin's setting values on PostgreSQL, in its own SQL (see
:class:`~nura_appliance.storage.base.RuntimeSettingsStore`). A change of several values goes to
the server in one pipeline inside the writer's transaction."""

from __future__ import annotations

from typing import Any

from nura_appliance.storage.postgres.db import PgConnection, PgDatabase

_SAVE = (
    "INSERT INTO runtime_settings (name, value, updated_by, updated_at) VALUES (%s, %s, %s, %s)"
    " ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_by = EXCLUDED.updated_by,"
    " updated_at = EXCLUDED.updated_at"
)
_CLEAR = "DELETE FROM runtime_settings WHERE name = %s"


class PgRuntimeSettingsStore:
    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def values(self) -> dict[str, str]:
        rows = await self.db.read(lambda c: c.sql("SELECT name, value FROM runtime_settings").fetchall())
        return {row["name"]: row["value"] for row in rows}

    async def marker(self) -> tuple[int, float]:
        row = await self.db.read(
            lambda c: c.sql("SELECT count(*) AS n, coalesce(max(updated_at), 0) AS t FROM runtime_settings").fetchone()
        )
        return (int(row["n"]), float(row["t"])) if row else (0, 0.0)

    async def change(self, values: dict[str, str | None], actor: str, now: float) -> None:
        statements: list[tuple[str, Any]] = [
            (_CLEAR, (name,)) if value is None else (_SAVE, (name, value, actor, now)) for name, value in values.items()
        ]

        def write(conn: PgConnection) -> None:
            if statements:
                conn.sql_pipeline(statements)

        await self.db.write(write)
