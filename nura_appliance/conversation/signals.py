"""Signals read from one customer message: an explicit request for a human, sentiment, and
the text the article tier should match.

Phrase lists cover Modern Standard Arabic and Iraqi, Gulf, Levantine and Egyptian dialects,
Kurdish Sorani and Kurmanji, English, and Arabizi (read after transliteration to Arabic script).
Matching runs on normalised text (see knowledge.normalize), so hamza, ta marbuta, elongation and
Kurdish keyboard variants are covered once. Anger and complaints: conversation.anger.
"""

from __future__ import annotations

import functools
import re

from nura_appliance.conversation import anger, handoff
from nura_appliance.conversation.about_bot import asks_about_the_bot
from nura_appliance.conversation.anger import is_negative, without_anger
from nura_appliance.conversation.exemplars import close_to
from nura_appliance.conversation.handoff import cue as handoff_cue
from nura_appliance.conversation.handoff import gate as handoff_gate
from nura_appliance.conversation.handoff import reads_as_request, refuses_person, reports_contact, staff_as_beneficiary
from nura_appliance.knowledge import topics
from nura_appliance.knowledge.arabizi import NO_VOCABULARY, add_known_spellings, transliterate
from nura_appliance.knowledge.folding import SORANI_E, fold_letters
from nura_appliance.knowledge.language import writing_script
from nura_appliance.knowledge.normalize import arabizi_text, normalize


def register_arabizi_spellings() -> None:
    """Make the Arabic words the hand-off composition and the anger reading look for (and the
    article tier's foreign topics, ``knowledge.topics``) known
    spellings of the Arabizi transliteration ("modir" → "مدير", "ta3abna" → "تعبنا"), so that the
    Arabic-script reading of an Arabizi message reaches them. Only which candidate spelling wins
    changes (the stemmer's dictionary and the index stay as they are). Called once below, when
    the signals are loaded; idempotent."""
    add_known_spellings(handoff.arabizi_spellings() | anger.arabizi_spellings() | topics.arabizi_spellings())


register_arabizi_spellings()

# Words for "a person / an agent / customer service" and verbs for "talk to / transfer me / put me
# through". Arabic words may carry a glued article or preposition (ال, لل, بال, ب, ل, و) and a
# plural or possessive ending, hence the optional prefix and the short suffix in the patterns.
_AR_PREFIX = r"(?:و|ف)?(?:بال|لل|ال|ب|ل)?"
_PERSON = (
    r"(?:موظف|موضف|مووظف|موظفين|شخص|انسان|بشر|بشري|حدا|احد|مسؤول|مسوول|مدير|ممثل|مختص|عامل|"
    r"اوبريتور|اوبراتور|خدم(?:ه|ت|ات) (?:ال)?(?:عملا|زباين|زبائن|زبون)|دعم فني|كول سنتر|"
    r"بني ادم|بنادم|ادمي|operator|agent|human)"
)
# Verbs that only make sense towards a person: talk, speak, connect, transfer, put me through.
_TALK = (
    r"(?:اكلم|كلم|تكلم|اتكلم|احجي|حجي|اتحدث|تحدث|احكي|حكي|اتواصل|تواصل|حولني|حولوني|تحويل|وصلني|"
    r"تحولني|تحولوني|توصلني|توصلوني|تحطني|تدزني|توديني|تكلمني|"
    r"وصلوني|اوصل|توصيل|حطني|حطوني|دزني|دزوني|ودني|ودوني|وديني|احاكي|اخاطب|اسولف|سولف|ادردش)"
)
# Verbs of wanting count only when a person word follows at once ("ابي موظف"), because "بدي"
# or "ارغب" followed later by "شخص" is usually about something else ("transfer to another person").
_WANT = r"(?:ممكن|ابي|ابغي|ابغى|ابا|اريد|نريد|نبي|بدي|بدنا|عايز|عاوز|اطلب|محتاج|ارغب ب|اود|اعطني|اعطيني|جيبلي|هاتلي|خليني مع)"
_SOMEONE = r"(?:حد|حدا|احد|واحد)"
# A person word followed by "talk to me / answer me" ("حد بشري يكلمني").
_TALK_TO_ME = (
    r"(?:يكلمني|يحكي معي|يحكي معايا|يحكيني|يحاكيني|يحجي وياي|يحجيني|يرد علي|يرد عليا|يتواصل معي|يتصل بي|"
    r"يتصل علي|يتصل عليا|يتصل عليه|يرن علي|يرن عليا|يكلمنا|يساعدني)"
)
_AR_PATTERNS = [
    re.compile(rf"\b{_AR_PREFIX}{_TALK}\w{{0,3}} (?:\S+ ){{0,4}}?{_AR_PREFIX}(?:{_PERSON}|{_SOMEONE})\w{{0,3}}\b"),
    re.compile(rf"\b{_WANT} {_AR_PREFIX}{_PERSON}\w{{0,3}}\b"),
    re.compile(rf"\b(?:{_SOMEONE}|{_AR_PREFIX}{_PERSON}\w{{0,3}})\b.*\b{_TALK_TO_ME}\b"),
    re.compile(r"\b(حولني|حولوني|وصلني|وصلوني)\b"),
    re.compile(rf"\b{_PERSON} (حقيقي|بشري)\b"),
    # is there a person / someone (available): "هل يوجد موظف متاح", "في حدا بيرد", "اكو احد"
    re.compile(
        rf"\b(?:هل )?(?:يوجد|في|فيه|فيش|اكو|هناك|ماكو|مافي) (?:\S+ )?(?:{_SOMEONE}|{_PERSON})\w{{0,3}} (?:\S+ )?(?:متاح|متوفر|موجود|فاضي|يرد|بيرد|يجاوب|يساعد|احكي|اكلم|احجي|اتكلم)"
    ),
    re.compile(r"\b(انسان|بشر) (حقيقي|مو روبوت|مش روبوت)\b"),
    re.compile(r"\b(ما|مو|مش|لا) (ابي|اريد|بدي|عايز) (اكلم|احجي|احكي|اتكلم)? ?(روبوت|بوت|الة|الي)\b"),
]


