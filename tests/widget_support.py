"""Support for the widget's browser tests: a host site on its own origin with a strict CSP and
hostile CSS, page helpers, and the fixtures (Chromium, the API server with a known agent key, an
API server whose LLM tier streams from a scripted OpenAI-compatible server)."""

from __future__ import annotations

import http.server
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import REPO, free_port, make_settings

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
API_KEY = "widget-test-api-key-0123456789"
ARTIFACTS = REPO / "test-artifacts"
PRIMARY = "#0f766e"

HOSTILE_CSS = """
* { font-family: "Comic Sans MS", cursive !important; color: rgb(255, 0, 0) !important;
    letter-spacing: 3px !important; text-transform: uppercase !important; }
html, body { direction: ltr; font-size: 30px; line-height: 3; }
button { background: rgb(255, 255, 0) !important; border: 5px solid green !important; width: 300px !important; }
div { padding: 40px !important; margin: 20px !important; }
nura-chat-widget, nura-widget-launcher { display: none; transform: scale(.5); }
"""


class HostSite:
    """A tiny static site on its own port: the customer's website that embeds the widget."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, str, dict[str, str]]] = {}
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (stdlib naming)
                page = site.pages.get(self.path.split("?")[0])
                if page is None:
                    self.send_error(404)
                    return
                body, ctype, headers = page
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.port = free_port()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.port}"

    def add(self, path: str, body: str, ctype: str = "text/html; charset=utf-8", **headers: str) -> str:
        self.pages[path] = (body, ctype, headers)
        return self.url + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def strict_csp(api_origin: str) -> str:
    return (
        f"default-src 'none'; script-src {api_origin}; connect-src {api_origin}; style-src 'self'; "
        "img-src 'self' blob:; font-src 'self'; base-uri 'none'; object-src 'none'; form-action 'none'; "
        "require-trusted-types-for 'script'; trusted-types nura-widget"
    )


def host_page(api: str, *, widget: bool = True, attrs: str = "", position: str = "bottom-right") -> str:
    script = (
        (
            f'<script src="{api}/widget-loader.js" data-api="{api}/v1" data-lang="ar" '
            f'data-position="{position}" data-primary="{PRIMARY}" {attrs}></script>'
        )
        if widget
        else ""
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<title>Customer site</title><link rel="stylesheet" href="/host.css"></head>
<body><h1>Sanad Telecom</h1><p id="host-p">Welcome to our site.</p><button id="host-btn">Host button</button>
{script}</body></html>"""


@pytest.fixture(scope="module", name="browser")
def browser_fixture() -> Iterator[Any]:
    with playwright_sync.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture(name="site")
def site_fixture() -> Iterator[HostSite]:
    server = HostSite()
    server.add("/host.css", HOSTILE_CSS, "text/css; charset=utf-8")
    yield server
    server.close()


@pytest.fixture(name="api_server")
def api_server_fixture(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> dict[str, Any]:
    """``live_server`` with a known legacy API key so the test can act as the agent."""
    monkeypatch.setenv("API_KEY", API_KEY)
    for name, value in getattr(request, "param", {}).items():
        monkeypatch.setenv(name, value)
    return request.getfixturevalue("live_server")


class Watch:
    """Console errors, CSP violations and dialogs seen by a page."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)

    def csp_violations(self) -> list[str]:
        return [e for e in self.errors if "Content Security Policy" in e or "Trusted Type" in e]


def new_page(browser: Any, **context: Any) -> tuple[Any, Any, Watch]:
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    page.set_default_timeout(15000)
    return ctx, page, Watch(page)


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path


def stored_state(page: Any, api: str) -> dict[str, Any]:
    return page.evaluate("key => JSON.parse(localStorage.getItem(key) || '{}')", f"nura-widget:{api}/v1")


def open_widget(page: Any) -> None:
    page.locator("nura-widget-launcher button").click()
    page.locator(".nw-panel").wait_for(state="visible")


def last_bot(page: Any) -> Any:
    return page.locator(".nw-msg.nw-bot[data-role=bot]").last


def send(page: Any, text: str) -> None:
    page.locator(".nw-in").fill(text)
    page.locator(".nw-in").press("Enter")


def agent_call(api: str, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.request(method, f"{api}{path}", json=body, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=10)


def query(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Read the live server's SQLite file (WAL allows a reader beside the running server)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return [tuple(row) for row in conn.execute(sql, args).fetchall()]
    finally:
        conn.close()


def wait_until(check: Any, timeout: float = 10.0) -> None:
    deadline = time.time() + timeout
    while not check():
        if time.time() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


def closed_hours() -> str:
    """BUSINESS_HOURS that are closed now: one hour, two days from today (Asia/Baghdad)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    today = datetime.now(ZoneInfo("Asia/Baghdad")).weekday()
    return f"{days[(today + 2) % 7]} 10:00-11:00"


@pytest.fixture(name="streaming_server")
def streaming_server_fixture(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """A live server whose LLM tier streams from a scripted OpenAI-compatible server, over a
    handbook-only knowledge base (no articles, so handbook questions reach the LLM)."""
    from ai_support import ScriptedOpenAI, seed_handbook

    from nura_appliance.context import build_context

    scripted = ScriptedOpenAI(default={"text": "Dial *155# to redeem your points for data bundles [1]."})
    ctx = build_context(make_settings(tmp_path / "live-data", LOAD_DEFAULT_KNOWLEDGE=False))
    seed_handbook(ctx.db)
    ctx.close()
    for name, value in {
        "OPENAI_BASE_URL": scripted.base_url,
        "OPENAI_API_KEY": "sk-test",
        "NURA_LLM_PROVIDER": "openai",
        "LLM_STREAM": "true",
        "LOAD_DEFAULT_KNOWLEDGE": "false",
    }.items():
        monkeypatch.setenv(name, value)
    yield request.getfixturevalue("live_server")
    scripted.stop()


RECORD_STREAM = """() => {
  const log = document.querySelector('nura-chat-widget').shadowRoot.querySelector('.nw-log');
  window.__streamed = [];
  new MutationObserver(() => {
    const el = log.querySelector('.nw-streaming .nw-text');
    if (el) window.__streamed.push(el.textContent);
  }).observe(log, {subtree: true, childList: true, characterData: true});
}"""
