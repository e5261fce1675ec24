"""The pure parts of the AI feature: the answer guard, extractive answers, context compression,
conversation memory, the circuit breaker, the price table and classification parsing."""

from __future__ import annotations

import pytest

from nura_appliance.ai.breaker import CircuitBreaker
from nura_appliance.ai.guard import (
    answer_types,
    check_answer,
    extract_answer,
    extract_best,
    new_values,
    pick_passage,
    same_language,
)
from nura_appliance.ai.ledger import UsageLedger, parse_prices
from nura_appliance.ai.prompts import Passage, build_messages, clean_text, compress, memory_messages
from nura_appliance.ai.providers import ProviderError, estimate_tokens
from nura_appliance.ai.service import parse_classification
from nura_appliance.errors import ConfigError
from nura_appliance.storage.base import TurnRecord

EN = Passage(
    "chunk",
    "1",
    "Roaming",
    "International roaming must be activated before travel by dialling *170#. "
    "Roaming data costs 5000 IQD per day in neighbouring countries.",
    0.9,
    doc="roaming.md",
    n=1,
)
AR = Passage(
    "chunk",
    "2",
    "التجوال",
    "يجب تفعيل التجوال الدولي قبل السفر بطلب *170#. تكلفة بيانات التجوال 5000 دينار يومياً في الدول المجاورة.",
    0.85,
    doc="roaming.md",
    n=2,
)
KU = Passage(
    "chunk",
    "3",
    "Roaming",
    "Roamînga navneteweyî divê berî rêwîtiyê bi lêxistina *170# were çalakkirin. Daneyên roamîngê rojê 5000 IQD ne.",
    0.8,
    doc="roaming.md",
    n=3,
)
SCOPE = "I'm the customer service assistant and can only help with our services."


def verdict(text: str, lang: str = "en", finish: str | None = "stop", passages: list[Passage] | None = None):
    return check_answer(text, finish, lang, passages or [EN, AR, KU], SCOPE, min_overlap=0.5)


def test_guard_accepts_a_grounded_answer_and_strips_citations() -> None:
    result = verdict("Dial *170# before you travel to activate roaming [1].")
    assert result.ok and result.cited == [1]
    assert result.text == "Dial *170# before you travel to activate roaming."
    arabic = verdict("فعّل التجوال الدولي قبل السفر بطلب *170# [2].", lang="ar")
    assert arabic.ok and arabic.cited == [2]
    kurdish = verdict("Berî rêwîtiyê roamînga navneteweyî bi *170# çalak bike [3].", lang="ku")
    assert kurdish.ok, kurdish.reason


def test_guard_attributes_uncited_answers_to_the_closest_passage() -> None:
    result = verdict("Roaming data costs 5000 IQD per day in neighbouring countries.")
    assert result.ok and result.cited == [1]


@pytest.mark.parametrize(
    ("text", "lang", "finish", "reason"),
    [
        ("", "en", "stop", "empty"),
        ("[1]", "en", "stop", "empty"),
        ("Roaming must be activated before travel", "en", "length", "cut_off"),
        ("يجب تفعيل التجوال قبل السفر [2].", "en", "stop", "wrong_language"),
        ("Roaming must be activated before travel [1].", "ar", "stop", "wrong_language"),
        ("Roaming must be activated before travel [1].", "ku", "stop", "wrong_language"),
        ("Roaming must be activated before travel [9].", "en", "stop", "cites_nothing_retrieved"),
        ("Roaming data costs 2500 IQD per day [1].", "en", "stop", "invented_number"),
        ("Our friendly shop sells phones, chargers and lovely covers today.", "en", "stop", "low_overlap"),
    ],
)
def test_guard_rejects(text: str, lang: str, finish: str, reason: str) -> None:
    result = verdict(text, lang=lang, finish=finish)
    assert not result.ok and result.reason == reason


def test_guard_recognises_the_scope_message_as_declining() -> None:
    result = verdict(SCOPE)
    assert result.declined and not result.ok


def test_language_check() -> None:
    assert same_language("Dial *170# to activate roaming.", "en")
    assert same_language("فعّل التجوال بطلب *170#", "ar")
    assert not same_language("Dial *170# to activate roaming.", "ar")


