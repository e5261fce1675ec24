"""What kind of value a question asks for, and which texts hold a value of that kind.

A question's asking words in ar, ckb, ku and en say which kind of value it wants — a price
("سعر", "رسوم", "نرخ", "biha", "fee"), a code, a phone number, a time ("متى", "دوام", "يفتح",
"hours"), an address ("وين", "عنوان", "کوێ", "where"), an e-mail address or a setting ("APN",
"إعدادات") — and a passage, sentence or table row holding such a value (a number with دينار or
a grouped "27,000", ``*120#``, "0771 133 5050", "9:00", "شارع", ``zg.mms``) is the one that can
answer it. The retriever counts an asking word as held by a passage holding a value of its kind
(``hybrid.evidence``); the extractive answer prefers the sentence that holds one
(``ai.guard.extract_answer``); the grounded tier adds a handbook passage beside a confident
article that lacks the value (``ai.guard.new_values``).
"""

from __future__ import annotations

import functools
import re

from nura_appliance.knowledge.normalize import index_terms, normalize, stem


def _words(text: str) -> frozenset[str]:
    return frozenset(normalize(w) for w in text.split())


# What kind of value a question asks for, the words that ask for it (ar, ckb, ku, en) and what a
# unit holding such a value looks like. A unit of the asked kind is preferred, and a unit that
# names the thing but not its value brings the next one when that holds it ("Business Desk
# serves companies …" + "call 0771 133 5050").
ANSWER_TYPES: dict[str, tuple[frozenset[str], re.Pattern[str]]] = {
    "price": (
        _words(
            "سعر اسعار أسعار السعر رسوم الرسوم كلفة تكلفة الكلفة ثمن مبلغ بكم بكام بيش نرخ نرخی نرخەکەی تێچوو "
            # "it costs" as customers write the verb, a penalty or fine (round 15): "قديش بكلف",
            # "چەندی تێدەچێت", "what is the penalty if i pay late"
            "يكلف تكلف بكلف بيكلف بتكلف يكلفني تكلفني بيكلفني غرامة الغرامة غرامه الغرامه غرامات تێدەچێت تێدەچێ "
            "biha bihayê buha price prices cost costs fee fees charge penalty penalties "
            # Kurmanji "cost" and "fee" (xerc, berdêl, lêçûn), "amount", "the limit" of a transfer or
            # a spend ("الحد الأعلى لتحويل الرصيد"): each is answered by a sum (round 18). Not the
            # Sorani "بڕ" (amount): normalised it is "پڕ" (full, to fill: a card that does not fill)
            "xerc xerca xercê berdêl berdêla berdêlê lêçûn lêçûna amount الحد"
        ),
        re.compile(r"\d\s*(?:ألف|الف)?\s*(?:دينار|د\.ع|دینار|IQD|dinars?|USD|\$|دولار)|\d{1,3}(?:,\d{3})+", re.I),
    ),
    "code": (
        _words("كود الكود رمز الرمز اطلب فعل تفعيل الغاء إلغاء كۆد کۆدی kod koda code codes dial activate cancel"),
        re.compile(r"[*#]\s?\d|\d\s?[*#]"),
    ),
    "phone": (
        _words(
            "اتصال اتصل واتساب الواتساب واتسب whatsapp ژمارە ژمارەی ژمارەکەی "
            "واتسئەپ واتسئەپی hejmar hejmara call hotline contact"
        ),
        re.compile(
            r"(?<![\d,.])\+?\d{2,4}(?:[ -]\d{3,4}){1,3}(?![\d,])|(?<![\d,.*#])\d{7,}(?![\d,])"
            # a short service number (3-5 digits) where a number is given: after a label's colon
            # or "call / send to" ("الاحتيال: 4488", "اتصل بـ 4455", "أرسل … إلى 1330", "call
            # 133"), not a value with its unit ("640 برج", "3,000 دينار") nor a code (round 15)
            r"|(?:(?<=: )|(?<=\sب )|(?<=\sبـ )|(?<=\sبـ)|(?<=إلى )|(?<=الى )|(?<=على )|(?<=call )|(?<=dial )"
            r"|(?<=to ))\d{3,5}(?![\d,%*#:/])(?!\.\d)(?!\s*(?:دينار|IQD|GB|MB|يوم|أيام|ايام|دقيقة|دقائق|ساعة|شهر|برج|خط|نجمة|%))",
            re.I,
        ),
    ),
    "time": (
        _words(
            "متى ساعة ساعات الساعة الساعه دوام الدوام يفتح يفتحون يسكر يغلق تفتح مفتوح كەی کاتژمێر "
            "kengî saet when hours open opening close closes time"
        ),
        re.compile(
            r"\d{1,2}[:.]\d{2}|صباح|مساء|ظهر|ليلا|\b\d{1,2}\s*(?:am|pm)\b|\d+\s*(?:ساعة|ساعات|hours?)\b|24/7"
            # "when" is also answered by a date: a year, a month's name
            r"|(?<![\d,.])(?:19|20)\d{2}(?![\d,.])|كانون|شباط|آذار|نيسان|أيار|حزيران|تموز|آب|أيلول|تشرين",
            re.I,
        ),
    ),
    "address": (
        _words(
            "وين وينه اين أين عنوان العنوان موقع مكان كوي کوێ کوێیە ناونیشان ناونیشانی ناونیشانەکەی ku kû navnîşan "
            "navnîşana navnîşanê where address located location"
        ),
        re.compile(r"شارع|حي\s|قرب|مقابل|ساحة|مجمع|\bمول|street|\bst\.|road|near|district|mall|شەقام", re.I),
    ),
    "email": (
        _words("email e-mail mail بريد ايميل إيميل الايميل الإيميل ئیمەیڵ ئیمەیل"),
        re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),
    ),
    "setting": (
        _words(
            "apn إعدادات اعدادات الاعدادات الإعدادات إعداد proxy بروكسي mms mmsc بورت port ڕێکخستن ڕێکخستنی mîheng settings setting configure"
        ),
        re.compile(r"\b[a-z0-9-]+\.[a-z0-9.-]*[a-z0-9]\b|\d+\.\d+\.\d+\.\d+|https?://", re.I),
    ),
    # What a package or pass includes: its data and minutes.
    "allowance": (
        _words("يشمل تشمل يتضمن تتضمن الشامل include includes included دەگرێتەوە digire"),
        re.compile(r"\d[\d,.]*\s*(?:GB|MB|جيگا|جيجا|ميغا|دقيقة|دقائق|minutes?|SMS|رسالة)", re.I),
    ),
    # A share: "نسبة التغطية", "coverage percentage", "ڕێژەی" — a number with a percent sign.
    "percent": (
        _words("نسبة نسبه النسبة النسبه بالمية بالمئة percentage percent ڕێژە ڕێژەی rêje rêjeya"),
        re.compile(r"\d[\d,.]*\s*(?:%|٪|في المئة|في المائة|بالمئة|percent)", re.I),
    ),
    # How many / how long: a number with what it counts (days, months, lines, stars, GB …). Asked
    # by a how-many word before the thing counted ("كم يوم", "how many lines", "چەند ڕۆژ") or by
    # a word for a duration (answer_types); the counted word is the asking word.
    "count": (
        _words("مدة المدة مده مدت duration long ماوە ماوەی"),
        re.compile(
            r"\d[\d,.]*\s*(?:%|أيام|ايام|يوم|يوما|يوماً|أسبوع|اسبوع|أسابيع|شهر|شهرا|شهراً|أشهر|اشهر|سنة|سنه|سنوات|"
            r"ساعة|ساعات|دقيقة|دقائق|خط|خطوط|نجمة|نجوم|برج|أبراج|موظف|مشترك|مليون|ألف|الف|GB|MB|ميغابت|ميغا|جيگا|"
            r"ڕۆژ|مانگ|ساڵ|days?|weeks?|months?|years?|hours?|minutes?|lines?|stars?|towers?|roj|meh|sal)",
            re.I,
        ),
    ),
}
_ARTICLE = re.compile(r"^(?:وال|بال|ال|و|ب)(?=\w{3})")
# "for how much" asks a price in Sorani ("بە چەندە") and Kurmanji ("bi çend e"); "چەند" alone is
# "how many" (normalised: چ → ج, ç → c).
_FOR = frozenset({"بە", "به", "bi", "be"})
_DEVICE = _words("هاتف الهاتف تلفون تليفون تەلەفۆن telefon phone telephone")
_NUMBER_WORDS = _words("رقم الرقم ارقام أرقام number numbers no ژمارە ژمارەی hejmar hejmara")
_HOW_MUCH = ("جەند", "جند", "cend", "ciqas")
# Kurmanji "how much" (çiqas, çiqasî): a price unless what follows is counted ("çiqas înternet" is
# data, "çiqas roj" days); Sorani and Kurmanji words for a number ("ژمارەیەک", "hejmarê") by their
# stem, whatever the suffix or case ending (round 18)
_KU_HOW_MUCH = frozenset({"ciqas", "ciqasi", "ciqase"})
_NUMBER_STEMS = ("زمارە", "hejmar")
# Money counted ("çend pere", "چەند پارە", "كم فلوس") is a price, not a count
_MONEY = _words("pere perê پارە پارەی فلوس money")
_DATA = _words("înternet internet data داتا ئینتەرنێت")
# "number" asks for a phone number beside a word for whom to call: a branch, a department, a
# service, support, complaints ("رقم فرع دهوك", "رقم قسم الاحتيال", "fraud reporting number");
# alone it is as often the customer's own number or the product ("رقم مميز").
_CONTACT = _words(
    "فرع الفرع فروع قسم مركز خدمة خدمه الخدمة الدعم دعم الشكاوى شكاوى شكوى مكتب الإبلاغ الابلاغ للإبلاغ ابلاغ "
    "لق لقی بەش پشتگیری ناوەند سکاڵا şax şaxa beş navend gilî giliyê branch office department support service care "
    "complaints complaint hotline report reporting"
)
# Words that ask how many of something ("كم يوم"); the word after them is the thing counted.
_HOW_MANY = _words("كم قديش شقد شكد چەند çend")
_FILLERS = frozenset({"of", "the", "your", "you", "my", "do", "does", "are", "is"})
_NOT_COUNTED = _words("سعر السعر رسوم الرسوم كلفة ثمن مبلغ نرخ نرخی biha price fee cost much") | _MONEY
_EN_PRICE_NEXT = frozenset({"is", "are", "does", "do", "for", "will", "to"})


