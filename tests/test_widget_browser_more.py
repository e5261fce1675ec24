"""The chat widget in real headless Chromium, continued: outside working hours (contact form),
suggestions, keyboard and focus trap, offline and network failures, start over, and streamed AI
answers. Host page, CSP and fixtures as in test_widget_browser.py (see widget_support.py)."""

from __future__ import annotations

from typing import Any

import pytest
from widget_support import (  # noqa: F401 - *_fixture are fixtures
    RECORD_STREAM,
    HostSite,
    agent_call,
    api_server_fixture,
    browser_fixture,
    closed_hours,
    host_page,
    new_page,
    open_widget,
    send,
    shot,
    site_fixture,
    stored_state,
    streaming_server_fixture,
    strict_csp,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("api_server", [{"BUSINESS_HOURS": closed_hours()}], indirect=True)
def test_offline_hours_forms_keyboard_and_network_errors(
    browser: Any, site: HostSite, api_server: dict[str, Any]
) -> None:
    api = api_server["url"]
    url = site.add(
        "/index.html",
        host_page(api, attrs='data-auto-open="true"', position="bottom-left"),
        **{"Content-Security-Policy": strict_csp(api)},
    )
    ctx, page, watch = new_page(browser, viewport={"width": 1280, "height": 860})
    page.goto(url)

    # data-auto-open opens the panel at once; data-position puts it bottom-left.
    panel = page.locator(".nw-panel")
    panel.wait_for(state="visible")
    assert panel.bounding_box()["x"] < 40
    page.locator(".nw-node").first.wait_for()

    # Keyboard: an auto-opened panel leaves the focus on the page (test_widget_browser.py checks
    # that); once the visitor is in the message box, Tab and Shift+Tab stay inside the panel,
    # Escape closes and returns focus to the chat button, Enter opens again.
    assert page.evaluate("() => document.activeElement.tagName") == "BODY"
    page.locator(".nw-in").click()
    active = (
        "() => { const r = document.querySelector('nura-chat-widget').shadowRoot; "
        "const a = r.activeElement; return a ? a.className : null; }"
    )
    page.wait_for_function(
        "() => document.querySelector('nura-chat-widget').shadowRoot.activeElement?.className === 'nw-in'"
    )
    page.keyboard.press("Tab")
    assert page.evaluate(active) == "nw-send"
    page.keyboard.press("Tab")
    assert "nw-menu-btn" in page.evaluate(active)  # wrapped around to the first control
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(active) == "nw-send"
    for _ in range(40):
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.tagName") == "NURA-CHAT-WIDGET"
    page.keyboard.press("Escape")
    assert not panel.is_visible()
    assert page.evaluate(active) == "nw-launch"
    page.keyboard.press("Enter")
    panel.wait_for(state="visible")

    # The browser goes offline and back: the panel says so, then clears the notice.
    ctx.set_offline(True)
    page.locator(".nw-net", has_text="لا يوجد اتصال بالإنترنت").wait_for()
    ctx.set_offline(False)
    page.locator(".nw-net").wait_for(state="hidden")

    # Network failure: the message is kept with a retry button; retry delivers it.
    page.route(f"{api}/v1/message", lambda route: route.abort())
    send(page, "كم سعر باقة 15 GB؟")
    page.locator(".nw-failed", has_text="تعذّر الإرسال").wait_for()
    page.unroute(f"{api}/v1/message")
    page.locator(".nw-retry").click()
    page.locator(".nw-bot[data-id]").first.wait_for()
    assert page.locator(".nw-failed").count() == 0
    assert page.locator(".nw-cust", has_text="كم سعر باقة 15 GB؟").count() == 1

    # Outside working hours "talk to a person" opens the contact form.
    page.locator(".nw-person").click()
    sheet = page.locator(".nw-sheet")
    sheet.wait_for()
    assert "فريقنا غير متاح الآن" in sheet.inner_text()
    sheet.locator(".nw-btn").click()
    assert "يرجى ملء الحقول المطلوبة" in sheet.locator(".nw-alert").inner_text()
    shot(page, "widget-offline-form.png")
    sheet.locator("#nw-f-name").fill("أحمد")
    sheet.locator("#nw-f-phone").fill("07701234567")
    sheet.locator("#nw-f-description").fill("الإنترنت مقطوع منذ يومين <b>x</b>")
    sheet.locator(".nw-btn").click()
    sheet.locator(".nw-ok").wait_for()
    requests = agent_call(api, "GET", "/v1/offline-requests").json()["items"]
    assert [(r["name"], r["phone"]) for r in requests] == [("أحمد", "07701234567")]
    assert requests[0]["description"] == "الإنترنت مقطوع منذ يومين <b>x</b>"
    sheet.wait_for(state="detached")

    # Suggestions and complaints from the menu.
    page.locator(".nw-menu-btn").click()
    page.locator(".nw-suggest").click()
    sheet.wait_for()
    sheet.locator("#nw-f-kind").select_option("complaint")
    sheet.locator("#nw-f-text").fill("الخدمة بطيئة في المساء")
    sheet.locator(".nw-btn").click()
    sheet.locator(".nw-ok").wait_for()
    items = agent_call(api, "GET", "/v1/suggestions").json()["items"]
    assert [(i["kind"], i["text"]) for i in items] == [("complaint", "الخدمة بطيئة في المساء")]
    sheet.wait_for(state="detached")

    # Start over: a fresh conversation, the old one is no longer resumed.
    old_sid = stored_state(page, api)["sid"]
    page.locator(".nw-menu-btn").click()
    page.locator(".nw-start-over").click()
    assert page.locator(".nw-cust").count() == 0
    page.locator(".nw-tree .nw-node").first.wait_for()
    send(page, "مرحبا")
    page.locator(".nw-bot[data-id]").first.wait_for()
    assert stored_state(page, api)["sid"] not in (None, old_sid)
    assert watch.csp_violations() == []
    ctx.close()


def test_streamed_ai_answer_grows_then_becomes_the_answer(browser: Any, site: HostSite, streaming_server: Any) -> None:
    api = streaming_server["url"]
    url = site.add("/index.html", host_page(api), **{"Content-Security-Policy": strict_csp(api)})
    ctx, page, watch = new_page(browser, viewport={"width": 1280, "height": 860})
    page.goto(url)
    open_widget(page)
    page.locator(".nw-lang[data-lang=en]").click()
    with page.expect_response(lambda resp: "/stream?" in resp.url):
        send(page, "hello")  # the session exists after this, so the open panel subscribes to its stream
        page.locator(".nw-bot[data-id]").first.wait_for()
    page.evaluate(RECORD_STREAM)
    send(page, "How do I redeem Priority Club points?")
    final = page.locator(".nw-bot[data-id]").nth(1)
    final.wait_for()
    assert final.locator(".nw-text").inner_text() == "Dial *155# to redeem your points for data bundles."
    assert "AI assistant" in final.locator(".nw-src").inner_text()
    streamed = page.evaluate("window.__streamed")
    # Tokens arrive in batches of 8 (ai/grounded.py), so a short answer grows in at least two steps.
    assert len(set(streamed)) >= 2 and streamed[0] != streamed[-1]
    assert all("Dial *155# to redeem your points for data bundles [1].".startswith(text) for text in streamed)
    assert page.locator(".nw-streaming").count() == 0  # the provisional bubble made way for the answer
    assert page.locator(".nw-bot[data-id]").count() == 2
    assert watch.csp_violations() == []
    ctx.close()
