"""Jobs: the outbox through Huey — back-off, failed list and retry, per-handler progress, the
in-process consumer threads, and a ``nura worker`` killed with SIGKILL mid-job whose job
completes after a restart and takes effect once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, fetch_row, fetch_rows, make_settings, write_sql
from test_store_contract import backend_settings, scale_backends

from nura_appliance.context import AppContext, build_context
from nura_appliance.jobs.service import JobService, retry_delay
from nura_appliance.storage.base import DeliveryAttempt, OutboxItem
from nura_appliance.storage.sqlite.db import Database
from nura_appliance.storage.sqlite.outbox import SqliteOutboxStore
from nura_appliance.storage.sqlite.sessions import insert_outbox

ADMIN = {"Authorization": "Bearer suite-api-key-Vb4Rz8Kq2Wn6Tx9M"}


# -- used by the `nura worker --module test_jobs` subprocess ---------------------------------------
async def crash_probe(ctx: Any, payload: dict[str, Any]) -> None:
    """Blocks until the test creates ``release`` (the first run is killed while blocking), then
    applies its effect idempotently, keyed by the payload's key."""
    folder = Path(payload["dir"])
    (folder / f"started-{os.getpid()}-{time.monotonic_ns()}").touch()
    while not (folder / "release").exists():
        await asyncio.sleep(0.05)

    def effect(conn: Any) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS test_effects (key TEXT PRIMARY KEY, applied INTEGER NOT NULL)")
        conn.execute(
            "INSERT INTO test_effects (key, applied) VALUES (?, 1) ON CONFLICT (key)"
            " DO UPDATE SET applied = applied + 1",
            (payload["key"],),
        )

    await ctx.db.write(effect)


def register_jobs(jobs: JobService) -> None:
    jobs.register("crash_probe", crash_probe)


# -- fixtures ------------------------------------------------------------------------------------
@pytest.fixture
async def ctx(data_dir: Path) -> AsyncIterator[AppContext]:
    context = build_context(
        make_settings(data_dir, LOAD_DEFAULT_KNOWLEDGE=False, JOB_MAX_ATTEMPTS=3, JOB_RETRY_DELAY_SECONDS=10)
    )
    yield context
    await asyncio.get_running_loop().run_in_executor(None, context.close)


async def outbox_row(ctx: AppContext, row_id: int) -> dict[str, Any]:
    row = await fetch_row(ctx.db, "SELECT * FROM outbox WHERE id = ?", (row_id,))
    assert row is not None
    return row


async def make_due(ctx: AppContext, row_id: int) -> None:
    await write_sql(ctx.db, "UPDATE outbox SET next_attempt_at = 0 WHERE id = ?", (row_id,))


