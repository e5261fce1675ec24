"""The request for a person read by composition (conversation.handoff): the parts in any order
and form, and the near misses read by the same parts. None of these phrasings is in the phrase
lists of conversation.signals."""

import pytest

from nura_appliance.conversation.handoff import reads_as_request, refuses_person, roles
from nura_appliance.conversation.signals import wants_human
from nura_appliance.knowledge.normalize import normalize


@pytest.mark.parametrize(
    "text",
    [
        "ابي اكلم المشرف",  # want + talk + a staff word the lists do not name
        "بدي احكي مع الادارة",
        "اريد مراجعة موظف خدمة الزبائن",  # a verbal noun
        "دزلي موظف ضروري",  # send me (Iraqi)
        "الموظف وينه؟ اريد احچي وياه",  # the person first, the verb after, a question word
        "get me a manager now",
        "transfer me to support please",
        "can someone from your team contact me",
        "my internet is down, connect me to a technician",
        "min bi mirovekî ve girêde",  # Kurmanji, the person inside the verb frame
        "بەرپرسێکم دەوێت",  # Sorani, the noun with ێک and the clitic م
        "7awwelni 3al mowazaf",  # Arabizi "aw" + "w": one و (حولني)
        "ڕۆبۆت نا، کارمەند",  # a refused bot is no content
        "ما ابي بوت موظف",  # the negation refuses the bot, not the person
    ],
)
def test_requests_in_orders_and_forms_nobody_listed(text):
    assert wants_human(text, None)


@pytest.mark.parametrize(
    "text",
    [
        "how do i transfer credit to another person",
        "what are customer service hours",
        "who is the manager of your company",
        "منو المسؤول عن الشبكة",
        "ابي احول رصيد لواحد",
        "كيف اتواصل مع صديقي برا",
        "someone keeps calling me at night",  # a report of spam calls, not a request
        "the agent in the shop told me to reset my password",
        "عايز شرايح لموظفين الشركة",  # SIMs for the company's employees
        "ابي اعرف دوام الموظفين بالفرع",
        "karmend li şaxê kengî vedibin",
        "i don't need an agent, just tell me the balance",
        "ما ابي موظف بس قلي الرصيد",
    ],
)
def test_near_misses_are_not_requests(text):
    assert not wants_human(text, None)


def test_a_negated_want_refuses_only_the_person_it_governs():
    assert refuses_person(normalize("ما ابي موظف"))
    assert not refuses_person(normalize("ما ابي بوت ابي احد يفهمني"))
    assert wants_human("ما ابي بوت ابي احد يفهمني", None)


def test_roles_see_through_glued_prefixes_and_endings():
    assert "staff" in roles(normalize("بالموظفين"))
    assert "talk" in roles(normalize("يحاچيني"))
    assert "to_me" in roles(normalize("يكلمني"))
    assert "staff" in roles(normalize("karmendekî"))
    assert "staff" not in roles(normalize("الشبكه"))
    assert not reads_as_request(normalize("الشبكه ضعيفه"))


def test_the_exemplar_stage_prefers_a_closer_near_miss():
    from nura_appliance.conversation.exemplars import Bank, decide

    bank = Bank(
        [normalize(t) for t in ("customer service please", "i want customer service", "اريد خدمه العملاء")],
        [normalize(t) for t in ("customer service hours", "what are the customer service opening hours")],
    )
    asks = bank.nearest(normalize("customer service now please"))
    hours = bank.nearest(normalize("customer service hours on friday"))
    assert asks[0] > asks[1]
    assert hours[1] > hours[0]
    assert decide(asks, 0.3, 0.05) and not decide(hours, 0.3, 0.05)
    # a new spelling of a known word still shares its character 4-grams
    assert bank.nearest(normalize("ابي خدمة العملااء"))[0] > 0.3


def test_the_shipped_bank_was_chosen_by_cross_validation():
    from nura_appliance.conversation.exemplars import banks

    bank, threshold, margin = banks()["handoff"]
    assert 0.2 <= threshold <= 0.95 and 0.0 <= margin <= 0.5
    assert any(bank.labels) and not all(bank.labels)


