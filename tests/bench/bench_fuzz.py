"""The schemathesis run of tests/test_security_fuzz.py at full length (``make bench``).

The suite runs it with ``NURA_FUZZ_EXAMPLES=8`` generated cases per operation and role; here with
``examples`` (default 50) for every operation of the complete OpenAPI document, anonymous, as
viewer, agent and admin, plus arbitrary JSON bodies. Passes only with 0 server errors; writes the
request and status counts per role.

``python tests/bench/bench_fuzz.py [examples]``
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from common import REPO, RESULTS  # noqa: E402

LINE = re.compile(r"^\.?(\w[\w ]*): (\d+) operations, (\d+) requests, statuses (\{.*\})$", re.M)


def main(examples: int = 50) -> dict[str, Any]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "tests/test_security_fuzz.py"],
        cwd=REPO,
        env={**os.environ, "NURA_FUZZ_EXAMPLES": str(examples), "CI": "true"},
        capture_output=True,
        text=True,
        timeout=3600,
    )
    runs = {
        name: {"operations": int(ops), "requests": int(reqs), "statuses": ast.literal_eval(statuses)}
        for name, ops, reqs, statuses in LINE.findall(proc.stdout)
    }
    server_errors = sum(n for run in runs.values() for code, n in run["statuses"].items() if code >= 500)
    result = {
        "examples_per_operation": examples,
        "seconds": round(time.perf_counter() - started, 1),
        "runs": runs,
        "requests": sum(run["requests"] for run in runs.values()),
        "server_errors": server_errors,
        "passed": proc.returncode == 0,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "fuzz.json").write_text(json.dumps(result, indent=2))
    if proc.returncode != 0:
        raise RuntimeError(proc.stdout[-4000:] + proc.stderr[-2000:])
    return result


if __name__ == "__main__":
    print(json.dumps(main(*[int(a) for a in sys.argv[1:2]]), indent=2))
