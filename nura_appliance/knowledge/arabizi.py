"""Arabizi: Arabic written in Latin letters and digits ("shlon a3ref rasidi", "el net 3indi kulish
ba6i2"), recognised and transliterated to Arabic script before matching.

The method, per word:

1. a dialect word list (Iraqi, Gulf, Levantine, Egyptian; greetings, question words, verbs of
   wanting and talking, telecom nouns, insults) maps the most frequent words directly — these are
   the words whose vowels and letters no rule can guess ("wiya" → "ويا", "mako" → "ماكو");
2. otherwise the word is spelled letter by letter: digit letters (2 ء/ق, 3 ع, 3' غ, 5 خ, 6 ط, 6' ظ,
   7 ح, 7' خ, 8 ق, 9 ص, 9' ض) and letter clusters (sh ش, ch چ, kh خ, gh غ, th ث, dh ذ …) first;
   short vowels are unwritten in Arabic, so every vowel is either dropped or written long, and the
   consonants Latin letters merge (s س/ص, t ت/ط, d د/ض, h ه/ح, k ك/ق, g گ/ق, z ز/ظ, th ث/ذ,
   dh ذ/ض/ظ) branch too. The candidate spellings are checked against the words the normaliser
   and lexicon know (telecom vocabulary in every dialect); of the known ones the fullest wins;
3. when none is known, the plain spelling (long vowels kept only where doubled or final, an
   initial vowel written ا) is used — character n-grams still match most of it;
4. an article written apart ("el net", "il rasid", "bil internet") is glued on ("النت", "بالانترنت");
   English telecom words the lexicon already bridges ("internet", "sim", "roaming") stay as they are.

The normaliser folds the result (hamza, ta marbuta, Iraqi چ/گ), so candidates only need to reach
one of the folded spellings.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable

from nura_appliance.knowledge.folding import normalize
from nura_appliance.knowledge.stemming import CHECK_SUFFIXES as _CHECK_SUFFIXES
from nura_appliance.knowledge.stemming import ENGLISH_STOPWORDS as _ENGLISH_STOPWORDS
from nura_appliance.knowledge.stemming import is_known, is_known_word

# Words that are spelled so irregularly, or are so frequent, that they are listed (Latin → Arabic).
_DIALECT_WORDS = """
salam سلام|marhaba مرحبا|marhaban مرحبا|ahlan اهلا|ahla اهلا|hala هلا|hallo هلو|shukran شكرا|shokran شكرا
mashkoor مشكور|mashkour مشكور|tislam تسلم|habibi حبيبي|7abibi حبيبي|akhi اخي|a5i اخي|akhoy اخوي|a5oy اخوي
wallah والله|walla والله|wallahi والله|inshallah انشالله|yalla يلا|law لو|sama7t سمحت|samaht سمحت|smaht سمحت
fadlak فضلك|fadlik فضلك|rajaan رجاء|shlon شلون|shlonak شلونك|chlon شلون|ashlon اشلون|shno شنو|shinu شنو
shnu شنو|sheno شنو|shu شو|shou شو|sho شو|shi شي|esh ايش|aish ايش|eish ايش|wesh وش|wish وش|leish ليش|lesh ليش
laish ليش|leesh ليش|leh ليه|lei ليه|ezay ازاي|ezzay ازاي|izzay ازاي|ezai ازاي|wein وين|wen وين|wain وين
ween وين|mita متى|emta امتى|imta امتى|meta متى|kam كم|kem كم|shgad شكد|shged شكد|chgad شكد|addesh قديش
2adesh قديش|2addeish قديش|mino منو|meno منو|minu منو|meen مين|mien مين|ana انا|inta انت|enta انت|inti انتي
enti انتي|e7na احنا|i7na احنا|ehna احنا|ihna احنا|ma ما|mako ماكو|maku ماكو|aku اكو|ako اكو|mu مو|mo مو
mou مو|mish مش|mesh مش|msh مش|mush مش|la2 لا|la لا|mafi مافي|mafee مافي|fi في|fee في|3ala على|3la على
3an عن|ma3 مع|m3a مع|wiya ويا|wiyya ويا|wyah ويا|waya ويا|wayak وياك|wiyak وياك|ya يا|ya3ni يعني|yani يعني
y3ni يعني|bas بس|bs بس|hassa هسه|hessa هسه|hasa هسه|hala2 هلق|halla2 هلق|hal2 هلق|el7in الحين|al7een الحين
alheen الحين|lissa لسه|lessa لسه|kulish كلش|kullish كلش|kolish كلش|kilish كلش|kteer كثير|ktir كتير
kter كتير|kthir كثير|katheer كثير|awi اوي|2awi اوي|awy اوي|jiddan جدا|jedan جدا|hwaya هواية|hwaaya هواية
hwaye هواية|shway شوي|shwaya شوية|shwai شوي|zain زين|zein زين|zen زين|mnee7 منيح|mni7 منيح|kwayes كويس
tamam تمام|tmam تمام|areed اريد|arid اريد|ared اريد|aridd اريد|3ayez عايز|3ayz عايز|3awez عاوز|3awz عاوز
abi ابي|abgha ابغى|abga ابغى|baddi بدي|badi بدي|bidi بدي|biddi بدي|bedi بدي|a3ref اعرف|a3rif اعرف
a3raf اعرف|a7chi احجي|achi احجي|a7ki احكي|ahki احكي|ahchi احجي|a7ky احكي|akalem اكلم|akallem اكلم
aklm اكلم|atkalam اتكلم|atkallam اتكلم|kalimni كلمني|kalemni كلمني|7awelni حولني|7awilni حولني
hawelni حولني|7welni حولني|wasselni وصلني|wasilni وصلني|ash7an اشحن|ashhan اشحن|ashi7n اشحن
sha7n شحن|shahn شحن|sha7ant شحنت|agayer اغير|aghayer اغير|aghayyer اغير|algi الغي|alghi الغي|al3'i الغي
ashtirik اشترك|ashtrik اشترك|ashtarek اشترك|fa3el فعل|fa33el فعل|afa3el افعل|afa33el افعل|yishtighil يشتغل
yeshteghel يشتغل|yshtghl يشتغل|yeshtaghel يشتغل|yishtaghil يشتغل|shaghal شغال|shaghaal شغال|sha3'al شغال
yit2ata3 يتقطع|yet2ata3 يتقطع|yitgata3 يتقطع|yetqata3 يتقطع|yi2ta3 يقطع|yfasel يفصل|yfassel يفصل
wa2ef واقف|waqef واقف|wagef واقف|ba6i2 بطيء|bati2 بطيء|batee2 بطيء|ba6ee2 بطيء|bate2 بطيء|ba6i بطيء
tha2eel ثقيل|thgeel ثقيل|tgeel ثقيل|ti2eel ثقيل|t2eel ثقيل|teqil ثقيل|thageel ثقيل|khirban خربان
5irban خربان|5arban خربان|kharban خربان|3a6lan عطلان|3atlan عطلان|3atel عاطل|net نت|nett نت|internet انترنت
intarnet انترنت|enternet انترنت|internit انترنت|data داتا|wifi وايفاي|wayfay وايفاي|rasid رصيد|raseed رصيد
rased رصيد|rasidi رصيدي|raseedi رصيدي|rasedi رصيدي|baqa باقه|ba2a باقه|ba8a باقه|bakeh باقه|baqat باقات
ba2at باقات|bakij باكيج|shari7a شريحه|shariha شريحه|shre7a شريحه|shree7a شريحه|shri7a شريحه|sim سيم
seem سيم|kart كارت|kard كارت|khat خط|5at خط|5a6 خط|khatt خط|raqam رقم|ra8am رقم|ra2am رقم|rakam رقم
fatoora فاتوره|fatura فاتوره|fatora فاتوره|fatoura فاتوره|tatbee8 تطبيق|tatbeeq تطبيق|tatbiq تطبيق
tatbee2 تطبيق|basword باسورد|pasword باسورد|baswurd باسورد|mowadhaf موظف|mowazaf موظف|mwazaf موظف
muwazaf موظف|mowazzaf موظف|mwadhaf موظف|mwdf موظف|muwadhaf موظف|mowaddaf موظف|mowadaf موظف|mwa6af موظف
shakwa شكوى|shakwe شكوى|khidma خدمه|5idma خدمه|5edma خدمه|khedma خدمه|5dma خدمه|3amil عميل|3umala2 عملاء
3omala عملاء|shabaka شبكه|shabake شبكه|irsal ارسال|ersal ارسال|tajwal تجوال|mukalama مكالمه|mokalma مكالمه
mokalmat مكالمات|mukalmat مكالمات|masaj مسج|msj مسج|risala رساله|resala رساله|tahweel تحويل|ta7weel تحويل
t7weel تحويل|nuqat نقاط|no2at نقاط|nu8at نقاط|far3 فرع|fer3 فرع|dawam دوام|dwam دوام|youm يوم|yom يوم
yoom يوم|ayam ايام|ayyam ايام|iyam ايام|thlath ثلاث|tlat تلات|thalath ثلاث|usbu3 اسبوع|esbo3 اسبوع
sbu3 اسبوع|sa3a ساعه|sa3at ساعات|bidun بدون|bdoon بدون|bdun بدون|bidoon بدون|blesh بلاش|bala بلا
fulus فلوس|flous فلوس|floos فلوس|jiga جيجا|giga جيجا|mobail موبايل|mobayl موبايل|telefon تلفون
tilifon تلفون|jawal جوال|jwal جوال|hatif هاتف|hatef هاتف|rawter راوتر|fayber فايبر|zbala زباله
zibala زباله|zbale زباله|zbaleh زباله|khara خرا|5ara خرا|zift زفت|zeft زفت|ta3ban تعبان|ta3bana تعبانه
t3bana تعبانه|fashil فاشل|fashel فاشل|fashle فاشله|fashla فاشله|fashleh فاشله|fashleen فاشلين|nasabeen نصابين|nasabin نصابين|7aramiya حراميه
haramiya حراميه|sar8a سرقه|sarqa سرقه|dhimma ذمه|thimma ذمه|zimma ذمه|dameer ضمير|dhamir ضمير|3eib عيب
3eb عيب|7aram حرام|3indi عندي|3ndi عندي|3andi عندي|3indkum عندكم|3ndkm عندكم|3andkom عندكم|3indak عندك
ma3ndkm ماعندكم|3al على|3a على|mal مال|mali مالي|malti مالتي|bdi بدي|shakhis شخص|mnkom منكم|minkom منكم|menkom منكم|mnkon منكن|3alaikom عليكم|3alaykom عليكم|3lekom عليكم|ilkom الكم|ma3kom معكم|m3kom معكم|wiyakom وياكم|faydeh فايده|fayde فايده|fayda فايده|mas2ool مسؤول|mas2ol مسؤول|mas2oul مسؤول|masool مسؤول|masoul مسؤول|robot روبوت|rubot روبوت|robo روبوت|bot بوت|bade7ki بدي احكي|bde7ki بدي احكي|bidi7ki بدي احكي|allah الله|alla الله|allh الله|alah الله|2araf قرف|2arf قرف|2arafouni قرفوني|2arafouna قرفونا|2erfan قرفان|agent موظف|operator موظف|employee موظف|representative موظف|staff موظف|human انسان|person شخص|khedmet خدمه|5edmet خدمه|khidmat خدمه|5idmat خدمه|5alas خلاص|khalas خلاص|5ls خلاص|mobile موبايل|mobayil موبايل|phone تلفون|network شبكه|settings اعدادات|account حساب|number رقم|shakhs شخص|wala ولا|kul كل|kil كل|nafs نفس|mushkila مشكله|mushkile مشكله|moshkela مشكله
min من|mn من|men من|7ada حدا|7adan حدا|7ad حد|had حد|a7ad احد|wa7ad واحد|wa7id واحد|mshkle مشكله|mushkla مشكله|el ال|il ال|al ال|bil بال|bel بال|bl بال|wel وال|wil وال|lil لل|lel لل|lal لل
""".strip()
_DIALECT: dict[str, str] = dict(
    pair.split(" ", 1) for line in _DIALECT_WORDS.splitlines() for pair in line.split("|") if pair.strip()
)
# Dialect words that mark a Latin message as Arabizi (those that are also English, Kurmanji or
# international words — "net", "la", "kem", "telefon" — do not count; digit words always do).
_MARKERS = frozenset(
    """
