"""The web admin in real headless Chromium against a real ``nura serve``: sign-in by role, the
live queue over SSE (hand-off → accept → messages → resolve with outcomes), dashboard and
reports with CSV that matches the API, knowledge editing that changes the answer, and XSS
payloads shown as text. Screenshots land in test-artifacts/ (gitignored)."""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

pytestmark = pytest.mark.browser
# A loaded machine (CI shares it with whatever else runs) can take longer than Playwright's 5 s
# default for a save and the re-render after it; a real hang still fails, just later.
expect.set_options(timeout=10_000)

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
ADMIN_PASSWORD = "test-admin-pass-123"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path("/usr/bin/chromium").exists():
        message = "Chromium is not installed at /usr/bin/chromium (apt-get install chromium)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> dict[str, Any]:
    """A live server that is always open for hand-offs (the tests must not depend on the clock)."""
    monkeypatch.setenv("NURA_BUSINESS_HOURS", "always")
    info = request.getfixturevalue("live_server")
    info["admin_token"] = login_token(info["url"], "admin", ADMIN_PASSWORD)
    return info


def login_token(base: str, username: str, password: str) -> str:
    resp = httpx.post(f"{base}/v1/auth/login", json={"username": username, "password": password}, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()["access_token"]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def create_user(server: dict[str, Any], username: str, role: str) -> str:
    password = f"{username}-pass-12345"
    resp = httpx.post(
        f"{server['url']}/v1/users",
        headers=auth(server["admin_token"]),
        timeout=10,
        json={"username": username, "role": role, "password": password, "display_name": username.title()},
    )
    assert resp.status_code == 201, resp.text
    return password


@pytest.fixture
def new_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Callable[..., Page]]:
    """Pages in fresh browser contexts, closed after the test (so their SSE streams end and the
    server stops promptly). When the test fails, each page's screenshot lands in test-artifacts/
    and what its console said and which API calls failed are printed."""
    contexts: list[BrowserContext] = []
    pages: list[Page] = []
    notes: list[str] = []

    def make(lang: str = "en", width: int = 1280) -> Page:
        context = browser.new_context(viewport={"width": width, "height": 860}, accept_downloads=True)
        contexts.append(context)
        context.add_init_script(f"localStorage.setItem('nura.admin.lang', '{lang}')")
        page = context.new_page()
        pages.append(page)
        page.set_default_timeout(10000)
        page.errors = []  # type: ignore[attr-defined]
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))  # type: ignore[attr-defined]
        page.on("console", lambda msg: notes.append(f"console {msg.type}: {msg.text}"))
        page.on(
            "response",
            lambda resp: (
                notes.append(f"{resp.request.method} {resp.url} -> {resp.status}") if resp.status >= 400 else None
            ),
        )
        return page

    yield make
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        for number, page in enumerate(pages):
            with contextlib.suppress(Exception):
                shot(page, f"failed-{request.node.name}-{number}.png")
        print("--- the browser ---", *notes, sep="\n")
    for context in contexts:
        context.close()


def sign_in(page: Page, base: str, username: str, password: str, route: str = "") -> None:
    page.goto(f"{base}/admin/#/{route}")
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#current-user")).to_contain_text(username.title() if username != "admin" else "admin")


def customer_message(base: str, text: str, session: dict[str, Any] | None = None, lang: str = "ar") -> dict[str, Any]:
    body = {
        "session_id": session["session_id"] if session else None,
        "customer_id": "cust-ui-1",
        "channel": "web",
        "message": text,
        "lang": lang,
    }
    headers = {"X-Session-Token": session["session_token"]} if session else {}
    resp = httpx.post(f"{base}/v1/message", json=body, headers=headers, timeout=15)
    assert resp.status_code == 200, resp.text
    return resp.json()


def wait_for_jobs(server: dict[str, Any], timeout: float = 20.0) -> None:
    """Until the server's background jobs (classification, hand-off gaps, ...) have all run.

    They run after the request that queued them has answered, so a test that compares what the
    browser shows at one moment with what the API says a moment later must let them finish first.
    """
    db = Path(server["data_dir"]) / "nura.db"
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
            busy = conn.execute("SELECT count(*) FROM outbox WHERE status IN ('pending', 'running')").fetchone()[0]
        if busy == 0:
            return
        assert time.monotonic() < deadline, f"{busy} background jobs still queued after {timeout} s"
        time.sleep(0.1)


def shot(page: Page, name: str, *, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # the sticky top bar would otherwise land mid-picture
    page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)


