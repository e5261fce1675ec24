"""Issue 17, round 16: words a customer adds that carry nothing, a name with its case ending, a PDF
word's marks, and a phone-number question against a passage without one.

* A function word with its clitics ("وانا", "عدكم", "مالتكم") is no question word: counted, it made
  the answering passage lone or was the "rarest" word of an unrelated one.
* A Kurmanji name keeps its case ending ("Kerkûkê"); the bridge also tries its stem.
* A right-to-left PDF word keeps each mark on its letter ("يوماً", not "يومًا").
* A question asking for a phone number is not answered offline by a passage holding none.

The Nahr PDF and the Zagros handbook with their packs (the evaluation's own data, dev side) are
ingested into temp SQLite data dirs and scored by ``nura eval`` offline."""

from __future__ import annotations

from pathlib import Path

from handbook_support import eval_offline, import_and_ingest

from nura_appliance.knowledge.normalize import normalize
from nura_appliance.knowledge.values import numberless

EVAL = Path(__file__).resolve().parent.parent / "knowledge" / "eval"
HANDBOOKS = EVAL / "handbooks"


def test_a_function_word_with_its_clitics_is_no_question_word() -> None:
    from nura_appliance.knowledge.hybrid import QueryTerms, function_word

    for word in ("وانا", "عدكم", "عندكم", "عندي", "مالتكم", "عليه"):
        assert function_word(normalize(word)), word
    # content words with the same endings stay: a pronoun suffix on a noun, و before a name
    for word in ("شريحتي", "فرعكم", "سعرها", "ومصر", "خطي", "حكم"):
        assert not function_word(normalize(word)), word
    assert [u for u, _ in QueryTerms.of("عدكم eSIM؟").units] == ["esim"]
    units = dict(QueryTerms.of("أطول مدة أقدر أوقف فيها خطي وأنا مسافر").units)
    assert "انا" not in units and "وانا" not in units and "مسافر" in units


def test_a_kurmanji_name_with_its_case_ending_meets_the_handbooks_spelling() -> None:
    from nura_appliance.knowledge.bridge import Bridge

    # the handbook's index term for "كركوك" is its stem
    bridge = Bridge({}, ["كركو", "دهوك"])
    assert bridge.translations(normalize("Kerkûkê"), False) == {"كركو"}
    assert bridge.translations(normalize("Kerkûk"), False) == {"كركو"}


def test_a_right_to_left_pdf_word_keeps_its_marks_on_their_letters() -> None:
    from nura_appliance.knowledge.pdf import logical

    # visual order (as printed, left to right): each letter with the marks after it
    assert logical("اًموي 30") == "30 يوماً"
    assert logical("لعَّفتُ") == "تُفعَّل"
    # the lam-alef ligature's tanween comes before its letter: left where the reversal puts it
    assert logical("،ًاليل") == "ليلاً،"


def test_a_phone_number_question_is_not_answered_by_a_passage_without_one() -> None:
    assert numberless("رقم خدمة المشتركين مالتكم", "الخدمة: رقم مميز (حجز)، الرسم: 40,000 دينار")
    assert not numberless("رقم خدمة المشتركين مالتكم", "ومن الشبكات الأخرى اتصل على 0771 133 0000.")
    assert not numberless("رسوم حجز الرقم المميز", "الخدمة: رقم مميز (حجز)، الرسم: 40,000 دينار")


def test_nahr_answers_the_esim_question_and_not_the_fee_row_for_the_hotline(data_dir: Path, tmp_path: Path) -> None:
    import_and_ingest(data_dir, HANDBOOKS / "nahr" / "pack.json", HANDBOOKS / "nahr" / "docs")
    cases = [
        {"text": "عدكم eSIM؟", "lang": "ar", "expect": {"fact": "2027"}},
        # the package table's duration as the Word document writes it
        {"text": "كم مدة باقة الفرات", "lang": "ar", "expect": {"fact": "30 يوماً"}},
        {"text": "رقم خدمة المشتركين مالتكم", "lang": "ar", "expect": {"fact": "133"}},
    ]
    report = eval_offline(data_dir, cases, tmp_path)
    esim, days, hotline = report["cases"]
    assert esim["got"]["handbook"]["answered"], esim["got"]
    assert days["got"]["handbook"]["answered"], days["got"]
    # not the special-number fee row (it shares "رقم" and the heading's "خدمات … للمشتركين")
    assert "40,000" not in hotline["got"]["handbook"]["response"], hotline["got"]


def test_zagros_quotes_the_passage_a_clitic_made_lone(data_dir: Path, tmp_path: Path) -> None:
    import_and_ingest(data_dir, EVAL / "operator2" / "pack.json", HANDBOOKS / "zagros" / "docs")
    cases = [
        {"text": "اذا جمدت خطي وانا مسافر شكد اكثر مدة", "lang": "ar", "expect": {"fact": "6 أشهر"}},
        {"text": "وين مركز التصليح المعتمد مالتكم", "lang": "ar", "expect": {"fact": "شارع 60 متر"}},
    ]
    report = eval_offline(data_dir, cases, tmp_path)
    for case in report["cases"]:
        assert case["got"]["handbook"]["answered"], (case["text"], case["got"])


def test_two_question_words_met_by_one_passage_word_are_one_word_held() -> None:
    """ "طلبات ما وصلت الطلبية مالتي" (a delivery app's order): "طلبات" and "الطلبية" are both held
    by the agent script's "طلب" — one word of the passage, so the passage is lone (with "مالتي" no
    longer counted, coverage alone let the escalation line through)."""
    from nura_appliance.knowledge.hybrid import QueryTerms, Weights, evidence, passage_terms

    query = QueryTerms.of("طلبات ما وصلت الطلبية مالتي")
    weights = Weights.of(query, {"طلب": 2, "وصلت": 1}, 20)
    script = evidence(query, frozenset(passage_terms("إذا طلب التحدث مع مسؤول حوّل المكالمة")), weights)
    assert len(script.words) == 2 and script.lone
    # a second word held through another passage word: not lone
    arrived = evidence(query, frozenset(passage_terms("إذا طلب الزبون وصلت الرسالة")), weights)
    assert not arrived.lone and arrived.distinct == 2
