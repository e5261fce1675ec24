"""Issue 20 in real Chromium: the glitches (greeting after a language switch, the hand-off notice
cut off, the demo page on a phone, usernames in the banner, /favicon.ico), Sorani, the identity SDK
and events, attachments, the dark theme and keyboard focus. Helpers in tests/widget_support.py."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image
from widget_support import (  # noqa: F401 - *_fixture are fixtures
    API_KEY,
    HostSite,
    agent_call,
    api_server_fixture,
    browser_fixture,
    host_page,
    new_page,
    open_widget,
    send,
    shot,
    site_fixture,
    strict_csp,
    wait_until,
)

from nura_appliance.auth.customer import customer_signature

pytestmark = pytest.mark.browser
SECRET = "widget-identity-secret-0123456789abcdef"
GREETING = {"ar": "مرحباً!", "ckb": "سڵاو!", "ku": "Silav!", "en": "Hi!"}


def embed(site: HostSite, api: str, attrs: str = "", path: str = "/index.html") -> str:
    page = host_page(api, attrs=attrs)
    if "data-lang=" in attrs:  # the attribute given here, not host_page's default Arabic
        page = page.replace('data-lang="ar" ', "", 1)
    return site.add(path, page, **{"Content-Security-Policy": strict_csp(api)})


def in_log(page: Any, selector: str) -> bool:
    """Whether the element is wholly inside the chat log's visible box (not cut off)."""
    return page.evaluate(
        """sel => {
          const root = document.querySelector('nura-chat-widget').shadowRoot;
          const el = [...root.querySelectorAll(sel)].pop(), log = root.querySelector('.nw-log');
          const a = el.getBoundingClientRect(), b = log.getBoundingClientRect();
          return a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
        }""",
        selector,
    )


def focused(page: Any) -> str:
    """What has the keyboard focus: a description of the element inside the widget, or BODY."""
    return page.evaluate(
        """() => {
          const host = document.querySelector('nura-chat-widget');
          if (document.activeElement !== host) return document.activeElement.tagName;
          const el = host.shadowRoot.activeElement;
          return el ? el.tagName + '.' + el.className : 'BODY';
        }"""
    )


# ---------------------------------------------------------------------------------------------
def test_switching_language_repaints_the_greeting_and_sorani_reads_right_to_left(
    browser: Any, site: HostSite, api_server: dict[str, Any]
) -> None:
    api = api_server["url"]
    ctx, page, watch = new_page(browser, viewport={"width": 1280, "height": 860}, locale="ar")
    page.goto(embed(site, api))
    open_widget(page)
    greeting = page.locator(".nw-bot .nw-text").first
    assert GREETING["ar"] in greeting.inner_text()
    for lang in ("ckb", "ku", "en", "ar"):
        page.locator(f".nw-lang[data-lang={lang}]").click()
        assert GREETING[lang] in greeting.inner_text(), lang
        root = page.locator(".nw-root")
        assert root.get_attribute("lang") == lang
        assert root.get_attribute("dir") == ("rtl" if lang in ("ar", "ckb") else "ltr")
    page.locator(".nw-lang[data-lang=ckb]").click()
    page.locator(".nw-node").first.wait_for()
    # Right to left: the bot's bubble starts at the right edge of the log, the tree is in Sorani.
    bubble, log = greeting.bounding_box(), page.locator(".nw-log").bounding_box()
    assert bubble["x"] + bubble["width"] > log["x"] + log["width"] - 40
    assert page.locator(".nw-tree h3").inner_text() == "بابەتێک هەڵبژێرە"
    send(page, "سڵاو")
    page.locator(".nw-msg.nw-bot[data-role=bot]").nth(1).wait_for()
    assert "%" not in page.locator(".nw-meta").last.inner_text()  # no confidence for customers
    shot(page, "widget-sorani-1280.png")
    # The choice is remembered over a reload, whatever the page's language says.
    page.reload()
    page.locator(".nw-panel").wait_for(state="visible")  # it was open: it opens again
    assert page.locator(".nw-root").get_attribute("lang") == "ckb"
    assert not watch.csp_violations(), watch.errors
    ctx.close()


