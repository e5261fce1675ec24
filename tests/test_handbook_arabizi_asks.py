"""Issue 17, round 17: an Arabizi question asks for a value as the same question in Arabic letters.

``values.answer_types`` read the question's words as written: "shgad s3er baqat qandil" asked for no
kind of value, so the offline answer's unit was chosen by the package's name alone and quoted the
note naming two packages instead of the package's row with its price. A message with a Latin word
holding an Arabizi digit between letters (and no Arabic letters) is also read transliterated."""

from __future__ import annotations

from pathlib import Path

from handbook_support import eval_offline, import_and_ingest

from nura_appliance.knowledge.values import answer_types

EVAL = Path(__file__).resolve().parent.parent / "knowledge" / "eval"


def test_an_arabizi_question_asks_what_its_arabic_asks() -> None:
    assert "price" in answer_types("shgad s3er baqat qandil")
    assert "price" in answer_types("ba8at el ahwar b kam")
    assert "phone" in answer_types("shno ra8am el call center men shabaka thanya")
    # English and codes are not Arabizi: read as written
    assert answer_types("is liquid damage covered by the phone warranty") == set()
    assert answer_types("4g speed") == set()
    assert answer_types("covid19 test") == set()


def test_zagros_quotes_the_package_row_for_an_arabizi_price_question(data_dir: Path, tmp_path: Path) -> None:
    import_and_ingest(data_dir, EVAL / "operator2" / "pack.json", EVAL / "handbooks" / "zagros" / "docs")
    cases = [{"text": "shgad s3er baqat qandil", "lang": "ar", "expect": {"fact": "55,000"}}]
    report = eval_offline(data_dir, cases, tmp_path)
    (case,) = report["cases"]
    assert case["got"]["handbook"]["answered"], case["got"]
