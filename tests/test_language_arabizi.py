"""Arabizi read with the knowledge base's own words (issue 16, second pass): detection evidence,
candidate spellings checked against the operator's vocabulary, Latin product names kept, and the
message pipeline reading an article's words as soon as the article is saved."""

from __future__ import annotations

from typing import Any

import pytest
from auth_helpers import bearer, staff_tokens
from conftest import new_session

from nura_appliance.conversation.pipeline import arabic_vocabulary
from nura_appliance.knowledge.arabizi import transliterate, vocabulary_of
from nura_appliance.knowledge.language import arabizi_text, detect
from nura_appliance.knowledge.latin_words import arabizi_evidence, arabizi_word
from nura_appliance.knowledge.normalize import normalize

PRODUCT = {
    "id": "phone-instalments",
    "category": "devices",
    "title": {"ar": "شراء الهواتف بالأقساط الشهرية", "en": "Phones in monthly instalments"},
    "body": {
        "ar": "يمكنك شراء iPhone أو Samsung بالأقساط على 12 شهراً من أي فرع، مع عقد ونسخة من الهوية.",
        "en": "Buy an iPhone or a Samsung phone in 12 monthly instalments at any branch.",
    },
    "examples": {"ar": ["اريد اشتري موبايل بالتقسيط"]},
    "keywords": ["أقساط", "تقسيط"],
}


@pytest.mark.parametrize(
    ("text", "arabizi"),
    [
        ("kam tkallif el di8i8a lel almanya", True),  # 8 is ق; "el" written apart
        ("nseet el basword mal el app shsawi", True),  # no digit, but the article and dialect words
        ("shu hal sharika el fashle", True),
        ("ma da a8dar asawwi login bil tatbee8", True),
        ("gr8 service thanks", False),  # English chat spelling, not Arabic letters
        ("my data is slow in the el mansour area", False),  # one "el" among English words
        ("5g and 4g not working", False),
        ("internet hedi ye", False),  # Kurmanji
    ],
)
def test_arabizi_detection_by_its_evidence(text: str, arabizi: bool) -> None:
    assert (arabizi_text(text) is not None) == arabizi
    assert detect(text)[0] == ("ar" if arabizi else detect(text)[0])


def test_evidence_weights() -> None:
    assert arabizi_word("di8i8a") and not arabizi_word("gr8") and not arabizi_word("10gb")
    assert arabizi_evidence(["el", "net"]) == 1.0  # the article before a word
    assert arabizi_evidence(["net", "el"]) == 0.0  # a trailing "el" is nothing
    assert arabizi_evidence(["basword"]) == 0.5  # a listed dialect word
    assert arabizi_evidence(["internet", "data", "sim"]) == 0.0  # shared with English


def test_the_knowledge_bases_words_decide_unlisted_spellings() -> None:
    vocabulary = arabic_vocabulary([PRODUCT])
    assert "اقساط" in vocabulary and "latin:iphone" in vocabulary  # article stripped; Latin kept apart
    text = "abi ashtiri iphone bil a8sa6"
    without, with_words = transliterate(text), transliterate(text, vocabulary)
    assert "بالاقساط" not in normalize(without)
    assert normalize(with_words) == normalize("ابي اشتري iphone بالاقساط")  # the product name stays Latin
    # the dialect lexicon keeps its readings: a clitic reading of the vocabulary does not override it
    tries = vocabulary_of(["حاول مرة أخرى"])
    assert normalize(transliterate("7awlni 3ala mowaddaf", tries)) == normalize("حولني على موظف")
    # short words are not decided by the vocabulary
    assert transliterate("ma", vocabulary_of(["مع"])) == transliterate("ma")


def test_vocabulary_of_ignores_what_is_not_a_word() -> None:
    words = vocabulary_of(["📞 *211# 5G", "", "والباقات، بالانترنت!"])
    assert "باقات" in words and "والباقات" in words and "انترنت" in words
    assert not any(w.startswith("latin:") and not w[6:].isalpha() for w in words)


