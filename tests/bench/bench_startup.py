"""Cold start of `nura serve` to healthy and idle memory (no local model loaded).

Targets (issue 12): cold start < 2 s, idle RSS < 150 MB. Measured on a fresh data dir (first
start: migrations + default knowledge pack indexed) and on a warm one (restart).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import httpx
from common import rss_mb, save, start_nura, stop


def measure(runs: int = 3, command: list[str] | None = None) -> dict:
    """Median seconds to healthy on a fresh and on a used data dir, and idle RSS, for ``nura
    serve`` run as ``command`` (default: ``python -m nura_appliance`` from the venv)."""
    fresh: list[float] = []
    warm: list[float] = []
    rss: list[float] = []
    for _ in range(runs):
        data = Path(tempfile.mkdtemp(prefix="nura-start-"))
        proc, _, seconds, _ = start_nura(data, command=command)
        fresh.append(seconds)
        stop(proc)
        proc, base, seconds, _ = start_nura(data, command=command)
        warm.append(seconds)
        for _ in range(20):  # a little traffic, then idle
            httpx.post(f"{base}/v1/message", json={"message": "مرحبا"})
        time.sleep(2)
        rss.append(rss_mb(proc.pid))
        stop(proc)
    return {
        "cold_start_fresh_s": round(statistics.median(fresh), 3),
        "cold_start_warm_s": round(statistics.median(warm), 3),
        "idle_rss_mb": round(statistics.median(rss), 1),
        "targets": {"cold_start_s": 2.0, "idle_rss_mb": 150},
    }


def main(runs: int = 3) -> dict:
    result = measure(runs)
    print(
        f"cold start (fresh data dir) {result['cold_start_fresh_s']:.2f} s, (restart) "
        f"{result['cold_start_warm_s']:.2f} s — target < 2 s; idle RSS {result['idle_rss_mb']:.0f} MB — "
        f"target < 150 MB"
    )
    save("startup", result)
    return result


if __name__ == "__main__":
    main()