@pytest.mark.parametrize(
    "text",
    [
        "شبكتكم مخيسة",  # a verdict with "your" glued on, a participle's م
        "your network is a nightmare",
        "this company is hopeless",
        "xizmeta we pir nebaş e",
        "خدمتكم ولا شي والله",  # worth nothing
        "بتاكلوا الرصيد كل شهر",  # you (plural) eat the credit
        "you guys eat my balance every month",
        "زهگت من النت مالتكم",  # first-person fed up, Iraqi گ
    ],
)
def test_anger_by_composition(text):
    from nura_appliance.conversation.signals import sentiment

    assert sentiment(text) == "negative"


@pytest.mark.parametrize(
    "text",
    [
        "الشريحه خربت شلون ابدلها",
        "رديت على الرسالة",
        "وش الطريقه اسوي حساب بالتطبيق",
        "ماكو نت من الصبح والشبكة فل بس ولا شي يفتح",  # "nothing opens", not "worth nothing"
        "كل ما احاول اتصل يطلع فشل الاتصال",
        "my internet is a bit slow today",
        "is the network down in my area",
        "دزلي موظف ضروري",
    ],
)
def test_calm_messages_with_the_same_parts_stay_calm(text):
    from nura_appliance.conversation.signals import sentiment

    assert sentiment(text) != "negative"


ARABIZI_WANTS = [
    "areed a7chi wiya",
    "abi akalem",
    "bdi e7ki ma3",
    "3ayez akallem",
    "abgha akallem",
    "baddi ehki ma3",
    "bdi",
]
ARABIZI_PERSONS = [
    "mowazaf",
    "muwazzaf",
    "mowadhaf",
    "mas2ul",
    "masool",
    "modir",
    "mushrif",
    "5edmet el 3omala",
    "insan",
]


def test_arabizi_requests_compose_from_any_spelling_of_their_parts():
    """Every want/talk verb with every spelling of a person (the hand-off words are known
    spellings of the transliteration, so "modir", "mas2ul", "ehki" reach مدير، مسول، احكي)."""
    missed = [f"{w} {p}" for w in ARABIZI_WANTS for p in ARABIZI_PERSONS if not wants_human(f"{w} {p}")]
    assert not missed  # 45 of 63 before (2 in 3 of the spellings of a person were missed)


CKB_FRAMES = [
    "دەمەوێت لەگەڵ {} قسە بکەم",
    "حەز دەکەم لەگەڵ {} قسە بکەم",
    "دەکرێت لەگەڵ {} قسە بکەم؟",
    "پەیوەندیم پێوە بکەن بە {}",
    "{}م دەوێت",
    "بمگوازنەوە بۆ {}",
]
CKB_PERSONS = ["کارمەندێک", "بەرپرسێک", "سەرپەرشتیارەکە", "کەسێکی ڕاستەقینە", "ستافەکەتان", "یەکێک لە کارمەندەکانتان"]
ARABIC_KEYBOARD = str.maketrans({"ە": "ه", "ێ": "ي", "ڕ": "ر", "ۆ": "و", "ڵ": "ل"})


def test_sorani_requests_compose_also_when_typed_on_an_arabic_keyboard():
    texts = [f.format(p) for f in CKB_FRAMES for p in CKB_PERSONS]
    missed = [t for t in texts + [t.translate(ARABIC_KEYBOARD) for t in texts] if not wants_human(t)]
    assert not missed


@pytest.mark.parametrize(
    "text",
    [
        "ناتوانم پەیوەندی بە کەس بکەم",  # I can't call anyone: a call problem
        "کارمەندەکانی کۆمپانیاکەم سیمیان دەوێت",  # my company's employees want SIMs
        "کارمەندەکانتان کەی دەوام دەکەن",
        "el modir taba3 el far3 ma rad 3alay",
        "abi a3ref ra8am el mas2ool 3an el shakawi",
        "هیچ کەسێک ناتوانێت پەیوەندیم پێوە بکات",  # nobody can call me: a call problem
        "دەمەوێت ببم بە کارمەند لای ئێوە",  # a job: to become an employee
        "ابي اصير موظف عندكم",
        "تدعمون eSIM لو لا",  # "support" as a verb, and a "no" that refuses no bot
    ],
)
def test_composed_near_misses_in_sorani_and_arabizi(text):
    assert not wants_human(text)


