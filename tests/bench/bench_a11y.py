"""The full accessibility matrix (issue 20): axe-core over every admin page and state, and every
widget state, in ar/ckb/ku/en at 1280 and 390 px, plus the keyboard-only runs.

The test suite runs a representative subset of the same tests; here ``NURA_A11Y_FULL=1`` makes them
run all eight language × width combinations. Reports how many checks ran and passed and how long
it took; the run fails (non-zero) when any has a violation. Not a timing benchmark: the seconds are
for sizing `make bench`.

    .venv/bin/python tests/bench/bench_a11y.py
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import REPO, save  # noqa: E402

FILES = ("tests/test_admin_a11y.py", "tests/test_widget_a11y.py")


def main() -> dict:
    files = [f for f in FILES if (REPO / f).exists()]
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files],
        cwd=REPO,
        env={**os.environ, "NURA_A11Y_FULL": "1"},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    seconds = time.perf_counter() - started
    tail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (passed|failed|error|skipped)", tail)}
    result = {
        "files": files,
        "passed": counts.get("passed", 0),
        "failed": counts.get("failed", 0) + counts.get("error", 0),
        "skipped": counts.get("skipped", 0),
        "seconds": round(seconds, 1),
        "summary": tail,
    }
    save("a11y", result)
    print(f"accessibility, full matrix: {tail} ({seconds:.0f} s)")
    if proc.returncode != 0:
        print(proc.stdout[-6000:])
        raise RuntimeError(f"accessibility checks failed: {tail}")
    return result


if __name__ == "__main__":
    main()
