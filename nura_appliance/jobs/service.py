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

Database errors (PostgreSQL restarting, every connection killed): the runner retries the claim
and the outcome write with back-off (50 ms doubling to 2 s, for up to ``STORAGE_RETRY_SECONDS``)
while the sweeper keeps the row's lease, so a job finishes as soon as the database answers again
instead of waiting out its lease. Each claim has a random token, and an outcome is recorded only
for the claim that holds the row, so a write retried after an unseen commit changes nothing twice.
What a handler hands to ``ctx.with_outcome(write)`` (the webhook delivery log) is written in the
outcome's own transaction. A job is run a second time only when its outcome could not be recorded
at all: its process died, or the database stayed away longer than the retries (then the lease).

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
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from huey import Huey, SqliteHuey, crontab
from huey.consumer import Consumer

from nura_appliance.errors import Conflict, NotFound, StorageError
from nura_appliance.paths import DataPaths
from nura_appliance.settings import Settings
from nura_appliance.storage.base import Database, OutboxItem, OutboxStore, OutcomeWrite, Recorded, Transaction
from nura_appliance.storage.bus import EventBus
from nura_appliance.storage.stores import Stores, describe_url

log = logging.getLogger(__name__)
T = TypeVar("T")

# A handler types its ``ctx`` as a seam Protocol of its own (what it uses of the app context, its
# ``bus`` a :class:`JobBus`); ``context.py`` checks the AppContext against each. The queue hands it
# the app context behind a thread-safe bus, so the queue itself cannot name that type here.
JobHandler = Callable[[Any, dict[str, Any]], Awaitable[None]]
PeriodicHandler = Callable[[Any], Coroutine[Any, Any, object]]  # an async def; the result is ignored


class JobBus(Protocol):
    """The event bus as a job handler may use it: ``ctx.bus`` is the server's ``EventBus`` where a
    handler is called on the server's loop, a :class:`_ThreadSafeBus` in a consumer thread."""

    def publish(self, channel: str, type_: str, data: dict[str, Any], *, buffered: bool = True) -> object: ...
    def publish_many(self, events: list[tuple[str, str, dict[str, Any]]]) -> object: ...


