"""The benchmarks' customer texts come from knowledge/eval's development files only: the frozen
evaluation files (``cases.jsonl``, ``**/test.jsonl``, ``**/*-test.jsonl``) are listed here by name,
never opened."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).parent / "bench"
sys.path.insert(0, str(BENCH))

from common import EVAL, dev_case_files, is_frozen  # noqa: E402


def test_no_frozen_file_is_among_the_development_files() -> None:
    every = sorted(EVAL.rglob("*.jsonl"))
    frozen = {p for p in every if is_frozen(p)}
    assert EVAL / "cases.jsonl" in frozen and EVAL / "default-more" / "test.jsonl" in frozen
    for pack in (None, "default"):
        files = set(dev_case_files(pack))
        assert files and not files & frozen
        assert all(p.name.startswith("dev") or "-dev" in p.name or "-dev" in str(p.parent) for p in files)
    assert len(dev_case_files()) == len(every) - len(frozen)  # every other case file is a development one


def test_the_default_packs_files_leave_out_other_packs_and_handbooks() -> None:
    files = dev_case_files("default")
    assert EVAL / "default-more" / "dev.jsonl" in files and EVAL / "oos-dev5" / "default" / "dev.jsonl" in files
    assert not [p for p in files if "operator2" in str(p) or "handbooks" in str(p)]
