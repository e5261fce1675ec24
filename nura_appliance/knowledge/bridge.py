"""A word bridge from Sorani, Kurmanji and English to Arabic, learnt from the knowledge pack.

A team's handbook is usually written in Arabic while customers also ask in Sorani, Kurmanji and
English; their words share nothing with the handbook's ("ڕۆژانە" / "rojane" / "daily" and
"يومية"). The pack the team imported already holds the translations: each article carries its
title, body and example questions in every language it declares, written line for line (the
body's n-th line in Sorani says what its n-th line in Arabic says). So every aligned pair of lines
is a small parallel text, and a word's translation is the Arabic word that occurs in the same
aligned lines as it does — Dice's coefficient over the lines, as in classic lexicon extraction
from parallel corpora. Only pairs seen together in at least :data:`MIN_LINES` lines and with a
Dice of at least :data:`MIN_DICE` are kept (a word seen once would pair with every word of its
one line).

The bridge is rebuilt per knowledge version (articles change rarely) and adds the translations
to a question word's forms in the handbook retriever; it never replaces the word itself.

**Names from the handbook's own vocabulary.** Place and product names are not translated but
transliterated, and no article may use them: "kuwait" / "الكويت", "Besrayê" / "البصرة",
"turkey" / "تركيا", "Amerîkayê" / "أمريكا". A Latin word the handbook lacks is spelt in Arabic
letters (the Arabizi reading) and meets the handbook's words with the same consonant skeleton —
the article, long vowels and a last ه/ة dropped, letters Latin spelling cannot tell apart folded
(ص/س, ط/ت, ق/ك, ح/ه …): "بسريه" and "بصر" are both "بسر". Only skeletons of three letters or
more, shared by at most :data:`MAX_NAMES` handbook words, are used (a two-letter skeleton joins
the Kuwait and Kut; the exact spelling still meets "كويت").
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from nura_appliance.knowledge.arabizi import transliterate_word
from nura_appliance.knowledge.latin_words import lexicon_word
from nura_appliance.knowledge.normalize import STOPWORDS, has_sorani_letters, index_terms, normalize, stem
from nura_appliance.knowledge.roots import root_candidates
from nura_appliance.paths import default_pack_path

MIN_LINES = 2  # lines a pair must share
MIN_DICE = 0.5
MAX_TRANSLATIONS = 2
OTHER_LANGS = ("ckb", "ku", "en")
MAX_NAMES = 3  # handbook words one skeleton may stand for
MAX_CROWDED = 12  # a skeleton shared by more handbook words than this is not told apart by its vowels
MAX_DERIVED = 4  # handbook words one root may stand for (a root with more is too common to tell)
MIN_LATIN_SKELETON = 4  # consonants an Arabic-script word must share with a Latin handbook word
MIN_NAME_LETTERS = 4  # a shorter Latin word is as often an English word ("pass", "zone") as a name
# Letters Latin spelling does not tell apart, and Kurdish/Persian letters, folded for the skeleton.
_FOLD = str.maketrans("صطضظذثقحةأإآىگپچڤژکیە", "ستدززسكههااايكبجفزكيه")
_WEAK = re.compile("[اويعءئؤ]")


def _first(term: str) -> str:
    word = term[2:] if term.startswith("ال") and len(term) > 4 else term
    return word[:1].replace("أ", "ا").replace("إ", "ا").replace("آ", "ا")


def skeleton(term: str) -> str:
    """The consonant skeleton of an Arabic-script index term ("بصر" and "بسريه" → "بسر")."""
    word = term[2:] if term.startswith("ال") and len(term) > 4 else term
    word = word.translate(_FOLD)
    if not word:
        return ""
    core = word[0] + _WEAK.sub("", word[1:])
    return core[:-1] if len(core) > 3 and core.endswith("ه") else core


# A Latin word's consonants as Arabic letters would spell them (folded as `skeleton` folds them):
# the skeleton of "platinum" is that of "بلاتينيوم". Digraphs first; vowels are dropped after the
# first letter, as `skeleton` drops the long vowels.
_LATIN_DIGRAPHS = (("sh", "ش"), ("ch", "ش"), ("th", "س"), ("kh", "ه"), ("gh", "ك"), ("ph", "ف"), ("ck", "ك"))
_LATIN_LETTERS = dict(zip("bpvfkcqgsztdlmnrhj", "ببففككككسستدلمنرهج", strict=True))
_LATIN_VOWELS = frozenset("aeiouwy")


_LATIN_VOWEL_LETTERS = {"a": "ا", "e": "ي", "i": "ي", "o": "و", "u": "و"}


def latin_spelling(word: str) -> str:
    """A short Latin word spelt whole in Arabic letters, its vowels as long vowels ("port" →
    "بورت", "esim" → "ايسيم"), folded as ``skeleton`` folds: for a three-consonant skeleton,
    which alone is too weak ("اسم" is not "esim"), the whole spelling must agree (round 15)."""
    out: list[str] = []
    for i, char in enumerate(word.lower()):
        if char in _LATIN_VOWEL_LETTERS:
            letter = "ا" if i == 0 else _LATIN_VOWEL_LETTERS[char]
        else:
            letter = _LATIN_LETTERS.get(char, "")
            if not letter:
                return ""
        if not out or out[-1] != letter or i == 0:
            out.append(letter)
    return "".join(out).translate(_FOLD)


def latin_skeleton(word: str) -> str:
    """The skeleton (`_latin_key`) of a Latin word as spelt in Arabic letters: "platinum" →
    "بلتنم", "proxy" → "بركس", "business" → "بسنس". A letter map, not the Arabizi
    transliterator: it runs over every Latin word of a handbook once per knowledge version."""
    word = word.lower()
    out: list[str] = []
    previous = ""
    i = 0
    while i < len(word):
        pair = word[i : i + 2]
        letter = next((ar for latin, ar in _LATIN_DIGRAPHS if pair == latin), None)
        if letter is not None:
            i += 2
            char = pair
        else:
            char = word[i]
            i += 1
            if char in _LATIN_VOWELS:
                if out:
                    previous = char
                    continue
                letter = "ا"  # a first vowel is written with alif
            elif char == "x":
                letter = "كس"
            else:
                letter = _LATIN_LETTERS.get(char, "")
        if letter and char != previous:  # a doubled consonant ("ss", "ll") is written once
            out.append(letter)
        previous = char
    core = "".join(out)
    if len(core) > 3 and core.endswith("ه"):
        core = core[:-1]
    return core


# A Latin word's letters with its vowels, as Arabic letters would write them long (``vowelled``).
_LATIN_LONG_VOWELS = {"a": "ا", "e": "ي", "i": "ي", "y": "ي", "o": "و", "u": "و", "w": "و"}
_UNWRITTEN = re.compile("[ءئؤع]")  # letters a Latin spelling has no letter for


def _latin_letters(word: str) -> str:
    """A Latin word letter by letter in Arabic letters, vowels as long vowels ("mosul" →
    "موسول"), folded as ``skeleton`` folds."""
    out: list[str] = []
    i = 0
    while i < len(word):
        pair = word[i : i + 2]
        letter = next((ar for latin, ar in _LATIN_DIGRAPHS if pair == latin), None)
        if letter is not None:
            i += 2
        else:
            char = word[i]
            i += 1
            letter = _LATIN_LONG_VOWELS.get(char) or ("كس" if char == "x" else _LATIN_LETTERS.get(char, ""))
        if letter and (not out or out[-1] != letter):
            out.append(letter)
    return "".join(out).translate(_FOLD)


def _within(short: str, long: str) -> bool:
    """Whether ``short``'s letters occur in ``long`` in order."""
    rest = iter(long)
    return all(letter in rest for letter in short)