def answer_types(question: str) -> set[str]:
    """The kinds of value the question asks for (price, code, phone, time, address, setting); an
    Arabizi question is also read in Arabic letters (``language.arabizi_text``: "shgad s3er baqat
    qandil" asks a price as "شكد سعر" does: before round 17 it asked nothing, and the extractive
    answer quoted a note holding the package's name instead of its row)."""
    from nura_appliance.knowledge.language import arabizi_text  # language reads the stemmer's lists

    kinds = _answer_types(question)
    arabic = arabizi_text(question)
    if arabic is not None:
        kinds |= _answer_types(arabic)
    return kinds


def _answer_types(question: str) -> set[str]:
    words: set[str] = set()
    tokens = normalize(question).split()
    for w in tokens:
        words.update((w, _ARTICLE.sub("", w)))
    kinds = {kind for kind, (asking, _) in ANSWER_TYPES.items() if not words.isdisjoint(asking)}
    # "phone" is as often the device ("move my esim to a new phone", "ضاع تلفوني") as the number:
    # it asks for a number only with a word for one ("phone number", "رقم هاتف الفرع").
    if not words.isdisjoint(_DEVICE) and not words.isdisjoint(_NUMBER_WORDS):
        kinds.add("phone")
    # English "how much is / does / for …" asks a price ("how much data" does not)
    if any(
        t[:3] == ["how", "much", t[2]] and t[2] in _EN_PRICE_NEXT
        for t in map(list, zip(tokens, tokens[1:], tokens[2:], strict=False))
    ):
        kinds.add("price")
    if any(a in _FOR and b.startswith(_HOW_MUCH) for a, b in zip(tokens, tokens[1:], strict=False)):
        kinds.add("price")
    # "the number of lines" ("ژمارەی هێڵ", "hejmara xetan", "number of lines") counts them: no
    # phone. Not the Arabic "رقم خط" (a line's number); Arabic counts with "عدد".
    counting = False
    for i, token in enumerate(tokens):
        following = tokens[i + 1 : i + 3]
        if token.startswith(_NUMBER_STEMS) and following:
            counting = counting or _counts(following[0])
        elif token == "number" and following[:1] == ["of"] and len(following) == 2:
            counting = counting or _counts(following[1])
    # a Kurdish word for a number with its ending ("kîjan hejmarê", "ژمارەیەک") asks for a phone
    # number beside a word for whom to call, as "رقم" does
    numbered = not words.isdisjoint(_NUMBER_WORDS) or any(t.startswith(_NUMBER_STEMS) for t in tokens)
    if counting:
        kinds.discard("phone")
    elif numbered and not words.isdisjoint(_CONTACT):
        kinds.add("phone")
    if any(a in _HOW_MANY and b in _MONEY for a, b in zip(tokens, tokens[1:], strict=False)):
        kinds.add("price")
    for i, token in enumerate(tokens):
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token in _KU_HOW_MUCH and not _counts(after) and after not in _DATA:
            kinds.add("price")
    if counting or counted(tokens):
        kinds.add("count")
    elif any(a in _HOW_MANY and definite(b) for a, b in zip(tokens, tokens[1:], strict=False)):
        kinds.add("price")  # "كم الداي باس": how much is the day pass
    if "email" in kinds or "setting" in kinds:
        kinds.discard("address")  # "email address", "MMSC address": not a street
    if "time" in kinds and words.isdisjoint(_NUMBER_WORDS):
        kinds.discard("phone")  # "customer hotline opening hours": the line is the thing, its hours the answer
    if "price" in kinds:
        kinds.discard("phone")  # "رسوم حجز الرقم": the number is the product, the fee the answer
        kinds.discard("count")  # "كم سعر" asks a price
    return kinds


