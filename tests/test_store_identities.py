"""Contract of :class:`~nura_appliance.storage.base.IdentityStore` (who the host site says a
session's customer is): one mixin, run on SQLite and on a real PostgreSQL (missing PostgreSQL
skips locally and fails under CI=true)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from conftest import seed_rows

from nura_appliance.errors import StorageError
from nura_appliance.storage.base import CustomerIdentity, IdentityStore
from nura_appliance.storage.stores import stores_for


class IdentityStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, db: Any) -> IdentityStore:
        seed_rows(
            db,
            "sessions",
            [
                {"id": f"s{n}", "token_hash": "h", "status": "bot", "channel": "web", "lang": "ar",
                 "created_at": 1.0, "updated_at": float(n)}
                for n in range(1, 5)
            ],
        )  # fmt: skip
        return stores_for(db).identities

    async def test_save_replace_and_read(self, store: IdentityStore) -> None:
        assert await store.get("s1") is None
        first = CustomerIdentity("s1", 10.0, "c-1", True, "علي", "+964", "a@x", {"tier": "gold", "n": 2})
        await store.save(first)
        assert await store.get("s1") == first
        second = CustomerIdentity("s1", 20.0, None, False, None, None, None, {})
        await store.save(second)  # replaced whole
        assert await store.get("s1") == second

    async def test_for_sessions(self, store: IdentityStore) -> None:
        assert await store.for_sessions([]) == {}
        for n in (1, 2):
            await store.save(CustomerIdentity(f"s{n}", 1.0, f"c{n}", True))
        found = await store.for_sessions(["s1", "s2", "s3", "s1"])
        assert sorted(found) == ["s1", "s2"] and found["s2"].customer_id == "c2"
        many = [f"x{n}" for n in range(1200)] + ["s1"]  # more than one chunk of parameters
        assert list(await store.for_sessions(many)) == ["s1"]

    async def test_sessions_of_a_verified_customer(self, store: IdentityStore) -> None:
        await store.save(CustomerIdentity("s1", 1.0, "c1", True))
        await store.save(CustomerIdentity("s2", 1.0, "c1", False))  # not verified: not listed
        await store.save(CustomerIdentity("s3", 1.0, "c1", True))
        await store.save(CustomerIdentity("s4", 1.0, "c2", True))
        listed = await store.sessions_of("c1")
        assert [r["session_id"] for r in listed] == ["s3", "s1"]  # newest first
        assert set(listed[0]) == {"session_id", "status", "channel", "lang", "created_at", "updated_at"}
        assert [r["session_id"] for r in await store.sessions_of("c1", limit=1)] == ["s3"]
        assert await store.sessions_of("nobody") == []

    async def test_racing_saves_leave_one_row(self, store: IdentityStore) -> None:
        await asyncio.gather(*(store.save(CustomerIdentity("s1", float(n), f"c{n}", True)) for n in range(10)))
        got = await store.get("s1")
        assert got is not None and got.customer_id == f"c{int(got.updated_at)}"

    async def test_closed_database_is_a_storage_error(self, store: IdentityStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.get("s1")
        with pytest.raises(StorageError):
            await store.save(CustomerIdentity("s1", 1.0))


class TestSqliteIdentityStore(IdentityStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


@pytest.mark.postgres
class TestPostgresIdentityStore(IdentityStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db
