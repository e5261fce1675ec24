"""What ``GET /v1/health`` asks SQLite (:class:`~nura_appliance.storage.base.HealthStore`);
``storage/postgres/health.py`` is the PostgreSQL twin."""

from __future__ import annotations

from nura_appliance.storage.sqlite.db import Database


class SqliteHealthStore:
    """Health counts on the app's SQLite ``Database``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def migration_count(self) -> int:
        row = await self.db.fetchone("SELECT count(*) AS n FROM schema_migrations")
        return int(row["n"]) if row else 0

    async def article_count(self) -> int:
        row = await self.db.fetchone("SELECT count(*) AS n FROM articles")
        return int(row["n"]) if row else 0
