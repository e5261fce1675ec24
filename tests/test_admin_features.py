"""The admin features issue 20 added, in real Chromium against a seeded `nura serve`: the rules
editor (with its test box), transcript export from the Sessions page (CSV with a BOM, JSON, a
printable page), the customer's identity and attachments in the queue (and an agent's own
attachment), and display names asked for when a user is created."""

# ruff: noqa: F811 - the fixtures (browser, new_page, seeded) are imported from test_admin and admin_support
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from admin_support import VERIFIED, open_page, png_bytes, seeded  # noqa: F401 - seeded is a fixture
from playwright.sync_api import expect
from test_admin import ADMIN_PASSWORD, ARTIFACTS, auth, browser, new_page, sign_in  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def ask(base: str, text: str, lang: str) -> dict[str, Any]:
    resp = httpx.post(f"{base}/v1/message", json={"session_id": None, "message": text, "lang": lang}, timeout=15)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_rules_editor_adds_tests_switches_off_and_deletes_a_rule(seeded: dict[str, Any], new_page: Any) -> None:
    base = seeded["url"]
    question = "كيف انضم الى نادي نجوم سند"
    assert ask(base, question, "ar")["source"] != "rules"
    page = new_page(lang="ar", width=1280)
    sign_in(page, base, "admin", ADMIN_PASSWORD, "knowledge?tab=rules")
    expect(page.locator("[role=tab][data-tab=rules]")).to_have_attribute("aria-selected", "true")
    page.click("#new-rule")
    expect(page.locator("#rule-form-title")).to_be_focused()
    page.fill("#rule-id", "stars-club")
    page.check("#rule-match-contains")
    page.fill("#rule-phrases-ar", "نادي نجوم سند\nنادي النجوم")
    page.fill("#rule-phrases-en", "Sanad Stars club")
    page.fill("#rule-answer-ar", "نادي نجوم سند مجاني: أرسل نجوم إلى 4411 لتبدأ بجمع النقاط.")
    page.fill("#rule-answer-en", "The Sanad Stars club is free: text STARS to 4411 to start collecting points.")
    # The test box, before saving: the draft would fire; the bot does not use it yet.
    page.fill("#rule-test-text", question)
    page.click("#rule-test-run")
    expect(page.locator("#rule-test-draft .pill.ok")).to_be_visible()
    expect(page.locator("#rule-test-answer [data-tier]")).not_to_have_attribute("data-tier", "rules")
    page.click("#save-rule")
    expect(page.locator("#rule-list [data-rule-id=stars-club]")).to_be_visible()
    answer = ask(base, question, "ar")
    assert answer["source"] == "rules" and "4411" in answer["response"]
    english = ask(base, "How do I join the Sanad Stars club?", "en")
    assert english["source"] == "rules" and english["response"].startswith("The Sanad Stars club")
    # The test box keeps the message and now shows the saved rule answering.
    expect(page.locator("#rule-test-text")).to_have_value(question)
    expect(page.locator("#rule-test-hits [data-rule-id=stars-club]")).to_be_visible()
    expect(page.locator("#rule-test-answer [data-tier=rules]")).to_be_visible()

    # Switched off: kept in the list, marked, no longer used.
    page.uncheck("#rule-enabled")
    page.click("#save-rule")
    expect(page.locator("#rule-list [data-rule-id=stars-club]")).to_contain_text("متوقفة")
    assert ask(base, question, "ar")["source"] != "rules"
    # Deleted (confirmed): gone from the list and from the API.
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#delete-rule")
    expect(page.locator("#rule-list [data-rule-id=stars-club]")).to_have_count(0)
    assert (
        httpx.get(f"{base}/v1/knowledge/rules/stars-club", headers=auth(seeded["admin_token"]), timeout=10).status_code
        == 404
    )
    audit = httpx.get(f"{base}/v1/audit-log?limit=50", headers=auth(seeded["admin_token"]), timeout=10).json()[
        "entries"
    ]
    assert {"knowledge.rule.create", "knowledge.rule.save", "knowledge.rule.delete"} <= {
        e["action"] for e in audit if e["target"] == "stars-club"
    }
    # A refused rule keeps the form and says why (no phrase).
    page.click("#new-rule")
    page.fill("#rule-answer-ar", "جواب بلا عبارة")
    page.click("#save-rule")
    expect(page.locator("#rule-error")).not_to_be_empty()
    assert page.errors == []  # type: ignore[attr-defined]


