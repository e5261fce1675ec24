"""Contract of :class:`~nura_appliance.storage.base.AnalyticsStore` (the reads reports are built
from and the daily aggregates): one mixin, run on SQLite and on a real PostgreSQL (missing
PostgreSQL skips locally and fails under CI=true). The same seeded rows must give the same groups
on both backends: each group is checked against the value written out here."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from conftest import query_rows, seed_rows

from nura_appliance.analytics import aggregates
from nura_appliance.errors import StorageError
from nura_appliance.storage.analytics_sources import SOURCE_TABLES
from nura_appliance.storage.base import AnalyticsSnapshot, AnalyticsStore, ClickEvent, ReportFilters
from nura_appliance.storage.stores import stores_for

DAY = 86400.0
D1 = 1_767_225_600.0  # 2026-01-01 00:00 UTC
D2 = D1 + DAY


def _seed(db: Any) -> None:
    seed_rows(
        db,
        "sessions",
        [
            {"id": "s1", "token_hash": "h", "channel": "web", "lang": "ar", "status": "resolved", "message_count": 2,
             "handoff_at": D1 + 50, "handoff_reason": "asked", "assigned_agent": "amal", "rating": 5,
             "created_at": D1 + 10, "updated_at": D1 + 500},
            {"id": "s2", "token_hash": "h", "channel": "telegram", "lang": "en", "status": "bot", "message_count": 1,
             "created_at": D1 + 20, "updated_at": D2 + 100},
            {"id": "s3", "token_hash": "h", "channel": "web", "lang": "ckb", "status": "bot", "message_count": 0,
             "created_at": D2 + 30, "updated_at": D2 + 30},
        ],
    )  # fmt: skip
    seed_rows(
        db,
        "conversation_logs",
        [
            {"session_id": "s1", "customer_message": "a", "channel": "web", "lang": "ar", "source": "article",
             "confidence": 0.9, "escalated": 0, "latency_ms": 10.0, "created_at": D1 + 11},
            {"session_id": "s1", "customer_message": "b", "channel": "web", "lang": "ar", "source": "article",
             "confidence": 0.8, "escalated": 0, "latency_ms": 30.0, "created_at": D1 + 12},
            {"session_id": "s2", "customer_message": "c", "channel": "telegram", "lang": None, "source": "fallback",
             "confidence": None, "escalated": 1, "latency_ms": None, "created_at": D1 + 21},
            {"session_id": "s3", "customer_message": "d", "channel": "web", "lang": "ckb", "source": "rules",
             "confidence": 0.6, "escalated": 0, "latency_ms": 5.0, "created_at": D2 + 31},
        ],
    )  # fmt: skip
    seed_rows(
        db,
        "session_outcomes",
        [
            {"session_id": "s1", "status": "solved", "issue_category": "billing", "resolved_by": "amal",
             "channel": "web", "lang": "ar", "time_to_accept_s": 30.0, "time_to_resolve_s": 400.0,
             "resolved_at": D1 + 450, "created_at": D1 + 450},
        ],
    )  # fmt: skip
    seed_rows(
        db,
        "llm_usage_logs",
        [
            {"session_id": "s1", "provider": "openai", "model": "m", "purpose": "chat", "prompt_tokens": 10,
             "completion_tokens": 5, "total_tokens": 15, "cost_usd": 0.5, "ok": 1, "created_at": D1 + 13},
            {"session_id": None, "provider": "local", "model": None, "purpose": "classify", "prompt_tokens": 1,
             "completion_tokens": 1, "total_tokens": 2, "cost_usd": 0.0, "ok": 0, "created_at": D1 + 14},
        ],
    )  # fmt: skip
    seed_rows(db, "widget_events", [{"event_type": "open", "channel": "web", "lang": "ar", "created_at": D1 + 5}])
    seed_rows(db, "tree_clicks", [{"topic_id": "t1", "channel": "web", "lang": "en", "created_at": D1 + 6}])


def _norm(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as comparable values: flags as bools, sums as floats, sorted."""
    out = []
    for row in rows:
        out.append(
            {k: (float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v) for k, v in row.items()}
        )
    return sorted(out, key=lambda r: sorted((k, str(v)) for k, v in r.items()))


