"""Scheduled backups, run by the job queue in the serving process (no cron needed).

* **When**: ``BACKUP_SCHEDULE`` (daily times or cron, in ``BUSINESS_TIMEZONE``; ``ops/schedule.py``).
  Every process with a job consumer checks the schedule once a minute (a periodic job) and once at
  start-up. A check looks at the stretch since the previous check (``backup_schedule_state``): a
  slot in it is owed and is queued once — its ``backup_runs`` row and its outbox row in one
  transaction, so several processes checking at once still queue it once. A server that was down
  over one or several slots runs **one** backup at its next start; a new or changed schedule only
  counts from the moment it is first seen.
* **The run** is an outbox job (``backup_run``): the same archive as ``nura backup`` (SQLite online
  backup, or ``pg_dump`` in PostgreSQL mode, plus ``uploads/`` and ``nura.toml``) written into
  ``BACKUP_DIR`` as ``nura-backup-<UTC time>Z-run<id>.tar.gz``; after a success the oldest such
  archives beyond ``BACKUP_KEEP`` are deleted (archives made by hand with ``nura backup`` are
  never touched, and a failed run deletes nothing).
* **A failure** is recorded on its run (the System page shows it as an alert, ``/v1/health``
  reports the component failing, ``/v1/metrics`` has the timestamps) and, with
  ``ESCALATION_WEBHOOK_URL`` set, a signed ``backup.failed`` webhook event is queued in the same
  transaction. The job itself does not retry: the next slot, or an admin's "back up now", does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sanic import Blueprint, Request, Sanic
from sanic import json as json_response
from sanic.response import HTTPResponse

from nura_appliance.auth.access import ADMIN, access
from nura_appliance.errors import NuraError
from nura_appliance.health import register_check
from nura_appliance.http import on_context
from nura_appliance.jobs.tasks import WEBHOOK_KIND, webhook_payload
from nura_appliance.ops.backup import create_backup
from nura_appliance.ops.schedule import BackupSchedule, parse_schedule
from nura_appliance.paths import DataPaths
from nura_appliance.settings import Settings
from nura_appliance.storage.base import BackupRun, BackupStore, Transaction
from nura_appliance.storage.stores import Stores

if TYPE_CHECKING:  # annotations only (features below this one)
    from nura_appliance.auth.audit import AuditService
    from nura_appliance.jobs.service import JobService

log = logging.getLogger(__name__)
bp = Blueprint("backups", url_prefix="/v1")

JOB_KIND = "backup_run"
TICK_NAME = "backups.check_schedule"
FAILED_EVENT = "backup.failed"
ARCHIVE = re.compile(r"^nura-backup-(\d{8}-\d{6})Z-run(\d+)\.tar\.gz$")
# A slot that passed this long ago without a successful backup is reported as overdue (no job
# consumer running, a run stuck …) even when no run failed.
OVERDUE_AFTER_SECONDS = 3600.0
PARTIAL_MAX_AGE_SECONDS = 86400.0


def archive_name(run_id: int, at: float) -> str:
    return f"nura-backup-{time.strftime('%Y%m%d-%H%M%S', time.gmtime(at))}Z-run{run_id}.tar.gz"


def prune(folder: Path, keep: int) -> list[str]:
    """Delete the oldest scheduled archives in ``folder`` beyond ``keep`` (by the time and run in
    their names, never by file dates), and ``.partial`` leftovers of a crash older than a day;
    returns the names of the archives deleted."""
    found: list[tuple[str, int, Path]] = []
    for path in folder.glob("nura-backup-*"):
        match = ARCHIVE.match(path.name)
        if match and path.is_file():
            found.append((match.group(1), int(match.group(2)), path))
        elif path.name.endswith(".tar.gz.partial") and path.is_file():
            with contextlib.suppress(OSError):
                if time.time() - path.stat().st_mtime > PARTIAL_MAX_AGE_SECONDS:
                    path.unlink()
    found.sort(reverse=True)
    deleted = []
    for _stamp, _run, path in found[max(1, keep) :]:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            deleted.append(path.name)
    return deleted


class BackupServiceSite(Protocol):
    """What :class:`BackupService` uses of the app context (``jobs`` is read when used)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def paths(self) -> DataPaths: ...
    @property
    def jobs(self) -> JobService | None: ...