def test_extractive_answer_prefers_the_customers_language_and_the_matching_sentences() -> None:
    assert pick_passage([EN, AR, KU], "ar") is AR
    assert pick_passage([EN, AR, KU], "en") is EN
    weak_ar = Passage("chunk", "9", "", AR.text, 0.2)
    assert pick_passage([EN, weak_ar], "ar") is EN  # a far weaker translation is not preferred
    long = Passage(
        "chunk",
        "5",
        "",
        " ".join(
            [f"Filler sentence number {i} about nothing in particular." for i in range(20)]
            + ["Roaming is activated by dialling *170# before travel."]
        ),
        0.9,
    )
    answer = extract_answer("How do I activate roaming?", long, max_chars=200)
    assert "*170#" in answer and len(answer) <= 200


def test_extractive_answer_prefers_the_asked_kind_of_value() -> None:
    desk = Passage(
        "chunk",
        "20",
        "Corporate customers",
        "The Business Desk serves companies with 10 lines or more. Contact desk@example.com or call"
        " 0771 133 5050, Sunday to Thursday. Corporate lines get monthly invoicing.",
        0.8,
    )
    # The sentence naming the desk holds no phone number: the next one, which does, comes with it.
    assert "0771 133 5050" in extract_answer("business desk phone number", desk)
    # Asked for how many lines, the first sentence alone answers.
    assert extract_answer("how many lines does a company need for the business desk", desk) == (
        "The Business Desk serves companies with 10 lines or more."
    )
    balance = Passage(
        "chunk",
        "21",
        "الرصيد والتعبئة",
        "لمعرفة الرصيد اطلب *120# مجانًا.\nلتعبئة الرصيد بكارت اطلب *121* ثم رقم الكارت ثم #.",
        0.8,
    )
    # "معرفة" is held by "لمعرفة" (a one-letter proclitic), so the code that answers is the first.
    assert extract_answer("ما كود معرفة الرصيد", balance).startswith("لمعرفة الرصيد اطلب *120#")
    assert answer_types("كم رسوم حجز الرقم المميز") == {"price"}  # the number is the product here
    assert answer_types("فرعكم في اربيل وينه بالضبط") == {"address"}  # not "ضبط" (adjust) a setting
    assert answer_types("what time does the branch open") == {"time"}
    assert answer_types("ما هي إعدادات APN") == {"setting"}
    assert answer_types("hello there") == set()
    # "for how much" asks a price in Sorani and Kurmanji; "how many" alone asks a count, not a price
    assert answer_types("ڕاوتەری 5G ی ماڵەوە بە چەندە") == {"price"}
    assert answer_types("SIM karta winda bi çend tê guhertin") == {"price"}
    assert answer_types("زاگرۆس چەند تاوەری هەیە") == {"count"}
    assert answer_types("in the nahri app how much is the dijla bundle") == {"price"}
    assert answer_types("how much data is left") == set()
    assert answer_types("business desk email address") == {"email"}  # not a street address
    # "phone" is the device unless a word asks for its number
    assert answer_types("how do i move my esim to new phone") == set()
    assert answer_types("business desk phone number") == {"phone"}
    assert answer_types("ما هو رقم هاتف فرع البصرة") == {"phone"}


def test_a_faq_question_brings_its_answer_and_an_email_question_its_address() -> None:
    faq = Passage(
        "chunk",
        "1",
        "أسئلة متكررة",
        "هل يوجد رقم واتساب للدعم؟ نعم: 0750 445 9999 للمحادثة فقط.\n"
        "ما سرعة الجيل الخامس المتوقعة؟ تتراوح السرعة بين 150 و600 ميغابت/ثانية.\n"
        "كم مدة صلاحية كارت التعبئة؟ سنتين من تاريخ الطباعة.",
        0.9,
    )
    assert "150 و600" in extract_answer("شكد سرعة الجيل الخامس عندكم", faq)
    desk = Passage(
        "chunk",
        "2",
        "Corporate customers",
        "Nahr Business Desk serves companies with 10 lines or more. Contact business@nahr.example "
        "or call 0771 133 5050. Corporate lines get a dedicated account manager.",
        0.8,
    )
    assert "business@nahr.example" in extract_answer("business desk email address", desk)


