"""The WhatsApp Business (Cloud API) channel against a fake Graph API server on loopback: webhook
verification and signatures, answers through the pipeline, duplicates, the topic tree as lists,
media, hand-off both ways with agent replies, the 24-hour window and its template, delivery
statuses, retries through the outbox and the circuit breaker when the API is down."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import fetch_row, fetch_rows, initialised_copy, make_settings, run_sql, running_app, write_sql
from whatsapp_fake_api import FakeWhatsApp

from nura_appliance.channels.whatsapp import signature_valid
from nura_appliance.channels.whatsapp_outbound import LIST_ROWS, list_message, mask_number
from nura_appliance.settings import Settings

VERIFY = "verify-token-for-tests-123"
API_KEY = {"Authorization": "Bearer suite-api-key-Vb4Rz8Kq2Wn6Tx9M"}
CUSTOMER = "9647701234567"


@pytest.fixture
def fake_wa() -> Iterator[FakeWhatsApp]:
    fake = FakeWhatsApp().start()
    yield fake
    fake.stop()


def wa_settings(data_dir: Path, fake: FakeWhatsApp, **extra: Any) -> Settings:
    return make_settings(
        data_dir,
        WHATSAPP_TOKEN=fake.token,
        WHATSAPP_PHONE_NUMBER_ID=fake.phone_number_id,
        WHATSAPP_APP_SECRET=fake.app_secret,
        WHATSAPP_VERIFY_TOKEN=VERIFY,
        WHATSAPP_API_BASE=fake.base,
        **extra,
    )


@pytest.fixture
def settings(ready_data_dir: Path, fake_wa: FakeWhatsApp) -> Settings:
    return wa_settings(ready_data_dir, fake_wa, WHATSAPP_TEMPLATE_NAME="support_reply", WHATSAPP_TEMPLATE_LANG="ar")


async def post(
    client: httpx.AsyncClient, fake: FakeWhatsApp, body: dict[str, Any], *, signature: str | None = "good"
) -> httpx.Response:
    raw = json.dumps(body, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json"}
    if signature == "good":
        headers["X-Hub-Signature-256"] = fake.sign(raw)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return await client.post("/v1/whatsapp/webhook", content=raw, headers=headers)


async def say(client: httpx.AsyncClient, fake: FakeWhatsApp, *messages: dict[str, Any]) -> httpx.Response:
    resp = await post(client, fake, fake.notification(list(messages)))
    assert resp.status_code == 200, resp.text
    return resp


def channel_of(app: Any) -> Any:
    return app.ctx.nura.whatsapp.channel


async def contact(app: Any, wa_id: str = CUSTOMER) -> dict[str, Any]:
    return await fetch_row(app.ctx.nura.db, "SELECT * FROM whatsapp_contacts WHERE wa_id = ?", (wa_id,))


async def test_meta_verifies_the_webhook_address_with_the_verify_token(client: httpx.AsyncClient) -> None:
    args = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
    ok = await client.get("/v1/whatsapp/webhook", params=args)
    assert ok.status_code == 200 and ok.text == "1158201444"
    wrong = await client.get("/v1/whatsapp/webhook", params={**args, "hub.verify_token": "guess"})
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "whatsapp_verify_token_invalid"
    mode = await client.get("/v1/whatsapp/webhook", params={**args, "hub.mode": "unsubscribe"})
    assert mode.status_code == 403
    missing = await client.get("/v1/whatsapp/webhook", params={**args, "hub.challenge": ""})
    assert missing.status_code == 400


async def test_the_channel_is_off_without_its_settings(data_dir: Path) -> None:
    from conftest import running_app

    async with running_app(make_settings(initialised_copy(data_dir))) as (app, client):
        assert app.ctx.nura.whatsapp is None
        get = await client.get("/v1/whatsapp/webhook", params={"hub.mode": "subscribe", "hub.verify_token": ""})
        assert get.status_code == 404
        assert (await client.post("/v1/whatsapp/webhook", json={})).status_code == 404


def test_signature_is_hmac_sha256_of_the_raw_body() -> None:
    raw = '{"a": "ب"}'.encode()
    fake = FakeWhatsApp()
    try:
        assert signature_valid(fake.app_secret, raw, fake.sign(raw))
        assert not signature_valid(fake.app_secret, raw + b" ", fake.sign(raw))
        assert not signature_valid(fake.app_secret, raw, fake.sign(raw, "other-secret"))
        assert not signature_valid(fake.app_secret, raw, fake.sign(raw).removeprefix("sha256="))
        assert not signature_valid(fake.app_secret, raw, None)
        assert not signature_valid("", raw, fake.sign(raw, ""))
    finally:
        fake.server.server_close()
    assert mask_number(CUSTOMER) == "**********567"


async def test_posts_without_a_valid_signature_are_refused_and_do_nothing(
    client: httpx.AsyncClient, fake_wa: FakeWhatsApp, app: Any
) -> None:
    body = fake_wa.notification([fake_wa.text(CUSTOMER, "الإنترنت بطيء")])
    for signature in (None, "sha256=00", "md5=abc", fake_wa.sign(b"{}")):
        resp = await post(client, fake_wa, body, signature=signature)
        assert resp.status_code == 401 and resp.json()["error"]["code"] == "whatsapp_signature_invalid"
    other = json.dumps(body).encode()
    resp = await client.post(
        "/v1/whatsapp/webhook",
        content=other,
        headers={"X-Hub-Signature-256": fake_wa.sign(other, "someone-elses-secret")},
    )
    assert resp.status_code == 401
    assert fake_wa.sent == [] and await contact(app) is None
    raw = b"{not json"
    bad = await client.post(
        "/v1/whatsapp/webhook",
        content=raw,
        headers={"X-Hub-Signature-256": fake_wa.sign(raw), "Content-Type": "application/json"},
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_json"


async def test_a_text_is_answered_through_the_pipeline_once_per_message_id(
    client: httpx.AsyncClient, fake_wa: FakeWhatsApp, app: Any
) -> None:
    first = fake_wa.text(CUSTOMER, "الإنترنت بطيء جداً اليوم", message_id="wamid.in.1")
    resp = await say(client, fake_wa, first)
    assert resp.json()["messages"] == 1
    [answer] = fake_wa.to(CUSTOMER)
    assert answer["type"] == "interactive" and answer["interactive"]["type"] == "button"
    assert "*124#" in answer["interactive"]["body"]["text"]
    assert "📄 المصدر:" in answer["interactive"]["body"]["text"]
    assert [b["reply"]["id"] for b in answer["interactive"]["action"]["buttons"]] == ["m", "h"]
    # Blue ticks and the typing indicator for the customer's message.
    assert fake_wa.reads[0]["message_id"] == "wamid.in.1" and fake_wa.reads[0]["typing_indicator"]

    # Meta redelivers: answered once.
    again = await say(client, fake_wa, first)
    assert again.json()["duplicates"] == 1 and len(fake_wa.to(CUSTOMER)) == 1

    await say(client, fake_wa, fake_wa.text(CUSTOMER, "شكراً"))
    db = app.ctx.nura.db
    sessions = await fetch_rows(db, "SELECT * FROM sessions WHERE customer_id = ?", (f"wa:{CUSTOMER}",))
    assert len(sessions) == 1 and sessions[0]["channel"] == "whatsapp" and sessions[0]["message_count"] == 2
    logs = await fetch_rows(db, "SELECT channel FROM conversation_logs")
    assert {r["channel"] for r in logs} == {"whatsapp"}
    row = await contact(app)
    assert row["session_id"] == sessions[0]["id"] and row["profile_name"] == "Customer" and row["lang"] == "ar"
    outbound = await fetch_rows(db, "SELECT status, wa_message_id FROM whatsapp_outbound ORDER BY id")
    assert [r["status"] for r in outbound] == ["sent", "sent"]
    assert [r["wa_message_id"] for r in outbound] == [m["id"] for m in fake_wa.to(CUSTOMER)]


async def test_the_language_comes_from_the_text(client: httpx.AsyncClient, fake_wa: FakeWhatsApp, app: Any) -> None:
    await say(client, fake_wa, fake_wa.text("447700900123", "my internet is very slow today"))
    [answer] = fake_wa.to("447700900123")
    assert "Source:" in answer["interactive"]["body"]["text"]
    assert [b["reply"]["title"] for b in answer["interactive"]["action"]["buttons"]] == [
        "Main menu",
        "Talk to an agent",
    ]
    assert (await contact(app, "447700900123"))["lang"] == "en"


def test_list_rows_fit_the_cloud_api_limits() -> None:
    rows = [(f"a:{i}", "عنوان طويل جداً لموضوع في القائمة رقم " + str(i)) for i in range(12)]
    message = list_message("اختر", "اختر موضوعاً", rows)
    items = message["interactive"]["action"]["sections"][0]["rows"]
    assert len(items) == LIST_ROWS
    assert all(len(r["title"]) <= 24 and len(r.get("description", "")) <= 72 for r in items)
    assert items[0]["description"].startswith("عنوان طويل جداً")


def rows_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for s in message["interactive"]["action"]["sections"] for r in s["rows"]]


async def arrives(fake: FakeWhatsApp, wa_id: str, wanted: Any, timeout: float = 10.0) -> bool:
    """Whether a message whose text matches ``wanted`` reaches the fake API within ``timeout``."""
    for _ in range(int(timeout / 0.05)):
        if any(wanted(t) for t in fake.texts(wa_id)):
            return True
        await asyncio.sleep(0.05)
    return False


async def sent_count(fake: FakeWhatsApp, wa_id: str, count: int, timeout: float = 10.0) -> bool:
    for _ in range(int(timeout / 0.05)):
        if len(fake.to(wa_id)) >= count:
            await asyncio.sleep(0.1)  # nothing more on its way
            return len(fake.to(wa_id)) == count
        await asyncio.sleep(0.05)
    return False


async def test_the_topic_tree_as_lists_nested_levels_and_articles(
    client: httpx.AsyncClient, fake_wa: FakeWhatsApp, app: Any
) -> None:
    who = "447700900200"
    await say(client, fake_wa, fake_wa.text(who, "menu"))
    root = fake_wa.to(who)[-1]
    assert root["interactive"]["type"] == "list"
    assert "Sanad Telecom" in root["interactive"]["body"]["text"]
    ids = [r["id"] for r in rows_of(root)]
    assert ids[0] == "t:connectivity" and ids[-1] == "h" and len(ids) <= 10

    # A branch opens a further list with its children, the main menu and the agent row.
    await say(client, fake_wa, fake_wa.list_reply(who, "t:connectivity", "Network & internet"))
    await say(client, fake_wa, fake_wa.list_reply(who, "t:mobile-data", "Mobile internet"))
    branch = fake_wa.to(who)[-1]
    assert branch["interactive"]["body"]["text"] == "Mobile internet"
    assert [r["id"] for r in rows_of(branch)] == [
        "a:internet-slow",
        "a:no-connection",
        "a:apn-settings",
        "a:hotspot",
        "m",
        "h",
    ]
    # A leaf answers with its article, its source and the reply buttons.
    await say(client, fake_wa, fake_wa.list_reply(who, "a:internet-slow", "Slow internet"))
    article = fake_wa.to(who)[-1]["interactive"]
    assert "*124#" in article["body"]["text"] and article["body"]["text"].endswith("📄 Source: Slow mobile internet")
    clicks = await fetch_rows(app.ctx.nura.db, "SELECT * FROM tree_clicks WHERE channel = 'whatsapp'")
    assert [(c["article_id"], c["customer_id"]) for c in clicks] == [("internet-slow", f"wa:{who}")]
    await say(client, fake_wa, fake_wa.list_reply(who, "t:no-such-node"))
    assert fake_wa.texts(who)[-1] == "This topic isn't available right now."
    # The main-menu button goes back to the root list.
    await say(client, fake_wa, fake_wa.button_reply(who, "m", "Main menu"))
    assert [r["id"] for r in rows_of(fake_wa.to(who)[-1])] == ids


async def test_a_level_longer_than_ten_rows_continues_in_a_further_list(
    client: httpx.AsyncClient, fake_wa: FakeWhatsApp, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    children = [{"id": f"n{i}", "label": {"en": f"Topic number {i}"}, "article": "internet-slow"} for i in range(14)]

    async def tree() -> dict[str, Any]:
        return {"id": "root", "label": {"en": "All"}, "children": children}

    monkeypatch.setattr(app.ctx.nura.knowledge, "tree", tree)
    who = "447700900201"
    await say(client, fake_wa, fake_wa.text(who, "start"))
    first = rows_of(fake_wa.to(who)[-1])
    assert len(first) == 10 and first[-1]["id"] == "p::9" and first[-1]["title"] == "More…"
    await say(client, fake_wa, fake_wa.list_reply(who, "p::9", "More…"))
    second = fake_wa.to(who)[-1]
    assert second["interactive"]["body"]["text"] == "More topics:"
    # 14 topics + the agent row = 15 rows: 9 on the first list, the other 6 here; ids stay unique
    # although every topic opens the same article.
    assert [r["id"] for r in rows_of(second)] == [f"l:n{i}" for i in range(9, 14)] + ["h"]
    assert first[0]["id"] == "a:internet-slow" and first[1]["id"] == "l:n1"
    await say(client, fake_wa, fake_wa.list_reply(who, "l:n12", "Topic number 12"))
    assert "*124#" in fake_wa.texts(who)[-1]
    assert [r["title"] for r in rows_of(second)] == [f"Topic number {i}" for i in range(9, 14)] + ["Talk to an agent"]


async def test_handoff_both_ways_agent_replies_and_a_resolved_chat_starts_fresh(
    client: httpx.AsyncClient, fake_wa: FakeWhatsApp, app: Any
) -> None:
    who = "9647709000300"
    await say(client, fake_wa, fake_wa.text(who, "مرحبا"))
    await say(client, fake_wa, fake_wa.button_reply(who, "h", "التحدث مع موظف"))
    assert "موظف" in fake_wa.texts(who)[-1]
    session_id = (await contact(app, who))["session_id"]
    queue = (await client.get("/v1/queue", headers=API_KEY)).json()
    [waiting] = [s for s in queue["pending"] if s["session_id"] == session_id]
    assert waiting["channel"] == "whatsapp"
    assert waiting["customer"]["phone"] == f"+{who}" and waiting["customer"]["verified"] is True

    assert (await client.post(f"/v1/handoff/{session_id}/accept?agent_id=sara", headers=API_KEY)).status_code == 200
    resp = await client.post(
        f"/v1/session/{session_id}/agent-message",
        headers=API_KEY,
        json={"message": "أهلاً، أنا سارة. كيف أساعدك؟", "agent_name": "سارة"},
    )
    assert resp.status_code == 200, resp.text
    assert await arrives(fake_wa, who, lambda t: t == "👤 سارة: أهلاً، أنا سارة. كيف أساعدك؟")
    delivered = len(fake_wa.to(who))
    assert await channel_of(app).deliver_agent_replies() == 0  # nothing twice
    assert len(fake_wa.to(who)) == delivered

    # The customer's messages go to the agent; the bot stays quiet (and shows no "typing…").
    await say(client, fake_wa, fake_wa.text(who, "عندي مشكلة في الفاتورة", message_id="wamid.in.to-agent"))
    assert len(fake_wa.to(who)) == delivered
    [read] = [r for r in fake_wa.reads if r["message_id"] == "wamid.in.to-agent"]
    assert "typing_indicator" not in read
    turns = await fetch_rows(
        app.ctx.nura.db, "SELECT role, text FROM chat_turns WHERE session_id = ? ORDER BY id", (session_id,)
    )
    assert turns[-1] == {"role": "customer", "text": "عندي مشكلة في الفاتورة"}

    # The agent resolves: the customer is told once, and the next message starts a fresh bot session.
    outcome = {"status": "solved", "issue_category": "billing", "root_cause": "x", "resolution_notes": "y"}
    resolved = await client.post(f"/v1/handoff/{session_id}/resolve?agent_id=sara", headers=API_KEY, json=outcome)
    assert resolved.status_code == 200, resolved.text
    assert await arrives(fake_wa, who, lambda t: "تم إغلاق المحادثة" in t)
    await channel_of(app).deliver_agent_replies()
    assert sum("تم إغلاق المحادثة" in t for t in fake_wa.texts(who)) == 1
    await say(client, fake_wa, fake_wa.text(who, "الإنترنت بطيء جداً"))
    assert "*124#" in fake_wa.texts(who)[-1]
    fresh = (await contact(app, who))["session_id"]
    assert fresh != session_id
    row = await fetch_row(app.ctx.nura.db, "SELECT status, customer_id FROM sessions WHERE id = ?", (fresh,))
    assert row == {"status": "bot", "customer_id": f"wa:{who}"}


async def test_the_24_hour_window_refuses_free_replies_and_offers_the_template(
    client: httpx.AsyncClient, fake_wa: FakeWhatsApp, app: Any
) -> None:
    who = "9647709000400"
    await say(client, fake_wa, fake_wa.button_reply(who, "h", "التحدث مع موظف"))
    session_id = (await contact(app, who))["session_id"]
    assert (await client.post(f"/v1/handoff/{session_id}/accept?agent_id=sara", headers=API_KEY)).status_code == 200
    assert await sent_count(fake_wa, who, 2)  # the hand-off notice and the agent's joining
    info = (await client.get(f"/v1/whatsapp/sessions/{session_id}", headers=API_KEY)).json()
    assert info["window"]["open"] and 86000 < info["window"]["seconds_left"] <= 86400
    assert info["template"] == "support_reply"

    # 25 hours later the window is closed: the reply is refused loudly, nothing is stored.
    await write_sql(
        app.ctx.nura.db,
        "UPDATE whatsapp_contacts SET last_inbound_at = ? WHERE wa_id = ?",
        (time.time() - 25 * 3600, who),
    )
    before = len(fake_wa.to(who))
    refused = await client.post(
        f"/v1/session/{session_id}/agent-message", headers=API_KEY, json={"message": "هل ما زلت هناك؟"}
    )
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "whatsapp_window_closed" and error["details"]["template"] == "support_reply"
    assert error["details"]["window"]["open"] is False
    agent_turns = await fetch_rows(
        app.ctx.nura.db, "SELECT * FROM chat_turns WHERE session_id = ? AND role = 'agent'", (session_id,)
    )
    assert agent_turns == []
    info = (await client.get(f"/v1/whatsapp/sessions/{session_id}", headers=API_KEY)).json()
    assert info["window"]["open"] is False and info["window"]["seconds_left"] == 0

    # The agent sends the approved template instead.
    sent = await client.post(
        f"/v1/whatsapp/sessions/{session_id}/template", headers=API_KEY, json={"agent_name": "سارة"}
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["sent"] is True and sent.json()["message"]["status"] == "sent"
    template = fake_wa.to(who)[-1]
    assert len(fake_wa.to(who)) == before + 1
    assert template["type"] == "template" and template["template"]["name"] == "support_reply"
    assert template["template"]["language"] == {"code": "ar"}
    info = (await client.get(f"/v1/whatsapp/sessions/{session_id}", headers=API_KEY)).json()
    assert info["window"]["template_sent_at"] is not None

    # The customer answers the template: the window is open again and the agent can reply.
    await say(client, fake_wa, fake_wa.text(who, "نعم أنا هنا"))
    ok = await client.post(f"/v1/session/{session_id}/agent-message", headers=API_KEY, json={"message": "ممتاز"})
    assert ok.status_code == 200
    assert await arrives(fake_wa, who, lambda t: t.endswith("ممتاز"))

    # A window Meta still considers closed: the message fails for good with Meta's reason, no retry.
    fake_wa.close_window(who)
    await channel_of(app).send(who, session_id, [("text", {"type": "text", "text": {"body": "x"}})])
    row = await fetch_row(app.ctx.nura.db, "SELECT status, error FROM whatsapp_outbound ORDER BY id DESC LIMIT 1")
    assert row["status"] == "failed" and "131047" in row["error"]
    jobs = await fetch_rows(app.ctx.nura.db, "SELECT * FROM outbox WHERE kind = 'whatsapp_send'")
    assert jobs == []


async def test_template_route_without_a_template_or_for_a_web_session(data_dir: Path, fake_wa: FakeWhatsApp) -> None:
    from conftest import new_session, running_app

    async with running_app(wa_settings(initialised_copy(data_dir), fake_wa)) as (app, client):
        web = await new_session(client)
        missing = await client.post(f"/v1/whatsapp/sessions/{web['session_id']}/template", headers=API_KEY)
        assert missing.status_code == 409 and missing.json()["error"]["code"] == "whatsapp_no_template"
        assert (await client.get(f"/v1/whatsapp/sessions/{web['session_id']}", headers=API_KEY)).status_code == 404
        assert (await client.get(f"/v1/whatsapp/sessions/{web['session_id']}")).status_code == 401


async def test_delivery_statuses_are_recorded_and_never_go_backwards(
    client: httpx.AsyncClient, fake_wa: FakeWhatsApp, app: Any
) -> None:
    who = "9647709000500"
    await say(client, fake_wa, fake_wa.text(who, "مرحبا"))
    wamid = fake_wa.to(who)[-1]["id"]

    async def status(value: str, **extra: Any) -> None:
        note = {"id": wamid, "status": value, "timestamp": str(int(time.time())), "recipient_id": who, **extra}
        resp = await post(client, fake_wa, fake_wa.notification(statuses=[note]))
        assert resp.status_code == 200

    async def current() -> dict[str, Any]:
        return await fetch_row(
            app.ctx.nura.db, "SELECT status, error FROM whatsapp_outbound WHERE wa_message_id = ?", (wamid,)
        )

    await status("delivered")
    assert (await current())["status"] == "delivered"
    await status("read")
    await status("delivered")  # late and out of order
    assert (await current())["status"] == "read"
    await say(client, fake_wa, fake_wa.text(who, "شكراً"))
    wamid = fake_wa.to(who)[-1]["id"]
    await status("failed", errors=[{"code": 131026, "title": "Message undeliverable"}])
    assert await current() == {"status": "failed", "error": "131026 Message undeliverable"}


async def test_a_failed_send_is_retried_through_the_outbox_in_order(data_dir: Path, fake_wa: FakeWhatsApp) -> None:
    from conftest import running_app

    settings = wa_settings(data_dir, fake_wa, JOB_RETRY_DELAY_SECONDS=0)
    async with running_app(settings) as (app, client):
        jobs = app.ctx.nura.jobs
        who = "9647709000600"
        fake_wa.fail_next(500, 1, "An unknown error occurred")
        await say(client, fake_wa, fake_wa.text(who, "مرحبا"))
        assert fake_wa.to(who) == []
        rows = await fetch_rows(app.ctx.nura.db, "SELECT status, attempts, error FROM whatsapp_outbound")
        assert [(r["status"], r["attempts"]) for r in rows] == [("queued", 1)] and "500" in rows[0]["error"]
        [job] = await fetch_rows(app.ctx.nura.db, "SELECT * FROM outbox WHERE kind = 'whatsapp_send'")
        assert json.loads(job["payload"])["wa_id"] == who

        # Throttled once more (Meta's 130429: retryable, the API is there so the breaker stays closed).
        fake_wa.fail_next(429, 130429, "Rate limit hit")
        assert await jobs.run_pending() >= 1
        assert fake_wa.to(who) and channel_of(app).breaker.allows_traffic()
        # A second answer waits behind nothing now and goes straight out, after the first.
        await say(client, fake_wa, fake_wa.text(who, "الإنترنت بطيء جداً"))
        texts = fake_wa.texts(who)
        assert len(texts) == 2 and "*124#" in texts[1]
        rows = await fetch_rows(app.ctx.nura.db, "SELECT status, attempts FROM whatsapp_outbound ORDER BY id")
        assert [(r["status"], r["attempts"]) for r in rows] == [("sent", 3), ("sent", 1)]

        # A bad request is not retried: failed for good with Meta's reason.
        fake_wa.fail_next(400, 100, "Invalid parameter")
        await say(client, fake_wa, fake_wa.text(who, "شكراً"))
        last = await fetch_row(app.ctx.nura.db, "SELECT status, error FROM whatsapp_outbound ORDER BY id DESC LIMIT 1")
        assert last["status"] == "failed" and "Invalid parameter" in last["error"]
        assert (
            await fetch_rows(app.ctx.nura.db, "SELECT id FROM outbox WHERE kind = 'whatsapp_send' AND status != 'done'")
            == []
        )


async def test_the_provider_down_opens_the_breaker_and_messages_wait_for_it(
    data_dir: Path, fake_wa: FakeWhatsApp
) -> None:
    from conftest import running_app

    settings = wa_settings(data_dir, fake_wa, JOB_RETRY_DELAY_SECONDS=0)
    async with running_app(settings) as (app, client):
        jobs = app.ctx.nura.jobs
        channel = channel_of(app)
        who = "9647709000700"
        fake_wa.down = True
        first = await say(client, fake_wa, fake_wa.text(who, "مرحبا"))
        assert first.json()["messages"] == 1  # Meta gets its 200 and does not redeliver
        assert channel.breaker.snapshot().state == "open"
        calls = len(fake_wa.calls)
        # While the breaker is open nothing calls the API: the answers queue up in order.
        await say(client, fake_wa, fake_wa.text(who, "الإنترنت بطيء جداً"))
        await say(client, fake_wa, fake_wa.text(who, "شكراً"))
        assert len(fake_wa.calls) == calls
        queued = await fetch_rows(app.ctx.nura.db, "SELECT status FROM whatsapp_outbound ORDER BY id")
        assert [r["status"] for r in queued] == ["queued"] * 3
        health = (await client.get("/v1/health", headers=API_KEY)).json()
        assert health["status"] == "degraded"
        assert health["components"]["whatsapp"] | {"last_error": None} == {
            "ok": False,
            "breaker": "open",
            "last_error": None,
            "waiting": 3,
            "failed": 0,
        }
        metrics = (await client.get("/v1/metrics", headers=API_KEY)).text
        assert 'nura_whatsapp_messages{status="queued"} 3.0' in metrics
        # The outbox retries: still open (cooling down), the job fails and is rescheduled.
        await jobs.run_pending(limit=3)
        assert len(fake_wa.calls) == calls
        failed = await fetch_rows(
            app.ctx.nura.db, "SELECT attempts, last_error FROM outbox WHERE kind = 'whatsapp_send'"
        )
        assert failed and all("circuit breaker open" in (r["last_error"] or "") for r in failed)

        # The API is back and the cool-down has passed: one job probes, the breaker closes, and the
        # three answers go out in the order they were given.
        fake_wa.down = False
        channel.breaker.open_until = channel.breaker.clock() - 1
        await jobs.run_pending()
        texts = fake_wa.texts(who)
        assert len(texts) == 3 and "*124#" in texts[1]
        assert channel.breaker.snapshot().state == "closed"
        rows = await fetch_rows(app.ctx.nura.db, "SELECT status FROM whatsapp_outbound ORDER BY id")
        assert [r["status"] for r in rows] == ["sent"] * 3


async def test_photos_and_documents_through_the_media_endpoint(
    client: httpx.AsyncClient, fake_wa: FakeWhatsApp, app: Any
) -> None:
    import io

    from PIL import Image

    image = Image.new("RGB", (80, 40), (0, 90, 200))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (33.0, 18.0, 54.0)}
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    who = "9647709000800"
    media_id = fake_wa.add_media(buffer.getvalue(), "image/jpeg")
    photo = fake_wa.message(who, "image", {"id": media_id, "mime_type": "image/jpeg", "caption": "ظهر الشريحة"})
    await say(client, fake_wa, photo)
    reply = fake_wa.to(who)[-1]
    assert "موظف" in reply["interactive"]["body"]["text"]
    assert [b["reply"]["id"] for b in reply["interactive"]["action"]["buttons"]] == ["h"]
    session_id = (await contact(app, who))["session_id"]
    service = app.ctx.nura.attachments
    [stored] = await service.store.for_session(session_id)
    assert stored.kind == "jpeg" and stored.channel == "whatsapp"
    assert Image.open(io.BytesIO(await service.read_bytes(stored))).getexif() == {}  # location data gone
    turns = await fetch_rows(
        app.ctx.nura.db, "SELECT role, text FROM chat_turns WHERE session_id = ? ORDER BY id", (session_id,)
    )
    assert turns[0] == {"role": "customer", "text": "ظهر الشريحة"}

    # Not a photo or PDF: refused with the reason, nothing fetched or stored.
    exe = fake_wa.add_media(b"MZ\x90\x00", "application/x-msdownload")
    fetched = len(fake_wa.calls)
    doc = {"id": exe, "filename": "setup.exe", "mime_type": "application/x-msdownload"}
    await say(client, fake_wa, fake_wa.message(who, "document", doc))
    assert "PDF" in fake_wa.texts(who)[-1]
    assert not any(path.endswith(exe) for _, path in fake_wa.calls[fetched:])
    # A PDF is stored; an unknown media id is answered, not a crash.
    pdf = fake_wa.add_media(
        b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n", "application/pdf"
    )
    await say(
        client,
        fake_wa,
        fake_wa.message(who, "document", {"id": pdf, "filename": "bill.pdf", "mime_type": "application/pdf"}),
    )
    assert [r.kind for r in await service.store.for_session(session_id)] == ["jpeg", "pdf"]
    await say(client, fake_wa, fake_wa.message(who, "image", {"id": "404404", "mime_type": "image/jpeg"}))
    assert "أرسل نصاً أقصر" in fake_wa.texts(who)[-1] or "تعذّرت" in fake_wa.texts(who)[-1]


async def test_without_attachments_a_file_is_acknowledged_and_handed_to_a_person(
    data_dir: Path, fake_wa: FakeWhatsApp
) -> None:
    from conftest import running_app

    async with running_app(wa_settings(initialised_copy(data_dir), fake_wa, ATTACHMENTS_ENABLED=False)) as (
        app,
        client,
    ):
        who = "9647709000900"
        media_id = fake_wa.add_media(b"\xff\xd8\xff", "image/jpeg")
        await say(client, fake_wa, fake_wa.message(who, "image", {"id": media_id, "mime_type": "image/jpeg"}))
        texts = fake_wa.texts(who)
        assert texts[0] == "وصل ملفك. سيطّلع عليه أحد الموظفين." and "موظف" in texts[1]
        session_id = (await contact(app, who))["session_id"]
        queue = (await client.get("/v1/queue", headers=API_KEY)).json()
        assert session_id in [s["session_id"] for s in queue["pending"]]


async def test_a_location_goes_to_the_agent_or_is_noted_with_the_offer_of_one(
    client: httpx.AsyncClient, fake_wa: FakeWhatsApp, app: Any
) -> None:
    who = "9647709001000"
    place = {"latitude": 33.312805, "longitude": 44.361488, "name": "Sanad shop", "address": "Karrada, Baghdad"}
    await say(client, fake_wa, fake_wa.message(who, "location", place))
    noted = fake_wa.to(who)[-1]["interactive"]
    assert noted["body"]["text"].startswith("وصلنا موقعك")
    assert [b["reply"]["id"] for b in noted["action"]["buttons"]] == ["h"]
    await say(client, fake_wa, fake_wa.button_reply(who, "h"))
    session_id = (await contact(app, who))["session_id"]
    await say(client, fake_wa, fake_wa.message(who, "location", place))
    turns = await fetch_rows(
        app.ctx.nura.db, "SELECT role, text FROM chat_turns WHERE session_id = ? ORDER BY id", (session_id,)
    )
    assert turns[-1]["role"] == "customer"
    assert turns[-1]["text"].startswith("📍 33.312805, 44.361488 (Sanad shop — Karrada, Baghdad)")
    assert "maps.google.com/?q=33.312805,44.361488" in turns[-1]["text"]
    # A voice note or a sticker: asked for text.
    await say(client, fake_wa, fake_wa.message(who, "sticker", {"id": "1", "mime_type": "image/webp"}))
    assert fake_wa.texts(who)[-1].startswith("أستطيع قراءة الرسائل النصية فقط")


async def test_a_number_flooding_messages_is_limited_like_a_web_session(data_dir: Path, fake_wa: FakeWhatsApp) -> None:
    from conftest import running_app

    async with running_app(wa_settings(initialised_copy(data_dir), fake_wa, RATE_LIMIT_MESSAGES_PER_MINUTE=3)) as (
        app,
        client,
    ):
        who = "9647709001100"
        for i in range(6):
            await say(client, fake_wa, fake_wa.text(who, f"مرحبا {i}"))
        texts = fake_wa.texts(who)
        assert texts[-1] == "رسائل كثيرة خلال وقت قصير. انتظر دقيقة ثم أعد المحاولة من فضلك."
        # Like the web: the message that opens the session is not in the session's budget, then three
        # answers, then one notice; the sixth message is dropped silently.
        assert len(texts) == 5
        logged = await fetch_row(
            app.ctx.nura.db, "SELECT count(*) AS n FROM conversation_logs WHERE channel = 'whatsapp'"
        )
        assert logged["n"] == 4
        limited = await fetch_rows(app.ctx.nura.db, "SELECT * FROM security_logs WHERE event = 'rate_limited'")
        assert len(limited) == 1


async def test_a_whole_conversation_tree_answer_handoff_and_agent_reply(
    client: httpx.AsyncClient, fake_wa: FakeWhatsApp, app: Any
) -> None:
    """Done-when of issue 21: the tree, a free-text answer, a hand-off and an agent reply."""
    who = "9647709001200"
    await say(client, fake_wa, fake_wa.text(who, "القائمة"))
    assert fake_wa.to(who)[-1]["interactive"]["type"] == "list"
    await say(client, fake_wa, fake_wa.list_reply(who, "t:sim"))
    await say(client, fake_wa, fake_wa.list_reply(who, "a:esim"))
    assert "📄 المصدر:" in fake_wa.texts(who)[-1]
    await say(client, fake_wa, fake_wa.text(who, "كيف أعرف رصيدي؟"))
    answer = fake_wa.texts(who)[-1]
    assert "📄 المصدر:" in answer or "📘" in answer
    await say(client, fake_wa, fake_wa.button_reply(who, "h", "التحدث مع موظف"))
    session_id = (await contact(app, who))["session_id"]
    assert (await client.post(f"/v1/handoff/{session_id}/accept?agent_id=sara", headers=API_KEY)).status_code == 200
    reply = await client.post(
        f"/v1/session/{session_id}/agent-message", headers=API_KEY, json={"message": "سأفعّل لك الشريحة الآن"}
    )
    assert reply.status_code == 200
    assert await arrives(fake_wa, who, lambda t: t.endswith("سأفعّل لك الشريحة الآن"))
    await say(client, fake_wa, fake_wa.text(who, "شكراً جزيلاً"))
    detail = (await client.get(f"/v1/sessions/{session_id}", headers=API_KEY)).json()
    roles = [m["role"] for m in detail["messages"]]
    assert roles.count("customer") >= 2 and roles[-1] == "customer" and "agent" in roles
    assert detail["session"]["channel"] == "whatsapp"
    statuses = await fetch_rows(
        app.ctx.nura.db, "SELECT DISTINCT status FROM whatsapp_outbound WHERE wa_id = ?", (who,)
    )
    assert {r["status"] for r in statuses} == {"sent"}


@pytest.fixture(params=["sqlite", "postgres_redis"])
def backend(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    from test_store_contract import scale_backends

    if request.param == "sqlite":
        yield {}
        return
    with scale_backends() as env:
        yield env


async def test_the_whatsapp_store_on_both_backends(data_dir: Path, backend: dict[str, str]) -> None:
    from test_store_contract import backend_settings

    from nura_appliance.context import build_context

    ctx = build_context(backend_settings(data_dir, backend))
    try:
        store = ctx.stores.whatsapp  # the backend's own store (native SQL on PostgreSQL)
        session, token = ctx.sessions.new(customer_id=f"wa:{CUSTOMER}", channel="whatsapp", lang="ar")
        await ctx.sessions.create(session)
        await store.remember(CUSTOMER, session_id=None, token=None, lang="ar", profile_name="Ali", inbound_at=100.0)
        await store.remember(CUSTOMER, session_id=session.id, token=token, lang="ckb")
        row = await store.contact(CUSTOMER)
        assert (row["session_id"], row["lang"], row["profile_name"], row["last_inbound_at"]) == (
            session.id,
            "ckb",
            "Ali",
            100.0,
        )
        assert (await store.contact_of_session(session.id))["wa_id"] == CUSTOMER
        assert await store.first_time("wamid.1", CUSTOMER) and not await store.first_time("wamid.1", CUSTOMER)
        assert await store.forget_inbound_before(time.time() + 1) == 1

        ids = await store.queue(CUSTOMER, session.id, [("text", {"n": 1}), ("list", {"n": "ب"})])
        assert ids == sorted(ids) and await store.waiting(CUSTOMER) == ids
        first = await store.claim(ids[0], 60)
        assert first is not None and first["attempts"] == 1 and json.loads(first["payload"]) == {"n": 1}
        assert await store.claim(ids[0], 60) is None  # held
        assert await store.claim(ids[1], 60) is None  # an older message of the number is being sent
        assert await store.waiting(CUSTOMER) == ids[1:]
        assert await store.waiting(CUSTOMER, now=time.time() + 120) == ids  # its lease ran out
        await store.sent(ids[0], "wamid.out.1")
        assert await store.status("wamid.out.1", "read") and not await store.status("wamid.out.1", "delivered")
        assert not await store.status("wamid.unknown", "read")
        await store.claim(ids[1], 60)
        await store.unsent(ids[1], "500 try again", final=False)
        assert await store.waiting(CUSTOMER, up_to=ids[1]) == [ids[1]]
        assert await store.give_up(CUSTOMER, ids[1], "gave up") == 1
        assert await store.counts() == {"read": 1, "failed": 1}
        listed = await store.messages(session_id=session.id)
        assert [m["status"] for m in listed] == ["failed", "read"]

        def agent_turn(conn: Any) -> None:
            run_sql(
                conn,
                "INSERT INTO chat_turns (session_id, role, text, created_at, meta) VALUES (?, 'agent', 'hi', ?, '{}')",
                (session.id, time.time()),
            )
            run_sql(
                conn,
                "INSERT INTO chat_turns (session_id, role, text, created_at, meta) VALUES (?, 'system', 's', ?, ?)",
                (session.id, time.time(), json.dumps({"kind": "status"})),
            )

        await ctx.db.write(agent_turn)
        pending = await store.pending_turns(0.0)
        assert [p["role"] for p in pending] == ["agent", "system"]
        assert await store.claim_turn(CUSTOMER, pending[0]["id"])
        assert not await store.claim_turn(CUSTOMER, pending[0]["id"])
        assert [p["role"] for p in await store.pending_turns(0.0)] == ["system"]
    finally:
        ctx.close()


async def test_statuses_before_the_id_is_saved_are_applied_once_it_is(
    data_dir: Path, fake_wa: FakeWhatsApp, backend: dict[str, str]
) -> None:
    """Meta can post a message's statuses before the send job saved its id (the fake Graph API holds
    its answer here): they are kept and applied once the id is saved, the furthest one winning."""
    who_early = "9647709002100"
    values = {k: v for k, v in backend.items() if k.startswith("NURA_")}
    folder = data_dir if values else initialised_copy(data_dir)
    settings = wa_settings(folder, fake_wa, LOAD_DEFAULT_KNOWLEDGE=True, **values)
    async with running_app(settings) as (app, client):
        db = app.ctx.nura.db
        assert getattr(db, "dialect", "sqlite") == ("postgres" if values else "sqlite")
        fake_wa.hold_replies = held = threading.Event()
        answering = asyncio.create_task(post(client, fake_wa, fake_wa.notification([fake_wa.text(who_early, "مرحبا")])))
        try:
            for _ in range(400):  # the answer reached Meta; our send call still waits for its reply
                if fake_wa.to(who_early):
                    break
                await asyncio.sleep(0.05)
            wamid = fake_wa.to(who_early)[0]["id"]

            async def status(value: str) -> dict[str, Any]:
                note = {"id": wamid, "status": value, "timestamp": str(int(time.time())), "recipient_id": who_early}
                resp = await post(client, fake_wa, fake_wa.notification(statuses=[note]))
                assert resp.status_code == 200, resp.text
                return dict(resp.json())

            for value in ("sent", "delivered", "read", "delivered"):  # the last one late, out of order
                assert (await status(value))["statuses"] == 0  # no message has the id yet: kept
            row = await fetch_row(db, "SELECT status, wa_message_id FROM whatsapp_outbound ORDER BY id LIMIT 1")
            assert row == {"status": "sending", "wa_message_id": None}
        finally:
            held.set()
        assert (await answering).status_code == 200
        row = await fetch_row(db, "SELECT status FROM whatsapp_outbound WHERE wa_message_id = ?", (wamid,))
        assert row == {"status": "read"}  # not "delivered": the late one did not win
        assert (await fetch_row(db, "SELECT count(*) AS n FROM whatsapp_early_statuses"))["n"] == 0
        assert (await status("delivered"))["statuses"] == 0  # saved now, and still never backwards
        assert (await fetch_row(db, "SELECT status FROM whatsapp_outbound WHERE wa_message_id = ?", (wamid,))) == {
            "status": "read"
        }


def test_doctor_masks_the_whatsapp_secrets_and_says_what_is_missing(data_dir: Path, fake_wa: FakeWhatsApp) -> None:
    from nura_appliance.ops.doctor import diagnose

    report = diagnose(wa_settings(data_dir, fake_wa))
    text = json.dumps(report, default=str)
    for secret in (fake_wa.token, fake_wa.app_secret, VERIFY):
        assert secret not in text
    assert report["settings"]["WHATSAPP_PHONE_NUMBER_ID"] == fake_wa.phone_number_id
    assert report["checks"]["whatsapp"]["ok"] and "…2922" in report["checks"]["whatsapp"]["detail"]
    partial = diagnose(make_settings(data_dir, WHATSAPP_TOKEN="EAAG-partial-secret"))
    assert partial["checks"]["whatsapp"] == {
        "ok": False,
        "detail": "incomplete: WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN not set"
        " (the channel stays off)",
    }
    assert "EAAG-partial-secret" not in json.dumps(partial, default=str)
    assert "whatsapp" not in diagnose(make_settings(data_dir))["checks"]


async def test_an_agents_photo_and_pdf_are_uploaded_and_sent(
    client: httpx.AsyncClient, fake_wa: FakeWhatsApp, app: Any
) -> None:
    import io

    from PIL import Image

    who = "9647709001300"
    await say(client, fake_wa, fake_wa.button_reply(who, "h", "التحدث مع موظف"))
    session_id = (await contact(app, who))["session_id"]
    assert (await client.post(f"/v1/handoff/{session_id}/accept?agent_id=sara", headers=API_KEY)).status_code == 200
    assert await sent_count(fake_wa, who, 2)
    png = io.BytesIO()
    Image.new("RGB", (30, 30), (250, 200, 0)).save(png, format="PNG")
    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    resp = await client.post(
        f"/v1/session/{session_id}/agent-attachments?agent_id=sara",
        files=[("file", ("steps.png", png.getvalue(), "image/png")), ("file", ("bill.pdf", pdf, "application/pdf"))],
        data={"caption": "اتبع هذه الخطوات"},
        headers=API_KEY,
    )
    assert resp.status_code == 200, resp.text
    assert await sent_count(fake_wa, who, 4)
    image, document = fake_wa.to(who)[-2:]
    assert image["type"] == "image" and image["image"]["caption"].endswith("اتبع هذه الخطوات")
    assert document["type"] == "document" and document["document"]["filename"] == "bill.pdf"
    assert "caption" not in document["document"]
    uploaded = fake_wa.uploads[image["image"]["id"]]
    assert uploaded["file"]["data"].startswith(b"\x89PNG") and uploaded["type"] == "image/png"
    assert fake_wa.uploads[document["document"]["id"]]["file"]["data"] == pdf


def test_button_and_list_labels_fit_whatsapps_limits_in_every_language() -> None:
    from nura_appliance.channels.whatsapp import TEXTS, wa_text
    from nura_appliance.channels.whatsapp_outbound import buttons_message
    from nura_appliance.languages import LANGS

    for lang in LANGS:
        for key, limit in (("agent_button", 20), ("menu_button", 20), ("list_button", 20), ("more_row", 24)):
            assert len(TEXTS[key][lang]) <= limit, (key, lang)
        # Nothing is cut: the buttons show the whole label.
        message = buttons_message("x", [("m", wa_text("menu_button", lang)), ("h", wa_text("agent_button", lang))])
        titles = [b["reply"]["title"] for b in message["interactive"]["action"]["buttons"]]
        assert titles == [TEXTS["menu_button"][lang], TEXTS["agent_button"][lang]]
        assert all(TEXTS[key].get(lang) for key in TEXTS)


async def test_a_conversation_on_postgresql_and_redis(data_dir: Path, fake_wa: FakeWhatsApp) -> None:
    """The channel's SQL on the scale-out backends: an answer, a duplicate, a hand-off with an agent
    reply, a delivery status."""
    from conftest import running_app
    from test_store_contract import scale_backends

    with scale_backends() as env:
        values = {k: v for k, v in env.items() if k.startswith("NURA_")}
        settings = wa_settings(data_dir, fake_wa, LOAD_DEFAULT_KNOWLEDGE=True, **values)
        async with running_app(settings) as (app, client):
            assert app.ctx.nura.db.dialect == "postgres"
            who = "9647709001400"
            first = fake_wa.text(who, "الإنترنت بطيء جداً اليوم")
            await say(client, fake_wa, first)
            assert (await say(client, fake_wa, first)).json()["duplicates"] == 1
            assert "*124#" in fake_wa.texts(who)[-1]
            await say(client, fake_wa, fake_wa.button_reply(who, "h"))
            session_id = (await contact(app, who))["session_id"]
            accepted = await client.post(f"/v1/handoff/{session_id}/accept?agent_id=sara", headers=API_KEY)
            assert accepted.status_code == 200, accepted.text
            reply = await client.post(
                f"/v1/session/{session_id}/agent-message", headers=API_KEY, json={"message": "مرحباً من سارة"}
            )
            assert reply.status_code == 200, reply.text
            assert await arrives(fake_wa, who, lambda t: t.endswith("مرحباً من سارة"))
            wamid = fake_wa.to(who)[-1]["id"]

            async def outbound_status() -> str | None:
                row = await fetch_row(
                    app.ctx.nura.db, "SELECT status FROM whatsapp_outbound WHERE wa_message_id = ?", (wamid,)
                )
                return row["status"] if row else None

            # The agent's reply goes out from a job, which records Meta's message id once the send
            # returned: the fake has the message a moment before that. Waiting keeps this test on the
            # plain path (a status that comes first is kept and applied when the id is saved:
            # test_statuses_before_the_id_is_saved_are_applied_once_it_is).
            for _ in range(200):
                if await outbound_status() == "sent":
                    break
                await asyncio.sleep(0.05)
            assert await outbound_status() == "sent"
            note = {"id": wamid, "status": "read", "timestamp": str(int(time.time())), "recipient_id": who}
            await post(client, fake_wa, fake_wa.notification(statuses=[note]))
            assert await outbound_status() == "read"


async def test_purge_removes_old_whatsapp_rows_but_not_queued_messages(
    client: httpx.AsyncClient, fake_wa: FakeWhatsApp, app: Any
) -> None:
    from nura_appliance.ops.retention import plan, purge

    who = "9647709001500"
    await say(client, fake_wa, fake_wa.text(who, "مرحبا"))
    fake_wa.down = True
    await say(client, fake_wa, fake_wa.text(who, "شكراً"))  # stays queued: the API is down
    db = app.ctx.nura.db
    old = time.time() - 100 * 86400
    await write_sql(db, "UPDATE whatsapp_outbound SET created_at = ?", (old,))
    await write_sql(db, "UPDATE whatsapp_inbound SET received_at = ?", (old,))
    counts = await purge(app.ctx.nura.stores.retention, plan("90d"))
    assert counts["whatsapp_outbound"] == 1 and counts["whatsapp_inbound"] == 2
    left = await fetch_rows(db, "SELECT status FROM whatsapp_outbound")
    assert [r["status"] for r in left] == ["queued"]


async def test_a_numbers_messages_keep_their_order_across_senders(
    client: httpx.AsyncClient, fake_wa: FakeWhatsApp, app: Any
) -> None:
    """Another process is sending this number's older message: a second sender sends nothing after
    it, and the first goes on with the newer ones once its own is out."""
    channel = channel_of(app)
    who = "9647709001600"
    ids = await channel.store.queue(
        who, None, [("text", {"type": "text", "text": {"body": f"answer {i}"}}) for i in range(3)]
    )
    held = await channel.store.claim(ids[0], 60)  # the other process, mid-send
    assert held is not None
    assert await channel.deliver(who, ids[-1]) is True
    assert fake_wa.to(who) == []
    await channel.store.sent(ids[0], "wamid.out.elsewhere")  # the other process's send went out
    assert await channel.deliver(who, ids[0]) is True  # and it looks again: the rest, in order
    assert fake_wa.texts(who) == ["answer 1", "answer 2"]


def _junk(rng: Any, depth: int = 0) -> Any:
    """A random JSON value (seeded): what a broken or hostile sender might put in any field."""
    kinds = ["str", "int", "float", "bool", "none", "list", "dict"] if depth < 3 else ["str", "int", "none"]
    kind = rng.choice(kinds)
    if kind == "str":
        return rng.choice(["", "x", "مرحبا", "a" * 5000, "\u202e\x00", "t:", "p::x", "a:", "l:none", "h", "m"])
    if kind == "int":
        return rng.choice([0, -1, 2**53, 7])
    if kind == "float":
        return rng.choice([1e308, -0.0, 33.3])
    if kind == "bool":
        return rng.choice([True, False])
    if kind == "none":
        return None
    if kind == "list":
        return [_junk(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    keys = ["body", "id", "type", "list_reply", "button_reply", "latitude", "longitude", "mime_type", "caption"]
    return {rng.choice(keys): _junk(rng, depth + 1) for _ in range(rng.randint(0, 4))}


async def test_malformed_notifications_are_answered_200_and_never_crash_the_handler(
    client: httpx.AsyncClient, fake_wa: FakeWhatsApp, app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    import logging
    import os
    import random

    rng = random.Random(21)
    kinds = ["text", "interactive", "button", "image", "document", "location", "sticker", "reaction", "weird"]
    bodies: list[Any] = [
        {},
        {"object": "page"},
        {"entry": "x"},
        {"entry": [None, 1, {"changes": "x"}, {"changes": [None, {"value": []}]}]},
        fake_wa.notification(statuses=[{"id": None, "status": 5}, "x"]),
    ]
    for _ in range(int(os.environ.get("WA_JUNK", "60"))):
        message = {"from": rng.choice([CUSTOMER, "", 5, None]), "id": f"wamid.junk.{rng.random()}"}
        kind = rng.choice(kinds)
        message.update({"type": rng.choice([kind, _junk(rng)]), kind: _junk(rng)})
        bodies.append(fake_wa.notification([message]))
    caplog.set_level(logging.WARNING, logger="nura_appliance")
    for body in bodies:
        resp = await post(client, fake_wa, body)
        assert resp.status_code == 200, (body, resp.text)
    crashes = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert crashes == [], [r.getMessage() for r in crashes][:3]


async def test_metas_signed_calls_are_not_held_to_the_per_ip_limit_but_unsigned_ones_are(
    data_dir: Path, fake_wa: FakeWhatsApp
) -> None:
    """Meta posts every customer's messages from a few addresses: a busy number must not be
    throttled per IP (signed calls are limited per number instead); unsigned calls are."""
    from conftest import running_app

    async with running_app(wa_settings(initialised_copy(data_dir), fake_wa, RATE_LIMIT_IP_PER_MINUTE=5)) as (
        _app,
        client,
    ):
        note = fake_wa.notification(statuses=[{"id": "wamid.x", "status": "read"}])
        for _ in range(12):
            assert (await post(client, fake_wa, note)).status_code == 200
        codes = [(await post(client, fake_wa, note, signature="sha256=00")).status_code for _ in range(7)]
        assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
        assert (await post(client, fake_wa, note)).status_code == 200


def test_the_template_carries_its_language_and_filled_parameters(data_dir: Path, fake_wa: FakeWhatsApp) -> None:
    from types import SimpleNamespace

    from nura_appliance.channels.whatsapp_outbound import WhatsAppOutbound

    settings = wa_settings(
        data_dir,
        fake_wa,
        WHATSAPP_TEMPLATE_NAME="support_reply",
        WHATSAPP_TEMPLATE_LANG="en_US",
        WHATSAPP_TEMPLATE_PARAMS="{company_name}, {agent_name} from {company_name}",
        COMPANY_NAME="Sanad Telecom",
    )
    message = WhatsAppOutbound.template_message(SimpleNamespace(settings=settings), "Sara")  # type: ignore[arg-type]
    assert message == {
        "type": "template",
        "template": {
            "name": "support_reply",
            "language": {"code": "en_US"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Sanad Telecom"},
                        {"type": "text", "text": "Sara from Sanad Telecom"},
                    ],
                }
            ],
        },
    }
    bare = wa_settings(data_dir, fake_wa, WHATSAPP_TEMPLATE_NAME="hello_world", WHATSAPP_TEMPLATE_LANG="ar")
    assert "components" not in WhatsAppOutbound.template_message(SimpleNamespace(settings=bare), None)["template"]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "lang", "menu"),
    [
        ("ئینتەرنێتەکەم زۆر خاوە", "ckb", "لیستی سەرەکی"),
        ("Înterneta min pir hêdî ye", "ku", "Menuya sereke"),
    ],
)
async def test_a_new_number_in_kurdish_is_answered_in_its_language(
    client: httpx.AsyncClient, fake_wa: FakeWhatsApp, app: Any, text: str, lang: str, menu: str
) -> None:
    who = "9647709001700"
    await say(client, fake_wa, fake_wa.text(who, text))
    assert (await contact(app, who))["lang"] == lang
    answer = fake_wa.to(who)[-1]
    assert answer["interactive"]["action"]["buttons"][0]["reply"]["title"] == menu
