"""Scheduled backups (issue 21): the schedule's arithmetic, scheduled runs through the real job
consumer with a short schedule, pruning beyond BACKUP_KEEP, a run missed while the server was down
run once at start, a failure alerted on the System page, in /v1/health, /v1/metrics and as a signed
webhook event, and restores of the archives in both storage modes (SQLite, and PostgreSQL on
127.0.0.1:5432 through pg_dump / psql)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import tarfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import make_settings, need_service, running_app, write_sql
from test_webhooks import Receiver
from typer.testing import CliRunner

from nura_appliance.cli.main import app as cli
from nura_appliance.errors import ConfigError
from nura_appliance.jobs.webhooks import verify
from nura_appliance.ops.backup import BackupError, restore_backup, verify_archive
from nura_appliance.ops.schedule import parse_schedule
from nura_appliance.ops.scheduled_backups import ARCHIVE, prune
from nura_appliance.settings import load_settings
from nura_appliance.storage.stores import open_database

API_KEY = {"Authorization": "Bearer suite-api-key-Vb4Rz8Kq2Wn6Tx9M"}
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


async def wait_for(check: Callable[[], Awaitable[Any]], timeout: float = 60.0) -> Any:
    """Poll ``check`` until it returns something truthy (the job consumer runs in its own threads)."""
    deadline = time.monotonic() + timeout
    while True:
        found = await check()
        if found:
            return found
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def backup_settings(data_dir: Path, folder: Path, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "BACKUP_SCHEDULE": "* * * * *",
        "BACKUP_KEEP": 2,
        "BACKUP_DIR": str(folder),
        "JOB_WORKER_ENABLED": True,
        "LOAD_DEFAULT_KNOWLEDGE": False,
        "RATE_LIMIT_NEW_SESSIONS_PER_MINUTE": 1000,
    }
    values.update(overrides)
    return make_settings(data_dir, **values)


async def say(client: Any, text: str) -> str:
    resp = await client.post("/v1/message", json={"session_id": None, "customer_id": "c-1", "message": text})
    assert resp.status_code == 200, resp.text
    return str(resp.json()["session_id"])


async def run_of(app: Any, run_id: int) -> Any:
    run = await app.ctx.nura.backups.store.get(run_id)
    return run if run is not None and run.status in ("ok", "failed") else None


# -- the schedule ----------------------------------------------------------------------------------
def test_daily_times_and_cron_lines_in_the_business_time_zone() -> None:
    zone = ZoneInfo("Asia/Baghdad")
    at = datetime(2026, 12, 6, 2, 59, tzinfo=zone).timestamp()
    daily = parse_schedule("15:30, 03:00", "Asia/Baghdad")
    assert daily.daily == ((3, 0), (15, 30)) and daily.describe() == "daily at 03:00, 15:30 (Asia/Baghdad)"
    assert datetime.fromtimestamp(daily.next_after(at), zone) == datetime(2026, 12, 6, 3, 0, tzinfo=zone)
    three = datetime(2026, 12, 6, 3, 0, tzinfo=zone).timestamp()
    assert daily.next_after(three) == datetime(2026, 12, 6, 15, 30, tzinfo=zone).timestamp()
    assert daily.latest_at_or_before(three) == three
    # Owed in (after, until]: one slot, the last one, however long the stretch.
    assert daily.latest_between(three - 86400 * 3, three + 60) == three
    assert daily.latest_between(three, three + 60) is None

    cron = parse_schedule("0 */6 * * *", "Asia/Baghdad")
    assert cron.cron == "0 */6 * * *"
    assert datetime.fromtimestamp(cron.next_after(at), zone) == datetime(2026, 12, 6, 6, 0, tzinfo=zone)
    assert datetime.fromtimestamp(cron.latest_at_or_before(at), zone) == datetime(2026, 12, 6, 0, 0, tzinfo=zone)
    for off in ("", "off", "OFF", "none"):
        assert not parse_schedule(off, "UTC").enabled and parse_schedule(off, "UTC").next_after(at) is None


def test_daylight_saving_keeps_the_wall_clock_time() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    daily = parse_schedule("03:00", "Europe/Berlin")
    before = datetime(2026, 3, 27, 12, 0, tzinfo=berlin).timestamp()
    first = daily.next_after(before)
    second = daily.next_after(first)
    assert datetime.fromtimestamp(first, berlin).hour == 3 and datetime.fromtimestamp(second, berlin).hour == 3
    assert second - first == 23 * 3600  # the night the clocks spring forward is an hour short
    skipped = parse_schedule("02:30", "Europe/Berlin").next_after(first)
    assert datetime.fromtimestamp(skipped, berlin) == datetime(2026, 3, 29, 3, 30, tzinfo=berlin)


@pytest.mark.parametrize("bad", ["3am", "25:00", "03:00, later", "* * *", "61 * * * *", "0 3 * * * *"])
def test_a_schedule_that_cannot_be_read_stops_start_up_naming_the_setting(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ConfigError, match="BACKUP_SCHEDULE"):
        load_settings(data_dir=tmp_path, environ={"BACKUP_SCHEDULE": bad})
    with pytest.raises(ConfigError, match="BACKUP_KEEP"):
        load_settings(data_dir=tmp_path, environ={"BACKUP_KEEP": "0"})


def test_pruning_keeps_the_newest_scheduled_archives_and_never_hand_made_ones(tmp_path: Path) -> None:
    names = [
        "nura-backup-20261201-000000Z-run9.tar.gz",
        "nura-backup-20261202-000000Z-run10.tar.gz",
        "nura-backup-20261202-000000Z-run11.tar.gz",
        "nura-backup-20261203-000000Z-run12.tar.gz",
        "nura-backup-20261130-020000.tar.gz",  # `nura backup` by hand
        "notes.txt",
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    stale = tmp_path / "nura-backup-20261101-000000Z-run1.tar.gz.partial"
    stale.write_bytes(b"half")
    old = time.time() - 2 * 86400
    import os

    os.utime(stale, (old, old))
    deleted = prune(tmp_path, 2)
    assert sorted(deleted) == ["nura-backup-20261201-000000Z-run9.tar.gz", "nura-backup-20261202-000000Z-run10.tar.gz"]
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [
        "notes.txt",
        "nura-backup-20261130-020000.tar.gz",
        "nura-backup-20261202-000000Z-run11.tar.gz",
        "nura-backup-20261203-000000Z-run12.tar.gz",
    ]


# -- scheduled runs (SQLite) -----------------------------------------------------------------------
async def test_a_short_schedule_runs_backups_prunes_and_the_newest_archive_restores(
    data_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    settings = backup_settings(data_dir, folder)
    # The schedule is every minute on the wall clock. The service's clock stops at the start-up
    # check's baseline as soon as the app is up, so the job consumer's own minute ticks (real
    # minute boundaries while the test runs) see no time pass; the test moves the clock on.
    async with running_app(settings) as (app, client):
        service = app.ctx.nura.backups
        now = [0.0]
        service.clock = lambda: now[0]
        assert await service.store.recent() == []  # no real minute boundary passed before the swap
        start = await service.store.schedule_since(service.schedule_key)
        assert start is not None  # the start-up check set the baseline
        now[0] = start
        assert await service.check_schedule() is None
        sessions: list[str] = []
        runs = []
        for minute in (1, 2, 3):
            sessions.append(await say(client, f"مرحبا {minute}"))
            now[0] = start + 60 * minute + 1
            run_id = await service.check_schedule()
            assert run_id is not None
            assert await service.check_schedule(start + 60 * minute + 1) is None  # a second process: nothing
            run = await wait_for(lambda rid=run_id: run_of(app, rid))
            assert run.status == "ok", run.error
            assert run.origin == "schedule" and run.slot is not None and run.database == "sqlite"
            runs.append(run)
        assert [r.pruned for r in runs] == [0, 0, 1]
        archives = sorted(p.name for p in folder.iterdir())
        assert len(archives) == 2 and all(ARCHIVE.match(n) for n in archives)
        assert archives == sorted(r.archive for r in runs[1:])

        status = (await client.get("/v1/backups", headers=API_KEY)).json()
        assert status["last"]["id"] == runs[-1].id and status["last_success"]["status"] == "ok"
        assert status["alert"] is None and status["keep"] == 2 and len(status["archives"]) == 2
        assert status["schedule"]["enabled"] and status["schedule"]["next_run_at"] > now[0]
        metrics = (await client.get("/v1/metrics", headers=API_KEY)).text
        assert 'nura_backups_total{result="ok"} 3.0' in metrics
        assert "nura_backup_last_run_ok 1.0" in metrics
        success = float(
            next(m for m in metrics.splitlines() if m.startswith("nura_backup_last_success_timestamp")).split()[-1]
        )
        assert abs(success - runs[-1].finished_at) < 1
        health = (await client.get("/v1/health", headers=API_KEY)).json()
        assert health["components"]["backups"]["ok"] is True

    # The newest archive holds the three sessions; restored into an empty data dir they are all there.
    newest = folder / runs[-1].archive
    manifest = verify_archive(newest)
    assert manifest["database"] == "sqlite"
    target = tmp_path / "restored"
    restore_backup(newest, target)
    conn = sqlite3.connect(target / "nura.db")
    try:
        restored = {r[0] for r in conn.execute("SELECT id FROM sessions")}
    finally:
        conn.close()
    assert set(sessions) <= restored


async def test_a_run_missed_while_the_server_was_down_runs_once_at_start(data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    settings = backup_settings(data_dir, folder, BACKUP_SCHEDULE="03:00, 15:00")
    async with running_app(settings) as (app, _client):
        service = app.ctx.nura.backups
        assert await service.store.recent() == []  # first start with a schedule: nothing owed yet
        # Pretend the last check was three days ago (the server was down since): six slots passed.
        await write_sql(
            app.ctx.nura.db,
            "UPDATE backup_schedule_state SET checked_until = checked_until - ?, since = since - ?",
            (3 * 86400, 3 * 86400),
        )
        status = (await _client.get("/v1/backups", headers=API_KEY)).json()
        assert status["alert"]["kind"] == "overdue"  # slots passed and no backup: the System page says so
    async with running_app(settings) as (app, client):
        service = app.ctx.nura.backups
        [queued] = await service.store.recent()  # one run for the whole stretch, queued by the start-up check
        assert queued.origin == "schedule"
        assert queued.slot == service.schedule.latest_at_or_before(time.time())
        run = await wait_for(lambda: run_of(app, queued.id))
        assert run.status == "ok", run.error
        assert await service.check_schedule() is None
        assert len(await service.store.recent()) == 1
        assert (await client.get("/v1/backups", headers=API_KEY)).json()["alert"] is None

    # A changed schedule starts counting afresh: a slot of it that passed while the old one was in
    # force is not owed (the state still said "checked until three days ago" for the old schedule).
    # (Rewound with no server running: a server's job consumer checks the schedule as it starts,
    # and on a loaded machine that check came after a rewind made inside it and queued a run of
    # the old schedule.)
    rewind = "UPDATE backup_schedule_state SET checked_until = checked_until - ?, since = since - ?"
    _, db = open_database(settings)
    try:
        db.write_sync(lambda conn: conn.execute(rewind, (3 * 86400, 3 * 86400)))
    finally:
        db.close()
    changed = backup_settings(data_dir, folder, BACKUP_SCHEDULE="0 4 * * *")
    async with running_app(changed) as (app, _client):
        service = app.ctx.nura.backups
        assert len(await service.store.recent()) == 1
        assert await service.check_schedule() is None


async def test_back_up_now_from_the_admin_and_one_at_a_time(data_dir: Path, tmp_path: Path) -> None:
    settings = backup_settings(data_dir, tmp_path / "b", BACKUP_SCHEDULE="off", JOB_WORKER_ENABLED=False)
    async with running_app(settings) as (app, client):
        first = await client.post("/v1/backups", headers=API_KEY)
        assert first.status_code == 202 and first.json()["run"]["status"] == "queued"
        again = await client.post("/v1/backups", headers=API_KEY)
        assert again.status_code == 409 and again.json()["error"]["code"] == "backup_running"
        assert await app.ctx.nura.jobs.run_pending() >= 1
        run = await run_of(app, first.json()["run"]["id"])
        assert run.status == "ok" and run.origin == "manual" and run.requested_by == "api-key"
        audit = (await client.get("/v1/audit-log?action=backup.run", headers=API_KEY)).json()
        assert audit["entries"] and audit["entries"][0]["target"] == str(run.id)
        status = (await client.get("/v1/backups", headers=API_KEY)).json()
        assert status["schedule"]["enabled"] is False and status["schedule"]["next_run_at"] is None
        assert status["alert"] is None and status["last_success"]["id"] == run.id


async def test_a_failed_backup_is_an_alert_and_a_signed_webhook_event(data_dir: Path, tmp_path: Path) -> None:
    receiver = Receiver()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backup folder should be")
    settings = backup_settings(
        data_dir,
        blocker,
        ESCALATION_WEBHOOK_URL=receiver.url,
        ESCALATION_WEBHOOK_SECRET="whsec-backup-test-123",
    )
    try:
        async with running_app(settings) as (app, client):
            service = app.ctx.nura.backups
            run_id = await service.check_schedule(time.time() + 61)
            run = await wait_for(lambda: run_of(app, run_id))
            assert run.status == "failed" and run.error
            await wait_for(lambda: asyncio.sleep(0, result=receiver.requests))
            [request] = receiver.requests
            headers = request["headers"]
            assert headers["x-nura-event"] == "backup.failed"
            assert verify(
                "whsec-backup-test-123", headers["x-nura-timestamp"], request["body"], headers["x-nura-signature"]
            )
            event = json.loads(request["body"])
            assert event["data"]["run_id"] == run_id and event["data"]["error"] == run.error

            status = (await client.get("/v1/backups", headers=API_KEY)).json()
            assert status["alert"] == {"kind": "failed", "run_id": run_id, "at": run.finished_at, "error": run.error}
            app.ctx.health_cached = None
            health = (await client.get("/v1/health", headers=API_KEY)).json()
            assert health["status"] == "degraded" and health["components"]["backups"]["ok"] is False
            metrics = (await client.get("/v1/metrics", headers=API_KEY)).text
            assert "nura_backup_last_run_ok 0.0" in metrics and 'nura_backups_total{result="failed"} 1.0' in metrics
    finally:
        receiver.close()


# -- PostgreSQL mode -------------------------------------------------------------------------------
@pytest.fixture
def pg_database() -> Iterator[str]:
    need_service("127.0.0.1", 5432, "PostgreSQL")
    import psycopg

    name = f"nura_backup_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_count(url: str, sql: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0


async def test_postgresql_mode_backs_up_with_pg_dump_and_nura_restore_brings_it_back(
    data_dir: Path, tmp_path: Path, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "backups"
    settings = backup_settings(data_dir, folder, NURA_DATABASE_URL=pg_database)
    upload = data_dir / "uploads" / "handbook" / "policy.md"
    upload.parent.mkdir(parents=True)
    upload.write_text("# سياسة الاسترجاع\n", encoding="utf-8")
    async with running_app(settings) as (app, client):
        kept = await say(client, "مرحبا، رصيدي")
        run_id = await app.ctx.nura.backups.check_schedule(time.time() + 61)
        run = await wait_for(lambda: run_of(app, run_id))
        assert run.status == "ok", run.error
        assert run.database == "postgresql"
        later = await say(client, "hello after the backup")
    archive = folder / run.archive
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {"manifest.json", "postgres.dump", "uploads/handbook/policy.md"} <= names and "nura.db" not in names
    manifest = verify_archive(archive)
    assert manifest["database"] == "postgresql" and manifest["pg_dump_version"].split(".")[0] == "15"

    # Without NURA_DATABASE_URL the archive is refused (it holds no SQLite database), nothing touched.
    with pytest.raises(BackupError, match="PostgreSQL mode"):
        restore_backup(archive, tmp_path / "elsewhere")

    upload.write_text("changed after the backup", encoding="utf-8")
    monkeypatch.setenv("NURA_DATABASE_URL", pg_database)
    runner = CliRunner()
    refused = runner.invoke(cli, ["restore", str(archive), "--data-dir", str(data_dir)])
    assert refused.exit_code != 0 and "already holds data" in refused.output
    done = runner.invoke(cli, ["restore", str(archive), "--data-dir", str(data_dir), "--force"])
    assert done.exit_code == 0, done.output
    assert pg_count(pg_database, f"SELECT count(*) FROM sessions WHERE id = '{kept}'") == 1
    assert pg_count(pg_database, f"SELECT count(*) FROM sessions WHERE id = '{later}'") == 0
    assert upload.read_text(encoding="utf-8") == "# سياسة الاسترجاع\n"
    aside = [p for p in data_dir.iterdir() if p.name.startswith("pre-restore-")]
    assert aside and (aside[0] / "postgres.dump").is_file()  # the replaced database, dumped first

    # The restored database serves again, with its migrations in place.
    async with running_app(settings) as (app, client):
        resp = await client.get(f"/v1/sessions/{kept}", headers=API_KEY)
        assert resp.status_code == 200 and resp.json()["session"]["session_id"] == kept
