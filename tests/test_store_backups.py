"""Contract of :class:`~nura_appliance.storage.base.BackupStore` (``backup_runs`` and the
scheduler's state): one mixin, run on SQLite and on a real PostgreSQL (missing PostgreSQL skips
locally and fails under CI=true)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

import pytest
from conftest import query_rows

from nura_appliance.errors import Conflict, StorageError
from nura_appliance.storage.base import BackupStore, OutboxItem
from nura_appliance.storage.stores import stores_for


class BackupStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, db: Any) -> BackupStore:
        return stores_for(db).backups

    def enqueue(self, db: Any) -> Any:
        outbox = stores_for(db).outbox

        def write(conn: Any, run_id: int) -> None:
            outbox.insert_in(conn, OutboxItem("backup_run", {"run_id": run_id}), max_attempts=3)

        return write

    @staticmethod
    def outbox_runs(db: Any) -> list[int]:
        return [json.loads(r["payload"])["run_id"] for r in query_rows(db, "SELECT payload FROM outbox ORDER BY id")]

    async def test_schedule_ticks_queue_each_slot_once(self, store: BackupStore, db: Any) -> None:
        enqueue = self.enqueue(db)
        assert await store.schedule_since("daily 03:00") is None
        # the first check only starts counting
        assert await store.tick("daily 03:00", 1000.0, lambda since: 900.0, enqueue) is None
        assert await store.schedule_since("daily 03:00") == 1000.0
        assert await store.schedule_since("other") is None
        assert await store.tick("daily 03:00", 1000.0, lambda since: 1.0, enqueue) is None  # checked already
        assert await store.tick("daily 03:00", 1100.0, lambda since: None, enqueue) is None  # nothing owed
        seen: list[float] = []

        def owed(since: float) -> float | None:
            seen.append(since)
            return 1150.0

        run_id = await store.tick("daily 03:00", 1200.0, owed, enqueue)
        assert run_id is not None and seen == [1100.0]
        run = await store.get(run_id)
        assert run is not None and (run.origin, run.status, run.slot, run.queued_at) == (
            "schedule",
            "queued",
            1150.0,
            1200.0,
        )
        assert self.outbox_runs(db) == [run_id]
        # a changed schedule starts counting afresh
        assert await store.tick("weekly", 1300.0, lambda since: 1.0, enqueue) is None
        assert await store.schedule_since("weekly") == 1300.0
        await store.clear_schedule()
        assert await store.schedule_since("weekly") is None

    async def test_racing_ticks_queue_one_run(self, store: BackupStore, db: Any) -> None:
        enqueue = self.enqueue(db)
        await store.tick("s", 1000.0, lambda since: None, enqueue)
        results = await asyncio.gather(*(store.tick("s", 2000.0, lambda since: 1500.0, enqueue) for _ in range(6)))
        assert sum(1 for r in results if r is not None) == 1
        assert len(self.outbox_runs(db)) == 1

    async def test_manual_runs_and_their_life(self, store: BackupStore, db: Any) -> None:
        enqueue = self.enqueue(db)
        first = await store.queue_manual("admin", 10.0, enqueue)
        with pytest.raises(Conflict) as busy:
            await store.queue_manual("admin", 11.0, enqueue)
        assert busy.value.code == "backup_running" and busy.value.details == {"run_id": first, "status": "queued"}
        assert self.outbox_runs(db) == [first]  # the refused one wrote nothing
        started = await store.start(first, 12.0)
        assert started is not None and (started.status, started.started_at, started.requested_by) == (
            "running",
            12.0,
            "admin",
        )
        again = await store.start(first, 13.0)  # after a crash: running again
        assert again is not None and again.started_at == 13.0
        assert await store.start(first + 99, 13.0) is None
        wrote: list[int] = []
        done = replace(started, status="ok", finished_at=20.0, archive="a.tar.gz", bytes=5, files=2, database="sqlite")
        await store.finish(done, after=lambda conn: wrote.append(1))
        assert wrote == [1]
        assert await store.start(first, 21.0) is None  # finished: not started again
        second = await store.queue_manual(None, 30.0, enqueue)
        await store.start(second, 31.0)
        failed = await store.get(second)
        assert failed is not None
        await store.finish(replace(failed, status="failed", finished_at=40.0, error="disk full"))
        assert [r.id for r in await store.recent()] == [second, first]
        assert [r.id for r in await store.recent(1)] == [second]
        last = await store.last_finished()
        assert last is not None and (last.id, last.error) == (second, "disk full")
        ok = await store.last_finished("ok")
        assert ok is not None and (ok.id, ok.archive, ok.bytes, ok.files, ok.pruned) == (first, "a.tar.gz", 5, 2, 0)
        assert await store.last_finished("running") is None
        assert await store.get(second + 99) is None

    async def test_a_failing_after_keeps_the_run_unfinished(self, store: BackupStore, db: Any) -> None:
        run_id = await store.queue_manual(None, 1.0, self.enqueue(db))
        run = await store.start(run_id, 2.0)
        assert run is not None

        def broken(conn: Any) -> None:
            raise RuntimeError("webhook row failed")

        with pytest.raises(RuntimeError):
            await store.finish(replace(run, status="failed", finished_at=3.0), after=broken)
        still = await store.get(run_id)
        assert still is not None and still.status == "running"

    async def test_racing_manual_requests_queue_one(self, store: BackupStore, db: Any) -> None:
        results = await asyncio.gather(
            *(store.queue_manual(f"u{n}", float(n), self.enqueue(db)) for n in range(6)), return_exceptions=True
        )
        assert sum(1 for r in results if isinstance(r, int)) == 1
        assert all(isinstance(r, Conflict) for r in results if not isinstance(r, int))

    async def test_closed_database_is_a_storage_error(self, store: BackupStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.recent()
        with pytest.raises(StorageError):
            await store.clear_schedule()


class TestSqliteBackupStore(BackupStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


@pytest.mark.postgres
class TestPostgresBackupStore(BackupStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db
