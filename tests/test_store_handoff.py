"""Contract of :class:`~nura_appliance.storage.base.HandoffStore` (the hand-off service's and the
desk's SQL): one mixin, run on SQLite and on a real PostgreSQL (missing PostgreSQL skips locally
and fails under CI=true). The service-level behaviour is in ``test_handoff*.py``."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import query_rows, seed_rows

from nura_appliance.errors import Conflict, NotFound, StorageError
from nura_appliance.storage.base import CannedReplyStore, HandoffStore, InboxRowStore
from nura_appliance.storage.stores import stores_for


def _session(sid: str, status: str, updated_at: float, **values: Any) -> dict[str, Any]:
    return {"id": sid, "token_hash": "h", "status": status, "channel": "web", "lang": "ar", "created_at": 1.0,
            "updated_at": updated_at, "version": 1, **values}  # fmt: skip


class HandoffStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, db: Any) -> HandoffStore:
        seed_rows(
            db,
            "sessions",
            [
                _session("idle", "bot", 10.0),
                _session("fresh", "bot", 500.0),
                _session("p1", "pending_handoff", 20.0, handoff_at=100.0, handoff_reason="button"),
                _session("a1", "human_active", 30.0, handoff_at=50.0, assigned_agent="Omar"),
            ],
        )
        seed_rows(db, "chat_turns", [
            {"session_id": "p1", "role": "customer", "text": "first", "meta": "{}", "created_at": 1.0},
            {"session_id": "p1", "role": "customer", "text": "help", "meta": "{}", "created_at": 2.0},
            {"session_id": "p1", "role": "bot", "text": "wait", "meta": "{}", "created_at": 3.0},
        ])  # fmt: skip
        return stores_for(db).handoff

    async def test_reads_and_writes_inside_a_command(self, store: HandoffStore, db: Any) -> None:
        seed_rows(db, "articles", [{"id": "art-1", "title": "{}", "body": "{}", "updated_at": 1.0}])

        def run(conn: Any) -> tuple[Any, ...]:
            before = (store.known_agent_in(conn, "nobody"), store.display_name_in(conn, "omar"))
            store.event_in(conn, "a1", "accepted", "Omar", None, 60.0)
            outcome = store.insert_outcome_in(
                conn, {"session_id": "a1", "status": "solved", "resolved_by": "Omar", "resolved_at": 61.0,
                       "channel": "web", "lang": "ar", "created_at": 61.0},
            )  # fmt: skip
            return (
                *before,
                outcome,
                store.article_exists_in(conn, "art-1"),
                store.article_exists_in(conn, "nope"),
                store.capacity_in(conn, "Omar"),
                store.active_count_in(conn, "omar"),
                store.active_count_in(conn, "sara"),
            )

        known, name, outcome_id, yes, no, capacity, held, none = db.write_sync(run)
        assert (known, name, yes, no, capacity, held, none) == (True, None, True, False, None, 1, 0)
        assert outcome_id > 0
        seed_rows(db, "users", [
            {"username": "omar", "password_hash": "x", "role": "agent", "display_name": " عمر ", "active": 1, "updated_at": 1.0,
             "created_at": 1.0},
            {"username": "old", "password_hash": "x", "role": "agent", "active": 0, "created_at": 1.0, "updated_at": 1.0},
        ])  # fmt: skip
        checks = db.read_sync(
            lambda c: (
                store.known_agent_in(c, "omar"),
                store.known_agent_in(c, "old"),
                store.known_agent_in(c, "nobody"),
                store.display_name_in(c, "omar"),
                store.display_name_in(c, "old"),
            )
        )
        assert checks == (True, False, False, "عمر", None)

    async def test_capacity_set_replace_clear(self, store: HandoffStore, db: Any) -> None:
        assert await store.set_capacity("Omar", 3, 1.0) == 3
        assert await store.set_capacity("Omar", 5, 2.0) == 5
        assert db.read_sync(lambda c: store.capacity_in(c, "Omar")) == 5
        assert await store.set_capacity("Omar", None, 3.0) is None
        assert db.read_sync(lambda c: store.capacity_in(c, "Omar")) is None

    async def test_queue_and_detail(self, store: HandoffStore, db: Any) -> None:
        queue = await store.queue()
        assert [(s.id, last, stale) for s, last, stale in queue] == [("a1", None, False), ("p1", "help", False)]
        assert await store.flag_stale(150.0, 160.0) == [{"id": "p1", "handoff_at": 100.0, "handoff_reason": "button"}]
        assert await store.flag_stale(150.0, 170.0) == []  # once per hand-off
        assert [stale for _, _, stale in await store.queue()] == [False, True]
        events = query_rows(db, "SELECT detail FROM handoff_events WHERE session_id = ?", ("p1",))
        assert events == [{"detail": "waiting 60 s"}]
        session, outcome, listed = await store.detail("p1")
        assert session is not None and session.id == "p1" and outcome is None
        assert [(e["action"], e["detail"], e["created_at"]) for e in listed] == [
            ("stale_pending", "waiting 60 s", 160.0)
        ]
        assert await store.detail("missing") == (None, None, [])

    async def test_feedback_replaces_a_vote_and_counts_downs(self, store: HandoffStore, db: Any) -> None:
        ids = {
            r["role"]: r["id"] for r in query_rows(db, "SELECT id, role FROM chat_turns WHERE session_id = ?", ("p1",))
        }
        assert await store.record_feedback("p1", ids["bot"], "down", "bad", 10.0, 0.0) == ("bot", 1)
        assert await store.record_feedback("p1", ids["bot"], "down", None, 11.0, 0.0) == ("bot", 1)  # replaced
        assert await store.record_feedback("p1", ids["bot"], "up", None, 12.0, 0.0) == ("bot", 0)
        assert await store.record_feedback("p1", ids["customer"], "down", None, 13.0, 0.0) == ("customer", 0)
        assert await store.record_feedback("a1", ids["bot"], "down", None, 14.0, 0.0) == (None, 0)  # not its turn
        rows = query_rows(db, "SELECT message_id, value, comment FROM message_feedback")
        assert rows == [{"message_id": ids["bot"], "value": "up", "comment": None}]
        assert await store.record_feedback("p1", ids["bot"], "down", None, 20.0, 15.0) == ("bot", 1)
        assert await store.record_feedback("p1", ids["bot"], "down", None, 21.0, 25.0) == ("bot", 0)  # before since

    async def test_close_idle_bumps_the_version(self, store: HandoffStore) -> None:
        closed = await store.close_idle(100.0, 200.0)
        assert [(s.id, s.status, s.closed_at, s.updated_at, s.version) for s in closed] == [
            ("idle", "closed", 200.0, 200.0, 2)
        ]
        assert await store.close_idle(100.0, 201.0) == []

    async def test_closed_database_is_a_storage_error(self, store: HandoffStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.queue()
        with pytest.raises(StorageError):
            await store.set_capacity("x", 1, 1.0)


class TestSqliteHandoffStore(HandoffStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


@pytest.mark.postgres
class TestPostgresHandoffStore(HandoffStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db


class CannedReplyStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, db: Any) -> CannedReplyStore:
        return stores_for(db).canned

    async def test_create_list_update_delete(self, store: CannedReplyStore) -> None:
        rows = [
            {"id": "b", "lang": "en", "title": "Refund", "text": "100% back, {agent_name}", "created_at": 1.0,
             "updated_at": 1.0},
            {"id": "a", "lang": "en", "title": "Hello", "text": "hi_there", "created_at": 1.0, "updated_at": 1.0},
            {"id": "c", "lang": "ar", "title": "أهلاً", "text": "مرحبا", "created_at": 1.0, "updated_at": 1.0},
        ]  # fmt: skip
        for row in rows:
            assert await store.create(row) == row
        with pytest.raises(Conflict):
            await store.create({**rows[0], "title": "again"})
        assert [r["id"] for r in await store.list(lang=None, query=None)] == ["c", "a", "b"]
        assert [r["id"] for r in await store.list(lang="en", query=None)] == ["a", "b"]
        assert [r["id"] for r in await store.list(lang=None, query="REFUND")] == ["b"]  # case ignored
        assert [r["id"] for r in await store.list(lang=None, query="%")] == ["b"]  # literal, not a wildcard
        assert [r["id"] for r in await store.list(lang=None, query="i_t")] == ["a"]
        updated = await store.update("a", {"title": "Hi", "updated_at": 2.0})
        assert updated == {**rows[1], "title": "Hi", "updated_at": 2.0}
        with pytest.raises(NotFound):
            await store.update("zz", {"title": "x", "updated_at": 2.0})
        await store.delete("a")
        with pytest.raises(NotFound):
            await store.delete("a")
        assert [r["id"] for r in await store.list(lang="en", query=None)] == ["b"]

    async def test_closed_database_is_a_storage_error(self, store: CannedReplyStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.list(lang=None, query=None)


class TestSqliteCannedReplyStore(CannedReplyStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


@pytest.mark.postgres
class TestPostgresCannedReplyStore(CannedReplyStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db


class InboxRowStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, db: Any) -> InboxRowStore:
        return stores_for(db).inbox

    async def test_insert_page_update(self, store: InboxRowStore) -> None:
        made = []
        for n in range(3):
            row = {"kind": "complaint", "text": f"t{n}", "lang": "ar", "session_id": None,
                   "status": "closed" if n == 1 else "new", "created_at": 1.0 + n, "updated_at": 1.0 + n}  # fmt: skip
            made.append(await store.insert("suggestions", row))
        assert [m["id"] for m in made] == sorted(m["id"] for m in made) and made[0]["text"] == "t0"
        rows, total = await store.page("suggestions", None, 2, 0)
        assert total == 3 and [r["text"] for r in rows] == ["t2", "t1"]  # newest first
        rows, total = await store.page("suggestions", "new", 1, 1)
        assert total == 2 and [r["text"] for r in rows] == ["t0"]
        assert (await store.page("offline_requests", None, 10, 0)) == ([], 0)
        updated = await store.update(
            "suggestions", made[0]["id"], {"status": "reviewed", "note": "ok", "updated_at": 9.0}
        )
        assert updated is not None and (updated["status"], updated["note"], updated["updated_at"]) == (
            "reviewed",
            "ok",
            9.0,
        )
        assert await store.update("suggestions", 10_000, {"note": "x"}) is None
        offline = await store.insert(
            "offline_requests",
            {"name": "علي", "phone": "+964 770", "description": "call me", "lang": "ar", "session_id": None,
             "status": "open", "created_at": 1.0, "updated_at": 1.0},
        )  # fmt: skip
        assert (await store.page("offline_requests", "open", 10, 0))[0][0]["id"] == offline["id"]
        with pytest.raises(ValueError):
            await store.page("users", None, 1, 0)

    async def test_closed_database_is_a_storage_error(self, store: InboxRowStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.page("suggestions", None, 1, 0)


class TestSqliteInboxRowStore(InboxRowStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


@pytest.mark.postgres
class TestPostgresInboxRowStore(InboxRowStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db
