"""The admin is Arabic first and shows no raw codes (issue 20).

- The translation table (admin_static/js/i18n/codes.json) is walked against every code the
  server can send, collected from the code itself (constants, the literals passed where codes are
  made, what a running app registers) — not from a hand-written list — and against what a live
  server with a seeded day actually returns; every interface string has ar/ckb/ku texts.
- In Chromium: the language follows the browser (Arabic when it is Arabic or none of ours);
  reasons, gap reasons and sources appear translated; the Reports details chart is labelled with
  its questions (it showed 13 bars all labelled "open"); no word is broken across lines in tables
  ("fallbac/k", "Databa/se", "Knowle/dge").
"""

# ruff: noqa: F811 - the fixtures (browser, new_page, seeded) are imported from test_admin and admin_support
from __future__ import annotations

import ast
import functools
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from admin_support import open_page, seeded  # noqa: F401 - seeded is a fixture
from conftest import initialised_copy, make_settings, running_app
from playwright.sync_api import expect
from test_admin import ADMIN_PASSWORD, auth, browser, new_page, sign_in  # noqa: F401 - fixtures

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "nura_appliance"
CODES = json.loads((REPO / "admin_static/js/i18n/codes.json").read_text(encoding="utf-8"))
STRINGS = json.loads((REPO / "admin_static/js/i18n/strings.json").read_text(encoding="utf-8"))
LANGS = ("en", "ar", "ckb", "ku")
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")


@functools.cache
def _package_nodes() -> tuple[ast.AST, ...]:
    """Every AST node of the package, parsed once per test session (the walks below read it ~10 times)."""
    return tuple(
        node for path in sorted(PACKAGE.rglob("*.py")) for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
    )


def _calls(func_names: set[str]) -> list[ast.Call]:
    found = []
    for node in _package_nodes():
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name in func_names:
                found.append(node)
    return found


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def keyword_literals(name: str) -> set[str]:
    """Every string literal passed as ``name=...`` anywhere in the package."""
    out = set()
    for node in _package_nodes():
        if isinstance(node, ast.keyword) and node.arg == name and _literal(node.value):
            out.add(node.value.value)  # type: ignore[union-attr]
    return out


def class_attribute_literals(path: Path, name: str) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.Assign) and any(getattr(t, "id", None) == name for t in item.targets):
                    if _literal(item.value):
                        out.add(item.value.value)  # type: ignore[union-attr]
    return out


def positional_literals(func_names: set[str], index: int) -> set[str]:
    return {v for call in _calls(func_names) if len(call.args) > index and (v := _literal(call.args[index]))}


