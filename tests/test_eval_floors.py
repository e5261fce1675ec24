"""CI floors on the evaluation set, measured exactly as a user would: `nura knowledge import`
then `nura eval --json` (the same pipeline object as POST /v1/message), with the default pack and
with a copy of it stripped of every example question."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from nura_appliance.cli.main import app as cli
from nura_appliance.paths import default_pack_path

REPO = Path(__file__).resolve().parent.parent
CASES = REPO / "knowledge" / "eval" / "cases.jsonl"
runner = CliRunner()


def run_eval(data_dir: Path, pack: Path, cases: Path = CASES) -> dict[str, Any]:
    imported = runner.invoke(cli, ["knowledge", "import", str(pack), "--data-dir", str(data_dir)])
    assert imported.exit_code == 0, imported.output
    result = runner.invoke(cli, ["eval", str(cases), "--json", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_eval_floors_with_the_default_pack(data_dir: Path) -> None:
    report = run_eval(data_dir, default_pack_path())
    summary = report["summary"]
    assert summary["cases"] == 358 and len(report["cases"]) == 358
    # measured 0.944 / 0.913 / 1.0 / 1.0; floors leave room for small, deliberate trade-offs
    assert summary["top1"] >= 0.92
    assert summary["answered_correct"] >= 0.88
    assert summary["out_of_scope_rejection"] >= 0.95
    assert summary["handoff_recall"] == 1.0
    # the confidence means what it says (issue 16): measured 112 answers at >= 0.9, all right, and
    # no out-of-scope question answered at all (0.73 before the background class). 205 were at
    # >= 0.9 before the coverage cap: an answer with a word no article knows, or covering under a
    # quarter of the question, is answered at 0.79 at most.
    sure = summary["confident"]
    assert sure["answered"] >= 90 and sure["precision"] >= 0.95
    assert (sure["max_out_of_scope_answered"] or 0.0) <= 0.8
    case = report["cases"][0]
    assert set(case) == {"text", "expect", "got", "ok"}
    assert set(case["got"]) == {"kind", "article", "candidates", "confidence"}  # the documented shape
    assert case["got"]["kind"] in ("article", "ambiguous", "out_of_scope", "handoff", "rule", "fallback")
    assert set(summary["per_language"]) == {"ar", "ku", "en"} and len(summary["per_article"]) == 33
    # near-domain out-of-scope questions written apart from the background bank (knowledge/eval/
    # oos-dev): measured 0.933, none answered above 0.79 (0.893 and 0.999 before)
    oos = run_eval(data_dir, default_pack_path(), REPO / "knowledge" / "eval" / "oos-dev" / "dev.jsonl")["summary"]
    assert oos["out_of_scope_rejection"] >= 0.9
    assert (oos["confident"]["max_out_of_scope_answered"] or 0.0) <= 0.8
    # ... and those sharing the pack's own words (another app's password, a car battery's
    # recharge; knowledge/eval/oos-dev2): measured 0.716, none above 0.79 (0.703 and 0.999 before)
    oos2 = run_eval(data_dir, default_pack_path(), REPO / "knowledge" / "eval" / "oos-dev2" / "dev.jsonl")["summary"]
    assert oos2["out_of_scope_rejection"] >= 0.68
    assert (oos2["confident"]["max_out_of_scope_answered"] or 0.0) <= 0.8


def test_eval_floors_without_any_example_questions(data_dir: Path, tmp_path: Path) -> None:
    pack = json.loads(default_pack_path().read_text(encoding="utf-8"))
    for article in pack["articles"]:
        article.pop("examples", None)
    stripped = tmp_path / "no-examples.json"
    stripped.write_text(json.dumps(pack, ensure_ascii=False), encoding="utf-8")
    summary = run_eval(data_dir, stripped)["summary"]
    # measured 0.885 / 0.802 / 1.0 (0.865 / 0.819 / 0.95 before issue 16's learned models, 0.975
    # out-of-scope rejection before the background class)
    assert summary["top1"] >= 0.85
    assert summary["answered_correct"] >= 0.78
    assert summary["out_of_scope_rejection"] >= 0.95
    assert summary["handoff_recall"] == 1.0
    assert summary["confident"]["precision"] >= 0.95  # measured 1.0 of 158


def test_eval_human_report_and_bad_case_files(data_dir: Path, tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        '{"text": "النت بطيء", "expect": {"article": "internet-slow"}}\n'
        '{"text": "tell me a joke", "lang": "en", "expect": {"out_of_scope": true}}\n',
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["eval", str(cases), "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert "top-1 accuracy" in result.output and "100.0%" in result.output
    for line, message in (
        ("not json", "line 1: invalid JSON"),
        ('{"text": "x", "expect": {"article": 3}}', 'line 1: "expect" must be'),
        ('{"text": "x", "lang": "fr", "expect": {"handoff": true}}', '"lang" must be'),
    ):
        cases.write_text(line + "\n", encoding="utf-8")
        result = runner.invoke(cli, ["eval", str(cases), "--data-dir", str(data_dir)])
        assert result.exit_code == 1 and message in result.output


@pytest.mark.parametrize("name", ["missing.jsonl"])
def test_eval_missing_file(data_dir: Path, tmp_path: Path, name: str) -> None:
    result = runner.invoke(cli, ["eval", str(tmp_path / name), "--data-dir", str(data_dir)])
    assert result.exit_code == 1 and "No such file" in result.output
