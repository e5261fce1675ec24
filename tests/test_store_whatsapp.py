"""Contract of :class:`~nura_appliance.storage.base.WhatsAppStore` (contacts and their 24-hour
window, handled message ids, the ordered outbound queue and its delivery statuses, agent reply
delivery): one mixin, run on SQLite and on a real PostgreSQL (missing PostgreSQL skips locally and
fails under CI=true)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from conftest import query_rows, seed_rows

from nura_appliance.errors import StorageError
from nura_appliance.storage.base import EarlyStatusLimits, OutboxItem, WhatsAppStore
from nura_appliance.storage.stores import stores_for


class WhatsAppStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, db: Any) -> WhatsAppStore:
        return stores_for(db).whatsapp

    async def test_contacts(self, store: WhatsAppStore) -> None:
        assert await store.contact("964") is None
        await store.remember("964", session_id=None, token=None, lang=None, profile_name="Ali")
        contact = await store.contact("964")
        assert contact is not None and (contact["session_id"], contact["lang"], contact["profile_name"]) == (
            None,
            None,
            "Ali",
        )
        await store.remember("964", session_id="s1", token="t1", lang="ar", inbound_at=100.0)
        assert await store.claim_turn("964", 9)
        await store.remember("964", session_id=None, token=None, lang=None)  # keeps what is known
        contact = await store.contact("964")
        assert contact is not None
        assert (contact["session_id"], contact["session_token"], contact["lang"], contact["profile_name"]) == (
            "s1",
            "t1",
            "ar",
            "Ali",
        )
        assert (contact["last_inbound_at"], contact["last_turn_id"]) == (100.0, 9)
        await store.remember("964", session_id="s1", token="other", lang="en")  # same session
        contact = await store.contact("964")
        assert contact is not None and (contact["session_token"], contact["lang"], contact["last_turn_id"]) == (
            "t1",
            "en",
            9,
        )
        await store.remember("964", session_id="s2", token="t2", lang=None, inbound_at=200.0)  # a new session
        contact = await store.contact("964")
        assert contact is not None
        assert (contact["session_id"], contact["session_token"], contact["last_turn_id"], contact["lang"]) == (
            "s2",
            "t2",
            0,
            "en",
        )
        await store.template_sent("964", 300.0)
        assert (await store.contact("964") or {})["template_sent_at"] == 300.0
        await store.remember("965", session_id="s2", token="t", lang="ku")
        newest = await store.contact_of_session("s2")
        assert newest is not None and newest["wa_id"] == "965"
        assert await store.contact_of_session("nothing") is None

    async def test_inbound_ids(self, store: WhatsAppStore) -> None:
        assert await store.first_time("m1", "964")
        assert not await store.first_time("m1", "964")
        results = await asyncio.gather(*(store.first_time("m2", "964") for _ in range(8)))
        assert results.count(True) == 1
        assert await store.forget_inbound_before(time.time() + 1) == 2
        assert await store.forget_inbound_before(time.time() + 1) == 0
        assert await store.first_time("m1", "964")  # forgotten: new again

    async def test_queue_claim_and_order(self, store: WhatsAppStore, db: Any) -> None:
        outbox = stores_for(db).outbox
        enqueued: list[list[int]] = []

        def enqueue(conn: Any, ids: list[int]) -> None:
            enqueued.append(ids)
            outbox.insert_in(conn, OutboxItem("wa_send", {"up_to": ids[-1]}), max_attempts=3)

        assert await store.queue("964", "s1", [], enqueue) == []
        ids = await store.queue("964", "s1", [("text", {"body": "١"}), ("text", {"body": "2"})], enqueue)
        other = await store.queue("965", None, [("template", {"name": "hello"})])
        assert len(ids) == 2 and ids[0] < ids[1] < other[0] and enqueued == [ids]
        assert query_rows(db, "SELECT count(*) AS n FROM outbox")[0]["n"] == 1
        rows = query_rows(db, "SELECT id, kind, payload, status, attempts FROM whatsapp_outbound ORDER BY id")
        assert [(r["kind"], json.loads(r["payload"]), r["status"], r["attempts"]) for r in rows] == [
            ("text", {"body": "١"}, "queued", 0),
            ("text", {"body": "2"}, "queued", 0),
            ("template", {"name": "hello"}, "queued", 0),
        ]
        assert await store.waiting("964") == ids
        assert await store.waiting("964", up_to=ids[0]) == ids[:1]
        # a number's messages go out in order: the second waits for the first
        assert await store.claim(ids[1], 30) is None
        first = await store.claim(ids[0], 30)
        assert first is not None and (first["status"], first["attempts"], first["wa_id"]) == ("sending", 1, "964")
        assert await store.claim(ids[0], 30) is None  # being sent
        assert await store.claim(ids[1], 30) is None  # still behind the one being sent
        assert await store.waiting("964") == [ids[1]]
        assert ids[0] in await store.waiting("964", now=time.time() + 60)  # its lease ran out
        await store.sent(ids[0], "wamid.1")
        second = await store.claim(ids[1], 30)
        assert second is not None
        await store.unsent(ids[1], "x" * 900, final=False)
        again = await store.claim(ids[1], 30)
        assert again is not None and again["attempts"] == 2 and len(again["error"]) == 500
        await store.unsent(ids[1], "gone", final=True)
        await store.unsent(ids[1], "ignored", final=False)  # not being sent: unchanged
        assert (await store.counts()) == {"sent": 1, "failed": 1, "queued": 1}
        newest = await store.messages(wa_id="964")
        assert [m["id"] for m in newest] == [ids[1], ids[0]] and newest[0]["error"] == "gone"
        assert [m["id"] for m in await store.messages(session_id="s1", limit=1)] == [ids[1]]
        assert "payload" not in newest[0]

    async def test_a_failing_enqueue_queues_nothing(self, store: WhatsAppStore, db: Any) -> None:
        def broken(conn: Any, ids: list[int]) -> None:
            raise RuntimeError("outbox down")

        with pytest.raises(RuntimeError):
            await store.queue("964", None, [("text", {"body": "a"})], broken)
        assert await store.counts() == {}
        wrote: list[int] = []
        await store.enqueue_later(lambda conn: wrote.append(1))
        assert wrote == [1]

    async def test_give_up_and_statuses(self, store: WhatsAppStore) -> None:
        ids = await store.queue("964", None, [("text", {}), ("text", {}), ("text", {})])
        await store.claim(ids[0], 30)
        await store.sent(ids[0], "wamid.1")
        await store.claim(ids[1], 30)
        assert await store.give_up("964", ids[1], "retries ran out") == 1  # the sending one; the sent one stays
        assert await store.give_up("964", ids[2], "again") == 1
        assert await store.counts() == {"sent": 1, "failed": 2}
        assert not await store.status("wamid.1", "bogus")
        assert not await store.status("wamid.unknown", "read")
        assert await store.status("wamid.1", "delivered")
        assert await store.status("wamid.1", "read")
        assert not await store.status("wamid.1", "delivered")  # never backwards
        assert not await store.status("wamid.1", "read")
        assert await store.status("wamid.1", "failed", "expired")
        message = (await store.messages(wa_id="964"))[-1]
        assert (message["status"], message["error"]) == ("failed", "expired")

    async def test_a_status_before_its_id_is_saved_is_kept_and_applied_once_it_is(
        self, store: WhatsAppStore, db: Any
    ) -> None:
        """Meta can post a message's status before the send job saved its id: kept, then applied by
        ``sent``, never an older status over a newer one."""
        ids = await store.queue("964", None, [("text", {}), ("text", {}), ("text", {})])
        assert not await store.status("wamid.a", "delivered")  # no message has the id: kept
        assert not await store.status("wamid.a", "read")
        assert not await store.status("wamid.a", "delivered")  # late: the kept "read" stays
        assert not await store.status("wamid.b", "sent")
        assert not await store.status("wamid.c", "failed", "131026 Message undeliverable")
        assert not await store.status("wamid.c", "read")  # failed is final
        kept = query_rows(db, "SELECT wa_message_id, status FROM whatsapp_early_statuses ORDER BY wa_message_id")
        assert [(r["wa_message_id"], r["status"]) for r in kept] == [
            ("wamid.a", "read"),
            ("wamid.b", "sent"),
            ("wamid.c", "failed"),
        ]
        for row_id, wamid in zip(ids, ("wamid.a", "wamid.b", "wamid.c"), strict=True):
            assert await store.claim(row_id, 30) is not None
            await store.sent(row_id, wamid)
        got = {m["wa_message_id"]: (m["status"], m["error"]) for m in await store.messages(wa_id="964")}
        assert got == {
            "wamid.a": ("read", None),
            "wamid.b": ("sent", None),
            "wamid.c": ("failed", "131026 Message undeliverable"),
        }
        assert query_rows(db, "SELECT count(*) AS n FROM whatsapp_early_statuses")[0]["n"] == 0  # applied: gone
        assert not await store.status("wamid.a", "delivered")  # and still never backwards
        assert await store.status("wamid.b", "delivered")

    async def test_kept_statuses_expire_and_their_number_is_bounded(self, store: WhatsAppStore, db: Any) -> None:
        small = type(store)(db, EarlyStatusLimits(seconds=60, max_ids=3))  # type: ignore[call-arg]
        for i in range(5):
            assert not await small.status(f"wamid.{i}", "delivered", now=1000.0 + i)
        kept = query_rows(db, "SELECT wa_message_id FROM whatsapp_early_statuses ORDER BY wa_message_id")
        assert [r["wa_message_id"] for r in kept] == ["wamid.2", "wamid.3", "wamid.4"]  # the oldest went
        (row_id,) = await small.queue("964", None, [("text", {})])
        assert await small.claim(row_id, 30) is not None
        await small.sent(row_id, "wamid.4", now=1004.0 + 60)  # kept 60 s ago: expired, not applied
        assert [m["status"] for m in await small.messages(wa_id="964")] == ["sent"]
        assert not await small.status("wamid.9", "read", now=1004.0 + 60)  # sweeps the expired ones
        kept = query_rows(db, "SELECT wa_message_id FROM whatsapp_early_statuses ORDER BY wa_message_id")
        assert [r["wa_message_id"] for r in kept] == ["wamid.9"]

    async def test_racing_claims_send_once(self, store: WhatsAppStore) -> None:
        (row_id,) = await store.queue("964", None, [("text", {"body": "once"})])
        claims = await asyncio.gather(*(store.claim(row_id, 30) for _ in range(8)))
        assert sum(1 for c in claims if c is not None) == 1

    async def test_tree_clicks_and_agent_replies(self, store: WhatsAppStore, db: Any) -> None:
        await store.tree_click("s1", "wa:964", "a1", "Title", "ar")
        rows = query_rows(db, "SELECT session_id, customer_id, article_id, label, lang, channel FROM tree_clicks")
        assert rows == [
            {"session_id": "s1", "customer_id": "wa:964", "article_id": "a1", "label": "Title", "lang": "ar",
             "channel": "whatsapp"}
        ]  # fmt: skip
        now = time.time()
        seed_rows(
            db,
            "sessions",
            [
                {"id": "live", "token_hash": "h", "status": "pending_handoff", "created_at": 1.0, "updated_at": 1.0},
                {"id": "old", "token_hash": "h", "status": "closed", "created_at": 1.0, "updated_at": 1.0},
            ],
        )
        turns = [
            ("live", "customer", "{}"),
            ("live", "agent", "{}"),
            ("live", "system", '{"kind": "status"}'),
            ("live", "system", '{"kind": "x"}'),
            ("old", "agent", "{}"),
        ]
        seed_rows(
            db,
            "chat_turns",
            [{"session_id": s, "role": r, "text": f"{s}-{r}", "meta": m, "created_at": now} for s, r, m in turns],
        )
        await store.remember("964", session_id="live", token="t", lang="ar", inbound_at=now)
        await store.remember("965", session_id="old", token="t", lang="ar")
        pending = await store.pending_turns(now - 60)
        assert [(p["wa_id"], p["role"]) for p in pending] == [("964", "agent"), ("964", "system")]
        assert pending[0]["last_inbound_at"] == now and pending[0]["lang"] == "ar"
        assert await store.claim_turn("964", pending[0]["id"])
        assert not await store.claim_turn("964", pending[0]["id"])
        assert [p["role"] for p in await store.pending_turns(now - 60, limit=5)] == ["system"]

    async def test_closed_database_is_a_storage_error(self, store: WhatsAppStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.contact("964")
        with pytest.raises(StorageError):
            await store.first_time("m", "964")


class TestSqliteWhatsAppStore(WhatsAppStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


@pytest.mark.postgres
class TestPostgresWhatsAppStore(WhatsAppStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db
