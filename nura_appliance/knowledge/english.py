"""Known English words, for the Arabizi reader (issue 16, `h16oos2`).

A Latin message read as Arabizi keeps its English words in Latin letters: "ekteb li code python"
is a verb of the dialect around two English words, and spelled letter by letter they were "كود
بيتون" — a match for the recharge-card code article instead of the out-of-scope refusal; "check",
"iraq", "unlimited" became "جكك", "ارق", "انلمتد". The words known as English are derived from what
the product already holds:

* the English text of the shipped default pack (titles, bodies, example questions, keywords,
  tree labels, rules, canned replies, scope message): the desk's own English vocabulary;
* the English stopwords;
* the English questions of the out-of-scope bank (``oos_bank.json``: currency and gold, phones,
  coding, CVs, travel, …): the English a customer writes *beside* the desk's topics;
* the lexicon's Latin words (the stemmer's known words: "topup", "modem", "outage" …), less the
  Kurmanji ones (the pack's Kurmanji text) and the dialect list's Arabizi spellings;
* the names of other services, operators and wallets the lexicon lists ("netflix", "korek").

What none of these hold stays a written list (``_UNDERIVED``, 399 words where there were 767):
everyday English words outside the desk's topics ("anyone", "match", "film", "euro": without
them "anyone selling a ps5" read as Arabizi), programming and technology names, phone and
software brands, places of the region.

A word counts with a plural or verb ending ("plans", "checked", "charging") when its bare form is
known. Words the Arabizi dialect list spells ("net", "ana", "bas") are decided by that list first.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

# What the sources above do not hold: everyday English words, then programming and technology
# names, phone and software brands, places of the region and topic words of the bank's categories
# (the hand-written list of h16oos2 less every word the sources now give).
_UNDERIVED = """
above age ago airport alarm allow almost alone always anyone apple april august average away bag
base basic beach bed begin behind between big birthday bit black blue board borrow boss bottle
bought box boy brand break breakfast brown budget build bus busy cafe camera cat cause center
channel cheese child children cinema city class clean click clock cloth clothes cloud club coffee
college color computer control cook cool correct course cousin cover cup dance dark daughter dead
dear december decide detail dinner direct discount doctor document dog dollar door double dress
drink drive driver easy eat end euro event exam exchange explain face fall family far favorite
february feel film fine finish fire fish flight floor flower fly football forget form friend front
fun game garden gift girl glass gold green group guide hair half hand happen happy hard head health
hear heart high history hold holiday homework hospital hungry husband idea important issue item
january join july june key kid kind kitchen language large lesson level library life like limit link
listen little loan long look lunch machine mail man march market match maybe meal meet meeting
member memory meter middle might mile milk miss mistake moment monday mother music notice november
now october often pain paper parent park party past percent picture plan player police poor popular
post present pretty print private product program promo pull purchase put quick quiet radio rate
read red remove repeat rest restaurant result return right road room rule run sad safe salary sale
school search season seat second sell september short sick side simple single sister sleep small
smart snow someone something son soon special sport station step story strong student study sunday
system table taxi teacher thing think ticket tomorrow tonight total tourist town train trip true
tuesday understand university upgrade user usual wake walk wall wallet watch wear weather wednesday
weekend white wife win winter wish woman worse yellow yesterday young
translation summary assignment cv speech lyrics forecast score premier goal dinar silver bitcoin
crypto stock stocks invest investment mortgage insurance hiring vacancy bike java typescript html
css sql php ruby golang rust kotlin swift excel powerpoint script bug debug compile server database
api tablet ipad oppo redmi nokia ios macbook nintendo viber skype zoom ebay alibaba talabat chatgpt
openai microsoft adobe photoshop fifa minecraft iraqi karbala kirkuk amman syria lebanon egypt cairo
kuwait saudi qatar tickets embassy
""".split()

_WORD = re.compile(r"[a-zçêîûş]+")  # Kurmanji letters too: its words whole, not in pieces
_ENDINGS = ("ing", "ed", "es", "s")


_BANK = Path(__file__).with_name("oos_bank.json")


@functools.lru_cache(maxsize=2)
def _pack_words(lang: str) -> frozenset[str]:
    """The Latin words of the shipped default pack's text in ``lang`` (empty when it cannot be read)."""
    from nura_appliance.paths import default_pack_path

    try:
        pack = json.loads(default_pack_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return frozenset()
    words: set[str] = set()

    def walk(node: object, inside: bool) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, inside or key == lang)
        elif isinstance(node, list):
            for value in node:
                walk(value, inside)
        elif isinstance(node, str) and inside:
            words.update(w for w in _WORD.findall(node.casefold()) if len(w) >= 3)

    walk(pack, False)
    return frozenset(words)


def _bank_english() -> frozenset[str]:
    """The words of the out-of-scope bank's English questions: Latin lines with an English
    function word and no Arabizi (no digit-letters, articles written apart or dialect words)."""
    from nura_appliance.knowledge.latin_words import arabizi_evidence, lexicon_word
    from nura_appliance.knowledge.stemming import ENGLISH_STOPWORDS

    try:
        bank = json.loads(_BANK.read_text(encoding="utf-8"))["categories"]
    except (OSError, ValueError, KeyError):
        return frozenset()
    words: set[str] = set()
    for text in (t for texts in bank.values() for t in texts if isinstance(t, str) and t.isascii()):
        tokens = text.casefold().split()
        if arabizi_evidence(tokens) or any(lexicon_word(t) for t in tokens):
            continue
        if any(t in ENGLISH_STOPWORDS for t in tokens):
            words.update(w for w in _WORD.findall(text.casefold()) if len(w) >= 3)
    return frozenset(words)


def _lexicon_english() -> frozenset[str]:
    """The lexicon's Latin words (concept words; other services', operators' and wallets' names)
    that are neither the pack's Kurmanji nor the dialect list's Arabizi spellings."""
    from nura_appliance.knowledge.latin_words import lexicon_word
    from nura_appliance.knowledge.lexicon import latin_names, vocabulary

    kurmanji = _pack_words("ku")
    words = {w for form in (*vocabulary(), *latin_names()) for w in _WORD.findall(form.casefold()) if len(w) >= 3}
    return frozenset(w for w in words if w.isascii() and w not in kurmanji and not lexicon_word(w))


@functools.lru_cache(maxsize=1)
def _english() -> frozenset[str]:
    from nura_appliance.knowledge.stemming import ENGLISH_STOPWORDS

    return frozenset(_UNDERIVED) | ENGLISH_STOPWORDS | _pack_words("en") | _bank_english() | _lexicon_english()


@functools.lru_cache(maxsize=8192)
def is_english_word(word: str) -> bool:
    """Whether a normalised Latin word (no digits) is a known English word, bare or with a
    plural or verb ending ("plans", "checked", "charging")."""
    if len(word) < 3 or not word.isascii() or not word.isalpha():
        return False
    known = _english()
    if word in known:
        return True
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            rest = word[: -len(ending)]
            if rest in known or rest + "e" in known:
                return True
    return False
