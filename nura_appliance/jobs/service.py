"""The one job queue: an outbox in ``nura.db`` executed through one Huey instance.

Why both: Huey has no acknowledgements — a task whose worker dies mid-run is gone, and periodic
tasks missed while the consumer is down are skipped (DESIGN.md §10). So work that matters is
first written to the ``outbox`` table, in the same transaction as the data that caused it, and
Huey only carries "run outbox row N". A row is *claimed* atomically (status ``running`` with a
lease that its worker keeps extending), its handlers run, and it is marked ``done``. A worker
that dies leaves a ``running`` row whose lease expires; the sweeper dispatches it again and the
next claim succeeds. Claims are atomic in SQLite, so a row dispatched twice still runs once at a
time, and per-handler progress (``handlers_done``) keeps a retry from repeating handlers that
already succeeded. Handlers must still be idempotent for the crash window between a handler's
side effect and its progress write ("runs once in effect").

Threads: Huey's consumer runs in threads (never ``Consumer.start()``, which installs signal
handlers — allowed only on the main thread and owned by Sanic there). Each task runs its async
handlers in its own event loop (``asyncio.run``); events for SSE clients are handed to the
server's loop with :meth:`JobService.publish`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import apsw
from huey import Huey, SqliteHuey, crontab
from huey.consumer import Consumer

from nura_appliance.errors import Conflict, NotFound
from nura_appliance.settings import Settings
from nura_appliance.storage.base import OutboxItem
from nura_appliance.storage.sqlite.db import Database
from nura_appliance.storage.sqlite.sessions import insert_outbox

log = logging.getLogger(__name__)

JobHandler = Callable[[Any, dict[str, Any]], Awaitable[None]]
PeriodicHandler = Callable[[Any], Awaitable[None]]

# Pending rows dispatched this long ago without being claimed are dispatched again (the Huey
# message was lost, e.g. jobs.db was deleted); duplicates are harmless because claims are atomic.
REDISPATCH_AFTER_SECONDS = 60.0
SWEEP_INTERVAL_SECONDS = 1.0
BATCH_SIZE = 100  # outbox rows per queue task when the sweeper dispatches many at once
BATCH_CONCURRENCY = 16  # rows of one batch running at the same time


def handler_name(handler: Callable[..., Any]) -> str:
    return f"{getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', repr(handler))}"


def retry_delay(base_seconds: float, attempts: int) -> float:
    """Exponential back-off: base, 2×base, 4×base, … after the 1st, 2nd, 3rd failed attempt."""
    return float(base_seconds) * (2 ** max(0, attempts - 1))


def make_huey(settings: Settings, jobs_database: Any) -> Huey:
    """SqliteHuey next to nura.db by default; RedisHuey in scale-out mode (NURA_REDIS_URL), so
    the API workers and ``nura worker`` on other hosts share one queue."""
    if settings.nura_redis_url:
        from huey import RedisHuey

        name = str(settings.nura_redis_prefix or "nura:").rstrip(":") or "nura"
        return RedisHuey(name=name, url=settings.nura_redis_url, results=False, utc=True)
    return SqliteHuey(name="nura", filename=str(jobs_database), results=False, utc=True)


class _ThreadSafeBus:
    """The event bus as job handlers see it: ``publish`` is handed to the server's loop, so a
    handler written against ``ctx.bus.publish`` is safe in a consumer thread too."""

    def __init__(self, bus: Any, jobs: JobService) -> None:
        self._bus = bus
        self._jobs = jobs

    def publish(self, channel: str, type_: str, data: dict[str, Any], **kwargs: Any) -> None:
        self._jobs.publish(channel, type_, data, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bus, name)


class _JobContext:
    """The AppContext handed to job handlers: the same object except for a thread-safe bus."""

    def __init__(self, ctx: Any, bus: _ThreadSafeBus) -> None:
        self._ctx = ctx
        self.bus = bus

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ctx, name)


class JobService:
    """``ctx.services["jobs"]``: register handlers, enqueue durable work, run the consumer."""

    def __init__(
        self, ctx: Any, *, lease_seconds: float | None = None, sweep_interval: float = SWEEP_INTERVAL_SECONDS
    ) -> None:
        self.ctx = ctx
        # Handlers get this view of ctx: ctx.bus.publish from a consumer thread is forwarded to
        # the server's loop (the bus itself must only be touched there).
        self.job_ctx = _JobContext(ctx, _ThreadSafeBus(ctx.bus, self))
        self.settings: Settings = ctx.settings
        self.db: Database = ctx.db
        self.lease_seconds = float(lease_seconds or self.settings.job_lease_seconds)
        self.sweep_interval = sweep_interval
        self.huey = make_huey(self.settings, ctx.paths.jobs_database)
        self._run_task = self.huey.task(name="nura.run_outbox")(self._execute_in_thread)
        self._run_batch_task = self.huey.task(name="nura.run_outbox_batch")(self._execute_batch_in_thread)
        self._handlers: dict[str, list[tuple[str, JobHandler]]] = {}
        self._periodic: dict[str, PeriodicHandler] = {}
        self._running: set[int] = set()
        self._running_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._consumer: Consumer | None = None
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None

    # -- registration ----------------------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return bool(self.settings.background_jobs_enabled)

    def register(self, kind: str, handler: JobHandler, *, name: str | None = None) -> None:
        """Add ``async handler(ctx, payload)`` for outbox rows of ``kind``.

        Several features may handle one kind (e.g. ``handoff_started``: the escalation webhook
        and the knowledge-gap signal); they run in registration order and a retry skips the
        ones that already succeeded. Registering the same name again replaces that handler.
        """
        key = name or handler_name(handler)
        handlers = [h for h in self._handlers.get(kind, []) if h[0] != key]
        handlers.append((key, handler))
        self._handlers[kind] = handlers

    def kinds(self) -> list[str]:
        return sorted(self._handlers)

    def every(self, minutes: int, name: str, handler: PeriodicHandler) -> None:
        """Run ``async handler(ctx)`` every ``minutes`` minutes while a consumer runs.

        Only for work that is safe to skip (Huey skips runs missed while no consumer is up):
        aggregate refresh, session expiry. Anything that must happen goes through the outbox.
        """
        self._periodic[name] = handler

        def run_periodic() -> None:
            try:
                asyncio.run(handler(self.job_ctx))
            except Exception:  # noqa: BLE001 - logged; the next period tries again
                log.exception("periodic job %s failed", name)

        run_periodic.__name__ = name.replace(".", "_")
        minutes = max(1, int(minutes))
        # Cron steps only count within the hour: 90 minutes becomes every 2 hours (rounded up).
        schedule = (
            crontab(minute=f"*/{minutes}")
            if minutes < 60
            else crontab(minute="0", hour=f"*/{min(24, -(-minutes // 60))}")
        )
        self.huey.periodic_task(schedule, name=name)(run_periodic)

    async def run_periodic(self, name: str) -> None:
        """Run one periodic job now, on the calling loop (CLI, tests, admin actions)."""
        await self._periodic[name](self.job_ctx)

    # -- enqueueing ------------------------------------------------------------------------------
    async def enqueue(self, kind: str, payload: dict[str, Any]) -> int | None:
        """Write the outbox row, then dispatch it. Returns the row id (None when background jobs
        are disabled). To enqueue in the same transaction as other data, call
        :meth:`enqueue_in` inside your ``db.write`` function instead."""
        if not self.enabled:
            log.debug("background jobs disabled; %s not enqueued", kind)
            return None
        row_id = await self.db.write(lambda c: self.enqueue_in(c, kind, payload, dispatched=True))
        self._dispatch(row_id)
        return row_id

    def enqueue_in(self, conn: apsw.Connection, kind: str, payload: dict[str, Any], *, dispatched: bool = False) -> int:
        """Insert an outbox row on ``conn`` (inside the caller's write transaction). The sweeper
        dispatches it within about a second of the commit."""
        row_id = insert_outbox(conn, OutboxItem(kind, payload), max_attempts=self.settings.job_max_attempts)
        if dispatched:
            conn.execute("UPDATE outbox SET dispatched_at = ? WHERE id = ?", (time.time(), row_id))
        return row_id

    def _dispatch(self, row_id: int, delay: float = 0.0) -> None:
        try:
            if delay > 0:
                self._run_task.schedule(args=(row_id,), delay=delay)
            else:
                self._run_task(row_id)
        except Exception:  # noqa: BLE001 - the sweeper dispatches it later
            log.exception("could not hand outbox row %s to the queue; the sweeper will retry", row_id)

    def _dispatch_many(self, row_ids: list[int]) -> None:
        """Hand rows to the queue in batches: one Huey task (one queue write, one event loop) per
        BATCH_SIZE rows instead of per row — a busy widget makes a ``classify_message`` row per
        customer message."""
        for start in range(0, len(row_ids), BATCH_SIZE):
            chunk = row_ids[start : start + BATCH_SIZE]
            if len(chunk) == 1:
                self._dispatch(chunk[0])
                continue
            try:
                self._run_batch_task(chunk)
            except Exception:  # noqa: BLE001 - the sweeper dispatches them later
                log.exception("could not hand %d outbox rows to the queue; the sweeper will retry", len(chunk))

    # -- execution --------------------------------------------------------------------------------
    def _execute_in_thread(self, row_id: int) -> None:
        """Huey task body: runs in a consumer thread with a fresh event loop."""
        asyncio.run(self.run_row(row_id))

    def _execute_batch_in_thread(self, row_ids: list[int]) -> None:
        asyncio.run(self.run_rows(row_ids))

    async def run_rows(self, row_ids: list[int]) -> dict[int, str]:
        """Claim the claimable ones of ``row_ids`` in one write and run them concurrently (at most
        BATCH_CONCURRENCY at a time, so their writes share commits). Each row keeps its own lease,
        retries and failure accounting, as with :meth:`run_row`. Returns each claimed row's status."""
        now = time.time()
        lease = self.lease_seconds
        marks = ", ".join("?" for _ in row_ids)

        def claim(conn: apsw.Connection) -> list[dict[str, Any]]:
            return conn.execute(
                "UPDATE outbox SET status = 'running', attempts = attempts + 1, lease_until = ?, updated_at = ?"
                f" WHERE id IN ({marks}) AND ((status = 'pending' AND next_attempt_at <= ?)"
                " OR (status = 'running' AND coalesce(lease_until, 0) < ?)) RETURNING *",
                (now + lease, now, *row_ids, now + 0.001, now),
            ).fetchall()

        rows = await self.db.write(claim)
        if not rows:
            return {}
        with self._running_lock:
            self._running.update(r["id"] for r in rows)
        gate = asyncio.Semaphore(BATCH_CONCURRENCY)

        async def one(row: dict[str, Any]) -> str:
            async with gate:
                try:
                    return await self._run_claimed(row)
                finally:
                    with self._running_lock:
                        self._running.discard(row["id"])

        statuses = await asyncio.gather(*(one(r) for r in rows))
        return {r["id"]: status for r, status in zip(rows, statuses, strict=True)}

    async def run_row(self, row_id: int) -> str:
        """Claim row ``row_id`` and run its handlers. Returns the resulting status, or
        ``"skipped"`` when the row is not claimable (done, failed, not due, or held by a live
        worker)."""
        now = time.time()
        lease = self.lease_seconds

        def claim(conn: apsw.Connection) -> dict[str, Any] | None:
            rows = conn.execute(
                "UPDATE outbox SET status = 'running', attempts = attempts + 1, lease_until = ?, updated_at = ?"
                " WHERE id = ? AND ((status = 'pending' AND next_attempt_at <= ?)"
                " OR (status = 'running' AND coalesce(lease_until, 0) < ?)) RETURNING *",
                (now + lease, now, row_id, now + 0.001, now),
            ).fetchall()
            return rows[0] if rows else None

        row = await self.db.write(claim)
        if row is None:
            return "skipped"
        with self._running_lock:
            self._running.add(row_id)
        try:
            return await self._run_claimed(row)
        finally:
            with self._running_lock:
                self._running.discard(row_id)

    async def _run_claimed(self, row: dict[str, Any]) -> str:
        row_id = row["id"]
        payload = json.loads(row["payload"])
        done: list[str] = json.loads(row.get("handlers_done") or "[]")
        handlers = self._handlers.get(row["kind"], [])
        try:
            if not handlers:
                raise LookupError(f"no handler is registered for job kind {row['kind']!r} in this process")
            for name, handler in handlers:
                if name in done:
                    continue
                await handler(self.job_ctx, payload)
                done.append(name)
                if len(handlers) == 1:
                    break  # one handler: the 'done' write below is its progress record
                progress = json.dumps(done)
                await self.db.write(
                    lambda c, p=progress: c.execute(
                        "UPDATE outbox SET handlers_done = ? WHERE id = ? AND status = 'running'", (p, row_id)
                    )
                )
        except Exception as exc:  # noqa: BLE001 - recorded on the row, retried or failed
            return await self._record_failure(row, exc)
        now = time.time()
        await self.db.write(
            lambda c: c.execute(
                "UPDATE outbox SET status = 'done', done_at = ?, updated_at = ?, lease_until = NULL, last_error = NULL"
                " WHERE id = ? AND status = 'running'",
                (now, now, row_id),
            )
        )
        return "done"

    async def _record_failure(self, row: dict[str, Any], exc: BaseException) -> str:
        row_id, attempts = row["id"], int(row["attempts"])
        max_attempts = int(self.settings.job_max_attempts)
        error = f"{type(exc).__name__}: {exc}"[:2000]
        now = time.time()
        if attempts >= max_attempts:
            log.error("job %s (%s) failed after %s attempts: %s", row_id, row["kind"], attempts, error)
            await self.db.write(
                lambda c: c.execute(
                    "UPDATE outbox SET status = 'failed', last_error = ?, updated_at = ?, lease_until = NULL,"
                    " max_attempts = ? WHERE id = ?",
                    (error, now, max_attempts, row_id),
                )
            )
            return "failed"
        delay = retry_delay(self.settings.job_retry_delay_seconds, attempts)
        log.warning(
            "job %s (%s) attempt %s failed, retrying in %.0f s: %s", row_id, row["kind"], attempts, delay, error
        )
        await self.db.write(
            lambda c: c.execute(
                "UPDATE outbox SET status = 'pending', last_error = ?, updated_at = ?, lease_until = NULL,"
                " next_attempt_at = ?, dispatched_at = ?, max_attempts = ? WHERE id = ?",
                (error, now, now + delay, now, max_attempts, row_id),
            )
        )
        if self._consumer is not None:
            self._dispatch(row_id, delay)
        return "pending"

    async def run_pending(self, *, limit: int = 1000) -> int:
        """Run every due row on the calling loop until none is left; returns how many ran.
        For tests, the CLI and set-ups without a consumer."""
        count = 0
        while count < limit:
            now = time.time()
            ids = await self.db.read(
                lambda c, t=now: [
                    r["id"]
                    for r in c.execute(
                        "SELECT id FROM outbox WHERE (status = 'pending' AND next_attempt_at <= ?)"
                        " OR (status = 'running' AND coalesce(lease_until, 0) < ?) ORDER BY id LIMIT 100",
                        (t, t),
                    )
                ]
            )
            if not ids:
                break
            ran = 0
            for row_id in ids:
                if await self.run_row(row_id) != "skipped":
                    ran += 1
            if not ran:
                break
            count += ran
        return count

    # -- sweeper and heartbeat ---------------------------------------------------------------------
    def sweep_once(self) -> list[int]:
        """Dispatch due pending rows and rows whose worker's lease expired; extend the leases of
        rows this process is running. Runs in the sweeper thread."""
        now = time.time()
        with self._running_lock:
            mine = sorted(self._running)
        if mine:
            marks = ", ".join("?" for _ in mine)
            self.db.write_sync(
                lambda c: c.execute(
                    f"UPDATE outbox SET lease_until = ? WHERE status = 'running' AND id IN ({marks})",
                    (now + self.lease_seconds, *mine),
                )
            )

        def pick(conn: apsw.Connection) -> list[int]:
            return [
                r["id"]
                for r in conn.execute(
                    "UPDATE outbox SET dispatched_at = :now WHERE id IN (SELECT id FROM outbox WHERE"
                    " (status = 'pending' AND next_attempt_at <= :now AND coalesce(dispatched_at, 0) < :stale)"
                    " OR (status = 'running' AND coalesce(lease_until, 0) < :now"
                    "     AND coalesce(dispatched_at, 0) < :now - :lease)"
                    " ORDER BY id LIMIT 500) RETURNING id",
                    {"now": now, "stale": now - REDISPATCH_AFTER_SECONDS, "lease": self.lease_seconds},
                )
            ]

        due = self.db.write_sync(pick)
        self._dispatch_many(due)
        return due

    def _sweep_loop(self) -> None:
        while not self._stop.wait(self.sweep_interval):
            try:
                self.sweep_once()
            except Exception:  # noqa: BLE001 - keep sweeping; the database may be busy briefly
                log.exception("outbox sweep failed")

    # -- consumer ----------------------------------------------------------------------------------
    def start_consumer(self, loop: asyncio.AbstractEventLoop | None = None) -> bool:
        """Start Huey's worker and scheduler threads and the sweeper (idempotent)."""
        if loop is not None:
            self._loop = loop
        if self._consumer is not None or not self.enabled:
            return False
        consumer = Consumer(
            self.huey,
            workers=int(self.settings.job_workers),
            worker_type="thread",
            periodic=True,
            initial_delay=0.05,
            max_delay=1.0,
            check_worker_health=False,
        )
        # Not consumer.start(): it installs signal handlers, which only the main thread may do.
        consumer.scheduler.start()
        for _, thread in consumer.worker_threads:
            thread.start()
        self._consumer = consumer
        self._stop.clear()
        self._sweeper = threading.Thread(target=self._sweep_loop, name="nura-jobs-sweeper", daemon=True)
        self._sweeper.start()
        log.info(
            "job consumer started: %s worker thread(s), jobs db %s",
            self.settings.job_workers,
            self.ctx.paths.jobs_database,
        )
        return True

    @property
    def consumer_running(self) -> bool:
        return self._consumer is not None

    def close(self) -> None:
        """Stop the sweeper and the consumer; waits up to 10 s for running jobs (a job cut short
        is re-run after its lease expires)."""
        self._stop.set()
        if self._sweeper is not None:
            self._sweeper.join(timeout=5)
            self._sweeper = None
        if self._consumer is not None:
            self._consumer.shutdown_timeout = 10
            self._consumer.stop(graceful=True)
            self._consumer = None
        try:
            self.huey.storage.close()
        except Exception:  # noqa: BLE001 - closing a finished storage is best effort
            pass

    # -- events ------------------------------------------------------------------------------------
    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def publish(self, channel: str, type_: str, data: dict[str, Any], **kwargs: Any) -> None:
        """Publish an event on the server's loop from any thread (``ctx.bus.publish`` inside a job
        handler comes here too)."""
        loop = self._loop
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if loop is None or loop is current or loop.is_closed():
            self.ctx.bus.publish(channel, type_, data, **kwargs)
        else:
            loop.call_soon_threadsafe(lambda: self.ctx.bus.publish(channel, type_, data, **kwargs))

    async def on_server_loop(self, coro: Awaitable[Any]) -> Any:
        """Await ``coro`` on the server's loop. For handlers that call services holding
        loop-bound state (the LLM client's connection pool, locks): a consumer thread's own
        loop must not touch them."""
        loop = self._loop
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if loop is None or loop is current or loop.is_closed() or not loop.is_running():
            return await coro
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))  # type: ignore[arg-type]

    # -- failed list -------------------------------------------------------------------------------
    async def failed(self, *, limit: int = 100, offset: int = 0) -> dict[str, Any]:
        def run(conn: apsw.Connection) -> dict[str, Any]:
            total = conn.execute("SELECT count(*) AS n FROM outbox WHERE status = 'failed'").fetchall()[0]["n"]
            rows = conn.execute(
                "SELECT id, kind, payload, attempts, max_attempts, last_error, created_at, updated_at FROM outbox"
                " WHERE status = 'failed' ORDER BY updated_at DESC, id DESC LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
            return {"jobs": [{**r, "payload": json.loads(r["payload"])} for r in rows], "total": total}

        return await self.db.read(run)

    async def retry(self, row_id: int) -> dict[str, Any]:
        """Move a failed row back to pending with fresh attempts, and dispatch it."""
        now = time.time()

        def run(conn: apsw.Connection) -> dict[str, Any]:
            rows = conn.execute("SELECT id, kind, status FROM outbox WHERE id = ?", (row_id,)).fetchall()
            if not rows:
                raise NotFound(f"job {row_id} does not exist", code="job_not_found")
            if rows[0]["status"] != "failed":
                raise Conflict(f"job {row_id} is {rows[0]['status']}, not failed", code="job_not_failed")
            conn.execute(
                "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ?,"
                " dispatched_at = ?, lease_until = NULL, max_attempts = ? WHERE id = ?",
                (now, now, now, self.settings.job_max_attempts, row_id),
            )
            return {"id": row_id, "kind": rows[0]["kind"], "status": "pending"}

        result = await self.db.write(run)
        self._dispatch(row_id)
        return result

    async def counts(self) -> dict[str, int]:
        rows = await self.db.fetchall("SELECT status, count(*) AS n FROM outbox GROUP BY status")
        return {r["status"]: r["n"] for r in rows}
