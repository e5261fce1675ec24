"""Contract of :class:`~nura_appliance.storage.base.HealthStore` (the counts ``GET /v1/health``
reads): one mixin, run on SQLite and on a real PostgreSQL (missing PostgreSQL skips locally and
fails under CI=true)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import query_rows, seed_rows

from nura_appliance.errors import StorageError
from nura_appliance.storage.base import HealthStore
from nura_appliance.storage.stores import applied_migrations, stores_for


class HealthStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, db: Any) -> HealthStore:
        return stores_for(db).health

    async def test_migration_count_is_every_applied_migration(self, store: HealthStore, db: Any) -> None:
        count = await store.migration_count()
        assert count == len(applied_migrations(db)) > 0
        assert count == query_rows(db, "SELECT count(*) AS n FROM schema_migrations")[0]["n"]

    async def test_article_count(self, store: HealthStore, db: Any) -> None:
        assert await store.article_count() == 0
        seed_rows(db, "articles", [{"id": f"a{n}", "title": '{"en": "t"}', "updated_at": 1.0} for n in range(3)])
        assert await store.article_count() == 3

    async def test_closed_database_is_a_storage_error(self, store: HealthStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.migration_count()
        with pytest.raises(StorageError):
            await store.article_count()


class TestSqliteHealthStore(HealthStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


@pytest.mark.postgres
class TestPostgresHealthStore(HealthStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db
