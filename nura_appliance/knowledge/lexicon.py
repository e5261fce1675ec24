"""A small telecom-support lexicon: words that mean the same thing across Arabic dialects,
Arabic-script spellings of English loanwords, Kurmanji and English.

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

from functools import lru_cache

from nura_appliance.knowledge.normalize import normalize, stem

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
    ),
    "wifi": ("واي فاي", "وايفاي", "وايرلس", "wifi", "wi fi", "wireless", "wîfî"),
    "router": ("راوتر", "روتر", "مودم", "router", "modem", "rawter"),
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
    ),
    "fiber": ("فايبر", "الياف", "الياف ضوئيه", "انترنت منزلي", "fiber", "fibre", "ftth", "home internet"),
    "volte": ("فولتي", "فولت", "volte", "vo lte", "hd calls", "مكالمات hd", "wifi calling", "vowifi"),
    "fiveg": ("5g", "فايف جي", "الجيل الخامس", "five g"),
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
    ),
    "international": ("دولي", "دوليه", "الخارج", "international", "overseas", "navneteweyî", "derve"),
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
    ),
    "login": ("تسجيل دخول", "دخول", "ادخل", "login", "log in", "sign in", "signin", "têketin", "têkevim"),
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
    ),
    "sim": ("شريحه", "شريحة", "سيم", "سيمكارت", "شرايح", "sim", "sim card", "simcard", "sîm", "sîmkart"),
    "esim": ("ايسيم", "اي سيم", "الشريحه الالكترونيه", "شريحه الكترونيه", "esim", "e sim", "embedded sim"),
    "pin": ("بن", "بن كود", "pin", "puk", "بوك", "بيوك", "رمز pin", "kilîtkirî", "locked", "مقفوله", "مقفله"),
    "balance": ("رصيد", "رصيدي", "الرصيد", "كرديت", "وحدات", "balance", "credit", "balans", "kredî"),
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
    ),
    "call": ("مكالمه", "مكالمات", "اتصال", "اتصل", "call", "calls", "calling", "gazî", "bang", "telefon bikim"),
    "sms": ("رساله", "رسائل", "مسج", "مسجات", "sms", "text message", "texts", "peyam", "mesaj", "kurteneh"),
    "owner": ("ملكيه", "باسمي", "اسمي", "نقل ملكيه", "owner", "ownership", "in my name", "xwedî", "navê min"),
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
    ),
    "vas": ("خدمات اضافيه", "خدمه مضافه", "نغمات", "value added", "vas"),
    "points": ("نقاط", "نقطه", "بونص", "مكافات", "points", "loyalty", "rewards", "xal", "xalan"),
    "transfer": ("تحويل", "حول", "ابعت", "ارسل", "اعطي", "transfer", "send", "share", "veguhestin", "bişînim"),
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
    ),
    "branch": ("فرع", "فروع", "معرض", "مركز خدمه", "branch", "store", "shop", "office", "şax", "firotgeh"),
    "complaint": ("شكوى", "شكوي", "اشتكي", "بلاغ", "complaint", "complain", "report", "gilî", "gilîname"),
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
    ),
}


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
    return words, phrases


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
    return ["kc" + c for c in dict.fromkeys(found)]


def concept_of(word_stem: str) -> str | None:
    """The concept of one stemmed word, if the lexicon has it."""
    return _table()[0].get(word_stem)
