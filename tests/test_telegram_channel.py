"""The Telegram channel against a fake Bot API server on loopback: webhook mode, the topic tree
as inline keyboards, answers with source labels, hand-off with agent replies delivered back,
resolved chats starting fresh, and the Bot API's errors."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import make_settings
from telegram_fake_api import FakeTelegram

from nura_appliance.channels.telegram import split_text
from nura_appliance.channels.telegram_api import TelegramApi, TelegramError
from nura_appliance.settings import Settings

SECRET = "webhook-secret-value-123"
API_KEY = {"Authorization": "Bearer suite-api-key-Vb4Rz8Kq2Wn6Tx9M"}


@pytest.fixture
def fake_tg() -> Iterator[FakeTelegram]:
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


@pytest.fixture
def settings(ready_data_dir: Path, fake_tg: FakeTelegram) -> Settings:
    # Business hours empty: always open, so a hand-off queues the chat instead of going offline.
    return make_settings(
        ready_data_dir,
        TELEGRAM_BOT_TOKEN=fake_tg.token,
        TELEGRAM_API_BASE=fake_tg.url,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        BUSINESS_HOURS="",
    )


async def hook(
    client: httpx.AsyncClient, update: dict[str, Any], *, secret: str = SECRET, header: str | None = SECRET
) -> httpx.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": header} if header is not None else {}
    return await client.post(f"/v1/telegram/webhook/{secret}", json=update, headers=headers)


async def arrives(fake: FakeTelegram, wanted: Any, timeout: float = 10.0) -> bool:
    """Whether a message matching ``wanted`` reaches the fake Bot API within ``timeout``."""
    for _ in range(int(timeout / 0.05)):
        if any(wanted(m["text"]) for m in fake.sent):
            return True
        await asyncio.sleep(0.05)
    return False


def channel_of(app: Any) -> Any:
    return app.ctx.nura.telegram.channel


async def test_webhook_needs_the_secret_path_and_header(client: httpx.AsyncClient, fake_tg: FakeTelegram) -> None:
    update = fake_tg.text_update(42, "/start")
    assert (await hook(client, update, secret="wrong-secret-value-xx")).status_code == 401
    assert (await hook(client, update, header="wrong")).status_code == 401
    assert (await hook(client, update, header=None)).status_code == 401
    resp = await client.post(
        f"/v1/telegram/webhook/{SECRET}",
        content=b"{not json",
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
    )
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "invalid_json"
    assert fake_tg.sent == []
    ok = await hook(client, update)
    assert ok.status_code == 200 and ok.json() == {"ok": True}
    assert len(fake_tg.sent) == 1


async def test_start_shows_the_topic_tree_and_buttons_answer_with_articles(
    client: httpx.AsyncClient, fake_tg: FakeTelegram, app: Any
) -> None:
    await hook(client, fake_tg.text_update(42, "/start", lang="en"))
    welcome = fake_tg.sent[-1]
    assert "Welcome to Sanad Telecom" in welcome["text"]
    rows = welcome["reply_markup"]["inline_keyboard"]
    labels = [row[0]["text"] for row in rows]
    assert "Network & internet" in labels
    assert rows[-1][0]["callback_data"] == "h"  # talk to an agent

    # A branch opens its children; a leaf answers with its article and a source label.
    await hook(client, fake_tg.callback_update(42, "t:mobile-data", lang="en"))
    branch = fake_tg.sent[-1]
    assert branch["text"] == "Mobile internet"
    assert ["a:internet-slow"] == [b["callback_data"] for b in branch["reply_markup"]["inline_keyboard"][0]]
    await hook(client, fake_tg.callback_update(42, "a:internet-slow", lang="en"))
    article = fake_tg.sent[-1]["text"]
    assert "*124#" in article and article.endswith("📄 Source: Slow mobile internet")
    assert [a["callback_query_id"] for a in fake_tg.answered][-2:] == ["cq-1001", "cq-1002"]
    clicks = await app.ctx.nura.db.fetchall("SELECT * FROM tree_clicks WHERE channel = 'telegram'")
    assert clicks[0]["article_id"] == "internet-slow" and clicks[0]["customer_id"] == "tg:42"

    await hook(client, fake_tg.callback_update(42, "t:no-such-node", lang="en"))
    assert fake_tg.sent[-1]["text"] == "This topic isn't available right now."


async def test_messages_share_the_pipeline_and_continue_one_session(
    client: httpx.AsyncClient, fake_tg: FakeTelegram, app: Any
) -> None:
    await hook(client, fake_tg.text_update(77, "الإنترنت بطيء جداً اليوم"))
    first = fake_tg.sent[-1]["text"]
    assert "*124#" in first and "📄 المصدر:" in first
    await hook(client, fake_tg.text_update(77, "شكراً"))
    sessions = await app.ctx.nura.db.fetchall("SELECT * FROM sessions WHERE customer_id = 'tg:77'")
    assert len(sessions) == 1 and sessions[0]["channel"] == "telegram"
    assert sessions[0]["message_count"] == 2
    logs = await app.ctx.nura.db.fetchall("SELECT channel, source FROM conversation_logs")
    assert {row["channel"] for row in logs} == {"telegram"}

    # A redelivered update is answered once.
    before = len(fake_tg.sent)
    repeat = fake_tg.text_update(77, "شكراً", update_id=5000)
    await hook(client, repeat)
    await hook(client, repeat)
    assert len(fake_tg.sent) == before + 1

    # Stickers and photos get a polite note in the chat's language.
    await hook(
        client,
        {"update_id": 6000, "message": {"message_id": 1, "date": 0, "chat": {"id": 77}, "sticker": {"file_id": "x"}}},
    )
    assert fake_tg.sent[-1]["text"].startswith("أستطيع قراءة الرسائل النصية فقط")


async def test_handoff_agent_replies_reach_telegram_and_resolved_chat_starts_fresh(
    client: httpx.AsyncClient, fake_tg: FakeTelegram, app: Any
) -> None:
    chat = 900
    await hook(client, fake_tg.text_update(chat, "مرحبا"))
    await hook(client, fake_tg.text_update(chat, "/agent"))
    assert "موظف" in fake_tg.sent[-1]["text"]
    row = await app.ctx.nura.db.fetchone("SELECT session_id FROM telegram_chats WHERE chat_id = ?", (str(chat),))
    session_id = row["session_id"]

    queue = (await client.get("/v1/queue", headers=API_KEY)).json()
    assert session_id in [s["session_id"] for s in queue["pending"]]
    assert (await client.post(f"/v1/handoff/{session_id}/accept?agent_id=sara", headers=API_KEY)).status_code == 200
    resp = await client.post(
        f"/v1/session/{session_id}/agent-message",
        headers=API_KEY,
        json={"message": "أهلاً، أنا سارة. كيف أساعدك؟", "agent_name": "سارة"},
    )
    assert resp.status_code == 200, resp.text

    # Delivered by the running delivery loop, woken by the agent-message event.
    assert await arrives(fake_tg, lambda t: "سارة" in t and "كيف أساعدك" in t)
    channel = channel_of(app)
    delivered = len(fake_tg.sent)
    await channel.deliver_agent_replies()  # nothing is delivered twice
    assert len(fake_tg.sent) == delivered

    # While an agent holds the chat, customer messages go to the agent and the bot stays quiet.
    await hook(client, fake_tg.text_update(chat, "عندي مشكلة في الفاتورة"))
    assert len(fake_tg.sent) == delivered
    turns = await app.ctx.nura.db.fetchall(
        "SELECT role, text FROM chat_turns WHERE session_id = ? ORDER BY id", (session_id,)
    )
    assert turns[-1] == {"role": "customer", "text": "عندي مشكلة في الفاتورة"}

    resolve = await client.post(
        f"/v1/handoff/{session_id}/resolve",
        headers=API_KEY,
        json={
            "status": "solved",
            "issue_category": "billing",
            "root_cause": "x",
            "resolution_notes": "y",
            "resolved_by": "sara",
        },
    )
    assert resolve.status_code == 200, resolve.text
    await channel.deliver_agent_replies()  # racing the running loop: the claim lets one of them send
    assert await arrives(fake_tg, lambda t: "تم إغلاق المحادثة" in t)
    assert sum("تم إغلاق المحادثة" in t for t in fake_tg.texts(chat)) == 1

    await hook(client, fake_tg.text_update(chat, "مرحبا مرة أخرى"))
    row = await app.ctx.nura.db.fetchone("SELECT session_id FROM telegram_chats WHERE chat_id = ?", (str(chat),))
    assert row["session_id"] != session_id
    fresh = await app.ctx.nura.db.fetchone(
        "SELECT status, customer_id FROM sessions WHERE id = ?", (row["session_id"],)
    )
    assert fresh == {"status": "bot", "customer_id": f"tg:{chat}"}


async def test_flood_control_is_waited_out_and_bad_requests_do_not_break_the_bot(
    client: httpx.AsyncClient, fake_tg: FakeTelegram, app: Any
) -> None:
    channel = channel_of(app)
    waits: list[float] = []

    async def record_sleep(seconds: float) -> None:
        waits.append(seconds)

    channel.api.sleep = record_sleep
    fake_tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    await hook(client, fake_tg.text_update(5, "/start", lang="en"))
    assert waits == [3.0]
    assert "Welcome" in fake_tg.sent[-1]["text"]
    assert [c[0] for c in fake_tg.calls].count("sendMessage") == 2

    # 400 (e.g. the chat is gone) is not retried and does not fail the webhook.
    fake_tg.fail_next("sendMessage", 400, "Bad Request: chat not found")
    before = len(fake_tg.calls)
    resp = await hook(client, fake_tg.text_update(5, "hello", lang="en"))
    assert resp.status_code == 200
    assert len(fake_tg.calls) == before + 1

    # An expired callback query id does not stop the answer.
    fake_tg.fail_next("answerCallbackQuery", 400, "Bad Request: query is too old")
    await hook(client, fake_tg.callback_update(5, "m", lang="en"))
    assert fake_tg.sent[-1]["text"] == "Pick a topic:"


async def test_api_client_errors_and_retries(fake_tg: FakeTelegram) -> None:
    api = TelegramApi(fake_tg.token, fake_tg.url, backoff=0)
    waits: list[float] = []

    async def record_sleep(seconds: float) -> None:
        waits.append(seconds)

    api.sleep = record_sleep
    try:
        fake_tg.fail_next("sendMessage", 502, "Bad Gateway")
        assert (await api.send_message(1, "hi"))["text"] == "hi"
        with pytest.raises(TelegramError) as empty:
            await api.send_message(1, "   ")
        assert empty.value.code == 400 and "empty" in empty.value.description
        for _ in range(4):
            fake_tg.fail_next("sendMessage", 429, "Too Many Requests", retry_after=500)
        with pytest.raises(TelegramError) as flood:
            await api.send_message(1, "hi")
        assert flood.value.code == 429 and max(waits) == 60.0  # capped, not 500 s
        with pytest.raises(TelegramError) as bad_url:
            await api.set_webhook("http://plain.example/hook", "s")
        assert bad_url.value.code == 400
        assert await api.set_webhook("https://desk.example.com/v1/telegram/webhook/s", "s")
        assert fake_tg.webhook == {
            "url": "https://desk.example.com/v1/telegram/webhook/s",
            "secret_token": "s",
            "allowed_updates": ["message", "callback_query"],
        }
        with pytest.raises(TelegramError) as conflict:
            await api.get_updates(None, 0)
        assert conflict.value.code == 409
        assert await api.delete_webhook()
        wrong = TelegramApi("999:wrong", fake_tg.url)
        with pytest.raises(TelegramError) as refused:
            await wrong.get_updates(None, 0)
        assert refused.value.code == 401
        await wrong.close()
    finally:
        await api.close()


def test_long_answers_are_split_under_the_telegram_limit() -> None:
    body = ("سطر طويل " * 50 + "\n") * 30
    pieces = split_text(body, 4000)
    assert len(pieces) > 1 and all(len(p) <= 4000 for p in pieces)
    assert "".join(p.replace("\n", "") for p in pieces).replace(" ", "") == body.replace("\n", "").replace(" ", "")


async def test_a_chat_flooding_messages_is_limited_like_a_web_session(
    client: httpx.AsyncClient, app: Any, fake_tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = app.ctx.nura.settings.rate_limit_messages_per_minute
    channel = channel_of(app)
    monkeypatch.setattr(channel, "_minute", lambda: 424242)  # one window, whatever the clock does
    for _ in range(limit):
        await channel.converse("313", "مرحبا", "ar")
    answered = len(fake_tg.sent)
    assert answered == limit
    await channel.converse("313", "مرحبا", "ar")
    await channel.converse("313", "مرحبا", "ar")
    assert fake_tg.texts(313)[answered:] == ["رسائل كثيرة خلال وقت قصير. انتظر دقيقة ثم أعد المحاولة من فضلك."]
    logged = await app.ctx.nura.db.fetchone("SELECT count(*) AS n FROM conversation_logs WHERE channel = 'telegram'")
    assert logged["n"] == limit


async def test_photos_and_documents_in_and_out(client: httpx.AsyncClient, fake_tg: FakeTelegram, app: Any) -> None:
    """Issue 20: a customer's photo is fetched, cleaned and stored; the bot does not read it and
    offers a person; once an agent holds the chat, files go both ways."""
    import io

    from PIL import Image

    image = Image.new("RGB", (80, 40), (0, 90, 200))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (33.0, 18.0, 54.0)}
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    chat = 950
    file_id = fake_tg.add_file(buffer.getvalue())
    await hook(client, fake_tg.photo_update(chat, file_id, caption="ظهر الشريحة"))
    reply = fake_tg.sent[-1]
    assert "موظف" in reply["text"]  # no person yet: the bot suggests one, with the agent button
    assert reply["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "h"
    row = await app.ctx.nura.db.fetchone("SELECT session_id FROM telegram_chats WHERE chat_id = ?", (str(chat),))
    sid = row["session_id"]
    [stored] = await app.ctx.nura.attachments.store.for_session(sid)
    assert stored.kind == "jpeg" and stored.channel == "telegram"
    data = await app.ctx.nura.attachments.read_bytes(stored)
    assert Image.open(io.BytesIO(data)).getexif() == {}
    turns = await app.ctx.nura.db.fetchall("SELECT role, text FROM chat_turns WHERE session_id = ? ORDER BY id", (sid,))
    assert turns[0] == {"role": "customer", "text": "ظهر الشريحة"}

    # A file that is not a photo or PDF is refused with a reason, nothing stored.
    bad = fake_tg.add_file(b"MZ\x90\x00 an executable")
    await hook(client, fake_tg.document_update(chat, bad, "setup.exe", "application/x-msdownload"))
    assert "PDF" in fake_tg.sent[-1]["text"]
    assert len(await app.ctx.nura.attachments.store.for_session(sid)) == 1

    # A person takes the chat: the customer's PDF goes to the agent without a bot answer …
    await hook(client, fake_tg.text_update(chat, "/agent"))
    assert (await client.post(f"/v1/handoff/{sid}/accept?agent_id=sara", headers=API_KEY)).status_code == 200
    sent_before = len(fake_tg.sent)
    pdf = fake_tg.add_file(b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    await hook(client, fake_tg.document_update(chat, pdf, "bill.pdf", "application/pdf"))
    queue = (await client.get("/v1/queue", headers=API_KEY)).json()
    [item] = [s for s in queue["active"] if s["session_id"] == sid]
    assert item["last_customer_message"] == "(document)"
    # … and the agent's photo arrives in Telegram as a photo.
    out = io.BytesIO()
    Image.new("RGB", (30, 30), (250, 200, 0)).save(out, format="PNG")
    resp = await client.post(
        f"/v1/session/{sid}/agent-attachments",
        files=[("file", ("steps.png", out.getvalue(), "image/png"))],
        data={"caption": "اتبع هذه الخطوات"},
        headers=API_KEY,
    )
    assert resp.status_code == 200, resp.text
    for _ in range(200):
        if fake_tg.uploads:
            break
        await asyncio.sleep(0.05)
    [upload] = fake_tg.uploads
    assert upload["method"] == "sendPhoto" and upload["chat_id"] == str(chat)
    assert upload["caption"].endswith("اتبع هذه الخطوات") and upload["photo"]["data"].startswith(b"\x89PNG")
    assert all("(photo)" not in m["text"] for m in fake_tg.sent[sent_before:])


async def test_tree_actions_from_the_original_nura(client: httpx.AsyncClient, fake_tg: FakeTelegram, app: Any) -> None:
    """The original NURA's tree has `action` nodes: `agent` becomes the bot's agent button,
    `complaint` (a form the chat does not have) is left out."""
    from original_support import ORIGINAL_ARTICLES, ORIGINAL_TREE

    from nura_appliance.knowledge.pack import from_legacy

    await app.ctx.nura.knowledge.load_pack(from_legacy(ORIGINAL_ARTICLES, ORIGINAL_TREE))
    await hook(client, fake_tg.callback_update(42, "t:more", lang="ar"))
    rows = fake_tg.sent[-1]["reply_markup"]["inline_keyboard"]
    data = [button["callback_data"] for row in rows for button in row]
    assert data[0] == "h" and not any("more_complaint" in d for d in data)
