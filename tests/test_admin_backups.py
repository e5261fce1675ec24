"""The System page's backups card in real headless Chromium against a real ``nura serve``: a
failed backup is an alert at the top of the page (Arabic, right to left), "back up now" runs one
through the job queue, and the alert goes once a backup succeeds. Screenshots land in
test-artifacts/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from test_admin import ADMIN_PASSWORD, browser, new_page, shot, sign_in  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def test_a_failed_backup_is_an_alert_and_back_up_now_clears_it(
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    new_page: Callable[..., Page],  # noqa: F811 - the fixture imported above
) -> None:
    folder = tmp_path / "backups"
    folder.write_text("a file where the backups folder should be")
    monkeypatch.setenv("BACKUP_DIR", str(folder))
    monkeypatch.setenv("BACKUP_SCHEDULE", "02:30")
    server: dict[str, Any] = request.getfixturevalue("live_server")
    page = new_page("ar")
    sign_in(page, server["url"], "admin", ADMIN_PASSWORD, "system")
    expect(page.locator("#backup-schedule")).to_contain_text("02:30 (Asia/Baghdad)")
    expect(page.locator("#backup-last")).to_contain_text("لا يوجد بعد")

    page.click("#backup-now")
    expect(page.locator("#backup-alert-text")).to_be_visible(timeout=30_000)
    alert = page.locator("#backup-alert-text")
    expect(alert).to_have_attribute("role", "alert")
    expect(alert).to_contain_text("فشلت آخر نسخة احتياطية")
    expect(page.locator("#backup-last [data-status=failed]")).to_have_text("فشلت")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("[...window.__nuraMissingStrings]") == []
    shot(page, "system-backup-failed-ar.png")

    folder.unlink()  # the folder can be made now
    page.click("#backup-now")
    expect(page.locator("#backup-last [data-status=ok]")).to_have_text("نجحت", timeout=30_000)
    expect(page.locator("#backup-alert-text")).to_have_count(0)
    archives = sorted(p.name for p in folder.iterdir())
    assert len(archives) == 1 and archives[0].startswith("nura-backup-")
    expect(page.locator("#backups table tbody tr")).to_have_count(2)
    assert page.evaluate("[...window.__nuraMissingStrings]") == []
    shot(page, "system-backup-ok-ar.png")
