"""Question terms of the handbook search (issue 17): numbers that name a thing, English plurals of
the handbook's loanwords, "how long"."""

from __future__ import annotations

from nura_appliance.knowledge.bridge import Bridge
from nura_appliance.knowledge.hybrid import QueryTerms
from nura_appliance.knowledge.values import identifiers, names_other_item


def test_a_number_after_a_word_names_the_thing_and_a_number_before_a_unit_is_an_amount() -> None:
    assert identifiers("how much is the zone 4 roaming pass") == {"4"}
    assert identifiers("خط 133 لحد الساعة كم يشتغل") == {"133"}
    assert identifiers("سعر ايفون ١٥ عدكم") == {"15"}
    for amount in (
        "كم نجمة احتاج حتى آخذ 1 جيگا",
        "خطي موقوف لأن ما استخدمته 4 شهور، شكد رسوم إعادة تفعيله",
        "250 نجمة شكد دقيقة تنطيني",
        "compensation after a 24 hour outage",
        "عندي رصيد 1,000 دينار",
    ):
        assert identifiers(amount) == frozenset(), amount


def test_a_passage_without_the_named_number_is_about_another_item() -> None:
    zone4 = identifiers("how much is the zone 4 roaming pass")
    assert names_other_item(zone4, "المنطقة: المنطقة 3، السعر اليومي: 16,000 دينار")
    assert not names_other_item(identifiers("what does the zone 2 roaming pass include"), "المنطقة: المنطقة ٢، 9,500")
    assert not names_other_item(frozenset(), "any passage")
    # a grouped number is read whole and in its parts: "1,250" holds "1250" and "250"
    assert not names_other_item(frozenset({"250"}), "الاشتراك الشهري 1,250 دينار")
    assert not names_other_item(identifiers("خط 133 لحد الساعة كم يشتغل"), "اتصل بـ 133 من أي خط")


def test_an_english_plural_meets_the_handbooks_loanword_by_its_singular() -> None:
    bridge = Bridge({}, ["بطاري", "راوتر"])
    assert bridge.names_for("batteries") == {"بطاري"}
    assert bridge.names_for("routers") == {"راوتر"}
    assert bridge.names_for("battery") == {"بطاري"}


def test_how_long_asks_and_is_no_word_of_the_topic() -> None:
    units = [unit for unit, _ in QueryTerms.of("how long is the warranty on batteries").units]
    assert "long" not in units and "warranty" in units
    assert "long" in [unit for unit, _ in QueryTerms.of("long distance calls").units]


def test_an_arabic_word_meets_the_handbooks_english_section_through_the_bridge_read_backwards() -> None:
    """A handbook that writes a section in English ("Turkey: Anatel", "Zagros MMS"): the pack's
    bridge maps English words to Arabic ones; read backwards it gives an Arabic question word the
    handbook's English word — only words the handbook has."""
    table = {"en": {"turkey": ("تركيا",), "roam": ("تجوال",), "zagro": ("زاكروس",)}}
    bridge = Bridge(table, ["turkey", "anatel", "zagro", "تركيا"])
    assert bridge.english_for("تركيا") == {"turkey"}
    assert "zagro" in bridge.translations("زاكروس", False)
    assert bridge.english_for("تجوال") == set()  # "roam": not a word of this handbook
    assert bridge.english_for("تركيا", sorani=True) == set()
    assert Bridge(table).english_for("تركيا") == set()  # no handbook vocabulary: nothing to meet


def test_a_company_profile_word_meets_the_handbook_in_any_language() -> None:
    """Words of an operator's history, people and policies that no pack article uses: Kurmanji
    "damezrandin" (founded), English "launch", "fraud", "ceo", Sorani "بەدواداچوون" (follow-up) meet
    the Arabic handbook's "تأسست", "إطلاق", "احتيال", "الرئيس التنفيذي", "متابعة"."""
    from nura_appliance.knowledge.hybrid import Weights, evidence, passage_terms

    cases = (
        ("Zagros kengî hat damezrandin", "damezrandin", "تأسست زاگروس موبايل عام 2009"),
        ("when did zagros launch 5g", "launch", "إطلاق الجيل الخامس: تشرين الأول 2024"),
        ("fraud reporting number", "fraud", "قسم الاحتيال: 4488"),
        ("who is the ceo of zagros", "ceo", "الرئيس التنفيذي: دلشاد كريم"),
        ("ژمارەی بەدواداچوونی سکاڵا چەندە", "بەدواداچوونی", "متابعة الشكاوى: 4499"),
    )
    for question, word, passage in cases:
        query = QueryTerms.of(question)
        unit = QueryTerms.of(word).units[0][0]
        held = evidence(query, frozenset(passage_terms(passage)), Weights.of(query, {}, 20))
        assert unit in held.words, (question, held.words)
    # "main" is not the chief: "المقر الرئيسي" does not hold "ceo"
    query = QueryTerms.of("who is the ceo")
    held = evidence(query, frozenset(passage_terms("المقر الرئيسي: السليمانية")), Weights.of(query, {}, 20))
    assert not held.words


def test_a_code_with_its_number_names_the_thing_and_5g_is_also_the_fifth_generation() -> None:
    """ "6g", "n78": a name with its number in it. "when will zagros launch 6g" is not answered by
    the 5G launch date; "5g" is held by "الجيل الخامس", "4g" by "الجيل الرابع". Arabizi words with
    digits for letters ("se3r", "ba8at") are words, not codes."""
    assert identifiers("when will zagros launch 6g") == {"6g"}
    assert names_other_item({"6g"}, "إطلاق الجيل الخامس: تشرين الأول 2024")
    assert not names_other_item({"5g"}, "إطلاق الجيل الخامس: تشرين الأول 2024")
    assert not names_other_item({"4g"}, "تغطية الجيل الرابع 88%")
    assert not names_other_item({"n78"}, "5G: n78 (3.5 GHz)")
    assert identifiers("shgad se3r ba8at gara") == frozenset()