shlon shlonak chlon ashlon shno shinu shnu sheno shou aish eish wesh leish lesh laish leesh ezay ezzay
izzay ezai wein wain ween mita emta imta shgad shged chgad addesh mino meno minu meen ana inta enta inti
enti ehna ihna mako maku aku ako mish mesh msh mush mafi mafee wiya wiyya wyah waya wayak wiyak yani
hassa hessa hasa lissa lessa kulish kullish kolish kilish kteer ktir kter kthir katheer awi awy jiddan
jedan hwaya hwaaya hwaye shway shwaya shwai zain zein mnee7 kwayes areed arid ared aridd abi abgha abga
nabgha ab8a nab8a baddi badi bidi biddi bedi akalem akallem atkalam atkallam kalimni kalemni hawelni wasselni wasilni
ashhan shahn agayer aghayer aghayyer algi alghi ashtirik ashtrik ashtarek yishtighil yeshteghel yshtghl
yeshtaghel yishtaghil shaghal shaghaal wagef waqef thgeel tgeel thageel khirban kharban rasid raseed
rased rasidi raseedi rasedi baqa baqat shariha khidma khedma mowadhaf mowazaf mwazaf muwazaf mowazzaf
mwadhaf muwadhaf mowaddaf mowadaf shakwa shakwe shabaka shabake fatoora fatura fatora fatoura tatbeeq
tatbiq salam marhaba marhaban ahlan shukran shokran mashkoor mashkour habibi akhi akhoy wallah walla
wallahi inshallah yalla samaht smaht fadlak fadlik zbala zibala zbale zbaleh khara zift zeft fashil
fashleen nasabeen nasabin haramiya sarqa dhimma thimma zimma dameer dhamir mushkila mushkile moshkela
mshkle mushkla bidun bdoon bdun bidoon ayam ayyam iyam youm yoom thlath thalath flous floos fulus
mukalama mokalma mokalmat mukalmat risala resala tahweel dawam dwam irsal ersal raqam rakam wala
bdi bde bdy wadini waddini wdini dizni dezni
mnkom minkom menkom mnkon 3alaikom 3alaykom 3lekom ilkom ma3kom m3kom wiyakom faydeh fayde fayda
ariid aried areid abee aby abii abgh beddi a7taj a7tag ahtaj momkin mumkin mmkn momken mumken momkn mumkn
a7chi a7ki e7ki ahki ehki ehchi akallim akalim akalmak at7adath atkalem atwasal atasal atawasal ettesel
a7aki a7achi ahaki weya wya weyak m3a mwzf mwzaf mwdhf mowazafa mwazafa mowazafin mowazafeen mwazafin
wa7ad shakhs shakhes bnadem benadem modeer mudeer mas2ool mas2oul masool mas2ol mushrif mashrif
moshref mumathil momathel sharika sharike sharikat sharket
""".split()
)
_ARTICLES = {
    "el": "ال",
    "il": "ال",
    "al": "ال",
    "bil": "بال",
    "bel": "بال",
    "bl": "بال",
    "wel": "وال",
    "wil": "وال",
    "lil": "لل",
    "lel": "لل",
    "lal": "لل",
    "hal": "هال",
    "b": "ب",  # the preposition written apart ("b wa7ad", "b el app")
}

# Latin spellings → Arabic letters. Each entry lists the alternatives to try, most likely first;
# "" means "not written" (a short vowel).
_CLUSTERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("3'", ("غ",)),
    ("6'", ("ظ",)),
    ("7'", ("خ",)),
    ("9'", ("ض",)),
    ("sh", ("ش",)),
    ("ch", ("چ", "ش")),
    ("kh", ("خ",)),
    ("gh", ("غ",)),
    ("th", ("ث", "ذ", "ت", "ظ")),  # ظ as Iraqi and Gulf say it ("mowathaf" → "موظف")
    ("dh", ("ذ", "ض", "ظ")),
    ("ph", ("ف",)),
    ("aa", ("ا", "ع", "اع")),  # without digits a doubled a is often the ع ("aaref", "adfaa", "saa")
    ("ee", ("ي",)),
    ("ii", ("ي",)),
    ("oo", ("و",)),
    ("ou", ("و",)),
    ("ai", ("ي", "اي")),
    ("ay", ("ي", "اي")),
    ("ei", ("ي",)),
    ("aw", ("و", "او")),
    ("2", ("ء", "ا", "ق")),  # hamza, and ق as Levantine and Egyptian pronounce it
    ("3", ("ع",)),
    ("5", ("خ",)),
    ("6", ("ط",)),
    ("7", ("ح",)),
    ("8", ("ق", "غ")),  # ق in Levantine and Iraqi writing, غ in some Gulf writing
    ("9", ("ص", "ق")),
    ("a", ("", "ا")),
    ("e", ("", "ي")),
    ("i", ("", "ي")),
    ("o", ("", "و")),
    ("u", ("", "و")),
    ("b", ("ب",)),
    ("p", ("ب",)),
    ("t", ("ت", "ط")),
    ("j", ("ج",)),
    ("d", ("د", "ض")),
    ("r", ("ر",)),
    ("z", ("ز", "ظ", "ذ")),  # ذ as Levantine and Egyptian say it ("haza", "kaza")
    ("s", ("س", "ص")),
    ("f", ("ف",)),
    ("v", ("ف",)),
    ("q", ("ق",)),
    ("k", ("ك", "ق")),
    ("c", ("ك", "س")),
    ("g", ("گ", "ق", "ج")),
    ("l", ("ل",)),
    ("m", ("م",)),
    ("n", ("ن",)),
    ("h", ("ه", "ح")),
    ("w", ("و",)),
    ("y", ("ي",)),
    ("x", ("كس",)),
)
# Words of anger, complaint and asking for a person that the signal families (conversation.anger,
# conversation.signals) look for, so that their Arabizi spellings reach them ("2erfna" → "قرفنا",
# "nasaba" → "نصابه", "tawsilni" → "توصلني"); known to the transliteration only (the stemmer's
# dictionary, and so the index, stays as it is).
_EXPRESSIVE = frozenset(
    normalize(w)
    for w in """
