"""Issue 17, round 17: an article the article tier did not stand behind does not hold back a
handbook passage that holds more of the question.

The article tier caps its confidence at 0.79 when the winning article lacks words of the question
(``UNCOVERED_CAP``, ``BACKGROUND_CAP``). Beside such an article, a handbook passage relevant in its
own right that holds more of the question than the article answers instead (before, it had to hold
clearly more: ``_OUTRANK_MARGIN``), so an unrelated article ("data-sharing" for a balance-transfer
limit) is no longer shown above the handbook's row. A confident article keeps the margin.

The operator2 pack and the Zagros handbook (the evaluation's own data, dev side) are ingested into
a temp SQLite data dir and scored by ``nura eval`` offline."""

from __future__ import annotations

from pathlib import Path

from handbook_support import eval_offline, import_and_ingest

from nura_appliance.conversation.pipeline import ARTICLE_UNSURE, handbook_context
from nura_appliance.knowledge.retrieval import Decision

EVAL = Path(__file__).resolve().parent.parent / "knowledge" / "eval"


def test_the_handbook_is_told_whether_the_article_tier_stood_behind_its_article() -> None:
    capped = Decision("article", ARTICLE_UNSURE, "a", [], {}, "v1")
    sure = Decision("article", 0.93, "a", [], {}, "v1")
    assert handbook_context({}, capped, "a")["article_unsure"] is True
    assert handbook_context({}, sure, "a")["article_unsure"] is False
    # without a confident article there is nothing to stand behind
    assert "article_unsure" not in handbook_context({}, capped)


def test_a_passage_holding_more_answers_instead_of_an_unsure_article(data_dir: Path, tmp_path: Path) -> None:
    import_and_ingest(data_dir, EVAL / "operator2" / "pack.json", EVAL / "handbooks" / "zagros" / "docs")
    cases = [
        # the data-sharing article (capped) and the policy line on balance transfers
        {"text": "الحد الاعلى لتحويل الرصيد باليوم كم", "lang": "ar", "expect": {"fact": "25,000"}},
        # the line-registration article (capped) and the business plans' documents line
        {"text": "ما المستمسكات المطلوبة لعقد باقات الأعمال", "lang": "ar", "expect": {"fact": "إجازة ممارسة المهنة"}},
        # a question the capped article answers stays the article's
        {"text": "كيف أسجل في تطبيق MyZagros", "lang": "ar", "expect": {"article": "app-account"}},
    ]
    report = eval_offline(data_dir, cases, tmp_path)
    transfer, papers, app = report["cases"]
    for case in (transfer, papers):
        assert case["got"]["handbook"]["answered"], (case["text"], case["got"])
        assert case["got"]["article"] is None, (case["text"], case["got"])  # no article text above it
    assert app["ok"], app["got"]
