"""The chat widget in real headless Chromium.

A plain host page on another origin (a second small HTTP server on 127.0.0.1) embeds the widget with
one script tag, under a strict Content-Security-Policy with Trusted Types, and with deliberately
hostile page CSS. The API is a real ``nura serve`` (the ``live_server`` fixture) with the default
knowledge pack. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from widget_support import (  # noqa: F401 - *_fixture are fixtures
    HostSite,
    agent_call,
    api_server_fixture,
    browser_fixture,
    host_page,
    new_page,
    open_widget,
    query,
    send,
    shot,
    site_fixture,
    stored_state,
    strict_csp,
    wait_until,
)

pytestmark = pytest.mark.browser


# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("api_server", [{"HANDOFF_BAD_FEEDBACK_COUNT": "2"}], indirect=True)
def test_arabic_flow_tree_answer_feedback_handoff_agent_reply_reload(
    browser: Any, site: HostSite, api_server: dict[str, Any]
) -> None:
    api = api_server["url"]
    url = site.add("/index.html", host_page(api), **{"Content-Security-Policy": strict_csp(api)})
    ctx, page, watch = new_page(browser, viewport={"width": 1280, "height": 860}, locale="ar")
    page.goto(url)

    # The loader alone is on the page until the visitor opens the chat.
    assert page.locator("nura-widget-launcher button").get_attribute("aria-label") == "افتح المحادثة"
    assert page.locator("nura-chat-widget").count() == 0
    open_widget(page)
    assert page.locator("nura-widget-launcher").count() == 0  # the full widget replaced the loader's button

    # Arabic, right to left, with the panel in the bottom-right corner.
    root = page.locator(".nw-root")
    assert root.get_attribute("dir") == "rtl" and root.get_attribute("lang") == "ar"
    assert page.locator(".nw-text").first.evaluate("el => getComputedStyle(el).direction") == "rtl"
    box = page.locator(".nw-panel").bounding_box()
    assert box["x"] + box["width"] > 1280 - 40 and box["y"] + box["height"] > 860 - 120
    assert "Noto Sans Arabic" in root.evaluate("el => getComputedStyle(el).fontFamily")
    welcome = page.locator(".nw-bot .nw-text").first
    assert "مرحباً" in welcome.inner_text()
    wbox, pbox = welcome.bounding_box(), page.locator(".nw-log").bounding_box()
    assert wbox["x"] + wbox["width"] > pbox["x"] + pbox["width"] - 40  # bot bubbles start at the right edge

    # Guided tree: two levels down to an article, with breadcrumbs, back and home.
    page.locator(".nw-node").first.wait_for()
    shot(page, "widget-arabic-welcome.png")
    page.locator(".nw-node", has_text="الباقات").first.click()
    page.locator(".nw-node", has_text="الباقات المحلية").click()
    assert "الباقات المحلية" in page.locator(".nw-crumbs").inner_text()
    shot(page, "widget-arabic-tree.png")
    page.locator(".nw-back").click()
    page.locator(".nw-node", has_text="الباقات المحلية").click()
    page.locator(".nw-crumbs button", has_text="الرئيسية").click()  # home from the breadcrumbs
    page.locator(".nw-node", has_text="الباقات").first.click()
    page.locator(".nw-node", has_text="الباقات المحلية").click()
    page.locator(".nw-node", has_text="الباقات والأسعار").click()
    article = page.locator(".nw-bot:has(.nw-atitle)").last
    article.wait_for()
    expected = httpx.get(f"{api}/v1/articles/packages-prices?lang=ar").json()
    assert article.locator(".nw-atitle").inner_text() == expected["title"]
    assert "دليل المساعدة" in article.locator(".nw-src").inner_text()

    # Free text: the answer shows where it came from.
    send(page, "كيف أعرف رصيدي؟")
    answer = page.locator(".nw-bot[data-id]").last
    answer.wait_for()
    assert "المصدر:" in answer.locator(".nw-src").inner_text()
    # No confidence percentage for customers (issue 20: "الثقة 99%" beside a wrong answer misleads).
    assert answer.locator(".nw-conf").count() == 0 and "%" not in answer.locator(".nw-meta").inner_text()
    state = stored_state(page, api)
    sid, token = state["sid"], state["token"]
    assert sid and token
    transcript = httpx.get(f"{api}/v1/session/{sid}/messages", headers={"X-Session-Token": token}).json()
    assert [m["role"] for m in transcript["messages"]] == ["customer", "bot"]
    assert transcript["messages"][0]["text"] == "كيف أعرف رصيدي؟"

    # The customer's own XSS payload is shown as text.
    xss = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    send(page, xss)
    page.locator(".nw-cust", has_text="<img src=x").wait_for()
    page.locator(".nw-bot[data-id]").nth(1).wait_for()

    # Thumbs down: pressed, stored, and the widget offers a person (one vote is below this
    # server's HANDOFF_BAD_FEEDBACK_COUNT, so it does not hand off by itself).
    answer.locator(".nw-down").click()
    assert answer.locator(".nw-down").get_attribute("aria-pressed") == "true"
    assert answer.locator(".nw-up").is_disabled()
    page.locator(".nw-bot", has_text="نأسف لذلك").wait_for()

    # Ask for a person: the banner appears and the server queues the session.
    page.locator(".nw-person").click()
    banner = page.locator(".nw-banner")
    banner.wait_for(state="visible")
    assert "بانتظار" in banner.inner_text()
    session = httpx.get(f"{api}/v1/session/{sid}", headers={"X-Session-Token": token}).json()
    assert session["status"] == "pending_handoff"
    notice = page.locator(".nw-note", has_text="تم تحويل محادثتك")
    page.wait_for_timeout(500)  # the same notice also arrives over the stream: it must not show twice
    assert notice.count() == 1

    # An agent takes the chat and replies through the API while the page is open.
    accepted = agent_call(api, "POST", f"/v1/handoff/{sid}/accept?agent_id=sara")
    assert accepted.status_code == 200, accepted.text
    reply = 'مرحباً، أنا سارة <img src=x onerror="alert(3)"> <b>bold</b> https://example.com/help'
    sent = agent_call(api, "POST", f"/v1/session/{sid}/agent-message", {"message": reply, "agent_name": "سارة"})
    assert sent.status_code in (200, 201), sent.text
    agent_bubble = page.locator(".nw-agent").last
    agent_bubble.wait_for(timeout=20000)
    assert agent_bubble.locator(".nw-text").inner_text() == reply
    assert agent_bubble.locator(".nw-who").inner_text() == "سارة"
    assert agent_bubble.locator("a").get_attribute("href") == "https://example.com/help"
    page.locator(".nw-banner.nw-live").wait_for()
    assert page.locator(".nw-banner").inner_text().strip() == "أنت تتحدث الآن مع سارة"  # display name, not the id

    # Customer writes while a person owns the chat: no bot answer, the agent sees it.
    with page.expect_response(lambda r: r.url.endswith("/typing") and r.request.method == "POST") as typing_sent:
        page.locator(".nw-in").fill("شكراً سارة")  # the agent sees the customer typing
    assert typing_sent.value.status == 200
    send(page, "شكراً سارة")
    page.wait_for_function(
        "() => [...document.querySelector('nura-chat-widget').shadowRoot.querySelectorAll('.nw-cust')]"
        ".some(el => el.textContent === 'شكراً سارة' && el.dataset.id)"
    )
    shot(page, "widget-arabic.png")

    # Nothing from the server or the customer became markup; no script ran.
    assert page.locator(".nw-root img, .nw-root script, .nw-root b").count() == 0
    assert watch.dialogs == []

    # Reload: the conversation, the banner and the live connection come back.
    page.reload()
    page.locator(".nw-panel").wait_for(state="visible")
    page.locator(".nw-agent", has_text="مرحباً، أنا سارة").wait_for()
    page.locator(".nw-cust", has_text="<img src=x").wait_for()
    assert notice.count() == 1
    assert page.locator(".nw-banner").inner_text().strip() == "أنت تتحدث الآن مع سارة"
    follow_up = agent_call(
        api, "POST", f"/v1/session/{sid}/agent-message", {"message": "هل تحتاج أي شيء آخر؟", "agent_name": "سارة"}
    )
    assert follow_up.status_code in (200, 201)
    page.locator(".nw-agent", has_text="هل تحتاج أي شيء آخر؟").wait_for(timeout=20000)
    assert page.locator(".nw-agent", has_text="هل تحتاج أي شيء آخر؟").count() == 1

    # With the panel closed, a reply still arrives and the chat button counts it.
    page.locator(".nw-close").click()
    agent_call(api, "POST", f"/v1/session/{sid}/agent-message", {"message": "أنا هنا إذا احتجت", "agent_name": "سارة"})
    page.locator(".nw-badge", has_text="1").wait_for(timeout=20000)
    assert page.locator(".nw-launch").get_attribute("aria-label") == "افتح المحادثة — رسائل جديدة: 1"
    page.locator(".nw-launch").click()
    assert not page.locator(".nw-badge").is_visible()

    # A second tab finds the same conversation.
    other = ctx.new_page()
    other.goto(url)
    other.locator(".nw-panel").wait_for(state="visible")
    other.locator(".nw-agent", has_text="أنا هنا إذا احتجت").wait_for()
    assert other.locator(".nw-agent").count() == page.locator(".nw-agent").count() == 3
    other.close()

    # The agent types: the customer sees it live.
    typing = agent_call(api, "POST", f"/v1/session/{sid}/typing", {"sender": "agent", "text": "..."})
    assert typing.status_code == 200, typing.text
    page.locator(".nw-typing", has_text="سارة يكتب").wait_for()

    # The agent resolves: the widget asks for a rating, which reaches the session.
    resolved = agent_call(
        api,
        "POST",
        f"/v1/session/{sid}/resolve",
        {
            "status": "solved",
            "issue_category": "billing",
            "root_cause": "none",
            "resolution_notes": "explained",
            "resolved_by": "sara",
        },
    )
    assert resolved.status_code == 200, resolved.text
    page.locator(".nw-stars").wait_for(timeout=20000)
    assert not page.locator(".nw-banner").is_visible()
    page.locator(".nw-stars button[aria-label='5 من 5']").click()
    page.locator(".nw-note", has_text="شكراً لتقييمك").wait_for()
    wait_until(
        lambda: httpx.get(f"{api}/v1/session/{sid}", headers={"X-Session-Token": token}).json().get("rating") == 5
    )

    # Feedback and telemetry were stored by the server.
    db = api_server["data_dir"] / "nura.db"
    assert query(db, "SELECT value FROM message_feedback WHERE session_id = ?", sid) == [("down",)]
    wanted = {"open", "tree_click", "article_view", "feedback", "handoff_button"}
    wait_until(lambda: wanted <= {r[0] for r in query(db, "SELECT event_type FROM widget_events")})
    clicks = query(db, "SELECT topic_id, label FROM widget_events WHERE event_type = 'tree_click' ORDER BY id")
    assert clicks[-1] == ("package-prices", "الباقات والأسعار")

    assert watch.csp_violations() == []
    assert watch.dialogs == []
    ctx.close()


PROBE = """() => {
  const pick = (el) => { const c = getComputedStyle(el); return [c.color, c.fontFamily, c.fontSize, c.letterSpacing,
    c.textTransform, c.padding, c.margin, c.backgroundColor, c.borderTopWidth, c.width, c.direction, c.lineHeight]; };
  return {globals: Object.getOwnPropertyNames(window), sheets: document.styleSheets.length,
          adopted: document.adoptedStyleSheets.length,
          styles: ['body', 'h1', '#host-p', '#host-btn'].map(s => pick(document.querySelector(s)))};
}"""


def test_kurdish_english_isolation_phone_and_soft_handoff(
    browser: Any, site: HostSite, api_server: dict[str, Any]
) -> None:
    api = api_server["url"]
    csp = {"Content-Security-Policy": strict_csp(api)}
    plain = site.add("/plain.html", host_page(api, widget=False), **csp)
    url = site.add("/index.html", host_page(api, attrs='data-title="Sanad Help"'), **csp)
    ctx, page, watch = new_page(browser, viewport={"width": 1280, "height": 860})
    page.goto(plain)
    before = page.evaluate(PROBE)
    page.goto(url)
    open_widget(page)

    # The widget leaves the host page alone: same computed styles, no new style sheets, one global.
    after = page.evaluate(PROBE)
    assert after["styles"] == before["styles"]
    assert (after["sheets"], after["adopted"]) == (before["sheets"], before["adopted"])
    assert set(after["globals"]) - set(before["globals"]) == {"NuraWidget"}

    # ... and the host page's hostile CSS does not reach the widget.
    launcher = page.locator(".nw-launch").evaluate(
        "el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).width]"
    )
    assert launcher == ["rgb(15, 118, 110)", "60px"]
    text_style = page.locator(".nw-bot .nw-text").first.evaluate(
        "el => { const c = getComputedStyle(el); return [c.color, c.fontFamily, c.letterSpacing, c.textTransform]; }"
    )
    assert text_style[0] != "rgb(255, 0, 0)" and "Comic" not in text_style[1]
    assert text_style[2:] == ["normal", "none"]
    assert page.locator(".nw-node").first.evaluate("el => getComputedStyle(el).paddingTop") == "7px"
    assert page.locator("#nw-title").inner_text() == "Sanad Help"

    # Kurdish: left to right, Kurdish strings, the tree and the answers in Kurdish from the API.
    page.locator(".nw-lang[data-lang=ku]").click()
    root = page.locator(".nw-root")
    assert root.get_attribute("dir") == "ltr" and root.get_attribute("lang") == "ku"
    assert page.locator(".nw-in").get_attribute("placeholder") == "Peyama xwe binivîse…"
    tree_ku = httpx.get(f"{api}/v1/topic-tree?lang=ku").json()["tree"]
    page.locator(".nw-tree h3", has_text="Mijarekê hilbijêre").wait_for()
    assert page.locator(".nw-node").first.inner_text() == tree_ku["children"][0]["label"]
    send(page, "Ez çawa balansa xwe kontrol bikim?")
    answer = page.locator(".nw-bot[data-id]").last
    answer.wait_for()
    assert "Çavkanî:" in answer.locator(".nw-src").inner_text()
    assert answer.locator(".nw-conf").count() == 0
    shot(page, "widget-kurdish.png")

    # English.
    page.locator(".nw-lang[data-lang=en]").click()
    assert page.locator(".nw-in").get_attribute("placeholder") == "Type your message…"
    tree_en = httpx.get(f"{api}/v1/topic-tree?lang=en").json()["tree"]
    page.locator(".nw-tree h3", has_text="Pick a topic").wait_for()
    assert page.locator(".nw-node").first.inner_text() == tree_en["children"][0]["label"]
    send(page, "How can I check my balance?")
    page.locator(".nw-bot[data-id]").nth(1).wait_for()
    english = page.locator(".nw-bot[data-id]").nth(1)
    assert "Source:" in english.locator(".nw-src").inner_text()
    assert english.locator(".nw-conf").count() == 0
    assert page.locator(".nw-bot[data-id]").count() == 2

    # Fail soft: without the hand-off endpoint, "Talk to a person" still reaches a person through
    # the message pipeline.
    page.route(
        f"{api}/v1/handoff/direct",
        lambda route: route.fulfill(
            status=404,
            content_type="application/json",
            headers={"Access-Control-Allow-Origin": "*"},
            body='{"error": {"code": "not_found", "message": "no such route"}}',
        ),
    )
    page.locator(".nw-person").click()
    page.locator(".nw-cust", has_text="I want to talk to a person").wait_for()
    page.locator(".nw-banner").wait_for(state="visible")
    assert "Waiting for an agent" in page.locator(".nw-banner").inner_text()

    # The language choice survives a reload.
    page.reload()
    page.locator(".nw-panel").wait_for(state="visible")
    assert page.locator(".nw-root").get_attribute("lang") == "en"
    page.locator(".nw-cust", has_text="How can I check my balance?").wait_for()
    assert watch.csp_violations() == []
    ctx.close()

    # The original embed, widget.js itself in the script tag, works too (no loader).
    direct = site.add(
        "/direct.html",
        host_page(api, widget=False).replace(
            "</body>", f'<script src="{api}/widget.js" data-api="{api}/v1" data-lang="en"></script></body>'
        ),
        **csp,
    )
    ctx, page, watch = new_page(browser, viewport={"width": 1280, "height": 860})
    page.goto(direct)
    page.locator(".nw-launch").click()
    page.locator(".nw-tree h3", has_text="Pick a topic").wait_for()
    assert page.locator(".nw-root").get_attribute("dir") == "ltr"
    assert watch.csp_violations() == []
    ctx.close()

    # Phone: the open panel fills the screen and the launcher steps aside.
    ctx, page, watch = new_page(
        browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    page.goto(url)
    page.locator("nura-widget-launcher button").tap()
    panel = page.locator(".nw-panel")
    panel.wait_for(state="visible")
    assert panel.bounding_box() == {"x": 0, "y": 0, "width": 390, "height": 844}
    assert not page.locator(".nw-launch").is_visible()
    page.locator(".nw-node").first.wait_for()
    send(page, "الإنترنت عندي بطيء")
    page.locator(".nw-bot[data-id]").last.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "widget-phone.png")
    page.locator(".nw-close").tap()
    assert page.locator(".nw-launch").is_visible()
    assert watch.csp_violations() == []
    ctx.close()


def test_an_open_widget_leaves_the_host_pages_focus_alone_until_the_visitor_opens_it(
    browser: Any, site: HostSite, api_server: dict[str, Any]
) -> None:
    """A widget that opens by itself (data-auto-open, or restored open on the next page) shows
    without taking the keyboard from the host page: typing goes on into the page's own field.
    Opened by the visitor (launcher) or by the host page's NuraWidget.open(), it takes the focus
    into the chat. (Before, every automatic open focused the chat input 30 ms after load.)"""
    api = api_server["url"]
    page_html = host_page(api, attrs='data-auto-open="true"').replace(
        '<button id="host-btn">', '<input id="host-search" autofocus aria-label="Search"><button id="host-btn">'
    )
    url = site.add("/focus.html", page_html, **{"Content-Security-Policy": strict_csp(api)})
    ctx, page, watch = new_page(browser, viewport={"width": 1280, "height": 860}, locale="ar")
    for visit in ("auto-open", "restored open"):
        page.goto(url)
        page.locator(".nw-panel").wait_for(state="visible")
        page.locator(".nw-node").first.wait_for()  # the widget has booted, long past its 30 ms focus timer
        assert page.evaluate("document.activeElement && document.activeElement.id") == "host-search", visit
        page.keyboard.type("roaming")
        assert page.input_value("#host-search") == "roaming", visit
        assert page.locator(".nw-in").input_value() == "", visit
    assert stored_state(page, api).get("open") is True  # the second visit was a restore

    # The visitor closes and opens it: now the chat input has the keyboard.
    page.locator(".nw-close").click()
    page.locator(".nw-launch").click()
    expect(page.locator(".nw-in")).to_be_focused()
    page.keyboard.type("مرحبا")
    assert page.locator(".nw-in").input_value() == "مرحبا"

    # The host page's own "chat with us" button calls NuraWidget.open(): that is the visitor too.
    page.locator(".nw-close").click()
    page.focus("#host-search")
    page.evaluate("window.NuraWidget.open()")
    expect(page.locator(".nw-in")).to_be_focused()
    assert watch.csp_violations() == []
    ctx.close()
