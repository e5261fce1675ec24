"""``nura export``: a table or a report to CSV or JSON.

Reads the configured database (the data dir's SQLite file, or PostgreSQL when
``NURA_DATABASE_URL`` is set) through :class:`~nura_appliance.storage.base.ExportStore`, without
migrating it: rows stream from one read (on SQLite a WAL snapshot on a reader, never behind the
server's writer) straight into the file.

Columns that hold secrets (password hashes, session-token hashes, Telegram session tokens) are
never exported, whatever is asked.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any, TextIO

from nura_appliance.errors import NotFound, ValidationFailed
from nura_appliance.ops.masking import mask_value
from nura_appliance.spreadsheet import write_csv
from nura_appliance.storage.base import ExportStore

FORMATS = ("csv", "json")
# Never leave the database, even with --no-mask: they are credentials, not data.
SECRET_COLUMNS = frozenset({"password_hash", "token_hash", "session_token"})

# Reports: joined, human-oriented views (each backend's SQL is in its ExportStore). Names differ
# from every table name on purpose.
REPORTS: dict[str, str] = {
    "conversations": "Every customer message with the answer, its source tier and confidence.",
    "handoffs": "Resolved hand-offs with outcome, agent and time to accept / resolve.",
    "llm-cost": "LLM calls, tokens and cost per day, provider, model and purpose.",
    "intents": "Classified intents and sentiment per day.",
    "files": "Photos and PDFs attached to conversations: who sent them, type and size (files stay in uploads/).",
    "tiers": "Answers per day by source tier (rules, tree, article, rag, LLM, fallback, agent).",
}


def export(
    store: ExportStore,
    name: str,
    fmt: str,
    out: TextIO,
    *,
    mask: bool = False,
    since: float = 0.0,
    limit: int | None = None,
    bom: bool = True,
) -> int:
    """Write table or report ``name`` to ``out`` as CSV or JSON; returns the number of rows.

    CSV starts with a UTF-8 byte-order mark (``bom=False`` leaves it out) and text cells that a
    spreadsheet would run as a formula are prefixed with ``'``.
    """
    if fmt not in FORMATS:
        raise ValidationFailed(f"--format must be one of {', '.join(FORMATS)}", code="invalid_format")

    def sink(columns: list[str], rows: Iterator[dict[str, Any]]) -> int:
        if fmt == "csv":
            # UTF-8 BOM and the formula guard, as every CSV the appliance writes (spreadsheet.py).
            return write_csv(
                out, columns, ([mask_value(row[c]) if mask else row[c] for c in columns] for row in rows), bom=bom
            )
        count = 0
        out.write("[")
        for row in rows:
            cleaned = {k: mask_value(v) if mask else v for k, v in row.items()}
            out.write(("," if count else "") + "\n  " + json.dumps(cleaned, ensure_ascii=False, default=str))
            count += 1
        out.write("\n]\n" if count else "]\n")
        return count

    async def run() -> int:
        try:
            return await store.stream(name, since=since, limit=limit, hidden=SECRET_COLUMNS, sink=sink)
        except LookupError:
            choices = ", ".join(sorted(REPORTS)) + "; tables: " + ", ".join(await store.tables())
            raise NotFound(f"no table or report named {name!r} (reports: {choices})", code="unknown_export") from None

    return asyncio.run(run())
