"""`POST /v1/message` answered from an article and from the rules tier, against a bare Sanic JSON
endpoint on the same machine (the framework's ceiling), at several concurrency levels.

Targets (issue 12): ≥ 0.5 of the bare endpoint's requests/s and p99 < 25 ms at 50 concurrent
sessions. Every request starts a new session (the heaviest case: session + two turns + log +
outbox row written durably before the answer returns).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from common import free_port, save, start_nura, stop, wait_healthy, wrk

ARTICLE = {"session_id": None, "customer_id": "bench", "channel": "web", "message": "النت عندي بطيء جدا"}
RULE = {"session_id": None, "customer_id": "bench", "channel": "web", "message": "مرحبا"}


def main(seconds: int = 8, levels: tuple[int, ...] = (10, 50, 100)) -> dict:
    port = free_port()
    bare = subprocess.Popen([sys.executable, str(Path(__file__).with_name("bare_sanic.py")), str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results: dict = {"levels": {}}
    try:
        wait_healthy(f"http://127.0.0.1:{port}/v1/health", bare)
        nura, base, _, _ = start_nura(env={"BACKGROUND_JOBS_ENABLED": "true"})
        try:
            for conns in levels:
                ceiling = wrk(f"http://127.0.0.1:{port}/v1/message", body=ARTICLE, connections=conns,
                              seconds=seconds)
                article = wrk(f"{base}/v1/message", body=ARTICLE, connections=conns, seconds=seconds)
                rule = wrk(f"{base}/v1/message", body=RULE, connections=conns, seconds=seconds)
                results["levels"][conns] = {
                    "bare_sanic": ceiling, "nura_article": article, "nura_rule": rule,
                    "ratio_article": round(article["rps"] / ceiling["rps"], 3),
                    "ratio_rule": round(rule["rps"] / ceiling["rps"], 3),
                }
                print(f"c={conns:>3}  bare {ceiling['rps']:>8.0f} rps p99 {ceiling['p99_ms']:.1f} ms | "
                      f"article {article['rps']:>7.0f} rps p50 {article['p50_ms']:.1f} p99 {article['p99_ms']:.1f} ms "
                      f"ratio {article['rps'] / ceiling['rps']:.2f} errors {article['errors']} | "
                      f"rule {rule['rps']:>7.0f} rps p99 {rule['p99_ms']:.1f} ms ratio {rule['rps'] / ceiling['rps']:.2f}")
        finally:
            stop(nura)
    finally:
        stop(bare)
    save("message", results)
    return results


if __name__ == "__main__":
    main()
