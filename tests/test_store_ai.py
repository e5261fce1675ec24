"""Contract of :class:`~nura_appliance.storage.base.AiStore` (the LLM ledger and the AI switch):
one mixin of tests, run on SQLite and on a real PostgreSQL (a fresh database per test; missing
PostgreSQL skips locally and fails under CI=true)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from conftest import query_rows, seed_rows

from nura_appliance.errors import StorageError
from nura_appliance.storage.base import AiStore, LedgerRow
from nura_appliance.storage.stores import stores_for


def _row(**over: Any) -> LedgerRow:
    values: dict[str, Any] = {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "purpose": "chat",
        "created_at": 1000.0,
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "latency_ms": 12.5,
        "cost_usd": 0.25,
    }
    values.update(over)
    return LedgerRow(**values)


def _session(sid: str, status: str) -> dict[str, Any]:
    return {"id": sid, "token_hash": "h", "status": status, "created_at": 900.0, "updated_at": 900.0}


class AiStoreContract:
    """Every method of AiStore; subclasses pick the database."""

    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, db: Any) -> AiStore:
        return stores_for(db).ai

    async def test_record_returns_new_ids_and_stores_every_field(self, store: AiStore, db: Any) -> None:
        first = await store.record(_row(session_id="s1", message_id=7, outcome="answered"))
        second = await store.record(_row(ok=False, error="x" * 900, provider="local", model=None, cost_usd=0.0))
        assert second > first > 0
        rows = {r["id"]: r for r in query_rows(db, "SELECT * FROM llm_usage_logs ORDER BY id")}
        one, two = rows[first], rows[second]
        assert (one["session_id"], one["message_id"], one["outcome"], one["ok"]) == ("s1", 7, "answered", 1)
        assert (one["prompt_tokens"], one["completion_tokens"], one["total_tokens"]) == (10, 5, 15)
        assert one["cost_usd"] == pytest.approx(0.25) and one["latency_ms"] == pytest.approx(12.5)
        assert one["created_at"] == pytest.approx(1000.0)
        assert two["ok"] == 0 and len(two["error"]) == 500 and two["model"] is None
        empty = await store.record(_row(error=""))
        assert query_rows(db, "SELECT error FROM llm_usage_logs WHERE id = ?", (empty,))[0]["error"] is None

    async def test_set_outcome_and_unknown_id(self, store: AiStore, db: Any) -> None:
        row_id = await store.record(_row())
        await store.set_outcome(row_id, "rejected:unsupported")
        await store.set_outcome(row_id + 1000, "answered")  # nothing to change: no error
        rows = query_rows(db, "SELECT id, outcome FROM llm_usage_logs")
        assert rows == [{"id": row_id, "outcome": "rejected:unsupported"}]

    async def test_link_message(self, store: AiStore, db: Any) -> None:
        ids = [await store.record(_row()) for _ in range(3)]
        await store.link_message([], 99)  # no-op
        await store.link_message(ids[:2], 42)
        linked = {r["id"]: r["message_id"] for r in query_rows(db, "SELECT id, message_id FROM llm_usage_logs")}
        assert linked == {ids[0]: 42, ids[1]: 42, ids[2]: None}

    async def test_session_cost(self, store: AiStore) -> None:
        empty = await store.session_cost("nobody")
        assert empty["session_id"] == "nobody" and (empty["calls"], empty["tokens"], empty["cost_usd"]) == (0, 0, 0)
        await store.record(_row(session_id="s1", cost_usd=0.5))
        await store.record(_row(session_id="s1", cost_usd=0.25, prompt_tokens=1, completion_tokens=1))
        await store.record(_row(session_id="s2"))
        cost = await store.session_cost("s1")
        assert (cost["calls"], cost["tokens"]) == (2, 17) and cost["cost_usd"] == pytest.approx(0.75)

    async def test_usage_window_and_breakdowns(self, store: AiStore, db: Any) -> None:
        empty = await store.usage(0, 10_000)
        assert empty["total"]["calls"] == 0 and empty["total"]["sessions"] == 0
        assert empty["total"]["cost_usd"] == 0 and empty["resolved"]["sessions"] == 0
        assert empty["by_provider"] == empty["by_purpose"] == empty["by_outcome"] == []
        seed_rows(db, "sessions", [_session("done", "resolved"), _session("open", "bot")])
        await store.record(_row(session_id="done", cost_usd=1.0))
        await store.record(_row(session_id="done", purpose="classify", cost_usd=0.5))
        await store.record(_row(session_id="open", ok=False, error="timeout", cost_usd=0.0))
        await store.record(_row(session_id="open", outcome="rejected:guard", provider="local", model="m"))
        await store.record(_row(created_at=5000.0))  # outside the window
        await store.record(_row(created_at=999.0))  # before it
        data = await store.usage(1000.0, 5000.0)
        total = data["total"]
        assert (total["calls"], total["prompt_tokens"], total["completion_tokens"], total["total_tokens"]) == (
            4,
            40,
            20,
            60,
        )
        assert total["failed"] == 1 and total["sessions"] == 2 and total["cost_usd"] == pytest.approx(1.75)
        assert data["resolved"]["sessions"] == 1 and data["resolved"]["cost_usd"] == pytest.approx(1.5)
        providers = [(r["provider"], r["model"], r["calls"], r["failed"]) for r in data["by_provider"]]
        assert providers == [("openai", "gpt-4o-mini", 3, 1), ("local", "m", 1, 0)]
        assert data["by_provider"][0]["avg_latency_ms"] == pytest.approx(12.5)
        assert [(r["purpose"], r["calls"], r["tokens"]) for r in data["by_purpose"]] == [
            ("chat", 3, 45),
            ("classify", 1, 15),
        ]
        outcomes = sorted((r["outcome"], r["calls"]) for r in data["by_outcome"])
        assert outcomes == [("answered", 1), ("failed", 1), ("rejected:guard", 1)]

    async def test_switch(self, store: AiStore) -> None:
        assert await store.switch() is None
        await store.set_switch(False, "admin", 1.0)
        assert await store.switch() is False
        await store.set_switch(True, None, 2.0)
        assert await store.switch() is True

    async def test_concurrent_records_and_switches(self, store: AiStore, db: Any) -> None:
        ids = await asyncio.gather(*(store.record(_row(session_id=f"s{n % 3}")) for n in range(40)))
        assert len(set(ids)) == 40
        assert query_rows(db, "SELECT count(*) AS n FROM llm_usage_logs")[0]["n"] == 40
        await asyncio.gather(*(store.set_switch(n % 2 == 0, f"a{n}", float(n)) for n in range(20)))
        rows = query_rows(db, "SELECT value, updated_by FROM ai_state")
        assert len(rows) == 1 and rows[0]["value"] == ("1" if int(rows[0]["updated_by"][1:]) % 2 == 0 else "0")
        await asyncio.gather(*(store.link_message(ids[n : n + 10], n) for n in range(0, 40, 10)))
        assert query_rows(db, "SELECT count(*) AS n FROM llm_usage_logs WHERE message_id IS NULL")[0]["n"] == 0

    async def test_closed_database_is_a_storage_error(self, store: AiStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.record(_row())
        with pytest.raises(StorageError):
            await store.usage(0, 1)


class TestSqliteAiStore(AiStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


@pytest.mark.postgres
class TestPostgresAiStore(AiStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db
