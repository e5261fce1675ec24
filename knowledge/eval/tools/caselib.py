"""Shared helpers for the evaluation-set tools: reading case files and naming a case's kind.

The tools in this folder only read and write case files; they never import the appliance, so
the data stays independent of the retrieval code it measures.
"""

from __future__ import annotations

import json
from pathlib import Path

LANGS = ("ar", "ckb", "ku", "en")


def read_cases(path: Path) -> list[dict]:
    """Read a JSON-lines case file; raise ValueError naming the line that does not parse."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not JSON ({exc})") from exc
        if not isinstance(case, dict):
            raise ValueError(f"{path}:{number}: not a JSON object")
        cases.append(case)
    return cases


def write_cases(path: Path, cases: list[dict]) -> None:
    """Write cases as JSON lines, Arabic script kept readable (no \\u escapes)."""
    text = "".join(json.dumps(case, ensure_ascii=False) + "\n" for case in cases)
    path.write_text(text, encoding="utf-8")


def kind_of(case: dict) -> str:
    """Name the kind of a case from its `expect` object (used for strata and mix tables)."""
    expect = case["expect"]
    if "sentiment" in expect:
        return f"sentiment-{expect['sentiment']}"
    if "article" in expect:
        return "article+handoff_ok" if expect.get("handoff_ok") else "article"
    if expect.get("out_of_scope"):
        return "out_of_scope"
    if expect.get("handoff"):
        return "handoff"
    if "fact" in expect:
        return "fact"
    if "source" in expect:
        return "source"
    raise ValueError(f"unknown expect: {expect}")


def variety_of(case: dict) -> str:
    """The written variety (dialect/script) of a case; falls back to its language code."""
    return case.get("variety") or case["lang"]
