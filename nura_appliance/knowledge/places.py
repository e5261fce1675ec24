"""Local place names: by default Iraq's governorates, cities and towns, the Kurdistan Region's
towns, mountains, rivers and lakes, and Baghdad's best-known districts (issue 16/17, `h16oos`),
shipped as data (``knowledge/places-iraq.json``); a pack that serves another country declares its
own (``pack.places``, docs/KNOWLEDGE_FORMAT.md) and the article tier reads that one (``Gazetteer``).

An operator's lists name such places: its branches by city ("لدينا فروع في بغداد وأربيل …") and,
often, its packages by mountain or river (Qandil, Safeen, Halgurd; Tigris, Euphrates). A question
about a branch or a package that names a place the winning article does not hold asks about an
item the list lacks — "وين فرعكم بالكوت", "كم سعر باقة آزمر", "şaxa we li Kelarê" — and the article
that lists the others is not its answer (``retrieval.unlisted_places``). The fifth, ninth and
thirteenth passes found that "a word no article knows" cannot tell such a name from a dialect verb
("ترجعولي", "الكم"); what does is *what* the word is, as ``topics`` does for subjects.

A branch question counts every place; a package question only mountains, rivers and lakes
(``nature``): a town there is where the customer is ("باقة نت بأربيل"). Countries are a list of
their own (``countries``), used only to tell a handbook row for one country from a question about
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

import json
from collections.abc import Collection, Sequence
from functools import lru_cache
from typing import Any

from nura_appliance.knowledge.folding import normalize
from nura_appliance.knowledge.normalize import analysis as shared_analysis
from nura_appliance.paths import knowledge_dir

# The shipped gazetteer: the default places of a pack that declares none.
DEFAULT_PLACES = "places-iraq.json"
MAX_PLACES, MAX_SPELLING = 5000, 60  # per list of a pack's ``places``, and characters a spelling
# Proclitics glued to an Arabic-script place name: "بالكوت", "للبصره", "وبغداد", "لكربلاء".
_PROCLITICS = ("وبال", "بال", "لل", "وال", "فال", "كال", "ال", "و", "ب", "ل", "ف")
# Endings a Sorani or Kurmanji name takes: "هەولێرەوە", "سلێمانیدا", "Kelarê", "Duhokê", "Zaxoyê".
_SUFFIXES = ("ەوە", "دا", "ی", "ە", "yê", "ê", "ya", "a", "ne", "de", "ve")
_MIN_NAME = 3
_PREFIX = 4  # the shortest term compared by its beginning (``held_in``)
# Words of a group of countries ("دول الاتحاد الأوروبي", "باقي الدول", "other countries"): a text
# that names one may hold a country without naming it.
_REGION_WORDS = frozenset(normalize(w) for w in "دول الدول بلدان وڵاتان وڵاتانی welatên welatan countries".split())
_LISTS = ("local", "nature", "countries")


class PlacesError(ValueError):
    """A ``places`` declaration of the wrong shape."""


def _lines(data: dict[str, Any], key: str) -> tuple[tuple[str, ...], ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or len(value) > MAX_PLACES:
        raise PlacesError(f"{key}: expected a list of places (at most {MAX_PLACES}), each a list of spellings")
    lines: list[tuple[str, ...]] = []
    for place in value:
        if not isinstance(place, list) or not place or not all(isinstance(s, str) and s.strip() for s in place):
            raise PlacesError(f"{key}: a place is a non-empty list of spellings (strings)")
        if any(len(s) > MAX_SPELLING for s in place):
            raise PlacesError(f"{key}: a spelling longer than {MAX_SPELLING} characters")
        lines.append(tuple(s.strip() for s in place))
    return tuple(lines)


class Gazetteer:
    """The places a desk serves and the countries its rows may name, each place one line of
    spellings. A spelling of several words ("ذي قار", "tal afar") counts by its last word unless
    ``not_alone`` holds that word; a spelling with the article counts also without it."""

    def __init__(
        self,
        local: Sequence[Sequence[str]],
        nature: Sequence[Sequence[str]],
        countries: Sequence[Sequence[str]],
        not_alone: Collection[str] = (),
    ) -> None:
        skip = {normalize(w) for w in not_alone}
        self._first_nature, first_country = len(local), len(local) + len(nature)
        # Normalised spelling (also without its article) → the place (its line): the local places,
        # and with them the countries.
        self._local: dict[str, int] = {}
        self._all: dict[str, int] = {}
        for number, line in enumerate([*local, *nature, *countries]):
            for spelling in line:
                word = (normalize(spelling).split() or [""])[-1]
                if len(word) < _MIN_NAME or word in skip:
                    continue
                forms = [word, word[2:]] if word.startswith("ال") and len(word) - 2 >= _MIN_NAME else [word]
                for form in forms:
                    self._all.setdefault(form, number)
                    if number < first_country:
                        self._local.setdefault(form, number)
        self._spellings: dict[int, tuple[str, ...]] = {}
        for word, number in self._local.items():
            self._spellings[number] = (*self._spellings.get(number, ()), word)

    @classmethod
    def from_data(cls, data: Any) -> Gazetteer:
        """The gazetteer a ``places`` object declares (``local``, ``nature``, ``countries``: lists
        of places, each a list of spellings; ``not_alone``: words that alone name no place)."""
        if not isinstance(data, dict):
            raise PlacesError("expected an object with local, nature and countries lists")
        unknown = set(data) - {*_LISTS, "not_alone", "about"}
        if unknown:
            raise PlacesError(f"unknown key(s) {sorted(unknown)}: use {', '.join(_LISTS)}, not_alone")
        not_alone = data.get("not_alone", [])
        if not isinstance(not_alone, list) or not all(isinstance(w, str) for w in not_alone):
            raise PlacesError("not_alone: expected a list of words")
        return cls(_lines(data, "local"), _lines(data, "nature"), _lines(data, "countries"), not_alone)

    def spellings(self, name: str) -> tuple[str, ...]:
        """Every normalised spelling of the place ``name`` is (its line), each also without its
        article: how an article in any of its languages may write it."""
        number = self._local.get(name)
        return (name,) if number is None else self._spellings[number]

    def place_words(self, text: str, nature_only: bool = False) -> list[str]:
        """The local place names a message names (normalised, as the gazetteer writes them); with
        ``nature_only`` its mountains, rivers, lakes and marshes only."""
        found = [_as_place(word, self._local) for word in normalize(text).split()]
        names = (name for name in found if name)
        if nature_only:
            names = (name for name in names if self._first_nature <= self._local[name])
        return list(dict.fromkeys(names))

    def place_groups(self, text: str) -> frozenset[int]:
        """The places and countries a text names, as gazetteer lines (one per place, whatever its
        spelling or script): "بتركيا", "Tirkiyê" and "turkey" are one."""
        found = (_as_place(word, self._all) for word in normalize(text).split())
        return frozenset(self._all[name] for name in found if name)

    def names_region(self, text: str) -> bool:
        """Whether a text speaks of a group of countries (or of Europe) rather than of each by name."""
        words = set(normalize(text).split())
        europe = self._all.get(normalize("اوروبا"))
        return bool(words & _REGION_WORDS) or (europe is not None and europe in self.place_groups(text))

    def held_in(self, name: str, terms: Collection[str]) -> bool:
        """Whether a text indexed as ``terms`` names the place ``name`` in any of its spellings: a
        spelling or its analysed stem among the terms, or a term of four letters or more that begins
        one of them or that one begins (the stemmers cut place names differently in one context and
        another: "سلێمانی" → "سليمان" alone, "سليم" in a sentence). Lenient on purpose: a place the
        article may hold is never refused."""
        forms: set[str] = set()
        for word in self.spellings(name):
            forms.add(word)
            forms.update(shared_analysis(word).terms)
        if forms & set(terms):
            return True
        long_forms = [f for f in forms if len(f) >= _PREFIX]
        return any(
            len(term) >= _PREFIX and any(f.startswith(term) or term.startswith(f) for f in long_forms) for term in terms
        )


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The shipped places (``knowledge/places-iraq.json``): those of a pack that declares none."""
    data = json.loads((knowledge_dir() / DEFAULT_PLACES).read_text(encoding="utf-8"))
    return Gazetteer.from_data(data)


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
    """``Gazetteer.place_words`` of the shipped places."""
    return default_gazetteer().place_words(text, nature_only)


def place_groups(text: str) -> frozenset[int]:
    """``Gazetteer.place_groups`` of the shipped places."""
    return default_gazetteer().place_groups(text)


def names_region(text: str) -> bool:
    """``Gazetteer.names_region`` of the shipped places."""
    return default_gazetteer().names_region(text)
