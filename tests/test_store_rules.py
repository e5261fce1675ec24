"""Contract of :class:`~nura_appliance.storage.base.RuleStore` (the rules the admin edits): one
mixin, run on SQLite and on a real PostgreSQL (missing PostgreSQL skips locally and fails under
CI=true)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from conftest import query_rows

from nura_appliance.errors import StorageError
from nura_appliance.storage.base import RuleStore
from nura_appliance.storage.stores import stores_for


def _rule(rule_id: str, text: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"id": rule_id, "patterns": {"ar": [text], "en": [text]}, "response": {"ar": "أهلا", "en": "Hello"}, **extra}


def _version(db: Any) -> str | None:
    rows = query_rows(db, "SELECT value FROM kb_meta WHERE key = 'version'")
    return rows[0]["value"] if rows else None


class RuleStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, db: Any) -> RuleStore:
        return stores_for(db).rules

    async def test_save_appends_and_replaces_in_place(self, store: RuleStore) -> None:
        assert await store.list() == []
        first = await store.save(_rule("r1", "مرحبا"))
        assert first["position"] == 0 and first["match"] == "exact" and first["enabled"] is True
        assert first["patterns"]["ar"] == ["مرحبا"] and first["response"]["en"] == "Hello"
        assert isinstance(first["updated_at"], float)
        await store.save(_rule("r2"))
        await store.save(_rule("r3"))
        replaced = await store.save(_rule("r2", "bye", match="contains", enabled=False))
        assert replaced["position"] == 1 and replaced["match"] == "contains" and replaced["enabled"] is False
        assert [(r["id"], r["position"]) for r in await store.list()] == [("r1", 0), ("r2", 1), ("r3", 2)]
        assert await store.get("r2") == replaced
        assert await store.get("nope") is None

    async def test_delete_and_append_after_the_last(self, store: RuleStore) -> None:
        for n in range(3):
            await store.save(_rule(f"r{n}"))
        assert await store.delete("r1") is True
        assert await store.delete("r1") is False
        assert (await store.save(_rule("r9")))["position"] == 3
        assert [r["id"] for r in await store.list()] == ["r0", "r2", "r9"]

    async def test_every_change_bumps_the_knowledge_version(self, store: RuleStore, db: Any) -> None:
        before = _version(db)
        await store.save(_rule("r1"))
        saved = _version(db)
        assert saved is not None and saved != before
        await asyncio.sleep(0.01)
        assert await store.delete("missing") is False
        assert _version(db) == saved  # nothing changed: no bump
        await store.delete("r1")
        assert _version(db) != saved

    async def test_racing_saves_get_distinct_positions(self, store: RuleStore) -> None:
        await asyncio.gather(*(store.save(_rule(f"r{n}")) for n in range(10)))
        assert sorted(r["position"] for r in await store.list()) == list(range(10))

    async def test_closed_database_is_a_storage_error(self, store: RuleStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.list()
        with pytest.raises(StorageError):
            await store.save(_rule("r1"))


class TestSqliteRuleStore(RuleStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


@pytest.mark.postgres
class TestPostgresRuleStore(RuleStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db
