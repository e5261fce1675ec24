"""Idle cost after a load burst: SQLite mode vs PostgreSQL + Redis mode (1 process with the job
consumer, and 2 API workers).

Each mode is started with the default settings (one process runs the job consumer; several
workers leave it to ``nura worker``), loaded with wrk for ``--burst``
seconds (``POST /v1/message``, a new session per request), then left alone for ``--idle`` seconds
while the CPU time of every process of the service (the supervisor and its workers) and of the
PostgreSQL backends serving its database is sampled per ``--window`` seconds. Reported per mode:
CPU as % of one core per window, the seconds until the service stays under 5 % of a core, and the
mean over the last half of the idle period. The SQLite mode in the same run is the baseline.

Needs PostgreSQL on 127.0.0.1:5432 (trust auth) and Redis on 127.0.0.1:6379; creates and drops its
own database and Redis prefix.

    .venv/bin/python tests/bench/bench_idle.py [--burst 10] [--idle 60] [--window 5]
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import redis
from common import save, start_nura, stop, wrk

BODY = {"session_id": None, "customer_id": "bench", "channel": "web", "message": "النت عندي بطيء جدا"}
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/6"
TICKS = os.sysconf("SC_CLK_TCK")
IDLE_LIMIT = 5.0  # % of one core


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def descendants(pid: int) -> set[int]:
    found = {pid}
    todo = [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def backends(database: str | None) -> set[int]:
    if not database:
        return set()
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (database,)
        ).fetchall()
    return {r[0] for r in rows}


def sample_idle(root: int, database: str | None, idle: int, window: int) -> dict[str, Any]:
    """CPU % of one core per window: the service's processes, and its PostgreSQL backends."""
    seen: dict[int, float] = {}
    service: list[float] = []
    database_side: list[float] = []

    def total(pids: set[int]) -> float:
        return sum(cpu_seconds(p) for p in pids)

    for _ in range(max(1, idle // window)):
        own, pg = descendants(root), backends(database)
        before_own, before_pg = total(own), total(pg)
        time.sleep(window)
        service.append(round(100 * (total(own) - before_own) / window, 1))
        database_side.append(round(100 * (total(pg) - before_pg) / window, 1))
        seen.update({p: 0.0 for p in pg})
    combined = [a + b for a, b in zip(service, database_side, strict=True)]
    settled = next((i for i in range(len(combined)) if all(c < IDLE_LIMIT for c in combined[i:])), None)
    half = combined[len(combined) // 2 :]
    return {
        "service_pct": service,
        "postgres_pct": database_side,
        "settled_after_s": None if settled is None else settled * window,
        "late_mean_pct": round(sum(half) / len(half), 2),
        "backends": len(seen),
    }


def measure(
    env: dict[str, str], args: tuple[str, ...], database: str | None, opts: argparse.Namespace
) -> dict[str, Any]:
    proc, base, _, _ = start_nura(env=env, args=args, timeout=120)
    try:
        time.sleep(3)  # start-up work (migrations, warm-up) is not idle cost
        load = wrk(f"{base}/v1/message", body=BODY, connections=20, seconds=opts.burst)
        return {"burst_rps": load["rps"], **sample_idle(proc.pid, database, opts.idle, opts.window)}
    finally:
        stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--burst", type=int, default=10)
    parser.add_argument("--idle", type=int, default=60)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--modes", nargs="*", default=["sqlite", "pg_redis_1", "pg_redis_2"])
    opts = parser.parse_args()
    results: dict[str, Any] = {}
    if "sqlite" in opts.modes:
        results["sqlite"] = measure({}, (), None, opts)
    for mode in [m for m in opts.modes if m.startswith("pg_redis_")]:
        workers = int(mode.rsplit("_", 1)[1])
        name = f"nura_bench_{uuid.uuid4().hex[:10]}"
        prefix = f"nurabench{uuid.uuid4().hex[:6]}:"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            env = {
                "NURA_DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{name}",
                "NURA_REDIS_URL": REDIS_URL,
                "NURA_REDIS_PREFIX": prefix,
            }
            results[mode] = measure(env, ("--workers", str(workers)) if workers > 1 else (), name, opts)
        finally:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            client = redis.Redis.from_url(REDIS_URL)
            keys = list(client.scan_iter(match=f"*{prefix.rstrip(':')}*", count=1000))
            if keys:
                client.delete(*keys)
    for mode, data in results.items():
        print(
            f"{mode:<11} burst {data['burst_rps']:>6.0f} req/s; idle CPU % of a core per {opts.window} s:"
            f" service {data['service_pct']} postgres {data['postgres_pct']};"
            f" under {IDLE_LIMIT:.0f} % after {data['settled_after_s']} s; late mean {data['late_mean_pct']} %"
        )
    print(save("idle", {"burst_s": opts.burst, "idle_s": opts.idle, "window_s": opts.window, "results": results}))


if __name__ == "__main__":
    main()
