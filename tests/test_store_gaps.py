"""Contract of :class:`~nura_appliance.storage.base.GapStore` (knowledge gaps and message insights):
one mixin, run on SQLite and on a real PostgreSQL (missing PostgreSQL skips locally and fails under
CI=true). The feature-level behaviour (review endpoints, jobs) is in ``test_analytics_gaps.py``."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from conftest import query_rows, seed_rows

from nura_appliance.analytics.gaps import collect_feedback_gaps, gap_groups, propose_from_handoff, record_gap
from nura_appliance.errors import StorageError
from nura_appliance.storage.base import GapQuery, GapRecord, GapStore, InsightRecord, ReportFilters
from nura_appliance.storage.stores import stores_for


def _gap(question: str, group: str, at: float, **values: Any) -> GapRecord:
    fields: dict[str, Any] = {"question": question, "normalized": question.lower(), "lang": "en",
                              "reason": "out_of_scope", "session_id": None, "message_id": None,
                              "group_key": group, "created_at": at, **values}  # fmt: skip
    return GapRecord(**fields)


def _session(sid: str, channel: str, **values: Any) -> dict[str, Any]:
    return {"id": sid, "token_hash": "h", "status": "bot", "channel": channel, "lang": "en", "created_at": 1.0,
            "updated_at": 1.0, "version": 1, **values}  # fmt: skip


def _insight(message_id: int | None, intent: str, **values: Any) -> InsightRecord:
    fields: dict[str, Any] = {"session_id": "s1", "message_id": message_id, "intent": intent, "sentiment": "neutral",
                              "confidence_bucket": "low", "knowledge_gap": False, "classifier": "local",
                              "lang": "en", "created_at": 5.0, **values}  # fmt: skip
    return InsightRecord(**fields)


class GapStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, db: Any) -> GapStore:
        seed_rows(db, "sessions", [_session("s1", "web", assigned_agent="amal"), _session("s2", "telegram"),
                                   _session("s3", "web")])  # fmt: skip
        seed_rows(db, "session_outcomes", [
            {"session_id": "s3", "status": "solved", "issue_category": "billing", "resolved_by": "omar",
             "resolved_at": 9.0, "created_at": 9.0},
        ])  # fmt: skip
        return stores_for(db).gaps

    async def test_an_empty_database(self, store: GapStore) -> None:
        assert await store.groups(GapQuery()) == ([], 0)
        assert await store.members(1) == (None, [])
        assert await store.close([], "rejected", "admin", 1.0) == 0
        assert await store.close([1, 2], "rejected", "admin", 1.0) == 0
        assert await store.top_intent([], ("smalltalk",)) is None
        assert await store.top_intent([1], ()) is None
        assert await store.count("thumbs_down") == 0
        assert await store.intent_categories() == []

        def run(conn: Any) -> tuple[Any, ...]:
            return (
                store.open_groups_in(conn),
                store.recorded_in(conn, 1, "thumbs_down"),
                store.feedback_after_in(conn, 10),
                store.last_exchange_in(conn, "s1", None),
                store.last_question_in(conn, "s1", 100.0),
                store.turn_time_in(conn, 1),
            )

        assert await store.write(run) == ([], False, [], None, None, None)

    async def test_insert_group_index_and_idempotency_check(self, store: GapStore, db: Any) -> None:
        def run(conn: Any) -> tuple[Any, ...]:
            first = store.insert_in(conn, _gap("pay bill", "g1", 10.0, message_id=7, reason="low_confidence"))
            second = store.insert_in(conn, _gap("pay the bill", "g1", 11.0))
            third = store.insert_in(conn, _gap("reset router", "g2", 12.0))
            return (
                first,
                second,
                third,
                store.recorded_in(conn, 7, "low_confidence"),
                store.recorded_in(conn, 7, "thumbs_down"),
                store.recorded_in(conn, 8, "low_confidence"),
            )

        first, second, third, yes, other_reason, other_message = await store.write(run)
        assert 0 < first < second < third
        assert (yes, other_reason, other_message) == (True, False, False)
        # Each group's first open gap, by id; a closed first gap gives way to the next open one.
        assert await store.write(store.open_groups_in) == [("g1", "pay bill"), ("g2", "reset router")]
        assert await store.close([first], "rejected", "admin", 20.0) == 1
        assert await store.write(store.open_groups_in) == [("g1", "pay the bill"), ("g2", "reset router")]
        assert await store.write(lambda c: store.open_groups_in(c, limit=1)) == [("g1", "pay the bill")]
        await store.close([second, third], "resolved", "admin", 21.0)
        assert await store.write(store.open_groups_in) == []
        row = query_rows(db, "SELECT * FROM knowledge_gaps WHERE id = ?", (first,))[0]
        assert (row["status"], row["reason"], row["message_id"], row["group_key"]) == (
            "rejected",
            "low_confidence",
            7,
            "g1",
        )
        assert (row["reviewed_by"], row["reviewed_at"], row["lang"], row["created_at"]) == ("admin", 20.0, "en", 10.0)

    async def test_groups_shape_order_filters_and_pages(self, store: GapStore) -> None:
        def run(conn: Any) -> list[int]:
            return [
                store.insert_in(conn, _gap("pay bill", "g1", 10.0, session_id="s1", reason="out_of_scope")),
                store.insert_in(conn, _gap("pay the bill", "g1", 30.0, session_id="s2", reason="thumbs_down")),
                store.insert_in(conn, _gap("pay bill now", "g1", 20.0, session_id="s1", reason="out_of_scope")),
                store.insert_in(conn, _gap("reset router", "g2", 40.0, session_id="s3", lang="ar")),
                store.insert_in(conn, _gap("where is shop", "g3", 50.0, session_id=None, reason="agent_resolved")),
            ]

        g1a, _g1b, _g1c, g2, g3 = await store.write(run)
        await store.write(lambda c: store.propose_article_in(c, g3, "shop-hours"))
        rows, total = await store.groups(GapQuery())
        assert total == 3
        assert [r["first_id"] for r in rows] == [g1a, g3, g2]  # biggest, then newest
        big = rows[0]
        assert (big["question"], big["lang"], big["count"], big["status"]) == ("pay bill", "en", 3, "open")
        assert sorted(big["reasons"].split(",")) == ["out_of_scope", "thumbs_down"]
        assert (big["first_seen"], big["last_seen"], big["proposed_article"]) == (10.0, 30.0, None)
        assert rows[1]["proposed_article"] == "shop-hours" and rows[1]["reasons"] == "agent_resolved"

        async def ids(**query: Any) -> tuple[list[int], int]:
            found, count = await store.groups(GapQuery(**query))
            return [r["first_id"] for r in found], count

        assert await ids(start=15.0, end=45.0) == ([g1a + 1, g2], 2)  # the group's first gap in the window
        assert await ids(filters=ReportFilters(lang="ar")) == ([g2], 1)
        assert await ids(filters=ReportFilters(channel="telegram")) == ([g1a + 1], 1)
        assert await ids(filters=ReportFilters(agent="amal")) == ([g1a], 1)
        assert await ids(filters=ReportFilters(agent="omar")) == ([g2], 1)
        assert await ids(filters=ReportFilters(issue_category="billing")) == ([g2], 1)
        assert await ids(filters=ReportFilters(issue_category="nothing")) == ([], 0)
        assert await ids(limit=1, offset=1) == ([g3], 3)
        assert await ids(limit=10, offset=10) == ([], 3)
        assert await ids(limit=0) == ([], 3)
        # A group is open while any of its gaps is; a closed group has its newest gap's status.
        await store.close([g2], "rejected", "admin", 60.0)
        assert await ids(status="open") == ([g1a, g3], 2)
        assert await ids(status="rejected") == ([g2], 1)
        assert await ids(status="nonsense") == ([], 0)
        rejected, _ = await store.groups(GapQuery(status="rejected"))
        assert rejected[0]["status"] == "rejected" and rejected[0]["count"] == 1

    async def test_members_and_close(self, store: GapStore, db: Any) -> None:
        def run(conn: Any) -> list[int]:
            return [
                store.insert_in(conn, _gap("a", "g1", 1.0)),
                store.insert_in(conn, _gap("b", "g1", 2.0)),
                store.insert_in(conn, _gap("c", "g2", 3.0)),
            ]

        a, b, c = await store.write(run)
        gap, members = await store.members(b)
        assert gap is not None and gap["id"] == b and gap["question"] == "b" and gap["group_key"] == "g1"
        assert [m["id"] for m in members] == [a, b] and members[0]["status"] == "open"
        assert await store.close([a, b, c + 100], "approved", "admin", 9.0, answer="Pay online.", article_id="x") == 2
        assert await store.close([a, b], "rejected", "admin", 10.0) == 0  # no longer open
        gap, members = await store.members(a)
        assert gap is not None and gap["status"] == "approved" and members == []
        row = query_rows(db, "SELECT answer, article_id, reviewed_at FROM knowledge_gaps WHERE id = ?", (a,))[0]
        assert dict(row) == {"answer": "Pay online.", "article_id": "x", "reviewed_at": 9.0}
        # None keeps what is there (an answer written before the review).
        await store.write(lambda conn: store.propose_article_in(conn, c, "kept"))
        assert await store.close([c], "resolved", "admin", 11.0) == 1
        assert dict(query_rows(db, "SELECT article_id, answer FROM knowledge_gaps WHERE id = ?", (c,))[0]) == {
            "article_id": "kept",
            "answer": None,
        }
        assert await store.members(999) == (None, [])

    async def test_a_bad_status_is_refused_and_changes_nothing(self, store: GapStore, db: Any) -> None:
        gap_id = await store.write(lambda conn: store.insert_in(conn, _gap("a", "g1", 1.0)))
        with pytest.raises(StorageError):
            await store.close([gap_id], "bogus", "admin", 2.0)
        assert query_rows(db, "SELECT status FROM knowledge_gaps")[0]["status"] == "open"

    async def test_feedback_scan_and_exchanges(self, store: GapStore, db: Any) -> None:
        seed_rows(db, "conversation_logs", [
            {"session_id": "s1", "customer_message": "hi", "lang": "en", "source": "rules", "escalated": 0,
             "customer_turn_id": 1, "bot_turn_id": 2, "created_at": 10.0},
            {"session_id": "s1", "customer_message": "pay bill", "lang": "ar", "source": "article", "escalated": 0,
             "customer_turn_id": 3, "bot_turn_id": 4, "created_at": 20.0},
            {"session_id": "s1", "customer_message": "a person please", "lang": "en", "source": "handoff",
             "escalated": 1, "customer_turn_id": 5, "bot_turn_id": 6, "created_at": 30.0},
            {"session_id": "s2", "customer_message": "x", "lang": None, "source": None, "escalated": 0,
             "customer_turn_id": None, "bot_turn_id": 8, "created_at": 5.0},
        ])  # fmt: skip
        seed_rows(db, "message_feedback", [
            {"session_id": "s1", "message_id": 4, "value": "down", "created_at": 21.0},
            {"session_id": "s1", "message_id": 2, "value": "up", "created_at": 22.0},
            {"session_id": "s1", "message_id": 99, "value": "down", "created_at": 23.0},
        ])  # fmt: skip
        seed_rows(
            db, "chat_turns", [{"session_id": "s1", "role": "bot", "text": "t", "meta": "{}", "created_at": 42.5}]
        )
        turn_id = query_rows(db, "SELECT id FROM chat_turns")[0]["id"]

        def run(conn: Any) -> tuple[Any, ...]:
            first = store.feedback_after_in(conn, 2)
            store.set_feedback_scanned_in(conn, first[-1]["id"])
            rest = store.feedback_after_in(conn, 10)
            store.set_feedback_scanned_in(conn, rest[-1]["id"])
            return (
                first,
                rest,
                store.feedback_after_in(conn, 10),
                store.last_exchange_in(conn, "s1", None),
                store.last_exchange_in(conn, "s1", 5),
                store.last_exchange_in(conn, "s1", 1),
                store.last_exchange_in(conn, "s2", 100),
                store.last_question_in(conn, "s1", 100.0),
                store.last_question_in(conn, "s1", 15.0),
                store.last_question_in(conn, "s2", 5.0),
                store.turn_time_in(conn, turn_id),
            )

        first, rest, none, last, before5, before1, no_turn, question, early, blank_source, at = await store.write(run)
        assert [(f["value"], f["message_id"], f["customer_message"], f["lang"]) for f in first] == [
            ("down", 4, "pay bill", "ar"),
            ("up", 2, "hi", "en"),
        ]
        assert [(f["message_id"], f["customer_message"], f["session_id"]) for f in rest] == [(99, None, "s1")]
        assert none == []
        assert last is not None and last["customer_message"] == "a person please" and last["escalated"] == 1
        assert before5 is not None and (before5["customer_message"], before5["source"], before5["bot_turn_id"],
                                        before5["created_at"]) == ("pay bill", "article", 4, 20.0)  # fmt: skip
        assert before1 is None
        assert no_turn is not None and no_turn["customer_message"] == "x"  # no customer turn counts as 0
        assert question == {"customer_message": "pay bill", "lang": "ar", "bot_turn_id": 4}
        assert early is None  # only a rule's answer before then
        assert blank_source is not None and blank_source["bot_turn_id"] == 8  # a missing source is not 'rules'
        assert at == 42.5
        state = query_rows(db, "SELECT value FROM analytics_state WHERE key = 'feedback_scanned_id'")
        assert [dict(r) for r in state] == [{"value": str(rest[-1]["id"])}]

    async def test_insights_upsert_and_top_intent(self, store: GapStore, db: Any) -> None:
        def run(conn: Any) -> None:
            store.write_insight_in(conn, _insight(1, "billing"))
            store.write_insight_in(conn, _insight(2, "internet"))
            store.write_insight_in(conn, _insight(3, "internet"))
            store.write_insight_in(conn, _insight(4, "smalltalk"))
            store.write_insight_in(conn, _insight(5, "smalltalk"))
            store.write_insight_in(conn, _insight(6, "smalltalk"))
            store.write_insight_in(conn, _insight(None, "billing"))
            store.write_insight_in(conn, _insight(None, "billing"))  # no message: no conflict, two rows
            # A re-run replaces the classification and keeps the row.
            store.write_insight_in(conn, _insight(1, "internet", sentiment="negative", knowledge_gap=True,
                                                  classifier="llm", created_at=99.0))  # fmt: skip

        await store.write(run)
        rows = query_rows(db, "SELECT * FROM message_insights WHERE message_id = 1")
        assert len(rows) == 1
        row = rows[0]
        assert (row["intent"], row["sentiment"], row["knowledge_gap"], row["classifier"]) == (
            "internet",
            "negative",
            1,
            "llm",
        )
        assert row["created_at"] == 5.0 and row["session_id"] == "s1"
        assert query_rows(db, "SELECT count(*) AS n FROM message_insights")[0]["n"] == 8
        assert await store.top_intent([1, 2, 3, 4, 5, 6], ("smalltalk",)) == "internet"
        assert await store.top_intent([1, 2, 3, 4, 5, 6], ()) == "internet"  # 3 internet, 3 smalltalk: code-point order
        assert await store.top_intent([4, 5], ("smalltalk",)) is None
        assert await store.top_intent([404], ()) is None

    async def test_counts_and_intent_categories(self, store: GapStore, db: Any) -> None:
        await store.write(lambda conn: [store.insert_in(conn, _gap(q, "g", 1.0, reason="thumbs_down")) for q in "ab"])
        assert await store.count("thumbs_down") == 2
        assert await store.count("out_of_scope") == 0
        seed_rows(db, "articles", [
            {"id": f"a{n}", "title": "{}", "body": "{}", "category": category, "updated_at": 1.0}
            for n, category in enumerate(["internet", "Billing", "billing", None, "internet", "ئینتەرنێت"])
        ])  # fmt: skip
        assert await store.intent_categories() == ["Billing", "billing", "internet", "ئینتەرنێت"]

    async def test_the_feature_algorithm_over_the_store(self, store: GapStore, db: Any) -> None:
        """Grouping, idempotency, the feedback scan and the hand-off proposal through analytics/gaps.py."""

        def gaps(conn: Any) -> list[int | None]:
            return [
                record_gap(store, conn, question="How do I pay my bill?", lang="en", reason="out_of_scope",
                           session_id="s1", message_id=1, now=1.0),
                record_gap(store, conn, question="how can I pay the bill", lang="en", reason="low_confidence",
                           session_id="s2", message_id=2, now=2.0),
                record_gap(store, conn, question="reset my router please", lang="en", reason="out_of_scope",
                           session_id="s3", message_id=3, now=3.0),
                record_gap(store, conn, question="How do I pay my bill?", lang="en", reason="out_of_scope",
                           session_id="s1", message_id=1, now=4.0),
                record_gap(store, conn, question="   ", lang="en", reason="out_of_scope", session_id="s1",
                           message_id=9, now=5.0),
            ]  # fmt: skip

        ids = await store.write(gaps)
        assert ids[3] is None and ids[4] is None and all(ids[:3])
        groups, total = await gap_groups(store)
        assert total == 2 and groups[0]["count"] == 2 and groups[0]["reasons"] == ["low_confidence", "out_of_scope"]
        with pytest.raises(ValueError):
            await store.write(lambda conn: record_gap(store, conn, question="q", lang=None, reason="nope",
                                                      session_id=None, message_id=None))  # fmt: skip

        seed_rows(db, "conversation_logs", [
            {"session_id": "s2", "customer_message": "where is the shop", "lang": "en", "source": "article",
             "escalated": 0, "customer_turn_id": 10, "bot_turn_id": 11, "created_at": 50.0},
        ])  # fmt: skip
        seed_rows(db, "message_feedback", [{"session_id": "s2", "message_id": 11, "value": "down", "created_at": 51.0}])
        assert await store.write(lambda conn: collect_feedback_gaps(store, conn)) == 1
        assert await store.write(lambda conn: collect_feedback_gaps(store, conn)) == 0
        assert await store.count("thumbs_down") == 1
        proposed = await store.write(lambda conn: propose_from_handoff(store, conn, "s2", "shop", 60.0, 61.0))
        assert proposed is not None and proposed["question"] == "where is the shop" and proposed["article_id"] == "shop"
        again = await store.write(lambda conn: propose_from_handoff(store, conn, "s2", "shop", 60.0, 62.0))
        assert again is None  # one proposal per answer
        shop = [g for g in (await gap_groups(store))[0] if g["question"] == "where is the shop"]
        assert len(shop) == 1 and shop[0]["proposed_article"] == "shop"
        assert shop[0]["reasons"] == ["agent_resolved", "thumbs_down"]

    async def test_racing_writers_record_one_gap_per_message(self, store: GapStore) -> None:
        def record(n: int) -> Any:
            return store.write(
                lambda conn: record_gap(store, conn, question=f"question number {n % 3}", lang="en",
                                        reason="out_of_scope", session_id="s1", message_id=n % 3)
            )  # fmt: skip

        results = await asyncio.gather(*(record(n) for n in range(9)))
        assert sum(1 for r in results if r is not None) == 3
        assert await store.count("out_of_scope") == 3

    async def test_closed_database_is_a_storage_error(self, store: GapStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.groups(GapQuery())
        with pytest.raises(StorageError):
            await store.members(1)
        with pytest.raises(StorageError):
            await store.close([1], "rejected", "admin", 1.0)
        with pytest.raises(StorageError):
            await store.top_intent([1], ())
        with pytest.raises(StorageError):
            await store.count("thumbs_down")
        with pytest.raises(StorageError):
            await store.intent_categories()
        with pytest.raises(StorageError):
            await store.write(store.open_groups_in)


class TestSqliteGapStore(GapStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


@pytest.mark.postgres
class TestPostgresGapStore(GapStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db