def test_retry_delay_doubles() -> None:
    assert [retry_delay(10, n) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert retry_delay(0, 3) == 0


async def test_backoff_then_failed_list_then_retry(ctx: AppContext) -> None:
    jobs = JobService(ctx)
    calls: list[dict[str, Any]] = []
    healthy = {"now": False}

    async def flaky(c: Any, payload: dict[str, Any]) -> None:
        calls.append(payload)
        if not healthy["now"]:
            raise RuntimeError("downstream is down")

    jobs.register("flaky", flaky)
    row_id = await jobs.enqueue("flaky", {"n": 1})
    assert row_id is not None
    assert await jobs.run_row(row_id) == "pending"
    row = await outbox_row(ctx, row_id)
    assert row["attempts"] == 1 and row["last_error"] == "RuntimeError: downstream is down"
    assert row["next_attempt_at"] - row["updated_at"] == pytest.approx(10, abs=0.01)
    assert await jobs.run_row(row_id) == "skipped"  # not due yet: the back-off holds
    await make_due(ctx, row_id)
    assert await jobs.run_row(row_id) == "pending"
    row = await outbox_row(ctx, row_id)
    assert row["next_attempt_at"] - row["updated_at"] == pytest.approx(20, abs=0.01)
    await make_due(ctx, row_id)
    assert await jobs.run_row(row_id) == "failed"  # JOB_MAX_ATTEMPTS=3
    assert len(calls) == 3
    failed = await jobs.failed()
    assert failed["total"] == 1 and failed["jobs"][0]["id"] == row_id
    assert failed["jobs"][0]["payload"] == {"n": 1} and failed["jobs"][0]["attempts"] == 3
    assert await jobs.run_pending() == 0  # failed rows are never picked up again on their own

    healthy["now"] = True
    assert (await jobs.retry(row_id))["status"] == "pending"
    assert await jobs.run_pending() == 1
    row = await outbox_row(ctx, row_id)
    assert row["status"] == "done" and row["attempts"] == 1 and row["last_error"] is None
    assert (await jobs.failed())["total"] == 0
    jobs.close()


async def test_retry_of_a_done_handler_is_skipped(ctx: AppContext) -> None:
    """Two handlers for one kind: when the second fails, the retry does not repeat the first."""
    jobs = JobService(ctx)
    counts = {"webhook": 0, "gap": 0}

    async def first(c: Any, payload: dict[str, Any]) -> None:
        counts["webhook"] += 1

    async def second(c: Any, payload: dict[str, Any]) -> None:
        counts["gap"] += 1
        if counts["gap"] == 1:
            raise ValueError("once")

    jobs.register("handoff_started", first)
    jobs.register("handoff_started", second)
    jobs.register("handoff_started", second)  # same handler again replaces, not duplicates
    row_id = await jobs.enqueue("handoff_started", {"session_id": "s"})
    assert await jobs.run_row(row_id) == "pending"
    await make_due(ctx, row_id)
    assert await jobs.run_row(row_id) == "done"
    assert counts == {"webhook": 1, "gap": 2}
    jobs.close()


async def test_unknown_kind_fails_visibly(ctx: AppContext) -> None:
    jobs = JobService(ctx)
    row_id = await ctx.db.write(lambda c: insert_outbox(c, OutboxItem("nobody_handles_this", {})))
    for _ in range(3):
        await make_due(ctx, row_id)
        await jobs.run_row(row_id)
    row = await outbox_row(ctx, row_id)
    assert row["status"] == "failed" and "no handler is registered" in row["last_error"]
    jobs.close()


async def test_background_jobs_disabled(data_dir: Path) -> None:
    context = build_context(make_settings(data_dir, LOAD_DEFAULT_KNOWLEDGE=False, BACKGROUND_JOBS_ENABLED=False))
    try:
        jobs = JobService(context)
        assert await jobs.enqueue("anything", {}) is None
        assert not jobs.start_consumer()
        assert await fetch_rows(context.db, "SELECT id FROM outbox") == []
        jobs.close()
    finally:
        context.close()


async def test_consumer_threads_run_rows_written_in_other_transactions(ctx: AppContext) -> None:
    """Rows inserted by another write (like ConversationService's) are found by the sweeper,
    run in a consumer thread with its own loop, and their events reach the server's loop."""
    jobs = JobService(ctx, sweep_interval=0.1)
    loop = asyncio.get_running_loop()
    seen: list[tuple[str, bool]] = []

    async def on_loop() -> bool:
        return asyncio.get_running_loop() is loop

    async def probe(c: Any, payload: dict[str, Any]) -> None:
        assert await jobs.on_server_loop(on_loop())  # loop-bound services are reached on the server's loop
        seen.append((threading.current_thread().name, asyncio.get_running_loop() is loop))
        # Handlers may call ctx.bus.publish: the jobs view of ctx forwards it to the server's loop.
        c.bus.publish("agents", "probe", {"n": payload["n"]})

    jobs.register("probe", probe)
    received: list[dict[str, Any]] = []

    async def listen() -> None:
        async for event in ctx.bus.subscribe("agents"):
            received.append(event.data)
            if len(received) == 3:
                return

    listener = asyncio.create_task(listen())
    await asyncio.sleep(0)
    assert jobs.start_consumer(loop)
    assert not jobs.start_consumer(loop)  # idempotent
    await ctx.db.write(lambda c: [insert_outbox(c, OutboxItem("probe", {"n": n})) for n in (1, 2)])
    await jobs.enqueue("probe", {"n": 3})
    await asyncio.wait_for(listener, timeout=15)
    assert sorted(e["n"] for e in received) == [1, 2, 3]
    assert all(name != "MainThread" and not same_loop for name, same_loop in seen)
    for _ in range(100):
        if (await jobs.counts()).get("done") == 3:
            break
        await asyncio.sleep(0.05)
    assert await jobs.counts() == {"done": 3}
    await loop.run_in_executor(None, jobs.close)


async def test_jobs_routes(app: Any, client: Any) -> None:
    assert (await client.get("/v1/jobs/failed")).status_code == 401
    ctx = app.ctx.nura
    jobs = ctx.jobs
    row_id = await ctx.db.write(lambda c: insert_outbox(c, OutboxItem("nobody_handles_this", {"x": 1})))
    await write_sql(
        ctx.db, "UPDATE outbox SET status = 'failed', attempts = 5, last_error = 'boom' WHERE id = ?", (row_id,)
    )
    listing = (await client.get("/v1/jobs/failed", headers=ADMIN)).json()
    assert listing["total"] == 1 and listing["jobs"][0]["kind"] == "nobody_handles_this"
    assert (await client.get("/v1/jobs/failed?limit=x", headers=ADMIN)).status_code == 422
    resp = await client.post(f"/v1/jobs/{row_id}/retry", headers=ADMIN)
    assert resp.status_code == 200 and resp.json()["status"] == "pending"
    assert (await client.post(f"/v1/jobs/{row_id}/retry", headers=ADMIN)).status_code == 409
    assert (await client.post("/v1/jobs/999999/retry", headers=ADMIN)).status_code == 404
    assert "classify_message" in jobs.kinds() and "webhook" in jobs.kinds()


# -- crash test ---------------------------------------------------------------------------------------
def start_worker(data_dir: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "NURA_DATA_DIR": str(data_dir),
        "APP_ENV": "test",
        "JOB_LEASE_SECONDS": "2",
        "LOAD_DEFAULT_KNOWLEDGE": "false",
        "JOB_WORKERS": "1",
        "PYTHONPATH": os.pathsep.join([str(REPO / "tests"), str(REPO)]),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "nura_appliance", "worker", "--module", "test_jobs"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO,
    )
    deadline = time.time() + 60
    assert proc.stdout is not None
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            raise RuntimeError(f"worker exited with {proc.returncode}")
        if "nura worker ready" in line:
            assert "crash_probe" in line
            # Keep draining output so the worker never blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # type: ignore[union-attr]
            return proc
    proc.kill()
    raise RuntimeError("worker did not become ready in 60 s")


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def wait_for(check: Any, timeout: float, what: str) -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.system
def test_worker_killed_mid_job_completes_after_restart_once(
    tmp_path: Path, workers: list[subprocess.Popen[str]]
) -> None:
    data_dir = tmp_path / "data"
    probe_dir = tmp_path / "probe"
    probe_dir.mkdir()
    workers.append(start_worker(data_dir))
    db = Database(data_dir / "nura.db")
    try:
        row_id = db.write_sync(
            lambda c: insert_outbox(c, OutboxItem("crash_probe", {"dir": str(probe_dir), "key": "k1"}))
        )
        wait_for(lambda: list(probe_dir.glob("started-*")), 20, "the job to start")
        row = db.read_sync(lambda c: c.execute("SELECT * FROM outbox WHERE id = ?", (row_id,)).fetchall()[0])
        assert row["status"] == "running" and row["attempts"] == 1
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(timeout=10)
        (probe_dir / "release").touch()

        workers.append(start_worker(data_dir))

        def finished() -> dict[str, Any] | None:
            found = db.read_sync(lambda c: c.execute("SELECT * FROM outbox WHERE id = ?", (row_id,)).fetchall()[0])
            return found if found["status"] == "done" else None

        row = wait_for(finished, 30, "the job to complete after the restart")
        assert row["attempts"] == 2
        effects = db.read_sync(lambda c: c.execute("SELECT key, applied FROM test_effects").fetchall())
        assert effects == [{"key": "k1", "applied": 1}]
        assert len(list(probe_dir.glob("started-*"))) == 2
        workers[1].send_signal(signal.SIGTERM)
        assert workers[1].wait(timeout=20) == 0
    finally:
        db.close()


@pytest.mark.system
def test_serve_runs_the_consumer_in_process(live_server: dict[str, Any]) -> None:
    """`nura serve` (JOB_WORKER_ENABLED defaults to true) classifies messages in its own threads."""
    import httpx

    base = live_server["url"]
    # A generous read timeout: the first message of a just-started server took more than httpx's
    # default 5 s once at a load of 16 on 2 cores.
    message = {"session_id": None, "message": "zzqx blorf", "lang": "en"}
    resp = httpx.post(f"{base}/v1/message", json=message, timeout=30)
    assert resp.status_code == 200

    def classified() -> int:
        report = httpx.get(f"{base}/v1/analytics/reports?days=1", headers=ADMIN, timeout=30).json()
        return int(report["intents"]["classified"])

    assert wait_for(classified, 20, "the in-process consumer to classify the message") == 1


async def test_purge_keeps_recent_and_unfinished_rows(ctx: AppContext) -> None:
    from nura_appliance.jobs.tasks import KEEP_DONE_SECONDS, purge_done_jobs

    now = 2_000_000_000.0
    rows = [
        ("done", now - KEEP_DONE_SECONDS - 10),
        ("done", now - 60),
        ("failed", now - KEEP_DONE_SECONDS - 10),
        ("pending", None),
    ]

    def seed(conn: Any) -> None:
        for status, done_at in rows:
            row_id = insert_outbox(conn, OutboxItem("k", {}))
            conn.execute("UPDATE outbox SET status = ?, done_at = ? WHERE id = ?", (status, done_at, row_id))

    await ctx.db.write(seed)
    assert await purge_done_jobs(ctx, now=now) == 1
    left = await fetch_rows(ctx.db, "SELECT status, done_at FROM outbox ORDER BY id")
    assert [r["status"] for r in left] == ["done", "failed", "pending"] and left[0]["done_at"] == now - 60


async def test_a_batch_claims_once_and_keeps_each_rows_own_outcome(ctx: AppContext) -> None:
    """The sweeper hands many due rows to one queue task: each row is still claimed once, a failing
    row is retried on its own back-off and the others are done."""
    jobs = JobService(ctx)
    seen: list[int] = []

    async def count(c: Any, payload: dict[str, Any]) -> None:
        seen.append(payload["n"])
        if payload["n"] == 3:
            raise RuntimeError("row 3 is bad")

    jobs.register("count", count)
    ids = [
        await ctx.db.write(lambda c, n=n: insert_outbox(c, OutboxItem("count", {"n": n}), max_attempts=3))
        for n in range(6)
    ]
    statuses = await jobs.run_rows(ids)
    assert statuses == {i: ("pending" if n == 3 else "done") for n, i in enumerate(ids)}
    assert sorted(seen) == list(range(6))
    rows = {i: await outbox_row(ctx, i) for i in ids}
    assert [rows[i]["status"] for i in ids] == ["done", "done", "done", "pending", "done", "done"]
    assert rows[ids[3]]["attempts"] == 1 and rows[ids[3]]["last_error"] == "RuntimeError: row 3 is bad"
    assert all(rows[i]["lease_until"] is None for i in ids)
    # A second dispatch of the same batch (a duplicate queue message) claims nothing: the done rows
    # are finished and row 3 is waiting for its back-off.
    assert await jobs.run_rows(ids) == {}
    assert len(seen) == 6
    jobs.close()


@pytest.fixture(params=["sqlite", "postgres_redis"])
def outbox_backend(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield {}
        return
    with scale_backends() as env:
        yield env


def _attempt(delivery: str, ok: bool = True) -> DeliveryAttempt:
    return DeliveryAttempt(delivery, "http://127.0.0.1/hook", "e", 1, 204 if ok else 500, ok, None, 1.0, time.time())


async def test_an_outcome_is_recorded_once_per_claim(data_dir: Path, outbox_backend: dict[str, str]) -> None:
    """Claims carry a token: a claim or an outcome whose commit the runner did not see (the
    database went away while it answered) can be written again without counting an attempt twice
    or logging a delivery twice, and a claim that expired cannot overwrite the one that took over."""
    ctx = build_context(backend_settings(data_dir, outbox_backend))
    try:
        store = ctx.stores.outbox  # the backend's own store (native SQL on PostgreSQL)
        first, second = [
            await ctx.db.write(lambda c: store.insert_in(c, OutboxItem("k", {}), max_attempts=5)) for _ in range(2)
        ]

        [row] = await store.claim([first], "token-a", 30)
        assert row["attempts"] == 1 and row["claim_token"] == "token-a"
        [again] = await store.claim([first], "token-a", 30)  # the same claim, retried
        assert again["attempts"] == 1
        assert await store.claim([first], "token-b", 30) == []  # held by a live claim
        deliveries = [store.delivery_write(_attempt("d-1"))]
        assert await store.finish(first, "token-a", deliveries) == "recorded"
        assert await store.finish(first, "token-a", deliveries) == "already"  # retried after an unseen commit
        logged = await fetch_rows(ctx.db, "SELECT delivery_id FROM webhook_deliveries")
        assert [r["delivery_id"] for r in logged] == ["d-1"]
        assert (await store.counts())["done"] == 1

        # A claim that outlived its lease: another worker claimed the row. The late outcome is not
        # recorded, but what the job did (a delivery) is logged: it happened.
        await store.claim([second], "token-c", 0)
        [taken] = await store.claim([second], "token-d", 30)
        assert taken["attempts"] == 2
        assert await store.fail(second, "token-c", "boom", 5, None, [store.delivery_write(_attempt("d-2"))]) == "lost"
        row = await fetch_row(ctx.db, "SELECT status, claim_token FROM outbox WHERE id = ?", (second,))
        assert row == {"status": "running", "claim_token": "token-d"}
        assert await fetch_row(ctx.db, "SELECT count(*) AS n FROM webhook_deliveries WHERE delivery_id = 'd-2'") == {
            "n": 1
        }
    finally:
        ctx.close()


async def test_what_a_handler_defers_is_written_with_its_outcome(ctx: AppContext) -> None:
    """``ctx.with_outcome`` writes go with the outcome: with the failure record when the handler
    fails, with the done record when it succeeds; nothing is written while the handler runs."""
    jobs = JobService(ctx)
    store = SqliteOutboxStore(ctx.db)
    calls: list[int] = []

    async def deliver(job_ctx: Any, payload: dict[str, Any]) -> None:
        calls.append(1)
        job_ctx.with_outcome(store.delivery_write(_attempt(f"try-{len(calls)}", ok=len(calls) > 1)))
        assert (
            await fetch_rows(ctx.db, "SELECT id FROM webhook_deliveries WHERE delivery_id = ?", (f"try-{len(calls)}",))
            == []
        )
        if len(calls) == 1:
            raise RuntimeError("receiver said 500")

    jobs.register("deliver", deliver)
    row_id = await jobs.enqueue("deliver", {})
    assert await jobs.run_row(row_id) == "pending"
    log = await fetch_rows(ctx.db, "SELECT delivery_id, ok FROM webhook_deliveries ORDER BY id")
    assert log == [{"delivery_id": "try-1", "ok": 0}]
    await make_due(ctx, row_id)
    assert await jobs.run_row(row_id) == "done"
    log = await fetch_rows(ctx.db, "SELECT delivery_id, ok FROM webhook_deliveries ORDER BY id")
    assert log == [{"delivery_id": "try-1", "ok": 0}, {"delivery_id": "try-2", "ok": 1}]
    jobs.close()
