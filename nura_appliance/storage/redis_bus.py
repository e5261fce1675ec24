"""Realtime events between workers over Redis, with the EventBus interface.

Each channel (``session:<id>``, ``agents``) has a capped Redis stream (``XADD MAXLEN ~``) that is
the replay buffer shared by every worker, so a client that reconnects to *another* worker with
``Last-Event-ID`` still gets what it missed. One Lua script appends to the stream and announces
the entry on one pub/sub channel in the same atomic step, so every worker sees every event once,
in stream order, with the same id. The id of an event is its stream id ``<ms>-<seq>`` packed into
one integer (``ms * 1000 + seq``), increasing per channel across all workers.

Ephemeral events (typing) get an id the same way but are deleted from the stream right away
(``XDEL``): delivered live, never replayed, and they cannot push messages out of the buffer.

Threads, not the loop: a publisher thread runs the scripts in publish order, a reader thread
listens to pub/sub and a presence thread shares subscriber counts between workers; they hand events to subscribers with ``call_soon_threadsafe``. ``publish``
stays a cheap synchronous call on the loop, as with the in-process bus. When Redis is down,
events are delivered to this worker's own subscribers (local ids) with a log line, and the
threads reconnect on their own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import AsyncGenerator, Callable, Sequence
from typing import Any

import redis

from nura_appliance.storage.bus import ChannelBuffers, Event

try:  # redis-py's C reply parser (the ``scale`` extra installs it): the reader parses pub/sub with it
    import hiredis

    _HIREDIS = True
except ImportError:  # pragma: no cover - plain ``redis`` without the extra
    _HIREDIS = False

log = logging.getLogger(__name__)

_BUFFER = 500
_STREAM_TTL_SECONDS = 7 * 86400
_CLOSED = "__closed__"
_SEQ_SPAN = 1000
_PRESENCE_SECONDS = 2.0
_PUBLISH_BATCH = 64

_PUBLISH_SCRIPT = """
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 't', ARGV[2], 'd', ARGV[3])
if ARGV[4] == '0' then redis.call('XDEL', KEYS[1], id) end
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('PUBLISH', KEYS[2], cjson.encode({c = ARGV[6], i = id, t = ARGV[2]}) .. '\\n' .. ARGV[3])
return id
"""

# Several events in one call, in order (a customer message and its answer): each as the script
# above does it — its own stream entry and its own pub/sub message in the same envelope, so every
# reader (older workers too) sees the same events. KEYS: the events' streams, then the pub/sub
# channel; ARGV: the stream length, the stream TTL, then per event its type, data, buffered flag
# and channel.
_PUBLISH_MANY_SCRIPT = """
local n = #KEYS - 1
local ids = {}
for i = 1, n do
  local a = 2 + (i - 1) * 4
  local id = redis.call('XADD', KEYS[i], 'MAXLEN', '~', ARGV[1], '*', 't', ARGV[a + 1], 'd', ARGV[a + 2])
  if ARGV[a + 3] == '0' then redis.call('XDEL', KEYS[i], id) end
  redis.call('EXPIRE', KEYS[i], ARGV[2])
  redis.call('PUBLISH', KEYS[n + 1], cjson.encode({c = ARGV[a + 4], i = id, t = ARGV[a + 1]}) .. '\\n' .. ARGV[a + 2])
  ids[i] = id