AR_TARGETS = ["خدمتكم", "شبكتكم", "شركتكم", "النت مالكم", "انتو", "الشبكة"]
AR_VERDICTS = ["زفت", "وحشة", "مقرفة", "بتقرف", "ولا تسوى", "مخيسة", "تعبانة", "حرامية", "مهزلة", "بلا فايدة"]


def test_dialect_verdicts_compose_with_every_target():
    """Egyptian "وحشة", Levantine "بتقرف" (the b- present glued on), Gulf "ولا تسوى" (worth denied)
    with every way of naming the company, its service or "you"."""
    from nura_appliance.conversation.signals import sentiment

    missed = [f"{t} {v}" for t in AR_TARGETS for v in AR_VERDICTS if sentiment(f"{t} {v}") != "negative"]
    assert not missed  # 18 of 60 of these were missed before


@pytest.mark.parametrize(
    "text",
    ["تعبنا منكم", "ارحمونا شوية", "ليش تبوكون رصيدي", "والله ما بقا فينا نتحمل", "تۆڕەکەتان هیچ نییە"],
)
def test_exasperation_taking_and_worthlessness_in_dialects(text):
    from nura_appliance.conversation.signals import sentiment

    assert sentiment(text) == "negative"


@pytest.mark.parametrize(
    "text",
    ["عايز اقفل المواقع الوحشه على خط بنتي", "ما نقدر نتحمل سعر الباقة؟", "ئەم پاکێجە هیچ نییە بۆ من؟"],
)
def test_the_same_parts_said_of_something_else_stay_calm(text):
    from nura_appliance.conversation.signals import sentiment

    assert sentiment(text) != "negative"


def test_wants_human_is_remembered_per_text_and_vocabulary() -> None:
    """The remembered answer is the computed one, and a different vocabulary (another knowledge
    base) is a different entry, never the answer remembered for the old one."""
    from nura_appliance.knowledge.arabizi import vocabulary_of

    texts = ["areed a7chi wiya mowadhaf", "ابي اكلم موظف", "مرحبا", "talk to a human please", "النت عندي بطيء جدا"]
    vocabulary = vocabulary_of(["موظف خدمة العملاء الانترنت بطيء"])
    for text in texts:
        for vocab in (frozenset(), vocabulary):
            fresh = wants_human.__wrapped__(text, None, vocab)
            assert wants_human(text, None, vocab) == fresh
            assert wants_human(text, None, vocab) == fresh  # the remembered one
    before = wants_human.cache_info().misses
    wants_human(texts[0], None, vocabulary_of(["كلمة اخرى"]))
    assert wants_human.cache_info().misses == before + 1


# Fifth pass: words and frames the earlier role lists did not hold (probe grids in
# knowledge/eval/tools/probe_grid.py; these phrasings are written for the test, not taken from
# any evaluation file).
@pytest.mark.parametrize(
    "text",
    [
        "ez dixwazim bi xebatkarekî re bipeyvim",  # Kurmanji: worker, the v spelling of the verb
        "min bigihînin berpirsyarekî",  # bring me to someone responsible
        "pêwîstiya min bi tîma piştgiriyê heye",  # I need the support team
        "bila şêwirmendekî gazî min bike",  # let an advisor call me (subjunctive)
        "ئەکرێ یەکێک تەلەفۆنم بۆ بکات؟",  # Sorani: could someone phone me
        "حەز دەکەم لەگەڵ بەرپرسێک قسە بکەم",  # "I'd like" written apart
        "نبغا خدمة العملاء",  # Gulf want with a final alif, a unit before the staff word
        "ابي اتصل بحدا من الدعم",  # a call, "someone" with a glued preposition
        "could your support team ring me back",
        "nabgha mowathaf",  # Arabizi: th for ظ
    ],
)
def test_fifth_pass_requests(text: str) -> None:
    assert wants_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "karmendek her roj gazî min dike",  # an employee calls me every day (indicative, a habit)
        "کارمەندێک پەیوەندیم پێوە دەکات",  # Sorani indicative: someone calls me
        "شخص يتصل بي كل يوم من رقم مجهول",
        "a real person called me yesterday about my bill",
        "how do i call a real person abroad",
        "ma agdar at9il 3ala a7ad",  # I can't call anyone
        "ez dixwazim bibim mirov",
    ],
)
def test_fifth_pass_reports_of_calls_are_not_requests(text: str) -> None:
    assert not wants_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "دمرتونا بهالنت",  # harm done to us in the 2nd person plural past
        "انتو بتنصبوا علينا",  # cheating in the 2nd person plural
        "dawwakhtona",  # Arabizi of the same form
        "shabaktkom mkhayesa",  # "your" glued on a noun marks Arabizi
        "ما بيها خير هالشركة",
        "ئینتەرنێتەکەتان هیچ کەڵکی نییە",
        "hûn derewan li me dikin",
        "we krediya min xwar",
    ],
)
def test_fifth_pass_anger(text: str) -> None:
    from nura_appliance.conversation.signals import sentiment

    assert sentiment(text) == "negative"


