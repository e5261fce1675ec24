"""Records the knowledge stores write, and the text index they are given.

The SQLite knowledge and handbook stores write rows; what a text is indexed *as* (its normalised
FTS terms, its vector) is the knowledge feature's text analysis. The feature hands the stores a
:class:`SearchIndex` at construction (``knowledge.indexer.VectorIndex``), so storage never imports
the feature above it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np


@dataclass(frozen=True)
class Item:
    """One indexed text of an article or a handbook chunk."""

    kind: str  # "article" | "chunk"
    ref: str
    field: str  # title | example | keyword | body | chunk
    lang: str
    text: str


@dataclass
class Chunk:
    """One piece of a handbook document, as the chunker cut it."""

    position: int
    heading: str
    text: str
    lang: str
    unit: str = "text"  # "text" | "row"
    label: str | None = None  # a row's first cell


def chunk_fts_text(heading: str | None, text: str) -> str:
    """What a handbook chunk is indexed and embedded as: its heading, then its text."""
    return f"{heading}\n{text}" if heading else text


class SearchIndex(Protocol):
    """The text analysis the knowledge stores index with (FTS rows and vectors)."""

    def article_items(self, article: dict[str, Any]) -> list[Item]: ...

    def write_article_fts(self, conn: Any, article_id: str, items: Sequence[Item], *, fresh: bool = False) -> None: ...

    def mark_analysis_if_new(self, conn: Any) -> None: ...

    def embed(self, texts: Sequence[str], conn: Any | None = None) -> np.ndarray: ...

    def write(self, conn: Any, items: Sequence[Item], vectors: np.ndarray | None = None) -> int: ...

    def delete(self, conn: Any, kind: str, refs: Sequence[str] | None = None) -> None: ...