def test_default_language_comes_from_the_page_then_the_browser(
    browser: Any, site: HostSite, api_server: dict[str, Any]
) -> None:
    api = api_server["url"]
    page_ckb = site.add(
        "/ckb.html",
        host_page(api).replace('data-lang="ar" ', "").replace('<html lang="en">', '<html lang="ckb">'),
        **{"Content-Security-Policy": strict_csp(api)},
    )
    no_lang = site.add(
        "/nolang.html",
        host_page(api).replace('data-lang="ar" ', "").replace('<html lang="en">', "<html>"),
        **{"Content-Security-Policy": strict_csp(api)},
    )
    for url, locale, expected in ((page_ckb, "en-US", "ckb"), (no_lang, "ku", "ku"), (no_lang, "fr-FR", "ar")):
        ctx, page, _ = new_page(browser, viewport={"width": 1280, "height": 860}, locale=locale)
        page.goto(url)
        assert (
            page.locator("nura-widget-launcher button").get_attribute("aria-label")
            == {
                "ckb": "گفتوگۆ بکەرەوە",
                "ku": "Axaftinê veke",
                "ar": "افتح المحادثة",
            }[expected]
        )
        open_widget(page)
        assert page.locator(".nw-root").get_attribute("lang") == expected, (url, locale)
        ctx.close()


@pytest.mark.parametrize("lang", ["ar", "ckb", "ku", "en"])
def test_the_hand_off_notice_is_fully_visible_and_focus_stays_in_the_chat(
    browser: Any, site: HostSite, api_server: dict[str, Any], lang: str
) -> None:
    api = api_server["url"]
    ctx, page, _ = new_page(browser, viewport={"width": 390, "height": 740}, is_mobile=True, has_touch=True)
    page.goto(embed(site, api, f'data-lang="{lang}"'))
    open_widget(page)
    page.locator(".nw-node").first.wait_for()
    page.locator(".nw-person").focus()
    page.keyboard.press("Enter")
    page.locator(".nw-banner:not([hidden])").wait_for()
    note = page.locator(".nw-note").last
    note.wait_for()
    wait_until(lambda: in_log(page, ".nw-note"))
    assert focused(page) != "BODY" and focused(page) != "nura-chat-widget"
    assert focused(page).startswith("TEXTAREA"), focused(page)
    shot(page, f"widget-handoff-{lang}-390.png")
    ctx.close()