def test_new_values_is_the_particular_a_confident_article_lacks() -> None:
    """A handbook passage adds a value of the asked kind only when the article does not hold it."""
    article = "لاستخراج شريحة بنفس الرقم زر أي فرع بالبطاقة الوطنية. الإيقاف مجاني."
    row = "الخدمة: استبدال شريحة تالفة أو مفقودة (بدل فاقد)، الرسم: 4,500 دينار"
    assert new_values(row, article, frozenset({"price"}))
    assert not new_values(row, article + " رسوم البدل 4500 دينار.", frozenset({"price"}))  # held, separators aside
    assert not new_values(row, article, frozenset({"address"}))  # no value of the asked kind
    branches = "لدينا فروع في بغداد وأربيل، وفرع الكرادة في شارع 62."
    assert new_values("المدينة: كركوك، العنوان: شارع القدس، عمارة النخيل", branches, frozenset({"address"}))
    assert not new_values(
        "العنوان: شارع 62، قرب ساحة الواثق", branches + " شارع 62، قرب ساحة الواثق", frozenset({"address"})
    )


def test_clean_text_keeps_ussd_codes_and_drops_markdown() -> None:
    assert clean_text("## Roaming\n- **Dial** `*170#` | now\n---\n> note") == "Roaming\nDial *170# now\nnote"


def test_compress_dedupes_strips_repeated_lines_and_respects_the_budget() -> None:
    dup = Passage("article", "roaming", "Roaming", EN.text + " ", 0.7)
    header = "Sanad Telecom handbook — internal\n"
    a = Passage("chunk", "10", "A", header + "Bills are issued on the first day of each month.", 0.6)
    b = Passage("chunk", "11", "B", header + "Payment is due by the fifteenth of the month.", 0.5)
    kept = compress([dup, EN, a, b], budget_tokens=1000)
    assert [p.ref for p in kept] == ["1", "10", "11"]  # the article duplicating chunk 1 went
    assert [p.n for p in kept] == [1, 2, 3]
    assert "internal" in kept[1].text and "internal" not in kept[2].text  # the repeated header went
    long = Passage("chunk", "12", "", "This is a sentence about billing. " * 100, 0.95)
    small = compress([long, EN], budget_tokens=120)
    assert sum(estimate_tokens(p.text) + 8 for p in small) <= 120
    assert small[0].text.endswith(".")  # cut at a sentence boundary


def test_compress_in_the_given_order_keeps_a_lower_scored_chunk_whole() -> None:
    article = Passage("article", "a1", "Complaints", "File a complaint in the app or at any branch. " * 12, 0.77)
    chunk = Passage("chunk", "c1", "FAQ", "Is there a WhatsApp number for support? Yes: 0750 445 9999.", 0.69)
    by_score = compress([chunk, article], budget_tokens=100)
    assert by_score[0].ref == "a1" and all("9999" not in p.text for p in by_score)  # crowded out
    ordered = compress([chunk, article], budget_tokens=100, ordered=True)
    assert ordered[0].ref == "c1" and "0750 445 9999" in ordered[0].text and ordered[0].n == 1


