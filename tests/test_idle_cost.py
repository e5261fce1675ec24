"""What the scale-out background loops cost when nothing happens (issue 22; the timed side is
tests/bench/bench_idle.py). A loop's work per round must not grow with the data: after a load run
Redis holds keys for every session, and a loop that walks the keyspace every few seconds keeps a
worker and Redis busy long after the last request."""

from __future__ import annotations

import threading
import uuid

import pytest
import redis
from conftest import need_service

from nura_appliance.storage import redis_bus

REDIS_URL = "redis://127.0.0.1:6379/3"


class CommandLog:
    """Every command Redis runs meanwhile (``MONITOR`` on its own connection)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._client = redis.Redis.from_url(REDIS_URL)
        self._monitor = self._client.monitor()
        self._monitor.__enter__()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for item in self._monitor.listen():
                self.lines.append(item["command"])
        except (redis.RedisError, ValueError, AttributeError):  # the monitor connection closed
            pass

    def close(self) -> None:
        self._monitor.__exit__(None, None, None)
        self._thread.join(timeout=3)
        self._client.close()


def test_a_presence_round_costs_the_same_however_many_keys_redis_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    need_service("127.0.0.1", 6379, "Redis")
    monkeypatch.setattr(redis_bus, "_PRESENCE_SECONDS", 3600.0)  # only the rounds run below
    prefix = f"nuraidle{uuid.uuid4().hex[:8]}:"
    filler = redis.Redis.from_url(REDIS_URL)
    pipe = filler.pipeline(transaction=False)
    for n in range(5000):  # what a load run leaves behind: a session key each
        pipe.set(f"{prefix}c:session:{n}", "{}", ex=120)
    pipe.execute()
    one = redis_bus.RedisEventBus(REDIS_URL, prefix=prefix)
    two = redis_bus.RedisEventBus(REDIS_URL, prefix=prefix)
    assert one.wait_ready() and two.wait_ready()  # their SUBSCRIBE is not part of a round
    log = CommandLog()
    try:
        with one._lock:
            one._subscribers["agents"] = {object()}  # type: ignore[arg-type]  # one agent stream here
        marker = f"nuraidle-round-{uuid.uuid4().hex[:6]}"
        one._presence_once()
        two._presence_once()
        filler.get(marker)  # the end of the rounds in the command log
        deadline = threading.Event()
        for _ in range(50):
            if any(marker in line for line in log.lines):
                break
            deadline.wait(0.1)
        ours = [line for line in log.lines if prefix in line and not line.upper().startswith("SUBSCRIBE")]
        assert any(marker in line for line in log.lines), "the monitor saw no commands"
        assert not [line for line in ours if line.split()[0].upper() in ("SCAN", "KEYS")]
        # per round: SET, ZADD, ZREMRANGEBYSCORE, PEXPIRE, ZRANGE, then MGET of the others
        assert len(ours) <= 2 * 6, ours
        assert two.subscriber_count("agents") == 1  # the other worker still counts the agent
        assert one.subscriber_count("agents") == 1
    finally:
        log.close()
        with one._lock:
            one._subscribers.clear()
        one.close()
        two.close()
        keys = list(filler.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 1000):
            filler.delete(*keys[start : start + 1000])
        filler.close()


def test_background_loops_wait_at_least_their_documented_intervals() -> None:
    """The loops that run in every worker with nothing to do, and the least time between their
    rounds (docs/PERFORMANCE.md, "Idle cost"); a shorter interval multiplies idle CPU."""
    from nura_appliance.conversation import pipeline
    from nura_appliance.jobs import service
    from nura_appliance.ops import admin_settings

    assert redis_bus._PRESENCE_SECONDS >= 2.0
    assert admin_settings.POLL_SECONDS >= 2.0
    assert pipeline.REFRESH_SECONDS >= 2.0
    assert service.SWEEP_INTERVAL_SECONDS >= 1.0