def test_signal_words_are_registered_with_the_transliteration_explicitly() -> None:
    """conversation.signals registers the hand-off and anger words as Arabizi spellings (once,
    idempotently); importing conversation.handoff alone no longer changes the transliteration."""
    from nura_appliance.conversation import anger, handoff, signals
    from nura_appliance.knowledge import arabizi

    signals.register_arabizi_spellings()
    known = arabizi._EXPRESSIVE
    assert handoff.arabizi_spellings() <= known and anger.arabizi_spellings() <= known
    signals.register_arabizi_spellings()
    assert arabizi._EXPRESSIVE == known


@pytest.mark.parametrize(
    "text",
    [
        "ez divêm digel nûnerekî qise bikem",  # Badini want, "with", a talk noun and its light verb
        "min divêt legel fermanberekî pêwendiyê bikem",
        "ئەمەوێت لەگەڵ بەشی خزمەتگوزاری قسە بکەم",  # a unit of the company right after "with"
        "دەتوانم لەگەڵ نوێنەرێک قسەبکەم",  # may I, a representative, the light verb glued
        "mmkn akalim weya mashrif",  # Arabizi without digits: the words mark it
    ],
)
def test_fifth_pass_wide_grid_requests(text: str) -> None:
    assert wants_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "ez dixwazim gilî li ser karmendekî bikim",  # a complaint about an employee
        "دەمەوێت سکاڵا لە کارمەندێک بکەم",
        "i want to complain about an agent",
        "qiseya karmend ne rast bû",  # a past report
        "dixwazim bizanim karmendên we kengî dixebitin",  # a want to know
        "اتصال الموظف كان مزعج",
    ],
)
def test_fifth_pass_complaints_and_reports_about_a_person_are_not_requests(text: str) -> None:
    assert not wants_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "قشمرتونا بالعروض",  # you fooled us (a harm verb with "us")
        "ضحكتو علينا بهالباقات",  # you laughed at us
        "الله يقطعكم",  # a curse said of "you", glued
        "خدمة ملهاش لازمة",  # Egyptian: useless
        "شبكتكم عفنة",  # a verdict said of "your network"
        "مو خوش شبكة",  # "not a good network": the target after the negated worth
        "نەفرەت لە تۆڕەکەتان",  # Sorani curse
        "hûn me dixapînin",  # Kurmanji: you deceive us
        "înterneta we bêfêde ye",
        "ma 3indkom salfa",  # Arabizi, Gulf "you are not serious"
    ],
)
def test_fifth_pass_anger_dialect_words(text: str) -> None:
    from nura_appliance.conversation.signals import sentiment

    assert sentiment(text) == "negative"


@pytest.mark.parametrize(
    "text",
    [
        "ابي اخذ باقتكم الجديدة",  # "take" is no curse without "الله"
        "النت يقطع عندكم بالمنطقة؟",
        "كيف اوقف الرسائل المزعجة",  # spam messages: "annoying" is their adjective
        "شو الخدمة الجديدة",
        "ev çi şirket e ku ji min re sms dişîne?",
        "ez ji xizmeta we razî me",
    ],
)
def test_fifth_pass_calm_with_the_same_words(text: str) -> None:
    from nura_appliance.conversation.signals import sentiment

    assert sentiment(text) != "negative"


@pytest.mark.parametrize(
    "text",
    ["انتو مو كفو", "شبعتونا كذب", "الله يغربلكم", "ئێوە نەزانن", "گەوجن", "hûn sextekar in", "sebra min nema"],
)
def test_fifth_pass_insults_second_batch(text: str) -> None:
    from nura_appliance.conversation.signals import sentiment

    assert sentiment(text) == "negative"


