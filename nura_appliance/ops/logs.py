"""Log lines of the long-running ``nura`` processes: ``serve`` (one process, or the supervisor and
its API workers with ``--workers``), ``worker`` and ``telegram``.

One handler on stderr serves the root logger (our ``nura_appliance.*`` loggers, psycopg, huey …)
and Sanic's loggers, so every line has the same shape and the same stream (journald, a container
log, a file). Two formats:

* text (default): ``2026-12-06T13:16:09.123Z INFO api-1 nura_appliance.jobs.service: message``
  — UTC time with milliseconds, level, the process (``main`` is the supervisor, ``api-N`` its
  workers, ``serve`` a single-process server, ``worker``, ``telegram``), the logger, the message;
* ``LOG_JSON=true``: one JSON object per line with ``ts``, ``time``, ``level``, ``logger``,
  ``message``, ``process``, ``pid``, any ``extra=`` fields and ``exception``.

Without this set-up, Python printed our own warnings without time or level and dropped our info
lines, and Sanic's lines had a format of their own. Creating a Sanic app replaces the handlers of
Sanic's loggers (its default ``dictConfig``); :func:`reapply` puts ours back and is called by the
operations feature's set-up, so the order of app creation and set-up does not matter.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any

HANDLER_NAME = "nura-log"
SANIC_LOGGERS = ("sanic.root", "sanic.error", "sanic.access", "sanic.server", "sanic.websockets")
# LogRecord attributes that are plumbing, not information worth a JSON field.
_RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_SANIC_FIELDS = {"ident", "right", "verbosity", "host", "request", "status", "byte", "duration"}

# This process's log set-up once configure_logging ran (logging itself is process-wide state).
_configured: dict[str, Any] | None = None


def _utc(record: logging.LogRecord) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"


class TextFormatter(logging.Formatter):
    """``<UTC time> <LEVEL> <process> <logger>: <message>`` (a traceback follows on its lines)."""

    def __init__(self, process: str = "nura") -> None:
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_utc(record)} {record.levelname} {self.process} {record.name}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, process, any ``extra=`` fields,
    exception."""

    def __init__(self, process: str | None = None) -> None:
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": round(record.created, 3),
            "time": _utc(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if self.process is not None:
            entry["process"] = self.process
            entry["pid"] = record.process
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and key not in _SANIC_FIELDS and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool | type(None)) else repr(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(
    *, json_lines: bool, process: str, level: int = logging.INFO, stream: Any = None
) -> logging.Handler:
    """Route the root logger and Sanic's loggers through one handler on ``stream`` (stderr) with
    the text or JSON format, for this whole process (idempotent; later calls replace the format)."""
    global _configured
    _configured = {"json_lines": json_lines, "process": process, "level": level, "stream": stream}
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(process) if json_lines else TextFormatter(process))
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() in (HANDLER_NAME, "nura-json")]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    _take_over_sanic(handler)
    os.environ["SANIC_NO_COLOR"] = "true"  # no colour codes from Sanic's own formatter, were it used
    return handler


def _take_over_sanic(handler: logging.Handler) -> None:
    for name in SANIC_LOGGERS:
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.propagate = False


def configured() -> bool:
    return _configured is not None


def reapply() -> None:
    """Put this process's handler back on Sanic's loggers (creating a Sanic app replaced it)."""
    if _configured is None:
        return
    root = logging.getLogger()
    ours = [h for h in root.handlers if h.get_name() == HANDLER_NAME]
    if ours:
        _take_over_sanic(ours[0])
    else:
        configure_logging(**_configured)
