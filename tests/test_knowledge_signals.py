"""Explicit requests for a human (conversation/signals.wants_human) and sentiment
(conversation/signals.sentiment): dialects, Sorani, Kurmanji, English, Arabizi, typos — and the
near misses that are not requests for a person, or not angry."""

from __future__ import annotations

import pytest

from nura_appliance.conversation.signals import matching_text, sentiment, wants_human
from nura_appliance.knowledge.normalize import normalize


@pytest.mark.parametrize(
    "text",
    [
        "اريد التحدث مع موظف خدمة العملاء",  # MSA
        "ابي اكلم احد من الدعم الفني",  # Gulf
        "بدي احكي مع حدا من الموظفين",  # Levantine
        "عايز اتكلم مع حد من خدمه العملا",  # Egyptian, typo
        "حولني على موظف رجاءً",  # Iraqi
        "ممكن موظفففف",  # stretched letters
        "موضف لو سمحت",  # ظ/ض typo, bare request
        "خليني مع موظف",
        "ez dixwazim bi karmendekî re biaxivim",  # Kurmanji
        "karmend",
        "let me talk to a real person",
        "huamn agent pls",
        "operater",  # one-edit typo of a bare request
        "I want a representative now",
        "دەمەوێت قسە لەگەڵ کارمەندێک بکەم",  # Sorani
        "ده‌مه‌وێت قسه‌ له‌گه‌ڵ كارمه‌ند بكه‌م",  # Sorani, old ه + ZWNJ spelling, Arabic ك
        "کارمەندێکم دەوێت",  # "I need an employee"
        "تکایە بمگوازەرەوە بۆ کارمەند",  # "please transfer me to an employee"
        "مرۆڤێکی ڕاستەقینەم دەوێت",  # "I want a real person"
        "کارمەند تکایە",
        "areed a7chi wiya mowadhaf",  # Arabizi, Iraqi
        "abi akalem mowazaf",  # Arabizi, Gulf
        "baddi e7ki ma3 7ada",  # Arabizi, Levantine
        "areed agent",  # Arabizi with an English person word
        "پێویستم بە کارمەندێکە",  # Sorani: "I need an employee"
        "دەمەوێت پەیوەندی بە کارمەندێکەوە بکەم",  # "contact an employee"
        "بمدە بە کارمەندێک",  # "hand me to an employee"
        "دەمەوێت لەگەڵ مووەزەفێک قسە بکەم",  # colloquial loanword for employee
        "اريد اتكلم مع خدمة العملاء",  # العملاء: the hamza is folded away
        "momken a7ki ma3 customer service",  # Arabizi verb, English person
        "bade7ki ma3 mwazzaf",  # Levantine, ظ said as ز
        "ana bidi insan mish robot",
        "بۆتێکی زیرەک نامەوێت",  # Sorani: "I don't want a bot"
    ],
)
def test_requests_for_a_person_are_recognised(text: str) -> None:
    assert wants_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "أرغب في نقل ملكية الخط إلى اسم شخص آخر",  # transfer the line to another person
        "عايز شرايح لموظفين الشركة",  # SIMs for our employees
        "عندي شكوى على موظف في الفرع",  # a complaint about an employee
        "بدي ابعت وحدات لرفيقي",  # send credit to a friend
        "ممكن حد يشرحلي كيف افعل الباقة",  # "can someone explain" — the bot can
        "سؤال حول الفاتورة",  # "حول" = about
        "how do I transfer credit to another number",
        "my agent code for the shop",
        "کارمەندەکانی کۆمپانیاکەم سیمکارتیان دەوێت",  # "my company's employees need SIMs"
        "سکاڵام لە کارمەندێک هەیە",  # a complaint about an employee
        "ba3ath rased l 7ada",  # Arabizi: send credit to someone
        "",
    ],
)
def test_near_misses_are_not_requests_for_a_person(text: str) -> None:
    assert not wants_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "خدمتكم زبالة",  # Iraqi insult
        "ما عندكم ذمة",  # no conscience
        "ما عدكم ضمير والله",
        "خدمة تعبانة",
        "بدي ألغي الخط",  # a threat to leave
        "حسبي الله عليكم",
        "الله ياخذ هالشبكة",
        "قهرتونا",
        "انتو حرامية سرقتوا رصيدي",
        "النت مالتكم ما يسوى فلس",
        "للمرة الثالثة اتصل ولا احد يرد",
        "ثلاث أيام بدون نت",  # an outage complaint
        "من امس ماكو نت بالبيت",
        "xirab e",  # Kurmanji
        "ez ê xeta xwe betal bikim",
        "sê roj e înternet tune",
        "خزمەتگوزارییەکەتان زۆر خراپە",  # Sorani
        "بێ ویژدانن",
        "سێ ڕۆژە ئینتەرنێت نییە",
        "this is rubbish",
        "three days without internet",
        "cancel my contract, I'm switching to another provider",
        "WHY IS MY INTERNET NOT WORKING AGAIN",  # shouting
        "ma 3indkum dhimma",  # Arabizi
        "internetkom zbala",
        "e7na zh2na mnkom",
        "هذا احتيال، سحبتوا رصيدي",
        "what a scam, you stole my credit",
        "ضوجتونا والله",  # Iraqi: fed up
        "شو هالخدمة",
        "يخرب بيتكم",
        "صار لي ساعة انتظر حدا يرد",
        "بەسە ئیتر، هەموو ڕۆژێک هەمان کێشە",
        "xwedê we xera bike",
        "been waiting for two hours, unbelievable",
        "ليش؟؟؟",
        "انتو شركة نصب",
        "يا ريت ما اشتركت معكم",
        "اكره شركتكم",
        "ma fi faydeh mnkom",
        "خەریکە شێت دەبم لە دەستتان",
        "ev çi ye, her roj qut dibe",
        "this company is a joke",
    ],
)
def test_anger_and_complaints_are_negative(text: str) -> None:
    assert sentiment(text) == "negative"


