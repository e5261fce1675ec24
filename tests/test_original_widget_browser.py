"""The original NURA widget's calls from a real page in Chromium, cross-origin, against a real
``nura serve``: a host site on its own port loads ``original_widget_page.js`` (our stand-in that
makes the original widget's calls and reads the fields it reads, see that file) with ``data-api``
pointing at the server. Tree, a tree article from the page's own table, an answer, the agent
button (a tree action), the live agent reply and typing, an attachment shown from its link, a
complaint with its case number, and the end-of-chat rating."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from original_support import ORIGINAL_ARTICLES, ORIGINAL_TREE
from playwright.sync_api import expect
from widget_support import (  # noqa: F401 - *_fixture are fixtures
    HostSite,
    agent_call,
    api_server_fixture,
    browser_fixture,
    new_page,
    query,
    shot,
    site_fixture,
    wait_until,
)

from nura_appliance.knowledge.pack import from_legacy

pytestmark = pytest.mark.browser
PAGE_SCRIPT = Path(__file__).with_name("original_widget_page.js")


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (240, 120, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_original_widget_calls_work_from_another_origin(browser: Any, site: HostSite, api_server: dict[str, Any]):
    api = api_server["url"]
    imported = agent_call(api, "POST", "/v1/knowledge/packs/import", from_legacy(ORIGINAL_ARTICLES, ORIGINAL_TREE))
    assert imported.status_code == 200, imported.text
    site.add("/favicon.ico", "", "image/x-icon")
    site.add("/legacy-widget.js", PAGE_SCRIPT.read_text(encoding="utf-8"), "application/javascript; charset=utf-8")
    url = site.add(
        "/",
        f"""<!doctype html><html lang="ar"><head><meta charset="utf-8"><title>Old embed</title></head>