def _counts(word: str) -> bool:
    """Whether ``word`` names a thing a handbook counts (``_COUNT_CLASSES``: days, lines, GB …)."""
    return word in _COUNT_WORDS or stem(word) in _COUNT_WORDS or stem(word, True) in _COUNT_WORDS


def definite(word: str) -> bool:
    """An Arabic noun with the article ("الباقة"): after "كم" it is priced, not counted."""
    return word.startswith("ال") and len(word) > 4


def counted(tokens: list[str]) -> set[str]:
    """The words a question counts: the word after a how-many word ("كم يوم" → يوم, "how many
    lines" → lines, "چەند ڕۆژ" → ڕۆژ), not a price ("كم سعر")."""
    found = set()
    for i, token in enumerate(tokens[:-1]):
        if token == "how" and tokens[i + 1] == "many":
            following = [t for t in tokens[i + 2 : i + 5] if t not in _FILLERS]
        elif token in _HOW_MANY:
            following = tokens[i + 1 : i + 2]
        else:
            continue
        nxt = following[0] if following else ""
        # "كم الداي باس" (a definite noun) asks how much it costs, "كم يوم" how many days
        if nxt and nxt not in _NOT_COUNTED and not nxt.isdigit() and len(nxt) > 1 and not definite(nxt):
            found.add(nxt)
    return found