زباله قرف قرفان قرفانه زهق زهقان طفش طفشان مليت ملينا نصاب نصابه نصابين حرامي حراميه حراميين سراق سرقه سرقتوا
سرقتونا سرقت ينسرق نهب فاشل فاشله فاشلين خرا زفت تعبان تعبانه بايخ بايخه غالي ضمير ذمه عيب حرام حسبي اشتكي شكوى
مقطوع مقطوعه منقطع طافي طافيه عطلان خربان كذاب كذابين غشاش غشاشين تضحكون استغلال ظلم قصه سالفه مشكله محترمين
احترام فايده ضوجتونا تعبتونا جننتونا مهزله مسخره كارثه فضيحه خايس معفن مقرف
وصلني وصلوني توصلني توصلوني حولني حولوني تحولني تحولوني كلمني تكلمني يكلمني يحكيني يتصل اتواصل تواصل
""".split()
)


# Dialect verbs by stem (folded as the candidates are: گ → ك, چ → ج, no hamza): the lexicon knows
# telecom nouns, and a customer's verbs ("asawi", "agdar", "aaref", "anzil", "ekteb") had no known
# spelling, so "aaref" became "ارف" and a message of verbs was not recognised as Arabizi at all.
# Each stem is known with the dialects' person and tense prefixes and the common object endings
# (``_verb_forms``); these spellings are known to the transliteration only, like ``_EXPRESSIVE``.
# Left out after the dev sets: two-letter and hollow stems whose forms other words spell too (حط:
# "a7tag" became "احطك"; صار/صير: "sara2tu", "sir2o" became "صارتو", "صيرو" instead of stealing;
# نطي: "ente", you, became "انطي"), and لقي ("al8i" is "الغي", cancel, not "القي").
_VERB_STEMS = """
سوي سوو قدر كدر عرف كتب نزل شوف شاف خلص دفع حول شغل فتح طفي رجع وصل طلع دخل غير جيب روح شحن فعل لغي
شترك سجل بعث بعت رسل حجي حكي كلم تصل دور حمل نقل سكر بطل وقف شتغل ضيع ستلم طلب عطي قرا فهم ساعد تاكد
عمل خلي بدل شيل سحب ضيف مسح حذف جدد نسي قطع فصل ظهر بين طبق
""".split()
_VERB_PREFIXES = ("", "ا", "ي", "ت", "ن", "بي", "بت", "بن", "با", "ح", "رح", "عم")
_VERB_ENDINGS = ("", "ه", "ها", "ني", "لي", "له", "ون", "ين", "وا", "و", "ك", "كم", "نا", "ت", "تو", "تي")


def _verb_forms() -> frozenset[str]:
    forms = set()
    for stem in _VERB_STEMS:
        for prefix in _VERB_PREFIXES:
            for ending in _VERB_ENDINGS:
                if prefix or ending:  # a bare stem of two or three letters is too often another word
                    forms.add(prefix + stem + ending)
    return frozenset(f for f in forms if len(f) >= 3)


_VERB_FORMS = _verb_forms()


def add_known_spellings(words: Iterable[str]) -> None:
    """Make normalised Arabic-script ``words`` known spellings of the transliteration, as the
    words above are: the hand-off composition's person, wanting and talking words register
    themselves (conversation.handoff), so "modir", "mas2ul", "ehki" reach "مدير", "مسول", "احكي"."""
    global _EXPRESSIVE
    extra = frozenset(w for w in words if w) - _EXPRESSIVE
    if extra:
        _EXPRESSIVE = _EXPRESSIVE | extra
        transliterate_word.cache_clear()


_CLUSTER_RE = re.compile("|".join(re.escape(c) for c, _ in _CLUSTERS))
_OPTIONS = dict(_CLUSTERS)
_INITIAL_VOWEL = {"a": "ا", "e": "ا", "i": "ا", "o": "ا", "u": "ا"}
# An initial vowel is ا, or a long vowel after it ("iphone" → "ايفون", "ootel" → "اوتيل").
_INITIAL_OPTIONS = {"a": ("ا",), "e": ("ا", "اي"), "i": ("ا", "اي"), "o": ("ا", "او"), "u": ("ا", "او")}
_FINAL_VOWEL = {"a": ("ه", "ا"), "e": ("ه", "ي", ""), "i": ("ي",), "o": ("و",), "u": ("و",)}  # "" : "iphone"
MAX_CANDIDATES = 512
# Words of one message whose candidate spellings are searched; later ones get the plain spelling.
# A question is a few dozen words; a 4,000-character paste of unseen Latin words would otherwise
# cost ~140 ms of candidate search.
MAX_SEARCHED_WORDS = 32
# The candidates' letters come from the table above, so folding them as the normaliser does
# (hamza dropped, Iraqi چ and گ to ج and ك) needs no full normalisation: 20x faster per word.
_CANDIDATE_FOLD = str.maketrans({"ء": "", "چ": "ج", "گ": "ك"})

# Digits inside Latin words that are units or technology names, not letters ("4g", "10gb").
_NOT_ARABIZI = re.compile(r"^\d+(?:g|gb|mb|kb|tb|k|m|x|h|hr|hrs|min|mins|sec|s|st|nd|rd|th|am|pm|iqd|d|p|mp|w)$")
_DIGIT_LETTER = re.compile(r"^(?=.*[a-z])(?=.*[2356789])[a-z0-9']+$")
_ONE_LETTER_DIGIT = re.compile(r"^[2356789][a-z]+$")
# English chat spellings with a digit for a sound ("gr8", "2day"): not Arabic letters.
_ENGLISH_DIGIT_WORDS = frozenset("gr8 l8r l8 m8 h8 w8 str8 sk8 2day 2nite 2night 2moro 2morrow 2mrw".split())
# The Arabic article or a preposition with it, written as a word of its own ("el net", "bil app"):
# English does not write them, so each is evidence of Arabizi ("al" only half: a name too).
_ARTICLE_WORDS = {
    "el": 1.0,
    "il": 1.0,
    "bil": 1.0,
    "bel": 1.0,
    "wel": 1.0,
    "wil": 1.0,
    "lil": 1.0,
    "lel": 1.0,
    "al": 0.5,
}
# Listed dialect words that are also English, Kurmanji or international words (or too short to
# tell): they say nothing about the language of a Latin message.
_SHARED = frozenset(
    """
