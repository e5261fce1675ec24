"""``nura eval`` on the language-layer case kinds (issue 16): sentiment cases, complaints a
hand-off also answers (``handoff_ok``) and the per-variety report, run as a user runs them
(`nura knowledge import` then `nura eval`), plus dev-set floors for Arabizi, hand-off and anger."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from nura_appliance.cli.main import app as cli
from nura_appliance.paths import default_pack_path

REPO = Path(__file__).resolve().parent.parent
EVAL = REPO / "knowledge" / "eval"
runner = CliRunner()


def import_pack(data_dir: Path, pack: Path) -> None:
    imported = runner.invoke(cli, ["knowledge", "import", str(pack), "--data-dir", str(data_dir)])
    assert imported.exit_code == 0, imported.output


def evaluate(data_dir: Path, cases: Path, *extra: str) -> Any:
    result = runner.invoke(cli, ["eval", str(cases), "--data-dir", str(data_dir), *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in extra else result.output


def write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_sentiment_complaint_and_variety_cases(data_dir: Path, tmp_path: Path) -> None:
    import_pack(data_dir, default_pack_path())
    cases = write(
        tmp_path / "cases.jsonl",
        [
            {"text": "خدمتكم زبالة", "lang": "ar", "variety": "iraqi", "expect": {"sentiment": "negative"}},
            {"text": "شكرا جزيلا", "lang": "ar", "variety": "iraqi", "expect": {"sentiment": "neutral"}},
            {"text": "كيف اعرف رصيدي", "lang": "ar", "variety": "msa", "expect": {"sentiment": "negative"}},
            {
                "text": "صار لي ثلاث ايام بدون نت بالمنطقة كلها",
                "lang": "ar",
                "variety": "iraqi",
                "expect": {"article": "coverage", "handoff_ok": True},
            },
            {"text": "shlon a3ref rasidi", "lang": "ar", "variety": "arabizi", "expect": {"article": "balance-check"}},
        ],
    )
    report = evaluate(data_dir, cases, "--json")
    summary = report["summary"]
    assert summary["sentiment"] == {"negative": 2, "neutral": 1, "negative_recall": 0.5, "neutral_false_positives": 0}
    assert summary["counts"]["sentiment"] == 3
    assert [c["ok"] for c in report["cases"][:3]] == [True, True, False]
    assert report["cases"][0]["got"]["sentiment"] == "negative"
    assert summary["complaints"]["cases"] == 1 and summary["complaints"]["scope_refusals"] == 0
    assert set(summary["per_variety"]) == {"iraqi", "msa", "arabizi"}
    assert summary["per_variety"]["arabizi"] == {"cases": 1, "ok": 1.0, "top1": 1.0}
    assert report["cases"][4]["variety"] == "arabizi"
    text = evaluate(data_dir, cases)
    assert "negative recall  50.0% of 2" in text and "per written variety:" in text
    assert "complaints (article or hand-off)" in text


def test_bad_language_case_expectations(data_dir: Path, tmp_path: Path) -> None:
    for row, message in (
        ({"text": "x", "expect": {"sentiment": "furious"}}, '"expect" must be'),
        ({"text": "x", "expect": {"article": "coverage", "handoff_ok": False}}, '"expect" must be'),
        ({"text": "x", "expect": {"sentiment": "negative", "handoff": True}}, '"expect" must be'),
        ({"text": "x", "variety": "", "expect": {"handoff": True}}, '"variety" must be'),
    ):
        cases = write(tmp_path / "bad.jsonl", [row])
        result = runner.invoke(cli, ["eval", str(cases), "--data-dir", str(data_dir)])
        assert result.exit_code == 1 and message in result.output, result.output