end
return ids
"""
# One queued publish: its events ``(channel, type, data, buffered)`` and the publisher's loop.
_Outgoing = tuple[list[tuple[str, str, dict[str, Any], bool]], asyncio.AbstractEventLoop | None]


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _text(value: bytes | str) -> str:
    """A reply field as text (the client returns bytes: ``decode_responses`` is off)."""
    return value.decode() if isinstance(value, bytes) else value


def pack_id(stream_id: str | bytes) -> int:
    """``"1700000000000-3"`` → ``1700000000000003`` (an SSE id the browser echoes back)."""
    text = stream_id.decode() if isinstance(stream_id, bytes) else stream_id
    ms, _, seq = text.partition("-")
    return int(ms) * _SEQ_SPAN + min(int(seq or 0), _SEQ_SPAN - 1)


def unpack_id(event_id: int) -> str:
    return f"{event_id // _SEQ_SPAN}-{event_id % _SEQ_SPAN}"


class _Subscriber:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[Event] = asyncio.Queue()

    def deliver(self, event: Event) -> None:
        def put() -> None:
            if self.queue.qsize() < 1000:
                self.queue.put_nowait(event)

        try:
            self.loop.call_soon_threadsafe(put)
        except RuntimeError:  # the subscriber's loop is closed
            pass


class RedisEventBus:
    """``ctx.bus`` in scale-out mode (see the module docstring)."""

    def __init__(self, url: str, *, prefix: str = "nura:", buffer: int = _BUFFER) -> None:
        self.url = url
        self.prefix = prefix
        self._size = buffer
        self.client = redis.Redis.from_url(url, socket_timeout=3.0, socket_connect_timeout=1.0)
        self._script = self.client.register_script(_PUBLISH_SCRIPT)
        self._many_script = self.client.register_script(_PUBLISH_MANY_SCRIPT)
        self._pubsub_channel = f"{prefix}bus"
        self._subscribers: dict[str, set[_Subscriber]] = {}
        self._buffers = ChannelBuffers(buffer)
        self._others: dict[str, int] = {}
        self.worker_id = uuid.uuid4().hex[:12]
        self._lock = threading.Lock()
        self._outbox: queue.SimpleQueue[_Outgoing | None] = queue.SimpleQueue()
        self.first_id = int(time.time() * 1000) * _SEQ_SPAN
        self._last_local = self.first_id
        self._id_lock = threading.Lock()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._last_logged = 0.0
        self._publisher = threading.Thread(target=self._publish_loop, name="nura-bus-publish", daemon=True)
        self._reader = threading.Thread(target=self._read_loop, name="nura-bus-read", daemon=True)
        self._presence = threading.Thread(target=self._presence_loop, name="nura-bus-presence", daemon=True)
        self._publisher.start()
        self._reader.start()
        self._presence.start()

    def _local_id(self) -> int:
        # Clock-based like the Redis ids, so an event delivered locally during an outage still
        # sorts after the Redis events a subscriber has seen.
        with self._id_lock:
            self._last_local = max(self._last_local + 1, int(time.time() * 1000) * _SEQ_SPAN)
            return self._last_local

    def _stream(self, channel: str) -> str:
        return f"{self.prefix}ev:{channel}"

    def _warn(self, what: str, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self._last_logged >= 10.0:
            self._last_logged = now
            log.warning("redis unavailable for realtime %s (%s); events reach this worker's clients only", what, exc)

    def wait_ready(self, timeout: float = 5.0) -> bool:
        """Block until the reader is subscribed (tests, start-up): events published before that
        would reach other workers but not this one's live subscribers."""
        return self._connected.wait(timeout)

    # -- publishing --------------------------------------------------------------------------------
    def publish(self, channel: str, type_: str, data: dict[str, Any], *, buffered: bool = True) -> Event:
        """Queue the event for Redis and return at once. The returned Event carries a local id;
        subscribers receive it with its Redis id."""
        self._outbox.put(([(channel, type_, data, buffered)], _running_loop()))
        return Event(self._local_id(), channel, type_, data)

    def publish_many(self, events: Sequence[tuple[str, str, dict[str, Any]]]) -> list[Event]:
        """Queue ``(channel, type, data)`` events as one item, sent in order as one script call
        (each still its own stream entry and pub/sub message, as :meth:`publish` sends it)."""
        if not events:
            return []
        self._outbox.put(([(channel, type_, data, True) for channel, type_, data in events], _running_loop()))
        return [Event(self._local_id(), channel, type_, data) for channel, type_, data in events]

    def _publish_loop(self) -> None:
        """Send queued events in publish order; what queued up meanwhile goes in one pipelined
        round trip (a message makes two events, a busy worker many per millisecond)."""
        while True:
            item = self._outbox.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < _PUBLISH_BATCH:
                try:
                    item = self._outbox.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._publish(batch)
                    return
                batch.append(item)
            self._publish(batch)

    def _send(self, batch: list[_Outgoing], payloads: list[list[str]]) -> list[Any]:
        # Plain EVALSHA: redis-py's Script object in a pipeline asks SCRIPT EXISTS first, one
        # round trip more per batch; a NOSCRIPT reply (Redis restarted) loads it and sends again.
        # One EVALSHA per queued item: a lone event by the one-event script, several by the other.
        pipe = self.client.pipeline(transaction=False)
        for (events, _loop), texts in zip(batch, payloads, strict=True):
            if len(events) == 1:
                (channel, type_, _data, buffered), text = events[0], texts[0]
                pipe.evalsha(
                    self._script.sha,
                    2,
                    self._stream(channel),
                    self._pubsub_channel,
                    self._size,
                    type_,
                    text,
                    "1" if buffered else "0",
                    _STREAM_TTL_SECONDS,
                    channel,
                )
                continue
            args: list[Any] = [self._size, _STREAM_TTL_SECONDS]
            for (channel, type_, _data, buffered), text in zip(events, texts, strict=True):
                args += [type_, text, "1" if buffered else "0", channel]
            keys = [self._stream(channel) for channel, _, _, _ in events]
            pipe.evalsha(self._many_script.sha, len(keys) + 1, *keys, self._pubsub_channel, *args)
        try:
            return list(pipe.execute(raise_on_error=False))
        except redis.RedisError as exc:
            return [exc] * len(batch)

    def _publish(self, batch: list[_Outgoing]) -> None:
        payloads = [
            [json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str) for _, _, data, _ in events]
            for events, _loop in batch
        ]
        results = self._send(batch, payloads)
        missing = [i for i, r in enumerate(results) if isinstance(r, redis.exceptions.NoScriptError)]
        if missing:
            try:
                self.client.script_load(_PUBLISH_SCRIPT)
                self.client.script_load(_PUBLISH_MANY_SCRIPT)
                again = self._send([batch[i] for i in missing], [payloads[i] for i in missing])
            except redis.RedisError as exc:
                again = [exc] * len(missing)
            for i, result in zip(missing, again, strict=True):
                results[i] = result
        for (events, _loop), result in zip(batch, results, strict=True):
            if isinstance(result, Exception):  # these events reach this worker's clients only
                self._warn("publish", result)
                for channel, type_, data, buffered in events:
                    self._dispatch(Event(self._local_id(), channel, type_, data), buffered)

    # -- receiving ---------------------------------------------------------------------------------
    def _read_loop(self) -> None:
        backoff = [0.2]

        def subscribed() -> None:
            self._connected.set()
            backoff[0] = 0.2

        while not self._stop.is_set():
            try:
                if _HIREDIS:
                    self._read_raw(subscribed)
                else:
                    self._read_pubsub(subscribed)
            except (redis.RedisError, OSError) as exc:
                self._connected.clear()
                self._warn("subscribe", exc)
                self._stop.wait(backoff[0])
                backoff[0] = min(backoff[0] * 2, 2.0)

    def _read_raw(self, subscribed: Callable[[], None]) -> None:
        """Read the bus channel's pub/sub messages straight off the connection with hiredis: one
        ``recv`` takes whatever arrived meanwhile and each message costs a C parse and
        ``_on_message``. redis-py's ``PubSub.get_message`` spent more than that around every
        message (two ``poll`` calls before each read, its retry and health-check layers, a dict
        per message), and every worker reads every worker's events (docs/PERFORMANCE.md)."""
        pool = self.client.connection_pool
        # A connection of its own (the client's settings: address, password, database, TLS),
        # never returned to the pool: it is in subscribe mode until it is closed.
        conn = pool.connection_class(**pool.connection_kwargs)
        try:
            conn.connect()
            conn.send_command("SUBSCRIBE", self._pubsub_channel)
            sock = conn._sock  # noqa: SLF001 - redis-py keeps the connected socket here
            if sock is None:
                raise redis.ConnectionError("the pub/sub connection has no socket")
            reader = hiredis.Reader()
            sock.settimeout(0.5)  # how soon a stop is noticed (as get_message(timeout=0.5) did)
            while not self._stop.is_set():
                try:
                    data = sock.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    raise redis.ConnectionError("Redis closed the pub/sub connection")
                reader.feed(data)
                while (reply := reader.gets()) is not False:
                    if isinstance(reply, Exception):  # an error reply (e.g. SUBSCRIBE not allowed)
                        raise redis.ConnectionError(str(reply))
                    if reply[0] == b"message":
                        self._on_message(reply[2])
                    elif reply[0] == b"subscribe":
                        subscribed()
        finally:
            conn.disconnect()

    def _read_pubsub(self, subscribed: Callable[[], None]) -> None:
        """The same with redis-py's pub/sub client (when hiredis is not installed)."""
        pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(self._pubsub_channel)
            subscribed()
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=0.5)
                if message is None or message.get("type") != "message":
                    continue
                self._on_message(message["data"])
        finally:
            try:
                pubsub.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass

    def _on_message(self, raw: bytes) -> None:
        # "<header JSON>\n<data JSON>": the event's data is decoded once (inside the header, as a
        # JSON string, it was decoded twice: the string's escapes, then the JSON in it). A header
        # alone, with the data as its "d" string, is what workers before this format publish.
        # Every worker reads every worker's events, and most are on a channel with no subscriber
        # here (another worker's customer): the data is buffered as the JSON text it came as and
        # decoded only for a subscriber of this worker or a replay.
        try:
            head, newline, body = raw.partition(b"\n")
            item = json.loads(head)
            text = body.decode() if newline else item["d"]
            event_id, channel, type_ = pack_id(item["i"]), item["c"], item["t"]
            if not (isinstance(text, str) and isinstance(channel, str) and isinstance(type_, str)):
                raise TypeError("not an event")
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("ignoring a malformed bus message")
            return
        at = time.time()
        with self._lock:
            self._buffers.append_json(channel, event_id, type_, text, at)
            local = self._subscribers.get(channel)
            targets = list(local) if local else None
        if targets is None:
            return
        try:
            data = json.loads(text)
        except ValueError:
            log.warning("ignoring a malformed bus message")
            return
        event = Event(event_id, channel, type_, data, at)
        for subscriber in targets:
            subscriber.deliver(event)

    def _dispatch(self, event: Event, buffered: bool) -> None:
        with self._lock:
            if buffered:
                # The stream is capped at (at least) the buffer's length: ids older than the
                # buffer's first may be gone from Redis too, so a resume from before it gets a reset.
                self._buffers.append(event)
            targets = list(self._subscribers.get(event.channel, ()))
        for subscriber in targets:
            subscriber.deliver(event)

    # -- the EventBus interface ------------------------------------------------------------------
    def replay(self, channel: str, after_id: int) -> list[Event]:
        """Events this worker has seen on ``channel`` after ``after_id`` (no I/O: safe on the loop).
        ``subscribe(after_id=…)`` replays from Redis, which covers every worker."""
        with self._lock:
            return self._buffers.events(channel, after_id)

    def can_resume(self, channel: str, after_id: int) -> bool:
        """Whether ``after_id`` looks like an id this bus issued (a Redis stream id of the last
        week) that has not been pushed out of the capped stream as far as this worker has seen;
        the stream itself decides what is replayed."""
        ms = after_id // _SEQ_SPAN
        now_ms = time.time() * 1000
        with self._lock:
            # A channel this worker dropped (idle) is still in the Redis stream: no local limit.
            evicted = self._buffers.evicted(channel, unknown=0)
        return now_ms - _STREAM_TTL_SECONDS * 1000 <= ms <= now_ms + 60_000 and after_id >= evicted

    def subscriber_count(self, channel: str) -> int:
        """Subscribers on every worker: this worker's own now, the others' as of their last
        presence report (every 2 s). Customer channels count this worker only."""
        with self._lock:
            local = len(self._subscribers.get(channel, ()))
            others = self._others.get(channel, 0)
        return local + others

    def _presence_loop(self) -> None:
        """Share this worker's subscriber counts of the shared channels (``agents``) so the desk's
        ``agents_online`` counts agents on every worker; reports expire with a dead worker."""
        while not self._stop.wait(_PRESENCE_SECONDS):
            try:
                self._presence_once()
            except (redis.RedisError, ValueError) as exc:
                self._warn("presence", exc)

    def _presence_once(self) -> None:
        """One report: this worker's counts under its own key, its id in a sorted set of live
        workers (scored by when its report expires), then the other live workers' counts. Two
        round trips whatever the size of the Redis database (a SCAN for ``presence:*`` walked the
        whole keyspace every 2 s, which after a load run holds a key per session)."""
        with self._lock:
            counts = {c: len(s) for c, s in self._subscribers.items() if s and not c.startswith("session:")}
        ttl_ms = int(_PRESENCE_SECONDS * 3 * 1000)
        now_ms = int(time.time() * 1000)
        index = f"{self.prefix}presence"
        pipe = self.client.pipeline(transaction=False)
        pipe.set(f"{index}:{self.worker_id}", json.dumps(counts), px=ttl_ms)
        pipe.zadd(index, {self.worker_id: now_ms + ttl_ms})
        pipe.zremrangebyscore(index, "-inf", now_ms)
        pipe.pexpire(index, ttl_ms)  # the set goes too once every worker is gone
        pipe.zrange(index, 0, -1)
        members = pipe.execute()[-1]
        keys = [f"{index}:{m.decode()}" for m in members if m.decode() != self.worker_id]
        others: dict[str, int] = {}
        for raw in self.client.mget(keys) if keys else []:
            for channel, n in json.loads(raw or "{}").items():
                others[channel] = others.get(channel, 0) + int(n)
        with self._lock:
            self._others = others

    def _history(self, channel: str, after_id: int) -> list[Event]:
        rows = self.client.xrange(self._stream(channel), min=f"({unpack_id(after_id)}", max="+", count=self._size)
        events = []
        for stream_id, fields in rows or ():
            if stream_id is None or fields is None:  # XRANGE entries have both; redis-py's types allow None
                continue
            events.append(Event(pack_id(stream_id), channel, _text(fields[b"t"]), json.loads(fields[b"d"])))
        return events

    async def subscribe(self, channel: str, after_id: int | None = None) -> AsyncGenerator[Event, None]:
        subscriber = _Subscriber(asyncio.get_running_loop())
        with self._lock:
            self._subscribers.setdefault(channel, set()).add(subscriber)
        try:
            last = after_id or 0
            if after_id is not None:
                # Registered before reading history: an event published in between arrives on
                # the queue too and is skipped below by its id.
                try:
                    history = await asyncio.get_running_loop().run_in_executor(None, self._history, channel, after_id)
                except redis.RedisError as exc:
                    self._warn("replay", exc)
                    history = self.replay(channel, after_id)
                for event in history:
                    last = event.id
                    yield event
            while True:
                event = await subscriber.queue.get()
                if event.type == _CLOSED:
                    return
                if event.id > last:
                    last = event.id
                    yield event
        finally:
            with self._lock:
                subscribers = self._subscribers.get(channel)
                if subscribers is not None:
                    subscribers.discard(subscriber)
                    if not subscribers:  # no empty set left behind per channel ever subscribed
                        del self._subscribers[channel]

    def end_streams(self) -> None:
        with self._lock:
            targets = [s for subs in self._subscribers.values() for s in subs]
        for subscriber in targets:
            subscriber.deliver(Event(-1, "", _CLOSED, {}))

    def close(self) -> None:
        self.end_streams()
        with self._lock:
            self._subscribers.clear()
        self._stop.set()
        self._outbox.put(None)
        self._publisher.join(timeout=5)
        self._reader.join(timeout=3)
        self._presence.join(timeout=3)
        try:
            self.client.delete(f"{self.prefix}presence:{self.worker_id}")
            self.client.zrem(f"{self.prefix}presence", self.worker_id)
        except redis.RedisError:
            pass
        self.client.close()
