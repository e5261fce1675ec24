"""Redis-backed live cache for the scale-out mode, with the same async interface as DiskCache.

Values are stored as JSON (sessions, lock times, flags are all JSON-able), so any worker — and
any language — can read them. The calls go to one I/O thread over the synchronous redis client,
which sends whatever queued up meanwhile as one pipeline (one round trip, no MULTI) and resolves
the callers' futures with one ``call_soon_threadsafe`` per event loop: under load a message's rate
limit counts and session write share round trips and wake-ups with other requests' instead of
costing a thread-pool hop and a round trip each (docs/PERFORMANCE.md). The client is not bound to
an event loop, so job handlers that run in a consumer thread's own loop can use ``ctx.cache`` too.

Faults: Redis restarting must not take the API down. A failing ``get`` is a cache miss (the
caller falls back to the database), ``set``/``delete`` are skipped, and ``incr`` — the rate
limiter's counter — fails *open* (returns 1) with a log line at most every few seconds. Every
call reconnects on its own once Redis is back, and the first call that reaches it again empties
this appliance's keys (an entry invalidated during the outage must not come back).
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import redis

from nura_appliance.storage.base import SlidingCount
from nura_appliance.storage.writer import LoopFuture, settle_all

log = logging.getLogger(__name__)

_LOG_EVERY_SECONDS = 10.0
_BATCH = 128  # calls sent in one pipeline at most
# Compare-and-set on the "version" of a JSON value: a slower writer holding an older row never
# replaces a newer one (KEYS[1]; ARGV: value, version, ttl in ms or 0).
_SET_NEWER = """
local current = redis.call('GET', KEYS[1])
if current then
  local ok, data = pcall(cjson.decode, current)
  if ok and type(data) == 'table' and tonumber(data['version'] or 0) > tonumber(ARGV[2]) then
    return 0
  end
end
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1
"""
# Sliding-window counters in order, stopping after the first over its limit (KEYS[1..n]: this
# window's counters, KEYS[n+1..2n]: the previous windows'; ARGV[1]: the counters' expiry in ms, set
# when a counter has none; ARGV[1+i]: counter i's limit, ARGV[1+n+i]: its previous window's weight).
# The rate limits of one request (its IP's count, then its session's or new-session count) are one
# call and one round trip, and a later counter is not counted once an earlier one refused.
_INCR_UNTIL = """
local n = #KEYS / 2
local counts = {}
for i = 1, n do
  local count = redis.call('INCR', KEYS[i])
  redis.call('PEXPIRE', KEYS[i], ARGV[1], 'NX')
  local previous = tonumber(redis.call('GET', KEYS[n + i]) or '0') or 0
  counts[i] = {count, previous}
  if count + previous * tonumber(ARGV[1 + n + i]) > tonumber(ARGV[1 + i]) then break end
