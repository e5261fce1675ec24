"""`POST /v1/message` answered from an article and from the rules tier, against a bare Sanic JSON
endpoint on the same machine (the framework's ceiling), at several concurrency levels.

Targets (issue 12): ≥ 0.5 of the bare endpoint's requests/s and p99 < 25 ms at 50 concurrent
sessions. Every request starts a new session (the heaviest case: session + two turns + log +
outbox row written durably before the answer returns, plus the session cache write).

A third run sends a different message on every request (the texts of the development case sets
for the default pack, ``common.dev_case_files("default")``, each made unique by a number), so no request is answered from the remembered article decisions: the
cost of the full article tier (BM25 + vector scan) on every message.

At each level the servers are measured back to back, so a busy machine slows all three
alike and the ratios stay meaningful. Writes ``bench-results/message.json`` and the latency vs
concurrency plot ``docs/perf/latency_vs_concurrency.png`` (when matplotlib is installed:
``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from common import REPO, RESULTS, dev_cases, free_port, save, start_nura, stop, wait_healthy, wrk

ARTICLE = {"session_id": None, "customer_id": "bench", "channel": "web", "message": "النت عندي بطيء جدا"}
RULE = {"session_id": None, "customer_id": "bench", "channel": "web", "message": "مرحبا"}
# The committed plot; a run whose results go elsewhere (NURA_BENCH_RESULTS) draws it there instead.
PLOT = (REPO / "docs" / "perf" if RESULTS == REPO / "bench-results" else RESULTS) / "latency_vs_concurrency.png"
TARGET_RATIO = 0.5


def varied_bodies(count: int = 30000) -> Path:
    """A file of ``count`` distinct /v1/message bodies (one JSON per line) for wrk."""
    import json
    import tempfile

    texts = [case["text"] for case in dev_cases("default")]
    path = Path(tempfile.mkstemp(prefix="nura-bench-bodies-", suffix=".jsonl")[1])
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            body = {**ARTICLE, "message": f"{texts[i % len(texts)]} {i}"}
            out.write(json.dumps(body, ensure_ascii=False) + "\n")
    return path


TARGET_P99_MS = 25.0


def plot(levels: dict[int, dict[str, Any]], path: Path = PLOT) -> Path | None:
    """p50 and p99 latency per concurrency level for the three servers; None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install -e '.[bench]')")
        return None
    conns = sorted(levels)
    fig, (lat, rps) = plt.subplots(1, 2, figsize=(10, 4), dpi=90)
    series = (
        ("bare_sanic", "bare Sanic (ceiling)", "tab:gray"),
        ("nura_article", "/v1/message article", "tab:blue"),
        ("nura_rule", "/v1/message rules tier", "tab:green"),
        ("nura_varied", "/v1/message, every message different", "tab:orange"),
    )
    for key, label, color in series:
        if not all(key in levels[c] for c in conns):
            continue  # an older results file without this series
        lat.plot(conns, [levels[c][key]["p99_ms"] for c in conns], "o-", color=color, label=f"{label} p99")
        lat.plot(conns, [levels[c][key]["p50_ms"] for c in conns], "o--", color=color, alpha=0.6, label=f"{label} p50")
        rps.plot(conns, [levels[c][key]["rps"] for c in conns], "o-", color=color, label=label)
    lat.axhline(TARGET_P99_MS, color="tab:red", linewidth=0.8, linestyle=":", label="p99 target (25 ms)")
    lat.set(xlabel="concurrent connections", ylabel="latency (ms)", yscale="log", title="Latency vs concurrency")
    rps.set(xlabel="concurrent connections", ylabel="requests/s", yscale="log", title="Throughput")
    lat.legend(fontsize=7)
    rps.legend(fontsize=7)
    for ax in (lat, rps):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def main(seconds: int = 8, levels: tuple[int, ...] = (1, 10, 25, 50, 100)) -> dict:
    port = free_port()
    bare = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("bare_sanic.py")), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results: dict = {"levels": {}, "targets": {"ratio": TARGET_RATIO, "p99_ms_at_50": TARGET_P99_MS}}
    bodies = varied_bodies()
    try:
        wait_healthy(f"http://127.0.0.1:{port}/v1/health", bare)
        nura, base, _, _ = start_nura(env={"BACKGROUND_JOBS_ENABLED": "true"})
        try:
            wrk(f"{base}/v1/message", body=ARTICLE, connections=10, seconds=2)  # warm caches and snapshots
            for conns in levels:
                ceiling = wrk(f"http://127.0.0.1:{port}/v1/message", body=ARTICLE, connections=conns, seconds=seconds)
                article = wrk(f"{base}/v1/message", body=ARTICLE, connections=conns, seconds=seconds)
                rule = wrk(f"{base}/v1/message", body=RULE, connections=conns, seconds=seconds)
                varied = wrk(f"{base}/v1/message", bodies=bodies, connections=conns, seconds=seconds)
                results["levels"][conns] = {
                    "bare_sanic": ceiling,
                    "nura_article": article,
                    "nura_rule": rule,
                    "nura_varied": varied,
                    "ratio_article": round(article["rps"] / ceiling["rps"], 3),
                    "ratio_rule": round(rule["rps"] / ceiling["rps"], 3),
                    "ratio_varied": round(varied["rps"] / ceiling["rps"], 3),
                }
                print(
                    f"c={conns:>3}  bare {ceiling['rps']:>8.0f} rps p99 {ceiling['p99_ms']:.1f} ms | "
                    f"article {article['rps']:>7.0f} rps p50 {article['p50_ms']:.1f} p99 {article['p99_ms']:.1f} ms "
                    f"ratio {article['rps'] / ceiling['rps']:.2f} errors {article['errors']} | "
                    f"rule {rule['rps']:>7.0f} rps p99 {rule['p99_ms']:.1f} ms ratio {rule['rps'] / ceiling['rps']:.2f} | "
                    f"varied {varied['rps']:>6.0f} rps p99 {varied['p99_ms']:.1f} ms "
                    f"ratio {varied['rps'] / ceiling['rps']:.2f} non-2xx {varied['non_2xx']}",
                    flush=True,
                )
        finally:
            stop(nura)
    finally:
        stop(bare)
        bodies.unlink(missing_ok=True)
    at50 = results["levels"].get(50)
    if at50:
        results["targets_met"] = {
            tier: {
                "ratio": at50[f"ratio_{tier}"] >= TARGET_RATIO,
                "p99": at50[f"nura_{tier}"]["p99_ms"] < TARGET_P99_MS,
            }
            for tier in ("article", "rule", "varied")
        }
        print(f"targets at c=50 (ratio ≥ {TARGET_RATIO}, p99 < {TARGET_P99_MS:.0f} ms): {results['targets_met']}")
    drawn = plot(results["levels"])
    if drawn:
        results["plot"] = str(drawn.relative_to(REPO) if drawn.is_relative_to(REPO) else drawn)
        print(f"plot: {drawn}")
    save("message", results)
    return results


if __name__ == "__main__":
    if sys.argv[1:] == ["--plot"]:  # redraw from the last run's bench-results/message.json
        import json

        saved = json.loads((RESULTS / "message.json").read_text())
        print(plot({int(c): v for c, v in saved["levels"].items()}))
    else:
        main()