def test_prompt_carries_names_numbered_context_and_memory() -> None:
    turns = [
        TurnRecord("s", "customer", "hi", 1.0),
        TurnRecord("s", "bot", "Hello!", 2.0),
        TurnRecord("s", "customer", "roaming?", 3.0),
        TurnRecord("s", "customer", "price?", 4.0),
    ]
    memory = memory_messages(turns)
    assert memory == [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello!"}]
    messages = build_messages(
        question="How much?",
        lang="ku",
        passages=[EN, KU],
        memory=memory,
        company="Sanad Telecom",
        agent="Nura",
        scope=SCOPE,
    )
    system = messages[0]["content"]
    assert system.startswith("Tu Nura î") and "Sanad Telecom" in system and SCOPE in system
    assert "[1] (Roaming) International roaming" in system and "[3] (Roaming)" in system
    assert messages[-1] == {"role": "user", "content": "How much?"}


def test_breaker_opens_at_once_on_outages_and_after_repeated_soft_failures() -> None:
    now = [100.0]
    breaker = CircuitBreaker(10, clock=lambda: now[0])
    breaker.record_failure(ProviderError("refused", kind="unavailable"))
    assert not breaker.allows_traffic() and not breaker.probe_due()
    now[0] += 10
    assert breaker.probe_due()
    breaker.record_failure(ProviderError("still down", kind="timeout"))
    assert breaker.snapshot().open_until == pytest.approx(20)  # the cool-down doubled
    breaker.record_success()
    assert breaker.allows_traffic() and breaker.snapshot().state == "closed"
    for _ in range(2):
        breaker.record_failure(ProviderError("500", kind="server_error"))
    assert breaker.allows_traffic()
    breaker.record_failure(ProviderError("500", kind="server_error"))
    assert not breaker.allows_traffic()
    busy = CircuitBreaker(10)
    for _ in range(5):
        busy.record_failure(ProviderError("queue full", kind="busy"))
    assert busy.allows_traffic()  # load is not an outage
    limited = CircuitBreaker(10, clock=lambda: 0.0)
    limited.record_failure(ProviderError("429", kind="rate_limited", retry_after=90))
    assert limited.snapshot().open_until == pytest.approx(90)


def test_price_table_and_costs() -> None:
    prices = parse_prices("gpt-4o-mini=0.15/0.60, my-model=1")
    assert prices == {"gpt-4o-mini": (0.15, 0.60), "my-model": (1.0, 0.0)}
    ledger = UsageLedger(None, prices)  # type: ignore[arg-type]
    assert ledger.cost("openai", "gpt-4o-mini", 1_000_000, 1_000_000) == pytest.approx(0.75)
    assert ledger.cost("openai", "gpt-4o-mini-2024-07-18", 1_000_000, 0) == pytest.approx(0.15)
    assert ledger.cost("local", "gpt-4o-mini", 1_000_000, 0) == 0
    assert ledger.cost("openai", "unknown", 1_000_000, 0) == 0
    for bad in ("gpt-4o-mini", "=1/2", "m=abc/1"):
        with pytest.raises(ConfigError):
            parse_prices(bad)


def test_classification_parsing() -> None:
    labels = ["billing", "roaming"]
    assert parse_classification('{"intent": "Roaming", "sentiment": "ANGRY", "confidence": 7}', labels) == {
        "intent": "roaming",
        "sentiment": "neutral",
        "confidence": 1.0,
    }
    assert parse_classification('noise {"intent": "weather"} {"intent": "billing"}', labels)["intent"] == "billing"
    assert parse_classification("billing", labels) is None
    assert parse_classification('{"intent": "billing", "confidence": "high"}', labels)["confidence"] == 0.5


def test_counts_and_contact_numbers_are_asked_values() -> None:
    """ "How many days" asks for a number of days, "the number of the Duhok branch" for a phone
    number; "my number" and a price question do not."""
    from nura_appliance.knowledge.values import counted, value_kinds

    assert answer_types("كم يوم يبقى الرقم المميز محجوز") == {"count"}
    assert counted("how many of your towers support 5g".split()) == {"towers"}
    assert answer_types("pakêta Pirmam çend roj e") == {"count"}
    assert answer_types("كم سعر باقة المريخ") == {"price"}  # a price, not a count
    assert answer_types("رقم فرع دهوك") == {"phone"}
    assert answer_types("fraud reporting number") == {"phone"}
    assert answer_types("how do i keep my number") == set()
    assert value_kinds("الأرقام المميزة تُحجز لمدة 7 أيام بعد دفع رسم الحجز", {"count"}) == {"count"}
    assert value_kinds("تُحجز الأرقام المميزة من أي فرع", {"count"}) == frozenset()


def test_what_a_pass_includes_and_how_much_the_definite_thing_costs() -> None:
    from nura_appliance.knowledge.values import value_kinds

    assert answer_types("what does the zone 2 roaming pass include") == {"allowance"}
    assert value_kinds("المنطقة: المنطقة 2، يشمل: 1 GB + 30 دقيقة", {"allowance"}) == {"allowance"}
    assert answer_types("كم الباقة الشهرية") == {"price"}  # "كم" + a definite noun: its price
    assert answer_types("كم يوم") == {"count"}  # "كم" + an indefinite noun: how many


def test_a_count_is_of_the_thing_counted() -> None:
    """ "How many towers" is answered by a number of towers, not by "600 ميغابت": the counted word
    names its class in ar, ckb, ku and en, and only a number of that thing holds it — in the
    search's coverage and in the sentence the extractive answer picks."""
    from nura_appliance.knowledge.hybrid import QueryTerms, Weights, evidence, passage_terms
    from nura_appliance.knowledge.normalize import normalize
    from nura_appliance.knowledge.values import count_kind, value_kinds

    assert count_kind(normalize("towers")) == count_kind(normalize("تاوەری")) == "count:tower"
    assert count_kind(normalize("يوم")) == count_kind(normalize("ڕۆژ")) == "count:day"
    assert count_kind(normalize("خطوط")) == "count:line"
    assert count_kind(normalize("شي")) == "count"  # a thing no class names: any number of anything
    assert value_kinds("عدد الأبراج: 4,200 برج", {"count:tower"}) == {"count:tower"}
    assert value_kinds("تتراوح السرعة بين 150 و600 ميغابت/ثانية", {"count:tower"}) == frozenset()
    assert value_kinds("تتراوح السرعة بين 150 و600 ميغابت/ثانية", {"count"}) == {"count"}

    query = QueryTerms.of("how many of your towers support 5g")
    assert query.asks == {"tower": frozenset({"count:tower"})}
    weights = Weights.of(query, {"دعم": 2, "5g": 2, "برج": 1}, 10)
    speed = "في المناطق المغطاة بالجيل الخامس 5g تتراوح السرعة بين 150 و600 ميغابت، وتحتاج هاتفاً يدعم n78"
    held = evidence(query, frozenset(passage_terms(speed)), weights, value_kinds(speed, query.kinds))
    assert held.by_value == 0.0  # no number of towers

    sorani = QueryTerms.of("زاگرۆس چەند تاوەری هەیە")
    passage = Passage(
        "chunk",
        "1",
        "",
        "تأسست زاگروس موبايل عام 2009 في مدينة السليمانية.\nعدد الأبراج: 4,200 برج، منها 640 برج تدعم الجيل الخامس 5G.",
        0.6,
    )
    assert extract_answer("زاگرۆس چەند تاوەری هەیە", passage, query=sorani).startswith("عدد الأبراج")


def test_a_share_is_asked_and_answered_by_a_percentage() -> None:
    """ "coverage percentage", "نسبة التغطية", "ڕێژەی" ask for a share; "88%" answers it and is a
    value a confident article without it lacks."""
    from nura_appliance.knowledge.values import value_kinds

    assert answer_types("nahr 4g coverage percentage") == {"percent"}
    assert "percent" in answer_types("شنو نسبة تغطية الجيل الرابع")
    assert value_kinds("يغطي الجيل الرابع 88% من مناطق الجنوب", {"percent"}) == {"percent"}
    assert value_kinds("يغطي الجيل الرابع 88 منطقة", {"percent"}) == frozenset()
    assert new_values("الجيل الرابع 88% من مناطق الجنوب", "Download the Nahri app", frozenset({"percent"}))


def test_the_answer_sentence_may_come_from_a_passage_ranked_second():
    """The passage ranking counts the question's words wherever they stand; the answer is the one
    sentence holding most of them, whichever of the relevant passages it is in."""
    packages = Passage(
        "chunk",
        "30",
        "باقات نهر الشهرية",
        "تُفعَّل الباقات بالكود ثم رقم الباقة، أو من تطبيق نهري.\n"
        "باقة الأهوار تخضع لسياسة الاستخدام العادل على الشبكة: بعد 300 GB تنخفض السرعة.",
        0.86,
        words={"رقم": 0.3, "شبك": 0.4},
    )
    profile = Passage(
        "chunk",
        "31",
        "من نحن",
        "نهر تيليكوم شركة اتصالات تأسست عام 2016 في البصرة.\n"
        "خط خدمة المشتركين 133 مجاني، ومن الشبكات الأخرى اتصل على 0771 133 0000.",
        0.76,
        words={"خدم": 0.5, "مشترك": 0.5, "شبك": 0.4},
    )
    question = "رقم خدمة المشتركين من شبكة ثانية شنو"
    # Each passage alone gives its own best sentence ...
    assert "الأهوار" in extract_answer(question, packages)
    # ... and between them the hotline sentence, which holds the question together, answers.
    found = extract_best(question, [packages, profile])
    assert found is not None
    chosen, body = found
    assert chosen is profile and "0771 133 0000" in body
    # A passage holding no more of the question than the first leaves the first's sentence.
    assert extract_best(question, [packages, packages])[0] is packages  # type: ignore[index]
    assert extract_best(question, []) is None


def test_a_sentence_holding_the_question_word_itself_beats_one_holding_its_concept():
    """The words "corporate" and "companies" are one lexicon concept (business); the sentence with the
    customer's own word answers "what does a corporate line get"."""
    desk = Passage(
        "chunk",
        "32",
        "Corporate customers",
        "Nahr Business Desk serves companies with 10 lines or more. Call 0771 133 5050."
        " Corporate lines get a dedicated account manager and monthly invoicing.",
        0.9,
    )
    assert extract_answer("what does a corporate line get", desk).startswith("Corporate lines get")
