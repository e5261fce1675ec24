"""Numbered items: a roaming zone, a plan or a tier named by its number ("zone 7", "المنطقة
الخامسة", "ناوچەی ٥", "herêma pêncemîn", "Zagros Plus 90") (issue 16/17, `hzone`).

An article that lists such items by number ("Zagros Plus 30 … Plus 60") or speaks of them by their
word alone ("the price for each zone is in the app") is not the answer to a question about a number
it does not hold: that item is unlisted, as a branch in a town the list lacks is
(``retrieval.unlisted_places``). What is read here is text as written (title, body, examples), not
index terms: which word a number follows is lost in a bag of terms.

A number is an item's number when it follows a word ("zone 7", "Plus 90") or is an ordinal after it
("المنطقة الخامسة", "ناوچەی پێنجەم", "herêma pêncemîn") or before it in English ("the fifth zone",
"5th zone"), has at most three digits and is not a quantity (followed by GB, minutes, days, dinars
…). Digits in any script count (``folding.normalize`` reads "٥" and "۵" as "5").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nura_appliance.knowledge.folding import normalize

# The words of a zone in each language (normalised, after ``_stem``): an article that speaks of
# zones without numbering them holds none of them by number.
_ZONE = "zone"
_ZONE_WORDS = frozenset(normalize(w) for w in "zone zones region منطقه مناطق ناوچە ناوچ herêm herem".split())

_ORDINALS: dict[str, int] = {}
_AR_ORDINALS: set[str] = set()
for _number, _words in enumerate(
    (
        "اول اولي first یەکەم yekem yekemin",
        "ثاني ثانيه second دووەم duyem duyemin",
        "ثالث ثالثه third سێیەم sêyem sêyemin",
        "رابع رابعه fourth چوارەم çarem çaremin",
        "خامس خامسه fifth پێنجەم pêncem pêncemin",
        "سادس سادسه sixth شەشەم şeşem şeşemin",
        "سابع سابعه seventh حەوتەم heftem heftemin",
        "ثامن ثامنه eighth هەشتەم heştem heştemin",
        "تاسع تاسعه ninth نۆیەم nehem nehemin",
        "عاشر عاشره tenth دەیەم dehem dehemin",
    ),
    start=1,
):
    for _word in _words.split():
        _ORDINALS[normalize(_word)] = _number
        if _words.split().index(_word) < 2:
            _AR_ORDINALS.add(normalize(_word))
_EN_ORDINAL = re.compile(r"^(\d{1,3})(st|nd|rd|th)$")
_EN_ORDINAL_WORDS = frozenset(
    normalize(w) for w in "first second third fourth fifth sixth seventh eighth ninth tenth".split()
)

# What a number counts when it is a quantity, not an item's number: a Latin word as written, an
# Arabic-script one by its beginning.
_LATIN_UNITS = frozenset(
    "gb mb kb gig gigs giga mega min mins minute minutes hour hours hr day days week weeks month months "
    "year years iqd dinar dinars sms deqe deqeyan deqeyên saet saetan roj rojan hefte meh mehan sal "
    "dînar peyam".split()
)
_LATIN = frozenset(normalize(w) for w in _LATIN_UNITS)
_UNITS = tuple(
    normalize(w)
    for w in (
        "جيجا جيكا كيكا ميجا ميغا ميكا دقيق دقائق دقايق ساع يوم ايام اسبوع شهر اشهر سن دينار رسال "
        "گیگا خولەک کاتژمێر ڕۆژ هەفت مانگ ساڵ دینار نامە"
    ).split()
)


def _is_unit(token: str) -> bool:
    """A quantity's word after a number: "30 GB", "7 أيام"; not a rate ("Plus 30 بالشهر")."""
    if token.isascii() or token in _LATIN:
        return token in _LATIN
    return token.startswith(_UNITS)