async def server_enums(tmp_path: Path) -> dict[str, set[str]]:
    """Every code the server sends, by kind, collected from the code and from a running app."""
    from nura_appliance.analytics.gaps import GAP_REASONS
    from nura_appliance.analytics.jobs import EXTRA_INTENTS, SENTIMENTS
    from nura_appliance.analytics.metrics import ANSWER_SOURCES, confidence_bucket
    from nura_appliance.analytics.review import REVIEW_STATUSES
    from nura_appliance.analytics.service import REPORT_TABS
    from nura_appliance.attachments.files import IMAGE_KINDS
    from nura_appliance.auth.store import ROLES
    from nura_appliance.conversation.pipeline import KINDS
    from nura_appliance.handoff.inbox import OFFLINE_REQUESTS, SUGGESTION_KINDS, SUGGESTIONS
    from nura_appliance.handoff.service import OUTCOME_STATUSES, REASON_TRIGGERS
    from nura_appliance.knowledge.pack import RULE_MATCHES
    from nura_appliance.languages import LANGS as CONTENT_LANGS
    from nura_appliance.ops.admin_settings import TRIGGERS
    from nura_appliance.settings import SETTINGS, load_settings
    from nura_appliance.storage.base import SESSION_STATUSES, TURN_ROLES
    from nura_appliance.storage.sqlite.whatsapp import STATUS_RANK as WHATSAPP_STATUS_RANK

    widget_reasons = set(re.findall(r"reason: '([a-z_]+)'", (REPO / "widget/widget.js").read_text(encoding="utf-8")))
    # Where a setting's value came from: a real load with a file, the environment and an override.
    data = tmp_path / "origins"
    data.mkdir()
    (data / "nura.toml").write_text('COMPANY_NAME = "X"\n', encoding="utf-8")
    loaded = load_settings(overrides={"DEFAULT_LANG": "en"}, data_dir=data, environ={"AGENT_NAME": "Y"})
    provider = next(s for s in SETTINGS if s.name == "NURA_LLM_PROVIDER")
    async with running_app(make_settings(initialised_copy(tmp_path / "app"))) as (app, _client):
        jobs = set(app.ctx.nura.jobs.kinds())
        components = set(app.ctx.health_checks)
    ingest_source = (PACKAGE / "knowledge/ingest.py").read_text(encoding="utf-8") + (
        PACKAGE / "knowledge/routes.py"
    ).read_text(encoding="utf-8")
    return {
        "session_status": set(SESSION_STATUSES),
        "turn_role": set(TURN_ROLES),
        "outcome_status": set(OUTCOME_STATUSES),
        "handoff_reason": set(REASON_TRIGGERS)
        | keyword_literals("handoff_reason")
        | keyword_literals("reason") - set(GAP_REASONS)
        | widget_reasons,
        "gap_reason": set(GAP_REASONS),
        "review_status": set(REVIEW_STATUSES),
        "source": set(ANSWER_SOURCES)
        | positional_literals({"Answer"}, 2)
        | keyword_literals("source") - {"api", "cli", "upload"}
        | class_attribute_literals(PACKAGE / "ai/providers.py", "source")
        | class_attribute_literals(PACKAGE / "ai/local.py", "source"),
        "answer_kind": set(KINDS) | positional_literals({"Answer"}, 0),
        "role": set(ROLES),
        "suggestion_status": set(SUGGESTIONS.statuses),
        "offline_status": set(OFFLINE_REQUESTS.statuses),
        "suggestion_kind": set(SUGGESTION_KINDS),
        "trigger": set(TRIGGERS),
        "setting_source": set(loaded.origins.values()) | {"admin"},
        "report_tab": set(REPORT_TABS),
        "sentiment": set(SENTIMENTS),
        "confidence_bucket": {confidence_bucket(v) for v in (0.99, 0.6, 0.01)},
        "intent": set(EXTRA_INTENTS),
        "language": set(CONTENT_LANGS),
        "rule_match": set(RULE_MATCHES),
        "attachment_kind": set(IMAGE_KINDS) | {"pdf"},
        "job_kind": jobs | {"whatsapp_send"},  # registered only where WhatsApp is configured
        "whatsapp_status": set(WHATSAPP_STATUS_RANK),
        "job_status": set(
            re.findall(r"status = '([a-z]+)'", (PACKAGE / "jobs/service.py").read_text(encoding="utf-8"))
        ),
        "ingestion_status": set(re.findall(r"""(?:status = '|"status": ")([a-z]+)""", ingest_source)),
        "health_component": components,
        "ai_provider": set(provider.choices or ()) | class_attribute_literals(PACKAGE / "ai/providers.py", "name"),
        "audit_action": {
            v for v in positional_literals({"record", "_audit"}, 1) if re.fullmatch(r"[a-z]+(\.[a-z_]+)+", v)
        },
        "security_event": positional_literals({"security", "log_throttled"}, 0),
        "channel": keyword_literals("channel"),
        "upload_source": {"upload", "api", "cli"} & (keyword_literals("source") | {"cli"}),
    }


async def test_every_server_code_has_a_name_in_every_language(tmp_path: Path) -> None:
    enums = await server_enums(tmp_path)
    assert sum(len(v) for v in enums.values()) > 120 and enums["handoff_reason"] >= {"button", "direct_request"}
    assert {"article", "fallback", "rules", "openai", "local_llm", "agent", "handoff"} <= enums["source"]
    assert {"knowledge.rule.save", "settings.change", "sessions.export"} <= enums["audit_action"]
    missing = []
    for group, codes in enums.items():
        for code in sorted(codes):
            entry = CODES.get(group, {}).get(code)
            if entry is None:
                missing.append(f"{group}.{code}")
                continue
            for lang in LANGS:
                text = entry.get(lang, "")
                if not text.strip():
                    missing.append(f"{group}.{code}.{lang}")
                # Arabic-script languages are written in Arabic script (no code leaking through).
                if (
                    lang in ("ar", "ckb")
                    and not ARABIC_SCRIPT.search(text)
                    and not re.fullmatch(r"[A-Z ()]+|API|CSV|JSON", text)
                ):
                    missing.append(f"{group}.{code}.{lang}={text!r}")
    assert missing == [], missing


def test_every_interface_string_exists_in_arabic_and_both_kurdish_scripts() -> None:
    assert len(STRINGS) > 300
    bad = [
        key for key, entry in STRINGS.items() if any(not entry.get(lang, "").strip() for lang in ("ar", "ckb", "ku"))
    ]
    assert bad == []
    # Sorani strings are in Arabic script; Kurmanji ones in Latin script.
    assert [
        k
        for k, e in STRINGS.items()
        if ARABIC_SCRIPT.search(k) is None
        and re.search(r"[a-z]{3}", k)
        and not ARABIC_SCRIPT.search(e["ckb"])
        and not re.fullmatch(r"[A-Z0-9+ .()]+", e["ckb"])
    ] == []
    assert [k for k, e in STRINGS.items() if ARABIC_SCRIPT.search(e["ku"])] == []
    # Every placeholder of the English text survives translation.
    for key, entry in STRINGS.items():
        for lang in ("ar", "ckb", "ku"):
            assert set(re.findall(r"\{\w+\}", key)) == set(re.findall(r"\{\w+\}", entry[lang])), (key, lang)