class BackupService:
    """``ctx.backups``: checks the schedule, queues and runs backups, reports."""

    def __init__(self, ctx: BackupServiceSite, store: BackupStore, *, clock: Any = time.time) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.store = store
        self.clock = clock
        self.schedule: BackupSchedule = parse_schedule(self.settings.backup_schedule, self.settings.business_timezone)
        configured = str(self.settings.backup_dir or "").strip()
        self.folder = Path(configured).expanduser().resolve() if configured else ctx.paths.backups

    @property
    def schedule_key(self) -> str:
        """What the scheduler's state remembers: a changed schedule or zone starts afresh."""
        return f"{self.schedule.text} @ {self.schedule.zone.key}"

    @property
    def jobs(self) -> Any:
        return self.ctx.jobs

    def _enqueue(self, conn: Transaction, run_id: int) -> None:
        self.jobs.enqueue_in(conn, JOB_KIND, {"run_id": run_id})

    async def check_schedule(self, now: float | None = None) -> int | None:
        """Queue the backup owed since the last check, if any; returns its run id."""
        if not self.schedule.enabled:
            await self.store.clear_schedule()
            return None
        if self.jobs is None or not self.jobs.enabled:
            return None  # nothing would run it (BACKGROUND_JOBS_ENABLED=false)
        at = self.clock() if now is None else now
        run_id = await self.store.tick(
            self.schedule_key, at, lambda after: self.schedule.latest_between(after, at), self._enqueue
        )
        if run_id is not None:
            log.info("scheduled backup %s queued (%s)", run_id, self.schedule.describe())
        return run_id

    async def back_up_now(self, requested_by: str | None) -> BackupRun:
        """An admin's backup: queued for the job consumer (run here at once without jobs)."""
        now = self.clock()
        if self.jobs is None or not self.jobs.enabled:
            run_id = await self.store.queue_manual(requested_by, now, lambda _conn, _id: None)
            return await self.execute(run_id) or BackupRun(run_id, "manual", "queued", now)
        run_id = await self.store.queue_manual(requested_by, now, self._enqueue)
        run = await self.store.get(run_id)
        assert run is not None
        return run

    async def execute(self, run_id: int) -> BackupRun | None:
        """Make the archive of run ``run_id``, prune, record the outcome; None when the run is
        unknown or finished already (a repeated delivery of its job)."""
        run = await self.store.start(run_id, self.clock())
        if run is None:
            return None
        target = self.folder / archive_name(run.id, run.started_at or self.clock())
        database_url = self.settings.nura_database_url or None
        run.database = "postgresql" if database_url else "sqlite"
        try:
            await asyncio.to_thread(self.folder.mkdir, parents=True, exist_ok=True)
            result = await asyncio.to_thread(create_backup, self.ctx.paths.root, target, database_url=database_url)
            run.status, run.archive, run.bytes = "ok", result.path.name, result.bytes
            run.files = len(result.manifest.get("files", []))
            run.pruned = len(await asyncio.to_thread(prune, self.folder, int(self.settings.backup_keep)))
        except Exception as exc:  # noqa: BLE001 - every failure is recorded and alerted, never lost
            run.status = "failed"
            run.error = _describe(exc)[:1000]
        run.finished_at = self.clock()
        after = self._alert if run.status == "failed" else None
        await self.store.finish(run, (lambda conn: after(conn, run)) if after else None)
        if run.status == "ok":
            log.info("backup %s written: %s (%s bytes, %s pruned)", run.id, target, run.bytes, run.pruned)
        else:
            log.error("backup %s failed: %s", run.id, run.error)
        return run

    def _alert(self, conn: Transaction, run: BackupRun) -> None:
        """The ``backup.failed`` webhook event, queued with the failure (when a URL is set)."""
        url = str(self.settings.escalation_webhook_url or "")
        if not url or self.jobs is None:
            return
        data = {
            "run_id": run.id,
            "origin": run.origin,
            "slot": run.slot,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "database": run.database,
            "backup_dir": str(self.folder),
            "error": run.error,
        }
        self.jobs.enqueue_in(conn, WEBHOOK_KIND, webhook_payload(url, FAILED_EVENT, data))

    # -- reporting --------------------------------------------------------------------------
    def archives(self) -> list[dict[str, Any]]:
        out = []
        if self.folder.is_dir():
            for path in self.folder.iterdir():
                if ARCHIVE.match(path.name) and path.is_file():
                    stat = path.stat()
                    out.append({"name": path.name, "bytes": stat.st_size, "modified_at": stat.st_mtime})
        return sorted(out, key=lambda a: a["name"], reverse=True)

    async def alert(self, now: float | None = None) -> dict[str, Any] | None:
        """What needs an admin's attention: the last run failed, or a slot passed without a backup."""
        at = self.clock() if now is None else now
        last = await self.store.last_finished()
        if last is not None and last.status == "failed":
            return {"kind": "failed", "run_id": last.id, "at": last.finished_at, "error": last.error}
        if not self.schedule.enabled:
            return None
        since = await self.store.schedule_since(self.schedule_key)
        due = self.schedule.latest_between(since, at - OVERDUE_AFTER_SECONDS) if since is not None else None
        ok = await self.store.last_finished("ok")
        if due is not None and (ok is None or (ok.finished_at or 0) < due):
            return {"kind": "overdue", "slot": due, "at": due, "error": None}
        return None

    async def status(self) -> dict[str, Any]:
        now = self.clock()
        running = [r for r in await self.store.recent(20) if r.status in ("queued", "running")]
        last_ok = await self.store.last_finished("ok")
        return {
            "schedule": {
                "text": self.schedule.text,
                "enabled": self.schedule.enabled,
                "description": self.schedule.describe(),
                "timezone": self.schedule.zone.key,
                "next_run_at": self.schedule.next_after(now),
                "jobs_enabled": bool(self.jobs is not None and self.jobs.enabled),
            },
            "keep": int(self.settings.backup_keep),
            "folder": str(self.folder),
            "database": "postgresql" if self.settings.nura_database_url else "sqlite",
            "last": _public(await self.store.last_finished()),
            "last_success": _public(last_ok),
            "running": _public(running[0]) if running else None,
            "alert": await self.alert(now),
            "runs": [r.public() for r in await self.store.recent(10)],
            "archives": await asyncio.to_thread(self.archives),
        }


