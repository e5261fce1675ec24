"""PDF handbooks: text in reading order, headings by font size, tables as rows.

pypdf's plain text of an Arabic PDF moves numbers, codes and punctuation around (``*120#`` came
out as ``*120.ً مجانا#``) and glues table cells together (``2دجلة12 GB250 دقيقة``). pdfplumber
(on pdfminer.six) gives every line in *visual* order — left to right as printed — and finds
ruled tables with their cells. A visual Arabic line is turned back into reading order here:

* the words of a line that holds Arabic are read right to left;
* an Arabic word's letters are reversed back;
* a run of Latin words (``APN: nahr.mms``) keeps its own left-to-right order, and the neutral
  marks the right-to-left line pushed to the other end of a number or code (``#120*``) go back
  where they belong (``*120#``).

A line printed larger than the page's body text is a heading and starts a section (its path, as
in Markdown: "parent › child"); a table becomes pipe rows under the heading it follows, its
columns in reading order and the first row as header. The caller falls back to pypdf when
pdfplumber cannot read a file.
"""

from __future__ import annotations

import io
import re
import statistics
from typing import Any

_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN = re.compile("[A-Za-z]")
_UNMAPPED = re.compile(r"\(cid:\d+\)")
_NEUTRAL = set("*#.,:;!?%()[]/-+«»\"'")
_EMBEDDED_LTR = re.compile(r"[0-9A-Za-z](?:[0-9A-Za-z.,:/%-]*[0-9A-Za-z])?")
_SENTENCE_END = (".", "!", "?", "؟", ":", "：", "؛", ";")
_HEADING_RATIO = 1.15  # a line this much larger than the body text is a heading
_MAX_HEADING = 90  # characters


def _is_rtl(text: str) -> bool:
    return bool(_ARABIC.search(text))


def _ltr_run(run: str) -> str:
    """A left-to-right run from a right-to-left line: the neutral marks the line placed at its
    ends swap ends (visual ``#120*`` is ``*120#``)."""
    start, end = 0, len(run)
    while start < end and run[start] in _NEUTRAL:
        start += 1
    while end > start and run[end - 1] in _NEUTRAL:
        end -= 1
    return run[end:][::-1] + run[start:end] + run[:start][::-1]


# Arabic combining marks (harakat, tanween, shadda, the dagger alif): printed over or under the
# letter before them in reading order.
_MARKS = re.compile("[\u064b-\u065f\u0670]")
_LETTER = re.compile("[\u0621-\u064a\u0671-\u06d3\u06d5\ufb50-\ufdff\ufe70-\ufeff]")


def _reversed_letters(text: str) -> str:
    """A visual run of Arabic letters in reading order: reversed letter by letter, each letter
    with the marks printed after it in the visual run kept after it (round 16: reversing every
    character put the tanween of "يوماً" on the م — "يومًا" — and the damma of "تُفعَّل" before its
    letter, so "30 يوماً" as the handbook writes it was never quoted). A mark after no letter (the lam-alef
    ligature's, printed before it) is kept where the reversal leaves it."""
    clusters: list[str] = []
    for char in text:
        if clusters and _MARKS.match(char) and _LETTER.match(clusters[-1][0]):
            clusters[-1] += char
        else:
            clusters.append(char)
    return "".join(reversed(clusters))


def _latin(word: str) -> bool:
    return bool(_LATIN.search(word)) and not _is_rtl(word)


def _neutral(word: str) -> bool:
    return bool(word) and not any(ch.isalnum() for ch in word)


def logical(line: str, *, rtl: bool | None = None) -> str:
    """One visual line (left to right as printed) in reading order; ``rtl`` forces the
    right-to-left reading (a cell of a right-to-left table may hold only "8:00 – 17:00")."""
    line = _UNMAPPED.sub("", line)
    if not (_is_rtl(line) if rtl is None else rtl):
        return line
    words = line.split(" ")
    groups: list[list[str]] = []
    for i, word in enumerate(words):
        previous_latin = bool(groups) and _latin(groups[-1][-1])
        joins = previous_latin and (_latin(word) or (_neutral(word) and i + 1 < len(words) and _latin(words[i + 1])))
        if joins:
            groups[-1].append(word)  # Latin words (and a dash between them) stay one left-to-right run
        else:
            groups.append([word])
    out = []
    for group in reversed(groups):
        text = " ".join(group)
        if _is_rtl(text):
            # Reversing the letters also reversed any number or Latin code inside the word.
            out.append(_EMBEDDED_LTR.sub(lambda m: m.group(0)[::-1], _reversed_letters(text)))
        else:
            out.append(_ltr_run(text))
    return " ".join(part for part in out if part)


