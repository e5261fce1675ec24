"""The single-writer loop shared by the SQLite and PostgreSQL databases.

Both serialize writes through one thread that drains whatever is queued and runs it as one
batch (group commit). What differs is only how a batch runs; the queue discipline lives here.
"""

from __future__ import annotations

import asyncio
import logging
import queue
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import Any, Generic, TypeAlias, TypeVar

from nura_appliance.errors import StorageError

log = logging.getLogger(__name__)

MAX_BATCH = 64
C = TypeVar("C")
R = TypeVar("R")
# One queued write: a function of the writer's connection (of type C) and the future to resolve.
Write: TypeAlias = tuple[Callable[[C], Any], "Future[Any] | LoopFuture[Any]"]


class LoopFuture(Generic[R]):
    """What the writer thread resolves for a caller on an event loop: the outcome goes straight
    to an asyncio future on that loop with one ``call_soon_threadsafe``. (A
    ``concurrent.futures.Future`` wrapped by ``asyncio.wrap_future`` builds a Condition and an
    RLock per write and chains two futures: under load that was a sixth of the event loop's time
    in ``POST /v1/message``.) Has the part of the Future interface the writer uses."""

    __slots__ = ("loop", "future")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.future: asyncio.Future[R] = loop.create_future()

    def set_running_or_notify_cancel(self) -> bool:
        # Read from the writer thread: a plain state read; at worst a just-cancelled write runs.
        return not self.future.cancelled()

    def done(self) -> bool:
        return self.future.done()

    def set_result(self, result: R) -> None:
        self.loop.call_soon_threadsafe(_resolve, self.future, result, None)

    def set_exception(self, exc: BaseException) -> None:
        self.loop.call_soon_threadsafe(_resolve, self.future, None, exc)


def _resolve(future: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if future.done():  # the caller was cancelled meanwhile
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)


def _resolve_all(outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for future, result, exc in outcomes:
        _resolve(future, result, exc)


Outcome = tuple["Future[Any] | LoopFuture[Any]", Any, "BaseException | None"]


def settle_all(outcomes: Iterable[Outcome]) -> None:
    """Resolve a finished batch's futures, ``(future, result, exception)`` each. Those of callers
    on an event loop are resolved by one ``call_soon_threadsafe`` per loop: one wake-up of the loop
    for the whole batch instead of one per write (each is a write to the loop's self-pipe by this
    thread, which gives up the GIL for it). The others are resolved one by one."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any, BaseException | None]]] = {}
    for fut, result, exc in outcomes:
        if isinstance(fut, LoopFuture):
            by_loop.setdefault(fut.loop, []).append((fut.future, result, exc))
        else:
            settle(fut, result=result, exc=exc)
    for loop, resolved in by_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve_all, resolved)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass


def settle(fut: Future[Any] | LoopFuture[Any], *, result: Any = None, exc: BaseException | None = None) -> None:
    """Resolve a future that nobody may be waiting for any more without raising."""
    if fut.done():
        return
    try:
        if exc is not None:
            fut.set_exception(exc)
        else:
            fut.set_result(result)
    except Exception:  # noqa: BLE001 - InvalidStateError on a racing cancel; a loop already closed
        pass


def serve_writes(
    writes: queue.SimpleQueue[Write[C] | None], run_batch: Callable[[list[Write[C]]], None], label: str
) -> None:
    """Run queued writes in batches until ``None`` is queued. Never dies on a failing batch.

    The queue is a ``queue.SimpleQueue`` (C) rather than ``queue.Queue`` (a Python ``Condition``):
    the event loop's ``put`` and this thread's ``get`` cost 3-11 µs less per item, and a message
    crosses one such queue in SQLite mode and four in PostgreSQL + Redis mode (the writer, the
    Redis cache's I/O thread twice, the bus publisher; docs/PERFORMANCE.md)."""
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