def _sorani(pattern: str) -> re.Pattern[str]:
    """A Sorani pattern in natural spelling, folded like normalised text (ە also matches ه)."""
    return re.compile(fold_letters(pattern).replace(SORANI_E, f"[{SORANI_E}ه]"))


# Sorani: a person ("کارمەند", "فەرمانبەر", "مرۆڤ", "کەسێک") with "talk with", "transfer me",
# "I want/need" or "contact me"; the person must be the object ("کارمەندێکم دەوێت"), not the
# subject of another sentence ("کارمەندەکانی کۆمپانیاکەم سیمیان دەوێت").
_CKB_PERSON = (
    r"(?:کارمە?ند|فەرمانبەر|مرۆڤ|ئینسان|ئادەمیزاد|کەسێک|کەسێکی|بەرپرس|بەڕێوەبەر|مووەزەف|موەزەف|موظف|ئۆپەرەیتەر|"
    r"خزمەتگوزاری کڕیار|خزمەتگوزاریی کڕیار)\w{0,5}"
)
_CKB_PATTERNS = [
    _sorani(rf"\bقسە (?:\S+ ){{0,3}}?لەگەڵ (?:\S+ ){{0,2}}?{_CKB_PERSON}"),
    _sorani(rf"\bلەگەڵ (?:\S+ )?{_CKB_PERSON} (?:\S+ ){{0,2}}?(?:قسە|بدوێم|بئاخڤم)"),
    _sorani(rf"\b{_CKB_PERSON} ?م? (?:بۆ ?م? )?(?:دەوێت|ئەوێت|دەوێ|ئەوێ|پێویستە|بدەن|بنێرن|بنێرە|بدە)\b"),
    _sorani(r"\b(?:بمگوازەرەوە|بمگوازنەوە|بمگوێزەرەوە|بمگوێزنەوە|بمبەستەوە|بمبەستنەوە|گواستنەوەم)\b"),
    # an imperative with the "me" clitic next to a person: "بمگەیەننە کارمەندێک", "بمنێرە بۆ کارمەند"
    _sorani(rf"\bبم\w{{2,}} (?:\S+ )?(?:\S+ )?{_CKB_PERSON}"),
    _sorani(rf"\b{_CKB_PERSON} (?:\S+ )?بم\w{{2,}}"),
    # "contact an employee", "I need an employee", "an employee to answer me", "chat with"
    _sorani(rf"\bپەیوەندی (?:بە )?{_CKB_PERSON}"),
    _sorani(rf"\bپێویستم بە {_CKB_PERSON}"),
    _sorani(rf"\b{_CKB_PERSON} (?:\S+ )?(?:وەڵامم|قسەم لەگەڵ|قسەم بۆ)"),
    _sorani(rf"\b(?:گفتوگۆ|چات|قسەکردن) (?:\S+ ){{0,2}}?لەگەڵ (?:\S+ )?{_CKB_PERSON}"),
    # (not "هیچ کەسێک ناتوانێت پەیوەندیم پێوە بکات", nobody *can* call me: a call problem)
    _sorani(rf"\b{_CKB_PERSON} (?:(?!نا)\S+ ){{0,2}}?پەیوەندیم (?:پێوە )?(?:بکات|بکەن|بکا)"),
    _sorani(r"\b(?:مرۆڤێکی|کەسێکی|کارمەندێکی) (?:ڕاستەقینە|ڕاستی|زیندوو)"),
    # is there someone who answers me: "کەسێک هەیە وەڵامم بداتەوە"
    _sorani(rf"\b{_CKB_PERSON} (?:\S+ )?هەیە (?:\S+ )?(?:وەڵامم|قسەم|یارمەتیم)"),
    _sorani(r"\b(?:نامەوێت|نامەوێ|نامەوێت) (?:\S+ )?(?:لەگەڵ )?(?:ڕۆبۆت|ڕۆبات|بۆت|ئامێر)"),
    _sorani(r"\b(?:ڕۆبۆت|ڕۆبات|بۆت|ئامێر)\w{0,5} (?:\S+ )?(?:نامەوێت|نامەوێ|ناوێت)"),
]
_KU_PATTERNS = [
    re.compile(r"\b(?:naxwazim|naxwazin|nexwazim) (?:bi )?(?:robot|bot|makîne|makine)\w*"),
    re.compile(r"\b(kes|kesek|keseki|kesekî)\b.*\b(biaxivim|bipeyivim|biaxive|bipeyive|axivim)\b"),
    # "ez li karmendekî digerim" (I am looking for an employee)
    re.compile(r"\bli (karmend|mirov|kes|berpirs|rêveber)\w* (digerim|digerin|bigerim)\b"),
    re.compile(
        r"\b(biaxivim|biaxive|axaftin|axivim|peyivim|girede|girêde|veguhez|veguhêze)\b.*\b(kes|kesek|kesekî|mirov|karmend)\w*"
    ),
]
_EN_PERSON_WORDS = (
    r"(human|person|agent|agnet|agen|representative|rep|someone|somebody|operator|staff|people|support team|"
    r"customer service|real person|manager|supervisor)"
)
_EN_PATTERNS = [
    # talking is only ever done with a person; transferring or connecting must be of "me" / this
    # chat, or straight to a person ("transfer credit to another person" is a balance question)
    re.compile(rf"\b(talk|speak|chat)\b.*\b{_EN_PERSON_WORDS}\b"),
    re.compile(
        rf"\b(connect|transfer|put|pass|forward)\b (me|us|this chat|the chat|my chat|this conversation)\b.*\b{_EN_PERSON_WORDS}\b"
    ),
    re.compile(
        r"\b(connect|transfer|put)\b (through )?to (a |an |the |your )?(real |live |human )?"
        r"(agent|representative|human|operator|person|someone|somebody|support|customer service)\b"
    ),
    # "is there a person i can chat with", "a human who can help me"
    re.compile(rf"\b{_EN_PERSON_WORDS}\b (\w+ ){{0,3}}?(i can|to|who can|that can|i could) (talk|speak|chat)"),
    re.compile(r"\b(human|live|real) (agent|person|support|being|chat)\b"),
    re.compile(r"\bneed (a |an )?(human|agent|person|representative|operator|manager)\b"),
    # "i'd like to be transferred", "can i be put through"
    re.compile(r"\b(like|want|need|can i|could i|may i) (to )?be (transferred|connected|put through|escalated)\b"),
    # "I'd rather deal with a person", "let me work this out with someone"
    re.compile(
        r"\b(deal|sort (this|it) out|work (this|it) out) with (a |an |the |your )?(real |actual |live )?"
        r"(human|person|agent|someone|somebody|representative|manager|supervisor)\b"
    ),
    re.compile(r"\b(person|human|someone|somebody|agent) (\w+ )?(call|ring|phone) me\b"),
    re.compile(
        r"\b(i want|i need|give me|get me|i would like|id like)\b.*\b(human|agent|agnet|person|representative|operator)\b"
    ),
    re.compile(r"\b(not|no|stop) (a |the )?(bot|robot|machine)\b"),
    # "any human here?", "is anyone there", "can i get an agent"
    re.compile(r"\bany (human|person|agent|one|body|representative)s? (here|there|around|available|online)\b"),
    re.compile(
        r"\bis (anyone|anybody|someone|somebody|there a (human|person|real person)) (there|here|available|online|around)\b"
    ),
    re.compile(rf"\b(can|could|may) i (get|have|speak|talk)\b.*\b{_EN_PERSON_WORDS}\b"),
]
# A message that is only a word for a person (plus please / greetings) is a request too:
# "موظف لو سمحت", "agent pls", "karmend". Typos within one edit of these words count.
_BARE_PERSON = {
    normalize(w)
    for w in (
        "موظف",
        "الموظف",
        "موظفه",
        "انسان",
        "بشري",
        "مسؤول",
        "المسؤول",
        "ممثل",
        "خدمة العملاء",
        "الدعم الفني",
        "كول سنتر",
        "agent",
        "human",
        "operator",
        "representative",
        "person",
        "customer service",
        "live agent",
        "karmend",
        "karmendek",
        "mirov",
        "کارمەند",
        "کارمەندێک",
        "فەرمانبەر",
        "مرۆڤ",
    )
}
_FILLER = {
    normalize(w)
    for w in (
        "لو",
        "سمحت",
        "سمحتي",
        "من",
        "فضلك",
        "رجاء",
        "ارجوك",
        "يا",
        "جماعه",
        "اخي",
        "الحين",
        "هسه",
        "هلق",
        "بسرعه",
        "please",
        "pls",
        "plz",
        "now",
        "asap",
        "a",
        "an",
        "the",
        "hi",
        "hello",
        "ji",
        "kerema",
        "xwe",
        "ere",
        "bi",
        "lutfen",
        "تكفى",
        "الله",
        "يخليك",
        "مرحبا",
        "السلام",
        "عليكم",
        "real",
        "حقيقي",
        "تکایە",
        "تكايه",
        "ببورە",
        "سڵاو",
        "ئێستا",
        "زوو",
    )
}


