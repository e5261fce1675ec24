"""diskcache-backed live cache. diskcache is SQLite underneath, so every call runs on a small
thread pool, never on the event loop. ``FanoutCache`` shards writers so that several processes
(``nura serve`` plus ``nura worker``) can share one cache directory without lock errors."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar, TypeVarTuple

import diskcache

from nura_appliance.storage.base import SlidingCount

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


class DiskCache:
    def __init__(self, directory: Path | str, *, shards: int = 4) -> None:
        self._cache = diskcache.FanoutCache(str(directory), shards=shards, timeout=2.0)
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="nura-cache")

    async def _run(self, fn: Callable[[*Ts], T], *args: *Ts) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def get(self, key: str) -> Any:
        return await self._run(self._cache.get, key)

    async def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        await self._run(lambda: self._cache.set(key, value, expire=ttl))

    def _set_newer(self, key: str, value: dict[str, Any], version: int, ttl: float | None) -> bool:
        # One transaction on the key's shard: the read and the write see no other writer between them.
        with self._cache.transact():
            current = self._cache.get(key)
            if isinstance(current, dict) and int(current.get("version") or 0) > version:
                return False
            self._cache.set(key, value, expire=ttl)
            return True

    async def set_newer(self, key: str, value: dict[str, Any], version: int, ttl: float | None = None) -> bool:
        """Store ``value`` unless the cache already holds a newer ``version`` of it."""
        return bool(await self._run(self._set_newer, key, value, version, ttl))

    async def delete(self, key: str) -> None:
        await self._run(self._cache.delete, key)

    def _incr(self, key: str, ttl: float) -> int:
        # Fixed window: the first hit creates the key with its expiry, later hits keep it.
        if self._cache.add(key, 0, expire=ttl):
            pass
        try:
            return int(self._cache.incr(key, 1, default=None))
        except KeyError:  # expired between add and incr
            self._cache.set(key, 1, expire=ttl)
            return 1

    async def incr(self, key: str, ttl: float) -> int:
        return await self._run(self._incr, key, ttl)

    def _incr_until(self, counters: Sequence[SlidingCount], ttl: float) -> list[tuple[int, int]]:
        counts: list[tuple[int, int]] = []
        for counter in counters:
            count = self._incr(counter.key, ttl)
            previous = int(self._cache.get(counter.previous, default=0) or 0)
            counts.append((count, previous))
            if count + previous * counter.weight > counter.limit:
                break
        return counts

    async def incr_until(self, counters: Sequence[SlidingCount], ttl: float) -> list[tuple[int, int]]:
        """:meth:`incr` on each counter in order, with its previous window's count, up to the first
        over its limit (one hop)."""
        return await self._run(self._incr_until, list(counters), ttl)

    async def ttl(self, key: str) -> float | None:
        def remaining() -> float | None:
            _, expire = self._cache.get(key, expire_time=True)
            return None if expire is None else max(0.0, expire - time.time())

        return await self._run(remaining)

    async def clear(self) -> None:
        await self._run(self._cache.clear)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._cache.close()