def _cells_in_order(row: list[str | None], rtl: bool) -> list[str]:
    """A row's cells, each in reading order (a cell's printed lines read top to bottom)."""
    return [" ".join(" ".join(logical(line, rtl=rtl) for line in (cell or "").split("\n")).split()) for cell in row]


def _table_rows(table: list[list[str | None]]) -> list[str]:
    """A table as pipe rows in reading order (a right-to-left table's columns reversed), first
    row as the header."""
    kept = [row for row in table if any((cell or "").strip() for cell in row)]
    if not kept:
        return []
    rtl = any(_is_rtl(cell or "") for cell in kept[0])
    rows = [_cells_in_order(row, rtl) for row in kept]
    if rtl:
        rows = [list(reversed(row)) for row in rows]
    lines = ["| " + " | ".join(rows[0]) + " |"]
    if len(rows) > 1:
        lines.append("|" + "---|" * len(rows[0]))
    lines.extend("| " + " | ".join(row) + " |" for row in rows[1:])
    return lines


def pdf_sections(data: bytes) -> list[tuple[str, str]]:
    """``(heading path, text)`` sections of a PDF in reading order (tables as pipe rows)."""
    import pdfplumber

    sections: list[tuple[str, str]] = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        pages: list[list[tuple[float, float, str, bool]]] = []  # (top, size, text, is_table)
        sizes: list[float] = []
        for page in pdf.pages:
            items: list[tuple[float, float, str, bool]] = []
            tables = page.find_tables()
            boxes = [t.bbox for t in tables]

            def outside(obj: dict[str, Any], boxes: list[tuple[float, float, float, float]] = boxes) -> bool:
                return not any(
                    x0 <= obj["x0"] and obj["x1"] <= x1 and top <= obj["top"] and obj["bottom"] <= bottom
                    for x0, top, x1, bottom in boxes
                )

            for line in page.filter(outside).extract_text_lines():
                size = max((c.get("size", 0.0) for c in line["chars"]), default=0.0)
                text = logical(line["text"]).strip()
                if not text:
                    continue
                sizes.extend([size] * len(text))
                previous = items[-1] if items else None
                if (
                    previous is not None
                    and not previous[3]
                    and abs(previous[1] - size) < 0.5
                    and not previous[2].endswith(_SENTENCE_END)
                ):
                    # A paragraph the page wrapped: its printed lines are one text again.
                    items[-1] = (previous[0], size, f"{previous[2]} {text}", False)
                else:
                    items.append((line["top"], size, text, False))
            for table in tables:
                rows = _table_rows(table.extract())
                if rows:
                    items.append((table.bbox[1], 0.0, "\n".join(rows), True))
            pages.append(sorted(items, key=lambda item: item[0]))
    body = statistics.median(sizes) if sizes else 0.0
    trail: list[tuple[float, str]] = []
    heading = ""
    lines: list[str] = []
    for number, items in enumerate(pages, 1):
        for _, size, text, is_table in items:
            if not is_table and body and size >= body * _HEADING_RATIO and len(text) <= _MAX_HEADING:
                if any(line.strip() for line in lines):
                    sections.append((heading, "\n".join(lines)))
                # Larger type is a higher level: keep the larger headings above this one.
                trail = [(s, t) for s, t in trail if s > size + 0.5] + [(size, text)]
                heading, lines = " › ".join(t for _, t in trail[-2:]), []
            else:
                lines.append(text)
        if not heading and any(line.strip() for line in lines):
            sections.append((f"page {number}", "\n".join(lines)))
            lines = []
    if any(line.strip() for line in lines):
        sections.append((heading, "\n".join(lines)))
    return sections
