"""A request for a person, read by composition rather than by listed phrases.

The phrase lists of conversation.signals know the phrasings their authors thought of; customers
combine the same few parts in other orders and spellings. Here each word of the normalised
message (and of its Arabic-script reading when it is Arabizi) is given the roles it can play:

* ``staff`` — a word for someone of the company: an employee, agent, manager, supervisor,
  customer service, support, the administration (ar, ckb, ku, en);
* ``human`` — a word for any person: someone, a human, a person, "حدا", "کەسێک", "kesek";
* ``want`` — wanting or asking: "اريد", "بدي", "عايز", "محتاج", "دەمەوێت", "dixwazim", "need",
  "would like", "can i", "let me";
* ``talk`` — an action done *with* a person: talk, speak, chat, contact, consult ("احچي",
  "اتواصل", "مراجعه", "قسە", "biaxivim");
* ``connect`` — putting the customer through: "حولني", "وصلني", "دزلي", "بمگوازنەوە",
  "transfer", "connect", "put through";
* ``me`` — the customer as object ("معي", "وياي", "me", "min", "بمـ").

Words are recognised by their stem after the dialect's glued prefixes (و ف ب ل ال، the verb
prefixes ا ت ي ن ب ح ه) and endings (pronouns, plural, Sorani ێک/ەکە/ان) are taken off, so
"احچي", "بحكي", "يحاچيني", "الموظفين", "کارمەندێکم" are all found. A request is then one of:

1. ``talk`` (or ``connect``) and a person word within a few words, in either order;
2. ``want`` followed closely by a staff word ("ابي المشرف", "get me a manager");
3. ``connect`` with the customer as object ("transfer me", "دزلي موظف");
4. a person word whose verb has the customer as object ("someone … contact me", "حد يكلمني");
5. a message that is only a staff word and at most one more word ("مدير القسم لو سمحت").

6. "is anyone there?": an existence word first or a presence word last with a person, in a short
   message not about a place or a time ("اكو موظف؟", "کەس هەیە؟", "kes heye?", "anyone there?",
   "is an agent free?", "کارمەندێک ئامادەیە؟").
7. a person found, brought or summoned *for* the customer ("تكدر تجيبلي موظف؟", "صيحلي موظف",
   "کارمەندێکم بۆ بدۆزیتەوە", "بانگی کارمەندێک بکە", "karmendekî ji min re bibînî", "can you find
   me an employee"); a thing fetched has no person.
8. a call *back* asked for ("I'd like a callback", "أطلب معاودة الاتصال", "پەیوەندیم پێوە
   بکەنەوە", "li min vegerin"), not one of the past, a habit, "why" or "don't".
9. *whom* to talk to ("منو اكدر اكلم", "who do I speak to about my bill", "لەگەڵ کێ قسە بکەم؟",
   "bi kê re biaxivim?"), as the whole message, not the end of a story about something else.
10. the bot refused ("ما ابي احچي ويا روبوت", "I don't want to talk to a bot"): the person it is not.

Near misses are read by the same parts: a transfer of something transferable ("transfer credit
to another person"), a person who is "another" or a friend, a question of when, where, which
number or who ("customer service hours", "who is the manager of your company"), a staff member
who is the subject of a report ("the agent in the shop told me") and a negated want ("ما ابي
موظف") do not make a request; nor do calls the customer gets, a complaint about a person or a
want to know (``reports_contact``).
"""

from __future__ import annotations

import functools
import re

from nura_appliance.knowledge.folding import SORANI_E
from nura_appliance.knowledge.normalize import has_sorani_letters, lexicon_words, normalize

_STAFF_TEXT = (
    "موظف موضف مووظف موظفه مسؤول مسوول مسئول مسول مدير مشرف رئيس ممثل معاون مختص اداره اداري دعم سنتر اوبريتور اوبراتور "
    "كابتن فني عامل عملاء زباين زبائن عميل ادمن بني بنادم "
    "کارمەند کارمند فەرمانبەر بەرپرس بەڕێوەبەر سەرپەرشتیار بەڕێوەبەرایەتی پشتگیری مووەزەف ستاف کڕیار مشتەری نوێنەر تیم ئۆپەرەیتەر ئۆپەراتۆر "
    "karmend berpirs berpirsyar berpirsiyar karmand rêveber rêvebir midur müdür operator xerîdar xeridaran xebatkar şêwirmend piştgirî piştevanî fermanber nûner mişterî endam tîm "
    "agent agents agnet representative representatives rep staff operator manager managers supervisor "
    "support customer employee employees advisor adviser consultant team admin administrator technician engineer "
    "supervisors colleague boss bosses"
)
_STAFF = lexicon_words(_STAFF_TEXT)
_HUMAN_TEXT = (
    "شخص انسان بشر بشري ادمي بنادم حد حدا احد واحد حدى "
    "مرۆڤ کەس کەسێک یەکێک یەکێکی ئینسان ئادەمیزاد "
    "mirov kes kesek yekî yekê insan "
    "human humans person people someone somebody anyone anybody being"
)
_HUMAN = lexicon_words(_HUMAN_TEXT)
_WANT_TEXT = (
    "اريد اريد نريد ابي نبي ابغى ابغي ابغا نبغى نبغا ابا بدي بدنا بدى عايز عاوز عايزه محتاج محتاجه احتاج نحتاج اطلب نطلب "
    "ارجو ممكن اود نود ارغب ودي خلي خليني خلوني اعطني اعطيني عطني عطيني عطوني ادوني اديني انطيني انطوني جيبلي هاتلي "
    "بالامكان امكان "
    "دەمەوێت دەمەوێ ئەمەوێت ئەمەوێ دەمانەوێت مەوێت مەوێ پێویستم پێویستمان پێویستە تکایە حەزدەکەم حەزئەکەم حەز "
    "dixwazim dxwazim dixwazin divê divêt dvêm divêm dvêt hez hêvî tika hewce hewceyî hewcedarê hewcedare hewcedarim hewcedar pêwîst pêwîstiya pêwîstî daxwaz bide bidin "
    "damawe damawet dmawe dmawet amawe amawet "
    "want wanna need needs needed required like prefer let get give request dixwest"
)
_WANT = lexicon_words(_WANT_TEXT)
# Verbs of an action done with a person, as stems: the glued verb prefixes and endings are
# removed before lookup.
_TALK_TEXT = (
    "كلم تكلم حكي حجي حاجي حاكي تحدث حدث محادثه حادث تواصل واصل راجع مراجعه سولف دردش خاطب تفاهم تصل اتصال مكالمه قابل "
    "قسه قسان قسەبکەم قسەبکەین قسەکردن دوێم دوان ئاخڤم گفتوگۆ چات پەیوەندی تەلەفۆن تەلەفون "
    "biaxivim biaxive axivim axaftin bipeyivim peyivin peyivîn tekili têkilî biaxifim biaxife bipeyvim bipeyve biaxvim gazî qise xeber gotûbêj pêwendî axaftinê qsa qse "
    "talk speak chat contact reach discuss consult callback meet"
)
_TALK = lexicon_words(_TALK_TEXT)
_CONNECT_TEXT = (
    "حولني حولوني تحولني تحولوني وصلني وصلوني توصلني توصلوني دزني دزوني تدزني دزلي دزولي ودني وديني "
    "ودوني توديني حطني حطوني تحطني تحويل توصيل حول وصل ابعتلي ابعثلي ارسللي ابعتولي ابعثولي ارسلولي بعتلي بعثلي "
    "ڕەوانە بمگوازنەوە بمگوازەرەوە بمگوێزەرەوە بمگوێزنەوە بمبەستەوە بمبەستنەوە بمنێرە بمنێرن گواستنەوە بمبە بمبەن بمبەرە "
    "girêde girêbide girêdin veguhêze veguhêzin veguhezîne bişînin bisinin bişîne bigihîne bigihînin gihandin "
    "connect transfer put forward pass escalate send hand transferred connected"
)
_CONNECT = lexicon_words(_CONNECT_TEXT)
# The customer as the object of the verb (a person "talks to me", "connect me").
_ME_TEXT = "معي معاي معايا وياي ويايا عليا الي لي بي بيه بيا me us min my ji بۆم بمن پەیوەندیم پەیوەندیمان"
_ME = lexicon_words(_ME_TEXT)
# Verbs whose object is the customer: a person word with one of these is a request.
_TO_ME_STEMS_TEXT = "كلم حكي حجي حاجي حاكي تواصل اتصل تصل رن رد جاوب ساعد فهم خابر gazî alîkarî bersiv contact call ring phone answer help text reach"
_TO_ME_STEMS = lexicon_words(_TO_ME_STEMS_TEXT)