net nett internet data wifi sim seem kart kard agent operator employee representative staff human person mobile
phone network settings account number robot bot robo giga jiga telefon tilifon law fee fi ma mo mu la ya bas bs
wen meta kem kam leh lei mal shi hallo ana wish abi bot had
""".split()
)


@functools.lru_cache(maxsize=1)
def _dialect_spellings() -> frozenset[str]:
    """The Arabic words of the dialect list (its frequent, irregularly written words), folded as
    the candidates are."""
    return frozenset(v.translate(_CANDIDATE_FOLD) for v in _DIALECT.values() if " " not in v)


@functools.lru_cache(maxsize=4096)
def quantity_as_letters(word: str) -> str | None:
    """The Arabic word a number-with-unit-shaped word spells in an Arabizi message, if any.

    "7d" is seven days in an English message and حد (someone) in "3ayz a7ky m3 7d"; "3nd" may
    be عند. One digit that stands for a letter (2 3 5 6 7 8 9) before letters, read as letters,
    that spell a word of the dialect list — the dialects' frequent words, written short and
    without vowels — is that word once the message is known to be Arabizi; anything else with a
    number's shape ("4g", "10gb", "5g", "2m", "3rd": no dialect word) stays a quantity. Detection
    never counts such a word as Arabizi evidence (``arabizi_word``): the rest of the message must."""
    if not _ONE_LETTER_DIGIT.match(word) or not _NOT_ARABIZI.match(word):
        return None
    spellings = {
        "".join(choice).translate(_CANDIDATE_FOLD)
        for choice in itertools.product(*_pieces(word))
        if choice[0].translate(_CANDIDATE_FOLD)  # the digit is a letter of the word, not a dropped hamza
    }
    found = sorted(spellings & _dialect_spellings(), key=lambda c: (-len(c), c))
    return found[0] if found else None


def lexicon_word(word: str) -> bool:
    """Whether the lexicon knows this normalised Latin word (a dialect or English word such as
    "phone" or "number", not a name)."""
    return word in _DIALECT


def arabizi_word(word: str) -> bool:
    """Whether one normalised Latin word marks Arabizi: a distinctive dialect word, or letters
    mixed with the digits that stand for Arabic letters (not "4g", "10gb", "2nd", "gr8")."""
    if word in _MARKERS:
        return True
    return bool(_DIGIT_LETTER.match(word)) and not _NOT_ARABIZI.match(word) and word not in _ENGLISH_DIGIT_WORDS


def arabizi_evidence(words: list[str]) -> float:
    """How much the normalised Latin ``words`` of a message look like Arabizi: 1 per marker or
    digit-letter word (``arabizi_word``) and per article written apart before another word, 0.5
    per other listed dialect word that is not also an English, Kurmanji or international word."""
    score = 0.0
    for i, word in enumerate(words):
        if arabizi_word(word):
            score += 1.0
        elif word in _ARTICLE_WORDS:
            if i + 1 < len(words) and words[i + 1].isalpha():
                score += _ARTICLE_WORDS[word]
        elif word in _DIALECT and word not in _SHARED:
            score += 0.5
        elif len(word) >= 6 and word.endswith(_YOUR_PLURAL):
            score += 1.0  # "your" (plural) glued on a feminine noun ("shabaktkom"), "you … us" on a verb ("ta3abtona")
    return score


# ـتكم / ـتكن: the feminine noun's t before the plural "your"; ـتونا / ـتوني: the past "you" (plural)
# with "us" / "me" glued on. No English or Kurmanji word of six letters or more ends so.
_YOUR_PLURAL = ("tkom", "tkum", "tkon", "tkun", "tkoum", "tona", "toona", "tonna", "tooni")


def _pieces(word: str) -> list[tuple[str, ...]]:
    """The letter options of each Latin cluster of ``word``, position-aware for vowels. A doubled
    consonant is written once (Arabic leaves the shadda unwritten: "afa33il" is "افعل"), and a
    final "at" is the feminine plural ات ("e3dadat" is "اعدادات"). Two vowels that make no
    diphthong ("moawen", "shaeb") may hide an unwritten ع between them: "معاون", "شعب"."""
    raw = _CLUSTER_RE.findall(word)
    # (also after a diphthong ending in the same letter: "7awwelni" is "aw" + "w", one و)
    clusters = [c for i, c in enumerate(raw) if not (i and raw[i - 1].endswith(c) and c in _DOUBLED)]
    out: list[tuple[str, ...]] = []
    for i, cluster in enumerate(clusters):
        options = _OPTIONS.get(cluster, ("",))
        if cluster in _INITIAL_VOWEL:
            if i == 0:
                options = _INITIAL_OPTIONS[cluster]
            elif i == len(clusters) - 1:
                options = _FINAL_VOWEL[cluster]
            elif cluster == "a" and i == len(clusters) - 2 and clusters[-1] == "t":
                options = ("ا", "")  # the plural ات, or a verb's feminine past ("sara2at")
        elif cluster == "2" and i and _next_to_consonant(clusters, i):
            # Next to a consonant a hamza is rare in Arabic spelling; there 2 is the ق that
            # Levantine and Egyptian pronounce as a glottal stop ("zh2na" is "زهقنا").
            options = ("ق", "ء", "ا")
        if i and clusters[i - 1] in _INITIAL_VOWEL and cluster[0] in _INITIAL_VOWEL:
            out.append(("", "ع"))  # a hiatus: the ع a Latin spelling without digits leaves out
        out.append(options)
    return out


def _next_to_consonant(clusters: list[str], i: int) -> bool:
    before = clusters[i - 1] not in _INITIAL_VOWEL
    after = i + 1 < len(clusters) and clusters[i + 1] not in _INITIAL_VOWEL
    return before or after


_DOUBLED = frozenset(c for c, _ in _CLUSTERS if c not in _INITIAL_VOWEL and len(c) == 1)


NO_VOCABULARY: frozenset[str] = frozenset()
_VOCABULARY_MIN = 3  # a knowledge base's word decides a spelling only from three letters on
# Glued before a word: conjunction, prepositions and the article, and the Levantine/Egyptian b-
# of the present tense ("byo5las" → "بيخلص" is ب + "يخلص").
_PREFIXES = ("وال", "بال", "فال", "لل", "ال", "و", "ب", "ل", "ف")


def vocabulary_of(texts: Iterable[str]) -> frozenset[str]:
    """The words of a knowledge base's own texts, as transliteration candidates are compared with
    them: normalised Arabic-script words (also without a glued article or preposition + article)
    and the Latin words written inside Arabic text (product and brand names: "eSIM", "iPhone",
    "MyZagros"). Give it the Arabic texts of the articles (titles, bodies, example questions,
    keywords): an operator's own product words are what a dictionary of the dialects cannot know."""
    words: set[str] = set()
    tokens: set[str] = set()
    for text in texts:  # a pack repeats its words: each distinct token is normalised once
        tokens.update(text.split())
    for token in tokens:
        for word in normalize(token).split():
            if _is_latin(word):
                if word.isalpha() and len(word) >= _VOCABULARY_MIN:
                    words.add("latin:" + word)
                continue
            words.add(word)
            for prefix in _PREFIXES[:5]:
                if word.startswith(prefix) and len(word) - len(prefix) >= _VOCABULARY_MIN:
                    words.add(word[len(prefix) :])
                    break
    return frozenset(words)


