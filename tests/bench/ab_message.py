"""Before/after check for a change in the request path: two copies of ``nura_appliance`` served
side by side, measured in alternating rounds under the same load, ratio printed.

Not part of ``make bench`` (it needs a "before" tree). Make one from a commit with, for example::

    mkdir -p /tmp/before && git archive <commit> nura_appliance knowledge | tar -x -C /tmp/before
    .venv/bin/python tests/bench/ab_message.py /tmp/before . --rounds 3

or one tree with two configurations (``ab_message.py . . --after-env BACKGROUND_JOBS_ENABLED=false``).

Alternating rounds (before, after, before, after …) keep a busy shared machine from favouring
one side; the medians of the rounds are compared.
"""

from __future__ import annotations

import argparse
import os
import statistics
from pathlib import Path

from bench_message import ARTICLE, RULE, varied_bodies
from common import save, start_nura, stop, wrk


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve_from(tree: Path, extra: list[str]) -> tuple:
    """``nura serve`` importing ``nura_appliance`` from ``tree`` (run from there, with ``tree`` on
    PYTHONPATH too, ahead of the editable install), with ``KEY=VALUE`` settings from ``extra``.
    ``tree`` needs its own ``knowledge/`` (the default pack is found next to the package)."""
    env = {
        "BACKGROUND_JOBS_ENABLED": "true",
        "PYTHONPATH": str(tree.resolve()) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    env.update(item.split("=", 1) for item in extra)
    # The tree as working directory: `python -m` imports from there first. (Before this, PYTHONPATH
    # alone lost to the working directory, and both sides of a comparison ran the same code.)
    return start_nura(env=env, cwd=tree.resolve())


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--before-env", nargs="*", default=[], help="KEY=VALUE settings for the before server")
    parser.add_argument("--after-env", nargs="*", default=[], help="KEY=VALUE settings for the after server")
    parser.add_argument("--name", default="message_ab", help="bench-results/<name>.json")
    args = parser.parse_args()
    servers = {"before": serve_from(args.before, args.before_env), "after": serve_from(args.after, args.after_env)}
    tiers = ("article", "rule", "varied")  # varied: a different message on every request
    runs: dict[str, dict[str, list[dict]]] = {side: {tier: [] for tier in tiers} for side in servers}
    bodies = varied_bodies()
    try:
        for _ in range(args.rounds):
            for tier, body in (("article", ARTICLE), ("rule", RULE), ("varied", None)):
                for side, (proc, base, _, _) in servers.items():
                    cpu = cpu_seconds(proc.pid)
                    result = wrk(
                        f"{base}/v1/message",
                        body=body,
                        bodies=bodies if body is None else None,
                        connections=args.connections,
                        seconds=args.seconds,
                    )
                    # CPU per request barely depends on how busy the rest of the machine is,
                    # unlike requests/s and latency on a shared host.
                    result["cpu_ms_per_request"] = round(
                        1000 * (cpu_seconds(proc.pid) - cpu) / max(1, result["requests"]), 3
                    )
                    runs[side][tier].append(result)
                    print(
                        f"{side:6} {tier:7} {result['rps']:7.0f} rps p50 {result['p50_ms']:6.1f} "
                        f"p99 {result['p99_ms']:6.1f} ms cpu {result['cpu_ms_per_request']:.2f} ms/req errors {result['errors']}",
                        flush=True,
                    )
    finally:
        for proc, *_ in servers.values():
            stop(proc)
        bodies.unlink(missing_ok=True)
    summary: dict = {"connections": args.connections, "rounds": args.rounds, "seconds": args.seconds}
    for tier in tiers:
        med = {
            side: {
                k: statistics.median(r[k] for r in runs[side][tier])
                for k in ("rps", "p50_ms", "p99_ms", "cpu_ms_per_request")
            }
            for side in servers
        }
        summary[tier] = {
            **med,
            "rps_ratio": round(med["after"]["rps"] / med["before"]["rps"], 3),
            "p99_ratio": round(med["after"]["p99_ms"] / med["before"]["p99_ms"], 3),
            "cpu_ratio": round(med["after"]["cpu_ms_per_request"] / med["before"]["cpu_ms_per_request"], 3),
        }
        print(
            f"{tier}: before {med['before']['rps']:.0f} rps p99 {med['before']['p99_ms']:.1f} ms → after "
            f"{med['after']['rps']:.0f} rps p99 {med['after']['p99_ms']:.1f} ms "
            f"(rps ×{summary[tier]['rps_ratio']}, p99 ×{summary[tier]['p99_ratio']}); CPU per request "
            f"{med['before']['cpu_ms_per_request']:.2f} → {med['after']['cpu_ms_per_request']:.2f} ms "
            f"(×{summary[tier]['cpu_ratio']})"
        )
    summary["runs"] = runs
    summary["env"] = {"before": args.before_env, "after": args.after_env}
    save(args.name, summary)
    return summary


if __name__ == "__main__":
    main()