def arabizi_spellings() -> frozenset[str]:
    """The Arabic (not Sorani) words of the roles above, as Arabizi may spell them: each word, and
    each verb stem with the dialects' person prefixes ("ehki" → "احكي", "yekalmni" → "يكلمني").
    Registered with the transliteration by conversation.signals (not on import here)."""
    words: set[str] = set()
    # the fetch verbs with the glued "for me" ("jeebli", "la2eeli" → "جيبلي", "لاقيلي") and the
    # verbs of calling back with the persons that ask ("t3awdoon" → "تعاودون")
    for stem in _FETCH_AR_TEXT.split():
        words.update(p + stem + "لي" for p in ("", "ت"))
    # the fillers around a request ("ya jama3a", "law sama7t") and not accepting ("ardha")
    words.update(
        normalize(w) for w in (_FILLERS_TEXT + " " + _ACCEPT_TEXT).split() if _ARABIC_RAW.match(w) and len(w) >= 3
    )
    for stem in ("عاود", "رجع"):
        words.update(p + stem + e for p in ("ي", "ت") for e in ("", "ون", "وا"))
    for text in (_STAFF_TEXT, _HUMAN_TEXT, _WANT_TEXT, _TALK_TEXT, _CONNECT_TEXT, _ME_TEXT, _TO_ME_STEMS_TEXT):
        for raw in text.split():
            if not _ARABIC_RAW.match(raw) or has_sorani_letters(raw) or len(raw) < 2:
                continue
            word = normalize(raw)
            words.add(word)
            if text in (_TALK_TEXT, _TO_ME_STEMS_TEXT):
                words.update(p + word for p in ("ا", "ي", "ت", "ن", "ب"))
    return frozenset(w for w in words if len(w) >= 3)


_ARABIC_RAW = re.compile("^[\u0621-\u064a]+$")
# Things that are transferred or sent, not the customer: "transfer credit to another person".
_OBJECT = lexicon_words(
    "رصيد رصيدي الرصيد فلوس مبلغ نقاط نقاطي باقه شريحه شرايح خطوط رسايل رساله رقم رقمي داتا انترنت نت وحدات دقايق كارت "
    "باڵانس پارە خاڵ هێڵ ژمارە سیم سیمکارت "
    "kredi pere bakiye xal jimar sîm sîmkart "
    "credit balance money points data minutes package bundle sim sims number file photo gift sms message messages link links"
)
# Another person, a friend or family, or someone abroad: not the company's staff.
_OTHER = lexicon_words(
    "دەرەوە ثاني ثانيه تاني تانيه اخر اخرى غيري صديق صاحبي صديقي اخوي اخويا اختي ابوي امي اهلي برا الخارج "
    "تر دیکە هاوڕێ برا "
    "din hevalê heval bira "
    "another other else friend brother sister mother father family abroad"
)
# A question about the person or the service rather than for the person.
_QUESTION = lexicon_words(
    "منو مين من شنو ايش وش شو ايه ماهو ماهي اوقات دوام ساعات رقم عنوان متى امتى شوكت وين فين اين وقت "
    "کێ کەی کاتی کات ژمارەی ناونیشان لەکوێ "
    "kî kengî kengi kîjan hejmar navnîşan ku derê dem "
    "who whom whose when hours hour number numbers address where open opening time times name"
)
# A polite or modal frame that makes "someone … call me" a request, not a report of spam calls.
_MODAL = lexicon_words(
    "ممكن خلي خلوا خليه خلو يرجى ارجو can could please pls plz let have should bila بلا "
    "دەکرێت ئەکرێت ئەکرێ دەکرێ دەتوانم ئەتوانم دەتوانن ئەتوانن"
)
# Help from someone, between a want and the staff word: "محتاج مساعدة من موظف",
# "hewcedarê alîkariya karmendekî", "need help from an agent"
_HELP = lexicon_words("مساعده مساعدة من یارمەتی لە alîkarî alîkariya ji help assistance from")
_ESCALATE = lexicon_words("escalate escalation")
_KU_CONNECT = lexicon_words("girêde girêbide girêdin veguhêze veguhêzin veguhezîne bigihîne bigihînin bişînin bişîne")
# A unit of the company between a want and its staff word: "ابغا خدمة العملاء", "need support team".
_UNIT = lexicon_words(
    "خدمه خدمات قسم بەش خزمەتگوزاری xizmetguzarî خزمەتگوزاریی xizmet xizmeta beş service department tîma tima"
)
# Words that can only mean a person (not also "one" like "واحد", "yekî"): a want of one of them
# is a request ("ez mirovekî dixwazim", "i need a human", "ابي انسان").
_ONLY_PERSON = lexicon_words("شخص انسان بشر بشري ادمي بنادم مرۆڤ کەسێک mirov kesek human person someone somebody")
# "Call me" said to the company (a callback is a person's call): Arabic plural imperatives and
# "you (plural) call", Kurmanji "gazî / telefonî", English "call".
_CALL_US = lexicon_words(
    "اتصلوا اتصلو رنوا رنو خابروا خابرو تتصلون تتصلوا تتصلو ترنون ترنوا اتصلولي رنولي كلموني خابروني تكلموني "
    "gazî telefonî call ring"
)
_CALL_ME_GLUED = lexicon_words("اتصلولي رنولي كلموني خابروني تكلموني")
_CALL_ME_OBJECT = lexicon_words("بي بيه بيا علي عليا عليه فيا لي")
_AGO = lexicon_words("قبل امس البارحه امبارح البارح شوي قالوا وقالوا ago yesterday called doh duh")
_WHY_WHEN = lexicon_words("ليش ليه لماذا لما لمن بۆچی کاتێک boçi çima kengî gava why when once after")
_BOT = lexicon_words("روبوت بوت الي الة ربوت ڕۆبۆت ڕۆبات بۆت ئامێر robot bot machine chatbot ai")
_NEGATION = lexicon_words("ما مو مش لا مب ماني مابي ماريد dont t not no never na ne نا نە")
_FILLERS_TEXT = (
    "لو سمحت سمحتي من فضلك رجاء ارجوك يا جماعه اخي الحين هسه هلق بسرعه ضروري الله يخليك تكفى مرحبا السلام "
    "عليكم حقيقي القسم تکایە ببورە سڵاو ئێستا زوو بە please pls plz now asap a an the hi hello real live "
    "ji kerema xwe ere bi lutfen rast rastîn your ur"
)
_FILLERS = lexicon_words(_FILLERS_TEXT)

# Glued prefixes: conjunctions, prepositions, the article, the verb prefixes of the dialects.
_AR_PREFIXES = ("وال", "فال", "بال", "لل", "ال", "و", "ف", "ب", "ل")
_VERB_PREFIXES = ("بت", "بي", "بن", "عم", "ا", "ت", "ي", "ن", "ب", "ح", "ه")
_AR_SUFFIXES = ("هم", "كم", "كن", "ها", "نا", "ني", "ين", "ون", "ات", "يك", "وا", "ه", "ي", "و", "ك", "ا")
_CKB_SUFFIXES = (
    "ێکەوە",
    "ەوە",
    "ێکدا",
    "یەکی",
    "ێکی",
    "ێکم",
    "ێکە",
    "ێک",
    "ەکە",
    "ەکان",
    "ەکانی",
    "ان",
    "تان",
    "م",
    "ی",
    "یش",
)
_CKB_SUFFIXES_N = tuple(sorted({normalize(s).replace(SORANI_E, "ه") for s in _CKB_SUFFIXES}, key=len, reverse=True))
_LATIN = re.compile("[a-z]")


_SUFFIX_SET = frozenset(_AR_SUFFIXES + _CKB_SUFFIXES_N)
_SUFFIX_LENGTHS = tuple(sorted({len(x) for x in _SUFFIX_SET}, reverse=True))
_LATIN_ENDS = (
    "s",
    "es",
    "ek",
    "eke",
    "eki",
    "e",
    "i",
    "an",
    "ing",
    "ed",
    "ye",
    "iye",
    "ya",
    "yi",
    "ekî",
    "ê",
    "î",
    "a",
    "en",
    "iyan",
    "yan",
)


def _cut_endings(base: str, out: set[str], keep: int) -> list[str]:
    cuts = []
    for n in _SUFFIX_LENGTHS:
        if len(base) - n >= keep and base[-n:] in _SUFFIX_SET:
            cut = base[:-n]
            out.add(cut)
            cuts.append(cut)
    return cuts


@functools.lru_cache(maxsize=65536)
def _forms(word: str) -> frozenset[str]:
    """The word and what it may be once glued prefixes and endings are taken off (remembered:
    the near-miss readings ask again for words ``roles`` has seen)."""
    return frozenset(_all_forms(word))


def _all_forms(word: str) -> set[str]:
    out = {word}
    if len(word) < 3 or word.isdigit():
        return out
    if _LATIN.match(word):
        for end in _LATIN_ENDS:
            if word.endswith(end) and len(word) - len(end) >= 3:
                out.add(word[: -len(end)])
        return out
    stems = [word] + [word[len(p) :] for p in _AR_PREFIXES if word.startswith(p) and len(word) - len(p) >= 2]
    for base in list(stems):
        stems.extend(base[len(p) :] for p in _VERB_PREFIXES if base.startswith(p) and len(base) - len(p) >= 2)
    out.update(stems)
    for base in stems:
        for cut in _cut_endings(base, out, 2):
            for again in _cut_endings(cut, out, 3):  # a plural then a pronoun
                _cut_endings(again, out, 3)  # Sorani: "ستافەکەتانم" (ەکە + تان + م)
    return out


_ROLE_SETS = (
    ("staff", _STAFF),
    ("human", _HUMAN),
    ("want", _WANT),
    ("talk", _TALK),
    ("connect", _CONNECT),
    ("me", _ME),
    ("object", _OBJECT),
    ("other", _OTHER),
    ("question", _QUESTION),
    ("negation", _NEGATION),
    ("modal", _MODAL),
    ("bot", _BOT),
    ("unit", _UNIT),
    ("help", _HELP),
    ("call_us", _CALL_US),
    ("filler", _FILLERS),
)
# Whole words only (a stem would make "من" out of every word starting with it)
_WHOLE_ONLY = {"me", "question", "negation", "filler", "want", "other", "human", "modal", "call_us", "help"}