def vowelled(spellings: Iterable[str], terms: Iterable[str]) -> set[str]:
    """Of handbook ``terms`` sharing one consonant skeleton, those a Latin name spells with its
    vowels: every letter of the term (article and a last ة dropped, folded) in the Latin word's
    letters in order, long vowels included — the longest such terms. "mosul" ("موسول") is "موصل"
    ("موسل"), not "مثلا" (no alif in "mosul") nor "مسوول" (two و); "مثل" also fits, with fewer
    letters. Skeletons leave out the vowels, so four handbook words shared "مسل" and no name was
    linked (round 18)."""
    letters = [_latin_letters(w) for w in spellings if w.isascii()]
    fits: dict[str, int] = {}
    for term in terms:
        word = term[2:] if term.startswith("ال") and len(term) > 4 else term
        word = _UNWRITTEN.sub("", word.translate(_FOLD))
        word = word[:-1] if len(word) > 3 and word.endswith("ه") else word
        if word and any(_within(word, latin) for latin in letters):
            fits[term] = len(word)
    longest = max(fits.values(), default=0)
    return {t for t, n in fits.items() if n == longest and n >= 4}


def _latin_key(term: str) -> str:
    """The skeleton for matching Arabic spellings of Latin words: an English "s" is also written
    "ز" ("business" / "بزنس")."""
    return skeleton(term).replace("ز", "س")