class JobServiceSite(Protocol):
    """What :class:`JobService` uses of the app context (it keeps the context to hand it, with a
    thread-safe bus, to the handlers)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def db(self) -> Database: ...
    @property
    def stores(self) -> Stores: ...
    @property
    def paths(self) -> DataPaths: ...
    @property
    def bus(self) -> EventBus: ...


# Pending rows dispatched this long ago without being claimed are dispatched again (the Huey
# message was lost, e.g. jobs.db was deleted); duplicates are harmless because claims are atomic.
REDISPATCH_AFTER_SECONDS = 60.0
SWEEP_INTERVAL_SECONDS = 1.0
BATCH_SIZE = 100  # outbox rows per queue task when the sweeper dispatches many at once
BATCH_CONCURRENCY = 16  # rows of one batch running at the same time
# How long the runner keeps retrying a claim or an outcome write that the database refused
# (back-off from 50 ms doubling to 2 s); beyond it the row is left to its lease.
STORAGE_RETRY_SECONDS = 120.0
_STORAGE_RETRY_FIRST = 0.05
_STORAGE_RETRY_MAX = 2.0


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

    def __init__(self, bus: EventBus, jobs: JobService) -> None:
        self._bus = bus
        self._jobs = jobs

    def publish(self, channel: str, type_: str, data: dict[str, Any], **kwargs: Any) -> None:
        self._jobs.publish(channel, type_, data, **kwargs)

    def publish_many(self, events: Sequence[tuple[str, str, dict[str, Any]]]) -> None:
        for channel, type_, data in events:
            self._jobs.publish(channel, type_, data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bus, name)


class _JobContext:
    """The AppContext handed to job handlers: the same object except for a thread-safe bus."""

    def __init__(self, ctx: object, bus: _ThreadSafeBus) -> None:
        self._ctx = ctx
        self.bus = bus

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ctx, name)


class _RunContext(_JobContext):
    """The context of one run of one outbox row: adds :meth:`with_outcome`."""

    def __init__(self, ctx: object, bus: _ThreadSafeBus) -> None:
        super().__init__(ctx, bus)
        self._writes: list[OutcomeWrite] = []

    def with_outcome(self, write: OutcomeWrite) -> None:
        """Run ``write(conn)`` in the transaction that records this handler's outcome (success or
        failure), e.g. a delivery log row: it is stored exactly when the outcome is."""
        self._writes.append(write)

    def take_writes(self) -> list[OutcomeWrite]:
        writes, self._writes = self._writes, []
        return writes


class JobService:
    """``ctx.jobs``: register handlers, enqueue durable work, run the consumer."""

    def __init__(
        self, ctx: JobServiceSite, *, lease_seconds: float | None = None, sweep_interval: float = SWEEP_INTERVAL_SECONDS
    ) -> None:
        self.ctx = ctx
        # Handlers get this view of ctx: ctx.bus.publish from a consumer thread is forwarded to
        # the server's loop (the bus itself must only be touched there).
        self.job_ctx = _JobContext(ctx, _ThreadSafeBus(ctx.bus, self))
        self.settings: Settings = ctx.settings
        self.db: Database = ctx.db
        self.lease_seconds = float(lease_seconds or self.settings.job_lease_seconds)
        self.sweep_interval = sweep_interval
        self.store: OutboxStore = ctx.stores.outbox
        self.storage_retry_seconds = STORAGE_RETRY_SECONDS
        # Set when a claim, a sweep or a hand-over to the queue failed: the next sweep hands every
        # due row to the queue again rather than after REDISPATCH_AFTER_SECONDS (duplicates are
        # harmless, claims are atomic).
        self._redispatch_soon = False
        self._sweep_failing = False
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

    def periodic(self) -> list[str]:
        """The names of the registered periodic jobs, sorted."""
        return sorted(self._periodic)

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

    def enqueue_in(self, conn: Transaction, kind: str, payload: dict[str, Any], *, dispatched: bool = False) -> int:
        """Insert an outbox row on ``conn`` (inside the caller's write transaction). The sweeper
        dispatches it within about a second of the commit."""
        return self.store.insert_in(
            conn, OutboxItem(kind, payload), max_attempts=self.settings.job_max_attempts, dispatched=dispatched
        )

    def _dispatch(self, row_id: int, delay: float = 0.0) -> None:
        try:
            if delay > 0:
                self._run_task.schedule(args=(row_id,), delay=delay)
            else:
                self._run_task(row_id)
        except Exception:  # noqa: BLE001 - the sweeper dispatches it later
            self._redispatch_soon = True
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
                self._redispatch_soon = True
                log.exception("could not hand %d outbox rows to the queue; the sweeper will retry", len(chunk))

    # -- execution --------------------------------------------------------------------------------
    def _execute_in_thread(self, row_id: int) -> None:
        """Huey task body: runs in a consumer thread with a fresh event loop."""
        self._in_thread(self.run_row(row_id), [row_id])

    def _execute_batch_in_thread(self, row_ids: list[int]) -> None:
        self._in_thread(self.run_rows(row_ids), row_ids)

    @staticmethod
    def _in_thread(run: Coroutine[Any, Any, Any], row_ids: list[int]) -> None:
        try:
            asyncio.run(run)
        except StorageError as exc:
            # Retried for STORAGE_RETRY_SECONDS already: the database is still away. The rows are
            # handed out again by the sweeper (unclaimed) or after their lease (claimed).
            log.error("background job(s) %s stopped: the database stayed unavailable (%s)", row_ids[:10], exc)

    async def _with_retries(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        """``await call()``, retried with back-off while the database raises StorageError (for up
        to ``storage_retry_seconds``, and not once this service is closing)."""
        delay = _STORAGE_RETRY_FIRST
        deadline = time.monotonic() + self.storage_retry_seconds
        failures = 0
        while True:
            try:
                result = await call()
            except StorageError as exc:
                failures += 1
                if self._stop.is_set() or time.monotonic() + delay > deadline:
                    raise
                if failures == 1:
                    log.warning("could not %s (%s); retrying until the database answers", what, exc)
                await asyncio.sleep(delay)
                delay = min(_STORAGE_RETRY_MAX, delay * 2)
                continue
            if failures:
                log.info("%s: succeeded after %d failed tries", what, failures)
            return result

    async def _claim(self, row_ids: list[int]) -> list[dict[str, Any]]:
        token = uuid.uuid4().hex  # the same token on every retry: a claim that committed unseen is found again
        try:
            return await self._with_retries(
                f"claim job(s) {row_ids[:5]}", lambda: self.store.claim(row_ids, token, self.lease_seconds)
            )
        except StorageError:
            self._redispatch_soon = True
            raise

    async def run_rows(self, row_ids: list[int]) -> dict[int, str]:
        """Claim the claimable ones of ``row_ids`` in one write and run them concurrently (at most
        BATCH_CONCURRENCY at a time, so their writes share commits). Each row keeps its own lease,
        retries and failure accounting, as with :meth:`run_row`. Returns each claimed row's status."""
        rows = await self._claim(row_ids)
        if not rows:
            return {}
        with self._running_lock:
            self._running.update(r["id"] for r in rows)
        gate = asyncio.Semaphore(BATCH_CONCURRENCY)

        async def one(row: dict[str, Any]) -> str:
            async with gate:
                try:
                    return await self._run_claimed(row)
                except StorageError as exc:
                    log.error("job %s stopped: the database stayed unavailable (%s)", row["id"], exc)
                    return "running"
                finally:
                    with self._running_lock:
                        self._running.discard(row["id"])

        statuses = await asyncio.gather(*(one(r) for r in rows))
        return {r["id"]: status for r, status in zip(rows, statuses, strict=True)}

    async def run_row(self, row_id: int) -> str:
        """Claim row ``row_id`` and run its handlers. Returns the resulting status (``done``,
        ``pending``, ``failed``; ``lost`` when the claim expired meanwhile and another worker
        holds the row), or ``"skipped"`` when the row is not claimable (done, failed, not due, or
        held by a live worker)."""
        rows = await self._claim([row_id])
        if not rows:
            return "skipped"
        with self._running_lock:
            self._running.add(row_id)
        try:
            return await self._run_claimed(rows[0])
        finally:
            with self._running_lock:
                self._running.discard(row_id)

    async def _run_claimed(self, row: dict[str, Any]) -> str:
        row_id, token = row["id"], row["claim_token"]
        payload = json.loads(row["payload"])
        done: list[str] = json.loads(row.get("handlers_done") or "[]")
        handlers = self._handlers.get(row["kind"], [])
        if not handlers:
            error = LookupError(f"no handler is registered for job kind {row['kind']!r} in this process")
            return await self._record_failure(row, error, [])
        run = _RunContext(self.ctx, self.job_ctx.bus)
        todo = [(name, handler) for name, handler in handlers if name not in done]
        for index, (name, handler) in enumerate(todo):
            try:
                await handler(run, payload)
            except Exception as exc:  # noqa: BLE001 - recorded on the row, retried or failed
                return await self._record_failure(row, exc, run.take_writes())
            done.append(name)
            if index < len(todo) - 1:  # the last handler's record is the 'done' write below
                writes, progress = run.take_writes(), list(done)

                def record_progress(
                    p: list[str] = progress, w: list[OutcomeWrite] = writes
                ) -> Coroutine[Any, Any, Recorded]:
                    return self.store.progress(row_id, token, p, w)

                outcome = await self._with_retries(f"record the progress of job {row_id}", record_progress)
                if outcome == "lost":
                    return self._lost(row)
        writes = run.take_writes()
        outcome = await self._with_retries(
            f"record job {row_id} as done", lambda: self.store.finish(row_id, token, writes)
        )
        return "done" if outcome != "lost" else self._lost(row)

    @staticmethod
    def _lost(row: dict[str, Any]) -> str:
        log.warning(
            "job %s (%s) ran past its lease and another claim holds it now; it may run again",
            row["id"],
            row["kind"],
        )
        return "lost"

    async def _record_failure(self, row: dict[str, Any], exc: BaseException, writes: list[OutcomeWrite]) -> str:
        row_id, attempts, token = row["id"], int(row["attempts"]), row["claim_token"]
        max_attempts = int(self.settings.job_max_attempts)
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if attempts >= max_attempts:
            log.error("job %s (%s) failed after %s attempts: %s", row_id, row["kind"], attempts, error)
            retry_at: float | None = None
        else:
            delay = retry_delay(self.settings.job_retry_delay_seconds, attempts)
            log.warning(
                "job %s (%s) attempt %s failed, retrying in %.0f s: %s", row_id, row["kind"], attempts, delay, error
            )
            retry_at = time.time() + delay
        outcome: Recorded = await self._with_retries(
            f"record the failure of job {row_id}",
            lambda: self.store.fail(row_id, token, error, max_attempts, retry_at, writes),
        )
        if outcome == "lost":
            return self._lost(row)
        if retry_at is None:
            return "failed"
        if self._consumer is not None and outcome == "recorded":
            self._dispatch(row_id, max(0.0, retry_at - time.time()))
        return "pending"

    async def run_pending(self, *, limit: int = 1000) -> int:
        """Run every due row on the calling loop until none is left; returns how many ran.
        For tests, the CLI and set-ups without a consumer."""
        count = 0
        while count < limit:
            ids = await self.store.due_ids(time.time())
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
            self.store.extend_leases(mine, now + self.lease_seconds)
        # After a failed claim, sweep or hand-over, every due row goes to the queue again at once.
        stale = now if self._redispatch_soon else now - REDISPATCH_AFTER_SECONDS
        self._redispatch_soon = False
        try:
            due = self.store.pick_due(now, stale, self.lease_seconds)
        except StorageError:
            self._redispatch_soon = True
            raise
        self._dispatch_many(due)
        return due

    def _sweep_loop(self) -> None:
        while not self._stop.wait(self.sweep_interval):
            try:
                self.sweep_once()
            except StorageError as exc:  # the database is away for a moment: say so once
                self._redispatch_soon = True
                if not self._sweep_failing:
                    log.warning("outbox sweep failed (%s); retrying every %.1f s", exc, self.sweep_interval)
                self._sweep_failing = True
                continue
            except Exception:  # noqa: BLE001 - keep sweeping; the database may be busy briefly
                log.exception("outbox sweep failed")
                continue
            if self._sweep_failing:
                log.info("outbox sweep works again")
                self._sweep_failing = False

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
        queue = self.queue_description()
        where = queue.get("path") or f"{queue['host']}:{queue['port']}/{queue['database']} as {queue['name']!r}"
        log.info(
            "job consumer started: %s worker thread(s), queue %s (%s)",
            self.settings.job_workers,
            queue["backend"],
            where,
            extra={"queue": queue["backend"]},
        )
        return True

    def queue_description(self) -> dict[str, Any]:
        """Which queue carries the jobs: ``{"backend": "redis", host, port, database, name}`` or
        ``{"backend": "sqlite", "path"}`` (for health checks and logs; never a password)."""
        if self.settings.nura_redis_url:
            where = describe_url(self.settings.nura_redis_url)
            return {
                "backend": "redis",
                "host": where["host"],
                "port": where["port"],
                "database": where["database"],
                "name": self.huey.name,
            }
        return {"backend": "sqlite", "path": str(self.ctx.paths.jobs_database)}

    def queue_reachable(self) -> tuple[bool, str | None]:
        """Whether the queue answers now (a Redis ping; the SQLite queue is a local file): ``(ok,
        error)``. Blocking: call it from a thread."""
        try:
            if self.settings.nura_redis_url:
                self.huey.storage.conn.ping()
            else:
                self.huey.storage.queue_size()
        except Exception as exc:  # noqa: BLE001 - reported by the health check
            return False, f"{type(exc).__name__}: {exc}"[:200]
        return True, None

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
        return await self.store.failed(limit, offset)

    async def retry(self, row_id: int) -> dict[str, Any]:
        """Move a failed row back to pending with fresh attempts, and dispatch it."""
        row = await self.store.retry(row_id, int(self.settings.job_max_attempts))
        if row is None:
            raise NotFound(f"job {row_id} does not exist", code="job_not_found")
        if row["status"] != "failed":
            raise Conflict(f"job {row_id} is {row['status']}, not failed", code="job_not_failed")
        self._dispatch(row_id)
        return {"id": row_id, "kind": row["kind"], "status": "pending"}

    async def counts(self) -> dict[str, int]:
        return await self.store.counts()


if TYPE_CHECKING:

    def _the_thread_safe_bus_is_a_job_bus(bus: _ThreadSafeBus, server: EventBus) -> tuple[JobBus, JobBus]:
        """Never called: mypy checks that both buses a handler may get satisfy :class:`JobBus`."""
        return (bus, server)