_NONE: frozenset[str] = frozenset()


@functools.lru_cache(maxsize=64)
def word_roles(norm: str) -> tuple[tuple[str, ...], tuple[frozenset[str], ...]]:
    """The words of a normalised reading and their roles (one analysis for every check of one
    message; numbers have none and are not remembered)."""
    words = tuple(norm.split())
    return words, tuple(_NONE if w.isdigit() else roles(w) for w in words)


@functools.lru_cache(maxsize=65536)
def roles(word: str) -> frozenset[str]:
    """The roles a normalised word can play (see the module's docstring)."""
    if word.isdigit():
        return _NONE
    sorani_copula = word.endswith(SORANI_E) and len(word) > 3
    word = word.replace(SORANI_E, "ه")
    found = set()
    forms = _forms(word)
    for name, lexicon in _ROLE_SETS:
        whole = name in _WHOLE_ONLY and not (name == "human" and _LATIN.match(word))
        if (word in lexicon) if whole else bool(forms & lexicon):
            found.add(name)
    if _LATIN.match(word) and _ku_subjunctive_talk(word):
        found.add("talk")  # "bipeyive", "biaxivin", "bipeyvê": any person of the wish form
    if _LATIN.match(word) and _ku_connect(word):
        found.add("connect")  # "girêbidin", "veguhêzin", "bigihînin": any person of the imperative
    if not _LATIN.match(word):
        # A verb with the customer as object: "يكلمني", "يحاچيني", "تتصل بي" (ني / بي glued)
        if word.endswith("ني") and len(word) > 4 and (_forms(word[:-2]) & _TO_ME_STEMS or _forms(word[:-2]) & _TALK):
            found.add("to_me")
        if "human" not in found and word[:1] in "بلوف" and len(word) >= 4 and word[1:] in _HUMAN:
            found.add("human")  # "ابي اتصل بحدا", "احكي لشخص"
        if "human" not in found and any(word.endswith(end) and word[: -len(end)] in _HUMAN for end in _CKB_SUFFIXES_N):
            found.add("human")  # Sorani: "کەسێکم", "مرۆڤێک", "کەسێکە"
        if "human" not in found and sorani_copula and word[:-1] in _HUMAN:
            found.add("human")  # the Sorani copula ە: "یارمەتی مرۆڤە" (it is a human's help)
        # Sorani: a talk or help noun with the customer's م ("قسەم", "تەلەفۆنم", "یارمەتیم"), said of a
        # person in the subjunctive (checked by the caller): "کەسێک هەیە یارمەتیم بدات"
        if len(word) > 3 and word.endswith("م") and _forms(word[:-1]) & (_TALK | _CKB_HELP):
            found.add("ckb_to_me")
        # Sorani imperatives with the "me" clitic: بمـ (bim-) before a verb of sending or joining
        if word.startswith("بم") and len(word) > 5 and any(c in word for c in ("كواز", "كويز", "بهست", "نير", "كهيهن")):
            found.add("connect")
            found.add("me")
        if word.endswith("كم") and word[:-2] in _HUMAN:
            found.add("staff")  # "one of you": "احدكم", "واحدكم", "حدكم" is someone of the company
        if forms & _BACK_AR or _CKB_BACK.match(word):
            found.add("back")  # a call back ("معاودة الاتصال", "پەیوەندیم پێوە بکاتەوە")
    elif word in _BACK_WORDS_LATIN:
        found.add("back")  # "callback", "call me back", "li min vegerin"
    if word in _WHOM:
        found.add("whom")  # "who do I speak to": a cue (conversation.signals looks no further without one)
    return frozenset(found)


# Kurmanji verbs of talking by their stem: the subjunctive ("that … talk", the wish form) is bi-
# + stem + a person ending, in any person ("bipeyive", "biaxivin", "bipeyvim"); the indicative
# di- is a report (``_KU_INDICATIVE``).
_KU_TALK_STEMS = ("axiv", "axif", "axv", "peyiv", "peyv", "axaf")
_KU_PERSON_ENDS = ("im", "in", "e", "ê", "i", "î", "")


def _ku_subjunctive_talk(word: str) -> bool:
    if not word.startswith("bi") or len(word) < 6:
        return False
    stem = word[2:]
    return any(stem == t + e for t in _KU_TALK_STEMS for e in _KU_PERSON_ENDS)


# Kurmanji verbs of putting through by their form, in any person of the imperative or wish:
# girê dan (connect; "girêbidin", "girê bide", "girêde"), veguhêztin (transfer; "veguhêzin",
# "veguhezînin"), gihandin (bring to; "bigihînin") — the list held some persons only.
_KU_CONNECT_FORM = re.compile(
    r"^(?:gire(?:bi)?d(?:e|in|im|i|an)?|(?:bi)?veguhez(?:in|e|ine|inin|i)?|bigihin(?:e|in|i)?|bigihin(?:ine|inin))$"
)


def _ku_connect(word: str) -> bool:
    return bool(_KU_CONNECT_FORM.match(word))


_WINDOW = 6


_WITH = lexicon_words("مع ويا وياه ويه لەگەڵ لەگەل لگەڵ گەڵ digel ligel legel tevî lagal lagel lagall with")


def _persons(rs: tuple[frozenset[str], ...], words: tuple[str, ...] = ()) -> list[int]:
    """Words for a person; also a unit of the company right after "with" ("لەگەڵ بەشی
    خزمەتگوزاری", "with your service department"), which is talked *with*, not *about*."""
    found = [i for i, r in enumerate(rs) if "staff" in r or "human" in r]
    for i, r in enumerate(rs):
        before = [w.replace(SORANI_E, "ه") for w in words[max(0, i - 2) : i]]
        if "unit" in r and i not in found and not _WITH.isdisjoint(before):
            found.append(i)
    return sorted(found)


