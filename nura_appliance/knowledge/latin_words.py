"""The shapes of Latin words that tell Arabizi from English and Kurmanji: the dialect word list
(Latin → Arabic), the words of it that mark a message as Arabizi, articles written apart, digits
that stand for letters — and ``arabizi_evidence``, how much a message's Latin words look like
Arabizi.

A lower module of its own: ``arabizi`` (the transliteration) and ``english`` (known English
words) both build on it, and neither imports the other's callers.
"""

from __future__ import annotations

import re

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
DIALECT: dict[str, str] = dict(
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

NOT_ARABIZI = re.compile(r"^\d+(?:g|gb|mb|kb|tb|k|m|x|h|hr|hrs|min|mins|sec|s|st|nd|rd|th|am|pm|iqd|d|p|mp|w)$")
_DIGIT_LETTER = re.compile(r"^(?=.*[a-z])(?=.*[2356789])[a-z0-9']+$")
ONE_LETTER_DIGIT = re.compile(r"^[2356789][a-z]+$")
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


def lexicon_word(word: str) -> bool:
    """Whether the lexicon knows this normalised Latin word (a dialect or English word such as
    "phone" or "number", not a name)."""
    return word in DIALECT


def arabizi_word(word: str) -> bool:
    """Whether one normalised Latin word marks Arabizi: a distinctive dialect word, or letters
    mixed with the digits that stand for Arabic letters (not "4g", "10gb", "2nd", "gr8")."""
    if word in _MARKERS:
        return True
    return bool(_DIGIT_LETTER.match(word)) and not NOT_ARABIZI.match(word) and word not in _ENGLISH_DIGIT_WORDS


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
        elif word in DIALECT and word not in _SHARED:
            score += 0.5
        elif len(word) >= 6 and word.endswith(_YOUR_PLURAL):
            score += 1.0  # "your" (plural) glued on a feminine noun ("shabaktkom"), "you … us" on a verb ("ta3abtona")
    return score


# ـتكم / ـتكن: the feminine noun's t before the plural "your"; ـتونا / ـتوني: the past "you" (plural)
# with "us" / "me" glued on. No English or Kurmanji word of six letters or more ends so.
_YOUR_PLURAL = ("tkom", "tkum", "tkon", "tkun", "tkoum", "tona", "toona", "tonna", "tooni")
