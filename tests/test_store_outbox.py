"""Contract of :class:`~nura_appliance.storage.base.OutboxStore` (claims with a token, leases,
outcomes with their writes, the failed list, the delivery log): one mixin, run on SQLite and on a
real PostgreSQL (missing PostgreSQL skips locally and fails under CI=true)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from conftest import execute_sql, query_rows

from nura_appliance.errors import StorageError
from nura_appliance.storage.base import DeliveryAttempt, OutboxItem, OutboxStore
from nura_appliance.storage.stores import stores_for


def _attempt(n: int, ok: bool = False) -> DeliveryAttempt:
    return DeliveryAttempt("d1", "http://x", "e", n, 500 if not ok else 204, ok, None if ok else "HTTP 500", 1.5, 10.0)


class OutboxStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, db: Any) -> OutboxStore:
        return stores_for(db).outbox

    @staticmethod
    def add(db: Any, store: OutboxStore, kind: str = "k", payload: dict[str, Any] | None = None, **kw: Any) -> int:
        return db.write_sync(
            lambda c: store.insert_in(c, OutboxItem(kind, payload or {"a": "ي"}), max_attempts=3, **kw)
        )

    @staticmethod
    def row(db: Any, row_id: int) -> dict[str, Any]:
        return query_rows(db, "SELECT * FROM outbox WHERE id = ?", (row_id,))[0]

    async def test_insert_in_and_counts(self, store: OutboxStore, db: Any) -> None:
        assert await store.counts() == {}
        first = self.add(db, store)
        second = self.add(db, store, dispatched=True)
        assert second > first
        one, two = self.row(db, first), self.row(db, second)
        assert (one["status"], one["attempts"], one["max_attempts"], one["dispatched_at"]) == ("pending", 0, 3, None)
        assert json.loads(one["payload"]) == {"a": "ي"} and two["dispatched_at"] is not None
        assert await store.counts() == {"pending": 2}
        with pytest.raises(Exception):  # noqa: B017 - the caller's transaction fails as a whole
            db.write_sync(lambda c: (store.insert_in(c, OutboxItem("k", {}), max_attempts=3), 1 / 0))
        assert await store.counts() == {"pending": 2}

    async def test_claims_and_leases(self, store: OutboxStore, db: Any) -> None:
        ids = [self.add(db, store) for _ in range(3)]
        claimed = await store.claim(ids[:2], "t1", 60)
        assert sorted(r["id"] for r in claimed) == ids[:2]
        assert all(r["status"] == "running" and r["attempts"] == 1 and r["claim_token"] == "t1" for r in claimed)
        # the same token again: the rows it holds, no attempt counted
        again = await store.claim(ids[:2], "t1", 60)
        assert sorted(r["id"] for r in again) == ids[:2] and all(r["attempts"] == 1 for r in again)
        # another token: leased rows are not claimable, the pending one is
        other = await store.claim(ids, "t2", 60)
        assert [r["id"] for r in other] == [ids[2]]
        assert await store.claim([], "t3", 60) == []
        # an expired lease can be taken over
        store.extend_leases(ids[:1], time.time() - 1)
        taken = await store.claim(ids[:1], "t3", 60)
        assert [(r["id"], r["attempts"], r["claim_token"]) for r in taken] == [(ids[0], 2, "t3")]
        store.extend_leases(ids[1:2], 12345.0)
        assert self.row(db, ids[1])["lease_until"] == 12345.0

    async def test_pick_due_and_due_ids(self, store: OutboxStore, db: Any) -> None:
        now = time.time() + 1
        fresh = self.add(db, store)
        handed = self.add(db, store, dispatched=True)
        assert await store.due_ids(now) == [fresh, handed]
        assert await store.due_ids(now, limit=1) == [fresh]
        # pending and due, not handed over since `stale_before`: picked (and marked)
        assert store.pick_due(now, now - 30, 60) == [fresh]
        assert store.pick_due(now, now - 30, 60) == []  # just marked
        assert store.pick_due(now, now + 1, 60) == [fresh, handed]  # everything is stale now
        assert store.pick_due(now + 2, now + 2, 60, limit=1) == [fresh]
        # a running row whose lease expired and that was not handed over within a lease
        await store.claim([fresh], "t", 60)
        store.extend_leases([fresh], now - 1)
        assert fresh in await store.due_ids(now)
        assert store.pick_due(now + 200, 0, 60) == [fresh]  # the pending one was handed over after 0

    async def test_outcomes_and_their_writes(self, store: OutboxStore, db: Any) -> None:
        row_id = self.add(db, store)
        await store.claim([row_id], "t1", 60)
        wrote: list[str] = []

        def note(tag: str) -> Any:
            return lambda conn: wrote.append(tag)

        assert await store.progress(row_id, "t1", ["h1"], [note("p")]) == "recorded"
        assert json.loads(self.row(db, row_id)["handlers_done"]) == ["h1"]
        assert await store.fail(row_id, "t1", "boom", 5, time.time() + 100, [note("f")]) == "recorded"
        failed = self.row(db, row_id)
        assert (failed["status"], failed["last_error"], failed["max_attempts"], failed["lease_until"]) == (
            "pending",
            "boom",
            5,
            None,
        )
        # the same claim again, as after a commit that was not seen: nothing written twice
        assert await store.fail(row_id, "t1", "boom", 5, time.time() + 100, [note("f2")]) == "already"
        assert await store.finish(row_id, "t1", [note("x")]) == "already"
        store.extend_leases([row_id], 0)
        db.write_sync(lambda c: None)
        await asyncio.sleep(0)
        # claimed again later by t2; t1's late outcome is "lost" but its writes happen
        db_row = self.row(db, row_id)
        assert db_row["status"] == "pending"
        execute_sql(db, "UPDATE outbox SET next_attempt_at = 0 WHERE id = ?", (row_id,))
        assert [r["attempts"] for r in await store.claim([row_id], "t2", 60)] == [2]
        assert await store.finish(row_id, "t1", [note("late")]) == "lost"
        assert await store.finish(row_id, "t2", [store.delivery_write(_attempt(1, ok=True))]) == "recorded"
        done = self.row(db, row_id)
        assert (done["status"], done["last_error"], done["lease_until"]) == ("done", None, None)
        assert done["done_at"] is not None
        assert wrote == ["p", "f", "late"]
        assert query_rows(db, "SELECT attempt, ok FROM webhook_deliveries") == [{"attempt": 1, "ok": 1}]
        assert await store.finish(row_id + 99, "t", []) == "lost"  # no such row

    async def test_a_failing_outcome_write_rolls_the_outcome_back(self, store: OutboxStore, db: Any) -> None:
        row_id = self.add(db, store)
        await store.claim([row_id], "t1", 60)

        def broken(conn: Any) -> None:
            raise RuntimeError("the handler's write failed")

        with pytest.raises(RuntimeError):
            await store.finish(row_id, "t1", [store.delivery_write(_attempt(1)), broken])
        assert self.row(db, row_id)["status"] == "running"
        assert query_rows(db, "SELECT count(*) AS n FROM webhook_deliveries")[0]["n"] == 0

    async def test_failed_list_retry_and_purge(self, store: OutboxStore, db: Any) -> None:
        ids = [self.add(db, store, kind=f"k{n}") for n in range(3)]
        await store.claim(ids, "t", 60)
        for row_id in ids[:2]:
            assert await store.fail(row_id, "t", f"e{row_id}", 3, None, []) == "recorded"
        page = await store.failed(1, 0)
        assert page["total"] == 2 and len(page["jobs"]) == 1 and page["jobs"][0]["payload"] == {"a": "ي"}
        both = await store.failed(10, 0)
        assert sorted(j["id"] for j in both["jobs"]) == ids[:2] and (await store.failed(10, 2))["jobs"] == []
        assert await store.counts() == {"failed": 2, "running": 1}
        back = await store.retry(ids[0], 7)
        assert back is not None and (back["id"], back["kind"], back["status"]) == (ids[0], "k0", "failed")
        again = self.row(db, ids[0])
        assert (again["status"], again["attempts"], again["max_attempts"]) == ("pending", 0, 7)
        running = await store.retry(ids[2], 7)  # not failed: unchanged
        assert running is not None and running["status"] == "running" and self.row(db, ids[2])["attempts"] == 1
        assert await store.retry(ids[2] + 100, 7) is None
        assert await store.finish(ids[2], "t", []) == "recorded"
        assert await store.purge_done(time.time() - 3600, 10) == 0
        assert await store.purge_done(time.time() + 1, 10) == 1
        assert await store.counts() == {"failed": 1, "pending": 1}

    async def test_delivery_log(self, store: OutboxStore, db: Any) -> None:
        await store.log_deliveries([])
        await store.log_deliveries([_attempt(1), _attempt(2, ok=True)])
        rows = query_rows(
            db, "SELECT delivery_id, attempt, status_code, ok, error, duration_ms FROM webhook_deliveries"
        )
        assert sorted((r["attempt"], r["status_code"], r["ok"], r["error"]) for r in rows) == [
            (1, 500, 0, "HTTP 500"),
            (2, 204, 1, None),
        ]

    async def test_racing_claims_take_each_row_once(self, store: OutboxStore, db: Any) -> None:
        ids = [self.add(db, store) for _ in range(30)]
        results = await asyncio.gather(*(store.claim(ids, f"t{n}", 60) for n in range(6)))
        owners = [r["id"] for rows in results for r in rows]
        assert sorted(owners) == ids  # every row claimed, none twice
        assert {r["attempts"] for r in query_rows(db, "SELECT attempts FROM outbox")} == {1}
        outcomes = await asyncio.gather(
            *(store.finish(r["id"], f"t{n}", []) for n, rows in enumerate(results) for r in rows),
            *(store.finish(ids[0], "nobody", []) for _ in range(3)),
        )
        assert outcomes.count("recorded") == 30 and outcomes.count("lost") == 3

    async def test_closed_database_is_a_storage_error(self, store: OutboxStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.counts()
        with pytest.raises(StorageError):
            await store.claim([1], "t", 60)


class TestSqliteOutboxStore(OutboxStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


@pytest.mark.postgres
class TestPostgresOutboxStore(OutboxStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db
