"""The hand-off lifecycle through the API: a customer asks for a person in Arabic, two agents
race to accept, chat with typing, transfer, resolve with outcome fields; timings and the
session_outcomes row are checked exactly, and every bad input leaves the state unchanged."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from auth_helpers import bearer, login, make_user
from conftest import initialised_copy, make_settings, new_session, running_app

API_KEY = "handoff-test-api-key-0123456789"
ADMIN = {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture
def settings(data_dir):
    return make_settings(
        initialised_copy(data_dir, LOAD_DEFAULT_KNOWLEDGE=False), API_KEY=API_KEY, LOAD_DEFAULT_KNOWLEDGE=False
    )


def app_client(data_dir, **overrides: Any):
    """An app with custom settings and an ASGI client on it (start-up and shut-down run once).
    No knowledge pack: these tests need hand-off behaviour, not answers (and start faster)."""
    ready = initialised_copy(data_dir, LOAD_DEFAULT_KNOWLEDGE=False)  # none of the overrides changes a first start
    return running_app(make_settings(ready, API_KEY=API_KEY, LOAD_DEFAULT_KNOWLEDGE=False, **overrides))


async def ask_for_agent(client) -> dict[str, Any]:
    answer = await new_session(client, "أريد التحدث مع موظف خدمة العملاء")
    assert answer["status"] == "pending_handoff", answer
    return answer


async def db_row(app, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
    return await app.ctx.nura.db.fetchall(sql, params)


async def session_row(app, session_id: str) -> dict[str, Any]:
    return (await db_row(app, "SELECT * FROM sessions WHERE id = ?", (session_id,)))[0]


async def test_whole_life_of_a_session_with_two_agents(app, client):
    answer = await ask_for_agent(client)
    sid, token = answer["session_id"], answer["session_token"]
    customer = {"X-Session-Token": token}
    assert answer["escalated"] is True and answer["handoff_reason"] == "explicit_request"
    assert "موظف" in answer["response"]
    row = await session_row(app, sid)
    assert row["status"] == "pending_handoff" and row["handoff_reason"] == "explicit_request"
    handoff_at = row["handoff_at"]
    assert handoff_at is not None and row["accepted_at"] is None

    queue = (await client.get("/v1/queue", headers=ADMIN)).json()
    assert [s["session_id"] for s in queue["pending"]] == [sid] and queue["active"] == []
    assert queue["pending"][0]["last_customer_message"] == "أريد التحدث مع موظف خدمة العملاء"

    # Two agents accept at the same moment: exactly one wins.
    alice, bob = (client.post(f"/v1/handoff/{sid}/accept?agent_id={name}", headers=ADMIN) for name in ("alice", "bob"))
    results = await asyncio.gather(alice, bob)
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 409], [r.text for r in results]
    winner = "alice" if results[0].status_code == 200 else "bob"
    loser = "bob" if winner == "alice" else "alice"
    refused = results[1] if winner == "alice" else results[0]
    assert refused.json()["error"]["code"] == "already_accepted"
    row = await session_row(app, sid)
    assert row["status"] == "human_active" and row["assigned_agent"] == winner
    accepted_at = row["accepted_at"]
    assert accepted_at >= handoff_at
    assert (
        await db_row(
            app, "SELECT count(*) AS n FROM handoff_events WHERE session_id = ? AND action = 'accepted'", (sid,)
        )
    )[0]["n"] == 1

    # The customer writes: the message goes to the agent, not to the bot.
    sent = await client.post("/v1/message", json={"session_id": sid, "session_token": token, "message": "مرحبا؟"})
    assert sent.status_code == 200 and sent.json()["source"] == "agent" and sent.json()["response"] == ""

    # Both type; both chat. The loser may not write into the winner's chat.
    assert (
        await client.post(f"/v1/session/{sid}/typing", json={"sender": "customer", "text": "اك"}, headers=customer)
    ).status_code == 200
    assert (
        await client.post(
            f"/v1/session/{sid}/typing?agent_id={winner}", json={"sender": "agent", "text": "."}, headers=ADMIN
        )
    ).status_code == 200
    reply = await client.post(
        f"/v1/session/{sid}/agent-message?agent_id={winner}",
        json={"message": "أهلاً، كيف أساعدك؟", "agent_name": "سارة"},
        headers=ADMIN,
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["message"]["role"] == "agent" and reply.json()["message"]["sender_name"] == "سارة"
    other = await client.post(f"/v1/session/{sid}/agent-message?agent_id={loser}", json={"message": "x"}, headers=ADMIN)
    assert other.status_code == 403 and other.json()["error"]["code"] == "not_assigned"

    # Transfer to the other agent, who can then reply; the first one no longer can.
    moved = await client.post(f"/v1/handoff/{sid}/transfer?agent_id={winner}", json={"agent": loser}, headers=ADMIN)
    assert moved.status_code == 200, moved.text
    assert moved.json()["session"]["assigned_agent"] == loser
    assert (
        await client.post(
            f"/v1/session/{sid}/agent-message?agent_id={loser}", json={"message": "معك زميلي"}, headers=ADMIN
        )
    ).status_code == 200
    assert (
        await client.post(f"/v1/session/{sid}/agent-message?agent_id={winner}", json={"message": "x"}, headers=ADMIN)
    ).status_code == 403
    row = await session_row(app, sid)
    assert row["accepted_at"] == accepted_at  # a transfer keeps the original acceptance time

    # Resolve with the original NURA's body.
    outcome_body = {
        "status": "solved",
        "issue_category": "connectivity",
        "root_cause": "apn_settings",
        "resolution_notes": "Customer was guided through APN setup.",
        "resolved_by": "Agent",
    }
    done = await client.post(f"/v1/session/{sid}/resolve?agent_id={loser}", json=outcome_body, headers=ADMIN)
    assert done.status_code == 200, done.text
    row = await session_row(app, sid)
    assert row["status"] == "resolved" and row["resolved_at"] is not None
    outcomes = await db_row(app, "SELECT * FROM session_outcomes WHERE session_id = ?", (sid,))
    assert len(outcomes) == 1
    outcome = outcomes[0]
    assert {k: outcome[k] for k in outcome_body} == outcome_body
    assert outcome["handoff_reason"] == "explicit_request"
    assert outcome["handoff_at"] == handoff_at
    assert outcome["accepted_at"] == accepted_at
    assert outcome["resolved_at"] == row["resolved_at"]
    assert outcome["time_to_accept_s"] == accepted_at - handoff_at
    assert outcome["time_to_resolve_s"] == row["resolved_at"] - handoff_at
    assert outcome["assigned_agent"] == loser
    assert outcome["channel"] == "web" and outcome["lang"] == "ar"
    assert done.json()["outcome"]["id"] == outcome["id"]

    # Resolving twice and writing to a resolved chat are refused, and nothing changes.
    again = await client.post(f"/v1/handoff/{sid}/resolve?agent_id={loser}", json=outcome_body, headers=ADMIN)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_resolved"
    late = await client.post(f"/v1/session/{sid}/agent-message?agent_id={loser}", json={"message": "x"}, headers=ADMIN)
    assert late.status_code == 409 and late.json()["error"]["code"] == "session_closed"
    assert len(await db_row(app, "SELECT id FROM session_outcomes WHERE session_id = ?", (sid,))) == 1
    assert (await session_row(app, sid))["resolved_at"] == row["resolved_at"]

    # The agent's view: the full transcript, the outcome and the trail of transitions.
    detail = (await client.get(f"/v1/sessions/{sid}", headers=ADMIN)).json()
    roles = [m["role"] for m in detail["messages"]]
    assert roles == ["customer", "bot", "system", "customer", "agent", "system", "agent", "system"]
    assert detail["outcome"]["status"] == "solved"
    assert [e["action"] for e in detail["handoff_events"]] == ["accepted", "transferred", "resolved"]
    # The customer reads the same transcript with the token.
    mine = (await client.get(f"/v1/session/{sid}/messages", headers=customer)).json()
    assert [m["text"] for m in mine["messages"] if m["role"] == "agent"] == ["أهلاً، كيف أساعدك؟", "معك زميلي"]


async def test_accept_refuses_sessions_that_are_not_waiting(app, client):
    bot = await new_session(client, "ما هي الباقات المتاحة؟")
    resp = await client.post(f"/v1/handoff/{bot['session_id']}/accept?agent_id=alice", headers=ADMIN)
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "not_pending"
    assert (await session_row(app, bot["session_id"]))["status"] == "bot"
    missing = await client.post("/v1/handoff/no-such-session/accept", headers=ADMIN)
    assert missing.status_code == 404
    anonymous = await client.post(f"/v1/handoff/{bot['session_id']}/accept")
    assert anonymous.status_code == 401


async def test_unknown_outcome_status_is_422_and_changes_nothing(app, client):
    sid = (await ask_for_agent(client))["session_id"]
    assert (await client.post(f"/v1/handoff/{sid}/accept?agent_id=alice", headers=ADMIN)).status_code == 200
    for body in (
        {"status": "fixed-ish"},
        {"status": 3},
        {"status": "solved", "resolution_notes": "x" * 5000},
        {"status": "solved", "issue_category": ["a"]},
    ):
        resp = await client.post(f"/v1/session/{sid}/resolve?agent_id=alice", json=body, headers=ADMIN)
        assert resp.status_code == 422, body
    bad_json = await client.post(
        f"/v1/session/{sid}/resolve?agent_id=alice",
        content=b"{nope",
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    assert bad_json.status_code == 400 and bad_json.json()["error"]["code"] == "invalid_json"
    row = await session_row(app, sid)
    assert row["status"] == "human_active" and row["resolved_at"] is None
    assert await db_row(app, "SELECT id FROM session_outcomes WHERE session_id = ?", (sid,)) == []


async def test_agent_messages_need_an_accepted_session(client):
    pending = (await ask_for_agent(client))["session_id"]
    resp = await client.post(f"/v1/session/{pending}/agent-message", json={"message": "hi"}, headers=ADMIN)
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "not_accepted"
    assert (await client.post(f"/v1/handoff/{pending}/accept", headers=ADMIN)).status_code == 200
    for body in (
        {},
        {"message": ""},
        {"message": "   "},
        {"message": 5},
        {"message": "a\x00b"},
        {"message": "x" * 5000},
        {"message": "ok", "agent_name": "n" * 100},
    ):
        assert (
            await client.post(f"/v1/session/{pending}/agent-message", json=body, headers=ADMIN)
        ).status_code == 422, body


async def test_typing_flood_is_rate_limited(data_dir):
    async with app_client(data_dir, RATE_LIMIT_TYPING_PER_MINUTE=5) as (_, client):
        answer = await ask_for_agent(client)
        sid, token = answer["session_id"], answer["session_token"]
        codes = [
            (
                await client.post(
                    f"/v1/session/{sid}/typing",
                    json={"sender": "customer", "text": "a"},
                    headers={"X-Session-Token": token},
                )
            ).status_code
            for _ in range(8)
        ]
        assert codes == [200] * 5 + [429] * 3
        limited = await client.post(
            f"/v1/session/{sid}/typing", json={"sender": "customer", "text": "a"}, headers={"X-Session-Token": token}
        )
        assert int(limited.headers["Retry-After"]) >= 1 and limited.json()["error"]["code"] == "rate_limited"
        # The agent's indicator has its own budget.
        assert (
            await client.post(f"/v1/session/{sid}/typing", json={"sender": "agent", "text": ""}, headers=ADMIN)
        ).status_code == 200


async def test_typing_bad_input(client):
    answer = await ask_for_agent(client)
    sid, token = answer["session_id"], answer["session_token"]
    for body in ({"sender": "bot"}, {"sender": None}, {"sender": "customer", "text": 3}):
        assert (
            await client.post(f"/v1/session/{sid}/typing", json=body, headers={"X-Session-Token": token})
        ).status_code == 422, body
    assert (await client.post(f"/v1/session/{sid}/typing", json={"sender": "customer"})).status_code == 401
    assert (
        await client.post(
            f"/v1/session/{sid}/typing", json={"sender": "customer"}, headers={"X-Session-Token": "wrong"}
        )
    ).status_code == 403
    # A customer token does not make anyone an agent.
    assert (
        await client.post(f"/v1/session/{sid}/typing", json={"sender": "agent"}, headers={"X-Session-Token": token})
    ).status_code == 401


async def test_capacity_limits_accepts(app, client):
    await client.put("/v1/agents/alice/capacity", json={"capacity": 1}, headers=ADMIN)
    first = (await ask_for_agent(client))["session_id"]
    second = (await ask_for_agent(client))["session_id"]
    assert (await client.post(f"/v1/handoff/{first}/accept?agent_id=alice", headers=ADMIN)).status_code == 200
    full = await client.post(f"/v1/handoff/{second}/accept?agent_id=alice", headers=ADMIN)
    assert full.status_code == 409 and full.json()["error"]["code"] == "agent_at_capacity"
    assert full.json()["error"]["details"] == {"agent": "alice", "active": 1, "capacity": 1}
    row = await session_row(app, second)
    assert row["status"] == "pending_handoff" and row["assigned_agent"] is None
    # Transfers respect the target's capacity too.
    assert (await client.post(f"/v1/handoff/{second}/accept?agent_id=bob", headers=ADMIN)).status_code == 200
    refused = await client.post(f"/v1/handoff/{second}/transfer?agent_id=bob", json={"agent": "alice"}, headers=ADMIN)
    assert refused.status_code == 409 and (await session_row(app, second))["assigned_agent"] == "bob"
    # Back to the default AGENT_CAPACITY (5).
    reset = await client.put("/v1/agents/alice/capacity", json={"capacity": None}, headers=ADMIN)
    assert reset.json() == {"agent": "alice", "capacity": 5}
    for body in ({"capacity": -1}, {"capacity": "3"}, {"capacity": True}):
        assert (await client.put("/v1/agents/alice/capacity", json=body, headers=ADMIN)).status_code == 422


async def test_release_puts_the_session_back_in_the_queue(app, client):
    sid = (await ask_for_agent(client))["session_id"]
    assert (await client.post(f"/v1/handoff/{sid}/accept?agent_id=alice", headers=ADMIN)).status_code == 200
    not_holder = await client.post(f"/v1/handoff/{sid}/release?agent_id=bob", headers=ADMIN)
    assert not_holder.status_code == 403
    released = await client.post(f"/v1/handoff/{sid}/release?agent_id=alice", headers=ADMIN)
    assert released.status_code == 200
    row = await session_row(app, sid)
    assert (row["status"], row["assigned_agent"], row["accepted_at"]) == ("pending_handoff", None, None)
    again = await client.post(f"/v1/handoff/{sid}/release?agent_id=alice", headers=ADMIN)
    assert again.status_code == 409
    assert (await client.post(f"/v1/handoff/{sid}/accept?agent_id=bob", headers=ADMIN)).status_code == 200
    for body in ({}, {"agent": ""}, {"agent": "bad name!"}):
        assert (await client.post(f"/v1/handoff/{sid}/transfer", json=body, headers=ADMIN)).status_code == 422
    same = await client.post(f"/v1/handoff/{sid}/transfer?agent_id=bob", json={"agent": "bob"}, headers=ADMIN)
    assert same.status_code == 409 and same.json()["error"]["code"] == "same_agent"


async def test_signed_in_agents_act_only_as_themselves(app, client):
    password = await make_user(app, "sara", "agent")
    sara = bearer(await login(client, "sara", password))
    viewer = bearer(await login(client, "vic", await make_user(app, "vic", "viewer")))
    sid = (await ask_for_agent(client))["session_id"]
    assert (await client.post(f"/v1/handoff/{sid}/accept", headers=viewer)).status_code == 403
    assert (await client.post(f"/v1/handoff/{sid}/accept?agent_id=omar", headers=sara)).status_code == 403
    accepted = await client.post(f"/v1/handoff/{sid}/accept", headers=sara)
    assert accepted.status_code == 200 and accepted.json()["session"]["assigned_agent"] == "sara"
    # With accounts in place, a transfer must name an existing agent.
    unknown = await client.post(f"/v1/handoff/{sid}/transfer", json={"agent": "nobody"}, headers=sara)
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_agent"
    msg = await client.post(f"/v1/session/{sid}/agent-message", json={"message": "هلا"}, headers=sara)
    # Customers never see a username: without a display name the agent is "an agent" (issue 20).
    assert msg.status_code == 200 and msg.json()["message"]["sender_name"] is None
    await app.ctx.nura.users.update("sara", actor="test", display_name="سارة")
    msg = await client.post(f"/v1/session/{sid}/agent-message", json={"message": "هلا"}, headers=sara)
    assert msg.json()["message"]["sender_name"] == "سارة"
    assert (await client.get("/v1/sessions/list", headers=viewer)).status_code == 200
    assert (await client.get("/v1/queue", headers=viewer)).status_code == 403


async def test_direct_handoff_button(app, client):
    resp = await client.post(
        "/v1/handoff/direct",
        json={"session_id": None, "customer_id": "cust-9", "channel": "web", "reason": "direct_request", "lang": "ku"},
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["ok"] is True and body["escalated"] is True and body["offline"] is False
    assert body["status"] == "pending_handoff" and body["session_token"]
    assert "karmend" in body["response"].lower()
    row = await session_row(app, body["session_id"])
    assert (row["status"], row["handoff_reason"], row["customer_id"], row["lang"]) == (
        "pending_handoff",
        "direct_request",
        "cust-9",
        "ku",
    )
    outbox = await db_row(app, "SELECT payload FROM outbox WHERE kind = 'handoff_started'")
    assert len(outbox) == 1 and body["session_id"] in outbox[0]["payload"]
    # Pressing it again does not start a second hand-off.
    again = await client.post(
        f"/v1/handoff/{body['session_id']}", json={}, headers={"X-Session-Token": body["session_token"]}
    )
    assert again.status_code == 200 and again.json()["escalated"] is True
    assert len(await db_row(app, "SELECT id FROM outbox WHERE kind = 'handoff_started'")) == 1
    # An existing bot session, by path, with its token.
    bot = await new_session(client, "ما هي الباقات المتاحة؟")
    wrong = await client.post(f"/v1/handoff/{bot['session_id']}", json={}, headers={"X-Session-Token": "nope"})
    assert wrong.status_code == 403
    ok = await client.post(
        f"/v1/handoff/{bot['session_id']}",
        json={"reason": "widget button"},
        headers={"X-Session-Token": bot["session_token"]},
    )
    assert ok.json()["status"] == "pending_handoff" and ok.json()["handoff_reason"] == "widget_button"
    for bad in ({"session_id": 5}, {"channel": "WEB!"}, {"lang": "fr"}, {"reason": "x" * 100}, {"customer_id": ""}):
        if bad == {"customer_id": ""}:
            continue  # empty customer_id is treated as absent, like the original widget sends
        assert (await client.post("/v1/handoff/direct", json=bad)).status_code == 422, bad
    assert (await client.post("/v1/handoff/direct", json=[1])).status_code == 400


async def test_triggers_can_be_switched_off(data_dir):
    async with app_client(data_dir, HANDOFF_TRIGGERS="sentiment") as (_, client):
        button = (await client.post("/v1/handoff/direct", json={"session_id": None, "lang": "en"})).json()
        assert button["escalated"] is False and button["status"] == "bot"
        assert "isn't available" in button["response"]
        explicit = await new_session(client, "I want to talk to a human agent", lang="en")
        assert explicit["status"] == "bot" and explicit["escalated"] is False


async def test_bad_feedback_triggers_a_handoff(data_dir):
    async with app_client(data_dir, HANDOFF_BAD_FEEDBACK_COUNT=2) as (app, client):
        first = await new_session(client, "ما هي الباقات المتاحة؟")
        sid, token = first["session_id"], first["session_token"]
        headers = {"X-Session-Token": token}
        second = (
            await client.post("/v1/message", json={"session_id": sid, "message": "كيف أشحن الرصيد؟"}, headers=headers)
        ).json()
        one = await client.post(
            f"/v1/session/{sid}/feedback",
            json={"message_id": first["message_id"], "value": "down", "comment": "غلط"},
            headers=headers,
        )
        assert one.status_code == 200 and one.json()["escalated"] is False
        # Voting again on the same answer replaces the vote; it does not count twice.
        repeat = await client.post(
            f"/v1/session/{sid}/feedback", json={"message_id": first["message_id"], "value": "down"}, headers=headers
        )
        assert repeat.json()["escalated"] is False
        two = await client.post(
            f"/v1/session/{sid}/feedback", json={"message_id": second["message_id"], "value": "down"}, headers=headers
        )
        assert two.json()["escalated"] is True and two.json()["status"] == "pending_handoff"
        rows = await app.ctx.nura.db.fetchall("SELECT value FROM message_feedback WHERE session_id = ?", (sid,))
        assert [r["value"] for r in rows] == ["down", "down"]
        row = (await app.ctx.nura.db.fetchall("SELECT * FROM sessions WHERE id = ?", (sid,)))[0]
        assert row["handoff_reason"] == "bad_feedback"
        # Bad feedback input.
        other = await new_session(client, "مرحبا")
        for body in ({"message_id": other["message_id"], "value": "down"},):
            assert (await client.post(f"/v1/session/{sid}/feedback", json=body, headers=headers)).status_code == 404
        for body in (
            {"message_id": first["message_id"], "value": "meh"},
            {"message_id": "x", "value": "up"},
            {"message_id": True, "value": "up"},
            {"value": "up"},
            {"message_id": first["message_id"] - 1, "value": "up"},
            {"message_id": first["message_id"], "value": "up", "comment": 5},
        ):
            assert (await client.post(f"/v1/session/{sid}/feedback", json=body, headers=headers)).status_code == 422, (
                body
            )


async def test_rating(app, client):
    answer = await new_session(client, "مرحبا")
    sid, headers = answer["session_id"], {"X-Session-Token": answer["session_token"]}
    for score in (0, 6, "5", True, 4.5, None):
        assert (
            await client.post(f"/v1/session/{sid}/rating", json={"score": score}, headers=headers)
        ).status_code == 422, score
    ok = await client.post(f"/v1/session/{sid}/rating", json={"score": 5}, headers=headers)
    assert ok.status_code == 200 and ok.json()["score"] == 5
    assert (await session_row(app, sid))["rating"] == 5
    assert (await client.get(f"/v1/session/{sid}", headers=headers)).json()["rating"] == 5
    assert (await client.post(f"/v1/session/{sid}/rating", json={"score": 5})).status_code == 401


async def test_a_rating_given_while_a_message_is_answered_is_kept(app, client, monkeypatch):
    """The message path reads the session, answers (seconds, with an LLM), then saves it whole; a
    rating stored in between must survive that save, in the row and in what the API shows."""
    answer = await new_session(client, "مرحبا")
    sid, headers = answer["session_id"], {"X-Session-Token": answer["session_token"]}
    pipeline = app.ctx.nura.pipeline
    answering, release = asyncio.Event(), asyncio.Event()
    real_answer = pipeline.answer

    async def slow_answer(*args: Any, **kwargs: Any) -> Any:
        answering.set()
        await release.wait()
        return await real_answer(*args, **kwargs)

    monkeypatch.setattr(pipeline, "answer", slow_answer)
    body = {"session_id": sid, "message": "ما هي الباقات المتاحة؟"}
    in_flight = asyncio.create_task(client.post("/v1/message", json=body, headers=headers))
    await asyncio.wait_for(answering.wait(), 10)
    rated = await client.post(f"/v1/session/{sid}/rating", json={"score": 4}, headers=headers)
    assert rated.status_code == 200
    release.set()
    reply = await asyncio.wait_for(in_flight, 10)
    assert reply.status_code == 200, reply.text
    row = await session_row(app, sid)
    assert row["rating"] == 4
    assert row["message_count"] == 2  # the message's own changes were saved too
    assert (await client.get(f"/v1/session/{sid}", headers=headers)).json()["rating"] == 4
    # A later rating replaces it, through the cache as well.
    assert (await client.post(f"/v1/session/{sid}/rating", json={"score": 2}, headers=headers)).status_code == 200
    assert (await session_row(app, sid))["rating"] == 2
    assert (await client.get(f"/v1/session/{sid}", headers=headers)).json()["rating"] == 2


async def test_commands_apply_to_the_committed_row_not_to_an_earlier_copy(app, client):
    """Every change is a command on the row as committed: a copy read before an accept cannot be
    written back (the store has no whole-row save), and the next command sees the accept."""
    answer = await ask_for_agent(client)
    sid, token = answer["session_id"], answer["session_token"]
    ctx = app.ctx.nura
    stale = await ctx.sessions_store.get(sid)
    assert not hasattr(ctx.sessions_store, "save")
    assert (await client.post(f"/v1/handoff/{sid}/accept?agent_id=alice", headers=ADMIN)).status_code == 200
    rated = await client.post(f"/v1/session/{sid}/rating", json={"score": 3}, headers={"X-Session-Token": token})
    assert rated.status_code == 200
    row = await session_row(app, sid)
    assert (row["status"], row["assigned_agent"], row["rating"]) == ("human_active", "alice", 3)
    assert row["version"] == stale.version + 2  # the accept, then the rating
    # An older row offered to the cache never replaces the newer one it holds.
    await ctx.sessions.warm(stale)
    assert (await ctx.sessions.cached(sid))["status"] == "human_active"
    assert (
        await client.post(f"/v1/session/{sid}/resolve?agent_id=alice", json={"status": "solved"}, headers=ADMIN)
    ).status_code == 200
    assert (await session_row(app, sid))["status"] == "resolved"
    # A customer writing again after the resolution starts a fresh bot conversation, and may be
    # handed off again (a newer handoff_at is not a stale write).
    await ctx.sessions.forget(sid)
    fresh = await client.post(
        "/v1/message", json={"session_id": sid, "session_token": token, "message": "ما هي الباقات المتاحة؟"}
    )
    assert fresh.json()["status"] == "bot"
    again = await client.post(
        "/v1/message", json={"session_id": sid, "session_token": token, "message": "بدي احكي مع موظف"}
    )
    assert again.json()["status"] == "pending_handoff"
    row = await session_row(app, sid)
    assert (row["status"], row["assigned_agent"], row["accepted_at"], row["resolved_at"]) == (
        "pending_handoff",
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("ابي اكلم موظف", "ar"),  # Gulf
        ("بدي احكي مع حدا من خدمة العملاء", "ar"),  # Levantine
        ("اريد احجي وية موظف", "ar"),  # Iraqi
        ("Ez dixwazim bi karmendekî re biaxivim", "ku"),
        ("Can I talk to a real person please", "en"),
    ],
)
async def test_explicit_requests_in_every_language(app, client, text, lang):
    answer = await new_session(client, text, lang=lang)
    assert answer["status"] == "pending_handoff" and answer["handoff_reason"] == "explicit_request", answer
    row = await session_row(app, answer["session_id"])
    assert row["handoff_reason"] == "explicit_request" and row["handoff_at"] is not None
    # The notice is in the customer's language.
    expected = {"ar": "موظف", "ku": "karmend", "en": "agent"}[answer["lang"]]
    assert expected in answer["response"].lower()


async def test_accumulated_negative_sentiment_and_repeated_low_confidence(app, client):
    first = await new_session(client, "this service is terrible", lang="en")
    assert first["status"] == "bot"
    headers = {"X-Session-Token": first["session_token"]}
    second = (
        await client.post(
            "/v1/message",
            json={"session_id": first["session_id"], "lang": "en", "message": "useless, I am angry"},
            headers=headers,
        )
    ).json()
    assert second["status"] == "pending_handoff" and second["handoff_reason"] == "negative_sentiment"

    weak = await new_session(client, "qwzx plorf", lang="en")
    sid, headers = weak["session_id"], {"X-Session-Token": weak["session_token"]}
    for text in ("vrrmp snerk", "blorp quix"):
        last = (
            await client.post("/v1/message", json={"session_id": sid, "message": text, "lang": "en"}, headers=headers)
        ).json()
    assert last["status"] == "pending_handoff" and last["handoff_reason"] == "low_confidence"
    assert (await session_row(app, sid))["handoff_reason"] == "low_confidence"
