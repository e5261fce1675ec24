"""``nura serve --workers 2`` under its supervisor: how long a worker killed with SIGKILL takes to
serve again, with workers started from the fork server (the default on Linux: the application is
imported once) and spawned (a fresh interpreter per worker, as Sanic's manager did and as other
platforms do); and how 20 connections opened at once spread over the workers.

Restart time is measured from the kill to (a) the supervisor's "ready" line for the new worker and
(b) the first answer that the new worker itself gave (the owner of the connection, read from
/proc). Linux only. Needs PostgreSQL on 127.0.0.1:5432 (trust) and Redis on 127.0.0.1:6379;
creates and drops its own database and key prefix.

    .venv/bin/python tests/bench/bench_worker_restart.py [--kills 5]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import redis
from common import REPO, free_port, save

sys.path.insert(0, str(REPO / "tests"))
from test_scale_supervision import serving_pid, worker_pids  # noqa: E402 - the /proc helpers

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/6"
SUPERVISE = (
    "import sys; from nura_appliance.cli.scale import api_worker_settings;"
    " from nura_appliance.cli.supervisor import Supervisor; from nura_appliance.ops.logs import configure_logging;"
    " from nura_appliance.settings import load_settings; configure_logging(json_lines=False, process='main');"
    " sys.exit(Supervisor(api_worker_settings(load_settings()), 2, start_method=sys.argv[1]).run())"
)


def wait_for(predicate: Any, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise RuntimeError("timed out")


def answered_by(port: int) -> int | None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.connect()
        conn.request("GET", "/v1/health")
        pid = serving_pid(port, conn.sock.getsockname()[1])
        conn.getresponse().read()
        return pid
    except OSError:
        return None
    finally:
        conn.close()


def spread(port: int) -> list[int]:
    conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(20)]
    owners: dict[int, int] = {}
    try:
        for conn in conns:
            conn.connect()
        for conn in conns:
            conn.request("GET", "/v1/health")
            conn.getresponse().read()
            pid = serving_pid(port, conn.sock.getsockname()[1]) or 0
            owners[pid] = owners.get(pid, 0) + 1
    finally:
        for conn in conns:
            conn.close()
    return sorted(owners.values())


def measure(method: str, env: dict[str, str], kills: int) -> dict[str, Any]:
    port = free_port()
    log = Path(tempfile.mkstemp(prefix=f"nura-restart-{method}-", suffix=".log")[1])
    started = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", SUPERVISE, method],
            env={**env, "NURA_PORT": str(port)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(lambda: "API workers serving" in log.read_text(errors="replace"))
        first_start = time.monotonic() - started
        ready_s, serving_s, spreads = [], [], []
        for _ in range(kills):
            spreads.append(spread(port))
            before = wait_for(lambda: len(worker_pids(port, proc.pid)) == 2 and worker_pids(port, proc.pid))
            victim = min(before)
            lines = log.read_text(errors="replace").count("ready (pid")
            os.kill(victim, signal.SIGKILL)
            killed = time.monotonic()
            wait_for(lambda n=lines: log.read_text(errors="replace").count("ready (pid") > n)
            ready_s.append(time.monotonic() - killed)

            def new_worker_answers(before: set[int] = before) -> bool:
                fresh = worker_pids(port, proc.pid) - before
                return bool(fresh) and answered_by(port) in fresh

            wait_for(new_worker_answers)
            serving_s.append(time.monotonic() - killed)
            time.sleep(1.0)  # let the restarted worker settle before the next kill
        restarts = len(re.findall(r"died \(killed by SIGKILL\)", log.read_text(errors="replace")))
        return {
            "first_start_s": round(first_start, 2),
            "restart_ready_s": {"median": round(statistics.median(ready_s), 2), "max": round(max(ready_s), 2)},
            "restart_serving_s": {"median": round(statistics.median(serving_s), 2), "max": round(max(serving_s), 2)},
            "restarts_logged": restarts,
            "connections_per_worker": spreads,
        }
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.unlink()


def main(kills: int = 5) -> dict[str, Any]:
    name = f"nura_bench_restart_{uuid.uuid4().hex[:8]}"
    prefix = f"benchrestart{uuid.uuid4().hex[:6]}:"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    data = Path(tempfile.mkdtemp(prefix="nura-restart-"))
    env = {
        **os.environ,
        "NURA_DATA_DIR": str(data),
        "NURA_DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{name}",
        "NURA_REDIS_URL": REDIS_URL,
        "NURA_REDIS_PREFIX": prefix,
        "APP_ENV": "test",
        "LOAD_DEFAULT_KNOWLEDGE": "false",
        "PYTHONPATH": str(REPO),
    }
    try:
        results = {method: measure(method, env, kills) for method in ("forkserver", "spawn")}
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"*{prefix.rstrip(':')}*"))
        if keys:
            client.delete(*keys)
    for method, result in results.items():
        print(
            f"{method:10s} first start {result['first_start_s']:.1f} s; after kill -9: ready in"
            f" {result['restart_ready_s']['median']:.2f} s (max {result['restart_ready_s']['max']:.2f}),"
            f" serving in {result['restart_serving_s']['median']:.2f} s (max {result['restart_serving_s']['max']:.2f});"
            f" 20 connections per worker: {result['connections_per_worker']}"
        )
    ratio = results["spawn"]["restart_serving_s"]["median"] / max(
        0.01, results["forkserver"]["restart_serving_s"]["median"]
    )
    print(f"spawned workers take {ratio:.1f}x as long to serve again as fork-server workers")
    summary = {**results, "spawn_vs_forkserver": round(ratio, 2)}
    save("worker_restart", summary)
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=5)
    main(parser.parse_args().kills)
