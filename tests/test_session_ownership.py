"""One owner for the live session (issue 18): a bot answer in flight while the customer presses
the agent button and an agent accepts must not hand the chat back to the bot, on SQLite and on
PostgreSQL + Redis alike.

The reproduction: a customer message whose answer takes 2 s (the time an LLM-grounded answer
takes); meanwhile ``POST /v1/handoff/direct`` and an agent's accept; then the customer's next
message must reach the agent (stored, in the queue, on the agents' stream), never the bot; the
``sessions`` row and the live cache agree. ``NURA_REPRO_RUNS=100`` repeats it 100 times per
backend. Then every interleaving of message / button / accept / transfer / release / resolve /
rating with a slow answer, and two messages of one session at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from conftest import fetch_row, make_settings, running_app
from test_store_contract import scale_backends

API_KEY = "ownership-test-api-key-0123456789"
ADMIN = {"Authorization": f"Bearer {API_KEY}"}
RUNS = int(os.environ.get("NURA_REPRO_RUNS", "1"))
QUESTION = "ما هي الباقات المتاحة؟"
HUMAN = ("pending_handoff", "human_active")


@contextlib.asynccontextmanager
async def backend_app(kind: str, data_dir: Any) -> AsyncIterator[tuple[Any, Any]]:
    """A running app on SQLite (the appliance's default) or PostgreSQL + Redis (scale-out)."""
    # No knowledge pack (every answer is the fallback) and no low-confidence hand-off: the hand-offs
    # in these tests are the ones a test makes.
    base = {
        "API_KEY": API_KEY,
        "LOAD_DEFAULT_KNOWLEDGE": False,
        "HANDOFF_LOW_CONFIDENCE_COUNT": 100,
        # many sessions and messages from one address (the random interleavings)
        "RATE_LIMIT_MESSAGES_PER_MINUTE": 100_000,
        "RATE_LIMIT_IP_PER_MINUTE": 100_000,
        "RATE_LIMIT_NEW_SESSIONS_PER_MINUTE": 100_000,
        "AGENT_CAPACITY": 10_000,
        "HANDOFF_PENDING_PER_IP": 10_000,
    }
    if kind == "sqlite":
        async with running_app(make_settings(data_dir, **base)) as pair:
            yield pair
        return
    with scale_backends() as env:
        values = {k: v for k, v in env.items() if k.startswith("NURA_")}
        async with running_app(make_settings(data_dir, **base, **values)) as pair:
            yield pair


BACKENDS = pytest.mark.parametrize("kind", ["sqlite", "postgres_redis"])


async def start(client: Any, text: str = "مرحبا") -> tuple[str, str]:
    resp = await client.post("/v1/message", json={"session_id": None, "customer_id": "c-18", "message": text})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "bot", body
    return body["session_id"], body["session_token"]


async def say(client: Any, sid: str, token: str, text: str) -> Any:
    return await client.post("/v1/message", json={"session_id": sid, "session_token": token, "message": text})


async def row_of(app: Any, sid: str) -> dict[str, Any]:
    return await fetch_row(app.ctx.nura.db, "SELECT * FROM sessions WHERE id = ?", (sid,))


async def assert_row_and_cache_agree(app: Any, sid: str) -> dict[str, Any]:
    row = await row_of(app, sid)
    cached = await app.ctx.nura.sessions.cached(sid)
    if cached is not None:  # an absent entry is restored from the row on the next read
        for key in ("status", "assigned_agent", "accepted_at", "handoff_at", "resolved_at", "rating", "version"):
            assert cached[key] == row[key], (key, cached, row)
        assert cached["message_count"] == row["message_count"]
    return row


def slow_pipeline(app: Any, monkeypatch: pytest.MonkeyPatch, delay: float | None = None) -> dict[str, Any]:
    """Make the next answers slow: ``delay`` seconds, or until ``gate['release']`` is set."""
    pipeline = app.ctx.nura.pipeline
    real = pipeline.answer
    gate = {"answering": asyncio.Event(), "release": asyncio.Event()}

    async def answer(*args: Any, **kwargs: Any) -> Any:
        gate["answering"].set()
        if delay is not None:
            await asyncio.sleep(delay)
        else:
            await gate["release"].wait()
        return await real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "answer", answer)
    gate["restore"] = lambda: monkeypatch.setattr(pipeline, "answer", real)
    return gate