<body><h1>موقع الشركة</h1><script src="/legacy-widget.js" data-api="{api}/v1"></script></body></html>""",
    )
    ctx, page, watch = new_page(browser, viewport={"width": 900, "height": 900})
    try:
        page.goto(url)
        # The tree: the root's label and its branches, in Arabic.
        expect(page.locator("#legacy-tree-title")).to_have_text("بماذا نساعدك اليوم؟")
        page.locator(".legacy-node[data-id=net]").click()
        page.locator(".legacy-node[data-id=net_slow]").click()
        # A leaf shows the article from the page's own table, by its articals.json position.
        expect(page.locator(".legacy-article").last).to_have_text("نص محلي: أعد تشغيل الجهاز وأوقف الـ VPN.")

        # An answer to a typed question (and the session it starts).
        page.locator("#legacy-input").fill("كيف أفعل باقة الإنترنت؟")
        page.locator("#legacy-send").click()
        expect(page.locator(".legacy-bot").last).to_be_visible()
        assert float(page.locator(".legacy-bot").last.get_attribute("data-confidence")) >= 0

        # The agent button is a tree action; the live stream opens with a stream token.
        page.reload()
        expect(page.locator("#legacy-tree-title")).to_be_visible()
        page.locator("#legacy-input").fill("مرحبا")
        page.locator("#legacy-send").click()
        expect(page.locator(".legacy-bot").last).to_be_visible()
        page.locator(".legacy-node[data-id=more]").click()
        page.locator(".legacy-node[data-id=more_agent]").click()
        expect(page.locator(".legacy-banner")).to_be_visible()
        sid = page.evaluate("window.__legacy.state.sid")
        wait_until(lambda: page.evaluate("window.__legacy.frames.length") > 0)
        assert page.evaluate("window.__legacy.frames[0]")["status"] == "PENDING_HANDOFF"

        assert agent_call(api, "POST", f"/v1/handoff/{sid}/accept?agent_id=samira").status_code == 200
        assert agent_call(api, "POST", f"/v1/session/{sid}/typing", {"sender": "agent", "text": "…"}).status_code < 300
        expect(page.locator("#legacy-typing")).to_be_visible()
        reply = agent_call(api, "POST", f"/v1/session/{sid}/agent-message", {"message": "أهلاً، أنا سميرة. كيف أساعدك؟"})
        assert reply.status_code == 200, reply.text
        expect(page.locator(".legacy-agent")).to_have_text("أهلاً، أنا سميرة. كيف أساعدك؟")

        # An attachment: uploaded, shown from the link it got back (another origin, no headers).
        page.locator("#legacy-file").set_input_files({"name": "sim.png", "mimeType": "image/png", "buffer": _png()})
        expect(page.locator(".legacy-upload-done")).to_be_visible()
        image = page.locator("#legacy-upload")
        wait_until(lambda: image.evaluate("img => img.complete && img.naturalWidth") == 40)
        db = api_server["data_dir"] / "nura.db"
        assert query(db, "SELECT count(*) FROM attachments WHERE session_id = ?", sid) == [(1,)]
        texts = [r[0] for r in query(db, "SELECT text FROM chat_turns WHERE session_id = ? ORDER BY id", sid)]
        assert "[صورة]" not in texts

        # A complaint through the tree's complaint action, with its case number.
        page.locator("#legacy-tree-title").wait_for()
        page.locator(".legacy-node[data-id=more_complaint]").click()
        page.locator("#legacy-complaint-text").fill("الشبكة تنقطع كل مساء في حي الجامعة")
        page.locator("#legacy-complaint-send").click()
        expect(page.locator(".legacy-case")).to_contain_text("رقم المتابعة: S-")
        assert query(db, "SELECT text, session_id FROM suggestions") == [("الشبكة تنقطع كل مساء في حي الجامعة", sid)]

        # The agent resolves: the page gets RESOLVED and asks for a rating; the star is stored.
        assert agent_call(api, "POST", f"/v1/session/{sid}/resolve", {"status": "solved"}).status_code == 200
        expect(page.locator("#legacy-rating")).to_be_visible()
        shot(page, "original-widget-arabic.png")
        page.locator(".legacy-star[data-score='5']").click()
        expect(page.locator("#legacy-rating")).to_have_text("شكراً على تقييمك")
        wait_until(lambda: query(db, "SELECT rating FROM sessions WHERE id = ?", sid) == [(5,)])
        clicks = query(db, "SELECT topic_id, article_id FROM tree_clicks WHERE topic_id = 'net_slow'")
        assert clicks == [("net_slow", "article-1")]
        assert page.evaluate("window.__legacy.errors") == [] and watch.errors == []
    finally:
        ctx.close()


def test_our_widget_runs_the_tree_actions_of_an_imported_original_tree(
    browser: Any, site: HostSite, api_server: dict[str, Any]
):
    """After `nura import-original`, the tree has the original's action nodes; our widget opens its
    complaint form for `complaint` and hands off for `agent`."""
    from widget_support import host_page, open_widget

    api = api_server["url"]
    imported = agent_call(api, "POST", "/v1/knowledge/packs/import", from_legacy(ORIGINAL_ARTICLES, ORIGINAL_TREE))
    assert imported.status_code == 200, imported.text
    site.add("/favicon.ico", "", "image/x-icon")
    url = site.add("/index.html", host_page(api))
    ctx, page, watch = new_page(browser, viewport={"width": 900, "height": 900})
    try:
        page.goto(url)
        open_widget(page)
        page.locator(".nw-node[data-topic=more]").click()
        page.locator(".nw-node[data-topic=more_complaint]").click()
        sheet = page.locator(".nw-sheet")
        sheet.wait_for()
        sheet.locator("#nw-f-text").fill("التغطية ضعيفة في قريتنا")
        sheet.locator(".nw-btn").click()
        sheet.locator(".nw-ok").wait_for()
        items = agent_call(api, "GET", "/v1/suggestions").json()["items"]
        assert [i["text"] for i in items] == ["التغطية ضعيفة في قريتنا"]
        sheet.wait_for(state="detached")
        page.locator(".nw-node[data-topic=more_agent]").click()
        page.locator(".nw-banner:not([hidden])").wait_for()
        queue = agent_call(api, "GET", "/v1/queue").json()
        assert len(queue["pending"]) == 1
        assert watch.errors == []
    finally:
        ctx.close()
