"""Three-letter roots of Arabic words, for meeting a handbook's verbal nouns with a customer's verbs.

A customer writes a verb in the dialect's person ("احول" I transfer, "جمدت" I froze, "بيخصموا" they
deduct, "ارجعه" I bring it back); a handbook writes the verbal noun ("تحويل", "تجميد", "خصم",
"إعادة"/"استرجاع") or the passive ("تُفعَّل"). The light stemmer keeps each whole, so the question
held none of the handbook's words for them. ``root_candidates`` reads a normalised, light-stemmed
Arabic term through the common verb and verbal-noun patterns (Forms I, II, IV, V, VII, VIII, X and
their verbal nouns: يفعل، فعلت، تفعيل، تفعلة، إفعال، انفعال، افتعال، استفعال) and returns the
three-letter roots it may have. Deliberately narrow: no م- patterns (مدة، مكان are nouns, not
participles), no weak-root restoration, nothing shorter than three letters. Used by
``Bridge.derived_for`` only for a question word the handbook lacks, and only towards handbook terms
that share a root with few others (docs/KNOWLEDGE.md, round 13).
"""

from __future__ import annotations

import functools
import re

# Person and object endings a dialect verb carries ("جمدت", "وصلتني", "يخصموا", "ارجعه", "استخدمته").
_SUFFIXES = tuple("تموه تهم تها ته تني تنا تم وا ون ين ني ها هم كم نا ه ت و".split())
_ARABIC = re.compile(r"^[\u0621-\u064a]+$")
# (pattern, groups) over a term without its ending; each gives one root of three letters.
_PATTERNS = tuple(
    re.compile(p)
    for p in (
        r"^(?:[ايتنب])?(.)(.)(.)$",  # فعل، يفعل، افعل، تفعل (and a dialect's "ب" before a verb)
        r"^(?:[ايتنب])?ت(.)(.)(.)$",  # تفعّل (Form V), يتفعّل
        r"^ت(.)(.)ي(.)$",  # تفعيل (Form II verbal noun)
        r"^ت(.)(.)(.)[هي]$",  # تفعلة (تعبئة, تجربة)
        r"^ا(.)(.)ا(.)$",  # إفعال (إرجاع، إصدار), أفعال plurals (أسعار)
        r"^ان(.)(.)ا(.)$",  # انفعال
        r"^(?:[ايتن])?ن(.)(.)(.)$",  # انفعل، ينفعل
        r"^ا(.)ت(.)ا(.)$",  # افتعال (احتفاظ)
        r"^(?:[ايتن])?(.)ت(.)(.)$",  # افتعل، يفتعل (يحتفظ)
        r"^(?:ا)?ست(.)(.)ا(.)$",  # استفعال (استرجاع، استخدام)
        r"^(?:[ايتن])?ست(.)(.)(.)$",  # استفعل، يستفعل (استخدم)
    )
)


@functools.lru_cache(maxsize=65536)
def root_candidates(term: str) -> frozenset[str]:
    """The three-letter roots a normalised Arabic term may have (empty for anything else)."""
    if len(term) < 3 or not _ARABIC.match(term):
        return frozenset()
    bases = {term}
    for suffix in _SUFFIXES:
        if term.endswith(suffix) and len(term) - len(suffix) >= 3:
            bases.add(term[: -len(suffix)])
    roots: set[str] = set()
    for base in bases:
        if len(base) > 7:
            continue
        for pattern in _PATTERNS:
            if found := pattern.match(base):
                root = "".join(found.groups())
                if "ا" not in root:  # a long vowel is no root letter here (no weak-root restoration)
                    roots.add(root)
    return frozenset(roots)