async def test_the_pipeline_reads_arabizi_with_a_new_articles_words(app: Any, client: Any) -> None:
    question = "abi ashtiri iphone bil a8sa6"
    before = await new_session(client, question, lang="ar")
    assert before.get("article_id") != "phone-instalments"
    admin = bearer((await staff_tokens(app, client))["admin"])
    created = await client.post("/v1/knowledge/articles", json=PRODUCT, headers=admin)
    assert created.status_code == 201, created.text
    after = await new_session(client, question, lang="ar")
    assert after["kind"] == "article" and after["article_id"] == "phone-instalments", after
    assert "اقساط" in app.ctx.nura.pipeline.vocabulary


@pytest.mark.parametrize(
    ("text", "negative"),
    [
        ("الشركة دي نصابة", True),  # a verdict inflected for gender (نصاب → نصابة)
        ("موظفينكم كذابين وغشاشين", True),
        ("ما تستاهلون ولا فلس", True),  # worthless
        ("حرام عليكو والله", True),  # the Egyptian plural "you"
        ("الخط فاصل عندي من الصبح", True),  # Gulf "cut off" with a since-phrase
        ("انقطع الانترنت منذ يومين", True),  # a service that went out, and for how long
        ("this company is a total disgrace", True),
        ("they keep ripping customers off", True),
        ("no signal in the whole village for two days", True),
        ("هل الباقة تستاهل سعرها؟", False),  # "is it worth it" is a question
        ("ابي اعرف سعر الخط", False),
        ("how do i transfer data to my son", False),
    ],
)
def test_anger_families_by_their_forms(text: str, negative: bool) -> None:
    from nura_appliance.conversation.signals import sentiment

    assert (sentiment(text) == "negative") == negative


@pytest.mark.parametrize(
    ("text", "handoff"),
    [
        ("is there a person i can chat with", True),
        ("transfer me to someone from support", True),
        ("put me through to a live agent", True),
        ("کارمەندێکم بۆ بنێرن تکایە", True),  # "send me an employee"
        ("how do i transfer credit to another person", False),  # a balance transfer
        ("transfer my line to someone else", False),
        ("connect my laptop to the hotspot", False),
    ],
)
def test_handoff_requests_and_their_near_misses(text: str, handoff: bool) -> None:
    from nura_appliance.conversation.signals import wants_human

    assert wants_human(text) == handoff


async def test_an_outage_complaint_no_article_answers_goes_to_a_person(client: Any) -> None:
    answer = await new_session(client, "صرلنا اسبوع بلا ارسال بالضيعة وما حدا سائل", lang="ar")
    assert answer["kind"] == "handoff", answer
    assert answer["sentiment"] == "negative" if "sentiment" in answer else True
    calm = await new_session(client, "شو هي اوقات الدوام بالفروع", lang="ar")
    assert calm["kind"] != "handoff"


def test_a_long_latin_paste_searches_spellings_for_its_first_words_only() -> None:
    from nura_appliance.knowledge.arabizi import MAX_SEARCHED_WORDS, transliterate_word

    filler = " ".join(f"kalima{n}" for n in range(MAX_SEARCHED_WORDS))
    out = transliterate(f"{filler} ba2i").split()
    assert out[-1] == transliterate_word("ba2i", search=False) != "باقي"  # the plain spelling
    assert transliterate("ba2i") == "باقي"  # searched when it is among the first words


@pytest.mark.parametrize(
    "text",
    [
        "ya jama3a " * 400,  # a 4,000-character Arabizi paste
        "النت بطيء " * 400,
        "el net زفت كلش 3indi 😡 " * 160,  # mixed scripts and emoji
        "😡😡😡",
        "0770 123 4567",
    ],
)
async def test_bad_input_gets_a_clear_answer(client: Any, text: str) -> None:
    answer = await new_session(client, text[:4000], lang="ar")
    assert answer["kind"] in ("article", "ambiguous", "out_of_scope", "handoff", "fallback", "rule")
    assert answer["response"].strip()
    if not any(c.isalpha() for c in text):
        assert answer["kind"] == "fallback"  # "please type your question in words"


@pytest.mark.parametrize(
    ("text", "negative"),
    [
        ("2erfna minkom", True),  # 2 for ق in an exasperation verb
        ("sharikatkom nasaba wallah", True),
        ("tfashna mn el shabaka", True),
        ("kaif a8adem shakwa", False),
        ("3indi moshkila bil shari7a", False),
    ],
)
def test_arabizi_anger_reaches_the_families(text: str, negative: bool) -> None:
    from nura_appliance.conversation.signals import sentiment

    assert (sentiment(text) == "negative") == negative