def spelling_key(term: str) -> str:
    """A word's consonant skeleton in Arabic letters whatever its script, to meet a name spelt in
    another script: "zagros", "زاكروس" and "زاگرۆس" → "سكرس"; "nahr" and "نهر" → "نهر"."""
    key = latin_skeleton(term) if term.isascii() else _latin_key(term)
    return key.replace("غ", "ك")


def _stems(text: str, sorani: bool) -> set[str]:
    words = normalize(text).split()
    return {s for w in words if w not in STOPWORDS and not w.isdigit() and len(s := stem(w, sorani)) > 1}


def _texts(field: Any, lang: str) -> list[str]:
    """The non-empty texts of one per-language field in ``lang`` (a string, or a list of them for
    example questions); anything else — an older or hand-edited shape — gives nothing."""
    value = field.get(lang) if isinstance(field, dict) else None
    if isinstance(value, str):
        return [line for line in value.splitlines() if line.strip()]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str) and item.strip()]
    return []


def _aligned(article: dict[str, Any], lang: str) -> Iterable[tuple[str, str]]:
    """Pairs of (Arabic, ``lang``) texts of one article that say the same thing: the title, the
    body line by line and the example questions one by one, each only when both sides have the
    same number of them."""
    for field in (article.get("title"), article.get("body"), article.get("examples")):
        ar, other = _texts(field, "ar"), _texts(field, lang)
        if ar and len(ar) == len(other):
            yield from zip(ar, other, strict=True)


def spells(word: str, ar: str) -> bool:
    """Whether ``word`` (a Latin or Sorani stem) is ``ar`` spelt in its own letters: the same
    consonant skeleton, or one letter more or less at the end ("duhok" / "دهو", the index's stem
    of "دهوك"; "basr" / "بصر"; Sorani "بسر" / "بصر"). Names are transliterated, not translated."""
    if word.isascii() and (not word.isalpha() or len(word) < 3):
        return False
    mine, theirs = spelling_key(word), _latin_key(ar).replace("غ", "ك")
    if len(mine) < 2 or len(theirs) < 2 or mine[0] != theirs[0]:
        return False
    short, long = sorted((mine, theirs), key=len)
    return short == long or (len(long) >= 3 and len(long) == len(short) + 1 and long.startswith(short))


def _link(candidates: dict[str, list[tuple[float, str]]], seen_words: set[str]) -> dict[str, tuple[str, ...]]:
    """Translations from each word's scored candidates (best first), names linked one to one.

    The pack lists its branch cities together ("بغداد وأربيل والسليمانية ودهوك والبصرة"), so every
    city word shares every line with every city: Dice ties them all, and "duhok" became "اربيل".
    A name is transliterated, not translated: a candidate the word spells is its translation (in
    a tie wider than :data:`MAX_TRANSLATIONS` the only one; beside it only a candidate no other
    word spells); when more candidates tie than :data:`MAX_TRANSLATIONS`, one that another word of
    the language spells (or writes as is) is that word's and leaves the tie, and a tie still too
    wide gives no translation rather than a wrong one (competitive linking,
    as in Melamed's one-to-one word alignment)."""
    spelt = {ar for word, scored in candidates.items() for _, ar in scored if spells(word, ar)}
    learnt: dict[str, tuple[str, ...]] = {}
    for word, scored in candidates.items():
        top = scored[0][0]
        wide = sum(dice >= top - 1e-9 for dice, _ in scored) > MAX_TRANSLATIONS
        own = [ar for _, ar in scored if spells(word, ar)]
        if own:
            # In a wide tie the word's own spelling alone; otherwise a loanword keeps its
            # translation too ("کارت" is "كروت" and "بطاقة"), not another word's name ("iran" is
            # not "تركيا", which "turkey" spells).
            others = [] if wide else [ar for _, ar in scored[:MAX_TRANSLATIONS] if ar not in own and ar not in spelt]
            learnt[word] = tuple([*own, *others][:MAX_TRANSLATIONS])
            continue
        if wide:
            # Ambiguous lines: what another word of the language spells or is, is that word's.
            kept = [(dice, ar) for dice, ar in scored if ar not in spelt and ar not in seen_words]
            if len(kept) < len(scored):  # names among the tied: the rest is as likely another name
                if not kept or sum(dice >= kept[0][0] - 1e-9 for dice, _ in kept) > MAX_TRANSLATIONS:
                    continue
                scored = kept
        learnt[word] = tuple(ar for _, ar in scored[:MAX_TRANSLATIONS])
    return learnt


