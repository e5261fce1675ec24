"""The rules tier: explicit phrases (greetings, thanks, "PUK code" …) answered with the admin's text.

A rule has phrases per language and an answer per language, and one of two ways to match:

- ``exact``: the message is one of the phrases — give or take two extra words ("hello there");
- ``contains``: one of the phrases appears anywhere in the message, as whole words.

Phrases and messages are compared after normalisation (harakat, alef forms, Arabic-Indic digits,
Kurmanji and Sorani letters: ``knowledge/normalize.py``), in any language; the answer is picked in
the customer's language. A message that *is* a phrase answers at once ("exact" hit); any other hit
answers only when the article tier finds no article (pipeline.py), so a broad phrase cannot hide a
matching article. Switched-off rules (``enabled: false``) never match.
"""

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
    phrase: str = ""
    match: str = "exact"


_Pattern = tuple[list[str], str, dict[str, Any]]  # (normalised words, phrase as written, rule)


class RuleMatcher:
    """Matches a message against the enabled rules' phrases, answers in the customer's language."""

    def __init__(self, rules: list[dict[str, Any]]) -> None:
        prefix: list[_Pattern] = []
        anywhere: list[_Pattern] = []
        for rule in rules:
            if not rule.get("enabled", True):
                continue
            target = anywhere if rule.get("match") == "contains" else prefix
            for phrases in rule["patterns"].values():
                for phrase in phrases:
                    words = normalize(phrase).split()
                    if words:
                        target.append((words, phrase, rule))
        # Longest phrases first so "good morning" wins over "good"; indexed by their first word,
        # so a message only looks at phrases that can start at one of its words.
        self._prefix = _by_first_word(prefix)
        self._anywhere = _by_first_word(anywhere)

    def match(self, text: str, lang: str) -> RuleHit | None:
        """The hit the pipeline uses: an exact-mode phrase first, then a contains-mode one."""
        hits = self.matches(text, lang, first=True)
        return hits[0] if hits else None

    def matches(self, text: str, lang: str, *, first: bool = False) -> list[RuleHit]:
        """Every rule a message triggers, in the order the pipeline would consider them (one hit
        per rule); ``first`` stops at the first (the hot path)."""
        words = normalize(text).split()
        if not words:
            return []
        hits: list[RuleHit] = []
        seen: set[str] = set()

        def add(pattern: _Pattern, exact: bool) -> bool:
            _, phrase, rule = pattern
            if rule["id"] in seen:
                return False
            seen.add(rule["id"])
            response, used = pick_text(rule["response"], lang)
            hits.append(RuleHit(rule["id"], response, used, exact, phrase, rule.get("match", "exact")))
            return first

        for pattern in self._prefix.get(words[0], ()):
            n = len(pattern[0])
            if words[:n] == pattern[0] and len(words) - n <= _MAX_EXTRA_WORDS and add(pattern, len(words) == n):
                return hits
        for start, word in enumerate(words):
            for pattern in self._anywhere.get(word, ()):
                n = len(pattern[0])
                if words[start : start + n] == pattern[0] and add(pattern, len(words) == n):
                    return hits
        return hits


def _by_first_word(patterns: list[_Pattern]) -> dict[str, list[_Pattern]]:
    index: dict[str, list[_Pattern]] = {}
    for item in sorted(patterns, key=lambda item: -len(item[0])):
        index.setdefault(item[0][0], []).append(item)
    return index
