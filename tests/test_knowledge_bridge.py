"""The word bridge learnt from a pack's parallel article lines (knowledge/bridge.py)."""

from __future__ import annotations

import json

from nura_appliance.knowledge.bridge import Bridge, shipped_bridge
from nura_appliance.knowledge.normalize import normalize


def _article(ar: list[str], ckb: list[str], en: list[str]) -> dict:
    return {
        "title": {},
        "body": {"ar": "\n".join(ar), "ckb": "\n".join(ckb), "en": "\n".join(en)},
        "examples": {},
    }


PACK = [
    _article(
        ["باقة التجوال اليومية متاحة", "سعر التجوال اليومي ثابت"],
        ["پاکێجی ڕۆمینگی ڕۆژانە بەردەستە", "نرخی ڕۆمینگی ڕۆژانە جێگیرە"],
        ["The daily roaming package is available", "The daily roaming price is fixed"],
    ),
    _article(
        ["الفاتورة اليومية تصل برسالة", "فرع بغداد يفتح يوميا"],
        ["پسوولەی ڕۆژانە بە نامە دێت", "لقی بەغدا ڕۆژانە دەکرێتەوە"],
        ["The daily bill arrives by SMS", "The Baghdad branch opens daily"],
    ),
]


def test_words_that_share_aligned_lines_become_translations() -> None:
    bridge = Bridge.learn(PACK)
    assert "يومي" in bridge.translations(normalize("daily"), False)
    assert "يومي" in bridge.translations(normalize("ڕۆژانە"), True)
    # seen in one line pair only: no evidence which Arabic word it is
    assert bridge.translations(normalize("fixed"), False) == set()
    # Arabic-script words of an Arabic question are never "translated"
    assert bridge.translations(normalize("يومي"), False) == set()


def test_lines_that_do_not_align_teach_nothing() -> None:
    broken = [
        {"title": {}, "body": {"ar": "سطر واحد", "en": "one line\nand another"}, "examples": {}},
        {"title": {}, "body": {"ar": "سطر واحد", "en": "one line\nand another"}, "examples": {}},
    ]
    assert Bridge.learn(broken).table["en"] == {}


def test_an_arabizi_question_keeps_its_latin_words_and_gains_their_arabic_reading() -> None:
    from nura_appliance.knowledge.hybrid import QueryTerms

    query = QueryTerms.of("shgad se3r ba8at gara")
    units = dict(query.units)
    assert "shgad" not in units  # "how much" reads as a function word: no evidence either way
    assert "سعر" in units["se3r"] and "باق" in units["ba8at"]
    assert "gar" in units  # the Latin product name the handbook may write "(Gara)" stays a form
    assert "سعر" in query.terms


def test_words_that_only_ask_how_much_or_where_are_no_evidence_either_way() -> None:
    from nura_appliance.knowledge.hybrid import QueryTerms

    for question in ("ڕۆمینگی ڕۆژانە بۆ ئەوروپا چەندە", "pakêta Halgurd bi çend e", "باقه سفين بيش"):
        units = [unit for unit, _ in QueryTerms.of(question).units]
        assert not {"جند", "cend", "بيش"} & set(units), units


def test_odd_stored_shapes_teach_nothing_and_break_nothing() -> None:
    rows = [
        {"title": "not json", "body": '{"ar": 5, "en": ["x"]}', "examples": "[1, 2]"},
        {"title": None, "body": '{"ar": "سطر", "en": "line"}', "examples": '{"ar": ["سؤال"], "en": "question"}'},
    ]
    bridge = Bridge.from_rows(rows, shipped=False)
    assert bridge.translations("line", False) == set()


def test_a_passage_holding_one_of_several_question_words_is_lone() -> None:
    """``Evidence.lone``: the grounded tier never quotes such a passage on its own."""
    from nura_appliance.knowledge.hybrid import QueryTerms, Weights, evidence, passage_terms

    query = QueryTerms.of("كم سعر الذهب اليوم")
    assert len(query.units) == 2  # "كم" only asks; "اليوم" is a stopword
    counts = {"ذهبي": 1, "سعر": 3}
    weights = Weights.of(query, counts, 10)
    golden = evidence(query, frozenset(passage_terms("حجز رقم مميز ذهبي، الرسم: 75,000 دينار")), weights)
    assert golden.lone and golden.rare == 1.0  # the rarest word held, and still only one of two
    priced = evidence(query, frozenset(passage_terms("سعر الرقم الذهبي 50000 دينار")), weights)
    assert not priced.lone and priced.asked == 2
    single = QueryTerms.of("الذهبي")
    assert not evidence(single, frozenset(passage_terms("الرقم الذهبي")), Weights.of(single, counts, 10)).lone


