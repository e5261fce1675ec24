"""Process-level operations wiring for ``nura serve``: the data-dir lock that tells ``nura
restore`` the directory is live, and the log format (:mod:`nura_appliance.ops.logs`; structured
JSON lines with ``LOG_JSON``)."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from sanic import Sanic

from nura_appliance.http import on_context
from nura_appliance.ops import logs
from nura_appliance.ops.live import ServeLock
from nura_appliance.ops.logs import JsonFormatter
from nura_appliance.paths import DataPaths

log = logging.getLogger(__name__)
__all__ = ["JsonFormatter", "configure_json_logging", "setup"]


def configure_json_logging(stream: Any = None) -> logging.Handler:
    """JSON lines for an app run without a ``nura`` entry point's own log set-up (embedded)."""
    return logs.configure_logging(json_lines=True, process="nura", stream=stream)


class ServeLockHolder:
    """Holds the data-dir lock as a context service so it is released when the context closes."""

    def __init__(self, lock: ServeLock) -> None:
        self.lock = lock

    def close(self) -> None:
        self.lock.close()


class LockSite(Protocol):
    """What the lock hook uses of the app context; ``context.AppContext`` satisfies it (checked by
    mypy in ``context.py``), so this feature does not name the composition root above it."""

    @property
    def paths(self) -> DataPaths: ...

    serve_lock: ServeLockHolder | None


async def _take_lock(app: Sanic, ctx: LockSite) -> None:
    lock = ServeLock(ctx.paths.root)
    if lock.acquire():
        ctx.serve_lock = ServeLockHolder(lock)
    else:
        # Not fatal: scale-out workers share a data dir. Restore still sees it as live.
        log.info("data dir %s is already locked by another nura process", ctx.paths.root)


def setup(app: Sanic) -> None:
    if logs.configured():
        logs.reapply()  # this app's Sanic() replaced the handlers of Sanic's loggers
    elif app.ctx.settings.log_json:
        configure_json_logging()
    on_context(app, _take_lock)
