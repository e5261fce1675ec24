"""Contract of :class:`~nura_appliance.storage.base.RuntimeSettingsStore` (the admin's setting
values): one mixin, run on SQLite and on a real PostgreSQL (missing PostgreSQL skips locally and
fails under CI=true)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from conftest import query_rows

from nura_appliance.errors import StorageError
from nura_appliance.storage.base import RuntimeSettingsStore
from nura_appliance.storage.stores import stores_for


class RuntimeSettingsStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, db: Any) -> RuntimeSettingsStore:
        return stores_for(db).runtime_settings

    async def test_empty(self, store: RuntimeSettingsStore) -> None:
        assert await store.values() == {}
        assert await store.marker() == (0, 0.0)

    async def test_save_replace_and_clear(self, store: RuntimeSettingsStore, db: Any) -> None:
        await store.change({"A": '"x"', "B": "[1, 2]", "C": None}, "admin", 10.0)  # clearing a missing one: fine
        assert await store.values() == {"A": '"x"', "B": "[1, 2]"}
        assert await store.marker() == (2, 10.0)
        await store.change({"A": '"ي"', "B": None}, "other", 20.0)
        assert await store.values() == {"A": '"ي"'}
        assert await store.marker() == (1, 20.0)
        rows = query_rows(db, "SELECT name, updated_by, updated_at FROM runtime_settings")
        assert rows == [{"name": "A", "updated_by": "other", "updated_at": 20.0}]
        await store.change({}, "admin", 30.0)  # nothing to write
        assert await store.marker() == (1, 20.0)

    async def test_a_failing_change_writes_nothing(self, store: RuntimeSettingsStore) -> None:
        await store.change({"A": "1"}, "admin", 1.0)
        with pytest.raises(Exception):  # noqa: B017 - each backend's own constraint error
            await store.change({"B": "2", "C": None, "D": None, "E": None, "F": object()}, "admin", 2.0)  # type: ignore[dict-item]
        assert await store.values() == {"A": "1"}

    async def test_concurrent_changes_keep_one_row_per_name(self, store: RuntimeSettingsStore) -> None:
        await asyncio.gather(*(store.change({"A": str(n), f"N{n}": "1"}, f"a{n}", float(n)) for n in range(20)))
        values = await store.values()
        assert len(values) == 21 and values["A"] in {str(n) for n in range(20)}
        count, newest = await store.marker()
        assert count == 21 and newest == 19.0

    async def test_closed_database_is_a_storage_error(self, store: RuntimeSettingsStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.values()
        with pytest.raises(StorageError):
            await store.change({"A": "1"}, "admin", 1.0)


class TestSqliteRuntimeSettingsStore(RuntimeSettingsStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


@pytest.mark.postgres
class TestPostgresRuntimeSettingsStore(RuntimeSettingsStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db
