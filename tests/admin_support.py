"""What the admin's browser tests share beyond tests/test_admin.py: a live server whose customers
are verified by HMAC, a day of realistic traffic in four languages (verified and unverified
customers, a photo and a PDF, gaps, an active chat, a resolved one, inbox items, a rule), and a
page walker that waits until a page has finished loading."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import serving_subprocess
from PIL import Image
from playwright.sync_api import Page
from test_admin import ADMIN_PASSWORD, auth, login_token, wait_for_jobs

from nura_appliance.auth.customer import customer_signature

HMAC_SECRET = "admin-tests-hmac-secret-0123456789abcdef"
VERIFIED = {"id": "acct-1001", "name": "ليلى أحمد", "phone": "0770 123 4567"}
AGENT_PASSWORD = "agent-pass-2024-long"

# Every page of the admin, and the states worth checking on their own (a tab, an open chat …).
PAGES = (
    "queue",
    "dashboard",
    "reports",
    "sessions",
    "knowledge",
    "gaps",
    "canned",
    "suggestions",
    "offline",
    "users",
    "settings",
    "system",
)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One live server per test module (customers verified by HMAC, always open for hand-offs)
    with seeded traffic; the tests of a module share it (starting and seeding takes ~15 s)."""
    folder = tmp_path_factory.mktemp("admin-seeded")
    env = {"NURA_BUSINESS_HOURS": "always", "CUSTOMER_HMAC_SECRET": HMAC_SECRET, "RATE_LIMIT_IP_PER_MINUTE": "100000"}
    with serving_subprocess(folder, env) as info:
        info["admin_token"] = login_token(info["url"], "admin", ADMIN_PASSWORD)
        info.update(seed(info, folder))
        yield info


def png_bytes(color: tuple[int, int, int] = (15, 118, 110)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), color).save(out, format="PNG")
    return out.getvalue()


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def message(
    base: str, text: str, lang: str | None = None, session: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "session_id": session["session_id"] if session else None,
        "channel": "web",
        "message": text,
        **extra,
    }
    if lang:
        body["lang"] = lang
    headers = {"X-Session-Token": session["session_token"]} if session else {}
    resp = httpx.post(f"{base}/v1/message", json=body, headers=headers, timeout=20)
    assert resp.status_code == 200, resp.text
    return resp.json()


def seed(server: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """A small day in four languages; returns the ids the tests look for."""
    base = server["url"]
    admin = auth(server["admin_token"])
    resp = httpx.post(
        f"{base}/v1/users",
        headers=admin,
        timeout=10,
        json={"username": "omar", "role": "agent", "password": AGENT_PASSWORD, "display_name": "عمر"},
    )
    assert resp.status_code == 201, resp.text
    for text, lang in (
        ("النت عندي بطيء", "ar"),
        ("ئینتەرنێتەکەم خاوە", "ckb"),
        ("Înternet hêdî ye", "ku"),
        ("How do I top up my balance?", "en"),
        ("ما هو عاصمة فرنسا", "ar"),
        ("مرحبا", "ar"),
    ):
        message(base, text, lang)
    # A verified customer asks for a person (name, phone and account from the host site).
    verified = message(
        base,
        "اريد اكلم موظف خدمة العملاء",
        "ar",
        customer_id=VERIFIED["id"],
        customer_signature=customer_signature(HMAC_SECRET, VERIFIED["id"]),
        customer={"name": VERIFIED["name"], "phone": VERIFIED["phone"]},
    )
    assert verified["status"] == "pending_handoff", verified
    verified_session = {"session_id": verified["session_id"], "session_token": verified["session_token"]}
    # The customer sends a photo of the SIM card and a PDF bill.
    files = [("file", ("sim-card.png", png_bytes(), "image/png")), ("file", ("bill.pdf", PDF, "application/pdf"))]
    resp = httpx.post(
        f"{base}/v1/session/{verified['session_id']}/attachments",
        headers={"X-Session-Token": verified["session_token"]},
        files=files,
        data={"caption": "صورة الشريحة والفاتورة"},
        timeout=20,
    )
    assert resp.status_code in (200, 201), resp.text
    # An unverified customer presses the widget's agent button (name given, no signature).
    unverified = httpx.post(
        f"{base}/v1/handoff/direct",
        json={"session_id": None, "channel": "web", "reason": "button", "lang": "ckb", "customer": {"name": "Karwan"}},
        timeout=10,
    ).json()
    assert unverified["status"] == "pending_handoff", unverified
    # A chat the admin holds, and one resolved with an outcome.
    active = message(base, "I want to talk to a human agent please", "en")
    assert httpx.post(f"{base}/v1/handoff/{active['session_id']}/accept", headers=admin, timeout=10).status_code == 200
    resp = httpx.post(
        f"{base}/v1/session/{active['session_id']}/agent-message",
        headers=admin,
        json={"message": "Hello, how can I help?"},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    done = message(base, "كم سعر الباقة الشهرية؟", "ar")
    resp = httpx.post(
        f"{base}/v1/handoff/{done['session_id']}",
        headers={"X-Session-Token": done["session_token"]},
        json={"reason": "button"},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    assert httpx.post(f"{base}/v1/handoff/{done['session_id']}/accept", headers=admin, timeout=10).status_code == 200
    resp = httpx.post(
        f"{base}/v1/handoff/{done['session_id']}/resolve",
        headers=admin,
        json={"status": "solved", "issue_category": "billing", "root_cause": "price question"},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    # The inboxes and a rule.
    httpx.post(
        f"{base}/v1/suggestions", json={"kind": "complaint", "text": "الخدمة بطيئة في المساء", "lang": "ar"}, timeout=10
    )
    httpx.post(
        f"{base}/v1/offline-requests",
        json={"name": "Hêvî", "phone": "07501234567", "description": "Ji kerema xwe min bigerin", "lang": "ku"},
        timeout=10,
    )
    resp = httpx.post(
        f"{base}/v1/knowledge/rules",
        headers=admin,
        json={
            "id": "ramadan-contest",
            "patterns": {"ar": ["مسابقة رمضان"], "en": ["Ramadan contest"]},
            "response": {"ar": "أرسل كلمة رمضان إلى 4444.", "en": "Text RAMADAN to 4444."},
            "match": "contains",
        },
        timeout=10,
    )
    assert resp.status_code == 201, resp.text
    wait_for_jobs(server)
    return {
        "verified_session": verified_session,
        "unverified_session": unverified["session_id"],
        "active_session": active["session_id"],
        "resolved_session": done["session_id"],
    }


def settle(page: Page) -> None:
    """Until the page has drawn its data: nothing loading, nothing busy, images decoded."""
    page.wait_for_function(
        "() => document.querySelector('#page section.page') && !document.querySelector('#page .loading')"
        " && !document.querySelector('[aria-busy=true]')"
        " && [...document.images].every((img) => !img.getAttribute('src') || img.complete)"
    )


def open_page(page: Page, base: str, name: str) -> None:
    page.goto(f"{base}/admin/#/{name}")
    page.wait_for_selector(f"#page-{name.split('?')[0]}")
    settle(page)