def test_latin_names_meet_the_handbooks_own_spelling() -> None:
    """A place name asked in Latin letters meets the handbook's Arabic word with the same
    consonant skeleton; lexicon words, short skeletons and another first letter do not."""
    from nura_appliance.knowledge.bridge import Bridge, skeleton

    vocabulary = ["كويت", "كوت", "بصر", "تركيا", "طريق", "اربيل", "امريكا", "اسم", "esim", "تالف"]
    bridge = Bridge({}, vocabulary)
    assert skeleton("بصر") == skeleton("بسريه") == "بسر"
    assert bridge.names_for("kuwait") == {"كويت"}  # not the Kut (both are "كت")
    assert bridge.names_for("besraye") == {"بصر"}
    assert bridge.names_for("turkey") == {"تركيا"}  # not "طريق"
    assert bridge.names_for("erbil") == {"اربيل"}
    assert bridge.names_for("amerikaye") == {"امريكا"}
    assert bridge.names_for("phone") == set()  # the lexicon's word, not a name
    assert bridge.names_for("esim") == set()  # written in Latin letters by the handbook too
    assert bridge.translations("besraye", False) == {"بصر"}


def test_latin_handbook_words_meet_their_arabic_spelling() -> None:
    """A question that writes a Latin handbook word in Arabic letters ("البلاتينيوم" for the
    handbook's "Platinum", "بزنس" for "Business") meets it by the skeleton of its Arabic spelling;
    a word the handbook has, a short skeleton and an unrelated word do not."""
    vocabulary = ["platinum", "proxy", "business", "esim", "mms", "اسم", "kcowner", "خط"]
    bridge = Bridge({}, vocabulary)
    assert bridge.translations(normalize("البلاتينيوم"), False) == {"platinum"}
    assert bridge.translations(normalize("بروكسي"), False) == {"proxy"}
    assert bridge.translations(normalize("بزنس"), False) == {"business"}
    assert bridge.translations(normalize("ايسيم"), False) == set()  # "اسم": three letters, too short
    assert bridge.translations(normalize("اسم"), False) == set()  # the handbook's own word
    assert bridge.translations(normalize("مشتركين"), False) == set()


def test_a_passive_participle_is_held_by_its_verb() -> None:
    """ "محجوز" (reserved) is held by a passage that writes "تُحجز" (is reserved)."""
    from nura_appliance.knowledge.hybrid import QueryTerms, Weights, evidence, passage_terms

    query = QueryTerms.of("كم يوم يبقى الرقم المميز محجوز")
    counts = {"حجز": 1, "تحجز": 1, "رقم": 3, "مميز": 2}
    weights = Weights.of(query, counts, 10)
    held = evidence(query, frozenset(passage_terms("الأرقام المميزة تُحجز لمدة 7 أيام بعد دفع رسم الحجز")), weights)
    unit = next(u for u, _ in query.units if u.startswith("محجوز"))
    assert unit in held.words
    other = evidence(query, frozenset(passage_terms("حجز رقم مميز فضي، الرسم: 27,500 دينار")), weights)
    assert unit in other.words  # "حجز" itself, the verb's root
    assert "مكتوب" not in QueryTerms.of("محجوز").units[0][1]


def test_the_shipped_pack_bridges_what_the_teams_pack_does_not() -> None:
    """A team pack in Arabic and English only (no Sorani lines) still carries Sorani "هێڵ" (line)
    and English "cancel" to the handbook's Arabic words, through the bridge learnt from the shipped
    default pack; the team's own translation wins where both have one."""
    rows = [
        {
            "title": json.dumps({"ar": "التجوال اليومي", "en": "Daily roaming"}),
            "body": json.dumps(
                {
                    "ar": "باقة التجوال اليومية متاحة\nسعر التجوال اليومي ثابت",
                    "en": "The daily roaming package is available\nThe daily roaming price is fixed",
                }
            ),
            "examples": json.dumps({}),
        }
    ]
    own = Bridge.from_rows(rows, shipped=False)
    assert own.translations(normalize("هێڵ"), True) == set()
    bridge = Bridge.from_rows(rows)
    assert "خط" in bridge.translations(normalize("هێڵ"), True)
    assert bridge.translations(normalize("cancel"), False)
    # the team's own translation wins over the shipped one
    assert own.translations(normalize("daily"), False) != shipped_bridge().translations(normalize("daily"), False)
    assert bridge.translations(normalize("daily"), False) == own.translations(normalize("daily"), False)


