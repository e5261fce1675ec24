"""Process-level operations wiring for ``nura serve``: the data-dir lock that tells ``nura
restore`` the directory is live, and optional structured JSON logs (``LOG_JSON``)."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from sanic import Sanic

from nura_appliance.context import AppContext
from nura_appliance.ops.live import ServeLock

log = logging.getLogger(__name__)
# LogRecord attributes that are plumbing, not information worth a JSON field.
_RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, any ``extra=`` fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": round(record.created, 3),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool | type(None)) else repr(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_json_logging(stream: Any = None) -> logging.Handler:
    """Route the root logger and Sanic's loggers through one JSON handler (idempotent)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.set_name("nura-json")
    for name in ("", "sanic.root", "sanic.error", "sanic.access", "sanic.server"):
        logger = logging.getLogger(name)
        # Sanic's loggers lose their text handlers; the root logger only a previous JSON handler.
        stale = logger.handlers if name else [h for h in logger.handlers if h.get_name() == "nura-json"]
        for old in list(stale):
            logger.removeHandler(old)
        logger.addHandler(handler)
        if name:
            logger.propagate = False
    if logging.getLogger().level > logging.INFO or logging.getLogger().level == logging.NOTSET:
        logging.getLogger().setLevel(logging.INFO)
    return handler


class _LockService:
    """Holds the data-dir lock as a context service so it is released when the context closes."""

    def __init__(self, lock: ServeLock) -> None:
        self.lock = lock

    def close(self) -> None:
        self.lock.close()


async def _take_lock(app: Sanic, ctx: AppContext) -> None:
    lock = ServeLock(ctx.paths.root)
    if lock.acquire():
        ctx.services["serve_lock"] = _LockService(lock)
    else:
        # Not fatal: scale-out workers share a data dir. Restore still sees it as live.
        log.info("data dir %s is already locked by another nura process", ctx.paths.root)


def setup(app: Sanic) -> None:
    from nura_appliance.app import on_context

    if app.ctx.settings.log_json:
        configure_json_logging()
    on_context(app, _take_lock)