def reads_as_request(norm: str, clause: bool = False) -> bool:
    """Whether one normalised reading asks for a person (see the module's docstring). ``clause``:
    the reading is one clause of a longer message, so "whom do I talk to" is not read (the
    clauses before it say what about: "talabat delivery is late, who do i contact")."""
    words, rs = word_roles(norm)
    if not words or len(words) > 40:
        return False
    if (
        _asks_for_a_call(words, rs)
        or asks_to_be_called_back(words, rs)
        or _bare_to_me(words, rs)
        or _refuses_the_bot(words, rs)
        or (not clause and _asks_whom_to_talk_to(words, rs))
        or _asks_where_to_find_staff(words, rs)
    ):
        return True
    persons = _persons(rs, words)
    if not persons and not any("connect" in r for r in rs):
        return False
    if _asks_if_anyone_is_there(words, rs, persons) or _person_not_bot(words, rs, persons):
        return True
    # (Kurmanji "ku" after "there is" is the relative "who", not "where": "karmendek heye ku
    # alîkariya min bike", is there an employee who helps me)
    # (nor is Arabic "من" after a person: "حدا من الموظفين", one of the staff, not "who")
    asked = [
        i
        for i, r in enumerate(rs)
        if "question" in r
        and not (words[i] == "ku" and i and words[i - 1] in _KU_EXIST)
        and not (words[i] == "من" and 0 < i < len(rs) - 1 and "human" in rs[i - 1] and rs[i + 1] & {"staff", "unit"})
    ]
    if asked and not any("want" in r for r in rs):
        return False
    if any("object" in r for r in rs) and not any("staff" in r for r in rs):
        return False  # a transfer of credit, a call to someone about a number
    # a person who is another, a friend, family: not the company's
    staff = [i for i in persons if "staff" in rs[i]]
    humans = [i for i in persons if "human" in rs[i] and "staff" not in rs[i]]
    if any("other" in r for r in rs) and not staff:
        return False
    if _asks_to_fetch_a_person(words, rs, persons):
        return True
    negated = {i + 1 for i, r in enumerate(rs) if "negation" in r}
    wants = [i for i, r in enumerate(rs) if "want" in r and i not in negated]
    talks = [i for i, r in enumerate(rs) if "talk" in r]
    connects = [i for i, r in enumerate(rs) if "connect" in r]
    to_me = [i for i, r in enumerate(rs) if "to_me" in r]
    # Sorani "… قسەم لەگەڵ بکات" (that … talk with me): the subjunctive is itself the wish
    ckb_to_me = [
        i
        for i, r in enumerate(rs)
        if "ckb_to_me" in r and any(w.replace(SORANI_E, "ه") in _CKB_SUBJUNCTIVE for w in words[i + 1 : i + 4])
    ]
    if any(w.replace(SORANI_E, "ه") in _CKB_UNABLE or w == _NOBODY for w in words):
        ckb_to_me = []  # "هیچ کەسێک ناتوانێت پەیوەندیم پێوە بکات": nobody can call me, a call problem
    to_me += ckb_to_me
    mes = [i for i, r in enumerate(rs) if "me" in r]

    def near(a: list[int], b: list[int], span: int = _WINDOW) -> bool:
        return any(abs(i - j) <= span for i in a for j in b)

    # 1. talk with / be put through to a person, any order — not "I can't call and nobody can
    # call me" (Sorani "ناتوانم پەیوەندی بکەم…": a call problem)
    unable = not wants and any(w.replace(SORANI_E, "ه") in _CKB_UNABLE for w in words)
    if (
        near(talks + connects, persons)
        and (wants or connects or _first_person(words, talks) or near(talks, mes, 3) or _asks_may_i(words))
        and not unable
    ):
        return True
    # 2. want a member of staff ("ابي المشرف", "get me a manager", "need support team"): only
    # "me", fillers and articles between, and not "for the staff" ("شرايح لموظفين الشركه")
    for w in wants:
        for s in staff:
            between = rs[w + 1 : s]
            # (also "one of the staff": "خلي واحد من الموظفين يشوف", "let one of your agents")
            partitive = any("help" in r for r in between)
            if (
                0 < s - w <= 4
                and all(
                    "me" in r or "filler" in r or "unit" in r or "help" in r or (partitive and "human" in r)
                    for r in between
                )
                and (s - w <= 3 or any("help" in r for r in between))
                and not words[s].startswith("ل")
            ):
                return True
            # Sorani puts the verb last: "بەرپرسێکم پێویستە"
            if 0 < w - s <= 2 and not any("object" in r for r in rs):
                return True
    # a want of a word that can only mean a person, next to it in either order ("i need a human",
    # "ez mirovekî dixwazim"; not "ابي واحد", "I want one")
    for w in wants:
        for h in humans:
            # (or a person's help: "پێویستم بە یارمەتی مرۆڤە", "i need help from a human")
            between = rs[w + 1 : h]
            helped = any("help" in r for r in between)
            if (
                _forms(words[h].replace(SORANI_E, "ه")) & _ONLY_PERSON
                or (words[h].endswith(SORANI_E) and words[h][:-1].replace(SORANI_E, "ه") in _ONLY_PERSON)
            ) and (
                (0 < h - w <= (3 if helped else 2) and all("me" in r or "filler" in r or "help" in r for r in between))
                or 0 < w - h <= 1
            ):
                return True
    # ... and "X is wanted by me": "کارمەندێکی خزمەتگوزاریم دەوێت", "…کارمەندەکانتانم دەوێت" (the
    # م "me" glued on the word before; "سیمیان دەوێت", "they want SIMs", is not the customer's)
    for w, word in enumerate(words):
        if w and word.replace(SORANI_E, "ه") in _CKB_IS_WANTED and words[w - 1].endswith("م"):
            if any(0 < w - s <= 2 for s in staff):
                return True
    # Sorani "… بە کارمەندێک بگەم" (reach an employee; folded, بگەم is written like بکەم)
    for i, word in enumerate(words):
        if wants and i >= 2 and i - 1 in persons and word.replace(SORANI_E, "ه") in _CKB_REACH:
            if words[i - 2].replace(SORANI_E, "ه") == "به":
                return True
    # 3. put me through ("transfer me to support", "دزلي موظف"), unless a thing is being sent
    if (
        connects
        and (
            near(connects, mes, 2)
            or any(words[i].endswith(("ني", "لي", "وني")) for i in connects)
            # Kurmanji puts the object far before the verb: "min bi beşa xizmetguzariyê ve girêdin"
            or near([i for i in connects if words[i] in _KU_CONNECT or _ku_connect(words[i])], mes, 6)
        )
        and (persons or any("unit" in r for r in rs))  # "min bi beşa xizmetguzariyê ve girêdin"
    ):
        return True
    # "i want to escalate", "escalate this": escalating is only ever to a person
    # ("how to escalate my complaint" asks how: a possessive "my" is not the customer as object)
    if any(w in _ESCALATE for w in words) and (
        wants
        or any(("me" in r and w not in _POSSESSIVE) or "modal" in r for w, r in zip(words, rs, strict=True))
        or len(words) <= 3
    ):
        return True
    # 4. a person who talks to / calls / answers the customer ("someone from your team contact me")
    polite = bool(wants) or bool(ckb_to_me) or any("modal" in r for r in rs)
    # "is there someone who helps me": an existence word is as polite as a "could"
    polite = polite or any(w.replace(SORANI_E, "ه") in _EXIST_LAST or w in _EXIST_FIRST for w in words)
    if (
        polite
        and to_me
        and near(to_me, persons, 4)
        and not any(i < j for i in staff for j in to_me if _is_report(words, i, j))
    ):
        return True
    if polite and (humans or staff):
        contact = [i for i, r in enumerate(rs) if _forms(words[i]) & _TO_ME_STEMS]
        if any(0 < m - c <= 2 for c in contact for m in mes) and near(contact, persons, 5):
            return True
    # 5. a message that is a staff word and at most one more word
    # (a refused bot is no content: "ڕۆبۆت نا، کارمەند", "no bot, an agent")
    # (only beside a bot: "تدعمون eSIM لو لا", "do you support eSIM or not", keeps its "لا")
    bot = any("bot" in r for r in rs)
    content = [
        i
        for i, r in enumerate(rs)
        if "filler" not in r and not (bot and ("bot" in r or "negation" in r)) and i not in _partitive(words, rs)
    ]
    if staff and len(content) <= 2 and all(i in staff or i == content[-1] for i in content):
        return True
    # ... or a noun phrase made only of staff and company-unit words, in any order and with the
    # ezafe or construct between them ("کارمەندێکی خزمەتگوزاری کڕیاران", "موظف خدمة العملاء",
    # "karmendê xizmeta xerîdaran", "customer service agent"): naming the person is asking for them
    if staff and len(content) <= 4 and all("staff" in rs[i] or "unit" in rs[i] for i in content):
        return True
    return bool(humans) and content == humans[:1]  # "mirovekî rast ji kerema xwe", "a human please"


# Is anyone there? An existence word first ("اكو موظف؟", "في حدا؟", "is there an actual person")
# or a presence word last ("کەس هەیە؟", "kes heye?", "anyone there?"), with a person close by, in a
# short message that is not about a place or a time ("اكو موظف بالفرع يوم الجمعه؟").
_KU_EXIST = lexicon_words("heye hene")
_EXIST_FIRST = lexicon_words("اكو في فيه فيش يوجد هناك there")
_EXIST_LAST = lexicon_words(
    "موجود موجودين متاح متاحين متوفر هنا هون هني هەیە لێرەیە لێرەن لێرە heye hene vir there here available online "
    "ئامادە ئامادەیە ئامادەن amade free vala"
)
# "free" is also "of no charge": free beside a unit of the company ("is customer service free?")
# asks a price, not for a person
_FREE = lexicon_words("free vala")
_LEADERS = lexicon_words("هل يا is are ئایا gelo")
_WHERE = lexicon_words("وين فين اين وينكم وينك وينكو وينهم فينكم فينك وینن کوان ku where")  # "wenkum ya mowazafin"
_PLACE = lexicon_words(
    "فرع الفرع بالفرع فروع محل بالمحل مكتب بالمكتب معرض مركز branch shop store office centre center "
    "لق فرۆشگا نووسینگە şax şaxê şaxa dikan dikanê dikana nivîsgeh nivîsgehê navend navendê"
)
_TIME = lexicon_words(
    "يوم الجمعه الجمعه السبت العطله الليل بالليل الصبح ساعه اوقات دوام متى امتى شوكت today tomorrow friday weekend "
    "hours time when هەینی ڕۆژ کەی roj kengî"
)


def _asks_for_a_call(words: tuple[str, ...], rs: tuple[frozenset[str], ...]) -> bool:
    """ "Call me" said to the company, in a short message that is not "why" or "when" ("اتصلوا بي
    ضروري", "كلموني", "ممكن تتصلون بيه؟", "پەیوەندیم پێوە بکەن", "gazî min bikin", "please call me
    back"; not "call me when my package ends", "ليش تتصلون بيه كل يوم")."""
    if len(words) > 9:
        return False
    folded = [w.replace(SORANI_E, "ه") for w in words]
    if any(w in _WHY_WHEN or w in _HABIT or w in _TIME or w in _PAST or w in _AGO for w in folded):
        return False  # "اتصلوا" is also "they called": "قبل شوي اتصلوا بيه", "اتصلوا بي وقالوا …"
    # "on this number" / "على رقمي" says where to call back, it is no thing being sent
    if any(("object" in r and w not in _NUMBER) or "other" in r for w, r in zip(folded, rs, strict=True)):
        return False
    if any(w in _CKB_UNABLE for w in folded):
        return False  # "ناتوانن پەیوەندیم پێوە بکەن": they cannot call me, a call problem
    for i, w in enumerate(folded):
        after = folded[i + 1 : i + 4]
        if w in _CALL_ME_GLUED:
            return True
        if "call_us" in rs[i] and after and after[0] in _CALL_ME_OBJECT and not _LATIN.match(w):
            return True
        # Sorani: "پەیوەندیم پێوە بکەن", "تەلەفۆنم بۆ بکەن" (the plural imperative: you, the company)
        if "ckb_to_me" in rs[i] and not _CKB_YOU_DO.isdisjoint(after):
            return True
        # Kurmanji "gazî min bikin", English "(please) call me (back)"
        if "call_us" in rs[i] and after[:1] == ["min"] and "bikin" in after:
            return True
        if (
            w in ("call", "ring")
            and after[:1] == ["me"]
            and any(x in ("please", "pls", "plz", "can", "could") for x in folded)
        ):
            return True
        # "give me a call / a ring", "can you guys give me a call"
        if w == "give" and after[:1] == ["me"] and any(x in ("call", "ring", "buzz") for x in folded[i + 2 : i + 4]):
            return True
    return False


