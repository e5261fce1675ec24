"""Contract of :class:`~nura_appliance.storage.base.OriginalImportStore` (the writes of
``nura import-original`` and its ledger): one mixin, run on SQLite and on a real PostgreSQL
(missing PostgreSQL skips locally and fails under CI=true). The whole import from an original
database, on both backends, is ``test_import_original.py``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import query_rows, seed_rows

from nura_appliance.errors import StorageError
from nura_appliance.original.convert import SessionPlan
from nura_appliance.original.importer import WritablePlan
from nura_appliance.storage.base import OriginalImportStore, SessionRecord, TurnRecord
from nura_appliance.storage.original_rows import Insert, LedgerEntry
from nura_appliance.storage.stores import stores_for

DAY1 = 1_767_225_600.0  # 2026-01-01 00:00 UTC
DAY2 = DAY1 + 86_400.0


def _plan(sid: str, at: float, *, turns: int = 3, state: str = '{"n": 1}') -> WritablePlan:
    record = SessionRecord(id=sid, token_hash="h", created_at=at, updated_at=at + 9, channel="telegram", lang="ckb")
    roles = ["customer", "bot"]
    plan = SessionPlan(
        record=record,
        turns=[
            TurnRecord(sid, roles[i % 2], f"t{i}", at + i, meta={"i": i}, sources=[{"a": i}] if i % 2 else None)
            for i in range(turns)
        ],
        logs=[({}, 0, 1) if turns > 1 else ({}, None, None)],
        insights=[({}, 0 if turns else None)],
        turn_keys=[f"ct-{sid}-{i}" if i != 1 else None for i in range(turns)],
    )
    log_row = {"session_id": sid, "customer_message": "t0", "response": "t1", "channel": "telegram", "created_at": at}
    insight_row = {
        "session_id": sid,
        "intent": "billing",
        "knowledge_gap": 1,
        "classifier": "original",
        "created_at": at,
    }
    outcome_row = {"session_id": sid, "status": "solved", "resolved_at": at + 5, "created_at": at + 5}
    gap = {"question": "where is my bill", "lang": "ckb", "reason": "out_of_scope", "created_at": at}
    return WritablePlan(
        plan=plan,
        session_table="sessions",
        logs=[(log_row, f"log-{sid}")],
        insights=[(insight_row, f"ins-{sid}", gap)],
        outcome=(outcome_row, f"out-{sid}"),
        merged=[LedgerEntry("customers", f"cust-{sid}", "merged", "sessions", sid)],
        state=state,
    )


class OriginalImportStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, db: Any) -> OriginalImportStore:
        return stores_for(db).original

    async def test_an_empty_database(self, store: OriginalImportStore, db: Any) -> None:
        assert await store.done_keys("sessions") == set()
        assert await store.ledger_counts() == {}
        assert await store.session_states([]) == {}
        assert await store.session_states(["nope"]) == {}
        assert await store.existing_sessions([]) == set()
        assert await store.existing_sessions(["nope"]) == set()
        assert await store.usernames() == set()
        assert await store.canned_ids() == set()
        assert await store.bot_turn_before("nope", DAY1) is None
        assert await store.insight_turn("nope") == (None, None)
        assert await store.imported_days() == []
        # Nothing to write writes nothing (and opens no transaction).
        await store.record([])
        await store.write_rows([], [])
        await store.write_sessions([], [])
        await store.write_gaps([], [], lambda conn: lambda gap: "g")
        assert query_rows(db, "SELECT count(*) AS n FROM original_import_rows")[0]["n"] == 0

    async def test_ledger_is_idempotent_and_counted(self, store: OriginalImportStore) -> None:
        entries = [
            LedgerEntry("users", "u1", "merged", "users", "7"),
            LedgerEntry("users", "u2", "skipped", data="no username"),
            LedgerEntry("faq", "f1", "archived", data='{"q": "x"}'),
        ]
        await store.record(entries)
        await store.record([*entries, LedgerEntry("users", "u1", "imported", "users", "8")])  # already there
        assert await store.done_keys("users") == {"u1", "u2"}
        assert await store.done_keys("faq") == {"f1"}
        assert await store.ledger_counts() == {("users", "merged"): 1, ("users", "skipped"): 1, ("faq", "archived"): 1}

    async def test_write_rows_and_what_the_target_has(self, store: OriginalImportStore, db: Any) -> None:
        seed_rows(db, "canned_replies", [{"id": "c0", "lang": "en", "title": "x", "text": "y", "created_at": 1.0,
                                          "updated_at": 1.0}])  # fmt: skip
        inserts = [
            Insert(
                "users",
                {
                    "username": "Amal",
                    "password_hash": "!",
                    "role": "agent",
                    "created_at": DAY1,
                    "updated_at": DAY1,
                    "not_a_column": "ignored",
                },
                "users",
                "u1",
            ),
            Insert(
                "canned_replies",
                {"id": "c1", "lang": "ar", "title": "hi", "text": "مرحبا", "created_at": DAY1, "updated_at": DAY1},
                "canned",
                "c1",
            ),
            Insert(
                "tree_clicks",
                {"session_id": "s9", "topic_id": "t", "label": "Bills", "created_at": DAY2},
                "tree_clicks",
                "k1",
            ),
        ]
        await store.write_rows(inserts, [LedgerEntry("users", "u0", "skipped", data="inactive")])
        assert await store.usernames() == {"amal"}
        assert await store.canned_ids() == {"c0", "c1"}
        ledger = query_rows(db, "SELECT source_table, source_key, outcome, target_table, target_key"
                                " FROM original_import_rows ORDER BY source_table, source_key")  # fmt: skip
        users = query_rows(db, "SELECT id FROM users")
        assert [dict(r) for r in ledger] == [
            {"source_table": "canned", "source_key": "c1", "outcome": "imported", "target_table": "canned_replies",
             "target_key": "c1"},
            {"source_table": "tree_clicks", "source_key": "k1", "outcome": "imported", "target_table": "tree_clicks",
             "target_key": str(query_rows(db, "SELECT id FROM tree_clicks")[0]["id"])},
            {"source_table": "users", "source_key": "u0", "outcome": "skipped", "target_table": None,
             "target_key": None},
            {"source_table": "users", "source_key": "u1", "outcome": "imported", "target_table": "users",
             "target_key": str(users[0]["id"])},
        ]  # fmt: skip
        assert await store.imported_days() == ["2026-01-02"]  # tree_clicks is a dashboard table; users are not

    async def test_bad_rows_write_nothing(self, store: OriginalImportStore, db: Any) -> None:
        good = Insert("tree_clicks", {"session_id": "s", "label": "x", "created_at": DAY1}, "tree_clicks", "k1")
        with pytest.raises(ValueError, match="sessions_secret"):
            await store.write_rows([good, Insert("sessions_secret", {"x": 1}, "t", "k2")], [])
        with pytest.raises(ValueError, match="none of its columns"):
            await store.write_rows([good, Insert("tree_clicks", {"bogus": 1}, "tree_clicks", "k3")], [])
        assert query_rows(db, "SELECT count(*) AS n FROM tree_clicks")[0]["n"] == 0
        assert await store.done_keys("tree_clicks") == set()

    async def test_write_sessions_links_turns_logs_insights_and_gaps(self, store: OriginalImportStore, db: Any) -> None:
        recorded: list[dict[str, Any]] = []
        await store.write_sessions(
            [_plan("s1", DAY1), _plan("s2", DAY2, turns=0)],
            [LedgerEntry("customers", "lonely", "skipped", data="no messages")],
            gaps=lambda conn: recorded.append,
        )
        assert await store.existing_sessions(["s1", "s2", "s3"]) == {"s1", "s2"}
        turns = query_rows(db, "SELECT id, role, text, meta, sources FROM chat_turns WHERE session_id = ? ORDER BY id",
                           ("s1",))  # fmt: skip
        assert [(t["role"], t["text"], json.loads(t["meta"])) for t in turns] == [
            ("customer", "t0", {"i": 0}), ("bot", "t1", {"i": 1}), ("customer", "t2", {"i": 2})
        ]  # fmt: skip
        assert json.loads(turns[1]["sources"]) == [{"a": 1}] and turns[0]["sources"] is None
        log = query_rows(
            db, "SELECT customer_turn_id, bot_turn_id FROM conversation_logs WHERE session_id = ?", ("s1",)
        )
        assert (log[0]["customer_turn_id"], log[0]["bot_turn_id"]) == (turns[0]["id"], turns[1]["id"])
        insight = query_rows(db, "SELECT message_id FROM message_insights WHERE session_id = ?", ("s1",))
        assert insight[0]["message_id"] == turns[0]["id"]
        assert [(g["session_id"], g["message_id"]) for g in recorded] == [("s1", turns[0]["id"]), ("s2", None)]
        assert await store.insight_turn("ins-s1") == ("s1", turns[0]["id"])
        assert await store.insight_turn("ins-s2") == ("s2", None)
        assert await store.done_keys("chat_turns") == {"ct-s1-0", "ct-s1-2"}
        assert await store.done_keys("customers") == {"cust-s1", "cust-s2", "lonely"}
        assert await store.done_keys("session_outcomes") == {"out-s1", "out-s2"}
        version = query_rows(db, "SELECT version FROM sessions WHERE id = ?", ("s1",))[0]["version"]
        assert version == 1
        states = await store.session_states(["s1", "s2", "s3"])
        assert states == {"s1": {"recorded": {"n": 1}, "updated_at": DAY1 + 9, "turns": 3},
                          "s2": {"recorded": {"n": 1}, "updated_at": DAY2 + 9, "turns": 0}}  # fmt: skip
        assert await store.bot_turn_before("s1", DAY1 + 1) == turns[1]["id"]
        assert await store.bot_turn_before("s1", DAY1 + 0.5) is None
        assert await store.imported_days() == ["2026-01-01", "2026-01-02"]

    async def test_replacing_a_session_forgets_the_earlier_copy(self, store: OriginalImportStore, db: Any) -> None:
        await store.write_sessions([_plan("s1", DAY1)], [])
        old_bot = query_rows(db, "SELECT id FROM chat_turns WHERE session_id = ? AND role = 'bot'", ("s1",))[0]["id"]
        seed_rows(db, "message_feedback", [{"session_id": "s1", "message_id": old_bot, "value": "down",
                                            "created_at": DAY1 + 2}])  # fmt: skip
        await store.write_sessions([_plan("s1", DAY1, turns=2, state='{"n": 2}')], [], replace={"s1"})
        assert query_rows(db, "SELECT count(*) AS n FROM sessions")[0]["n"] == 1
        turns = query_rows(db, "SELECT id, role FROM chat_turns WHERE session_id = ? ORDER BY id", ("s1",))
        assert [t["role"] for t in turns] == ["customer", "bot"]
        feedback = query_rows(db, "SELECT message_id FROM message_feedback")
        assert feedback[0]["message_id"] == turns[1]["id"]  # SQLite may hand out the old id again
        assert query_rows(db, "SELECT count(*) AS n FROM conversation_logs")[0]["n"] == 1
        # The new copy's keys are forgotten and ledgered again; keys it no longer holds stay.
        assert await store.done_keys("chat_turns") == {"ct-s1-0", "ct-s1-2"}
        assert (await store.ledger_counts())[("chat_turns", "imported")] == 2
        assert (await store.session_states(["s1"]))["s1"]["recorded"] == {"n": 2}

    async def test_a_failing_gap_rolls_the_batch_back(self, store: OriginalImportStore, db: Any) -> None:
        def boom(conn: Any) -> Any:
            def record(gap: dict[str, Any]) -> None:
                raise RuntimeError("grouping failed")

            return record

        with pytest.raises(RuntimeError):
            await store.write_sessions([_plan("s1", DAY1)], [LedgerEntry("x", "y", "skipped")], gaps=boom)
        assert await store.existing_sessions(["s1"]) == set()
        assert await store.ledger_counts() == {}
        assert query_rows(db, "SELECT count(*) AS n FROM chat_turns")[0]["n"] == 0

    async def test_write_gaps_with_their_groups(self, store: OriginalImportStore, db: Any) -> None:
        gap = {"question": "q" * 2100, "normalized": "q", "lang": "en", "reason": "reviewed", "session_id": None,
               "message_id": None, "status": "approved", "answer": "a", "reviewed_by": "omar", "reviewed_at": DAY2,
               "created_at": DAY2}  # fmt: skip
        seen: list[Any] = []

        def group_of(conn: Any) -> Any:
            seen.append(conn)
            return lambda g: "grp-" + g["status"]

        await store.write_gaps([(gap, "r1"), ({**gap, "status": "open"}, "r2")], [], group_of)
        rows = query_rows(db, "SELECT id, group_key, length(question) AS n FROM knowledge_gaps ORDER BY id")
        assert [(r["group_key"], r["n"]) for r in rows] == [("grp-approved", 2000), ("grp-open", 2000)]
        assert len(seen) == 1
        ledger = query_rows(db, "SELECT target_key FROM original_import_rows WHERE source_table = ? ORDER BY source_key",
                            ("knowledge_gap_reviews",))  # fmt: skip
        assert [r["target_key"] for r in ledger] == [str(r["id"]) for r in rows]
        assert await store.imported_days() == ["2026-01-02"]

    async def test_closed_database_is_a_storage_error(self, store: OriginalImportStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.done_keys("sessions")
        with pytest.raises(StorageError):
            await store.ledger_counts()
        with pytest.raises(StorageError):
            await store.record([LedgerEntry("a", "b", "skipped")])
        with pytest.raises(StorageError):
            await store.existing_sessions(["s1"])
        with pytest.raises(StorageError):
            await store.imported_days()


class TestSqliteOriginalImportStore(OriginalImportStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


@pytest.mark.postgres
class TestPostgresOriginalImportStore(OriginalImportStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db
