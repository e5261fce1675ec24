"""The widget files as served by the app (headers, caching, CORS), their size budget, and checks of
their source that keep them CSP-safe and fully translated. Browser behaviour is in
test_widget_browser.py."""

from __future__ import annotations

import gzip
import re

import pytest
from conftest import REPO

WIDGET = REPO / "widget"
LOADER_BUDGET = 3 * 1024
WIDGET_BUDGET = 40 * 1024


@pytest.mark.parametrize(
    ("name", "ctype", "cache"),
    [
        ("widget-loader.js", "application/javascript", "public, max-age=300"),
        ("widget.js", "application/javascript", "public, max-age=3600"),
        ("widget.html", "text/html", "no-cache"),
    ],
)
async def test_assets_are_served_cacheable_and_embeddable(client, name: str, ctype: str, cache: str) -> None:
    resp = await client.get(f"/{name}", headers={"Origin": "https://shop.example"})
    assert resp.status_code == 200
    assert resp.headers["content-type"] == f"{ctype}; charset=utf-8"
    assert resp.headers.get_list("cache-control") == [cache]  # one header, not two that disagree
    assert resp.headers["access-control-allow-origin"] == "*"
    assert resp.headers["cross-origin-resource-policy"] == "cross-origin"
    assert resp.content == (WIDGET / name).read_bytes()
    again = await client.get(f"/{name}", headers={"If-Modified-Since": resp.headers["last-modified"]})
    assert again.status_code == 304


async def test_preflight_allows_the_widget_calls(client) -> None:
    resp = await client.options(
        "/v1/message",
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-session-token",
        },
    )
    assert resp.status_code == 204
    assert resp.headers["access-control-allow-origin"] == "*"
    allowed = resp.headers["access-control-allow-headers"].lower()
    assert "content-type" in allowed and "x-session-token" in allowed and "last-event-id" in allowed


def test_size_budget() -> None:
    loader = len(gzip.compress((WIDGET / "widget-loader.js").read_bytes(), 9))
    widget = len(gzip.compress((WIDGET / "widget.js").read_bytes(), 9))
    print(
        f"widget-loader.js {loader} B gzip (budget {LOADER_BUDGET}); widget.js {widget} B gzip (budget {WIDGET_BUDGET})"
    )
    assert loader < LOADER_BUDGET
    assert widget < WIDGET_BUDGET


@pytest.mark.parametrize("name", ["widget-loader.js", "widget.js"])
def test_source_is_csp_and_markup_safe(name: str) -> None:
    """No code from strings, no HTML parsing of text, no style attributes, one global."""
    source = (WIDGET / name).read_text(encoding="utf-8")
    for forbidden in (
        "eval(",
        "new Function",
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "setAttribute('style'",
        'setAttribute("style"',
        ".style.",
        "setAttribute('on",
        "setTimeout('",
        'setTimeout("',
    ):
        assert forbidden not in source, forbidden
    assert source.lstrip().startswith("/*") and "(function () {\n  'use strict';" in source
    assert re.findall(r"\bw(?:indow)?\.([A-Za-z_$][\w$]*)\s*=(?!=)", source) == ["NuraWidget"]


def test_every_string_exists_in_arabic_sorani_kurmanji_and_english() -> None:
    source = (WIDGET / "widget.js").read_text(encoding="utf-8")
    table = source[source.index("var S = {") : source.index("var LANG_NAMES")]
    blocks = re.split(r"\n    (ar|ckb|ku|en): \{", table)
    keys = {
        blocks[i]: re.findall(r"(?:^|[{,]\s*)(\w+):\s*['\"]", blocks[i + 1], re.M) for i in range(1, len(blocks), 2)
    }
    assert set(keys) == {"ar", "ckb", "ku", "en"}
    assert len(keys["ar"]) > 70
    assert sorted(keys["ar"]) == sorted(keys["ckb"]) == sorted(keys["ku"]) == sorted(keys["en"])
    # Sorani is written in Arabic script with its own letters (ڕ ڵ ێ ۆ ە): no Latin text slipped in
    # untranslated, apart from file-format names.
    ckb = blocks[blocks.index("ckb") + 1]
    for value in re.findall(r":\s*'([^']*)'", ckb):
        assert not re.search(r"[A-Za-z]{4,}", re.sub(r"JPEG|PNG|WebP|PDF|\{\w+\}", "", value)), value
    assert re.search("[ڕڵێۆە]", ckb)
    loader = (WIDGET / "widget-loader.js").read_text(encoding="utf-8")
    assert re.search(r"\{ ar: '[^']+', ckb: '[^']+', ku: '[^']+', en: '[^']+' \}", loader)
