"""The learning loop in Chromium, in the Arabic admin: an agent resolves a hand-off naming the
article that answers, the Knowledge gaps page shows the customer's question with that article, one
click accepts it, and the next customer asking the same way gets the article (issue 16)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from a11y_support import axe_violations, describe
from playwright.sync_api import Page, expect
from test_admin import (  # noqa: F401 - browser, server and new_page are fixtures
    ADMIN_PASSWORD,
    auth,
    browser,
    customer_message,
    new_page,
    server,
    sign_in,
    wait_for_jobs,
)

QUESTION = "my phone shows sos only since morning"
ARTICLE = "no-connection"


def test_agent_names_the_article_and_one_click_teaches_the_bot(
    server: dict[str, Any],  # noqa: F811
    new_page: Callable[..., Page],  # noqa: F811
) -> None:
    base = server["url"]
    before = customer_message(base, QUESTION, lang="en")
    assert not (before["kind"] == "article" and before.get("article_id") == ARTICLE), before
    session = {"session_id": before["session_id"], "session_token": before["session_token"]}
    asked = customer_message(base, "I want to talk to an agent", session, lang="en")
    assert asked["status"] == "pending_handoff", asked
    sid = session["session_id"]

    page = new_page("ar")
    sign_in(page, base, "admin", ADMIN_PASSWORD, "queue")
    item = page.locator(f"#pending-list [data-session-id='{sid}']")
    expect(item).to_be_visible(timeout=10000)
    item.click()
    page.click("#accept")
    expect(page.locator("#conv-status")).to_have_attribute("data-status", "human_active", timeout=10000)

    page.click("#resolve")
    dialog = page.locator("dialog.modal")
    expect(dialog).to_contain_text("المقالة التي تجيب عن السؤال")
    chooser = page.locator("#outcome-article")
    expect(chooser.locator("option[value=none]")).to_have_text("لا شيء: موضوع جديد")
    expect(chooser.locator(f"option[value='{ARTICLE}']")).to_have_count(1)
    page.select_option("#outcome-status", "solved")
    page.select_option("#outcome-article", ARTICLE)
    page.click("dialog.modal [data-action=submit]")
    expect(page.locator(f"[data-session-id='{sid}']")).to_have_count(0, timeout=10000)
    wait_for_jobs(server)

    # Proposed, not added: the bot still does not answer with the article.
    still = customer_message(base, QUESTION, lang="en")
    assert not (still["kind"] == "article" and still.get("article_id") == ARTICLE), still

    page.goto(f"{base}/admin/#/gaps")
    row = page.locator("#gaps-table tr", has_text=QUESTION)
    expect(row).to_have_count(1, timeout=10000)
    expect(row).to_contain_text(ARTICLE)
    accept = row.locator("[data-action=accept]")
    expect(accept).to_have_text("قبول كسؤال مثال")
    violations = axe_violations(page, selector="#gaps-table")  # the new column and button too
    assert not violations, describe(violations)
    accept.click()
    expect(page.locator("body")).to_contain_text("أُضيف كسؤال مثال.", timeout=10000)
    expect(page.locator("#gaps-table tr", has_text=QUESTION)).to_have_count(0, timeout=10000)
    assert not page.errors  # type: ignore[attr-defined]

    article = httpx.get(
        f"{base}/v1/knowledge/articles/{ARTICLE}", headers=auth(server["admin_token"]), timeout=10
    ).json()
    assert QUESTION in article["examples"]["en"]
    after = customer_message(base, QUESTION, lang="en")
    assert after["kind"] == "article" and after["article_id"] == ARTICLE, after
