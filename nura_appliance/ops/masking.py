"""Masking of personal numbers in exports. The rule itself is the auth feature's
(:func:`nura_appliance.auth.masking.mask_personal`); exports apply it to every cell."""

from __future__ import annotations

from typing import Any

from nura_appliance.auth.masking import mask_personal

__all__ = ["mask_personal", "mask_value"]


def mask_value(value: Any) -> Any:
    """Mask a cell of any type: strings are masked, everything else is returned unchanged."""
    return mask_personal(value) if isinstance(value, str) else value
