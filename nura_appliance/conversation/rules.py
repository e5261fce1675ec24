"""The rules tier: short greetings, thanks and the like answered from the knowledge pack's rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nura_appliance.knowledge.normalize import normalize
from nura_appliance.knowledge.pack import pick_text

_MAX_EXTRA_WORDS = 2


@dataclass(frozen=True)
class RuleHit:
    rule_id: str
    response: str
    lang: str
    exact: bool


class RuleMatcher:
    """Matches a message against rule patterns (any language), answers in the customer's language."""

    def __init__(self, rules: list[dict[str, Any]]) -> None:
        self._patterns: list[tuple[list[str], dict[str, Any]]] = []
        for rule in rules:
            for phrases in rule["patterns"].values():
                for phrase in phrases:
                    words = normalize(phrase).split()
                    if words:
                        self._patterns.append((words, rule))
        # Longest patterns first so "good morning" wins over "good".
        self._patterns.sort(key=lambda item: -len(item[0]))
        # A pattern matches the message's first words, so only patterns that start with the
        # message's first word can match: one dict lookup instead of a scan of every pattern.
        self._by_first: dict[str, list[tuple[list[str], dict[str, Any]]]] = {}
        for item in self._patterns:
            self._by_first.setdefault(item[0][0], []).append(item)

    def match(self, text: str, lang: str) -> RuleHit | None:
        words = normalize(text).split()
        if not words:
            return None
        for pattern, rule in self._by_first.get(words[0], ()):
            n = len(pattern)
            if words[:n] == pattern and len(words) - n <= _MAX_EXTRA_WORDS:
                response, used = pick_text(rule["response"], lang)
                return RuleHit(rule["id"], response, used, exact=len(words) == n)
        return None
