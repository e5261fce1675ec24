"""In-process event bus with per-channel replay buffers.

Channels are strings: ``session:<id>`` for one customer's stream, ``agents`` for the agent
queue. Every event gets a monotonically increasing id per channel so that an SSE client that
reconnects with ``Last-Event-ID`` receives exactly what it missed (while it is still buffered).
The scale-out mode swaps this for a Redis pub/sub implementation of the same interface.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import marshal
import time
from collections import OrderedDict, deque
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from typing import Any

_BUFFER = 500
KEEP_SECONDS = 300.0  # a channel's replay buffer outlives its last event by this long
MAX_CHANNELS = 10_000  # replay buffers kept at most (least recently active dropped first)
_CLOSED = "__closed__"  # internal: ends a subscription


@dataclass(slots=True)
class Event:
    id: int
    channel: str
    type: str
    data: dict[str, Any]
    at: float = field(default_factory=time.time)


# A buffered event: (id, at, type, data as marshal bytes, or as JSON text when it came so from
# another worker over Redis and nobody here has read it yet). Kept packed rather than as the Event:
# an Event with its data is five to seven objects the garbage collector tracks (the dicts and
# lists of a message payload), and every new session leaves its two message events in a buffer for
# minutes, so the long-lived heap every full collection walks grew by ~14 objects per message
# (about 5 % of a message's CPU went to collections; docs/PERFORMANCE.md, issue 18). A tuple of a
# number, a string and bytes is untracked by the collector once it has seen it.
_Packed = tuple[int, float, str, "bytes | str | dict[str, Any]"]


def _pack(event: Event) -> _Packed:
    try:
        data: bytes | dict[str, Any] = marshal.dumps(event.data)
    except ValueError:  # a value marshal does not know (a str subclass, an object): kept as it is
        data = event.data
    return (event.id, event.at, event.type, data)


def _unpack(channel: str, item: _Packed) -> Event:
    event_id, at, type_, data = item
    # A fresh dict on every read: nobody can change the buffered copy through a replayed event.
    if isinstance(data, bytes):
        return Event(event_id, channel, type_, marshal.loads(data), at)
    if isinstance(data, str):
        return Event(event_id, channel, type_, json.loads(data), at)
    return Event(event_id, channel, type_, data, at)


class ChannelBuffers:
    """Replay buffers per channel, kept for channels that had an event in the last
    ``keep_seconds`` and for at most ``max_channels`` of them (least recently active dropped first).

    Every customer session has its own channel; keeping each one's buffer for the life of the
    process grew memory without bound and made every full garbage collection slower (pauses of
    50–170 ms after 20,000 sessions, measured). A client resuming on a dropped channel is told to
    reset (``evicted``), as when its events were pushed out of a full buffer. Events are held
    packed (see ``_Packed``) and unpacked when replayed."""

    def __init__(self, size: int, *, keep_seconds: float = KEEP_SECONDS, max_channels: int = MAX_CHANNELS) -> None:
        self.size = size
        self.keep_seconds = keep_seconds
        self.max_channels = max_channels
        self._buffers: OrderedDict[str, deque[_Packed]] = OrderedDict()
        self._evicted: dict[str, int] = {}
        self.dropped_up_to = 0  # the newest event id of any dropped channel

    def append(self, event: Event) -> None:
        self._append(event.channel, _pack(event))

    def append_json(self, channel: str, event_id: int, type_: str, data: str, at: float) -> None:
        """Buffer an event whose data is still JSON text (an event from another worker): it is
        decoded only if it is ever replayed, which most events never are."""
        self._append(channel, (event_id, at, type_, data))

    def _append(self, channel: str, item: _Packed) -> None:
        buffer = self._buffers.get(channel)
        if buffer is None:
            buffer = self._buffers[channel] = deque(maxlen=self.size)
        else:
            self._buffers.move_to_end(channel)
        if len(buffer) == buffer.maxlen:
            self._evicted[channel] = buffer[0][0]
        buffer.append(item)
        self._drop_idle(item[1])

    def _drop_idle(self, now: float) -> None:
        cutoff = now - self.keep_seconds
        while self._buffers:
            channel, buffer = next(iter(self._buffers.items()))
            if len(self._buffers) <= self.max_channels and buffer[-1][1] >= cutoff:
                return
            del self._buffers[channel]
            self._evicted.pop(channel, None)
            self.dropped_up_to = max(self.dropped_up_to, buffer[-1][0])

    def events(self, channel: str, after_id: int | None = None) -> list[Event]:
        """The buffered events of ``channel`` (those after ``after_id`` when given), oldest first."""
        buffer = self._buffers.get(channel, ())
        events = []
        for item in buffer:
            if after_id is None or item[0] > after_id:
                try:
                    events.append(_unpack(channel, item))
                except ValueError:  # JSON text that does not decode: no bus publishes such data
                    continue
        return events

    def evicted(self, channel: str, *, unknown: int | None = None) -> int:
        """Ids up to this one may be missing from ``channel``'s buffer. For a channel with no
        buffer: ``unknown`` if given, else everything up to the newest dropped event."""
        if channel in self._buffers:
            return self._evicted.get(channel, 0)
        return self.dropped_up_to if unknown is None else unknown

    def __len__(self) -> int:
        return len(self._buffers)


class EventBus:
    def __init__(self, buffer: int = _BUFFER, *, keep_seconds: float = KEEP_SECONDS) -> None:
        self._buffers = ChannelBuffers(buffer, keep_seconds=keep_seconds)
        self._subscribers: dict[str, set[asyncio.Queue[Event]]] = {}
        # Ids start at the clock in milliseconds, so a later process always issues larger ids
        # than an earlier one and a stale Last-Event-ID is recognisable (see can_resume).
        self.first_id = int(time.time() * 1000)
        self._ids = itertools.count(self.first_id)
        self._last_id = self.first_id - 1

    def publish(self, channel: str, type_: str, data: dict[str, Any], *, buffered: bool = True) -> Event:
        """Publish from the event loop thread.

        ``buffered=False`` is for ephemeral events (typing indicators): delivered live but kept
        out of the replay buffer, so a flood of them cannot push messages out of it.
        """
        event = Event(next(self._ids), channel, type_, data)
        self._last_id = event.id
        if buffered:
            self._buffers.append(event)
        for queue in list(self._subscribers.get(channel, ())):
            if queue.qsize() < 1000:
                queue.put_nowait(event)
        return event

    def publish_many(self, events: Sequence[tuple[str, str, dict[str, Any]]]) -> list[Event]:
        """Publish ``(channel, type, data)`` events in order, as one call (a customer message and
        its answer): on Redis one queued item and one script call for all of them."""
        return [self.publish(channel, type_, data) for channel, type_, data in events]

    def replay(self, channel: str, after_id: int) -> list[Event]:
        return self._buffers.events(channel, after_id)

    def can_resume(self, channel: str, after_id: int) -> bool:
        """Whether everything buffered after ``after_id`` is still here: the id was issued by this
        bus (not a previous process) and nothing newer than it has been evicted from the buffer."""
        if after_id < self.first_id - 1 or after_id > self._last_id:
            return False
        return after_id >= self._buffers.evicted(channel)

    def subscriber_count(self, channel: str) -> int:
        return len(self._subscribers.get(channel, ()))

    async def subscribe(self, channel: str, after_id: int | None = None) -> AsyncGenerator[Event, None]:
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
            queues = self._subscribers.get(channel)
            if queues is not None:
                queues.discard(queue)
                if not queues:  # no empty set left behind per channel ever subscribed
                    del self._subscribers[channel]

    def end_streams(self) -> None:
        """Make every open subscription finish (server shutdown: SSE responses end cleanly
        instead of holding the graceful-shutdown timeout)."""
        for queues in self._subscribers.values():
            for queue in queues:
                queue.put_nowait(Event(-1, "", _CLOSED, {}))

    def close(self) -> None:
        self.end_streams()
        self._subscribers.clear()