# A message that is only a verb of talking or putting through with the customer glued on as its
# object, said to the company: "كلمني", "kalmoni", "دزوني", "dizzoni", "وصلني" (talk to me, send me
# on); not "ساعدني" (help me), which the article tier may answer.
_BARE_TO_ME_STEMS = _TALK | lexicon_words("رن خابر اتصل")


def _bare_to_me(words: tuple[str, ...], rs: tuple[frozenset[str], ...]) -> bool:
    content = [w for w, r in zip(words, rs, strict=True) if "filler" not in r]
    if len(content) != 1 or _LATIN.match(content[0]) or not content[0].endswith("ني"):
        return False
    word = content[0]
    return "connect" in roles(word) or bool(_forms(word[:-2]) & _BARE_TO_ME_STEMS)


# Refusing the bot is asking for the person it is not: a negated want ("ما ابي", glued "مابي",
# "don't want", "naxwazim", "نامەوێت") or a weariness ("tired of", "زهكت") a few words before a
# word for the bot, with or without a verb of talking between ("ما ابي احچي ويا روبوت", "مابي
# اتكلم مع الآلة", "I don't want to talk to a bot", "i'm tired of talking to a machine"). ("الي",
# Iraqi for a machine, is also "to me" and "which": not here.) A thing of the bot's ("ما ابي رسائل
# البوت") is no refusal of talking.
_REFUSE_GLUED = lexicon_words(
    "مابي ماابي ماريد مااريد مابدي مابغى مابغي مابغا naxwazim naxwazin nexwazim نامەوێت نامەوێ ناموێت "
    "tired enough زهكت زهقت تعبت مليت طفرت"
)


# not accepting: "ما ارضى احچي ويا روبوت", "لا أقبل التحدث مع آلة"
_ACCEPT_TEXT = "ارضى ارضا اقبل نقبل نرضى"
_ACCEPT = lexicon_words(_ACCEPT_TEXT, "accept")


def _refuses_the_bot(words: tuple[str, ...], rs: tuple[frozenset[str], ...]) -> bool:
    if len(words) > 12 or any(r & {"object", "other", "question"} for r in rs):
        return False
    folded = [w.replace(SORANI_E, "ه") for w in words]
    bots = [b for b, r in enumerate(rs) if "bot" in r and not r & {"staff", "human"} and folded[b] != "الي"]
    for b in bots:
        before = range(max(0, b - 6), b)
        if any(folded[j] in _REFUSE_GLUED for j in before) or any(
            "negation" in rs[j]
            and any(
                "want" in x or y in _ACCEPT
                for x, y in zip(rs[j + 1 : min(b, j + 3)], folded[j + 1 : min(b, j + 3)], strict=True)
            )
            for j in before
        ):
            return True
    return False


# Asking *whom* to talk to is asking for a person: a who-word with a verb of talking in the first
# person ("منو اكدر اكلم", "مع مين احكي", "بمن أتصل", "who do I speak to about my bill", "لەگەڵ کێ
# قسە بکەم؟", "bi kê re biaxivim?"), or with a person's help to the customer that someone *can*
# give ("کێ دەتوانێت یارمەتیم بدات؟", "who can help me"). Not of the past or a habit ("who called
# me", "منو اتصل بيه"), a thing sent ("منو اكدر احول له رصيد"), someone else's talk ("who are you
# talking to").
_WHOM = lexicon_words("منو مين من بمن لمن who whom کێ کێوە kê kî ki")
_I_CAN = lexicon_words("اكدر اقدر اگدر بقدر بكدر يمكنني استطيع نقدر نكدر i")
_HELP_STEMS = lexicon_words("ساعد help یارمەتی alîkarî alîkariya")
_CAN = lexicon_words("can could يكدر يقدر يگدر بيقدر يمكنه يستطيع دەتوانێت ئەتوانێت dikare")
_ME_AFTER_TALK = lexicon_words("بي بيه بيا علي عليا me")


def _asks_whom_to_talk_to(words: tuple[str, ...], rs: tuple[frozenset[str], ...]) -> bool:
    if len(words) > 12:
        return False
    folded = [w.replace(SORANI_E, "ه") for w in words]
    if any(w in _PAST or w in _HABIT or w in _AGO for w in folded) or any(r & {"object", "other"} for r in rs):
        return False
    whos = [i for i, w in enumerate(folded) if w in _WHOM]
    if not whos:
        return False
    for i, w in enumerate(folded):
        if not any(0 < abs(i - j) <= 3 for j in whos):
            continue
        # the question is the message, not the end of a story about something else ("talabat
        # delivery is late, who do i contact" asks whom at another company): at most two words
        # of other content before it
        start = min([i] + [j for j in whos if abs(i - j) <= 3])
        if sum(1 for r in rs[:start] if not r & {"filler", "want", "modal", "me", "talk", "whom"}) > 2:
            continue
        if "talk" in rs[i] and folded[i + 1 : i + 2] != [] and folded[i + 1] in _ME_AFTER_TALK:
            continue  # "منو اتصل بيه": someone called the customer
        if "talk" in rs[i]:
            if _LATIN.match(w):
                if w.endswith("im") or "i" in folded[max(0, i - 3) : i]:
                    return True  # "biaxivim", "who do I speak to"
            elif w.startswith(("ا", "ن")) and not w.startswith("ال"):
                return True  # "اكلم", "احچي", "اتصل", "نتواصل"
            elif any(x in _I_CAN for x in folded[max(0, i - 3) : i]):
                return True  # "مع من يمكنني التحدث"
            elif not _CKB_FIRST_PERSON.isdisjoint(folded[i + 1 : i + 4]):
                return True  # Sorani "لەگەڵ کێ قسە بکەم", "پەیوەندی بە کێوە بکەم"
        # "who can help me": a help to the customer that someone can give
        helps = (
            bool(_forms(w) & _HELP_STEMS) or "ckb_to_me" in rs[i] or ("to_me" in rs[i] and _forms(w[:-2]) & _HELP_STEMS)
        )
        if helps and not _CAN.isdisjoint(folded) and (w.endswith(("ني", "م")) or folded[i + 1 : i + 2] == ["me"]):
            return True
    return False


# "Where can I find a member of staff": a where-word, a verb of finding in the first person and a
# staff word close by, with no place or time in the message ("wen agdar alga mowazaf", "کارمەندێک
# لە کوێ بدۆزمەوە؟"; not "وين احصل موظف المبيعات بالفرع").
_FIND_I = lexicon_words("القى الاقي الكى الكه الكي الاكي الگى احصل اجد الاقيه بدۆزمەوە بیدۆزمەوە bibînim find")


def _asks_where_to_find_staff(words: tuple[str, ...], rs: tuple[frozenset[str], ...]) -> bool:
    folded = [w.replace(SORANI_E, "ه") for w in words]
    if len(words) > 8 or any(w in _PLACE or w in _TIME for w in folded):
        return False
    if not any(w in _WHERE or w in ("کوێ", "كوي", "where") for w in folded):
        return False
    finds = [i for i, w in enumerate(folded) if w in _FIND_I]
    staff = [i for i, r in enumerate(rs) if "staff" in r]
    return any(abs(i - s) <= 3 for i in finds for s in staff)


# "One of the staff" as a whole message: a word for one or someone, "of", a staff word ("یەکێک لە
# ستافەکەتان", "واحد من الموظفين لو سمحت", "yek ji karmendên we", "one of your agents please"). The
# head and "of" are then no content of their own.
_PARTITIVE = lexicon_words("من لە ji of")
_ONE = lexicon_words("واحد احد حد یەکێک یەک yek yekî one someone")
_YOUR_PLURAL = lexicon_words("we your ur")


def _partitive(words: tuple[str, ...], rs: tuple[frozenset[str], ...]) -> set[int]:
    folded = [w.replace(SORANI_E, "ه") for w in words]
    out: set[int] = set()
    for i in range(1, len(words) - 1):
        if folded[i] in _PARTITIVE and (folded[i - 1] in _ONE or "human" in rs[i - 1]) and "staff" in rs[i + 1]:
            out.update((i - 1, i))
            if i + 2 < len(words) and folded[i + 2] in _YOUR_PLURAL:
                out.add(i + 2)
    return out


