"""`make bench`: every benchmark in one run, each with its baseline, then one summary.

Each ``bench_*.py`` module exposes ``main()`` returning a dict and writing
``bench-results/<name>.json``. A benchmark that fails is reported and the run goes on; the exit
status is non-zero if any failed. The whole run is sized to stay under 15 minutes on 2 cores.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import RESULTS, machine  # noqa: E402

ORDER = (
    "bench_startup",
    "bench_message",
    "bench_cache",
    "bench_retrieval",
    "bench_ingest",
    "bench_ingest_memory",
    "bench_quality",
    "bench_analytics",
    "bench_load",
    "bench_llm",
    "bench_scale",
    "bench_worker_restart",
    "bench_bundle",
    "bench_a11y",
    "bench_fuzz",
)
# Arguments that keep the whole run under 15 minutes on 2 cores (each script's own defaults may
# be heavier when it is run alone).
KWARGS: dict[str, dict[str, object]] = {
    "bench_analytics": {"sizes": (10_000, 1_000_000), "repeat": 3},
    "bench_bundle": {"runs": 2},
    "bench_worker_restart": {"kills": 3},
}
# Results one benchmark passes to another in the same run (the bundle's baseline is the venv's
# start-up measured by bench_startup a few minutes earlier).
REUSE = {"bench_bundle": ("venv", "bench_startup")}


def main() -> int:
    started = time.perf_counter()
    summary: dict[str, object] = {"machine": machine(), "results": {}, "failed": []}
    for name in ORDER:
        path = Path(__file__).with_name(f"{name}.py")
        if not path.exists():
            continue
        print(f"\n=== {name} ===", flush=True)
        t = time.perf_counter()
        try:
            module = importlib.import_module(name)
            kwargs = dict(KWARGS.get(name, {}))
            if name in REUSE and REUSE[name][1] in summary["results"]:  # type: ignore[operator]
                kwargs[REUSE[name][0]] = summary["results"][REUSE[name][1]]  # type: ignore[index]
            summary["results"][name] = module.main(**kwargs)  # type: ignore[index]
        except Exception:  # noqa: BLE001 - report and continue with the next benchmark
            traceback.print_exc()
            summary["failed"].append(name)  # type: ignore[union-attr]
        print(f"--- {name}: {time.perf_counter() - t:.0f} s", flush=True)
    summary["total_seconds"] = round(time.perf_counter() - started, 1)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False, default=str))
    print(
        f"\nall benchmarks: {summary['total_seconds']} s; results in {RESULTS}; failed: {summary['failed'] or 'none'}"
    )
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
