"""Issue 17, round 18: a Kurmanji, Sorani or Arabizi question asks for a value as the same question
in Arabic does, so the handbook tier's decision sees the value it asks for.

The handbook tier quotes a cross-language passage the quote model doubts (Kurdish words the pack
bridges only partly) when the unit it would quote holds a value of the asked kind
(``grounded.UNIT_LIFT``). "pakêta Firat bi çiqasî ye" (for how much is the Firat package) asked
for no kind of value, so its row — ranked first, holding "16,500 دينار" — was not quoted; nor the
Arabizi "2esh el 7ad el a3la …", whose "7ad" (حد) was read as an item's code ("n78")."""

from __future__ import annotations

from pathlib import Path

from handbook_support import eval_offline, import_and_ingest

from nura_appliance.knowledge.lexicon import paper_question
from nura_appliance.knowledge.retrieval import analyse
from nura_appliance.knowledge.values import answer_types, identifiers, names_variant

EVAL = Path(__file__).resolve().parent.parent / "knowledge" / "eval"


def test_kurmanji_how_much_and_cost_words_ask_a_price() -> None:
    assert answer_types("pakêta Firat bi çiqasî ye") == {"price"}
    assert answer_types("xerca SIM karta winda çiqas e") == {"price"}
    assert answer_types("herî zêde çiqas kredî rojê dikarim veguhêzim") == {"price"}
    # money counted is a price, not a count of something
    assert answer_types("pakêta Ehwar çend pere ye") == {"price"}
    # ... but "how much" before what a package holds is no price
    assert "price" not in answer_types("di pakêta Gara de çiqas înternet heye")
    assert "price" not in answer_types("çiqas roj derbas dibe")
    # the limit of a transfer is a sum, in Arabic letters and in Arabizi
    assert "price" in answer_types("الحد الأعلى لتحويل الرصيد")
    assert "price" in answer_types("2esh el 7ad el a3la la ta7weel el rased")
    assert "price" not in answer_types("ما حد يرد علي")


def test_kurdish_number_words_with_their_endings() -> None:
    # "which number" with a word for whom to send to asks a phone number
    assert answer_types("gilî bi SMS bo kîjan hejmarê bişînim") == {"phone"}
    assert answer_types("سکاڵا بۆ چ ژمارەیەک بنێرم") == {"phone"}
    # "the number of lines" counts them: no phone number
    assert answer_types("کەمترین ژمارەی هێڵ بۆ پاکێجی کۆمپانیا چەندە") == {"count"}
    assert answer_types("number of lines for a business account") == {"count"}
    # the Arabic "رقم خط" is a line's number, not a count of lines
    assert "count" not in answer_types("رقم خط الشركات")
    # a card's number said to be wrong asks for nothing ("پڕ" is to fill, not an amount)
    assert answer_types("کارتەکە پڕ ناکاتەوە دەڵێت ژمارەکە هەڵەیە") == set()


def test_sorani_address_with_its_ending() -> None:
    assert answer_types("ناونیشانی لقی دهۆک") == {"address"}
    assert answer_types("لقی ناسریە لە کوێیە") == {"address"}


def test_an_arabizi_letter_digit_is_no_item_number() -> None:
    assert identifiers("2esh el 7ad el a3la la ta7weel el rased") == frozenset()
    assert identifiers("shgad se3r 5g router") == {"5g"}
    assert identifiers("which phones support n78") == {"n78"}


def test_changing_the_name_on_a_passport_is_the_governments_question() -> None:
    for text in ("berdêla guhertina navê li ser pasaportê çiqas e", "fee to change the name on my passport"):
        terms, units = analyse(text)
        assert paper_question(units, terms), text
    terms, units = analyse("can i change the line owner with my passport")
    assert paper_question(units, terms) == []


def test_a_variant_the_passage_does_not_write_is_another_product() -> None:
    row = "رقم: 2، الباقة: دجلة، الإنترنت: 12 GB، السعر: 7,000 دينار"
    for text in ("كم سعر باقة دجلة بلس", "نرخی پاکێجی دیجلە پلەس چەندە", "shgad se3r baqat dijla plus"):
        assert names_variant(text, row), text
    assert names_variant("price of the pro mini business plan", "الباقة: Pro Start، السعر الشهري للخط: 15,000 دينار")
    assert names_variant("كم سعر باقة التجوال الأسبوعية", "المنطقة: المنطقة 1، السعر اليومي: 6,500 دينار")
    # the variant the passage writes, in any script, and words that only look alike
    assert not names_variant("باقة برو بلس بكام", "الباقة: Pro Plus، السعر الشهري للخط: 28,000 دينار")
    assert not names_variant("minimum balance transfer amount", "الحد الأدنى 500 دينار")
    assert not names_variant("max compensation without approval", "Never promise compensation above 7,500 IQD")


def test_nahr_quotes_the_row_a_kurdish_or_arabizi_question_asks(data_dir: Path, tmp_path: Path) -> None:
    nahr = EVAL / "handbooks" / "nahr"
    import_and_ingest(data_dir, nahr / "pack.json", nahr / "docs")
    cases = [
        {"text": "pakêta Firat bi çiqasî ye", "lang": "ku", "expect": {"fact": "16,500"}},
        {"text": "2esh el 7ad el a3la la ta7weel el rased", "lang": "ar", "expect": {"fact": "20,000"}},
        {"text": "berdêla guhertina navê li ser pasaportê çiqas e", "lang": "ku", "expect": {"out_of_scope": True}},
        {"text": "كم سعر باقة الفرات بلس", "lang": "ar", "expect": {"out_of_scope": True}},
    ]
    report = eval_offline(data_dir, cases, tmp_path)
    firat, limit, passport, plus = report["cases"]
    assert firat["got"]["handbook"]["answered"], firat["got"]
    assert limit["got"]["handbook"]["answered"], limit["got"]
    assert passport["got"]["kind"] == "out_of_scope", passport["got"]
    assert plus["got"]["kind"] == "out_of_scope", plus["got"]