def holds_type(unit: str, kinds: set[str]) -> bool:
    """Whether the unit holds a value of one of the asked kinds."""
    return any(ANSWER_TYPES[kind][1].search(unit) for kind in kinds)


def asking_kinds(word: str) -> frozenset[str]:
    """The kinds of value one normalised question word asks for ("الرسوم" → price, "يفتح" →
    time); empty for a word that asks for none."""
    forms = {word, _ARTICLE.sub("", word)}
    kinds = {kind for kind, (asking, _) in ANSWER_TYPES.items() if not forms.isdisjoint(asking)}
    if not forms.isdisjoint(_NUMBER_WORDS) or not forms.isdisjoint(_DEVICE):
        kinds.add("phone")  # "رقم" when the question asks for a phone number (the caller intersects)
    return frozenset(kinds)


# What a count is of: a question counting one of these things ("كم يوم", "how many towers",
# "چەند تاوەر") is answered by a number of that thing ("7 أيام", "640 برج"), not by any number
# with a noun ("600 ميغابت" does not say how many towers). Each class: the words that name the
# thing in ar, ckb, ku and en (singular and plural, as a question counts them) and the units a
# handbook writes after the number.
_COUNT_CLASSES: dict[str, tuple[str, str]] = {
    "day": ("يوم ايام أيام day days roj rojan ڕۆژ", r"أيام|ايام|يوم|يوما|يوماً|days?|roj|ڕۆژ"),
    "week": ("اسبوع أسبوع اسابيع أسابيع week weeks hefte هەفتە", r"أسبوع|اسبوع|أسابيع|اسابيع|weeks?|hefte|هەفتە"),
    "month": ("شهر اشهر أشهر شهور month months meh mehan مانگ", r"شهر|شهرا|شهراً|أشهر|اشهر|شهور|months?|meh|مانگ"),
    "year": ("سنة سنه سنوات سنين عام year years sal ساڵ", r"سنة|سنه|سنوات|سنين|عام|أعوام|years?|sal|ساڵ"),
    "hour": ("ساعة ساعه ساعات hour hours saet کاتژمێر سەعات", r"ساعة|ساعات|hours?|saet|کاتژمێر"),
    "minute": ("دقيقة دقيقه دقائق minute minutes deqîqe خولەک", r"دقيقة|دقائق|minutes?|deqîqe|خولەک"),
    "line": ("خط خطوط line lines xet xetên هێڵ", r"خطان|خطوط|خط|lines?|xet|هێڵ"),
    "star": ("نجمة نجمه نجوم نجمات star stars stêrk ئەستێرە", r"نجمة|نجوم|نجمات|stars?|stêrk|ئەستێرە"),
    "tower": ("برج ابراج أبراج tower towers birc تاوەر بورج", r"برج|أبراج|ابراج|towers?|birc|تاوەر"),
    "staff": ("موظف موظفين موظفا employee employees staff karmend کارمەند", r"موظف|employees?|staff|karmend|کارمەند"),
    "subscriber": (
        "مشترك مشتركين مشتركا subscriber subscribers customers abone ئابوونە بەشداربوو",
        r"مشترك|مليون|subscribers?|customers?|abone|بەشداربوو",
    ),
    "data": ("جيگا جيجا جيكا ميغا gb mb giga گیگا", r"GB|MB|جيگا|جيجا|ميغا|گیگا"),
}


