"""Masking of personal numbers (phone numbers, national-ID and account numbers) in exports.

The auth feature owns the masking rule (``nura_appliance.auth.masking.mask_personal``); this
module uses it when present and otherwise falls back to the equivalent rule below, so exports
work whichever features an install carries.

A run of at least ``MIN_DIGITS`` digits — ASCII, Arabic-Indic (٠-٩) or Eastern Arabic-Indic
(۰-۹), optionally led by ``+`` and split by spaces, dots or dashes as people type phone numbers —
keeps only its last ``KEEP_DIGITS`` digits; the others become ``*``. Shorter numbers (prices,
quantities, dates like 2024) stay readable so exported reports remain useful.
"""

from __future__ import annotations

import re
from typing import Any

MIN_DIGITS = 7
KEEP_DIGITS = 3
_DIGIT = "0-9\u0660-\u0669\u06f0-\u06f9"
# A digit, then digits or single separators between digits.
_NUMBER = re.compile(rf"\+?[{_DIGIT}](?:[ .\-]?[{_DIGIT}])+")
_IS_DIGIT = re.compile(rf"[{_DIGIT}]")
# ISO dates and times (2024-01-05, 2024-01-05 10:30) are not personal numbers.
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2})?$")


def _mask_match(match: re.Match[str]) -> str:
    text = match.group(0)
    total = len(_IS_DIGIT.findall(text))
    if total < MIN_DIGITS or _DATE.match(text):
        return text
    hide = total - KEEP_DIGITS
    out: list[str] = []
    for char in text:
        if _IS_DIGIT.match(char) and hide > 0:
            out.append("*")
            hide -= 1
        else:
            out.append(char)
    return "".join(out)


def _local_mask_personal(text: str) -> str:
    """``text`` with phone and ID-like numbers masked: ``0770 123 4567`` → ``**** *** *567``."""
    return _NUMBER.sub(_mask_match, text)


try:
    from nura_appliance.auth.masking import mask_personal as _auth_mask_personal
except ImportError:  # an install without the auth feature's helper
    _auth_mask_personal = None


def mask_personal(text: str) -> str:
    """``text`` with phone and ID-like numbers masked (the auth feature's rule when installed)."""
    if _auth_mask_personal is not None:
        return _auth_mask_personal(text) or text
    return _local_mask_personal(text)


def mask_value(value: Any) -> Any:
    """Mask a cell of any type: strings are masked, everything else is returned unchanged."""
    return mask_personal(value) if isinstance(value, str) else value
