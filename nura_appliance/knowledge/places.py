"""Local place names: Iraq's governorates, cities and towns, the Kurdistan Region's towns,
mountains, rivers and lakes, and Baghdad's best-known districts (issue 16/17, `h16oos`).

An operator's lists name such places: its branches by city ("لدينا فروع في بغداد وأربيل …") and,
often, its packages by mountain or river (Qandil, Safeen, Halgurd; Tigris, Euphrates). A question
about a branch or a package that names a place the winning article does not hold asks about an
item the list lacks — "وين فرعكم بالكوت", "كم سعر باقة آزمر", "şaxa we li Kelarê" — and the article
that lists the others is not its answer (``retrieval.unlisted_places``). The fifth, ninth and
thirteenth passes found that "a word no article knows" cannot tell such a name from a dialect verb
("ترجعولي", "الكم"); what does is *what* the word is, as ``topics`` does for subjects.

A branch question counts every place; a package question only mountains, rivers and lakes
(``_NATURE``): a town there is where the customer is ("باقة نت بأربيل"). Countries are a list of
their own (``_COUNTRIES``), used only to tell a handbook row for one country from a question about
another (``place_groups``): international calls and roaming name them ("باقة دولية لألمانيا" is the
desk's).

Written from geography, not from evaluation cases, in Arabic, Sorani, Kurmanji and Latin
spellings. Left out on purpose: foreign cities, the operators' own names ("زاگروس" is also a mountain
range, "كورك" a mountain and an operator), and names that are everyday words in one of the
languages: "دوكان"/"دوکان" (Dukan; Sorani "shop"), "متين" (Matin; "solid"), "الشعب" (al-Shaab;
"the people"), "الجامعة" (university), "البياع" (seller), "رانيه" in Arabic script (Ranya; a verb
form).
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache

from nura_appliance.knowledge.folding import normalize
from nura_appliance.knowledge.normalize import analysis as shared_analysis

_PLACES = (
    # Iraq: governorates, cities and towns — one place a line, its spellings in every script
    "بغداد بەغدا baghdad bexda",
    "البصره بەسرە basra basrah besra",
    "الموصل مووسڵ mosul musil mûsil",
    "اربيل هەولێر erbil arbil irbil hewler hewlêr",
    "السليمانيه سلێمانی sulaymaniyah sulaimaniyah sulaimani slemani silêmanî",
    "دهوك دهۆک duhok dohuk dihok",
    "كركوك کەرکووک kirkuk kerkuk kerkûk",
    "النجف نەجەف najaf",
    "كربلاء كربلا کەربەلا karbala kerbela",
    "الحله حیلە hilla hillah",
    "بابل babil babylon",
    "الكوت کووت kut",
    "واسط wasit",
    "العماره عەمارە amarah amara",
    "ميسان maysan misan",
    "الناصريه ناسریە nasiriyah nasiriya",
    "ذي قار dhi qar",
    "السماوه سەماوە samawah samawa",
    "المثنى muthanna",
    "الديوانيه دیوانیە diwaniyah diwaniya",
    "القادسيه qadisiyah",
    "الرمادي ڕومادی ramadi",
    "الانبار anbar",
    "الفلوجه فەللووجە fallujah falluja",
    "تكريت تکریت tikrit",
    "سامراء سامەڕا samarra",
    "بعقوبه بەعقووبە baqubah baquba",
    "ديالى دیالە diyala",
    "الكوفه kufa",
    "الزبير zubair",
    "الفاو fao",
    "حديثه haditha",
    "بيجي baiji",
    "تلعفر tal afar",
    "سنجار شنگال sinjar şengal",
    "زاخو زاخۆ zakho zaxo",
    "حلبجه هەڵەبجە halabja helebce",
    "رانیە ranya raniya",
    "كلار کەلار kalar kelar",
    "جمجمال چەمچەماڵ chamchamal",
    "كويسنجق کۆیە koya koye",
    "سوران سۆران soran",
    "شقلاوه شەقڵاوە shaqlawa şeqlawe",
    "عقره ئاکرێ akre akrê",
    "العماديه ئامێدی amadiya amedi amêdî",
    "خانقين خانەقین khanaqin",
    "كفري کفری kifri",
    "بنجوين پێنجوێن penjwen",
    "قلعه دزه قەڵادزێ qaladze",
    "مخمور مەخموور makhmur",
    "الشطره shatra",
    "الصويره suwaira",
    "النعمانيه numaniyah",
    "المقداديه muqdadiyah",
    "طوزخورماتو tuz khurmatu",
    # Baghdad districts
    "الكراده karrada karada",
    "المنصور mansour",
    "الاعظميه adhamiya",
    "الكاظميه kadhimiya",
    "زيونه zayouna",
    "الجادريه jadriya",
    "اليرموك yarmouk",
    "الغزاليه ghazaliya",
)
# Mountains, rivers, lakes and marshes: what packages are named after ("باقة قنديل", "شط العرب").
# A town in a package question is more often where the customer is ("باقة نت بأربيل").
_NATURE = (
    "قنديل قەندیل qandil",
    "هلكورد هەڵگورد halgurd",
    "سفين سەفین safeen",
    "بيرمام پیرمام pirmam",
    "ازمر ئەزمەڕ ئازمەڕ azmar",
    "كويژه گۆیژە goyzha",
    "جودي judi cudî",
    "حمرين hamrin",
    "دجله دیجلە tigris dijla",
    "الفرات فورات euphrates furat",
    "الزاب zab",
    "سيروان سیروان sirwan",
    "شط العرب shatt al arab",
    "الاهوار marshes",
    "الحبانيه habbaniyah",
    "الثرثار tharthar",
    "دربندخان دەربەندیخان darbandikhan",
)
# Countries and regions: not for the article tier (international calls and roaming name them), but
# a handbook row or sentence that names one country answers about that one (``place_groups``).
_COUNTRIES = (
    "تركيا توركيا تورکیا tirkiye turkey turkiye",
    "ايران ئێران iran",
    "الكويت کوێت kuweyt kuwait",
    "السعوديه سعودیە erebistan saudi ksa",
    "الاردن ئوردن urdun jordan",
    "الامارات ئیمارات emirates uae dubai دبي",
    "سوريا سوريه سووریا suriye syria",
    "لبنان لوبنان libnan lebanon",
    "مصر میسر misir egypt",
    "قطر qatar",
    "البحرين bahrain",
    "المانيا ئەڵمانیا almanya germany",
    "بريطانيا بەریتانیا britain england لندن london",
    "فرنسا فەرەنسا fransa france",
    "السويد سوید swed sweden",
    "امريكا ئەمریکا amerika america usa",
    "كندا کەنەدا kanada canada",
    "استراليا ئوسترالیا australia",
    "اوروبا الاوروبي اوروبي ئەوروپا ewropa europe european",
    "هولندا holland netherlands",
    "النمسا austria",
    "سويسرا switzerland",
    "ايطاليا italy",
    "اسبانيا spain",
    "روسيا rusya russia",
    "الصين چین china",
    "الهند هیند india",
    "باكستان pakistan",
)
# Proclitics glued to an Arabic-script place name: "بالكوت", "للبصره", "وبغداد", "لكربلاء".
_PROCLITICS = ("وبال", "بال", "لل", "وال", "فال", "كال", "ال", "و", "ب", "ل", "ف")
# Endings a Sorani or Kurmanji name takes: "هەولێرەوە", "سلێمانیدا", "Kelarê", "Duhokê", "Zaxoyê".
_SUFFIXES = ("ەوە", "دا", "ی", "ە", "yê", "ê", "ya", "a", "ne", "de", "ve")
_MIN_NAME = 3
_PREFIX = 4  # the shortest term compared by its beginning (``held_in``)


@lru_cache(maxsize=2)
def _groups(countries: bool = False) -> dict[str, int]:
    """Normalised spelling (also without its article) → the place (its line in ``_PLACES``, then
    ``_COUNTRIES`` when asked). A place written in two words ("ذي قار", "shatt al arab") counts by
    its last word."""
    found: dict[str, int] = {}
    for number, line in enumerate(_PLACES + _NATURE + (_COUNTRIES if countries else ())):
        for form in line.split():
            word = normalize(form)
            if len(word) < _MIN_NAME or word in (
                "ذي",
                "قار",
                "tal",
                "dhi",
                "qar",
                "al",
                "tuz",
                "shatt",
                "arab",
                "دزه",
                "قلعه",
            ):
                continue
            found.setdefault(word, number)
            if word.startswith("ال") and len(word) - 2 >= _MIN_NAME:
                found.setdefault(word[2:], number)
    return found


@lru_cache(maxsize=256)
def spellings(name: str) -> tuple[str, ...]:
    """Every normalised spelling of the place ``name`` is (its line of the gazetteer), each also
    without its article: how an article in any of its languages may write it."""
    groups = _groups()
    number = groups.get(name)
    if number is None:
        return (name,)
    return tuple(word for word, place in groups.items() if place == number)


@lru_cache(maxsize=1)
def _endings() -> tuple[str, ...]:
    """The Kurdish endings, normalised as the message is ("ê" → "e")."""
    return tuple(dict.fromkeys(normalize(ending) for ending in _SUFFIXES))


def _as_place(word: str, names: Collection[str]) -> str | None:
    """The place name ``word`` is, with a proclitic or a Kurdish ending, or None."""
    if word in names:
        return word
    for clitic in _PROCLITICS:
        if word.startswith(clitic) and len(word) - len(clitic) >= _MIN_NAME:
            rest = word[len(clitic) :]
            if rest in names:
                return rest
            if "ال" + rest in names:
                return "ال" + rest
    for ending in _endings():
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_NAME + 1:
            rest = word[: -len(ending)]
            if rest in names:
                return rest
    return None


def place_words(text: str, nature_only: bool = False) -> list[str]:
    """The local place names a message names (normalised, as the gazetteer writes them); with
    ``nature_only`` its mountains, rivers, lakes and marshes only."""
    groups = _groups()
    found = [_as_place(word, groups) for word in normalize(text).split()]
    names = (name for name in found if name)
    if nature_only:
        first = len(_PLACES)
        names = (name for name in names if first <= groups[name] < first + len(_NATURE))
    return list(dict.fromkeys(names))


def place_groups(text: str) -> frozenset[int]:
    """The places and countries a text names, as gazetteer lines (one per place, whatever its
    spelling or script): "بتركيا", "Tirkiyê" and "turkey" are one."""
    groups = _groups(True)
    found = (_as_place(word, groups) for word in normalize(text).split())
    return frozenset(groups[name] for name in found if name)


# Words of a group of countries ("دول الاتحاد الأوروبي", "باقي الدول", "other countries"): a text
# that names one may hold a country without naming it.
_REGION_WORDS = frozenset(normalize(w) for w in "دول الدول بلدان وڵاتان وڵاتانی welatên welatan countries".split())


def names_region(text: str) -> bool:
    """Whether a text speaks of a group of countries (or of Europe) rather than of each by name."""
    words = set(normalize(text).split())
    europe = _groups(True).get(normalize("اوروبا"))
    return bool(words & _REGION_WORDS) or (europe is not None and europe in place_groups(text))


def held_in(name: str, terms: Collection[str]) -> bool:
    """Whether a text indexed as ``terms`` names the place ``name`` in any of its spellings: a
    spelling or its analysed stem among the terms, or a term of four letters or more that begins
    one of them or that one begins (the stemmers cut place names differently in one context and
    another: "سلێمانی" → "سليمان" alone, "سليم" in a sentence). Lenient on purpose: a place the
    article may hold is never refused."""
    forms: set[str] = set()
    for word in spellings(name):
        forms.add(word)
        forms.update(shared_analysis(word).terms)
    if forms & set(terms):
        return True
    long_forms = [f for f in forms if len(f) >= _PREFIX]
    return any(
        len(term) >= _PREFIX and any(f.startswith(term) or term.startswith(f) for f in long_forms) for term in terms
    )
