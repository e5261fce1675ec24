"""Telegram long polling: in-process (TELEGRAM_POLLER_ENABLED) and standalone `nura telegram`,
against the fake Bot API server; offsets persist so updates are neither skipped nor repeated."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import initialised_copy, make_settings
from telegram_fake_api import FakeTelegram
from typer.testing import CliRunner

from nura_appliance.channels.telegram_routes import TelegramPoller
from nura_appliance.cli.main import app as cli
from nura_appliance.settings import Settings


async def settle(fake: FakeTelegram) -> None:
    """Wait until the fake has read every request the stopped poller had already sent: a
    cancelled client cannot take back a request on the wire, and the fake would answer it with a
    failure the test scripts next."""
    seen = -1
    while seen != len(fake.calls):
        seen = len(fake.calls)
        await asyncio.sleep(0.3)


@pytest.fixture
def fake_tg() -> Iterator[FakeTelegram]:
    fake = FakeTelegram().start()
    fake.max_poll_wait = 0.3
    yield fake
    fake.stop()


@pytest.fixture
def settings(data_dir: Path, fake_tg: FakeTelegram) -> Settings:
    return make_settings(
        initialised_copy(data_dir),
        TELEGRAM_BOT_TOKEN=fake_tg.token,
        TELEGRAM_API_BASE=fake_tg.url,
        TELEGRAM_POLLER_ENABLED=True,
    )


async def test_in_process_poller_answers_and_remembers_its_offset(
    client: httpx.AsyncClient, app: Any, fake_tg: FakeTelegram
) -> None:
    fake_tg.push_update(**fake_tg.text_update(11, "/start", lang="ku"))
    for _ in range(200):
        if fake_tg.sent:
            break
        await asyncio.sleep(0.05)
    assert fake_tg.sent and fake_tg.sent[0]["text"].startswith("Bi xêr hatî")
    db = app.ctx.nura.db
    for _ in range(100):
        row = await db.fetchone("SELECT value FROM telegram_state WHERE key = 'poll_offset'")
        if row:
            break
        await asyncio.sleep(0.05)
    assert row is not None and int(row["value"]) == 1001

    # A poller restarted later resumes from the stored offset, so the answered update is
    # confirmed and never fetched again.
    runtime = app.ctx.nura.telegram
    await runtime.stop()
    await settle(fake_tg)
    again = TelegramPoller(runtime.channel, poll_timeout=0)
    fake_tg.push_update(**fake_tg.text_update(11, "/start", lang="ku", update_id=1000))
    assert await again.poll_once() == 0
    # Had the process died after answering but before saving the offset, the update would come
    # back: its id is recognised and it is not answered twice.
    await db.execute("DELETE FROM telegram_state")
    fake_tg.push_update(**fake_tg.text_update(11, "/start", lang="ku", update_id=1000))
    fake_tg.push_update(**fake_tg.text_update(11, "Spas", lang="ku"))
    before = len(fake_tg.sent)
    assert await again.poll_once() == 2
    assert len(fake_tg.sent) == before + 1


async def test_poller_stops_on_a_refused_token_and_waits_on_flood_control(
    app: Any, client: httpx.AsyncClient, fake_tg: FakeTelegram
) -> None:
    runtime = app.ctx.nura.telegram
    await runtime.stop()
    await settle(fake_tg)
    channel = runtime.channel
    waits: list[float] = []

    async def record_sleep(seconds: float) -> None:
        waits.append(seconds)

    channel.api.sleep = record_sleep
    fake_tg.fail_next("getUpdates", 429, "Too Many Requests: retry after 7", retry_after=7)
    fake_tg.push_update(**fake_tg.text_update(12, "/menu", lang="en"))
    assert await TelegramPoller(channel, poll_timeout=0).poll_once() == 1
    assert waits == [7.0] and fake_tg.sent[-1]["text"] == "Pick a topic:"

    fake_tg.token = "other:token"  # the bot token was revoked: run() ends instead of spinning
    await asyncio.wait_for(TelegramPoller(channel, poll_timeout=0, idle_wait=0).run(), timeout=5)


def test_standalone_command_polls_once_and_sets_the_webhook(
    tmp_path: Path, fake_tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    data = tmp_path / "standalone"
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", fake_tg.token)
    monkeypatch.setenv("TELEGRAM_API_BASE", fake_tg.url)
    monkeypatch.setenv("APP_ENV", "test")
    fake_tg.push_update(**fake_tg.text_update(31, "What packages do you have?", lang="en"))
    result = runner.invoke(cli, ["telegram", "--once", "--data-dir", str(data)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert fake_tg.sent and str(fake_tg.sent[0]["chat_id"]) == "31"

    result = runner.invoke(cli, ["telegram", "--set-webhook", "https://desk.example.com", "--data-dir", str(data)])
    assert result.exit_code == 1 and "TELEGRAM_WEBHOOK_SECRET" in result.output
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "hook-secret-abcdef")
    result = runner.invoke(
        cli, ["telegram", "--set-webhook", "https://desk.example.com", "--data-dir", str(data)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert fake_tg.webhook is not None
    assert fake_tg.webhook["url"] == "https://desk.example.com/v1/telegram/webhook/hook-secret-abcdef"
    assert fake_tg.webhook["secret_token"] == "hook-secret-abcdef"

    monkeypatch.delenv("TELEGRAM_BOT_TOKEN")
    result = runner.invoke(cli, ["telegram", "--once", "--data-dir", str(data)])
    assert result.exit_code == 1 and "TELEGRAM_BOT_TOKEN" in result.output