def _within_one_edit(word: str, target: str) -> bool:
    """True when ``word`` is ``target`` with at most one insertion, deletion, substitution or swap."""
    if word == target:
        return True
    if abs(len(word) - len(target)) > 1 or min(len(word), len(target)) < 4:
        return False
    if len(word) == len(target):
        diff = [i for i, (a, b) in enumerate(zip(word, target, strict=True)) if a != b]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and word[diff[0]] == target[diff[1]]
            and word[diff[1]] == target[diff[0]]
        )
    short, long_ = (word, target) if len(word) < len(target) else (target, word)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _bare_request(norm: str) -> bool:
    words = [w for w in norm.split() if w not in _FILLER]
    if not words or len(words) > 3:
        return False
    phrase = " ".join(words)
    if phrase in _BARE_PERSON:
        return True
    singles = [p for p in _BARE_PERSON if " " not in p]
    return all(any(_within_one_edit(word, p) for p in singles) for word in words)


# In Arabizi an English phrase for a person often follows an Arabic verb: "momken a7ki ma3
# customer service", "abi agent".
_EN_PERSON = re.compile(
    r"\b(customer (?:service|support|care)|support team|call cent(?:er|re)|agent|human|operator|representative|employee|staff)\b"
)
_AR_VERB = re.compile(rf"\b(?:{_TALK}|{_WANT})")


