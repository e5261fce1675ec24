"""Contract of :class:`~nura_appliance.storage.base.SessionStore` (sessions as versioned
aggregates, their turns, log and outbox rows): one mixin, run on SQLite and on a real PostgreSQL
(missing PostgreSQL skips locally and fails under CI=true). The app-level version of these
guarantees is ``test_store_contract.py::test_session_commands`` and ``test_session_ownership.py``."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from conftest import execute_sql, query_rows

from nura_appliance.errors import Conflict, NotFound, StorageError
from nura_appliance.storage.base import (
    ExchangeLog,
    OutboxItem,
    SessionChange,
    SessionRecord,
    SessionStore,
    TurnRecord,
)
from nura_appliance.storage.stores import stores_for


def _new(session_id: str, **values: Any) -> SessionRecord:
    return SessionRecord(id=session_id, token_hash="h", created_at=1.0, updated_at=1.0, **values)


async def _create(store: SessionStore, session_id: str, **values: Any) -> SessionRecord:
    record, _ = await store.apply(session_id, lambda _c, _cur: SessionChange(), new=_new(session_id, **values))
    return record


class SessionStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, db: Any) -> SessionStore:
        return stores_for(db).sessions

    async def test_create_with_turns_log_and_outbox_in_one_command(self, store: SessionStore, db: Any) -> None:
        new = _new("s1", customer_id="c-1", meta={"k": "ف"})
        turns = [
            TurnRecord("s1", "customer", "سلام", 2.0, meta={"a": 1}),
            TurnRecord("s1", "bot", "أهلاً", 2.0, source="article", confidence=0.9, article_id="a1",
                       sources=[{"id": "a1"}]),
        ]  # fmt: skip
        log = ExchangeLog("s1", "سلام", 2.0, customer_id="c-1", channel="web", lang="ar", response="أهلاً",
                          source="article", confidence=0.9, escalated=True, article_id="a1", latency_ms=3.5)  # fmt: skip
        after_seen: list[list[int | None]] = []

        def command(_conn: Any, current: SessionRecord) -> SessionChange:
            assert current is new
            return SessionChange(
                {"message_count": 1, "lang": "en"},
                turns,
                log,
                [OutboxItem("webhook", {"event": "x"})],
                after=lambda _c, ts: after_seen.append([t.id for t in ts]),
                result="r",
            )

        committed, change = await store.apply("s1", command, new=new)
        assert (committed.version, committed.message_count, committed.lang, change.result) == (1, 1, "en", "r")
        ids = [t.id for t in change.turns]
        assert ids[0] is not None and ids[1] is not None and ids[0] < ids[1] and after_seen == [ids]
        stored = await store.get("s1")
        assert stored == committed and stored.meta == {"k": "ف"}
        assert [t.to_dict() for t in await store.turns("s1")] == [t.to_dict() for t in turns]
        logs = query_rows(db, "SELECT * FROM conversation_logs WHERE session_id = ?", ("s1",))
        assert len(logs) == 1
        assert (logs[0]["customer_turn_id"], logs[0]["bot_turn_id"], logs[0]["escalated"]) == (ids[0], ids[1], 1)
        assert (logs[0]["response"], logs[0]["latency_ms"], logs[0]["confidence"]) == ("أهلاً", 3.5, 0.9)
        outbox = query_rows(db, "SELECT kind, payload, status FROM outbox")
        assert [(r["kind"], json.loads(r["payload"]), r["status"]) for r in outbox] == [
            ("webhook", {"event": "x", "message_id": ids[0]}, "pending")
        ]

    async def test_update_bumps_the_version_and_writes_only_the_change(self, store: SessionStore, db: Any) -> None:
        await _create(store, "s1", rating=None, message_count=3)
        committed, _ = await store.apply("s1", lambda _c, cur: SessionChange({"rating": 5, "meta": {"x": [1]}}))
        assert (committed.version, committed.rating, committed.message_count, committed.meta) == (2, 5, 3, {"x": [1]})
        assert await store.get("s1") == committed
        turn = TurnRecord("s1", "agent", "hi", 3.0, sender_name="Ali")
        committed, change = await store.apply("s1", lambda _c, _cur: SessionChange(turns=[turn]))
        assert committed.version == 3 and change.turns[0].id is not None
        assert query_rows(db, "SELECT count(*) AS n FROM conversation_logs")[0]["n"] == 0
        assert (await store.turns("s1"))[0].sender_name == "Ali"

    async def test_every_written_turn_gets_its_own_rows_id(self, store: SessionStore, db: Any) -> None:
        """One, two and three turns per command, the newest row deleted in between (a purge): each
        turn's id is the id of the row holding its text, in the order written."""
        await _create(store, "s1")
        for count in (2, 1, 3, 2):
            turns = [TurnRecord("s1", "customer" if i % 2 == 0 else "bot", f"t{count}-{i}", 2.0) for i in range(count)]
            _, change = await store.apply("s1", lambda _c, _cur, turns=turns: SessionChange(turns=turns))
            rows = query_rows(db, "SELECT id, text FROM chat_turns WHERE session_id = ? ORDER BY id DESC LIMIT ?",
                              ("s1", count))  # fmt: skip
            assert [(t.id, t.text) for t in change.turns] == [(r["id"], r["text"]) for r in reversed(rows)]
            newest = max(r["id"] for r in rows)
            assert execute_sql(db, "DELETE FROM chat_turns WHERE id = ?", (newest,)) == 1

    async def test_errors_write_nothing(self, store: SessionStore, db: Any) -> None:
        await _create(store, "s1")

        def refuse(_conn: Any, _cur: SessionRecord) -> SessionChange:
            raise Conflict("no", code="refused")

        with pytest.raises(Conflict):
            await store.apply("s1", refuse)
        with pytest.raises(ValueError):
            await store.apply("s1", lambda _c, _cur: SessionChange({"version": 9}))
        with pytest.raises(ValueError):
            await store.apply("s2", lambda _c, _cur: SessionChange({"id": "x"}), new=_new("s2"))
        with pytest.raises(NotFound):
            await store.apply("nope", lambda _c, _cur: SessionChange({"rating": 1}))
        assert (
            (await store.get("s1")).version == 1 and await store.get("s2") is None and await store.get("nope") is None
        )
        nothing, _ = await store.apply("s1", lambda _c, _cur: SessionChange())
        assert nothing.version == 1

    async def test_expected_row_is_checked_by_version(self, store: SessionStore) -> None:
        await _create(store, "s1")
        held = await store.get("s1")
        stale = await store.get("s1")
        seen: list[int] = []

        def bump(_conn: Any, cur: SessionRecord) -> SessionChange:
            seen.append(cur.version)
            return SessionChange({"message_count": cur.message_count + 1})

        committed, _ = await store.apply("s1", bump, expected=held)
        assert committed.version == 2 and seen == [1]
        # a stale copy: the conditional write misses, the command runs again on the committed row
        turn = TurnRecord("s1", "customer", "m", 2.0)
        committed, change = await store.apply(
            "s1", lambda _c, cur: (seen.append(cur.version), SessionChange({"message_count": cur.message_count + 1}, [turn]))[1],
            expected=stale,
        )  # fmt: skip
        assert (committed.version, committed.message_count, seen) == (3, 2, [1, 1, 2])
        assert [t.text for t in await store.turns("s1")] == ["m"]  # written once, with the winning try

    async def test_concurrent_commands_do_not_lose_updates(self, store: SessionStore) -> None:
        await _create(store, "s1")

        def count(_conn: Any, cur: SessionRecord) -> SessionChange:
            return SessionChange(
                {"message_count": cur.message_count + 1}, [TurnRecord("s1", "customer", f"m{cur.message_count}", 2.0)]
            )

        await asyncio.gather(*(store.apply("s1", count) for _ in range(20)))
        row = await store.get("s1")
        assert (row.message_count, row.version) == (20, 21)
        assert [t.text for t in await store.turns("s1")] == [f"m{i}" for i in range(20)]

    async def test_turn_pages_and_recent_turns(self, store: SessionStore) -> None:
        await _create(store, "s1")
        for i in range(5):
            await store.apply(
                "s1", lambda _c, _cur, i=i: SessionChange(turns=[TurnRecord("s1", "customer", f"t{i}", 2.0)])
            )
        every = await store.turns("s1")
        assert [t.text for t in every] == [f"t{i}" for i in range(5)]
        assert [t.text for t in await store.turns("s1", after_id=every[1].id, limit=2)] == ["t2", "t3"]
        assert [t.text for t in await store.recent_turns("s1", 2)] == ["t3", "t4"]
        assert await store.turns("other") == [] and await store.recent_turns("other", 3) == []

    async def test_list_filters_search_and_pages(self, store: SessionStore) -> None:
        for n, (status, customer) in enumerate([("bot", "Ali"), ("pending_handoff", "sara"), ("closed", "a_b")]):
            record = _new(f"s{n}", status=status, customer_id=customer)
            record.updated_at = 10.0 + n
            await store.apply(record.id, lambda _c, _cur: SessionChange(), new=record)
        await store.apply(
            "s2", lambda _c, _cur: SessionChange(turns=[TurnRecord("s2", "customer", "Refund 100%", 2.0)])
        )
        rows, total = await store.list()
        assert total == 3 and [r.id for r in rows] == ["s2", "s1", "s0"]  # newest change first
        assert [r.id for r in (await store.list(status="bot"))[0]] == ["s0"]
        rows, total = await store.list(statuses=("bot", "pending_handoff"), limit=1, offset=1)
        assert total == 2 and [r.id for r in rows] == ["s0"]
        assert [r.id for r in (await store.list(customer_id="sara"))[0]] == ["s1"]
        assert [r.id for r in (await store.list(text="ALI"))[0]] == ["s0"]  # case ignored, as SQLite's LIKE
        assert [r.id for r in (await store.list(text="_"))[0]] == ["s2"]  # literal, not a wildcard
        assert [r.id for r in (await store.list(text="refund 100%"))[0]] == ["s2"]  # the transcript
        assert (await store.list(text="refund", search_messages=False))[1] == 0
        s2 = await store.get("s2")
        assert [r.id for r in (await store.list(since=s2.updated_at))[0]] == ["s2"]
        assert "s2" not in [r.id for r in (await store.list(until=s2.updated_at))[0]]

    async def test_closed_database_is_a_storage_error(self, store: SessionStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.get("s1")
        with pytest.raises(StorageError):
            await store.apply("s1", lambda _c, _cur: SessionChange({"rating": 1}))
        with pytest.raises(StorageError):
            await store.list()


class TestSqliteSessionStore(SessionStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


@pytest.mark.postgres
class TestPostgresSessionStore(SessionStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db
