"""In-process event bus with per-channel replay buffers.

Channels are strings: ``session:<id>`` for one customer's stream, ``agents`` for the agent
queue. Every event gets a monotonically increasing id per channel so that an SSE client that
reconnects with ``Last-Event-ID`` receives exactly what it missed (while it is still buffered).
The scale-out mode swaps this for a Redis pub/sub implementation of the same interface.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

_BUFFER = 500
_CLOSED = "__closed__"  # internal: ends a subscription


@dataclass
class Event:
    id: int
    channel: str
    type: str
    data: dict[str, Any]
    at: float = field(default_factory=time.time)


class EventBus:
    def __init__(self, buffer: int = _BUFFER) -> None:
        self._buffers: dict[str, deque[Event]] = {}
        self._subscribers: dict[str, set[asyncio.Queue[Event]]] = {}
        # Ids start at the clock in milliseconds, so a later process always issues larger ids
        # than an earlier one and a stale Last-Event-ID is recognisable (see can_resume).
        self.first_id = int(time.time() * 1000)
        self._ids = itertools.count(self.first_id)
        self._last_id = self.first_id - 1
        self._evicted: dict[str, int] = {}
        self._size = buffer

    def publish(self, channel: str, type_: str, data: dict[str, Any], *, buffered: bool = True) -> Event:
        """Publish from the event loop thread.

        ``buffered=False`` is for ephemeral events (typing indicators): delivered live but kept
        out of the replay buffer, so a flood of them cannot push messages out of it.
        """
        event = Event(next(self._ids), channel, type_, data)
        self._last_id = event.id
        if buffered:
            buffer = self._buffers.setdefault(channel, deque(maxlen=self._size))
            if len(buffer) == buffer.maxlen:
                self._evicted[channel] = buffer[0].id
            buffer.append(event)
        for queue in list(self._subscribers.get(channel, ())):
            if queue.qsize() < 1000:
                queue.put_nowait(event)
        return event

    def replay(self, channel: str, after_id: int) -> list[Event]:
        return [e for e in self._buffers.get(channel, ()) if e.id > after_id]

    def can_resume(self, channel: str, after_id: int) -> bool:
        """Whether everything buffered after ``after_id`` is still here: the id was issued by this
        bus (not a previous process) and nothing newer than it has been evicted from the buffer."""
        if after_id < self.first_id - 1 or after_id > self._last_id:
            return False
        return after_id >= self._evicted.get(channel, 0)

    def subscriber_count(self, channel: str) -> int:
        return len(self._subscribers.get(channel, ()))

    async def subscribe(self, channel: str, after_id: int | None = None) -> AsyncIterator[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        self._subscribers.setdefault(channel, set()).add(queue)
        try:
            last = after_id or 0
            if after_id is not None:
                for event in self.replay(channel, after_id):
                    last = event.id
                    yield event
            while True:
                event = await queue.get()
                if event.type == _CLOSED:
                    return
                if event.id > last:
                    last = event.id
                    yield event
        finally:
            self._subscribers.get(channel, set()).discard(queue)

    def end_streams(self) -> None:
        """Make every open subscription finish (server shutdown: SSE responses end cleanly
        instead of holding the graceful-shutdown timeout)."""
        for queues in self._subscribers.values():
            for queue in queues:
                queue.put_nowait(Event(-1, "", _CLOSED, {}))

    def close(self) -> None:
        self.end_streams()
        self._subscribers.clear()
