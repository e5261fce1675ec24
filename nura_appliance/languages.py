"""The languages NURA speaks, in one place: codes, script direction and the fallback order.

* ``ar`` — Arabic (Modern Standard and the dialects), Arabic script, right to left;
* ``ckb`` — Kurdish Sorani (Sulaymaniyah, Erbil), Arabic script, right to left;
* ``ku`` — Kurdish Kurmanji, Latin script, left to right;
* ``en`` — English.

Every customer-facing string the server sends exists in all four (``conversation/messages.py``,
``auth/limits.py``, ``channels/telegram.py``); knowledge packs may carry any subset.
"""

from __future__ import annotations

LANGS: tuple[str, ...] = ("ar", "ckb", "ku", "en")
RTL_LANGS: frozenset[str] = frozenset({"ar", "ckb"})
LANG_LIST = ", ".join(LANGS)  # for error messages: "ar, ckb, ku, en"

# When a text is missing in the customer's language, the next one they most likely read.
# Sorani readers share the Arabic script and learn Arabic at school, so Arabic comes before
# Kurmanji's Latin script; English is the common second choice for everyone else.
FALLBACK_ORDER: dict[str, tuple[str, ...]] = {
    "ar": ("ar", "en", "ckb", "ku"),
    "ckb": ("ckb", "ar", "en", "ku"),
    "ku": ("ku", "ar", "en", "ckb"),
    "en": ("en", "ar", "ckb", "ku"),
}


def fallback_order(lang: str) -> tuple[str, ...]:
    """The languages to try, in order, for a reader of ``lang`` (unknown codes: Arabic first)."""
    return FALLBACK_ORDER.get(lang) or (lang, *FALLBACK_ORDER["ar"])
