"""Durability: a write acknowledged to a client is committed. A real ``nura serve`` is killed
with SIGKILL while customers send messages concurrently; after a restart on the same data dir
every message that got a 200 is in its transcript. A read-only or full database answers 503
with a clear message and leaves the database intact."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import apsw
import httpx
import pytest
from conftest import REPO, SERVE_START_TIMEOUT, free_port, health_answers

pytestmark = pytest.mark.slow
CLIENTS = 12
MIN_ACKED = 60


def start_server(data: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NURA_", "RATE_LIMIT_"))}
    env.update(
        {
            "NURA_DATA_DIR": str(data),
            "APP_ENV": "test",
            "RATE_LIMIT_IP_PER_MINUTE": "1000000",
            "RATE_LIMIT_NEW_SESSIONS_PER_MINUTE": "1000000",
            "RATE_LIMIT_MESSAGES_PER_MINUTE": "1000000",
        }
    )
    # Its log goes to a file beside the data dir: a pipe nobody reads fills up (64 KiB) and then
    # blocks the server on its next log line (the fuzzing tests send it thousands of requests).
    log_path = data.parent / f"server-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "nura_appliance", "serve", "--port", str(port)],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    # conftest's start-up allowance: under `make test` (pytest-xdist) the start shares the CPU with
    # the other workers, and 60 s was too little there (the fuzzing module's server, load ~20).
    deadline = time.time() + SERVE_START_TIMEOUT
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(log_path.read_text(errors="replace") or "server exited")
        if health_answers(f"http://127.0.0.1:{port}"):
            return proc
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(
        f"nura serve did not become healthy in {SERVE_START_TIMEOUT:.0f} s:\n"
        f"{log_path.read_text(errors='replace')[-4000:]}"
    )


async def customer(base: str, number: int, acked: list[dict[str, Any]], stop: asyncio.Event) -> None:
    """One customer sending messages back to back until the server dies."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        session: dict[str, Any] | None = None
        n = 0
        while not stop.is_set():
            text = f"crash-{number}-{n} ما هي الباقات؟"
            body: dict[str, Any] = {"session_id": None, "message": text, "customer_id": f"c{number}"}
            if session:
                body.update(session_id=session["session_id"], session_token=session["session_token"])
            try:
                resp = await http.post("/v1/message", json=body)
            except httpx.HTTPError:
                return  # the server is gone: this message was never acknowledged
            if resp.status_code == 200:
                answer = resp.json()
                session = {"session_id": answer["session_id"], "session_token": answer["session_token"]}
                acked.append({**session, "text": text, "message_id": answer["message_id"]})
            n += 1


async def test_every_acknowledged_message_survives_sigkill(tmp_path):
    data = tmp_path / "crash-data"
    port = free_port()
    server = start_server(data, port)
    base = f"http://127.0.0.1:{port}"
    acked: list[dict[str, Any]] = []
    stop = asyncio.Event()
    tasks = [asyncio.create_task(customer(base, i, acked, stop)) for i in range(CLIENTS)]
    try:
        deadline = time.time() + 60
        while len(acked) < MIN_ACKED and time.time() < deadline:
            await asyncio.sleep(0.05)
        # Kill while requests are in flight: no shutdown hook, no final checkpoint.
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        stop.set()
        await asyncio.gather(*tasks)
    finally:
        if server.poll() is None:
            server.kill()
    assert len(acked) >= MIN_ACKED, f"only {len(acked)} messages were acknowledged before the kill"

    server = start_server(data, port)
    try:
        missing = []
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            by_session: dict[str, list[dict[str, Any]]] = {}
            for item in acked:
                by_session.setdefault(item["session_id"], []).append(item)
            for session_id, items in by_session.items():
                resp = await http.get(
                    f"/v1/session/{session_id}/messages", headers={"X-Session-Token": items[0]["session_token"]}
                )
                assert resp.status_code == 200, resp.text
                messages = resp.json()["messages"]
                texts = {m["text"] for m in messages if m["role"] == "customer"}
                ids = {m["id"] for m in messages}
                missing += [i for i in items if i["text"] not in texts or i["message_id"] not in ids]
        assert not missing, f"{len(missing)} of {len(acked)} acknowledged messages were lost: {missing[:3]}"
    finally:
        server.terminate()
        server.wait(timeout=20)
    conn = apsw.Connection(str(data / "nura.db"))
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()


async def _count(app, table: str) -> int:
    row = await app.ctx.nura.db.fetchone(f"SELECT count(*) AS n FROM {table}")
    return int(row["n"])


async def test_a_read_only_database_answers_503_and_recovers(app, client):
    db = app.ctx.nura.db
    before = await _count(app, "chat_turns")
    # The tests run as root, where chmod cannot make a file read-only; query_only makes SQLite
    # refuse writes with the same SQLITE_READONLY. Set on the writer's connection directly,
    # because once it is set the writer cannot even begin the transaction that would clear it.
    db._writer_conn.execute("PRAGMA query_only = 1")
    try:
        resp = await client.post("/v1/message", json={"session_id": None, "message": "hello"})
        assert resp.status_code == 503
        assert resp.json()["error"] == {
            "code": "storage_unavailable",
            "message": "the database is read-only; check the data directory's permissions",
        }
    finally:
        db._writer_conn.execute("PRAGMA query_only = 0")
    assert await _count(app, "chat_turns") == before
    assert (await client.post("/v1/message", json={"session_id": None, "message": "hello"})).status_code == 200


async def test_a_full_disk_answers_503_without_corrupting_anything(app, client):
    db = app.ctx.nura.db
    first = (await client.post("/v1/message", json={"session_id": None, "message": "hello"})).json()
    pages = db.write_sync(lambda c: c.execute("PRAGMA page_count").fetchall()[0]["page_count"])
    db.write_sync(lambda c: c.execute(f"PRAGMA max_page_count = {pages}"))
    try:
        statuses = []
        for i in range(200):
            resp = await client.post(
                "/v1/message",
                json={
                    "session_id": first["session_id"],
                    "session_token": first["session_token"],
                    "message": f"message number {i} " + "x" * 1500,
                },
            )
            statuses.append(resp.status_code)
            if resp.status_code == 503:
                # SQLITE_FULL rolls the whole group-commit transaction back; the writer then fails
                # every write of that batch (none of them was acknowledged) with a 503.
                assert resp.json()["error"]["code"] == "storage_unavailable"
                break
        assert statuses[-1] == 503 and set(statuses[:-1]) <= {200}
    finally:
        db.write_sync(lambda c: c.execute("PRAGMA max_page_count = 1073741823"))
    acknowledged = statuses.count(200)
    transcript = await client.get(
        f"/v1/session/{first['session_id']}/messages", headers={"X-Session-Token": first["session_token"]}
    )
    customer_turns = [m for m in transcript.json()["messages"] if m["role"] == "customer"]
    assert len(customer_turns) == 1 + acknowledged  # the refused message left nothing half-written
    assert db.read_sync(lambda c: c.execute("PRAGMA integrity_check").fetchall()) == [{"integrity_check": "ok"}]
