"""Analytics: scripted traffic with known counts → every dashboard and report figure exactly;
aggregates for past days give the same reports as raw rows; CSV equals JSON; click events."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import (
    AppClient,
    fetch_row,
    fetch_rows,
    fresh_pg_database,
    initialised_copy,
    make_settings,
    run_sql,
    start_app,
    stop_app,
)

from nura_appliance.analytics.aggregates import DAY, today_start
from nura_appliance.analytics.service import REPORT_TABS, parse_query
from nura_appliance.app import create_app
from nura_appliance.knowledge.pack import validate_pack
from nura_appliance.spreadsheet import UTF8_BOM, csv_cell

ADMIN = {"Authorization": "Bearer suite-api-key-Vb4Rz8Kq2Wn6Tx9M"}

PACK = {
    "format": "nura-knowledge/1",
    "name": "analytics-test",
    "articles": [
        {
            "id": "bill-pay",
            "category": "billing",
            "title": {"en": "Pay your bill", "ar": "دفع الفاتورة"},
            "body": {"en": "Pay your bill in the app under Payments.", "ar": "ادفع فاتورتك من التطبيق."},
            "examples": {"en": ["how do I pay my bill"], "ar": ["كيف ادفع الفاتورة"]},
        },
        {
            "id": "router-reset",
            "category": "internet",
            "title": {"en": "Reset the home router"},
            "body": {"en": "Hold the reset button for ten seconds."},
            "examples": {"en": ["how to reset my router"]},
        },
    ],
    "topic_tree": {
        "id": "root",
        "label": {"en": "All"},
        "children": [{"id": "billing", "label": {"en": "Billing"}, "article": "bill-pay"}],
    },
    "rules": [],
    "scope_message": {
        "en": "I can only help with our services.",
        "ar": "أستطيع المساعدة في خدماتنا فقط.",
        "ku": "Ez tenê dikarim di karûbarên me de alîkarî bikim.",
    },
}


def analytics_settings(data_dir: Path, **extra: Any) -> Any:
    base: dict[str, Any] = {
        "LOAD_DEFAULT_KNOWLEDGE": False,
        "BUSINESS_HOURS": "",
        "HANDOFF_TRIGGERS": "explicit",
        "RATE_LIMIT_NEW_SESSIONS_PER_MINUTE": 1000,
        "RATE_LIMIT_IP_PER_MINUTE": 1000,
        "RATE_LIMIT_MESSAGES_PER_MINUTE": 1000,
        "NURA_LLM_PROVIDER": "off",
    }
    return make_settings(data_dir, **{**base, **extra})


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def analytics_backend(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """The database the app under test keeps its data in: the data dir's SQLite file, or a fresh
    PostgreSQL database (skipped locally without PostgreSQL, a failure under CI=true)."""
    if request.param == "sqlite":
        yield {}
        return
    with fresh_pg_database(migrated=True) as url:  # a copy of the migrated template: faster
        yield {"NURA_DATABASE_URL": url}


@pytest.fixture
async def aclient(data_dir: Path, analytics_backend: dict[str, str]) -> AsyncIterator[AppClient]:
    app = create_app(analytics_settings(data_dir, **analytics_backend))
    await start_app(app)
    ctx = app.ctx.nura
    await ctx.knowledge.load_pack(validate_pack(PACK))
    await ctx.pipeline.refresh(force=True)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with AppClient(transport=transport, base_url="http://testserver") as client:
        client.nura = ctx  # type: ignore[attr-defined]
        yield client
    await stop_app(app)


async def say(
    client: AppClient, text: str, *, session: dict[str, Any] | None = None, channel: str = "web", lang: str = "en"
) -> dict[str, Any]:
    body: dict[str, Any] = {"message": text, "channel": channel, "lang": lang, "customer_id": "c-1"}
    if session:
        body.update(session_id=session["session_id"], session_token=session["session_token"])
    else:
        body["session_id"] = None
    resp = await client.post("/v1/message", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_click_event_seed_example_is_stored(aclient: AppClient) -> None:
    seed = {
        "session_id": "abc123",
        "customer_id": "widget-xyz",
        "event_type": "tree_click",
        "label": "الإنترنت بطيء",
        "meta": "slow",
        "topic_id": "slow",
        "article_id": 6,
    }
    resp = await aclient.post("/v1/analytics/click", json=seed)
    assert resp.status_code == 200 and resp.json() == {"ok": True}
    resp = await aclient.post(
        "/v1/analytics/click", json={"event_type": "open", "meta": {"page": "/help"}, "lang": "ku"}
    )
    assert resp.status_code == 200
    db = aclient.nura.db  # type: ignore[attr-defined]
    events = await fetch_rows(db, "SELECT event_type, article_id, meta, lang FROM widget_events ORDER BY id")
    assert events == [
        # The original widget's number is the article's position in articals.json: our article-6.
        {"event_type": "tree_click", "article_id": "article-6", "meta": "slow", "lang": None},
        {"event_type": "open", "article_id": None, "meta": '{"page": "/help"}', "lang": "ku"},
    ]
    clicks = await fetch_rows(db, "SELECT topic_id, article_id, label FROM tree_clicks")
    assert clicks == [{"topic_id": "slow", "article_id": "article-6", "label": "الإنترنت بطيء"}]


BAD_CLICKS = [
    ({}, 422),
    ({"event_type": "Bad Type!"}, 422),
    ({"event_type": "open", "lang": "fr"}, 422),
    ({"event_type": "open", "article_id": [1]}, 422),
    ({"event_type": "open", "meta": "x" * 3000}, 422),
    ([1, 2], 400),
]


async def test_click_rejects_bad_input(aclient: AppClient) -> None:
    for body, status in BAD_CLICKS:
        resp = await aclient.post("/v1/analytics/click", json=body)
        assert resp.status_code == status, body
        assert "error" in resp.json()
    resp = await aclient.post("/v1/analytics/click", content=b"{nope", headers={"content-type": "application/json"})
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "invalid_json"
    assert await fetch_rows(aclient.nura.db, "SELECT id FROM widget_events") == []  # type: ignore[attr-defined]


async def test_analytics_routes_need_staff(aclient: AppClient) -> None:
    for path in (
        "/v1/analytics/dashboard",
        "/v1/analytics/reports",
        "/v1/analytics/ratings",
        "/v1/analytics/reports/intents.csv",
        "/v1/knowledge-gaps",
    ):
        assert (await aclient.get(path)).status_code == 401
    assert (await aclient.post("/v1/analytics/refresh")).status_code == 401
    assert (await aclient.get("/v1/analytics/dashboard?days=0", headers=ADMIN)).status_code == 422
    assert (await aclient.get("/v1/analytics/dashboard?days=x", headers=ADMIN)).status_code == 422
    assert (await aclient.get("/v1/analytics/reports?lang=fr", headers=ADMIN)).status_code == 422
    assert (await aclient.get("/v1/analytics/reports?since=2026-13-01", headers=ADMIN)).status_code == 422
    assert (await aclient.get("/v1/analytics/reports/nope.csv", headers=ADMIN)).status_code == 404


async def scripted_traffic(client: AppClient) -> dict[str, Any]:
    """Known traffic: 4 sessions, 7 customer messages, one hand-off, feedback, ratings, outcome, LLM use."""
    ctx = client.nura  # type: ignore[attr-defined]
    a = await say(client, "how do I pay my bill")  # article, web/en
    assert a["source"] == "article" and a["article_id"] == "bill-pay"
    a2 = await say(client, "how to reset my router", session=a)  # article
    assert a2["article_id"] == "router-reset"
    b = await say(client, "zzqx blorf wibble", channel="telegram")  # out of scope, telegram/en
    assert b["kind"] == "out_of_scope" and not b["escalated"]
    b2 = await say(client, "zzqx blorf wibble again", session=b, channel="telegram")
    assert b2["kind"] == "out_of_scope"
    c = await say(client, "كيف ادفع الفاتورة", lang="ar")  # article, web/ar
    assert c["article_id"] == "bill-pay" and c["lang"] == "ar"
    c2 = await say(client, "اريد اكلم موظف", session=c, lang="ar")  # explicit hand-off
    assert c2["escalated"] and c2["source"] == "rules"
    d = await say(client, "how do I pay my bill", lang="en")  # article, engaged, rated later
    assert d["article_id"] == "bill-pay"
    now = time.time()

    def extra(conn: Any) -> None:
        # Rows other features write (feedback, rating, outcome, LLM usage), inserted as they would.
        run_sql(
            conn,
            "INSERT INTO message_feedback (session_id, message_id, value, created_at) VALUES (?,?,?,?)",
            (a["session_id"], a["message_id"], "up", now),
        )
        run_sql(
            conn,
            "INSERT INTO message_feedback (session_id, message_id, value, created_at) VALUES (?,?,?,?)",
            (d["session_id"], d["message_id"], "down", now),
        )
        run_sql(conn, "UPDATE sessions SET rating = 5, updated_at = ? WHERE id = ?", (now, a["session_id"]))
        run_sql(conn, "UPDATE sessions SET rating = 2, updated_at = ? WHERE id = ?", (now, d["session_id"]))
        run_sql(
            conn, "UPDATE sessions SET assigned_agent = 'sara', accepted_at = ? WHERE id = ?", (now, c["session_id"])
        )
        run_sql(
            conn,
            "INSERT INTO session_outcomes (session_id, status, issue_category, root_cause, resolved_by,"
            " handoff_reason, resolved_at, time_to_accept_s, time_to_resolve_s, channel, lang, created_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                c["session_id"],
                "solved",
                "billing",
                "payment_failed",
                "sara",
                "explicit_request",
                now,
                30.0,
                90.0,
                "web",
                "ar",
                now,
            ),
        )
        for tokens, cost, ok in ((100, 0.002, 1), (50, 0.001, 0)):
            run_sql(
                conn,
                "INSERT INTO llm_usage_logs (session_id, provider, model, purpose, prompt_tokens, completion_tokens,"
                " total_tokens, cost_usd, ok, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (b["session_id"], "openai", "gpt-4o-mini", "answer", tokens - 20, 20, tokens, cost, ok, now),
            )

    await ctx.db.write(extra)
    for event in ("open", "open", "tree_click"):
        await client.post("/v1/analytics/click", json={"event_type": event, "topic_id": "billing", "lang": "en"})
    # Without an LLM the 7 messages were classified in their own transactions; only the
    # hand-off's job is left.
    assert await fetch_row(ctx.db, "SELECT count(*) AS n FROM message_insights WHERE classifier = 'local'") == {"n": 7}
    assert not await fetch_rows(ctx.db, "SELECT id FROM outbox WHERE kind = 'classify_message'")
    ran = await ctx.jobs.run_pending()
    assert ran == 1  # handoff_started
    return {"a": a, "b": b, "c": c, "d": d}


async def test_scripted_traffic_dashboard_exact(aclient: AppClient) -> None:
    sessions = await scripted_traffic(aclient)
    resp = await aclient.get("/v1/analytics/dashboard?days=7", headers=ADMIN)
    assert resp.status_code == 200, resp.text
    dash = resp.json()
    assert dash["totals"] == {
        "messages": 7,
        "sessions": 4,
        "answered_messages": 4,
        "escalated_messages": 1,
        "handoffs": 1,
        "widget_events": 3,
        "tree_clicks": 1,
        "answer_rate": round(4 / 7, 4),
        "avg_latency_ms": dash["totals"]["avg_latency_ms"],
    }
    assert dash["totals"]["avg_latency_ms"] > 0
    assert dash["sources"] == {"article": 4, "fallback": 2, "rules": 1}
    today = dash["activity"][-1]
    assert len(dash["activity"]) == 7
    assert today == {"day": dash["until"], "messages": 7, "sessions": 4, "escalated": 1, "handoffs": 1}
    assert all(day["messages"] == 0 for day in dash["activity"][:-1])
    assert dash["satisfaction"] == {
        "rated_sessions": 2,
        "average_rating": 3.5,
        "satisfied_sessions": 1,
        "satisfaction_rate": 0.5,
        "thumbs_up": 1,
        "thumbs_down": 1,
        "thumbs_up_rate": 0.5,
    }
    assert dash["deflection"] == {
        "engaged_sessions": 4,
        "deflected_sessions": 3,
        "deflection_rate": 0.75,
        "handed_off_sessions": 1,
        "handoff_rate": 0.25,
    }
    assert dash["resolution"] == {
        "outcomes": 1,
        "resolved_outcomes": 1,
        "resolution_rate": 1.0,
        "avg_time_to_accept_s": 30.0,
        "avg_time_to_resolve_s": 90.0,
        "median_time_to_accept_s": 30.0,
        "median_time_to_resolve_s": 90.0,
    }
    # Gaps: 2 out-of-scope messages (grouped: similar wording), the hand-off after an article
    # answer ("كيف ادفع الفاتورة"); thumbs down is collected by the refresh, not yet here.
    assert dash["knowledge_gaps"]["new"] == 3
    assert dash["knowledge_gaps"]["by_reason"] == {"handoff_after_answer": 1, "out_of_scope": 2}
    assert dash["knowledge_gaps"]["open_groups"] == 2
    assert dash["ai_cost"] == {
        "calls": 2,
        "prompt_tokens": 110,
        "completion_tokens": 40,
        "total_tokens": 150,
        "cost_usd": 0.003,
        "errors": 1,
    }
    latest = dash["latest_conversations"]
    assert len(latest) == 7 and latest[0]["customer_message"] == "how do I pay my bill"
    assert latest[0]["session_id"] == sessions["d"]["session_id"]

    filtered = (await aclient.get("/v1/analytics/dashboard?days=7&channel=telegram", headers=ADMIN)).json()
    assert filtered["totals"]["messages"] == 2 and filtered["sources"] == {"fallback": 2}
    assert filtered["ai_cost"]["calls"] == 2 and filtered["knowledge_gaps"]["new"] == 2
    arabic = (await aclient.get("/v1/analytics/dashboard?days=7&lang=ar", headers=ADMIN)).json()
    assert arabic["totals"]["messages"] == 2 and arabic["totals"]["sessions"] == 1
    by_agent = (await aclient.get("/v1/analytics/dashboard?days=7&agent=sara", headers=ADMIN)).json()
    assert by_agent["totals"]["messages"] == 2 and by_agent["resolution"]["outcomes"] == 1
    assert by_agent["read"]["aggregated_days"] == 0


async def test_scripted_traffic_reports_exact(aclient: AppClient) -> None:
    await scripted_traffic(aclient)
    refreshed = (await aclient.post("/v1/analytics/refresh", headers=ADMIN)).json()
    assert refreshed["feedback_gaps"] == 1  # the thumbs down on the 4th session's answer
    rep = (await aclient.get("/v1/analytics/reports?days=30", headers=ADMIN)).json()
    gaps = rep["knowledge_gaps"]
    assert gaps["total"] == 4 and gaps["groups"] == 3
    assert gaps["by_reason"] == {"handoff_after_answer": 1, "out_of_scope": 2, "thumbs_down": 1}
    assert [(r["question"], r["count"], r["reasons"]) for r in gaps["rows"]] == [
        ("zzqx blorf wibble", 2, "out_of_scope"),
        ("how do I pay my bill", 1, "thumbs_down"),
        ("كيف ادفع الفاتورة", 1, "handoff_after_answer"),
    ]
    intents = rep["intents"]
    assert intents["classified"] == 7 and intents["flagged_gaps"] == 2
    assert intents["rows"] == [
        {"intent": "billing", "count": 3, "share": round(3 / 7, 4)},
        {"intent": "out_of_scope", "count": 2, "share": round(2 / 7, 4)},
        {"intent": "human_request", "count": 1, "share": round(1 / 7, 4)},
        {"intent": "internet", "count": 1, "share": round(1 / 7, 4)},
    ]
    assert intents["confidence_buckets"]["low"] == 2
    assert rep["handoffs"]["rows"] == [{"reason": "explicit_request", "count": 1, "share": 1.0}]
    assert rep["handoffs"]["handoff_rate"] == 0.25 and rep["handoffs"]["avg_time_to_accept_s"] == 30.0
    assert rep["outcomes"]["rows"] == [
        {"status": "solved", "issue_category": "billing", "resolved_by": "sara", "count": 1}
    ]
    assert rep["outcomes"]["by_root_cause"] == {"payment_failed": 1} and rep["outcomes"]["resolution_rate"] == 1.0
    assert rep["cost"]["rows"] == [
        {
            "provider": "openai",
            "model": "gpt-4o-mini",
            "calls": 2,
            "prompt_tokens": 110,
            "completion_tokens": 40,
            "total_tokens": 150,
            "cost_usd": 0.003,
            "errors": 1,
        }
    ]
    assert rep["cost"]["by_purpose"] == {"answer": 2}
    billing = (await aclient.get("/v1/analytics/reports?days=30&issue_category=billing", headers=ADMIN)).json()
    assert billing["intents"]["classified"] == 2 and billing["handoffs"]["handed_off_sessions"] == 1
    ratings = (await aclient.get("/v1/analytics/ratings?days=30", headers=ADMIN)).json()
    assert ratings["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}
    assert ratings["average_rating"] == 3.5 and len(ratings["recent"]) == 2


async def test_csv_export_matches_json(aclient: AppClient) -> None:
    await scripted_traffic(aclient)
    rep = (await aclient.get("/v1/analytics/reports?days=30", headers=ADMIN)).json()
    for tab in REPORT_TABS:
        resp = await aclient.get(f"/v1/analytics/reports/{tab}.csv?days=30", headers=ADMIN)
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
        # UTF-8 with a byte-order mark, so Excel shows Arabic as Arabic (not mojibake).
        assert resp.content.startswith(UTF8_BOM.encode("utf-8")), tab
        rows = list(csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig"))))
        expected = [{k: str(csv_cell(v)) for k, v in row.items()} for row in rep[tab]["rows"]]
        assert rows == expected, tab
        assert rows, f"{tab} has rows in this traffic"


async def seed_history(ctx: Any, now: float) -> None:
    """Rows over the last 5 days (and today) in every source table, two channels, three languages."""
    base = today_start(now)

    def run(conn: Any) -> None:
        for day in range(5, -1, -1):
            for i in range(6 + day):
                at = base - day * DAY + 3600 + i * 60
                if day == 0:
                    at = min(at, now - 1)
                channel = "web" if i % 3 else "telegram"
                lang = ("ar", "ku", "en")[i % 3]
                sid = f"s-{day}-{i}"
                handoff = at + 5 if i % 4 == 0 else None
                run_sql(
                    conn,
                    "INSERT INTO sessions (id, token_hash, customer_id, channel, lang, status, handoff_reason,"
                    " handoff_at, message_count, rating, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        sid,
                        "x",
                        f"c{i}",
                        channel,
                        lang,
                        "bot",
                        "explicit_request" if handoff else None,
                        handoff,
                        i % 5,
                        (i % 5) + 1 if i % 2 else None,
                        at,
                        at,
                    ),
                )
                for j in range(i % 5):
                    run_sql(
                        conn,
                        "INSERT INTO conversation_logs (session_id, channel, lang, customer_message, response, source,"
                        " confidence, escalated, bot_turn_id, latency_ms, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                        (
                            sid,
                            channel,
                            lang,
                            f"q{j}",
                            "a",
                            ("article", "fallback", "rag", "rules")[j % 4],
                            (0.9, 0.2, 0.6, 1.0)[j % 4],
                            int(j == 3),
                            day * 1000 + i * 10 + j,
                            12.5 + j,
                            at + j,
                        ),
                    )
                run_sql(
                    conn,
                    "INSERT INTO message_feedback (session_id, message_id, value, created_at) VALUES (?,?,?,?)",
                    (sid, day * 1000 + i * 10, "up" if i % 2 else "down", at + 1),
                )
                run_sql(
                    conn,
                    "INSERT INTO message_insights (session_id, message_id, intent, sentiment,"
                    " confidence_bucket, knowledge_gap, lang, created_at) VALUES (?,?,?,?,?,?,?,?)",
                    (
                        sid,
                        day * 1000 + i * 10 + 7,
                        ("billing", "internet")[i % 2],
                        "neutral",
                        "high",
                        i % 2,
                        lang,
                        at + 2,
                    ),
                )
                run_sql(
                    conn,
                    "INSERT INTO knowledge_gaps (question, normalized, lang, reason, session_id, group_key,"
                    " created_at) VALUES (?,?,?,?,?,?,?)",
                    (f"q{i}", f"q{i}", lang, "out_of_scope", sid, f"g{i}", at + 3),
                )
                run_sql(
                    conn,
                    "INSERT INTO session_outcomes (session_id, status, issue_category, resolved_by,"
                    " resolved_at, time_to_accept_s, time_to_resolve_s, channel, lang, created_at)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        sid,
                        ("solved", "unsolved")[i % 2],
                        ("billing", "network")[i % 2],
                        ("sara", "omar")[i % 2],
                        at + 4,
                        10.0 + i,
                        100.0 + i,
                        channel,
                        lang,
                        at + 4,
                    ),
                )
                run_sql(
                    conn,
                    "INSERT INTO llm_usage_logs (session_id, provider, model, purpose, prompt_tokens,"
                    " completion_tokens, total_tokens, cost_usd, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                    (sid, "openai", "m", "answer", 10, 5, 15, 0.0001 * (i + 1), at + 5),
                )
                run_sql(
                    conn,
                    "INSERT INTO widget_events (session_id, event_type, channel, lang, created_at) VALUES (?,?,?,?,?)",
                    (sid, "open", channel, lang, at + 6),
                )

    await ctx.db.write(run)


async def test_aggregates_equal_raw(aclient: AppClient) -> None:
    ctx = aclient.nura  # type: ignore[attr-defined]
    service = ctx.analytics
    now = time.time()
    if now - today_start(now) < 4 * 3600:
        now = today_start(now) + 4 * 3600  # keep seeded "today" rows in the past of `now`
    await seed_history(ctx, now)
    refreshed = await service.refresh(now=now)
    assert len(refreshed["days"]) == 5 and refreshed["rows"] > 0
    queries = [
        "days=7",
        "days=3",
        "days=7&channel=web",
        "days=7&lang=ku",
        "days=7&channel=telegram&lang=ar",
        "days=7&agent=sara",
        "days=7&issue_category=network",
        "days=1",
        "since=" + time.strftime("%Y-%m-%d", time.gmtime(now - 3 * DAY)),
    ]

    async def compare() -> None:
        for raw_query in queries:
            query = parse_query(dict(p.split("=") for p in raw_query.split("&")))
            for view in (service.dashboard, service.reports):
                agg = await view(query, now=now)
                raw = await view(query, use_aggregates=False, now=now)
                assert raw["read"]["aggregated_days"] == 0
                if not query.filters.needs_raw and query.days > 1:
                    assert agg["read"]["aggregated_days"] > 0, raw_query
                agg.pop("read")
                raw.pop("read")
                assert agg == raw, raw_query

    await compare()
    full = await service.dashboard(parse_query({"days": "7"}), now=now)
    assert full["read"] == {"aggregated_days": 5, "raw_days": 2}  # 6 and 7 days ago are empty but never
    assert full["totals"]["messages"] > 0  # aggregated: before the first data

    # A session of a past day changes after the refresh: its day is read raw until the next refresh.
    await ctx.db.write(
        lambda c: run_sql(
            c, "UPDATE sessions SET rating = 5, handoff_at = ?, updated_at = ? WHERE id = 's-3-1'", (now, now)
        )
    )
    dirty = await service.dashboard(parse_query({"days": "7"}), now=now)
    assert dirty["read"]["aggregated_days"] == 4
    await compare()
    await service.refresh(now=now + 120)
    assert (await service.dashboard(parse_query({"days": "7"}), now=now + 120))["read"]["aggregated_days"] == 5


@pytest.fixture
def settings(data_dir: Path) -> Any:
    """For the ``client`` fixture in this module: a low per-IP limit."""
    ready = initialised_copy(data_dir, LOAD_DEFAULT_KNOWLEDGE=False)
    return make_settings(ready, LOAD_DEFAULT_KNOWLEDGE=False, RATE_LIMIT_IP_PER_MINUTE=3)


async def test_click_is_rate_limited_per_ip(client: AppClient) -> None:
    for _ in range(3):
        assert (await client.post("/v1/analytics/click", json={"event_type": "open"})).status_code == 200
    resp = await client.post("/v1/analytics/click", json={"event_type": "open"})
    assert resp.status_code == 429 and int(resp.headers["retry-after"]) >= 1
    assert resp.json()["error"]["code"] == "rate_limited"


def test_csv_cells_never_start_a_formula() -> None:
    assert [csv_cell(v) for v in ('=HYPERLINK("x")', "+1", "-2", "@a", "plain", None, 3, 0.5)] == [
        '\'=HYPERLINK("x")',
        "'+1",
        "'-2",
        "'@a",
        "plain",
        "",
        3,
        0.5,
    ]


async def test_llm_classification_from_consumer_threads(data_dir: Path, analytics_backend: dict[str, str]) -> None:
    """With an LLM available, classify_message uses it — called on the server's loop from a
    consumer thread — against a scripted OpenAI-compatible server on loopback."""
    from ai_support import ScriptedOpenAI

    server = ScriptedOpenAI(
        default={"text": '{"intent": "billing", "sentiment": "negative", "confidence": 0.9}', "usage": (50, 10)}
    )
    app = create_app(
        analytics_settings(
            data_dir,
            JOB_WORKER_ENABLED=True,
            OPENAI_BASE_URL=server.base_url,
            NURA_LLM_PROVIDER="openai",
            LLM_STREAM=False,
            LLM_TIMEOUT_SECONDS=30,  # generous: a bound on a hang under load, not the pace under test
            **analytics_backend,
        )
    )
    await start_app(app)
    try:
        ctx = app.ctx.nura
        await ctx.knowledge.load_pack(validate_pack(PACK))
        await ctx.pipeline.refresh(force=True)
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with AppClient(transport=transport, base_url="http://testserver") as client:
            answer = await say(client, "how do I pay my bill")
            assert answer["source"] == "article"
            for _ in range(200):
                rows = await fetch_rows(ctx.db, "SELECT intent, sentiment, classifier FROM message_insights")
                if rows:
                    break
                await asyncio.sleep(0.05)
            assert rows == [{"intent": "billing", "sentiment": "negative", "classifier": "llm"}]
            assert any("Classify" in str(r["body"]) for r in server.chat_requests())
    finally:
        await stop_app(app)
        server.stop()


async def test_median_times_to_accept_and_resolve(aclient: AppClient) -> None:
    """Medians come from the outcome rows (odd and even counts, filters), the same on the
    aggregate and the raw path; a window without outcomes gives null, not 0."""
    ctx = aclient.nura  # type: ignore[attr-defined]
    empty = (await aclient.get("/v1/analytics/dashboard?days=7", headers=ADMIN)).json()["resolution"]
    assert empty["median_time_to_accept_s"] is None and empty["median_time_to_resolve_s"] is None

    now = time.time()
    old = today_start(now) - 3 * DAY + 3600  # a past day: readable from aggregates after a refresh
    rows = [  # (agent, channel, accept s, resolve s, when)
        ("sara", "web", 10.0, 100.0, old),
        ("sara", "web", 20.0, 400.0, old),
        ("omar", "telegram", 90.0, 200.0, old),
        ("omar", "web", None, 50.0, now - 60),  # resolved without being accepted first
    ]

    def seed(conn: Any) -> None:
        for i, (agent, channel, accept, resolve, at) in enumerate(rows):
            run_sql(
                conn,
                "INSERT INTO session_outcomes (session_id, status, issue_category, resolved_by, resolved_at,"
                " time_to_accept_s, time_to_resolve_s, channel, lang, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (f"median-{i}", "solved", "billing", agent, at, accept, resolve, channel, "ar", at),
            )

    await ctx.db.write(seed)
    dash = (await aclient.get("/v1/analytics/dashboard?days=7", headers=ADMIN)).json()["resolution"]
    assert dash["median_time_to_accept_s"] == 20.0  # 10, 20, 90
    assert dash["median_time_to_resolve_s"] == 150.0  # 50, 100, 200, 400 → mean of the middle two
    assert dash["avg_time_to_accept_s"] == 40.0
    sara = (await aclient.get("/v1/analytics/dashboard?days=7&agent=sara", headers=ADMIN)).json()["resolution"]
    assert (sara["median_time_to_accept_s"], sara["median_time_to_resolve_s"]) == (15.0, 250.0)
    web = (await aclient.get("/v1/analytics/reports?days=7&channel=web", headers=ADMIN)).json()
    assert web["handoffs"]["median_time_to_accept_s"] == 15.0
    assert web["outcomes"]["median_time_to_resolve_s"] == 100.0  # 50, 100, 400

    await ctx.analytics.refresh()
    after = (await aclient.get("/v1/analytics/dashboard?days=7", headers=ADMIN)).json()
    assert after["read"]["aggregated_days"] > 0  # the past day now comes from aggregates
    assert after["resolution"] == dash