def _count_words() -> dict[str, str]:
    found: dict[str, str] = {}
    for name, (words, _) in _COUNT_CLASSES.items():
        for word in _words(words):
            for form in (word, stem(word), stem(word, True)):
                found.setdefault(form, name)
    return found


_COUNT_WORDS = _count_words()
_COUNT_PATTERNS = {
    f"count:{name}": re.compile(rf"\d[\d,.]*\s*(?:{units})", re.I) for name, (_, units) in _COUNT_CLASSES.items()
}


# Words of a company's profile and policies that a handbook writes and a pack's articles rarely
# use, so no pack bridge carries them: each group is one idea in ar, ckb, ku and en (written from
# the general vocabulary of an operator's handbook — its history, people, policies, devices —
# not from evaluation questions). Used by the handbook search only, like the count classes.
_SUPPORT_GROUPS: tuple[str, ...] = (
    "تأسست تأسيس تاسست مؤسس founded established establish founder damezrandin damezrand damezirand دامەزرا دامەزراندن دامەزراوە",
    "إطلاق اطلاق أطلقت اطلقت launch launched destpêkirin دەستپێکرد",
    "يبدأ تبدأ بدأ بداية start starts begin begins destpêdike دەستپێدەکات",
    "احتيال محتال نصب fraud fraudulent scam scammer sextekarî dolabkarî ساختەکاری",
    "تعويض تعويضات compensation compensate tezmînat قەرەبووکردنەوە",
    "مقر headquarters hq navenda sereke بارەگا",
    "تنفيذي ceo executive",
    "متابعة تتبع follow track tracking şopandin bişopînim بەدواداچوون",
    "بطارية بطاريات battery batteries pîl باتری پاتری",
    "تردد ترددات نطاق band bands frequency frequencies frekans فرێکوێنسی",
    "ايميل إيميل بريد email mail îmêl ئیمەیڵ",
    "شريك شريكة شركاء partner partners hevkar هاوبەش",
    "وكيل وكلاء agent agents dealer dealers nûner بریکار",
    "إرجاع ارجاع ترجيع return returns vegerandin گەڕاندنەوە",
    # round 18: more of a handbook's profile, policy, warranty and address words
    "شعار الشعار slogan motto tagline dirûşm dirûşma دروشم دروشمی",
    "سوائل سائل مياه liquid liquids water wet şil شلە",
    "كسر الكسر مكسور كسور broken cracked crack smashed şikestî şikandin شکاو شکان شکاندن",
    "صيانة الصيانة تصليح repair repairs maintenance tamîr tamîrkirin",
    "نسبة percentage percent",  # not Kurdish "rêje" / "ڕێژە": also a rate ("rêjeya nifûsê")
    "عقد العقد contract contracts peyman گرێبەست",
    "حجز الحجز reserve reserved reservation booking rezervkirin ڕیزەرڤ",
    "أجنبي اجنبي foreigner foreigners foreign biyanî بیانی",
    "مواطن citizen citizens welatî هاوڵاتی",
    "غرامة penalty cerîme غەرامە سزا",
    "طابق الطابق floor storey qat نهۆم",
    "جامعة الجامعة university zanîngeh زانکۆ",
    "طلاب للطلاب طالب student students xwendekar قوتابی خوێندکار",
    "محافظة محافظات province provinces governorate governorates parêzgeh پارێزگا",
    "العطل عطلة holiday holidays betlane پشوو",
    "بديل البديل replacement loaner substitute cîgir جێگرەوە",
    "مشرف supervisor supervisors serperişt سەرپەرشتیار",
    "وردية shift shifts",
    "واتساب whatsapp",
)


def _group_words() -> dict[str, frozenset[str]]:
    found: dict[str, frozenset[str]] = {}
    for group in _SUPPORT_GROUPS:
        words = _words(group)
        terms = frozenset(t for w in words for t in index_terms(w) if len(t) > 1 and not t.startswith("kc"))
        for word in words:
            for form in (word, stem(word), stem(word, True)):
                found.setdefault(form, terms)
    return found


_GROUP_WORDS = _group_words()


@functools.lru_cache(maxsize=4096)
def support_forms(word: str) -> frozenset[str]:
    """The other languages' words for a normalised question word of a company's profile or
    policies ("damezrandin" → "تأسست", "launch" → "إطلاق", "بەدواداچوون" → "متابعة"), as index
    terms; empty for any other word."""
    bare = _ARTICLE.sub("", word)
    linked = word[:-1] if word.endswith("ي") and len(word) > 4 else word
    for form in (word, bare, stem(word), stem(word, True), stem(linked, True)):
        if form in _GROUP_WORDS:
            return _GROUP_WORDS[form]
    return frozenset()


