"""Contract of :class:`~nura_appliance.storage.base.AttachmentStore` (the ``attachments`` rows):
one mixin, run on SQLite and on a real PostgreSQL (missing PostgreSQL skips locally and fails
under CI=true)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from conftest import seed_rows

from nura_appliance.errors import StorageError
from nura_appliance.storage.base import AttachmentRecord, AttachmentStore
from nura_appliance.storage.stores import stores_for


def _record(n: int, session: str = "s1", created_at: float = 100.0, size: int = 10) -> AttachmentRecord:
    return AttachmentRecord(
        id=f"a{n}",
        session_id=session,
        uploader_role="customer",
        kind="png",
        content_type="image/png",
        stored_name=f"stored-{n}.png",
        original_name=f"صورة-{n}.png",
        size=size,
        sha256="0" * 64,
        created_at=created_at,
        width=3,
        height=4,
    )


class AttachmentStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, db: Any) -> AttachmentStore:
        seed_rows(
            db,
            "sessions",
            [{"id": s, "token_hash": "h", "created_at": 1.0, "updated_at": 1.0} for s in ("s1", "s2")],
        )
        seed_rows(
            db, "chat_turns", [{"id": 5, "session_id": "s1", "role": "customer", "text": "(photo)", "created_at": 1.0}]
        )
        return stores_for(db).attachments

    def insert(self, db: Any, store: AttachmentStore, records: list[AttachmentRecord], turn: int | None) -> None:
        db.write_sync(lambda c: store.insert_in(c, records, turn))

    async def test_insert_and_read(self, store: AttachmentStore, db: Any) -> None:
        assert await store.totals() == {"count": 0, "bytes": 0}
        records = [_record(1, created_at=200.0), _record(2, created_at=100.0, size=5)]
        self.insert(db, store, records, None)
        self.insert(db, store, [], 7)  # nothing to insert
        self.insert(db, store, [_record(3, session="s2")], None)
        assert all(r.turn_id is None for r in records)
        got = await store.get("s1", "a1")
        assert got == records[0]
        assert await store.get("s2", "a1") is None  # another session's attachment is not found
        assert await store.get("s1", "nope") is None
        assert [r.id for r in await store.for_session("s1")] == ["a2", "a1"]  # oldest first
        assert await store.for_session("nobody") == []
        assert await store.stored_names() == {"stored-1.png", "stored-2.png", "stored-3.png"}
        assert await store.totals() == {"count": 3, "bytes": 25}

    async def test_turn_ids_and_rollback(self, store: AttachmentStore, db: Any) -> None:
        record = _record(1)
        self.insert(db, store, [record], 5)
        got = await store.get("s1", "a1")
        assert record.turn_id == 5 and got is not None and got.turn_id == 5
        with pytest.raises(ZeroDivisionError):  # the caller's transaction fails: nothing stays
            db.write_sync(lambda c: (store.insert_in(c, [_record(9)], 5), 1 / 0))
        assert await store.get("s1", "a9") is None
        with pytest.raises(Exception):  # noqa: B017 - a duplicate id is the backend's own error
            self.insert(db, store, [_record(1)], None)

    async def test_delete_older(self, store: AttachmentStore, db: Any) -> None:
        self.insert(db, store, [_record(n, created_at=float(100 + n)) for n in range(5)], None)
        assert await store.delete_older(100.0) == []
        assert await store.delete_older(103.0, limit=2) == ["stored-0.png", "stored-1.png"]
        racing = await asyncio.gather(*(store.delete_older(1000.0) for _ in range(4)))
        deleted = [name for names in racing for name in names]
        assert sorted(deleted) == ["stored-2.png", "stored-3.png", "stored-4.png"]  # each row once
        assert await store.totals() == {"count": 0, "bytes": 0}

    async def test_closed_database_is_a_storage_error(self, store: AttachmentStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.totals()
        with pytest.raises(StorageError):
            await store.delete_older(1.0)


class TestSqliteAttachmentStore(AttachmentStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


@pytest.mark.postgres
class TestPostgresAttachmentStore(AttachmentStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db
