"""The WhatsApp Business (Cloud API) channel against a fake Graph API server on loopback: webhook
verification and signatures, answers through the pipeline, duplicates, the topic tree as lists,
media, hand-off both ways with agent replies, the 24-hour window and its template, delivery
statuses, retries through the outbox and the circuit breaker when the API is down."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import make_settings
from whatsapp_fake_api import FakeWhatsApp

from nura_appliance.channels.whatsapp import LIST_ROWS, list_message, mask_number, signature_valid
from nura_appliance.settings import Settings

VERIFY = "verify-token-for-tests-123"
API_KEY = {"Authorization": "Bearer change-me-api-key"}
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
def settings(data_dir: Path, fake_wa: FakeWhatsApp) -> Settings:
    return wa_settings(data_dir, fake_wa, WHATSAPP_TEMPLATE_NAME="support_reply", WHATSAPP_TEMPLATE_LANG="ar")


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
    return app.ctx.nura.services["whatsapp"].channel


async def contact(app: Any, wa_id: str = CUSTOMER) -> dict[str, Any]:
    return await app.ctx.nura.db.fetchone("SELECT * FROM whatsapp_contacts WHERE wa_id = ?", (wa_id,))


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

    async with running_app(make_settings(data_dir)) as (app, client):
        assert "whatsapp" not in app.ctx.nura.services
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
    sessions = await db.fetchall("SELECT * FROM sessions WHERE customer_id = ?", (f"wa:{CUSTOMER}",))
    assert len(sessions) == 1 and sessions[0]["channel"] == "whatsapp" and sessions[0]["message_count"] == 2
    logs = await db.fetchall("SELECT channel FROM conversation_logs")
    assert {r["channel"] for r in logs} == {"whatsapp"}
    row = await contact(app)
    assert row["session_id"] == sessions[0]["id"] and row["profile_name"] == "Customer" and row["lang"] == "ar"
    outbound = await db.fetchall("SELECT status, wa_message_id FROM whatsapp_outbound ORDER BY id")
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