@functools.lru_cache(maxsize=4096)
def thing_forms(word: str) -> frozenset[str]:
    """The other languages' words for the thing a normalised question word names, from the count
    classes (tower / "تاوەر" / "birc" / "برج", subscriber / "abone" / "بەشداربوو" / "مشترك", staff /
    "کارمەند" / "موظف" …) as index terms; empty for a word no class names. The classes list these
    words line for line in ar, ckb, ku and en, so they are a small lexicon of countable things
    whether or not the question counts them."""
    kind = count_kind(word)
    if kind == "count":
        return frozenset()
    words, _ = _COUNT_CLASSES[kind.removeprefix("count:")]
    # words, not the lexicon's concepts: "line" is also a signal word there
    return frozenset(
        term for w in _words(words) for term in index_terms(w) if len(term) > 1 and not term.startswith("kc")
    )


def count_kind(word: str) -> str:
    """The kind of count a counted question word asks for: ``count:day`` for "يوم" / "days" /
    "ڕۆژ", ``count:tower`` for "towers" / "تاوەری"; plain ``count`` (any number of anything) for a
    thing no class names."""
    bare = _ARTICLE.sub("", word)
    # ... and without the Sorani linking "ی" ("بەشداربووی هەیە": its stem is not the word's)
    linked = word[:-1] if word.endswith("ي") and len(word) > 4 else word
    for form in (word, bare, stem(word), stem(word, True), stem(linked, True)):
        if form in _COUNT_WORDS:
            return f"count:{_COUNT_WORDS[form]}"
    return "count"


def _pattern(kind: str) -> re.Pattern[str]:
    return _COUNT_PATTERNS[kind] if kind in _COUNT_PATTERNS else ANSWER_TYPES[kind][1]


def value_kinds(text: str, kinds: frozenset[str] | set[str]) -> frozenset[str]:
    """Which of ``kinds`` the text holds a value of (``count:<thing>``: a number of that thing)."""
    return frozenset(kind for kind in kinds if _pattern(kind).search(text))


def without_values(text: str, kinds: frozenset[str] | set[str]) -> str:
    """``text`` with its values of ``kinds`` blanked out: what it names besides them ("24 ساعة"
    holds "ساعة" only inside a time)."""
    for kind in kinds:
        text = _pattern(kind).sub(" ", text)
    return text


_AMOUNT_WORDS = _words("دينار الف ألف مليون دولار dollar dollars iqd usd dinar بالمية بالمئة percent")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# "4G" is also "الجيل الرابع" (5G has its lexicon concept too)
_GENERATIONS = {"2g": ("ثاني",), "3g": ("ثالث",), "4g": ("رابع",), "5g": ("خامس",), "6g": ("سادس",)}
# letters then digits or digits then letters, no more ("se3r", "ba8at" are Arabizi words)
_CODE = re.compile(r"[a-z]{1,2}\d{1,4}|\d{1,4}[a-z]{1,2}")


# An ordinal after a noun names the thing by its number as a digit does ("الجيل السادس" is the
# 6th generation, "المنطقة الرابعة" zone 4) — not inside a month's name ("تشرين الأول", "كانون الثاني").
_ORDINALS = {
    normalize(word): str(n)
    for n, words in enumerate(
        (
            "الأول الأولى",
            "الثاني الثانية",
            "الثالث الثالثة",
            "الرابع الرابعة",
            "الخامس الخامسة",
            "السادس السادسة",
            "السابع السابعة",
            "الثامن الثامنة",
            "التاسع التاسعة",
            "العاشر العاشرة",
        ),
        start=1,
    )
    for word in words.split()
}
_MONTH_WORDS = _words("تشرين كانون ربيع جمادى")


_GENERATION_WORDS = _words("جيل الجيل")


def _ordinals(tokens: list[str]) -> set[str]:
    """The numbers ordinals after a noun name things by; after "الجيل" the generation's code
    ("الجيل السادس" → "6g"), which a passage holds as the code or its ordinal (``_GENERATIONS``)."""
    return {
        _ORDINALS[t] + ("g" if tokens[i - 1] in _GENERATION_WORDS else "")
        for i, t in enumerate(tokens)
        if t in _ORDINALS and i and not tokens[i - 1].isdigit() and tokens[i - 1] not in _MONTH_WORDS
    }