@pytest.mark.parametrize(
    "text",
    [
        "bidi 7ada yiklimni min el sharika",
        "momken tawsilni b wa7ad min el mowazafeen",
        "ممكن حد من الدعم يتصل عليا",
        "let me speak to a manager",
        "need a human asap",
        "can a real person call me back",
    ],
)
def test_more_ways_to_ask_for_a_person(text: str) -> None:
    from nura_appliance.conversation.signals import wants_human

    assert wants_human(text)


@pytest.mark.parametrize(
    ("text", "negative"),
    [
        ("والله حيف عليكم هالخدمة", True),  # Gulf
        ("خلص بقى بكفي تقطيع", True),  # Levantine
        ("هو ده اسمه خدمة؟", True),  # Egyptian
        ("ما بيكم خير", True),  # Iraqi
        ("what kind of service is this", True),
        ("الشبكه عندنا زفت بالحي من اسبوع", True),
        ("الشبكة ضعيفة شوي بالبيت", False),  # a calm report is not anger
        ("وحشتني خدمتكم الحلوة", False),
    ],
)
def test_dialect_verdicts(text: str, negative: bool) -> None:
    from nura_appliance.conversation.signals import sentiment

    assert (sentiment(text) == "negative") == negative


def test_an_outage_is_an_insult_and_a_length_of_time_on_a_service() -> None:
    from nura_appliance.conversation.anger import is_outage

    assert is_outage(normalize("الشبكه عندنا زفت بالحي من اسبوع"))
    assert is_outage(normalize("no signal in the whole village for two days"))
    assert not is_outage(normalize("الشبكه زفت"))  # an insult without a length of time
    assert not is_outage(normalize("how long does a sim swap take, two days?"))


@pytest.mark.parametrize(
    ("text", "negative"),
    [
        ("ez pir aciz im", True),
        ("hûn me aciz dikin", True),  # "you annoy us"
        ("kesek her şev bang dike û aciz dike", False),  # a nuisance caller: a question about blocking
    ],
)
def test_kurmanji_annoyance_is_the_writers(text: str, negative: bool) -> None:
    from nura_appliance.conversation.signals import sentiment

    assert (sentiment(text) == "negative") == negative


@pytest.mark.parametrize(
    ("text", "handoff"),
    [
        ("هل يوجد موظف متاح الآن؟", True),  # is a person available
        ("اكو احد يرد علينا؟", True),
        ("any human here?", True),
        ("is anybody there", True),
        ("can i get an agent please", True),
        ("ez dixwazim bi kesekî re biaxivim", True),  # the person before the verb
        ("دەمەوێت لەگەڵ بەڕێوەبەر قسە بکەم", True),  # a manager
        ("هل يوجد فرع قريب مني", False),
        ("في موظف بالفرع يتكلم كردي؟", False),  # a question about a branch's staff
        ("can i get a new sim for my son", False),
        ("is there an agent shop near me", False),
    ],
)
def test_is_there_a_person_and_its_near_misses(text: str, handoff: bool) -> None:
    from nura_appliance.conversation.signals import wants_human

    assert wants_human(text) == handoff


# Ninth pass: Arabizi without digits or listed marker words is recognised by words that spell known
# Arabic words (two at least), and the dialects' verbs are known spellings.
@pytest.mark.parametrize(
    ("text", "arabizi"),
    [
        ("ma agdar asawi ittisal", True),  # no digit and no marker: verbs and a noun spell Arabic
        ("dazli mwatheff plz", True),
        ("home router plans", False),  # English without a function word stays English
        ("laptop code", False),  # a loanword and a chance spelling: English
        ("the code on my laptop is wrong", False),
    ],
)
def test_arabizi_without_digits_by_the_words_it_spells(text: str, arabizi: bool) -> None:
    assert (detect(text)[0] == "ar") == arabizi
    assert (arabizi_text(text) is not None) == arabizi


