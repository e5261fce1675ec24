"""The issue's two-chunk handbook answers in the chat widget (real headless Chromium, a real
``nura serve`` subprocess), after being ingested with the command line into the running
appliance's data dir: "ما هي رسوم حجز الرقم المميز" gets the fee sentence with the handbook's
heading as its source."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from handbook_support import TWO_CHUNK
from widget_support import (  # noqa: F401 - *_fixture are fixtures
    HostSite,
    api_server_fixture,
    browser_fixture,
    host_page,
    new_page,
    open_widget,
    send,
    site_fixture,
    strict_csp,
)

pytestmark = pytest.mark.browser


def test_the_two_chunk_handbook_answers_in_the_widget(
    browser: Any, site: HostSite, api_server: dict[str, Any], tmp_path: Path
) -> None:
    (tmp_path / "hb").mkdir()
    (tmp_path / "hb" / "numbers.md").write_text(TWO_CHUNK, encoding="utf-8")
    # The command line in its own process, as an admin would run it beside the serving appliance.
    result = subprocess.run(
        [sys.executable, "-m", "nura_appliance", "knowledge", "ingest", str(tmp_path / "hb")]
        + ["--data-dir", str(api_server["data_dir"])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and "numbers.md" in result.stdout, result.stdout + result.stderr

    api = api_server["url"]
    url = site.add("/index.html", host_page(api), **{"Content-Security-Policy": strict_csp(api)})
    ctx, page, watch = new_page(browser, viewport={"width": 1280, "height": 860}, locale="ar")
    page.goto(url)
    open_widget(page)
    page.wait_for_timeout(2500)  # the server notices another process's knowledge change within 2 s
    send(page, "ما هي رسوم حجز الرقم المميز")
    answer = page.locator(".nw-bot[data-id]", has_text="2500").last
    answer.wait_for()
    assert "من أي فرع" not in answer.inner_text()  # the sentence, not the chunk's first lines
    # the source names the handbook and the section quoted (the chunk's heading)
    assert "الأرقام المميزة" in answer.locator(".nw-src").inner_text(), answer.inner_text()
    assert not watch.csp_violations()
    ctx.close()
