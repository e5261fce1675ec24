"""The message hot path's in-process memory: remembered article decisions and their invalidation
(this process's knowledge writes at once, another process's within REFRESH_SECONDS), live sessions
in memory in the one-process SQLite mode (per-status lifetime, restore from the durable store),
and request rate limits counted in memory."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import apsw
from auth_helpers import bearer, staff_tokens
from conftest import initialised_copy, make_settings, new_session, query_rows, running_app

from nura_appliance.auth.limits import LocalWindows
from nura_appliance.conversation.pipeline import REFRESH_SECONDS
from nura_appliance.conversation.sessions import SessionService

QUESTION = "النت عندي بطيء جدا"


async def ask(client: Any, text: str = QUESTION) -> dict[str, Any]:
    return await new_session(client, text, lang="ar")


async def test_an_article_edit_changes_the_next_answer_at_once(app: Any, client: Any) -> None:
    first = await ask(client)
    assert first["kind"] == "article"
    article_id = first["article_id"]
    assert (await ask(client))["response"] == first["response"]  # answered from the remembered decision
    pipeline = app.ctx.nura.pipeline
    assert pipeline.remembers(QUESTION, "ar")

    admin = bearer((await staff_tokens(app, client))["admin"])
    article = (await client.get(f"/v1/knowledge/articles/{article_id}", headers=admin)).json()
    article["body"]["ar"] = "نص جديد للاختبار: أعد تشغيل الراوتر ثم جرّب مرة أخرى."
    saved = await client.put(f"/v1/knowledge/articles/{article_id}", json=article, headers=admin)
    assert saved.status_code == 200, saved.text

    after = await ask(client)  # no wait: the writer's change counter told the pipeline
    assert after["article_id"] == article_id
    assert after["response"] == "نص جديد للاختبار: أعد تشغيل الراوتر ثم جرّب مرة أخرى."


async def test_a_slow_reload_on_an_older_version_cannot_put_it_back(app: Any, client: Any, monkeypatch: Any) -> None:
    """A reload that read the knowledge version before an edit, and is still loading when a message
    after the edit reloads, must not finish last and leave the old version's remembered decisions
    (and articles) answering: reloads run one at a time."""
    first = await ask(client)
    article_id = first["article_id"]
    pipeline = app.ctx.nura.pipeline
    store = pipeline.knowledge
    entered, release = asyncio.Event(), asyncio.Event()
    real_rules = store.rules
    calls = 0

    async def rules() -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:  # the first reload stalls here, holding the version it read
            entered.set()
            await release.wait()
        return await real_rules()

    monkeypatch.setattr(store, "rules", rules)
    slow = asyncio.create_task(pipeline.refresh(force=True))
    await asyncio.wait_for(entered.wait(), 10)

    admin = bearer((await staff_tokens(app, client))["admin"])
    article = (await client.get(f"/v1/knowledge/articles/{article_id}", headers=admin)).json()
    article["body"]["ar"] = "نص بعد التعديل أثناء إعادة التحميل."
    assert (await client.put(f"/v1/knowledge/articles/{article_id}", json=article, headers=admin)).status_code == 200

    later = asyncio.create_task(pipeline.refresh())  # a message after the edit
    await asyncio.sleep(0.2)
    release.set()
    await asyncio.wait_for(asyncio.gather(slow, later), 10)

    assert (await ask(client))["response"] == "نص بعد التعديل أثناء إعادة التحميل."


async def test_an_article_edit_changes_the_next_answer_at_once_in_postgresql_mode(data_dir: Path) -> None:
    from test_store_contract import scale_backends

    with scale_backends() as backend:
        values = {k: v for k, v in backend.items() if k.startswith("NURA_")}
        async with running_app(make_settings(data_dir, **values)) as (app, client):
            assert app.ctx.nura.pipeline.follows_writes  # the PostgreSQL writer counts too
            first = await ask(client)
            assert first["kind"] == "article" and app.ctx.nura.pipeline.remembers(QUESTION, "ar")
            admin = bearer((await staff_tokens(app, client))["admin"])
            article = (await client.get(f"/v1/knowledge/articles/{first['article_id']}", headers=admin)).json()
            article["body"]["ar"] = "نص جديد من قاعدة PostgreSQL."
            saved = await client.put(f"/v1/knowledge/articles/{first['article_id']}", json=article, headers=admin)
            assert saved.status_code == 200, saved.text
            assert (await ask(client))["response"] == "نص جديد من قاعدة PostgreSQL."


async def test_another_processs_knowledge_change_is_noticed_within_the_refresh_interval(app: Any, client: Any) -> None:
    first = await ask(client)
    article_id = first["article_id"]
    # Another process (e.g. `nura knowledge import`) writes the database directly: this process's
    # writer never sees it, so only the periodic version check can notice it.
    other = apsw.Connection(str(app.ctx.nura.paths.database))
    try:
        other.set_busy_timeout(5000)
        with other:
            other.execute(
                "UPDATE articles SET body = json_set(body, '$.ar', 'تغيير من عملية أخرى') WHERE id = ?", (article_id,)
            )
            other.execute("UPDATE kb_meta SET value = value || '-other' WHERE key = 'version'")
    finally:
        other.close()
    deadline = time.monotonic() + REFRESH_SECONDS + 3
    while True:
        answer = await ask(client)
        if answer["response"] == "تغيير من عملية أخرى":
            break
        assert time.monotonic() < deadline, "the other process's change was never noticed"
        await asyncio.sleep(0.25)


class FakeClock:
    """A monotonic clock that moves only when told (for ``SessionService.clock``)."""

    def __init__(self) -> None:
        self.now = time.monotonic()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def test_live_sessions_in_memory_expire_per_status_and_restore_from_the_store(data_dir: Path) -> None:
    settings = make_settings(initialised_copy(data_dir), SESSION_TTL_SECONDS=1, HANDOFF_SESSION_TTL_SECONDS=3600)
    async with running_app(settings) as (app, client):
        sessions: SessionService = app.ctx.nura.sessions
        assert sessions.local  # diskcache mode: one HTTP process
        clock = FakeClock()
        sessions.clock = clock  # the TTLs run on this clock: the test moves it on instead of sleeping
        bot = await new_session(client, "مرحبا")
        handed = await new_session(client, "اريد اكلم موظف خدمة العملاء")
        assert handed["status"] == "pending_handoff"
        assert await sessions.cached(bot["session_id"]) is not None
        clock.advance(0.9)
        assert await sessions.cached(bot["session_id"]) is not None  # not yet: its lifetime is 1 s
        clock.advance(0.4)
        # The bot session's 1 s lifetime ended; the hand-off session lives an hour.
        assert await sessions.cached(bot["session_id"]) is None
        assert (await sessions.cached(handed["session_id"]))["status"] == "pending_handoff"
        # Its next message restores it from the durable store, with its history and counters.
        again = await client.post(
            "/v1/message",
            json={"session_id": bot["session_id"], "session_token": bot["session_token"], "message": "شكرا"},
        )
        assert again.status_code == 200 and again.json()["session_id"] == bot["session_id"]
        restored = await sessions.cached(bot["session_id"])
        assert restored is not None and restored["message_count"] == 2
        # A cached copy is a copy: changing a record never changes the cache behind it.
        record = await sessions.get(bot["session_id"])
        assert record is not None
        record.meta["note"] = "changed"
        assert "note" not in (await sessions.cached(bot["session_id"]))["meta"]


async def test_the_memory_of_sessions_is_bounded(data_dir: Path) -> None:
    async with running_app(make_settings(initialised_copy(data_dir))) as (app, _client):
        ctx = app.ctx.nura
        small = SessionService(ctx.settings, ctx.sessions_store, ctx.cache, local=True, max_local=3)
        records = [small.new(customer_id=None, channel="web", lang="ar")[0] for _ in range(5)]
        for record in records:
            await small.warm(record)
        kept = [r.id for r in records if await small.cached(r.id) is not None]
        assert kept == [r.id for r in records[2:]]  # the least recently used went first


def test_local_rate_windows_count_per_window_and_forget_ended_ones() -> None:
    windows = LocalWindows()
    assert [windows.incr("rl:message:s1:100", 65, now=1000.0) for _ in range(3)] == [1, 2, 3]
    assert windows.incr("rl:message:s2:100", 65, now=1000.5) == 1  # another key counts alone
    assert windows.incr("rl:message:s1:100", 65, now=1066.0) == 1  # the window ended
    assert windows.keys() == {"rl:message:s1:100"}  # the ended s2 window was dropped


async def test_message_rate_limit_refuses_over_the_limit_in_memory_mode(data_dir: Path) -> None:
    settings = make_settings(initialised_copy(data_dir), RATE_LIMIT_MESSAGES_PER_MINUTE=2)
    async with running_app(settings) as (app, client):
        assert app.ctx.nura.limits.local is not None
        first = await new_session(client, "مرحبا")
        body = {"session_id": first["session_id"], "session_token": first["session_token"], "message": "شكرا"}
        codes = [(await client.post("/v1/message", json=body)).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        refused = await client.post("/v1/message", json=body)
        assert refused.json()["error"]["code"] == "rate_limited" and int(refused.headers["retry-after"]) >= 1


def test_replay_buffers_of_idle_channels_are_dropped_and_their_resume_refused() -> None:
    from nura_appliance.storage.bus import ChannelBuffers, Event, EventBus

    buffers = ChannelBuffers(3, keep_seconds=60, max_channels=2)
    for i, (channel, at) in enumerate([("session:a", 0.0), ("session:b", 10.0), ("session:a", 20.0)], start=1):
        buffers.append(Event(i, channel, "message", {}, at=at))
    assert len(buffers) == 2 and buffers.evicted("session:a") == 0
    buffers.append(Event(4, "session:c", "message", {}, at=30.0))  # over max_channels: b (least recent) goes
    assert list(buffers.events("session:b")) == [] and buffers.evicted("session:b") == 2
    assert buffers.evicted("session:b", unknown=0) == 0  # the Redis bus: the stream still has them
    buffers.append(Event(5, "session:c", "message", {}, at=85.0))  # a's last event (at 20) is now idle > 60 s
    assert [e.id for e in buffers.events("session:a")] == []
    assert [e.id for e in buffers.events("session:c")] == [4, 5]

    bus = EventBus(buffer=10, keep_seconds=-1)  # every channel but the one being published to is idle
    first = bus.publish("session:x", "message", {"n": 1})
    bus.publish("session:y", "message", {"n": 2})
    assert bus.replay("session:x", 0) == []
    assert not bus.can_resume("session:x", first.id - 1)  # its events are gone: the client must reset


def test_replay_gives_each_reader_its_own_copy_of_what_was_published() -> None:
    """Buffered events are kept packed (marshal bytes): a replay returns the data as published,
    types and order intact, in a fresh dict each time; data marshal cannot pack is kept as it is."""
    from nura_appliance.storage.bus import EventBus

    class Name(str):
        pass

    bus = EventBus(buffer=10)
    data = {"session_id": "s", "message": {"id": 7, "sources": [{"id": "a"}], "confidence": 0.5, "ok": True,
                                           "pair": (1, 2), "sender_name": None}}  # fmt: skip
    first = bus.publish("session:s", "message", data)
    odd = bus.publish("session:s", "status", {"who": Name("agent")})
    replayed = bus.replay("session:s", first.id - 1)
    assert [(e.id, e.type, e.channel, e.at) for e in replayed] == [
        (first.id, "message", "session:s", first.at),
        (odd.id, "status", "session:s", odd.at),
    ]
    assert replayed[0].data == data and replayed[0].data is not data and replayed[0].data["message"]["pair"] == (1, 2)
    replayed[0].data["message"]["id"] = 8
    assert bus.replay("session:s", first.id - 1)[0].data == data
    assert replayed[1].data["who"] == "agent"
    assert bus.replay("session:s", first.id) == [replayed[1]]


def test_a_serving_process_freezes_its_startup_heap_and_collects_young_objects_less_often() -> None:
    """``nura serve``'s after-start hook (run in a child process: freezing pins the whole heap)."""
    code = (
        "import asyncio, gc\n"
        "from nura_appliance.cli.setup import YOUNG_GC_THRESHOLD, freeze_startup_heap\n"
        "before = gc.get_threshold()\n"
        "asyncio.run(freeze_startup_heap(None))\n"
        "assert gc.get_freeze_count() > 0\n"
        "assert gc.get_threshold() == (YOUNG_GC_THRESHOLD, *before[1:]) and YOUNG_GC_THRESHOLD > before[0]\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_writer_counts_committed_changes_of_watched_tables_only(sqlite_db: Any) -> None:
    """``Database.watch``: a committed write that touches ``kb_meta`` (insert, update, delete)
    bumps its generation once per batch; writes to other tables do not. (A write that touched it and
    failed may count: one spare refresh of the knowledge caches, never a missed one.)"""
    db = sqlite_db
    db.watch("kb_meta")
    db.watch("kb_meta")  # twice is once
    start = db.generation("kb_meta")
    db.write_sync(lambda c: c.execute("INSERT INTO kb_meta (key, value) VALUES ('t', '1')"))
    assert db.generation("kb_meta") == start + 1
    db.write_sync(lambda c: c.execute("UPDATE kb_meta SET value = '2' WHERE key = 't'"))
    db.write_sync(lambda c: c.execute("DELETE FROM kb_meta WHERE key = 't'"))
    assert db.generation("kb_meta") == start + 3
    db.write_sync(
        lambda c: c.execute("INSERT INTO sessions (id, token_hash, created_at, updated_at) VALUES ('x', 'h', 1, 1)")
    )
    db.write_sync(lambda c: c.execute("UPDATE kb_meta SET value = '3' WHERE key = 'nothing such'"))
    assert db.generation("kb_meta") == start + 3

    def fails(c: Any) -> None:
        c.execute("INSERT INTO kb_meta (key, value) VALUES ('u', '1')")
        raise RuntimeError("no")

    try:
        db.write_sync(fails)
    except RuntimeError:
        pass
    assert not query_rows(db, "SELECT * FROM kb_meta WHERE key = 'u'")


async def test_an_article_answer_searches_the_handbook_only_when_there_is_one_and_once(data_dir: Path) -> None:
    """The confident article path's handbook check (issue 17): no search at all without a
    handbook; with one, the chunks only (not the article list) and once per question and
    knowledge version."""
    from handbook_support import TWO_CHUNK
    from test_handbook_answers import _upload

    async with running_app(
        make_settings(
            initialised_copy(data_dir), NURA_LLM_PROVIDER="off", LLM_STREAM=False, BACKGROUND_JOBS_ENABLED=False
        )
    ) as (app, client):
        retriever = app.ctx.nura.retriever
        searches: list[tuple[str, tuple[str, ...]]] = []
        search_lists = retriever.search_lists

        async def counted(text: str, lang: str, k: int = 5, kinds: tuple[str, ...] = ("chunk", "article"), **kw: Any):
            searches.append((text, kinds))
            return await search_lists(text, lang, k, kinds, **kw)

        retriever.search_lists = counted
        assert (await ask(client))["kind"] == "article"
        assert searches == []  # no handbook: nothing to search

        await _upload(app, client, "numbers.md", TWO_CHUNK)
        assert (await ask(client))["kind"] == "article"
        assert (await ask(client))["kind"] == "article"
        assert searches == [(QUESTION, ("chunk",))], searches
        fee = await ask(client, "ما هي رسوم حجز الرقم المميز")
        assert fee["kind"] == "rag" and "2500" in fee["response"], fee