end
return counts
"""
# Release a lock only when it is still ours (KEYS[1]; ARGV[1]: our token).
_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


# One call: ``queue(pipe)`` adds its commands to the pipeline, ``finish(replies)``
# turns their replies into the call's result. ``queue`` None: ``finish([])`` runs on its own (a
# call that is not a few commands, e.g. clearing the prefix).
Queue = Callable[[Any], Any]
Finish = Callable[[list[Any]], Any]
Call = tuple["Queue | None", Finish, "LoopFuture[Any]"]
Outcome = tuple["LoopFuture[Any]", Any, "BaseException | None"]


def _first(replies: list[Any]) -> Any:
    return replies[0]


class RedisCache:
    """``ctx.cache`` on Redis. Keys are prefixed so that several appliances (or tests) can
    share one Redis database."""

    def __init__(self, url: str, *, prefix: str = "nura:c:") -> None:
        self.url = url
        self.prefix = prefix
        self.client = redis.Redis.from_url(
            url, socket_timeout=2.0, socket_connect_timeout=1.0, health_check_interval=15, max_connections=4
        )
        self._last_logged = 0.0
        self.failures = 0
        self._dirty = False
        self._set_newer_script = self.client.register_script(_SET_NEWER)
        self._unlock_script = self.client.register_script(_UNLOCK)
        self._incr_until_script = self.client.register_script(_INCR_UNTIL)
        self._calls: queue.SimpleQueue[Call | None] = queue.SimpleQueue()
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name="nura-redis-cache", daemon=True)
        self._thread.start()

    def _key(self, key: str) -> str:
        return self.prefix + key

    def _degraded(self, action: str, exc: BaseException) -> None:
        """Count and log (rate-limited) a Redis failure; the caller degrades gracefully."""
        self.failures += 1
        self._dirty = True
        now = time.monotonic()
        if now - self._last_logged >= _LOG_EVERY_SECONDS:
            self._last_logged = now
            log.warning(
                "redis unavailable during cache %s (%s); degrading to the database, rate limits open", action, exc
            )

    # -- the I/O thread ----------------------------------------------------------------------------
    async def _call(self, queue_commands: Queue | None, finish: Finish) -> Any:
        if self._closed:
            raise redis.ConnectionError("the cache is closed")
        slot: LoopFuture[Any] = LoopFuture(asyncio.get_running_loop())
        self._calls.put((queue_commands, finish, slot))
        return await slot.future

    def _serve(self) -> None:
        while True:
            call = self._calls.get()
            if call is None:
                return
            batch = [call]
            stop = False
            while len(batch) < _BATCH:
                try:
                    extra = self._calls.get_nowait()
                except queue.Empty:
                    break
                if extra is None:
                    stop = True
                    break
                batch.append(extra)
            try:
                self._run_batch(batch)
            except BaseException as exc:  # noqa: BLE001 - the I/O thread must never die
                log.exception("redis cache: batch failed")
                settle_all((slot, None, exc) for _, _, slot in batch)
            if stop:
                return

    def _run_batch(self, batch: list[Call]) -> None:
        if self._dirty:
            # Redis is reachable again after failures: drop this appliance's keys once, because a
            # delete skipped during the outage (an invalidated session) may have left a stale
            # entry behind in a Redis that persisted it. A cache may always be emptied.
            try:
                self._clear()
                self._dirty = False
                log.warning("redis is back; cleared the cache so no entry from before the outage is used")
            except redis.RedisError:
                pass  # still down: the calls below fail and degrade as usual
        outcomes: list[Outcome] = []
        piped: list[Call] = []
        for call in batch:
            queue_commands, finish, slot = call
            if queue_commands is None:
                try:
                    outcomes.append((slot, finish([]), None))
                except Exception as exc:  # noqa: BLE001 - handed to the caller
                    outcomes.append((slot, None, exc))
            else:
                piped.append(call)
        if piped:
            outcomes.extend(self._execute(piped))
        settle_all(outcomes)

    def _execute(self, calls: list[Call], *, again: bool = True) -> list[Outcome]:
        """The calls' commands as one pipeline (one round trip); each call's outcome."""
        pipe = self.client.pipeline(transaction=False)
        counts = []
        for queue_commands, _, _ in calls:
            before = len(pipe)
            queue_commands(pipe)  # type: ignore[misc]
            counts.append(len(pipe) - before)
        try:
            replies: list[Any] = pipe.execute(raise_on_error=False)
        except redis.RedisError as exc:
            return [(slot, None, exc) for _, _, slot in calls]
        outcomes: list[Outcome] = []
        missing: list[Call] = []
        start = 0
        for call, count in zip(calls, counts, strict=True):
            _, finish, slot = call
            mine = replies[start : start + count]
            start += count
            error = next((r for r in mine if isinstance(r, Exception)), None)
            if isinstance(error, redis.exceptions.NoScriptError) and again:
                missing.append(call)
            elif error is not None:
                outcomes.append((slot, None, error))
            else:
                try:
                    outcomes.append((slot, finish(mine), None))
                except Exception as exc:  # noqa: BLE001 - handed to the caller
                    outcomes.append((slot, None, exc))
        if missing:
            # Redis restarted or flushed its scripts: load them, send those calls once more.
            # (Scripts go as plain EVALSHA: redis-py's pipelined Script object asks SCRIPT EXISTS
            # first, one round trip more on every pipeline.)
            try:
                self._load_scripts()
            except redis.RedisError as exc:
                return outcomes + [(slot, None, exc) for _, _, slot in missing]
            outcomes.extend(self._execute(missing, again=False))
        return outcomes

    def _load_scripts(self) -> None:
        self.client.script_load(_SET_NEWER)
        self.client.script_load(_UNLOCK)
        self.client.script_load(_INCR_UNTIL)

    # -- the Cache protocol -----------------------------------------------------------------------
    async def get(self, key: str) -> Any:
        name = self._key(key)
        try:
            raw = await self._call(lambda pipe: pipe.get(name), _first)
        except redis.RedisError as exc:
            self._degraded("get", exc)
            return None
        return None if raw is None else json.loads(raw)

    async def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        name = self._key(key)
        data = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        millis = None if ttl is None else max(1, int(ttl * 1000))
        try:
            await self._call(lambda pipe: pipe.set(name, data, px=millis), _first)
        except redis.RedisError as exc:
            self._degraded("set", exc)

    async def set_newer(self, key: str, value: dict[str, Any], version: int, ttl: float | None = None) -> bool:
        """Store ``value`` unless Redis already holds a newer ``version`` of it (one Lua call)."""
        name = self._key(key)
        data = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        millis = 0 if ttl is None else max(1, int(ttl * 1000))
        sha = self._set_newer_script.sha
        try:
            stored = await self._call(lambda pipe: pipe.evalsha(sha, 1, name, data, version, millis), _first)
        except redis.RedisError as exc:
            self._degraded("set", exc)
            return False
        return bool(stored)

    # -- short locks (per-session message order across workers) -------------------------------------
    async def try_lock(self, key: str, token: str, lease: float) -> bool:
        """Take ``key`` for ``lease`` seconds unless someone holds it. With Redis down, every
        caller gets the lock (each worker still orders its own messages; the database commands
        keep the counters exact)."""
        name = self._key(key)
        millis = max(1, int(lease * 1000))
        try:
            taken = await self._call(lambda pipe: pipe.set(name, token, nx=True, px=millis), _first)
        except redis.RedisError as exc:
            self._degraded("lock", exc)
            return True
        return bool(taken)

    async def unlock(self, key: str, token: str) -> None:
        name = self._key(key)
        sha = self._unlock_script.sha
        try:
            await self._call(lambda pipe: pipe.evalsha(sha, 1, name, token), _first)
        except redis.RedisError as exc:
            self._degraded("unlock", exc)

    async def delete(self, key: str) -> None:
        name = self._key(key)
        try:
            await self._call(lambda pipe: pipe.delete(name), _first)
        except redis.RedisError as exc:
            self._degraded("delete", exc)

    async def incr(self, key: str, ttl: float) -> int:
        # Fixed window: INCR then set the expiry only when the key has none yet (NX), in the same
        # pipeline, so a counter never lives forever and later hits don't extend the window.
        # No MULTI/EXEC: either order of two clients' INCR/PEXPIRE NX gives the same result.
        name = self._key(key)
        millis = max(1, int(ttl * 1000))

        def queue_commands(pipe: Any) -> None:
            pipe.incr(name)
            pipe.pexpire(name, millis, nx=True)

        try:
            return int(await self._call(queue_commands, _first))
        except redis.RedisError as exc:
            self._degraded("incr", exc)
            return 1  # fail open: a Redis outage must not lock every customer out

    async def incr_until(self, counters: Sequence[SlidingCount], ttl: float) -> list[tuple[int, int]]:
        """:meth:`incr` on each counter in order, with its previous window's count, up to the first
        over its limit, as one Lua call. Fails open like :meth:`incr`: with Redis down every counter
        reads 1 and its previous window 0."""
        if not counters:
            return []
        names = [self._key(c.key) for c in counters] + [self._key(c.previous) for c in counters]
        limits = [int(c.limit) for c in counters]
        weights = [repr(float(c.weight)) for c in counters]
        millis = max(1, int(ttl * 1000))
        sha = self._incr_until_script.sha
        try:
            counts = await self._call(
                lambda pipe: pipe.evalsha(sha, len(names), *names, millis, *limits, *weights), _first
            )
        except redis.RedisError as exc:
            self._degraded("incr", exc)
            return [(1, 0)] * len(counters)
        return [(int(count), int(previous)) for count, previous in counts]

    async def ttl(self, key: str) -> float | None:
        name = self._key(key)
        try:
            millis = await self._call(lambda pipe: pipe.pttl(name), _first)
        except redis.RedisError as exc:
            self._degraded("ttl", exc)
            return None
        return None if millis is None or millis < 0 else millis / 1000.0

    def _clear(self) -> None:
        batch: list[bytes] = []
        for key in self.client.scan_iter(match=self.prefix + "*", count=500):
            batch.append(key)
            if len(batch) >= 500:
                self.client.delete(*batch)
                batch.clear()
        if batch:
            self.client.delete(*batch)

    async def clear(self) -> None:
        """Delete this appliance's keys (only those under the prefix, never FLUSHDB)."""
        await self._call(None, lambda _replies: self._clear())

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._calls.put(None)
            self._thread.join(timeout=5)
        self.client.close()