@functools.lru_cache(maxsize=4096)
def wants_human(text: str, lang: str | None = None, vocabulary: frozenset[str] = NO_VOCABULARY) -> bool:
    """True when the customer explicitly asks to talk to a person (Arabizi is read in Arabic
    script too: "areed a7chi wiya mowadhaf"). ``vocabulary``: the knowledge base's words, for
    reading Arabizi (knowledge.arabizi.vocabulary_of). The phrase lists and the composition of
    conversation.handoff first; then, for a message with a word for a person or for talking to
    one, closeness to known requests against near misses (conversation.exemplars). Remembered
    per text like ``sentiment``: the answer depends on the text and the vocabulary only, and the
    same short messages ("hello", "agent") come again and again."""
    readings = _handoff_readings(text, vocabulary, lang)
    # no word that can be part of a request (a short message may be a typed-wrong person word)
    cued = [norm for norm in readings if handoff_cue(norm)]
    if not cued and not any(norm.count(" ") <= 2 for norm in readings):
        return False
    if _requested(readings, bool(cued)) or (cued and _clause_requested(text, vocabulary)):
        return True
    return any(handoff_gate(norm) and close_to("handoff", norm) for norm in cued) and not any(
        refuses_person(norm) or reports_contact(norm) or staff_as_beneficiary(norm) for norm in cued
    )


