"""Shared helpers for the benchmarks: free ports, starting servers, running wrk, writing results.

Benchmarks are not collected by pytest (`tests/bench` is excluded); run them with `make bench`
or one by one (`.venv/bin/python tests/bench/bench_message.py`).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
# NURA_BENCH_RESULTS sends a run's JSON elsewhere (e.g. a trial run that must not overwrite the
# figures the docs quote).
RESULTS = Path(os.environ.get("NURA_BENCH_RESULTS") or REPO / "bench-results")
WRK_SCRIPT = Path(__file__).with_name("wrk_post.lua")
EVAL = REPO / "knowledge" / "eval"


def is_frozen(path: Path) -> bool:
    """A frozen evaluation file (``cases.jsonl``, ``**/test.jsonl``, ``**/*-test.jsonl``): the
    coordinator measures them; no benchmark reads them (knowledge/eval/README.md, the frozen-split rule)."""
    return path.name in ("cases.jsonl", "test.jsonl") or path.name.endswith("-test.jsonl")


def is_dev(path: Path) -> bool:
    """A development case file: ``dev*.jsonl``/``*-dev*.jsonl``, or any case file in a dev-only
    folder (``lang-dev*``, ``oos-dev*``)."""
    if is_frozen(path) or path.suffix != ".jsonl":
        return False
    folders = path.relative_to(EVAL).parts[:-1]
    dev_folder = any(part.startswith(("lang-dev", "oos-dev")) for part in folders)
    return dev_folder or path.name.startswith("dev") or "-dev" in path.name


def dev_case_files(pack: str | None = None) -> list[Path]:
    """knowledge/eval's development case files, never a frozen one. ``pack="default"``: leave out
    those written for another pack or handbook (``operator2``, ``handbooks``); the rest are for the
    default pack (Sanad Telecom) or for none (out of scope, hand-off, sentiment)."""
    files = [p for p in sorted(EVAL.rglob("*.jsonl")) if is_dev(p)]
    if pack == "default":
        other = ("operator2", "handbooks")
        files = [p for p in files if not any(part.startswith(other) for part in p.relative_to(EVAL).parts)]
    return files


def dev_cases(pack: str | None = None) -> list[dict[str, Any]]:
    """Every case of :func:`dev_case_files`, in file order."""
    cases = []
    for path in dev_case_files(pack):
        cases.extend(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return cases


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> float:
    """Seconds until ``url`` answers 200."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=0.5).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            time.sleep(0.01)
    raise RuntimeError(f"{url} not healthy after {timeout} s")


def start_nura(
    data_dir: Path | None = None,
    env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
    cwd: Path | None = None,
    command: list[str] | None = None,
    timeout: float = 30,
) -> tuple[subprocess.Popen[bytes], str, float, Path]:
    """Start ``nura serve`` on a free port; returns (process, base URL, seconds to healthy, data dir).

    ``python -m`` puts the working directory first on ``sys.path`` (ahead of ``PYTHONPATH``), so
    the ``nura_appliance`` under ``cwd`` (default: this one) is the one that runs. ``command``
    replaces ``python -m nura_appliance`` (e.g. the PyInstaller bundle's ``nura``)."""
    data = data_dir or Path(tempfile.mkdtemp(prefix="nura-bench-"))
    port = free_port()
    full_env = {
        **os.environ,
        "NURA_DATA_DIR": str(data),
        "APP_ENV": "test",
        "RATE_LIMIT_MESSAGES_PER_MINUTE": "1000000",
        "RATE_LIMIT_IP_PER_MINUTE": "1000000",
        "RATE_LIMIT_NEW_SESSIONS_PER_MINUTE": "1000000",
        **(env or {}),
    }
    proc = subprocess.Popen(
        [*(command or [sys.executable, "-m", "nura_appliance"]), "serve", "--port", str(port), *args],
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=cwd,
    )
    base = f"http://127.0.0.1:{port}"
    seconds = wait_healthy(f"{base}/v1/health", proc, timeout)
    return proc, base, seconds, data


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wrk(
    url: str,
    *,
    body: dict[str, Any] | None = None,
    bodies: Path | None = None,
    connections: int = 50,
    seconds: int = 10,
    threads: int = 1,
) -> dict[str, float]:
    """Run wrk against ``url`` (POST JSON when ``body`` or ``bodies`` is given: ``bodies`` is a file
    of one JSON body per line, sent in turn); returns rps and latency percentiles in ms."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: apt-get install wrk")
    env = {
        **os.environ,
        "WRK_BODY": json.dumps(body or {}, ensure_ascii=False),
        "WRK_METHOD": "POST" if body is not None or bodies is not None else "GET",
        "WRK_BODIES_FILE": str(bodies or ""),
    }
    out = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "-s", str(WRK_SCRIPT), url],
        capture_output=True,
        text=True,
        env=env,
        timeout=seconds + 60,
    )
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise RuntimeError(f"wrk printed no result:\n{out.stdout}\n{out.stderr}")


def machine() -> dict[str, Any]:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO)
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": commit.stdout.strip(),
    }


def save(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **data}, indent=2, ensure_ascii=False))
    return path


def compare_trees(description: str, module: str, unit: str, save_as: str, count: int) -> None:
    """Command line of an in-process CPU bench that compares source trees: ``module.measure(passes)``
    runs in a fresh interpreter per tree (that tree first on ``PYTHONPATH``), the trees alternate
    for ``--rounds`` rounds (a busy shared machine favours neither), the medians and their ratio
    (after/before, with two trees) are printed and saved as ``save_as``. ``unit`` names the figure
    (``us_per_message``), ``count`` how many inputs one pass measures."""
    import argparse
    import statistics

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("trees", nargs="*", type=Path, help="before and after source trees")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    trees = args.trees or [REPO]

    def run_tree(tree: Path) -> float:
        env = {**os.environ, "PYTHONPATH": str(tree.resolve()) + os.pathsep + str(Path(__file__).parent)}
        code = f"import {module} as b; print(b.measure({args.passes}))"
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=tree, env=env, capture_output=True, text=True, check=True
        )
        return float(done.stdout.strip().splitlines()[-1])

    samples: dict[str, list[float]] = {str(t): [] for t in trees}
    for _ in range(args.rounds):
        for tree in trees:
            samples[str(tree)].append(run_tree(tree))
    result: dict[str, Any] = {
        "messages": count,
        unit: {tree: round(statistics.median(v), 1) for tree, v in samples.items()},
        "samples": samples,
    }
    if len(trees) == 2:
        before, after = (statistics.median(samples[str(t)]) for t in trees)
        result["ratio_after_before"] = round(after / before, 3)
    print(json.dumps(result, indent=1))
    save(save_as, result)