def test_the_address_of_a_setting_is_the_setting_asked_for() -> None:
    """ "what is the mmsc address": the address is the URL asked for, not a street and not a word of
    the topic (held by no passage, it made the MMS settings block lone: not quoted)."""
    from nura_appliance.knowledge.values import answer_types

    assert answer_types("what is the mmsc address") == {"setting"}
    assert [unit for unit, _ in QueryTerms.of("what is the mmsc address").units] == ["mmsc"]
    assert "address" in answer_types("address of the basra branch")
    assert len(QueryTerms.of("عنوان فرع البصرة").units) == 3  # a street address: the word stays


def test_a_dialect_noun_with_a_preposition_and_a_possessive_is_the_noun() -> None:
    """ "كم يوم يحتفظون برقمي بعد ما تخلص صلاحيته": "برقمي" (with my number) is "رقم", "صلاحيته" (its
    validity) is "الصلاحية" — the light stemmer kept both whole, and the handbook's "مدة الاحتفاظ
    بالرقم بعد انتهاء الصلاحية: 90 يوماً" held one word of six."""
    from nura_appliance.knowledge.hybrid import word_forms
    from nura_appliance.knowledge.normalize import normalize, stem

    assert "رقم" in word_forms(normalize("برقمي"))
    assert stem(normalize("الصلاحية")) in word_forms(normalize("صلاحيته"))
    assert stem(normalize("الفاتورة")) in word_forms(normalize("فاتورتكم"))
    assert "بنان" not in word_forms(normalize("لبنان"))  # no possessive: a name, not "ل" + noun


def test_a_sorani_spelling_of_an_arabic_place_name_meets_the_handbooks_name() -> None:
    """Round 12: Sorani writes "الناصرية" as "ناسریە" (س for ص, ە for ة); no pack article names
    the city, so no bridge carried it and "لقی نەهر لە ناسریە لە کوێیە" met only "branch" and "Nahr"
    (every branch row alike, 0.46). Read as Arabic it has the handbook term's skeleton."""
    from nura_appliance.knowledge.normalize import normalize

    bridge = Bridge({}, ["ناصري", "بصر", "كوت", "شارع"])
    assert bridge.sorani_names_for(normalize("ناسریە")) == {"ناصري"}
    assert "ناصري" in bridge.translations(normalize("ناسریە"), True)
    assert bridge.sorani_names_for(normalize("بەسرە")) == {"بصر"}
    assert bridge.translations(normalize("ناسریە"), False) == set()  # an Arabic question: not read so
    assert bridge.sorani_names_for(normalize("شارع")) == set()  # a word the handbook has
    assert Bridge({}).sorani_names_for(normalize("ناسریە")) == set()  # no handbook vocabulary


def test_a_verb_meets_the_handbooks_verbal_noun_by_its_root() -> None:
    """Round 13: a customer writes the verb ("احول" I transfer, "جمدت" I froze, "بيخصموا" they
    deduct), the handbook the verbal noun ("تحويل", "تجميد", "خصم"); the light stemmer keeps each
    whole. A question word the handbook lacks meets the handbook's words of its three-letter root —
    not a word the handbook has, not a root the handbook writes in many words."""
    from nura_appliance.knowledge.bridge import MAX_DERIVED

    bridge = Bridge({}, ["تحويل", "تجميد", "خصم", "رصيد", "استرجاع"])
    assert bridge.derived_for("احول") == {"تحويل"}
    assert bridge.derived_for("جمدت") == {"تجميد"}
    assert bridge.derived_for("بيخصموا") == {"خصم"}
    assert bridge.derived_for("رجعت") == {"استرجاع"}
    assert bridge.derived_for("رصيد") == set()  # the handbook has the word itself
    assert bridge.derived_for("transfer") == set() and bridge.derived_for("ڕۆژانە") == set()
    assert Bridge({}).derived_for("احول") == set()  # no handbook vocabulary: nothing to meet
    common = Bridge({}, ["تحويل", "يحول", "تحول", "نحول", "حول"][: MAX_DERIVED + 1])
    assert common.derived_for("احول") == set()  # a root written in too many words tells nothing
    forms = dict(QueryTerms.of("اريد احول رصيد لاخوي", bridge).units)
    assert "تحويل" in forms["احول"]
    # beside a confident article the search reads the question without them
    assert "تحويل" not in dict(QueryTerms.of("اريد احول رصيد لاخوي", bridge, derive=False).units)["احول"]


def test_an_ordinal_after_a_noun_names_the_thing_as_a_number_does() -> None:
    """Round 13: "متى يطلق الجيل السادس" (6G, out of scope) met the 5G launch line once its verb
    met "إطلاق"; the ordinal names the generation as "6g" does, and a passage holding only the
    fifth is about another item. A month's name is no ordinal of a thing."""
    launch = "- إطلاق الجيل الخامس: تشرين الأول 2024 في أربيل. عدد المشتركين: 6.4 مليون"
    assert identifiers("متى يطلق الجيل السادس") == {"6g"}
    assert names_other_item(identifiers("متى يطلق الجيل السادس"), launch)
    assert not names_other_item(identifiers("متى اطلقتم الجيل الخامس"), launch)
    assert identifiers("المنطقة الرابعة بيش") == {"4"}
    assert names_other_item(identifiers("المنطقة الرابعة بيش"), "المنطقة: المنطقة 3، 16,000 دينار")
    assert identifiers("شنو عروض تشرين الأول") == frozenset()
