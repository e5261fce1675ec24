"""Server-Sent Events over a real socket: the app is served in-process on a free port and read
with httpx streaming. Covers the "done when" scenario end to end (a customer asks for a person
in Arabic, an agent sees it live, accepts, both chat with typing, resolve), reconnects with
Last-Event-ID without loss or duplication, pings, and the bus's replay rules."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from conftest import free_port, make_settings

from nura_appliance.app import create_app
from nura_appliance.storage.bus import EventBus

API_KEY = "realtime-test-api-key-0123456789"
ADMIN = {"Authorization": f"Bearer {API_KEY}"}


@contextlib.asynccontextmanager
async def served(data_dir, **overrides: Any) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """The app on 127.0.0.1:<free port> in this event loop, and an HTTP client pointed at it."""
    settings = make_settings(
        data_dir, API_KEY=API_KEY, LOAD_DEFAULT_KNOWLEDGE=False, SSE_PING_SECONDS=0.25, **overrides
    )
    app = create_app(settings)
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            yield app, client
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()


@dataclass
class Stream:
    """Reads one SSE response into parsed events (``id`` None for snapshot events)."""

    response: httpx.Response
    events: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    pings: int = 0
    task: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        current: dict[str, Any] = {}
        async for line in self.response.aiter_lines():
            if line == "":
                if "event" in current:
                    await self.events.put(current)
                current = {}
            elif line.startswith(": ping"):
                self.pings += 1
            elif line.startswith(":") or line.startswith("retry:"):
                continue
            else:
                key, _, value = line.partition(": ")
                current[key] = json.loads(value) if key == "data" else int(value) if key == "id" else value

    async def next(self, event_type: str | None = None, timeout: float = 5.0) -> dict[str, Any]:
        """The next event (of ``event_type``, skipping others)."""
        while True:
            event = await asyncio.wait_for(self.events.get(), timeout)
            if event_type is None or event["event"] == event_type:
                return event

    async def drain(self, wait: float = 0.3) -> list[dict[str, Any]]:
        await asyncio.sleep(wait)
        out = []
        while not self.events.empty():
            out.append(self.events.get_nowait())
        return out


@contextlib.asynccontextmanager
async def open_stream(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> AsyncIterator[Stream]:
    async with client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200, (await response.aread()).decode()
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = Stream(response)
        stream.task = asyncio.create_task(stream._read())
        try:
            yield stream
        finally:
            stream.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                await stream.task


async def test_done_when_scenario_over_real_sockets(data_dir):
    async with served(data_dir) as (app, client), open_stream(client, "/v1/agents/stream", ADMIN) as agents:
        hello = await agents.next("hello")
        assert hello.get("id") is None and hello["data"]["agent"] == "api-key"
        # Customers see the agent's display name, never the login name (issue 20).
        await app.ctx.nura.users.create("sara", "sara-long-pass-2024", "agent", "سارة", actor="test")

        # The customer asks for a person in Arabic; the agent sees it live.
        answer = (
            await client.post(
                "/v1/message", json={"session_id": None, "customer_id": "cust-1", "message": "لو سمحت بدي احكي مع موظف"}
            )
        ).json()
        sid, token = answer["session_id"], answer["session_token"]
        assert answer["status"] == "pending_handoff"
        handoff = await agents.next("handoff")
        assert handoff["data"]["session_id"] == sid and handoff["data"]["handoff_reason"] == "explicit_request"
        assert isinstance(handoff["id"], int)

        async with open_stream(client, f"/v1/session/{sid}/stream", {"X-Session-Token": token}) as customer:
            snapshot = await customer.next("status")
            assert snapshot.get("id") is None and snapshot["data"]["status"] == "pending_handoff"

            accepted = await client.post(f"/v1/handoff/{sid}/accept?agent_id=sara", headers=ADMIN)
            assert accepted.status_code == 200
            joined = await customer.next("message")
            assert joined["data"]["message"]["role"] == "system" and "سارة" in joined["data"]["message"]["text"]
            assert "sara" not in joined["data"]["message"]["text"]
            status = await customer.next("status")
            assert status["data"] == {
                "session_id": sid,
                "status": "human_active",
                "handoff_reason": "explicit_request",
                "assigned_agent": "sara",
                "display_name": "سارة",
            }
            assignment = await agents.next("assignment")
            assert assignment["data"] == {
                "session_id": sid,
                "action": "accepted",
                "agent": "sara",
                "display_name": "سارة",
            }

            # Typing both ways: the agent sees the customer's draft, the customer only "typing".
            await client.post(
                f"/v1/session/{sid}/typing",
                json={"sender": "customer", "text": "عندي مشك"},
                headers={"X-Session-Token": token},
            )
            typing = await agents.next("typing")
            assert typing["data"] == {"session_id": sid, "sender": "customer", "active": True, "text": "عندي مشك"}
            await client.post(
                f"/v1/session/{sid}/typing?agent_id=sara", json={"sender": "agent", "text": "..."}, headers=ADMIN
            )
            agent_typing = await customer.next("typing")
            assert agent_typing["data"] == {"session_id": sid, "sender": "agent", "active": True}

            # Both chat.
            await client.post(
                "/v1/message", json={"session_id": sid, "session_token": token, "message": "الانترنت مقطوع"}
            )
            incoming = await agents.next("customer_message")
            assert incoming["data"]["message"]["text"] == "الانترنت مقطوع"
            own_echo = await customer.next("message")
            assert own_echo["data"]["message"]["role"] == "customer"
            await client.post(
                f"/v1/session/{sid}/agent-message?agent_id=sara",
                json={"message": "سأفحص الخط الآن", "agent_name": "سارة"},
                headers=ADMIN,
            )
            reply = await customer.next("message")
            assert reply["data"]["message"]["text"] == "سأفحص الخط الآن"
            assert reply["data"]["message"]["sender_name"] == "سارة"

            # The agent resolves with outcome fields; the customer's stream shows it.
            done = await client.post(
                f"/v1/handoff/{sid}/resolve?agent_id=sara",
                json={
                    "status": "solved",
                    "issue_category": "connectivity",
                    "root_cause": "line_fault",
                    "resolution_notes": "Line reset.",
                },
                headers=ADMIN,
            )
            assert done.status_code == 200
            await customer.next("message")  # the closing notice
            closed = await customer.next("status")
            assert closed["data"]["status"] == "resolved"

        row = (await app.ctx.nura.db.fetchall("SELECT * FROM session_outcomes WHERE session_id = ?", (sid,)))[0]
        session = (await app.ctx.nura.db.fetchall("SELECT * FROM sessions WHERE id = ?", (sid,)))[0]
        assert row["time_to_accept_s"] == session["accepted_at"] - session["handoff_at"]
        assert row["time_to_resolve_s"] == session["resolved_at"] - session["handoff_at"]
        assert (row["status"], row["root_cause"], row["resolved_by"]) == ("solved", "line_fault", "sara")


async def test_reconnect_with_last_event_id_loses_and_repeats_nothing(data_dir):
    async with served(data_dir) as (app, client):
        answer = (await client.post("/v1/handoff/direct", json={"session_id": None, "lang": "en"})).json()
        sid, token = answer["session_id"], answer["session_token"]
        assert (await client.post(f"/v1/handoff/{sid}/accept?agent_id=omar", headers=ADMIN)).status_code == 200

        async def say(text: str) -> None:
            resp = await client.post(
                f"/v1/session/{sid}/agent-message?agent_id=omar", json={"message": text}, headers=ADMIN
            )
            assert resp.status_code == 200

        url = f"/v1/session/{sid}/stream"
        received: list[dict[str, Any]] = []
        async with open_stream(client, url, {"X-Session-Token": token}) as first:
            await first.next("status")
            await say("one")
            await say("two")
            received += [await first.next("message"), await first.next("message")]
        last_id = received[-1]["id"]

        # Missed while disconnected, including a typing flood (ephemeral, not replayed).
        await say("three")
        for _ in range(5):
            await client.post(
                f"/v1/session/{sid}/typing?agent_id=omar", json={"sender": "agent", "text": "x"}, headers=ADMIN
            )
        await say("four")

        async with open_stream(client, url, {"X-Session-Token": token, "Last-Event-ID": str(last_id)}) as second:
            replayed = [e for e in await second.drain(0.5) if e.get("id") is not None]
            assert [e["data"]["message"]["text"] for e in replayed] == ["three", "four"]
            await say("five")
            live = await second.next("message")
            received += replayed + [live]

        # The query-string form works the same for clients that cannot set headers.
        async with open_stream(client, f"{url}?session_token={token}&last_event_id={received[-2]['id']}", {}) as third:
            again = [e for e in await third.drain(0.5) if e.get("id") is not None]
            assert [e["data"]["message"]["text"] for e in again] == ["five"]

        texts = [e["data"]["message"]["text"] for e in received]
        assert texts == ["one", "two", "three", "four", "five"]
        ids = [e["id"] for e in received]
        assert ids == sorted(set(ids))
        stored = await app.ctx.nura.sessions_store.turns(sid)
        assert [t.text for t in stored if t.role == "agent"] == texts


async def test_stream_access_and_bad_input(data_dir):
    async with served(data_dir) as (_, client):
        answer = (await client.post("/v1/handoff/direct", json={"session_id": None})).json()
        sid, token = answer["session_id"], answer["session_token"]
        url = f"/v1/session/{sid}/stream"
        assert (await client.get(url)).status_code == 401
        assert (await client.get(url, headers={"X-Session-Token": "wrong"})).status_code == 403
        assert (await client.get("/v1/session/nope/stream", headers={"X-Session-Token": token})).status_code == 404
        bad = await client.get(url, headers={"X-Session-Token": token, "Last-Event-ID": "abc"})
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_field"
        assert (await client.get("/v1/agents/stream")).status_code == 401
        in_url = await client.get(f"/v1/agents/stream?access_token={API_KEY}", headers=ADMIN)
        assert in_url.status_code == 400 and in_url.json()["error"]["code"] == "token_in_url"

        # An id this process never issued (e.g. from before a restart): told to refetch.
        async with open_stream(client, url, {"X-Session-Token": token, "Last-Event-ID": "5"}) as stream:
            first = await stream.next()
            assert first["event"] == "reset" and first["data"]["reason"] == "replay_unavailable"
            assert (await stream.next())["event"] == "status"

        # Keep-alive comments arrive on an idle stream.
        async with open_stream(client, url, {"X-Session-Token": token}) as idle:
            await asyncio.sleep(0.9)
            assert idle.pings >= 2


async def test_agents_stream_resumes_too(data_dir):
    async with served(data_dir) as (_, client):
        async with open_stream(client, "/v1/agents/stream", ADMIN) as stream:
            await client.post("/v1/handoff/direct", json={"session_id": None})
            first = await stream.next("handoff")
        await client.post("/v1/handoff/direct", json={"session_id": None})
        async with open_stream(client, "/v1/agents/stream", {**ADMIN, "Last-Event-ID": str(first["id"])}) as again:
            missed = [e for e in await again.drain(0.5) if e["event"] == "handoff"]
            assert len(missed) == 1 and missed[0]["data"]["session_id"] != first["data"]["session_id"]


def test_bus_replay_rules():
    bus = EventBus(buffer=3)
    events = [bus.publish("session:a", "message", {"n": i}) for i in range(5)]
    assert [e.id for e in events] == sorted({e.id for e in events})
    # The buffer keeps the last 3: resuming after event 0 would lose event 1.
    assert not bus.can_resume("session:a", events[0].id)
    assert bus.can_resume("session:a", events[1].id)
    assert [e.data["n"] for e in bus.replay("session:a", events[1].id)] == [2, 3, 4]
    # Ephemeral events are delivered live but never replayed, and do not evict messages.
    typing = bus.publish("session:a", "typing", {"active": True}, buffered=False)
    assert bus.replay("session:a", events[1].id)[-1].data == {"n": 4}
    assert bus.can_resume("session:a", typing.id)
    # Other channels are unaffected; ids from an earlier process (smaller) cannot resume.
    assert bus.can_resume("session:b", events[4].id)
    assert not bus.can_resume("session:a", bus.first_id - 10)
    assert not bus.can_resume("session:a", typing.id + 100)


async def test_bus_subscribe_resumes_without_gaps_or_duplicates():
    bus = EventBus()
    first = bus.publish("agents", "handoff", {"n": 1})
    bus.publish("agents", "handoff", {"n": 2})
    subscription = bus.subscribe("agents", first.id)
    got = [await subscription.__anext__()]
    bus.publish("agents", "handoff", {"n": 3})
    got.append(await subscription.__anext__())
    await subscription.aclose()
    assert [e.data["n"] for e in got] == [2, 3]
    assert bus.subscriber_count("agents") == 0


async def test_blank_last_event_id_means_from_now(data_dir):
    async with served(data_dir) as (_, client):
        answer = (await client.post("/v1/handoff/direct", json={"session_id": None})).json()
        url = f"/v1/session/{answer['session_id']}/stream"
        token = {"X-Session-Token": answer["session_token"]}
        for target, headers in ((url, {**token, "Last-Event-ID": ""}), (f"{url}?last_event_id=", token)):
            async with open_stream(client, target, headers) as stream:
                assert (await stream.next())["event"] == "status"


async def test_shutdown_ends_open_streams():
    bus = EventBus()
    subscription = bus.subscribe("agents")
    waiting = asyncio.ensure_future(subscription.__anext__())
    await asyncio.sleep(0)
    bus.end_streams()
    with contextlib.suppress(StopAsyncIteration):
        await asyncio.wait_for(waiting, 1)
    assert waiting.done() and isinstance(waiting.exception(), StopAsyncIteration)
