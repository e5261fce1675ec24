"""A small telecom-support lexicon: words that mean the same thing across Arabic dialects,
Arabic-script spellings of English loanwords, Kurdish Sorani, Kurmanji and English.

Customers write "الرومنج", "التجوال" and "roaming" for one idea, "باسورد" for "كلمة السر",
"ثقيل" (Iraqi/Levantine for slow) for "بطيء". Character n-grams cannot bridge words that share
no letters, so each group below adds one *concept* term (``kcroaming``) next to the words
themselves, both when indexing and when querying (BM25 and the built-in embedder alike).

The groups describe the support domain in general (network, SIM, account, money, channels),
not any one knowledge pack, and were written from the vocabulary of telecom support, not from
evaluation cases. Entries are normalised and light-stemmed when the table is built, so spelling
variants folded by the normaliser need no entry of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from nura_appliance.knowledge.folding import has_sorani_letters, normalize
from nura_appliance.knowledge.stemming import light_verb_noun, stem

_GROUPS: dict[str, tuple[str, ...]] = {
    "internet": (
        "نت",
        "انترنت",
        "انترنيت",
        "الانترنت",
        "داتا",
        "بيانات",
        "البيانات الخلويه",
        "internet",
        "net",
        "data",
        "mobile data",
        "înternet",
        "daneyên mobîl",
        "dane",
        "ئینتەرنێت",
        "ئینتەرنیت",
        "ئەنتەرنێت",
        "نێت",
        "داتا",
    ),
    "slow": (
        "بطيء",
        "بطيئ",
        "بطئ",
        "بطء",
        "ثقيل",
        "تقيل",
        "ثكيل",
        "يعلق",
        "يهنج",
        "slow",
        "lag",
        "laggy",
        "hêdî",
        "giran",
        "speed",
        "lez",
        "leza",
        "خاو",
        "هێواش",
        "هیواش",
        "لاواز",
        "لەسەرخۆ",
    ),
    "signal": (
        "اشاره",
        "ارسال",
        "تغطيه",
        "ابراج",
        "برج",
        "شحطه",
        "شرطه",
        "signal",
        "coverage",
        "bars",
        "tower",
        "sinyal",
        "nîşan",
        "birc",
        "xet",
        "ئیشارە",
        "ئیشارەت",
        "سیگناڵ",  # the English loanword as Sorani spells it
        "سیگنال",
        "تۆڕ",
        "شەبەکە",
        "شبكه",
        "داپۆشین",
        "بورج",
        "outage",
        "network down",
        "انقطاع",
        "انقطاع الشبكه",
        "qutbûn",
        "بڕان",
        "پچڕان",
    ),
    "wifi": ("واي فاي", "وايفاي", "وايرلس", "wifi", "wi fi", "wireless", "wîfî", "وایفای", "وای فای"),
    "router": ("راوتر", "روتر", "مودم", "router", "modem", "rawter", "ڕاوتەر", "ڕاوتر", "مۆدێم"),
    "hotspot": (
        "هوت سبوت",
        "هوتسبوت",
        "نقطه اتصال",
        "مشاركه النت",
        "تيثرنغ",
        "تيثرنج",
        "hotspot",
        "hot spot",
        "tethering",
        "tether",
        "personal hotspot",
        "هۆتسپۆت",
        "هۆت سپۆت",
        "هاوبەشکردنی ئینتەرنێت",
    ),
    "fiber": (
        "فايبر",
        "الياف",
        "الياف ضوئيه",
        "انترنت منزلي",
        "fiber",
        "fibre",
        "ftth",
        "home internet",
        "فایبەر",
        "ئینتەرنێتی ماڵەوە",
    ),
    "volte": ("فولتي", "فولت", "volte", "vo lte", "hd calls", "مكالمات hd", "wifi calling", "vowifi", "ڤۆڵتی"),
    "fiveg": ("5g", "فايف جي", "الجيل الخامس", "five g", "فایڤ جی"),
    "roaming": (
        "رومنج",
        "رومينج",
        "رومنغ",
        "تجوال",
        "التجوال الدولي",
        "roaming",
        "abroad",
        "travel",
        "مسافر",
        "سفر",
        "برا البلد",
        "خارج البلد",
        "rêwîtî",
        "derveyî welat",
        "ڕۆمینگ",
        "ڕۆمینک",
        "گەشت",
        "سەفەر",
        "دەرەوەی وڵات",
    ),
    "international": ("دولي", "دوليه", "الخارج", "international", "overseas", "navneteweyî", "derve", "نێودەوڵەتی"),
    "app": (
        "تطبيق",
        "ابلكيشن",
        "ابليكيشن",
        "ابلكيشن",
        "برنامج",
        "اب",
        "app",
        "application",
        "sanad app",
        "sepan",
        "sepana",
        "bername",
        "aplîkasyon",
        "ئەپ",
        "ئەپڵیکەیشن",
        "ئەپلیکەیشن",
        "بەرنامە",
    ),
    "login": (
        "تسجيل دخول",
        "دخول",
        "ادخل",
        "login",
        "log in",
        "sign in",
        "signin",
        "têketin",
        "têkevim",
        "چوونەژوورەوە",
        "چوونە ژوورەوە",
        "لۆگین",
        "بچمە ناو",
        "چوونە ناو",
        "بچمە ژوورەوە",
    ),
    "register": (
        "تسجيل",
        "انشاء حساب",
        "حساب جديد",
        "سجل",
        "register",
        "sign up",
        "signup",
        "create account",
        "tomar",
        "hesab",
        "hesabek",
        "خۆتۆمارکردن",
        "تۆمارکردن",
        "ئەکاونت",
        "هەژمار",
    ),
    "password": (
        "باسورد",
        "باسوورد",
        "كلمه السر",
        "كلمه المرور",
        "الرمز السري",
        "password",
        "passcode",
        "şîfre",
        "sifre",
        "şîfreya",
        "pasword",
        "پاسۆرد",
        "پاسوۆرد",
        "وشەی نهێنی",
        "وشەی تێپەڕ",
    ),
    "sim": (
        "شريحه",
        "شريحة",
        "سيم",
        "سيمكارت",
        "شرايح",
        "sim",
        "sim card",
        "simcard",
        "sîm",
        "sîmkart",
        "سیمکارت",
        "سیم کارت",
        "سیم",
    ),
    "esim": (
        "ايسيم",
        "اي سيم",
        "الشريحه الالكترونيه",
        "شريحه الكترونيه",
        "esim",
        "e sim",
        "embedded sim",
        "ئی سیم",
        "ئیسیم",
    ),
    "pin": (
        "بن",
        "بن كود",
        "pin",
        "puk",
        "بوك",
        "بيوك",
        "رمز pin",
        "kilîtkirî",
        "locked",
        "مقفوله",
        "مقفله",
        "پین کۆد",
        "پوک",
        "قفڵ",
    ),
    "balance": (
        "رصيد",
        "رصيدي",
        "الرصيد",
        "كرديت",
        "وحدات",
        "balance",
        "credit",
        "balans",
        "kredî",
        "باڵانس",
        "بالانس",
        "بالنس",
        "ڕەسید",
    ),
    "recharge": (
        "شحن",
        "اشحن",
        "تعبئه",
        "تعبيه",
        "كارت",
        "كرت",
        "بطاقه شحن",
        "recharge",
        "top up",
        "topup",
        "refill",
        "voucher",
        "kart",
        "barkirin",
        "پڕکردنەوە",
        "شەحن",
        "کارتی پڕکردنەوە",
    ),
    "subscribe": (
        "اشتراك",
        "اشترك",
        "اشتركت",
        "مشترك",
        "تفعيل",
        "فعل",
        "subscribe",
        "subscription",
        "activate",
        "beşdar",
        "beşdarbûn",
        "çalak",
        "بەشداربوون",
        "بەشداری",
        "چالاککردن",
    ),
    "package": (
        "باقه",
        "باقات",
        "بكج",
        "بكيج",
        "عرض",
        "عروض",
        "package",
        "bundle",
        "plan",
        "offer",
        "pakêt",
        "paket",
        "pakêta",
        "پاکێج",
        "باقە",
        "ئۆفەر",
    ),
    "available": (
        "متاح",
        "متاحه",
        "متوفر",
        "متوفره",
        "موجود",
        "موجوده",
        "المتوفره",
        "available",
        "offered",
        "amade",
        "berdest",
        "بەردەست",
    ),
    "price": (
        "سعر",
        "اسعار",
        "بكم",
        "كم سعر",
        "تكلفه",
        "كلفه",
        "price",
        "prices",
        "cost",
        "how much",
        "biha",
        "bihayê",
        "çend e",
        "cend e",
        "نرخ",
        "نرخی",
        "بە چەند",
        "بە چەندە",  # with the copula (is / are): "… بە چەندە؟", "… بە چەندن؟"
        "بە چەندن",
        "ارخص",
        "اغلى",
        "cheap",
        "cheapest",
        "expensive",
        "erzan",
        "گران",
        "گرانترین",
        "هەرزان",
        "هەرزانترین",
    ),
    "bill": (
        "فاتوره",
        "فواتير",
        "الفاتوره",
        "دفع",
        "سداد",
        "bill",
        "invoice",
        "pay",
        "payment",
        "fatûre",
        "fatura",
        "dayîn",
        "پسوولە",
        "وەسڵ",
        "فاتورە",
        "پارەدان",
    ),
    "call": (
        "مكالمه",
        "مكالمات",
        "اتصال",
        "اتصل",
        "call",
        "calls",
        "calling",
        "gazî",
        "bang",
        "telefon bikim",
        "پەیوەندی",
        "پەیوەندیکردن",
        "کۆڵ",
    ),
    "sms": (
        "رساله",
        "رسائل",
        "مسج",
        "مسجات",
        "sms",
        "text message",
        "texts",
        "peyam",
        "mesaj",
        "kurteneh",
        "نامە",
        "کورتەنامە",
        "مەسج",
    ),
    "owner": (
        "ملكيه",
        "باسمي",
        "اسمي",
        "نقل ملكيه",
        "owner",
        "ownership",
        "in my name",
        "xwedî",
        "navê min",
        "خاوەن",
        "خاوەندارێتی",
        "بە ناوی",
    ),
    "unsubscribe": (
        "الغاء",
        "الغي",
        "الغيها",
        "وقف",
        "اوقف",
        "unsubscribe",
        "cancel",
        "stop",
        "betal",
        "rawestîne",
        "راسلوني رسائل",
        "هەڵوەشاندنەوە",
        "ڕاگرتن",
        "بەتاڵکردنەوە",
        "لابردن",
        "ڕایبگرە",
        "ڕایبگرم",
        "ڕاگرە",
    ),
    "vas": (
        "خدمات اضافيه",
        "خدمه مضافه",
        "نغمات",
        "نغمه انتظار",
        "خدمات المحتوى",
        "value added",
        "vas",
        "content service",
        "ringtone",
        "ringback",
        "horoscope",
        "news alerts",
        "خزمەتگوزارییە زیادەکان",
        "ئاوازی چاوەڕوانی",
        "ئاواز",
        "karûbarên zêde",
    ),
    "points": ("نقاط", "نقطه", "بونص", "مكافات", "points", "loyalty", "rewards", "xal", "xalan", "خاڵ"),
    "transfer": (
        "تحويل",
        "حول",
        "ابعت",
        "ارسل",
        "اعطي",
        "transfer",
        "send",
        "share",
        "veguhestin",
        "bişînim",
        "گواستنەوە",
        "ناردن",
        "بنێرم",
        "ادز",
        "دز",
        "دزلي",
    ),
    "hours": (
        "دوام",
        "ساعات العمل",
        "اوقات الدوام",
        "مفتوح",
        "تفتحون",
        "hours",
        "open",
        "opening",
        "closing",
        "demjimêr",
        "saet",
        "vekirî",
        "کاتی دەوام",
        "کاتی کار",
        "کاتی کارکردن",
    ),
    # the operator's own support line by its name ("ژمارەی خزمەتگوزاریی کڕیاران", the call
    # centre's number): one idea in every language, as "مركز الاتصال" and "call centre" are, and
    # so are its Arabic, English and Kurmanji equivalents ("خدمة العملاء", "customer service")
    "callcentre": (
        "مركز الاتصال",
        "مركز اتصال",
        "كول سنتر",
        "call centre",
        "call center",
        "callcenter",
        "navenda gazîkirinê",
        "ناوەندی پەیوەندی",
        "کۆڵ سەنتەر",
        "کۆڵسەنتەر",
        "سەنتەری پەیوەندی",
        "خزمەتگوزاری کڕیاران",
        "خزمەتگوزاریی کڕیاران",
        "خدمة العملاء",
        "خدمة عملاء",
        "خدمة الزبائن",
        "customer service",
        "customer care",
        "xizmeta xerîdaran",
    ),
    "branch": (
        "فرع",
        "فروع",
        "معرض",
        "مركز خدمه",
        "branch",
        "store",
        "shop",
        "office",
        "şax",
        "firotgeh",
        "لق",
        "نووسینگە",
        "فرۆشگا",
    ),
    "complaint": (
        "شكوى",
        "شكوي",
        "اشتكي",
        "بلاغ",
        "complaint",
        "complain",
        "report",
        "gilî",
        "gilîname",
        "سکاڵا",
        "گلەیی",
    ),
    "business": (
        "شركه",
        "شركات",
        "مؤسسه",
        "الشركه",
        "business",
        "company",
        "corporate",
        "enterprise",
        "karsaz",
        "şîrket",
        "pargîdanî",
        "کۆمپانیا",
        "بازرگانی",
    ),
    "warranty": (
        "ضمان",
        "الضمان",
        "كفالة",
        "كفاله",
        "الكفالة",
        "كفالت",
        "warranty",
        "guarantee",
        "garantî",
        "garanti",
        "گەرەنتی",
        "گەرەنتی",
        "زەمانەت",
    ),
    "replace": (
        "بدل",
        "بدل فاقد",
        "ضايعه",
        "ضاعت",
        "مسروقه",
        "انسرق",
        "مكسوره",
        "replace",
        "replacement",
        "lost",
        "stolen",
        "broken",
        "windabû",
        "dizîn",
        "guhertin",
        "گۆڕین",
        "گۆڕینەوە",
        "ونبوو",
        "ون بوو",
        "دزرا",
        "شکاوە",
    ),
    "usage": (
        "استهلاك",
        "كم باقي",
        "المتبقي",
        "باقي",
        "فاضل",
        "جيجا",
        "ميجا",
        "usage",
        "remaining",
        "left",
        "gb",
        "mb",
        "mayî",
        "mane",
        "bikaranîn",
        "بەکارهێنان",
        "ماوە",
        "گیگا",
    ),
    "draining": (
        "ينقص",
        "ينكص",
        "يخلص",
        "تسحب",
        "يروح",
        "سحب",
        "خصم",
        "draining",
        "disappearing",
        "deducted",
        "missing",
        "kêm dibe",
        "diçe",
        "کەم دەبێتەوە",
        "دەبڕدرێت",
        "دەبڕێت",
        "بڕینی پارە",
        "charged",
        "charging",
        "charges",
    ),
    # running out / coming to an end (a package, the data, the balance): Sorani "تەواو بوو",
    # Kurmanji "qedîn" (its verb forms read as the infinitive), Arabic "خلص / انتهى", English
    "finish": (
        "تەواو",
        "تەواوبوو",
        "qedîn",
        "خلصت",
        "خلص",
        "خلصان",
        "انتهت",
        "انتهى",
        "تنتهي",
        "ينتهي",
        "finished",
        "finish",
        "run out",
        "runs out",
        "ran out",
        "expire",
        "expires",
        "expired",
    ),
    "quickly": ("زوو", "zû", "بسرعه", "quickly", "too fast", "so fast"),
    # countries customers travel to and call, in every language (Sorani "ئەڵمانیا" meets
    # "ألمانيا", "Almanya", "Germany")
    "turkey": ("تركيا", "turkey", "tirkiye", "tirkiya", "tirkiyê", "تورکیا", "تورکیە"),
    "germany": ("المانيا", "germany", "almanya", "almanyayê", "ئەڵمانیا", "ئەلمانیا"),
    "europe": ("اوروبا", "اوربا", "europe", "ewropa", "ewropayê", "ئەوروپا", "ئەورووپا"),
    "iran": ("ايران", "iran", "êran", "îranê", "ئێران"),
    "jordan": ("الاردن", "اردن", "jordan", "urdun", "ئوردن"),
    "emirates": ("الامارات", "امارات", "دبي", "uae", "emirates", "dubai", "îmarat", "ئیمارات", "دوبەی"),
    "saudi": ("السعوديه", "سعوديه", "saudi", "erebistana siûdî", "سعودیە"),
    "britain": ("بريطانيا", "لندن", "britain", "uk", "england", "london", "brîtanya", "بەریتانیا"),
    "america": ("امريكا", "اميركا", "america", "usa", "emerîka", "ئەمریکا"),
    "sweden": ("السويد", "سويد", "sweden", "swêd", "سوید"),
}


_PERSIAN_FORMS = frozenset("کی")  # the kaf and ya Sorani writes (Arabic writes ك and ي)


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, str], dict[tuple[str, ...], str]]:
    """(single stemmed word → concept, tuple of stemmed words → concept) for phrases."""
    words: dict[str, str] = {}
    phrases: dict[tuple[str, ...], str] = {}
    for concept, forms in _GROUPS.items():
        for form in forms:
            parts = tuple(stem(w) for w in normalize(form).split())
            if not parts:
                continue
            if len(parts) == 1:
                words.setdefault(parts[0], concept)
            else:
                phrases.setdefault(parts, concept)
    # A Sorani form is met in a Sorani text, whose words are stemmed as Sorani ("کاتی دەوام" opening
    # hours is "كات دوام" there, "كاتي دوام" above): it is known by that stemming too.
    for concept, forms in _GROUPS.items():
        for form in forms:
            if not (has_sorani_letters(form) or set(form) & _PERSIAN_FORMS):
                continue
            parts = tuple(stem(w, sorani=True) for w in normalize(form).split())
            if len(parts) == 1:
                words.setdefault(parts[0], concept)
            elif parts:
                phrases.setdefault(parts, concept)
    # A Sorani compound verb (a noun + "do"/"become": "چالاککردن" activate) is one predicate
    # however it is written: glued in titles, apart or inflected in questions ("چالاک بکەم",
    # "چالاککردنی پاکێج"), where a Sorani text's stem is its noun ("چالاک" → "جالا"). That noun
    # carries the verb's concept (it had none: "I want to activate the weekly package" was
    # scored on "package" alone, a tie between subscribing and the prices).
    for concept, forms in _GROUPS.items():
        for form in forms:
            word = normalize(form)
            if " " not in word and light_verb_noun(word) != word:
                words.setdefault(stem(word, sorani=True), concept)
    return words, phrases


# A country other than the operator's is abroad. Going to, travelling to or being *there* is using
# the line abroad (roaming: "رايح تركيا", "ez ê biçim Tirkiyê … li wir", "travelling to Sweden"),
# and so is the data, a package, the SIM or the signal in a country ("will my package work in
# Turkey"); a call or a message to a country with no roaming word is an international call ("how
# much to call my mum in London"). A country alone is neither ("a student visa for Germany" stays
# out of scope). The country's own concept stays, for the rates and packages that name it.
_COUNTRIES = frozenset(
    ("turkey", "germany", "europe", "iran", "jordan", "emirates", "saudi", "britain", "america", "sweden")
)
_CALLED_TO = frozenset(("call", "sms", "volte"))
_USED_IN = frozenset(("internet", "package", "sim", "esim", "signal", "balance", "recharge", "hotspot"))
_TRAVEL_TEXT = (
    "رايح رايحه رايحين مسافر مسافره مسافرين اسافر نسافر سافر travel travelling traveling travell trip going visiting there "
    "biçim diçim diçin biçin wir دەچمە دەچم ئەچمە ئەچم دەڕۆم لەوێ"
)


@lru_cache(maxsize=1)
def _travel_stems() -> frozenset[str]:
    return frozenset(stem(normalize(w), has_sorani_letters(w)) for w in _TRAVEL_TEXT.split()) | frozenset(
        stem(normalize(w)) for w in _TRAVEL_TEXT.split()
    )


def concepts(stems: list[str]) -> list[str]:
    """Concept terms (``kc<name>``: one token for FTS5, which splits at "_") for a sequence of stemmed words, in order, without repeats."""
    words, phrases = _table()
    found: list[str] = []
    for i, word in enumerate(stems):
        concept = words.get(word)
        if concept:
            found.append(concept)
        for size in (2, 3):
            if i + size <= len(stems):
                concept = phrases.get(tuple(stems[i : i + size]))
                if concept:
                    found.append(concept)
    if not _COUNTRIES.isdisjoint(found) and "roaming" not in found:
        if not _travel_stems().isdisjoint(stems):
            found.append("roaming")
        elif not _CALLED_TO.isdisjoint(found):
            found.append("international")
        elif not _USED_IN.isdisjoint(found):
            found.append("roaming")
    return ["kc" + c for c in dict.fromkeys(found)]


def concept_of(word_stem: str) -> str | None:
    """The concept of one stemmed word, if the lexicon has it."""
    return _table()[0].get(word_stem)


def vocabulary() -> list[str]:
    """Every word and phrase of the lexicon as written (the stemmer's known words)."""
    return [form for forms in _GROUPS.values() for form in forms]


# Other services a customer may ask a telecom desk about: platforms, apps, shops and
# utilities that keep their own accounts, passwords, subscriptions and bills. Written from the
# services in common use in Iraq and the region, not from evaluation cases. Left out on purpose:
# other mobile operators (a question about moving one's number *from* them is in scope), mobile
# wallets (customers top up with them), phone makers ("APN on my iPhone"), and names that are
# ordinary words in Arabic ("كريم" generous, "طلبات" requests, "نون", "فايبر" fibre).
_OTHER_SERVICES: tuple[str, ...] = (
    # social, messaging, e-mail and accounts of other platforms
    "facebook", "fb", "فيسبوك", "فيس بوك", "فيس", "فەیسبووک", "فەیسبوک", "فەیس",
    "messenger", "ماسنجر", "مسنجر",
    "instagram", "insta", "انستغرام", "انستقرام", "انستجرام", "انستكرام", "انستا", "ئینستاگرام", "ئینستا",
    "tiktok", "تيك توك", "تيكتوك", "تیکتۆک", "تیک تۆک",
    "snapchat", "snap", "سناب", "سناب شات", "سنابچات", "سناپچات", "سناپ",
    "twitter", "تويتر", "تویتەر", "telegram", "تلغرام", "تيليجرام", "تلكرام", "تێلێگرام",
    "whatsapp", "واتساب", "واتس اب", "وتساب", "واتسئاپ", "imo", "ايمو", "discord", "ديسكورد",
    "linkedin", "لينكدان", "gmail", "جيميل", "جي ميل", "جیمەیڵ", "hotmail", "هوتميل", "outlook",
    "yahoo", "ياهو", "icloud", "ايكلاود", "google", "جوجل", "كوكل", "قوقل", "گووگڵ",
    # streaming and games
    "netflix", "نتفلكس", "نتفليكس", "نيتفلكس", "نێتفلیکس", "shahid", "شاهد", "osn", "spotify",
    "سبوتيفاي", "anghami", "انغامي", "disney", "youtube", "يوتيوب", "یوتیوب", "pubg", "ببجي",
    "پەبجی", "fortnite", "steam", "ستيم", "playstation", "بلايستيشن", "بلي ستيشن", "xbox",
    "roblox", "روبلوكس",
    # shops, delivery and rides
    "amazon", "امازون", "ئەمازۆن", "aliexpress", "shein", "شي ان", "temu", "uber", "اوبر", "careem",
    # banks, cards and money services (see _PAYMENT_SERVICES)
    "bank", "بنك", "مصرف", "بانک", "banka", "banke", "visa", "فيزا", "mastercard", "ماستر كارد",
    "ماستركارد", "paypal", "باي بال", "western union", "ويسترن يونيون",
    # utilities
    "electricity", "كهرباء", "كهربا", "کارەبا", "elektrîk", "ceryan", "kehreba",
)  # fmt: skip

# Banks and cards are also how customers pay this desk: with them, paying and topping up ("can I
# pay the bill with Visa", "top up from my bank card") is this desk's question; their PIN, account,
# password or card is not ("my bank card is locked after a wrong PIN").
_PAYMENT_SERVICES: tuple[str, ...] = _OTHER_SERVICES[
    _OTHER_SERVICES.index("bank") : _OTHER_SERVICES.index("electricity")
]
_PAYING_FACETS = frozenset(("bill", "recharge", "card"))

# What a customer asks *of* a service: its account, password, login, subscription, price, bill,
# refund, card, a transfer (of money to a bank). With one of these and another service the desk does not run, the question is
# about that service ("reset my instagram password", "netflix subscription price").
_SERVICE_FACETS = frozenset(
    ("password", "login", "register", "app", "pin", "recharge", "subscribe", "price", "bill", "owner", "transfer")
    + ("hours", "branch")  # "what time does the bank open", a branch of the bank
)
_FACET_WORDS: dict[str, tuple[str, ...]] = {
    "account": ("account", "حساب", "اكاونت", "hesab", "hesabê", "هەژمار", "ئەکاونت", "hacked", "hack", "هكر", "تهكر", "اختراق", "اخترق", "هاک", "hak", "banned", "blocked", "محظور", "مبند", "باند"),
    "refund": ("refund", "استرجاع", "استرداد", "ترجيع", "گەڕاندنەوە", "vegerandin"),
    "card": ("wallet", "محفظه", "جزدان", "card", "بطاقه"),
}  # fmt: skip
# What the desk itself carries: its network, calls, messages, data, balance, packages, SIM. A
# service named next to one of these is a symptom ("youtube buffers, the internet is slow",
# "whatsapp calls drop", "netflix eats my balance"), not another company's question.
_CARRIER_CONCEPTS = frozenset(
    "kc" + c
    for c in ("internet", "slow", "signal", "hotspot", "fiber", "roaming", "call", "sms", "usage", "balance")
    + ("package", "sim", "esim", "vas", "points", "draining")
)
# A charge or deduction alone is no part of the desk: "netflix eats my balance" names the balance,
# "uber refund for a wrong charge" names nothing the desk charges — the charge is the service's.
_CARRIED = _CARRIER_CONCEPTS - {"kcdraining"}


def carries_desk_matter(terms: Sequence[str]) -> bool:
    """Whether a message's index terms name something the desk carries (network, calls,
    messages, data, balance, packages, SIM — not a charge alone)."""
    return any(term in _CARRIED for term in terms)


def _stem_forms(form: str) -> set[tuple[str, ...]]:
    words = normalize(form).split()
    return {tuple(stem(w) for w in words), tuple(stem(w, True) for w in words)} - {()}


@lru_cache(maxsize=1)
def _service_table() -> tuple[frozenset[tuple[str, ...]], dict[str, str], frozenset[str]]:
    """(stemmed other-service names, stemmed facet word → facet, the payment services' stems joined by a space)."""
    names = {parts for form in _OTHER_SERVICES for parts in _stem_forms(form)}
    facets = {
        parts[0]: facet
        for facet, forms in _FACET_WORDS.items()
        for form in forms
        for parts in _stem_forms(form)
        if len(parts) == 1
    }
    payments = {" ".join(parts) for form in _PAYMENT_SERVICES for parts in _stem_forms(form)}
    return frozenset(names), facets, frozenset(payments)


# Prepositions and conjunctions the light stemmer leaves glued to a name ("لمصرف", to the bank).
_GLUED = frozenset("لبوف")


def other_services(stems: list[str]) -> list[str]:
    """The stems (joined by a space for a name of several words) of the other services a message
    names, in order: a whole-word match of a name's stems, or a Latin word that starts with a
    name of five letters or more ("instagramê", "facebookê")."""
    names = _service_table()[0]
    found: list[str] = []
    for i, word in enumerate(stems):
        for size in (1, 2):
            part = tuple(stems[i : i + size])
            if len(part) == size and part in names:
                found.append(" ".join(part))
            elif (
                len(part) == size and part[0][:1] in _GLUED and len(part[0]) >= 5 and (part[0][1:], *part[1:]) in names
            ):
                found.append(" ".join((part[0][1:], *part[1:])))  # a preposition glued on: "لمصرف"
        if word.isascii() and word not in found:
            if any(len(n) == 1 and len(n[0]) >= 5 and word.startswith(n[0]) for n in names):
                found.append(word)
    return list(dict.fromkeys(found))


def service_facets(units: list[tuple[str, str | None]], terms: Sequence[str]) -> frozenset[str]:
    """What a message asks of a service — account, password, subscription, price, bill, refund,
    card (concept names, or "account", "refund", "card" for the words of _FACET_WORDS) — when it names nothing the desk carries
    (network, calls, messages, data, balance, packages, SIM); empty otherwise."""
    if carries_desk_matter(terms):
        return frozenset()
    facets = _service_table()[1]
    found = {term[2:] for term in terms if term.startswith("kc") and term[2:] in _SERVICE_FACETS}
    for root, concept in units:
        if concept is not None and concept[2:] in _SERVICE_FACETS:
            found.add(concept[2:])
        elif root in facets:
            found.add(facets[root])
    return frozenset(found)


def asks_of_service(units: list[tuple[str, str | None]], terms: Sequence[str]) -> bool:
    """Whether a message asks something of a service (:func:`service_facets` is not empty)."""
    return bool(service_facets(units, terms))


def services_asked(stems: list[str], facets: frozenset[str]) -> list[str]:
    """The other services of :func:`other_services` a message with these facets asks about: a
    bank or card only when the message does more than pay or top up."""
    if not facets:
        return []
    names = other_services(stems)
    if facets <= _PAYING_FACETS:
        payments = _service_table()[2]
        names = [name for name in names if name not in payments]
    return names


# Other mobile operators and their money wallets (issue 16, `h16oos`). A question about another
# operator's balance, packages, prices, top-up or app ("رصيد زين", "korek 4g package prices",
# "باڵانسی کۆڕەک") is that operator's to answer, however well this desk's balance or packages
# article covers the rest; a question about *their numbers* (calls or messages to them, bringing
# a number from them, sending credit to one) is this desk's. Written from the operators and wallets
# in use in Iraq and the region, not from evaluation cases. Left out: names that are ordinary words
# ("اتصالات" calls, "موبايلي" my mobile, "جوال" mobile phone, "امنيه" wish, "orange", Kurmanji
# "du" two). "زين" is also the Iraqi/Gulf "good": in Arabic script it counts only right after a
# noun it can belong to without the article ("رصيد زين", Zain's balance — "الرصيد زين" is "the
# balance is fine") or before a wallet word ("زين كاش").
_OTHER_OPERATORS: tuple[str, ...] = (
    "zain", "asiacell", "asia cell", "asiacel", "اسياسيل", "اسيا سيل", "اسياسل", "ئاسیاسێڵ", "ئاسیا سێڵ",
    "korek", "كورك", "کۆڕەک", "کۆرەک", "stc", "اس تي سي", "ooredoo", "اوريدو", "etisalat", "vodafone",
    "فودافون", "ڤۆدافۆن", "mobily", "jawwal", "umniah", "turkcell", "تركسيل", "fastlink", "فاستلنك",
    "batelco", "omantel",
)  # fmt: skip
_WALLETS: tuple[str, ...] = (
    "zaincash", "fastpay", "فاست باي", "فاستباي", "asiahawala", "asia hawala", "اسيا حواله", "اسياحواله",
    "stcpay", "زينكاش",
)  # fmt: skip
_WALLET_WORDS = frozenset(("cash", "كاش", "کاش", "pay", "money", "wallet", "محفظه", "حواله"))
_ZAIN_SCRIPT = frozenset(("زين", "زهين"))  # Arabic and Sorani spelling of the operator
_ZAIN_OWNERS = frozenset(
    (
        "رصيد", "باقه", "باقات", "عروض", "عرض", "خط", "خطوط", "شبكه", "شريحه", "شركه", "كارت", "كرت", "تطبيق",
        "حساب", "اسعار", "سعر", "نت", "انترنت", "بالانسي", "بالانس", "باقهي", "هيلي", "سيمي", "كارتي", "ديناري", "ارقام",
    )
)  # fmt: skip
# The same after the name, in English ("zain balance": a message read as Arabizi has "زين" there).
_ZAIN_OWNED_LATIN = frozenset(
    (
        "balance",
        "credit",
        "package",
        "packages",
        "bundle",
        "bundles",
        "offers",
        "offer",
        "plan",
        "plans",
        "app",
        "account",
    )  # fmt: skip
)
_ZAIN_NEXT = _ZAIN_OWNED_LATIN | {"العراق", "عراق", "iraq"}  # "زين العراق", the operator's full name
_ARABIC_PREFIXES = ("وبال", "بال", "وال", "لل", "ال", "و", "ب", "ل")
# What may be asked of another operator or wallet (concepts), and what makes the question this
# desk's (their numbers: calls, messages, bringing a number, sending credit; SIM and ownership).
_OPERATOR_FACETS = frozenset(
    ("balance", "package", "price", "recharge", "app", "login", "password", "register", "points", "bill", "subscribe")
    + ("hours", "branch")  # their shops' opening hours and branches
)
# Another operator's or service's customer service: its number is the operator's own desk, not
# the other end of the customer's line ("رقم خدمة عملاء آسياسيل", "korek customer service number").
_SUPPORT_FORMS = (
    "خدمة العملاء", "خدمة عملاء", "خدمه الزبائن", "customer service", "customer care", "call center",
    "كول سنتر", "خزمەتگوزاری کڕیاران", "xizmeta xerîdaran",
)  # fmt: skip
_OPERATOR_BLOCKERS = frozenset(
    ("call", "sms", "transfer", "sim", "esim", "owner", "roaming", "signal", "hotspot", "international")
)
_NUMBER_FORMS = ("رقم", "رقمي", "ارقام", "number", "numbers", "hejmar", "ژمارە", "ژمارەکەم", "نمره", "port")
# compared with a message's stems: the Sorani forms as a Sorani text stems them ("ژمارەکەم" → "زمار";
# written unstemmed with ژ, which the normaliser folds to ز, they never matched)
_NUMBER_WORDS = frozenset(_NUMBER_FORMS) | frozenset(stem(normalize(w), has_sorani_letters(w)) for w in _NUMBER_FORMS)


def latin_names() -> tuple[str, ...]:
    """The names of other services, operators and wallets written in Latin letters."""
    return tuple(n for n in (*_OTHER_SERVICES, *_OTHER_OPERATORS, *_WALLETS) if n.isascii())


def _canonical(word: str) -> str:
    """A normalised word with the Sorani ە as ه and a leading Sorani ئ dropped (ئاسیاسێڵ, اسياسيل)."""
    word = word.replace("ە", "ه")
    return word[1:] if word.startswith("ئ") and len(word) > 2 else word


@lru_cache(maxsize=1)
def _carrier_table() -> tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...]]:
    """(operator names, wallet names), each as a tuple of canonical normalised words, the
    longest first (so "asiacell" is found before its prefix "asiacel")."""

    def forms(items: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
        found = {tuple(_canonical(w) for w in normalize(item).split()) for item in items} - {()}
        return tuple(sorted(found, key=lambda name: (-len(name), -len(name[0]), name)))

    return forms(_OTHER_OPERATORS), forms(_WALLETS)


def _name_at(words: list[str], i: int, names: tuple[tuple[str, ...], ...]) -> tuple[str, ...] | None:
    """The name of ``names`` that starts at word ``i`` (an Arabic-script word may carry a
    preposition or the article before it and a Sorani/Kurmanji ending after a name of five
    letters or more; a Latin word may carry an ending after a name of four or more)."""
    for name in names:
        size = len(name)
        part = words[i : i + size]
        if len(part) < size or part[1:] != list(name[1:]):
            continue
        first, head = part[0], name[0]
        if first == head:
            return name
        if head.isascii():
            if len(head) >= 4 and first.startswith(head):
                return name
            continue
        bare = next(
            (first[len(p) :] for p in _ARABIC_PREFIXES if first.startswith(p) and len(first) > len(p) + 2), first
        )
        if bare == head or (len(head) >= 5 and (bare.startswith(head) or first.startswith(head))):
            return name
    return None


# The spellings of one operator or wallet, in every script: a pack written for Asiacell names
# itself "آسياسيل" in Arabic and "Asiacell" in its name, and both are its own (``own_carriers``).
_CARRIER_FAMILIES: tuple[tuple[str, ...], ...] = (
    ("zain", "زين", "زهين"),
    ("asiacell", "asia cell", "asiacel", "اسياسيل", "اسيا سيل", "اسياسل", "ئاسیاسێڵ", "ئاسیا سێڵ"),
    ("korek", "كورك", "کۆڕەک", "کۆرەک"),
    ("stc", "اس تي سي"),
    ("ooredoo", "اوريدو"),
    ("vodafone", "فودافون", "ڤۆدافۆن"),
    ("turkcell", "تركسيل"),
    ("fastlink", "فاستلنك"),
    ("zaincash", "زينكاش"),
    ("fastpay", "فاست باي", "فاستباي"),
    ("asiahawala", "asia hawala", "اسيا حواله", "اسياحواله"),
)  # fmt: skip


def _carrier_key(name: str) -> str:
    return " ".join(_canonical(w) for w in normalize(name).split())


@lru_cache(maxsize=1)
def _carrier_families() -> dict[str, str]:
    """Canonical name (as ``other_carriers`` gives it) → the operator's or wallet's first spelling."""
    return {_carrier_key(form): family[0] for family in _CARRIER_FAMILIES for form in family}


def carrier_family(name: str) -> str:
    """One operator or wallet whatever the script of its name ("اسياسيل", "asiacell" → "asiacell")."""
    return _carrier_families().get(name, name)


def own_carriers(names: Iterable[str]) -> frozenset[str]:
    """The operators and wallets (``carrier_family``) the desk's own names hold — the pack's
    name, its scope message, the COMPANY_NAME setting: a name there is the desk's own operator,
    never "another" one, however rarely its articles write it. In a name "Zain" is the operator
    (in a message it is also the dialect's "good")."""
    found: set[str] = set()
    for text in names:
        if not text:
            continue
        carriers, _ = other_carriers(text)
        found.update(carrier_family(c) for c in carriers)
        words = {_canonical(w) for w in normalize(text).split()}
        if words & ({"zain"} | _ZAIN_SCRIPT):
            found.add("zain")
    return frozenset(found)


def own_name(word: str, own: frozenset[str]) -> bool:
    """Whether one normalised word of a message is the name of one of the desk's own operators
    or wallets (``own_carriers``), in any script or with an ending ("اسياسيل", "asiacell")."""
    if not own:
        return False
    if "zain" in own and _canonical(word) in ({"zain"} | _ZAIN_SCRIPT):
        return True
    return any(carrier_family(name) in own for name in other_carriers(word)[0])


def without_own_names(text: str, own: frozenset[str]) -> str:
    """``text`` without the words that name the desk's own operators or wallets (``own_name``):
    a pack rarely writes its own brand, so to its articles the name is an unknown word that
    only lowers the match ("شكد باقي رصيد آسياسيل" to Asiacell's desk is "شكد باقي رصيد")."""
    if not own:
        return text
    kept = [w for w in text.split() if not ((n := normalize(w).split()) and all(own_name(x, own) for x in n))]
    return " ".join(kept) if kept else text


def other_carriers(text: str) -> tuple[list[str], bool]:
    """Other operators and wallets a message names (canonical names joined by a space) and
    whether one of them is a wallet ("zain cash", "fastpay", an operator name before "cash")."""
    words = [_canonical(w) for w in normalize(text).split()]
    operators, wallets = _carrier_table()
    found: list[str] = []
    wallet = False
    for i, word in enumerate(words):
        following = words[i + 1] if i + 1 < len(words) else ""
        name = _name_at(words, i, wallets)
        if name is not None:
            found.append(" ".join(name))
            wallet = True
            continue
        if word in _ZAIN_SCRIPT or any(word == p + z for p in ("و", "ب", "ل") for z in _ZAIN_SCRIPT):
            before = words[i - 1] if i > 0 else ""
            if before in _ZAIN_OWNERS or following in _WALLET_WORDS or following in _ZAIN_NEXT:
                found.append("zain")
                wallet = wallet or following in _WALLET_WORDS
            continue
        name = _name_at(words, i, operators)
        if name is not None:
            found.append(" ".join(name))
            wallet = wallet or following in _WALLET_WORDS
    return list(dict.fromkeys(found)), wallet


@lru_cache(maxsize=1)
def _support_table() -> frozenset[tuple[str, ...]]:
    return frozenset(parts for form in _SUPPORT_FORMS for parts in _stem_forms(form))


def asks_for_support(units: list[tuple[str, str | None]]) -> bool:
    """Whether a message names a customer service ("خدمة العملاء", "customer service")."""
    roots = [root for root, _ in units]
    return any(tuple(roots[i : i + len(p)]) in _support_table() for p in _support_table() for i in range(len(roots)))


def carrier_question(text: str, units: list[tuple[str, str | None]], terms: Sequence[str]) -> list[str]:
    """The other operators or wallets a message asks *about* — their balance, packages, prices,
    top-up, app or account — rather than about their numbers (calls or messages to them, bringing
    a number from them, sending credit to one). A wallet counts with anything asked but paying or
    topping up with it ("can I top up with Zain Cash" is this desk's question). Empty otherwise."""
    names, wallet = other_carriers(text)
    concepts_found = {term[2:] for term in terms if term.startswith("kc")}
    concepts_found.update(concept[2:] for _, concept in units if concept is not None)
    roots = {root for root, _ in units}
    if not names and "balance" in concepts_found:
        # A bank's or card's balance ("رصيد الماستر كارد"): as with a wallet, theirs unless paid or topped up with.
        payments = _service_table()[2]
        names = [name for name in other_services([root for root, _ in units]) if name in payments]
        wallet = bank = bool(names)
    else:
        bank = False
    if not names:
        return []
    blockers = _OPERATOR_BLOCKERS - ({"transfer"} if wallet and not bank else set())
    if not bank and asks_for_support(units) and not concepts_found & blockers:
        return names  # their customer service (and its number): theirs to answer
    if concepts_found & blockers or roots & _NUMBER_WORDS:
        return []
    if wallet:
        return [] if concepts_found & {"recharge", "bill"} else names
    return names if concepts_found & _OPERATOR_FACETS or roots & set(_service_table()[1]) else []


def carrier_name(word: str) -> bool:
    """Whether a Latin word is another operator's or wallet's name ("asiacell", "korek",
    "fastpay"; not "zain", which Arabizi also writes for "good"): kept in Latin letters by the
    Arabizi reader, as a service name is ("asiacell" transliterated was "اسكل")."""
    operators, wallets = _carrier_table()
    words = [word]
    return word != "zain" and any(
        len(name) == 1 and name[0].isascii() and _name_at(words, 0, (name,)) is not None for name in operators + wallets
    )


# Government papers (issue 16, `h16oos`): a passport or a driving licence is something a telecom
# desk *asks for* ("can I get a line with my passport" is the new-line article's question), never
# something it issues: getting, renewing or applying for one ("شلون اطلع جواز سفر", "how long does
# a passport renewal take") is the government's question. Stems, as ``analyse`` gives them
# (an Arabizi "passport" is read as "بسبرت"); two-word names as pairs.
_PAPERS = frozenset(
    ("passport", "pasaport", "جواز", "باسبورت", "بسبرت", "بسبورت", "باسبرت", "ليسن", "licenc", "licens")
)
_PAPER_PAIRS = frozenset((("اجاز", "سوق"), ("شهاد", "ميلاد"), ("birth", "certificat"), ("driv", "licenc")))
_ISSUING = frozenset(
    (
        "renew", "renewal", "تجديد", "اجدد", "جدد", "يتجدد", "استخرج", "استخراج", "اطلع", "يطلع", "يتلع", "طلع",
        "issu", "apply", "اقدم", "تقديم", "قدم", "wergirim", "bistinim", "دربه", "دەربه", "extract",
        "وركرتن", "werbigirim", "werdigirim",  # Sorani "get" (its verb-table stem), Kurmanji "get"
        # changing what a paper says (the name on a passport: round 18, issue 17's dev9): the
        # government's too; a line's owner changed with a passport is blocked below (owner, line)
        "chang", "تغيير", "غير", "اغير", "كورين", "guhertin",
    )
)  # fmt: skip
# Concepts that make it a question about the line ("register a SIM with my passport").
_PAPER_BLOCKERS = frozenset(
    ("sim", "esim", "owner", "register", "call", "sms", "internet", "balance", "recharge", "bill", "app", "login")
    + ("password", "transfer", "points", "vas", "business", "package")
)


_LINE_WORDS = frozenset(("خط", "خطوط", "هيل", "line", "lin", "xet", "شريح", "sim"))


def paper_question(units: list[tuple[str, str | None]], terms: Sequence[str]) -> list[str]:
    """The government paper (passport, driving licence, birth certificate) a message asks to get,
    renew or apply for, when it says nothing of a line, SIM, number or other telecom matter;
    empty otherwise."""
    roots = [root for root, _ in units]
    found = [root for root in roots if root in _PAPERS]
    found += [" ".join(pair) for pair in zip(roots, roots[1:], strict=False) if pair in _PAPER_PAIRS]
    if not found or not any(root in _ISSUING for root in roots):
        return []
    concepts_found = {term[2:] for term in terms if term.startswith("kc")}
    if concepts_found & _PAPER_BLOCKERS or set(roots) & (_NUMBER_WORDS | _LINE_WORDS):
        return []
    return found


def carrier_numbers(text: str, units: list[tuple[str, str | None]], terms: Sequence[str]) -> bool:
    """Whether a message names another operator as the *other end* of the customer's own line —
    calls or messages to its numbers, bringing a number from it, sending credit or data to
    someone on it — and asks nothing of the operator itself (its balance, packages, prices).
    Such a question is this desk's, however much the built-in out-of-scope questions about other
    operators share its name ("i cant call asiacell numbers")."""
    names, wallet = other_carriers(text)
    if not names or wallet:
        return False
    concepts_found = {term[2:] for term in terms if term.startswith("kc")}
    concepts_found.update(concept[2:] for _, concept in units if concept is not None)
    roots = {root for root, _ in units}
    if concepts_found & {"balance", "package", "price", "app", "login", "password", "register", "bill"}:
        return False
    if asks_for_support(units) and not concepts_found & {"call", "sms", "transfer"}:
        return False  # the number of their customer service, not of someone on their network
    return bool(concepts_found & {"call", "sms", "transfer"} or roots & _NUMBER_WORDS)


# Water, the utility beside electricity in _OTHER_SERVICES, matched as written (normalised, not
# stemmed): with the article only in Arabic script, since "ماي" alone is also "my" ("ماي زاگروس").
_WATER = frozenset(normalize(w) for w in ("الماء", "الماي", "المي", "مياه", "water", "ئاو", "av", "ave"))


def water_named(text: str) -> bool:
    """Whether a message names the water utility (a water bill is the water company's question)."""
    return any(word in _WATER for word in normalize(text).split())