# Finding or bringing a person *for* the customer: "تكدر تجيبلي موظف؟", "لگيلي موظف", "فيك تجبلي
# حدا من الموظفين", "کارمەندێکم بۆ بدۆزیتەوە", "karmendekî ji min re bibînî", "can you find me an
# employee". Three parts: a verb of fetching, the customer as the one it is for (the glued لي,
# Sorani بۆ, Kurmanji "ji min re", English "me" / "for me") and a person as what is fetched. A
# thing fetched ("تجيبلي باقة", "find me a cheap package", "پاکێجێکم بۆ بدۆزەرەوە") has no person.
_FETCH_AR_TEXT = "جيب جب هات لقي لكي لاقي لاكي شوف دبر طلع دور وفر صيح نادي ناد"
_FETCH_AR = lexicon_words(_FETCH_AR_TEXT)
# fetch verbs that ask for what follows without a "for me" ("تقدر تجيب موظف؟")
_FETCH_AR_BARE = lexicon_words("جيب جب لاقي")
_FOR_ME_AR = ("ولنا", "ولي", "لنا", "لي")
_FOR_ME_WORD = lexicon_words("لي الي إلي الى لنا")
# (said to the company: the imperative or "you"; not "اجيب", I bring: "اريد اجيب موظفيني للفرع")
_FETCH_VERB_PREFIXES = ("بت", "ت")
# Sorani "bring / find" in the subjunctive or imperative, folded (ە as ه): بهێنیت, بهێنە, بێنە,
# بهێنن, بدۆزیتەوە, بدۆزەرەوە, بدۆزنەوە
_FETCH_CKB = re.compile("^ب(?:هين|ين|دوز)(?:يت|ه|ن|يتهوه|هرهوه|رهوه|نهوه|نه)$")
_CKB_FOR = lexicon_words("بۆ بۆم بۆمان")
_FETCH_KU = lexicon_words("bibîne bibînî bibînin bîne bînin bibînim bianî bînî")
_FETCH_EN = lexicon_words("find get bring fetch grab locate arrange call summon")
# Sorani "call (someone) in": بانگ with the imperative after it ("بانگی کارمەندێک بکە", "کارمەندێکم
# بۆ بانگ بکە"); Arabic بانك (bank) has no Sorani imperative after it
_CKB_SUMMON = lexicon_words("بانگ بانگی")
_CKB_DO = lexicon_words("بکە بکەن بکەیت بکەن")
# a person fetched: a member of staff or a word for someone ("حدا", "someone"), not "one" (واحد,
# yekî: "تجيبلي واحد جديد" is a new SIM)
_FETCHED = lexicon_words(
    "حد حدا احد حدى شخص انسان بشر بنادم ادمي مرۆڤ کەس کەسێک mirov kes kesek human person someone somebody anyone anybody"
)


def _fetch_ar(word: str) -> tuple[bool, bool]:
    """(a verb of fetching, with the glued "for me") for an Arabic-script word."""
    bases = [word] + [word[len(p) :] for p in _FETCH_VERB_PREFIXES if word.startswith(p) and len(word) - len(p) >= 2]
    for base in bases:
        for end in _FOR_ME_AR:
            if base.endswith(end) and base[: -len(end)] in _FETCH_AR:
                return True, True
    return any(b in _FETCH_AR_BARE for b in bases), False


def _a_thing_fetched(folded: list[str], rs: tuple[frozenset[str], ...], verb: int, person: int) -> bool:
    after = person + (2 if folded[person + 1 : person + 2] == ["s"] else 1)
    return any("object" in r for r in rs[min(verb, person) + 1 : max(verb, person)]) or (
        after < len(rs) and "object" in rs[after]
    )


def _asks_to_fetch_a_person(words: tuple[str, ...], rs: tuple[frozenset[str], ...], persons: list[int]) -> bool:
    if len(words) > 14:
        return False
    folded = [w.replace(SORANI_E, "ه") for w in words]
    # (Arabic verbs only in a message without Sorani ە: Sorani "لێ هات" is "happened to")
    sorani = any(SORANI_E in w for w in words)
    fetched = [
        p for p in persons if "staff" in rs[p] or (_forms(folded[p]) & _FETCHED and not folded[p].endswith("كم"))
    ] + [p for p, r in enumerate(rs) if "staff" in r and p not in persons]
    if not fetched:
        return False
    for i, w in enumerate(folded):
        # (what is fetched is a thing when a thing stands between, or is the person's: "get a sim
        # for my employee", "جيبلي رقم الموظف", "get me the manager's number")
        near = [p for p in fetched if 0 < abs(p - i) <= 4 and not _a_thing_fetched(folded, rs, i, p)]
        if not near:
            continue
        after = folded[i + 1 : i + 3]
        if _LATIN.match(w):
            for_me = any(folded[j : j + 2] in (["for", "me"], ["for", "us"]) for j in range(i + 1, i + 7))
            if w in _FETCH_EN and (after[:1] in (["me"], ["us"]) or for_me):
                if w == "find" or any(p > i for p in near):
                    return True
            if w in _FETCH_KU and any(
                folded[j] in ("ji", "bo") and folded[j + 1] == "min" for j in range(max(0, i - 5), i - 1)
            ):
                return True
            continue
        if _FETCH_CKB.match(w) and not _CKB_FOR.isdisjoint(folded[max(0, i - 3) : i]):
            return True
        if w in _CKB_SUMMON and not _CKB_DO.isdisjoint(folded[i + 1 : i + 4]):
            return True
        is_fetch, for_me = (False, False) if sorani else _fetch_ar(w)
        if not is_fetch:
            continue
        for_me = for_me or (bool(after) and after[0] in _FOR_ME_WORD)
        ahead = [p for p in near if p > i]
        if ahead and (for_me or min(ahead) - i <= 2):
            return True
    return False


# Asking to be called back: a call *back* is only ever a person's ("I'd like a callback", "is
# there a number where someone can call me back", "أطلب معاودة الاتصال", "أود أن يعاود أحدكم
# الاتصال بي", "کەسێک پەیوەندیم پێوە بکاتەوە", "li min vegerin"). The call back is the customer's
# ("me" after it, the glued ني, Arabic بي / فيني / علي) or wanted ("request", "need", "ممكن", "أطلب");
# not one of the past ("called me back"), not why ("why didn't you call me back"), not refused.
_BACK_EN = lexicon_words("call ring phone")
_CALLBACK_EN = lexicon_words("callback callbacks")
# wanting a call back: a want, or booking one ("can I book a callback", "schedule a call back")
_BOOK = lexicon_words("book schedule arrange order")
_PLEASE = lexicon_words("please pls plz")
_BACK_AR = lexicon_words("عاود معاوده اعاده رجع")
_CALL_AR = lexicon_words("اتصال اتصل تصل كلم رن خابر تواصل مكالمه")
_ME_AFTER_CALL = lexicon_words("بي بيه بيا فيني فيا علي عليا معي me us")
_CKB_BACK = re.compile("^ب(?:كات|كهن|كهيت|كهرهوه)هوه$|^بكهرهوه$")
_KU_BACK = lexicon_words("vegere vegerin vegerî vegerine vegerînin")
_BACK_WORDS_LATIN = _CALLBACK_EN | _KU_BACK | {"back"}
_WHY = lexicon_words("ليش ليه لماذا ليش بۆچی boçi çima why")


def _back_en(folded: list[str], rs: tuple[frozenset[str], ...], i: int) -> bool:
    """An English call back at ``i`` asked for: "call me back", "(please) call back", "get back to
    me", "(I'd like / book) a callback", "(I need to) be called back"."""
    w, after = folded[i], folded[i + 1 : i + 4]
    back = "back" in folded[i + 1 : i + 3]
    if w == "get" and folded[i + 1 : i + 3] == ["back", "to"] and after[2:3] in (["me"], ["us"]):
        return True  # "get back to me"; not "get back my money"
    if w == "called" and back and i and folded[i - 1] in ("be", "get", "being"):
        return any("want" in r for r in rs[:i])  # "I need to be called back"
    if not (w in _CALLBACK_EN or (w in _BACK_EN and back)):
        return False
    return (
        not _ME_AFTER_CALL.isdisjoint(after)
        or any("want" in r or x in _BOOK for x, r in zip(folded[:i], rs[:i], strict=True))
        or not _PLEASE.isdisjoint(folded)
    )


def asks_to_be_called_back(words: tuple[str, ...], rs: tuple[frozenset[str], ...]) -> bool:
    """Whether a message asks to be called back (see ``_BACK_EN`` above)."""
    if len(words) > 16:
        return False
    folded = [w.replace(SORANI_E, "ه") for w in words]
    # (the passive "be called back" is no report of a call)
    reported = [
        i
        for i, w in enumerate(folded)
        if (w in _WHY or w in _PAST or w in _AGO or w in _HABIT)
        and not (w == "called" and i and folded[i - 1] in ("be", "get", "being"))
    ]
    if reported or any(w in _CKB_UNABLE or w in _UNABLE for w in folded):
        return False
    wanted = any(r & {"want", "modal"} for r in rs)
    for i, w in enumerate(folded):
        if any("negation" in r for r in rs[max(0, i - 3) : i]):
            continue  # "don't call me back", "ما ابي احد يرجع يتصل"
        if _LATIN.match(w):
            if _back_en(folded, rs, i) or (w in _KU_BACK and "min" in folded[max(0, i - 4) : i]):
                return True
            continue
        if _CKB_BACK.match(w) and any("ckb_to_me" in r for r in rs[max(0, i - 3) : i]):
            return True
        # Arabic: a verb of doing again, not of the first person ("ارجع اتصل", I call back)
        if not (_forms(w) & _BACK_AR) or (w.startswith(("ا", "ن")) and w != "اعاده"):
            continue
        calls = [j for j in range(i + 1, min(len(words), i + 3)) if _forms(folded[j]) & _CALL_AR]
        if not calls:
            continue
        j = calls[0]
        if not _ME_AFTER_CALL.isdisjoint(folded[j + 1 : j + 3]) or folded[j].endswith("ني") or wanted:
            return True
    return False


