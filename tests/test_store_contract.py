"""One contract suite over the store interfaces — database, cache, event bus — and the main
flow (message → hand-off → two racing accepts → agent message → resolve → dashboard), run
against the default SQLite + diskcache + in-process bus and against PostgreSQL + Redis alike.

The scale-out backend uses a fresh PostgreSQL database and a fresh Redis key prefix per test
(both removed afterwards); without the services it skips locally and fails under CI=true."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import redis
from conftest import (
    PG_TEMPLATE,
    execute_sql,
    make_settings,
    need_service,
    new_session,
    query_rows,
    run_sql,
    running_app,
)

from nura_appliance.context import build_context
from nura_appliance.errors import StorageError
from nura_appliance.settings import Settings
from nura_appliance.storage.base import SlidingCount

API_KEY = "store-contract-api-key-0123456789"
ADMIN = {"Authorization": f"Bearer {API_KEY}"}
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/3"


def _drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@contextlib.contextmanager
def scale_backends(*, migrated: bool = False) -> Iterator[dict[str, str]]:
    """A new PostgreSQL database and Redis prefix; both removed on exit. The database is empty (an
    app's first start migrates it), or with ``migrated=True`` a copy of the migrated template."""
    need_service("127.0.0.1", 5432, "PostgreSQL")
    need_service("127.0.0.1", 6379, "Redis")
    name = f"nura_test_{uuid.uuid4().hex[:12]}"
    template = f' TEMPLATE "{PG_TEMPLATE.get()}"' if migrated else ""
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{template}')
    prefix = f"nuratest{uuid.uuid4().hex[:8]}:"
    try:
        yield {
            "NURA_DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{name}",
            "NURA_REDIS_URL": REDIS_URL,
            "NURA_REDIS_PREFIX": prefix,
            "db_name": name,
        }
    finally:
        _drop_database(name)
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"*{prefix.rstrip(':')}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture(params=["sqlite", "postgres_redis"])
def backend(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield {}
        return
    # Migrated already: these tests are about the stores and routes, not the first migration
    # (scale_backends() without it, in tests/test_health_and_logs.py and elsewhere, keeps that).
    with scale_backends(migrated=True) as env:
        yield env


def backend_settings(data_dir: Any, backend: dict[str, str], **overrides: Any) -> Settings:
    values = {k: v for k, v in backend.items() if k.startswith("NURA_")}
    return make_settings(data_dir, **{"API_KEY": API_KEY, "LOAD_DEFAULT_KNOWLEDGE": False, **values, **overrides})


def app_client(settings: Settings):
    return running_app(settings)


# -- database -----------------------------------------------------------------------------------
async def test_database_interface(data_dir, backend):
    """What both backends' databases offer the stores: ``write``/``read`` of ``fn(conn)``, a
    connection's ``changes()``, a failing write rolled back alone, serialised writes. Each backend
    gets its own SQL text (``run_sql``: the parameter style), nothing is translated."""
    ctx = build_context(backend_settings(data_dir, backend))
    try:
        db = ctx.db

        def insert(conn: Any) -> tuple[int, int]:
            (row,) = run_sql(
                conn,
                "INSERT INTO audit_log (actor, action, target, detail, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                ("tester", "contract", "t-1", "مرحبا", 1.5),
            )
            return int(row["id"]), conn.changes()

        row_id, changed = await db.write(insert)
        assert changed == 1 and row_id >= 1
        (row,) = await db.read(lambda c: run_sql(c, "SELECT * FROM audit_log WHERE id = :id", {"id": row_id}))
        assert row["detail"] == "مرحبا" and row["created_at"] == 1.5
        assert execute_sql(db, "UPDATE audit_log SET target = ? WHERE actor = ?", ("t-2", "tester")) == 1
        assert [r["target"] for r in query_rows(db, "SELECT target FROM audit_log WHERE actor LIKE 'test%'")] == ["t-2"]
        # A failing write rolls back alone and raises; iteration over a cursor works.
        with pytest.raises(Exception):  # noqa: B017 - the backend's own constraint error
            await db.write(lambda c: run_sql(c, "INSERT INTO kb_meta (key, value) VALUES (?, NULL)", ("x",)))
        assert query_rows(db, "SELECT key FROM kb_meta WHERE key = 'x'") == []

        # Writes are serialised: concurrent read-modify-write increments never lose an update.
        execute_sql(db, "INSERT INTO kb_meta (key, value) VALUES ('counter', '0')")

        def bump(conn: Any) -> None:
            value = int(run_sql(conn, "SELECT value FROM kb_meta WHERE key = 'counter'")[0]["value"])
            run_sql(conn, "UPDATE kb_meta SET value = ? WHERE key = 'counter'", (str(value + 1),))

        await asyncio.gather(*(db.write(bump) for _ in range(40)))
        assert query_rows(db, "SELECT value FROM kb_meta WHERE key = 'counter'")[0]["value"] == "40"
        assert query_rows(db, "SELECT count(*) AS n FROM audit_log")[0]["n"] == 1
    finally:
        ctx.close()


# -- cache ----------------------------------------------------------------------------------------
async def test_cache_interface(data_dir, backend):
    ctx = build_context(backend_settings(data_dir, backend))
    try:
        cache = ctx.cache
        assert await cache.get("missing") is None
        await cache.set("session:1", {"id": "1", "lang": "ku", "text": "سڵاو"}, ttl=30)
        assert await cache.get("session:1") == {"id": "1", "lang": "ku", "text": "سڵاو"}
        remaining = await cache.ttl("session:1")
        assert remaining is not None and 0 < remaining <= 30
        await cache.set("flag", True)
        assert await cache.get("flag") is True and await cache.ttl("flag") is None
        assert [await cache.incr("rl:x", 60) for _ in range(3)] == [1, 2, 3]
        await cache.delete("session:1")
        assert await cache.get("session:1") is None
        await cache.set("short", 1, ttl=0.2)
        await asyncio.sleep(0.4)
        assert await cache.get("short") is None
        await cache.clear()
        assert await cache.get("flag") is None
    finally:
        ctx.close()


async def test_cache_counts_until_a_limit_is_over(data_dir, backend):
    """``incr_until``: the counters in order, each as ``incr`` counts it (one expiry from its
    first hit) with its previous window's count, stopping after the first over its limit (this
    window's count plus the previous one's weighed); the later ones are not counted."""
    ctx = build_context(backend_settings(data_dir, backend))
    try:
        cache = ctx.cache

        def pair(weight: float = 0.0, a: int = 2, b: int = 5) -> list[SlidingCount]:
            return [SlidingCount("a", "a0", weight, a), SlidingCount("b", "b0", weight, b)]

        assert await cache.incr_until([], 60) == []
        assert await cache.incr_until(pair(), 60) == [(1, 0), (1, 0)]
        assert await cache.incr_until(pair(), 60) == [(2, 0), (2, 0)]
        assert await cache.incr_until(pair(), 60) == [(3, 0)]  # "a" over: "b" not counted
        assert await cache.incr("b", 60) == 3 and await cache.incr("a", 60) == 4
        remaining = await cache.ttl("a")
        assert remaining is not None and 0 < remaining <= 60
        # The previous window's count is read, and weighs: 4 there × 0.5 + 1 here = 3 ≤ 3 passes,
        # the next (2 + 2 = 4) is over and stops before "b".
        for _ in range(4):
            await cache.incr("p0", 60)
        weighed = [SlidingCount("p", "p0", 0.5, 3), SlidingCount("b", "b0", 0.5, 100)]
        assert await cache.incr_until(weighed, 60) == [(1, 4), (4, 0)]
        assert await cache.incr_until(weighed, 60) == [(2, 4)]
        assert await cache.incr_until([SlidingCount("short", "s0", 0.0, 9)], 0.2) == [(1, 0)]
        await asyncio.sleep(0.4)
        assert await cache.incr_until(
            [SlidingCount("short", "s0", 0.0, 9), SlidingCount("a", "a0", 0.0, 100)], 0.2
        ) == [
            (1, 0),
            (5, 0),
        ]
    finally:
        ctx.close()


async def test_cache_compare_and_set_on_the_version(data_dir, backend):
    """The live cache keeps the newest committed row: an older version offered later is refused."""
    ctx = build_context(backend_settings(data_dir, backend))
    try:
        cache = ctx.cache
        assert await cache.set_newer("session:v", {"id": "v", "version": 3, "status": "human_active"}, 3, ttl=30)
        assert not await cache.set_newer("session:v", {"id": "v", "version": 2, "status": "bot"}, 2, ttl=30)
        assert (await cache.get("session:v"))["status"] == "human_active"
        assert await cache.set_newer("session:v", {"id": "v", "version": 3, "status": "human_active"}, 3, ttl=30)
        assert await cache.set_newer("session:v", {"id": "v", "version": 4, "status": "resolved"}, 4, ttl=30)
        assert (await cache.get("session:v"))["status"] == "resolved"
        remaining = await cache.ttl("session:v")
        assert remaining is not None and 0 < remaining <= 30
        # Racing writers of many versions: the newest wins whatever the order of arrival.
        versions = list(range(5, 45))
        await asyncio.gather(*(cache.set_newer("session:v", {"id": "v", "version": v}, v, ttl=30) for v in versions))
        assert (await cache.get("session:v"))["version"] == 44
    finally:
        ctx.close()


# -- session commands -------------------------------------------------------------------------------
async def test_session_commands(data_dir, backend):
    """``SessionStore.apply``: one command per transaction on the committed row, version bumped by
    one, only the command's columns written, nothing written when it raises, and concurrent
    commands serialised (no lost update)."""
    from nura_appliance.errors import Conflict, NotFound
    from nura_appliance.storage.base import SessionChange, TurnRecord

    ctx = build_context(backend_settings(data_dir, backend))
    try:
        store, sessions = ctx.sessions_store, ctx.sessions
        record, _token = sessions.new(customer_id="c-1", channel="web", lang="ar")
        hello = TurnRecord(record.id, "customer", "مرحبا", 1.0)
        committed, change = await store.apply(
            record.id, lambda _c, cur: SessionChange({"message_count": cur.message_count + 1}, [hello]), new=record
        )
        assert (committed.version, committed.message_count) == (1, 1) and change.turns[0].id is not None
        seen: list[int] = []

        def rate(_conn: Any, current: Any) -> SessionChange:
            seen.append(current.version)
            return SessionChange({"rating": 4})

        committed, _ = await store.apply(record.id, rate)
        assert (committed.version, committed.rating, committed.message_count, seen) == (2, 4, 1, [1])

        def refuse(_conn: Any, current: Any) -> SessionChange:
            raise Conflict("no", code="refused")

        with pytest.raises(Conflict):
            await store.apply(record.id, refuse)
        with pytest.raises(ValueError):
            await store.apply(record.id, lambda _c, _cur: SessionChange({"id": "other"}))
        nothing, _ = await store.apply(record.id, lambda _c, _cur: SessionChange())
        assert nothing.version == 2 and (await store.get(record.id)).version == 2
        with pytest.raises(NotFound):
            await store.apply("no-such-session", rate)

        def count(_conn: Any, current: Any) -> SessionChange:
            turn = TurnRecord(current.id, "customer", f"m{current.message_count}", 2.0)
            return SessionChange({"message_count": current.message_count + 1}, [turn])

        # Optimistic: a command run on a row the caller holds is written only if the row is still at
        # that version; on an older copy it runs again on the committed row.
        held = await store.get(record.id)
        stale = await store.get(record.id)
        committed, _ = await store.apply(record.id, rate, expected=held)
        assert committed.version == 3 and seen[-1] == 2
        committed, _ = await store.apply(
            record.id, lambda _c, cur: SessionChange({"message_count": cur.message_count + 1}), expected=stale
        )
        assert (committed.version, committed.message_count, committed.rating) == (4, 2, 4)
        assert (await store.get(record.id)).message_count == 2
        await store.apply(record.id, lambda _c, cur: SessionChange({"message_count": cur.message_count - 1}))
        await asyncio.gather(*(sessions.apply(record.id, count) for _ in range(30)))
        row = await store.get(record.id)
        assert (row.message_count, row.version) == (31, 35)
        texts = [t.text for t in await store.turns(record.id)]
        assert texts == ["مرحبا", *(f"m{i}" for i in range(1, 31))]  # each command saw the one before
        assert (await sessions.cached(record.id))["version"] == 35
    finally:
        ctx.close()


# -- event bus ------------------------------------------------------------------------------------
async def test_bus_interface(data_dir, backend):
    ctx = build_context(backend_settings(data_dir, backend))
    try:
        bus = ctx.bus
        received: list[Any] = []

        async def listen() -> None:
            async for event in bus.subscribe("session:contract"):
                received.append(event)
                if len(received) == 3:
                    return

        task = asyncio.create_task(listen())
        await asyncio.sleep(0.1)
        bus.publish("session:contract", "message", {"n": 1, "text": "أهلا"})
        bus.publish("session:contract", "typing", {"n": 2}, buffered=False)
        bus.publish("session:contract", "message", {"n": 3})
        await asyncio.wait_for(task, 5)
        assert [(e.type, e.data["n"]) for e in received] == [("message", 1), ("typing", 2), ("message", 3)]
        assert received[0].id < received[1].id < received[2].id
        assert bus.subscriber_count("session:contract") == 0
        # Resume after the first event: the missed message comes back, the typing event does not.
        assert bus.can_resume("session:contract", received[0].id)
        replayed: list[Any] = []

        async def resume() -> None:
            async for event in bus.subscribe("session:contract", after_id=received[0].id):
                replayed.append(event)
                return

        await asyncio.wait_for(resume(), 5)
        assert [(e.type, e.data["n"], e.id) for e in replayed] == [("message", 3, received[2].id)]
    finally:
        ctx.close()


async def test_bus_publishes_several_events_in_one_call(data_dir, backend):
    """``publish_many``: the events in order, each on its channel with its own id, as ``publish``
    one after the other gives them — live, replayed, and (on Redis) on another worker's bus in the
    envelope every reader knows (one pub/sub message per event)."""
    ctx = build_context(backend_settings(data_dir, backend))
    other = None
    if backend:
        from nura_appliance.storage.redis_bus import RedisEventBus

        other = RedisEventBus(backend["NURA_REDIS_URL"], prefix=backend["NURA_REDIS_PREFIX"])
        assert other.wait_ready()
    try:
        bus = ctx.bus
        if backend:
            assert bus.wait_ready()
        received: dict[str, list[Any]] = {"here": [], "agents": [], "there": []}

        async def listen(source: Any, channel: str, into: str, count: int) -> None:
            async for event in source.subscribe(channel):
                received[into].append(event)
                if len(received[into]) == count:
                    return

        tasks = [
            asyncio.create_task(listen(bus, "session:many", "here", 2)),
            asyncio.create_task(listen(bus, "agents", "agents", 1)),
        ]
        if other is not None:
            tasks.append(asyncio.create_task(listen(other, "session:many", "there", 2)))
        await asyncio.sleep(0.1)
        text = 'سطر\nو "اقتباس"'
        published = bus.publish_many(
            [
                ("session:many", "message", {"n": 1, "text": text}),
                ("session:many", "message", {"n": 2}),
                ("agents", "handoff", {"n": 3}),
            ]
        )
        assert [(e.channel, e.type, e.data["n"]) for e in published] == [
            ("session:many", "message", 1),
            ("session:many", "message", 2),
            ("agents", "handoff", 3),
        ]
        await asyncio.wait_for(asyncio.gather(*tasks), 5)
        here = received["here"]
        assert [(e.type, e.data) for e in here] == [("message", {"n": 1, "text": text}), ("message", {"n": 2})]
        assert here[0].id < here[1].id
        assert [(e.type, e.data) for e in received["agents"]] == [("handoff", {"n": 3})]
        if other is not None:  # another worker: the same events with the same ids
            assert [(e.id, e.data) for e in received["there"]] == [(e.id, e.data) for e in here]
        assert [(e.id, e.data) for e in bus.replay("session:many", here[0].id)] == [(here[1].id, {"n": 2})]
        assert bus.publish_many([]) == []
    finally:
        if other is not None:
            other.close()
        ctx.close()


@pytest.mark.parametrize("hiredis_reader", [True, False], ids=["hiredis-reader", "redis-py-pubsub"])
async def test_redis_bus_events_across_workers_in_both_envelopes(
    hiredis_reader: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two buses on one Redis (two workers): an event published by one reaches the other's
    subscriber with its data intact (newlines, quotes, Arabic), and a message in the envelope of
    workers before the one-decode format (the data as a JSON string inside the header) is read too.
    Both readers: hiredis on the raw connection, and redis-py's pub/sub without hiredis."""
    from nura_appliance.storage import redis_bus
    from nura_appliance.storage.redis_bus import RedisEventBus

    monkeypatch.setattr(redis_bus, "_HIREDIS", hiredis_reader)

    with scale_backends() as env:
        url, prefix = env["NURA_REDIS_URL"], env["NURA_REDIS_PREFIX"]
        first, second = RedisEventBus(url, prefix=prefix), RedisEventBus(url, prefix=prefix)
        raw = redis.Redis.from_url(url)
        try:
            assert first.wait_ready() and second.wait_ready()
            received: list[Any] = []

            async def listen() -> None:
                async for event in second.subscribe("session:envelope"):
                    received.append(event)
                    if len(received) == 2:
                        return

            task = asyncio.create_task(listen())
            await asyncio.sleep(0.1)
            data = {"text": 'سطر\nو "اقتباس"\n', "n": 1}
            first.publish("session:envelope", "message", data)
            await asyncio.sleep(0.2)
            later = f"{int(time.time() * 1000) + 60_000}-0"  # after the first event's id
            old = json.dumps({"c": "session:envelope", "i": later, "t": "message", "d": json.dumps({"n": 2})})
            raw.publish(f"{prefix}bus", old)
            await asyncio.wait_for(task, 5)
            assert [(e.type, e.data) for e in received] == [("message", data), ("message", {"n": 2})]
        finally:
            raw.close()
            first.close()
            second.close()


@pytest.mark.parametrize("hiredis_reader", [True, False], ids=["hiredis-reader", "redis-py-pubsub"])
async def test_redis_bus_keeps_unlistened_events_for_replay(
    hiredis_reader: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Events on a channel nobody listens to on a worker (another worker's customer) are still in
    that worker's replay buffer, decoded when replayed (they are kept as the JSON text they came
    as); a message whose data is not JSON is left out and the events after it still come."""
    need_service("127.0.0.1", 6379, "Redis")
    from nura_appliance.storage import redis_bus

    monkeypatch.setattr(redis_bus, "_HIREDIS", hiredis_reader)
    prefix = f"nuratest{uuid.uuid4().hex[:8]}:"
    first = redis_bus.RedisEventBus(REDIS_URL, prefix=prefix)
    second = redis_bus.RedisEventBus(REDIS_URL, prefix=prefix)
    raw = redis.Redis.from_url(REDIS_URL)
    try:
        assert first.wait_ready() and second.wait_ready()
        data = {"text": 'سطر\nو "اقتباس"', "n": 1, "nested": {"list": [1, 2.5, None, True]}}
        first.publish("session:elsewhere", "message", data)
        await asyncio.sleep(0.2)  # the first event is in before the malformed one
        head = json.dumps({"c": "session:elsewhere", "i": f"{int(time.time() * 1000) + 60_000}-0", "t": "message"})
        raw.publish(f"{prefix}bus", head + "\n{not json")
        await asyncio.sleep(0.2)
        first.publish("session:elsewhere", "status", {"n": 2})
        deadline = time.monotonic() + 5
        while len(second.replay("session:elsewhere", 0)) < 2:
            assert time.monotonic() < deadline, second.replay("session:elsewhere", 0)
            await asyncio.sleep(0.05)
        for bus in (second, first):  # the publishing worker reads its own events the same way
            events = bus.replay("session:elsewhere", 0)
            assert [(e.type, e.data) for e in events] == [("message", data), ("status", {"n": 2})]
            assert events[0].id < events[1].id
            assert [e.data for e in bus.replay("session:elsewhere", events[0].id)] == [{"n": 2}]
            assert bus.can_resume("session:elsewhere", events[0].id)
        again = second.replay("session:elsewhere", 0)[0]
        again.data["n"] = 99  # a replayed event is a fresh copy: the buffer keeps the original
        assert second.replay("session:elsewhere", 0)[0].data == data
    finally:
        raw.close()
        first.close()
        second.close()
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()


# -- the main flow --------------------------------------------------------------------------------
async def test_message_handoff_accept_race_resolve_report(data_dir, backend):
    async with app_client(backend_settings(data_dir, backend)) as (app, client):
        answer = await new_session(client, "أريد التحدث مع موظف خدمة العملاء")
        assert answer["status"] == "pending_handoff", answer
        sid, token = answer["session_id"], answer["session_token"]
        queue = await client.get("/v1/queue", headers=ADMIN)
        assert sid in [s.get("session_id") or s.get("id") for s in queue.json()["pending"]]

        accepts = await asyncio.gather(
            *(client.post(f"/v1/handoff/{sid}/accept?agent_id={name}", headers=ADMIN) for name in ("alice", "bob"))
        )
        codes = sorted(r.status_code for r in accepts)
        assert codes == [200, 409], [r.text for r in accepts]
        winner = next(r for r in accepts if r.status_code == 200).json()
        agent = winner.get("assigned_agent") or winner.get("session", {}).get("assigned_agent")
        (row,) = query_rows(app.ctx.nura.db, "SELECT status, assigned_agent FROM sessions WHERE id = ?", (sid,))
        assert row["status"] == "human_active" and row["assigned_agent"] in ("alice", "bob")
        agent = row["assigned_agent"]

        sent = await client.post(
            f"/v1/session/{sid}/agent-message?agent_id={agent}",
            headers=ADMIN,
            json={"message": "مرحبا، كيف أساعدك؟", "agent_name": agent},
        )
        assert sent.status_code == 200, sent.text
        reply = await client.post(
            "/v1/message",
            json={
                "session_id": sid,
                "session_token": token,
                "customer_id": "cust-001",
                "channel": "web",
                "message": "الانترنت لا يعمل",
            },
        )
        assert reply.status_code == 200, reply.text
        outcome = {
            "status": "solved",
            "issue_category": "internet",
            "root_cause": "apn",
            "resolution_notes": "APN fixed",
            "resolved_by": agent,
        }
        done = await client.post(f"/v1/session/{sid}/resolve?agent_id={agent}", json=outcome, headers=ADMIN)
        assert done.status_code == 200, done.text
        detail = (await client.get(f"/v1/sessions/{sid}", headers=ADMIN)).json()
        assert [m["role"] for m in detail["messages"]].count("agent") == 1
        assert detail["session"]["status"] == "resolved"

        # The rating is its own command on the committed row: the version moves on by one, and the
        # cache holds the committed row.
        store = app.ctx.nura.sessions_store
        before = await store.get(sid)
        rated = await client.post(f"/v1/session/{sid}/rating", json={"score": 5}, headers={"X-Session-Token": token})
        assert rated.status_code == 200, rated.text
        after = await store.get(sid)
        assert (after.rating, after.version, after.status) == (5, before.version + 1, "resolved")
        assert (await app.ctx.nura.sessions.cached(sid))["version"] == after.version

        jobs = app.ctx.nura.jobs
        await jobs.run_pending()
        assert await jobs.counts() == {"done": (await jobs.counts())["done"]}  # every outbox row ran
        # Every periodic job (aggregate refresh, session expiry, outbox purge, …) runs on this backend.
        for name in jobs.periodic():
            await jobs.run_periodic(name)
        dashboard = await client.get("/v1/analytics/dashboard?days=7", headers=ADMIN)
        assert dashboard.status_code == 200, dashboard.text
        reports = await client.get("/v1/analytics/reports?days=7", headers=ADMIN)
        assert reports.status_code == 200, reports.text
        listing = await client.get("/v1/sessions/list?status=resolved", headers=ADMIN)
        assert listing.status_code == 200 and listing.json()["total"] == 1
        # Search is literal on both backends: LIKE wildcards are escaped (issue 19).
        for q, hits in (("%", 0), ("_", 0), (sid[:8], 1), (sid[:4] + "%", 0)):
            listing = await client.get("/v1/sessions/list", params={"q": q}, headers=ADMIN)
            assert listing.status_code == 200 and listing.json()["total"] == hits, (q, listing.text)


# -- faults (scale-out only) ------------------------------------------------------------------
async def test_message_rate_limits_refuse_in_order_on_both_backends(data_dir, backend):
    """``POST /v1/message`` counts its per-IP limit in the route, with the new-session or
    per-session count in one cache call: the same refusals, in the same order, as the middleware's
    count followed by the route's — over the IP limit a malformed message is a 429 (not a 400), a
    malformed message counts against the IP limit, the new-session limit refuses by its bucket."""
    settings = backend_settings(data_dir, backend, RATE_LIMIT_IP_PER_MINUTE=6, RATE_LIMIT_NEW_SESSIONS_PER_MINUTE=2)
    # The counts are per minute window: start_app (conftest) sets the limiter's clock one second into
    # a fresh hour, so all of them fall in one window (this waited up to 10 s for the wall clock's
    # next minute before).
    async with app_client(settings) as (_app, client):
        first = await new_session(client, "hello")
        await new_session(client, "hi")
        refused = await client.post("/v1/message", json={"session_id": None, "message": "again"})
        assert refused.status_code == 429 and refused.json()["error"]["details"]["bucket"] == "new_session"
        malformed = await client.post("/v1/message", json={"session_id": None, "message": ""})
        assert malformed.status_code == 422  # 4 of 6 counted against the IP
        follow = {"session_id": first["session_id"], "session_token": first["session_token"], "message": "prices?"}
        assert (await client.post("/v1/message", json=follow)).status_code == 200
        bad_json = await client.post("/v1/message", content=b"{not json", headers={"content-type": "application/json"})
        assert bad_json.status_code == 400  # the 6th
        over = [await client.post("/v1/message", json=body) for body in (follow, {"message": ""})]
        assert [r.status_code for r in over] == [429, 429]
        assert {r.json()["error"]["details"]["bucket"] for r in over} == {"ip"}


@contextlib.contextmanager
def redis_commands(prefix: str) -> Iterator[list[dict[str, Any]]]:
    """The commands clients send Redis that name ``prefix`` (MONITOR; commands a Lua script runs
    are left out: they are part of the client's one call)."""
    seen: list[dict[str, Any]] = []
    stop = f"{prefix}monitor-stop"
    client = redis.Redis.from_url(REDIS_URL)
    ready = threading.Event()

    def watch() -> None:
        with client.monitor() as monitor:
            ready.set()
            while True:
                command = monitor.next_command()
                if stop in command["command"]:
                    return
                if prefix in command["command"] and command["client_type"] != "lua":
                    seen.append(command)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    assert ready.wait(5)
    time.sleep(0.2)  # MONITOR is on before the first command of the test
    try:
        yield seen
    finally:
        redis.Redis.from_url(REDIS_URL).get(stop)
        thread.join(10)
        client.close()


async def test_a_message_costs_one_redis_call_for_its_rate_limits_and_one_for_its_events(data_dir):
    """Issue 22: a customer message's rate limits (its IP's count, then the new-session or the
    session's count) are one Redis call (one Lua script, one round trip), not two pipelines of
    INCR + PEXPIRE each; its two events (the message, the answer) are one script call, not two."""
    with scale_backends(migrated=True) as env:
        async with app_client(backend_settings(data_dir, env)) as (_app, client):
            await new_session(client, "warm up")  # the scripts are loaded, the connections open
            prefix = env["NURA_REDIS_PREFIX"]
            with redis_commands(prefix) as seen:
                started = await new_session(client, "hello")
                sid = started["session_id"]
                follow = {"session_id": sid, "session_token": started["session_token"]}
                assert (await client.post("/v1/message", json={**follow, "message": "prices?"})).status_code == 200
                # Events go out from the publisher thread after the answer: wait for all four.
                raw = redis.Redis.from_url(REDIS_URL)
                for _ in range(100):
                    if raw.xlen(f"{prefix}ev:session:{sid}") >= 4:
                        break
                    await asyncio.sleep(0.05)
                raw.close()
            counted = [c["command"] for c in seen if ":rl:" in c["command"]]
            assert len(counted) == 2, counted  # one a message
            assert all(c.startswith("EVALSHA") for c in counted), counted
            assert all(":rl:ip:" in c for c in counted), counted
            assert ":rl:new_session:" in counted[0] and ":rl:message:" in counted[1], counted
            # The message and its answer: one bus call (both stream entries, both pub/sub messages).
            # (The warm-up's events may go out after MONITOR started: count this session's only.)
            published = [
                c["command"]
                for c in seen
                if f":ev:session:{sid}" in c["command"] and not c["command"].startswith("XLEN")
            ]
            assert len(published) == 2, published  # one a message
            assert all(c.startswith("EVALSHA") and c.count(":ev:session:") == 2 for c in published), published


async def test_redis_outage_degrades_cache_and_fails_rate_limits_open(caplog):
    need_service("127.0.0.1", 6379, "Redis")
    from nura_appliance.storage.redis_cache import RedisCache

    dead = RedisCache("redis://127.0.0.1:1/0", prefix="nuratest-dead:")  # nothing listens on port 1
    try:
        assert await dead.get("anything") is None
        await dead.set("k", {"a": 1})
        await dead.delete("k")
        assert await dead.incr("rl:k", 60) == 1
        assert dead.failures == 4
        assert any("redis unavailable" in r.getMessage() for r in caplog.records)
    finally:
        dead.close()


async def test_postgres_connections_lost_gives_503_then_recovers(data_dir):
    with scale_backends() as env:
        async with app_client(backend_settings(data_dir, env)) as (app, client):
            first = await new_session(client, "مرحبا")
            # Kill every server connection the app holds (PostgreSQL restarted under it).
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s"
                    " AND pid <> pg_backend_pid()",
                    (env["db_name"],),
                )
            statuses = []
            for _ in range(8):
                resp = await client.post(
                    "/v1/message",
                    json={
                        "session_id": first["session_id"],
                        "session_token": first["session_token"],
                        "customer_id": "cust-001",
                        "channel": "web",
                        "message": "مرحبا",
                    },
                )
                statuses.append(resp.status_code)
                if resp.status_code == 503:
                    assert resp.json()["error"]["code"] == "storage_unavailable"
                    assert resp.headers["Retry-After"] == "2"
            assert set(statuses) <= {200, 503}, statuses  # a dead connection is a 503, never a 500
            # The first failure makes the pool test its idle connections, so at most one request
            # (often none: a background read may notice first) meets a dead one.
            assert statuses.count(503) <= 1, statuses
            assert statuses[-1] == 200  # the pool replaced the dead connections


def test_pg_database_unreachable_is_a_storage_error():
    from nura_appliance.storage.postgres.db import PgDatabase

    with pytest.raises(StorageError):
        PgDatabase("postgresql://postgres@127.0.0.1:1/none", timeout=1.0)


# -- retrieval parity ----------------------------------------------------------------------------
PARITY_MESSAGES = (
    "كيف أشحن رصيدي؟",
    "الانترنت بطيء جدا",
    "I want to change my package",
    "مرحبا",
    "ما هي أسعار الباقات",
    "how do I reset my router password",
    "Înternet hêdî ye",
)


async def _decisions(settings: Settings) -> tuple[list[tuple[str, float, str | None]], list[tuple[str, str, str]]]:
    from nura_appliance.context import load_default_knowledge
    from nura_appliance.knowledge.service import install_knowledge

    ctx = build_context(settings)
    try:
        await install_knowledge(ctx, background_reindex=False)
        assert await load_default_knowledge(ctx)
        decisions = []
        for text in PARITY_MESSAGES:
            decision = await ctx.pipeline.matcher.decide(text, "ar")
            decisions.append((decision.kind, decision.confidence, decision.article_id))
        hits = await ctx.retriever.search(PARITY_MESSAGES[0], "ar", k=3)
        found = [(h.kind, h.ref, h.tier) for h in hits]
        # Handbook chunks next to the pack (issue 17): the same chunks, relevance and order on both
        # backends (articles' cosines come from the approximate binary scan on SQLite).
        from handbook_support import PRICE_TABLE

        from nura_appliance.knowledge.ingest import ingest_file

        assert (await ingest_file(ctx, "call-centre.md", PRICE_TABLE.encode(), "call-centre.md"))[
            "status"
        ] == "ingested"
        for question in ("كم سعر باقة المريخ؟", "ما هي إعدادات APN الصحيحة؟"):
            hits = await ctx.retriever.search(question, "ar", k=3, kinds=("chunk",))
            found += [(h.kind, h.ref, h.tier, h.unit, round(h.score, 3)) for h in hits]
        # The handbook's own vocabulary for Latin names (FTS5's vocabulary / PostgreSQL's ts_stat)
        from nura_appliance.knowledge.retrieval import knowledge_version

        bridge = await ctx.db.read(lambda c: ctx.retriever.bridge(c, knowledge_version(ctx.retriever.store, c)))
        found.append(("names", tuple(sorted(bridge.names_for("almirrikh") | bridge.names_for("mirrikh")))))
        return decisions, found
    finally:
        ctx.close()


async def test_article_tier_and_retriever_decide_the_same_on_postgres(data_dir):
    """BM25 over tsvector + the in-memory vector index give the SQLite FTS5/sqlite-vec answers."""
    sqlite = await _decisions(make_settings(data_dir / "sqlite", LOAD_DEFAULT_KNOWLEDGE=True))
    with scale_backends() as env:
        postgres = await _decisions(backend_settings(data_dir / "pg", env, LOAD_DEFAULT_KNOWLEDGE=True))
    assert postgres == sqlite
    assert sum(1 for kind, _, _ in sqlite[0] if kind == "article") >= 4
    assert ("names", ("مريخ",)) in sqlite[1]  # "mirrikh" meets the handbook's "المريخ" on both


async def test_article_tier_reads_no_index_per_message_on_postgres(data_dir, monkeypatch):
    """Issue 22: PostgreSQL mode's article tier scores BM25 in memory, as SQLite mode does — the
    index rows are read once per knowledge version, and a message the tier has not seen costs one
    statement (the knowledge version), never a kb_fts query (before: the BM25 pipeline of two
    statements per message, and a vocabulary lookup per unseen word)."""
    from nura_appliance.context import load_default_knowledge
    from nura_appliance.storage.postgres.db import PgConnection

    with scale_backends(migrated=True) as env:
        ctx = build_context(backend_settings(data_dir, env, LOAD_DEFAULT_KNOWLEDGE=True))
        try:
            assert await load_default_knowledge(ctx)
            matcher = ctx.pipeline.matcher
            await matcher.decide("warm up", "ar")  # the first message of a version loads its index
            seen: list[str] = []
            sql, pipeline = PgConnection.sql, PgConnection.sql_pipeline

            def counted_sql(self: Any, statement: str, params: Any = None) -> Any:
                seen.append(statement)
                return sql(self, statement, params)

            def counted_pipeline(self: Any, statements: list[Any], **kwargs: Any) -> Any:
                seen.extend(statement for statement, _ in statements)
                return pipeline(self, statements, **kwargs)

            monkeypatch.setattr(PgConnection, "sql", counted_sql)
            monkeypatch.setattr(PgConnection, "sql_pipeline", counted_pipeline)
            messages = [*PARITY_MESSAGES, "باقة انترنت شهرية zzqx", "roaming price abroad"]
            for text in messages:
                await matcher.decide(text, "ar")
            monkeypatch.undo()
            assert not [statement for statement in seen if "kb_fts" in statement], seen
            assert len(seen) == len(messages), seen  # the version read of each message
            # A knowledge change is a new version: its first message reads the new index once.
            await ctx.knowledge.save_tree(await ctx.knowledge.tree())
            before = matcher._snapshot
            await matcher.decide(messages[0], "ar")
            assert matcher._snapshot is not before and matcher._snapshot.lexicon is not None
        finally:
            ctx.close()


async def test_resume_from_an_evicted_id_is_refused(data_dir, backend):
    """When more events than the replay buffer holds came after a client's last id, resuming is
    refused (the SSE layer then sends a reset) instead of silently skipping events."""
    ctx = build_context(backend_settings(data_dir, backend))
    try:
        bus = ctx.bus
        seen: list[Any] = []

        async def listen() -> None:
            async for event in bus.subscribe("session:flood"):
                seen.append(event)
                if len(seen) == 520:
                    return

        task = asyncio.create_task(listen())
        await asyncio.sleep(0.1)
        for n in range(520):
            bus.publish("session:flood", "message", {"n": n})
        await asyncio.wait_for(task, 20)
        assert [e.data["n"] for e in seen] == list(range(520))
        assert not bus.can_resume("session:flood", seen[0].id)
        assert bus.can_resume("session:flood", seen[-2].id)
    finally:
        ctx.close()


async def test_agents_online_counts_every_worker():
    """Two Redis buses (two workers): an agent stream on one is counted by the other."""
    need_service("127.0.0.1", 6379, "Redis")
    from nura_appliance.storage.redis_bus import RedisEventBus

    prefix = f"nuratest{uuid.uuid4().hex[:8]}:"
    one, two = RedisEventBus(REDIS_URL, prefix=prefix), RedisEventBus(REDIS_URL, prefix=prefix)
    try:
        stream = one.subscribe("agents")
        waiting = asyncio.create_task(stream.__anext__())
        await asyncio.sleep(0.05)
        assert one.subscriber_count("agents") == 1
        deadline = asyncio.get_running_loop().time() + 8
        while two.subscriber_count("agents") != 1:
            assert asyncio.get_running_loop().time() < deadline, "the other worker never counted the agent"
            await asyncio.sleep(0.2)
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
        await stream.aclose()
    finally:
        one.close()
        two.close()
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()


def test_workers_starting_together_migrate_once():
    """Several processes open a fresh PostgreSQL database at the same moment (``--workers N``,
    ``nura worker``): one applies the migrations, none fails on a concurrent CREATE."""
    from concurrent.futures import ThreadPoolExecutor

    from nura_appliance.storage.postgres import migrations
    from nura_appliance.storage.stores import open_pg_database

    with scale_backends() as env:
        with ThreadPoolExecutor(4) as pool:
            dbs = list(pool.map(lambda _: open_pg_database(env["NURA_DATABASE_URL"]), range(4)))
        try:
            assert migrations.applied(dbs[0]) == [m.name for m in migrations.available()]
        finally:
            for db in dbs:
                db.close()


# The SQLite look-alikes 0001_core / 0003_retrieval created for the translator, and the table it made
# of sqlite-vec's coarse index: 0019_drop_sqlite_compat drops them all.
LOOK_ALIKE_FUNCTIONS = (
    "json_extract(text, text)",
    "json_each(text)",
    "ifnull(anyelement, anyelement)",
    "instr(text, text)",
    "strftime(text, text)",
    "strftime(text, double precision, text)",
    "date(double precision, text)",
    "datetime(double precision, text)",
    "nura_blank(boolean)",
    "nura_blank(text)",
    "nura_blank(bigint)",
    "nura_blank(double precision)",
    "sum(boolean)",
    "group_concat(text)",
    "group_concat(text, text)",
    "_nura_bool_sum(bigint, boolean)",
    "_nura_concat(text, text, text)",
    "_nura_concat1(text, text)",
    "vec_quantize_binary(bytea)",
)
LOOK_ALIKE_RELATIONS = ("sqlite_master", "kb_fts_vocab", "kb_vec")


def _look_alikes(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        functions = [
            sig
            for sig in LOOK_ALIKE_FUNCTIONS
            if conn.execute("SELECT to_regprocedure(current_schema() || '.' || %s) IS NOT NULL", (sig,)).fetchone()[0]
        ]
        relations = [
            name
            for name in LOOK_ALIKE_RELATIONS
            if conn.execute("SELECT to_regclass(current_schema() || '.' || %s) IS NOT NULL", (name,)).fetchone()[0]
        ]
    return functions + relations


@pytest.mark.postgres
def test_migrations_leave_no_sqlite_look_alikes_on_a_fresh_or_an_upgraded_database(monkeypatch):
    """A fresh database ends without the SQLite look-alikes; so does one migrated before 0019 (which
    has them, and the translator's ``kb_vec`` table), and its data stays."""
    from conftest import fresh_pg_database

    from nura_appliance.storage.postgres import migrations
    from nura_appliance.storage.postgres.db import PgDatabase

    with fresh_pg_database() as url:
        db = PgDatabase(url, min_size=1, max_size=3)
        try:
            assert "0019_drop_sqlite_compat" in migrations.migrate(db)
        finally:
            db.close()
        assert _look_alikes(url) == []

    every = migrations.available()
    with fresh_pg_database() as url:
        db = PgDatabase(url, min_size=1, max_size=3)
        try:
            with monkeypatch.context() as patch:
                patch.setattr(migrations, "available", lambda: [m for m in every if m.name < "0019"])
                migrations.migrate(db)
            db.write_sync(
                lambda c: (
                    c.sql("CREATE TABLE kb_vec (rowid bigint PRIMARY KEY, kind text, embedding bytea)"),
                    c.sql("INSERT INTO kb_meta (key, value) VALUES ('kept', 'yes')"),
                )
            )
            assert len(_look_alikes(url)) == len(LOOK_ALIKE_FUNCTIONS) + len(LOOK_ALIKE_RELATIONS)
            assert migrations.migrate(db) == [m.name for m in every if m.name >= "0019"]
            assert query_rows(db, "SELECT value FROM kb_meta WHERE key = 'kept'") == [{"value": "yes"}]
        finally:
            db.close()
        assert _look_alikes(url) == []
