"""The live queue's WhatsApp window in real headless Chromium against a real ``nura serve`` and
the fake Graph API: the agent sees how long the 24-hour window stays open; once it has closed a
reply is refused with an Arabic explanation (the text stays in the box) and the configured
template is offered and sent."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from test_admin import ADMIN_PASSWORD, browser, new_page, shot, sign_in  # noqa: F401 - fixtures
from whatsapp_fake_api import FakeWhatsApp

pytestmark = pytest.mark.browser
CUSTOMER = "9647709002000"


@pytest.fixture
def fake_wa() -> Iterator[FakeWhatsApp]:
    fake = FakeWhatsApp().start()
    yield fake
    fake.stop()


def test_the_window_and_the_template_in_the_live_queue(
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    fake_wa: FakeWhatsApp,
    new_page: Callable[..., Page],  # noqa: F811 - the fixture imported above
) -> None:
    for name, value in {
        "WHATSAPP_TOKEN": fake_wa.token,
        "WHATSAPP_PHONE_NUMBER_ID": fake_wa.phone_number_id,
        "WHATSAPP_APP_SECRET": fake_wa.app_secret,
        "WHATSAPP_VERIFY_TOKEN": "verify-token-for-tests-123",
        "WHATSAPP_API_BASE": fake_wa.base,
        "WHATSAPP_TEMPLATE_NAME": "support_reply",
    }.items():
        monkeypatch.setenv(name, value)
    server: dict[str, Any] = request.getfixturevalue("live_server")
    base = server["url"]
    tap = fake_wa.notification([fake_wa.button_reply(CUSTOMER, "h", "التحدث مع موظف")], name="علي")
    raw = json.dumps(tap, ensure_ascii=False).encode()
    resp = httpx.post(
        f"{base}/v1/whatsapp/webhook",
        content=raw,
        headers={"X-Hub-Signature-256": fake_wa.sign(raw), "Content-Type": "application/json"},
        timeout=15,
    )
    assert resp.status_code == 200, resp.text

    page = new_page("ar")
    sign_in(page, base, "admin", ADMIN_PASSWORD, "queue")
    page.locator("#pending-list .queue-item").first.click()
    page.click("#accept")
    state = page.locator("#wa-window-state")
    expect(state).to_have_attribute("data-open", "true", timeout=10_000)
    expect(state).to_contain_text("نافذة واتساب مفتوحة")

    # A day later (the customer's last message 25 hours ago): the reply is refused and kept.
    with sqlite3.connect(server["data_dir"] / "nura.db") as db:
        db.execute("UPDATE whatsapp_contacts SET last_inbound_at = ?", (time.time() - 25 * 3600,))
    page.fill("#reply-text", "هل ما زلت بحاجة إلى المساعدة؟")
    page.click("#send-reply")
    expect(state).to_have_attribute("data-open", "false", timeout=10_000)
    expect(state).to_contain_text("أُغلقت نافذة واتساب")
    assert page.locator("#reply-text").input_value() == "هل ما زلت بحاجة إلى المساعدة؟"
    button = page.locator("#wa-send-template")
    expect(button).to_have_text("أرسل القالب «support_reply»")
    shot(page, "queue-whatsapp-window-closed-ar.png")

    button.click()
    expect(page.locator("#wa-template-sent")).to_contain_text("أُرسل القالب", timeout=10_000)
    assert [m["template"]["name"] for m in fake_wa.to(CUSTOMER) if m["type"] == "template"] == ["support_reply"]
    last = page.locator("#wa-last-status")
    expect(last).to_have_attribute("data-status", "sent")
    expect(last).to_have_text("آخر رسالة إلى العميل: أُرسلت")
    assert page.evaluate("[...window.__nuraMissingStrings]") == []
    assert page.evaluate("document.documentElement.dir") == "rtl"
