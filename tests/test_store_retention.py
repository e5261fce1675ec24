"""Contract of :class:`~nura_appliance.storage.base.RetentionStore` (what ``nura purge`` counts and
deletes): one mixin, run on SQLite and on a real PostgreSQL (missing PostgreSQL skips locally and
fails under CI=true)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from conftest import query_rows, seed_rows

from nura_appliance.errors import StorageError
from nura_appliance.ops.retention import LOG_TABLES, SESSION_TABLE, count, plan, purge
from nura_appliance.storage.base import RetentionStore
from nura_appliance.storage.stores import stores_for

DAY = 86400.0
OUTBOX = ("outbox", "created_at", "status = 'done'")
LOGS = ("conversation_logs", "created_at", "")


def _logs(times: list[float]) -> list[dict[str, Any]]:
    return [{"session_id": "s", "customer_message": "hi", "created_at": t} for t in times]


def _jobs(rows: list[tuple[str, float]]) -> list[dict[str, Any]]:
    return [
        {"kind": "k", "payload": "{}", "status": status, "next_attempt_at": 0.0, "created_at": t, "updated_at": t}
        for status, t in rows
    ]


class RetentionStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, db: Any) -> RetentionStore:
        return stores_for(db).retention

    async def test_tables_lists_the_schema(self, store: RetentionStore) -> None:
        present = await store.tables()
        assert {t[0] for t in LOG_TABLES} | {"sessions", "attachments"} <= present
        assert "no_such_table" not in present

    async def test_count_older_honours_cutoff_condition_and_missing_tables(
        self, store: RetentionStore, db: Any
    ) -> None:
        seed_rows(db, "conversation_logs", _logs([1.0, 2.0, 50.0]))
        seed_rows(db, "outbox", _jobs([("done", 1.0), ("failed", 1.0), ("pending", 1.0), ("done", 50.0)]))
        counts = await store.count_older([LOGS, OUTBOX, ("no_such_table", "created_at", "")], 10.0)
        assert counts == {"conversation_logs": 2, "outbox": 1}
        assert await store.count_older([], 10.0) == {}

    async def test_delete_older_in_batches(self, store: RetentionStore, db: Any) -> None:
        seed_rows(db, "conversation_logs", _logs([1.0] * 5 + [50.0]))
        seed_rows(db, "outbox", _jobs([("done", 1.0), ("failed", 1.0)]))
        assert await store.delete_older(LOGS, 10.0, 2) == 2
        assert await store.delete_older(LOGS, 10.0, 2) == 2
        assert await store.delete_older(LOGS, 10.0, 2) == 1
        assert await store.delete_older(LOGS, 10.0, 2) == 0
        assert [r["created_at"] for r in query_rows(db, "SELECT created_at FROM conversation_logs")] == [50.0]
        assert await store.delete_older(OUTBOX, 10.0, 100) == 1
        assert [r["status"] for r in query_rows(db, "SELECT status FROM outbox")] == ["failed"]

    async def test_purge_takes_finished_sessions_with_their_attachments(self, store: RetentionStore, db: Any) -> None:
        old = 1.0
        seed_rows(
            db,
            "sessions",
            [
                {"id": sid, "token_hash": "h", "status": status, "created_at": old, "updated_at": old}
                for sid, status in (("done", "resolved"), ("open", "pending_handoff"))
            ],
        )
        seed_rows(
            db,
            "attachments",
            [
                {"id": f"a-{sid}", "session_id": sid, "uploader_role": "customer", "kind": "png",
                 "content_type": "image/png", "stored_name": f"{sid}.png", "original_name": "x.png", "size": 1,
                 "sha256": "0", "created_at": old}
                for sid in ("done", "open")
            ],
        )  # fmt: skip
        assert await store.attachment_names() == {"done.png", "open.png"}
        removed = await purge(store, plan("90d", sessions=True, now=old + 100 * DAY))
        assert removed["sessions"] == 1 and set(removed) >= {t[0] for t in LOG_TABLES} | {SESSION_TABLE[0]}
        assert [r["id"] for r in query_rows(db, "SELECT id FROM sessions")] == ["open"]
        assert await store.attachment_names() == {"open.png"}  # the row went with its session

    async def test_purge_takes_old_early_whatsapp_statuses(self, store: RetentionStore, db: Any) -> None:
        now = 100 * DAY
        seed_rows(
            db,
            "whatsapp_early_statuses",
            [
                {"wa_message_id": f"wamid.{i}", "status": status, "error": None, "received_at": at}
                for i, (status, at) in enumerate((("read", 1.0), ("failed", now - 31 * DAY), ("delivered", now - DAY)))
            ],
        )
        older = plan("30d", now=now)
        assert (await count(store, older))["whatsapp_early_statuses"] == 2
        assert (await purge(store, older))["whatsapp_early_statuses"] == 2
        kept = query_rows(db, "SELECT wa_message_id, status FROM whatsapp_early_statuses")
        assert kept == [{"wa_message_id": "wamid.2", "status": "delivered"}]

    async def test_racing_batches_delete_each_row_once(self, store: RetentionStore, db: Any) -> None:
        seed_rows(db, "conversation_logs", _logs([1.0] * 30))
        gone = await asyncio.gather(*(store.delete_older(LOGS, 10.0, 4) for _ in range(10)))
        assert sum(gone) == 30 and query_rows(db, "SELECT count(*) AS n FROM conversation_logs")[0]["n"] == 0

    async def test_closed_database_is_a_storage_error(self, store: RetentionStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.count_older([LOGS], 10.0)
        with pytest.raises(StorageError):
            await store.delete_older(LOGS, 10.0, 10)


class TestSqliteRetentionStore(RetentionStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


@pytest.mark.postgres
class TestPostgresRetentionStore(RetentionStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db
