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
        self._ids = itertools.count(int(time.time() * 1000))
        self._size = buffer

    def publish(self, channel: str, type_: str, data: dict[str, Any]) -> Event:
        """Publish from the event loop thread (use :meth:`publish_threadsafe` from other threads)."""
        event = Event(next(self._ids), channel, type_, data)
        self._buffers.setdefault(channel, deque(maxlen=self._size)).append(event)
        for queue in list(self._subscribers.get(channel, ())):
            if queue.qsize() < 1000:
                queue.put_nowait(event)
        return event

    def replay(self, channel: str, after_id: int) -> list[Event]:
        return [e for e in self._buffers.get(channel, ()) if e.id > after_id]

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
                if event.id > last:
                    last = event.id
                    yield event
        finally:
            self._subscribers[channel].discard(queue)

    def close(self) -> None:
        self._subscribers.clear()