@pytest.mark.parametrize(
    "text",
    [
        "النت عندي بطيء شنو الحل",  # a calm problem
        "عندي مشكلة بالشريحة",
        "كيف اقدم شكوى",  # asking how to complain is a question, not anger
        "اريد الغي اشتراك الباقة",  # cancelling a package
        "اريد اغير الشريحة",
        "كم سعر الباقة بدون انترنت",
        "انا تعبان شوي اليوم بس اريد اعرف رصيدي",
        "ئینتەرنێتەکەم خاوە، چی بکەم؟",
        "kêşeyek bi înternetê re heye",
        "is there a problem with the network in erbil?",
        "my internet is not working",
        "she gave hers to me",
        "shlon a3ref rasidi",
        "got a scam sms saying i won a prize",  # reporting a scam is not accusing us
        "عم تجيني رسايل احتيال كيف بلغ عنها",
        "دەمەوێت ماڵپەڕە خراپەکان دابخەم",  # "bad websites": an adjective, not a verdict
        "انسحب مبلغ الباقه مره ثانيه",  # "again" on its own
        "sinyal li male qels e",  # a weak signal, said calmly
    ],
)
def test_calm_questions_are_not_negative(text: str) -> None:
    assert sentiment(text) != "negative"


def test_thanks_are_positive() -> None:
    assert sentiment("شكرا جزيلا") == sentiment("سوپاس") == sentiment("thanks a lot") == "positive"


def test_the_article_tier_matches_the_complaint_not_the_insult() -> None:
    assert "زبال" not in matching_text("خدمتكم زبالة… ثلاث أيام بدون نت")
    assert "نت" in matching_text("خدمتكم زبالة… ثلاث أيام بدون نت").split()
    assert matching_text("el net 3indi kulish ba6i2") == normalize("النت عندي كلش بطيء")  # Arabizi in Arabic script
    assert matching_text("النت بطيء") == "النت بطيء"  # anything else as it is
