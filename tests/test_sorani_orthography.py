"""Sorani spelling habits and stacked suffixes meet the standard spelling's stems (issue 16,
``h16ckb``): the old encoding's final ه for ە, the initial ئا, a suffix whose remainder is a known
word, the outer layer of a noun (postposition, "too", the verb's person) over its article or
possessive, and "I can't call anyone" read as a call problem, not as a request for a person."""

from __future__ import annotations

from typing import Any

from nura_appliance.conversation.signals import wants_human
from nura_appliance.knowledge.folding import normalize
from nura_appliance.knowledge.lexicon import concept_of
from nura_appliance.knowledge.normalize import STOPWORDS, index_terms
from nura_appliance.knowledge.stemming import sorani_final_e, stem

ZWNJ = "\u200c"


def _stem(word: str) -> str:
    return stem(normalize(word), True)


def _old_style(text: str) -> str:
    """``text`` typed the old way: ە as ه + ZWNJ inside a word, a bare ه at its end, ك and ي."""
    out = []
    for word in text.split():
        word = word.replace("ک", "ك").replace("ی", "ي")
        word = word[:-1].replace("ە", "ه" + ZWNJ) + ("ه" if word.endswith("ە") else word[-1])
        out.append(word)
    return " ".join(out)


def test_a_word_typed_the_old_way_stems_as_the_standard_spelling() -> None:
    for word in ("پاکێجەکەم", "هەڵبوەشێنمەوە", "لاوازە", "مانگانە", "ماڵەکەمدا", "گواستنەوە", "تەواوە"):
        old = _old_style(word)
        assert old != word
        assert _stem(old) == _stem(word), (word, old)
    # the final ە as ه only: the word's last letter is read as ە in a Sorani text
    assert sorani_final_e(normalize("لاوازه")) == normalize("لاوازە")
    assert sorani_final_e("internet") == "internet"
    # a function word typed the old way is still a function word
    for word in ("چەندە", "بووە", "تکایە", "نییە"):
        assert normalize(_old_style(word)) in STOPWORDS, word


def test_the_same_question_typed_three_ways_has_the_same_terms() -> None:
    standard = "دەمەوێت پاکێجەکەم هەڵبوەشێنمەوە"
    persian_keyboard = "ده‌مه‌ویت پاکیجه‌که‌م هه‌لبوه‌شینمه‌وه"  # no ێ ڵ, ە as ه + ZWNJ, final ه
    arabic_keyboard = _old_style(standard)
    terms = set(index_terms(standard))
    assert "kcpackage" in terms and "kcunsubscribe" in terms
    assert set(index_terms(persian_keyboard)) == terms
    assert set(index_terms(arabic_keyboard)) == terms


def test_initial_alef_after_the_vowel_carrier_is_one_vowel() -> None:
    assert _stem("ئایفۆن") == stem(normalize("ايفون"))  # the Arabic spelling of the same loanword
    assert _stem("ئایفۆنەکەمدا") == _stem("ئایفۆن")
    assert _stem("ئینتەرنێت") != _stem("ئانتێن")


def test_stacked_suffixes_meet_the_bare_noun() -> None:
    for noun, forms in (
        ("هێڵ", ("هێڵەکەدا", "هێڵەکەمدا", "هێڵەکانماندا")),  # in the line, in my line, in our lines
        ("پاکێج", ("پاکێجەکانتانم", "پاکێجێکتان", "پاکێجەکەش")),  # your packages (I want), one of yours, too
        ("نرخ", ("نرخیان", "نرخەکەیان")),  # their price
        ("گوند", ("گوندەکەمان", "گوندەکەماندا")),
    ):
        for form in forms:
            assert _stem(form) == _stem(noun), (form, _stem(form), _stem(noun))


def test_stripping_keeps_three_letters_and_the_longest_ending_decides() -> None:
    assert _stem("دەرەوە") == _stem("دەر")  # outside: ەوە, never "دەرە" + وە
    assert _stem("بەیان") == normalize("بيان")  # "یان" needs three letters before it (morning)
    assert _stem("کارتم") == _stem("کارت")
    assert _stem("فرۆش") == normalize("فروش")  # a final ش after no article is the word's own
    assert _stem("تەواوە") == _stem("تەواو")  # "is finished": the copula, no وە


