"""The fuzzy second stage of the hand-off and anger signals: how close a message is to a bank of
known requests for a person / angry messages, against a bank of near misses / calm messages.

A message is represented like the built-in embedder represents text (knowledge.embedding): the
light stem of each word and the character 3- and 4-grams of it, so a new spelling, a glued
prefix or a dialect form of a known word still shares most of its material. Similarity is the
cosine of these sparse vectors, scored through an inverted index of the bank (only exemplars
that share a feature are touched). A message is put in the class when its nearest positive
exemplar is at least ``threshold`` close and closer by ``margin`` than its nearest negative one
— so "customer service hours", close to "customer service please", stays out because the bank
holds a near miss closer still.

The banks and both numbers live in ``exemplars.json``, written by
``knowledge/eval/tools/build_exemplars.py`` from the dev files only; the numbers are chosen there
by k-fold cross-validation (exemplars of the held-out fold are not in the bank that scores it).
The stage runs only behind a cheap gate (a word with a person/request role; a character 4-gram
only angry exemplars have), so most messages pay nothing.
"""

from __future__ import annotations

import functools
import json
import math
from collections import defaultdict
from pathlib import Path

from nura_appliance.knowledge.normalize import STOPWORDS, stem

BANK_FILE = Path(__file__).with_name("exemplars.json")
_GRAM_WEIGHT = 0.6
_WORD_WEIGHT = 2.0
_STOP_FACTOR = 0.15
_MAX_POSTINGS = 24


@functools.lru_cache(maxsize=65536)
def word_features(word: str) -> tuple[tuple[str, float], ...]:
    """The stem and the character 3/4-grams of one normalised word, weighted."""
    factor = _STOP_FACTOR if word in STOPWORDS else 1.0
    root = stem(word, False) or word
    out = [("w:" + root, _WORD_WEIGHT * factor)]
    padded = f"<{word}>"
    out.extend(("g:" + padded[i : i + 4], _GRAM_WEIGHT * factor) for i in range(len(padded) - 3))
    return tuple(out)


def features(norm: str) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for word in norm.split():
        for key, weight in word_features(word):
            out[key] += weight
    return out


def _unit(vec: dict[str, float]) -> dict[str, float]:
    size = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    return {k: v / size for k, v in vec.items()}


class Bank:
    """Positive and negative exemplars (normalised texts) behind one inverted index."""

    def __init__(self, positive: list[str], negative: list[str]) -> None:
        self.labels: list[bool] = []
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for label, texts in ((True, positive), (False, negative)):
            for text in texts:
                index = len(self.labels)
                self.labels.append(label)
                for key, weight in _unit(features(text)).items():
                    self._postings[key].append((index, weight))
        # A feature most exemplars share says little and costs the most to score: left out.
        for key in [k for k, posts in self._postings.items() if len(posts) > _MAX_POSTINGS]:
            del self._postings[key]
        self.positive_grams = frozenset(
            key
            for key, posts in self._postings.items()
            if key.startswith("g:") and len(key) == 6 and all(self.labels[i] for i, _ in posts)
        )

    def nearest(self, norm: str) -> tuple[float, float]:
        """(cosine to the nearest positive exemplar, to the nearest negative one)."""
        scores: dict[int, float] = defaultdict(float)
        postings = self._postings
        for key, weight in _unit(features(norm)).items():
            for index, other in postings.get(key, ()):
                scores[index] += weight * other
        best = [0.0, 0.0]
        for index, score in scores.items():
            slot = 0 if self.labels[index] else 1
            if score > best[slot]:
                best[slot] = score
        return best[0], best[1]

    def shares_positive_gram(self, norm: str) -> bool:
        """The cheap gate: a character 4-gram that only positive exemplars have."""
        grams = self.positive_grams
        return any(key in grams for word in norm.split() for key, _ in word_features(word) if len(key) == 6)


def decide(nearest: tuple[float, float], threshold: float, margin: float) -> bool:
    positive, negative = nearest
    return positive >= threshold and positive - negative >= margin


@functools.lru_cache(maxsize=1)
def banks() -> dict[str, tuple[Bank, float, float]]:
    """name → (bank, threshold, margin), from exemplars.json ({} when the file is absent)."""
    if not BANK_FILE.exists():
        return {}
    data = json.loads(BANK_FILE.read_text(encoding="utf-8"))
    out = {}
    for name, spec in data.items():
        out[name] = (Bank(spec["positive"], spec["negative"]), spec["threshold"], spec["margin"])
    return out


def close_to(name: str, norm: str, gate_by_grams: bool = False) -> bool:
    """Whether ``norm`` is close to the ``name`` bank's positives (False without a bank)."""
    found = banks().get(name)
    if found is None:
        return False
    bank, threshold, margin = found
    if gate_by_grams and not bank.shares_positive_gram(norm):
        return False
    return decide(bank.nearest(norm), threshold, margin)