def test_a_dialect_modal_verb_is_no_evidence() -> None:
    """ "اقدر" (can I) is a function word of the dialects: a handbook's agent script writes it ("كيف
    أقدر أخدمك"), and held as a rare word it drew a question about lines to the greeting."""
    from nura_appliance.knowledge.hybrid import QueryTerms

    units = [unit for unit, _ in QueryTerms.of("كم خط اقدر اطلع باسمي").units]
    assert "اقدر" not in units and "خط" in units
    assert [unit for unit, _ in QueryTerms.of("شكد أقل مبلغ أكدر احوله").units][0] == "اقل"


def test_data_units_as_customers_spell_them_meet_the_handbooks_gb() -> None:
    from nura_appliance.knowledge.hybrid import QueryTerms, Weights, evidence, passage_terms, word_forms

    assert "gb" in word_forms(normalize("جيگا")) and "gb" in word_forms(normalize("جيجا"))
    assert "mb" in word_forms(normalize("ميغا")) and "gb" not in word_forms(normalize("جيب"))
    query = QueryTerms.of("كم نجمة احتاج حتى آخذ 1 جيگا")
    weights = Weights.of(query, {"نجم": 1, "gb": 3}, 10)
    held = evidence(query, frozenset(passage_terms("يمكن استبدال 100 نجمة بـ 1 GB إنترنت")), weights)
    assert any(unit.startswith("جيك") for unit in held.words)


def test_a_translated_verb_is_held_in_its_other_persons() -> None:
    """The bridge carries "support" to "دعم"; the handbook writes "640 برج تدعم الجيل الخامس"."""
    from nura_appliance.knowledge.hybrid import QueryTerms

    bridge = Bridge({"en": {"support": ("دعم",)}})
    forms = dict(QueryTerms.of("how many of your towers support 5g", bridge).units)["support"]
    assert {"دعم", "تدعم", "يدعم"} <= forms


def test_a_warranty_is_one_idea_in_every_wording() -> None:
    """ "الكفالة" (Levantine/Iraqi), "الضمان" (the handbook's word), "warranty" and Sorani
    "گەرەنتی" share one lexicon concept, so the question meets the handbook's section."""
    from nura_appliance.knowledge.hybrid import QueryTerms, passage_terms

    assert "kcwarranty" in passage_terms("الأجهزة المشتراة عليها ضمان 18 شهراً من تاريخ الشراء")
    for question in ("قديش مدة الكفالة عالموبايل", "how long is the warranty on batteries", "گەرەنتی مۆبایل چەندە"):
        forms = set().union(*(f for _, f in QueryTerms.of(question).units))
        assert "kcwarranty" in forms, question


def test_a_latin_words_arabic_skeleton_is_a_letter_map() -> None:
    """``latin_skeleton`` spells a Latin handbook word's consonants as Arabic letters would, with
    the same folding as the Arabic side, so both meet; it is cheap enough for every Latin word of a
    handbook (it runs once per knowledge version)."""
    import time

    from nura_appliance.knowledge.bridge import _latin_key, latin_skeleton
    from nura_appliance.knowledge.normalize import stem

    for latin, arabic in (("platinum", "البلاتينيوم"), ("proxy", "بروكسي"), ("business", "بزنس"), ("anatel", "أناتيل")):
        assert latin_skeleton(latin) == _latin_key(stem(normalize(arabic))), latin
    assert latin_skeleton("esim") == "اسم" and latin_skeleton("apple") == "ابل"  # a first vowel is alif, "pp" once
    words = [f"name{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}{chr(97 + i // 676 % 26)}" for i in range(5000)]
    start = time.perf_counter()
    Bridge({}, words)
    assert time.perf_counter() - start < 2.0  # the Arabizi transliterator took ~1.6 s per 5,000


def test_names_listed_together_are_linked_by_their_spelling_not_by_the_lines() -> None:
    """A pack lists its branch cities together in every language, so every city word shares every
    line with every city and Dice ties them all: "duhok", "basra", "baghdad" each became "اربيل"
    and a Kurmanji question about the Duhok branch quoted Erbil's row. A name is transliterated:
    the candidate a word spells is its translation; another word's name leaves the tie."""
    cities = {
        "ar": "لدينا فروع في بغداد وأربيل ودهوك والبصرة",
        "ckb": "لقمان لە بەغدا و هەولێر و دهۆک و بەسرە هەیە",
        "en": "We have branches in Baghdad, Erbil, Duhok and Basra",
    }
    hours = {
        "ar": "فروع بغداد وأربيل ودهوك والبصرة تفتح من 9",
        "ckb": "لقەکانی بەغدا و هەولێر و دهۆک و بەسرە لە 9 دەکرێنەوە",
        "en": "The Baghdad, Erbil, Duhok and Basra branches open at 9",
    }
    article = {
        "title": {},
        "body": {lang: f"{cities[lang]}\n{hours[lang]}" for lang in cities},
        "examples": {},
    }
    bridge = Bridge.learn([article, *PACK])
    assert bridge.translations(normalize("duhok"), False) == {"دهو"}  # the index's stem of "دهوك"
    assert bridge.translations(normalize("basra"), False) == {"بصر"}
    assert bridge.translations(normalize("baghdad"), False) == {"بغداد"}
    assert bridge.translations(normalize("erbil"), False) == {"اربيل"}
    assert bridge.translations(normalize("بەسرە"), True) == {"بصر"}
    # Sorani "هەولێر" spells no Arabic city: the others' names leave the tie to "اربيل"
    erbil = bridge.translations(normalize("هەولێر"), True)
    assert "اربيل" in erbil and not erbil & {"بغداد", "دهو", "بصر"}
    # words that are not names keep what the lines teach
    assert "يومي" in bridge.translations(normalize("daily"), False)