def _flags(rows: list[dict[str, Any]], *names: str) -> list[dict[str, Any]]:
    return [{**r, **{n: bool(r[n]) for n in names}} for r in rows]


def _click(event_type: str) -> ClickEvent:
    return ClickEvent(event_type, "s1", "c1", "الفواتير", '{"x": 1}', "t1", "a1", "ar", "web")


class AnalyticsStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, db: Any) -> AnalyticsStore:
        return stores_for(db).analytics

    async def test_grouped_sources_on_seeded_rows(self, store: AnalyticsStore, db: Any) -> None:
        _seed(db)
        none = ReportFilters()

        def read(snap: AnalyticsSnapshot) -> dict[str, list[dict[str, Any]]]:
            return {s.name: snap.grouped(s.name, D1, D2 + DAY, none) for s in SOURCE_TABLES}

        got = await store.snapshot(read)
        assert _norm(_flags(got["messages"], "escalated", "answered")) == _norm(
            [
                {"day": "2026-01-01", "channel": "web", "lang": "ar", "source": "article", "bucket": "high",
                 "escalated": False, "answered": True, "n": 2, "latency": 40.0},
                {"day": "2026-01-01", "channel": "telegram", "lang": "", "source": "fallback", "bucket": "low",
                 "escalated": True, "answered": False, "n": 1, "latency": 0.0},
                {"day": "2026-01-02", "channel": "web", "lang": "ckb", "source": "rules", "bucket": "medium",
                 "escalated": False, "answered": True, "n": 1, "latency": 5.0},
            ]
        )  # fmt: skip
        assert _norm(_flags(got["sessions"], "engaged", "handed_off")) == _norm(
            [
                {"day": "2026-01-01", "channel": "web", "lang": "ar", "engaged": True, "handed_off": True,
                 "reason": "asked", "rating": "5", "n": 1},
                {"day": "2026-01-01", "channel": "telegram", "lang": "en", "engaged": True, "handed_off": False,
                 "reason": "", "rating": "", "n": 1},
                {"day": "2026-01-02", "channel": "web", "lang": "ckb", "engaged": False, "handed_off": False,
                 "reason": "", "rating": "", "n": 1},
            ]
        )  # fmt: skip
        assert _norm(_flags(got["outcomes"], "has_accept", "has_resolve")) == _norm(
            [
                {"day": "2026-01-01", "channel": "web", "lang": "ar", "status": "solved", "category": "billing",
                 "agent": "amal", "root_cause": "", "reason": "", "has_accept": True, "has_resolve": True, "n": 1,
                 "accept": 30.0, "resolve": 400.0},
            ]
        )  # fmt: skip
        assert _norm(_flags(got["llm_usage"], "ok")) == _norm(
            [
                {"day": "2026-01-01", "channel": "web", "lang": "", "provider": "openai", "model": "m",
                 "purpose": "chat", "ok": True, "n": 1, "prompt": 10, "completion": 5, "total": 15, "cost": 0.5},
                {"day": "2026-01-01", "channel": "", "lang": "", "provider": "local", "model": "",
                 "purpose": "classify", "ok": False, "n": 1, "prompt": 1, "completion": 1, "total": 2, "cost": 0.0},
            ]
        )  # fmt: skip
        assert got["widget_events"] == [
            {"day": "2026-01-01", "channel": "web", "lang": "ar", "event_type": "open", "n": 1}
        ]
        assert got["tree_clicks"] == [{"day": "2026-01-01", "channel": "web", "lang": "en", "topic": "t1", "n": 1}]
        assert got["feedback"] == got["insights"] == got["gaps"] == []
        # an empty window and a window that ends where the rows start
        assert await store.snapshot(lambda snap: snap.grouped("messages", D1, D1, none)) == []
        assert await store.snapshot(lambda snap: snap.grouped("messages", D1 - DAY, D1, none)) == []

    async def test_filters(self, store: AnalyticsStore, db: Any) -> None:
        _seed(db)

        async def n(source: str, **filters: str) -> float:
            rows = await store.snapshot(lambda snap: snap.grouped(source, D1, D2 + DAY, ReportFilters(**filters)))
            return float(sum(r["n"] for r in rows))

        assert await n("messages") == 4
        assert await n("messages", channel="web") == 3
        assert await n("messages", lang="ar") == 2
        assert await n("messages", agent="amal") == 2  # s1 is hers
        assert await n("messages", agent="nobody") == 0
        assert await n("messages", issue_category="billing") == 2
        assert await n("llm_usage", lang="ar") == 2  # no language of its own: not narrowed
        assert await n("llm_usage", channel="web") == 1
        durations = await store.snapshot(lambda snap: snap.outcome_durations(D1, D2, ReportFilters(agent="amal")))
        assert durations == [{"accept": 30.0, "resolve": 400.0}]
        assert (
            await store.snapshot(lambda snap: snap.outcome_durations(D1, D2, ReportFilters(channel="telegram"))) == []
        )

    async def test_state_days_and_watermark(self, store: AnalyticsStore, db: Any) -> None:
        _seed(db)
        snap_state = await store.snapshot(lambda snap: (snap.state("refreshed_at"), snap.computed_days()))
        assert snap_state == (None, set())
        assert await store.snapshot(lambda snap: snap.earliest(0.0)) == D1 + 5
        assert await store.snapshot(lambda snap: snap.earliest(D2)) == D2 + 30
        assert await store.snapshot(lambda snap: snap.earliest(D2 + DAY)) is None
        changed = await store.snapshot(lambda snap: snap.session_days_changed(D1 + 600, D1, D2 + DAY))
        assert changed == {"2026-01-01", "2026-01-02"}  # s2 (updated D2+100) and s3
        assert await store.snapshot(lambda snap: snap.session_days_changed(D2 + 50, D1, D2)) == {"2026-01-01"}

        rows = [("2026-01-01", "messages", "web", "ar", "", 2.0), ("2026-01-01", "llm_calls", "", "", "k", 1.0)]
        await store.store_days(["2026-01-01"], rows, 123.5)
        await store.store_days(["2026-01-02"], [("2026-01-02", "messages", "web", "ckb", "", 1.0)], None)
        days, state = await store.snapshot(lambda snap: (snap.computed_days(), snap.state("refreshed_at")))
        assert days == {"2026-01-01", "2026-01-02"} and float(state) == 123.5
        assert await store.snapshot(lambda snap: snap.computed_days("2026-01-02", "2026-01-03")) == {"2026-01-02"}
        # replacing a day drops its old rows
        await store.store_days(["2026-01-01"], [("2026-01-01", "messages", "telegram", "en", "", 7.0)], 200.0)
        sums = await store.snapshot(lambda snap: snap.daily_sums(["2026-01-01", "2026-01-02"], None, None, ()))
        assert sorted((r["day"], r["metric"], float(r["value"])) for r in sums) == [
            ("2026-01-01", "messages", 7.0),
            ("2026-01-02", "messages", 1.0),
        ]
        assert await store.snapshot(lambda snap: snap.daily_sums([], None, None, ())) == []
        await store.store_days(["2026-01-03"], [], None)  # a day with nothing in it
        assert "2026-01-03" in await store.snapshot(lambda snap: snap.computed_days())

    async def test_daily_sums_filters(self, store: AnalyticsStore) -> None:
        rows = [
            ("2026-01-01", "messages", "web", "ar", "", 2.0),
            ("2026-01-01", "messages", "web", "en", "", 3.0),
            ("2026-01-01", "messages", "telegram", "ar", "", 4.0),
            ("2026-01-01", "llm_calls", "web", "", "k", 1.5),
        ]
        await store.store_days(["2026-01-01"], rows, 1.0)

        async def sums(channel: str | None, lang: str | None) -> dict[str, float]:
            got = await store.snapshot(
                lambda snap: snap.daily_sums(["2026-01-01"], channel, lang, ("llm_calls", "llm_errors"))
            )
            return {r["metric"]: float(r["value"]) for r in got}

        assert await sums(None, None) == {"messages": 9.0, "llm_calls": 1.5}
        assert await sums("web", None) == {"messages": 5.0, "llm_calls": 1.5}
        assert await sums(None, "ar") == {"messages": 6.0, "llm_calls": 1.5}
        assert await sums("telegram", "ar") == {"messages": 4.0}

    async def test_failing_store_writes_nothing(self, store: AnalyticsStore, db: Any) -> None:
        await store.store_days(["2026-01-01"], [("2026-01-01", "messages", "web", "ar", "", 2.0)], 5.0)
        duplicate = ("2026-01-02", "m", "web", "ar", "", 1.0)
        with pytest.raises(Exception):  # noqa: B017 - each backend's own unique-key error
            await store.store_days(["2026-01-01", "2026-01-02"], [duplicate, duplicate], 9.0)
        assert query_rows(db, "SELECT day, value FROM analytics_daily") == [{"day": "2026-01-01", "value": 2.0}]
        assert query_rows(db, "SELECT value FROM analytics_state") == [{"value": "5.0"}]
        assert [r["day"] for r in query_rows(db, "SELECT day FROM analytics_days")] == ["2026-01-01"]

    async def test_snapshot_is_consistent_while_writes_commit(self, store: AnalyticsStore, db: Any) -> None:
        _seed(db)

        def read_twice(snap: AnalyticsSnapshot) -> tuple[float, float]:
            first = sum(r["n"] for r in snap.grouped("widget_events", D1, D2, ReportFilters()))
            seed_rows(db, "widget_events", [{"event_type": "open", "channel": "web", "created_at": D1 + 7}])
            second = sum(r["n"] for r in snap.grouped("widget_events", D1, D2, ReportFilters()))
            return first, second

        assert await store.snapshot(read_twice) == (1, 1)  # the commit in between is not seen
        assert (
            await store.snapshot(lambda s: sum(r["n"] for r in s.grouped("widget_events", D1, D2, ReportFilters())))
            == 2
        )

    async def test_concurrent_refreshes_of_one_day(self, store: AnalyticsStore, db: Any) -> None:
        await asyncio.gather(
            *(
                store.store_days(["2026-01-01"], [("2026-01-01", "messages", "web", "ar", "", float(n))], float(n))
                for n in range(1, 16)
            )
        )
        rows = query_rows(db, "SELECT value FROM analytics_daily")
        state = query_rows(db, "SELECT value FROM analytics_state WHERE key = 'refreshed_at'")
        assert len(rows) == 1 and float(state[0]["value"]) == rows[0]["value"]  # one refresh's rows, whole

    async def test_the_feature_algorithm_over_the_store(self, store: AnalyticsStore, db: Any) -> None:
        """aggregates.py's refresh and collect on this backend: aggregated days read back what raw
        rows give."""
        _seed(db)
        now = D2 + 2 * DAY
        days, rows = await store.snapshot(
            lambda snap: (lambda d: (d, aggregates.compute_days(snap, d)))(aggregates.days_to_refresh(snap, now)[0])
        )
        assert days == ["2026-01-01", "2026-01-02"]  # the 3rd is not sealed yet at 00:00 on the 4th
        await store.store_days(days, rows, now - 60)
        window = aggregates.window_for(4, now)
        agg = await store.snapshot(lambda s: aggregates.collect(s, window, ReportFilters(), now=now))
        raw = await store.snapshot(
            lambda s: aggregates.collect(s, window, ReportFilters(), now=now, use_aggregates=False)
        )
        assert agg.aggregated_days == days and raw.aggregated_days == []
        assert {k: dict(v) for k, v in agg.totals.items()} == {k: dict(v) for k, v in raw.totals.items()}
        assert agg.totals["messages"][""] == 4 and agg.medians == {
            "median_time_to_accept_s": 30.0,
            "median_time_to_resolve_s": 400.0,
        }

    async def test_closed_database_is_a_storage_error(self, store: AnalyticsStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.snapshot(lambda snap: snap.computed_days())
        with pytest.raises(StorageError):
            await store.store_days(["2026-01-01"], [], 1.0)
        with pytest.raises(StorageError):
            await store.record_click(_click("open"), 1.0)

    async def test_record_click_writes_the_event_and_a_tree_click(self, store: AnalyticsStore, db: Any) -> None:
        first = await store.record_click(_click("open"), 10.0)
        second = await store.record_click(_click("tree_click"), 11.0)
        assert second > first
        events = query_rows(db, "SELECT * FROM widget_events ORDER BY id")
        assert [(e["id"], e["event_type"], e["created_at"]) for e in events] == [
            (first, "open", 10.0),
            (second, "tree_click", 11.0),
        ]
        assert events[1]["label"] == "الفواتير" and events[1]["meta"] == '{"x": 1}' and events[1]["channel"] == "web"
        clicks = query_rows(db, "SELECT * FROM tree_clicks")
        assert [(c["topic_id"], c["article_id"], c["label"], c["lang"], c["created_at"]) for c in clicks] == [
            ("t1", "a1", "الفواتير", "ar", 11.0)
        ]

    async def test_racing_clicks_get_distinct_ids(self, store: AnalyticsStore, db: Any) -> None:
        ids = await asyncio.gather(*(store.record_click(_click("tree_click"), float(n)) for n in range(10)))
        assert len(set(ids)) == 10
        assert query_rows(db, "SELECT count(*) AS n FROM tree_clicks")[0]["n"] == 10

    async def test_latest_exchanges(self, store: AnalyticsStore, db: Any) -> None:
        assert await store.latest_exchanges(D1, D2 + DAY, ReportFilters()) == []
        _seed(db)

        async def messages(start: float = D1, end: float = D2 + DAY, limit: int = 10, **filters: Any) -> list[str]:
            rows = await store.latest_exchanges(start, end, ReportFilters(**filters), limit)
            return [r["customer_message"] for r in rows]

        assert await messages() == ["d", "c", "b", "a"]
        assert await messages(limit=2) == ["d", "c"]
        assert await messages(end=D2) == ["c", "b", "a"]
        assert await messages(channel="web") == ["d", "b", "a"]
        assert await messages(lang="ar") == ["b", "a"]
        assert await messages(lang="en") == []
        assert await messages(agent="amal") == ["b", "a"]
        assert await messages(issue_category="billing", channel="telegram") == []
        assert await messages(issue_category="billing") == ["b", "a"]
        row = (await store.latest_exchanges(D1, D2, ReportFilters(channel="telegram")))[0]
        assert set(row) == {"id", "session_id", "customer_id", "channel", "lang", "customer_message", "response",
                            "source", "confidence", "escalated", "article_id", "created_at"}  # fmt: skip
        assert (row["session_id"], row["lang"], bool(row["escalated"]), row["created_at"]) == (
            "s2",
            None,
            True,
            D1 + 21,
        )

    async def test_recent_ratings(self, store: AnalyticsStore, db: Any) -> None:
        assert await store.recent_ratings(D1, D2 + DAY, ReportFilters()) == []
        _seed(db)
        seed_rows(db, "sessions", [
            {"id": "s4", "token_hash": "h", "channel": "telegram", "lang": "en", "status": "closed", "rating": 2,
             "customer_id": "c4", "created_at": D1 + 30, "updated_at": D1 + 600},
        ])  # fmt: skip

        async def rated(start: float = D1, end: float = D2, limit: int = 20, **filters: Any) -> list[str]:
            rows = await store.recent_ratings(start, end, ReportFilters(**filters), limit)
            return [r["session_id"] for r in rows]

        assert await rated() == ["s4", "s1"]
        assert await rated(limit=1) == ["s4"]
        assert await rated(start=D2, end=D2 + DAY) == []
        assert await rated(channel="web") == ["s1"]
        assert await rated(lang="en") == ["s4"]
        assert await rated(agent="amal") == ["s1"]
        assert await rated(issue_category="billing") == ["s1"]
        assert await rated(agent="nobody") == []
        row = (await store.recent_ratings(D1, D2, ReportFilters(channel="telegram")))[0]
        assert row == {"session_id": "s4", "customer_id": "c4", "channel": "telegram", "lang": "en", "rating": 2,
                       "status": "closed", "assigned_agent": None, "updated_at": D1 + 600}  # fmt: skip

    async def test_report_lists_on_a_closed_database(self, store: AnalyticsStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.latest_exchanges(D1, D2, ReportFilters())
        with pytest.raises(StorageError):
            await store.recent_ratings(D1, D2, ReportFilters())


class TestSqliteAnalyticsStore(AnalyticsStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


@pytest.mark.postgres
class TestPostgresAnalyticsStore(AnalyticsStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db