def test_a_suffix_whose_remainder_is_a_known_word_is_stripped() -> None:
    # "باقەی" (the package of) folds to the Arabic "باقي" (remaining), a known word: the remainder
    # "باقە" is known too, so the ezafe goes and the package concept is read, not usage
    assert concept_of(_stem("باقەی")) == "package"
    assert _stem("باقەی") == _stem("باقە")
    # a known word whose remainder is no word keeps its letters: "شەبەکە" is the network
    assert concept_of(_stem("شەبەکە")) == "signal"


def test_i_cannot_call_anyone_is_no_request_for_a_person() -> None:
    assert not wants_human("ناتوانم تەلەفۆن بۆ هیچ کەسێک بکەم", "ckb")
    assert not wants_human("ناتوانم پەیوەندی بە هیچ کەسێکەوە بکەم", "ckb")
    # a member of staff named: still a request
    assert wants_human("ناتوانم چاوەڕێ بکەم، دەمەوێت قسە لەگەڵ کارمەندێک بکەم", "ckb")
    # the Arabic loanword for customer in the staff phrase, as for کڕیار
    assert wants_human("کارمەندی خزمەتگوزاری مشتەریانم دەوێت", "ckb")
    # the bot is what they cannot talk to: a reason to ask for a person
    assert wants_human("ناتوانم لەگەڵ ڕۆبۆت قسە بکەم، کەسێکم بدەنێ", "ckb")


def test_the_call_centre_is_one_idea_across_languages() -> None:
    from nura_appliance.knowledge.retrieval import analyse

    for text in (
        "ژمارەی خزمەتگوزاریی کڕیاران چییە",
        "ژمارەی کۆڵ سەنتەر چەندە",
        "رقم مركز الاتصال",
        "call centre number",
    ):
        assert "kccallcentre" in analyse(text)[0], text
    assert "kccallcentre" not in analyse("خزمەتگوزارییە زیادەکان هەڵبوەشێنەوە")[0]  # added services


def test_customer_service_is_the_call_centre_in_every_language() -> None:
    from nura_appliance.knowledge.retrieval import analyse

    # the Sorani "customer service" is in the call-centre group: so are its Arabic, English and
    # Kurmanji equivalents, or a question in one language never meets the article's wording in
    # another through the concept (k-fold: "Hejmara xizmeta xerîdaran çi ye?" met no article)
    for text in (
        "شنو رقم خدمة العملاء؟",
        "رقم خدمة الزبائن",
        "What is the customer service number?",
        "customer care number",
        "Hejmara xizmeta xerîdaran çi ye?",
    ):
        assert "kccallcentre" in analyse(text)[0], text
    # the words alone are other ideas: a service, a customer
    for text in ("اريد الغي خدمة الاخبار", "cancel the news service", "new customer offers"):
        assert "kccallcentre" not in analyse(text)[0], text


def test_a_sorani_number_word_is_a_number_for_the_other_operator_check() -> None:
    from nura_appliance.knowledge.lexicon import carrier_numbers
    from nura_appliance.knowledge.retrieval import analyse

    # bringing one's number from another operator is this desk's question, in Sorani as in Arabic
    for text in ("دەمەوێت ژمارەکەم لە ئاسیاسێڵەوە بهێنم", "اريد انقل رقمي من اسياسيل"):
        terms, units = analyse(text)
        assert carrier_numbers(text, units, terms), text


async def test_old_style_sorani_reaches_its_article(default_pipeline: Any) -> None:
    for text, article in (
        ("ده‌مه‌وێت باقه‌كه‌م هه‌ڵبوه‌شێنمه‌وه", "package-subscribe"),
        ("سیگناڵی مۆبایلەکەم لە گوندەکەماندا زۆر لاوازە", "coverage"),
        ("پاکێجەکانتانم دەوێت، نرخیان چەندە؟", "packages-prices"),
    ):
        answer = await default_pipeline.pipeline.answer(text, "ckb")
        assert answer.kind == "article" and answer.article_id == article, (text, answer.kind, answer.article_id)
