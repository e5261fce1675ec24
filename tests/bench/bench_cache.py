"""The live session cache: diskcache (embedded default) against Redis on loopback, same payload.

Measures get/set round trips of a realistic session record through the same async facade the
app uses, so the thread-pool hop is included for diskcache.
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import tempfile
import time

from common import save

from nura_appliance.storage.cache import DiskCache

SESSION = {
    "id": "5b0c2d1e-0000-4000-8000-000000000000",
    "token_hash": "x" * 64,
    "customer_id": "cust-001",
    "channel": "web",
    "lang": "ar",
    "status": "bot",
    "message_count": 7,
    "meta": {"note": "مرحبا" * 10},
    "created_at": 1.0,
    "updated_at": 2.0,
}


async def _timed(op, n: int) -> list[float]:
    out = []
    for i in range(n):
        t = time.perf_counter()
        await op(i)
        out.append((time.perf_counter() - t) * 1e6)
    return out


def _summary(samples: list[float]) -> dict:
    samples = sorted(samples)
    return {
        "p50_us": round(statistics.median(samples), 1),
        "p99_us": round(samples[int(len(samples) * 0.99) - 1], 1),
        "ops_per_s": round(1e6 / statistics.mean(samples)),
    }


async def bench_disk(n: int) -> dict:
    cache = DiskCache(tempfile.mkdtemp(prefix="nura-cache-"))
    try:
        sets = await _timed(lambda i: cache.set(f"session:{i % 500}", SESSION, ttl=3600), n)
        gets = await _timed(lambda i: cache.get(f"session:{i % 500}"), n)
    finally:
        cache.close()
    return {"set": _summary(sets), "get": _summary(gets)}


async def bench_redis(n: int) -> dict | None:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return None
    import json

    import redis.asyncio as aioredis

    client = aioredis.Redis(host="127.0.0.1", port=6379, db=15)
    try:
        sets = await _timed(lambda i: client.set(f"bench:session:{i % 500}", json.dumps(SESSION), ex=3600), n)
        gets = await _timed(lambda i: client.get(f"bench:session:{i % 500}"), n)
        await client.flushdb()
    finally:
        await client.aclose()
    return {"set": _summary(sets), "get": _summary(gets)}


def main(n: int = 5000) -> dict:
    disk = asyncio.run(bench_disk(n))
    red = asyncio.run(bench_redis(n))
    result = {"diskcache": disk, "redis": red}
    if red:
        result["ratio_get_p50"] = round(red["get"]["p50_us"] / disk["get"]["p50_us"], 2)
        result["ratio_set_p50"] = round(red["set"]["p50_us"] / disk["set"]["p50_us"], 2)
    for name, data in (("diskcache", disk), ("redis", red)):
        if data:
            print(
                f"{name:9} get p50 {data['get']['p50_us']:7.1f} µs p99 {data['get']['p99_us']:7.1f} µs | "
                f"set p50 {data['set']['p50_us']:7.1f} µs p99 {data['set']['p99_us']:7.1f} µs"
            )
    if red:
        print(
            f"redis/diskcache p50 ratio: get {result['ratio_get_p50']}, set {result['ratio_set_p50']} "
            "(>1 means diskcache is faster)"
        )
    save("cache", result)
    return result


if __name__ == "__main__":
    main()
