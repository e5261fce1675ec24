"""Which characters customer and agent text may carry (one policy for every text field).

Refused — each breaks storage or what an agent or customer sees:

* C0 control characters except tab, line feed and carriage return (U+0000–U+0008, U+000B,
  U+000C, U+000E–U+001F), DEL (U+007F) and the C1 controls (U+0080–U+009F): terminal escapes,
  NUL truncation, invisible garbage in transcripts and exports;
* lone surrogates (U+D800–U+DFFF), which JSON's ``\\uD83D`` escapes can produce: they cannot be
  encoded as UTF-8, so SQLite, PostgreSQL and every export would fail on them;
* noncharacters (U+FDD0–U+FDEF and the last two code points of every plane, U+FFFE, U+FFFF,
  U+1FFFE …): permanently reserved for internal use, never text;
* bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they reorder
  the text around them, so a message could show an agent something other than what it says.

Accepted as ordinary text — refusing them refused real customers:

* zero-width non-joiner U+200C (Kurdish Sorani and Persian write it inside words: "ده‌مه‌وێت")
  and zero-width joiner U+200D (emoji sequences such as 👨‍👩‍👧, and Arabic-script shaping);
* the directional marks LRM, RLM and ALM (U+200E, U+200F, U+061C), which phone keyboards insert
  in mixed Arabic/Latin text, zero-width space U+200B and U+FEFF;
* variation selectors, emoji tag sequences (flags of regions), private-use characters, and code
  points newer than this Python's Unicode tables (next year's emoji must not be refused).
"""

from __future__ import annotations

import re

_PLANE_ENDS = "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17))
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\u202a-\u202e\u2066-\u2069" + _PLANE_ENDS + "]"
)
_LINE_BREAKS = re.compile("[\t\n\r]")


def forbidden_character(text: str, *, single_line: bool = False) -> str | None:
    """The first character of ``text`` the policy refuses, or None when all are acceptable.

    ``single_line`` also refuses tab, line feed and carriage return (names, labels)."""
    found = _FORBIDDEN.search(text)
    if found is not None:
        return found.group()
    if single_line and (found := _LINE_BREAKS.search(text)) is not None:
        return found.group()
    return None


def describe(ch: str) -> str:
    """``U+202E`` for error messages (the character itself may be invisible or unprintable)."""
    return f"U+{ord(ch):04X}"
