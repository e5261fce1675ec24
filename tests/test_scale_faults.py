"""Faults of the scale-out services, each with a ``redis-server`` of this test's own on a free
port where the test stops it or empties it (never the shared Redis):

* Redis restarting mid-traffic: requests keep succeeding (cache misses go to the database, rate
  limits fail open with a log line) and, once Redis is back, the cache and the cross-worker event
  bus work again without a restart of the appliance.
* The cache losing its data (FLUSHDB, a deleted diskcache): logouts, disabled accounts, password
  and role changes still hold, because the database records them.
* PostgreSQL dropping every connection while jobs run: each job is done, delivered and logged
  exactly once, and none waits for its lease."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import subprocess
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from conftest import IN_CI, free_port, new_session
from test_store_contract import PG_ADMIN_URL, app_client, backend_settings, scale_backends

from nura_appliance.context import build_context
from nura_appliance.jobs.service import JobService
from nura_appliance.jobs.tasks import WEBHOOK_KIND, run_webhook, webhook_payload

pytestmark = pytest.mark.fault


class RedisServer:
    """A redis-server process of this test's own (start/stop are idempotent)."""

    def __init__(self, port: int, directory: Path) -> None:
        self.port = port
        self.directory = directory
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        deadline = time.time() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def redis_binary() -> None:
    if shutil.which("redis-server") is None:
        if IN_CI:
            pytest.fail("redis-server is not installed")
        pytest.skip("redis-server is not installed")


async def message(client, answer: dict) -> int:
    resp = await client.post(
        "/v1/message",
        json={
            "session_id": answer["session_id"],
            "session_token": answer["session_token"],
            "customer_id": "cust-001",
            "channel": "web",
            "message": "مرحبا",
        },
    )
    return resp.status_code


async def test_redis_restart_mid_traffic_degrades_and_recovers(tmp_path, redis_binary, caplog):
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    settings = backend_settings(tmp_path / "data", {"NURA_REDIS_URL": url, "NURA_REDIS_PREFIX": "fault:"})
    server = RedisServer(port, tmp_path)
    server.start()
    try:
        async with app_client(settings) as (app, client):
            ctx = app.ctx.nura
            answer = await new_session(client, "مرحبا")
            assert await message(client, answer) == 200
            probe = redis.Redis(port=port)
            assert probe.exists(f"fault:c:session:{answer['session_id']}") or list(probe.scan_iter("fault:c:*"))

            server.stop()  # Redis goes away mid-traffic
            statuses = [await message(client, answer) for _ in range(5)]
            statuses.append(
                (
                    await client.post(
                        "/v1/message",
                        json={"session_id": None, "customer_id": "c2", "channel": "web", "message": "مرحبا"},
                    )
                ).status_code
            )
            assert statuses == [200] * 6
            assert ctx.cache.failures > 0
            assert any("redis unavailable" in r.getMessage() for r in caplog.records)
            # Events still reach this worker's own subscribers while Redis is down.
            got: list = []

            async def listen(channel: str) -> None:
                async for event in ctx.bus.subscribe(channel):
                    got.append(event)
                    return

            task = asyncio.create_task(listen("session:outage"))
            await asyncio.sleep(0.05)
            ctx.bus.publish("session:outage", "message", {"n": 1})
            await asyncio.wait_for(task, 5)

            server.start()  # Redis is back (empty: it kept nothing)
            # A Redis that persisted its data would bring back entries from before the outage
            # (e.g. a session whose invalidation was skipped): the first call clears them.
            probe.set("fault:c:stale", "1")
            assert await message(client, answer) == 200
            assert not probe.exists("fault:c:stale")
            fresh = await new_session(client, "مرحبا")
            assert list(probe.scan_iter("fault:c:*")), "the cache is written again"
            assert await ctx.cache.get(f"session:{fresh['session_id']}") is not None
            # The bus's reader reconnects by itself: an event goes through Redis again.
            assert await asyncio.to_thread(ctx.bus.wait_ready, 10)
            task = asyncio.create_task(listen("session:after"))
            await asyncio.sleep(0.1)
            ctx.bus.publish("session:after", "message", {"n": 2})
            await asyncio.wait_for(task, 5)
            assert got[-1].data == {"n": 2} and probe.xlen("fault:ev:session:after") == 1
            probe.close()
    finally:
        server.stop()