@pytest.mark.parametrize(
    "text",
    ["ez çawa dizanim ku sîmkart sexte ye", "پاکێجێکی سووک هەیە بۆ مانگێک؟", "hûn vekirî ne?", "ئێوە کراوەن؟"],
)
def test_fifth_pass_second_batch_calm(text: str) -> None:
    from nura_appliance.conversation.signals import sentiment

    assert sentiment(text) != "negative"


@pytest.mark.parametrize(
    "text",
    [
        "اكو موظف؟",
        "في حدا؟",
        "fi 7ada hon?",
        "کەس هەیە؟",
        "kes heye?",
        "kesek li vir e?",
        "anyone there?",
        "وين الموظفين؟",
    ],
)
def test_is_anyone_there_asks_for_a_person(text: str) -> None:
    assert wants_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "اكو موظف بالفرع يوم الجمعه؟",
        "kes li dikanê heye?",
        "في احد يقدر يحول رصيد الي؟",
        "سکاڵام لە کارمەندێک هەیە",
        "وين فرعكم",
    ],
)
def test_is_anyone_there_near_misses(text: str) -> None:
    assert not wants_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "الله لا يبارك فيكم",
        "ضيعتوا وقتي",
        "انتو مش قد المسؤولية",
        "بتستغلوا الناس",
        "لە خوا ناترسن",
        "hûn ji Xwedê natirsin",
        "ev xizmet nayê qebûlkirin",
    ],
)
def test_fifth_pass_insults_third_batch(text: str) -> None:
    from nura_appliance.conversation.signals import sentiment

    assert sentiment(text) == "negative"


@pytest.mark.parametrize(
    "text", ["عساكم بخير، سؤال", "krediya min sifir e", "ما فيها احترام للخصوصية؟ شلون احمي حسابي", "باقة الاولاد"]
)
def test_fifth_pass_third_batch_calm(text: str) -> None:
    from nura_appliance.conversation.signals import sentiment

    assert sentiment(text) != "negative"


@pytest.mark.parametrize("text", ["😡😡😡", "خدمتكم 🤮", "شركتكم 👎👎", "u suck", "شنو هالزبالة"])
def test_angry_faces_and_short_forms_are_negative(text: str) -> None:
    from nura_appliance.conversation.signals import sentiment

    assert sentiment(text) == "negative"


@pytest.mark.parametrize("text", ["🙏", "thanks 👍", "😂 ok", ""])
def test_other_emoji_are_not_negative(text: str) -> None:
    from nura_appliance.conversation.signals import sentiment

    assert sentiment(text) != "negative"


@pytest.mark.parametrize(
    "text",
    [
        "اتصلوا بي ضروري",
        "كلموني ضروري",
        "ممكن تتصلون بيه؟",
        "please call me back",
        "پەیوەندیم پێوە بکەن",
        "ji kerema xwe gazî min bikin",
    ],
)
def test_call_me_said_to_the_company_is_a_request(text: str) -> None:
    assert wants_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "قبل شوي اتصلوا بيه",
        "اتصلوا بي وقالوا ربحت جائزة",
        "call me when my package ends?",
        "ليش تتصلون بيه كل يوم؟",
        "why do you keep calling me",
    ],
)
def test_calls_received_or_conditional_are_not_requests(text: str) -> None:
    assert not wants_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "ڕەوانەم بکەن بۆ کارمەندێک",  # Sorani: send me to an employee
        "محتاج مساعدة من موظف",  # help from an employee, between the want and the staff word
        "ابعتولي موظف",
        "ez hewcedarê alîkariya karmendekî me",
        "ez naxwazim bi robotê re biaxivim",  # Kurmanji: a refused bot
        "ji kerema xwe min bi beşa xizmetguzariyê ve girêdin",  # the object far before the verb
        "i want to escalate",
    ],
)
def test_fifth_pass_send_help_escalate(text: str) -> None:
    assert wants_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "محتاج مساعدة بتفعيل الباقة",
        "how do i escalate my data limit",
        "پارە ڕەوانە بکەم بۆ هاوڕێکەم",
        "min bi înternetê ve girêdin",
    ],
)
def test_fifth_pass_send_help_near_misses(text: str) -> None:
    assert not wants_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "انطيني موظف رجاءا",  # an imperative "give me" is a want
        "عطوني المسؤول",
        "اطلب محادثه مع مختص",  # a verbal noun of talking
        "ez dixwazim bi berpirsiyarekî re biaxivim",  # a spelling of the role word
        "damawet qsa lagal karmand bkam",  # Sorani in Latin letters
    ],
)
def test_sixth_pass_give_me_and_talk_nouns(text: str) -> None:
    assert wants_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "كلمت موظفكم البارحه وكان متعاون",  # a day already past, no want: a story
        "tried an agent yesterday and it went fine",
        "الموظف وقال الخط يشتغل بعد ساعه",  # "he said", with a glued و
        "پێویستیمان بە کارمەند نییە",  # the need said not to exist after the person
        "hewcedariya min bi mirovekî tune",
        "عندكم شواغر لموظفين مبيعات؟",  # a job, not a person
        "any vacancies for support agents",
    ],
)
def test_sixth_pass_stories_refused_needs_and_jobs_are_not_requests(text: str) -> None:
    assert not wants_human(text)