def _singular(word: str) -> str:
    """An English plural's singular, by its ending ("batteries" → "battery", "routers" →
    "router"); any other word as it is."""
    if word.endswith("ies") and len(word) > 5:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 4:
        return word[:-1]
    return word


class Bridge:
    """``translations(word_stem, lang)`` → Arabic stems (see the module docstring)."""

    def __init__(
        self, table: dict[str, dict[str, tuple[str, ...]]] | None = None, vocabulary: Iterable[str] = ()
    ) -> None:
        self.table = table or {}
        # The handbook's index terms (for names, above): the Arabic-script ones by skeleton.
        self.vocabulary = frozenset(vocabulary)
        names: dict[str, list[str]] = defaultdict(list)
        for term in self.vocabulary:
            if len(term) >= 3 and not term.isascii() and (shape := skeleton(term)) and len(shape) >= 3:
                names[shape].append(term)
        self.names = {shape: tuple(sorted(terms)) for shape, terms in names.items() if len(terms) <= MAX_NAMES}
        # ... and the skeletons shared by more words ("موصل", "مثل", "مثلا", "مسوول" are all "مسل"):
        # a Latin name's vowels tell them apart (``vowelled``)
        self.crowded = {
            shape: tuple(sorted(terms)) for shape, terms in names.items() if MAX_NAMES < len(terms) <= MAX_CROWDED
        }
        # ... and the Latin ones ("Platinum", "proxy") by the skeleton of their Arabic spelling, for
        # a question that writes them in Arabic letters ("البلاتينيوم", "بروكسي").
        latin: dict[str, list[str]] = defaultdict(list)
        for term in self.vocabulary:
            if len(term) >= MIN_NAME_LETTERS and term.isascii() and term.isalpha() and not term.startswith("kc"):
                if len(shape := latin_skeleton(term)) >= MIN_LATIN_SKELETON:
                    latin[shape].append(term)
        self.latin = {shape: tuple(sorted(set(t))) for shape, t in latin.items() if len(set(t)) <= MAX_NAMES}
        # ... and those of three consonants by their whole spelling ("port" → "بورت" for "بورت الـ MMS")
        spelt: dict[str, set[str]] = defaultdict(set)
        for term in self.vocabulary:
            if len(term) >= MIN_NAME_LETTERS and term.isascii() and term.isalpha() and not term.startswith("kc"):
                if len(latin_skeleton(term)) == MIN_LATIN_SKELETON - 1 and (whole := latin_spelling(term)):
                    spelt[whole].add(term)
        self.latin_spelt = {whole: tuple(sorted(t)) for whole, t in spelt.items() if len(t) <= MAX_NAMES}
        # ... and the Arabic ones by their three-letter roots, for a question's verb the handbook
        # writes as a verbal noun ("احول" / "تحويل", "جمدت" / "تجميد"; knowledge/roots.py)
        roots: dict[str, set[str]] = defaultdict(set)
        for term in self.vocabulary:
            if len(term) >= 3 and not term.isascii():
                for root in root_candidates(term):
                    roots[root].add(term)
        self.roots = {root: tuple(sorted(t)) for root, t in roots.items() if len(t) <= MAX_DERIVED}
        # ... and the English table read backwards, for a handbook that writes a section in English
        reverse: dict[str, set[str]] = defaultdict(set)
        if self.vocabulary:
            for english, arabic in self.table.get("en", {}).items():
                for ar in arabic:
                    reverse[ar].add(english)
        self.reverse = {ar: frozenset(words) for ar, words in reverse.items()}

    def with_vocabulary(self, vocabulary: Iterable[str]) -> Bridge:
        """This bridge with the handbook's vocabulary for names."""
        return Bridge(self.table, vocabulary)

    def names_for(self, word: str) -> set[str]:
        """Handbook words a Latin word the handbook lacks may be the name of ("kuwait" → "كويت",
        "besraye" → "بصر"; "kuwait" also when the handbook writes it in Latin letters too)."""
        if (
            len(word) < MIN_NAME_LETTERS
            or not word.isascii()
            or not word.isalpha()
            or lexicon_word(word)  # "phone", "number": a word, not a name
        ):
            return set()
        found: set[str] = set()
        # A word the handbook also writes in Latin letters ("eSIM", "Kuwait") is as often an
        # English word as a name: its skeleton must be longer ("esim" is not "اسم").
        shortest = 4 if word in self.vocabulary else 3
        # The letters as spelt, not the lexicon's nearest word ("cudi" is not "كود"); an English
        # plural also as its singular, the loanword a handbook writes ("batteries" → "بطاري").
        spellings = [word, *({_singular(word)} - {word})]
        terms = dict.fromkeys(t for w in spellings for t in index_terms(normalize(transliterate_word(w, search=False))))
        for term in terms:
            if term.isascii():
                continue  # a lexicon concept, not a spelling
            if len(term) >= 4 and term in self.vocabulary:
                found.add(term)
            if len(shape := skeleton(term)) >= shortest:
                # ... beginning with the same letter: "turkey" is "تركيا", not "طريق" (ط folds to ت)
                found.update(t for t in self.names.get(shape, ()) if _first(t) == _first(term))
                if shape in self.crowded:
                    found.update(vowelled(spellings, [t for t in self.crowded[shape] if _first(t) == _first(term)]))
        return found

    @classmethod
    def learn(cls, articles: Iterable[dict[str, Any]]) -> Bridge:
        articles = list(articles)
        table: dict[str, dict[str, tuple[str, ...]]] = {}
        for lang in OTHER_LANGS:
            seen: Counter[str] = Counter()
            seen_ar: Counter[str] = Counter()
            together: dict[str, Counter[str]] = defaultdict(Counter)
            seen_words: set[str] = set()  # every word of this language's lines, shared ones too
            for article in articles:
                for ar_text, text in _aligned(article, lang):
                    ar = _stems(ar_text, False)
                    mine = _stems(text, lang == "ckb" or has_sorani_letters(text))
                    seen_words |= mine
                    other = mine - ar  # a shared word needs no bridge
                    seen_ar.update(ar)
                    seen.update(other)
                    for word in other:
                        together[word].update(ar)
            candidates: dict[str, list[tuple[float, str]]] = {}
            for word, pairs in together.items():
                scored = [
                    (2 * n / (seen[word] + seen_ar[ar]), ar)
                    for ar, n in pairs.items()
                    if n >= MIN_LINES and 2 * n / (seen[word] + seen_ar[ar]) >= MIN_DICE
                ]
                if scored:
                    scored.sort(key=lambda s: (-s[0], s[1]))
                    candidates[word] = scored
            table[lang] = _link(candidates, seen_words)
        return cls(table)

    def with_fallback(self, other: Bridge) -> Bridge:
        """This bridge, with ``other``'s translations for the words it has none for."""
        table = {
            lang: {**other.table.get(lang, {}), **self.table.get(lang, {})} for lang in {*self.table, *other.table}
        }
        return Bridge(table, self.vocabulary)

    @classmethod
    def from_rows(cls, rows: Iterable[Any], *, shipped: bool = True) -> Bridge:
        """From ``articles`` rows (title, body, examples as stored: JSON text); ``shipped``: with
        the shipped default pack's bridge for the words the team's pack does not translate."""

        def loaded(value: Any) -> Any:
            try:
                return json.loads(value) if isinstance(value, str) and value else value
            except ValueError:
                return None

        learnt = cls.learn(
            {"title": loaded(r["title"]), "body": loaded(r["body"]), "examples": loaded(r["examples"])} for r in rows
        )
        return learnt.with_fallback(shipped_bridge()) if shipped else learnt

    def translations(self, word: str, sorani: bool) -> set[str]:
        """Arabic stems for one normalised question word: through the Sorani table for a word of a
        Sorani question, the Kurmanji and English ones for a Latin word."""
        if not word:
            return set()
        if word.isascii():
            found: set[str] = set()
            for lang in ("ku", "en"):
                found.update(self.table.get(lang, {}).get(stem(word), ()))
            # ... a name as written, or without the ending the stemmer takes off: a Kurmanji
            # name carries its case ending ("Kerkûkê" → "kerkuke", whose skeleton is not that of
            # "كركوك"; the stem "kerkuk" is) — round 16.
            return found or self.names_for(word) or self.names_for(stem(word))
        found = set(self.table.get("ckb", {}).get(stem(word, True), ())) if sorani else set()
        found = found or self.latin_for(word, sorani) or (self.sorani_names_for(word) if sorani else set())
        return found | self.english_for(word, sorani)

    def sorani_names_for(self, word: str) -> set[str]:
        """Handbook words a Sorani word the handbook lacks may be the name of: Sorani writes an
        Arabic place name in its own letters ("ناسریە" for "الناصرية": س for ص, ە for ة), so the
        word read as Arabic (a final ە as ه, a medial one dropped; the Arabic light stem) meets the handbook's term of the same
        consonant skeleton and first letter, as a Latin name does (``names_for``)."""
        # ە is a vowel: a final one is the Arabic ة (ه once normalised), a medial one has no letter
        folded = word[:-1].replace("\u06d5", "") + word[-1:].replace("\u06d5", "ه")
        if folded == word and not has_sorani_letters(word):
            return set()
        unit = stem(folded)
        if unit in self.vocabulary or len(shape := skeleton(unit)) < 3:
            return set()
        return {t for t in self.names.get(shape, ()) if _first(t) == _first(unit)}

    def derived_for(self, word: str) -> set[str]:
        """Handbook words an Arabic question word the handbook lacks shares a three-letter root
        with: the customer's verb and the handbook's verbal noun ("احول" → "تحويل", "جمدت" →
        "تجميد", "بيخصموا" → "خصم", "ارجاع" → "استرجاع"), a root the handbook writes in at most
        ``MAX_DERIVED`` words."""
        if not self.roots or word.isascii() or has_sorani_letters(word):
            return set()
        unit = stem(word)
        if unit in self.vocabulary or word in self.vocabulary:
            return set()
        return {t for root in root_candidates(word) | root_candidates(unit) for t in self.roots.get(root, ())}

    def english_for(self, word: str, sorani: bool = False) -> set[str]:
        """The handbook's English words an Arabic question word translates (the bridge read
        backwards): "تركيا" → "turkey", "تجوال" → "roaming" when the handbook has a section in
        English ("Turkey: Anatel") — only words the handbook has, and for an Arabic word it also has
        only a name."""
        if sorani or not self.reverse or word.isascii():
            return set()
        unit = stem(word)
        lacks = unit not in self.vocabulary
        # A word the handbook also writes in Arabic meets its English section only through a name
        # spelt in Latin letters ("Zagros", "Turkey"), not a translation ("رقم" is not "number":
        # English passages would outrank the Arabic one that answers).
        return {w for w in self.reverse.get(unit, ()) if w in self.vocabulary and (lacks or spells(w, unit))}

    def latin_for(self, word: str, sorani: bool = False) -> set[str]:
        """Latin handbook words an Arabic-script question word the handbook lacks may spell
        ("البلاتينيوم" → "platinum", "بروكسي" → "proxy"): the same consonant skeleton (four letters
        or more, so "اسم" is never "esim") and the same first letter."""
        if not (self.latin or self.latin_spelt) or word.isascii():
            return set()
        unit = stem(word, sorani)
        if unit in self.vocabulary:
            return set()
        if len(shape := _latin_key(unit)) < MIN_LATIN_SKELETON:
            return (
                set(self.latin_spelt.get(unit.translate(_FOLD), ())) if len(shape) == MIN_LATIN_SKELETON - 1 else set()
            )
        return set(self.latin.get(shape, ()))


@functools.lru_cache(maxsize=1)
def shipped_bridge() -> Bridge:
    """The bridge learnt from the shipped default pack (``knowledge/default-pack.json``), written
    line for line in ar, ckb, ku and en: general support words ("هێڵ" / "xet" / "line" → خط,
    "cancel" → الغاء, "tower" → برج) for a team whose own pack declares fewer languages or uses
    other words. Learnt once per process; an unreadable file gives an empty bridge."""
    try:
        with open(default_pack_path(), encoding="utf-8") as handle:
            articles = json.load(handle).get("articles", [])
    except (OSError, ValueError, AttributeError):
        return Bridge()
    return Bridge.learn(a for a in articles if isinstance(a, dict))