# -- revocation survives a cache that lost its data ------------------------------------------------
ADMIN_PASSWORD = "Faults-admin-pass-0123"
AGENT_PASSWORD = "Faults-agent-pass-0123"


async def login(client, username: str, password: str) -> dict[str, str]:
    resp = await client.post("/v1/auth/login", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


@pytest.mark.parametrize("mode", ["postgres_own_redis", "sqlite_diskcache"])
async def test_revocations_survive_a_cache_that_lost_its_data(tmp_path, redis_binary, mode):
    """Logout, disable, password change and role change hold after the cache is emptied (Redis
    FLUSHDB, a Redis restart without persistence, a deleted diskcache): before, a logged-out admin
    token read /v1/auth/me and /v1/users with 200 once Redis had lost ``auth:revoked:*``."""
    port = free_port()
    server = RedisServer(port, tmp_path)
    with contextlib.ExitStack() as stack:
        if mode == "postgres_own_redis":
            backend = stack.enter_context(scale_backends())
            server.start()
            stack.callback(server.stop)
            backend = {**backend, "NURA_REDIS_URL": f"redis://127.0.0.1:{port}/0", "NURA_REDIS_PREFIX": "revoke:"}
        else:
            backend = {}
        settings = backend_settings(tmp_path / "data", backend, ADMIN_PASSWORD=ADMIN_PASSWORD)
        async with app_client(settings) as (app, client):

            async def lose_the_cache() -> None:
                if mode == "postgres_own_redis":
                    redis.Redis(port=port).flushdb()  # this test's own redis-server, never the shared one
                else:
                    await app.ctx.nura.cache.clear()

            admin = await login(client, "admin", ADMIN_PASSWORD)
            assert (await client.get("/v1/auth/me", headers=admin)).status_code == 200
            created = await client.post(
                "/v1/users", headers=admin, json={"username": "agent1", "role": "agent", "password": AGENT_PASSWORD}
            )
            assert created.status_code == 201, created.text
            other = await client.post(
                "/v1/users", headers=admin, json={"username": "agent2", "role": "agent", "password": AGENT_PASSWORD}
            )
            assert other.status_code == 201, other.text
            agent1 = await login(client, "agent1", AGENT_PASSWORD)
            agent2 = await login(client, "agent2", AGENT_PASSWORD)
            second_admin_session = await login(client, "admin", ADMIN_PASSWORD)

            assert (await client.post("/v1/auth/logout", headers=admin)).json()["revoked"] is True
            disabled = await client.patch("/v1/users/agent1", headers=second_admin_session, json={"active": False})
            assert disabled.status_code == 200
            viewer = await client.patch("/v1/users/agent2", headers=second_admin_session, json={"role": "viewer"})
            assert viewer.status_code == 200
            assert (await client.get("/v1/auth/me", headers=admin)).status_code == 401

            await lose_the_cache()

            for path in ("/v1/auth/me", "/v1/users"):
                assert (await client.get(path, headers=admin)).status_code == 401, f"logged-out token read {path}"
            assert (await client.get("/v1/auth/me", headers=agent1)).status_code == 401
            me = await client.get("/v1/auth/me", headers=agent2)
            assert me.status_code == 200 and me.json()["role"] == "viewer"
            assert (await client.get("/v1/queue", headers=agent2)).status_code == 403
            # The other session of the logged-out admin is a different token: it still works.
            assert (await client.get("/v1/users", headers=second_admin_session)).status_code == 200

            # A password change revokes every earlier token, durably too.
            changed = await client.post(
                "/v1/auth/password",
                headers=second_admin_session,
                json={"current_password": ADMIN_PASSWORD, "new_password": ADMIN_PASSWORD + "-new"},
            )
            assert changed.status_code == 200, changed.text
            await lose_the_cache()
            assert (await client.get("/v1/auth/me", headers=second_admin_session)).status_code == 401
            fresh = await login(client, "admin", ADMIN_PASSWORD + "-new")
            assert (await client.get("/v1/auth/me", headers=fresh)).status_code == 200
            assert (await client.get("/v1/auth/me", headers=admin)).status_code == 401


# -- jobs while PostgreSQL drops every connection --------------------------------------------------
class KillingReceiver:
    """A webhook receiver on loopback that, on every other delivery, terminates every PostgreSQL
    connection to the test database before it answers 204: the job that sent it must record its
    outcome on a database whose connections just died."""

    def __init__(self, db_name: str) -> None:
        self.db_name = db_name
        self.deliveries: list[str] = []
        self.kills = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.deliveries.append(json.loads(body)["delivery_id"])
                    kill = len(receiver.deliveries) % 2 == 1
                if kill:
                    receiver.terminate_connections()
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def terminate_connections(self) -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            killed = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s"
                " AND pid <> pg_backend_pid()",
                (self.db_name,),
            ).fetchone()[0]
        with self.lock:
            self.kills += killed

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def outbox_state(database_url: str) -> list[tuple[int, str, int]]:
    """(id, status, attempts) of every outbox row, on a fresh connection (the receiver kills them)."""
    for _ in range(20):
        try:
            with psycopg.connect(database_url, autocommit=True) as conn:
                return conn.execute("SELECT id, status, attempts FROM outbox ORDER BY id").fetchall()
        except psycopg.OperationalError:
            time.sleep(0.05)
    raise AssertionError("cannot read the outbox")