def _describe(exc: BaseException) -> str:
    """A failure as an admin reads it on the System page."""
    if isinstance(exc, NuraError):
        return exc.message
    if isinstance(exc, FileExistsError | NotADirectoryError) and exc.filename:
        return f"cannot write backups into {exc.filename}: it is a file, not a folder (check BACKUP_DIR)"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return f"{type(exc).__name__}: {exc}"


def _public(run: BackupRun | None) -> dict[str, Any] | None:
    return run.public() if run is not None else None


# -- routes ---------------------------------------------------------------------------------------
@bp.get("/backups")
@access(ADMIN)
async def backups_status(request: Request) -> HTTPResponse:
    """Scheduled backups: schedule and next run, the last result, an alert when one failed or is
    overdue, recent runs and the archives kept.

    openapi:
    ---
    summary: Scheduled backups (status, last result, alert, archives)
    tags: [operations]
    """
    service: BackupService = request.app.ctx.nura.backups
    return json_response(await service.status())


@bp.post("/backups")
@access(ADMIN)
async def back_up_now(request: Request) -> HTTPResponse:
    """Start a backup now (it runs in the job queue); 409 while one is queued or running.

    openapi:
    ---
    summary: Back up now (the archive goes to BACKUP_DIR and counts towards BACKUP_KEEP)
    tags: [operations]
    responses:
      "202": {description: "queued: {run}"}
      "409": {description: "a backup is queued or running"}
    """
    ctx: BackupsSite = request.app.ctx.nura  # Sanic's ctx is untyped; the app keeps its context here
    principal = getattr(request.ctx, "principal", None)
    actor = getattr(principal, "username", None)
    run = await _service(ctx).back_up_now(actor)
    audit = ctx.audit
    if audit is not None:
        await audit.record(actor or "admin", "backup.run", str(run.id), {"status": run.status})
    return json_response({"ok": True, "run": run.public()}, status=202 if run.status == "queued" else 200)


# -- wiring ---------------------------------------------------------------------------------------
class BackupJobSite(Protocol):
    """What the backup jobs use of the app context: ``ctx.backups``, set before they are registered."""

    @property
    def backups(self) -> BackupService | None: ...


class BackupsSite(BackupServiceSite, Protocol):
    """What this feature's hook, routes and health check use of the app context: ``backups`` is
    set by the hook."""

    @property
    def stores(self) -> Stores: ...
    @property
    def audit(self) -> AuditService | None: ...

    backups: BackupService | None


def _service(ctx: BackupJobSite) -> BackupService:
    service = ctx.backups
    if service is None:  # registered by ``_attach`` right after it sets ``ctx.backups``
        raise RuntimeError("the scheduled backups feature is not set up (ctx.backups)")
    return service


async def run_backup_job(ctx: BackupJobSite, payload: dict[str, Any]) -> None:
    """Outbox handler for ``backup_run``."""
    await _service(ctx).execute(int(payload["run_id"]))


async def check_schedule_job(ctx: BackupJobSite) -> None:
    """Periodic job (every minute where a consumer runs)."""
    await _service(ctx).check_schedule()


async def _attach(app: Sanic, ctx: BackupsSite) -> None:
    service = BackupService(ctx, ctx.stores.backups)
    ctx.backups = service
    jobs = ctx.jobs
    if jobs is not None:
        jobs.register(JOB_KIND, run_backup_job)
        jobs.every(1, TICK_NAME, check_schedule_job)
    # The start-up check: a slot missed while no process was up is queued now (once).
    try:
        await service.check_schedule()
    except Exception:  # noqa: BLE001 - a failed check must not stop the server; the next one retries
        log.exception("checking the backup schedule at start-up failed")


async def _health(ctx: BackupJobSite) -> dict[str, Any]:
    service = _service(ctx)
    alert = await service.alert()
    last = await service.store.last_finished("ok")
    return {
        "ok": alert is None,
        "schedule": service.schedule.describe(),
        "last_success_at": last.finished_at if last else None,
        "alert": alert["kind"] if alert else None,
    }


def setup(app: Sanic) -> None:
    app.blueprint(bp)
    on_context(app, _attach)
    register_check(app, "backups", _health)
