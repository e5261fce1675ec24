"""Issue 17, round 18 (`h17rank`): what the handbook search reads so that the passage holding the
fact reaches the prompt.

* A Latin name whose consonant skeleton four handbook words share ("mosul": "موصل", "مثل", "مثلا",
  "مسوول") is told apart by its vowels, instead of being linked to none.
* An Arabizi word is spelt with the handbook's own words among the candidates ("2andil" → قنديل:
  "2" for ق as the Levant and Egypt say it).
* An ordinal in ar, ckb, ku or en ("the third zone", "المنطقة الثانية", "سێیەم", "sêyem") is held by
  a passage naming a thing by that number ("المنطقة 3", "L4") — not by any "3" ("3 أيام", "4." of
  a heading), so "the fourth roaming zone" is not answered by the zone rows.
* A count of the thing asked that few candidates hold ("Zagros çend abone hene" and "6.4 مليون
  مشترك") is the rarest evidence there is.
* Profile, warranty and policy words in other languages ("slogan", "liquid", "cracked").

The Zagros handbook with the operator2 pack (the evaluation's own data, dev side) is ingested into
a temp SQLite data dir and scored by ``nura eval`` offline."""

from __future__ import annotations

from pathlib import Path

from handbook_support import eval_offline, import_and_ingest

from nura_appliance.knowledge.normalize import normalize

EVAL = Path(__file__).resolve().parent.parent / "knowledge" / "eval"
HANDBOOKS = EVAL / "handbooks"


def test_a_latin_name_is_told_apart_from_words_of_its_skeleton_by_its_vowels() -> None:
    from nura_appliance.knowledge.bridge import Bridge, vowelled

    bridge = Bridge({}, ["موصل", "مثل", "مثلا", "مسوول", "نجف"])
    assert bridge.translations("mosul", False) == {"موصل"}
    # the Kurmanji name with its case ending, through its stem
    assert bridge.translations(normalize("Mûsilê"), False) == {"موصل"}
    assert vowelled(["mosul"], ["مثلا", "مسوول"]) == set()  # an alif, two و: not "mosul"
    # a skeleton shared by three words or fewer is linked as before
    assert bridge.translations("najaf", False) == {"نجف"}


def test_an_arabizi_word_is_spelt_with_the_handbooks_words() -> None:
    from nura_appliance.knowledge.bridge import Bridge
    from nura_appliance.knowledge.hybrid import QueryTerms

    bridge = Bridge({}, ["قنديل", "باق", "مقر", "رقم"])
    units = dict(QueryTerms.of("2andil fiha 2addesh giga", bridge).units)
    assert "قنديل" in units["2andil"]
    assert "قنديل" not in dict(QueryTerms.of("2andil fiha 2addesh giga").units)["2andil"]
    # "el" read as the article alone is no question word
    assert "el" not in dict(QueryTerms.of("wen el ma2ar el ra2isi", bridge).units)


def test_an_ordinal_is_read_as_its_number_and_held_by_a_named_number_only() -> None:
    from nura_appliance.knowledge.hybrid import QueryTerms, Weights, evidence
    from nura_appliance.knowledge.values import named_numbers, ordinal_number

    for word, number in (("third", "3"), ("الثانية", "2"), ("سێیەم", "3"), ("sêyem", "3"), ("fourth", "4")):
        assert ordinal_number(normalize(word)) == number, word
    # Iraqi "ثاني" without the article is "another" ("من شبكة ثانية")
    assert ordinal_number(normalize("ثانية")) is None
    assert named_numbers("المنطقة: المنطقة 3، السعر اليومي: 16,000 دينار، يشمل: 1 GB + 15 دقيقة") == {"3"}
    assert named_numbers("Level: L4, Who: Legal and Regulatory team, Target response: 15 days") == {"4"}
    assert named_numbers("When: complaint open for more than 5 working days") == set()
    query = QueryTerms.of("third zone roaming price")
    assert query.ordinals == {"third": "3"}
    weights = Weights.of(query, {"3": 40, "zon": 3}, 50)
    terms = frozenset({"zon", "3"})
    # a "3" the passage holds is not the third zone; a thing named 3 is
    assert "third" not in evidence(query, terms, weights).words
    assert "third" in evidence(query, terms, weights, frozenset({"ordinal:3"})).words


def test_profile_and_warranty_words_reach_the_arabic_handbook() -> None:
    from nura_appliance.knowledge.values import support_forms

    assert "شعار" in support_forms("motto") and "شعار" in support_forms(normalize("slogan"))
    assert "سوايل" in support_forms("liquid")
    assert "كسر" in support_forms("cracked")
    # Kurdish "ئاو" (water) would read as Arabic "او" (or): not among the forms
    assert "او" not in support_forms("water")


def test_zagros_ranks_the_row_the_name_the_ordinal_and_the_count_point_to(data_dir: Path, tmp_path: Path) -> None:
    import_and_ingest(data_dir, EVAL / "operator2" / "pack.json", HANDBOOKS / "zagros" / "docs")
    cases = [
        {"text": "what time does the mosul branch close", "lang": "en", "expect": {"fact": "19:00"}},
        {"text": "third zone roaming daily price", "lang": "en", "expect": {"fact": "16,000"}},
        {"text": "who handles the fourth escalation level", "lang": "en", "expect": {"fact": "Legal and Regulatory"}},
        {"text": "2andil fiha 2addesh giga", "lang": "ar", "expect": {"fact": "150 GB"}},
        {"text": "Zagros çend abone hene", "lang": "ku", "expect": {"fact": "6.4 مليون"}},
        {"text": "what's the company's motto", "lang": "en", "expect": {"fact": "أقرب إليك"}},
        {
            "text": "what's the day pass price in the fourth roaming zone",
            "lang": "en",
            "expect": {"out_of_scope": True},
        },
    ]
    report = eval_offline(data_dir, cases, tmp_path)
    *facts, fourth = report["cases"]
    for case in facts:
        handbook = case["got"]["handbook"]
        assert handbook["rank"] == 1 and handbook["in_context"], (case["text"], handbook)
    # no zone row answers the zone the handbook does not have
    assert fourth["got"]["kind"] == "out_of_scope", fourth["got"]


def test_a_chunk_holding_a_rare_question_term_is_not_crowded_out_of_the_shortlist() -> None:
    from nura_appliance.knowledge.hybrid import _Candidate, _shortlist

    # twelve short chunks sharing the common words rank first by BM25 and by vectors; the one
    # chunk holding "تاسست" (the question's rare term) is fifth by BM25 and far down the vectors
    found = {
        f"c{i}": _Candidate(f"c{i}", bm25=5.0 - i * 0.1, terms="nahr telecom", lexical_rank=i, vector_rank=i)
        for i in range(12)
    }
    found["profile"] = _Candidate("profile", bm25=2.3, terms="نهر تاسست عام 2016", lexical_rank=4, vector_rank=30)
    for i in range(12):
        found[f"c{i}"].fused = 2 / (61 + i)
    found["profile"].fused = 1 / 65 + 1 / 91
    assert "profile" not in _shortlist(found, 4)
    assert "profile" in _shortlist(found, 4, frozenset({"تاسست"}))