# An ordinal in any of the four languages read as its number, for the search (round 18): "the
# first roaming zone", "ناوچەی دووەم", "herêma sêyem", "الباقة الثالثة" ask for the rows a table
# numbers "المنطقة 1", "2", "3". Arabic only with the article (Iraqi "ثاني" without it is "another":
# "من شبكة ثانية"), and "اول" / "أول" before its noun ("اول منطقة").
_ORDINAL_NUMBERS = {
    normalize(word): str(n)
    for n, words in enumerate(
        (
            "first 1st اول الأول الأولى یەکەم یەکەمین yekem yekemîn",
            "second 2nd الثاني الثانية دووەم دووەمین duyem duyemîn diduyan duwem",
            "third 3rd الثالث الثالثة التالت التالتة سێیەم سێیەمین sêyem sêyemîn",
            "fourth 4th الرابع الرابعة چوارەم چوارەمین çarem çaremîn",
            "fifth 5th الخامس الخامسة پێنجەم پێنجەمین pêncem pêncemîn",
            "sixth 6th السادس السادسة شەشەم شەشەمین şeşem şeşemîn",
            "seventh 7th السابع السابعة حەوتەم حەوتەمین heftem heftemîn",
            "eighth 8th الثامن الثامنة هەشتەم هەشتەمین heştem heştemîn",
            "ninth 9th التاسع التاسعة نۆیەم نۆیەمین nehem nehemîn",
            "tenth 10th العاشر العاشرة دەیەم دەیەمین dehem dehemîn",
        ),
        start=1,
    )
    for word in words.split()
}


def ordinal_number(word: str) -> str | None:
    """The number a normalised ordinal word stands for ("third", "الثالثة", "سێیەم", "sêyem" →
    "3"), or None. The search adds it to the word's forms; ``identifiers`` (what the decision
    reads as a thing's number) keeps the Arabic ordinals after a noun only."""
    return _ORDINAL_NUMBERS.get(word)


def identifiers(text: str) -> frozenset[str]:
    """The numbers a question names a thing by — "zone 4", "خط 133", "عيار 21", "ايفون 15": a
    number after a word and not before a unit ("4 شهور", "1 جيگا", "24 hour" and "1,000 دينار" are
    amounts, not names)."""
    from nura_appliance.knowledge.language import arabizi_text  # language reads the stemmer's lists

    tokens = normalize(text).split()
    arabizi = arabizi_text(text) is not None
    found = set()
    for i, token in enumerate(tokens):
        if _CODE.fullmatch(token):  # "6g", "n78": a name with its number in it
            # ... but in an Arabizi message one digit beside two letters is a letter ("7ad" is
            # "حد", "3la" "على": "2esh el 7ad el a3la" asks the limit, it names no item; round 18)
            if arabizi and sum(c.isdigit() for c in token) == 1 and sum(c.isalpha() for c in token) >= 2:
                continue
            found.add(token)
            continue
        if not token.isdigit() or i == 0 or tokens[i - 1].isdigit():
            continue
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        if after and (after.isdigit() or after in _AMOUNT_WORDS or count_kind(after) != "count"):
            continue
        found.add(token.lstrip("0") or "0")
    return frozenset(found | _ordinals(tokens))


# A number that names a thing: after a word and ending its field ("المنطقة 1،", "رقم: 3،", "الطابق
# 11" at the end of a line) — not an amount ("6,500 دينار", "more than 5 working days") — and
# the number of a letter code ("L4").
_NAMED_NUMBER = re.compile(r"(?<=[^\W\d_])[ \t:]+(\d{1,3})(?=[ \t]*(?:[،؛;:)\n]|[.,](?!\d)|$))")
_LETTER_CODE = re.compile(r"\b[A-Za-z]{1,2}(\d{1,3})\b")


def named_numbers(text: str) -> frozenset[str]:
    """The numbers a passage names things by (above): what an ordinal of the question ("the
    fourth level", "المنطقة الثالثة") is held by (round 18)."""
    text = text.translate(_DIGITS)
    return frozenset(m.group(1).lstrip("0") or "0" for p in (_NAMED_NUMBER, _LETTER_CODE) for m in p.finditer(text))


def names_other_item(question_ids: frozenset[str], passage: str) -> bool:
    """Whether a passage lacks a number the question names its thing by: "how much is the zone 4
    roaming pass" and the zone 3 row are about two different passes."""
    if not question_ids:
        return False
    codes = {i for i in question_ids if not i.isdigit()}
    if codes:
        # "5g" is also written "الجيل الخامس": the code or its lexicon concept
        terms = set(index_terms(normalize(passage)))
        if any(terms.isdisjoint({*index_terms(code), *_GENERATIONS.get(code, ())}) for code in codes):
            return True
        question_ids = question_ids - codes
        if not question_ids:
            return False
    held = {n.replace(",", "").lstrip("0") or "0" for n in _NUMBER.findall(passage.translate(_DIGITS))}
    held |= {
        part.lstrip("0") or "0" for n in _NUMBER.findall(passage.translate(_DIGITS)) for part in re.split(r"[.,]", n)
    }
    held |= _ordinals(normalize(passage).split())  # "الجيل الخامس" holds 5
    return not question_ids <= held


