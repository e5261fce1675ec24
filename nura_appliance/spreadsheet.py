"""CSV that spreadsheets open safely: UTF-8 with a byte-order mark, and no cell that runs as a formula.

Every CSV the appliance writes — the admin's report downloads, transcript exports and ``nura
export`` — goes through :func:`write_csv`, so the two rules hold on every path:

- **UTF-8 BOM.** Excel reads a CSV without a BOM in the machine's legacy code page, which turns
  Arabic and Kurdish text into mojibake; with the BOM it reads UTF-8. Other tools (Python's
  ``utf-8-sig``, LibreOffice, pandas) skip it.
- **Formula injection.** Customer text can start with ``=``, ``+``, ``-`` or ``@``; a spreadsheet
  would run such a cell as a formula (``=HYPERLINK(…)``). Text cells that start like that get an
  apostrophe in front (OWASP's advice); numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

UTF8_BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell: None as empty, and text a spreadsheet would run as a formula prefixed with ``'``."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(out: TextIO, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, bom: bool = True) -> int:
    """Write a header and ``rows`` (cell lists in column order) to ``out``; returns the row count."""
    if bom:
        out.write(UTF8_BOM)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([csv_cell(c) for c in columns])
    count = 0
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
        count += 1
    return count


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The whole CSV document (BOM first) as one string."""
    out = io.StringIO()
    write_csv(out, columns, rows)
    return out.getvalue()