def test_sixth_pass_a_past_day_does_not_veto_put_me_through() -> None:
    assert wants_human("حولني لموظف امس انقطع النت")


@pytest.mark.parametrize(
    "text",
    [
        "اوسخ خدمه بالعالم",  # the elative of a verdict, said of the service
        "احقر شبكه",
        "xirabtirîn tora ku min dîtiye",  # Kurmanji superlative suffix
        "tora we torekeke bêkêr e",  # Kurmanji indefinite ending on the target
        "ما عدت اتحمل هالوضع",  # patience at its end
        "كل شوي يفصل الخط",  # out every day
        "shame on u guys",
        "a8ba shabake",  # Arabizi: the elative's ى typed as ا, 8 read as غ
    ],
)
def test_sixth_pass_anger_forms(text: str) -> None:
    from nura_appliance.conversation.signals import sentiment

    assert sentiment(text) == "negative"


def test_sixth_pass_kurmanji_digraphs_are_read_as_letters() -> None:
    from nura_appliance.conversation.signals import sentiment

    assert sentiment("ev chi xizmet e") == "negative"  # ç typed as "ch"
    assert sentiment("shukir, spas") != "negative"


@pytest.mark.parametrize("text", ["ما نقدر نتحمل سعر الباقة؟", "احمر الخط بالتطبيق", "kesek heye ku alîkariyê bike"])
def test_sixth_pass_calm_stays_calm(text: str) -> None:
    from nura_appliance.conversation.signals import sentiment

    assert sentiment(text) != "negative"


# Seventh pass (a third writer): insults by address, Kurmanji wish forms of "talk", a request
# buried in one clause of a run-on story, someone else's will.
@pytest.mark.parametrize("text", ["يا بهايم جاوبوا", "ya 7ayawanat", "ey kerine", "kerino hun li ku ne", "you clowns"])
def test_seventh_pass_insults_by_address(text: str) -> None:
    from nura_appliance.conversation.signals import sentiment

    assert sentiment(text) == "negative"


@pytest.mark.parametrize("text", ["عندي كلب صغير", "انا اربي حيوانات بالبيت", "do you have dogs", "ya reet"])
def test_seventh_pass_insult_nouns_alone_stay_calm(text: str) -> None:
    from nura_appliance.conversation.signals import sentiment

    assert sentiment(text) != "negative"


def test_seventh_pass_kurmanji_wish_form_of_talk() -> None:
    assert "talk" in roles("bipeyive")
    assert "talk" in roles("biaxivin")
    assert "talk" not in roles("dipeyive")  # the indicative reports


def test_seventh_pass_request_in_one_clause_of_a_story() -> None:
    text = "du roj e her car ez gazî dikim kes bersiv nade, ji kerema xwe karmendek bi min re bipeyive"
    assert wants_human(text)
    assert not wants_human("her roj karmendek bi min re dipeyive, ez nizanim kî ye")


def test_seventh_pass_someone_elses_will_is_not_a_request() -> None:
    assert not wants_human("my boss wants me to talk at the conference tomorrow")
    assert wants_human("i want to talk to a manager")