def _known_word(c: str) -> bool:
    return is_known_word(c) or c in _EXPRESSIVE


@functools.lru_cache(maxsize=8192)
def reads_as_arabic(word: str) -> int:
    """Whether a normalised Latin word without digits spells a known Arabic word (lexicon,
    anger and hand-off words, dialect verbs) — evidence of Arabizi written without digits
    ("ma agdar asawi ittisal", "dazli mwatheff"). Words of four letters or more only, and none
    that the dialect list, the English stopwords or the telecom words kept in Latin already place
    (on the dev sets' English and Kurmanji text about 1 word in 30 reads so, by chance or as a
    loanword — "code", "laptop" — against 1 in 5 of Arabizi; ``language`` asks for two, one of
    them a dialect verb or a word of the anger and hand-off families).
    0: no; 1: a word of the lexicon (telecom nouns, loanwords among them); 2: a dialect verb form
    or a word of the anger and hand-off families — the dialect's grammar, not a shared noun."""
    if len(word) < 4 or not word.isalpha() or not word.isascii() or word in _DIALECT or word in _ENGLISH_STOPWORDS:
        return 0
    if _KEEP_LATIN(word):
        return 0
    pieces = _pieces(word)
    total = 1
    for options in pieces:
        total *= len(options)
    if total > MAX_CANDIDATES:
        return 0
    found = 0
    for choice in itertools.product(*pieces):
        c = "".join(choice).translate(_CANDIDATE_FOLD)
        if len(c) >= 3:
            if c in _VERB_FORMS or c in _EXPRESSIVE:
                return 2
            if not found and is_known_word(c):
                found = 1
    return found