@functools.lru_cache(maxsize=4096)
def _handoff_readings(text: str, vocabulary: frozenset[str], lang: str | None = None) -> tuple[str, ...]:
    """The readings a request for a person is looked for in (every veto is read in all of them):

    * an Arabizi message is also read without the knowledge base's words. The pack's vocabulary is
      there to reach the operator's product words; read against it, a dialect word of a request
      can become a longer pack word ("3alaya", on me, "عليا" → the pack's "عاليه", high: "7ad yerod
      3alaya" lost its "me"). The request is the customer's, not the pack's;
    * a short Latin message that detection does not call Arabizi (one or two words: "kalmoni",
      "mwazzaf plz" read as English) is also read as Arabizi when the client says Arabic (the
      widget's tab): detection needs more words than such a message has. English words stay in
      Latin letters in that reading."""
    readings = _readings(text, vocabulary)
    if len(readings) >= 2 and vocabulary:
        readings += tuple(r for r in _readings(text) if r not in readings)
    if (
        lang == "ar"
        and len(readings) == 1
        and len(readings[0].split()) <= _HINTED_ARABIZI_WORDS
        and writing_script(text) == "latin"
    ):
        arabic = normalize(transliterate(text, vocabulary))
        if arabic and arabic != readings[0]:
            readings += (arabic,)
    return readings


_HINTED_ARABIZI_WORDS = 3


def wants_human_by_rules(text: str, vocabulary: frozenset[str] = NO_VOCABULARY) -> bool:
    """The phrase lists and the composition only (no exemplar bank)."""
    readings = _handoff_readings(text, vocabulary)
    cued = any(handoff_cue(norm) for norm in readings)
    return _requested(readings, cued) or (cued and _clause_requested(text, vocabulary))


# A long run-on message puts the request in one clause and the story in another ("three days
# with no internet, every time I call nobody answers, please let an employee talk to me, I'm
# tired"): the story's habit or past day vetoes the whole message, so each clause of a message
# of several is also read on its own, with the same parts and the same vetoes.
_CLAUSE_BREAK = re.compile(r"[,،.;؛!?؟\n]+")


def _clause_requested(text: str, vocabulary: frozenset[str]) -> bool:
    clauses = [c for c in _CLAUSE_BREAK.split(text) if c.strip()]
    if len(clauses) < 2:
        return False
    for clause in clauses:
        readings = _handoff_readings(clause, vocabulary)
        if any(handoff_cue(norm) for norm in readings) and _requested(readings, True, clause=True):
            return True
    return False


def _requested(readings: tuple[str, ...], cued: bool, clause: bool = False) -> bool:
    """``clause``: the readings are of one clause of a longer message (``_clause_requested``)."""
    if not cued and not any(norm.count(" ") <= 2 for norm in readings):
        return False
    if len(readings) > 1 and _EN_PERSON.search(readings[0]) and _AR_VERB.search(readings[1]):
        return True
    if any(refuses_person(norm) for norm in readings):
        return False
    # a report of calls, a complaint about a person, someone else: checked only once something
    # reads as a request (most messages do not), and it vetoes every way of reading one
    return _reads_as_request(readings, clause) and not any(reports_contact(norm) for norm in readings)