def _asks_if_anyone_is_there(words: tuple[str, ...], rs: tuple[frozenset[str], ...], persons: list[int]) -> bool:
    folded = [w.replace(SORANI_E, "ه") for w in words]
    if not persons or len(words) > 6 or any(w in _PLACE or w in _TIME for w in folded):
        return False
    if any("object" in r or "other" in r for r in rs):
        return False
    content = [i for i, r in enumerate(rs) if "filler" not in r and folded[i] not in _LEADERS]
    if not content:
        return False
    first, last = content[0], content[-1]
    if len(content) > 1 and folded[last] in ("e", "ye"):  # Kurmanji copula: "kesek li vir e?"
        last = content[-2]
    if (
        folded[first] in _EXIST_FIRST
        and any(0 < p - first <= 3 for p in persons)
        and not _asks_the_crowd(words, min(p for p in persons if p > first))
    ):
        return True
    if folded[last] in _FREE and any("unit" in r for r in rs):
        return False
    if folded[last] in _EXIST_LAST and len(content) <= 4 and any(0 < last - p <= 3 for p in persons):
        return True
    # "وين الموظفين؟", "where is customer service": a where-word and a member of staff, nothing else
    staff = [i for i in persons if "staff" in rs[i]]
    return (
        len(content) <= 3
        and folded[first] in _WHERE
        and bool(staff)
        and all(i == first or i in staff or "unit" in rs[i] for i in content)
    )


# "Is there someone who knows / has / sells …" asks the crowd for a thing, not the company for a
# person ("في حدا بيعرف صيدلية فاتحة", "في حد عنده قطة", "is there anyone who knows a good dentist"):
# a verb of knowing, having, selling or recommending after the person of "is there someone".
_CROWD = lexicon_words(
    "يعرف بيعرف تعرف بتعرف يعرفلك يدل بيدل عنده عندو عندها عندهم عندكم يملك يبيع بيبيع يشتري بيشتري يأجر ينصح "
    "دەزانێت دەزانێ ئەزانێت ئەزانێ هەیەتی دەفرۆشێت دەیفرۆشێت دەکڕێت "
    "dizane dizanin difiroşe dikire heyê "
    "knows know has have sells selling sell owns buys recommend recommends"
)


def _asks_the_crowd(words: tuple[str, ...], after: int) -> bool:
    return any(w.replace(SORANI_E, "ه") in _CROWD for w in words[after + 1 :])


# A person set against a bot: "is anyone real here or just a bot", "kesek heye …? ne robot", "في
# حدا بني آدم هون ولا كلها ردود آلية" — the customer asks for the person the bot is not.
_BOT_CONTRAST = lexicon_words(
    "ما مو مش مب لا ولا او بس فقط غير نا نە نەک یان تەنها ne na an tenê or just only not no than"
)


def _person_not_bot(words: tuple[str, ...], rs: tuple[frozenset[str], ...], persons: list[int]) -> bool:
    if not persons or len(words) > 12 or any("object" in r or "other" in r for r in rs):
        return False
    folded = [w.replace(SORANI_E, "ه") for w in words]
    bots = [i for i, r in enumerate(rs) if "bot" in r and "staff" not in r and "human" not in r]
    return any(
        any(folded[j] in _BOT_CONTRAST for j in range(max(0, b - 3), b)) and any(p < b for p in persons) for b in bots
    )


_MAY_I = lexicon_words("دەتوانم ئەتوانم دەکرێت ئەکرێت ئەکرێ دەکرێ dikarim dkarim")


def _asks_may_i(words: tuple[str, ...]) -> bool:
    """A first-person "can I / may I" frame ("دەتوانم … قسە بکەم", "ez dikarim … biaxivim")."""
    return any(w.replace(SORANI_E, "ه") in _MAY_I for w in words)


def _first_person(words: tuple[str, ...], talks: list[int]) -> bool:
    """A talk verb in the first person ("احچي", "اتواصل", "biaxivim") or an infinitive."""
    for i in talks:
        w = words[i]
        if w.startswith(("ا", "ن", "بح", "اح", "ات")) or w.endswith(("im", "ing")) or w in {"talk", "speak", "chat"}:
            return True
        folded = w.replace(SORANI_E, "ه")
        if (
            w.startswith(("ال", "مر", "تح", "تو")) or folded.endswith(("بكهم", "كردن")) or folded in _CKB_FIRST_PERSON
        ):  # a verbal noun: "التحدث", "مراجعه", "تواصل", Sorani "قسەکردن"
            return True
        # Sorani: the talk noun with a first-person light verb after it ("قسە … بکەم")
        if any(x.replace(SORANI_E, "ه") in _CKB_FIRST_PERSON for x in words[i + 1 : i + 4]):
            return True
    return False


_CKB_REACH = lexicon_words("بگەم بگەین")
# the plural imperative (you, the company), also with ـەوە (back): "پەیوەندیم پێوە بکەنەوە"
_CKB_YOU_DO = lexicon_words("بکەن بکەنەوە بکەرەوە")
# A number as where to call back ("اتصلوا بي على هذا الرقم", "call me back on this number")
_NUMBER = lexicon_words("رقم رقمي الرقم رقمه number ژمارە ژمارەکەم ژمارەم jimar jimara hejmar hejmara")
_CKB_HELP = lexicon_words("یارمەتی وەڵام")
_NOBODY = normalize("هیچ")
_CKB_SUBJUNCTIVE = lexicon_words("بکات بکەن بکا بدات بداتەوە بدەن بدەنەوە")
_BECOME = lexicon_words("ببم ببمە ببین اصير اصبح نصير اتوظف become becoming bibim")
_CKB_IS_WANTED = lexicon_words("دەوێت دەوێ ئەوێت ئەوێ")
_CKB_UNABLE = lexicon_words("ناتوانم ناتوانێت ناتوانین ناتوانن ناکرێت ناتوانی")
_CKB_FIRST_PERSON = lexicon_words("بکەم بکەین دەکەم ئەکەم بدوێم بدوێین bikim bikem bikin bidim daynim dayinim")


def _is_report(words: tuple[str, ...], person: int, verb: int) -> bool:
    """A staff member who did something in the past ("the agent told me"): not a request."""
    return any(w in {"قال", "قلي", "قالي", "told", "said", "gave", "got"} for w in words[person : verb + 1])


# Calls the customer *gets*: a habit ("every day", "always", "keeps"), a 3rd-person present
# indicative (Sorani "دەکات", Kurmanji "dike", "diaxive": someone does it, as against the
# subjunctive "بکات", "bike" of a wish), a past report ("called me", "told me") or a number
# nobody knows. A wish for a person has none of these (spam calls, a shop employee's advice).
_HABIT = lexicon_words(
    "دايما دائما دوم يوميا باستمرار غريب مجهول مجهوله هەمیشە نەناسراو timî hergav her daily always every keeps keep "
    "unknown called calling told said"
)
_CKB_INDICATIVE = lexicon_words("دەکات ئەکات دەکەن ئەکەن دەدات ئەدات دەکا ئەکا")
_KU_INDICATIVE = lexicon_words("dike dikin diaxive diaxivin dipeyive dipeyivin digere digerin")
_EVERY = lexicon_words("كل هەموو هەر")
_DAY = lexicon_words("يوم ساعه مره ليله صباح ڕۆژێک ڕۆژ کات roj")
_ABLE = lexicon_words("اقدر اكدر اگدر قادر نقدر نكدر اكدرش يقدر يكدر يگدر تقدر تكدر يقدرون يكدرون can")
# A past report ("the employee's talk was not true", "کارمەندەکەتان قسەی … کردم", "كان")
_PAST = lexicon_words("bû bu kir got gotin کرد کردم کردین وتی گوتی وتم كان كانت قال قالت قلي قالي")
# "I want to know when your staff work": a want of knowing, not of a person
_KNOW = lexicon_words("bizanim bizanin اعرف نعرف ادري اعرفه بزانم بزانین know")
# A complaint about a person ("complain about an agent", "اشتكي على موظف", "سکاڵا لە کارمەندێک")
_COMPLAIN = lexicon_words("complain complaint اشتكي نشتكي شكوى شكوه سکاڵا سکاڵایەک گلەیی gilî gili")
_ABOUT = lexicon_words("about against on عن على من لە لەسەر li ser")
_UNABLE = lexicon_words("ماقدر مااقدر مقدر ماكدر مااكدر cant cannot nikarim nikarin")
# A day already past ("حكيت مع موظف مبارح", "the agent i talked to yesterday", "duh min bi karmendekî
# re axivî"): with no want and no "put me through" / "could" in the message, the person is in a
# story, not asked for ("حولني لموظف، امس انقطع النت" still asks).
_PAST_DAY = lexicon_words("امس البارحه البارح امبارح مبارح امبرح yesterday duh doh دوێنێ دوينێ")
# "X said / told me" in the dialects, also with a glued و ("وقلي", "وقال")
_SAID = lexicon_words("قال قالت قلي قالي قلتلي كلي كالي كال گلي گالي گال")


# A third person's want or request of the customer: "wants me", "asked me", "يريدني", "بدو ياني"
_THIRD_WANT_ME = lexicon_words("يريدني يبيني يبغاني يبغيني عايزني عاوزني طلبني")
_THIRD_WANT = lexicon_words("wants wanted asked asks expects told")


