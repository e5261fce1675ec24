"""The admin's setting values on SQLite (see :class:`~nura_appliance.storage.base.RuntimeSettingsStore`)."""

from __future__ import annotations

import apsw

from nura_appliance.storage.sqlite.db import Database


class SqliteRuntimeSettingsStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def values(self) -> dict[str, str]:
        rows = await self.db.fetchall("SELECT name, value FROM runtime_settings")
        return {row["name"]: row["value"] for row in rows}

    async def marker(self) -> tuple[int, float]:
        row = await self.db.fetchone("SELECT count(*) AS n, coalesce(max(updated_at), 0) AS t FROM runtime_settings")
        return (int(row["n"]), float(row["t"])) if row else (0, 0.0)

    async def change(self, values: dict[str, str | None], actor: str, now: float) -> None:
        def write(conn: apsw.Connection) -> None:
            for name, value in values.items():
                if value is None:
                    conn.execute("DELETE FROM runtime_settings WHERE name = ?", (name,))
                else:
                    conn.execute(
                        "INSERT INTO runtime_settings (name, value, updated_by, updated_at) VALUES (?, ?, ?, ?)"
                        " ON CONFLICT (name) DO UPDATE SET value = excluded.value,"
                        " updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                        (name, value, actor, now),
                    )

        await self.db.write(write)