def test_a_tie_of_names_the_spelling_cannot_break_teaches_nothing() -> None:
    from nura_appliance.knowledge.bridge import _link

    scored = [(1.0, "اربيل"), (1.0, "بصر"), (1.0, "دهو"), (1.0, "كركوك"), (1.0, "نجف")]
    table = _link({"basr": scored, "kirkuk": scored, "mosul": scored}, set())
    assert table["basr"] == ("بصر",) and table["kirkuk"] == ("كركوك",)
    # "mosul" spells none of them and three unspelt names are still tied for it: none, not a wrong one
    assert "mosul" not in table
    # a tie without names among it keeps the lines' best two, as before
    assert _link({"expiry": [(1.0, "انتهاي"), (1.0, "تاريخ"), (1.0, "مدة")]}, set())["expiry"] == ("انتهاي", "تاريخ")


def test_a_countable_thing_is_held_in_any_language_the_count_classes_list() -> None:
    """Sorani "تاوەری" (towers) and "بەشداربووی" (subscribers), Kurmanji "abone": no pack article
    uses them, so no bridge carried them and the company-profile passage held only "زاگرۆس" by
    word (relevance 0.61, under the threshold). The count classes list each countable thing in
    ar, ckb, ku and en; they are the word's forms now, whether or not the question counts it."""
    from nura_appliance.knowledge.hybrid import QueryTerms, Weights, evidence, passage_terms

    profile = frozenset(passage_terms("عدد الأبراج: 4,200 برج. عدد المشتركين: 6.4 مليون مشترك"))
    for question, word in (
        ("زاگرۆس چەند تاوەری هەیە", "تاوەری"),
        ("زاگرۆس چەند بەشداربووی هەیە", "بەشداربووی"),
        ("Zagros çend abone hene", "abone"),
    ):
        query = QueryTerms.of(question)
        weights = Weights.of(query, {"برج": 1, "ابراج": 1, "مشترك": 2, "مشتركين": 2}, 20)
        held = evidence(query, profile, weights)
        thing = QueryTerms.of(word).units[0][0]
        assert thing in held.words, question  # held as a word, not only by the count's value
    assert "برج" in QueryTerms.of("how many towers").terms  # and searched for
    assert not any("برج" in forms or "مشترك" in forms for _, forms in QueryTerms.of("طريقة عمل الدولمه").units)


def test_a_loanword_keeps_its_translation_beside_its_spelling() -> None:
    """Outside a wide tie of names, a word that spells one candidate keeps its other translation
    too (Sorani "کارت" is "كروت" and "بطاقة"), but not another word's name ("iran" is not "تركيا",
    which "turkey" spells)."""
    from nura_appliance.knowledge.bridge import _link

    table = _link(
        {
            "كارت": [(0.8, "بطاق"), (0.8, "كروت")],
            "iran": [(0.9, "اير"), (0.9, "تركيا")],
            "turkey": [(0.9, "اير"), (0.9, "تركيا")],
        },
        set(),
    )
    assert set(table["كارت"]) == {"كروت", "بطاق"}
    assert table["iran"] == ("اير",) and table["turkey"] == ("تركيا",)


def test_an_arabic_word_the_handbook_writes_gets_no_other_languages_words() -> None:
    """The count classes and the profile groups carry a Kurdish or English word to the handbook's
    Arabic; an Arabic question word the handbook writes itself keeps its own forms ("خط" needs no
    "xet" or "lines": they would only draw the handbook's English or Kurdish lines)."""
    from nura_appliance.knowledge.hybrid import QueryTerms

    bridge = Bridge({}, ["خط", "برج", "lines"])
    forms = dict(QueryTerms.of("كم خط", bridge).units)
    assert "xet" not in forms["خط"] and "lines" not in forms["خط"]
    assert "برج" in dict(QueryTerms.of("how many towers", bridge).units)["tower"]
    assert "خط" in dict(QueryTerms.of("çend xet", bridge).units)["xet"]