async def test_jobs_finish_exactly_once_while_postgres_drops_every_connection(tmp_path):
    """pg_terminate_backend on every connection right after each webhook is received: every job
    is done once, delivered once, logged once, and none waits for its lease. Before, the job could
    not record its outcome (StorageError in the outcome write or in ``_record_failure``), its row
    waited for the lease, the webhook went out twice and the delivery log missed successes."""
    jobs_count = 24
    with scale_backends() as backend:
        settings = backend_settings(
            tmp_path / "data",
            backend,
            ESCALATION_WEBHOOK_SECRET="whsec-faults-0123456789",
            JOB_WORKERS=4,
            # A lease far beyond the wait below: a job that waited for one fails the test.
            JOB_LEASE_SECONDS=600,
            JOB_RETRY_DELAY_SECONDS=600,
        )
        receiver = KillingReceiver(backend["db_name"])
        ctx = build_context(settings)
        jobs = JobService(ctx)
        loop = asyncio.get_running_loop()
        try:
            jobs.register(WEBHOOK_KIND, run_webhook)
            ids = [
                await jobs.enqueue(WEBHOOK_KIND, webhook_payload(receiver.url, "fault.test", {"n": n}))
                for n in range(jobs_count)
            ]
            assert jobs.start_consumer(loop)
            deadline = time.monotonic() + 90
            while True:
                rows = await asyncio.to_thread(outbox_state, backend["NURA_DATABASE_URL"])
                if rows and all(status == "done" for _, status, _ in rows):
                    break
                assert time.monotonic() < deadline, f"jobs not finished (a lease is 600 s): {rows}"
                await asyncio.sleep(0.2)
        finally:
            receiver.close()
            await loop.run_in_executor(None, jobs.close)
            await loop.run_in_executor(None, ctx.close)
        assert receiver.kills >= jobs_count // 2, "the receiver did not terminate connections"
        assert sorted(row_id for row_id, _, _ in rows) == sorted(ids)
        assert [attempts for _, _, attempts in rows] == [1] * jobs_count, "a job was claimed again"
        payload_ids = Counter(receiver.deliveries)
        assert len(payload_ids) == jobs_count and set(payload_ids.values()) == {1}, payload_ids
        with psycopg.connect(backend["NURA_DATABASE_URL"], autocommit=True) as conn:
            logged = conn.execute("SELECT delivery_id, ok FROM webhook_deliveries").fetchall()
        assert sorted(d for d, _ in logged) == sorted(payload_ids), "the delivery log is not one row per delivery"
        assert all(ok == 1 for _, ok in logged)