@pytest.mark.browser
def test_the_interface_follows_the_browser_language_arabic_when_unknown(browser: Any, seeded: dict[str, Any]) -> None:
    for locale, expected in (("ar-IQ", "ar"), ("fr-FR", "ar"), ("en-US", "en"), ("ckb-IQ", "ckb"), ("ku-TR", "ku")):
        context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 800})
        try:
            page = context.new_page()
            page.goto(f"{seeded['url']}/admin/")
            expect(page.locator("#login-form")).to_be_visible()
            assert page.evaluate("document.documentElement.lang") == expected, locale
            assert page.evaluate("document.documentElement.dir") == ("rtl" if expected in ("ar", "ckb") else "ltr")
            assert page.locator("#lang-select").input_value() == expected
            if locale == "fr-FR":
                # The choice is remembered: English picked on the sign-in page stays English.
                page.select_option("#lang-select", "en")
                page.reload()
                expect(page.locator("#login-form h1")).to_have_text("NURA support desk")
        finally:
            context.close()


WORD_BREAKS = """() => {
  // A word split over two lines has a Range with two client rects on different lines.
  const broken = [];
  for (const cell of document.querySelectorAll('#page td, #page th, #page .bar-label, #page .kpi-label')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.textContent.matchAll(/[\\p{L}\\p{M}]{4,}/gu)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (tops.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}"""


@pytest.mark.browser
def test_codes_are_translated_charts_named_and_words_whole(seeded: dict[str, Any], new_page: Any) -> None:
    base = seeded["url"]
    for lang, width in (("ar", 1280), ("ckb", 390), ("en", 390)):
        page = new_page(lang=lang, width=width)
        sign_in(page, base, "admin", ADMIN_PASSWORD, "dashboard")
        open_page(page, base, "dashboard")
        sources = page.locator("#source-chart .bar-label").all_inner_texts()
        assert sources and not {"article", "fallback", "rules"} & set(sources), sources
        if lang != "en":
            assert all(ARABIC_SCRIPT.search(s) for s in sources), sources
        gaps = page.locator("#top-gaps td").all_inner_texts()
        assert not any(code in " ".join(gaps) for code in ("handoff_after_answer", "out_of_scope")), gaps
        assert page.evaluate(WORD_BREAKS) == [], ("dashboard", lang, width)
        for name in ("system", "sessions", "gaps", "users"):
            open_page(page, base, name)
            assert page.evaluate(WORD_BREAKS) == [], (name, lang, width, page.evaluate(WORD_BREAKS))
        # The queue: reasons by name (the widget's "button" included), the customer's identity.
        open_page(page, base, "queue")
        reasons = page.locator("#pending-list [data-reason]").all_inner_texts()
        assert reasons and "button" not in reasons and "explicit_request" not in reasons, reasons
        # Reports: the details chart names its questions (not 13 bars of "open").
        open_page(page, base, "reports")
        bars = page.locator("#report-body .card:last-child table.bar-chart .bar-label").all_inner_texts()
        assert len(bars) >= 2 and len(set(bars)) == len(bars) and "open" not in bars, bars
        page.click("[role=tab][data-tab=handoffs]")
        expect(page.locator("#report-body .report-tab[data-tab=handoffs]")).to_be_visible()
        cells = page.locator("#report-body td, #report-body th").all_inner_texts()
        assert "button" not in cells and "explicit_request" not in cells, cells
        assert page.evaluate("[...(window.__nuraMissingStrings || [])]") == []
        assert page.errors == []  # type: ignore[attr-defined]

    # What the live API returns is in the table too (not only what the code declares).
    admin = auth(seeded["admin_token"])
    seen: dict[str, set[str]] = {"session_status": set(), "handoff_reason": set(), "gap_reason": set(), "source": set()}
    for s in httpx.get(f"{base}/v1/sessions/list?limit=200", headers=admin, timeout=10).json()["sessions"]:
        seen["session_status"].add(s["status"])
        if s["handoff_reason"]:
            seen["handoff_reason"].add(s["handoff_reason"])
    for g in httpx.get(f"{base}/v1/knowledge-gaps?status=all", headers=admin, timeout=10).json()["groups"]:
        seen["gap_reason"].update(g["reasons"])
    seen["source"].update(
        httpx.get(f"{base}/v1/analytics/dashboard?days=7", headers=admin, timeout=10).json()["sources"]
    )
    assert all(seen.values()), seen
    for group, codes in seen.items():
        assert codes <= set(CODES[group]), (group, codes - set(CODES[group]))