# Words that name a variant of a product, as operators name them (ar, ckb, ku, en, Arabizi): a
# question naming "Dijla Plus", "Pro Mini" or "the weekly roaming pass" asks for a product the
# handbook does not list when the passage about "Dijla", "Pro Start" or the daily pass does not
# say it (round 18). "max" is left out: it is as often "maximum" ("max compensation"); "daily" and
# "monthly" too: a handbook's periods are written in many ways ("30 يوماً", "(يومية)").
_VARIANTS: tuple[frozenset[str], ...] = tuple(
    _words(group)
    for group in (
        "plus بلس پلەس پلس",
        "mini ميني مینی",
        "ultra الترا ئولترا",
        "lite لايت",
        "weekly اسبوعي اسبوعية اسبوعيه الاسبوعي الاسبوعية الاسبوعيه أسبوعي أسبوعية الأسبوعية هەفتانە heftane hefteyî",
    )
)


def names_variant(question: str, passage: str) -> bool:
    """Whether the question names a product's variant ("plus", "mini", "weekly" …) that the passage
    does not write in any of its spellings: "كم سعر باقة الفرات بلس" and the Furat row, "price of
    the pro mini business plan" and the Pro Start row are about products the handbook does not
    list; "pro plus price" and the "Pro Plus" row are not."""
    asked = set(normalize(question).split())
    if not any(not group.isdisjoint(asked) for group in _VARIANTS):
        return False
    written = set(normalize(passage).split())
    return any(not group.isdisjoint(asked) and group.isdisjoint(written) for group in _VARIANTS)


# Where a thing is, not what it is: the value of an address field of a table row ("العنوان: شارع
# القدس، عمارة النخيل") and a landmark clause ("قرب مستشفى رزگاري", "مجاور مصرف الرشيد").
_ADDRESS_LABELS = _words("عنوان العنوان الموقع موقع ناونیشان ناونیشانی navnîşan address location")
_FIELD = re.compile(r"(?:^|(?<=[،,]\s))([^:،,\n]{1,40}):\s*")
_LANDMARK = re.compile(r"(?:قرب|مجاور|مقابل|بجانب|جنب|\bnear|\bopposite|\bnext to)\s[^،,.\n]*", re.I)


def without_addresses(text: str) -> str:
    """``text`` without its addresses (the values of its address fields and its landmark
    clauses): a word a passage holds only there names a neighbour of the place, not the place —
    "رقم فرع زاگروس في العمارة" (Amarah) and Kirkuk's branch in "عمارة النخيل" (a building),
    "متى يفتح مصرف الرشيد" and the branch "مجاور مصرف الرشيد"."""
    lines = []
    for line in text.splitlines():
        fields = list(_FIELD.finditer(line))
        kept, pos = [], 0
        for i, field_ in enumerate(fields):
            label = set(normalize(field_.group(1)).split())
            if label.isdisjoint(_ADDRESS_LABELS):
                continue
            kept.append(line[pos : field_.end()])
            pos = fields[i + 1].start() if i + 1 < len(fields) else len(line)
        kept.append(line[pos:])
        lines.append(_LANDMARK.sub(" ", "".join(kept)))
    return "\n".join(lines)


# The words that name a price ("سعر", "رسوم", "نرخ", "fee"), not those that only ask how much
# ("بكم" is also "in how many": "شركة نهر بكم محافظة تشتغل").
_PRICE_NOUNS = _words(
    "سعر اسعار أسعار السعر الأسعار رسوم الرسوم رسم كلفة تكلفة الكلفة ثمن نرخ نرخی نرخەکەی تێچوو "
    "biha bihayê buha price prices cost costs fee fees charge charges"
)


def priceless(question: str, passage: str) -> bool:
    """Whether the question names a price and the passage holds none: "كم سعر جهاز سامسونج A05"
    and the line that lends a Samsung A05 during repairs are about the device, not its price."""
    words = set(normalize(question).split())
    words |= {_ARTICLE.sub("", w) for w in words}
    return not words.isdisjoint(_PRICE_NOUNS) and not ANSWER_TYPES["price"][1].search(passage)


def numberless(question: str, passage: str) -> bool:
    """Whether the question asks for a phone number (by a word for a number, no price, and gives
    none itself) and the passage holds none:
    "رقم خدمة المشتركين مالتكم" and the fee row "الخدمة: رقم مميز (حجز)، الرسم: 40,000 دينار" share
    "رقم" and the heading's "خدمات … للمشتركين", not the number (round 16; as ``priceless`` for a
    price)."""
    kinds = answer_types(question)
    if "phone" not in kinds or "price" in kinds or value_kinds(question, {"phone"}):
        return False
    words = set(normalize(question).split())
    words |= {_ARTICLE.sub("", w) for w in words}
    # asked by a word for a number ("رقم", "number", "ژمارە"), not by "whatsapp" alone ("does the
    # qandil bundle give extra data for whatsapp")
    return not words.isdisjoint(_NUMBER_WORDS) and not value_kinds(passage, {"phone"})
