"""Article matching and handbook search over the FTS5 index.

The decision the article tier returns is a :class:`Decision`: answer with one article, offer
candidates (ambiguous), or nothing (out of scope). Confidence is in [0, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import apsw

from nura_appliance.knowledge.normalize import normalize
from nura_appliance.storage.sqlite.db import Database

_FIELD_WEIGHT = {"example": 1.0, "title": 1.0, "keywords": 0.8, "body": 0.45}
_STOPWORDS = {
    normalize(w)
    for w in (
        "في", "من", "على", "الى", "إلى", "عن", "ما", "ماذا", "هل", "كيف", "لماذا", "هو", "هي", "انا", "أنا", "عندي",
        "لي", "مع", "او", "أو", "و", "يا", "شلون", "شو", "ليش", "وين", "اريد", "أريد", "ابي", "بدي", "عايز", "ممكن",
        "the", "a", "an", "is", "are", "my", "i", "to", "how", "what", "do", "does", "can", "of", "in", "on", "for",
        "and", "or", "me", "it", "with", "please", "why", "ez", "tu", "min", "te", "ji", "li", "bi", "u", "e", "ye",
        "cawa", "ci", "çi", "çawa",
    )
}


@dataclass
class Candidate:
    article_id: str
    score: float
    coverage: float


@dataclass
class Decision:
    """What the article tier decided for one message."""

    kind: str  # "article" | "ambiguous" | "none"
    confidence: float
    article_id: str | None = None
    candidates: list[Candidate] = field(default_factory=list)


def fts_query(tokens: list[str]) -> str:
    return " OR ".join(f'"{t}"' for t in tokens)


class ArticleMatcher:
    """Lexical article matcher over ``kb_fts`` (every field, every language, normalised)."""

    def __init__(self, db: Database, *, answer_threshold: float, ambiguous_threshold: float) -> None:
        self.db = db
        self.answer_threshold = answer_threshold
        self.ambiguous_threshold = ambiguous_threshold

    def _search(self, conn: apsw.Connection, words: list[str], limit: int) -> list[dict[str, Any]]:
        return list(
            conn.execute(
                "SELECT ref, field, text, bm25(kb_fts) AS rank FROM kb_fts WHERE kb_fts MATCH ? AND kind = 'article'"
                " ORDER BY rank LIMIT ?",
                (fts_query(words), limit),
            )
        )

    async def decide(self, text: str, lang: str) -> Decision:
        words = [w for w in normalize(text).split() if w not in _STOPWORDS]
        if not words:
            return Decision("none", 0.0)
        rows = await self.db.read(lambda c: self._search(c, list(dict.fromkeys(words)), 200))
        scores: dict[str, float] = {}
        coverage: dict[str, float] = {}
        query = set(words)
        for row in rows:
            weight = _FIELD_WEIGHT.get(row["field"], 0.5)
            row_words = set(row["text"].split())
            cov = len(query & row_words) / len(query)
            score = weight * (-row["rank"]) * (0.5 + cov)
            if score > scores.get(row["ref"], 0.0):
                scores[row["ref"]] = score
            coverage[row["ref"]] = max(coverage.get(row["ref"], 0.0), cov * weight)
        if not scores:
            return Decision("none", 0.0)
        ranked = sorted(scores, key=lambda ref: -scores[ref])
        candidates = [Candidate(ref, scores[ref], coverage[ref]) for ref in ranked[:5]]
        best = candidates[0]
        margin = 1.0 if len(candidates) == 1 else 1 - candidates[1].score / best.score
        confidence = round(min(1.0, best.coverage * (0.6 + 0.4 * math.sqrt(max(margin, 0.0)))), 3)
        if confidence >= self.answer_threshold:
            return Decision("article", confidence, best.article_id, candidates)
        if confidence >= self.ambiguous_threshold:
            return Decision("ambiguous", confidence, None, candidates[:3])
        return Decision("none", confidence, None, candidates)
