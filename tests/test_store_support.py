"""Contract of :class:`~nura_appliance.storage.base.SupportStore` (the support bundle's database
facts, never customer text): one mixin, run on SQLite and on a real PostgreSQL (missing PostgreSQL
skips locally and fails under CI=true)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import seed_rows

from nura_appliance.errors import StorageError
from nura_appliance.storage.base import SupportStore
from nura_appliance.storage.stores import applied_migrations, stores_for

SECRET_PAYLOAD = "customer says: my card is 4111"


class SupportStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, db: Any) -> SupportStore:
        return stores_for(db).support

    async def test_facts(self, store: SupportStore, db: Any) -> None:
        seed_rows(
            db,
            "sessions",
            [
                {"id": f"s{n}", "token_hash": "h", "status": status, "created_at": 1.0, "updated_at": 1.0}
                for n, status in enumerate(("bot", "bot", "resolved"))
            ],
        )
        seed_rows(
            db,
            "outbox",
            [
                {"kind": f"k{n}", "payload": json.dumps({"text": SECRET_PAYLOAD}), "status": status, "attempts": n,
                 "last_error": "x" * 400 if n else "HTTP 502", "next_attempt_at": 0.0, "created_at": 1.0,
                 "updated_at": 2.0}
                for n, status in enumerate(("failed", "failed", "done"))
            ],
        )  # fmt: skip
        seed_rows(db, "ingestion_logs", [{"source": "/x", "status": "error", "error": "bad pdf", "started_at": 3.0}])
        facts = await store.facts()
        assert facts["tables"]["sessions"] == 3 and facts["tables"]["outbox"] == 3
        assert "schema_migrations" in facts["tables"]
        assert facts["migrations"] == sorted(applied_migrations(db)) and "0007_ops" in facts["migrations"]
        failed = facts["failed_jobs"]
        assert [j["kind"] for j in failed] == ["k1", "k0"]  # newest first, done jobs left out
        assert set(failed[0]) == {"id", "kind", "attempts", "last_error", "created_at", "updated_at"}
        assert len(failed[0]["last_error"]) == 300 and failed[1]["last_error"] == "HTTP 502"
        assert [(r["status"], r["error"]) for r in facts["ingestion_runs"]] == [("error", "bad pdf")]
        assert facts["sessions_by_status"] == {"bot": 2, "resolved": 1}
        assert facts["engine"]
        assert SECRET_PAYLOAD not in json.dumps(facts, default=str)

    async def test_an_empty_database(self, store: SupportStore) -> None:
        facts = await store.facts()
        assert facts["failed_jobs"] == [] and facts["ingestion_runs"] == [] and facts["sessions_by_status"] == {}
        assert facts["tables"]["sessions"] == 0

    async def test_stats(self, store: SupportStore, db: Any) -> None:
        empty = await store.stats()
        assert empty["tables"]["sessions"] == 0 and empty["tables"]["outbox"] == 0
        assert "schema_migrations" in empty["tables"] and empty["bytes"] > 0
        assert not [name for name in empty["tables"] if name.startswith("sqlite_")]
        seed_rows(
            db,
            "sessions",
            [{"id": f"s{n}", "token_hash": "h", "created_at": 1.0, "updated_at": 1.0} for n in range(3)],
        )
        stats = await store.stats()
        assert stats["tables"]["sessions"] == 3
        assert set(stats["tables"]) == set(empty["tables"])
        assert list(stats["tables"]) == sorted(stats["tables"])
        assert all(isinstance(n, int) for n in stats["tables"].values())

    async def test_closed_database_is_a_storage_error(self, store: SupportStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.facts()
        with pytest.raises(StorageError):
            await store.stats()


class TestSqliteSupportStore(SupportStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


@pytest.mark.postgres
class TestPostgresSupportStore(SupportStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db