def test_agent_runs_a_handoff_live(server: dict[str, Any], new_page: Callable[..., Page]) -> None:
    base = server["url"]
    password = create_user(server, "agent1", "agent")
    page = new_page()
    # The first agent stream ends after one event (as a dropped connection would); the page must
    # reconnect to the real stream with Last-Event-ID and the token in the header, not the URL.
    streams: list[dict[str, str]] = []

    def agent_stream(route: Any) -> None:
        streams.append(
            {
                "last_event_id": route.request.headers.get("last-event-id", ""),
                "authorization": route.request.headers.get("authorization", ""),
                "url": route.request.url,
            }
        )
        if len(streams) == 1:
            route.fulfill(
                status=200,
                headers={"Content-Type": "text/event-stream"},
                body=": ping\n\nid: 41\nevent: ping\ndata: {}\n\n",
            )
        else:
            route.continue_()

    page.route("**/v1/agents/stream*", agent_stream)
    sign_in(page, base, "agent1", password, "queue")
    expect(page.locator("#page-queue")).to_be_visible()
    for _ in range(100):
        if len(streams) >= 2:
            break
        page.wait_for_timeout(100)
    assert len(streams) >= 2, streams
    assert streams[1]["last_event_id"] == "41"
    assert streams[1]["authorization"].startswith("Bearer ") and "token" not in streams[1]["url"]
    expect(page.locator("#stream-state")).to_have_attribute("data-state", "open", timeout=10000)
    # Agents do not see admin-only pages.
    assert page.locator(".sidebar a[data-route=users]").count() == 0
    assert page.locator(".sidebar a[data-route=queue]").count() == 1

    # The customer writes (with an XSS payload), then asks for a person: it appears live.
    first = customer_message(base, f"مرحبا {XSS}")
    session = {"session_id": first["session_id"], "session_token": first["session_token"]}
    resp = httpx.post(
        f"{base}/v1/handoff/{session['session_id']}",
        headers={"X-Session-Token": session["session_token"]},
        json={"customer_id": "cust-ui-1", "channel": "web", "reason": "direct_request", "lang": "ar"},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    item = page.locator(f"#pending-list [data-session-id='{session['session_id']}']")
    expect(item).to_be_visible(timeout=10000)
    expect(page.locator("#queue-badge")).to_have_text("1")
    expect(item.locator("[data-reason=direct_request]")).to_have_text("Agent button")

    item.click()
    expect(page.locator("#conv-reason")).to_have_attribute("data-reason", "direct_request")
    lang = httpx.get(
        f"{base}/v1/sessions/{session['session_id']}", headers=auth(server["admin_token"]), timeout=10
    ).json()["session"]["lang"]
    expect(page.locator("#conv-lang")).to_have_attribute("data-lang", lang)
    messages = page.locator("#messages")
    expect(messages).to_contain_text(XSS)  # the payload is shown as text ...
    assert messages.locator("img, script").count() == 0  # ... and never became markup
    assert page.evaluate("window.__xss") is None

    page.click("#accept")
    expect(page.locator("#conv-status")).to_have_attribute("data-status", "human_active", timeout=10000)
    expect(page.locator(f"#active-list [data-session-id='{session['session_id']}']")).to_be_visible()

    # Canned replies are searchable per language and fill the reply box.
    page.select_option("#canned-lang", "en")
    page.fill("#canned-search", "Closing")
    page.locator("#canned-list li", has_text="Closing").click()
    filled = page.locator("#reply-text").input_value()
    assert "cust-ui-1" in filled and "{customer_name}" not in filled  # placeholders filled by the server

    # Agent → customer.
    page.fill("#reply-text", "أهلاً، أنا هنا لمساعدتك")
    page.click("#send-reply")
    expect(messages).to_contain_text("أهلاً، أنا هنا لمساعدتك")
    seen = httpx.get(
        f"{base}/v1/session/{session['session_id']}/messages",
        headers={"X-Session-Token": session["session_token"]},
        timeout=10,
    ).json()
    assert any(m["role"] == "agent" and "أنا هنا لمساعدتك" in m["text"] for m in seen["messages"])

    # Customer typing and customer → agent arrive live.
    resp = httpx.post(
        f"{base}/v1/session/{session['session_id']}/typing",
        json={"sender": "customer", "text": "…"},
        headers={"X-Session-Token": session["session_token"]},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    expect(page.locator("#typing-indicator")).to_have_text("Customer is typing…", timeout=10000)
    customer_message(base, "شكراً <b>جزيلاً</b>", session)
    expect(messages).to_contain_text("شكراً <b>جزيلاً</b>", timeout=10000)
    assert messages.locator("b").count() == 0
    shot(page, "admin-queue.png", full_page=False)  # the queue fills the window exactly

    # A message in another waiting chat shows as unread on that chat, not in the open one.
    other = customer_message(base, "مرحبا، عندي سؤال")
    other_session = {"session_id": other["session_id"], "session_token": other["session_token"]}
    resp = httpx.post(
        f"{base}/v1/handoff/{other['session_id']}",
        headers={"X-Session-Token": other["session_token"]},
        json={"reason": "direct_request"},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    other_item = page.locator(f"#pending-list [data-session-id='{other['session_id']}']")
    expect(other_item).to_be_visible()
    customer_message(base, "هل من أحد هنا؟", other_session)
    expect(other_item.locator(".unread")).to_have_text("1")
    expect(page.locator("#queue-badge")).to_have_text("2")  # one waiting chat + one unread message
    assert "هل من أحد هنا؟" not in messages.inner_text()

    # Resolve with outcomes.
    page.click("#resolve")
    page.select_option("#outcome-status", "solved")
    page.select_option("#outcome-category", "network")
    page.fill("#outcome-cause", "tower maintenance")
    page.fill("#outcome-notes", "Customer confirmed the fix")
    page.click("dialog.modal [data-action=submit]")
    expect(page.locator(f"[data-session-id='{session['session_id']}']")).to_have_count(0, timeout=10000)
    detail = httpx.get(
        f"{base}/v1/sessions/{session['session_id']}", headers=auth(server["admin_token"]), timeout=10
    ).json()
    assert detail["session"]["status"] == "resolved"
    assert detail["outcome"]["issue_category"] == "network"
    assert detail["outcome"]["root_cause"] == "tower maintenance"
    assert detail["outcome"]["resolved_by"] == "agent1"
    assert page.errors == []  # type: ignore[attr-defined]


def test_admin_manages_users_and_a_viewer_cannot_reach_admin_pages(
    server: dict[str, Any], new_page: Callable[..., Page]
) -> None:
    base = server["url"]
    admin = new_page()
    sign_in(admin, base, "admin", ADMIN_PASSWORD, "users")
    admin.click("#new-user")
    admin.fill("#new-username", "viewer1")
    admin.fill("#new-display-name", "Viewer1")
    admin.select_option("dialog.modal select[name=role]", "viewer")
    admin.fill("#new-password", "viewer1-pass-12345")
    admin.click("dialog.modal [data-action=submit]")
    row = admin.locator("#users-table tr", has_text="viewer1")
    expect(row).to_contain_text("viewer")

    viewer = new_page()
    sign_in(viewer, base, "viewer1", "viewer1-pass-12345")
    routes = viewer.locator(".sidebar a").evaluate_all("links => links.map(a => a.dataset.route)")
    assert set(routes) == {"dashboard", "reports", "sessions"}
    for route in ("users", "settings", "system", "queue", "knowledge"):
        viewer.goto(f"{base}/admin/#/{route}")
        expect(viewer.locator("#access-denied")).to_be_visible()
    # The server refuses too: the page only hides what the API already forbids.
    token = viewer.evaluate("sessionStorage.getItem('nura.admin.token')")
    assert httpx.get(f"{base}/v1/users", headers=auth(token), timeout=10).status_code == 403
    assert token not in viewer.url

    # Deactivating the user revokes the token: the viewer's next call lands on sign-in.
    row.locator("[data-action=toggle]").click()
    expect(admin.locator("#users-table tr", has_text="viewer1")).to_contain_text("Disabled")
    viewer.click(".sidebar a[data-route=sessions]")
    expect(viewer.locator("#login-form")).to_be_visible(timeout=10000)

    # On a tablet in portrait the menu folds behind a button.
    admin.set_viewport_size({"width": 800, "height": 1100})
    expect(admin.locator(".sidebar")).to_be_hidden()
    admin.click(".menu-toggle")
    expect(admin.locator(".sidebar")).to_be_visible()
    admin.click(".sidebar a[data-route=users]")
    expect(admin.locator(".sidebar")).to_be_hidden()
    assert admin.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # Signing out revokes the admin's token on the server, not just in the page.
    admin_token = admin.evaluate("sessionStorage.getItem('nura.admin.token')")
    admin.click("#logout")
    expect(admin.locator("#login-form")).to_be_visible()
    assert admin.evaluate("sessionStorage.getItem('nura.admin.token')") is None
    assert httpx.get(f"{base}/v1/auth/me", headers=auth(admin_token), timeout=10).status_code == 401
    assert admin.errors == [] and viewer.errors == []  # type: ignore[attr-defined]


def test_login_errors_expiry_and_headers(server: dict[str, Any], new_page: Callable[..., Page]) -> None:
    base = server["url"]
    resp = httpx.get(f"{base}/admin/", timeout=10)
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert resp.headers["x-frame-options"] == "DENY"

    page = new_page()
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.goto(f"{base}/admin/")
    page.fill("#login-username", "admin")
    page.fill("#login-password", "wrong-password-123")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-form .error")).to_have_text("Wrong username or password.")
    sign_in(page, base, "admin", ADMIN_PASSWORD, "users")
    expect(page.locator("#users-table")).to_contain_text("admin")
    token = page.evaluate("sessionStorage.getItem('nura.admin.token')")

    # Settings: AI switch round-trips through the API; the snippet preview runs the real widget.
    page.click(".sidebar a[data-route=settings]")
    expect(page.locator("#ai-enabled")).to_have_text("Enabled")
    page.click("#ai-toggle")
    expect(page.locator("#ai-enabled")).to_have_text("Disabled")
    assert httpx.get(f"{base}/v1/ai/status", headers=auth(token), timeout=10).json()["enabled"] is False
    page.click("#ai-toggle")
    expect(page.locator("#ai-enabled")).to_have_text("Enabled")
    page.select_option("#snippet-lang", "en")
    expect(page.locator("#snippet-code")).to_contain_text(f'src="{base}/widget-loader.js"')
    expect(page.locator("#snippet-code")).to_contain_text('data-lang="en"')
    preview = page.frame_locator("#snippet-preview")
    expect(preview.locator(".nw-panel")).to_be_visible()
    framed = httpx.get(f"{base}/admin/widget-preview.html", timeout=10).headers
    assert "frame-ancestors 'self'" in framed["content-security-policy"] and framed["x-frame-options"] == "SAMEORIGIN"

    # Inboxes: a complaint and an offline contact request, shown as text, handled from the list.
    resp = httpx.post(
        f"{base}/v1/suggestions",
        timeout=10,
        json={"kind": "complaint", "text": f"الخدمة سيئة {XSS}", "contact": "0770 000 0000", "lang": "ar"},
    )
    assert resp.status_code == 201, resp.text
    resp = httpx.post(
        f"{base}/v1/offline-requests",
        timeout=10,
        json={"name": "<b>Layla</b>", "phone": "07701234567", "description": "اتصلوا بي صباحاً", "lang": "ar"},
    )
    assert resp.status_code == 201, resp.text
    page.click(".sidebar a[data-route=suggestions]")
    expect(page.locator("#inbox-table")).to_contain_text(f"الخدمة سيئة {XSS}")
    assert page.locator("#inbox-table img, #inbox-table script").count() == 0
    page.locator("#inbox-table tr", has_text="الخدمة سيئة").locator("button").click()
    page.select_option("dialog.modal select[name=status]", "reviewed")
    page.fill("dialog.modal textarea[name=note]", "called back")
    page.click("dialog.modal [data-action=submit]")
    expect(page.locator("#inbox-table tr", has_text="الخدمة سيئة").locator("[data-status]")).to_have_attribute(
        "data-status", "reviewed"
    )
    page.click(".sidebar a[data-route=offline]")
    expect(page.locator("#inbox-table")).to_contain_text("<b>Layla</b>")
    assert page.locator("#inbox-table b").count() == 0

    # Canned replies: an admin adds one; it is listed for its language.
    page.click(".sidebar a[data-route=canned]")
    page.click("#new-canned")
    page.select_option("dialog.modal select[name=lang]", "ar")
    page.fill("dialog.modal input[name=title]", "تحية المساء")
    page.fill("dialog.modal textarea[name=text]", "مساء الخير {customer_name}، كيف أساعدك؟")
    page.click("dialog.modal [data-action=submit]")
    page.select_option("#canned-filter-lang", "ar")
    expect(page.locator("#canned-table")).to_contain_text("تحية المساء")

    # System: component health and the job and log panels.
    page.click(".sidebar a[data-route=system]")
    expect(page.locator("#health-status")).to_have_attribute("data-status", "ok")
    expect(page.locator("#health")).to_contain_text("Database")
    expect(page.locator("#queue-depth")).to_be_visible()
    expect(page.locator("#audit-log [data-action='ai.enable']").first).to_be_visible()
    assert not any(token in u for u in urls)

    # Revoking the token server-side (a logout elsewhere) sends the page back to sign-in.
    assert httpx.post(f"{base}/v1/auth/logout", headers=auth(token), timeout=10).status_code == 200
    page.click(".sidebar a[data-route=dashboard]")
    expect(page.locator("#login-form")).to_be_visible(timeout=10000)
    expect(page.locator("#login-form .error")).to_contain_text("session has ended")
    assert page.evaluate("sessionStorage.getItem('nura.admin.token')") is None

    # Arabic interface is right-to-left.
    page.select_option("#lang-select", "ar")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    expect(page.locator("#login-form h1")).to_have_text("مكتب دعم نورا")


def test_widget_customer_and_agent_chat_in_two_pages(server: dict[str, Any], new_page: Callable[..., Page]) -> None:
    base = server["url"]
    password = create_user(server, "agent2", "agent")
    agent = new_page()
    sign_in(agent, base, "agent2", password, "queue")
    expect(agent.locator("#stream-state")).to_have_attribute("data-state", "open", timeout=10000)

    customer = new_page()
    customer.goto(f"{base}/widget.html")
    customer.locator("nura-widget-launcher button").click()
    customer.locator(".nw-panel").wait_for(state="visible")
    customer.locator(".nw-in").fill("سؤال عن <i>الفاتورة</i>")
    customer.locator(".nw-in").press("Enter")
    customer.locator(".nw-bot[data-id]").first.wait_for()
    customer.locator(".nw-person").click()  # the widget's "talk to a person" button
    item = agent.locator("#pending-list .queue-item").first
    expect(item).to_be_visible(timeout=10000)
    item.click()
    expect(agent.locator("#messages")).to_contain_text("سؤال عن <i>الفاتورة</i>")
    assert agent.locator("#messages i").count() == 0
    agent.click("#accept")
    expect(agent.locator("#conv-status")).to_have_attribute("data-status", "human_active", timeout=10000)
    # Release puts it back in the queue; accept again.
    agent.click("#release")
    expect(agent.locator("#conv-status")).to_have_attribute("data-status", "pending_handoff", timeout=10000)
    agent.click("#accept")
    expect(agent.locator("#conv-status")).to_have_attribute("data-status", "human_active", timeout=10000)

    # Typing shows on both sides.
    agent.locator("#reply-text").press_sequentially("مر")
    customer.locator(".nw-typing", has_text="يكتب").wait_for(timeout=10000)
    customer.locator(".nw-in").press_sequentially("لحظة")
    expect(agent.locator("#typing-indicator")).to_have_text("Customer is typing…", timeout=10000)
    customer.locator(".nw-in").fill("")

    agent.fill("#reply-text", "مرحباً، معك Agent2")
    agent.click("#send-reply")
    customer.locator(".nw-agent", has_text="مرحباً، معك Agent2").wait_for(timeout=10000)

    customer.locator(".nw-in").fill("شكراً لك")
    customer.locator(".nw-in").press("Enter")
    expect(agent.locator("#messages")).to_contain_text("شكراً لك", timeout=10000)

    # Transfer to a colleague: the chat stays active but is no longer this agent's to answer.
    colleague = create_user(server, "agent3", "agent")
    sid = agent.locator("#active-list .queue-item").first.get_attribute("data-session-id")
    agent.click("#transfer")
    agent.fill("#transfer-agent", "agent3")
    agent.click("dialog.modal [data-action=submit]")
    expect(agent.locator("#conv-head")).to_contain_text("agent3")
    expect(agent.locator("#reply-text")).to_be_hidden()
    expect(agent.locator("#resolve")).to_have_count(0)

    # The colleague resolves it; the first agent's queue empties live.
    token3 = login_token(base, "agent3", colleague)
    resp = httpx.post(
        f"{base}/v1/handoff/{sid}/resolve",
        headers=auth(token3),
        timeout=10,
        json={"status": "solved", "issue_category": "billing", "resolved_by": "agent3"},
    )
    assert resp.status_code == 200, resp.text
    expect(agent.locator("#active-list .queue-item")).to_have_count(0, timeout=10000)
    assert agent.errors == []  # type: ignore[attr-defined]


def test_dashboard_and_reports_show_the_days_work(server: dict[str, Any], new_page: Callable[..., Page]) -> None:
    base = server["url"]
    admin = auth(server["admin_token"])
    # A small day: two bot conversations and one hand-off resolved with an outcome.
    customer_message(base, "النت عندي بطيء")
    customer_message(base, "Why is mobile data so slow today?", lang="en")
    first = customer_message(base, "كم سعر الباقة الشهرية؟")
    sid = first["session_id"]
    resp = httpx.post(
        f"{base}/v1/handoff/{sid}",
        headers={"X-Session-Token": first["session_token"]},
        json={"reason": "direct_request"},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    assert httpx.post(f"{base}/v1/handoff/{sid}/accept", headers=admin, timeout=10).status_code == 200
    resp = httpx.post(
        f"{base}/v1/handoff/{sid}/resolve",
        headers=admin,
        timeout=10,
        json={
            "status": "solved",
            "issue_category": "billing",
            "root_cause": "price question",
            "resolution_notes": "explained",
            "resolved_by": "admin",
        },
    )
    assert resp.status_code == 200, resp.text
    # The hand-off's knowledge gap and the intents are recorded by background jobs; the browser's
    # CSV and the API's must both see them (CI once downloaded the gaps tab before the job ran).
    wait_for_jobs(server)
    dashboard = httpx.get(f"{base}/v1/analytics/dashboard?days=30", headers=admin, timeout=10).json()

    page = new_page()
    sign_in(page, base, "admin", ADMIN_PASSWORD, "dashboard")
    conversations = page.locator("#kpis [data-kpi=conversations] .kpi-value")
    expect(conversations).to_have_text(str(dashboard["totals"]["sessions"]))
    assert dashboard["totals"]["sessions"] >= 3
    # The hand-off was accepted and resolved within the minute: the median tiles show seconds.
    median = dashboard["resolution"]["median_time_to_accept_s"]
    assert median is not None and median < 60
    accept_tile = page.locator("#kpis [data-kpi=time_to_accept]")
    expect(accept_tile.locator(".kpi-label")).to_have_text("Median time to accept")
    expect(accept_tile.locator(".kpi-value")).to_have_text(f"{math.floor(median + 0.5)}s")  # JS Math.round
    resolve_median = dashboard["resolution"]["median_time_to_resolve_s"]
    expect(page.locator("#kpis [data-kpi=time_to_resolve] .kpi-value")).to_have_text(
        f"{math.floor(resolve_median + 0.5)}s"
    )
    expect(page.locator("#activity-chart svg rect").first).to_be_attached()
    expect(page.locator("#source-chart .bar-row").first).to_be_visible()
    expect(page.locator("#latest-conversations")).to_contain_text("كم سعر الباقة الشهرية؟")
    shot(page, "admin-dashboard.png")

    page.click(".sidebar a[data-route=reports]")
    for tab in ("knowledge_gaps", "intents", "handoffs", "outcomes", "cost"):
        page.click(f".tabs button[data-tab={tab}]")
        body = page.locator(f"#report-body .report-tab[data-tab={tab}]")
        expect(body).to_be_visible()
        assert page.locator("#report-body .error, #report-body .unavailable").count() == 0
        with page.expect_download() as download_info:
            page.click("#export-csv")
        downloaded = Path(download_info.value.path()).read_bytes()
        api_csv = httpx.get(f"{base}/v1/analytics/reports/{tab}.csv?days=30", headers=admin, timeout=10)
        assert api_csv.status_code == 200
        assert downloaded == api_csv.content, tab
        if tab == "outcomes":
            expect(body).to_contain_text("Billing")
            assert b"billing" in downloaded
            shot(page, "admin-reports-outcomes.png")

    # Sessions: search by text, then the transcript shows each bot answer's source and confidence.
    page.click(".sidebar a[data-route=sessions]")
    page.fill("#session-q", "سعر الباقة")
    page.click("#session-search button[type=submit]")
    expect(page.locator("#session-total")).to_contain_text("1 ")
    page.locator("#session-results tr.clickable").first.click()
    transcript = page.locator("#transcript")
    expect(transcript).to_contain_text("كم سعر الباقة الشهرية؟")
    expect(transcript.locator(".msg.bot .msg-meta").first).to_contain_text("Confidence")
    expect(page.locator("#transcript-outcome")).to_contain_text("Billing")
    with page.expect_download() as download_info:
        page.click("#export-one-csv")
    exported = Path(download_info.value.path()).read_bytes()
    assert exported.startswith(b"\xef\xbb\xbf") and "كم سعر الباقة الشهرية؟" in exported.decode("utf-8-sig")

    # The hand-off after a bot answer became a knowledge gap; approve it as an example question.
    page.click(".sidebar a[data-route=gaps]")
    gap_row = page.locator("#gaps-table tr", has_text="كم سعر الباقة الشهرية؟")
    expect(gap_row).to_be_visible()
    gap_row.locator("[data-action=approve]").click()
    page.select_option("#gap-mode", "example")
    page.fill("#gap-article", first["article_id"])
    page.click("dialog.modal [data-action=submit]")
    expect(page.locator("#gaps-table tr", has_text="كم سعر الباقة الشهرية؟")).to_have_count(0)
    approved = httpx.get(f"{base}/v1/knowledge-gaps?status=approved", headers=admin, timeout=10).json()
    assert any(g["question"] == "كم سعر الباقة الشهرية؟" for g in approved["groups"])
    assert page.errors == []  # type: ignore[attr-defined]


def test_the_article_the_admin_picks_stays_open_when_the_first_one_arrives_late(
    server: dict[str, Any], new_page: Callable[..., Page]
) -> None:
    """The knowledge tab opens its first article by itself. When that article's answer came after
    the admin had picked another one, it replaced the picked article's form, and the admin's edit
    was saved into the wrong article (seen once in a full CI run: the edit 'did not change the
    answer'). The late answer is held back here and let go after the pick."""
    base = server["url"]
    held: list[Any] = []

    def hold_all_but_the_pick(route: Any) -> None:
        if route.request.url.endswith("/internet-slow"):
            route.continue_()
        else:
            held.append(route)

    page = new_page(lang="ar")
    page.route("**/v1/knowledge/articles/*", hold_all_but_the_pick)
    sign_in(page, base, "admin", ADMIN_PASSWORD, "knowledge")
    deadline = time.monotonic() + 10
    while not held:  # the tab asked for its first article, and that answer is held back
        assert time.monotonic() < deadline, "the knowledge tab did not open its first article"
        page.wait_for_timeout(50)
    page.click("#article-list [data-article-id=internet-slow]")
    expect(page.locator("#article-id")).to_have_value("internet-slow")
    with page.expect_response(lambda resp: "/v1/knowledge/articles/" in resp.url) as late:
        for route in held:
            route.continue_()
    assert late.value.ok
    page.wait_for_timeout(500)  # the page has had the late answer; the picked form must still be there
    expect(page.locator("#article-id")).to_have_value("internet-slow")
    expect(page.locator("#article-list li.selected")).to_have_attribute("data-article-id", "internet-slow")


def test_arabic_article_edit_changes_the_answer(server: dict[str, Any], new_page: Callable[..., Page]) -> None:
    base = server["url"]
    marker = "اتصل بالرقم ٤١١ للمساعدة الفورية"
    before = customer_message(base, "النت عندي بطيء")
    assert before["article_id"] == "internet-slow"
    assert marker not in before["response"]

    page = new_page(lang="ar")
    sign_in(page, base, "admin", ADMIN_PASSWORD, "knowledge")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    page.click("#article-list [data-article-id=internet-slow]")
    expect(page.locator("#article-id")).to_have_value("internet-slow")  # its form, not the first article's
    body_ar = page.locator("#article-body-ar")
    expect(body_ar).to_have_attribute("dir", "rtl")
    expect(page.locator("#article-body-en")).to_have_attribute("dir", "ltr")
    original = body_ar.input_value()
    assert original
    body_ar.fill(f"{original}\n\n{marker}")
    page.click("#save-article")
    expect(page.locator(".toast")).to_contain_text("تم الحفظ")
    shot(page, "admin-article-editor-ar.png")

    after = customer_message(base, "النت عندي بطيء")
    assert after["article_id"] == "internet-slow"
    assert marker in after["response"]

    # The widget, in a customer's page, answers with the new text too.
    customer = new_page()
    customer.goto(f"{base}/widget.html")
    customer.locator("nura-widget-launcher button").click()
    customer.locator(".nw-in").fill("النت عندي بطيء")
    customer.locator(".nw-in").press("Enter")
    customer.locator(".nw-bot[data-id]", has_text=marker).wait_for()

    # "Try a question" shows what the pipeline would answer and why.
    page.click(".tabs button[data-tab=try]")
    page.fill("#try-question", "النت عندي بطيء")
    page.click("#try-ask")
    expect(page.locator("#try-answer")).to_contain_text(marker)
    expect(page.locator("#try-article")).to_contain_text("internet-slow")

    # Topic tree: rename a branch and save.
    page.click(".tabs button[data-tab=tree]")
    label_en = page.locator("#tree-editor input[lang=en]").nth(1)
    label_en.fill("Internet and data (edited)")
    page.click("#save-tree")
    expect(page.locator(".toast").last).to_contain_text("تم الحفظ")
    tree = httpx.get(f"{base}/v1/knowledge/tree", headers=auth(server["admin_token"]), timeout=10).json()["tree"]
    assert any(child["label"].get("en") == "Internet and data (edited)" for child in tree["children"])
    # A leaf can start an action instead of showing an article (the original NURA's tree has these).
    page.locator("#tree-editor select").last.select_option("@complaint")
    page.click("#save-tree")
    expect(page.locator(".toast").last).to_contain_text("تم الحفظ")
    tree = httpx.get(f"{base}/v1/knowledge/tree", headers=auth(server["admin_token"]), timeout=10).json()["tree"]

    def actions(node: dict[str, Any]) -> list[str]:
        return [node.get("action", "")] + [a for c in node.get("children", []) for a in actions(c)]

    assert "complaint" in actions(tree)

    # Handbook: upload a file, follow the ingestion run to its end, and find the new text.
    handbook = ARTIFACTS / "roaming-handbook.md"
    ARTIFACTS.mkdir(exist_ok=True)
    handbook.write_text(
        "# Roaming in Narnia\n\nRoaming in Narnia costs 7 dinars per megabyte on every plan.\n", encoding="utf-8"
    )
    page.click(".tabs button[data-tab=handbook]")
    page.set_input_files("#handbook-file", str(handbook))
    page.click("#upload-handbook")
    expect(page.locator("#ingest-status")).to_have_attribute("data-status", "done", timeout=30000)
    expect(page.locator("#ingest-history")).to_contain_text("roaming-handbook.md")
    hits = httpx.get(
        f"{base}/v1/knowledge/search",
        params={"q": "Narnia roaming", "lang": "en"},
        headers=auth(server["admin_token"]),
        timeout=10,
    ).json()["hits"]
    assert any("Narnia" in hit["text"] for hit in hits)

    # Packs: the export is a valid pack with the edited article.
    page.click(".tabs button[data-tab=packs]")
    with page.expect_download() as download_info:
        page.click("#export-pack")
    pack = json.loads(Path(download_info.value.path()).read_text(encoding="utf-8"))
    assert pack["format"] == "nura-knowledge/1"
    assert any(marker in a["body"]["ar"] for a in pack["articles"] if a["id"] == "internet-slow")
    assert page.errors == []  # type: ignore[attr-defined]


def test_admin_edits_what_customers_get_in_arabic(server: dict[str, Any], new_page: Callable[..., Page]) -> None:
    base = server["url"]
    before = httpx.get(f"{base}/v1/widget/config", timeout=10).json()
    page = new_page(lang="ar")
    sign_in(page, base, "admin", ADMIN_PASSWORD, "settings")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    form = page.locator("#settings-form")
    expect(form.locator("[data-source=COMPANY_NAME]")).to_contain_text("الافتراضي")  # from: default

    page.fill("#set-company_name", "زاگروس موبايل")
    page.uncheck("[data-trigger=explicit]")
    page.fill("#set-business_hours", "sat-thu 09:00-17:00")
    with page.expect_response(lambda r: r.url.endswith("/v1/admin/settings") and r.request.method == "PATCH") as saved:
        page.click("#settings-save")
    assert saved.value.status == 200, saved.value.text()
    assert json.loads(saved.value.request.post_data or "{}") == {
        "company_name": "زاگروس موبايل",
        "handoff_triggers": ["sentiment", "low_confidence", "feedback", "button"],
        "business_hours": "sat-thu 09:00-17:00",
    }
    expect(form.locator("[data-source=COMPANY_NAME]")).to_contain_text("مدير")  # from: admin
    config = httpx.get(f"{base}/v1/widget/config", timeout=10).json()
    assert config["company_name"] == "زاگروس موبايل"
    assert config["business_hours"]["spec"] == "sat-thu 09:00-17:00"
    # The explicit trigger is off: asking for a person stays with the bot.
    asked = customer_message(base, "اريد اكلم موظف خدمة العملاء")
    assert asked["escalated"] is False
    shot(page, "admin-settings-ar.png")

    # A bad time zone is refused, the row is marked and nothing changes.
    page.fill("#set-business_timezone", "Mars/Olympus")
    page.click("#settings-save")
    expect(page.locator("[data-setting=BUSINESS_TIMEZONE].invalid")).to_be_visible()
    assert httpx.get(f"{base}/v1/widget/config", timeout=10).json()["business_hours"]["timezone"] == "Asia/Baghdad"

    # Reset takes the admin's value away: back to the configured one.
    page.click("[data-reset=COMPANY_NAME]")
    expect(form.locator("[data-source=COMPANY_NAME]")).to_contain_text("الافتراضي")
    assert httpx.get(f"{base}/v1/widget/config", timeout=10).json()["company_name"] == before["company_name"]
    assert page.errors == []  # type: ignore[attr-defined]


# Counts the oscillators the page starts: the queue's new-hand-off sound is a short WebAudio tone.
COUNT_BEEPS = """
window.__beeps = 0;
const start = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (...args) { window.__beeps += 1; return start.apply(this, args); };
"""


def test_new_handoffs_raise_the_badge_and_sound_only_when_switched_on(
    server: dict[str, Any], new_page: Callable[..., Page]
) -> None:
    base = server["url"]
    page = new_page()
    page.context.add_init_script(COUNT_BEEPS)
    sign_in(page, base, "admin", ADMIN_PASSWORD, "queue")
    expect(page.locator("#stream-state")).not_to_have_text("Reconnecting…")
    expect(page.locator("#sound-toggle")).not_to_be_checked()

    first = customer_message(base, "اريد اكلم موظف خدمة العملاء")
    assert first["escalated"] is True
    expect(page.locator("#pending-list li")).to_have_count(1)
    expect(page.locator("#queue-badge")).to_have_text("1")
    assert page.evaluate("window.__beeps") == 0  # sound is off by default

    page.check("#sound-toggle")
    second = customer_message(base, "I want to talk to a human agent please", lang="en")
    assert second["escalated"] is True
    expect(page.locator("#pending-list li")).to_have_count(2)
    expect(page.locator("#queue-badge")).to_have_text("2")
    page.wait_for_function("window.__beeps >= 1")
    # The choice is remembered for the next visit.
    assert page.evaluate("localStorage.getItem('nura.admin.sound')") == "1"
    assert page.errors == []  # type: ignore[attr-defined]


def test_tablet_width_in_arabic(server: dict[str, Any], new_page: Callable[..., Page]) -> None:
    """At a tablet's width the menu folds behind a button and no page scrolls sideways."""
    base = server["url"]
    customer_message(base, "اريد اكلم موظف خدمة العملاء")
    page = new_page(lang="ar", width=768)
    sign_in(page, base, "admin", ADMIN_PASSWORD, "queue")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator(".sidebar")).to_be_hidden()
    expect(page.locator("#pending-list li")).to_have_count(1)
    for route in ("queue", "dashboard", "reports", "knowledge", "settings"):
        page.goto(f"{base}/admin/#/{route}")
        expect(page.locator("main h1, .page-header h1").first).to_be_visible()
        overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (route, overflow)
    page.goto(f"{base}/admin/#/queue")
    expect(page.locator("#pending-list li")).to_have_count(1)
    shot(page, "admin-queue-tablet-ar.png")
    page.click(".menu-toggle")
    expect(page.locator(".sidebar")).to_be_visible()
    page.click(".sidebar a[data-route=dashboard]")
    expect(page.locator("#kpis")).to_be_visible()
    assert page.errors == []  # type: ignore[attr-defined]
