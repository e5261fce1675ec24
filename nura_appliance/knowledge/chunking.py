"""Handbook chunking that keeps facts whole.

Every extractor (md, txt, html, pdf, docx) hands over sections — a heading path and its text, with
tables written as pipe rows (``| a | b |``). A section's text is read as **blocks**:

* a **table** (consecutive pipe rows; the first row is the header when a ``|---|`` line follows
  it): every row is rewritten as one self-describing line, ``column: value، column: value``, and
  also becomes a retrievable unit of its own (``unit = 'row'``, ``label`` = its first cell), so
  "كم سعر باقة المريخ" finds that row by its label and answers with its values;
* a **list** with the line that introduces it ("نعيد المبلغ في الحالات التالية:" + its items) —
  kept in one chunk;
* **paragraphs**, split into sentences at Arabic and Latin sentence ends (never inside "2.5" or
  "*124#"); "label: value" lines are lines, so they stay whole.

Blocks are packed into chunks of about ``RAG_CHUNK_SIZE`` characters without splitting a table row,
a list or a sentence (an over-long one is cut at word boundaries); neighbouring chunks share about
``RAG_CHUNK_OVERLAP`` characters of whole sentences; a chunk never spans two sections, and every
chunk is indexed with its heading path, so a chunk read alone still says what it is about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nura_appliance.knowledge.indexer import split_sentences
from nura_appliance.knowledge.normalize import detect_language
from nura_appliance.storage.records import Chunk


@dataclass
class Section:
    heading: str
    text: str


_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•▪◦]|\d{1,3}[.)]|[٠-٩]{1,3}[.)-])\s+\S")
_ARABIC = re.compile("[\u0600-\u06ff]")
_MARKS = re.compile(r"\*\*|__|`+")


def table_cells(line: str) -> list[str]:
    """The cells of one pipe row, Markdown emphasis removed."""
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    return [_MARKS.sub("", cell).strip() for cell in inner.split("|")]


def render_row(header: list[str], cells: list[str]) -> str:
    """One table row as a self-describing line: ``column: value`` pairs (a value alone when its
    column has no name), joined by the comma of the row's script."""
    comma = "، " if _ARABIC.search(" ".join(header + cells)) else ", "
    parts = []
    for index, value in enumerate(cells):
        if not value:
            continue
        name = header[index] if index < len(header) else ""
        parts.append(f"{name}: {value}" if name and name != value else value)
    return comma.join(parts)


@dataclass
class _Block:
    kind: str  # "sentence" | "list" | "table-row"
    text: str
    line: int  # blocks of one source line join with spaces, of different lines with line breaks
    label: str | None = None


def _blocks(text: str) -> list[_Block]:
    """A section's text as blocks in order (see the module docstring)."""
    lines = text.replace("\r", "").split("\n")
    blocks: list[_Block] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _TABLE_ROW.match(line) and line.count("|") >= 2:
            rows = []
            while i < len(lines) and _TABLE_ROW.match(lines[i]):
                rows.append((i, lines[i]))
                i += 1
            header: list[str] = []
            if len(rows) > 1 and _TABLE_RULE.match(rows[1][1]):
                header = table_cells(rows[0][1])
                rows = rows[2:]
            for number, row in rows:
                cells = table_cells(row)
                if _TABLE_RULE.match(row) or not any(cells):
                    continue
                label = next((c for c in cells if c), None) if header else None
                blocks.append(_Block("table-row", render_row(header, cells), number, label))
            continue
        if _LIST_ITEM.match(line):
            start = i
            items: list[str] = []
            while i < len(lines) and (
                _LIST_ITEM.match(lines[i]) or (items and lines[i].startswith("  ") and lines[i].strip())
            ):
                items.append(lines[i].strip())
                i += 1
            # The sentence introducing the list ("... in these cases:") stays with its items.
            if blocks and blocks[-1].kind == "sentence" and blocks[-1].text.endswith((":", "：")):
                items.insert(0, blocks.pop().text)
            blocks.append(_Block("list", "\n".join(items), start))
            continue
        blocks.extend(_Block("sentence", s, i) for s in split_sentences(line))
        i += 1
    return blocks


def _hard_split(text: str, size: int) -> list[str]:
    """A text longer than a chunk is cut at word boundaries (never inside a word)."""
    words, parts, current = text.split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > size:
            parts.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        parts.append(current)
    return parts


def chunk_sections(sections: list[Section], size: int = 800, overlap: int = 120) -> list[Chunk]:
    """Text chunks of about ``size`` characters per section (neighbours sharing about ``overlap``
    characters of whole sentences) and one row unit per table row with a header."""
    size = max(size, 100)
    overlap = max(0, min(overlap, size // 2))
    chunks: list[Chunk] = []
    for section in sections:
        pieces: list[tuple[int, str]] = []  # (source line, text)
        for block in _blocks(section.text):
            if len(block.text) <= size:
                pieces.append((block.line, block.text))
            elif block.kind == "list":  # a list longer than a chunk: its items, each whole
                pieces.extend(
                    (block.line + n, p)
                    for n, item in enumerate(block.text.split("\n"))
                    for p in _hard_split(item, size)
                )
            else:
                pieces.extend((block.line, p) for p in _hard_split(block.text, size))
            if block.kind == "table-row" and block.label:
                chunks.append(_make_chunk(section.heading, [(block.line, block.text)], "row", block.label))
        current: list[tuple[int, str]] = []
        length = 0
        for piece in pieces:
            if current and length + len(piece[1]) + 1 > size:
                chunks.append(_make_chunk(section.heading, current))
                carried: list[tuple[int, str]] = []
                carried_len = 0
                for previous in reversed(current):
                    if carried_len + len(previous[1]) > overlap:
                        break
                    carried.insert(0, previous)
                    carried_len += len(previous[1]) + 1
                current, length = carried, carried_len
            current.append(piece)
            length += len(piece[1]) + 1
        if current:
            chunks.append(_make_chunk(section.heading, current))
    for position, chunk in enumerate(chunks):
        chunk.position = position
    return chunks


def _make_chunk(heading: str, pieces: list[tuple[int, str]], unit: str = "text", label: str | None = None) -> Chunk:
    body = ""
    previous = None
    for line, text in pieces:
        body = text if not body else f"{body}{' ' if line == previous else chr(10)}{text}"
        previous = line
    return Chunk(0, heading, body, detect_language(body), unit, label)
