"""The desk around live chat: offline hours and the offline queue, suggestions, canned replies,
the session list, the widget config, lifecycle jobs and the signed escalation webhook."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from auth_helpers import bearer, login, make_user
from conftest import free_port, initialised_copy, make_settings, new_session, running_app

from nura_appliance.handoff.business_hours import DAY_NAMES
from nura_appliance.handoff.lifecycle import expire_sessions, flag_stale_pending
from nura_appliance.jobs.webhooks import verify

API_KEY = "desk-test-api-key-0123456789"
ADMIN = {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture
def settings(data_dir):
    return make_settings(
        initialised_copy(data_dir, LOAD_DEFAULT_KNOWLEDGE=False), API_KEY=API_KEY, LOAD_DEFAULT_KNOWLEDGE=False
    )


def app_client(data_dir, **overrides: Any):
    """An app with custom settings and an ASGI client on it (start-up and shut-down run once).
    No knowledge pack: these tests need hand-off behaviour, not answers (and start faster)."""
    return running_app(make_settings(data_dir, API_KEY=API_KEY, LOAD_DEFAULT_KNOWLEDGE=False, **overrides))


def closed_now_hours() -> str:
    """Working hours (UTC) that are certainly closed right now: one hour, three days away."""
    return f"{DAY_NAMES[(datetime.now(UTC).weekday() + 3) % 7]} 10:00-11:00"


async def test_outside_business_hours_the_customer_can_leave_details(data_dir):
    async with app_client(data_dir, BUSINESS_HOURS=closed_now_hours(), BUSINESS_TIMEZONE="UTC") as (app, client):
        config = (await client.get("/v1/widget/config")).json()
        assert config["business_open"] is False and config["handoff_enabled"] is True
        assert config["languages"] == ["ar", "ckb", "ku", "en"] and config["business_hours"]["timezone"] == "UTC"
        assert config["business_hours"]["next_open"].endswith("+00:00")

        answer = await new_session(client, "أريد التحدث مع موظف")
        assert answer["escalated"] is True and answer["status"] == "bot"
        assert "خارج ساعات العمل" in answer["response"]
        row = (await app.ctx.nura.db.fetchall("SELECT * FROM sessions WHERE id = ?", (answer["session_id"],)))[0]
        assert row["handoff_reason"] == "explicit_request" and row["handoff_at"] is not None
        assert json.loads(row["meta"])["offline_handoff_at"] == row["handoff_at"]
        queue = (await client.get("/v1/queue", headers=ADMIN)).json()
        assert queue["pending"] == [] and queue["business_open"] is False

        direct = (await client.post("/v1/handoff/direct", json={"session_id": None, "lang": "en"})).json()
        assert direct["offline"] is True and direct["status"] == "bot" and "offline" in direct["response"]

        left = await client.post(
            "/v1/offline-requests",
            json={
                "session_id": answer["session_id"],
                "session_token": answer["session_token"],
                "name": "أحمد",
                "phone": "+964 750 123 4567",
                "description": "الانترنت مقطوع منذ الصباح",
                "lang": "ar",
            },
        )
        assert left.status_code == 201, left.text
        assert left.json()["status"] == "open" and left.json()["session_id"] == answer["session_id"]
        for bad in (
            {"name": "a", "phone": "abc", "description": "d"},
            {"phone": "07501234567", "description": "d"},
            {"name": "a", "phone": "07501234567"},
            {"name": "a", "phone": "123", "description": "d"},
            {"name": "a", "phone": "07501234567", "description": "d", "lang": "de"},
            {"name": 5, "phone": "07501234567", "description": "d"},
        ):
            assert (await client.post("/v1/offline-requests", json=bad)).status_code == 422, bad
        ghost = await client.post(
            "/v1/offline-requests", json={"session_id": "nope", "name": "a", "phone": "٠٧٥٠١٢٣٤٥٦٧", "description": "d"}
        )
        # An unknown session (or one without its token) is stored unlinked, answered alike (issue 19).
        assert ghost.status_code == 201 and ghost.json()["session_id"] is None

        assert (await client.get("/v1/offline-requests")).status_code == 401
        listed = (await client.get("/v1/offline-requests?status=open", headers=ADMIN)).json()
        assert listed["total"] == 2 and listed["items"][-1]["phone"] == "+964 750 123 4567"
        item_id = listed["items"][-1]["id"]
        patched = await client.patch(
            f"/v1/offline-requests/{item_id}", json={"status": "contacted", "note": "called"}, headers=ADMIN
        )
        assert patched.status_code == 200 and patched.json()["status"] == "contacted"
        assert patched.json()["handled_by"] == "api-key"
        assert (
            await client.patch(f"/v1/offline-requests/{item_id}", json={"status": "done"}, headers=ADMIN)
        ).status_code == 422
        assert (
            await client.patch("/v1/offline-requests/999", json={"status": "closed"}, headers=ADMIN)
        ).status_code == 404
        assert (await client.get("/v1/offline-requests?status=weird", headers=ADMIN)).status_code == 422


async def test_suggestions_and_complaints(app, client):
    answer = await new_session(client, "مرحبا")
    for kind in ("suggestion", "complaint", "compliment"):
        resp = await client.post(
            "/v1/suggestions",
            json={
                "kind": kind,
                "text": f"{kind} text",
                "lang": "en",
                "session_id": answer["session_id"],
                "session_token": answer["session_token"],
            },
        )
        assert resp.status_code == 201 and resp.json()["kind"] == kind and resp.json()["status"] == "new"
    for bad in (
        {"kind": "rant", "text": "x"},
        {"kind": "complaint", "text": ""},
        {"kind": "complaint"},
        {"text": "x" * 5000},
        {"text": "a\x07b"},
    ):
        assert (await client.post("/v1/suggestions", json=bad)).status_code == 422, bad
    wrong = await client.post(
        "/v1/suggestions", json={"text": "x", "session_id": answer["session_id"], "session_token": "wrong"}
    )
    assert wrong.status_code == 201 and wrong.json()["session_id"] is None  # stored unlinked (issue 19)
    listed = (await client.get("/v1/suggestions", headers=ADMIN)).json()
    assert listed["total"] == 4
    assert [i["kind"] for i in listed["items"][1:]] == ["compliment", "complaint", "suggestion"]
    first = listed["items"][1]["id"]
    assert (await client.patch(f"/v1/suggestions/{first}", json={"status": "reviewed"}, headers=ADMIN)).json()[
        "status"
    ] == "reviewed"
    assert (await client.get("/v1/suggestions?status=reviewed", headers=ADMIN)).json()["total"] == 1
    assert (await client.patch(f"/v1/suggestions/{first}", json={}, headers=ADMIN)).status_code == 422
    assert (await client.get("/v1/suggestions?limit=0", headers=ADMIN)).status_code == 422


async def test_canned_replies_crud_and_placeholders(app, client):
    agent = bearer(await login(client, "sara", await make_user(app, "sara", "agent")))
    body = {
        "id": "greet-ar",
        "lang": "ar",
        "title": "ترحيب",
        "text": "مرحباً {customer_name}، معك {agent_name} من {company_name}. {unknown}",
    }
    assert (await client.post("/v1/canned-replies", json=body, headers=agent)).status_code == 403
    created = await client.post("/v1/canned-replies", json=body, headers=ADMIN)
    assert created.status_code == 201
    assert (await client.post("/v1/canned-replies", json=body, headers=ADMIN)).status_code == 409
    other = await client.post(
        "/v1/canned-replies", json={"lang": "en", "title": "Bye", "text": "Goodbye {agent_name}"}, headers=ADMIN
    )
    assert other.status_code == 201 and other.json()["id"]
    for bad in (
        {**body, "id": "x y"},
        {**body, "lang": "fr"},
        {"lang": "ar", "title": "t"},
        {"lang": "ar", "title": "", "text": "t"},
    ):
        assert (await client.post("/v1/canned-replies", json=bad, headers=ADMIN)).status_code == 422, bad

    assert len((await client.get("/v1/canned-replies", headers=agent)).json()["canned_replies"]) == 2
    arabic = (await client.get("/v1/canned-replies?lang=ar", headers=agent)).json()["canned_replies"]
    assert [r["id"] for r in arabic] == ["greet-ar"]
    assert [
        r["id"] for r in (await client.get("/v1/canned-replies?q=Goodbye", headers=agent)).json()["canned_replies"]
    ] == [other.json()["id"]]
    assert (await client.get("/v1/canned-replies?lang=xx", headers=agent)).status_code == 422

    session = await new_session(client, "مرحبا", customer_id="cust-77")
    rendered = (
        await client.get(f"/v1/canned-replies?lang=ar&session_id={session['session_id']}", headers=agent)
    ).json()["canned_replies"][0]["rendered"]
    # {agent_name} is what the customer reads: sara has no display name, so a generic name, never
    # the login name (issue 20).
    assert rendered == "مرحباً cust-77، معك خدمة العملاء من Sanad Telecom. {unknown}"

    assert (await client.patch("/v1/canned-replies/greet-ar", json={"title": "أهلاً"}, headers=ADMIN)).json()[
        "title"
    ] == "أهلاً"
    assert (await client.patch("/v1/canned-replies/greet-ar", json={}, headers=ADMIN)).status_code == 422
    assert (await client.patch("/v1/canned-replies/none", json={"title": "x"}, headers=ADMIN)).status_code == 404
    assert (await client.delete("/v1/canned-replies/greet-ar", headers=ADMIN)).status_code == 200
    assert (await client.delete("/v1/canned-replies/greet-ar", headers=ADMIN)).status_code == 404


async def test_sessions_list_filters_and_pages(app, client):
    bot = await new_session(client, "مرحبا", customer_id="cust-a")
    pending = await new_session(client, "أريد موظف", customer_id="cust-b")
    assert pending["status"] == "pending_handoff"
    await new_session(client, "شكرا جزيلا", customer_id="cust-c")
    everything = (await client.get("/v1/sessions/list", headers=ADMIN)).json()
    assert everything["total"] == 3 and len(everything["sessions"]) == 3
    assert "token_hash" not in everything["sessions"][0]
    only_pending = (await client.get("/v1/sessions/list?status=pending_handoff", headers=ADMIN)).json()
    assert [s["session_id"] for s in only_pending["sessions"]] == [pending["session_id"]]
    by_customer = (await client.get("/v1/sessions/list?customer_id=cust-a", headers=ADMIN)).json()
    assert [s["session_id"] for s in by_customer["sessions"]] == [bot["session_id"]]
    by_text = (await client.get("/v1/sessions/list", params={"q": "شكرا"}, headers=ADMIN)).json()
    assert by_text["total"] == 1 and by_text["sessions"][0]["customer_id"] == "cust-c"
    page = (await client.get("/v1/sessions/list?limit=2&offset=2", headers=ADMIN)).json()
    assert page["total"] == 3 and len(page["sessions"]) == 1
    future = (await client.get("/v1/sessions/list?since=2999-01-01", headers=ADMIN)).json()
    assert future["total"] == 0
    since_epoch = (await client.get(f"/v1/sessions/list?since={time.time() - 600}", headers=ADMIN)).json()
    assert since_epoch["total"] == 3
    for query in ("status=open", "limit=0", "limit=500", "offset=-1", "since=yesterday", "limit=abc"):
        assert (await client.get(f"/v1/sessions/list?{query}", headers=ADMIN)).status_code == 422, query
    assert (await client.get("/v1/sessions/list")).status_code == 401
    assert (await client.get("/v1/sessions/nope", headers=ADMIN)).status_code == 404


async def test_lifecycle_jobs_close_idle_bot_sessions_and_flag_waiting_handoffs(app, client):
    ctx = app.ctx.nura
    assert ctx.conversations.handoff is ctx.handoff
    bot = await new_session(client, "مرحبا")
    waiting = await new_session(client, "أريد موظف")
    active = await new_session(client, "بدي احكي مع موظف")
    assert (
        await client.post(f"/v1/handoff/{active['session_id']}/accept?agent_id=a", headers=ADMIN)
    ).status_code == 200

    later = time.time() + ctx.settings.session_idle_close_seconds + 5
    closed = await expire_sessions(ctx, now=later)
    assert closed == [bot["session_id"]]
    assert (await ctx.sessions.get(bot["session_id"])).status == "closed"  # the cache agrees with the store
    statuses = {r["id"]: r["status"] for r in await ctx.db.fetchall("SELECT id, status FROM sessions")}
    assert statuses == {
        bot["session_id"]: "closed",
        waiting["session_id"]: "pending_handoff",
        active["session_id"]: "human_active",
    }
    assert await expire_sessions(ctx, now=later) == []

    assert await flag_stale_pending(ctx) == []  # not waiting long enough yet
    stale_at = time.time() + ctx.settings.handoff_pending_alert_seconds + 1
    assert await flag_stale_pending(ctx, now=stale_at) == [waiting["session_id"]]
    assert await flag_stale_pending(ctx, now=stale_at + 60) == []  # flagged once per hand-off
    queue = (await client.get("/v1/queue", headers=ADMIN)).json()
    assert [s["stale"] for s in queue["pending"]] == [True]
    # A closed session that hears from its customer again becomes a bot conversation again.
    back = await client.post(
        "/v1/message", json={"session_id": bot["session_id"], "message": "مرحبا", "session_token": bot["session_token"]}
    )
    assert back.json()["status"] == "bot"
    jobs = ctx.jobs
    assert {"handoff.expire_sessions", "handoff.flag_stale_pending"} <= set(jobs.periodic())


class Receiver(BaseHTTPRequestHandler):
    """A loopback webhook receiver that records what it gets and answers ``status``."""

    received: list[tuple[dict[str, str], bytes]] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[Receiver]]]:
    handler = type("TestReceiver", (Receiver,), {"received": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    finally:
        server.shutdown()
        server.server_close()


async def test_escalation_webhook_is_signed_and_retried(data_dir, receiver):
    url, handler = receiver
    secret = "webhook-secret-for-tests"
    async with app_client(data_dir, ESCALATION_WEBHOOK_URL=url, ESCALATION_WEBHOOK_SECRET=secret) as (app, client):
        jobs = app.ctx.nura.jobs
        answer = await new_session(client, "أريد التحدث مع موظف")
        await jobs.run_pending()
        assert len(handler.received) == 1
        headers, body = handler.received[0]
        assert headers["x-nura-event"] == "handoff.started"
        assert verify(secret, headers["x-nura-timestamp"], body, headers["x-nura-signature"])
        assert not verify("other-secret", headers["x-nura-timestamp"], body, headers["x-nura-signature"])
        event = json.loads(body)
        assert event["event"] == "handoff.started"
        assert event["data"]["session_id"] == answer["session_id"] and event["data"]["reason"] == "explicit_request"
        assert event["data"]["offline"] is False and event["data"]["session"]["status"] == "pending_handoff"
        assert "token_hash" not in event["data"]["session"]

        # The receiver fails: the outbox row stays for a retry with the same delivery id.
        handler.status = 500
        await client.post("/v1/handoff/direct", json={"session_id": None})
        await jobs.run_pending()
        rows = await app.ctx.nura.db.fetchall(
            "SELECT status, attempts, last_error FROM outbox WHERE kind = 'handoff_started' ORDER BY id"
        )
        assert rows[0]["status"] == "done"
        assert rows[1]["status"] != "done" and rows[1]["attempts"] == 1 and "500" in rows[1]["last_error"]
        assert len(handler.received) == 2


async def test_widget_config_is_public(client):
    config = (await client.get("/v1/widget/config")).json()
    assert config["company_name"] == "Sanad Telecom" and config["agent_name"] == "Nura"
    assert config["business_open"] is True and config["business_hours"]["always_open"] is True
    assert config["agents_online"] == 0