def agents_events(app: Any) -> list[Any]:
    return app.ctx.nura.bus.replay("agents", 0)


async def customer_message_reached_agents(app: Any, sid: str, text: str) -> bool:
    """The message is on the agents' stream (a ``customer_message`` event) — polled briefly, as the
    Redis bus delivers through pub/sub."""
    bus = app.ctx.nura.bus
    for _ in range(50):
        for event in bus.replay("agents", 0):
            data = event.data
            if event.type == "customer_message" and data["session_id"] == sid and data["message"]["text"] == text:
                return True
        await asyncio.sleep(0.05)
    return False


# -- the reproduction ---------------------------------------------------------------------------
@BACKENDS
@pytest.mark.parametrize("run", range(RUNS))
async def test_after_an_accept_during_a_slow_answer_the_next_message_reaches_the_agent(
    kind: str, run: int, data_dir: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with backend_app(kind, data_dir / f"r{run}") as (app, client):
        sid, token = await start(client)
        gate = slow_pipeline(app, monkeypatch, delay=2.0)
        in_flight = asyncio.create_task(say(client, sid, token, QUESTION))
        await asyncio.wait_for(gate["answering"].wait(), 10)
        button = await client.post("/v1/handoff/direct", json={"session_id": sid, "session_token": token})
        assert button.status_code == 200 and button.json()["status"] == "pending_handoff", button.text
        accepted = await client.post(f"/v1/handoff/{sid}/accept?agent_id=alice", headers=ADMIN)
        assert accepted.status_code == 200, accepted.text
        late = await asyncio.wait_for(in_flight, 15)
        assert late.status_code == 200, late.text
        # The slow answer finished after the hand-off: not delivered as if the bot owned the chat.
        assert late.json()["status"] == "human_active" and late.json()["source"] == "agent", late.json()
        gate["restore"]()
        await asyncio.sleep(1.5)  # what the old re-sync timer waited for; nothing may change now
        await assert_row_and_cache_agree(app, sid)

        next_message = await say(client, sid, token, "are you there?")
        assert next_message.status_code == 200, next_message.text
        body = next_message.json()
        assert (body["source"], body["status"], body["response"]) == ("agent", "human_active", ""), body
        assert await customer_message_reached_agents(app, sid, "are you there?")
        row = await assert_row_and_cache_agree(app, sid)
        assert (row["status"], row["assigned_agent"]) == ("human_active", "alice")
        assert row["message_count"] == 3
        queue = (await client.get("/v1/queue", headers=ADMIN)).json()
        active = {s["session_id"]: s for s in queue["active"]}
        assert active[sid]["last_customer_message"] == "are you there?"
        # The bot never answered the customer after the accept.
        detail = (await client.get(f"/v1/sessions/{sid}", headers=ADMIN)).json()
        roles = [(m["role"], m["text"]) for m in detail["messages"]]
        assert roles[-1] == ("customer", "are you there?")


# -- every interleaving with a slow answer --------------------------------------------------------
# What happens while the bot is still answering; then what the late answer, the row, the cache and
# the customer's next message must show.
INTERLEAVINGS = {
    "message": ["message"],
    "button": ["button"],
    "button_accept": ["button", "accept"],
    "button_accept_transfer": ["button", "accept", "transfer"],
    "button_accept_release": ["button", "accept", "release"],
    "button_accept_resolve": ["button", "accept", "resolve"],
    "button_resolve": ["button", "resolve"],
    "rating": ["rating"],
    "button_accept_rating": ["button", "accept", "rating"],
}


async def act(client: Any, action: str, sid: str, token: str) -> Any:
    customer = {"X-Session-Token": token}
    if action == "button":
        return await client.post("/v1/handoff/direct", json={"session_id": sid, "session_token": token})
    if action == "accept":
        return await client.post(f"/v1/handoff/{sid}/accept?agent_id=alice", headers=ADMIN)
    if action == "transfer":
        return await client.post(f"/v1/handoff/{sid}/transfer", json={"agent": "bob"}, headers=ADMIN)
    if action == "release":
        return await client.post(f"/v1/handoff/{sid}/release?agent_id=alice", headers=ADMIN)
    if action == "resolve":
        return await client.post(f"/v1/session/{sid}/resolve", json={"status": "solved"}, headers=ADMIN)
    if action == "rating":
        return await client.post(f"/v1/session/{sid}/rating", json={"score": 2}, headers=customer)
    raise AssertionError(action)


@BACKENDS
@pytest.mark.parametrize("name", list(INTERLEAVINGS))
async def test_each_interleaving_with_a_slow_answer(
    kind: str, name: str, data_dir: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    actions = INTERLEAVINGS[name]
    async with backend_app(kind, data_dir) as (app, client):
        sid, token = await start(client)
        gate = slow_pipeline(app, monkeypatch)
        in_flight = asyncio.create_task(say(client, sid, token, QUESTION))
        await asyncio.wait_for(gate["answering"].wait(), 10)
        queued = None
        for action in actions:
            if action == "message":  # a second message of the same session waits for the first
                queued = asyncio.create_task(say(client, sid, token, "second question"))
                await asyncio.sleep(0.3)
                assert not queued.done()
                continue
            done = await act(client, action, sid, token)
            assert done.status_code == 200, (action, done.text)
        gate["release"].set()
        late = (await asyncio.wait_for(in_flight, 15)).json()
        handed_off = "button" in actions
        if queued is not None:
            second = (await asyncio.wait_for(queued, 15)).json()
            assert second["message_id"] > late["message_id"]
        row = await assert_row_and_cache_agree(app, sid)
        if handed_off:
            # Stored for the agent, never delivered as the bot's answer.
            assert (late["source"], late["response"], late["status"]) == ("agent", "", row["status"]), late
        else:
            assert late["source"] != "agent" and late["response"], late
        expected = {
            "message": "bot",
            "button": "pending_handoff",
            "button_accept": "human_active",
            "button_accept_transfer": "human_active",
            "button_accept_release": "pending_handoff",
            "button_accept_resolve": "resolved",
            "button_resolve": "resolved",
            "rating": "bot",
            "button_accept_rating": "human_active",
        }[name]
        assert row["status"] == expected, row
        holder = "bob" if "transfer" in actions else "alice" if "accept" in actions else None
        assert row["assigned_agent"] == (None if "release" in actions else holder)
        if "rating" in actions:
            assert row["rating"] == 2
        sent = 3 if queued is not None else 2
        assert row["message_count"] == sent

        # The customer's transcript never shows the withheld answer; the agent's shows it marked.
        customer_view = (await client.get(f"/v1/session/{sid}/messages", headers={"X-Session-Token": token})).json()
        agent_view = (await client.get(f"/v1/sessions/{sid}", headers=ADMIN)).json()
        withheld = [m for m in agent_view["messages"] if m["kind"] == "withheld"]
        assert len(withheld) == (1 if handed_off else 0)
        assert all(m["kind"] != "withheld" for m in customer_view["messages"])
        texts = [m["text"] for m in customer_view["messages"] if m["role"] == "customer"]
        assert texts == ["مرحبا", QUESTION, *(["second question"] if queued is not None else [])]

        gate["restore"]()
        nxt = (await say(client, sid, token, "are you there?")).json()
        if expected in HUMAN:
            assert (nxt["source"], nxt["status"]) == ("agent", expected), nxt
            assert await customer_message_reached_agents(app, sid, "are you there?")
        else:  # the bot owns the chat (again, after a resolution: a fresh bot conversation)
            assert nxt["source"] != "agent" and nxt["response"], nxt
        row = await assert_row_and_cache_agree(app, sid)
        assert row["message_count"] == sent + 1


# -- two messages at once ---------------------------------------------------------------------------
@BACKENDS
async def test_two_concurrent_messages_are_both_stored_in_order_with_exact_counters(
    kind: str, data_dir: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with backend_app(kind, data_dir) as (app, client):
        sid, token = await start(client)
        gate = slow_pipeline(app, monkeypatch, delay=0.5)
        replies = await asyncio.gather(*(say(client, sid, token, f"question {i}") for i in range(1, 5)))
        assert [r.status_code for r in replies] == [200] * 4, [r.text for r in replies]
        gate["restore"]()
        row = await assert_row_and_cache_agree(app, sid)
        assert row["message_count"] == 5
        # Each fallback answer counted once: the streak is exact (or a hand-off reset it).
        turns = (await client.get(f"/v1/sessions/{sid}", headers=ADMIN)).json()["messages"]
        customer = [m["text"] for m in turns if m["role"] == "customer"]
        assert sorted(customer[1:]) == [f"question {i}" for i in range(1, 5)]
        # In order: every customer message is followed by its own answer before the next one.
        roles = [m["role"] for m in turns if m["role"] in ("customer", "bot")]
        assert roles == ["customer", "bot"] * 5, roles
        ids = sorted(r.json()["message_id"] for r in replies)
        assert len(set(ids)) == 4


async def test_a_message_waiting_too_long_for_the_previous_one_gets_409_busy(
    data_dir: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(
        data_dir,
        API_KEY=API_KEY,
        LOAD_DEFAULT_KNOWLEDGE=False,
        HANDOFF_LOW_CONFIDENCE_COUNT=100,
        SESSION_LOCK_WAIT_SECONDS=0.3,
    )
    async with running_app(settings) as (app, client):
        sid, token = await start(client)
        gate = slow_pipeline(app, monkeypatch)
        first = asyncio.create_task(say(client, sid, token, QUESTION))
        await asyncio.wait_for(gate["answering"].wait(), 10)
        busy = await say(client, sid, token, "hello?")
        assert busy.status_code == 409 and busy.json()["error"]["code"] == "busy", busy.text
        gate["release"].set()
        assert (await first).status_code == 200
        row = await assert_row_and_cache_agree(app, sid)
        assert row["message_count"] == 2  # the refused message was not stored
        turns = (await client.get(f"/v1/session/{sid}/messages", headers={"X-Session-Token": token})).json()
        assert "hello?" not in [m["text"] for m in turns["messages"]]


async def test_messages_of_one_session_are_ordered_across_workers(data_dir: Any) -> None:
    """Two workers (two contexts on the same PostgreSQL and Redis): while one handles a message of
    a session, the other waits for it, and answers 409 busy once its wait is over."""
    from nura_appliance.context import build_context
    from nura_appliance.conversation.sessions import SessionBusy

    with scale_backends() as env:
        values = {k: v for k, v in env.items() if k.startswith("NURA_")}
        one = build_context(make_settings(data_dir / "a", **values, SESSION_LOCK_WAIT_SECONDS=0.3))
        two = build_context(make_settings(data_dir / "b", **values, SESSION_LOCK_WAIT_SECONDS=2))
        try:
            order: list[str] = []
            inside = asyncio.Event()

            async def hold(ctx: Any, name: str, seconds: float) -> None:
                async with ctx.sessions.ordered("s-1"):
                    order.append(f"{name} in")
                    inside.set()
                    await asyncio.sleep(seconds)
                    order.append(f"{name} out")

            # Each second worker starts only once the first holds the session (an event, not a
            # sleep: on a loaded machine taking the lock can take longer than any fixed pause).
            first = asyncio.create_task(hold(one, "one", 0.6))
            await asyncio.wait_for(inside.wait(), 10)
            await hold(two, "two", 0)  # waits for worker one, then runs
            await first
            assert order == ["one in", "one out", "two in", "two out"]
            inside.clear()
            first = asyncio.create_task(hold(two, "two", 1.0))
            await asyncio.wait_for(inside.wait(), 10)
            with pytest.raises(SessionBusy):
                await hold(one, "one", 0)
            await first
        finally:
            one.close()
            two.close()


# -- random interleavings (hypothesis) --------------------------------------------------------------
LEGAL = {
    ("bot", "pending_handoff"),  # the agent button, or a trigger in a message
    ("pending_handoff", "human_active"),  # accept
    ("human_active", "pending_handoff"),  # release
    ("pending_handoff", "resolved"),
    ("human_active", "resolved"),
    ("resolved", "bot"),  # a new message after a resolution
    ("resolved", "pending_handoff"),  # the button (or a trigger) after a resolution
}
EXAMPLES = int(os.environ.get("NURA_STATEFUL_EXAMPLES", "30"))
STEPS = int(os.environ.get("NURA_STATEFUL_STEPS", "14"))


class _LoopThread:
    """An event loop in a thread: hypothesis drives the state machine synchronously, the app runs
    on this loop."""

    def __init__(self) -> None:
        import threading

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@BACKENDS
def test_random_interleavings_keep_one_owner(kind: str, data_dir: Any) -> None:
    from hypothesis import HealthCheck
    from hypothesis import settings as hyp_settings
    from hypothesis import strategies as st
    from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

    runner = _LoopThread()
    opened: dict[str, Any] = {}

    async def open_app() -> None:
        manager = backend_app(kind, data_dir)
        opened["manager"] = manager
        opened["app"], opened["client"] = await manager.__aenter__()
        pipeline = opened["app"].ctx.nura.pipeline
        real = pipeline.answer
        gates: list[asyncio.Event] = []
        opened["gates"] = gates

        async def answer(text: str, *args: Any, **kwargs: Any) -> Any:
            if text.startswith("slow"):
                gate = asyncio.Event()
                gates.append(gate)
                await gate.wait()
            return await real(text, *args, **kwargs)

        pipeline.answer = answer

    runner.run(open_app(), 60)
    app, client = opened["app"], opened["client"]

    async def release(gate: asyncio.Event) -> None:
        gate.set()

    class OneSession(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.sid, self.token = runner.run(start(client))
            self.acked: list[str] = ["مرحبا"]  # acknowledged customer messages, in order
            self.in_flight: list[tuple[str, Any]] = []
            self.status = "bot"
            self.counter = 0

        # -- helpers
        def row(self) -> dict[str, Any]:
            return runner.run(row_of(app, self.sid))

        def text(self, prefix: str) -> str:
            self.counter += 1
            return f"{prefix} {self.counter}"

        # -- customer
        @precondition(lambda self: not self.in_flight)
        @rule()
        def message(self) -> None:
            before = self.row()["status"]
            text = self.text("msg")
            reply = runner.run(say(client, self.sid, self.token, text))
            assert reply.status_code == 200, reply.text
            self.acked.append(text)
            body = reply.json()
            if before in HUMAN:  # every customer message while a person owns the chat reaches them
                assert (body["source"], body["response"]) == ("agent", ""), body
                assert runner.run(customer_message_reached_agents(app, self.sid, text))
            else:
                assert body["source"] != "agent", body

        @precondition(lambda self: len(self.in_flight) < 2)
        @rule()
        def slow_message(self) -> None:
            text = self.text("slow")
            waiting = len(opened["gates"])
            task = asyncio.run_coroutine_threadsafe(say(client, self.sid, self.token, text), runner.loop)
            if not self.in_flight:  # the first one reaches the pipeline; a second waits for the first
                for _ in range(300):
                    if len(opened["gates"]) > waiting or task.done():
                        break
                    runner.run(asyncio.sleep(0.01))
            self.in_flight.append((text, task))

        @precondition(lambda self: bool(self.in_flight))
        @rule()
        def finish_slow(self) -> None:
            while self.in_flight:
                text, task = self.in_flight.pop(0)
                for _ in range(300):  # release its answer once it reached the pipeline
                    if task.done():
                        break
                    pending = [g for g in opened["gates"] if not g.is_set()]
                    if pending:
                        runner.run(release(pending[0]))
                        break
                    runner.run(asyncio.sleep(0.01))
                reply = task.result(30)
                assert reply.status_code == 200, reply.text
                self.acked.append(text)
                body = reply.json()
                if body["status"] in HUMAN and body["source"] == "agent":
                    assert body["response"] == ""
                    assert runner.run(customer_message_reached_agents(app, self.sid, text))

        @rule()
        def button(self) -> None:
            before = self.row()["status"]
            resp = runner.run(act(client, "button", self.sid, self.token))
            assert resp.status_code == 200, resp.text
            # queued, or already with a person (who keeps it)
            assert resp.json()["status"] == (before if before in HUMAN else "pending_handoff"), (before, resp.text)

        @rule(score=st.integers(1, 5))
        def rating(self, score: int) -> None:
            resp = runner.run(
                client.post(
                    f"/v1/session/{self.sid}/rating", json={"score": score}, headers={"X-Session-Token": self.token}
                )
            )
            assert resp.status_code == 200, resp.text
            assert self.row()["rating"] == score

        # -- agents
        @rule(agent=st.sampled_from(["alice", "bob"]))
        def accept(self, agent: str) -> None:
            before = self.row()["status"]
            resp = runner.run(client.post(f"/v1/handoff/{self.sid}/accept?agent_id={agent}", headers=ADMIN))
            assert resp.status_code == (200 if before == "pending_handoff" else 409), (before, resp.text)

        @rule(agent=st.sampled_from(["alice", "bob", "carol"]))
        def transfer(self, agent: str) -> None:
            row = self.row()
            resp = runner.run(client.post(f"/v1/handoff/{self.sid}/transfer", json={"agent": agent}, headers=ADMIN))
            ok = row["status"] == "human_active" and row["assigned_agent"] != agent
            assert resp.status_code == (200 if ok else 409), (row["status"], resp.text)

        @rule()
        def release(self) -> None:
            before = self.row()["status"]
            resp = runner.run(client.post(f"/v1/handoff/{self.sid}/release", headers=ADMIN))
            assert resp.status_code == (200 if before == "human_active" else 409), (before, resp.text)

        @rule()
        def resolve(self) -> None:
            before = self.row()["status"]
            resp = runner.run(client.post(f"/v1/session/{self.sid}/resolve", json={"status": "solved"}, headers=ADMIN))
            assert resp.status_code == (200 if before in HUMAN else 409), (before, resp.text)

        # -- after every step
        @invariant()
        def one_owner(self) -> None:
            row = self.row()
            if not self.in_flight:
                runner.run(assert_row_and_cache_agree(app, self.sid))
                assert row["message_count"] == len(self.acked)
                turns = runner.run(app.ctx.nura.sessions_store.turns(self.sid, limit=5000))
                customer = [t.text for t in turns if t.role == "customer"]
                assert customer == self.acked  # nothing acknowledged is lost, and in order
            new = row["status"]
            assert (
                new == self.status
                or (self.status, new) in LEGAL
                or (
                    # a message after a resolution that also sets off a trigger: resolved -> bot -> queue
                    self.status == "resolved" and new == "pending_handoff"
                )
            ), (self.status, new)
            self.status = new

        def teardown(self) -> None:
            # Release every answer, also of a message that reaches the pipeline only once the one
            # before it is done.
            for _ in range(1000):
                for gate in opened["gates"]:
                    runner.run(release(gate))
                if all(task.done() for _, task in self.in_flight):
                    break
                runner.run(asyncio.sleep(0.01))

    try:
        run_state_machine_as_test(
            OneSession,
            settings=hyp_settings(
                max_examples=EXAMPLES,
                stateful_step_count=STEPS,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
            ),
        )
    finally:
        runner.run(opened["manager"].__aexit__(None, None, None), 60)
        runner.close()
