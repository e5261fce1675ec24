"""Records the knowledge stores write and the knowledge feature's text analysis indexes.

The knowledge and handbook stores write rows; what a text is indexed *as* (its normalised FTS
terms, its vector) is the knowledge feature's text analysis, which the stores are handed at
construction as a :class:`~nura_appliance.storage.base.SearchIndex`
(``knowledge.indexer.VectorIndex``), so storage never imports the feature above it.
"""

from __future__ import annotations

from dataclasses import dataclass


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
