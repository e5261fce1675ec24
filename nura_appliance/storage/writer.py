"""The single-writer loop shared by the SQLite and PostgreSQL databases.

Both serialize writes through one thread that drains whatever is queued and runs it as one
batch (group commit). What differs is only how a batch runs; the queue discipline lives here.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from nura_appliance.errors import StorageError

log = logging.getLogger(__name__)

MAX_BATCH = 64
Write = tuple[Callable[[Any], Any], Future[Any]]


def settle(fut: Future[Any], *, result: Any = None, exc: BaseException | None = None) -> None:
    """Resolve a future that nobody may be waiting for any more without raising."""
    if fut.done():
        return
    try:
        if exc is not None:
            fut.set_exception(exc)
        else:
            fut.set_result(result)
    except Exception:  # noqa: BLE001 - InvalidStateError on a racing cancel
        pass


def serve_writes(writes: queue.Queue[Write | None], run_batch: Callable[[list[Write]], None], label: str) -> None:
    """Run queued writes in batches until ``None`` is queued. Never dies on a failing batch."""
    while True:
        item = writes.get()
        if item is None:
            return
        batch = [item]
        stop = False
        while len(batch) < MAX_BATCH:
            try:
                extra = writes.get_nowait()
            except queue.Empty:
                break
            if extra is None:
                stop = True
                break
            batch.append(extra)
        # A request whose client went away cancels its future; skip work nobody waits for.
        batch = [(fn, fut) for fn, fut in batch if fut.set_running_or_notify_cancel()]
        if batch:
            try:
                run_batch(batch)
            except BaseException:  # noqa: BLE001 - the writer thread must never die
                log.exception("%s: batch failed", label)
                for _, fut in batch:
                    settle(fut, exc=StorageError("database write failed"))
        if stop:
            return
