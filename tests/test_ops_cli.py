"""`nura export`, `nura purge`, `nura support-bundle`, JSON logs and the CLI's help texts."""

from __future__ import annotations

import csv
import io
import json
import logging
import shutil
import sqlite3
import tarfile
import time
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from nura_appliance.cli.main import app as cli
from nura_appliance.ops.masking import mask_personal
from nura_appliance.ops.retention import parse_age
from nura_appliance.ops.runtime import JsonFormatter

runner = CliRunner()
DAY = 86400.0


def nura(*args: str) -> Any:
    return runner.invoke(cli, list(args))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ops-cli") / "data"
    result = runner.invoke(cli, ["init", "--data-dir", str(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def seeded(template: Path, tmp_path: Path) -> Path:
    """A data dir with old and new logs, a finished and an open session, and personal numbers."""
    path = tmp_path / "data"
    shutil.copytree(template, path)
    now = time.time()
    conn = sqlite3.connect(path / "nura.db")
    conn.execute("PRAGMA foreign_keys=ON")
    for sid, status, age in (
        ("old-resolved", "resolved", 200),
        ("old-open", "pending_handoff", 200),
        ("new-resolved", "resolved", 1),
    ):
        at = now - age * DAY
        conn.execute(
            "INSERT INTO sessions (id, token_hash, customer_id, status, created_at, updated_at)"
            " VALUES (?, 'secret-token-hash', 'cust-9', ?, ?, ?)",
            (sid, status, at, at),
        )
        conn.execute(
            "INSERT INTO chat_turns (session_id, role, text, created_at) VALUES (?, 'customer', ?, ?)",
            (sid, "رقمي 07701234567 وهويتي 19876543210", at),
        )
    for age, text in ((200, "قديم: اتصل بي على +964 770 123 4567"), (1, "جديد: الباقات؟ رقمي 0750 987 6543")):
        at = now - age * DAY
        conn.execute(
            "INSERT INTO conversation_logs (session_id, customer_id, channel, lang, customer_message,"
            " response, source, confidence, created_at) VALUES ('old-resolved', 'cust-9', 'web', 'ar', ?,"
            " 'جواب', 'article', 0.9, ?)",
            (text, at),
        )
        conn.execute("INSERT INTO security_logs (event, ip, created_at) VALUES ('login_failed', '10.0.0.1', ?)", (at,))
        conn.execute(
            "INSERT INTO outbox (kind, payload, status, next_attempt_at, created_at, updated_at)"
            " VALUES ('classify_message', '{}', 'done', ?, ?, ?)",
            (at, at, at),
        )
        conn.execute(
            "INSERT INTO outbox (kind, payload, status, next_attempt_at, created_at, updated_at, last_error)"
            " VALUES ('webhook', '{\"text\": \"customer words\"}', 'failed', ?, ?, ?, 'HTTP 502')",
            (at, at, at),
        )
    conn.commit()
    conn.close()
    return path


def test_export_tables_and_reports_as_csv_and_json_with_masking(seeded: Path, tmp_path: Path) -> None:
    out = tmp_path / "conv.csv"
    result = nura("export", "conversations", "--format", "csv", "--mask", "-o", str(out), "--data-dir", str(seeded))
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel then reads Arabic as Arabic
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 2
    assert {"time", "session_id", "customer_message", "source", "confidence"} <= set(rows[0])
    joined = " ".join(r["customer_message"] for r in rows)
    assert "07701234567" not in joined and "987 6543" not in joined and "543" in joined

    result = nura("export", "conversations", "--format", "json", "--no-mask", "--days", "30", "--data-dir", str(seeded))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data) == 1 and "0750 987 6543" in data[0]["customer_message"]

    # Secrets never leave, even unmasked: password and session-token hashes are dropped.
    for table, column in (("users", "password_hash"), ("sessions", "token_hash")):
        result = nura("export", table, "--format", "json", "--data-dir", str(seeded))
        assert result.exit_code == 0, result.output
        rows = json.loads(result.stdout)
        assert rows and all(column not in row for row in rows)
        assert "secret-token-hash" not in result.stdout and "$argon2" not in result.stdout

    result = nura("export", "chat_turns", "--format", "csv", "--mask", "--limit", "1", "--data-dir", str(seeded))
    assert result.exit_code == 0 and result.stdout.count("\n") == 2
    assert "********567" in result.stdout

    for report in ("handoffs", "llm-cost", "intents", "tiers"):
        result = nura("export", report, "--format", "json", "--data-dir", str(seeded))
        assert result.exit_code == 0, (report, result.output)
        assert isinstance(json.loads(result.stdout), list)

    bad = nura("export", "no_such_table", "--data-dir", str(seeded))
    assert bad.exit_code == 1 and "reports: conversations" in bad.output
    bad = nura("export", "sessions", "--format", "xml", "--data-dir", str(seeded))
    assert bad.exit_code == 1 and "csv, json" in bad.output
    missing = nura("export", "sessions", "--data-dir", str(tmp_path / "nothing"))
    assert missing.exit_code == 1 and "nura init" in missing.output


def test_export_csv_guards_formulas_and_keeps_arabic_readable(seeded: Path, tmp_path: Path) -> None:
    """Customer text that starts like a spreadsheet formula is exported with a leading apostrophe;
    numbers stay numbers; `--no-bom` leaves the byte-order mark out for tools that do not want it."""
    conn = sqlite3.connect(seeded / "nura.db")
    conn.execute(
        "INSERT INTO conversation_logs (session_id, customer_id, channel, lang, customer_message, response, source,"
        " confidence, created_at) VALUES ('new-resolved', 'cust-9', 'web', 'ar', ?, '@SUM(A1)', 'article', -0.5, ?)",
        ('=HYPERLINK("http://evil.example","اضغط هنا")', time.time()),
    )
    conn.commit()
    conn.close()
    out = tmp_path / "conv.csv"
    result = nura("export", "conversations", "-o", str(out), "--no-mask", "--data-dir", str(seeded))
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    evil = next(r for r in rows if "HYPERLINK" in r["customer_message"])
    assert evil["customer_message"] == '\'=HYPERLINK("http://evil.example","اضغط هنا")'
    assert evil["response"] == "'@SUM(A1)" and evil["confidence"] == "-0.5"
    plain = nura("export", "conversations", "--no-bom", "--no-mask", "--data-dir", str(seeded))
    assert plain.exit_code == 0 and plain.stdout.startswith("time,")


def test_purge_deletes_only_old_log_rows_and_keeps_pending_work(seeded: Path) -> None:
    db = seeded / "nura.db"

    def count(sql: str) -> int:
        conn = sqlite3.connect(db)
        try:
            return int(conn.execute(sql).fetchone()[0])
        finally:
            conn.close()

    dry = nura("purge", "--older-than", "90d", "--dry-run", "--json", "--data-dir", str(seeded))
    assert dry.exit_code == 0, dry.output
    planned = json.loads(dry.stdout)["rows"]
    assert planned["conversation_logs"] == 1 and planned["security_logs"] == 1 and planned["outbox"] == 1
    assert count("SELECT count(*) FROM conversation_logs") == 2  # a dry run changes nothing

    refused = runner.invoke(cli, ["purge", "--older-than", "90d", "--data-dir", str(seeded)], input="n\n")
    assert refused.exit_code == 1 and count("SELECT count(*) FROM conversation_logs") == 2

    done = nura("purge", "--older-than", "90d", "--yes", "--data-dir", str(seeded))
    assert done.exit_code == 0, done.output
    assert count("SELECT count(*) FROM conversation_logs") == 1
    assert count("SELECT count(*) FROM security_logs") == 1
    assert count("SELECT count(*) FROM outbox WHERE status = 'done'") == 1
    assert count("SELECT count(*) FROM outbox WHERE status = 'failed'") == 2  # failed jobs stay for review
    assert count("SELECT count(*) FROM sessions") == 3  # conversations only with --sessions

    done = nura("purge", "--older-than", "90d", "--sessions", "--yes", "--data-dir", str(seeded))
    assert done.exit_code == 0, done.output
    ids = {r[0] for r in sqlite3.connect(db).execute("SELECT id FROM sessions")}
    assert ids == {"old-open", "new-resolved"}  # an open hand-off is never purged
    assert count("SELECT count(*) FROM chat_turns WHERE session_id = 'old-resolved'") == 0

    bad = nura("purge", "--older-than", "ninety", "--data-dir", str(seeded))
    assert bad.exit_code == 1 and "90d" in bad.output
    assert parse_age("12h") == 43200 and parse_age("4w") == 28 * DAY


def test_support_bundle_holds_diagnostics_but_no_secrets_or_customer_text(
    seeded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = {
        "OPENAI_API_KEY": "sk-test-SECRET-openai-1234",
        "TELEGRAM_BOT_TOKEN": "777:SECRET-telegram-token",
        "ADMIN_SECRET_KEY": "SECRET-signing-key-abcdefghijklmnop",
        "API_KEY": "SECRET-api-key-xyz-123456",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    result = nura("support-bundle", str(tmp_path), "--data-dir", str(seeded))
    assert result.exit_code == 0, result.output
    bundle = next(tmp_path.glob("nura-support-*.tar.gz"))
    with tarfile.open(bundle) as tar:
        assert sorted(tar.getnames()) == ["README.txt", "report.json"]
        raw = tar.extractfile("report.json").read().decode("utf-8")  # type: ignore[union-attr]
    report = json.loads(raw)
    assert report["database"]["tables"]["sessions"] == 3
    assert report["database"]["failed_jobs"][0]["last_error"] == "HTTP 502"
    assert "0007_ops" in report["database"]["migrations"]
    assert report["settings"]["OPENAI_API_KEY"].startswith("****")
    assert report["packages"]["sanic"]
    for value in secrets.values():
        assert value not in raw
    for private in ("07701234567", "customer words", "secret-token-hash", "$argon2"):
        assert private not in raw


def test_masking_keeps_dates_prices_and_short_numbers() -> None:
    assert mask_personal("اتصل على ٠٧٧٠١٢٣٤٥٦٧") == "اتصل على ********٥٦٧"
    assert mask_personal("الباقة بسعر 25000 دينار") == "الباقة بسعر 25000 دينار"
    assert mask_personal("2024-05-01") == "2024-05-01"
    assert "4567" not in mask_personal("Call +964 770 123 4567 now")


def test_json_log_lines() -> None:
    record = logging.LogRecord("nura.http", logging.WARNING, __file__, 1, "slow request %s", ("/v1/message",), None)
    record.request_id = "abc123"
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "warning" and line["logger"] == "nura.http"
    assert line["message"] == "slow request /v1/message" and line["request_id"] == "abc123"
    assert line["time"].endswith("Z")


def test_every_command_has_help_with_an_example_and_completion_is_offered() -> None:
    def walk(group: typer.Typer, prefix: str) -> list[tuple[str, Any]]:
        found = [(f"{prefix}{c.name or c.callback.__name__}", c.callback) for c in group.registered_commands]
        for sub in group.registered_groups:
            found += walk(sub.typer_instance, f"{prefix}{sub.name} ")
        return found

    commands = walk(cli, "")
    names = {name for name, _ in commands}
    assert {"backup", "restore", "export", "purge", "support-bundle", "telegram"} <= names
    for name, callback in commands:
        doc = callback.__doc__ or ""
        assert doc.strip(), f"`nura {name}` has no help text"
        assert "Example:" in doc, f"`nura {name}` has no example"
    top = runner.invoke(cli, ["--help"])
    assert "--install-completion" in top.output
    for name in ("backup", "restore", "export", "purge", "support-bundle", "telegram"):
        helped = runner.invoke(cli, [name, "--help"])
        assert helped.exit_code == 0 and "Example:" in helped.output, name
