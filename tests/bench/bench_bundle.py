"""The PyInstaller bundle: build time, size on disk and as a tarball, cold start of the bundled
`nura serve` to healthy (fresh data dir and restart) and its idle RSS — each next to the same
figures for `nura serve` from the venv, measured in the same run.

Target (issue 12): cold start < 2 s. Needs PyInstaller (`make build` installs it).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_startup
from common import REPO, save


def folder_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6


def build(work: Path) -> tuple[Path, float]:
    """``pyinstaller nura.spec`` into ``work``; returns the bundle folder and the build seconds."""
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(work / "dist"),
            "--workpath",
            str(work / "build"),
            str(REPO / "nura.spec"),
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=900,
    )
    return work / "dist" / "nura", time.perf_counter() - started


def main(runs: int = 3, venv: dict | None = None) -> dict:
    """``venv``: bench_startup's result from the same `make bench` run, reused as the baseline
    (measured again when absent, e.g. when this script runs alone)."""
    work = Path(tempfile.mkdtemp(prefix="nura-bundle-"))
    try:
        folder, build_s = build(work)
        tarball = Path(shutil.make_archive(str(work / "nura-bundle"), "gztar", folder.parent, folder.name))
        bundled = bench_startup.measure(runs, command=[str(folder / "nura")])
        venv = venv or bench_startup.measure(runs)
        result = {
            "build_s": round(build_s, 1),
            "size_mb": round(folder_mb(folder), 1),
            "tarball_mb": round(tarball.stat().st_size / 1e6, 1),
            "bundle": bundled,
            "venv": venv,
            "ratio_fresh": round(bundled["cold_start_fresh_s"] / venv["cold_start_fresh_s"], 2),
            "ratio_restart": round(bundled["cold_start_warm_s"] / venv["cold_start_warm_s"], 2),
            "ratio_rss": round(bundled["idle_rss_mb"] / venv["idle_rss_mb"], 2),
            "target_cold_start_s": 2.0,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"bundle built in {result['build_s']:.0f} s: {result['size_mb']:.0f} MB ({result['tarball_mb']:.0f} MB as"
        f" .tar.gz)\n  cold start fresh {bundled['cold_start_fresh_s']:.2f} s vs venv {venv['cold_start_fresh_s']:.2f} s"
        f" (×{result['ratio_fresh']}), restart {bundled['cold_start_warm_s']:.2f} s vs {venv['cold_start_warm_s']:.2f} s"
        f" (×{result['ratio_restart']}) — target < 2 s; idle RSS {bundled['idle_rss_mb']:.0f} MB vs"
        f" {venv['idle_rss_mb']:.0f} MB (×{result['ratio_rss']})"
    )
    save("bundle", result)
    return result


if __name__ == "__main__":
    main()
