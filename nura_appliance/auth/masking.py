"""Masking of personal numbers (phone numbers, national-ID-like numbers) for exports.

Any run of seven or more digits (Western, Arabic-Indic or Extended Arabic-Indic), optionally
with a leading ``+`` and single spaces or dashes between groups, is masked except its
last three digits: ``0770 123 4567`` → ``*******567``. Dates (``2024-05-01``), decimals and
shorter numbers (prices, counts, order references of up to six digits) are left alone.
"""

from __future__ import annotations

import re

from nura_appliance.settings import Settings

_DIGIT = r"[0-9\u0660-\u0669\u06f0-\u06f9]"
_NUMBER = re.compile(r"(?<![\w.,])\+?" + _DIGIT + r"(?:[ \-]?" + _DIGIT + r"){6,}(?!\w|[.,]" + _DIGIT + ")")
_DATE = re.compile(
    rf"^{_DIGIT}{{4}}[-./]{_DIGIT}{{1,2}}[-./]{_DIGIT}{{1,2}}$"
    rf"|^{_DIGIT}{{1,2}}[-./]{_DIGIT}{{1,2}}[-./]{_DIGIT}{{4}}$"
)
_KEEP = 3


def _mask(match: re.Match[str]) -> str:
    text = match.group(0)
    if _DATE.match(text):
        return text
    digits = re.findall(_DIGIT, text)
    return "*" * (len(digits) - _KEEP) + "".join(digits[-_KEEP:])


def mask_personal(text: str | None) -> str | None:
    """``text`` with phone and ID-like numbers masked (None stays None)."""
    if not text:
        return text
    return _NUMBER.sub(_mask, text)


def maybe_mask(settings: Settings, text: str | None) -> str | None:
    """Mask when ``MASK_PERSONAL_DATA`` is on; exports call this on every free-text cell."""
    return mask_personal(text) if settings.mask_personal_data else text
