"""Health and logs say the truth in both modes: the detailed ``/v1/health`` names the database
(kind and location, never a password) and the queue backend; ``nura worker`` logs the queue it
really uses; every log line of ``nura serve`` (one process or ``--workers``) and ``nura worker``
has a timestamp and a level, or is one JSON object with both when ``LOG_JSON=true``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from conftest import free_port
from test_scale_workers import ADMIN, _env, process, wait_healthy
from test_store_contract import ADMIN as CONTRACT_ADMIN
from test_store_contract import app_client, backend_settings, scale_backends

# "2026-12-06T13:16:09.123Z INFO ..." (the text format of every line)
TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")


def test_describe_url_never_shows_a_password() -> None:
    from nura_appliance.health import describe_url

    assert describe_url("postgresql://nura:s3cret@db.example:5433/support?sslmode=require") == {
        "kind": "postgresql",
        "host": "db.example",
        "port": 5433,
        "database": "support",
        "user": "nura",
    }
    described = describe_url("redis://:hunter2@cache.example:6380/2")
    assert described == {"kind": "redis", "host": "cache.example", "port": 6380, "database": "2"}
    assert "s3cret" not in json.dumps(describe_url("postgresql://u:s3cret@h/d"))


async def test_detailed_health_names_postgres_and_the_redis_queue(tmp_path) -> None:
    with scale_backends() as backend:
        name = backend["db_name"]
        # trust authentication ignores the password, so the URL may carry one to prove it is hidden
        url = f"postgresql://postgres:never-shown-pw@127.0.0.1:5432/{name}"
        settings = backend_settings(tmp_path / "data", {**backend, "NURA_DATABASE_URL": url})
        async with app_client(settings) as (_, client):
            resp = await client.get("/v1/health", headers=CONTRACT_ADMIN)
            assert resp.status_code == 200
            assert "never-shown-pw" not in resp.text
            components = resp.json()["components"]
    database = components["database"]
    assert database["ok"] and database["kind"] == "postgresql"
    assert (database["host"], database["port"], database["database"]) == ("127.0.0.1", 5432, name)
    assert "path" not in database and "nura.db" not in json.dumps(database)
    queue = components["queue"]
    assert queue["ok"] and queue["backend"] == "redis" and queue["host"] == "127.0.0.1"
    assert "jobs.db" not in json.dumps(queue)
    assert components["cache"]["kind"] == "redis" and components["cache"]["prefix"] == backend["NURA_REDIS_PREFIX"]


async def test_detailed_health_names_sqlite_and_its_queue(tmp_path) -> None:
    settings = backend_settings(tmp_path / "data", {})
    async with app_client(settings) as (_, client):
        components = (await client.get("/v1/health", headers=CONTRACT_ADMIN)).json()["components"]
    assert components["database"]["kind"] == "sqlite"
    assert components["database"]["path"] == str(tmp_path / "data" / "nura.db")
    queue = components["queue"]
    assert queue["ok"] and queue["backend"] == "sqlite" and queue["path"] == str(tmp_path / "data" / "jobs.db")
    assert components["cache"]["kind"] == "diskcache"


def wait_for_line(log: Path, needle: str, timeout: float = 60) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        for line in log.read_text(errors="replace").splitlines():
            if needle in line:
                return line
        time.sleep(0.1)
    raise AssertionError(f"{needle!r} not logged:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.mark.system
def test_nura_worker_logs_its_real_queue_backend_with_timestamps(tmp_path) -> None:
    with scale_backends() as backend:
        log = tmp_path / "worker.log"
        with process(["worker"], _env(tmp_path / "data", backend), log):
            line = wait_for_line(log, "job consumer started")
        assert "redis" in line and "jobs.db" not in line, line
        lines = [x for x in log.read_text(errors="replace").splitlines() if x.strip()]
        assert lines and all(TEXT_LINE.match(x) for x in lines), lines


def _serve_and_stop(args: list[str], env: dict[str, str], log: Path, port: int) -> list[str]:
    with process(args, env, log) as proc:
        wait_healthy(f"http://127.0.0.1:{port}", proc, log)
        assert httpx.get(f"http://127.0.0.1:{port}/v1/health", headers=ADMIN, timeout=10).status_code == 200
        proc.terminate()
        assert proc.wait(timeout=30) == 0
    return [line for line in log.read_text(errors="replace").splitlines() if line.strip()]


@pytest.mark.system
def test_every_serve_log_line_has_a_timestamp_and_a_level(tmp_path) -> None:
    port = free_port()
    lines = _serve_and_stop(["serve", "--port", str(port)], _env(tmp_path / "one", {}), tmp_path / "one.log", port)
    assert len(lines) >= 3
    bad = [line for line in lines if not TEXT_LINE.match(line)]
    assert not bad, bad
    with scale_backends() as backend:
        port = free_port()
        args = ["serve", "--workers", "2", "--port", str(port)]
        lines = _serve_and_stop(args, _env(tmp_path / "many", backend), tmp_path / "many.log", port)
    bad = [line for line in lines if not TEXT_LINE.match(line)]
    assert not bad, bad
    assert any("api-1" in line for line in lines) and any("api-2" in line for line in lines), lines


@pytest.mark.system
def test_json_logs_in_every_process(tmp_path) -> None:
    with scale_backends() as backend:
        port = free_port()
        env = _env(tmp_path / "data", backend, LOG_JSON="true")
        args = ["serve", "--workers", "2", "--port", str(port)]
        lines = _serve_and_stop(args, env, tmp_path / "serve.log", port)
        log = tmp_path / "worker.log"
        with process(["worker"], env, log):
            wait_for_line(log, "job consumer started")
        lines += [x for x in log.read_text(errors="replace").splitlines() if x.strip()]
    entries = []
    for line in lines:
        try:
            entries.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"not a JSON log line: {line!r}") from None
    assert all({"ts", "time", "level", "logger", "message", "process"} <= set(e) for e in entries), entries[:3]
    assert {e["process"] for e in entries} >= {"main", "api-1", "api-2", "worker"}
    consumer = next(e for e in entries if "job consumer started" in e["message"])
    assert consumer["queue"] == "redis" and consumer["level"] == "info"


@pytest.mark.system
def test_doctor_names_postgres_and_redis_in_scale_out_mode(tmp_path) -> None:
    with scale_backends() as backend:
        url = f"postgresql://postgres:never-shown-pw@127.0.0.1:5432/{backend['db_name']}"
        env = _env(tmp_path / "data", {**backend, "NURA_DATABASE_URL": url})
        done = subprocess.run(
            [sys.executable, "-m", "nura_appliance", "doctor", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert "never-shown-pw" not in done.stdout + done.stderr
    checks = json.loads(done.stdout)["checks"]
    assert checks["database"]["detail"].startswith(f"PostgreSQL postgres@127.0.0.1:5432/{backend['db_name']}")
    assert "nura.db" not in checks["database"]["detail"]
    # A database nobody migrated yet is reported as such (and doctor exits 1 for it).
    assert not checks["database"]["ok"] and "migrations pending: 0001_core" in checks["database"]["detail"]
    assert done.returncode == 1
    assert checks["redis"] == {"ok": True, "detail": "Redis 127.0.0.1:6379/3"}