def _in_vocabulary(c: str, vocabulary: frozenset[str]) -> int:
    """2: a word of the knowledge base; 1: one with a suffix ("رصيدي") or a glued prefix
    ("بيخلص", "بالاقساط"); 0: neither."""
    if len(c) < _VOCABULARY_MIN:
        return 0
    if c in vocabulary:
        return 2
    for suffix in _CHECK_SUFFIXES:
        if c.endswith(suffix) and len(c) - len(suffix) >= _VOCABULARY_MIN and c[: -len(suffix)] in vocabulary:
            return 1
    for prefix in _PREFIXES:
        if c.startswith(prefix) and len(c) - len(prefix) >= _VOCABULARY_MIN and c[len(prefix) :] in vocabulary:
            return 1
    return 0


@functools.lru_cache(maxsize=8192)
def transliterate_word(word: str, vocabulary: frozenset[str] = NO_VOCABULARY, search: bool = True) -> str:
    """One normalised Latin word in Arabic script (see the module docstring for the method).
    ``vocabulary``: the knowledge base's own words (``vocabulary_of``), consulted after the lexicon."""
    if word in _DIALECT:
        return _DIALECT[word]
    if word.isdigit():
        return word
    pieces = _pieces(word)
    if not pieces:
        return word
    total = 1
    for options in pieces:
        total *= len(options)
    if search and total <= MAX_CANDIDATES:
        # Of the spellings the normaliser, the lexicon and the knowledge base know, the fullest
        # wins: a short one is usually a function word the vowels collapsed into ("ba2i" is
        # "باقي", not "بي").
        spellings = {"".join(choice).translate(_CANDIDATE_FOLD) for choice in itertools.product(*pieces)}
        # Whole words first, from the lexicon (written for the dialects) or the knowledge base (the
        # operator's own words: "a8sa6" → "اقساط", "awra8" → "اوراق" rather than "ورق"); the
        # fullest wins. Then a known word with a suffix or prefix ("rasidi" → "رصيدي"), the
        # lexicon's before the knowledge base's (a clitic reading of a large vocabulary is the
        # likelier accident: "7awlni" is "حولني", not "حاولني").
        known = {c for c in spellings if c and (_known_word(c) or _in_vocabulary(c, vocabulary) == 2)}
        if not known:
            # then a dialect verb form ("aaref" → "اعرف", "anzil" → "انزل"): after the whole words of
            # the lexicon and the knowledge base (the desk's topics), before a known word read with
            # a glued clitic ("انذل" is not ا + the insult "نذل")
            known = {c for c in spellings if c in _VERB_FORMS}
        if not known:
            known = {c for c in spellings if c and (is_known(c) or _in_vocabulary(c, _EXPRESSIVE))}
        if not known and vocabulary:
            known = {c for c in spellings if c and _in_vocabulary(c, vocabulary)}
        if known:
            return max(known, key=lambda c: (len(c), _known_word(c), c))
    plain = "".join(_plain(options) for options in pieces)
    return normalize(plain) or word