def reports_contact(norm: str) -> bool:
    """A message about calls the customer gets or cannot make, not a wish for a person: a habit
    ("واحد يتصل عليا كل يوم", "someone keeps calling me", "mirovek her roj gazî min dike"), a
    3rd-person indicative ("کەسێک پەیوەندیم پێوە دەکات"), a past report ("a real person called me
    yesterday"), "I can't call anyone"; also a person who is another, a friend or abroad ("how
    do i call a real person abroad") when no member of staff is named."""
    words, rs = word_roles(norm)
    if _asks_for_a_call(words, rs) or asks_to_be_called_back(words, rs):
        return False  # "call me back on this number": the number is where, not what
    staff = any("staff" in r for r in rs)
    folded = [w.replace(SORANI_E, "ه") for w in words]
    acts = any("talk" in r or "connect" in r for r in rs)
    for c, w in enumerate(folded):
        if (w in _COMPLAIN or _forms(w) & _COMPLAIN) and any(
            ("staff" in rs[p] or "human" in rs[p]) and any(x in _ABOUT for x in folded[c + 1 : p])
            for p in range(c + 2, min(len(words), c + 5))
        ):
            return True  # the person is what the complaint is about
    # someone else's will with the customer as its object ("my manager wants me to speak …", "طلب
    # مني احچي ويه …"): the customer is the one asked to talk, unless they also ask for a person
    if not any(r & {"want", "connect"} for r in rs) and any(
        w in _THIRD_WANT_ME or (w in _THIRD_WANT and i + 1 < len(rs) and "me" in rs[i + 1])
        for i, w in enumerate(folded)
    ):
        return True
    if any("want" in r for r in rs):
        if not acts and any(w in _KNOW for w in folded):
            return True
        # "ابي اعرف منو الشخص اللي يتصل عليا كل يوم"; but an angry "ابي موظف، كل يوم نفس المشكله" asks
        return not staff and any(w in _HABIT for w in words)
    if any(w in _HABIT for w in words) or any(w in _PAST for w in folded):
        return True
    if any(w in _PAST_DAY or w.removeprefix("و") in _SAID for w in folded) and not any(r & _ASKING_ROLES for r in rs):
        return True
    for i, w in enumerate(words[:-1]):
        if w in _EVERY and words[i + 1] in _DAY:
            return True
    if any(w in _CKB_INDICATIVE for w in folded) or any(w in _KU_INDICATIVE for w in words):
        return True
    if any("other" in r or "object" in r for r in rs) and not staff:
        return True  # someone else, or a thing sent: "في احد يقدر يحول رصيد الي؟"
    # "ما اگدر اتصل على احد", "ناتوانم تەلەفۆن بۆ هیچ کەسێک بکەم" (I can't call anyone): a call
    # problem, unless a member of staff is named
    # (also "nobody can": "ما حد يقدر يتصل علي", "محد يكدر يخابرني")
    unable = (
        any(w in _UNABLE or w in _CKB_UNABLE for w in folded)
        or any("negation" in rs[i] and words[i + 1] in _ABLE for i in range(len(words) - 1))
        or any(
            ("negation" in rs[i] and "human" in rs[i + 1] and words[i + 2] in _ABLE)
            or (words[i] in _NOBODY_AR and words[i + 1] in _ABLE)
            for i in range(len(words) - 2)
        )
    )
    # ... nor when the bot is what they cannot talk to ("ناتوانم لەگەڵ ڕۆبۆت قسە بکەم، کەسێکم بدەنێ")
    return unable and not staff and not any("bot" in r for r in rs)


_NOBODY_AR = lexicon_words("محد ماحد محدا ماحدا ماكو مافي")
_POSSESSIVE = lexicon_words("my our")
_FOR = lexicon_words("for بۆ ji bo لـ")


def staff_as_beneficiary(norm: str) -> bool:
    """Staff that a thing is *for* or *of*, with no talking or putting through in the message:
    "SIMs for our employees", Sorani "سیمی کارمەندان" (the ezafe: SIMs of the employees), "شرايح
    لموظفين الشركه", "sîmkartên karmendan" — the company's customers buying for their own staff,
    not asking for the desk's. A thing right before the staff word, or "for" between them."""
    words, rs = word_roles(norm)
    if any(r & {"talk", "connect", "to_me", "call_us", "ckb_to_me"} for r in rs):
        return False
    for s, r in enumerate(rs):
        if "staff" not in r:
            continue
        before = rs[max(0, s - 3) : s]
        if s and "object" in rs[s - 1]:
            return True
        if any("object" in b for b in before) and (
            any(w.replace(SORANI_E, "ه") in _FOR for w in words[max(0, s - 2) : s]) or words[s].startswith("ل")
        ):
            return True
    return False


def refuses_person(norm: str) -> bool:
    """A negated want of a person: "ما ابي موظف بس قلي الرصيد", "i don't need an agent", or a need
    said not to exist after its person ("پێویستم بە کارمەند نییە", "pêwîstiya min bi karmend tune");
    a person the customer wants to *become* (a job: "دەمەوێت ببم بە کارمەند", "ابي اصير موظف"), or
    a job or vacancy named anywhere ("تبحثون عن موظفين؟ اريد التقديم على وظيفه")."""
    words, rs = word_roles(norm)
    folded = [w.replace(SORANI_E, "ه") for w in words]
    if not _JOB.isdisjoint(folded):
        return True
    if _asks_what_the_bot_is(folded, rs):
        return True
    for i, r in enumerate(rs):
        if "want" in r and any(w in _NOT_THERE for w in folded[i + 2 : i + 7]):
            if any("staff" in x or "human" in x for x in rs[i + 1 : i + 6]):
                return True
    for i, word in enumerate(words):
        if word.replace(SORANI_E, "ه") in _BECOME and any("staff" in r or "human" in r for r in rs[i + 1 : i + 4]):
            return True
    for i, r in enumerate(rs[:-1]):
        if "negation" in r and "want" in rs[i + 1]:
            for x in rs[i + 2 : i + 5]:
                if "want" in x or "negation" in x or "bot" in x:
                    break  # "ما ابي بوت ابي احد", "ما ابي بوت موظف": the bot is refused, not the person
                if "staff" in x or "human" in x:
                    return True
    return False


# "Are you a real person?", "انت انسان لو روبوت؟", "tu mirov î?": a question about the bot,
# with no want, talk or putting through in it ("are you human? i want to speak to one" asks).
_YOU_FIRST = (("are", "you"), ("r", "u"), ("is", "this"), ("هل", "انت"), ("انت",), ("انتي",), ("تو",), ("tu",))
_ASK_ROLES = frozenset({"want", "talk", "connect", "to_me", "call_us", "ckb_to_me", "modal"})


def _asks_what_the_bot_is(folded: list[str], rs: tuple[frozenset[str], ...]) -> bool:
    if len(folded) > 8 or not any(tuple(folded[: len(p)]) == p for p in _YOU_FIRST):
        return False
    return not any(r & _ASK_ROLES for r in rs) and any(r & {"human", "bot"} for r in rs)


# A job or vacancy: the customer asks for work, not for a person ("ابي وظيفه عندكم").
_JOB = lexicon_words(
    "وظيفه وظيفة وظايف وظائف شواغر شاغر توظيف التقديم هەلیکار هەلی job jobs vacancy vacancies hiring careers career"
)
# "is not there / does not exist" after a need: Sorani نییە, Kurmanji tune / nîne
_NOT_THERE = lexicon_words("نییە نیە نییه نيه tune tuneye nîne nine")


_CUE_ROLES = frozenset({"staff", "human", "connect", "bot", "call_us", "ckb_to_me", "back", "whom"})


_SEEN: set[str] = set()  # words whose roles were looked at
_CUE_WORDS: set[str] = set()  # of those, the ones with a cue role
_SEEN_LIMIT = 65536


def cue(norm: str) -> bool:
    """Any word that can be part of a request for a person: without one, no phrase list can match
    either, and the hand-off check stops here (most messages). Words are looked at once; after
    that a message costs one set test."""
    words = norm.split()
    for word in set(words).difference(_SEEN) if len(_SEEN) < _SEEN_LIMIT else ():
        if not word.isdigit():
            _SEEN.add(word)
            found = roles(word)
            if found & _CUE_ROLES:
                _CUE_WORDS.add(word)
            elif "unit" in found:
                _UNIT_WORDS.add(word)
    if len(_SEEN) >= _SEEN_LIMIT:
        return any(r & _CUE_ROLES for r in word_roles(norm)[1]) or _unit_with(words)
    if not _CUE_WORDS.isdisjoint(words):
        return True
    # a unit of the company is a person only after "with" ("لەگەڵ بەشی خزمەتگوزاری")
    return not _UNIT_WORDS.isdisjoint(words) and _unit_with(words)


_UNIT_WORDS: set[str] = set()  # of the words looked at, the ones naming a unit of the company


def _unit_with(words: list[str]) -> bool:
    return any(w.replace(SORANI_E, "ه") in _WITH for w in words) and any("unit" in roles(w) for w in words)


_ASKING_ROLES = frozenset({"connect", "modal", "call_us", "to_me"})
_PERSON_ROLES = frozenset({"staff", "human"})
_ACT_ROLES = frozenset({"want", "talk", "connect", "to_me", "modal"})


def gate(norm: str) -> bool:
    """Whether the fuzzy stage should look at a reading: a word for a person and a word of
    wanting, talking or being put through — two parts of a request that the composition did not
    join (roles are remembered per word, so this costs a set lookup a word)."""
    person = act = False
    for r in word_roles(norm)[1]:
        person = person or bool(r & _PERSON_ROLES)
        act = act or bool(r & _ACT_ROLES)
    return person and act