# Ninth pass (lang-dev9): a person named by a noun phrase of staff and unit words, staff that a
# thing is for, and "escalate my …" asked as a how-question.
@pytest.mark.parametrize(
    "text",
    [
        "کارمەندێکی خزمەتگوزاری کڕیاران",  # an employee of customer service (ezafe), nothing else
        "موظف خدمة العملاء",
        "karmendê xizmeta xerîdaran",
        "customer service agent please",
    ],
)
def test_ninth_pass_a_person_named_by_a_noun_phrase_is_asked_for(text: str) -> None:
    assert wants_human(text, None)


@pytest.mark.parametrize(
    "text",
    [
        "بۆ کۆمپانیاکەمان سیمی کارمەندان و ئینتەرنێتی تایبەت دەمانەوێت",  # SIMs of (our) employees
        "how to escalate my complaint",
        "customer service agent working hours",  # a question about the person, not for them
    ],
)
def test_ninth_pass_near_misses_of_the_noun_phrase(text: str) -> None:
    assert not wants_human(text, None)


def test_ninth_pass_escalating_with_a_want_or_a_please_still_asks() -> None:
    assert wants_human("i want to escalate my complaint", None)
    assert wants_human("please escalate this", None)


@pytest.mark.parametrize(
    ("text", "handoff"),
    [
        ("ئادەمیزادێک بۆ قسەکردن", True),  # the Sorani infinitive is a talk noun
        ("پێویستم بە یارمەتی مرۆڤە", True),  # a person's help, with the copula ە
        ("i need help from a human", True),
        ("wenkum ya mowazafin", True),  # where are you (plural), employees
        ("wen el far3", False),  # where is the branch: a place
        ("قسەکردن لەگەڵ براکەم بە تەلەفۆن گرانە", False),  # talking with my brother is expensive
    ],
)
def test_ninth_pass_second_dev_round(text: str, handoff: bool) -> None:
    assert wants_human(text, None) == handoff


@pytest.mark.parametrize(
    ("text", "handoff"),
    [
        # a person set against a bot: the customer asks for what the bot is not
        ("is anyone real here or just a bot", True),
        ("kesek heye ku alîkariya min bike? ne robot", True),
        ("في حدا بني آدم هون ولا كلها ردود آلية", True),
        # an Arabizi digit letter with its mark written before it ("'6" as "6'", ظ)
        ("abi akalim mowa'6af", True),
        # "is there someone who knows / has …": a question to the crowd, not a request
        ("في حدا بيعرف صيدلية فاتحة هلق", False),
        ("في حد عنده قطة عايز يتبناها", False),
        ("is there anyone who knows a good dentist", False),
        ("کەسێک هەیە دەزانێت نرخی زێڕ چەندە", False),
        # ... while "is there someone here / who answers me" still asks
        ("fi 7ada hon?", True),
        ("هل يوجد موظف يمكنه مساعدتي مباشرة", True),
    ],
)
def test_thirteenth_pass_existence_questions_and_the_bot_contrast(text: str, handoff: bool) -> None:
    assert wants_human(text, None) == handoff


def test_kurmanji_putting_through_in_any_person() -> None:
    # girê dan, veguhêztin, gihandin: every person of the imperative, not only the listed ones
    for text in (
        "ji kerema xwe min bi karmendekî ve girêbidin",
        "min bi berpirsekî ve girêbide",
        "min veguhêzin bo karmendekî",
        "min bigihînin karmendekî",
    ):
        assert wants_human(text, "ku"), text
    # connecting a thing is no request
    assert not wants_human("ez dixwazim xeta xwe bi înternetê ve girê bidim", "ku")
    assert not wants_human("modema min girê nade", "ku")


def test_an_arabizi_request_is_read_also_without_the_pack_vocabulary() -> None:
    """The pack's words are for its product names; read against them a dialect word of the
    request can become a longer pack word ("3alaya", on me, became "عاليه", high): the request is
    also read with the dialect lexicon alone, and its near misses keep every veto."""
    from nura_appliance.knowledge.arabizi import vocabulary_of

    vocabulary = vocabulary_of(["سرعة عالية للانترنت", "باقة عاليه السرعة"])
    assert wants_human("7ad yerod 3alaya law sama7t", "ar", vocabulary)
    assert wants_human("7ad yerod 3alaya law sama7t", "ar")
    # a near miss stays one with the vocabulary too
    for text in ("shno ra8am el call center", "areed a7awel raseed l akhoy"):
        assert not wants_human(text, "ar", vocabulary), text