def test_the_demo_page_fits_a_phone_and_the_favicon_exists(browser: Any, api_server: dict[str, Any]) -> None:
    api = api_server["url"]
    ctx, page, watch = new_page(browser, viewport={"width": 390, "height": 740}, is_mobile=True, has_touch=True)
    page.goto(f"{api}/widget.html")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    open_widget(page)
    box = page.locator(".nw-panel").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "widget-demo-390.png")
    icon = page.goto(f"{api}/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/x-icon"
    assert not [e for e in watch.errors if "404" in e]
    ctx.close()


@pytest.mark.parametrize("api_server", [{"CUSTOMER_HMAC_SECRET": SECRET}], indirect=True)
def test_identity_sdk_events_and_the_agents_name(browser: Any, site: HostSite, api_server: dict[str, Any]) -> None:
    api = api_server["url"]
    signature = customer_signature(SECRET, "cust-42")
    attrs = f'data-customer-id="cust-42" data-customer-name="ليلى حسن" data-customer-signature="{signature}"'
    ctx, page, watch = new_page(browser, viewport={"width": 1280, "height": 860})
    page.goto(embed(site, api, attrs))
    # Handlers registered on the loader before widget.js exists are kept (queued) and called.
    page.evaluate(
        """() => { window.__ev = [];
          for (const n of ['open', 'close', 'message', 'handoff', 'agent_joined'])
            NuraWidget.on(n, d => window.__ev.push([n, d && (d.role || d.name || '')])); }"""
    )
    open_widget(page)
    send(page, "I want to talk to a person")
    page.locator(".nw-banner:not([hidden])").wait_for()
    events = page.evaluate("window.__ev")
    assert events[0] == ["open", ""] and ["handoff", ""] in events
    assert ["message", "customer"] in events

    queue = agent_call(api, "GET", "/v1/queue").json()
    item = queue["pending"][0]
    assert item["customer"]["verified"] is True and item["customer"]["name"] == "ليلى حسن"
    sid = item["session_id"]

    # An agent without a display name: customers see "a support agent", never the username.
    assert agent_call(api, "POST", f"/v1/handoff/{sid}/accept").status_code == 200
    page.locator(".nw-banner.nw-live").wait_for()
    banner = page.locator(".nw-banner").inner_text()
    assert "api-key" not in banner and "admin" not in banner
    wait_until(lambda: ["agent_joined", ""] in page.evaluate("window.__ev"))
    # With a display name the banner names it.
    created = agent_call(
        api,
        "POST",
        "/v1/users",
        {"username": "omar", "role": "agent", "password": "agent-pass-2024!x", "display_name": "عمر"},
    )
    assert created.status_code in (200, 201), created.text
    token = httpx.post(f"{api}/v1/auth/login", json={"username": "omar", "password": "agent-pass-2024!x"}).json()
    omar = {"Authorization": f"Bearer {token['access_token']}"}
    moved = httpx.post(
        f"{api}/v1/handoff/{sid}/transfer", json={"agent": "omar"}, headers={"Authorization": f"Bearer {API_KEY}"}
    )
    assert moved.status_code == 200, moved.text
    httpx.post(f"{api}/v1/session/{sid}/agent-message", json={"message": "أهلاً ليلى"}, headers=omar)
    page.locator(".nw-agent .nw-who", has_text="عمر").wait_for()
    wait_until(lambda: "عمر" in page.locator(".nw-banner").inner_text())
    assert "omar" not in page.locator(".nw-panel").inner_text()

    # Another customer signs in on this browser: a fresh conversation, none of Layla's messages.
    page.evaluate(
        "s => NuraWidget.setUser({id: 'cust-7', name: 'Sam', signature: s})", customer_signature(SECRET, "cust-7")
    )
    wait_until(lambda: page.locator(".nw-agent").count() == 0)
    assert page.locator(".nw-banner").is_hidden()
    page.locator(".nw-close").click()
    assert ["close", ""] in page.evaluate("window.__ev")
    assert not watch.csp_violations(), watch.errors
    ctx.close()


def jpeg(width: int = 240, height: int = 160) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 200)).save(out, format="JPEG")
    return out.getvalue()