def _plain(options: tuple[str, ...]) -> str:
    """The default spelling of one cluster: a consonant's first letter, no short vowel."""
    return options[0]


_APOSTROPHE_DIGITS = (("3'", "gh"), ("6'", "dh"), ("7'", "kh"), ("9'", "dh"))


def transliterate(text: str, vocabulary: frozenset[str] = NO_VOCABULARY) -> str:
    """Arabizi words of ``text`` in Arabic script; other words (English telecom and function
    words, numbers, and Latin product names the knowledge base writes inside its Arabic text)
    kept. Articles written apart are glued onto the next word."""
    for digit, letters in _APOSTROPHE_DIGITS:  # the normaliser would split 3' into 3 and a space
        text = text.replace(digit, letters).replace(digit.replace("'", "’"), letters)
    out: list[str] = []
    pending = ""
    searched = 0
    for word in normalize(text).split():
        if word in _ARTICLES:
            pending = _ARTICLES[word]
            continue
        spelled = quantity_as_letters(word)
        if spelled is not None:
            arabic = spelled
        elif (
            not _is_latin(word)
            or _NOT_ARABIZI.match(word)
            or (word not in _DIALECT and (_KEEP_LATIN(word) or "latin:" + word in vocabulary))
        ):
            arabic = word
        else:
            searched += 1
            arabic = transliterate_word(word, vocabulary, searched <= MAX_SEARCHED_WORDS)
        if pending:
            arabic = pending + arabic if _is_arabic(arabic) else f"{pending} {arabic}"
            pending = ""
        out.append(arabic)
    if pending:
        out.append(pending)
    return " ".join(out)


def _is_latin(word: str) -> bool:
    return bool(word) and word.isascii() and any(c.isalpha() for c in word)


def _is_arabic(word: str) -> bool:
    return bool(word) and "\u0600" <= word[0] <= "\u06ff"


def _keep_latin(word: str) -> bool:
    """English function words, telecom words the lexicon already maps to a concept and the names
    of other services and operators ("facebook", "insta", "asiacell": a name is written the same
    in any language, and transliterated it was "فكبوك", "اسكل") stay in Latin letters, as do known
    English words (``english.is_english_word``: "code", "python", "check", "iraq", "unlimited" were
    "كود", "بيتون", "جكك", "ارق", "انلمتد" and matched the desk's Arabic topics)."""
    from nura_appliance.knowledge.english import is_english_word
    from nura_appliance.knowledge.lexicon import carrier_name, concept_of, other_services
    from nura_appliance.knowledge.stemming import stem

    if any(c.isdigit() for c in word):
        return False
    root = stem(word)
    return (
        word in _ENGLISH_STOPWORDS
        or concept_of(root) is not None
        or bool(other_services([root]))
        or carrier_name(word)
        or is_english_word(word)
    )


_KEEP_LATIN = functools.lru_cache(maxsize=8192)(_keep_latin)
