"""What ``GET /v1/health`` asks PostgreSQL, in its own SQL (see
:class:`~nura_appliance.storage.base.HealthStore`)."""

from __future__ import annotations

from nura_appliance.storage.postgres.db import PgDatabase


class PgHealthStore:
    """Health counts on a :class:`PgDatabase`."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def _count(self, statement: str) -> int:
        row = await self.db.read(lambda c: c.sql(statement).fetchone())
        return int(row["n"]) if row else 0

    async def migration_count(self) -> int:
        return await self._count("SELECT count(*) AS n FROM schema_migrations")

    async def article_count(self) -> int:
        return await self._count("SELECT count(*) AS n FROM articles")
