"""``nura migrate-data``: an appliance with real data (the default knowledge with its lexical index
and vectors, conversations with a hand-off and an outcome, users, outbox rows) moves SQLite →
PostgreSQL → a new SQLite data dir losslessly: per-table counts and checksums match at every
step, an interrupted copy resumes without duplicates, and the moved appliance serves from
PostgreSQL (answers from the knowledge, old sessions continue)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from auth_helpers import make_user
from conftest import fetch_row, make_settings, new_session
from test_store_contract import app_client, backend_settings, scale_backends

from nura_appliance.cli.migrate_data import migrate_data
from nura_appliance.errors import ConfigError
from nura_appliance.storage.migrate_data import ROWID_TABLES, checksum, open_store, plan, side

API_KEY = "store-contract-api-key-0123456789"
ADMIN = {"Authorization": f"Bearer {API_KEY}"}


async def fill_sqlite_appliance(data_dir: Path) -> dict[str, Any]:
    """A SQLite appliance with knowledge, a resolved hand-off, a bot chat and a user."""
    settings = make_settings(data_dir, API_KEY=API_KEY, LOAD_DEFAULT_KNOWLEDGE=True)
    async with app_client(settings) as (app, client):
        await make_user(app, "Agent.Alia", "agent")
        bot = await new_session(client, "مرحبا")
        handed = await new_session(client, "أريد التحدث مع موظف خدمة العملاء")
        sid = handed["session_id"]
        assert (await client.post(f"/v1/handoff/{sid}/accept?agent_id=alia", headers=ADMIN)).status_code == 200
        await client.post(
            f"/v1/session/{sid}/agent-message?agent_id=alia",
            headers=ADMIN,
            json={"message": "أهلاً، كيف أساعدك؟", "agent_name": "Alia"},
        )
        await client.post(
            f"/v1/session/{sid}/resolve?agent_id=alia",
            headers=ADMIN,
            json={
                "status": "solved",
                "issue_category": "internet",
                "root_cause": "apn",
                "resolution_notes": "ok",
                "resolved_by": "alia",
            },
        )
        await client.post(
            "/v1/analytics/click",
            json={
                "session_id": sid,
                "customer_id": "c",
                "event_type": "open",
                "label": "x",
                "meta": {},
                "topic_id": None,
                "article_id": 7,
            },
        )
        return {"bot": bot, "handed": handed}


def table_checksums(location: str, base: Any) -> dict[str, tuple[int, str]]:
    db = open_store(location, base)
    try:
        out = {}
        end = side(db)
        primary = end.primary_keys()
        for table in plan(db, db):
            if table in ROWID_TABLES:
                keys: tuple[str, ...] = ("rowid",)
                cols = ["rowid", *[c for c in end.columns(table) if c not in ("rowid", "tsv")]]
            else:
                keys = primary.get(table, ())
                cols = end.columns(table)
            if not keys:
                keys, cols = ("rowid",), ["rowid", *cols]
            out[table] = checksum(db, table, cols, keys)
        return out
    finally:
        db.close()


class InterruptingProgress:
    """A rich-Progress stand-in that stops the copy after a number of batches (an operator's ^C)."""

    def __init__(self, stop_after: int) -> None:
        self.batches = 0
        self.stop_after = stop_after

    def add_task(self, name: str, total: int) -> str:
        return name

    def advance(self, task: str, n: int) -> None:
        if n:
            self.batches += 1
            if self.batches >= self.stop_after:
                raise KeyboardInterrupt


async def test_round_trip_sqlite_postgres_sqlite_is_lossless_and_resumable(tmp_path):
    source = tmp_path / "source"
    ids = await fill_sqlite_appliance(source)
    base = make_settings(tmp_path / "unused")
    with scale_backends() as backend:
        url = backend["NURA_DATABASE_URL"]
        # Interrupted after a few batches, then resumed: verified, nothing twice.
        with pytest.raises(KeyboardInterrupt):
            migrate_data(str(source), url, base, batch=7, progress=InterruptingProgress(stop_after=5))
        report = migrate_data(str(source), url, base, batch=7)
        assert report.ok, [(t.name, t.source_rows, t.target_rows) for t in report.tables if not t.ok]
        by_name = {t.name: t for t in report.tables}
        for table in (
            "sessions",
            "chat_turns",
            "conversation_logs",
            "articles",
            "kb_fts",
            "kb_vectors",
            "users",
            "outbox",
            "session_outcomes",
            "handoff_events",
            "widget_events",
        ):
            assert by_name[table].target_rows > 0, table
        # A second run has nothing left to copy and still verifies.
        again = migrate_data(str(source), url, base, batch=7)
        assert again.ok and sum(t.copied for t in again.tables) == 0

        # The moved appliance serves from PostgreSQL: knowledge answers, old sessions go on.
        async with app_client(backend_settings(tmp_path / "pg-data", backend, LOAD_DEFAULT_KNOWLEDGE=True)) as (
            app,
            client,
        ):
            assert await fetch_row(
                app.ctx.nura.db, "SELECT count(*) AS n FROM users WHERE username = ?", ("agent.alia",)
            ) == {"n": 1}
            answer = await new_session(client, "كيف أشحن رصيدي؟")
            assert answer["article_id"] == "recharge-card", answer  # the moved knowledge answers
            bot = ids["bot"]
            more = await client.post(
                "/v1/message",
                json={
                    "session_id": bot["session_id"],
                    "session_token": bot["session_token"],
                    "customer_id": "cust-001",
                    "channel": "web",
                    "message": "شكرا",
                },
            )
            assert more.status_code == 200, more.text
            turns = await fetch_row(
                app.ctx.nura.db, "SELECT count(*) AS n FROM chat_turns WHERE session_id = ?", (bot["session_id"],)
            )
            assert turns["n"] >= 4  # the migrated two plus the new exchange (new ids did not collide)

        # And back to a fresh data dir (small installs): same data as the original where untouched.
        back = tmp_path / "back"
        back.mkdir()
        returned = migrate_data(url, str(back), base, batch=50)
        assert returned.ok
    original = table_checksums(str(source), base)
    restored = table_checksums(str(back), base)
    for table in ("articles", "kb_fts", "kb_vectors", "users", "handbook_docs", "session_outcomes", "handoff_events"):
        assert restored[table] == original[table], table
    assert restored["sessions"][0] == original["sessions"][0] + 1  # the session started on PostgreSQL


def test_refuses_same_kind_and_non_empty_target(tmp_path):
    base = make_settings(tmp_path / "unused")
    with pytest.raises(ConfigError):
        migrate_data(str(tmp_path / "a"), str(tmp_path / "b"), base)
    with pytest.raises(ConfigError):
        migrate_data(str(tmp_path / "missing"), "postgresql://postgres@127.0.0.1:1/none", base)


def test_cli_copies_with_a_progress_report(tmp_path):
    source = tmp_path / "source"
    settings = make_settings(source, LOAD_DEFAULT_KNOWLEDGE=False)
    from nura_appliance.context import build_context

    build_context(settings).close()  # an empty, migrated appliance
    with scale_backends() as backend:
        env = {**os.environ, "APP_ENV": "test"}
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "nura_appliance",
                "migrate-data",
                "--from",
                str(source),
                "--to",
                backend["NURA_DATABASE_URL"],
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "rows verified" in done.stdout and "sessions" in done.stdout