def test_sessions_page_exports_transcripts_in_three_formats(seeded: dict[str, Any], new_page: Any) -> None:
    base = seeded["url"]
    sid = seeded["verified_session"]["session_id"]
    page = new_page(lang="ckb", width=1280)
    sign_in(page, base, "admin", ADMIN_PASSWORD, f"sessions?id={sid}")
    expect(page.locator("#transcript")).to_contain_text("اريد اكلم موظف خدمة العملاء")
    # The verified identity and the attachments are in the transcript.
    expect(page.locator("#transcript-facts [data-verified=true]")).to_be_visible()
    expect(page.locator("#transcript-facts")).to_contain_text(VERIFIED["name"])
    expect(page.locator("#transcript .attachment-image")).to_have_count(1)
    page.wait_for_function("() => document.querySelector('#transcript .attachment-image').naturalWidth > 0")
    expect(page.locator("#transcript [data-attachment-id]").last).to_contain_text("bill.pdf")

    with page.expect_download() as got:
        page.click("#export-one-csv")
    raw = Path(got.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert (
        rows[0]["session_id"] == sid
        and rows[0]["customer_name"] == VERIFIED["name"]
        and rows[0]["customer_verified"] == "yes"
    )
    assert any("sim-card.png" in r["attachments"] for r in rows)
    with page.expect_download() as got:
        page.click("#export-one-html")
    printable = Path(got.value.path()).read_text(encoding="utf-8")
    assert '<html lang="ckb" dir="rtl">' in printable and "sim-card.png" in printable and "<script" not in printable
    (ARTIFACTS / "admin-transcript-printable-ckb.html").write_text(printable, encoding="utf-8")

    # The whole search's list: the same filters as the search box.
    page.fill("#session-customer", VERIFIED["id"])
    page.click("#session-search button[type=submit]")
    expect(page.locator("#session-total")).to_contain_text("1")
    with page.expect_download() as got:
        page.click("#export-list-json")
    listed = json.loads(Path(got.value.path()).read_text(encoding="utf-8"))
    assert [s["session"]["session_id"] for s in listed["sessions"]] == [sid]
    assert page.errors == []  # type: ignore[attr-defined]


def test_queue_shows_who_the_customer_is_and_their_files_and_the_agent_attaches_one(
    seeded: dict[str, Any], new_page: Any, tmp_path: Path
) -> None:
    base = seeded["url"]
    verified = seeded["verified_session"]
    page = new_page(lang="en", width=1280)
    sign_in(page, base, "admin", ADMIN_PASSWORD, "queue")
    item = page.locator(f"#pending-list [data-session-id='{verified['session_id']}']")
    expect(item).to_contain_text(VERIFIED["name"])
    expect(item.locator(".pill.ok")).to_have_text("Verified")
    unverified = page.locator(f"#pending-list [data-session-id='{seeded['unverified_session']}']")
    expect(unverified).to_contain_text("Karwan")
    expect(unverified.locator(".pill.warn")).to_have_text("Not verified")

    item.locator(".queue-open").click()
    facts = page.locator("#conv-customer")
    expect(facts).to_contain_text(VERIFIED["phone"])
    expect(facts).to_contain_text(VERIFIED["id"])
    expect(facts.locator("[data-verified=true]")).to_be_visible()
    image = page.locator("#messages .attachment-image")
    page.wait_for_function("() => document.querySelector('#messages .attachment-image')?.naturalWidth === 320")
    assert image.get_attribute("src").startswith("blob:")  # fetched with the token, never a URL with it
    with page.expect_download() as got:
        page.locator("#messages [data-attachment-id]", has_text="bill.pdf").click()
    assert Path(got.value.path()).read_bytes().startswith(b"%PDF")

    # The admin accepts and attaches a photo of their own; the customer gets it.
    page.click("#accept")
    expect(page.locator("#reply-text")).to_be_focused()
    photo = tmp_path / "coverage-map.png"
    photo.write_bytes(png_bytes((37, 99, 235)))
    with page.expect_file_chooser() as chooser:
        page.click("#attach")
    chooser.value.set_files(str(photo))
    expect(page.locator("#messages .msg.agent .attachment-image")).to_have_count(1)
    seen = httpx.get(
        f"{base}/v1/session/{verified['session_id']}/messages",
        headers={"X-Session-Token": verified["session_token"]},
        timeout=10,
    ).json()["messages"]
    sent = [m for m in seen if m["role"] == "agent" and m.get("attachments")]
    assert sent and sent[-1]["attachments"][0]["name"] == "coverage-map.png"
    assert page.errors == []  # type: ignore[attr-defined]


def test_new_users_get_the_name_customers_see(seeded: dict[str, Any], new_page: Any) -> None:
    base = seeded["url"]
    page = new_page(lang="ku", width=390)
    sign_in(page, base, "admin", ADMIN_PASSWORD, "users")
    # The first admin (from `nura init`, no ADMIN_DISPLAY_NAME) is flagged.
    expect(page.locator("[data-missing-name=admin]")).to_be_visible()
    page.click("#new-user")
    page.fill("#new-username", "sara")
    page.click("dialog.modal [data-action=submit]")
    # The display name is required for an agent: the dialog stays, the field says why.
    expect(page.locator("dialog.modal")).to_be_visible()
    assert page.evaluate("document.querySelector('#new-display-name').validity.valueMissing")
    page.fill("#new-display-name", "Sara Ehmed")
    page.click("dialog.modal [data-action=submit]")
    expect(page.locator("dialog.modal", has_text="sara")).to_be_visible()  # the generated password, shown once
    page.click("dialog.modal [data-action=cancel]")
    expect(page.locator("#users-table [data-user=sara]")).to_be_visible()
    users = httpx.get(f"{base}/v1/users", headers=auth(seeded["admin_token"]), timeout=10).json()["users"]
    sara = next(u for u in users if u["username"] == "sara")
    assert sara["display_name"] == "Sara Ehmed" and sara["display_name_set"] is True
    # Focus went back to the button that opened the dialog.
    expect(page.locator("#new-user")).to_be_focused()
    assert page.errors == []  # type: ignore[attr-defined]