def _reads_as_request(readings: tuple[str, ...], clause: bool = False) -> bool:
    for norm in readings:
        if _bare_request(norm):
            return True
        # Kurdish phrasing can arrive under any detected language: the lists of every language
        # written in the text's scripts are checked, as one expression per script.
        if _ARABIC_LETTER.search(norm) and _ARABIC_SCRIPT_REQUEST.search(norm):
            return True
        if _LATIN_LETTER.search(norm) and _LATIN_SCRIPT_REQUEST.search(norm):
            return True
    # the parts of a request in any order and form (conversation.handoff)
    return any(reads_as_request(norm, clause) for norm in readings)


def _one_of(*patterns: re.Pattern[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p.pattern})" for p in patterns))


_ARABIC_SCRIPT_REQUEST = _one_of(*_AR_PATTERNS, *_CKB_PATTERNS)
_LATIN_SCRIPT_REQUEST = _one_of(*_KU_PATTERNS, *_EN_PATTERNS)
_ARABIC_LETTER = re.compile("[\u0600-\u06ff]")
_LATIN_LETTER = re.compile("[a-z]")


@functools.lru_cache(maxsize=4096)
def _readings(text: str, vocabulary: frozenset[str] = NO_VOCABULARY) -> tuple[str, ...]:
    """The normalised text, and its Arabic-script reading when it is Arabizi. Remembered: the
    hand-off check, sentiment and the article tier all read one message."""
    norm = normalize(text)
    if not norm:
        return ()
    arabic = arabizi_text(text, vocabulary)
    return (norm, normalize(arabic)) if arabic else (norm,)


@functools.lru_cache(maxsize=4096)
def about_the_bot(text: str, vocabulary: frozenset[str] = NO_VOCABULARY) -> bool:
    """A question about the bot itself ("شنو اسمك", "navê te çi ye?", "are you a robot"), in the
    text or its Arabizi reading ("shinu ismak"): conversation.about_bot."""
    return any(asks_about_the_bot(norm) for norm in _readings(text, vocabulary))


def matching_text(text: str, mood: str | None = None, vocabulary: frozenset[str] = NO_VOCABULARY) -> str:
    """What the article tier should match for ``text``: Arabizi in Arabic script, and an upset
    customer's message without the words that only express anger ("خدمتكم زبالة… ثلاث أيام
    بدون نت" is about "ثلاث أيام بدون نت"). ``text`` itself when neither applies."""
    readings = _readings(text, vocabulary)
    if not readings:
        return text
    query = readings[-1] if len(readings) > 1 else text
    if (mood or sentiment(text, vocabulary)) == "negative":
        calm = without_anger(normalize(query))
        if calm:
            return calm
    return query


_POSITIVE = {
    normalize(w)
    for w in (
        "شكرا",
        "مشكور",
        "ممتاز",
        "رائع",
        "حلو",
        "تسلم",
        "يعطيك العافيه",
        "سوپاس",
        "دەستخۆش",
        "نایاب",
        "زۆر باشە",
        "spas",
        "baş",
        "bas",
        "thanks",
        "thank",
        "great",
        "excellent",
        "perfect",
        "awesome",
        "good",
        "helpful",
    )
}


@functools.lru_cache(maxsize=4096)
def sentiment(text: str, vocabulary: frozenset[str] = NO_VOCABULARY) -> str:
    """``negative``, ``positive`` or ``neutral`` (offline, every language NURA reads): anger and
    complaints by the phrase families of conversation.anger, then thanks and praise. (An exemplar
    stage for anger was cross-validated on the dev sets and found none of the angry messages the
    families miss: knowledge/eval/tools/build_exemplars.py; not used.)"""
    readings = _readings(text, vocabulary)
    # (a message of only emoji has no reading; its faces are read as typed: "😡😡")
    if any(is_negative(norm, text) for norm in readings or ("",)):
        return "negative"
    if any(set(norm.split()) & _POSITIVE for norm in readings):
        return "positive"
    return "neutral"


def sentiment_by_rules(text: str, vocabulary: frozenset[str] = NO_VOCABULARY) -> str:
    """``negative`` when the phrase families of conversation.anger read anger, else ``neutral``."""
    return "negative" if any(is_negative(norm, text) for norm in _readings(text, vocabulary)) else "neutral"
