"""Redis-backed live cache for the scale-out mode, with the same async interface as DiskCache.

Values are stored as JSON (sessions, lock times, flags are all JSON-able), so any worker — and
any language — can read them. The calls run on a small thread pool over the synchronous redis
client: its connection pool is thread-safe and not bound to an event loop, so job handlers that
run in a consumer thread's own loop can use ``ctx.cache`` too.

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
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import redis

log = logging.getLogger(__name__)

_LOG_EVERY_SECONDS = 10.0
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
# Release a lock only when it is still ours (KEYS[1]; ARGV[1]: our token).
_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisCache:
    """``ctx.cache`` on Redis. Keys are prefixed so that several appliances (or tests) can
    share one Redis database."""

    def __init__(self, url: str, *, prefix: str = "nura:c:", threads: int = 8) -> None:
        self.url = url
        self.prefix = prefix
        self.client = redis.Redis.from_url(
            url, socket_timeout=2.0, socket_connect_timeout=1.0, health_check_interval=15, max_connections=threads * 2
        )
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="nura-redis-cache")
        self._last_logged = 0.0
        self.failures = 0
        self._dirty = False
        self._set_newer_script = self.client.register_script(_SET_NEWER)
        self._unlock_script = self.client.register_script(_UNLOCK)

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

    async def _run(self, fn: Any, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        if self._dirty:
            # Redis is reachable again after failures: drop this appliance's keys once, because a
            # delete skipped during the outage (an invalidated session) may have left a stale
            # entry behind in a Redis that persisted it. A cache may always be emptied.
            try:
                await loop.run_in_executor(self._pool, self._clear)
                self._dirty = False
                log.warning("redis is back; cleared the cache so no entry from before the outage is used")
            except redis.RedisError:
                pass  # still down: the call below fails and degrades as usual
        return await loop.run_in_executor(self._pool, fn, *args)

    # -- the Cache protocol -----------------------------------------------------------------------
    async def get(self, key: str) -> Any:
        try:
            raw = await self._run(self.client.get, self._key(key))
        except redis.RedisError as exc:
            self._degraded("get", exc)
            return None
        return None if raw is None else json.loads(raw)

    async def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        data = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        millis = None if ttl is None else max(1, int(ttl * 1000))
        try:
            await self._run(lambda: self.client.set(self._key(key), data, px=millis))
        except redis.RedisError as exc:
            self._degraded("set", exc)

    async def set_newer(self, key: str, value: dict[str, Any], version: int, ttl: float | None = None) -> bool:
        """Store ``value`` unless Redis already holds a newer ``version`` of it (one Lua call)."""
        data = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        millis = 0 if ttl is None else max(1, int(ttl * 1000))
        try:
            stored = await self._run(
                lambda: self._set_newer_script(keys=[self._key(key)], args=[data, version, millis])
            )
        except redis.RedisError as exc:
            self._degraded("set", exc)
            return False
        return bool(stored)

    # -- short locks (per-session message order across workers) -------------------------------------
    async def try_lock(self, key: str, token: str, lease: float) -> bool:
        """Take ``key`` for ``lease`` seconds unless someone holds it. With Redis down, every
        caller gets the lock (each worker still orders its own messages; the database commands
        keep the counters exact)."""
        try:
            taken = await self._run(
                lambda: self.client.set(self._key(key), token, nx=True, px=max(1, int(lease * 1000)))
            )
        except redis.RedisError as exc:
            self._degraded("lock", exc)
            return True
        return bool(taken)

    async def unlock(self, key: str, token: str) -> None:
        try:
            await self._run(lambda: self._unlock_script(keys=[self._key(key)], args=[token]))
        except redis.RedisError as exc:
            self._degraded("unlock", exc)

    async def delete(self, key: str) -> None:
        try:
            await self._run(self.client.delete, self._key(key))
        except redis.RedisError as exc:
            self._degraded("delete", exc)

    def _incr(self, key: str, ttl: float) -> int:
        # Fixed window: INCR then set the expiry only when the key has none yet (NX), in one
        # round trip, so a counter never lives forever and later hits don't extend the window.
        # No MULTI/EXEC: either order of two clients' INCR/PEXPIRE NX gives the same result.
        pipe = self.client.pipeline(transaction=False)
        pipe.incr(key)
        pipe.pexpire(key, max(1, int(ttl * 1000)), nx=True)
        count, _ = pipe.execute()
        return int(count)

    async def incr(self, key: str, ttl: float) -> int:
        try:
            return await self._run(self._incr, self._key(key), ttl)
        except redis.RedisError as exc:
            self._degraded("incr", exc)
            return 1  # fail open: a Redis outage must not lock every customer out

    async def ttl(self, key: str) -> float | None:
        try:
            millis = await self._run(self.client.pttl, self._key(key))
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
        await self._run(self._clear)

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.client.close()
