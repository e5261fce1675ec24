"""Two kinds of request for a person read by composition (conversation.handoff): asking the bot
to find or bring a person *for* the customer, and asking to be called back — and their near
misses, read by the same parts (a thing fetched, a call back of the customer's own, one of the
past, refused or asked why)."""

import pytest

from nura_appliance.conversation.signals import wants_human


@pytest.mark.parametrize(
    "text",
    [
        "تكدر تدبرلي واحد من الموظفين؟",  # Iraqi: a verb of fetching with the glued "for me"
        "ممكن تلاقيلي موظف يفهم بالراوتر",
        "جيبلي مسؤول",
        "تقدر تجيب لي موظف؟",  # "for me" written apart
        "فيك تجبلي حدا من الموظفين؟",  # "من" after a person is "of", not "who"
        "خلي احدكم يكلمني",  # "one of you" is someone of the company
        "ناتوانی کارمەندێکم بۆ بدۆزیتەوە؟",  # Sorani: the person, بۆ, a verb of finding
        "تکایە کەسێکم بۆ بهێنە",
        "tu dikarî karmendekî ji min re bibînî?",  # Kurmanji "ji min re" (for me)
        "karmendekî ji bo min bibînin",
        "can you find me an employee?",
        "la2eeli 7ada",  # Arabizi, read in Arabic script
    ],
)
def test_finding_a_person_for_the_customer_is_a_request(text: str) -> None:
    assert wants_human(text, "ar" if text.isascii() and "7" in text else None)


@pytest.mark.parametrize(
    "text",
    [
        "جيبلي كارت شحن",  # a thing fetched
        "ممكن تشوفلي رصيدي",
        "شوفلي شنو المشكلة بالنت",
        "find me a package",
        "can you get me a new sim",
        "دەتوانی پاکێجێکی هەرزانم بۆ بدۆزیتەوە؟",
        "tu dikarî pakêtek erzan ji min re bibînî?",
        "سكاڵاكه‌م چي لێ هات؟ كه‌س وه‌ڵامي نه‌دامه‌وه",  # Sorani "لێ هات" (happened to) is no "هات" (bring)
    ],
)
def test_a_thing_fetched_is_no_request(text: str) -> None:
    assert not wants_human(text, None)


@pytest.mark.parametrize(
    "text",
    [
        "is there a number where someone can call me back",  # the number is where, not what
        "I'd like a callback please",
        "request a callback",
        "can I book a callback",
        "pls call back",
        "I need to be called back",
        "please get back to me",
        "أطلب معاودة الاتصال بي من قبل موظف",
        "أود أن يعاود أحدكم الاتصال بي",
        "ابي احد يرجع يتصل بيه",
        "دەتوانن پەیوەندیم پێوە بکەنەوە؟",  # Sorani ـەوە: back
        "ji kerema xwe li min vegerin",
        "momken t3awdoon el ittisal biya",
        "kalmoni",  # a bare "talk to me", on the Arabic tab
    ],
)
def test_asking_to_be_called_back_is_a_request(text: str) -> None:
    assert wants_human(text, "ar" if text.isascii() and text.startswith(("momken", "kalmoni")) else None)


@pytest.mark.parametrize(
    "text",
    [
        "how do I call back a missed number",  # the customer calls back
        "كيف ارجع اتصل على الرقم اللي اتصل علي",
        "why didn't anyone call me back",  # a complaint asks why
        "someone called me back yesterday but I missed it",  # the past
        "don't call me back",
        "i want to get back my money",  # "get back" a thing
        "رجعلي الرصيد بعد ما شحنت",
        "يرجع يتصل بيه نفس الرقم كل شوي",  # a habit: calls the customer gets
        "ساعدني",  # help me: the article tier's
    ],
)
def test_call_backs_that_are_no_request(text: str) -> None:
    assert not wants_human(text, None)


@pytest.mark.parametrize(
    "text",
    [
        "مابي اتكلم مع الآلة",  # the negation glued on the want
        "ما ابي احچي ويا روبوت",  # "with" between the verb and the bot
        "I don't want to talk to a bot",
        "i'm tired of talking to a machine",
    ],
)
def test_refusing_the_bot_asks_for_the_person_it_is_not(text: str) -> None:
    assert wants_human(text, None)


@pytest.mark.parametrize(
    "text",
    ["ما ابي رسائل البوت", "I don't want the bot to send me sms", "ما ابي الباقة الي اشتركت بيها"],
)
def test_refusing_a_thing_of_the_bot_is_no_request(text: str) -> None:
    assert not wants_human(text, None)


@pytest.mark.parametrize(
    "text",
    [
        "منو اكدر اكلم بخصوص مشكلتي؟",  # whom, with a verb of talking in the first person
        "مع من يمكنني التحدث بخصوص شكواي؟",  # a verbal noun after "can I"
        "who do I speak to about my bill",
        "لەگەڵ کێ قسە بکەم؟",
        "کێ دەتوانێت یارمەتیم بدات؟",  # who can help me
        "bi kê re biaxivim?",
        "ma3 meen a7ki",
        "بانگی کارمەندێک بکە",  # summoning
        "صيحلي موظف",
        "can you call a manager for me",
        "is an agent free?",  # free / available last
        "ئایا کارمەندێک ئامادەیە؟",
        "wen agdar alga mowazaf",  # where can I find an employee
    ],
)
def test_whom_to_talk_to_summoning_and_availability_are_requests(text: str) -> None:
    arabizi = text in ("ma3 meen a7ki", "wen agdar alga mowazaf")
    assert wants_human(text, "ar" if arabizi else None)


@pytest.mark.parametrize(
    "text",
    [
        "who called me from this number",  # the past
        "منو اتصل بيه من رقم غريب",
        "منو اكدر احول له رصيد",  # a thing sent
        "who are you talking to",  # someone else's talk
        "talabat delivery is late, who do i contact",  # whom at another company, after its story
        "is customer service free?",  # free of charge
        "can I find an employee discount for the business package",
    ],
)
def test_who_and_free_near_misses_are_not_requests(text: str) -> None:
    assert not wants_human(text, None)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("یەکێک لە ستافەکەتان", None),  # "one of your staff" as the whole message
        ("واحد من الموظفين لو سمحت", None),
        ("yek ji karmendên we ji kerema xwe", None),
        ("ya jama3a wen el mowazafeen", "ar"),  # the filler read as a filler, not as Friday
        ("ما ارضى احچي ويا روبوت بعد", None),  # not accepting the bot
        ("لا أقبل التحدث مع آلة", None),
        ("عايز اقابل موظف", None),  # meeting an employee
    ],
)
def test_one_of_the_staff_not_accepting_the_bot_and_meeting_a_person(text: str, lang: str | None) -> None:
    assert wants_human(text, lang)


@pytest.mark.parametrize(
    "text",
    [
        "واحد من الموظفين بالفرع قال لي الشريحة خربانة",  # one of the staff in a report
        "one of your shops is closed on friday",
        "خصم على الباقة مقابل موظفين الشركة",  # مقابل (for) is no meeting
        "ما ارضى على الباقة الجديدة",  # not accepting a package
    ],
)
def test_their_near_misses_are_not_requests(text: str) -> None:
    assert not wants_human(text, None)