# Words a number follows that do not name an item ("for 24", "بعد 3", "within 7"; a phone number).
_NOT_ITEMS = frozenset(
    normalize(w)
    for w in (
        "for in of to the after within about last up than over under each per and or at by on from "
        "least most all press choose dial open check paid number no "
        "من في بعد خلال الى على عن اخر كل لمده مده اكثر اقل حتي قبل او و مع اطلب اختر واختر بسعر رقم لرقم برقم "
        "لە بۆ دوای پێش لەگەڵ یان و ژمارە ژمارەی "
        "ji bo di li bi piştî berî heta an û hejmar hejmara"
    ).split()
)
# Proclitics and endings around an item word: "بالمنطقة", "للمنطقة", "ناوچەی", "herêma".
_PROCLITICS = ("وبال", "بال", "لل", "وال", "فال", "كال", "ال")
_ENDINGS = (normalize("ەکەی"), normalize("ەکە"), normalize("ی"), "ya", "yê", "a", "ê")
_TOKEN = re.compile(r"\d+(?:[.,]\d+)+|\w+")
# A dial code ("*288*1#") is not an item's number; a line or a sentence ends what a number follows
# (a numbered step: "… وەربکرە\n4. …").
_CODE = re.compile(r"[*#][0-9٠-٩۰-۹*#]+")
_SEGMENT = re.compile(r"\n|[.!?؟؛;:،,]\s")


def _stem(word: str) -> str:
    for clitic in _PROCLITICS:
        if word.startswith(clitic) and len(word) - len(clitic) >= 3:
            word = word[len(clitic) :]
            break
    if word in _ORDINALS:
        return word
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            word = word[: -len(ending)]
            break
    return _ZONE if word in _ZONE_WORDS else word


def _value(token: str) -> int | None:
    """The number a token names: digits (at most three) or an ordinal word."""
    if token.isdigit():
        return int(token) if len(token) <= 3 else None
    match = _EN_ORDINAL.match(token)
    if match:
        return int(match.group(1))
    stem = _stem(token)
    if stem in _AR_ORDINALS and not token.startswith(_PROCLITICS):
        # Without the article an Arabic ordinal is "another" as often ("رقم ثاني", "خط ثاني").
        return None
    return _ORDINALS.get(stem)


def _is_word(token: str) -> bool:
    return token.isalpha() and len(token) >= 3 and token not in _NOT_ITEMS and _value(token) is None


@dataclass(frozen=True)
class Numbered:
    """What a text holds by number: ``pairs`` (item word, number) and ``words``, the item words
    followed by a number somewhere, or a zone word alone."""

    pairs: frozenset[tuple[str, int]] = frozenset()
    words: frozenset[str] = frozenset()


def numbered_items(text: str) -> Numbered:
    """The numbered items ``text`` names (see the module docstring)."""
    pairs: set[tuple[str, int]] = set()
    words: set[str] = set()
    for segment in _SEGMENT.split(_CODE.sub(" ", text)):
        _read(_TOKEN.findall(normalize(segment)), pairs, words)
    words.update(word for word, _ in pairs)
    return Numbered(frozenset(pairs), frozenset(words))


def _read(tokens: list[str], pairs: set[tuple[str, int]], words: set[str]) -> None:
    for i, token in enumerate(tokens):
        stem = _stem(token) if token.isalpha() else ""
        if stem == _ZONE:
            words.add(_ZONE)
        value = _value(token)
        if value is None:
            continue
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        if after and _is_unit(after):
            continue
        before = tokens[i - 1] if i else ""
        if before and _is_word(before):
            pairs.add((_stem(before), value))
        match = _EN_ORDINAL.match(token)
        if token in _EN_ORDINAL_WORDS or match:
            # "the fifth zone", "the 5th roaming zone": the zone word if one of the next two is.
            following = [t for t in tokens[i + 1 : i + 3] if _is_word(t)]
            zone = [t for t in following if _stem(t) == _ZONE]
            if zone or following:
                pairs.add((_stem((zone or following)[0]), value))


def unlisted_numbers(asked: Numbered, held: Numbered) -> list[str]:
    """The numbered items ``asked`` names whose word ``held`` holds, never with that number."""
    return [
        f"{word} {value}"
        for word, value in sorted(asked.pairs)
        if word in held.words and (word, value) not in held.pairs
    ]