def test_dialect_verbs_and_a_doubled_a_as_ayn() -> None:
    assert transliterate("shlon aaref raseedi") == "شلون اعرف رصيدي"
    assert transliterate("wein adfaa el fatoora") == "وين ادفع الفاتوره"  # aa as ع at the end
    assert transliterate("ma agdar asawi ittisal") == "ما اكدر اسوي اتصال"
    assert transliterate("areed al8i el ba8a") == "اريد الغي الباقه"  # cancel, not a verb form of "find"


def test_english_words_in_an_arabizi_message_stay_english() -> None:
    # Spelled letter by letter they were "كود بيتون", "جكك", "ارق", "انلمتد" and matched the
    # desk's Arabic topics (a code question offered topics, another operator's plan answered).
    assert transliterate("shlon a3ref code el python") == "شلون اعرف code ال python"
    for word in ("check", "iraq", "unlimited", "laptop", "plans", "checked"):
        assert transliterate(f"shlon a3ref {word}").split()[-1] == word
    assert detect("ekteb li code python")[0] != "ar"  # one dialect verb around English words
    assert detect("zain iraq unlimited plan price")[0] == "en"
    # Arabizi stays Arabizi, its dialect and telecom words transliterated.
    assert arabizi_text("shlon a3ref rasidi") == "شلون اعرف رصيدي"
    assert arabizi_text("ma agdar asawi ittisal") == "ما اكدر اسوي اتصال"
    assert arabizi_text("el net 3indi kulish ba6i2") == "النت عندي كلش بطيء"


def test_known_english_words_come_from_the_pack_the_bank_and_the_lexicon() -> None:
    """The English words are derived where the product holds them; only the rest is written."""
    from nura_appliance.knowledge import english
    from nura_appliance.knowledge.lexicon import latin_names

    derived = english._english() - frozenset(english._UNDERIVED)
    assert {"balance", "roaming", "recharge"} <= english._pack_words("en")  # the default pack's English
    assert {"flights", "electricity", "iphone"} <= english._bank_english()  # the bank's English questions
    assert "shgad" not in english._bank_english()  # ... not its Arabizi ones ("shgad el dolar el yom")
    assert {"topup", "modem", "netflix", "korek"} <= english._lexicon_english()  # the lexicon's Latin words
    assert "netflix" in latin_names()
    assert not english._lexicon_english() & {"fatura", "kart", "rasid"}  # Arabizi spellings of the dialect list
    assert not english._lexicon_english() & english._pack_words("ku") - english._pack_words("en")  # nor Kurmanji
    assert not set(english._UNDERIVED) & derived  # the written list holds only what is not derived
    assert len(english._UNDERIVED) < 400 < len(derived)
    assert english.is_english_word("anyone") and english.is_english_word("python")  # written: not derivable
    assert detect("anyone selling a ps5")[0] == "en"


def test_a_digit_before_letters_is_a_quantity_unless_the_arabizi_message_spells_a_dialect_word() -> None:
    from nura_appliance.knowledge.arabizi import quantity_as_letters

    assert quantity_as_letters("7d") == "حد"  # someone, as the dialects write it short
    for word in ("4g", "5g", "10gb", "2m", "3rd", "2min", "7days", "a7ky"):
        assert quantity_as_letters(word) is None, word  # a quantity, or no number's shape at all
    assert transliterate("3ayz a7ky m3 7d") == "عايز احكي مع حد"
    assert transliterate("3ndi 5g w 4g bas el net ba6i2").split()[1:4] == ["5g", "و", "4g"]
    assert not arabizi_word("7d")  # never itself evidence of Arabizi: the rest of the message is
    assert arabizi_text("i want the 7d package") is None


def test_two_vowels_without_a_diphthong_may_hide_an_ayn() -> None:
    assert transliterate("areed moawen") == "اريد معاون"  # the ع that Latin spelling without digits leaves out
    assert transliterate("areed mo3awen") == "اريد معاون"
    assert transliterate("shlon aaref raseedi") == "شلون اعرف رصيدي"  # unchanged elsewhere


@pytest.mark.parametrize(
    "text", ["3ayz a7ky m3 7d", "areed moawen", "abi akallim mowazaf", "اريد معاون", "ana 3ayz a7ky m3 7ad"]
)
def test_arabizi_requests_for_a_person_hand_off(text: str) -> None:
    from nura_appliance.conversation.signals import wants_human

    assert wants_human(text, "ar", frozenset())