def test_attachments_from_the_customer_and_the_agent(
    browser: Any, site: HostSite, api_server: dict[str, Any], tmp_path
) -> None:
    api = api_server["url"]
    photo = tmp_path / "sim-card.jpg"
    photo.write_bytes(jpeg())
    bad = tmp_path / "setup.exe"
    bad.write_bytes(b"MZ\x90\x00")
    ctx, page, watch = new_page(browser, viewport={"width": 390, "height": 740}, is_mobile=True, has_touch=True)
    page.goto(embed(site, api, 'data-lang="en"'))
    open_widget(page)
    page.locator(".nw-clip").first.wait_for()
    assert page.locator(".nw-cam").is_visible()  # a phone: the camera button shows
    page.locator("input[type=file][multiple]").set_input_files([str(bad)])
    assert "only photos" in page.locator(".nw-ferr").inner_text()
    # A file dropped on the panel joins the picked ones (pasting into the message box does too).
    page.evaluate(
        """() => { const dt = new DataTransfer();
          dt.items.add(new File([new Uint8Array([37, 80, 68, 70, 45])], 'bill.pdf', {type: 'application/pdf'}));
          const panel = document.querySelector('nura-chat-widget').shadowRoot.querySelector('.nw-panel');
          panel.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true})); }"""
    )
    page.locator(".nw-file", has_text="bill.pdf").wait_for()
    page.locator(".nw-file", has_text="bill.pdf").locator("button").click()
    assert page.locator(".nw-file").count() == 0
    page.locator("input[type=file][multiple]").set_input_files([str(photo)])
    page.locator(".nw-file img").wait_for()
    shot(page, "widget-attachment-preview-390.png")
    page.locator(".nw-in").fill("the back of my SIM")
    page.locator(".nw-send").click()
    reply = page.locator(".nw-bot", has_text="I can't look at photos")
    reply.wait_for()
    assert reply.locator(".nw-chip").inner_text() == "Talk to a person"
    image = page.locator(".nw-cust .nw-att img").last
    wait_until(lambda: image.evaluate("img => img.complete && img.naturalWidth") == 240)
    assert page.locator(".nw-cust .nw-text").last.inner_text() == "the back of my SIM"
    shot(page, "widget-attachment-sent-390.png")

    reply.locator(".nw-chip").click()
    page.locator(".nw-banner:not([hidden])").wait_for()
    sid = page.evaluate("k => JSON.parse(localStorage.getItem(k)).sid", f"nura-widget:{api}/v1")
    assert agent_call(api, "POST", f"/v1/handoff/{sid}/accept").status_code == 200
    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    resp = httpx.post(
        f"{api}/v1/session/{sid}/agent-attachments",
        files=[("file", ("steps.pdf", pdf, "application/pdf"))],
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    assert resp.status_code == 200, resp.text
    doc = page.locator(".nw-agent .nw-doc")
    doc.wait_for()
    assert "steps.pdf" in doc.inner_text()
    link = page.locator(".nw-agent .nw-att a").last
    wait_until(lambda: link.get_attribute("href").startswith("blob:"))
    # A reload shows both files again from the transcript (the panel was open: it opens again).
    page.reload()
    page.locator(".nw-panel").wait_for(state="visible")
    page.locator(".nw-agent .nw-doc").wait_for()
    wait_until(lambda: page.locator(".nw-cust .nw-att img").first.evaluate("i => i.naturalWidth") == 240)
    assert not watch.csp_violations(), watch.errors
    ctx.close()


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    def lum(c: tuple[int, int, int]) -> float:
        parts = [v / 255 for v in c]
        parts = [p / 12.92 if p <= 0.03928 else ((p + 0.055) / 1.055) ** 2.4 for p in parts]
        return 0.2126 * parts[0] + 0.7152 * parts[1] + 0.0722 * parts[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


RGB = """el => { const m = getComputedStyle(el).outlineColor.match(/\\d+/g).map(Number); return m.slice(0, 3); }"""
BG = """el => { let e = el.parentElement || el.getRootNode().host;
  while (e) { const c = getComputedStyle(e).backgroundColor; const m = c.match(/[\\d.]+/g).map(Number);
    if (m.length < 4 || m[3] > 0) return m.slice(0, 3); e = e.parentElement || (e.getRootNode().host || null); }
  return [255, 255, 255]; }"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_focus_rings_are_3_to_1_and_the_dark_theme_follows_the_system(
    browser: Any, site: HostSite, api_server: dict[str, Any], scheme: str
) -> None:
    api = api_server["url"]
    ctx, page, _ = new_page(browser, viewport={"width": 1280, "height": 860}, color_scheme=scheme)
    page.goto(embed(site, api, 'data-lang="en"'))
    open_widget(page)
    page.locator(".nw-node").first.wait_for()
    panel_bg = page.locator(".nw-panel").evaluate("el => getComputedStyle(el).backgroundColor")
    assert (panel_bg == "rgb(255, 255, 255)") == (scheme == "light"), panel_bg
    for selector in (".nw-lang[data-lang=ar]", ".nw-close", ".nw-node", ".nw-topics", ".nw-in", ".nw-send"):
        element = page.locator(selector).first
        element.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # keyboard focus, so :focus-visible applies
        ring, behind = element.evaluate(RGB), element.evaluate(BG)
        assert contrast(tuple(ring), tuple(behind)) >= 3, (scheme, selector, ring, behind)
    shot(page, f"widget-{scheme}-1280.png")
    ctx.close()
    # data-theme wins over the system setting.
    ctx, page, _ = new_page(browser, viewport={"width": 1280, "height": 860}, color_scheme="light")
    page.goto(embed(site, api, 'data-lang="en" data-theme="dark"', path="/dark.html"))
    open_widget(page)
    assert page.locator(".nw-panel").evaluate("el => getComputedStyle(el).backgroundColor") != "rgb(255, 255, 255)"
    ctx.close()
